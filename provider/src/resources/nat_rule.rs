//! `cloudcontrol_nat_rule`: a 1:1 NAT from a public IPv4 address of the network domain to a
//! private address.

use std::time::Duration;

use async_trait::async_trait;
use cloudcontrol::{CreateNatRule, NatRule};
use tfplugin::provider::{
    ApplyResponse, CreateRequest, DeleteRequest, OperationContext, ReadRequest, ReadResponse,
    Resource, UpdateRequest,
};
use tfplugin::schema::validators::Ipv4Address;
use tfplugin::schema::{timeouts_block, Attribute, Block, Schema, TimeoutOp};
use tfplugin::{Diagnostics, Value};

use crate::adopt::{differences, vanished, Found, MarkerPlace};
use crate::marker::{nat_entry, outcome_is_known, Journaled};
use crate::provider::ProviderData;
use crate::support::{api_error, record_create, record_read, string, wait};

/// The `cloudcontrol_nat_rule` resource type.
pub struct NatRuleResource;

const TIMEOUT: Duration = Duration::from_secs(5 * 60);

#[async_trait]
impl Resource<ProviderData> for NatRuleResource {
    fn type_name(&self) -> &str {
        "cloudcontrol_nat_rule"
    }

    fn schema(&self) -> Schema {
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

    async fn create(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: CreateRequest,
        response: &mut ApplyResponse,
    ) {
        let planned = &request.planned;
        let client = &ctx.data.client;
        let markers = &ctx.data.markers;
        let options = wait(ctx, TIMEOUT);
        let create = CreateNatRule {
            network_domain_id: string(planned, "network_domain_id").unwrap_or_default(),
            internal_ip: string(planned, "internal_ipv4").unwrap_or_default(),
            external_ip: string(planned, "external_ipv4"),
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
                tracing::info!(
                    id = rule.id,
                    "taking over the NAT rule an interrupted apply left"
                );
                let result = client
                    .settled_nat_rule(&rule.id, &options)
                    .await
                    .and_then(|r| r.ok_or_else(|| vanished("NAT rule", &rule.id)));
                if outcome_is_known(&result) {
                    markers.finish(domain, &entry).await;
                }
                result
            }
        };
        record_create(
            "create the NAT rule",
            result,
            |rule| to_state(rule, planned),
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
        let mut diags = Diagnostics::new();
        let id = string(&request.prior, "id").unwrap_or_default();
        if let Err(e) = ctx
            .data
            .client
            .delete_nat_rule(&id, &wait(ctx, TIMEOUT))
            .await
        {
            if !e.is_not_found() {
                diags.push(api_error("delete the NAT rule", &e));
            }
        }
        diags
    }
}

/// The state of `rule`, keeping what the API does not report (timeouts) from `base`.
fn to_state(rule: &NatRule, base: &Value) -> Value {
    let mut state = base.clone();
    state.set_attr("id", rule.id.as_str());
    state.set_attr("network_domain_id", rule.network_domain_id.as_str());
    state.set_attr("internal_ipv4", rule.internal_ip.as_str());
    state.set_attr("external_ipv4", rule.external_ip.as_str());
    state
}
