//! `cloudcontrol_network_domain`: a network domain (the virtual router and firewall that
//! VLANs, servers, public IPs, NAT and firewall rules live in).

use std::time::Duration;

use async_trait::async_trait;
use cloudcontrol::{DeployNetworkDomain, EditNetworkDomain, NetworkDomain, TagAssetType};
use tfplugin::provider::{
    ApplyResponse, CreateRequest, DeleteRequest, OperationContext, ReadRequest, ReadResponse,
    Resource, UpdateRequest,
};
use tfplugin::schema::validators::one_of;
use tfplugin::schema::{timeouts_block, Attribute, Block, Schema, TimeoutOp};
use tfplugin::{Diagnostics, Value};

use crate::adopt::{differences, vanished, Found, MarkerPlace};
use crate::marker::new_marker;
use crate::provider::ProviderData;
use crate::rules::{NameRule, MAX_NAME_LEN};
use crate::support::{api_error, record_create, record_read, string, wait};

/// The `cloudcontrol_network_domain` resource type.
pub struct NetworkDomainResource;

const DEPLOY_TIMEOUT: Duration = Duration::from_secs(10 * 60);
const DELETE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

#[async_trait]
impl Resource<ProviderData> for NetworkDomainResource {
    fn type_name(&self) -> &str {
        "cloudcontrol_network_domain"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .description(
                    "A network domain: the virtual router and firewall of a CloudControl network.",
                )
                .attribute(Attribute::id())
                .attribute(
                    Attribute::string("name")
                        .required()
                        .validator(NameRule(MAX_NAME_LEN))
                        .description("Name of the network domain."),
                )
                .attribute(
                    Attribute::string("description")
                        .default("")
                        .validator(tfplugin::schema::validators::string_length(0, 255))
                        .description("Description of the network domain."),
                )
                .attribute(
                    Attribute::string("type")
                        .default("ESSENTIALS")
                        .validator(one_of(["ESSENTIALS", "ADVANCED"]))
                        .description(
                            "Service plan: ESSENTIALS or ADVANCED. Changing it is done in place.",
                        ),
                )
                .attribute(
                    Attribute::string("datacenter")
                        .required()
                        .requires_replace()
                        .validator(NameRule(16))
                        .description(
                            "Datacenter id, e.g. NA9. Changing it creates a new network domain.",
                        ),
                )
                .attribute(
                    Attribute::string("nat_ipv4_address")
                        .computed()
                        .use_state_for_unknown()
                        .description(
                            "The public IPv4 address the domain's outbound (source) NAT uses.",
                        ),
                )
                .attribute(
                    Attribute::string("outside_transit_ipv4_subnet")
                        .computed()
                        .use_state_for_unknown()
                        .description("The outside transit subnet in CIDR notation."),
                )
                .block(timeouts_block(&[
                    TimeoutOp::Create,
                    TimeoutOp::Update,
                    TimeoutOp::Delete,
                ])),
        )
    }

    async fn create(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: CreateRequest,
        response: &mut ApplyResponse,
    ) {
        let planned = &request.planned;
        let client = &ctx.data.client;
        let options = wait(ctx, DEPLOY_TIMEOUT);
        let deploy = DeployNetworkDomain {
            datacenter_id: string(planned, "datacenter").unwrap_or_default(),
            name: string(planned, "name").unwrap_or_default(),
            description: string(planned, "description").unwrap_or_default(),
            kind: string(planned, "type").unwrap_or_else(|| "ESSENTIALS".into()),
            tags: vec![new_marker()],
        };
        let found = ctx.data.markers.find_tagged(
            client,
            TagAssetType::NetworkDomain,
            client.find_network_domain(&deploy.name, &deploy.datacenter_id),
            |a| &a.id,
        );
        let result = match found.await {
            Err(e) => Err(e),
            Ok(None) => client.deploy_network_domain(&deploy, &options).await,
            Ok(Some((domain, marked))) => {
                let verdict = Found {
                    kind: "network domain",
                    resource_type: self.type_name(),
                    identity: format!(
                        "named {:?} in datacenter {}",
                        domain.name, domain.datacenter_id
                    ),
                    id: &domain.id,
                    import_id: domain.id.clone(),
                    marked,
                    marker_place: MarkerPlace::Tag,
                    differences: differences([
                        (
                            "description",
                            domain.description.clone(),
                            Some(deploy.description.clone()),
                        ),
                        ("type", domain.kind.clone(), Some(deploy.kind.clone())),
                    ]),
                }
                .verdict();
                if let Err(refusal) = verdict {
                    response.state = Value::Null;
                    response.diagnostics.push(refusal);
                    return;
                }
                tracing::info!(
                    id = domain.id,
                    "taking over the network domain an interrupted apply left"
                );
                client
                    .settled_network_domain(&domain.id, &options)
                    .await
                    .and_then(|d| d.ok_or_else(|| vanished("network domain", &domain.id)))
            }
        };
        record_create(
            "deploy the network domain",
            result,
            |domain| to_state(domain, planned),
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
        record_read(
            "read the network domain",
            ctx.data.client.get_network_domain(&id).await,
            |domain| to_state(domain, &request.state),
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
        let changed = |name: &str| {
            let new = string(planned, name);
            (new != string(prior, name)).then_some(new).flatten()
        };
        let edit = EditNetworkDomain {
            id: string(prior, "id").unwrap_or_default(),
            name: changed("name"),
            description: changed("description"),
            kind: changed("type"),
        };
        if edit.name.is_none() && edit.description.is_none() && edit.kind.is_none() {
            return;
        }
        match ctx
            .data
            .client
            .edit_network_domain(&edit, &wait(ctx, DEPLOY_TIMEOUT))
            .await
        {
            Ok(domain) => response.state = to_state(&domain, planned),
            Err(e) => {
                response.state = prior.clone();
                response
                    .diagnostics
                    .push(api_error("update the network domain", &e));
            }
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
            .delete_network_domain(&id, &wait(ctx, DELETE_TIMEOUT))
            .await
        {
            if !e.is_not_found() {
                diags.push(api_error("delete the network domain", &e));
            }
        }
        diags
    }
}

/// The state of `domain`, keeping what the API does not report (timeouts) from `base`.
fn to_state(domain: &NetworkDomain, base: &Value) -> Value {
    let mut state = base.clone();
    state.set_attr("id", domain.id.as_str());
    state.set_attr("name", domain.name.as_str());
    state.set_attr("description", domain.description.as_str());
    state.set_attr("type", domain.kind.as_str());
    state.set_attr("datacenter", domain.datacenter_id.as_str());
    state.set_attr(
        "nat_ipv4_address",
        crate::support::opt_string(domain.snat_ipv4_address.as_deref()),
    );
    state.set_attr(
        "outside_transit_ipv4_subnet",
        domain
            .outside_transit_vlan_ipv4_subnet
            .as_ref()
            .map(|r| Value::from(format!("{}/{}", r.address, r.prefix_size)))
            .unwrap_or(Value::Null),
    );
    state
}
