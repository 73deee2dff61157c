//! `cloudcontrol_vlan`: a VLAN (an IPv4 network plus an automatic IPv6 /64) in a network domain.

use std::net::Ipv4Addr;
use std::time::Duration;

use async_trait::async_trait;
use cloudcontrol::{DeployVlan, EditVlan, Vlan, VlanGateway};
use tfplugin::provider::{
    ApplyResponse, CreateRequest, DeleteRequest, ModifyPlan, OperationContext, ReadRequest,
    ReadResponse, Resource, UpdateRequest,
};
use tfplugin::schema::validators::{int_between, one_of, string_length};
use tfplugin::schema::{timeouts_block, Attribute, Block, Schema, TimeoutOp};
use tfplugin::{AttributePath, Diagnostics, Value};

use crate::adopt::{differences, vanished, Found, MarkerPlace};
use crate::marker::{outcome_is_known, vlan_entry, Journaled};
use crate::provider::ProviderData;
use crate::rules::{check_vlan_network, NameRule, MAX_NAME_LEN, VLAN_PREFIX_RANGE};
use crate::support::{api_error, int, record_create, record_read, string, wait};

/// The `cloudcontrol_vlan` resource type.
pub struct VlanResource;

const DEPLOY_TIMEOUT: Duration = Duration::from_secs(10 * 60);
const DELETE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

#[async_trait]
impl Resource<ProviderData> for VlanResource {
    fn type_name(&self) -> &str {
        "cloudcontrol_vlan"
    }

    fn schema(&self) -> Schema {
        let (min_prefix, max_prefix) = VLAN_PREFIX_RANGE;
        Schema::new(
            Block::new()
                .description("A VLAN in a network domain.")
                .attribute(Attribute::id())
                .attribute(
                    Attribute::string("network_domain_id")
                        .required()
                        .requires_replace()
                        .description("Id of the network domain the VLAN belongs to."),
                )
                .attribute(
                    Attribute::string("name")
                        .required()
                        .validator(NameRule(MAX_NAME_LEN))
                        .description("Name of the VLAN."),
                )
                .attribute(
                    Attribute::string("description")
                        .default("")
                        .validator(string_length(0, 255))
                        .description("Description of the VLAN."),
                )
                .attribute(
                    Attribute::string("ipv4_base_address")
                        .required()
                        .requires_replace()
                        .validator(tfplugin::schema::validators::Ipv4Address)
                        .description("Network address of the private IPv4 range, e.g. 10.0.1.0."),
                )
                .attribute(
                    Attribute::number("ipv4_prefix_size")
                        .required()
                        .validator(int_between(min_prefix, max_prefix))
                        .requires_replace_if(|r| match (r.prior.as_i64(), r.planned.as_i64()) {
                            // A larger prefix shrinks the network, which the API cannot do.
                            (Some(prior), Some(planned)) => planned > prior,
                            _ => false,
                        })
                        .description("Prefix size of the IPv4 range. Growing the network (a smaller prefix) is done in place; shrinking it replaces the VLAN."),
                )
                .attribute(
                    Attribute::string("gateway_addressing")
                        .default("LOW")
                        .requires_replace()
                        .validator(one_of(["LOW", "HIGH"]))
                        .description("Where the gateway addresses are: LOW (.1 to .3) or HIGH (the top three)."),
                )
                .attribute(
                    Attribute::string("ipv4_gateway")
                        .computed()
                        .use_state_for_unknown()
                        .description("IPv4 gateway address."),
                )
                .attribute(
                    Attribute::string("ipv6_base_address")
                        .computed()
                        .use_state_for_unknown()
                        .description("Network address of the VLAN's IPv6 /64."),
                )
                .attribute(
                    Attribute::number("ipv6_prefix_size")
                        .computed()
                        .use_state_for_unknown()
                        .description("Prefix size of the IPv6 range (64)."),
                )
                .block(timeouts_block(&[TimeoutOp::Create, TimeoutOp::Update, TimeoutOp::Delete])),
        )
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let base = config
            .attr("ipv4_base_address")
            .as_str()
            .and_then(|s| s.parse::<Ipv4Addr>().ok());
        if let (Some(base), Some(prefix)) = (base, int(config, "ipv4_prefix_size")) {
            if let Err(rule) = check_vlan_network(base, prefix) {
                diags.error_at(
                    AttributePath::attribute("ipv4_base_address"),
                    "Invalid VLAN network",
                    format!("ipv4_base_address/ipv4_prefix_size: {rule}"),
                );
            }
        }
        diags
    }

    async fn modify_plan(&self, _ctx: &OperationContext<'_, ProviderData>, plan: &mut ModifyPlan) {
        // Growing the network moves a HIGH gateway to the new top of the range.
        if !plan.prior.is_null()
            && plan.prior.attr("ipv4_prefix_size") != plan.planned.attr("ipv4_prefix_size")
        {
            plan.planned.set_attr("ipv4_gateway", Value::Unknown);
        }
    }

    async fn create(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: CreateRequest,
        response: &mut ApplyResponse,
    ) {
        let planned = &request.planned;
        let client = &ctx.data.client;
        let markers = &ctx.data.markers;
        let options = wait(ctx, DEPLOY_TIMEOUT);
        let gateway_addressing =
            string(planned, "gateway_addressing").unwrap_or_else(|| "LOW".into());
        let deploy = DeployVlan {
            network_domain_id: string(planned, "network_domain_id").unwrap_or_default(),
            name: string(planned, "name").unwrap_or_default(),
            description: string(planned, "description").unwrap_or_default(),
            private_ipv4_network_address: string(planned, "ipv4_base_address").unwrap_or_default(),
            private_ipv4_prefix_size: int(planned, "ipv4_prefix_size").unwrap_or(24) as u8,
            gateway: VlanGateway::Attached {
                gateway_addressing: gateway_addressing.clone(),
            },
        };
        let domain = &deploy.network_domain_id;
        let entry = vlan_entry(&deploy.name);
        let journaled = markers
            .journaled_create(
                client,
                domain,
                &entry,
                client.find_vlan(domain, &deploy.name),
                || client.deploy_vlan(&deploy, &options),
            )
            .await;
        let result = match journaled {
            Err(e) => Err(e),
            Ok(Journaled::Created(result)) => result,
            Ok(Journaled::Found {
                asset: vlan,
                marked,
            }) => {
                let verdict = Found {
                    kind: "VLAN",
                    resource_type: self.type_name(),
                    identity: format!("named {:?} in network domain {domain}", vlan.name),
                    id: &vlan.id,
                    import_id: vlan.id.clone(),
                    marked,
                    marker_place: MarkerPlace::Journal,
                    differences: differences([
                        (
                            "description",
                            vlan.description.clone(),
                            Some(deploy.description.clone()),
                        ),
                        (
                            "ipv4_base_address",
                            vlan.private_ipv4_range.address.clone(),
                            Some(deploy.private_ipv4_network_address.clone()),
                        ),
                        (
                            "ipv4_prefix_size",
                            vlan.private_ipv4_range.prefix_size.to_string(),
                            Some(deploy.private_ipv4_prefix_size.to_string()),
                        ),
                        (
                            "gateway_addressing",
                            vlan.gateway_addressing().unwrap_or("LOW").to_owned(),
                            Some(gateway_addressing.clone()),
                        ),
                    ]),
                }
                .verdict();
                if let Err(refusal) = verdict {
                    response.state = Value::Null;
                    response.diagnostics.push(refusal);
                    return;
                }
                tracing::info!(
                    id = vlan.id,
                    "taking over the VLAN an interrupted apply left"
                );
                let result = client
                    .settled_vlan(&vlan.id, &options)
                    .await
                    .and_then(|v| v.ok_or_else(|| vanished("VLAN", &vlan.id)));
                if outcome_is_known(&result) {
                    markers.finish(domain, &entry).await;
                }
                result
            }
        };
        record_create(
            "deploy the VLAN",
            result,
            |vlan| to_state(vlan, planned),
            response,
        );
    }

    async fn read(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: ReadRequest,
        response: &mut ReadResponse,
    ) {
        let Some(id) = string(&request.state, "id") else {
            return;
        };
        let result = ctx.data.client.get_vlan(&id).await;
        if let Ok(Some(vlan)) = &result {
            let entry = vlan_entry(&vlan.name);
            let markers = &ctx.data.markers;
            markers
                .forget_recorded(&ctx.data.client, &vlan.network_domain.id, &entry)
                .await;
        }
        record_read(
            "read the VLAN",
            result,
            |vlan| to_state(vlan, &request.state),
            response,
        );
    }

    async fn update(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: UpdateRequest,
        response: &mut ApplyResponse,
    ) {
        let (prior, planned) = (&request.prior, &request.planned);
        let id = string(prior, "id").unwrap_or_default();
        let options = wait(ctx, DEPLOY_TIMEOUT);
        let mut latest = None;
        let changed = |name: &str| {
            let new = string(planned, name);
            (new != string(prior, name)).then_some(new).flatten()
        };
        let edit = EditVlan {
            id: id.clone(),
            name: changed("name"),
            description: changed("description"),
        };
        if edit.name.is_some() || edit.description.is_some() {
            match ctx.data.client.edit_vlan(&edit, &options).await {
                Ok(vlan) => latest = Some(vlan),
                Err(e) => {
                    response.state = prior.clone();
                    response.diagnostics.push(api_error("update the VLAN", &e));
                    return;
                }
            }
        }
        let new_prefix = int(planned, "ipv4_prefix_size");
        if new_prefix != int(prior, "ipv4_prefix_size") {
            match ctx
                .data
                .client
                .expand_vlan(&id, new_prefix.unwrap_or_default() as u8, &options)
                .await
            {
                Ok(vlan) => latest = Some(vlan),
                Err(e) => {
                    response.state = latest.map_or_else(|| prior.clone(), |v| to_state(&v, prior));
                    response.diagnostics.push(api_error("expand the VLAN", &e));
                    return;
                }
            }
        }
        if let Some(vlan) = latest {
            response.state = to_state(&vlan, planned);
        }
    }

    async fn delete(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: DeleteRequest,
    ) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let id = string(&request.prior, "id").unwrap_or_default();
        if let Err(e) = ctx
            .data
            .client
            .delete_vlan(&id, &wait(ctx, DELETE_TIMEOUT))
            .await
        {
            if !e.is_not_found() {
                diags.push(api_error("delete the VLAN", &e));
            }
        }
        diags
    }
}

/// The state of `vlan`, keeping what the API does not report (timeouts) from `base`.
fn to_state(vlan: &Vlan, base: &Value) -> Value {
    let mut state = base.clone();
    state.set_attr("id", vlan.id.as_str());
    state.set_attr("network_domain_id", vlan.network_domain.id.as_str());
    state.set_attr("name", vlan.name.as_str());
    state.set_attr("description", vlan.description.as_str());
    state.set_attr(
        "ipv4_base_address",
        vlan.private_ipv4_range.address.as_str(),
    );
    state.set_attr(
        "ipv4_prefix_size",
        i64::from(vlan.private_ipv4_range.prefix_size),
    );
    state.set_attr(
        "gateway_addressing",
        vlan.gateway_addressing().unwrap_or("LOW"),
    );
    state.set_attr(
        "ipv4_gateway",
        crate::support::opt_string(vlan.ipv4_gateway_address.as_deref()),
    );
    match &vlan.ipv6_range {
        Some(range) => {
            state.set_attr("ipv6_base_address", range.address.as_str());
            state.set_attr("ipv6_prefix_size", i64::from(range.prefix_size));
        }
        None => {
            state.set_attr("ipv6_base_address", Value::Null);
            state.set_attr("ipv6_prefix_size", Value::Null);
        }
    }
    state
}
