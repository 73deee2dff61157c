//! `cloudcontrol_vip_pool`: a load-balancer pool, the balancing method and health monitors
//! over the members `cloudcontrol_vip_pool_member` adds.
//!
//! The schema, the typed model that reads plans and writes state, plan-time validation, then
//! the API calls; create, read, update and delete are [`VipResource`]'s.

use std::sync::LazyLock;

use async_trait::async_trait;
use cloudcontrol::{
    Client, CreateVipPool, EditVipPool, VipPool, WaitOptions, LOAD_BALANCE_METHODS,
    MAX_POOL_HEALTH_MONITORS, SERVICE_DOWN_ACTIONS,
};
use serde::{Deserialize, Serialize};
use tfplugin::model::{from_value, write_into, ModelError};
use tfplugin::provider::{ModifyPlan, OperationContext};
use tfplugin::schema::validators::{int_between, one_of, string_length};
use tfplugin::schema::{timeouts_block, Attribute, Block, Schema, TimeoutOp};
use tfplugin::{AttributePath, Diagnostics, Type, Value};

use super::vip_node::{MAX_VIP_DESCRIPTION_LEN, MAX_VIP_NAME_LEN};
use super::vip_support::{
    check_domain, check_monitors, new_string, pool_entry, JournalPlace, MonitorUse, VipKind,
    VipResource,
};
use crate::adopt::{differences, Difference};
use crate::provider::ProviderData;
use crate::rules::NameRule;

/// Slow ramp time range in seconds (no source publishes one; the emulator's reading).
pub const SLOW_RAMP_TIME: (i64, i64) = (0, 3_600);

/// The resource's schema: every attribute and its rules.
fn schema() -> Schema {
    Schema::new(
        Block::new()
            .description("A load-balancer pool of an ADVANCED or ENTERPRISE network domain: how connections are spread over its members (`cloudcontrol_vip_pool_member`) and how they are health-checked.\n\nWhere no public client confirms the API, this provider reads it so: `slow_ramp_time` is a whole number of seconds from 0 to 3600; the balancing methods are the seven every source lists (libcloud's `LEAST_CONNECTIONS`, `SHORTEST_RESPONSE` and `PERSISTENT_IP` are refused at plan time); names are at most 255 characters; an edit sends every editable field (never `null`), and removing all monitors sends `{\"nil\": true}`; a pool with members or used by a virtual listener cannot be deleted (`HAS_DEPENDENCY`).")
            .attribute(Attribute::id())
            .attribute(
                Attribute::string("network_domain_id")
                    .required()
                    .requires_replace()
                    .description("Id of the network domain (ADVANCED or ENTERPRISE)."),
            )
            .attribute(
                Attribute::string("name")
                    .required()
                    .requires_replace()
                    .validator(NameRule(MAX_VIP_NAME_LEN))
                    .description("Name, unique among the domain's pools."),
            )
            .attribute(
                Attribute::string("description")
                    .default("")
                    .validator(string_length(0, MAX_VIP_DESCRIPTION_LEN))
                    .description("Description (at most 255 characters); changed in place."),
            )
            .attribute(
                Attribute::string("load_balance_method")
                    .default("ROUND_ROBIN")
                    .validator(one_of(LOAD_BALANCE_METHODS.iter().copied()))
                    .description("How connections are spread: `ROUND_ROBIN`, `LEAST_CONNECTIONS_NODE`, `LEAST_CONNECTIONS_MEMBER`, `OBSERVED_NODE`, `OBSERVED_MEMBER`, `PREDICTIVE_NODE` or `PREDICTIVE_MEMBER`; changed in place."),
            )
            .attribute(
                Attribute::list("health_monitor_ids", Type::String)
                    .optional()
                    .description("Ids of up to two different pool-compatible default health monitors (`CCDEFAULT.Http`, `.Https`, `.Tcp`, `.TcpHalfOpen`, `.Udp`, from the `cloudcontrol_vip_health_monitor` data source); changed in place."),
            )
            .attribute(
                Attribute::string("service_down_action")
                    .default("NONE")
                    .validator(one_of(SERVICE_DOWN_ACTIONS.iter().copied()))
                    .description("What happens to the connections of a member that goes down: `NONE`, `DROP` or `RESELECT`; changed in place."),
            )
            .attribute(
                Attribute::number("slow_ramp_time")
                    .default(10i64)
                    .validator(int_between(SLOW_RAMP_TIME.0, SLOW_RAMP_TIME.1))
                    .description("Seconds over which a new member's share of connections ramps up (0 to 3600); changed in place."),
            )
            .block(timeouts_block(&[TimeoutOp::Create, TimeoutOp::Update, TimeoutOp::Delete])),
    )
}

/// The resource's value type, for writing models into state.
static POOL_TYPE: LazyLock<Type> = LazyLock::new(|| schema().block.implied_type());

/// A `cloudcontrol_vip_pool` as Terraform sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VipPoolModel {
    /// Computed: the pool's id.
    id: Option<String>,
    network_domain_id: String,
    name: String,
    description: String,
    load_balance_method: String,
    health_monitor_ids: Option<Vec<String>>,
    service_down_action: String,
    slow_ramp_time: i64,
}

impl VipPoolModel {
    /// The model of `pool` as the API reports it; `health_monitor_ids` stays unset when the
    /// pool has no monitors and the prior state left it unset.
    fn of_pool(pool: &VipPool, prior: &Value) -> VipPoolModel {
        let monitors = pool.health_monitor_ids();
        let unset = prior.attr("health_monitor_ids").is_null() && monitors.is_empty();
        VipPoolModel {
            id: Some(pool.id.clone()),
            network_domain_id: pool.network_domain_id.clone(),
            name: pool.name.clone(),
            description: pool.description.clone(),
            load_balance_method: pool.load_balance_method.clone(),
            health_monitor_ids: (!unset).then_some(monitors),
            service_down_action: pool.service_down_action.clone(),
            slow_ramp_time: i64::from(pool.slow_ramp_time),
        }
    }

    /// This model written over `base` (which keeps the timeouts).
    fn to_state(&self, base: &Value) -> Value {
        let mut state = base.clone();
        // The model's fields are the schema's attributes: a mismatch is a provider bug that
        // the unit tests catch.
        write_into(self, &mut state, &POOL_TYPE)
            .unwrap_or_else(|e| panic!("the VIP pool model does not fit its schema: {e}"));
        state
    }

    fn monitors(&self) -> Vec<String> {
        self.health_monitor_ids.clone().unwrap_or_default()
    }

    fn create_request(&self) -> CreateVipPool {
        CreateVipPool {
            network_domain_id: self.network_domain_id.clone(),
            name: self.name.clone(),
            description: Some(self.description.clone()).filter(|d| !d.is_empty()),
            load_balance_method: self.load_balance_method.clone(),
            health_monitor_id: self.monitors(),
            service_down_action: self.service_down_action.clone(),
            // The schema's validator keeps it within 0..=3600.
            slow_ramp_time: self.slow_ramp_time as u32,
        }
    }

    fn edit(&self) -> EditVipPool {
        EditVipPool {
            description: self.description.clone(),
            load_balance_method: self.load_balance_method.clone(),
            health_monitor_id: self.monitors(),
            service_down_action: self.service_down_action.clone(),
            slow_ramp_time: self.slow_ramp_time as u32,
        }
    }
}

/// A pool has at most two health monitors, each once.
fn validate_monitors(config: &Value, diags: &mut Diagnostics) {
    let monitors = config.attr("health_monitor_ids").elements();
    let path = AttributePath::attribute("health_monitor_ids");
    if monitors.len() > MAX_POOL_HEALTH_MONITORS {
        diags.error_at(
            path.clone(),
            "Too many health monitors",
            format!(
                "{} health monitors; a pool has at most {MAX_POOL_HEALTH_MONITORS}",
                monitors.len()
            ),
        );
    }
    for (i, monitor) in monitors.iter().enumerate() {
        if monitor.is_known() && !monitor.is_null() && monitors[..i].contains(monitor) {
            diags.error_at(
                path.clone().index(i as i64),
                "Repeated health monitor",
                format!("health_monitor_ids[{i}] repeats an earlier monitor; a pool's monitors must differ"),
            );
        }
    }
}

/// The API calls and Terraform side of `cloudcontrol_vip_pool`.
pub struct VipPoolKind;

/// The `cloudcontrol_vip_pool` resource type.
pub type VipPoolResource = VipResource<VipPoolKind>;

#[async_trait]
impl VipKind for VipPoolKind {
    type Api = VipPool;
    type Model = VipPoolModel;

    const TYPE_NAME: &'static str = "cloudcontrol_vip_pool";
    const KIND: &'static str = "VIP pool";

    fn schema() -> Schema {
        schema()
    }

    fn validate(config: &Value, diags: &mut Diagnostics) {
        validate_monitors(config, diags);
    }

    async fn check_plan(ctx: &OperationContext<'_, ProviderData>, plan: &mut ModifyPlan) {
        let Some(domain) = plan.planned.attr("network_domain_id").as_str() else {
            return;
        };
        let client = &ctx.data.client;
        let mut diags = Diagnostics::new();
        // A new object, or a replacement in another domain.
        if new_string(plan, "network_domain_id").is_some() {
            let path = AttributePath::attribute("network_domain_id");
            check_domain(client, domain, path, &mut diags).await;
        }
        let planned = plan.planned.attr("health_monitor_ids");
        if planned != plan.prior.attr("health_monitor_ids") {
            let monitors: Vec<(AttributePath, &str)> = planned
                .elements()
                .iter()
                .enumerate()
                .filter_map(|(i, m)| {
                    let path = AttributePath::attribute("health_monitor_ids").index(i as i64);
                    m.as_str().map(|id| (path, id))
                })
                .collect();
            check_monitors(client, domain, &monitors, MonitorUse::Pool, &mut diags).await;
        }
        plan.diagnostics.extend(diags);
    }

    fn read(value: &Value) -> Result<VipPoolModel, ModelError> {
        from_value(value)
    }

    fn of_api(pool: &VipPool, prior: &Value) -> VipPoolModel {
        VipPoolModel::of_pool(pool, prior)
    }

    fn to_state(model: &VipPoolModel, base: &Value) -> Value {
        model.to_state(base)
    }

    fn model_id(model: &VipPoolModel) -> Option<&str> {
        model.id.as_deref()
    }

    fn api_id(pool: &VipPool) -> &str {
        &pool.id
    }

    fn identity(model: &VipPoolModel) -> String {
        format!(
            "named {:?} in network domain {}",
            model.name, model.network_domain_id
        )
    }

    async fn journal_place(
        _client: &Client,
        model: &VipPoolModel,
    ) -> cloudcontrol::Result<Option<JournalPlace>> {
        Ok(Some(JournalPlace {
            domain: model.network_domain_id.clone(),
            entry: pool_entry(&model.name),
        }))
    }

    fn journal_place_of(pool: &VipPool) -> JournalPlace {
        JournalPlace {
            domain: pool.network_domain_id.clone(),
            entry: pool_entry(&pool.name),
        }
    }

    fn differences(found: &VipPool, planned: &VipPoolModel) -> Vec<Difference> {
        let found = VipPoolModel::of_pool(found, &Value::Null);
        differences([
            (
                "description",
                found.description.clone(),
                Some(planned.description.clone()),
            ),
            (
                "load_balance_method",
                found.load_balance_method.clone(),
                Some(planned.load_balance_method.clone()),
            ),
            (
                "health_monitor_ids",
                found.monitors().join(","),
                Some(planned.monitors().join(",")),
            ),
            (
                "service_down_action",
                found.service_down_action.clone(),
                Some(planned.service_down_action.clone()),
            ),
            (
                "slow_ramp_time",
                found.slow_ramp_time.to_string(),
                Some(planned.slow_ramp_time.to_string()),
            ),
        ])
    }

    async fn find(client: &Client, model: &VipPoolModel) -> cloudcontrol::Result<Option<VipPool>> {
        client
            .find_vip_pool(&model.network_domain_id, &model.name)
            .await
    }

    async fn create(
        client: &Client,
        model: &VipPoolModel,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<VipPool> {
        client.create_vip_pool(&model.create_request(), wait).await
    }

    async fn get(client: &Client, id: &str) -> cloudcontrol::Result<Option<VipPool>> {
        client.get_vip_pool(id).await
    }

    async fn settled(
        client: &Client,
        id: &str,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<Option<VipPool>> {
        client.settled_vip_pool(id, wait).await
    }

    async fn edit(
        client: &Client,
        id: &str,
        model: &VipPoolModel,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<VipPool> {
        client.edit_vip_pool(id, &model.edit(), wait).await
    }

    async fn delete(client: &Client, id: &str, wait: &WaitOptions) -> cloudcontrol::Result<()> {
        client.delete_vip_pool(id, wait).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(monitors: serde_json::Value) -> VipPool {
        serde_json::from_value(serde_json::json!({
            "id": "p-1", "networkDomainId": "nd-1", "name": "marathon", "description": "",
            "loadBalanceMethod": "ROUND_ROBIN", "healthMonitor": monitors,
            "serviceDownAction": "NONE", "slowRampTime": 10, "state": "NORMAL"
        }))
        .unwrap()
    }

    #[test]
    fn the_model_fits_the_schema_and_keeps_unset_monitors_unset() {
        let base = Value::object([("timeouts", Value::Null)]);
        let state = VipPoolModel::of_pool(&pool(serde_json::json!([])), &base).to_state(&base);
        state
            .check_conforms(&schema().block.implied_type())
            .unwrap();
        assert!(state.attr("health_monitor_ids").is_null());
        let with = pool(serde_json::json!([{"id": "hm-http", "name": "CCDEFAULT.Http"}]));
        let model = VipPoolModel::of_pool(&with, &state);
        assert_eq!(model.health_monitor_ids, Some(vec!["hm-http".to_owned()]));
        assert_eq!(
            VipPoolKind::differences(&with, &model),
            Vec::<Difference>::new()
        );
    }

    #[test]
    fn monitors_are_at_most_two_and_different() {
        let check = |ids: &[&str]| {
            let config = Value::object([(
                "health_monitor_ids",
                Value::list(ids.iter().map(|id| Value::from(*id))),
            )]);
            let mut diags = Diagnostics::new();
            validate_monitors(&config, &mut diags);
            diags.iter().map(|d| d.summary.clone()).collect::<Vec<_>>()
        };
        assert!(check(&["a", "b"]).is_empty());
        assert_eq!(check(&["a", "a"]), ["Repeated health monitor"]);
        assert_eq!(check(&["a", "b", "c"]), ["Too many health monitors"]);
    }
}
