//! Network domains: deploy (async), get, list, edit (sync), delete (async).

use super::{check_id, check_name, new_id, Ctx, IdBody};
use crate::catalog;
use crate::clock;
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::{schedule, OpKind, Outcome, Pending, State};
use crate::net;
use crate::paging::{self, FilterSpec};
use crate::resources::firewall_rule;
use crate::store::Org;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::net::Ipv4Addr;

/// A stored network domain.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkDomain {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Service plan (`type`): ESSENTIALS, ADVANCED or ENTERPRISE.
    pub plan: String,
    /// Datacenter id.
    pub datacenter_id: String,
    /// Source-NAT public address.
    pub snat_ipv4: Ipv4Addr,
    /// Outside transit /28 network address.
    pub transit_ipv4: Ipv4Addr,
    /// Creation time (ms).
    pub create_time_ms: u64,
    /// State.
    pub state: State,
    /// Pending operation.
    pub pending: Option<Pending>,
}

const PLANS: &[&str] = &["ESSENTIALS", "ADVANCED", "ENTERPRISE"];

const FILTERS: &[FilterSpec] = &[
    ("id", &["/id"]),
    ("name", &["/name"]),
    ("datacenterId", &["/datacenterId"]),
    ("type", &["/type"]),
    ("state", &["/state"]),
];

impl NetworkDomain {
    /// The API's JSON shape.
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "description": self.description,
            "type": self.plan,
            "snatIpv4Address": self.snat_ipv4.to_string(),
            "outsideTransitVlanIpv4Subnet": {"address": self.transit_ipv4.to_string(), "prefixSize": 28},
            "createTime": clock::iso8601(self.create_time_ms),
            "state": self.state.as_str(),
            "id": self.id,
            "datacenterId": self.datacenter_id,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DeployBody {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, rename = "type")]
    plan: Option<String>,
    datacenter_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EditBody {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, rename = "type")]
    plan: Option<String>,
}

/// Finds a network domain of the organisation, naming `field` when the id is malformed.
pub fn find<'a>(org: &'a Org, field: &str, id: &str) -> Result<&'a NetworkDomain, ApiError> {
    check_id(field, id)?;
    org.network_domains
        .get(id)
        .ok_or_else(|| ApiError::not_found("Network Domain", id))
}

/// Fails with RESOURCE_BUSY when an ND/VLAN deploy or delete is in progress in the region.
pub fn check_deploy_lock(org: &Org, org_id: &str, region: &str) -> Result<(), ApiError> {
    let in_region = |dc: &str| catalog::datacenter(dc).is_some_and(|d| d.region == region);
    let busy = |s: State| matches!(s, State::PendingAdd | State::PendingDelete);
    let nd_busy = org
        .network_domains
        .values()
        .any(|nd| busy(nd.state) && in_region(&nd.datacenter_id));
    let vlan_busy = org
        .vlans
        .values()
        .any(|v| busy(v.state) && in_region(&v.datacenter_id));
    if nd_busy || vlan_busy {
        return Err(ApiError::new(
            Code::ResourceBusy,
            format!("Another deploy or delete Network or VLAN operation for your organization ({org_id}) is in progress. Please try again later."),
        ));
    }
    Ok(())
}

fn check_plan(plan: &str) -> Result<(), ApiError> {
    if PLANS.contains(&plan) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "type",
            format!("`{plan}` must be one of {}", PLANS.join(", ")),
        ))
    }
}

/// `GET network/networkDomain/{id}`.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.as_deref().unwrap_or_default();
    Ok(Reply::Document(find(ctx.org, "id", id)?.to_json()))
}

/// `GET network/networkDomain`.
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = ctx
        .org
        .network_domains
        .values()
        .map(|n| n.to_json())
        .collect();
    paging::page(items, "networkDomain", &ctx.call.query, FILTERS).map(Reply::Document)
}

/// `POST network/deployNetworkDomain`.
pub fn deploy(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: DeployBody = ctx.body()?;
    check_name("name", &body.name, 75)?;
    let plan = body.plan.unwrap_or_else(|| "ESSENTIALS".into());
    check_plan(&plan)?;
    let dc = catalog::datacenter(&body.datacenter_id).ok_or_else(|| {
        ApiError::invalid(
            "datacenterId",
            format!("`{}` is not an MCP 2.0 datacenter", body.datacenter_id),
        )
    })?;
    super::mcp1_network::refuse_mcp1(dc, "datacenterId", "network domains")?;
    check_deploy_lock(ctx.org, &ctx.call.org_id, dc.region)?;

    let index = catalog::datacenter_index(dc.id);
    let snat = ctx.addressing.next_snat(ctx.counters, dc.id, index);
    let transit_n = ctx.counters.transit_subnets;
    ctx.counters.transit_subnets += 1;
    // 100.64.0.0/10 carved into /28s.
    let transit = net::add(Ipv4Addr::new(100, 64, 0, 0), (transit_n % (1 << 18)) * 16);

    let outcome = if ctx.call.failed_add {
        Outcome::FailedAdd
    } else {
        Outcome::Normal
    };
    let id = new_id();
    let nd = NetworkDomain {
        id: id.clone(),
        name: body.name.clone(),
        description: body.description.unwrap_or_default(),
        plan,
        datacenter_id: dc.id.into(),
        snat_ipv4: snat,
        transit_ipv4: transit,
        create_time_ms: ctx.call.now_ms,
        state: State::PendingAdd,
        pending: Some(schedule(
            OpKind::DeployNetworkDomain,
            outcome,
            ctx.call.now_ms,
            ctx.call.time_scale,
        )),
    };
    ctx.org.network_domains.insert(id.clone(), nd);
    ctx.org
        .firewall_rules
        .extend(firewall_rule::default_rules(&id, dc.id, ctx.call.now_ms));
    Ok(Reply::Action(
        Action::in_progress(
            "DEPLOY_NETWORK_DOMAIN",
            format!(
                "Request to deploy Network Domain '{}' has been accepted and is being processed.",
                body.name
            ),
        )
        .info("networkDomainId", id),
    ))
}

/// `POST network/editNetworkDomain` (synchronous).
pub fn edit(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: EditBody = ctx.body()?;
    find(ctx.org, "id", &body.id)?;
    if let Some(name) = &body.name {
        check_name("name", name, 75)?;
    }
    if let Some(plan) = &body.plan {
        check_plan(plan)?;
    }
    let nd = ctx
        .org
        .network_domains
        .get_mut(&body.id)
        .ok_or_else(|| ApiError::not_found("Network Domain", &body.id))?;
    if nd.state != State::Normal {
        return Err(ApiError::busy("Network Domain", &nd.id, nd.state.as_str()));
    }
    if let Some(name) = body.name {
        nd.name = name;
    }
    if let Some(description) = body.description {
        nd.description = description;
    }
    if let Some(plan) = body.plan {
        nd.plan = plan;
    }
    Ok(Reply::Action(Action::ok(
        "EDIT_NETWORK_DOMAIN",
        format!("Network Domain '{}' was edited successfully.", nd.name),
    )))
}

/// `POST network/deleteNetworkDomain`: needs no VLANs, servers, public IP blocks, lists or
/// load-balancer (VIP) objects left.
pub fn delete(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    let nd = find(ctx.org, "id", &body.id)?;
    if nd.state.is_pending() {
        return Err(ApiError::busy("Network Domain", &nd.id, nd.state.as_str()));
    }
    let vlans = ctx
        .org
        .vlans
        .values()
        .filter(|v| v.network_domain_id == nd.id)
        .count();
    let servers = ctx
        .org
        .servers
        .values()
        .filter(|s| s.network_domain_id == nd.id)
        .count();
    let blocks = ctx
        .org
        .public_ip_blocks
        .values()
        .filter(|b| b.network_domain_id == nd.id)
        .count();
    let lists = ctx
        .org
        .address_lists
        .values()
        .filter(|l| l.network_domain_id == nd.id)
        .count()
        + ctx
            .org
            .port_lists
            .values()
            .filter(|l| l.network_domain_id == nd.id)
            .count();
    let vip = crate::resources::vip_common::objects_in(ctx.org, &nd.id);
    if vlans + servers + blocks + lists + vip > 0 {
        return Err(ApiError::new(
            Code::HasDependency,
            format!(
                "id: Network Domain {} still has {vlans} VLAN(s), {servers} server(s), {blocks} public IP block(s), {lists} IP address or port list(s) and {vip} load-balancer object(s); remove them first.",
                nd.id
            ),
        ));
    }
    let region = catalog::datacenter(&nd.datacenter_id)
        .map(|d| d.region)
        .unwrap_or_default();
    check_deploy_lock(ctx.org, &ctx.call.org_id, region)?;
    let nd = ctx
        .org
        .network_domains
        .get_mut(&body.id)
        .ok_or_else(|| ApiError::not_found("Network Domain", &body.id))?;
    nd.state = State::PendingDelete;
    nd.pending = Some(schedule(
        OpKind::DeleteNetworkDomain,
        Outcome::Remove,
        ctx.call.now_ms,
        ctx.call.time_scale,
    ));
    Ok(Reply::Action(Action::in_progress(
        "DELETE_NETWORK_DOMAIN",
        format!(
            "Request to Delete Network Domain (Id: {}) has been accepted and is being processed.",
            nd.id
        ),
    )))
}
