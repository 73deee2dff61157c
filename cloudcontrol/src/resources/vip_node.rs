//! Load-balancer nodes (`networkDomainVip/node`): a named IPv4 or IPv6 address in a network
//! domain that pools balance over. Name and address are fixed at creation; description,
//! status, health monitor and connection limits are edited in place.

use super::vip_common::{nil, VipObject, VipWrite};
use super::{at_most_one, IdName};
use crate::client::Client;
use crate::error::Result;
use crate::state::ResourceState;
use crate::wait::{Stateful, WaitOptions};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A load-balancer node.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VipNode {
    /// Id.
    pub id: String,
    /// The network domain.
    pub network_domain_id: String,
    /// Datacenter id.
    #[serde(default)]
    pub datacenter_id: String,
    /// Name, unique among the domain's nodes.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// The node's IPv4 address (a node has this or an IPv6 one).
    #[serde(default)]
    pub ipv4_address: Option<String>,
    /// The node's IPv6 address.
    #[serde(default)]
    pub ipv6_address: Option<String>,
    /// Admin status: `ENABLED`, `DISABLED` or `FORCED_OFFLINE`.
    pub status: String,
    /// The node health monitor, absent when there is none.
    #[serde(default)]
    pub health_monitor: Option<IdName>,
    /// Most concurrent connections.
    pub connection_limit: u32,
    /// Most new connections per second.
    pub connection_rate_limit: u32,
    /// Creation time.
    #[serde(default)]
    pub create_time: String,
    /// Lifecycle state.
    pub state: ResourceState,
}

impl Stateful for VipNode {
    fn state(&self) -> &ResourceState {
        &self.state
    }
}

impl VipNode {
    /// The node's address, whichever family it is.
    pub fn ip_address(&self) -> Option<&str> {
        self.ipv4_address
            .as_deref()
            .or(self.ipv6_address.as_deref())
    }

    /// The id of the node's health monitor, if it has one.
    pub fn health_monitor_id(&self) -> Option<&str> {
        self.health_monitor.as_ref().map(|m| m.id.as_str())
    }
}

/// Request to create a node: exactly one of `ipv4_address` and `ipv6_address`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateVipNode {
    /// The network domain.
    pub network_domain_id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// IPv4 address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv4_address: Option<String>,
    /// IPv6 address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
    /// Admin status.
    pub status: String,
    /// A node-compatible default health monitor (`CCDEFAULT.Icmp`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_monitor_id: Option<String>,
    /// Most concurrent connections (1 to 100 000).
    pub connection_limit: u32,
    /// Most new connections per second (1 to 4 000).
    pub connection_rate_limit: u32,
}

/// What an edit gives a node; every editable field is sent, so the node ends up holding
/// exactly this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditVipNode {
    /// Description.
    pub description: String,
    /// Admin status.
    pub status: String,
    /// The health monitor; `None` removes it.
    pub health_monitor_id: Option<String>,
    /// Most concurrent connections.
    pub connection_limit: u32,
    /// Most new connections per second.
    pub connection_rate_limit: u32,
}

impl EditVipNode {
    /// The request body: no monitor is sent as the API's clearing value.
    fn body(&self, id: &str) -> Value {
        json!({
            "id": id,
            "description": self.description,
            "status": self.status,
            "healthMonitorId": self.health_monitor_id.as_ref().map_or_else(nil, |m| json!(m)),
            "connectionLimit": self.connection_limit,
            "connectionRateLimit": self.connection_rate_limit,
        })
    }

    /// Whether `node` already holds this edit.
    fn is_held_by(&self, node: &VipNode) -> bool {
        node.description == self.description
            && node.status == self.status
            && node.health_monitor_id() == self.health_monitor_id.as_deref()
            && node.connection_limit == self.connection_limit
            && node.connection_rate_limit == self.connection_rate_limit
    }
}

impl VipObject for VipNode {
    const KIND: &'static str = "VIP node";
    const COLLECTION: &'static str = "node";
    const CREATE: (VipWrite, &'static str) = (
        VipWrite {
            path: "createNode",
            operation: "CREATE_NODE",
        },
        "nodeId",
    );
    const EDIT: VipWrite = VipWrite {
        path: "editNode",
        operation: "EDIT_NODE",
    };
    const DELETE: VipWrite = VipWrite {
        path: "deleteNode",
        operation: "DELETE_NODE",
    };

    fn id(&self) -> &str {
        &self.id
    }
}

impl Client {
    /// One node, or `None` when it does not exist.
    pub async fn get_vip_node(&self, id: &str) -> Result<Option<VipNode>> {
        self.get_vip(id).await
    }

    /// Every node of a network domain.
    pub async fn list_vip_nodes(&self, network_domain_id: &str) -> Result<Vec<VipNode>> {
        self.list_vip(&[("networkDomainId", network_domain_id)])
            .await
    }

    /// The node of a network domain named `name`, if there is one.
    pub async fn find_vip_node(
        &self,
        network_domain_id: &str,
        name: &str,
    ) -> Result<Option<VipNode>> {
        let found: Vec<VipNode> = self
            .list_vip(&[("networkDomainId", network_domain_id), ("name", name)])
            .await?
            .into_iter()
            .filter(|n: &VipNode| n.name == name && !n.state.is_leaving())
            .collect();
        at_most_one(VipNode::KIND, found, || {
            format!("name {name:?} in network domain {network_domain_id}")
        })
    }

    /// Creates a node and returns it.
    ///
    /// Call it only when the domain has no node of that name ([`Client::find_vip_node`]):
    /// when the request gets no answer, the node found under that name is taken as this one.
    pub async fn create_vip_node(
        &self,
        request: &CreateVipNode,
        wait: &WaitOptions,
    ) -> Result<VipNode> {
        self.create_vip(
            request,
            || self.find_vip_node(&request.network_domain_id, &request.name),
            wait,
        )
        .await
    }

    /// Edits a node in place and returns it once it holds the edit.
    pub async fn edit_vip_node(
        &self,
        id: &str,
        edit: &EditVipNode,
        wait: &WaitOptions,
    ) -> Result<VipNode> {
        self.edit_vip(id, &edit.body(id), |n| edit.is_held_by(n), wait)
            .await
    }

    /// The node once no operation is running on it, or `None` when it does not exist.
    pub async fn settled_vip_node(&self, id: &str, wait: &WaitOptions) -> Result<Option<VipNode>> {
        self.settled_vip(id, wait).await
    }

    /// Deletes a node (one already gone is fine). The API refuses while a pool member uses it.
    pub async fn delete_vip_node(&self, id: &str, wait: &WaitOptions) -> Result<()> {
        self.delete_vip::<VipNode>(id, wait).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_node_in_the_recorded_shape() {
        // The keys and value types of the recorded node documents.
        let body = r#"{"id":"n-1","datacenterId":"NA9","networkDomainId":"nd-1","name":"web01",
            "description":"","ipv4Address":"10.0.1.21","state":"NORMAL","status":"ENABLED",
            "healthMonitor":{"id":"hm-icmp","name":"CCDEFAULT.Icmp"},
            "connectionLimit":20000,"connectionRateLimit":2000,"createTime":"2015-05-27T13:56:18.000Z"}"#;
        let node: VipNode = serde_json::from_str(body).unwrap();
        assert_eq!(node.ip_address(), Some("10.0.1.21"));
        assert_eq!(node.health_monitor_id(), Some("hm-icmp"));
        let v6 = r#"{"id":"n-2","networkDomainId":"nd-1","name":"web02","ipv6Address":"2001:db8::5",
            "state":"NORMAL","status":"DISABLED","connectionLimit":1,"connectionRateLimit":1}"#;
        let node: VipNode = serde_json::from_str(v6).unwrap();
        assert_eq!(node.ip_address(), Some("2001:db8::5"));
        assert_eq!(node.health_monitor_id(), None);
    }

    #[test]
    fn a_create_sends_one_address_and_an_edit_clears_a_removed_monitor() {
        let create = CreateVipNode {
            network_domain_id: "nd-1".into(),
            name: "web01".into(),
            description: None,
            ipv4_address: Some("10.0.1.21".into()),
            ipv6_address: None,
            status: "ENABLED".into(),
            health_monitor_id: None,
            connection_limit: 20_000,
            connection_rate_limit: 2_000,
        };
        assert_eq!(
            serde_json::to_value(&create).unwrap(),
            json!({"networkDomainId": "nd-1", "name": "web01", "ipv4Address": "10.0.1.21",
                   "status": "ENABLED", "connectionLimit": 20000, "connectionRateLimit": 2000})
        );
        let edit = EditVipNode {
            description: "d".into(),
            status: "DISABLED".into(),
            health_monitor_id: None,
            connection_limit: 5,
            connection_rate_limit: 6,
        };
        assert_eq!(
            edit.body("n-1"),
            json!({"id": "n-1", "description": "d", "status": "DISABLED",
                   "healthMonitorId": {"nil": true}, "connectionLimit": 5, "connectionRateLimit": 6})
        );
    }
}
