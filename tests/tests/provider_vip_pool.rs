//! `cloudcontrol_vip_node`, `cloudcontrol_vip_pool`, `cloudcontrol_vip_pool_member` and the
//! `cloudcontrol_vip_health_monitor` data source through the real Terraform CLI against the
//! emulator: create, empty re-plan, in-place edits, replacement (a node's address, with its
//! member), import without diff, drift (changed and gone), the plan-time refusals (static rules
//! and those that read the API: monitor compatibility, an ESSENTIALS domain, a member on a node
//! of another domain, also when that node is created in the same apply), the API's refusal of a
//! node on a taken address, and destroy to an empty inventory.
//! A second test takes over what an interrupted apply left (listed in the domain's creation
//! journal) and refuses, with the import command, a member Terraform lost track of otherwise.

use anyhow::{ensure, Context, Result};
use e2e::emulator::Emulator;
use e2e::provider::{
    ensure_no_changes, failed_plan, flat, id_of, plan_expecting, rewrite, workspace,
};
use serde_json::json;

/// What varies between the steps' configurations.
struct Vip<'a> {
    /// The pool's balancing method.
    method: &'a str,
    /// The pool's monitors (HCL list items).
    monitors: &'a str,
    /// Node m2's status.
    m2_status: &'a str,
    /// Node m2's address.
    m2_address: &'a str,
    /// Member m1's status.
    member_status: &'a str,
    /// The node of member m2.
    m2_member_node: &'a str,
    /// More HCL.
    extra: &'a str,
}

const BASE: Vip<'static> = Vip {
    method: "ROUND_ROBIN",
    monitors: "data.cloudcontrol_vip_health_monitor.http.id",
    m2_status: "ENABLED",
    m2_address: "10.0.1.12",
    member_status: "ENABLED",
    m2_member_node: "m2",
    extra: "",
};

/// Two ADVANCED domains and an ESSENTIALS one; in `main` the monitors, nodes m1 (IPv4), m2 and
/// v6 (IPv6), the pool `marathon` with m1 and m2 on 8080 and v6 on any port; in `other` the
/// node x1.
fn config(vip: &Vip<'_>) -> String {
    let Vip {
        method,
        monitors,
        m2_status,
        m2_address,
        member_status,
        m2_member_node,
        extra,
    } = vip;
    format!(
        r#"
resource "cloudcontrol_network_domain" "main" {{
  name       = "main"
  type       = "ADVANCED"
  datacenter = "NA9"
}}

resource "cloudcontrol_network_domain" "other" {{
  name       = "other"
  type       = "ADVANCED"
  datacenter = "NA9"
}}

resource "cloudcontrol_network_domain" "ess" {{
  name       = "ess"
  datacenter = "NA9"
}}

data "cloudcontrol_vip_health_monitor" "http" {{
  network_domain_id = cloudcontrol_network_domain.main.id
  name              = "CCDEFAULT.Http"
}}

data "cloudcontrol_vip_health_monitor" "tcp" {{
  network_domain_id = cloudcontrol_network_domain.main.id
  name              = "CCDEFAULT.Tcp"
}}

data "cloudcontrol_vip_health_monitor" "icmp" {{
  network_domain_id = cloudcontrol_network_domain.main.id
  name              = "CCDEFAULT.Icmp"
}}

resource "cloudcontrol_vip_node" "m1" {{
  network_domain_id = cloudcontrol_network_domain.main.id
  name              = "m1"
  ipv4_address      = "10.0.1.11"
  health_monitor_id = data.cloudcontrol_vip_health_monitor.icmp.id
}}

resource "cloudcontrol_vip_node" "m2" {{
  network_domain_id = cloudcontrol_network_domain.main.id
  name              = "m2"
  description       = "second master"
  ipv4_address      = "{m2_address}"
  status            = "{m2_status}"
  connection_limit  = 500
}}

resource "cloudcontrol_vip_node" "v6" {{
  network_domain_id = cloudcontrol_network_domain.main.id
  name              = "v6"
  ipv6_address      = "2001:db8::5"
}}

resource "cloudcontrol_vip_node" "x1" {{
  network_domain_id = cloudcontrol_network_domain.other.id
  name              = "x1"
  ipv4_address      = "10.0.2.11"
}}

resource "cloudcontrol_vip_pool" "marathon" {{
  network_domain_id   = cloudcontrol_network_domain.main.id
  name                = "marathon"
  load_balance_method = "{method}"
  health_monitor_ids  = [{monitors}]
  service_down_action = "RESELECT"
}}

resource "cloudcontrol_vip_pool_member" "m1" {{
  pool_id = cloudcontrol_vip_pool.marathon.id
  node_id = cloudcontrol_vip_node.m1.id
  port    = 8080
  status  = "{member_status}"
}}

resource "cloudcontrol_vip_pool_member" "m2" {{
  pool_id = cloudcontrol_vip_pool.marathon.id
  node_id = cloudcontrol_vip_node.{m2_member_node}.id
  port    = 8080
}}

resource "cloudcontrol_vip_pool_member" "v6" {{
  pool_id = cloudcontrol_vip_pool.marathon.id
  node_id = cloudcontrol_vip_node.v6.id
}}
{extra}
"#
    )
}

fn count(inventory: &serde_json::Value, key: &str) -> usize {
    inventory[key].as_array().map_or(0, Vec::len)
}

#[test]
fn nodes_pool_and_members_lifecycle() -> Result<()> {
    let emulator = Emulator::start()?;
    let ws = workspace(&emulator, &config(&BASE))?;
    let org = emulator.org_id()?;
    let get = |path: &str| emulator.get(&format!("/caas/2.10/{org}/networkDomainVip/{path}"));

    // Create, then nothing left to do; the API holds what was configured.
    ws.apply(&[])?;
    ensure_no_changes(&ws, "create")?;
    let inventory = emulator.inventory()?;
    ensure!(
        (
            count(&inventory, "vipNode"),
            count(&inventory, "vipPool"),
            count(&inventory, "vipPoolMember")
        ) == (4, 1, 3),
        "{inventory}"
    );
    let pool = id_of(&ws, "cloudcontrol_vip_pool.marathon")?;
    let m1 = id_of(&ws, "cloudcontrol_vip_node.m1")?;
    let member_m1 = id_of(&ws, "cloudcontrol_vip_pool_member.m1")?;
    let http = id_of(&ws, "data.cloudcontrol_vip_health_monitor.http")?;
    let document = get(&format!("pool/{pool}"))?;
    ensure!(
        document["healthMonitor"] == json!([{"id": http, "name": "CCDEFAULT.Http"}])
            && document["serviceDownAction"] == "RESELECT"
            && document["slowRampTime"] == 10,
        "{document}"
    );
    let member = ws
        .resource_values("cloudcontrol_vip_pool_member.v6")?
        .context("member v6 in state")?;
    ensure!(
        member["port"].is_null()
            && member["node_ip_address"] == "2001:db8::5"
            && member["pool_name"] == "marathon",
        "{member}"
    );

    // In place: the pool's method and monitors, a node's status, a member's status.
    let edited = Vip {
        method: "LEAST_CONNECTIONS_MEMBER",
        monitors: "data.cloudcontrol_vip_health_monitor.http.id, data.cloudcontrol_vip_health_monitor.tcp.id",
        m2_status: "DISABLED",
        member_status: "FORCED_OFFLINE",
        ..BASE
    };
    rewrite(&ws, &config(&edited))?;
    plan_expecting(&ws, "0 to add, 3 to change, 0 to destroy")?;
    ws.apply(&[])?;
    ensure_no_changes(&ws, "the in-place edits")?;
    ensure!(id_of(&ws, "cloudcontrol_vip_pool.marathon")? == pool);
    ensure!(id_of(&ws, "cloudcontrol_vip_pool_member.m1")? == member_m1);
    let document = get(&format!("pool/{pool}"))?;
    ensure!(
        document["loadBalanceMethod"] == "LEAST_CONNECTIONS_MEMBER"
            && document["healthMonitor"].as_array().map(Vec::len) == Some(2),
        "{document}"
    );
    ensure!(get(&format!("poolMember/{member_m1}"))?["status"] == "FORCED_OFFLINE");

    // Replacement: a node's address cannot change in place; its member goes and comes with it.
    let old_m2 = id_of(&ws, "cloudcontrol_vip_node.m2")?;
    let moved = Vip {
        m2_address: "10.0.1.22",
        ..edited
    };
    rewrite(&ws, &config(&moved))?;
    let plan = plan_expecting(&ws, "2 to add, 0 to change, 2 to destroy")?;
    ensure!(plan.stdout.contains("must be replaced"), "{plan}");
    ws.apply(&[])?;
    ensure!(
        id_of(&ws, "cloudcontrol_vip_node.m2")? != old_m2,
        "m2 was not replaced"
    );
    ensure_no_changes(&ws, "the replacement")?;

    // Import without diff: one of each, by id.
    let imported = [
        "cloudcontrol_vip_node.m1",
        "cloudcontrol_vip_node.v6",
        "cloudcontrol_vip_pool.marathon",
        "cloudcontrol_vip_pool_member.m1",
        "cloudcontrol_vip_pool_member.v6",
    ];
    let ids: Vec<String> = imported
        .iter()
        .map(|a| id_of(&ws, a))
        .collect::<Result<_>>()?;
    for (address, id) in imported.iter().zip(&ids) {
        ws.run(&["state", "rm", address])?.ensure_success()?;
        ws.import(address, id)
            .with_context(|| format!("importing {address}"))?;
    }
    ensure_no_changes(&ws, "the imports")?;

    // Drift: changed behind Terraform's back shows as a change; gone, as a create.
    emulator.action(
        "networkDomainVip/editPool",
        json!({"id": pool, "loadBalanceMethod": "ROUND_ROBIN"}),
    )?;
    emulator.action(
        "networkDomainVip/editNode",
        json!({"id": m1, "healthMonitorId": {"nil": true}, "connectionLimit": 7}),
    )?;
    let plan = plan_expecting(&ws, "0 to add, 2 to change, 0 to destroy")?;
    ensure!(
        plan.stdout
            .contains("\"ROUND_ROBIN\" -> \"LEAST_CONNECTIONS_MEMBER\""),
        "{plan}"
    );
    emulator.action(
        "networkDomainVip/removePoolMember",
        json!({"id": member_m1}),
    )?;
    plan_expecting(&ws, "1 to add, 2 to change, 0 to destroy")?;
    ws.apply(&[])?;
    ensure_no_changes(&ws, "repairing the drift")?;

    // Plan time, from the configuration alone: each rule at its attribute.
    let bad_static = r#"
resource "cloudcontrol_vip_node" "bad_both" {
  network_domain_id = cloudcontrol_network_domain.main.id
  name              = "bad_both"
  ipv4_address      = "10.0.1.50"
  ipv6_address      = "2001:db8::50"
}

resource "cloudcontrol_vip_node" "bad_family" {
  network_domain_id     = cloudcontrol_network_domain.main.id
  name                  = "bad_family"
  ipv4_address          = "2001:db8::51"
  connection_limit      = 0
  connection_rate_limit = 4001
  status                = "UP"
}

resource "cloudcontrol_vip_pool" "bad" {
  network_domain_id   = cloudcontrol_network_domain.main.id
  name                = "bad"
  load_balance_method = "LEAST_CONNECTIONS"
  health_monitor_ids  = ["0a3a5d22-6a38-4a7e-9d0a-000000000001", "0a3a5d22-6a38-4a7e-9d0a-000000000001"]
}

resource "cloudcontrol_vip_pool_member" "bad_port" {
  pool_id = cloudcontrol_vip_pool.marathon.id
  node_id = cloudcontrol_vip_node.m1.id
  port    = 70000
}
"#;
    rewrite(
        &ws,
        &config(&Vip {
            extra: bad_static,
            ..moved
        }),
    )?;
    let flat_plan = failed_plan(&ws)?;
    for expected in [
        "Two node addresses",
        "ipv4_address must be an IPv4 address such as 10.0.0.1, got \"2001:db8::51\"",
        "connection_limit must be a whole number between 1 and 100000, got 0",
        "connection_rate_limit must be a whole number between 1 and 4000, got 4001",
        "status must be one of \"ENABLED\", \"DISABLED\", \"FORCED_OFFLINE\", got \"UP\"",
        "load_balance_method must be one of \"ROUND_ROBIN\"",
        "health_monitor_ids[1] repeats an earlier monitor",
        "port must be a whole number between 1 and 65535, got 70000",
    ] {
        ensure!(
            flat_plan.contains(expected),
            "expected {expected:?}: {flat_plan}"
        );
    }

    // Plan time, reading the API: a node monitor on a pool, a pool in an ESSENTIALS domain, a
    // new member on a node of another network domain, and member m2 replaced onto one.
    let bad_api = r#"
resource "cloudcontrol_vip_pool" "icmp" {
  network_domain_id  = cloudcontrol_network_domain.main.id
  name               = "icmp"
  health_monitor_ids = [data.cloudcontrol_vip_health_monitor.icmp.id]
}

resource "cloudcontrol_vip_pool" "ess" {
  network_domain_id = cloudcontrol_network_domain.ess.id
  name              = "ess"
}

resource "cloudcontrol_vip_pool_member" "x1" {
  pool_id = cloudcontrol_vip_pool.marathon.id
  node_id = cloudcontrol_vip_node.x1.id
  port    = 8080
}
"#;
    let hcl = config(&Vip {
        extra: bad_api,
        m2_member_node: "x1",
        ..moved
    });
    rewrite(&ws, &hcl)?;
    let flat_plan = failed_plan(&ws)?;
    for expected in [
        "CCDEFAULT.Icmp cannot monitor a pool",
        "load-balancer objects need an ADVANCED or ENTERPRISE network domain",
        "with cloudcontrol_vip_pool_member.x1",
        "with cloudcontrol_vip_pool_member.m2",
    ] {
        ensure!(
            flat_plan.contains(expected),
            "expected {expected:?}: {flat_plan}"
        );
    }
    ensure!(
        flat_plan
            .matches("Node and pool in different network domains")
            .count()
            == 2,
        "{flat_plan}"
    );

    // Known only at apply: a node of another domain created in the same apply is refused when
    // Terraform plans the member again with its id, before the API is asked; a second node on
    // m1's address is the API's to refuse, with its code.
    let bad_apply = r#"
resource "cloudcontrol_vip_node" "x2" {
  network_domain_id = cloudcontrol_network_domain.other.id
  name              = "x2"
  ipv4_address      = "10.0.2.12"
}

resource "cloudcontrol_vip_pool_member" "x2" {
  pool_id = cloudcontrol_vip_pool.marathon.id
  node_id = cloudcontrol_vip_node.x2.id
}

resource "cloudcontrol_vip_node" "dup" {
  network_domain_id = cloudcontrol_network_domain.main.id
  name              = "dup"
  ipv4_address      = "10.0.1.11"
}
"#;
    rewrite(
        &ws,
        &config(&Vip {
            extra: bad_apply,
            ..moved
        }),
    )?;
    let out = ws.try_apply(&[])?;
    let flat_out = flat(&out);
    ensure!(
        out.code != 0
            && flat_out.contains("Node and pool in different network domains")
            && flat_out.contains("IP_ADDRESS_NOT_UNIQUE"),
        "{out}"
    );
    let inventory = emulator.inventory()?;
    ensure!(
        (
            count(&inventory, "vipNode"),
            count(&inventory, "vipPoolMember")
        ) == (5, 3),
        "{inventory}"
    );

    // Destroy leaves nothing behind (members go before their pool and nodes). Terraform 1.0
    // plans the configuration before destroying, so the refused member leaves it first.
    rewrite(&ws, &config(&moved))?;
    ws.destroy()?;
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}

/// One domain with node n1, pool p and n1 in p on port 80.
fn small_config() -> String {
    r#"
resource "cloudcontrol_network_domain" "nd" {
  name       = "adopt"
  type       = "ADVANCED"
  datacenter = "NA9"
}

resource "cloudcontrol_vip_node" "n1" {
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "n1"
  ipv4_address      = "10.0.3.11"
}

resource "cloudcontrol_vip_pool" "p" {
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "p"
}

resource "cloudcontrol_vip_pool_member" "m" {
  pool_id = cloudcontrol_vip_pool.p.id
  node_id = cloudcontrol_vip_node.n1.id
  port    = 80
}
"#
    .to_owned()
}

#[test]
fn interrupted_creates_are_taken_over_and_others_refused_with_their_import_command() -> Result<()> {
    let emulator = Emulator::start()?;
    let ws = workspace(&emulator, &small_config())?;
    ws.apply(&[])?;
    let addresses = [
        "cloudcontrol_vip_node.n1",
        "cloudcontrol_vip_pool.p",
        "cloudcontrol_vip_pool_member.m",
    ];
    let ids: Vec<String> = addresses
        .iter()
        .map(|a| id_of(&ws, a))
        .collect::<Result<_>>()?;
    let domain = id_of(&ws, "cloudcontrol_network_domain.nd")?;

    // As a provider killed mid-apply leaves things: the objects exist, Terraform did not record
    // them, and the domain's creation journal lists their creates.
    for address in addresses {
        ws.run(&["state", "rm", address])?.ensure_success()?;
    }
    let journal = json!([
        "vipnode:n1",
        "vippool:p",
        format!("vipmember:{}+{}:80", ids[1], ids[0]),
    ]);
    emulator.action(
        "tag/applyTags",
        json!({"assetType": "NETWORK_DOMAIN", "assetId": domain,
               "tag": [{"tagKeyName": "terraform-provider-cloudcontrol.creating",
                        "value": journal.to_string()}]}),
    )?;
    let seq = emulator.last_seq()?;
    ws.apply(&[])?;
    for (address, id) in addresses.iter().zip(&ids) {
        ensure!(&id_of(&ws, address)? == id, "{address} was not taken over");
    }
    let created: Vec<String> = emulator
        .mutations_since(seq)?
        .into_iter()
        .filter(|m| m.contains("/networkDomainVip/"))
        .collect();
    ensure!(created.is_empty(), "created again: {created:?}");
    ensure_no_changes(&ws, "the take-over")?;

    // Lost from state after a create that finished (its journal entry cleared): refused, with
    // the import command, which brings it back with an empty plan.
    ws.run(&["state", "rm", addresses[2]])?.ensure_success()?;
    let failed = ws.try_apply(&[])?;
    let text = flat(&failed);
    for part in [
        "VIP pool member already exists",
        &format!("for node {} on port 80 in pool {}", ids[0], ids[1]),
        &format!("(id {})", ids[2]),
        "creation journal",
        &format!("terraform import 'ADDRESS' {}", ids[2]),
    ] {
        ensure!(
            failed.code != 0 && text.contains(part),
            "missing {part:?} in: {text}"
        );
    }
    ws.import(addresses[2], &ids[2])?;
    ensure_no_changes(&ws, "the import the error told")?;

    ws.destroy()?;
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}
