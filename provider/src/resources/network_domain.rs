//! `cloudcontrol_network_domain`: a network domain (the virtual router and firewall that
//! VLANs, servers, public IPs, NAT and firewall rules live in).
//!
//! The schema, the typed model that reads plans and writes state, then create, read, update
//! and delete.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use cloudcontrol::{DeployNetworkDomain, EditNetworkDomain, NetworkDomain, TagAssetType};
use serde::{Deserialize, Serialize};
use tfplugin::model::{from_value, write_into, ModelError};
use tfplugin::provider::{
    ApplyResponse, CreateRequest, DeleteRequest, OperationContext, ReadRequest, ReadResponse,
    Resource, UpdateRequest,
};
use tfplugin::schema::validators::one_of;
use tfplugin::schema::{timeouts_block, Attribute, Block, Schema, TimeoutOp};
use tfplugin::{Diagnostics, Type, Value};

use crate::adopt::{differences, take_over, Found, MarkerPlace};
use crate::marker::new_marker;
use crate::provider::ProviderData;
use crate::rules::{NameRule, MAX_NAME_LEN};
use crate::support::{api_error, record_create, record_delete, record_read, state_id, wait};

/// The `cloudcontrol_network_domain` resource type.
pub struct NetworkDomainResource;

const DEPLOY_TIMEOUT: Duration = Duration::from_secs(10 * 60);
const DELETE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The resource's schema: every attribute, its default and its rules.
fn schema() -> Schema {
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

/// The resource's value type, for writing models into state.
static NETWORK_DOMAIN_TYPE: LazyLock<Type> = LazyLock::new(|| schema().block.implied_type());

/// A `cloudcontrol_network_domain` as Terraform sees it: the schema's attributes by name
/// (`timeouts` is left to the value it is written over).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct NetworkDomainModel {
    /// Computed: the domain's id.
    id: Option<String>,
    name: String,
    description: String,
    #[serde(rename = "type")]
    kind: String,
    datacenter: String,
    nat_ipv4_address: Option<String>,
    outside_transit_ipv4_subnet: Option<String>,
}

impl NetworkDomainModel {
    /// Reads a plan or state that has every required attribute.
    fn read(value: &Value) -> Result<NetworkDomainModel, ModelError> {
        from_value(value)
    }

    /// The model of `domain` as the API reports it.
    fn of_domain(domain: &NetworkDomain) -> NetworkDomainModel {
        NetworkDomainModel {
            id: Some(domain.id.clone()),
            name: domain.name.clone(),
            description: domain.description.clone(),
            kind: domain.kind.clone(),
            datacenter: domain.datacenter_id.clone(),
            nat_ipv4_address: domain
                .snat_ipv4_address
                .clone()
                .filter(|address| !address.is_empty()),
            outside_transit_ipv4_subnet: domain
                .outside_transit_vlan_ipv4_subnet
                .as_ref()
                .map(|r| format!("{}/{}", r.address, r.prefix_size)),
        }
    }

    /// This model written over `base` (which keeps the timeouts).
    fn to_state(&self, base: &Value) -> Value {
        let mut state = base.clone();
        // The model's fields are the schema's attributes: a mismatch is a provider bug that
        // the unit tests catch.
        write_into(self, &mut state, &NETWORK_DOMAIN_TYPE)
            .unwrap_or_else(|e| panic!("the network domain model does not fit its schema: {e}"));
        state
    }
}

#[async_trait]
impl Resource<ProviderData> for NetworkDomainResource {
    fn type_name(&self) -> &str {
        "cloudcontrol_network_domain"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn create(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: CreateRequest,
        response: &mut ApplyResponse,
    ) {
        let planned = match NetworkDomainModel::read(&request.planned) {
            Ok(model) => model,
            Err(e) => {
                response.state = Value::Null;
                response
                    .diagnostics
                    .push(e.to_diagnostic("Invalid network domain plan"));
                return;
            }
        };
        let client = &ctx.data.client;
        let options = wait(ctx, DEPLOY_TIMEOUT);
        let deploy = DeployNetworkDomain {
            datacenter_id: planned.datacenter,
            name: planned.name,
            description: planned.description,
            kind: planned.kind,
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
                take_over(
                    "network domain",
                    &domain.id,
                    client.settled_network_domain(&domain.id, &options),
                )
                .await
            }
        };
        record_create(
            "deploy the network domain",
            result,
            |domain| to_state(domain, &request.planned),
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
        let (prior, planned) = match (
            NetworkDomainModel::read(&request.prior),
            NetworkDomainModel::read(&request.planned),
        ) {
            (Ok(prior), Ok(planned)) => (prior, planned),
            (Err(e), _) | (_, Err(e)) => {
                response.state = request.prior.clone();
                response
                    .diagnostics
                    .push(e.to_diagnostic("Invalid network domain plan"));
                return;
            }
        };
        let changed = |new: &String, old: &String| (new != old).then(|| new.clone());
        let edit = EditNetworkDomain {
            id: prior.id.clone().unwrap_or_default(),
            name: changed(&planned.name, &prior.name),
            description: changed(&planned.description, &prior.description),
            kind: changed(&planned.kind, &prior.kind),
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
            Ok(domain) => response.state = to_state(&domain, &request.planned),
            Err(e) => {
                response.state = request.prior.clone();
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
        let Some(id) = state_id(&request.prior) else {
            return Diagnostics::new();
        };
        let result = ctx
            .data
            .client
            .delete_network_domain(&id, &wait(ctx, DELETE_TIMEOUT))
            .await;
        record_delete("delete the network domain", result)
    }
}

/// The state of `domain`, keeping what the API does not report (timeouts) from `base`.
fn to_state(domain: &NetworkDomain, base: &Value) -> Value {
    NetworkDomainModel::of_domain(domain).to_state(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::AttributePath;

    fn domain() -> NetworkDomain {
        serde_json::from_value(serde_json::json!({
            "id": "nd-1", "name": "net", "description": "", "type": "ESSENTIALS",
            "datacenterId": "NA9", "snatIpv4Address": "", "createTime": "", "state": "NORMAL",
            "outsideTransitVlanIpv4Subnet": {"address": "100.64.0.0", "prefixSize": 24},
        }))
        .unwrap()
    }

    #[test]
    fn the_model_fits_the_schema() {
        let timeouts = Value::object([
            ("create", Value::from("30m")),
            ("update", Value::Null),
            ("delete", Value::Null),
        ]);
        let base = Value::object([("timeouts", timeouts.clone())]);
        let state = to_state(&domain(), &base);
        state
            .check_conforms(&schema().block.implied_type())
            .unwrap();
        assert_eq!(state.attr("timeouts"), &timeouts);
        assert_eq!(state.attr("type").as_str(), Some("ESSENTIALS"));
        // An empty address from the API is no address.
        assert!(state.attr("nat_ipv4_address").is_null());
        assert_eq!(
            state.attr("outside_transit_ipv4_subnet").as_str(),
            Some("100.64.0.0/24")
        );
        assert_eq!(
            NetworkDomainModel::read(&state).unwrap(),
            NetworkDomainModel::of_domain(&domain())
        );
    }

    #[test]
    fn a_required_attribute_without_a_value_is_an_error_not_a_default() {
        let state = to_state(&domain(), &Value::Null);
        for name in ["name", "description", "type", "datacenter"] {
            let mut missing = state.clone();
            missing.set_attr(name, Value::Null);
            let err = NetworkDomainModel::read(&missing).unwrap_err();
            assert_eq!(err.path, AttributePath::attribute(name), "{err}");
            assert!(err.message.starts_with("is required"), "{err}");
        }
    }
}
