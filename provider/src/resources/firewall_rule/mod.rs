//! `cloudcontrol_firewall_rule`: a rule of a network domain's firewall.
//!
//! `schema` holds the attributes, `model` the typed view of them, `scope` the rules for the
//! source and destination blocks; this file is validation, planning, create, read, update,
//! delete and import.

mod model;
mod schema;
mod scope;

use std::time::Duration;

use async_trait::async_trait;
use tfplugin::provider::{
    ApplyResponse, CreateRequest, DeleteRequest, ImportResponse, ModifyPlan, OperationContext,
    ReadRequest, ReadResponse, Resource, UpdateRequest,
};
use tfplugin::schema::Schema;
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use crate::adopt::{Found, MarkerPlace};
use crate::import_id::{import_state, ImportOptions};
use crate::marker::{firewall_entry, Journaled};
use crate::provider::ProviderData;
use crate::support::{api_error, record_create, record_delete, record_read, state_id, wait};
use model::{scope_value, state_of, FirewallRuleModel, Remembered};
use scope::{any_block, normalized, scope_options, validate_scope, SCOPES};

/// The `cloudcontrol_firewall_rule` resource type.
pub struct FirewallRuleResource;

const TIMEOUT: Duration = Duration::from_secs(5 * 60);

#[async_trait]
impl Resource<ProviderData> for FirewallRuleResource {
    fn type_name(&self) -> &str {
        "cloudcontrol_firewall_rule"
    }

    fn schema(&self) -> Schema {
        schema::firewall_rule_schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        // Read raw: a configuration may hold unknown values, and an unknown value is set.
        let mut diags = Diagnostics::new();
        let protocol = config.attr("protocol").as_str();
        let ipv6 = config.attr("ip_version").as_str() == Some("IPV6");
        for which in SCOPES {
            validate_scope(which, config.attr(which), protocol, ipv6, &mut diags);
        }
        if let Some(conflict) = placement_conflict(config) {
            diags.error_at(
                AttributePath::attribute(conflict.attribute),
                conflict.summary,
                conflict.detail,
            );
        }
        diags
    }

    async fn modify_plan(&self, _ctx: &OperationContext<'_, ProviderData>, plan: &mut ModifyPlan) {
        // An unset `ip` in a present block without an address list means any address;
        // planning it as "any" keeps an
        // imported rule (whose state cannot tell the two spellings apart) free of a diff.
        for which in SCOPES {
            let config = plan.config.attr(which);
            let mut block = plan.planned.attr(which).clone();
            // A block on an address list has no address at all.
            let on_list = !config.attr("address_list_id").is_null();
            if block.is_known() && !block.is_null() && config.attr("ip").is_null() && !on_list {
                block.set_attr("ip", "any");
                plan.planned.set_attr(which, block);
            }
        }
        if plan.prior.is_null() {
            return;
        }
        // Source and destination cannot be edited: any change replaces the rule.
        let (prior, planned) = (Remembered::of(&plan.prior), Remembered::of(&plan.planned));
        for ((which, before), (_, after)) in prior.scopes().into_iter().zip(planned.scopes()) {
            if normalized(before) != normalized(after) {
                plan.requires_replace.push(AttributePath::attribute(which));
            }
        }
    }

    async fn create(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: CreateRequest,
        response: &mut ApplyResponse,
    ) {
        let planned = match FirewallRuleModel::read(&request.planned) {
            Ok(model) => model,
            Err(e) => {
                response.state = Value::Null;
                response
                    .diagnostics
                    .push(e.to_diagnostic("Invalid firewall rule plan"));
                return;
            }
        };
        let create = planned.create_request();
        let client = &ctx.data.client;
        let markers = &ctx.data.markers;
        let options = wait(ctx, TIMEOUT);
        let domain = &create.network_domain_id;
        let entry = firewall_entry(&create.name);
        let journaled = markers
            .journaled_create(
                client,
                domain,
                &entry,
                client.find_firewall_rule(domain, &create.name),
                || client.create_firewall_rule(&create, &options),
            )
            .await;
        let result = match journaled {
            Err(e) => Err(e),
            Ok(Journaled::Created(result)) => result,
            Ok(Journaled::Found {
                asset: rule,
                marked,
            }) => {
                let found = FirewallRuleModel::of_rule(&rule, &Remembered::of(&request.planned));
                let verdict = Found {
                    kind: "firewall rule",
                    resource_type: self.type_name(),
                    identity: format!("named {:?} in network domain {domain}", rule.name),
                    id: &rule.id,
                    import_id: Remembered::of(&request.config).import_id_for(&rule.id),
                    marked,
                    marker_place: MarkerPlace::Journal,
                    differences: planned.differences_from(&found),
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
                        "firewall rule",
                        &rule.id,
                        client.settled_firewall_rule(&rule.id, &options),
                    )
                    .await
            }
        };
        record_create(
            "create the firewall rule",
            result,
            |rule| state_of(rule, &request.planned),
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
        let result = ctx.data.client.get_firewall_rule(&id).await;
        if let Ok(Some(rule)) = &result {
            let entry = firewall_entry(&rule.name);
            let markers = &ctx.data.markers;
            markers
                .forget_recorded(&ctx.data.client, &rule.network_domain_id, &entry)
                .await;
        }
        record_read(
            "read the firewall rule",
            result,
            |rule| state_of(rule, &request.state),
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
            FirewallRuleModel::read(&request.prior),
            FirewallRuleModel::read(&request.planned),
        ) {
            (Ok(prior), Ok(planned)) => (prior, planned),
            (Err(e), _) | (_, Err(e)) => {
                response.state = request.prior.clone();
                response
                    .diagnostics
                    .push(e.to_diagnostic("Invalid firewall rule plan"));
                return;
            }
        };
        if prior.enabled == planned.enabled {
            // Placement changes only matter at creation; they live in state alone.
            return;
        }
        let Some(id) = prior.id else {
            response.state = request.prior.clone();
            response.diagnostics.push(
                Diagnostic::error(
                    "Invalid firewall rule state",
                    "the prior state has no id, so there is no rule to update",
                )
                .at(AttributePath::attribute("id")),
            );
            return;
        };
        match ctx
            .data
            .client
            .set_firewall_rule_enabled(&id, planned.enabled, &wait(ctx, TIMEOUT))
            .await
        {
            Ok(rule) => response.state = state_of(&rule, &request.planned),
            Err(e) => {
                response.state = request.prior.clone();
                response
                    .diagnostics
                    .push(api_error("enable or disable the firewall rule", &e));
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
            .delete_firewall_rule(&id, &wait(ctx, TIMEOUT))
            .await;
        record_delete("delete the firewall rule", result)
    }

    async fn import(
        &self,
        _ctx: &OperationContext<'_, ProviderData>,
        id: &str,
        response: &mut ImportResponse,
    ) {
        let (rest, written) = match scope_options(id) {
            Ok(split) => split,
            Err(rule) => return response.diagnostics.error("Invalid import id", rule),
        };
        match import_state(&self.schema().block, &rest, &IMPORT_OPTIONS) {
            Ok(mut state) => match placement_conflict(&state) {
                Some(conflict) => response
                    .diagnostics
                    .error("Invalid import id", conflict.detail),
                None => {
                    for (which, ip) in written {
                        state.set_attr(which, scope_value(which, &any_block(ip)));
                    }
                    response.state = state;
                }
            },
            Err(diags) => response.diagnostics.append(diags),
        }
    }
}

/// The API cannot report where a rule was placed: an import id may carry the placement the
/// configuration asks for, so the first plan after the import is empty.
const IMPORT_OPTIONS: ImportOptions = ImportOptions {
    settable: &["placement", "relative_to_rule"],
    secrets: &[],
};

/// `placement` and `relative_to_rule` contradicting each other: the attribute to blame and why.
struct PlacementConflict {
    attribute: &'static str,
    summary: &'static str,
    detail: &'static str,
}

/// Why `placement` and `relative_to_rule` of a configuration (or of an imported state, so an
/// accepted import id matches a valid configuration) contradict each other, if they do.
/// Unknown values never conflict, so the value is read raw.
fn placement_conflict(value: &Value) -> Option<PlacementConflict> {
    let placement = value.attr("placement");
    let relative = value.attr("relative_to_rule");
    if placement.is_unknown() || relative.is_unknown() {
        return None;
    }
    match placement.as_str() {
        Some("BEFORE" | "AFTER") if relative.is_null() => Some(PlacementConflict {
            attribute: "placement",
            summary: "Missing attribute",
            detail: "relative_to_rule is required when placement is BEFORE or AFTER",
        }),
        Some("FIRST" | "LAST") | None if !relative.is_null() => Some(PlacementConflict {
            attribute: "relative_to_rule",
            summary: "Invalid attribute combination",
            detail: "relative_to_rule is only used with placement BEFORE or AFTER",
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudcontrol::{FirewallAction, PlacementPosition, Protocol};
    use scope::ScopeBlock;

    fn rule_type() -> tfplugin::Type {
        schema::firewall_rule_schema().block.implied_type()
    }

    /// A rule's plan as Terraform sends it: every attribute, the id unknown.
    fn plan() -> Value {
        let model: FirewallRuleModel = serde_json::from_value(serde_json::json!({
            "id": null, "network_domain_id": "nd-1", "name": "web_in", "action": "DROP",
            "ip_version": "IPV4", "protocol": "TCP", "enabled": true,
            "source": null,
            "destination": {"ip": "10.0.0.5", "prefix_size": null, "port": 443, "port_end": null},
        }))
        .unwrap();
        let base = Value::object([
            ("placement", Value::from("BEFORE")),
            ("relative_to_rule", Value::from("other")),
            ("timeouts", Value::Null),
        ]);
        let mut plan = model.to_state(&base);
        plan.set_attr("id", Value::Unknown);
        plan
    }

    fn api_rule() -> cloudcontrol::FirewallRule {
        serde_json::from_value(serde_json::json!({
            "id": "r-1", "networkDomainId": "nd-1", "name": "web_in", "action": "DROP",
            "ipVersion": "IPV4", "protocol": "TCP",
            "source": {"ip": {"address": "ANY"}},
            "destination": {"ip": {"address": "10.0.0.5"}, "port": {"begin": 443}},
            "enabled": true, "state": "NORMAL"
        }))
        .unwrap()
    }

    #[test]
    fn the_model_fits_the_schema() {
        // Every field the model writes must be an attribute: to_state panics otherwise.
        let plan = plan();
        let state = state_of(&api_rule(), &plan);
        state.check_conforms(&rule_type()).unwrap();
        assert_eq!(state.attr("id").as_str(), Some("r-1"));
        // The API cannot report the placement: state keeps the plan's.
        assert_eq!(state.attr("placement").as_str(), Some("BEFORE"));
        assert_eq!(state.attr("relative_to_rule").as_str(), Some("other"));
        assert!(state.attr("source").is_null());
        assert_eq!(state.attr("destination").attr("port").as_i64(), Some(443));
        let back = FirewallRuleModel::read(&state).unwrap();
        let planned = FirewallRuleModel::read(&plan).unwrap();
        assert_eq!(back.destination, planned.destination);
        assert!(planned.differences_from(&back).is_empty());
    }

    #[test]
    fn the_plan_becomes_the_create_request() {
        let create = FirewallRuleModel::read(&plan()).unwrap().create_request();
        assert_eq!(create.network_domain_id, "nd-1");
        assert_eq!(create.action, FirewallAction::Drop);
        assert_eq!(create.protocol, Protocol::Tcp);
        assert_eq!(create.placement.position, PlacementPosition::Before);
        assert_eq!(create.placement.relative_to_rule.as_deref(), Some("other"));
        assert_eq!(create.source, cloudcontrol::FirewallScope::any());
    }

    #[test]
    fn a_required_attribute_without_a_value_is_an_error_not_a_default() {
        for name in ["network_domain_id", "name", "protocol", "action", "enabled"] {
            let mut plan = plan();
            plan.set_attr(name, Value::Null);
            let err = FirewallRuleModel::read(&plan).unwrap_err();
            assert_eq!(err.path, AttributePath::attribute(name), "{err}");
            assert!(err.message.starts_with("is required"), "{err}");
        }
    }

    #[test]
    fn an_import_id_carries_what_the_api_cannot_report() {
        let config = Value::object([
            ("placement", Value::from("FIRST")),
            ("source", scope_value("source", &any_block("ANY"))),
            ("destination", Value::Null),
        ]);
        assert_eq!(
            Remembered::of(&config).import_id_for("r-1"),
            "r-1,placement=FIRST,source=ANY"
        );
        let imported = scope_value("destination", &any_block("any"));
        let ty = rule_type();
        imported
            .check_conforms(ty.attribute_type("destination").unwrap())
            .unwrap();
        let block: Option<ScopeBlock> = tfplugin::model::from_value(&imported).unwrap();
        assert_eq!(block, Some(any_block("any")));
    }

    #[test]
    fn placement_options_must_agree() {
        let state = |placement: Option<&str>, relative: Option<&str>| {
            Value::object([
                (
                    "placement",
                    placement.map(Value::from).unwrap_or(Value::Null),
                ),
                (
                    "relative_to_rule",
                    relative.map(Value::from).unwrap_or(Value::Null),
                ),
            ])
        };
        let detail = |p, r| placement_conflict(&state(p, r)).map(|c| c.detail);
        assert_eq!(detail(Some("FIRST"), None), None);
        assert_eq!(detail(None, None), None);
        assert_eq!(detail(Some("AFTER"), Some("web")), None);
        assert!(detail(Some("BEFORE"), None).is_some_and(|r| r.contains("required")));
        assert!(detail(None, Some("web")).is_some_and(|r| r.contains("only used")));
    }
}
