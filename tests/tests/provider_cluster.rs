//! `examples/mesos-cluster` through the real Terraform CLI against the emulator: a network
//! domain, a VLAN, 3 masters + 9 agents with an extra disk each, public IP blocks, a NAT rule per
//! node, an IP address list per role, a port list, two firewall rules on them, an
//! anti-affinity rule for two masters and the masters' load balancer (3 VIP nodes, 2 pools of 3
//! members, 2 virtual listeners) apply with default parallelism and no RESOURCE_BUSY failure, re-plan
//! empty, render a provisioner inventory with 12 nodes and destroy to an empty inventory.

use std::collections::BTreeSet;
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use e2e::emulator::Emulator;
use e2e::provider::example_workspace;
use e2e::terraform::PlanOutcome;
use serde_json::Value;

/// A password that satisfies the API's policy; the test never logs it.
const ADMIN_PASSWORD: &str = "Cluster-e2e-9x!";

fn count(inventory: &Value, kind: &str) -> usize {
    inventory[kind].as_array().map_or(0, Vec::len)
}

#[test]
fn mesos_cluster_example_applies_replans_empty_and_destroys() -> Result<()> {
    cluster_round_trip("0")
}

/// The same with operations that take time (a server deploy 4.2 s, a network domain 1.2 s), so
/// the 12 server deploys overlap and the organisation-wide network serialisation is exercised.
#[test]
fn mesos_cluster_example_with_overlapping_operations() -> Result<()> {
    cluster_round_trip("0.01")
}

/// The same with one request in ten answered RESOURCE_BUSY (and not applied): the client's
/// retries absorb them.
#[test]
fn mesos_cluster_example_with_injected_resource_busy() -> Result<()> {
    let emulator = Emulator::start_with(&["--time-scale", "0", "--faults", "busy=0.1,seed=7"])?;
    cluster_round_trip_on(emulator, "0 with busy=0.1")
}

fn cluster_round_trip(time_scale: &str) -> Result<()> {
    cluster_round_trip_on(Emulator::start_scaled(time_scale)?, time_scale)
}

fn cluster_round_trip_on(emulator: Emulator, time_scale: &str) -> Result<()> {
    let mut ws = example_workspace(&emulator, "mesos-cluster")?;
    ws.set_env("TF_VAR_admin_password", ADMIN_PASSWORD);
    // infrastructure only: this emulator has no machines behind it (nodes_cluster provisions)
    ws.set_env("TF_VAR_provision", "false");
    let seq = emulator.last_seq()?;

    let started = Instant::now();
    let applied = ws.apply(&[])?;
    let apply_time = started.elapsed();
    ensure!(
        applied
            .stdout
            .contains("Apply complete! Resources: 52 added"),
        "{applied}"
    );
    let requests = emulator.requests_since(seq)?;
    let busy = requests
        .iter()
        .filter(|r| r["responseCode"] == "RESOURCE_BUSY")
        .count();
    let posts = requests.iter().filter(|r| r["method"] == "POST").count();
    eprintln!(
        "time scale {time_scale}: apply {apply_time:?}, {} requests ({posts} POST), \
         RESOURCE_BUSY answers retried by the client: {busy}",
        requests.len()
    );

    // What the emulator holds is exactly what the example describes.
    let inventory = emulator.inventory()?;
    ensure!(
        count(&inventory, "networkDomain") == 1
            && count(&inventory, "vlan") == 1
            && count(&inventory, "server") == 12
            && count(&inventory, "publicIpBlock") == 7
            && count(&inventory, "natRule") == 12
            && count(&inventory, "ipAddressList") == 2
            && count(&inventory, "portList") == 1
            && count(&inventory, "firewallRule") == 2
            && count(&inventory, "antiAffinityRule") == 1
            && count(&inventory, "vipNode") == 3
            && count(&inventory, "vipPool") == 2
            && count(&inventory, "vipPoolMember") == 6
            && count(&inventory, "virtualListener") == 2,
        "unexpected inventory: {inventory}"
    );
    for server in inventory["server"].as_array().context("servers")? {
        let disks = server["scsiController"][0]["disk"]
            .as_array()
            .map_or(0, Vec::len);
        ensure!(disks == 2, "{} has {disks} disks", server["name"]);
        ensure!(
            server["started"] == true,
            "{} is not running",
            server["name"]
        );
    }

    let started = Instant::now();
    let (outcome, plan) = ws.plan(&[])?;
    eprintln!("time scale {time_scale}: re-plan {:?}", started.elapsed());
    ensure!(
        outcome == PlanOutcome::NoChanges,
        "re-plan after apply: {plan}"
    );

    // The rendered inventory is TOML with every node, its public and private addresses.
    let rendered = ws
        .run(&["output", "-raw", "provisioner_inventory"])?
        .ensure_success()?
        .stdout;
    let parsed: toml::Table = toml::from_str(&rendered)
        .with_context(|| format!("the inventory is not TOML:\n{rendered}"))?;
    let nodes = parsed["nodes"].as_array().context("no [[nodes]]")?;
    ensure!(nodes.len() == 12, "{} nodes in:\n{rendered}", nodes.len());
    let field = |node: &toml::Value, key: &str| -> Result<String> {
        node.get(key)
            .and_then(toml::Value::as_str)
            .map(str::to_owned)
            .with_context(|| format!("a node without {key}: {node}"))
    };
    let mut names = Vec::new();
    let mut addresses = BTreeSet::new();
    let mut masters = 0;
    for node in nodes {
        names.push(field(node, "name")?);
        addresses.insert(field(node, "address")?);
        ensure!(
            field(node, "private_ipv4")?.starts_with("10.0.0."),
            "{node}"
        );
        ensure!(field(node, "ipv6")?.contains(':'), "{node}");
        if field(node, "role")? == "master" {
            masters += 1;
        }
    }
    let expected: Vec<String> = (1..=3)
        .map(|i| format!("master{i}"))
        .chain((1..=9).map(|i| format!("agent{i}")))
        .collect();
    ensure!(names == expected, "node names {names:?}");
    ensure!(masters == 3, "{masters} masters");
    let nat_external: BTreeSet<String> = inventory["natRule"]
        .as_array()
        .context("NAT rules")?
        .iter()
        .filter_map(|r| r["externalIp"].as_str().map(str::to_owned))
        .collect();
    ensure!(
        addresses == nat_external,
        "node addresses {addresses:?} are not the NAT rules' public addresses {nat_external:?}"
    );
    ensure!(
        !rendered.contains(ADMIN_PASSWORD),
        "the inventory holds the password"
    );

    let started = Instant::now();
    ws.destroy()?;
    eprintln!("time scale {time_scale}: destroy {:?}", started.elapsed());
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}
