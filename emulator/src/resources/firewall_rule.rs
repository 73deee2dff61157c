//! Firewall rules: create with placement, get, list, edit (`enabled`), delete (all synchronous), and
//! the five CCDEFAULT rules every network domain starts with.

use super::{check_id, network_domain, new_id, Ctx};
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::State;
use crate::paging::{self, FilterSpec};
use crate::store::Org;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Most rules per network domain.
pub const MAX_RULES_PER_DOMAIN: usize = 1000;
/// Longest rule name.
pub const MAX_NAME_LEN: usize = 75;

/// Source or destination of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// `ANY`, a host or a network address.
    pub address: String,
    /// Prefix length for a network.
    pub prefix: Option<u8>,
    /// First port.
    pub port_begin: Option<u16>,
    /// Last port of a range.
    pub port_end: Option<u16>,
}

impl Scope {
    fn any() -> Self {
        Scope {
            address: "ANY".into(),
            prefix: None,
            port_begin: None,
            port_end: None,
        }
    }

    fn port(begin: u16) -> Self {
        Scope {
            port_begin: Some(begin),
            ..Scope::any()
        }
    }

    fn to_json(&self) -> Value {
        let mut ip = json!({"address": self.address});
        if let Some(p) = self.prefix {
            ip["prefixSize"] = json!(p);
        }
        let mut v = json!({"ip": ip});
        if let Some(b) = self.port_begin {
            let mut port = json!({"begin": b});
            if let Some(e) = self.port_end {
                port["end"] = json!(e);
            }
            v["port"] = port;
        }
        v
    }
}

/// A stored firewall rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FirewallRule {
    /// Id.
    pub id: String,
    /// Network domain id.
    pub network_domain_id: String,
    /// Datacenter id.
    pub datacenter_id: String,
    /// Name.
    pub name: String,
    /// ACCEPT_DECISIVELY or DROP.
    pub action: String,
    /// IPV4 or IPV6.
    pub ip_version: String,
    /// IP, ICMP, TCP or UDP.
    pub protocol: String,
    /// Source.
    pub source: Scope,
    /// Destination.
    pub destination: Scope,
    /// Enabled.
    pub enabled: bool,
    /// DEFAULT_RULE or CLIENT_RULE.
    pub rule_type: String,
    /// Creation time (ms).
    pub create_time_ms: u64,
    /// State.
    pub state: State,
}

impl FirewallRule {
    /// The API's JSON shape.
    pub fn to_json(&self) -> Value {
        json!({
            "networkDomainId": self.network_domain_id,
            "name": self.name,
            "action": self.action,
            "ipVersion": self.ip_version,
            "protocol": self.protocol,
            "source": self.source.to_json(),
            "destination": self.destination.to_json(),
            "enabled": self.enabled,
            "state": self.state.as_str(),
            "id": self.id,
            "datacenterId": self.datacenter_id,
            "ruleType": self.rule_type,
        })
    }
}

/// The five CCDEFAULT rules of a new network domain.
pub fn default_rules(nd_id: &str, dc: &str, now_ms: u64) -> Vec<FirewallRule> {
    let rule = |name: &str, version: &str, protocol: &str, destination: Scope| FirewallRule {
        id: new_id(),
        network_domain_id: nd_id.into(),
        datacenter_id: dc.into(),
        name: name.into(),
        action: "DROP".into(),
        ip_version: version.into(),
        protocol: protocol.into(),
        source: Scope::any(),
        destination,
        enabled: true,
        rule_type: "DEFAULT_RULE".into(),
        create_time_ms: now_ms,
        state: State::Normal,
    };
    vec![
        rule(
            "CCDEFAULT.BlockOutboundMailIPv4",
            "IPV4",
            "TCP",
            Scope::port(25),
        ),
        rule(
            "CCDEFAULT.BlockOutboundMailIPv4Secure",
            "IPV4",
            "TCP",
            Scope::port(587),
        ),
        rule(
            "CCDEFAULT.BlockOutboundMailIPv6",
            "IPV6",
            "TCP",
            Scope::port(25),
        ),
        rule(
            "CCDEFAULT.BlockOutboundMailIPv6Secure",
            "IPV6",
            "TCP",
            Scope::port(587),
        ),
        rule(
            "CCDEFAULT.DenyExternalInboundIPv6",
            "IPV6",
            "IP",
            Scope::any(),
        ),
    ]
}

const FILTERS: &[FilterSpec] = &[
    ("networkDomainId", &["/networkDomainId"]),
    ("id", &["/id"]),
    ("name", &["/name"]),
    ("state", &["/state"]),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct IpBody {
    address: String,
    #[serde(default)]
    prefix_size: Option<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PortBody {
    begin: u16,
    #[serde(default)]
    end: Option<u16>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ScopeBody {
    #[serde(default)]
    ip: Option<IpBody>,
    #[serde(default)]
    ip_address_list_id: Option<String>,
    #[serde(default)]
    port: Option<PortBody>,
    #[serde(default)]
    port_list_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PlacementBody {
    position: String,
    #[serde(default)]
    relative_to_rule: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateBody {
    network_domain_id: String,
    name: String,
    action: String,
    #[serde(default = "default_true")]
    enabled: bool,
    placement: PlacementBody,
    ip_version: String,
    protocol: String,
    source: ScopeBody,
    destination: ScopeBody,
}

fn default_true() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditBody {
    id: String,
    enabled: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdBody {
    id: String,
}

fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<String, ApiError> {
    let upper = value.to_ascii_uppercase();
    if allowed.contains(&upper.as_str()) {
        Ok(upper)
    } else {
        Err(ApiError::invalid(
            field,
            format!("`{value}` must be one of {}", allowed.join(", ")),
        ))
    }
}

/// Checks the documented name rules: letters, digits, `_` and `.`, starting with a letter or `_`.
pub fn check_rule_name(name: &str) -> Result<(), ApiError> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok {
        return Err(ApiError::invalid(
            "name",
            format!("`{name}` must begin with a letter or underscore"),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '.'))
    {
        return Err(ApiError::invalid(
            "name",
            format!("`{name}` contains `{bad}`; only letters, digits, `_` and `.` are allowed"),
        ));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(ApiError::invalid(
            "name",
            format!("must be at most {MAX_NAME_LEN} characters"),
        ));
    }
    if name.to_ascii_uppercase().starts_with("CCDEFAULT.") {
        return Err(ApiError::invalid(
            "name",
            "must not start with `CCDEFAULT.` (reserved for default rules)",
        ));
    }
    Ok(())
}

fn scope(
    field: &str,
    body: ScopeBody,
    ip_version: &str,
    protocol: &str,
) -> Result<Scope, ApiError> {
    if body.ip_address_list_id.is_some() {
        return Err(ApiError::new(
            Code::OperationNotSupported,
            format!("{field}.ipAddressListId: IP address lists are not emulated"),
        ));
    }
    if body.port_list_id.is_some() {
        return Err(ApiError::new(
            Code::OperationNotSupported,
            format!("{field}.portListId: port lists are not emulated"),
        ));
    }
    let ip = body
        .ip
        .ok_or_else(|| ApiError::invalid(&format!("{field}.ip"), "is required"))?;
    let address = if ip.address.eq_ignore_ascii_case("ANY") {
        if ip.prefix_size.is_some() {
            return Err(ApiError::invalid(
                &format!("{field}.ip.prefixSize"),
                "is not allowed with address ANY",
            ));
        }
        "ANY".to_string()
    } else {
        let max = if ip_version == "IPV4" {
            ip.address.parse::<Ipv4Addr>().map_err(|_| {
                ApiError::invalid(
                    &format!("{field}.ip.address"),
                    format!("`{}` is not an IPv4 address (ipVersion IPV4)", ip.address),
                )
            })?;
            32
        } else {
            ip.address.parse::<Ipv6Addr>().map_err(|_| {
                ApiError::invalid(
                    &format!("{field}.ip.address"),
                    format!("`{}` is not an IPv6 address (ipVersion IPV6)", ip.address),
                )
            })?;
            128
        };
        if let Some(p) = ip.prefix_size {
            if p == 0 || p > max {
                return Err(ApiError::invalid(
                    &format!("{field}.ip.prefixSize"),
                    format!("{p} must be between 1 and {max}"),
                ));
            }
        }
        ip.address
    };
    let (port_begin, port_end) = match body.port {
        None => (None, None),
        Some(_) if !matches!(protocol, "TCP" | "UDP") => {
            return Err(ApiError::invalid(
                &format!("{field}.port"),
                format!("ports apply only to TCP and UDP, not {protocol}"),
            ))
        }
        Some(p) => {
            if p.begin == 0 {
                return Err(ApiError::invalid(
                    &format!("{field}.port.begin"),
                    "must be between 1 and 65535",
                ));
            }
            if let Some(e) = p.end {
                if e < p.begin {
                    return Err(ApiError::invalid(
                        &format!("{field}.port.end"),
                        format!("{e} must not be below begin {}", p.begin),
                    ));
                }
            }
            (Some(p.begin), p.end)
        }
    };
    Ok(Scope {
        address,
        prefix: ip.prefix_size,
        port_begin,
        port_end,
    })
}

fn find<'a>(org: &'a Org, field: &str, id: &str) -> Result<&'a FirewallRule, ApiError> {
    check_id(field, id)?;
    org.firewall_rules
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| ApiError::not_found("Firewall rule", id))
}

/// `GET network/firewallRule/{id}`.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.as_deref().unwrap_or_default();
    Ok(Reply::Document(find(ctx.org, "id", id)?.to_json()))
}

/// `GET network/firewallRule?networkDomainId=…` (in evaluation order).
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = ctx.org.firewall_rules.iter().map(|r| r.to_json()).collect();
    paging::page(items, "firewallRule", &ctx.call.query, FILTERS).map(Reply::Document)
}

/// `POST network/createFirewallRule` (synchronous) with FIRST/LAST/BEFORE/AFTER placement.
pub fn create(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: CreateBody = ctx.body()?;
    let nd = network_domain::find(ctx.org, "networkDomainId", &body.network_domain_id)?;
    if nd.state != State::Normal {
        return Err(ApiError::new(
            Code::ResourceBusy,
            format!(
                "networkDomainId: Network Domain {} is {}.",
                nd.id,
                nd.state.as_str()
            ),
        ));
    }
    check_rule_name(&body.name)?;
    let action = one_of("action", &body.action, &["ACCEPT_DECISIVELY", "DROP"])?;
    let ip_version = one_of("ipVersion", &body.ip_version, &["IPV4", "IPV6"])?;
    let protocol = one_of("protocol", &body.protocol, &["IP", "ICMP", "TCP", "UDP"])?;
    let source = scope("source", body.source, &ip_version, &protocol)?;
    let destination = scope("destination", body.destination, &ip_version, &protocol)?;
    let in_domain: Vec<usize> = ctx
        .org
        .firewall_rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.network_domain_id == nd.id)
        .map(|(i, _)| i)
        .collect();
    if in_domain
        .iter()
        .any(|i| ctx.org.firewall_rules[*i].name == body.name)
    {
        return Err(ApiError::new(
            Code::NameNotUnique,
            format!(
                "name: a firewall rule named '{}' already exists in Network Domain {}.",
                body.name, nd.id
            ),
        ));
    }
    if in_domain.len() >= MAX_RULES_PER_DOMAIN {
        return Err(ApiError::new(Code::ExceedsLimit, format!("networkDomainId: Network Domain {} already has {MAX_RULES_PER_DOMAIN} firewall rules.", nd.id)));
    }
    let position = one_of(
        "placement.position",
        &body.placement.position,
        &["FIRST", "LAST", "BEFORE", "AFTER"],
    )?;
    let relative = |rel: &Option<String>| -> Result<usize, ApiError> {
        let name = rel.as_deref().ok_or_else(|| {
            ApiError::invalid(
                "placement.relativeToRule",
                format!("is required for position {position}"),
            )
        })?;
        in_domain
            .iter()
            .copied()
            .find(|i| ctx.org.firewall_rules[*i].name == name)
            .ok_or_else(|| {
                ApiError::invalid(
                    "placement.relativeToRule",
                    format!("no rule named '{name}' in the network domain"),
                )
            })
    };
    let end = ctx.org.firewall_rules.len();
    let index = match position.as_str() {
        "FIRST" => in_domain.first().copied().unwrap_or(end),
        "LAST" => in_domain.last().map(|i| i + 1).unwrap_or(end),
        "BEFORE" => relative(&body.placement.relative_to_rule)?,
        _ => relative(&body.placement.relative_to_rule)? + 1,
    };
    if matches!(position.as_str(), "FIRST" | "LAST") && body.placement.relative_to_rule.is_some() {
        return Err(ApiError::invalid(
            "placement.relativeToRule",
            format!("is not allowed with position {position}"),
        ));
    }
    let id = new_id();
    let rule = FirewallRule {
        id: id.clone(),
        network_domain_id: nd.id.clone(),
        datacenter_id: nd.datacenter_id.clone(),
        name: body.name.clone(),
        action,
        ip_version,
        protocol,
        source,
        destination,
        enabled: body.enabled,
        rule_type: "CLIENT_RULE".into(),
        create_time_ms: ctx.call.now_ms,
        state: State::Normal,
    };
    ctx.org.firewall_rules.insert(index, rule);
    Ok(Reply::Action(
        Action::ok(
            "CREATE_FIREWALL_RULE",
            format!(
                "Firewall Rule '{}' has been created successfully.",
                body.name
            ),
        )
        .info("firewallRuleId", id),
    ))
}

/// `POST network/editFirewallRule` (synchronous): enable or disable, default rules included.
pub fn edit(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: EditBody = ctx.body()?;
    find(ctx.org, "id", &body.id)?;
    let rule = ctx
        .org
        .firewall_rules
        .iter_mut()
        .find(|r| r.id == body.id)
        .ok_or_else(|| ApiError::not_found("Firewall rule", &body.id))?;
    rule.enabled = body.enabled;
    Ok(Reply::Action(Action::ok(
        "EDIT_FIREWALL_RULE",
        format!(
            "Firewall Rule '{}' has been edited successfully.",
            rule.name
        ),
    )))
}

/// `POST network/deleteFirewallRule` (synchronous): default rules cannot be deleted.
pub fn delete(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    let rule = find(ctx.org, "id", &body.id)?;
    if rule.rule_type == "DEFAULT_RULE" {
        return Err(ApiError::new(
            Code::OperationNotSupported,
            format!(
                "id: {} is a default rule; it can be disabled but not deleted.",
                rule.name
            ),
        ));
    }
    ctx.org.firewall_rules.retain(|r| r.id != body.id);
    Ok(Reply::Action(Action::ok(
        "DELETE_FIREWALL_RULE",
        "Firewall Rule has been deleted successfully.",
    )))
}
