//! A rule's source and destination: the `source` and `destination` blocks (an address or
//! network or an IP address list, a port or port range or a port list, or `any`), what they
//! mean to the API, and how the API's scopes read back without a diff.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use cloudcontrol::{FirewallScope, IpScope, PortRange};
use serde::{Deserialize, Serialize};
use tfplugin::{AttributePath, Diagnostics, Value};

use crate::rules::check_port_range;

/// The two scope blocks, by attribute name.
pub const SCOPES: [&str; 2] = ["source", "destination"];

/// A `source` or `destination` block. Every attribute is optional, so a block with unknown
/// values (at plan time) reads too, those values as `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeBlock {
    pub ip: Option<String>,
    pub prefix_size: Option<i64>,
    pub port: Option<i64>,
    pub port_end: Option<i64>,
    pub address_list_id: Option<String>,
    pub port_list_id: Option<String>,
}

/// A scope block's meaning: its canonical address (`None` for any) or address list, prefix
/// size, and ports or port list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeMeaning {
    ip: Option<String>,
    prefix_size: Option<i64>,
    port: Option<i64>,
    port_end: Option<i64>,
    address_list_id: Option<String>,
    port_list_id: Option<String>,
}

/// Checks the scope block `scope` (named `which`) of a configuration for a rule of `protocol`
/// and IP version 6 or not. The block is read raw: an unknown value is set but not yet known,
/// unlike a null one.
pub fn validate_scope(
    which: &str,
    scope: &Value,
    protocol: Option<&str>,
    ipv6: bool,
    diags: &mut Diagnostics,
) {
    let at = |name: &str| AttributePath::attribute(which).attr(name);
    let int = |name: &str| scope.attr(name).as_i64();
    // Known and set: an unknown value (from another resource, or in a module's for_each) may
    // still turn out null.
    let set = |name: &str| {
        let value = scope.attr(name);
        value.is_known() && !value.is_null()
    };
    for (list, instead) in [
        ("address_list_id", ["ip", "prefix_size"]),
        ("port_list_id", ["port", "port_end"]),
    ] {
        if let Some(other) = instead.into_iter().find(|o| set(list) && set(o)) {
            diags.error_at(
                at(list),
                "Conflicting attributes",
                format!(
                    "{which}.{list} cannot be combined with {which}.{other}: a list replaces them"
                ),
            );
        }
    }
    if let Some(p) = protocol.filter(|p| set("port_list_id") && !matches!(*p, "TCP" | "UDP")) {
        diags.error_at(
            at("port_list_id"),
            "Invalid attribute value",
            format!("{which}.port_list_id is only allowed for TCP and UDP rules, not {p}"),
        );
    }
    if let Some(ip) = scope.attr("ip").as_str() {
        let valid = ip.eq_ignore_ascii_case("any")
            || if ipv6 {
                ip.parse::<Ipv6Addr>().is_ok()
            } else {
                ip.parse::<Ipv4Addr>().is_ok()
            };
        if !valid {
            let family = if ipv6 { "IPv6" } else { "IPv4" };
            diags.error_at(
                at("ip"),
                "Invalid attribute value",
                format!("{which}.ip must be an {family} address or \"any\", got {ip:?}"),
            );
        }
        if ip.eq_ignore_ascii_case("any") && !scope.attr("prefix_size").is_null() {
            diags.error_at(
                at("prefix_size"),
                "Invalid attribute value",
                format!("{which}.prefix_size cannot be combined with ip = \"any\""),
            );
        }
    } else if !scope.attr("prefix_size").is_null() && scope.attr("ip").is_null() {
        diags.error_at(
            at("prefix_size"),
            "Invalid attribute value",
            format!("{which}.prefix_size needs {which}.ip"),
        );
    }
    if let Some(prefix) = int("prefix_size") {
        let max = if ipv6 { 128 } else { 32 };
        if !(1..=max).contains(&prefix) {
            diags.error_at(
                at("prefix_size"),
                "Invalid attribute value",
                format!("{which}.prefix_size must be between 1 and {max}, got {prefix}"),
            );
        }
    }
    let port = int("port");
    let port_end = int("port_end");
    if let Some(begin) = port {
        if let Err(rule) = check_port_range(begin, port_end) {
            let name = if rule.starts_with("port_end") {
                "port_end"
            } else {
                "port"
            };
            diags.error_at(at(name), "Invalid port range", format!("{which}: {rule}"));
        }
        if let Some(p) = protocol.filter(|p| !matches!(*p, "TCP" | "UDP")) {
            diags.error_at(
                at("port"),
                "Invalid attribute value",
                format!("{which}.port is only allowed for TCP and UDP rules, not {p}"),
            );
        }
    } else if port_end.is_some() && scope.attr("port").is_null() {
        diags.error_at(
            at("port_end"),
            "Invalid attribute value",
            format!("{which}.port_end needs {which}.port"),
        );
    }
}

/// A scope block as the API scope it means (`any` when absent).
pub fn to_scope(block: Option<&ScopeBlock>) -> FirewallScope {
    let address_list_id = block.and_then(|b| b.address_list_id.clone());
    let ip = match block.and_then(|b| b.ip.as_deref()) {
        _ if address_list_id.is_some() => None,
        Some(ip) if !ip.eq_ignore_ascii_case("any") => Some(IpScope {
            address: ip.to_owned(),
            prefix_size: block.and_then(|b| b.prefix_size).map(|p| p as u8),
        }),
        _ => Some(IpScope::any()),
    };
    FirewallScope {
        ip,
        ip_address_list_id: address_list_id,
        port: block.and_then(|b| b.port).map(|begin| PortRange {
            begin: begin as u16,
            end: block.and_then(|b| b.port_end).map(|e| e as u16),
        }),
        port_list_id: block.and_then(|b| b.port_list_id.clone()),
        ..Default::default()
    }
}

/// A scope block reduced to what it means, so `ip = "any"` and an absent block compare equal,
/// and so do two spellings of one address (`2001:DB8::` and `2001:db8:0:0:0:0:0:0`).
pub fn normalized(block: Option<&ScopeBlock>) -> ScopeMeaning {
    let Some(block) = block else {
        return ScopeMeaning::default();
    };
    let ip = block
        .ip
        .as_deref()
        .filter(|ip| !ip.eq_ignore_ascii_case("any"))
        .map(canonical);
    ScopeMeaning {
        ip,
        prefix_size: block.prefix_size,
        port: block.port,
        port_end: block.port_end,
        address_list_id: block.address_list_id.clone(),
        port_list_id: block.port_list_id.clone(),
    }
}

/// The scope block for `scope`, keeping the configuration's way of writing `any` from `prior`.
pub fn scope_state(scope: &FirewallScope, prior: Option<&ScopeBlock>) -> Option<ScopeBlock> {
    let ip_scope = scope.ip.as_ref().filter(|ip| !ip.is_any());
    let port = scope.port.map(|p| i64::from(p.begin));
    let port_end = scope.port.and_then(|p| p.end).map(i64::from);
    let address_list_id = scope.ip_address_list.as_ref().map(|l| l.id.clone());
    let port_list_id = scope.port_list.as_ref().map(|l| l.id.clone());
    let lists = address_list_id.is_some() || port_list_id.is_some();
    if ip_scope.is_none() && port.is_none() && !lists && prior.is_none() {
        return None;
    }
    let prior_ip = prior.and_then(|p| p.ip.clone());
    let ip = match ip_scope {
        _ if address_list_id.is_some() => None,
        Some(ip) => Some(address_state(&ip.address, prior_ip)),
        // Keep the configuration's spelling of "any" ("ANY", "any").
        None => Some(match prior_ip {
            Some(written) if written.eq_ignore_ascii_case("any") => written,
            _ => "any".to_owned(),
        }),
    };
    Some(ScopeBlock {
        ip,
        prefix_size: ip_scope.and_then(|ip| ip.prefix_size).map(i64::from),
        port,
        port_end,
        address_list_id,
        port_list_id,
    })
}

/// `address` in its canonical text form (RFC 5952 for IPv6), or as given when it is no address.
fn canonical(address: &str) -> String {
    address
        .parse::<IpAddr>()
        .map_or_else(|_| address.to_owned(), |ip| ip.to_string())
}

/// The state's spelling of an address the API reports: the prior spelling when it is the same
/// address (the API may write IPv6 addresses in full), the canonical form otherwise.
fn address_state(reported: &str, prior: Option<String>) -> String {
    match prior {
        Some(written) if canonical(&written) == canonical(reported) => written,
        _ => canonical(reported),
    }
}

/// Scopes an import id declares as written blocks, with the spelling of `any` used.
pub type WrittenScopes<'a> = Vec<(&'static str, &'a str)>;

/// Splits `source=any` / `destination=any` off an import id, returning the rest and the
/// scopes so declared. The API reports "any address, any port" the same way whether the
/// configuration omits the block or writes it (`source { ip = "any" }`); by default an import
/// reads it as omitted, and these options say it is written, with the spelling of `any` used.
pub fn scope_options(raw: &str) -> Result<(String, WrittenScopes<'_>), String> {
    let mut rest = Vec::new();
    let mut written: WrittenScopes = Vec::new();
    for (i, part) in raw.split(',').enumerate() {
        let scope = part
            .split_once('=')
            .filter(|_| i > 0)
            .and_then(|(name, ip)| SCOPES.iter().find(|s| **s == name).map(|s| (*s, ip)));
        let Some((which, ip)) = scope else {
            rest.push(part);
            continue;
        };
        if !ip.eq_ignore_ascii_case("any") {
            return Err(format!(
                "{which} can only be given as {which}=any (a {which} block meaning any address and any port); other scopes are read from the API, got {ip:?}"
            ));
        }
        if written.iter().any(|(w, _)| *w == which) {
            return Err(format!("{which} is given twice"));
        }
        written.push((which, ip));
    }
    Ok((rest.join(","), written))
}

/// A scope block meaning any address and any port, with `ip` spelled as written.
pub fn any_block(ip: &str) -> ScopeBlock {
    ScopeBlock {
        ip: Some(ip.to_owned()),
        ..ScopeBlock::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudcontrol::FirewallRule;

    fn block(ip: &str) -> ScopeBlock {
        any_block(ip)
    }

    #[test]
    fn scope_options_are_split_off_the_import_id() {
        let (rest, written) =
            scope_options("abc,placement=FIRST,source=any,destination=ANY").unwrap();
        assert_eq!(rest, "abc,placement=FIRST");
        assert_eq!(written, [("source", "any"), ("destination", "ANY")]);
        let (rest, written) = scope_options("abc").unwrap();
        assert_eq!((rest.as_str(), written.len()), ("abc", 0));
    }

    #[test]
    fn a_scope_option_other_than_any_or_repeated_is_refused() {
        let error = scope_options("abc,source=10.0.0.1").unwrap_err();
        assert!(
            error.contains("source can only be given as source=any"),
            "{error}"
        );
        let error = scope_options("abc,destination=any,destination=any").unwrap_err();
        assert!(error.contains("destination is given twice"), "{error}");
    }

    #[test]
    fn reported_addresses_keep_the_written_spelling_or_become_canonical() {
        let full = "2001:0db8:0:0:0:0:0:0";
        assert_eq!(address_state(full, Some("2001:DB8::".into())), "2001:DB8::");
        assert_eq!(address_state(full, None), "2001:db8::");
        assert_eq!(address_state(full, Some("2001:db9::".into())), "2001:db8::");
        assert_eq!(
            address_state("10.0.0.1", Some("10.0.0.1".into())),
            "10.0.0.1"
        );
        assert_eq!(address_state("not-an-ip", None), "not-an-ip");
    }

    #[test]
    fn spellings_of_one_address_mean_the_same_scope() {
        assert_eq!(
            normalized(Some(&block("2001:DB8::"))),
            normalized(Some(&block("2001:db8:0:0:0:0:0:0")))
        );
        assert_eq!(normalized(Some(&block("ANY"))), normalized(None));
        assert_ne!(
            normalized(Some(&block("10.0.0.1"))),
            normalized(Some(&block("10.0.0.2")))
        );
    }

    #[test]
    fn an_absent_block_means_any_address_and_port() {
        assert_eq!(to_scope(None), FirewallScope::any());
        assert_eq!(to_scope(Some(&block("ANY"))), FirewallScope::any());
        let web = ScopeBlock {
            ip: Some("10.0.0.0".into()),
            prefix_size: Some(24),
            port: Some(80),
            port_end: Some(90),
            ..ScopeBlock::default()
        };
        let scope = to_scope(Some(&web));
        assert_eq!(
            scope.ip,
            Some(IpScope {
                address: "10.0.0.0".into(),
                prefix_size: Some(24)
            })
        );
        assert_eq!(
            scope.port,
            Some(PortRange {
                begin: 80,
                end: Some(90)
            })
        );
        // And it reads back as it was written.
        assert_eq!(scope_state(&scope, Some(&web)), Some(web));
        assert_eq!(scope_state(&FirewallScope::any(), None), None);
        assert_eq!(
            scope_state(&FirewallScope::any(), Some(&block("ANY"))),
            Some(block("ANY"))
        );
    }

    /// A rule as the API reports it when another client built it on an address list and a
    /// port list.
    pub(super) fn rule_with_lists() -> FirewallRule {
        serde_json::from_value(serde_json::json!({
            "id": "5e1d0b2c-0000-4000-8000-000000000001",
            "networkDomainId": "nd-1",
            "name": "office_web",
            "action": "ACCEPT_DECISIVELY",
            "ipVersion": "IPV4",
            "protocol": "TCP",
            "source": {"ipAddressList": {"id": "l-1", "name": "office"}},
            "destination": {"ip": {"address": "10.0.0.5"}, "portList": {"id": "p-1", "name": "web"}},
            "enabled": true,
            "state": "NORMAL"
        }))
        .expect("the API's shape of a rule with lists")
    }

    #[test]
    fn lists_read_back_as_their_ids_and_go_out_as_list_references() {
        let rule = rule_with_lists();
        let source = scope_state(&rule.source, None).expect("a source block");
        assert_eq!(source.address_list_id.as_deref(), Some("l-1"));
        assert_eq!(source.ip, None, "a list leaves ip unset");
        let destination = scope_state(&rule.destination, None).expect("a destination block");
        assert_eq!(destination.ip.as_deref(), Some("10.0.0.5"));
        assert_eq!(destination.port_list_id.as_deref(), Some("p-1"));
        let sent = to_scope(Some(&source));
        assert_eq!(
            (sent.ip, sent.ip_address_list_id.as_deref()),
            (None, Some("l-1"))
        );
        let sent = to_scope(Some(&destination));
        assert_eq!(sent.port_list_id.as_deref(), Some("p-1"));
        assert_eq!(sent.port, None);
    }

    #[test]
    fn a_scope_changed_to_a_list_forces_a_replacement() {
        let rule = rule_with_lists();
        let configured = ScopeBlock {
            ip: Some("10.0.0.5".into()),
            port: Some(443),
            ..ScopeBlock::default()
        };
        let refreshed = scope_state(&rule.destination, Some(&configured));
        assert_eq!(
            refreshed.as_ref().and_then(|b| b.port_list_id.as_deref()),
            Some("p-1")
        );
        assert_ne!(
            normalized(refreshed.as_ref()),
            normalized(Some(&configured))
        );
        // An any source replaced by a list is no longer "any" either.
        let source = scope_state(&rule.source, None);
        assert_eq!(
            source.as_ref().and_then(|b| b.address_list_id.as_deref()),
            Some("l-1")
        );
        assert_ne!(normalized(source.as_ref()), normalized(None));
    }
}
