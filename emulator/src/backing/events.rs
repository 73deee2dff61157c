//! What the backing program is told: a snapshot of the assets it backs, taken before and after
//! every accepted write, and the lifecycle events that tell the two apart.
//!
//! Deriving events from the state (rather than from each handler) keeps the resources unaware of
//! node backing: a handler changes the organisation as the API says, and this module notices what
//! changed for the machines behind it.

use crate::catalog;
use crate::lifecycle::State;
use crate::net;
use crate::resources::firewall_rule::{FirewallRule, Scope};
use crate::resources::server::Server;
use crate::resources::server_nic::Nic;
use crate::resources::vip_default;
use crate::resources::virtual_listener::VirtualListener;
use crate::store::Org;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Which asset an event holds in its pending state until the backing program is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// A network domain.
    NetworkDomain(String),
    /// A VLAN.
    Vlan(String),
    /// A server.
    Server(String),
}

/// One lifecycle event for the backing program.
#[derive(Debug, Clone)]
pub struct Event {
    /// `server.deploy`, `natRule.create`, ...
    pub kind: &'static str,
    /// The asset the event is about (network domain id for firewall updates).
    pub asset_id: String,
    /// Its name, for progress displays.
    pub asset_name: String,
    /// Events of one lane run one after another; lanes run side by side.
    pub lane: String,
    /// The asset held pending until the program has finished, if any.
    pub held: Option<Held>,
    /// The event's body (without `event`, `sequence` and secrets).
    pub body: Value,
    /// The server's administrator password (deploy only): sent on the program's stdin, never
    /// logged or recorded.
    pub admin_password: Option<String>,
}

impl Event {
    /// Coalescible events: a later one makes an earlier one, not yet started, pointless.
    pub fn supersedes(&self, earlier: &Event) -> bool {
        // Both carry the domain's whole configuration.
        matches!(self.kind, "firewall.update" | "loadBalancer.update")
            && earlier.kind == self.kind
            && earlier.lane == self.lane
    }

    /// The JSON the program reads on stdin.
    pub fn to_stdin(&self, sequence: u64) -> Value {
        let mut v = self.body.clone();
        v["event"] = json!(self.kind);
        v["sequence"] = json!(sequence);
        if let Some(p) = &self.admin_password {
            v["adminPassword"] = json!(p);
        }
        v
    }
}

#[derive(Debug, Clone, PartialEq)]
struct DomainView {
    state: State,
    body: Value,
}

#[derive(Debug, Clone, PartialEq)]
struct VlanView {
    state: State,
    domain: String,
    body: Value,
}

#[derive(Debug, Clone, PartialEq)]
struct ServerView {
    state: State,
    domain: String,
    /// Due time of the pending operation: a new one means a new operation.
    due_ms: Option<u64>,
    action: Option<String>,
    started_after: Option<bool>,
    started: bool,
    body: Value,
}

/// The backed assets of one organisation, as the program sees them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct View {
    domains: BTreeMap<String, DomainView>,
    vlans: BTreeMap<String, VlanView>,
    servers: BTreeMap<String, ServerView>,
    nat_rules: BTreeMap<String, (String, Value)>,
    firewalls: BTreeMap<String, Value>,
    /// Each domain's virtual listeners with their pools and members.
    load_balancers: BTreeMap<String, Value>,
}

fn addr_v6(ip: std::net::Ipv6Addr) -> String {
    ip.to_string()
}

/// A rule's source or destination as the machines need it: the addresses and ports it matches
/// in nftables notation, IP address and port lists expanded (`null`: any).
fn scope_json(org: &Org, s: &Scope) -> Value {
    json!({
        "addresses": s.addresses(org),
        "ports": s.ports(org),
    })
}

fn rule_json(org: &Org, r: &FirewallRule) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "action": r.action,
        "ipVersion": r.ip_version,
        "protocol": r.protocol,
        "source": scope_json(org, &r.source),
        "destination": scope_json(org, &r.destination),
        "enabled": r.enabled,
        "ruleType": r.rule_type,
    })
}

fn nic_json(org: &Org, n: &Nic) -> Value {
    let vlan = org.vlans.get(&n.vlan_id);
    json!({
        "id": n.id,
        "vlanId": n.vlan_id,
        "macAddress": n.mac,
        "privateIpv4": n.private_ipv4.to_string(),
        "ipv4PrefixSize": vlan.map(|v| v.prefix),
        "ipv4Gateway": vlan.map(|v| v.gateway_ipv4().to_string()),
        "ipv6": addr_v6(n.ipv6),
        "ipv6PrefixSize": 64,
        "ipv6Gateway": vlan.map(|v| addr_v6(net::ipv6_host(v.ipv6_prefix, 1))),
    })
}

fn server_json(org: &Org, s: &Server) -> Value {
    let image = catalog::image(&s.image_id);
    let disks: Vec<Value> = s
        .disks
        .iter()
        .filter(|d| d.state != State::PendingDelete)
        .map(|d| json!({"id": d.id, "scsiId": d.scsi_id, "sizeGb": d.size_gb, "speed": d.speed}))
        .collect();
    json!({
        "id": s.id,
        "name": s.name,
        "networkDomainId": s.network_domain_id,
        "image": {
            "id": s.image_id,
            "name": image.map(|i| i.template.name).unwrap_or_default(),
            "family": image.map(|i| i.template.family).unwrap_or_default(),
        },
        "cpuCount": s.cpu_count,
        "memoryGb": s.memory_gb,
        "nics": s.nics().map(|n| nic_json(org, n)).collect::<Vec<_>>(),
        "disks": disks,
    })
}

/// A virtual listener as the machines need it: where it listens, and the pool behind it with
/// each member's address, port and whether it may take traffic (its own and its node's status).
fn listener_json(org: &Org, l: &VirtualListener) -> Value {
    let pool = l.pool_id.as_ref().and_then(|id| org.vip_pools.get(id)).map(|p| {
        let members: Vec<Value> = org
            .vip_pool_members
            .values()
            .filter(|m| m.pool_id == p.id && m.state != State::PendingDelete)
            .filter_map(|m| {
                let node = org.vip_nodes.get(&m.node_id)?;
                Some(json!({
                    "id": m.id,
                    "nodeId": node.id,
                    "nodeName": node.name,
                    "address": node.ip.to_string(),
                    "port": m.port,
                    "enabled": m.status == "ENABLED" && node.status == "ENABLED",
                    "nodeHealthMonitor": node.health_monitor_id.as_deref().and_then(vip_default::monitor_name),
                }))
            })
            .collect();
        json!({
            "id": p.id,
            "name": p.name,
            "loadBalanceMethod": p.load_balance_method,
            "healthMonitors": p.health_monitor_ids.iter().filter_map(|id| vip_default::monitor_name(id)).collect::<Vec<_>>(),
            "serviceDownAction": p.service_down_action,
            "slowRampTime": p.slow_ramp_time,
            "members": members,
        })
    });
    let persistence = l
        .persistence_profile_id
        .as_deref()
        .and_then(vip_default::profile_name);
    json!({
        "id": l.id,
        "name": l.name,
        "type": l.listener_type,
        "protocol": l.protocol,
        "ipv4": l.ip.to_string(),
        "addressability": l.addressability,
        "port": l.port,
        "enabled": l.enabled,
        "connectionLimit": l.connection_limit,
        "persistenceProfile": persistence,
        "pool": pool,
    })
}

impl View {
    /// The snapshot of `org`.
    pub fn of(org: &Org) -> View {
        let mut view = View::default();
        for nd in org.network_domains.values() {
            view.domains.insert(
                nd.id.clone(),
                DomainView {
                    state: nd.state,
                    body: json!({
                        "id": nd.id,
                        "name": nd.name,
                        "datacenterId": nd.datacenter_id,
                        "snatIpv4": nd.snat_ipv4.to_string(),
                    }),
                },
            );
        }
        for v in org.vlans.values() {
            view.vlans.insert(
                v.id.clone(),
                VlanView {
                    state: v.state,
                    domain: v.network_domain_id.clone(),
                    body: json!({
                        "id": v.id,
                        "name": v.name,
                        "networkDomainId": v.network_domain_id,
                        "ipv4": {"network": v.ipv4_base.to_string(), "prefixSize": v.prefix, "gateway": v.gateway_ipv4().to_string()},
                        "ipv6": {"network": addr_v6(v.ipv6_prefix), "prefixSize": 64, "gateway": addr_v6(net::ipv6_host(v.ipv6_prefix, 1))},
                    }),
                },
            );
        }
        // MCP 1.0 servers (no network domain) are not backed by machines.
        for s in org.servers.values().filter(|s| !s.is_mcp1()) {
            view.servers.insert(
                s.id.clone(),
                ServerView {
                    state: s.state,
                    domain: s.network_domain_id.clone(),
                    due_ms: s.pending.map(|p| p.due_ms),
                    action: s.progress.as_ref().map(|p| p.action.clone()),
                    started_after: s.started_after,
                    started: s.started,
                    body: server_json(org, s),
                },
            );
        }
        for r in org.nat_rules.values() {
            view.nat_rules.insert(
                r.id.clone(),
                (
                    r.network_domain_id.clone(),
                    json!({
                        "id": r.id,
                        "networkDomainId": r.network_domain_id,
                        "internalIpv4": r.internal_ip.to_string(),
                        "externalIpv4": r.external_ip.to_string(),
                    }),
                ),
            );
        }
        for nd in org.network_domains.keys() {
            let rules: Vec<Value> = org
                .firewall_rules
                .iter()
                .filter(|r| &r.network_domain_id == nd)
                .map(|r| rule_json(org, r))
                .collect();
            view.firewalls.insert(nd.clone(), Value::Array(rules));
            let listeners: Vec<Value> = org
                .virtual_listeners
                .values()
                .filter(|l| &l.network_domain_id == nd && l.state != State::PendingDelete)
                .map(|l| listener_json(org, l))
                .collect();
            view.load_balancers
                .insert(nd.clone(), Value::Array(listeners));
        }
        view
    }

    fn domain_body(&self, id: &str) -> Value {
        self.domains
            .get(id)
            .map(|d| d.body.clone())
            .unwrap_or_else(|| json!({"id": id}))
    }

    /// The events that turn `before` into `self`, in the order the program must see them.
    /// `admin_password` is the password of a server deployed by this call.
    pub fn events_since(&self, before: &View, admin_password: Option<&str>) -> Vec<Event> {
        let mut out = Vec::new();
        let domain_lane = |id: &str| format!("networkDomain:{id}");
        for (id, d) in &self.domains {
            let name = d.body["name"].as_str().unwrap_or_default().to_owned();
            match before.domains.get(id) {
                None => out.push(Event {
                    kind: "networkDomain.deploy",
                    asset_id: id.clone(),
                    asset_name: name,
                    lane: domain_lane(id),
                    held: Some(Held::NetworkDomain(id.clone())),
                    body: json!({"networkDomain": d.body}),
                    admin_password: None,
                }),
                Some(old)
                    if old.state != State::PendingDelete && d.state == State::PendingDelete =>
                {
                    out.push(Event {
                        kind: "networkDomain.delete",
                        asset_id: id.clone(),
                        asset_name: name,
                        lane: domain_lane(id),
                        held: Some(Held::NetworkDomain(id.clone())),
                        body: json!({"networkDomain": d.body}),
                        admin_password: None,
                    })
                }
                _ => {}
            }
        }
        for (id, v) in &self.vlans {
            let name = v.body["name"].as_str().unwrap_or_default().to_owned();
            let kind = match before.vlans.get(id) {
                None => Some("vlan.deploy"),
                Some(old)
                    if old.state != State::PendingDelete && v.state == State::PendingDelete =>
                {
                    Some("vlan.delete")
                }
                _ => None,
            };
            if let Some(kind) = kind {
                out.push(Event {
                    kind,
                    asset_id: id.clone(),
                    asset_name: name,
                    lane: domain_lane(&v.domain),
                    held: Some(Held::Vlan(id.clone())),
                    body: json!({"networkDomain": self.domain_body(&v.domain), "vlan": v.body}),
                    admin_password: None,
                });
            }
        }
        for (id, s) in &self.servers {
            let kind = match before.servers.get(id) {
                None => Some("server.deploy"),
                Some(old) if s.due_ms.is_some() && s.due_ms != old.due_ms => {
                    server_operation(s.action.as_deref())
                }
                _ => None,
            };
            let Some(kind) = kind else { continue };
            let mut server = s.body.clone();
            // What the node should be once the operation is over.
            server["started"] = json!(s.started_after.unwrap_or(s.started));
            out.push(Event {
                kind,
                asset_id: id.clone(),
                asset_name: s.body["name"].as_str().unwrap_or_default().to_owned(),
                lane: format!("server:{id}"),
                held: Some(Held::Server(id.clone())),
                body: json!({"networkDomain": self.domain_body(&s.domain), "server": server}),
                admin_password: (kind == "server.deploy")
                    .then(|| admin_password.map(str::to_owned))
                    .flatten(),
            });
        }
        for (id, (nd, body)) in &self.nat_rules {
            if !before.nat_rules.contains_key(id) {
                out.push(nat_event("natRule.create", id, nd, body, self));
            }
        }
        for (id, (nd, body)) in &before.nat_rules {
            if !self.nat_rules.contains_key(id) {
                out.push(nat_event("natRule.delete", id, nd, body, before));
            }
        }
        for (nd, rules) in &self.firewalls {
            let changed = before.firewalls.get(nd) != Some(rules);
            // A new domain's default rules come with its deploy event.
            if changed && before.domains.contains_key(nd) {
                out.push(Event {
                    kind: "firewall.update",
                    asset_id: nd.clone(),
                    asset_name: self.domains[nd].body["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    lane: domain_lane(nd),
                    held: None,
                    body: json!({"networkDomain": self.domain_body(nd), "rules": rules}),
                    admin_password: None,
                });
            }
        }
        for (nd, listeners) in &self.load_balancers {
            let before_listeners = before.load_balancers.get(nd);
            // A new domain has no listeners; one that had none and still has none says nothing.
            let changed = match before_listeners {
                Some(old) => old != listeners,
                None => listeners.as_array().is_some_and(|l| !l.is_empty()),
            };
            if changed
                && self
                    .domains
                    .get(nd)
                    .is_some_and(|d| d.state != State::PendingDelete)
            {
                out.push(Event {
                    kind: "loadBalancer.update",
                    asset_id: nd.clone(),
                    asset_name: self.domains[nd].body["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    lane: domain_lane(nd),
                    held: None,
                    body: json!({"networkDomain": self.domain_body(nd), "listeners": listeners}),
                    admin_password: None,
                });
            }
        }
        // A new domain's events carry its default rules.
        for e in &mut out {
            if e.kind == "networkDomain.deploy" {
                e.body["rules"] = self.firewalls.get(&e.asset_id).cloned().unwrap_or_default();
            }
        }
        out
    }

    /// Events that re-issue operations the program was running when the emulator stopped: the
    /// assets whose pending state is still held at `held_due`.
    pub fn interrupted(&self, org: &Org, held_due: u64) -> Vec<Event> {
        let mut before = self.clone();
        // Forget every held asset's operation, then derive the events that lead back to it.
        for nd in org.network_domains.values() {
            if nd.pending.is_some_and(|p| p.due_ms == held_due) {
                match nd.state {
                    State::PendingAdd => {
                        before.domains.remove(&nd.id);
                    }
                    _ => before
                        .domains
                        .get_mut(&nd.id)
                        .into_iter()
                        .for_each(|d| d.state = State::Normal),
                }
            }
        }
        for v in org.vlans.values() {
            if v.pending.is_some_and(|p| p.due_ms == held_due) {
                match v.state {
                    State::PendingAdd => {
                        before.vlans.remove(&v.id);
                    }
                    _ => before
                        .vlans
                        .get_mut(&v.id)
                        .into_iter()
                        .for_each(|x| x.state = State::Normal),
                }
            }
        }
        for s in org.servers.values() {
            if s.pending.is_some_and(|p| p.due_ms == held_due) {
                match s.state {
                    State::PendingAdd => {
                        before.servers.remove(&s.id);
                    }
                    _ => before
                        .servers
                        .get_mut(&s.id)
                        .into_iter()
                        .for_each(|x| x.due_ms = None),
                }
            }
        }
        self.events_since(&before, None)
            .into_iter()
            .filter(|e| e.held.is_some())
            .collect()
    }
}

fn nat_event(kind: &'static str, id: &str, nd: &str, body: &Value, view: &View) -> Event {
    Event {
        kind,
        asset_id: id.to_owned(),
        asset_name: format!(
            "{} -> {}",
            body["externalIpv4"].as_str().unwrap_or_default(),
            body["internalIpv4"].as_str().unwrap_or_default()
        ),
        lane: format!("networkDomain:{nd}"),
        held: None,
        body: json!({"networkDomain": view.domain_body(nd), "natRule": body}),
        admin_password: None,
    }
}

/// The event of a server operation, by the API's progress action.
fn server_operation(action: Option<&str>) -> Option<&'static str> {
    Some(match action? {
        "START_SERVER" => "server.start",
        "SHUTDOWN_SERVER" => "server.shutdown",
        "POWER_OFF_SERVER" => "server.powerOff",
        "REBOOT_SERVER" => "server.reboot",
        "RESET_SERVER" => "server.reset",
        "DELETE_SERVER" | "CLEAN_SERVER" => "server.delete",
        // disks, NICs, CPU and memory: the node takes them at its next boot
        _ => "server.update",
    })
}

/// The administrator password in a deploy request body, if any.
pub fn admin_password_of(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Deploy {
        administrator_password: Option<String>,
    }
    match serde_json::from_slice::<Deploy>(body) {
        Ok(d) => d.administrator_password,
        // Only called after the request succeeded, so a body that is not JSON was XML.
        Err(_) => crate::xml::child_text(body, "administratorPassword"),
    }
}

/// The record of one event for `/_emulator/backing` and progress displays.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// Sequence number, in arrival order.
    pub sequence: u64,
    /// Event kind.
    pub event: &'static str,
    /// Asset id.
    pub asset_id: String,
    /// Asset name.
    pub asset_name: String,
    /// `queued`, `running`, `succeeded`, `failed` or `superseded`.
    pub state: &'static str,
    /// When queued (ms since the epoch).
    pub queued_ms: u64,
    /// How long the program ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// The program's last stderr line when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
