//! `cloudcontrol_server_anti_affinity`: two servers the platform keeps on different hosts.
//!
//! The schema, the typed model that reads plans and writes state, the plan-time checks (two
//! different servers of one ADVANCED or ENTERPRISE network domain), then create, read and
//! delete. Nothing changes in place: another pair is another rule.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use cloudcontrol::AntiAffinityRule;
use serde::{Deserialize, Serialize};
use tfplugin::model::{from_value, write_into, ModelError};
use tfplugin::provider::{
    ApplyResponse, CreateRequest, DeleteRequest, ModifyPlan, OperationContext, ReadRequest,
    ReadResponse, Resource, UpdateRequest,
};
use tfplugin::schema::validators::size_between;
use tfplugin::schema::{timeouts_block, Attribute, Block, Schema, TimeoutOp};
use tfplugin::{AttributePath, Diagnostics, Type, Value};

use crate::adopt::{Found, MarkerPlace};
use crate::marker::{anti_affinity_entry, Journaled};
use crate::provider::ProviderData;
use crate::support::{record_create, record_delete, record_read, refuse, state_id, wait};

/// The `cloudcontrol_server_anti_affinity` resource type.
pub struct ServerAntiAffinityResource;

const TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The resource's schema: every attribute and its rules.
fn schema() -> Schema {
    Schema::new(
        Block::new()
            .description("A server anti-affinity rule: two servers of one ADVANCED or ENTERPRISE network domain that the platform keeps on different hosts. A server can be in one rule at a time.")
            .attribute(Attribute::id())
            .attribute(
                Attribute::list("server_ids", Type::String)
                    .required()
                    .requires_replace()
                    .validator(size_between(2, 2))
                    .description("The ids of the two servers."),
            )
            .attribute(
                Attribute::string("network_domain_id")
                    .computed()
                    .description("The servers' network domain."),
            )
            .block(timeouts_block(&[TimeoutOp::Create, TimeoutOp::Delete])),
    )
}

/// The resource's value type, for writing models into state.
static RULE_TYPE: LazyLock<Type> = LazyLock::new(|| schema().block.implied_type());

/// A `cloudcontrol_server_anti_affinity` as Terraform sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct AntiAffinityModel {
    /// Computed: the rule's id.
    id: Option<String>,
    server_ids: Vec<String>,
    /// Computed: unknown until created.
    network_domain_id: Option<String>,
}

impl AntiAffinityModel {
    fn read(value: &Value) -> Result<AntiAffinityModel, ModelError> {
        from_value(value)
    }

    /// The model of `rule`, listing its servers in the prior order when they are the same two.
    fn of_rule(rule: &AntiAffinityRule, prior: &Value) -> AntiAffinityModel {
        let mut server_ids = rule.server_ids();
        if let Ok(prior) = AntiAffinityModel::read(prior) {
            if let [a, b] = prior.server_ids.as_slice() {
                if rule.pairs(a, b) {
                    server_ids = prior.server_ids.clone();
                }
            }
        }
        AntiAffinityModel {
            id: Some(rule.id.clone()),
            server_ids,
            network_domain_id: rule.network_domain_id().map(str::to_owned),
        }
    }

    fn to_state(&self, base: &Value) -> Value {
        let mut state = base.clone();
        // The model's fields are the schema's attributes: a mismatch is a provider bug that
        // the unit tests catch.
        write_into(self, &mut state, &RULE_TYPE)
            .unwrap_or_else(|e| panic!("the anti-affinity model does not fit its schema: {e}"));
        state
    }
}

fn servers_path() -> AttributePath {
    AttributePath::attribute("server_ids")
}

/// What the platform would refuse about the pair, when the servers can be read: servers of
/// different network domains, or of an ESSENTIALS one. Returns the shared domain otherwise.
async fn check_pair(
    ctx: &OperationContext<'_, ProviderData>,
    a: &str,
    b: &str,
    diags: &mut Diagnostics,
) -> Option<String> {
    let client = &ctx.data.client;
    let (Ok(Some(first)), Ok(Some(second))) =
        (client.get_server(a).await, client.get_server(b).await)
    else {
        // Servers that cannot be read now are the API's to judge at apply.
        return None;
    };
    let (first_domain, second_domain) = (
        &first.network_info.network_domain_id,
        &second.network_info.network_domain_id,
    );
    if first_domain != second_domain {
        diags.error_at(
            servers_path(),
            "Servers in different network domains",
            format!(
                "server {} is in network domain {} and server {} in {}; an anti-affinity rule pairs two servers of one network domain",
                first.name, first_domain, second.name, second_domain
            ),
        );
        return None;
    }
    if let Ok(Some(domain)) = client.get_network_domain(first_domain).await {
        if domain.kind.eq_ignore_ascii_case("ESSENTIALS") {
            diags.error_at(
                servers_path(),
                "Anti-affinity needs an ADVANCED network domain",
                format!(
                    "network domain {} ({}) is ESSENTIALS; anti-affinity rules need an ADVANCED or ENTERPRISE network domain",
                    domain.name, domain.id
                ),
            );
            return None;
        }
    }
    Some(first_domain.clone())
}

#[async_trait]
impl Resource<ProviderData> for ServerAntiAffinityResource {
    fn type_name(&self) -> &str {
        "cloudcontrol_server_anti_affinity"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if let [a, b] = config.attr("server_ids").elements() {
            if a.is_known() && !a.is_null() && a == b {
                diags.error_at(
                    servers_path(),
                    "The same server twice",
                    "server_ids must name two different servers",
                );
            }
        }
        diags
    }

    async fn modify_plan(&self, ctx: &OperationContext<'_, ProviderData>, plan: &mut ModifyPlan) {
        if !plan.prior.is_null() || plan.planned.is_null() {
            return;
        }
        let ids: Vec<Option<&str>> = plan
            .planned
            .attr("server_ids")
            .elements()
            .iter()
            .map(Value::as_str)
            .collect();
        if let [Some(a), Some(b)] = ids.as_slice() {
            let (a, b) = (a.to_string(), b.to_string());
            if let Some(domain) = check_pair(ctx, &a, &b, &mut plan.diagnostics).await {
                plan.planned.set_attr("network_domain_id", domain);
            }
        }
    }

    async fn create(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: CreateRequest,
        response: &mut ApplyResponse,
    ) {
        let planned = match AntiAffinityModel::read(&request.planned) {
            Ok(model) => model,
            Err(e) => return refuse(response, e.to_diagnostic("Invalid anti-affinity plan")),
        };
        let [a, b] = planned.server_ids.as_slice() else {
            return refuse(
                response,
                tfplugin::Diagnostic::error(
                    "Invalid anti-affinity plan",
                    "server_ids must hold two servers",
                )
                .at(servers_path()),
            );
        };
        let client = &ctx.data.client;
        let options = wait(ctx, TIMEOUT);
        // The plan read both servers already when they were known then; read them again only
        // when they were created in this apply.
        let mut diags = Diagnostics::new();
        let planned_domain = planned.network_domain_id.clone();
        let domain = match planned_domain {
            Some(domain) => Some(domain),
            None => check_pair(ctx, a, b, &mut diags).await,
        };
        let Some(domain) = domain else {
            response.state = Value::Null;
            response.diagnostics.extend(diags);
            if response.diagnostics.is_empty() {
                response.diagnostics.error(
                    "Could not create the anti-affinity rule",
                    format!("servers {a} and {b} could not be read"),
                );
            }
            return;
        };
        let entry = anti_affinity_entry(a, b);
        let journaled = ctx
            .data
            .markers
            .journaled_create(
                client,
                &domain,
                &entry,
                client.anti_affinity_rule_between(a, b),
                || client.create_anti_affinity_rule(a, b, &options),
            )
            .await;
        let result = match journaled {
            Err(e) => Err(e),
            Ok(Journaled::Created(result)) => result,
            Ok(Journaled::Found { asset, marked }) => {
                let verdict = Found {
                    kind: "anti-affinity rule",
                    resource_type: self.type_name(),
                    identity: format!("between servers {a} and {b}"),
                    id: &asset.id,
                    import_id: asset.id.clone(),
                    marked,
                    marker_place: MarkerPlace::Journal,
                    differences: Vec::new(),
                }
                .verdict();
                if let Err(refusal) = verdict {
                    return refuse(response, refusal);
                }
                ctx.data
                    .markers
                    .take_over_journaled(
                        &domain,
                        &entry,
                        "anti-affinity rule",
                        &asset.id,
                        client.settled_anti_affinity_rule(&asset.id, &options),
                    )
                    .await
            }
        };
        record_create(
            "create the anti-affinity rule",
            result,
            |rule| AntiAffinityModel::of_rule(rule, &request.planned).to_state(&request.planned),
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
        let client = &ctx.data.client;
        let result = client.get_anti_affinity_rule(&id).await;
        if let Ok(Some(rule)) = &result {
            if let ([a, b], Some(domain)) = (rule.server_ids().as_slice(), rule.network_domain_id())
            {
                ctx.data
                    .markers
                    .forget_recorded(client, domain, &anti_affinity_entry(a, b))
                    .await;
            }
        }
        record_read(
            "read the anti-affinity rule",
            result,
            |rule| AntiAffinityModel::of_rule(rule, &request.state).to_state(&request.state),
            response,
        );
    }

    async fn update(
        &self,
        _ctx: &OperationContext<'_, ProviderData>,
        _request: UpdateRequest,
        _response: &mut ApplyResponse,
    ) {
        // The pair forces replacement; only `timeouts` can change in place, and it lives in
        // state alone (the response already holds the planned state).
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
            .delete_anti_affinity_rule(&id, &wait(ctx, TIMEOUT))
            .await;
        record_delete("delete the anti-affinity rule", result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(servers: [&str; 2]) -> AntiAffinityRule {
        serde_json::from_value(serde_json::json!({
            "id": "r-1", "state": "NORMAL", "datacenterId": "NA9",
            "serverSummary": [
                {"id": servers[0], "networkingDetails": {"networkInfo": {"networkDomainId": "nd-1"}}},
                {"id": servers[1], "networkingDetails": {"networkInfo": {"networkDomainId": "nd-1"}}}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn the_model_fits_the_schema_and_keeps_the_configured_order() {
        let base = Value::object([("timeouts", Value::Null)]);
        let state = AntiAffinityModel::of_rule(&rule(["s-1", "s-2"]), &base).to_state(&base);
        state
            .check_conforms(&schema().block.implied_type())
            .unwrap();
        assert_eq!(state.attr("network_domain_id").as_str(), Some("nd-1"));
        let swapped = AntiAffinityModel::of_rule(&rule(["s-2", "s-1"]), &state);
        assert_eq!(swapped.server_ids, ["s-1", "s-2"]);
    }
}
