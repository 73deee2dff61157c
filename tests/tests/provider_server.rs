//! `cloudcontrol_server` and `cloudcontrol_firewall_rule` through the real Terraform CLI
//! against the emulator: create, empty re-plan, in-place CPU/memory change, disk growth with
//! `allow_reboot`, a firewall rule disabled in place, forced replacement (another VLAN),
//! import without diff, drift (deleted behind Terraform's back) and destroy; disk speed changes
//! (in place, no reboot) and disk removal (in place, power-cycled with `allow_reboot`; the OS
//! image's disks never: an undeclared image disk stays), a disk slowed down or removed behind
//! Terraform's back put back in place; the shortest configuration (no disk blocks: the image's
//! disks) with import and CPU shape changes in place; and the server's import forms (`<id>,allow_reboot=true` with the password from
//! `CLOUDCONTROL_IMPORT_ADMIN_PASSWORD`, or the id alone) without the password in any log.

use anyhow::{ensure, Context, Result};
use e2e::emulator::Emulator;
use e2e::provider::{
    ensure_no_changes, id_of, plan_expecting, rewrite, rocky8_domain_and_vlan, workspace,
};
use e2e::terraform::PlanOutcome;
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
    plan_expecting(&ws, "0 to add, 1 to change, 0 to destroy")?;
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
    plan_expecting(&ws, "0 to add, 1 to change, 0 to destroy")?;
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
    plan_expecting(&ws, "0 to add, 1 to change, 0 to destroy")?;
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
    plan_expecting(&ws, "0 to add, 1 to change, 0 to destroy")?;
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

/// The deployment password of the disk and import test; it must never show up in logs.
const DISK_TEST_PASSWORD: &str = "Imp0rt-e2e-Zq8!";

/// A running server with the given `(scsi_id, size_gb, speed)` disks, in its own network domain.
fn disk_config(disks: &[(u8, u32, &str)], allow_reboot: bool) -> String {
    powered_disk_config(disks, allow_reboot, true)
}

/// [`disk_config`] with the power state `started`.
fn powered_disk_config(disks: &[(u8, u32, &str)], allow_reboot: bool, started: bool) -> String {
    let disks: String = disks
        .iter()
        .map(|(scsi_id, size_gb, speed)| {
            format!(
                "\n  disk {{\n    scsi_id = {scsi_id}\n    size_gb = {size_gb}\n    speed   = \"{speed}\"\n  }}\n"
            )
        })
        .collect();
    let base = rocky8_domain_and_vlan("e2e-disks", "NA9", "10.2.0.0");
    format!(
        r#"{base}
resource "cloudcontrol_server" "s" {{
  name              = "e2e-disks"
  network_domain_id = cloudcontrol_network_domain.nd.id
  image_id          = data.cloudcontrol_image.rocky8.id
  admin_password    = "{DISK_TEST_PASSWORD}"
  allow_reboot      = {allow_reboot}
  started           = {started}

  primary_nic {{
    vlan_id = cloudcontrol_vlan.v.id
  }}
{disks}}}
"#
    )
}

/// The emulator's disks of the only server as `(scsi_id, size_gb, speed)`, by SCSI id.
fn emulated_disks(emulator: &Emulator) -> Result<Vec<(i64, i64, String)>> {
    let server = emulated_server(emulator)?;
    let mut disks: Vec<(i64, i64, String)> = server["scsiController"]
        .as_array()
        .context("no SCSI controllers")?
        .iter()
        .flat_map(|c| c["disk"].as_array().cloned().unwrap_or_default())
        .map(|d| {
            (
                d["scsiId"].as_i64().unwrap_or(-1),
                d["sizeGb"].as_i64().unwrap_or(-1),
                d["speed"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    disks.sort();
    Ok(disks)
}

fn disks(expected: &[(i64, i64, &str)]) -> Vec<(i64, i64, String)> {
    expected
        .iter()
        .map(|(id, size, speed)| (*id, *size, (*speed).to_owned()))
        .collect()
}

/// A plan that must fail: its folded error text, after checking no API call changed anything.
fn failed_plan(ws: &e2e::terraform::Workspace, emulator: &Emulator) -> Result<String> {
    let seq = emulator.last_seq()?;
    let failed = ws.run(&["plan", "-input=false", "-no-color"])?;
    ensure!(failed.code == 1, "the plan should fail: {failed}");
    let calls = emulator.mutations_since(seq)?;
    ensure!(calls.is_empty(), "a failing plan called {calls:?}");
    // Terraform wraps diagnostic text: compare with the line breaks folded.
    Ok(failed
        .stderr
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" "))
}

#[test]
fn server_disk_speed_and_removal_in_place() -> Result<()> {
    let emulator = Emulator::start()?;
    let three = [
        (0, 10, "STANDARD"),
        (1, 50, "STANDARD"),
        (2, 20, "STANDARD"),
    ];
    let ws = workspace(&emulator, &disk_config(&three, false))?;
    ws.apply(&[])?;
    ensure_no_changes(&ws, "create")?;
    let server_id = id_of(&ws, "cloudcontrol_server.s")?;
    ensure!(
        emulated_disks(&emulator)?
            == disks(&[
                (0, 10, "STANDARD"),
                (1, 50, "STANDARD"),
                (2, 20, "STANDARD")
            ]),
        "created disks {:?}",
        emulated_disks(&emulator)?
    );

    // A speed change is made in place on the running server, without a reboot (the API's
    // changeDiskSpeed works on a running server), so allow_reboot = false is enough.
    let faster = [
        (0, 10, "STANDARD"),
        (1, 50, "HIGHPERFORMANCE"),
        (2, 20, "ECONOMY"),
    ];
    rewrite(&ws, &disk_config(&faster, false))?;
    let (_, plan) = ws.plan(&[])?;
    ensure!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy")
            && changed_attributes(&plan.stdout)
                == [
                    "all_disks",
                    "disk",
                    "disk",
                    "speed",
                    "speed",
                    "speed",
                    "speed",
                    "{",
                    "{"
                ],
        "{plan}"
    );
    let seq = emulator.last_seq()?;
    ws.apply(&[])?;
    let calls = emulator.mutations_since(seq)?;
    ensure!(
        calls.len() == 2 && calls.iter().all(|c| c.ends_with("/server/changeDiskSpeed")),
        "speed change calls: {calls:?}"
    );
    ensure!(
        emulated_disks(&emulator)?
            == disks(&[
                (0, 10, "STANDARD"),
                (1, 50, "HIGHPERFORMANCE"),
                (2, 20, "ECONOMY")
            ]),
        "disks after the speed change {:?}",
        emulated_disks(&emulator)?
    );
    ensure!(emulated_server(&emulator)?["started"] == true, "stopped");
    ensure!(
        id_of(&ws, "cloudcontrol_server.s")? == server_id,
        "replaced"
    );
    ensure_no_changes(&ws, "speed change")?;

    // Removing a disk needs the server off: without allow_reboot the plan fails on `disk`.
    let two = [(0, 10, "STANDARD"), (1, 50, "HIGHPERFORMANCE")];
    rewrite(&ws, &disk_config(&two, false))?;
    let message = failed_plan(&ws, &emulator)?;
    ensure!(
        message.contains("Change needs a reboot")
            && message.contains("removing the disk at scsi_id 2")
            && message.contains("allow_reboot = true")
            && message.contains("disk"),
        "{message}"
    );

    // With allow_reboot the disk is removed in place: shut down, removeDisk, started again.
    rewrite(&ws, &disk_config(&two, true))?;
    plan_expecting(&ws, "0 to add, 1 to change, 0 to destroy")?;
    let seq = emulator.last_seq()?;
    ws.apply(&[])?;
    let calls = emulator.mutations_since(seq)?;
    let removes = calls.iter().filter(|c| c.ends_with("/removeDisk")).count();
    ensure!(
        removes == 1
            && calls.iter().any(|c| c.ends_with("/shutdownServer"))
            && calls.last().is_some_and(|c| c.ends_with("/startServer")),
        "disk removal calls: {calls:?}"
    );
    ensure!(
        emulated_disks(&emulator)? == disks(&[(0, 10, "STANDARD"), (1, 50, "HIGHPERFORMANCE")]),
        "disks after the removal {:?}",
        emulated_disks(&emulator)?
    );
    ensure!(emulated_server(&emulator)?["started"] == true, "left off");
    ensure!(
        id_of(&ws, "cloudcontrol_server.s")? == server_id,
        "replaced"
    );
    ensure_no_changes(&ws, "disk removal")?;

    // Drift: behind Terraform's back the data disk is slowed down, then the server is powered
    // off and the disk removed; each time the plan puts it back in place.
    let data_disk = emulated_server(&emulator)?["scsiController"][0]["disk"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["scsiId"] == 1))
        .and_then(|d| d["id"].as_str().map(str::to_owned))
        .context("no disk at scsi_id 1")?;
    emulator.action(
        "server/changeDiskSpeed",
        json!({ "id": data_disk, "speed": "STANDARD" }),
    )?;
    let (_, plan) = ws.plan(&[])?;
    ensure!(
        plan.stdout
            .contains(r#"~ speed   = "STANDARD" -> "HIGHPERFORMANCE""#)
            && plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "plan after the speed drift: {plan}"
    );
    ws.apply(&[])?;
    ensure_no_changes(&ws, "undoing the speed drift")?;
    emulator.action("server/powerOffServer", json!({ "id": server_id }))?;
    emulator.action("server/removeDisk", json!({ "id": data_disk }))?;
    let (_, plan) = ws.plan(&[])?;
    ensure!(
        plan.stdout.contains("~ started")
            && plan.stdout.contains("+ disk {")
            && plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "plan after the disk drift: {plan}"
    );
    let seq = emulator.last_seq()?;
    ws.apply(&[])?;
    let calls = emulator.mutations_since(seq)?;
    ensure!(
        calls.len() == 2
            && calls[0].ends_with("/server/addDisk")
            && calls[1].ends_with("/server/startServer"),
        "undoing the disk drift called {calls:?}"
    );
    ensure!(
        emulated_disks(&emulator)? == disks(&[(0, 10, "STANDARD"), (1, 50, "HIGHPERFORMANCE")]),
        "disks after undoing the drift {:?}",
        emulated_disks(&emulator)?
    );
    ensure_no_changes(&ws, "undoing the disk drift")?;

    // An image disk is never removed: without its block the OS disk stays as it is, and the
    // change only stops recording it as declared (no API call); all_disks still lists it.
    rewrite(&ws, &disk_config(&[(1, 50, "HIGHPERFORMANCE")], true))?;
    plan_expecting(&ws, "0 to add, 1 to change, 0 to destroy")?;
    let seq = emulator.last_seq()?;
    ws.apply(&[])?;
    let calls = emulator.mutations_since(seq)?;
    ensure!(calls.is_empty(), "undeclaring the OS disk called {calls:?}");
    ensure!(
        emulated_disks(&emulator)? == disks(&[(0, 10, "STANDARD"), (1, 50, "HIGHPERFORMANCE")]),
        "disks after undeclaring the OS disk {:?}",
        emulated_disks(&emulator)?
    );
    let state = ws
        .resource_values("cloudcontrol_server.s")?
        .context("no state")?;
    ensure!(
        state["all_disks"][0]
            == json!({"scsi_id": 0, "size_gb": 10, "speed": "STANDARD", "from_image": true}),
        "{state}"
    );
    ensure_no_changes(&ws, "undeclaring the OS disk")?;
    rewrite(&ws, &disk_config(&two, true))?;
    plan_expecting(&ws, "0 to add, 1 to change, 0 to destroy")?;
    ws.apply(&[])?;
    ensure_no_changes(&ws, "declaring the OS disk again")?;

    // Powering off in the same change needs no reboot permission: the server is shut down for
    // the removal and stays off (it is not started in between).
    let os_only = [(0, 10, "STANDARD")];
    rewrite(&ws, &powered_disk_config(&os_only, false, false))?;
    let seq = emulator.last_seq()?;
    ws.apply(&[])?;
    let calls = emulator.mutations_since(seq)?;
    ensure!(
        calls.len() == 2
            && calls[0].ends_with("/shutdownServer")
            && calls[1].ends_with("/removeDisk"),
        "power-off with a disk removal called {calls:?}"
    );
    ensure!(
        emulated_disks(&emulator)? == disks(&[(0, 10, "STANDARD")]),
        "disks after the power-off removal {:?}",
        emulated_disks(&emulator)?
    );
    ensure!(emulated_server(&emulator)?["started"] == false, "started");
    ensure!(
        id_of(&ws, "cloudcontrol_server.s")? == server_id,
        "replaced"
    );
    ensure_no_changes(&ws, "power-off with a disk removal")?;

    ws.destroy()?;
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}

#[test]
fn server_import_with_options_and_password_from_the_environment() -> Result<()> {
    let emulator = Emulator::start()?;
    // The image's OS disk is not declared: an import cannot tell a block restating the image
    // from no block, and records only what differs from the image.
    let config = disk_config(&[(1, 30, "ECONOMY")], true);
    let mut ws = workspace(&emulator, &config)?;
    ws.apply(&[])?;
    let server_id = id_of(&ws, "cloudcontrol_server.s")?;
    let address = "cloudcontrol_server.s";
    let forget = |ws: &e2e::terraform::Workspace| -> Result<()> {
        ws.run(&["state", "rm", address])?.ensure_success()?;
        Ok(())
    };
    // Terraform's and the provider's logs at TRACE go to standard error: the password must
    // not be there.
    ws.set_env("TF_LOG", "TRACE");
    let first_seq = emulator.last_seq()?;

    // The full form: the reboot permission in the id, the password from the environment.
    forget(&ws)?;
    ws.set_env("CLOUDCONTROL_IMPORT_ADMIN_PASSWORD", DISK_TEST_PASSWORD);
    let imported = ws.import(address, &format!("{server_id},allow_reboot=true"))?;
    ensure!(
        imported.stderr.contains("GET") && imported.stderr.contains("/server/server/"),
        "no provider log at TRACE: {imported}"
    );
    ensure!(
        !imported.combined().contains(DISK_TEST_PASSWORD),
        "the import printed the password: {imported}"
    );
    let state = ws.resource_values(address)?.context("not imported")?;
    ensure!(state["allow_reboot"] == true, "{state}");
    let (outcome, plan) = ws.plan(&[])?;
    ensure!(
        outcome == PlanOutcome::NoChanges,
        "plan after a full import: {plan}"
    );
    ensure!(
        !plan.combined().contains(DISK_TEST_PASSWORD),
        "the plan printed the password: {plan}"
    );

    // The plain form: the first plan records the two write-only arguments and nothing else,
    // and applying it calls no API.
    forget(&ws)?;
    ws.set_env("CLOUDCONTROL_IMPORT_ADMIN_PASSWORD", "");
    ws.import(address, &server_id)?;
    let (_, plan) = ws.plan(&[])?;
    let changed = changed_attributes(&plan.stdout);
    ensure!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy")
            && changed == ["admin_password", "allow_reboot"],
        "plan after a plain import changes {changed:?}: {plan}"
    );
    let seq = emulator.last_seq()?;
    let applied = ws.apply(&[])?;
    ensure!(
        emulator.mutations_since(seq)?.is_empty(),
        "recording write-only arguments called the API"
    );
    ensure!(
        !applied.combined().contains(DISK_TEST_PASSWORD),
        "the apply printed the password: {applied}"
    );
    ensure_no_changes(&ws, "the plain import's apply")?;

    // A weak password in the environment fails the import, naming the variable, not the value.
    forget(&ws)?;
    let weak = "weakpassword42";
    ws.set_env("CLOUDCONTROL_IMPORT_ADMIN_PASSWORD", weak);
    let failed = ws.run(&["import", "-input=false", "-no-color", address, &server_id])?;
    ensure!(
        failed.code == 1
            && failed.stderr.contains("CLOUDCONTROL_IMPORT_ADMIN_PASSWORD")
            && !failed.combined().contains(weak),
        "{failed}"
    );
    ensure!(
        ws.resource_values(address)?.is_none(),
        "a failed import left state"
    );

    // A missing server and an option the id cannot carry are refused, leaving no state.
    ws.set_env("CLOUDCONTROL_IMPORT_ADMIN_PASSWORD", DISK_TEST_PASSWORD);
    let missing = "7b664b9c-7f0a-4a4d-a0b9-3eb1bd5b8e1f";
    let failed = ws.run(&["import", "-input=false", "-no-color", address, missing])?;
    ensure!(
        failed.code == 1
            && failed
                .stderr
                .contains("Cannot import non-existent remote object"),
        "{failed}"
    );
    let bad_option = format!("{server_id},started=false");
    let failed = ws.run(&["import", "-input=false", "-no-color", address, &bad_option])?;
    let message = failed
        .stderr
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    ensure!(
        failed.code == 1
            && message.contains("\"started\" cannot be set in the import id")
            && message.contains("<id>[,allow_reboot=<value>]"),
        "{failed}"
    );
    ensure!(
        ws.resource_values(address)?.is_none(),
        "a refused import left state"
    );

    // Imported again properly; the emulator never saw the password after the deployment (its
    // request log holds no secret either).
    ws.import(address, &format!("{server_id},allow_reboot=true"))?;
    ensure_no_changes(&ws, "the re-import")?;
    let logged = serde_json::to_string(&emulator.requests_since(first_seq)?)?;
    ensure!(
        logged.contains("/server/server/") && !logged.contains(DISK_TEST_PASSWORD),
        "request log: {logged}"
    );

    ws.destroy()?;
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}

/// A server in NA12, which offers no PROVISIONEDIOPS disks, with a data disk of `speed`.
fn na12_config(speed: &str) -> String {
    let base = rocky8_domain_and_vlan("e2e-speeds", "NA12", "10.3.0.0");
    format!(
        r#"{base}
resource "cloudcontrol_server" "s" {{
  name              = "e2e-speeds"
  network_domain_id = cloudcontrol_network_domain.nd.id
  image_id          = data.cloudcontrol_image.rocky8.id

  primary_nic {{
    vlan_id = cloudcontrol_vlan.v.id
  }}

  disk {{
    scsi_id = 0
    size_gb = 10
  }}

  disk {{
    scsi_id = 1
    size_gb = 20
    speed   = "{speed}"
  }}
}}
"#
    )
}

#[test]
fn server_disk_speed_not_offered_in_the_datacenter_fails_at_plan() -> Result<()> {
    let emulator = Emulator::start()?;
    let ws = workspace(&emulator, &na12_config("PROVISIONEDIOPS"))?;
    let ensure_refused = |step: &str| -> Result<()> {
        let message = failed_plan(&ws, &emulator)?;
        ensure!(
            message.contains("Disk speed not offered")
                && message
                    .contains("disk[1].speed PROVISIONEDIOPS is not offered in datacenter NA12")
                && message.contains("it offers STANDARD"),
            "{step}: {message}"
        );
        Ok(())
    };
    // A new server: the datacenter comes from the image; nothing is deployed.
    ensure_refused("new server")?;
    ensure!(
        emulator.inventory()?["totalAssets"] == 0,
        "the refused plan created something"
    );

    // An existing server: the datacenter comes from the state.
    rewrite(&ws, &na12_config("STANDARD"))?;
    ws.apply(&[])?;
    rewrite(&ws, &na12_config("PROVISIONEDIOPS"))?;
    ensure_refused("existing server")?;
    rewrite(&ws, &na12_config("ECONOMY"))?;
    ws.apply(&[])?;
    ensure!(
        emulated_disks(&emulator)? == disks(&[(0, 10, "STANDARD"), (1, 20, "ECONOMY")]),
        "{:?}",
        emulated_disks(&emulator)?
    );
    ensure_no_changes(&ws, "an offered speed")?;
    ws.destroy()?;
    Ok(())
}

/// The shortest server: image, CPU, memory and NIC, no disk blocks; `extra` adds arguments.
fn shortest_config(image: &str, extra: &str) -> String {
    let base = rocky8_domain_and_vlan("e2e-short", "NA9", "10.4.0.0");
    format!(
        r#"{base}
data "cloudcontrol_image" "rhel8" {{
  name       = "RedHat 8 64-bit 4 CPU"
  datacenter = "NA9"
}}

resource "cloudcontrol_server" "s" {{
  name              = "e2e-short"
  network_domain_id = cloudcontrol_network_domain.nd.id
  image_id          = data.cloudcontrol_image.{image}.id
  {extra}

  primary_nic {{
    vlan_id = cloudcontrol_vlan.v.id
  }}
}}
"#
    )
}

#[test]
fn shortest_server_imports_and_changes_its_cpu_shape_in_place() -> Result<()> {
    let emulator = Emulator::start()?;
    let ws = workspace(
        &emulator,
        &shortest_config("rocky8", "cpu_count = 2\n  memory_gb = 4"),
    )?;
    let address = "cloudcontrol_server.s";

    // Created with the image's disks, recorded in all_disks: nothing declared, no diff.
    ws.apply(&[])?;
    ensure_no_changes(&ws, "create")?;
    let server_id = id_of(&ws, address)?;
    let state = ws.resource_values(address)?.context("no state")?;
    ensure!(
        state["disk"] == json!([])
            && state["all_disks"]
                == json!([{"scsi_id": 0, "size_gb": 10, "speed": "STANDARD", "from_image": true}])
            && state["cores_per_socket"] == 1
            && state["cpu_speed"] == "STANDARD",
        "{state}"
    );

    // Imported into an empty state: no diff and no API change.
    ws.run(&["state", "rm", address])?.ensure_success()?;
    ws.import(address, &server_id)?;
    let seq = emulator.last_seq()?;
    ensure_no_changes(&ws, "import")?;
    ensure!(
        emulator.mutations_since(seq)?.is_empty(),
        "planning changed something"
    );

    // Cores per socket and CPU speed change in place; the server runs, so without
    // allow_reboot the plan refuses, naming the attribute.
    let reshaped =
        "cpu_count = 4\n  memory_gb = 4\n  cores_per_socket = 2\n  cpu_speed = \"HIGHPERFORMANCE\"";
    rewrite(&ws, &shortest_config("rocky8", reshaped))?;
    let message = failed_plan(&ws, &emulator)?;
    ensure!(
        message.contains("Change needs a reboot")
            && message.contains("changing cores_per_socket from 1 to 2")
            && message.contains("allow_reboot = true"),
        "{message}"
    );
    rewrite(
        &ws,
        &shortest_config("rocky8", &format!("{reshaped}\n  allow_reboot = true")),
    )?;
    plan_expecting(&ws, "0 to add, 1 to change, 0 to destroy")?;
    let seq = emulator.last_seq()?;
    ws.apply(&[])?;
    let calls = emulator.mutations_since(seq)?;
    let names: Vec<&str> = calls
        .iter()
        .map(|c| c.rsplit('/').next().unwrap_or_default())
        .collect();
    ensure!(
        names == ["shutdownServer", "reconfigureServer", "startServer"],
        "reshaping called {calls:?}"
    );
    let server = emulated_server(&emulator)?;
    ensure!(
        server["cpu"] == json!({"count": 4, "coresPerSocket": 2, "speed": "HIGHPERFORMANCE"})
            && server["started"] == true
            && id_of(&ws, address)? == server_id,
        "{server}"
    );
    ensure_no_changes(&ws, "reshaping")?;

    // More memory is hot-added: no power cycle even without allow_reboot.
    rewrite(
        &ws,
        &shortest_config(
            "rocky8",
            &reshaped.replace("memory_gb = 4", "memory_gb = 8"),
        ),
    )?;
    let seq = emulator.last_seq()?;
    ws.apply(&[])?;
    let calls = emulator.mutations_since(seq)?;
    ensure!(
        calls.len() == 1 && calls[0].ends_with("/reconfigureServer"),
        "adding memory called {calls:?}"
    );
    ensure_no_changes(&ws, "adding memory")?;

    // Refused at plan time, each at its attribute: cores that do not divide the count, a CPU
    // speed the datacenter does not offer, and a count that meets the image's 2 cores per
    // socket unset (the plan of the 4-CPU image shows those defaults).
    rewrite(
        &ws,
        &shortest_config("rocky8", "cpu_count = 4\n  cores_per_socket = 3"),
    )?;
    let message = failed_plan(&ws, &emulator)?;
    ensure!(
        message.contains("Cores per socket must divide the CPU count")
            && message.contains("cores_per_socket 3 does not divide cpu_count 4"),
        "{message}"
    );
    rewrite(
        &ws,
        &shortest_config("rocky8", "cpu_speed = \"TURBO\"\n  allow_reboot = true"),
    )?;
    let message = failed_plan(&ws, &emulator)?;
    ensure!(
        message.contains("CPU speed not offered")
            && message.contains("cpu_speed TURBO is not offered in datacenter NA9"),
        "{message}"
    );
    rewrite(
        &ws,
        &shortest_config("rocky8", &format!("{reshaped}\n  allow_reboot = true")),
    )?;
    ws.destroy()?;
    rewrite(&ws, &shortest_config("rhel8", ""))?;
    let (_, plan) = ws.plan(&[])?;
    let folded = plan.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    ensure!(
        folded.contains("+ cores_per_socket = 2")
            && folded.contains("+ cpu_count = 4")
            && folded.contains("+ from_image = true"),
        "plan of the 4-CPU image: {plan}"
    );
    rewrite(&ws, &shortest_config("rhel8", "cpu_count = 3"))?;
    let message = failed_plan(&ws, &emulator)?;
    ensure!(
        message.contains("cores_per_socket 2 does not divide cpu_count 3")
            && message.contains("set cores_per_socket"),
        "{message}"
    );
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}
