//! `cloudcontrol_firewall_rule` through the real Terraform CLI against the emulator: several
//! rules in one network domain (IPv4 and IPv6, TCP port ranges, `any` written as an absent
//! block, as `ip = "any"` and as an unset `ip`, ICMP), placement FIRST and BEFORE/AFTER another
//! rule checked in the order the API lists the domain's rules, an empty re-plan, `enabled`
//! changed in place, forced replacement (another port range, another protocol), import without
//! diff with the placement carried in the import id (`<id>,placement=…,relative_to_rule=…`),
//! bad import ids refused, drift (deleted, or enabled, behind Terraform's back) and destroy;
//! and a rule made by another client: not taken over at create (the error gives its import
//! command), then imported without diff although the API spells its IPv6 network in full.

use anyhow::{ensure, Context, Result};
use e2e::emulator::Emulator;
use e2e::provider::{ensure_no_changes, id_of, plan_expecting, rewrite, workspace};
use e2e::terraform::{PlanOutcome, Workspace};
use serde_json::{json, Value};

/// What the steps of the test change.
#[derive(Clone, Copy)]
struct Shape {
    web_enabled: bool,
    app_port_end: u16,
    after_web_protocol: &'static str,
}

const FIRST: Shape = Shape {
    web_enabled: true,
    app_port_end: 8099,
    after_web_protocol: "TCP",
};

/// Every rule of the configuration, by resource name (the rule names are the same).
const RULES: [&str; 6] = [
    "web_https",
    "app_range",
    "ssh_v6",
    "ping",
    "before_web",
    "after_web",
];

fn config(shape: &Shape) -> String {
    let Shape {
        web_enabled,
        app_port_end,
        after_web_protocol,
    } = shape;
    format!(
        r#"
resource "cloudcontrol_network_domain" "nd" {{
  name       = "e2e-firewall"
  datacenter = "NA9"
}}

# Any source: no source block at all.
resource "cloudcontrol_firewall_rule" "web_https" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "web_https"
  protocol          = "TCP"
  enabled           = {web_enabled}

  destination {{
    ip   = "10.0.0.10"
    port = 443
  }}
}}

resource "cloudcontrol_firewall_rule" "app_range" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "app_range"
  action            = "ACCEPT_DECISIVELY"
  ip_version        = "IPV4"
  protocol          = "TCP"

  source {{
    ip          = "198.51.100.0"
    prefix_size = 24
  }}

  destination {{
    ip          = "10.0.0.0"
    prefix_size = 24
    port        = 8000
    port_end    = {app_port_end}
  }}
}}

# IPv6; the destination's ip is unset (any address), only its port is given.
resource "cloudcontrol_firewall_rule" "ssh_v6" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "ssh_v6"
  ip_version        = "IPV6"
  protocol          = "TCP"

  source {{
    ip          = "2001:db8::"
    prefix_size = 32
  }}

  destination {{
    port = 22
  }}
}}

resource "cloudcontrol_firewall_rule" "ping" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "ping"
  action            = "DROP"
  protocol          = "ICMP"
  placement         = "FIRST"
}}

# Any source written out.
resource "cloudcontrol_firewall_rule" "before_web" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "before_web"
  protocol          = "UDP"
  placement         = "BEFORE"
  relative_to_rule  = cloudcontrol_firewall_rule.web_https.name

  source {{
    ip = "any"
  }}

  destination {{
    ip   = "10.0.0.53"
    port = 53
  }}
}}

resource "cloudcontrol_firewall_rule" "after_web" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "after_web"
  protocol          = "{after_web_protocol}"
  placement         = "AFTER"
  relative_to_rule  = cloudcontrol_firewall_rule.web_https.name

  destination {{
    ip   = "10.0.0.11"
    port = 80
  }}
}}
"#
    )
}

fn address(rule: &str) -> String {
    format!("cloudcontrol_firewall_rule.{rule}")
}

/// The domain's rules in the order the API lists them (its evaluation order).
fn listed_rules(emulator: &Emulator, domain_id: &str) -> Result<Vec<Value>> {
    let path = format!(
        "/caas/2.10/{}/network/firewallRule?networkDomainId={domain_id}&pageSize=250",
        emulator.org_id()?
    );
    let (status, page) = emulator.request("GET", &path, None)?;
    ensure!(status == 200, "listing the rules: {status} {page}");
    page["firewallRule"]
        .as_array()
        .cloned()
        .context("the rule list has no firewallRule array")
}

fn position(names: &[String], name: &str) -> Result<usize> {
    names
        .iter()
        .position(|n| n == name)
        .with_context(|| format!("{name} is not in the domain's rules {names:?}"))
}

/// `ping` is first, `before_web` right before `web_https` and `after_web` right after it.
fn ensure_placed(emulator: &Emulator, domain_id: &str, step: &str) -> Result<()> {
    let names: Vec<String> = listed_rules(emulator, domain_id)?
        .iter()
        .filter_map(|r| r["name"].as_str().map(str::to_owned))
        .collect();
    let web = position(&names, "web_https")?;
    ensure!(
        position(&names, "ping")? == 0
            && position(&names, "before_web")? + 1 == web
            && position(&names, "after_web")? == web + 1
            && names.iter().filter(|n| n.starts_with("CCDEFAULT.")).count() == 5,
        "{step}: rules in the wrong order {names:?}"
    );
    Ok(())
}

/// The emulator's copy of the rule with `id`, if it exists.
fn emulated_rule(emulator: &Emulator, id: &str) -> Result<Option<Value>> {
    let inventory = emulator.inventory()?;
    Ok(inventory["firewallRule"]
        .as_array()
        .and_then(|rules| rules.iter().find(|r| r["id"] == id).cloned()))
}

fn rule_ids(ws: &Workspace) -> Result<Vec<String>> {
    RULES.iter().map(|r| id_of(ws, &address(r))).collect()
}

#[test]
fn firewall_rule_lifecycle() -> Result<()> {
    let emulator = Emulator::start()?;
    let ws = workspace(&emulator, &config(&FIRST))?;

    // Create six rules in one domain, each where it was asked to go; then nothing left to do.
    ws.apply(&[])?;
    ensure_no_changes(&ws, "create")?;
    let domain_id = id_of(&ws, "cloudcontrol_network_domain.nd")?;
    ensure_placed(&emulator, &domain_id, "after create")?;
    let ids = rule_ids(&ws)?;
    let by_name = |name: &str| -> Result<Value> {
        let id = &ids[RULES.iter().position(|r| *r == name).context("rule")?];
        emulated_rule(&emulator, id)?.with_context(|| format!("{name} is not in the emulator"))
    };
    let app = by_name("app_range")?;
    ensure!(
        app["source"] == json!({"ip": {"address": "198.51.100.0", "prefixSize": 24}})
            && app["destination"]
                == json!({"ip": {"address": "10.0.0.0", "prefixSize": 24},
                          "port": {"begin": 8000, "end": 8099}})
            && app["ipVersion"] == "IPV4"
            && app["action"] == "ACCEPT_DECISIVELY",
        "{app}"
    );
    let ssh = by_name("ssh_v6")?;
    ensure!(
        ssh["ipVersion"] == "IPV6"
            && ssh["source"]["ip"] == json!({"address": "2001:db8::", "prefixSize": 32})
            && ssh["destination"] == json!({"ip": {"address": "ANY"}, "port": {"begin": 22}}),
        "{ssh}"
    );
    let ping = by_name("ping")?;
    ensure!(
        ping["protocol"] == "ICMP"
            && ping["action"] == "DROP"
            && ping["source"] == json!({"ip": {"address": "ANY"}})
            && ping["destination"] == json!({"ip": {"address": "ANY"}}),
        "{ping}"
    );
    let state = ws.resource_values(&address("ssh_v6"))?.unwrap();
    ensure!(state["destination"]["ip"] == "any", "{state}");

    // In place: disabling a rule edits it, keeps its id and calls nothing else.
    let disabled = Shape {
        web_enabled: false,
        ..FIRST
    };
    rewrite(&ws, &config(&disabled))?;
    plan_expecting(&ws, "0 to add, 1 to change, 0 to destroy")?;
    let seq = emulator.last_seq()?;
    ws.apply(&[])?;
    let calls = emulator.mutations_since(seq)?;
    ensure!(
        calls.len() == 1 && calls[0].ends_with("/network/editFirewallRule"),
        "disabling called {calls:?}"
    );
    ensure!(id_of(&ws, &address("web_https"))? == ids[0], "replaced");
    ensure!(by_name("web_https")?["enabled"] == false, "still enabled");
    ensure_no_changes(&ws, "disabling a rule")?;

    // Forced replacement: another port range, another protocol. The replacement of `after_web`
    // lands after `web_https` again; the old rules are gone.
    let replaced = Shape {
        app_port_end: 8199,
        after_web_protocol: "UDP",
        ..disabled
    };
    rewrite(&ws, &config(&replaced))?;
    let (_, plan) = ws.plan(&[])?;
    ensure!(
        plan.stdout.contains("2 to add, 0 to change, 2 to destroy")
            && plan
                .stdout
                .contains("cloudcontrol_firewall_rule.app_range must be replaced")
            && plan
                .stdout
                .contains("cloudcontrol_firewall_rule.after_web must be replaced"),
        "{plan}"
    );
    ws.apply(&[])?;
    let new_ids = rule_ids(&ws)?;
    for (i, rule) in RULES.iter().enumerate() {
        let replaced_here = matches!(*rule, "app_range" | "after_web");
        ensure!(
            (new_ids[i] != ids[i]) == replaced_here,
            "{rule}: id {} -> {}",
            ids[i],
            new_ids[i]
        );
        if replaced_here {
            ensure!(
                emulated_rule(&emulator, &ids[i])?.is_none(),
                "the old {rule} is still there"
            );
        }
    }
    let app = emulated_rule(&emulator, &new_ids[1])?.context("new app_range")?;
    ensure!(app["destination"]["port"]["end"] == 8199, "{app}");
    let after = emulated_rule(&emulator, &new_ids[5])?.context("new after_web")?;
    ensure!(after["protocol"] == "UDP", "{after}");
    ensure_placed(&emulator, &domain_id, "after replacement")?;
    ensure_no_changes(&ws, "replacement")?;

    // Import every rule into an empty state.
    for rule in RULES {
        ws.run(&["state", "rm", &address(rule)])?.ensure_success()?;
    }
    // A bad option or a contradictory placement is refused with the rule it breaks.
    let ping_id = &new_ids[3];
    for (bad, expected) in [
        (
            format!("{ping_id},placement=MIDDLE"),
            "placement must be one of",
        ),
        (
            format!("{ping_id},placement=BEFORE"),
            "relative_to_rule is required when placement is BEFORE or AFTER",
        ),
        (
            format!("{ping_id},enabled=false"),
            "\"enabled\" cannot be set in the import id",
        ),
        (
            format!("{ping_id},source=10.0.0.1"),
            "source can only be given as source=any",
        ),
    ] {
        let failed = ws.run(&[
            "import",
            "-input=false",
            "-no-color",
            &address("ping"),
            &bad,
        ])?;
        let message = failed
            .stderr
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        ensure!(
            failed.code == 1 && message.contains("Invalid import id") && message.contains(expected),
            "import {bad}: {failed}"
        );
    }
    ensure!(
        ws.resource_values(&address("ping"))?.is_none(),
        "a refused import left state"
    );
    // Imported by its id alone, a placed rule plans to record its placement, and nothing else.
    ws.import(&address("ping"), ping_id)?;
    let (_, plan) = ws.plan(&["-target=cloudcontrol_firewall_rule.ping"])?;
    ensure!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy")
            && plan.stdout.contains("+ placement")
            && !plan.stdout.contains("must be replaced"),
        "plan after a bare-id import of a placed rule: {plan}"
    );
    // Applying it records the placement in state without calling the API (the rule stays put).
    let seq = emulator.last_seq()?;
    ws.apply(&["-target=cloudcontrol_firewall_rule.ping"])?;
    let calls = emulator.mutations_since(seq)?;
    ensure!(calls.is_empty(), "recording the placement called {calls:?}");
    ensure!(
        ws.resource_values(&address("ping"))?.context("ping")?["placement"] == "FIRST",
        "placement not recorded"
    );
    ensure_placed(&emulator, &domain_id, "after recording a placement")?;
    ws.run(&["state", "rm", &address("ping")])?
        .ensure_success()?;
    // A rule that does not exist cannot be imported.
    let missing = "0a0b0c0d-1111-4222-8333-444455556666";
    let failed = ws.run(&[
        "import",
        "-input=false",
        "-no-color",
        &address("ping"),
        missing,
    ])?;
    ensure!(
        failed.code == 1 && failed.stderr.contains("non-existent remote object"),
        "import of a missing rule: {failed}"
    );
    // With the placement in the import id, every rule imports without a diff.
    for (i, rule) in RULES.iter().enumerate() {
        let id = &new_ids[i];
        let import_id = match *rule {
            "ping" => format!("{id},placement=FIRST"),
            // Its `source { ip = "any" }` is written in the configuration: the id says so.
            "before_web" => {
                format!("{id},placement=BEFORE,relative_to_rule=web_https,source=any")
            }
            "after_web" => format!("{id},relative_to_rule=web_https,placement=AFTER"),
            _ => id.clone(),
        };
        ws.import(&address(rule), &import_id)?;
    }
    ensure_no_changes(&ws, "import")?;

    // Drift: `after_web` is deleted behind Terraform's back; refresh drops it, the plan
    // re-creates it, after `web_https` as the imported placement says.
    emulator.action("network/deleteFirewallRule", json!({ "id": new_ids[5] }))?;
    let (outcome, plan) = ws.plan(&[])?;
    ensure!(
        outcome == PlanOutcome::Changes
            && plan
                .stdout
                .contains("cloudcontrol_firewall_rule.after_web will be created")
            && plan.stdout.contains("1 to add, 0 to change, 0 to destroy"),
        "plan after drift: {plan}"
    );
    ws.apply(&[])?;
    ensure!(
        id_of(&ws, &address("after_web"))? != new_ids[5],
        "not re-created"
    );
    ensure_placed(&emulator, &domain_id, "after re-creation")?;
    ensure_no_changes(&ws, "re-creation")?;

    // Drift in place: `web_https` is enabled behind Terraform's back; the plan disables it again.
    emulator.action(
        "network/editFirewallRule",
        json!({ "id": new_ids[0], "enabled": true }),
    )?;
    let (_, plan) = ws.plan(&[])?;
    ensure!(
        plan.stdout.contains("~ enabled           = true -> false")
            && plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "plan after enabled drift: {plan}"
    );
    ws.apply(&[])?;
    let web = emulated_rule(&emulator, &new_ids[0])?.context("web_https")?;
    ensure!(web["enabled"] == false, "{web}");
    ensure_no_changes(&ws, "disabling again")?;

    // Destroy leaves no rule and no domain behind.
    ws.destroy()?;
    let inventory = emulator.inventory()?;
    ensure!(
        inventory["totalAssets"] == 0 && inventory["firewallRule"] == json!([]),
        "left behind: {inventory}"
    );
    Ok(())
}

/// A domain alone, or with a rule for SSH over IPv6 from the network written as `source_ip`.
fn portal_config(source_ip: Option<&str>) -> String {
    let rule = source_ip.map_or_else(String::new, |ip| {
        format!(
            r#"
resource "cloudcontrol_firewall_rule" "portal_ssh" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "portal_ssh"
  ip_version        = "IPV6"
  protocol          = "TCP"
  placement         = "FIRST"

  source {{
    ip          = "{ip}"
    prefix_size = 32
  }}

  destination {{
    ip   = "any"
    port = 22
  }}
}}
"#
        )
    });
    format!(
        r#"
resource "cloudcontrol_network_domain" "nd" {{
  name       = "e2e-portal"
  datacenter = "NA9"
}}
{rule}"#
    )
}

#[test]
fn a_rule_made_elsewhere_imports_without_diff() -> Result<()> {
    let emulator = Emulator::start()?;
    let ws = workspace(&emulator, &portal_config(None))?;
    ws.apply(&[])?;
    let domain_id = id_of(&ws, "cloudcontrol_network_domain.nd")?;

    // Made by another client, which writes the IPv6 network in full.
    let made = emulator.action(
        "network/createFirewallRule",
        json!({
            "networkDomainId": domain_id,
            "name": "portal_ssh",
            "action": "ACCEPT_DECISIVELY",
            "enabled": true,
            "placement": {"position": "FIRST"},
            "ipVersion": "IPV6",
            "protocol": "TCP",
            "source": {"ip": {"address": "2001:0db8:0:0:0:0:0:0", "prefixSize": 32}},
            "destination": {"ip": {"address": "ANY"}, "port": {"begin": 22}},
        }),
    )?;
    let rule_id = made["info"]
        .as_array()
        .and_then(|info| info.iter().find(|i| i["name"] == "firewallRuleId"))
        .and_then(|i| i["value"].as_str())
        .with_context(|| format!("no firewallRuleId in {made}"))?
        .to_owned();

    // The configuration writes the network the short way. The create finds the other
    // client's rule under its name and, the rule not being this provider's, refuses to take it
    // over: the error names it and the import command, nothing is sent, nothing is in state.
    rewrite(&ws, &portal_config(Some("2001:db8::")))?;
    let seq = emulator.last_seq()?;
    let failed = ws.try_apply(&[])?;
    let text = failed.stderr.replace('│', " ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    ensure!(
        failed.code == 1
            && text.contains("Firewall rule already exists")
            && text.contains(&format!(
                "terraform import 'ADDRESS' {rule_id},placement=FIRST"
            )),
        "{failed}"
    );
    let sent = emulator.mutations_since(seq)?;
    ensure!(
        !sent.iter().any(|m| m.ends_with("/createFirewallRule")),
        "the create was sent anyway: {sent:?}"
    );
    ensure!(
        ws.resource_values(&address("portal_ssh"))?.is_none(),
        "a failed create left state"
    );
    // The import reads it without a diff.
    ws.import(
        &address("portal_ssh"),
        &format!("{rule_id},placement=FIRST"),
    )?;
    ensure_no_changes(&ws, "import")?;

    // Another spelling of the same network is no replacement: state records it, the API is
    // not called.
    rewrite(&ws, &portal_config(Some("2001:DB8::")))?;
    plan_expecting(&ws, "0 to add, 1 to change, 0 to destroy")?;
    let seq = emulator.last_seq()?;
    ws.apply(&[])?;
    let calls = emulator.mutations_since(seq)?;
    ensure!(calls.is_empty(), "a new spelling called {calls:?}");
    ensure!(id_of(&ws, &address("portal_ssh"))? == rule_id, "replaced");
    ensure_no_changes(&ws, "a new spelling")?;

    ws.destroy()?;
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}
