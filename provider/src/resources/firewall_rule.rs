//! `cloudcontrol_firewall_rule`: a rule of a network domain's firewall.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use async_trait::async_trait;
use cloudcontrol::{
    CreateFirewallRule, FirewallAction, FirewallRule, FirewallScope, IpScope, IpVersion, Placement,
    PlacementPosition, PortRange, Protocol,
};
use tfplugin::provider::{
    ApplyResponse, CreateRequest, DeleteRequest, ImportResponse, ModifyPlan, OperationContext,
    ReadRequest, ReadResponse, Resource, UpdateRequest,
};
use tfplugin::schema::validators::one_of;
use tfplugin::schema::{timeouts_block, Attribute, Block, NestedBlock, Schema, TimeoutOp};
use tfplugin::{AttributePath, Diagnostics, Value};

use crate::adopt::{differences, vanished, Found, MarkerPlace};
use crate::import_id::{import_state, ImportOptions};
use crate::marker::{firewall_entry, outcome_is_known, Journaled};
use crate::provider::ProviderData;
use crate::rules::{check_port_range, FirewallRuleNameRule};
use crate::support::{api_error, boolean, int, record_create, record_read, string, wait};

/// The `cloudcontrol_firewall_rule` resource type.
pub struct FirewallRuleResource;

const TIMEOUT: Duration = Duration::from_secs(5 * 60);
const SCOPES: [&str; 2] = ["source", "destination"];

fn scope_block(which: &str) -> NestedBlock {
    NestedBlock::single(
        which,
        Block::new()
            .description(format!("The rule's {which}; omit the block (or set ip = \"any\") for any address and port."))
            .attribute(Attribute::string("ip").optional_computed().description(
                "An IPv4/IPv6 address or network address, or \"any\". Unset means any (and reads as \"any\").",
            ))
            .attribute(Attribute::number("prefix_size").optional().description(
                "Prefix size when `ip` is a network address.",
            ))
            .attribute(Attribute::number("port").optional().description(
                "A port (TCP and UDP only); unset means any port.",
            ))
            .attribute(Attribute::number("port_end").optional().description(
                "Last port of a range starting at `port`.",
            )),
    )
}

#[async_trait]
impl Resource<ProviderData> for FirewallRuleResource {
    fn type_name(&self) -> &str {
        "cloudcontrol_firewall_rule"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .description("A firewall rule of a network domain.")
                .attribute(Attribute::id())
                .attribute(
                    Attribute::string("network_domain_id")
                        .required()
                        .requires_replace()
                        .description("Id of the network domain."),
                )
                .attribute(
                    Attribute::string("name")
                        .required()
                        .requires_replace()
                        .validator(FirewallRuleNameRule)
                        .description("Rule name: letters, digits, `_` and `.`, starting with a letter or `_`, unique in the domain."),
                )
                .attribute(
                    Attribute::string("action")
                        .default("ACCEPT_DECISIVELY")
                        .requires_replace()
                        .validator(one_of(["ACCEPT_DECISIVELY", "DROP"]))
                        .description("ACCEPT_DECISIVELY or DROP."),
                )
                .attribute(
                    Attribute::string("ip_version")
                        .default("IPV4")
                        .requires_replace()
                        .validator(one_of(["IPV4", "IPV6"]))
                        .description("IPV4 or IPV6."),
                )
                .attribute(
                    Attribute::string("protocol")
                        .required()
                        .requires_replace()
                        .validator(one_of(["IP", "ICMP", "TCP", "UDP"]))
                        .description("IP, ICMP, TCP or UDP."),
                )
                .attribute(
                    Attribute::bool("enabled")
                        .default(true)
                        .description("Whether the rule is enforced; changed in place."),
                )
                .attribute(
                    Attribute::string("placement")
                        .optional()
                        .validator(one_of(["FIRST", "LAST", "BEFORE", "AFTER"]))
                        .description("Where the rule is inserted at creation: FIRST, LAST (the default), BEFORE or AFTER `relative_to_rule`. Used only when the rule is created; the API cannot report it, so an import id may carry it (see Import)."),
                )
                .attribute(
                    Attribute::string("relative_to_rule")
                        .optional()
                        .description("Name of the rule that BEFORE/AFTER placement refers to."),
                )
                .block(scope_block("source"))
                .block(scope_block("destination"))
                .block(timeouts_block(&[TimeoutOp::Create, TimeoutOp::Update, TimeoutOp::Delete])),
        )
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let protocol = string(config, "protocol");
        let ipv6 = string(config, "ip_version").as_deref() == Some("IPV6");
        for which in SCOPES {
            let scope = config.attr(which);
            let at = |name: &str| AttributePath::attribute(which).attr(name);
            if let Some(ip) = string(scope, "ip") {
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
            if let Some(prefix) = int(scope, "prefix_size") {
                let max = if ipv6 { 128 } else { 32 };
                if !(1..=max).contains(&prefix) {
                    diags.error_at(
                        at("prefix_size"),
                        "Invalid attribute value",
                        format!("{which}.prefix_size must be between 1 and {max}, got {prefix}"),
                    );
                }
            }
            let port = int(scope, "port");
            let port_end = int(scope, "port_end");
            if let Some(begin) = port {
                if let Err(rule) = check_port_range(begin, port_end) {
                    let name = if rule.starts_with("port_end") {
                        "port_end"
                    } else {
                        "port"
                    };
                    diags.error_at(at(name), "Invalid port range", format!("{which}: {rule}"));
                }
                if let Some(p) = protocol.as_deref().filter(|p| !matches!(*p, "TCP" | "UDP")) {
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
        if let Some(conflict) = placement_conflict(config) {
            diags.error_at(
                AttributePath::attribute(conflict.attribute),
                conflict.summary,
                conflict.detail,
            );
        }
        diags
    }

    async fn modify_plan(&self, _ctx: &OperationContext<'_, ProviderData>, plan: &mut ModifyPlan) {
        // An unset `ip` in a present block means any address; planning it as "any" keeps an
        // imported rule (whose state cannot tell the two spellings apart) free of a diff.
        for which in SCOPES {
            let config_ip = plan.config.attr(which).attr("ip");
            let mut block = plan.planned.attr(which).clone();
            if block.is_known() && !block.is_null() && config_ip.is_null() {
                block.set_attr("ip", "any");
                plan.planned.set_attr(which, block);
            }
        }
        if plan.prior.is_null() {
            return;
        }
        // Source and destination cannot be edited: any change replaces the rule.
        for which in SCOPES {
            if normalized(plan.prior.attr(which)) != normalized(plan.planned.attr(which)) {
                plan.requires_replace.push(AttributePath::attribute(which));
            }
        }
    }

    async fn create(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: CreateRequest,
        response: &mut ApplyResponse,
    ) {
        let planned = &request.planned;
        let position = match string(planned, "placement").as_deref() {
            Some("FIRST") => PlacementPosition::First,
            Some("BEFORE") => PlacementPosition::Before,
            Some("AFTER") => PlacementPosition::After,
            _ => PlacementPosition::Last,
        };
        let create = CreateFirewallRule {
            network_domain_id: string(planned, "network_domain_id").unwrap_or_default(),
            name: string(planned, "name").unwrap_or_default(),
            action: if string(planned, "action").as_deref() == Some("DROP") {
                FirewallAction::Drop
            } else {
                FirewallAction::AcceptDecisively
            },
            enabled: boolean(planned, "enabled").unwrap_or(true),
            placement: Placement {
                position,
                relative_to_rule: matches!(
                    position,
                    PlacementPosition::Before | PlacementPosition::After
                )
                .then(|| string(planned, "relative_to_rule"))
                .flatten(),
            },
            ip_version: if string(planned, "ip_version").as_deref() == Some("IPV6") {
                IpVersion::Ipv6
            } else {
                IpVersion::Ipv4
            },
            protocol: match string(planned, "protocol").as_deref() {
                Some("ICMP") => Protocol::Icmp,
                Some("TCP") => Protocol::Tcp,
                Some("UDP") => Protocol::Udp,
                _ => Protocol::Ip,
            },
            source: to_scope(planned.attr("source")),
            destination: to_scope(planned.attr("destination")),
        };
        let client = &ctx.data.client;
        let markers = &ctx.data.markers;
        let options = wait(ctx, TIMEOUT);
        let domain = &create.network_domain_id;
        let entry = firewall_entry(&create.name);
        let journaled = markers
            .journaled_create(
                client,
                domain,
                &entry,
                client.find_firewall_rule(domain, &create.name),
                || client.create_firewall_rule(&create, &options),
            )
            .await;
        let result = match journaled {
            Err(e) => Err(e),
            Ok(Journaled::Created(result)) => result,
            Ok(Journaled::Found {
                asset: rule,
                marked,
            }) => {
                let verdict = Found {
                    kind: "firewall rule",
                    resource_type: self.type_name(),
                    identity: format!("named {:?} in network domain {domain}", rule.name),
                    id: &rule.id,
                    import_id: import_id_for(&rule.id, &request.config),
                    marked,
                    marker_place: MarkerPlace::Journal,
                    differences: definition_differences(&rule, planned),
                }
                .verdict();
                if let Err(refusal) = verdict {
                    response.state = Value::Null;
                    response.diagnostics.push(refusal);
                    return;
                }
                tracing::info!(
                    id = rule.id,
                    "taking over the firewall rule an interrupted apply left"
                );
                let result = client
                    .settled_firewall_rule(&rule.id, &options)
                    .await
                    .and_then(|r| r.ok_or_else(|| vanished("firewall rule", &rule.id)));
                if outcome_is_known(&result) {
                    markers.finish(domain, &entry).await;
                }
                result
            }
        };
        record_create(
            "create the firewall rule",
            result,
            |rule| to_state(rule, planned),
            response,
        );
    }

    async fn read(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: ReadRequest,
        response: &mut ReadResponse,
    ) {
        let Some(id) = string(&request.state, "id") else {
            return;
        };
        let result = ctx.data.client.get_firewall_rule(&id).await;
        // An imported state has no name yet; a rule built on lists cannot be written in this
        // resource's terms, and importing it as "any" would silently widen it.
        if let (Ok(Some(rule)), true) = (&result, request.state.attr("name").is_null()) {
            if let Some(list) = lists_used(rule).first() {
                response.diagnostics.error(
                    "Firewall rule not importable",
                    format!(
                        "rule {} ({}) uses {list}; cloudcontrol_firewall_rule expresses addresses and ports only, not IP address or port lists, so it cannot be imported without changing its meaning",
                        rule.name, rule.id
                    ),
                );
                return;
            }
        }
        if let Ok(Some(rule)) = &result {
            let entry = firewall_entry(&rule.name);
            let markers = &ctx.data.markers;
            markers
                .forget_recorded(&ctx.data.client, &rule.network_domain_id, &entry)
                .await;
        }
        record_read(
            "read the firewall rule",
            result,
            |rule| to_state(rule, &request.state),
            response,
        );
    }

    async fn update(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: UpdateRequest,
        response: &mut ApplyResponse,
    ) {
        let (prior, planned) = (&request.prior, &request.planned);
        let enabled = boolean(planned, "enabled").unwrap_or(true);
        if boolean(prior, "enabled") == Some(enabled) {
            // Placement changes only matter at creation; they live in state alone.
            return;
        }
        let id = string(prior, "id").unwrap_or_default();
        match ctx
            .data
            .client
            .set_firewall_rule_enabled(&id, enabled, &wait(ctx, TIMEOUT))
            .await
        {
            Ok(rule) => response.state = to_state(&rule, planned),
            Err(e) => {
                response.state = prior.clone();
                response
                    .diagnostics
                    .push(api_error("enable or disable the firewall rule", &e));
            }
        }
    }

    async fn delete(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: DeleteRequest,
    ) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let id = string(&request.prior, "id").unwrap_or_default();
        if let Err(e) = ctx
            .data
            .client
            .delete_firewall_rule(&id, &wait(ctx, TIMEOUT))
            .await
        {
            if !e.is_not_found() {
                diags.push(api_error("delete the firewall rule", &e));
            }
        }
        diags
    }

    async fn import(
        &self,
        _ctx: &OperationContext<'_, ProviderData>,
        id: &str,
        response: &mut ImportResponse,
    ) {
        let (rest, written) = match scope_options(id) {
            Ok(split) => split,
            Err(rule) => return response.diagnostics.error("Invalid import id", rule),
        };
        match import_state(&self.schema().block, &rest, &IMPORT_OPTIONS) {
            Ok(mut state) => match placement_conflict(&state) {
                Some(conflict) => response
                    .diagnostics
                    .error("Invalid import id", conflict.detail),
                None => {
                    for (which, ip) in written {
                        state.set_attr(which, any_block(ip));
                    }
                    response.state = state;
                }
            },
            Err(diags) => response.diagnostics.append(diags),
        }
    }
}

/// The API cannot report where a rule was placed: an import id may carry the placement the
/// configuration asks for, so the first plan after the import is empty.
const IMPORT_OPTIONS: ImportOptions = ImportOptions {
    settable: &["placement", "relative_to_rule"],
    secrets: &[],
};

/// Scopes an import id declares as written blocks, with the spelling of `any` used.
type WrittenScopes<'a> = Vec<(&'static str, &'a str)>;

/// Splits `source=any` / `destination=any` off an import id, returning the rest and the
/// scopes so declared. The API reports "any address, any port" the same way whether the
/// configuration omits the block or writes it (`source { ip = "any" }`); by default an import
/// reads it as omitted, and these options say it is written, with the spelling of `any` used.
fn scope_options(raw: &str) -> Result<(String, WrittenScopes<'_>), String> {
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
fn any_block(ip: &str) -> Value {
    Value::object([
        ("ip", Value::from(ip)),
        ("prefix_size", Value::Null),
        ("port", Value::Null),
        ("port_end", Value::Null),
    ])
}

/// `placement` and `relative_to_rule` contradicting each other: the attribute to blame and why.
struct PlacementConflict {
    attribute: &'static str,
    summary: &'static str,
    detail: &'static str,
}

/// Why `placement` and `relative_to_rule` of a configuration (or of an imported state, so an
/// accepted import id matches a valid configuration) contradict each other, if they do.
/// Unknown values never conflict.
fn placement_conflict(value: &Value) -> Option<PlacementConflict> {
    let placement = value.attr("placement");
    let relative = value.attr("relative_to_rule");
    if placement.is_unknown() || relative.is_unknown() {
        return None;
    }
    match placement.as_str() {
        Some("BEFORE" | "AFTER") if relative.is_null() => Some(PlacementConflict {
            attribute: "placement",
            summary: "Missing attribute",
            detail: "relative_to_rule is required when placement is BEFORE or AFTER",
        }),
        Some("FIRST" | "LAST") | None if !relative.is_null() => Some(PlacementConflict {
            attribute: "relative_to_rule",
            summary: "Invalid attribute combination",
            detail: "relative_to_rule is only used with placement BEFORE or AFTER",
        }),
        _ => None,
    }
}

/// A scope block as the API scope it means (`any` when absent).
fn to_scope(block: &Value) -> FirewallScope {
    let ip = match string(block, "ip") {
        Some(ip) if !ip.eq_ignore_ascii_case("any") => IpScope {
            address: ip,
            prefix_size: int(block, "prefix_size").map(|p| p as u8),
        },
        _ => IpScope::any(),
    };
    FirewallScope {
        ip: Some(ip),
        port: int(block, "port").map(|begin| PortRange {
            begin: begin as u16,
            end: int(block, "port_end").map(|e| e as u16),
        }),
        ..Default::default()
    }
}

/// A scope block reduced to what it means, so `ip = "any"` and an absent block compare equal,
/// and so do two spellings of one address (`2001:DB8::` and `2001:db8:0:0:0:0:0:0`).
fn normalized(block: &Value) -> (Option<String>, Option<i64>, Option<i64>, Option<i64>) {
    let ip = string(block, "ip")
        .filter(|ip| !ip.eq_ignore_ascii_case("any"))
        .map(|ip| canonical(&ip));
    (
        ip,
        int(block, "prefix_size"),
        int(block, "port"),
        int(block, "port_end"),
    )
}

/// The IP address and port lists `rule` uses, described for a message (`source IP address
/// list office (id)`).
fn lists_used(rule: &FirewallRule) -> Vec<String> {
    let mut found = Vec::new();
    for (which, scope) in [("source", &rule.source), ("destination", &rule.destination)] {
        if let Some(list) = &scope.ip_address_list {
            found.push(format!(
                "{which} IP address list {} ({})",
                list.name, list.id
            ));
        }
        if let Some(list) = &scope.port_list {
            found.push(format!("{which} port list {} ({})", list.name, list.id));
        }
    }
    found
}

/// What the state's `ip` says of a scope that uses a list (set behind Terraform's back): a
/// value no configuration can hold, so the plan replaces the rule with the configured one.
fn list_marker(scope: &FirewallScope) -> Option<String> {
    match (&scope.ip_address_list, &scope.port_list) {
        (Some(list), _) => Some(format!("ip_address_list:{}", list.name)),
        (None, Some(list)) => Some(format!("port_list:{}", list.name)),
        (None, None) => None,
    }
}

/// The scope block for `scope`, keeping the configuration's way of writing `any` from `prior`.
fn scope_state(scope: &FirewallScope, prior: &Value) -> Value {
    let ip_scope = scope.ip.as_ref().filter(|ip| !ip.is_any());
    let port = scope.port;
    if let Some(marker) = list_marker(scope) {
        return Value::object([
            ("ip", Value::from(marker.as_str())),
            ("prefix_size", Value::Null),
            ("port", port.map(|p| i64::from(p.begin)).into()),
            ("port_end", port.and_then(|p| p.end).map(i64::from).into()),
        ]);
    }
    if ip_scope.is_none() && port.is_none() && prior.is_null() {
        return Value::Null;
    }
    let ip = match ip_scope {
        Some(ip) => Value::from(address_state(&ip.address, string(prior, "ip"))),
        // Keep the configuration's spelling of "any" ("ANY", "any").
        None => match string(prior, "ip") {
            Some(written) if written.eq_ignore_ascii_case("any") => Value::from(written),
            _ => Value::from("any"),
        },
    };
    Value::object([
        ("ip", ip),
        (
            "prefix_size",
            ip_scope.and_then(|ip| ip.prefix_size).map(i64::from).into(),
        ),
        ("port", port.map(|p| i64::from(p.begin)).into()),
        ("port_end", port.and_then(|p| p.end).map(i64::from).into()),
    ])
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

/// Where a rule found under the name of one being created differs from the planned rule:
/// action, IP version, protocol, whether it is enabled, and what source and destination mean.
fn definition_differences(rule: &FirewallRule, planned: &Value) -> Vec<crate::adopt::Difference> {
    let found = to_state(rule, planned);
    let text = |v: &Value, name: &str| string(v, name);
    let scope = |v: &Value, which: &str| format!("{:?}", normalized(v.attr(which)));
    differences([
        (
            "action",
            text(&found, "action").unwrap_or_default(),
            text(planned, "action"),
        ),
        (
            "ip_version",
            text(&found, "ip_version").unwrap_or_default(),
            text(planned, "ip_version"),
        ),
        (
            "protocol",
            text(&found, "protocol").unwrap_or_default(),
            text(planned, "protocol"),
        ),
        (
            "enabled",
            boolean(&found, "enabled").unwrap_or_default().to_string(),
            boolean(planned, "enabled").map(|b| b.to_string()),
        ),
        (
            "source",
            scope(&found, "source"),
            Some(scope(planned, "source")),
        ),
        (
            "destination",
            scope(&found, "destination"),
            Some(scope(planned, "destination")),
        ),
    ])
}

/// The import id that brings rule `id` under management as `config` describes it: the id,
/// then what the API cannot report (placement, and scopes written as `any` blocks).
fn import_id_for(id: &str, config: &Value) -> String {
    let mut import_id = id.to_owned();
    for name in ["placement", "relative_to_rule"] {
        if let Some(value) = string(config, name) {
            import_id.push_str(&format!(",{name}={value}"));
        }
    }
    for which in SCOPES {
        let block = config.attr(which);
        if !block.is_null() {
            if let Some(ip) = string(block, "ip").filter(|ip| ip.eq_ignore_ascii_case("any")) {
                import_id.push_str(&format!(",{which}={ip}"));
            }
        }
    }
    import_id
}

/// The state of `rule`, keeping placement (not reported by the API) and timeouts from `base`.
fn to_state(rule: &FirewallRule, base: &Value) -> Value {
    let mut state = base.clone();
    state.set_attr("id", rule.id.as_str());
    state.set_attr("network_domain_id", rule.network_domain_id.as_str());
    state.set_attr("name", rule.name.as_str());
    state.set_attr("action", rule.action.as_str());
    state.set_attr("ip_version", rule.ip_version.as_str());
    state.set_attr("protocol", rule.protocol.as_str());
    state.set_attr("enabled", rule.enabled);
    let source = scope_state(&rule.source, base.attr("source"));
    let destination = scope_state(&rule.destination, base.attr("destination"));
    state.set_attr("source", source);
    state.set_attr("destination", destination);
    state
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let block = |ip: &str| Value::object([("ip", Value::from(ip))]);
        assert_eq!(
            normalized(&block("2001:DB8::")),
            normalized(&block("2001:db8:0:0:0:0:0:0"))
        );
        assert_eq!(normalized(&block("ANY")), normalized(&Value::Null));
        assert_ne!(
            normalized(&block("10.0.0.1")),
            normalized(&block("10.0.0.2"))
        );
    }

    /// A rule as the API reports it when another client built it on an address list and a
    /// port list.
    fn rule_with_lists() -> FirewallRule {
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
    fn lists_are_named_for_the_import_refusal() {
        assert_eq!(
            lists_used(&rule_with_lists()),
            [
                "source IP address list office (l-1)",
                "destination port list web (p-1)"
            ]
        );
    }

    #[test]
    fn a_scope_changed_to_a_list_forces_a_replacement() {
        let rule = rule_with_lists();
        let configured = Value::object([
            ("ip", Value::from("10.0.0.5")),
            ("prefix_size", Value::Null),
            ("port", Value::from(443_i64)),
            ("port_end", Value::Null),
        ]);
        let refreshed = scope_state(&rule.destination, &configured);
        assert_eq!(refreshed.attr("ip").as_str(), Some("port_list:web"));
        assert_ne!(normalized(&refreshed), normalized(&configured));
        // An any source replaced by a list is no longer "any" either.
        let source = scope_state(&rule.source, &Value::Null);
        assert_eq!(source.attr("ip").as_str(), Some("ip_address_list:office"));
        assert_ne!(normalized(&source), normalized(&Value::Null));
    }

    #[test]
    fn placement_options_must_agree() {
        let state = |placement: Option<&str>, relative: Option<&str>| {
            Value::object([
                (
                    "placement",
                    placement.map(Value::from).unwrap_or(Value::Null),
                ),
                (
                    "relative_to_rule",
                    relative.map(Value::from).unwrap_or(Value::Null),
                ),
            ])
        };
        let detail = |p, r| placement_conflict(&state(p, r)).map(|c| c.detail);
        assert_eq!(detail(Some("FIRST"), None), None);
        assert_eq!(detail(None, None), None);
        assert_eq!(detail(Some("AFTER"), Some("web")), None);
        assert!(detail(Some("BEFORE"), None).is_some_and(|r| r.contains("required")));
        assert!(detail(None, Some("web")).is_some_and(|r| r.contains("only used")));
    }
}
