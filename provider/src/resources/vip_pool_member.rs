//! `cloudcontrol_vip_pool_member`: a node in a pool, on one port or on any port.
//!
//! The schema, the typed model that reads plans and writes state, the plan-time check (node
//! and pool in one network domain), then the API calls; create, read, update and delete are
//! [`VipResource`]'s. Only the status changes in place.

use std::sync::LazyLock;

use async_trait::async_trait;
use cloudcontrol::{AddVipPoolMember, Client, VipPoolMember, WaitOptions, VIP_STATUSES};
use serde::{Deserialize, Serialize};
use tfplugin::model::{from_value, write_into, ModelError};
use tfplugin::provider::{ModifyPlan, OperationContext};
use tfplugin::schema::validators::{int_between, one_of};
use tfplugin::schema::{timeouts_block, Attribute, Block, Schema, TimeoutOp};
use tfplugin::{AttributePath, Diagnostics, Type, Value};

use super::vip_support::{member_entry, new_string, JournalPlace, VipKind, VipResource};
use crate::adopt::{differences, Difference};
use crate::provider::ProviderData;

/// The resource's schema: every attribute and its rules.
fn schema() -> Schema {
    let computed = |name: &str, description: &str| {
        Attribute::string(name)
            .computed()
            .use_state_for_unknown()
            .description(description)
    };
    Schema::new(
        Block::new()
            .description("A member of a load-balancer pool: a `cloudcontrol_vip_node` of the pool's network domain, on one port or on any port. A node can be in several pools, and in one pool on several ports.\n\nA node of another network domain than the pool's is refused at plan time when both exist, and when Terraform plans the member again with the node's id in the apply that creates the node; the API refuses it too (`INVALID_INPUT_DATA` on `nodeId`, this provider's reading: no public client records the code). The same node twice on one port (or twice on any port) of a pool is refused, and a pool holds at most 100 members (`EXCEEDS_LIMIT`).")
            .attribute(Attribute::id())
            .attribute(
                Attribute::string("pool_id")
                    .required()
                    .requires_replace()
                    .description("Id of the pool."),
            )
            .attribute(
                Attribute::string("node_id")
                    .required()
                    .requires_replace()
                    .description("Id of the node; it must be in the pool's network domain."),
            )
            .attribute(
                Attribute::number("port")
                    .optional()
                    .requires_replace()
                    .validator(int_between(1, 65_535))
                    .description("The node's port that connections go to (1 to 65535); unset for the port each connection came in on (any port)."),
            )
            .attribute(
                Attribute::string("status")
                    .default("ENABLED")
                    .validator(one_of(VIP_STATUSES.iter().copied()))
                    .description("Admin status: `ENABLED`, `DISABLED` (no new connections) or `FORCED_OFFLINE` (no connections at all); the only attribute changed in place."),
            )
            .attribute(computed("network_domain_id", "The network domain of the pool and the node."))
            .attribute(computed("pool_name", "The pool's name."))
            .attribute(computed("node_name", "The node's name."))
            .attribute(computed("node_ip_address", "The node's address."))
            .block(timeouts_block(&[TimeoutOp::Create, TimeoutOp::Update, TimeoutOp::Delete])),
    )
}

/// The resource's value type, for writing models into state.
static MEMBER_TYPE: LazyLock<Type> = LazyLock::new(|| schema().block.implied_type());

/// A `cloudcontrol_vip_pool_member` as Terraform sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VipPoolMemberModel {
    /// Computed: the member's id.
    id: Option<String>,
    pool_id: String,
    node_id: String,
    port: Option<i64>,
    status: String,
    /// Computed: unknown until created.
    network_domain_id: Option<String>,
    pool_name: Option<String>,
    node_name: Option<String>,
    node_ip_address: Option<String>,
}

impl VipPoolMemberModel {
    /// The model of `member` as the API reports it.
    fn of_member(member: &VipPoolMember) -> VipPoolMemberModel {
        VipPoolMemberModel {
            id: Some(member.id.clone()),
            pool_id: member.pool.id.clone(),
            node_id: member.node.id.clone(),
            port: member.port.map(i64::from),
            status: member.status.clone(),
            network_domain_id: Some(member.network_domain_id.clone()),
            pool_name: Some(member.pool.name.clone()),
            node_name: Some(member.node.name.clone()),
            node_ip_address: Some(member.node.ip_address.clone()),
        }
    }

    /// This model written over `base` (which keeps the timeouts).
    fn to_state(&self, base: &Value) -> Value {
        let mut state = base.clone();
        // The model's fields are the schema's attributes: a mismatch is a provider bug that
        // the unit tests catch.
        write_into(self, &mut state, &MEMBER_TYPE)
            .unwrap_or_else(|e| panic!("the VIP pool member model does not fit its schema: {e}"));
        state
    }

    /// The port as the API takes it (the schema's validator keeps it within 1..=65535).
    fn api_port(&self) -> Option<u16> {
        self.port.map(|p| p as u16)
    }

    fn add_request(&self) -> AddVipPoolMember {
        AddVipPoolMember {
            pool_id: self.pool_id.clone(),
            node_id: self.node_id.clone(),
            port: self.api_port(),
            status: self.status.clone(),
        }
    }
}

/// Refuses, at `node_id`, a node of another network domain than the pool's, when both can be
/// read now (the API refuses it with `INVALID_INPUT_DATA` otherwise).
async fn check_same_domain(client: &Client, pool_id: &str, node_id: &str, diags: &mut Diagnostics) {
    let (Ok(Some(pool)), Ok(Some(node))) = (
        client.get_vip_pool(pool_id).await,
        client.get_vip_node(node_id).await,
    ) else {
        return;
    };
    if pool.network_domain_id != node.network_domain_id {
        diags.error_at(
            AttributePath::attribute("node_id"),
            "Node and pool in different network domains",
            format!(
                "node {} is in network domain {} and pool {} in {}; a pool's members are nodes of its own network domain",
                node.name, node.network_domain_id, pool.name, pool.network_domain_id
            ),
        );
    }
}

/// The API calls and Terraform side of `cloudcontrol_vip_pool_member`.
pub struct VipPoolMemberKind;

/// The `cloudcontrol_vip_pool_member` resource type.
pub type VipPoolMemberResource = VipResource<VipPoolMemberKind>;

#[async_trait]
impl VipKind for VipPoolMemberKind {
    type Api = VipPoolMember;
    type Model = VipPoolMemberModel;

    const TYPE_NAME: &'static str = "cloudcontrol_vip_pool_member";
    const KIND: &'static str = "VIP pool member";

    fn schema() -> Schema {
        schema()
    }

    fn validate(_config: &Value, _diags: &mut Diagnostics) {
        // The schema's validators cover what a configuration alone can tell.
    }

    async fn check_plan(ctx: &OperationContext<'_, ProviderData>, plan: &mut ModifyPlan) {
        // Only a new member, or one replaced onto another pool or node, needs the check.
        if new_string(plan, "pool_id").is_none() && new_string(plan, "node_id").is_none() {
            return;
        }
        let (Some(pool_id), Some(node_id)) = (
            plan.planned.attr("pool_id").as_str(),
            plan.planned.attr("node_id").as_str(),
        ) else {
            return;
        };
        let mut diags = Diagnostics::new();
        check_same_domain(&ctx.data.client, pool_id, node_id, &mut diags).await;
        plan.diagnostics.extend(diags);
    }

    fn read(value: &Value) -> Result<VipPoolMemberModel, ModelError> {
        from_value(value)
    }

    fn of_api(member: &VipPoolMember, _prior: &Value) -> VipPoolMemberModel {
        VipPoolMemberModel::of_member(member)
    }

    fn to_state(model: &VipPoolMemberModel, base: &Value) -> Value {
        model.to_state(base)
    }

    fn model_id(model: &VipPoolMemberModel) -> Option<&str> {
        model.id.as_deref()
    }

    fn api_id(member: &VipPoolMember) -> &str {
        &member.id
    }

    fn identity(model: &VipPoolMemberModel) -> String {
        let port = model
            .port
            .map_or("any port".to_owned(), |p| format!("port {p}"));
        format!(
            "for node {} on {port} in pool {}",
            model.node_id, model.pool_id
        )
    }

    async fn journal_place(
        client: &Client,
        model: &VipPoolMemberModel,
    ) -> cloudcontrol::Result<Option<JournalPlace>> {
        // The member's create is journaled in its pool's network domain.
        Ok(client
            .get_vip_pool(&model.pool_id)
            .await?
            .map(|pool| JournalPlace {
                domain: pool.network_domain_id,
                entry: member_entry(&model.pool_id, &model.node_id, model.api_port()),
            }))
    }

    fn journal_place_of(member: &VipPoolMember) -> JournalPlace {
        JournalPlace {
            domain: member.network_domain_id.clone(),
            entry: member_entry(&member.pool.id, &member.node.id, member.port),
        }
    }

    fn differences(found: &VipPoolMember, planned: &VipPoolMemberModel) -> Vec<Difference> {
        differences([("status", found.status.clone(), Some(planned.status.clone()))])
    }

    async fn find(
        client: &Client,
        model: &VipPoolMemberModel,
    ) -> cloudcontrol::Result<Option<VipPoolMember>> {
        client
            .find_vip_pool_member(&model.pool_id, &model.node_id, model.api_port())
            .await
    }

    async fn create(
        client: &Client,
        model: &VipPoolMemberModel,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<VipPoolMember> {
        client.add_vip_pool_member(&model.add_request(), wait).await
    }

    async fn get(client: &Client, id: &str) -> cloudcontrol::Result<Option<VipPoolMember>> {
        client.get_vip_pool_member(id).await
    }

    async fn settled(
        client: &Client,
        id: &str,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<Option<VipPoolMember>> {
        client.settled_vip_pool_member(id, wait).await
    }

    async fn edit(
        client: &Client,
        id: &str,
        model: &VipPoolMemberModel,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<VipPoolMember> {
        client.edit_vip_pool_member(id, &model.status, wait).await
    }

    async fn delete(client: &Client, id: &str, wait: &WaitOptions) -> cloudcontrol::Result<()> {
        client.remove_vip_pool_member(id, wait).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_fits_the_schema_and_reads_back() {
        let member: VipPoolMember = serde_json::from_value(serde_json::json!({
            "id": "m-1", "networkDomainId": "nd-1", "pool": {"id": "p-1", "name": "marathon"},
            "node": {"id": "n-1", "name": "m1", "ipAddress": "10.0.1.10", "status": "ENABLED"},
            "status": "ENABLED", "state": "NORMAL"
        }))
        .unwrap();
        let base = Value::object([("timeouts", Value::Null)]);
        let state = VipPoolMemberModel::of_member(&member).to_state(&base);
        state
            .check_conforms(&schema().block.implied_type())
            .unwrap();
        assert!(state.attr("port").is_null(), "any port is an unset port");
        let model = VipPoolMemberKind::read(&state).unwrap();
        assert_eq!(model.add_request().port, None);
        assert_eq!(
            VipPoolMemberKind::identity(&model),
            "for node n-1 on any port in pool p-1"
        );
    }
}
