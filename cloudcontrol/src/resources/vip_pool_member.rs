//! Pool members (`networkDomainVip/poolMember`): a node of a pool, on one port or on any port.
//! Pool, node and port are fixed when the member is added; only the status is edited.

use super::at_most_one;
use super::vip_common::{VipObject, VipWrite};
use super::IdName;
use crate::client::Client;
use crate::error::Result;
use crate::state::ResourceState;
use crate::wait::{Stateful, WaitOptions};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The node of a pool member, as the member reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberNode {
    /// The node's id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its address.
    #[serde(default)]
    pub ip_address: String,
    /// Its admin status.
    #[serde(default)]
    pub status: String,
}

/// A pool member.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VipPoolMember {
    /// Id.
    pub id: String,
    /// The network domain (the pool's and the node's).
    #[serde(default)]
    pub network_domain_id: String,
    /// Datacenter id.
    #[serde(default)]
    pub datacenter_id: String,
    /// The pool.
    pub pool: IdName,
    /// The node.
    pub node: MemberNode,
    /// The port; absent means any port.
    #[serde(default)]
    pub port: Option<u16>,
    /// Admin status: `ENABLED`, `DISABLED` or `FORCED_OFFLINE`.
    pub status: String,
    /// Creation time.
    #[serde(default)]
    pub create_time: String,
    /// Lifecycle state.
    pub state: ResourceState,
}

impl Stateful for VipPoolMember {
    fn state(&self) -> &ResourceState {
        &self.state
    }
}

/// Request to add a node to a pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddVipPoolMember {
    /// The pool.
    pub pool_id: String,
    /// The node, of the pool's network domain.
    pub node_id: String,
    /// The port (1 to 65535); `None` for any port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Admin status.
    pub status: String,
}

impl VipObject for VipPoolMember {
    const KIND: &'static str = "VIP pool member";
    const COLLECTION: &'static str = "poolMember";
    const CREATE: (VipWrite, &'static str) = (
        VipWrite {
            path: "addPoolMember",
            operation: "ADD_POOL_MEMBER",
        },
        "poolMemberId",
    );
    const EDIT: VipWrite = VipWrite {
        path: "editPoolMember",
        operation: "EDIT_POOL_MEMBER",
    };
    const DELETE: VipWrite = VipWrite {
        path: "removePoolMember",
        operation: "REMOVE_POOL_MEMBER",
    };

    fn id(&self) -> &str {
        &self.id
    }
}

/// The edit body: the status is all a member's edit carries.
fn edit_body(id: &str, status: &str) -> Value {
    json!({"id": id, "status": status})
}

impl Client {
    /// One pool member, or `None` when it does not exist.
    pub async fn get_vip_pool_member(&self, id: &str) -> Result<Option<VipPoolMember>> {
        self.get_vip(id).await
    }

    /// Every member of a pool.
    pub async fn list_vip_pool_members(&self, pool_id: &str) -> Result<Vec<VipPoolMember>> {
        self.list_vip(&[("poolId", pool_id)]).await
    }

    /// Every pool member in a network domain.
    pub async fn list_domain_vip_pool_members(
        &self,
        network_domain_id: &str,
    ) -> Result<Vec<VipPoolMember>> {
        self.list_vip(&[("networkDomainId", network_domain_id)])
            .await
    }

    /// The member of pool `pool_id` for node `node_id` on `port` (`None`: any port), if there
    /// is one (a node is in a pool once per port).
    pub async fn find_vip_pool_member(
        &self,
        pool_id: &str,
        node_id: &str,
        port: Option<u16>,
    ) -> Result<Option<VipPoolMember>> {
        let found: Vec<VipPoolMember> = self
            .list_vip_pool_members(pool_id)
            .await?
            .into_iter()
            .filter(|m| m.node.id == node_id && m.port == port && !m.state.is_leaving())
            .collect();
        at_most_one(VipPoolMember::KIND, found, || {
            let port = port.map_or("any port".to_owned(), |p| format!("port {p}"));
            format!("node {node_id} on {port} in pool {pool_id}")
        })
    }

    /// Adds a node to a pool and returns the member.
    ///
    /// Call it only when the pool has no member for that node and port
    /// ([`Client::find_vip_pool_member`]): when the request gets no answer, the member found
    /// for them is taken as this one.
    pub async fn add_vip_pool_member(
        &self,
        request: &AddVipPoolMember,
        wait: &WaitOptions,
    ) -> Result<VipPoolMember> {
        self.create_vip(
            request,
            || self.find_vip_pool_member(&request.pool_id, &request.node_id, request.port),
            wait,
        )
        .await
    }

    /// Sets a member's status and returns the member once it has it.
    pub async fn edit_vip_pool_member(
        &self,
        id: &str,
        status: &str,
        wait: &WaitOptions,
    ) -> Result<VipPoolMember> {
        self.edit_vip(
            id,
            &edit_body(id, status),
            |m: &VipPoolMember| m.status == status,
            wait,
        )
        .await
    }

    /// The member once no operation is running on it, or `None` when it does not exist.
    pub async fn settled_vip_pool_member(
        &self,
        id: &str,
        wait: &WaitOptions,
    ) -> Result<Option<VipPoolMember>> {
        self.settled_vip(id, wait).await
    }

    /// Removes a member from its pool (one already gone is fine).
    pub async fn remove_vip_pool_member(&self, id: &str, wait: &WaitOptions) -> Result<()> {
        self.delete_vip::<VipPoolMember>(id, wait).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_members_with_and_without_a_port() {
        let body = r#"{"id":"m-1","datacenterId":"NA9","networkDomainId":"nd-1",
            "pool":{"id":"p-1","name":"web"},
            "node":{"id":"n-1","name":"web01","ipAddress":"10.0.1.21","status":"ENABLED"},
            "port":8080,"status":"ENABLED","state":"NORMAL","createTime":"2015-06-09T22:43:34.000Z"}"#;
        let member: VipPoolMember = serde_json::from_str(body).unwrap();
        assert_eq!(
            (
                member.pool.id.as_str(),
                member.node.id.as_str(),
                member.port
            ),
            ("p-1", "n-1", Some(8080))
        );
        let any = r#"{"id":"m-2","pool":{"id":"p-1"},"node":{"id":"n-1"},"status":"DISABLED","state":"NORMAL"}"#;
        let member: VipPoolMember = serde_json::from_str(any).unwrap();
        assert_eq!(member.port, None);
    }

    #[test]
    fn any_port_is_an_absent_port() {
        let add = AddVipPoolMember {
            pool_id: "p-1".into(),
            node_id: "n-1".into(),
            port: None,
            status: "ENABLED".into(),
        };
        assert_eq!(
            serde_json::to_value(&add).unwrap(),
            json!({"poolId": "p-1", "nodeId": "n-1", "status": "ENABLED"})
        );
        assert_eq!(
            edit_body("m-1", "FORCED_OFFLINE"),
            json!({"id": "m-1", "status": "FORCED_OFFLINE"})
        );
    }
}
