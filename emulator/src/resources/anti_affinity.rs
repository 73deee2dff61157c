//! Server anti-affinity rules: a pair of servers kept on different hosts. Create and delete are
//! asynchronous (`IN_PROGRESS`, then `PENDING_ADD`/`PENDING_DELETE`); rules are listed, never
//! read by id (no public client uses such a path).
//!
//! The platform's rules, from CloudControl's documentation: exactly two servers, in the same
//! network domain, which must be ADVANCED (or ENTERPRISE); a server belongs to one rule at a
//! time (`CONFIGURATION_NOT_SUPPORTED`, as libcloud's recorded failure shows).

use super::{check_id, new_id, Ctx, IdBody};
use crate::clock;
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::{schedule, OpKind, Outcome, Pending, State};
use crate::paging::{self, FilterSpec};
use crate::store::Org;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A stored anti-affinity rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AntiAffinityRule {
    /// Id.
    pub id: String,
    /// The network domain of both servers.
    pub network_domain_id: String,
    /// Datacenter id.
    pub datacenter_id: String,
    /// The two servers.
    pub server_ids: Vec<String>,
    /// Creation time (ms).
    pub create_time_ms: u64,
    /// State.
    pub state: State,
    /// The transition in progress.
    pub pending: Option<Pending>,
}

impl AntiAffinityRule {
    /// The API's shape: up to 2.10 as the 2.2–2.4 clients record it (`created`,
    /// `serverSummary[]`), from 2.11 as NTT's documentation shows it (`createTime`, `server[]`).
    pub fn to_json(&self, org: &Org, minor: u32) -> Value {
        let servers: Vec<Value> = self
            .server_ids
            .iter()
            .map(|id| server_summary(org, id))
            .collect();
        let (time_key, servers_key) = if minor >= 11 {
            ("createTime", "server")
        } else {
            ("created", "serverSummary")
        };
        json!({
            "id": self.id,
            "state": self.state.as_str(),
            time_key: clock::iso8601(self.create_time_ms),
            "datacenterId": self.datacenter_id,
            servers_key: servers,
        })
    }
}

fn server_summary(org: &Org, id: &str) -> Value {
    let Some(s) = org.servers.get(id) else {
        return json!({ "id": id });
    };
    let domain_name = org
        .network_domains
        .get(&s.network_domain_id)
        .map(|d| d.name.clone())
        .unwrap_or_default();
    let vlan_name = org
        .vlans
        .get(&s.primary_nic.vlan_id)
        .map(|v| v.name.clone())
        .unwrap_or_default();
    json!({
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "networkingDetails": {"networkInfo": {
            "networkDomainId": s.network_domain_id,
            "networkDomainName": domain_name,
            "primaryNic": {
                "id": s.primary_nic.id,
                "privateIpv4": s.primary_nic.private_ipv4.to_string(),
                "ipv6": s.primary_nic.ipv6.to_string(),
                "vlanId": s.primary_nic.vlan_id,
                "vlanName": vlan_name,
            },
        }},
    })
}

/// The rule a server belongs to, if any (a server belongs to at most one).
pub fn rule_of<'a>(org: &'a Org, server_id: &str) -> Option<&'a AntiAffinityRule> {
    org.anti_affinity_rules
        .values()
        .find(|r| r.server_ids.iter().any(|s| s == server_id))
}

const FILTERS: &[FilterSpec] = &[
    ("id", &["/id"]),
    ("state", &["/state"]),
    ("datacenterId", &["/datacenterId"]),
    ("serverId", &["/serverSummary/*/id", "/server/*/id"]),
    (
        "networkDomainId",
        &[
            "/serverSummary/*/networkingDetails/networkInfo/networkDomainId",
            "/server/*/networkingDetails/networkInfo/networkDomainId",
        ],
    ),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateBody {
    server_id: Vec<String>,
}

/// `GET server/antiAffinityRule?…`.
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let minor = ctx.call.minor;
    let items = ctx
        .org
        .anti_affinity_rules
        .values()
        .map(|r| r.to_json(ctx.org, minor))
        .collect();
    paging::page(items, "antiAffinityRule", &ctx.call.query, FILTERS).map(Reply::Document)
}

/// `POST server/createAntiAffinityRule` (asynchronous; no id in the answer, as recorded:
/// clients find the rule by listing with `serverId`).
pub fn create(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: CreateBody = ctx.body()?;
    if body.server_id.len() != 2 || body.server_id[0] == body.server_id[1] {
        return Err(ApiError::invalid(
            "serverId",
            format!(
                "an anti-affinity rule needs exactly two different servers, got {}",
                body.server_id.len()
            ),
        ));
    }
    let mut servers = Vec::new();
    for (i, id) in body.server_id.iter().enumerate() {
        let field = format!("serverId[{i}]");
        check_id(&field, id)?;
        let server = ctx
            .org
            .servers
            .get(id)
            .ok_or_else(|| ApiError::not_found("Server", id))?;
        if server.state != State::Normal {
            return Err(ApiError::busy("Server", id, server.state.as_str()));
        }
        if let Some(rule) = rule_of(ctx.org, id) {
            return Err(ApiError::new(
                Code::ConfigurationNotSupported,
                format!("{field}: Server {id} is already in anti-affinity rule {}; a server can be in one rule at a time.", rule.id),
            ));
        }
        servers.push(server);
    }
    let (a, b) = (servers[0], servers[1]);
    if let Some(s) = [a, b].into_iter().find(|s| s.is_mcp1()) {
        // MCP 1.0 servers have no network domain; their rules belong to the v1 API (our reading).
        return Err(ApiError::new(
            Code::ConfigurationNotSupported,
            format!(
                "serverId: Server {} is in the MCP 1.0 datacenter {}; 2.x anti-affinity rules need servers in a network domain.",
                s.id, s.datacenter_id
            ),
        ));
    }
    if a.network_domain_id != b.network_domain_id {
        return Err(ApiError::new(
            Code::ConfigurationNotSupported,
            format!(
                "serverId: Servers {} and {} are in different network domains ({} and {}).",
                a.id, b.id, a.network_domain_id, b.network_domain_id
            ),
        ));
    }
    let nd = ctx
        .org
        .network_domains
        .get(&a.network_domain_id)
        .ok_or_else(|| ApiError::not_found("Network Domain", &a.network_domain_id))?;
    if nd.plan == "ESSENTIALS" {
        return Err(ApiError::new(
            Code::ConfigurationNotSupported,
            format!(
                "serverId: Network Domain {} is ESSENTIALS; anti-affinity needs an ADVANCED or ENTERPRISE network domain.",
                nd.id
            ),
        ));
    }
    let rule = AntiAffinityRule {
        id: new_id(),
        network_domain_id: nd.id.clone(),
        datacenter_id: nd.datacenter_id.clone(),
        server_ids: body.server_id.clone(),
        create_time_ms: ctx.call.now_ms,
        state: State::PendingAdd,
        pending: Some(schedule(
            OpKind::AntiAffinityRule,
            Outcome::Normal,
            ctx.call.now_ms,
            ctx.call.time_scale,
        )),
    };
    ctx.org.anti_affinity_rules.insert(rule.id.clone(), rule);
    Ok(Reply::Action(Action::in_progress(
        "CREATE_ANTI_AFFINITY_RULE",
        "Request to create Anti-Affinity Rule has been accepted. Please use appropriate Get or List API for status.",
    )))
}

/// `POST server/deleteAntiAffinityRule` (asynchronous).
pub fn delete(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    check_id("id", &body.id)?;
    let rule = ctx
        .org
        .anti_affinity_rules
        .get_mut(&body.id)
        .ok_or_else(|| ApiError::not_found("Anti-Affinity Rule", &body.id))?;
    if rule.state.is_pending() {
        return Err(ApiError::busy(
            "Anti-Affinity Rule",
            &rule.id,
            rule.state.as_str(),
        ));
    }
    rule.state = State::PendingDelete;
    rule.pending = Some(schedule(
        OpKind::AntiAffinityRule,
        Outcome::Remove,
        ctx.call.now_ms,
        ctx.call.time_scale,
    ));
    Ok(Reply::Action(Action::in_progress(
        "DELETE_ANTI_AFFINITY_RULE",
        "Request to delete Anti-Affinity Rule has been accepted. Please use appropriate Get or List API for status.",
    )))
}
