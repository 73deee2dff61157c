//! Load-balancer pools (`networkDomainVip/pool`): a balancing method over a set of members,
//! with up to two health monitors. The name is fixed at creation; the rest is edited in place.

use super::vip_common::{nil, VipObject, VipWrite};
use super::{at_most_one, IdName};
use crate::client::Client;
use crate::error::Result;
use crate::state::ResourceState;
use crate::wait::{Stateful, WaitOptions};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The balancing methods every source agrees on (libcloud's `LEAST_CONNECTIONS`,
/// `SHORTEST_RESPONSE` and `PERSISTENT_IP` are left out: no other source lists them).
pub const LOAD_BALANCE_METHODS: &[&str] = &[
    "ROUND_ROBIN",
    "LEAST_CONNECTIONS_NODE",
    "LEAST_CONNECTIONS_MEMBER",
    "OBSERVED_NODE",
    "OBSERVED_MEMBER",
    "PREDICTIVE_NODE",
    "PREDICTIVE_MEMBER",
];

/// What happens to the connections of a member that goes down.
pub const SERVICE_DOWN_ACTIONS: &[&str] = &["NONE", "DROP", "RESELECT"];

/// Most health monitors on one pool.
pub const MAX_POOL_HEALTH_MONITORS: usize = 2;

/// A load-balancer pool.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VipPool {
    /// Id.
    pub id: String,
    /// The network domain.
    pub network_domain_id: String,
    /// Datacenter id.
    #[serde(default)]
    pub datacenter_id: String,
    /// Name, unique among the domain's pools.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Balancing method.
    pub load_balance_method: String,
    /// Health monitors (at most two).
    #[serde(default)]
    pub health_monitor: Vec<IdName>,
    /// `NONE`, `DROP` or `RESELECT`.
    pub service_down_action: String,
    /// Seconds over which a new member's share of connections ramps up.
    pub slow_ramp_time: u32,
    /// Creation time.
    #[serde(default)]
    pub create_time: String,
    /// Lifecycle state.
    pub state: ResourceState,
}

impl Stateful for VipPool {
    fn state(&self) -> &ResourceState {
        &self.state
    }
}

impl VipPool {
    /// The ids of the pool's health monitors, in the pool's order.
    pub fn health_monitor_ids(&self) -> Vec<String> {
        self.health_monitor.iter().map(|m| m.id.clone()).collect()
    }
}

/// Request to create a pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateVipPool {
    /// The network domain.
    pub network_domain_id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Balancing method, one of [`LOAD_BALANCE_METHODS`].
    pub load_balance_method: String,
    /// Pool-compatible default health monitors, at most two.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub health_monitor_id: Vec<String>,
    /// One of [`SERVICE_DOWN_ACTIONS`].
    pub service_down_action: String,
    /// Slow ramp time in seconds.
    pub slow_ramp_time: u32,
}

/// What an edit gives a pool; every editable field is sent, so the pool ends up holding
/// exactly this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditVipPool {
    /// Description.
    pub description: String,
    /// Balancing method.
    pub load_balance_method: String,
    /// Health monitors; empty removes them all.
    pub health_monitor_id: Vec<String>,
    /// Service-down action.
    pub service_down_action: String,
    /// Slow ramp time in seconds.
    pub slow_ramp_time: u32,
}

impl EditVipPool {
    /// The request body: no monitors are sent as the API's clearing value.
    fn body(&self, id: &str) -> Value {
        let monitors = if self.health_monitor_id.is_empty() {
            nil()
        } else {
            json!(self.health_monitor_id)
        };
        json!({
            "id": id,
            "description": self.description,
            "loadBalanceMethod": self.load_balance_method,
            "healthMonitorId": monitors,
            "serviceDownAction": self.service_down_action,
            "slowRampTime": self.slow_ramp_time,
        })
    }

    /// Whether `pool` already holds this edit.
    fn is_held_by(&self, pool: &VipPool) -> bool {
        pool.description == self.description
            && pool.load_balance_method == self.load_balance_method
            && pool.health_monitor_ids() == self.health_monitor_id
            && pool.service_down_action == self.service_down_action
            && pool.slow_ramp_time == self.slow_ramp_time
    }
}

impl VipObject for VipPool {
    const KIND: &'static str = "VIP pool";
    const COLLECTION: &'static str = "pool";
    const CREATE: (VipWrite, &'static str) = (
        VipWrite {
            path: "createPool",
            operation: "CREATE_POOL",
        },
        "poolId",
    );
    const EDIT: VipWrite = VipWrite {
        path: "editPool",
        operation: "EDIT_POOL",
    };
    const DELETE: VipWrite = VipWrite {
        path: "deletePool",
        operation: "DELETE_POOL",
    };

    fn id(&self) -> &str {
        &self.id
    }
}

impl Client {
    /// One pool, or `None` when it does not exist.
    pub async fn get_vip_pool(&self, id: &str) -> Result<Option<VipPool>> {
        self.get_vip(id).await
    }

    /// Every pool of a network domain.
    pub async fn list_vip_pools(&self, network_domain_id: &str) -> Result<Vec<VipPool>> {
        self.list_vip(&[("networkDomainId", network_domain_id)])
            .await
    }

    /// The pool of a network domain named `name`, if there is one.
    pub async fn find_vip_pool(
        &self,
        network_domain_id: &str,
        name: &str,
    ) -> Result<Option<VipPool>> {
        let found: Vec<VipPool> = self
            .list_vip(&[("networkDomainId", network_domain_id), ("name", name)])
            .await?
            .into_iter()
            .filter(|p: &VipPool| p.name == name && !p.state.is_leaving())
            .collect();
        at_most_one(VipPool::KIND, found, || {
            format!("name {name:?} in network domain {network_domain_id}")
        })
    }

    /// Creates a pool and returns it.
    ///
    /// Call it only when the domain has no pool of that name ([`Client::find_vip_pool`]):
    /// when the request gets no answer, the pool found under that name is taken as this one.
    pub async fn create_vip_pool(
        &self,
        request: &CreateVipPool,
        wait: &WaitOptions,
    ) -> Result<VipPool> {
        self.create_vip(
            request,
            || self.find_vip_pool(&request.network_domain_id, &request.name),
            wait,
        )
        .await
    }

    /// Edits a pool in place and returns it once it holds the edit.
    pub async fn edit_vip_pool(
        &self,
        id: &str,
        edit: &EditVipPool,
        wait: &WaitOptions,
    ) -> Result<VipPool> {
        self.edit_vip(id, &edit.body(id), |p| edit.is_held_by(p), wait)
            .await
    }

    /// The pool once no operation is running on it, or `None` when it does not exist.
    pub async fn settled_vip_pool(&self, id: &str, wait: &WaitOptions) -> Result<Option<VipPool>> {
        self.settled_vip(id, wait).await
    }

    /// Deletes a pool (one already gone is fine). The API refuses while it has members or a
    /// virtual listener uses it.
    pub async fn delete_vip_pool(&self, id: &str, wait: &WaitOptions) -> Result<()> {
        self.delete_vip::<VipPool>(id, wait).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_pool_in_the_recorded_shape() {
        let body = r#"{"id":"p-1","datacenterId":"NA9","networkDomainId":"nd-1","name":"web",
            "description":"","loadBalanceMethod":"ROUND_ROBIN",
            "healthMonitor":[{"id":"hm-1","name":"CCDEFAULT.Http"},{"id":"hm-2","name":"CCDEFAULT.Tcp"}],
            "serviceDownAction":"RESELECT","slowRampTime":10,"state":"NORMAL","createTime":"2015-06-04T09:15:07.000Z"}"#;
        let pool: VipPool = serde_json::from_str(body).unwrap();
        assert_eq!(pool.health_monitor_ids(), ["hm-1", "hm-2"]);
        assert_eq!(pool.slow_ramp_time, 10);
    }

    #[test]
    fn an_edit_sends_every_field_and_clears_monitors_with_nil() {
        let mut edit = EditVipPool {
            description: String::new(),
            load_balance_method: "ROUND_ROBIN".into(),
            health_monitor_id: Vec::new(),
            service_down_action: "NONE".into(),
            slow_ramp_time: 0,
        };
        assert_eq!(
            edit.body("p-1"),
            json!({"id": "p-1", "description": "", "loadBalanceMethod": "ROUND_ROBIN",
                   "healthMonitorId": {"nil": true}, "serviceDownAction": "NONE", "slowRampTime": 0})
        );
        edit.health_monitor_id = vec!["hm-1".into()];
        assert_eq!(edit.body("p-1")["healthMonitorId"], json!(["hm-1"]));
    }
}
