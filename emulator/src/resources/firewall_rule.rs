//! Firewall rules: create with placement, get, list, edit (`enabled`), delete (all synchronous), and
//! the five CCDEFAULT rules every network domain starts with.

use super::{check_id, network_domain, new_id, Ctx, IdBody};
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
    /// The IP address list used instead of `address` (which is then empty).
    #[serde(default)]
    pub address_list_id: Option<String>,
    /// The port list used instead of a port range.
    #[serde(default)]
    pub port_list_id: Option<String>,
}

impl Scope {
    fn any() -> Self {
        Scope {
            address: "ANY".into(),
            prefix: None,
            port_begin: None,
            port_end: None,
            address_list_id: None,
            port_list_id: None,
        }
    }

    fn port(begin: u16) -> Self {
        Scope {
            port_begin: Some(begin),
            ..Scope::any()
        }
    }

    /// The API's shape: `ip` or `ipAddressList {id, name}`, then `port` or `portList {id, name}`.
    fn to_json(&self, org: &Org) -> Value {
        let summary =
            |id: &str, name: Option<&str>| json!({"id": id, "name": name.unwrap_or_default()});
        let mut v = match &self.address_list_id {
            Some(id) => {
                json!({"ipAddressList": summary(id, org.address_lists.get(id).map(|l| l.name.as_str()))})
            }
            None => {
                let mut ip = json!({"address": self.address});
                if let Some(p) = self.prefix {
                    ip["prefixSize"] = json!(p);
                }
                json!({"ip": ip})
            }
        };
        if let Some(id) = &self.port_list_id {
            v["portList"] = summary(id, org.port_lists.get(id).map(|l| l.name.as_str()));
        } else if let Some(b) = self.port_begin {
            let mut port = json!({"begin": b});
            if let Some(e) = self.port_end {
                port["end"] = json!(e);
            }
            v["port"] = port;
        }
        v
    }

    /// The addresses the scope matches in nftables notation, lists expanded (`None`: any).
    pub fn addresses(&self, org: &Org) -> Option<Vec<String>> {
        match &self.address_list_id {
            Some(id) => Some(super::address_list::expanded(org, id)),
            None if self.address == "ANY" => None,
            None => Some(vec![match self.prefix {
                Some(p) => format!("{}/{p}", self.address),
                None => self.address.clone(),
            }]),
        }
    }

    /// The ports the scope matches in nftables notation, lists expanded (`None`: any).
    pub fn ports(&self, org: &Org) -> Option<Vec<String>> {
        match (&self.port_list_id, self.port_begin) {
            (Some(id), _) => Some(super::port_list::expanded(org, id)),
            (None, Some(b)) => Some(vec![match self.port_end {
                Some(e) if e != b => format!("{b}-{e}"),
                _ => b.to_string(),
            }]),
            (None, None) => None,
        }
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
    pub fn to_json(&self, org: &Org) -> Value {
        json!({
            "networkDomainId": self.network_domain_id,
            "name": self.name,
            "action": self.action,
            "ipVersion": self.ip_version,
            "protocol": self.protocol,
            "source": self.source.to_json(org),
            "destination": self.destination.to_json(org),
            "enabled": self.enabled,
            "state": self.state.as_str(),
            "id": self.id,
            "datacenterId": self.datacenter_id,
            "ruleType": self.rule_type,
        })
    }
}

impl FirewallRule {
    /// Whether the rule's source or destination is IP address list `id`.
    pub fn uses_address_list(&self, id: &str) -> bool {
        [&self.source, &self.destination]
            .iter()
            .any(|s| s.address_list_id.as_deref() == Some(id))
    }

    /// Whether the rule's source or destination ports are port list `id`.
    pub fn uses_port_list(&self, id: &str) -> bool {
        [&self.source, &self.destination]
            .iter()
            .any(|s| s.port_list_id.as_deref() == Some(id))
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

/// A rule's source or destination: an address or an IP address list of the rule's domain and
/// version, and any port, a port range, or a port list of the domain.
fn scope(
    org: &Org,
    domain_id: &str,
    field: &str,
    body: ScopeBody,
    ip_version: &str,
    protocol: &str,
) -> Result<Scope, ApiError> {
    let port_list_id = match body.port_list_id {
        None => None,
        Some(_) if body.port.is_some() => {
            return Err(ApiError::invalid(
                field,
                "port and portListId exclude each other",
            ))
        }
        Some(_) if !matches!(protocol, "TCP" | "UDP") => {
            return Err(ApiError::invalid(
                &format!("{field}.portListId"),
                format!("ports apply only to TCP and UDP, not {protocol}"),
            ))
        }
        Some(id) => {
            let list_field = format!("{field}.portListId");
            check_id(&list_field, &id)?;
            let list = org
                .port_lists
                .get(&id)
                .ok_or_else(|| ApiError::not_found("Port list", &id))?;
            if list.network_domain_id != domain_id {
                return Err(ApiError::invalid(
                    &list_field,
                    format!("port list {id} belongs to another network domain"),
                ));
            }
            Some(id)
        }
    };
    let ip = match (body.ip, body.ip_address_list_id) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                field,
                "ip and ipAddressListId exclude each other",
            ))
        }
        (None, None) => {
            return Err(ApiError::invalid(
                &format!("{field}.ip"),
                "is required (or ipAddressListId)",
            ))
        }
        (None, Some(id)) => {
            let list_field = format!("{field}.ipAddressListId");
            check_id(&list_field, &id)?;
            let list = org
                .address_lists
                .get(&id)
                .ok_or_else(|| ApiError::not_found("IP address list", &id))?;
            if list.network_domain_id != domain_id {
                return Err(ApiError::invalid(
                    &list_field,
                    format!("IP address list {id} belongs to another network domain"),
                ));
            }
            if list.ip_version != ip_version {
                return Err(ApiError::invalid(
                    &list_field,
                    format!(
                        "IP address list {id} is {}, the rule is {ip_version}",
                        list.ip_version
                    ),
                ));
            }
            let (port_begin, port_end) = port_range(field, body.port, protocol)?;
            return Ok(Scope {
                address: String::new(),
                prefix: None,
                port_begin,
                port_end,
                address_list_id: Some(id),
                port_list_id,
            });
        }
        (Some(ip), None) => ip,
    };
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
    let (port_begin, port_end) = port_range(field, body.port, protocol)?;
    Ok(Scope {
        address,
        prefix: ip.prefix_size,
        port_begin,
        port_end,
        address_list_id: None,
        port_list_id,
    })
}

/// A `port` element: any (`None`), one port or a range; only for TCP and UDP.
fn port_range(
    field: &str,
    port: Option<PortBody>,
    protocol: &str,
) -> Result<(Option<u16>, Option<u16>), ApiError> {
    Ok(match port {
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
    Ok(Reply::Document(find(ctx.org, "id", id)?.to_json(ctx.org)))
}

/// `GET network/firewallRule?networkDomainId=…` (in evaluation order).
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = ctx
        .org
        .firewall_rules
        .iter()
        .map(|r| r.to_json(ctx.org))
        .collect();
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
    let nd_id = nd.id.clone();
    let source = scope(
        ctx.org,
        &nd_id,
        "source",
        body.source,
        &ip_version,
        &protocol,
    )?;
    let destination = scope(
        ctx.org,
        &nd_id,
        "destination",
        body.destination,
        &ip_version,
        &protocol,
    )?;
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
