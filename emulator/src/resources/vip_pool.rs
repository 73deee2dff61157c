//! Load-balancer pools (`networkDomainVip/…Pool`): a balancing method, health monitors and the
//! behaviour when members go down, in an ADVANCED network domain. Create, edit, delete: all
//! synchronous (`OK`).

use super::vip_common::{self as common, Nullable};
use super::{check_id, new_id, vip_default, Ctx, IdBody};
use crate::clock;
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::State;
use crate::paging::{self, FilterSpec};
use crate::store::Org;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The balancing methods.
pub const LOAD_BALANCE_METHODS: &[&str] = &[
    "ROUND_ROBIN",
    "LEAST_CONNECTIONS_NODE",
    "LEAST_CONNECTIONS_MEMBER",
    "OBSERVED_NODE",
    "OBSERVED_MEMBER",
    "PREDICTIVE_NODE",
    "PREDICTIVE_MEMBER",
];

/// What happens to connections of a member that goes down.
pub const SERVICE_DOWN_ACTIONS: &[&str] = &["NONE", "DROP", "RESELECT"];

/// Health monitors one pool may have.
pub const MAX_MONITORS: usize = 2;

/// Slow ramp time range in seconds (unpublished; our reading).
pub const SLOW_RAMP_TIME: (i64, i64) = (0, 3_600);

/// Members one pool may have.
pub const MAX_MEMBERS: usize = 100;

/// A stored VIP pool.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VipPool {
    /// Id.
    pub id: String,
    /// Network domain id.
    pub network_domain_id: String,
    /// Datacenter id.
    pub datacenter_id: String,
    /// Name, unique among the domain's pools.
    pub name: String,
    /// Description.
    pub description: String,
    /// Balancing method.
    pub load_balance_method: String,
    /// Pool-compatible default health monitors (at most two).
    pub health_monitor_ids: Vec<String>,
    /// NONE, DROP or RESELECT.
    pub service_down_action: String,
    /// Seconds over which a new member's share ramps up.
    pub slow_ramp_time: u32,
    /// Creation time (ms).
    pub create_time_ms: u64,
    /// State (always NORMAL: the writes are synchronous).
    pub state: State,
}

impl VipPool {
    /// The fields a virtual listener reports of its pools.
    pub fn summary(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "loadBalanceMethod": self.load_balance_method,
            "serviceDownAction": self.service_down_action,
            "slowRampTime": self.slow_ramp_time,
            "healthMonitor": self.health_monitor_ids.iter().map(|m| vip_default::monitor_ref(m)).collect::<Vec<_>>(),
        })
    }

    /// The API's JSON shape.
    pub fn to_json(&self) -> Value {
        let mut v = self.summary();
        v["datacenterId"] = json!(self.datacenter_id);
        v["networkDomainId"] = json!(self.network_domain_id);
        v["description"] = json!(self.description);
        v["state"] = json!(self.state.as_str());
        v["createTime"] = json!(clock::iso8601(self.create_time_ms));
        v
    }
}

const FILTERS: &[FilterSpec] = &[
    ("id", &["/id"]),
    ("networkDomainId", &["/networkDomainId"]),
    ("datacenterId", &["/datacenterId"]),
    ("name", &["/name"]),
    ("loadBalanceMethod", &["/loadBalanceMethod"]),
    ("serviceDownAction", &["/serviceDownAction"]),
    ("state", &["/state"]),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateBody {
    network_domain_id: String,
    name: String,
    #[serde(default)]
    description: Option<String>,
    load_balance_method: String,
    #[serde(default)]
    health_monitor_id: Vec<String>,
    service_down_action: String,
    slow_ramp_time: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EditBody {
    id: String,
    #[serde(default)]
    description: Option<Nullable<String>>,
    #[serde(default)]
    load_balance_method: Option<String>,
    #[serde(default)]
    health_monitor_id: Option<Nullable<Vec<String>>>,
    #[serde(default)]
    service_down_action: Option<String>,
    #[serde(default)]
    slow_ramp_time: Option<i64>,
}

/// The pool `id`, or RESOURCE_NOT_FOUND naming `field`.
pub fn find<'a>(org: &'a Org, field: &str, id: &str) -> Result<&'a VipPool, ApiError> {
    check_id(field, id)?;
    org.vip_pools
        .get(id)
        .ok_or_else(|| ApiError::not_found("Pool", id))
}

/// Pool health monitors: at most two, distinct, each pool-compatible.
fn pool_monitors(ids: Vec<String>) -> Result<Vec<String>, ApiError> {
    if ids.len() > MAX_MONITORS {
        return Err(ApiError::invalid(
            "healthMonitorId",
            format!("{} monitors; a pool has at most {MAX_MONITORS}", ids.len()),
        ));
    }
    for (i, id) in ids.iter().enumerate() {
        let field = format!("healthMonitorId[{i}]");
        let m = vip_default::health_monitor(&field, id)?;
        if !m.pool_compatible {
            return Err(ApiError::invalid(
                &field,
                format!("{} cannot monitor a pool", m.name),
            ));
        }
        if ids[..i].contains(id) {
            return Err(ApiError::invalid(
                &field,
                format!("{} is listed twice", m.name),
            ));
        }
    }
    Ok(ids)
}

/// `GET networkDomainVip/pool/{id}`.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.as_deref().unwrap_or_default();
    Ok(Reply::Document(find(ctx.org, "id", id)?.to_json()))
}

/// `GET networkDomainVip/pool?networkDomainId=…&name=…`.
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = ctx.org.vip_pools.values().map(VipPool::to_json).collect();
    paging::page(items, "pool", &ctx.call.query, FILTERS).map(Reply::Document)
}

/// `POST networkDomainVip/createPool` (synchronous; info `poolId`, `name`).
pub fn create(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: CreateBody = ctx.body()?;
    let (nd_id, dc) = common::domain(ctx, &body.network_domain_id)?;
    common::check_texts(&body.name, body.description.as_deref())?;
    let method = common::one_of(
        "loadBalanceMethod",
        &body.load_balance_method,
        LOAD_BALANCE_METHODS,
    )?;
    let monitors = pool_monitors(body.health_monitor_id)?;
    let down = common::one_of(
        "serviceDownAction",
        &body.service_down_action,
        SERVICE_DOWN_ACTIONS,
    )?;
    let ramp = common::in_range("slowRampTime", body.slow_ramp_time, SLOW_RAMP_TIME)?;
    common::unique_name(
        ctx.org
            .vip_pools
            .values()
            .any(|p| p.network_domain_id == nd_id && p.name == body.name),
        "Pool",
        &body.name,
        &nd_id,
    )?;
    let id = new_id();
    let pool = VipPool {
        id: id.clone(),
        network_domain_id: nd_id,
        datacenter_id: dc,
        name: body.name.clone(),
        description: body.description.unwrap_or_default(),
        load_balance_method: method,
        health_monitor_ids: monitors,
        service_down_action: down,
        slow_ramp_time: ramp,
        create_time_ms: ctx.call.now_ms,
        state: State::Normal,
    };
    ctx.org.vip_pools.insert(id.clone(), pool);
    Ok(Reply::Action(
        Action::ok(
            "CREATE_POOL",
            format!("Pool '{}' has been created.", body.name),
        )
        .info("poolId", id)
        .info("name", body.name),
    ))
}

/// `POST networkDomainVip/editPool` (synchronous): the name cannot change; a `null` field is
/// left as it is.
pub fn edit(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: EditBody = ctx.body()?;
    find(ctx.org, "id", &body.id)?;
    let description = body
        .description
        .map(|d| d.into_option("description"))
        .transpose()?;
    common::check_description(description.as_ref().and_then(|d| d.as_deref()))?;
    let method = body
        .load_balance_method
        .map(|m| common::one_of("loadBalanceMethod", &m, LOAD_BALANCE_METHODS))
        .transpose()?;
    let monitors = match body.health_monitor_id {
        Some(m) => Some(pool_monitors(
            m.into_option("healthMonitorId")?.unwrap_or_default(),
        )?),
        None => None,
    };
    let down = body
        .service_down_action
        .map(|d| common::one_of("serviceDownAction", &d, SERVICE_DOWN_ACTIONS))
        .transpose()?;
    let ramp = body
        .slow_ramp_time
        .map(|r| common::in_range("slowRampTime", r, SLOW_RAMP_TIME))
        .transpose()?;
    let pool = ctx
        .org
        .vip_pools
        .get_mut(&body.id)
        .ok_or_else(|| ApiError::not_found("Pool", &body.id))?;
    if let Some(d) = description {
        pool.description = d.unwrap_or_default();
    }
    if let Some(m) = method {
        pool.load_balance_method = m;
    }
    if let Some(m) = monitors {
        pool.health_monitor_ids = m;
    }
    if let Some(d) = down {
        pool.service_down_action = d;
    }
    if let Some(r) = ramp {
        pool.slow_ramp_time = r;
    }
    Ok(Reply::Action(
        Action::ok(
            "EDIT_POOL",
            format!("Pool '{}' has been edited.", pool.name),
        )
        .info("name", pool.name.clone())
        .info("poolId", pool.id.clone()),
    ))
}

/// `POST networkDomainVip/deletePool` (synchronous): refused while it has members or a virtual
/// listener uses it.
pub fn delete(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    let pool = find(ctx.org, "id", &body.id)?;
    let members = ctx
        .org
        .vip_pool_members
        .values()
        .filter(|m| m.pool_id == body.id)
        .count();
    let listeners = ctx
        .org
        .virtual_listeners
        .values()
        .filter(|l| l.uses_pool(&body.id))
        .count();
    if members + listeners > 0 {
        return Err(ApiError::new(
            Code::HasDependency,
            format!(
                "id: Pool '{}' still has {members} member(s) and is used by {listeners} virtual listener(s).",
                pool.name
            ),
        ));
    }
    ctx.org.vip_pools.remove(&body.id);
    Ok(Reply::Action(Action::ok(
        "DELETE_POOL",
        "Pool has been deleted.",
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monitor(name: &str) -> String {
        vip_default::HEALTH_MONITORS
            .iter()
            .find(|m| m.name == name)
            .unwrap()
            .id
            .to_string()
    }

    #[test]
    fn monitors_are_pool_compatible_distinct_and_at_most_two() {
        let (http, tcp, udp) = (
            monitor("CCDEFAULT.Http"),
            monitor("CCDEFAULT.Tcp"),
            monitor("CCDEFAULT.Udp"),
        );
        assert_eq!(
            pool_monitors(vec![http.clone(), tcp.clone()])
                .unwrap()
                .len(),
            2
        );
        assert!(pool_monitors(vec![http.clone(), tcp, udp]).is_err());
        assert!(pool_monitors(vec![http.clone(), http]).is_err());
        assert!(pool_monitors(vec![monitor("CCDEFAULT.Icmp")]).is_err());
    }
}
