//! `cloudcontrol_vlan`: a VLAN (an IPv4 network plus an automatic IPv6 /64) in a network domain.
//!
//! The schema, the typed model that reads plans and writes state, then validation, plan
//! changes, create, read, update and delete.

use std::net::Ipv4Addr;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use cloudcontrol::{DeployVlan, EditVlan, Vlan, VlanGateway};
use serde::{Deserialize, Serialize};
use tfplugin::model::{from_value, write_into, ModelError};
use tfplugin::provider::{
    ApplyResponse, CreateRequest, DeleteRequest, ModifyPlan, OperationContext, ReadRequest,
    ReadResponse, Resource, UpdateRequest,
};
use tfplugin::schema::validators::{int_between, one_of, string_length};
use tfplugin::schema::{timeouts_block, Attribute, Block, Schema, TimeoutOp};
use tfplugin::{AttributePath, Diagnostics, Type, Value};

use crate::adopt::{differences, Found, MarkerPlace};
use crate::marker::{vlan_entry, Journaled};
use crate::provider::ProviderData;
use crate::rules::{check_vlan_network, NameRule, MAX_NAME_LEN, VLAN_PREFIX_RANGE};
use crate::support::{api_error, int, record_create, record_delete, record_read, state_id, wait};

/// The `cloudcontrol_vlan` resource type.
pub struct VlanResource;

const DEPLOY_TIMEOUT: Duration = Duration::from_secs(10 * 60);
const DELETE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The resource's schema: every attribute, its default and its rules.
fn schema() -> Schema {
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

/// The resource's value type, for writing models into state.
static VLAN_TYPE: LazyLock<Type> = LazyLock::new(|| schema().block.implied_type());

/// A `cloudcontrol_vlan` as Terraform sees it: the schema's attributes by name (`timeouts` is
/// left to the value it is written over).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct VlanModel {
    /// Computed: the VLAN's id.
    id: Option<String>,
    network_domain_id: String,
    name: String,
    description: String,
    ipv4_base_address: String,
    ipv4_prefix_size: u8,
    gateway_addressing: String,
    ipv4_gateway: Option<String>,
    ipv6_base_address: Option<String>,
    ipv6_prefix_size: Option<u8>,
}

impl VlanModel {
    /// Reads a plan or state that has every required attribute.
    fn read(value: &Value) -> Result<VlanModel, ModelError> {
        from_value(value)
    }

    /// The model of `vlan` as the API reports it.
    fn of_vlan(vlan: &Vlan) -> VlanModel {
        VlanModel {
            id: Some(vlan.id.clone()),
            network_domain_id: vlan.network_domain.id.clone(),
            name: vlan.name.clone(),
            description: vlan.description.clone(),
            ipv4_base_address: vlan.private_ipv4_range.address.clone(),
            ipv4_prefix_size: vlan.private_ipv4_range.prefix_size,
            gateway_addressing: gateway_addressing_of(vlan).to_owned(),
            ipv4_gateway: vlan
                .ipv4_gateway_address
                .clone()
                .filter(|address| !address.is_empty()),
            ipv6_base_address: vlan.ipv6_range.as_ref().map(|r| r.address.clone()),
            ipv6_prefix_size: vlan.ipv6_range.as_ref().map(|r| r.prefix_size),
        }
    }

    /// This model written over `base` (which keeps the timeouts).
    fn to_state(&self, base: &Value) -> Value {
        let mut state = base.clone();
        // The model's fields are the schema's attributes: a mismatch is a provider bug that
        // the unit tests catch.
        write_into(self, &mut state, &VLAN_TYPE)
            .unwrap_or_else(|e| panic!("the VLAN model does not fit its schema: {e}"));
        state
    }
}

/// Where the VLAN's gateway addresses are; an API that does not say attached them LOW.
fn gateway_addressing_of(vlan: &Vlan) -> &str {
    vlan.gateway_addressing().unwrap_or("LOW")
}

#[async_trait]
impl Resource<ProviderData> for VlanResource {
    fn type_name(&self) -> &str {
        "cloudcontrol_vlan"
    }

    fn schema(&self) -> Schema {
        schema()
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
        let planned = match VlanModel::read(&request.planned) {
            Ok(model) => model,
            Err(e) => {
                response.state = Value::Null;
                response
                    .diagnostics
                    .push(e.to_diagnostic("Invalid VLAN plan"));
                return;
            }
        };
        let client = &ctx.data.client;
        let markers = &ctx.data.markers;
        let options = wait(ctx, DEPLOY_TIMEOUT);
        let gateway_addressing = planned.gateway_addressing;
        let deploy = DeployVlan {
            network_domain_id: planned.network_domain_id,
            name: planned.name,
            description: planned.description,
            private_ipv4_network_address: planned.ipv4_base_address,
            private_ipv4_prefix_size: planned.ipv4_prefix_size,
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
                            gateway_addressing_of(&vlan).to_owned(),
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
                markers
                    .take_over_journaled(
                        domain,
                        &entry,
                        "VLAN",
                        &vlan.id,
                        client.settled_vlan(&vlan.id, &options),
                    )
                    .await
            }
        };
        record_create(
            "deploy the VLAN",
            result,
            |vlan| to_state(vlan, &request.planned),
            response,
        );
    }

    async fn read(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: ReadRequest,
        response: &mut ReadResponse,
    ) {
        let Some(id) = state_id(&request.state) else {
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
        let (prior, planned) = match (
            VlanModel::read(&request.prior),
            VlanModel::read(&request.planned),
        ) {
            (Ok(prior), Ok(planned)) => (prior, planned),
            (Err(e), _) | (_, Err(e)) => {
                response.state = request.prior.clone();
                response
                    .diagnostics
                    .push(e.to_diagnostic("Invalid VLAN plan"));
                return;
            }
        };
        let id = prior.id.clone().unwrap_or_default();
        let options = wait(ctx, DEPLOY_TIMEOUT);
        let mut latest = None;
        let changed = |new: &String, old: &String| (new != old).then(|| new.clone());
        let edit = EditVlan {
            id: id.clone(),
            name: changed(&planned.name, &prior.name),
            description: changed(&planned.description, &prior.description),
        };
        if edit.name.is_some() || edit.description.is_some() {
            match ctx.data.client.edit_vlan(&edit, &options).await {
                Ok(vlan) => latest = Some(vlan),
                Err(e) => {
                    response.state = request.prior.clone();
                    response.diagnostics.push(api_error("update the VLAN", &e));
                    return;
                }
            }
        }
        if planned.ipv4_prefix_size != prior.ipv4_prefix_size {
            match ctx
                .data
                .client
                .expand_vlan(&id, planned.ipv4_prefix_size, &options)
                .await
            {
                Ok(vlan) => latest = Some(vlan),
                Err(e) => {
                    let prior = &request.prior;
                    response.state = latest.map_or_else(|| prior.clone(), |v| to_state(&v, prior));
                    response.diagnostics.push(api_error("expand the VLAN", &e));
                    return;
                }
            }
        }
        if let Some(vlan) = latest {
            response.state = to_state(&vlan, &request.planned);
        }
    }

    async fn delete(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: DeleteRequest,
    ) -> Diagnostics {
        let Some(id) = state_id(&request.prior) else {
            return Diagnostics::new();
        };
        let result = ctx
            .data
            .client
            .delete_vlan(&id, &wait(ctx, DELETE_TIMEOUT))
            .await;
        record_delete("delete the VLAN", result)
    }
}

/// The state of `vlan`, keeping what the API does not report (timeouts) from `base`.
fn to_state(vlan: &Vlan, base: &Value) -> Value {
    VlanModel::of_vlan(vlan).to_state(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vlan(ipv6: bool) -> Vlan {
        let mut json = serde_json::json!({
            "id": "v-1", "name": "web", "description": "",
            "networkDomain": {"id": "nd-1", "name": "net"},
            "privateIpv4Range": {"address": "10.0.1.0", "prefixSize": 24},
            "ipv4GatewayAddress": "10.0.1.1", "createTime": "", "state": "NORMAL",
        });
        if ipv6 {
            json["ipv6Range"] = serde_json::json!({"address": "2001:db8::", "prefixSize": 64});
        }
        serde_json::from_value(json).unwrap()
    }

    fn timeouts() -> Value {
        Value::object([
            ("create", Value::from("30m")),
            ("update", Value::Null),
            ("delete", Value::Null),
        ])
    }

    #[test]
    fn the_model_fits_the_schema() {
        let base = Value::object([("timeouts", timeouts())]);
        for ipv6 in [true, false] {
            let state = to_state(&vlan(ipv6), &base);
            state
                .check_conforms(&schema().block.implied_type())
                .unwrap();
            assert_eq!(state.attr("timeouts"), &timeouts());
            assert_eq!(state.attr("ipv4_prefix_size").as_i64(), Some(24));
            // The API leaves the gateway addressing out for LOW.
            assert_eq!(state.attr("gateway_addressing").as_str(), Some("LOW"));
            assert_eq!(state.attr("ipv6_prefix_size").as_i64(), ipv6.then_some(64));
            assert_eq!(
                VlanModel::read(&state).unwrap(),
                VlanModel::of_vlan(&vlan(ipv6))
            );
        }
    }

    #[test]
    fn a_required_attribute_without_a_value_is_an_error_not_a_default() {
        let state = to_state(&vlan(true), &Value::Null);
        for name in [
            "network_domain_id",
            "name",
            "description",
            "ipv4_base_address",
            "ipv4_prefix_size",
            "gateway_addressing",
        ] {
            let mut missing = state.clone();
            missing.set_attr(name, Value::Null);
            let err = VlanModel::read(&missing).unwrap_err();
            assert_eq!(err.path, AttributePath::attribute(name), "{err}");
            assert!(err.message.starts_with("is required"), "{err}");
        }
    }
}
