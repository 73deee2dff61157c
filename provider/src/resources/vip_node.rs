//! `cloudcontrol_vip_node`: a load-balancer node, one IPv4 or IPv6 address of a network
//! domain that pools balance over.
//!
//! The schema, the typed model that reads plans and writes state, plan-time validation, then
//! the API calls; create, read, update and delete are [`VipResource`]'s.

use std::sync::LazyLock;

use async_trait::async_trait;
use cloudcontrol::{Client, CreateVipNode, EditVipNode, VipNode, WaitOptions, VIP_STATUSES};
use serde::{Deserialize, Serialize};
use tfplugin::model::{from_value, write_into, ModelError};
use tfplugin::provider::{ModifyPlan, OperationContext};
use tfplugin::schema::validators::{int_between, one_of, string_length, Ipv4Address};
use tfplugin::schema::{timeouts_block, Attribute, Block, Schema, TimeoutOp};
use tfplugin::{AttributePath, Diagnostics, Type, Value};

use super::vip_support::{
    check_domain, check_monitors, new_string, node_entry, Ipv6Address, JournalPlace, MonitorUse,
    VipKind, VipResource,
};
use crate::adopt::{differences, Difference};
use crate::provider::ProviderData;
use crate::rules::NameRule;

/// Longest node, pool or member description the API takes.
pub const MAX_VIP_DESCRIPTION_LEN: usize = 255;
/// Longest node or pool name (the API publishes none; the emulator's reading).
pub const MAX_VIP_NAME_LEN: usize = 255;
/// Connection limit range of a node.
pub const CONNECTION_LIMIT: (i64, i64) = (1, 100_000);
/// Connection rate limit range of a node.
pub const CONNECTION_RATE_LIMIT: (i64, i64) = (1, 4_000);

/// The resource's schema: every attribute and its rules.
fn schema() -> Schema {
    Schema::new(
        Block::new()
            .description("A load-balancer node: one IPv4 or IPv6 address in an ADVANCED or ENTERPRISE network domain (usually a server's) that `cloudcontrol_vip_pool_member` puts in pools.\n\nWhere no public client confirms the API, this provider reads it so: names are at most 255 characters; an ESSENTIALS domain is refused (at plan time) and an ENTERPRISE one accepted; two nodes of a domain cannot share an address (`IP_ADDRESS_NOT_UNIQUE`); a node still in a pool cannot be deleted (`HAS_DEPENDENCY`), which Terraform's ordering avoids because members depend on their node; an edit sends every editable field, and removing the health monitor sends `{\"nil\": true}`.")
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
                    .description("Name, unique among the domain's nodes."),
            )
            .attribute(
                Attribute::string("description")
                    .default("")
                    .validator(string_length(0, MAX_VIP_DESCRIPTION_LEN))
                    .description("Description (at most 255 characters); changed in place."),
            )
            .attribute(
                Attribute::string("ipv4_address")
                    .optional()
                    .requires_replace()
                    .validator(Ipv4Address)
                    .description("The node's IPv4 address. Exactly one of `ipv4_address` and `ipv6_address` is set; the address cannot change in place."),
            )
            .attribute(
                Attribute::string("ipv6_address")
                    .optional()
                    .requires_replace()
                    .validator(Ipv6Address)
                    .description("The node's IPv6 address, instead of `ipv4_address`."),
            )
            .attribute(
                Attribute::string("status")
                    .default("ENABLED")
                    .validator(one_of(VIP_STATUSES.iter().copied()))
                    .description("Admin status: `ENABLED`, `DISABLED` (no new connections) or `FORCED_OFFLINE` (no connections at all); changed in place."),
            )
            .attribute(
                Attribute::string("health_monitor_id")
                    .optional()
                    .description("Id of a node-compatible default health monitor (`CCDEFAULT.Icmp`, from the `cloudcontrol_vip_health_monitor` data source); unset for none. Changed in place."),
            )
            .attribute(
                Attribute::number("connection_limit")
                    .default(20_000i64)
                    .validator(int_between(CONNECTION_LIMIT.0, CONNECTION_LIMIT.1))
                    .description("Most concurrent connections to the node (1 to 100000); changed in place."),
            )
            .attribute(
                Attribute::number("connection_rate_limit")
                    .default(2_000i64)
                    .validator(int_between(CONNECTION_RATE_LIMIT.0, CONNECTION_RATE_LIMIT.1))
                    .description("Most new connections per second to the node (1 to 4000); changed in place."),
            )
            .block(timeouts_block(&[TimeoutOp::Create, TimeoutOp::Update, TimeoutOp::Delete])),
    )
}

/// The resource's value type, for writing models into state.
static NODE_TYPE: LazyLock<Type> = LazyLock::new(|| schema().block.implied_type());

/// A `cloudcontrol_vip_node` as Terraform sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VipNodeModel {
    /// Computed: the node's id.
    id: Option<String>,
    network_domain_id: String,
    name: String,
    description: String,
    ipv4_address: Option<String>,
    ipv6_address: Option<String>,
    status: String,
    health_monitor_id: Option<String>,
    connection_limit: i64,
    connection_rate_limit: i64,
}

impl VipNodeModel {
    /// The model of `node` as the API reports it.
    fn of_node(node: &VipNode) -> VipNodeModel {
        VipNodeModel {
            id: Some(node.id.clone()),
            network_domain_id: node.network_domain_id.clone(),
            name: node.name.clone(),
            description: node.description.clone(),
            ipv4_address: node.ipv4_address.clone(),
            ipv6_address: node.ipv6_address.clone(),
            status: node.status.clone(),
            health_monitor_id: node.health_monitor_id().map(str::to_owned),
            connection_limit: i64::from(node.connection_limit),
            connection_rate_limit: i64::from(node.connection_rate_limit),
        }
    }

    /// This model written over `base` (which keeps the timeouts).
    fn to_state(&self, base: &Value) -> Value {
        let mut state = base.clone();
        // The model's fields are the schema's attributes: a mismatch is a provider bug that
        // the unit tests catch.
        write_into(self, &mut state, &NODE_TYPE)
            .unwrap_or_else(|e| panic!("the VIP node model does not fit its schema: {e}"));
        state
    }

    fn create_request(&self) -> CreateVipNode {
        CreateVipNode {
            network_domain_id: self.network_domain_id.clone(),
            name: self.name.clone(),
            description: Some(self.description.clone()).filter(|d| !d.is_empty()),
            ipv4_address: self.ipv4_address.clone(),
            ipv6_address: self.ipv6_address.clone(),
            status: self.status.clone(),
            health_monitor_id: self.health_monitor_id.clone(),
            // The schema's validators keep both within u32.
            connection_limit: self.connection_limit as u32,
            connection_rate_limit: self.connection_rate_limit as u32,
        }
    }

    fn edit(&self) -> EditVipNode {
        EditVipNode {
            description: self.description.clone(),
            status: self.status.clone(),
            health_monitor_id: self.health_monitor_id.clone(),
            connection_limit: self.connection_limit as u32,
            connection_rate_limit: self.connection_rate_limit as u32,
        }
    }
}

/// A node has exactly one address: `ipv4_address` or `ipv6_address` (unknown ones are left
/// to apply time).
fn validate_address(config: &Value, diags: &mut Diagnostics) {
    let (v4, v6) = (config.attr("ipv4_address"), config.attr("ipv6_address"));
    if !v4.is_known() || !v6.is_known() {
        return;
    }
    match (v4.is_null(), v6.is_null()) {
        (true, true) => diags.error_at(
            AttributePath::attribute("ipv4_address"),
            "Missing node address",
            "a node needs exactly one address: set ipv4_address or ipv6_address",
        ),
        (false, false) => diags.error_at(
            AttributePath::attribute("ipv6_address"),
            "Two node addresses",
            "a node has exactly one address: set ipv4_address or ipv6_address, not both",
        ),
        _ => {}
    }
}

/// The API calls and Terraform side of `cloudcontrol_vip_node`.
pub struct VipNodeKind;

/// The `cloudcontrol_vip_node` resource type.
pub type VipNodeResource = VipResource<VipNodeKind>;

#[async_trait]
impl VipKind for VipNodeKind {
    type Api = VipNode;
    type Model = VipNodeModel;

    const TYPE_NAME: &'static str = "cloudcontrol_vip_node";
    const KIND: &'static str = "VIP node";

    fn schema() -> Schema {
        schema()
    }

    fn validate(config: &Value, diags: &mut Diagnostics) {
        validate_address(config, diags);
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
        if let Some(monitor) = new_string(plan, "health_monitor_id") {
            let path = AttributePath::attribute("health_monitor_id");
            check_monitors(
                client,
                domain,
                &[(path, monitor)],
                MonitorUse::Node,
                &mut diags,
            )
            .await;
        }
        plan.diagnostics.extend(diags);
    }

    fn read(value: &Value) -> Result<VipNodeModel, ModelError> {
        from_value(value)
    }

    fn of_api(node: &VipNode, _prior: &Value) -> VipNodeModel {
        VipNodeModel::of_node(node)
    }

    fn to_state(model: &VipNodeModel, base: &Value) -> Value {
        model.to_state(base)
    }

    fn model_id(model: &VipNodeModel) -> Option<&str> {
        model.id.as_deref()
    }

    fn api_id(node: &VipNode) -> &str {
        &node.id
    }

    fn identity(model: &VipNodeModel) -> String {
        format!(
            "named {:?} in network domain {}",
            model.name, model.network_domain_id
        )
    }

    async fn journal_place(
        _client: &Client,
        model: &VipNodeModel,
    ) -> cloudcontrol::Result<Option<JournalPlace>> {
        Ok(Some(JournalPlace {
            domain: model.network_domain_id.clone(),
            entry: node_entry(&model.name),
        }))
    }

    fn journal_place_of(node: &VipNode) -> JournalPlace {
        JournalPlace {
            domain: node.network_domain_id.clone(),
            entry: node_entry(&node.name),
        }
    }

    fn differences(found: &VipNode, planned: &VipNodeModel) -> Vec<Difference> {
        let found = VipNodeModel::of_node(found);
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        differences([
            (
                "ipv4_address",
                text(&found.ipv4_address),
                Some(text(&planned.ipv4_address)),
            ),
            (
                "ipv6_address",
                text(&found.ipv6_address),
                Some(text(&planned.ipv6_address)),
            ),
            (
                "description",
                found.description,
                Some(planned.description.clone()),
            ),
            ("status", found.status, Some(planned.status.clone())),
            (
                "health_monitor_id",
                text(&found.health_monitor_id),
                Some(text(&planned.health_monitor_id)),
            ),
            (
                "connection_limit",
                found.connection_limit.to_string(),
                Some(planned.connection_limit.to_string()),
            ),
            (
                "connection_rate_limit",
                found.connection_rate_limit.to_string(),
                Some(planned.connection_rate_limit.to_string()),
            ),
        ])
    }

    async fn find(client: &Client, model: &VipNodeModel) -> cloudcontrol::Result<Option<VipNode>> {
        client
            .find_vip_node(&model.network_domain_id, &model.name)
            .await
    }

    async fn create(
        client: &Client,
        model: &VipNodeModel,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<VipNode> {
        client.create_vip_node(&model.create_request(), wait).await
    }

    async fn get(client: &Client, id: &str) -> cloudcontrol::Result<Option<VipNode>> {
        client.get_vip_node(id).await
    }

    async fn settled(
        client: &Client,
        id: &str,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<Option<VipNode>> {
        client.settled_vip_node(id, wait).await
    }

    async fn edit(
        client: &Client,
        id: &str,
        model: &VipNodeModel,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<VipNode> {
        client.edit_vip_node(id, &model.edit(), wait).await
    }

    async fn delete(client: &Client, id: &str, wait: &WaitOptions) -> cloudcontrol::Result<()> {
        client.delete_vip_node(id, wait).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> VipNode {
        serde_json::from_value(serde_json::json!({
            "id": "n-1", "networkDomainId": "nd-1", "name": "m1", "description": "",
            "ipv4Address": "10.0.1.10", "status": "ENABLED",
            "healthMonitor": {"id": "hm-icmp", "name": "CCDEFAULT.Icmp"},
            "connectionLimit": 20000, "connectionRateLimit": 2000, "state": "NORMAL"
        }))
        .unwrap()
    }

    #[test]
    fn the_model_fits_the_schema_and_reads_back() {
        let base = Value::object([("timeouts", Value::Null)]);
        let state = VipNodeModel::of_node(&node()).to_state(&base);
        state
            .check_conforms(&schema().block.implied_type())
            .unwrap();
        let model = VipNodeKind::read(&state).unwrap();
        assert_eq!(model, VipNodeModel::of_node(&node()));
        assert_eq!(model.edit().health_monitor_id.as_deref(), Some("hm-icmp"));
        assert!(VipNodeKind::differences(&node(), &model).is_empty());
    }

    fn address_diags(v4: Value, v6: Value) -> Vec<String> {
        let config = Value::object([("ipv4_address", v4), ("ipv6_address", v6)]);
        let mut diags = Diagnostics::new();
        validate_address(&config, &mut diags);
        diags.iter().map(|d| d.summary.clone()).collect()
    }

    #[test]
    fn a_node_has_exactly_one_address() {
        assert!(address_diags(Value::from("10.0.0.1"), Value::Null).is_empty());
        assert!(address_diags(Value::Null, Value::from("2001:db8::1")).is_empty());
        assert_eq!(
            address_diags(Value::Null, Value::Null),
            ["Missing node address"]
        );
        assert_eq!(
            address_diags(Value::from("10.0.0.1"), Value::from("2001:db8::1")),
            ["Two node addresses"]
        );
        assert!(address_diags(Value::Unknown, Value::Null).is_empty());
    }
}
