//! `cloudcontrol_nat_rule`: a 1:1 NAT from a public IPv4 address of the network domain to a
//! private address.
//!
//! The schema, the typed model that reads plans and writes state, then create, read, update
//! and delete.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use cloudcontrol::{CreateNatRule, NatRule};
use serde::{Deserialize, Serialize};
use tfplugin::model::{from_value, write_into, ModelError};
use tfplugin::provider::{
    ApplyResponse, CreateRequest, DeleteRequest, OperationContext, ReadRequest, ReadResponse,
    Resource, UpdateRequest,
};
use tfplugin::schema::validators::Ipv4Address;
use tfplugin::schema::{timeouts_block, Attribute, Block, Schema, TimeoutOp};
use tfplugin::{Diagnostics, Type, Value};

use crate::adopt::{differences, Found, MarkerPlace};
use crate::marker::{nat_entry, Journaled};
use crate::provider::ProviderData;
use crate::support::{record_create, record_delete, record_read, state_id, wait};

/// The `cloudcontrol_nat_rule` resource type.
pub struct NatRuleResource;

const TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The resource's schema: every attribute and its rules.
fn schema() -> Schema {
    Schema::new(
        Block::new()
            .description("A NAT rule mapping a public IPv4 address of the network domain to a private one.")
            .attribute(Attribute::id())
            .attribute(
                Attribute::string("network_domain_id")
                    .required()
                    .requires_replace()
                    .description("Id of the network domain."),
            )
            .attribute(
                Attribute::string("internal_ipv4")
                    .required()
                    .requires_replace()
                    .validator(Ipv4Address)
                    .description("The private IPv4 address to expose."),
            )
            .attribute(
                Attribute::string("external_ipv4")
                    .optional_computed()
                    .use_state_for_unknown()
                    .requires_replace_if_configured()
                    .validator(Ipv4Address)
                    .description("The public IPv4 address; when unset, a free address of the domain's public IP blocks is picked."),
            )
            .block(timeouts_block(&[TimeoutOp::Create, TimeoutOp::Delete])),
    )
}

/// The resource's value type, for writing models into state.
static NAT_RULE_TYPE: LazyLock<Type> = LazyLock::new(|| schema().block.implied_type());

/// A `cloudcontrol_nat_rule` as Terraform sees it: the schema's attributes by name
/// (`timeouts` is left to the value it is written over).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct NatRuleModel {
    /// Computed: the rule's id.
    id: Option<String>,
    network_domain_id: String,
    internal_ipv4: String,
    /// Unknown in a plan that leaves the address to the API.
    external_ipv4: Option<String>,
}

impl NatRuleModel {
    /// Reads a plan or state that has every required attribute.
    fn read(value: &Value) -> Result<NatRuleModel, ModelError> {
        from_value(value)
    }

    /// The model of `rule` as the API reports it.
    fn of_rule(rule: &NatRule) -> NatRuleModel {
        NatRuleModel {
            id: Some(rule.id.clone()),
            network_domain_id: rule.network_domain_id.clone(),
            internal_ipv4: rule.internal_ip.clone(),
            external_ipv4: Some(rule.external_ip.clone()),
        }
    }

    /// This model written over `base` (which keeps the timeouts).
    fn to_state(&self, base: &Value) -> Value {
        let mut state = base.clone();
        // The model's fields are the schema's attributes: a mismatch is a provider bug that
        // the unit tests catch.
        write_into(self, &mut state, &NAT_RULE_TYPE)
            .unwrap_or_else(|e| panic!("the NAT rule model does not fit its schema: {e}"));
        state
    }
}

#[async_trait]
impl Resource<ProviderData> for NatRuleResource {
    fn type_name(&self) -> &str {
        "cloudcontrol_nat_rule"
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
        let planned = match NatRuleModel::read(&request.planned) {
            Ok(model) => model,
            Err(e) => {
                response.state = Value::Null;
                response
                    .diagnostics
                    .push(e.to_diagnostic("Invalid NAT rule plan"));
                return;
            }
        };
        let client = &ctx.data.client;
        let markers = &ctx.data.markers;
        let options = wait(ctx, TIMEOUT);
        let create = CreateNatRule {
            network_domain_id: planned.network_domain_id,
            internal_ip: planned.internal_ipv4,
            external_ip: planned.external_ipv4,
        };
        let domain = &create.network_domain_id;
        let entry = nat_entry(&create.internal_ip);
        let journaled = markers
            .journaled_create(
                client,
                domain,
                &entry,
                client.find_nat_rule(domain, &create.internal_ip),
                || client.create_nat_rule(&create, &options),
            )
            .await;
        let result = match journaled {
            Err(e) => Err(e),
            Ok(Journaled::Created(result)) => result,
            Ok(Journaled::Found {
                asset: rule,
                marked,
            }) => {
                let verdict = Found {
                    kind: "NAT rule",
                    resource_type: self.type_name(),
                    identity: format!(
                        "for internal address {} in network domain {domain}",
                        rule.internal_ip
                    ),
                    id: &rule.id,
                    import_id: rule.id.clone(),
                    marked,
                    marker_place: MarkerPlace::Journal,
                    differences: differences([(
                        "external_ipv4",
                        rule.external_ip.clone(),
                        create.external_ip.clone(),
                    )]),
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
                        "NAT rule",
                        &rule.id,
                        client.settled_nat_rule(&rule.id, &options),
                    )
                    .await
            }
        };
        record_create(
            "create the NAT rule",
            result,
            |rule| to_state(rule, &request.planned),
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
        let result = ctx.data.client.get_nat_rule(&id).await;
        if let Ok(Some(rule)) = &result {
            let entry = nat_entry(&rule.internal_ip);
            let markers = &ctx.data.markers;
            markers
                .forget_recorded(&ctx.data.client, &rule.network_domain_id, &entry)
                .await;
        }
        record_read(
            "read the NAT rule",
            result,
            |rule| to_state(rule, &request.state),
            response,
        );
    }

    async fn update(
        &self,
        _ctx: &OperationContext<'_, ProviderData>,
        _request: UpdateRequest,
        _response: &mut ApplyResponse,
    ) {
        // Every argument forces replacement; only `timeouts` can change in place, and it
        // lives in state alone (the response already holds the planned state).
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
            .delete_nat_rule(&id, &wait(ctx, TIMEOUT))
            .await;
        record_delete("delete the NAT rule", result)
    }
}

/// The state of `rule`, keeping what the API does not report (timeouts) from `base`.
fn to_state(rule: &NatRule, base: &Value) -> Value {
    NatRuleModel::of_rule(rule).to_state(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::AttributePath;

    fn rule() -> NatRule {
        serde_json::from_value(serde_json::json!({
            "id": "n-1", "networkDomainId": "nd-1", "internalIp": "10.0.1.5",
            "externalIp": "168.128.4.18", "datacenterId": "NA9", "createTime": "",
            "state": "NORMAL",
        }))
        .unwrap()
    }

    #[test]
    fn the_model_fits_the_schema() {
        let timeouts = Value::object([("create", Value::from("30m")), ("delete", Value::Null)]);
        let base = Value::object([("timeouts", timeouts.clone())]);
        let state = to_state(&rule(), &base);
        state
            .check_conforms(&schema().block.implied_type())
            .unwrap();
        assert_eq!(state.attr("timeouts"), &timeouts);
        assert_eq!(state.attr("external_ipv4").as_str(), Some("168.128.4.18"));
        assert_eq!(
            NatRuleModel::read(&state).unwrap(),
            NatRuleModel::of_rule(&rule())
        );
    }

    #[test]
    fn a_required_attribute_without_a_value_is_an_error_not_a_default() {
        let state = to_state(&rule(), &Value::Null);
        for name in ["network_domain_id", "internal_ipv4"] {
            let mut missing = state.clone();
            missing.set_attr(name, Value::Null);
            let err = NatRuleModel::read(&missing).unwrap_err();
            assert_eq!(err.path, AttributePath::attribute(name), "{err}");
            assert!(err.message.starts_with("is required"), "{err}");
        }
        // A plan that leaves the external address to the API has it unknown.
        let mut planned = state.clone();
        planned.set_attr("external_ipv4", Value::Unknown);
        assert_eq!(NatRuleModel::read(&planned).unwrap().external_ipv4, None);
    }
}
