//! `cloudcontrol_address_list`, `cloudcontrol_port_list` and a `cloudcontrol_firewall_rule`
//! built on them, through the real Terraform CLI against the emulator: create, empty re-plan,
//! in-place edits (entries, child lists, description), replacement, import without diff
//! (the rule on lists included), drift, the API's refusals as errors naming the attribute,
//! plan-time checks, and destroy to an empty inventory.

use anyhow::{ensure, Context, Result};
use e2e::emulator::Emulator;
use e2e::provider::{ensure_no_changes, id_of, plan_expecting, rewrite, workspace};
use e2e::terraform::PlanOutcome;
use serde_json::json;

/// The domain, two address lists (`admins` included in `sources`), two port lists (`ssh`
/// included in `masters`) and a rule on `sources` and `masters`. `extra_address` is one more
/// `address` block of `sources`; `masters_ports` the `port` blocks of `masters`.
fn config(list_name: &str, extra_address: &str, masters_ports: &str) -> String {
    format!(
        r#"
resource "cloudcontrol_network_domain" "nd" {{
  name       = "lists"
  datacenter = "NA9"
}}

resource "cloudcontrol_address_list" "admins" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "admins"
  address {{
    begin       = "198.51.100.0"
    prefix_size = 28
  }}
}}

resource "cloudcontrol_address_list" "sources" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "{list_name}"
  description       = "who may reach the masters"
  address {{
    begin = "192.0.2.10"
    end   = "192.0.2.19"
  }}
  {extra_address}
  child_list_ids = [cloudcontrol_address_list.admins.id]
}}

resource "cloudcontrol_port_list" "ssh" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "ssh"
  port {{
    begin = 22
  }}
}}

resource "cloudcontrol_port_list" "masters" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "masters"
  {masters_ports}
  child_list_ids = [cloudcontrol_port_list.ssh.id]
}}

resource "cloudcontrol_firewall_rule" "masters_in" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "masters_in"
  protocol          = "TCP"
  source {{
    address_list_id = cloudcontrol_address_list.sources.id
  }}
  destination {{
    port_list_id = cloudcontrol_port_list.masters.id
  }}
}}
"#
    )
}

const PORTS: &str = r#"port {
    begin = 5050
  }
  port {
    begin = 8080
    end   = 8081
  }"#;

#[test]
fn address_and_port_lists_and_a_rule_on_them_lifecycle() -> Result<()> {
    let emulator = Emulator::start()?;
    let ws = workspace(&emulator, &config("sources", "", PORTS))?;

    // Create, then nothing left to do; the rule reads its lists back by id.
    ws.apply(&[])?;
    ensure_no_changes(&ws, "create")?;
    let sources = id_of(&ws, "cloudcontrol_address_list.sources")?;
    let masters = id_of(&ws, "cloudcontrol_port_list.masters")?;
    let rule_id = id_of(&ws, "cloudcontrol_firewall_rule.masters_in")?;
    let org = emulator.org_id()?;
    let (_, rule) = emulator.request(
        "GET",
        &format!("/caas/2.10/{org}/network/firewallRule/{rule_id}"),
        None,
    )?;
    ensure!(
        rule["source"]["ipAddressList"]["id"] == sources.as_str()
            && rule["destination"]["portList"]["id"] == masters.as_str(),
        "{rule}"
    );

    // In place: another address and other ports, one edit each, the same ids.
    let extra = r#"address {
    begin = "203.0.113.5"
  }"#;
    let fewer = r#"port {
    begin = 5050
  }"#;
    rewrite(&ws, &config("sources", extra, fewer))?;
    plan_expecting(&ws, "0 to add, 2 to change, 0 to destroy")?;
    let seq = emulator.last_seq()?;
    ws.apply(&[])?;
    let mut calls = emulator.mutations_since(seq)?;
    calls.sort();
    ensure!(
        calls.len() == 2
            && calls[0].ends_with("/network/editIpAddressList")
            && calls[1].ends_with("/network/editPortList"),
        "the in-place change called {calls:?}"
    );
    ensure!(id_of(&ws, "cloudcontrol_address_list.sources")? == sources);
    let (_, list) = emulator.request(
        "GET",
        &format!("/caas/2.10/{org}/network/portList/{masters}"),
        None,
    )?;
    ensure!(list["port"] == json!([{"begin": 5050}]), "{list}");
    ensure_no_changes(&ws, "the in-place change")?;

    // Replacement: a new name is a new list, and the rule on it is created anew.
    rewrite(&ws, &config("sources2", extra, fewer))?;
    let plan = plan_expecting(&ws, "2 to add, 0 to change, 2 to destroy")?;
    ensure!(
        plan.stdout
            .contains("cloudcontrol_address_list.sources must be replaced"),
        "{plan}"
    );
    ws.apply(&[])?;
    let sources2 = id_of(&ws, "cloudcontrol_address_list.sources")?;
    ensure!(sources2 != sources, "the list was not replaced");
    ensure_no_changes(&ws, "the replacement")?;

    // Import all three kinds into an empty state: no diff (the rule on lists included).
    let addresses = [
        "cloudcontrol_firewall_rule.masters_in",
        "cloudcontrol_address_list.sources",
        "cloudcontrol_port_list.masters",
    ];
    let ids: Vec<String> = addresses
        .iter()
        .map(|a| id_of(&ws, a))
        .collect::<Result<_>>()?;
    for address in addresses {
        ws.run(&["state", "rm", address])?.ensure_success()?;
    }
    for (address, id) in addresses.iter().zip(&ids) {
        ws.import(address, id)
            .with_context(|| format!("importing {address}"))?;
    }
    let (outcome, plan) = ws.plan(&[])?;
    ensure!(
        outcome == PlanOutcome::NoChanges,
        "plan after import: {plan}"
    );

    // Drift: entries changed behind Terraform's back are put back in place; a list deleted
    // behind its back (after the rule on it) is created again.
    emulator.action(
        "network/editPortList",
        json!({"id": ids[2], "port": [{"begin": 9999}]}),
    )?;
    plan_expecting(&ws, "0 to add, 1 to change, 0 to destroy")?;
    ws.apply(&[])?;
    emulator.action("network/deleteFirewallRule", json!({"id": ids[0]}))?;
    emulator.action("network/deleteIpAddressList", json!({"id": ids[1]}))?;
    plan_expecting(&ws, "2 to add, 0 to change, 0 to destroy")?;
    ws.apply(&[])?;
    ensure_no_changes(&ws, "re-creating after drift")?;

    // Destroy leaves nothing behind.
    ws.destroy()?;
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}

#[test]
fn bad_lists_fail_with_the_attribute_named() -> Result<()> {
    let emulator = Emulator::start()?;
    let domain = r#"
resource "cloudcontrol_network_domain" "nd" {
  name       = "lists-bad"
  datacenter = "NA9"
}
"#;
    let ws = workspace(&emulator, domain)?;
    let cases = [
        // Plan time: an IPv4 entry in an IPv6 list, a range and a prefix at once, an empty
        // list, a port range ending where it begins, a port list on an ICMP rule.
        (
            r#"resource "cloudcontrol_address_list" "x" {
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "x"
  ip_version        = "IPV6"
  address {
    begin = "10.0.0.1"
  }
}"#,
            "address[0].begin must be an IPv6 address",
        ),
        (
            r#"resource "cloudcontrol_address_list" "x" {
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "x"
  address {
    begin       = "10.0.0.1"
    end         = "10.0.0.9"
    prefix_size = 24
  }
}"#,
            "address[0] is a range (end) or a network (prefix_size), not both",
        ),
        (
            r#"resource "cloudcontrol_address_list" "x" {
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "x"
}"#,
            "a list needs at least one address block",
        ),
        (
            r#"resource "cloudcontrol_port_list" "x" {
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "x"
  port {
    begin = 80
    end   = 80
  }
}"#,
            "port[0]: end (80) must be greater than begin (80)",
        ),
        (
            r#"resource "cloudcontrol_port_list" "x" {
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "1st"
  port {
    begin = 80
  }
}"#,
            "must start with a letter",
        ),
        (
            r#"resource "cloudcontrol_firewall_rule" "x" {
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "x"
  protocol          = "ICMP"
  destination {
    port_list_id = "5e1d0b2c-0000-4000-8000-000000000001"
  }
}"#,
            "destination.port_list_id is only allowed for TCP and UDP rules",
        ),
        (
            r#"resource "cloudcontrol_firewall_rule" "x" {
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "x"
  protocol          = "TCP"
  source {
    ip              = "10.0.0.1"
    address_list_id = "5e1d0b2c-0000-4000-8000-000000000001"
  }
}"#,
            "source.address_list_id cannot be combined with source.ip",
        ),
    ];
    for (hcl, expected) in cases {
        rewrite(&ws, &format!("{domain}\n{hcl}"))?;
        let out = ws.run(&["plan", "-input=false", "-no-color"])?;
        ensure!(out.code != 0, "planned {hcl}");
        let flat = out
            .combined()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        ensure!(flat.contains(expected), "expected {expected:?}: {out}");
    }

    // Apply time: the API's refusal of a list that would include itself, through another.
    let nested = r#"
resource "cloudcontrol_port_list" "a" {
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "a"
  port {
    begin = 22
  }
}
resource "cloudcontrol_port_list" "b" {
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "b"
  child_list_ids    = [cloudcontrol_port_list.a.id]
}
"#;
    rewrite(&ws, &format!("{domain}\n{nested}"))?;
    ws.apply(&[])?;
    let b = id_of(&ws, "cloudcontrol_port_list.b")?;
    let cycle = nested.replace(
        "  port {\n    begin = 22\n  }\n}\nresource \"cloudcontrol_port_list\" \"b\"",
        &format!("  child_list_ids = [\"{b}\"]\n}}\nresource \"cloudcontrol_port_list\" \"b\""),
    );
    ensure!(cycle != nested, "the cycle was not written");
    rewrite(&ws, &format!("{domain}\n{cycle}"))?;
    let out = ws.try_apply(&[])?;
    let flat = out
        .combined()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    ensure!(
        out.code != 0
            && flat.contains("INVALID_INPUT_DATA")
            && flat.contains("would include itself"),
        "{out}"
    );
    rewrite(&ws, &format!("{domain}\n{nested}"))?;
    ws.apply(&[])?;
    ws.destroy()?;
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}
