//! `cloudcontrol_server` and `cloudcontrol_firewall_rule` through the real Terraform CLI
//! against the emulator: create, empty re-plan, in-place CPU/memory change, disk growth with
//! `allow_reboot`, a firewall rule disabled in place, forced replacement (another VLAN),
//! import without diff, drift (deleted behind Terraform's back) and destroy.

mod provider_common;

use anyhow::{ensure, Context, Result};
use e2e::terraform::PlanOutcome;
use provider_common::{id_of, rewrite, workspace, Emulator};
use serde_json::{json, Value};

/// What the steps of the test change.
struct Shape {
    cpu_count: u32,
    memory_gb: u32,
    data_disk_gb: u32,
    vlan: &'static str,
    name: &'static str,
    private_ipv4: Option<&'static str>,
    ssh_enabled: bool,
    started: bool,
    third_disk: bool,
    monitoring: bool,
}

const FIRST: Shape = Shape {
    cpu_count: 2,
    memory_gb: 4,
    data_disk_gb: 50,
    vlan: "a",
    name: "e2e-server",
    private_ipv4: None,
    ssh_enabled: true,
    started: true,
    third_disk: false,
    monitoring: false,
};

fn config(shape: &Shape) -> String {
    let Shape {
        cpu_count,
        memory_gb,
        data_disk_gb,
        vlan,
        name,
        private_ipv4,
        ssh_enabled,
        started,
        third_disk,
        monitoring,
    } = shape;
    let third_disk = if *third_disk {
        "disk {\n    scsi_id = 2\n    size_gb = 20\n  }"
    } else {
        ""
    };
    let private_ipv4 = private_ipv4
        .map(|ip| format!("private_ipv4 = \"{ip}\""))
        .unwrap_or_default();
    let monitoring = if *monitoring {
        "monitoring_plan = \"ESSENTIALS\""
    } else {
        ""
    };
    format!(
        r#"
data "cloudcontrol_image" "rocky8" {{
  name       = "Rocky Linux 8 64-bit 2 CPU"
  datacenter = "NA9"
}}

resource "cloudcontrol_network_domain" "nd" {{
  name       = "e2e-servers"
  datacenter = "NA9"
}}

resource "cloudcontrol_vlan" "a" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "e2e-a"
  ipv4_base_address = "10.0.0.0"
  ipv4_prefix_size  = 24
}}

resource "cloudcontrol_vlan" "b" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "e2e-b"
  ipv4_base_address = "10.0.1.0"
  ipv4_prefix_size  = 24
}}

resource "cloudcontrol_server" "s" {{
  name              = "{name}"
  network_domain_id = cloudcontrol_network_domain.nd.id
  image_id          = data.cloudcontrol_image.rocky8.id
  admin_password    = "Server-e2e-7q!"
  cpu_count         = {cpu_count}
  memory_gb         = {memory_gb}
  allow_reboot      = true
  started           = {started}
  {monitoring}

  primary_nic {{
    vlan_id = cloudcontrol_vlan.{vlan}.id
    {private_ipv4}
  }}

  disk {{
    scsi_id = 0
    size_gb = 10
  }}

  disk {{
    scsi_id = 1
    size_gb = {data_disk_gb}
  }}

  {third_disk}
}}

resource "cloudcontrol_firewall_rule" "ssh" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "e2e_ssh"
  protocol          = "TCP"
  enabled           = {ssh_enabled}

  source {{
    ip          = "198.51.100.0"
    prefix_size = 24
  }}

  destination {{
    ip   = "any"
    port = 22
  }}
}}
"#
    )
}

/// The emulator's view of the only server.
fn emulated_server(emulator: &Emulator) -> Result<Value> {
    let inventory = emulator.inventory()?;
    let servers = inventory["server"].as_array().context("no servers")?;
    ensure!(servers.len() == 1, "{} servers: {inventory}", servers.len());
    Ok(servers[0].clone())
}

fn ensure_no_changes(ws: &e2e::terraform::Workspace, step: &str) -> Result<()> {
    let (outcome, plan) = ws.plan(&[])?;
    ensure!(
        outcome == PlanOutcome::NoChanges,
        "re-plan after {step}: {plan}"
    );
    Ok(())
}

/// Names of the attributes a plan adds, removes or changes (resource headers excluded).
fn changed_attributes(plan: &str) -> Vec<String> {
    let actions = plan
        .split_once("will perform the following actions:")
        .map_or("", |(_, rest)| rest);
    let mut names: Vec<String> = actions
        .lines()
        .map(str::trim_start)
        .filter_map(|line| {
            let rest = line
                .strip_prefix("~ ")
                .or_else(|| line.strip_prefix("+ "))
                .or_else(|| line.strip_prefix("- "))?;
            let name = rest.split_whitespace().next()?;
            (name != "resource").then(|| name.to_owned())
        })
        .collect();
    names.sort();
    names
}

#[test]
fn server_and_firewall_rule_lifecycle() -> Result<()> {
    let emulator = Emulator::start()?;
    let ws = workspace(&emulator, &config(&FIRST))?;

    // Create, then nothing left to do.
    ws.apply(&[])?;
    ensure_no_changes(&ws, "create")?;
    let server_id = id_of(&ws, "cloudcontrol_server.s")?;
    let rule_id = id_of(&ws, "cloudcontrol_firewall_rule.ssh")?;
    let state = ws.resource_values("cloudcontrol_server.s")?.unwrap();
    ensure!(
        state["primary_ipv4"]
            .as_str()
            .is_some_and(|ip| ip.starts_with("10.0.0."))
            && state["primary_ipv6"].is_string()
            && state["started"] == true,
        "{state}"
    );

    // In place: more CPUs and memory, a new name and another private address.
    let bigger = Shape {
        cpu_count: 4,
        memory_gb: 8,
        name: "e2e-server-renamed",
        private_ipv4: Some("10.0.0.50"),
        ..FIRST
    };
    rewrite(&ws, &config(&bigger))?;
    let (_, plan) = ws.plan(&[])?;
    ensure!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    ws.apply(&[])?;
    ensure!(
        id_of(&ws, "cloudcontrol_server.s")? == server_id,
        "resizing replaced the server"
    );
    let server = emulated_server(&emulator)?;
    ensure!(
        server["cpu"]["count"] == 4
            && server["memoryGb"] == 8
            && server["name"] == "e2e-server-renamed"
            && server["networkInfo"]["primaryNic"]["privateIpv4"] == "10.0.0.50",
        "{server}"
    );
    ensure_no_changes(&ws, "CPU/memory change")?;

    // In place: the data disk grows; the provider powers the server off and on again.
    let grown = Shape {
        data_disk_gb: 80,
        ..bigger
    };
    rewrite(&ws, &config(&grown))?;
    let (_, plan) = ws.plan(&[])?;
    ensure!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    let seq = emulator.last_seq()?;
    ws.apply(&[])?;
    ensure!(
        id_of(&ws, "cloudcontrol_server.s")? == server_id,
        "growing replaced the server"
    );
    let server = emulated_server(&emulator)?;
    let disk_sizes: Vec<i64> = server["scsiController"][0]["disk"]
        .as_array()
        .context("no disks")?
        .iter()
        .filter_map(|d| d["sizeGb"].as_i64())
        .collect();
    ensure!(disk_sizes.contains(&80), "disks {disk_sizes:?}");
    ensure!(server["started"] == true, "left stopped: {server}");
    let calls = emulator.mutations_since(seq)?;
    ensure!(
        calls.iter().any(|c| c.ends_with("/expandDisk"))
            && calls.iter().any(|c| c.ends_with("/startServer")),
        "disk growth calls: {calls:?}"
    );
    ensure_no_changes(&ws, "disk growth")?;

    // In place: the firewall rule is disabled.
    let closed = Shape {
        ssh_enabled: false,
        ..grown
    };
    rewrite(&ws, &config(&closed))?;
    let (_, plan) = ws.plan(&[])?;
    ensure!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    ws.apply(&[])?;
    ensure!(
        id_of(&ws, "cloudcontrol_firewall_rule.ssh")? == rule_id,
        "the rule was replaced"
    );
    let inventory = emulator.inventory()?;
    let rule = inventory["firewallRule"]
        .as_array()
        .and_then(|rules| rules.iter().find(|r| r["id"] == rule_id.as_str()))
        .context("the rule is gone")?;
    ensure!(rule["enabled"] == false, "{rule}");
    ensure_no_changes(&ws, "disabling the rule")?;

    // In place: powered off, with a disk added while it is off.
    let stopped = Shape {
        started: false,
        third_disk: true,
        ..closed
    };
    rewrite(&ws, &config(&stopped))?;
    let (_, plan) = ws.plan(&[])?;
    ensure!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    ws.apply(&[])?;
    let server = emulated_server(&emulator)?;
    let disks = server["scsiController"][0]["disk"]
        .as_array()
        .map_or(0, Vec::len);
    ensure!(server["started"] == false && disks == 3, "{server}");
    ensure_no_changes(&ws, "power-off and disk addition")?;

    // In place: running again, with a monitoring plan.
    let monitored = Shape {
        started: true,
        monitoring: true,
        ..stopped
    };
    rewrite(&ws, &config(&monitored))?;
    ws.apply(&[])?;
    let server = emulated_server(&emulator)?;
    ensure!(
        server["started"] == true && server["monitoring"]["servicePlan"] == "ESSENTIALS",
        "{server}"
    );
    ensure!(
        id_of(&ws, "cloudcontrol_server.s")? == server_id,
        "the server was replaced"
    );
    ensure_no_changes(&ws, "start and monitoring")?;

    // Forced replacement: the primary NIC moves to another VLAN (the running, monitored
    // server is powered off and its monitoring disabled before the delete).
    let moved = Shape {
        vlan: "b",
        private_ipv4: None,
        ..monitored
    };
    rewrite(&ws, &config(&moved))?;
    let (_, plan) = ws.plan(&[])?;
    ensure!(plan.stdout.contains("must be replaced"), "{plan}");
    ws.apply(&[])?;
    let new_server_id = id_of(&ws, "cloudcontrol_server.s")?;
    ensure!(new_server_id != server_id, "the server was not replaced");
    let state = ws.resource_values("cloudcontrol_server.s")?.unwrap();
    ensure!(
        state["primary_ipv4"]
            .as_str()
            .is_some_and(|ip| ip.starts_with("10.0.1.")),
        "{state}"
    );
    ensure_no_changes(&ws, "replacement")?;

    // Import both into an empty state: no diff.
    for address in ["cloudcontrol_server.s", "cloudcontrol_firewall_rule.ssh"] {
        ws.run(&["state", "rm", address])?.ensure_success()?;
    }
    ws.import("cloudcontrol_server.s", &new_server_id)?;
    ws.import("cloudcontrol_firewall_rule.ssh", &rule_id)?;
    // The API cannot report the two write-only arguments (the deployment password and the
    // reboot permission), so the first plan after an import records them, and nothing else,
    // without calling the API.
    let (_, plan) = ws.plan(&[])?;
    let changed = changed_attributes(&plan.stdout);
    ensure!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy")
            && changed == ["admin_password", "allow_reboot"],
        "plan after import changes {changed:?}: {plan}"
    );
    let seq = emulator.last_seq()?;
    ws.apply(&[])?;
    let calls = emulator.mutations_since(seq)?;
    ensure!(
        calls.is_empty(),
        "recording write-only arguments called {calls:?}"
    );
    ensure_no_changes(&ws, "import")?;

    // Drift: the server is deleted behind Terraform's back; refresh drops it, the plan re-creates it.
    emulator.action("server/powerOffServer", json!({ "id": new_server_id }))?;
    emulator.action("server/deleteServer", json!({ "id": new_server_id }))?;
    let (outcome, plan) = ws.plan(&[])?;
    ensure!(
        outcome == PlanOutcome::Changes
            && plan
                .stdout
                .contains("cloudcontrol_server.s will be created"),
        "plan after drift: {plan}"
    );
    ws.apply(&[])?;
    ensure_no_changes(&ws, "re-create")?;

    // Destroy leaves nothing behind.
    ws.destroy()?;
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}
