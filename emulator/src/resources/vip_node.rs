//! Load-balancer nodes (`networkDomainVip/…Node`): a named server address in an ADVANCED
//! network domain that pools balance over. Create, edit, delete: all synchronous (`OK`).

use super::vip_common::{self as common, Nullable};
use super::{check_id, new_id, vip_default, Ctx, IdBody};
use crate::clock;
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::State;
use crate::paging::{self, FilterSpec};
use crate::store::Org;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::net::IpAddr;

/// A stored VIP node.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VipNode {
    /// Id.
    pub id: String,
    /// Network domain id.
    pub network_domain_id: String,
    /// Datacenter id.
    pub datacenter_id: String,
    /// Name, unique among the domain's nodes.
    pub name: String,
    /// Description.
    pub description: String,
    /// The node's address (IPv4 or IPv6; not editable).
    pub ip: IpAddr,
    /// Admin status: ENABLED, DISABLED or FORCED_OFFLINE.
    pub status: String,
    /// Node health monitor (a node-compatible default monitor), if any.
    pub health_monitor_id: Option<String>,
    /// Connection limit.
    pub connection_limit: u32,
    /// Connection rate limit.
    pub connection_rate_limit: u32,
    /// Creation time (ms).
    pub create_time_ms: u64,
    /// State (always NORMAL: the writes are synchronous).
    pub state: State,
}

impl VipNode {
    /// The API's JSON shape.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "datacenterId": self.datacenter_id,
            "networkDomainId": self.network_domain_id,
            "name": self.name,
            "description": self.description,
            "state": self.state.as_str(),
            "status": self.status,
            "connectionLimit": self.connection_limit,
            "connectionRateLimit": self.connection_rate_limit,
            "createTime": clock::iso8601(self.create_time_ms),
        });
        let key = if self.ip.is_ipv6() {
            "ipv6Address"
        } else {
            "ipv4Address"
        };
        v[key] = json!(self.ip.to_string());
        if let Some(m) = &self.health_monitor_id {
            v["healthMonitor"] = vip_default::monitor_ref(m);
        }
        v
    }
}

const FILTERS: &[FilterSpec] = &[
    ("id", &["/id"]),
    ("networkDomainId", &["/networkDomainId"]),
    ("datacenterId", &["/datacenterId"]),
    ("name", &["/name"]),
    ("ipv4Address", &["/ipv4Address"]),
    ("ipv6Address", &["/ipv6Address"]),
    ("status", &["/status"]),
    ("state", &["/state"]),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateBody {
    network_domain_id: String,
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    ipv4_address: Option<String>,
    #[serde(default)]
    ipv6_address: Option<String>,
    status: String,
    #[serde(default)]
    health_monitor_id: Option<String>,
    connection_limit: i64,
    connection_rate_limit: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EditBody {
    id: String,
    #[serde(default)]
    description: Option<Nullable<String>>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    health_monitor_id: Option<Nullable<String>>,
    #[serde(default)]
    connection_limit: Option<i64>,
    #[serde(default)]
    connection_rate_limit: Option<i64>,
}

/// The node `id`, or RESOURCE_NOT_FOUND naming `field`.
pub fn find<'a>(org: &'a Org, field: &str, id: &str) -> Result<&'a VipNode, ApiError> {
    check_id(field, id)?;
    org.vip_nodes
        .get(id)
        .ok_or_else(|| ApiError::not_found("Node", id))
}

/// The node's address from exactly one of `ipv4Address` / `ipv6Address`.
fn address(v4: Option<&str>, v6: Option<&str>) -> Result<IpAddr, ApiError> {
    match (v4, v6) {
        (Some(t), None) => t
            .parse::<std::net::Ipv4Addr>()
            .map(IpAddr::V4)
            .map_err(|_| ApiError::invalid("ipv4Address", format!("`{t}` is not an IPv4 address"))),
        (None, Some(t)) => t
            .parse::<std::net::Ipv6Addr>()
            .map(IpAddr::V6)
            .map_err(|_| ApiError::invalid("ipv6Address", format!("`{t}` is not an IPv6 address"))),
        _ => Err(ApiError::invalid(
            "ipv4Address",
            "exactly one of ipv4Address and ipv6Address is required",
        )),
    }
}

/// A node health monitor id: a default monitor marked node-compatible.
fn node_monitor(id: &str) -> Result<String, ApiError> {
    let m = vip_default::health_monitor("healthMonitorId", id)?;
    if !m.node_compatible {
        return Err(ApiError::invalid(
            "healthMonitorId",
            format!("{} cannot monitor a node", m.name),
        ));
    }
    Ok(m.id.to_string())
}

/// `GET networkDomainVip/node/{id}`.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.as_deref().unwrap_or_default();
    Ok(Reply::Document(find(ctx.org, "id", id)?.to_json()))
}

/// `GET networkDomainVip/node?networkDomainId=…&name=…`.
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = ctx.org.vip_nodes.values().map(VipNode::to_json).collect();
    paging::page(items, "node", &ctx.call.query, FILTERS).map(Reply::Document)
}

/// `POST networkDomainVip/createNode` (synchronous; info `nodeId`, `name`).
pub fn create(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: CreateBody = ctx.body()?;
    let (nd_id, dc) = common::domain(ctx, &body.network_domain_id)?;
    common::check_texts(&body.name, body.description.as_deref())?;
    let ip = address(body.ipv4_address.as_deref(), body.ipv6_address.as_deref())?;
    let status = common::one_of("status", &body.status, common::STATUSES)?;
    let health_monitor_id = body
        .health_monitor_id
        .as_deref()
        .map(node_monitor)
        .transpose()?;
    let connection_limit = common::in_range(
        "connectionLimit",
        body.connection_limit,
        common::CONNECTION_LIMIT,
    )?;
    let connection_rate_limit = common::in_range(
        "connectionRateLimit",
        body.connection_rate_limit,
        common::CONNECTION_RATE_LIMIT,
    )?;
    let mut same_domain = ctx
        .org
        .vip_nodes
        .values()
        .filter(|n| n.network_domain_id == nd_id);
    common::unique_name(
        same_domain.clone().any(|n| n.name == body.name),
        "Node",
        &body.name,
        &nd_id,
    )?;
    if let Some(other) = same_domain.find(|n| n.ip == ip) {
        return Err(ApiError::new(
            Code::IpAddressNotUnique,
            format!(
                "{}: Node '{}' already has address {ip} in Network Domain {nd_id}.",
                if ip.is_ipv6() {
                    "ipv6Address"
                } else {
                    "ipv4Address"
                },
                other.name
            ),
        ));
    }
    let id = new_id();
    let node = VipNode {
        id: id.clone(),
        network_domain_id: nd_id,
        datacenter_id: dc,
        name: body.name.clone(),
        description: body.description.unwrap_or_default(),
        ip,
        status,
        health_monitor_id,
        connection_limit,
        connection_rate_limit,
        create_time_ms: ctx.call.now_ms,
        state: State::Normal,
    };
    ctx.org.vip_nodes.insert(id.clone(), node);
    Ok(Reply::Action(
        Action::ok(
            "CREATE_NODE",
            format!("Node '{}' has been created.", body.name),
        )
        .info("nodeId", id)
        .info("name", body.name),
    ))
}

/// `POST networkDomainVip/editNode` (synchronous): name and address cannot change.
pub fn edit(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: EditBody = ctx.body()?;
    find(ctx.org, "id", &body.id)?;
    let description = body
        .description
        .map(|d| d.into_option("description"))
        .transpose()?;
    common::check_description(description.as_ref().and_then(|d| d.as_deref()))?;
    let status = body
        .status
        .map(|s| common::one_of("status", &s, common::STATUSES))
        .transpose()?;
    let monitor = match body.health_monitor_id {
        Some(m) => Some(
            m.into_option("healthMonitorId")?
                .map(|id| node_monitor(&id))
                .transpose()?,
        ),
        None => None,
    };
    let limit = body
        .connection_limit
        .map(|n| common::in_range("connectionLimit", n, common::CONNECTION_LIMIT))
        .transpose()?;
    let rate = body
        .connection_rate_limit
        .map(|n| common::in_range("connectionRateLimit", n, common::CONNECTION_RATE_LIMIT))
        .transpose()?;
    let node = ctx
        .org
        .vip_nodes
        .get_mut(&body.id)
        .ok_or_else(|| ApiError::not_found("Node", &body.id))?;
    if let Some(d) = description {
        node.description = d.unwrap_or_default();
    }
    if let Some(s) = status {
        node.status = s;
    }
    if let Some(m) = monitor {
        node.health_monitor_id = m;
    }
    if let Some(n) = limit {
        node.connection_limit = n;
    }
    if let Some(n) = rate {
        node.connection_rate_limit = n;
    }
    Ok(Reply::Action(
        Action::ok(
            "EDIT_NODE",
            format!("Node '{}' has been edited.", node.name),
        )
        .info("nodeId", node.id.clone()),
    ))
}

/// `POST networkDomainVip/deleteNode` (synchronous): refused while a pool member uses the node.
pub fn delete(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    let node = find(ctx.org, "id", &body.id)?;
    let members = ctx
        .org
        .vip_pool_members
        .values()
        .filter(|m| m.node_id == body.id)
        .count();
    if members > 0 {
        return Err(ApiError::new(
            Code::HasDependency,
            format!(
                "id: Node '{}' is a member of {members} pool(s); remove it from them first.",
                node.name
            ),
        ));
    }
    ctx.org.vip_nodes.remove(&body.id);
    Ok(Reply::Action(Action::ok(
        "DELETE_NODE",
        "Node has been deleted.",
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_one_address() {
        assert!(address(Some("10.0.0.1"), None).unwrap().is_ipv4());
        assert!(address(None, Some("2001:db8::1")).unwrap().is_ipv6());
        assert!(address(None, None).is_err());
        assert!(address(Some("10.0.0.1"), Some("2001:db8::1")).is_err());
        assert!(address(Some("10.0.0.256"), None).is_err());
        assert!(address(Some("2001:db8::1"), None).is_err());
    }

    #[test]
    fn only_node_monitors_fit() {
        let icmp = vip_default::HEALTH_MONITORS
            .iter()
            .find(|m| m.name == "CCDEFAULT.Icmp")
            .unwrap();
        assert!(node_monitor(icmp.id).is_ok());
        assert!(node_monitor(vip_default::HEALTH_MONITORS[0].id).is_err());
    }
}
