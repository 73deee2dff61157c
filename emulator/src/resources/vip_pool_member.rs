//! Pool members (`networkDomainVip/…PoolMember`): a node, optionally on one port, in a pool of
//! the same network domain. Add, edit (status only), remove: all synchronous (`OK`).

use super::vip_common as common;
use super::{check_id, new_id, vip_node, vip_pool, Ctx, IdBody};
use crate::clock;
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::State;
use crate::paging::{self, FilterSpec};
use crate::store::Org;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A stored pool member.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VipPoolMember {
    /// Id.
    pub id: String,
    /// Network domain id (the pool's and the node's).
    pub network_domain_id: String,
    /// Datacenter id.
    pub datacenter_id: String,
    /// Pool id.
    pub pool_id: String,
    /// Node id.
    pub node_id: String,
    /// Port; `None` is any port.
    pub port: Option<u16>,
    /// Admin status: ENABLED, DISABLED or FORCED_OFFLINE.
    pub status: String,
    /// Creation time (ms).
    pub create_time_ms: u64,
    /// State (always NORMAL: the writes are synchronous).
    pub state: State,
}

impl VipPoolMember {
    /// The API's JSON shape, naming the pool and the node.
    pub fn to_json(&self, org: &Org) -> Value {
        let pool = org.vip_pools.get(&self.pool_id);
        let node = org.vip_nodes.get(&self.node_id);
        let mut v = json!({
            "id": self.id,
            "datacenterId": self.datacenter_id,
            "networkDomainId": self.network_domain_id,
            "pool": {"id": self.pool_id, "name": pool.map(|p| p.name.as_str()).unwrap_or_default()},
            "node": {
                "id": self.node_id,
                "name": node.map(|n| n.name.as_str()).unwrap_or_default(),
                "ipAddress": node.map(|n| n.ip.to_string()).unwrap_or_default(),
                "status": node.map(|n| n.status.as_str()).unwrap_or_default(),
            },
            "status": self.status,
            "state": self.state.as_str(),
            "createTime": clock::iso8601(self.create_time_ms),
        });
        if let Some(p) = self.port {
            v["port"] = json!(p);
        }
        v
    }
}

const FILTERS: &[FilterSpec] = &[
    ("id", &["/id"]),
    ("networkDomainId", &["/networkDomainId"]),
    ("datacenterId", &["/datacenterId"]),
    ("poolId", &["/pool/id"]),
    ("nodeId", &["/node/id"]),
    ("port", &["/port"]),
    ("status", &["/status"]),
    ("state", &["/state"]),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AddBody {
    pool_id: String,
    node_id: String,
    #[serde(default)]
    port: Option<i64>,
    status: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditBody {
    id: String,
    status: String,
}

fn find<'a>(org: &'a Org, field: &str, id: &str) -> Result<&'a VipPoolMember, ApiError> {
    check_id(field, id)?;
    org.vip_pool_members
        .get(id)
        .ok_or_else(|| ApiError::not_found("Pool Member", id))
}

/// `GET networkDomainVip/poolMember/{id}`.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.as_deref().unwrap_or_default();
    Ok(Reply::Document(find(ctx.org, "id", id)?.to_json(ctx.org)))
}

/// `GET networkDomainVip/poolMember?poolId=…` (or `?networkDomainId=…`).
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = ctx
        .org
        .vip_pool_members
        .values()
        .map(|m| m.to_json(ctx.org))
        .collect();
    paging::page(items, "poolMember", &ctx.call.query, FILTERS).map(Reply::Document)
}

/// `POST networkDomainVip/addPoolMember` (synchronous; info `poolMemberId`, `nodeName`): the
/// node must be in the pool's network domain.
pub fn add(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: AddBody = ctx.body()?;
    let pool = vip_pool::find(ctx.org, "poolId", &body.pool_id)?;
    let node = vip_node::find(ctx.org, "nodeId", &body.node_id)?;
    if node.network_domain_id != pool.network_domain_id {
        return Err(ApiError::invalid(
            "nodeId",
            format!(
                "Node '{}' is in Network Domain {}, Pool '{}' in Network Domain {}; they must be in the same one.",
                node.name, node.network_domain_id, pool.name, pool.network_domain_id
            ),
        ));
    }
    common::domain(ctx, &pool.network_domain_id)?;
    let port = body
        .port
        .map(|p| common::in_range("port", p, (1, 65_535)).map(|p| p as u16))
        .transpose()?;
    let status = common::one_of("status", &body.status, common::STATUSES)?;
    let in_pool: Vec<&VipPoolMember> = ctx
        .org
        .vip_pool_members
        .values()
        .filter(|m| m.pool_id == pool.id)
        .collect();
    if in_pool
        .iter()
        .any(|m| m.node_id == node.id && m.port == port)
    {
        return Err(ApiError::invalid(
            "nodeId",
            format!(
                "Node '{}' is already a member of Pool '{}' on {}.",
                node.name,
                pool.name,
                port.map_or("any port".to_string(), |p| format!("port {p}"))
            ),
        ));
    }
    if in_pool.len() >= vip_pool::MAX_MEMBERS {
        return Err(ApiError::new(
            Code::ExceedsLimit,
            format!(
                "poolId: Pool '{}' already has {} members, the most a pool may have.",
                pool.name,
                vip_pool::MAX_MEMBERS
            ),
        ));
    }
    let id = new_id();
    let node_name = node.name.clone();
    let member = VipPoolMember {
        id: id.clone(),
        network_domain_id: pool.network_domain_id.clone(),
        datacenter_id: pool.datacenter_id.clone(),
        pool_id: pool.id.clone(),
        node_id: node.id.clone(),
        port,
        status,
        create_time_ms: ctx.call.now_ms,
        state: State::Normal,
    };
    let message = format!("Node '{node_name}' has been added to Pool '{}'.", pool.name);
    ctx.org.vip_pool_members.insert(id.clone(), member);
    Ok(Reply::Action(
        Action::ok("ADD_POOL_MEMBER", message)
            .info("poolMemberId", id)
            .info("nodeName", node_name),
    ))
}

/// `POST networkDomainVip/editPoolMember` (synchronous): only the status changes.
pub fn edit(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: EditBody = ctx.body()?;
    find(ctx.org, "id", &body.id)?;
    let status = common::one_of("status", &body.status, common::STATUSES)?;
    let member = ctx
        .org
        .vip_pool_members
        .get_mut(&body.id)
        .ok_or_else(|| ApiError::not_found("Pool Member", &body.id))?;
    member.status = status;
    Ok(Reply::Action(
        Action::ok("EDIT_POOL_MEMBER", "Pool Member has been edited.")
            .info("poolMemberId", member.id.clone()),
    ))
}

/// `POST networkDomainVip/removePoolMember` (synchronous).
pub fn remove(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    find(ctx.org, "id", &body.id)?;
    ctx.org.vip_pool_members.remove(&body.id);
    Ok(Reply::Action(Action::ok(
        "REMOVE_POOL_MEMBER",
        "Pool Member has been removed.",
    )))
}
