//! `cloudcontrol_network_domain` and `cloudcontrol_vlan` through the real Terraform CLI
//! against the emulator: create, empty re-plan, in-place update, forced replacement,
//! import without diff, drift (deleted behind Terraform's back) and destroy.

use anyhow::{ensure, Result};
use e2e::emulator::Emulator;
use e2e::provider::{ensure_no_changes, id_of, plan_expecting, rewrite, workspace};
use e2e::terraform::PlanOutcome;
use serde_json::json;

fn config(description: &str, prefix: u32, gateway: &str) -> String {
    domain_config(description, "ESSENTIALS", "NA9", prefix, gateway)
}

fn domain_config(
    description: &str,
    plan: &str,
    datacenter: &str,
    prefix: u32,
    gateway: &str,
) -> String {
    format!(
        r#"
resource "cloudcontrol_network_domain" "nd" {{
  name        = "e2e-domain"
  description = "{description}"
  type        = "{plan}"
  datacenter  = "{datacenter}"
}}

resource "cloudcontrol_vlan" "v" {{
  network_domain_id  = cloudcontrol_network_domain.nd.id
  name               = "e2e-vlan"
  ipv4_base_address  = "10.0.0.0"
  ipv4_prefix_size   = {prefix}
  gateway_addressing = "{gateway}"
}}
"#
    )
}

#[test]
fn network_domain_and_vlan_lifecycle() -> Result<()> {
    let emulator = Emulator::start()?;
    let ws = workspace(&emulator, &config("first", 24, "LOW"))?;

    // Create, then nothing left to do.
    ws.apply(&[])?;
    let (outcome, plan) = ws.plan(&[])?;
    ensure!(
        outcome == PlanOutcome::NoChanges,
        "re-plan after create: {plan}"
    );
    let nd = ws
        .resource_values("cloudcontrol_network_domain.nd")?
        .unwrap();
    ensure!(
        nd["type"] == "ESSENTIALS" && nd["nat_ipv4_address"].is_string(),
        "{nd}"
    );
    let vlan_id = id_of(&ws, "cloudcontrol_vlan.v")?;

    // In place: description and growing the VLAN keep both ids.
    let nd_id = id_of(&ws, "cloudcontrol_network_domain.nd")?;
    rewrite(&ws, &config("second", 23, "LOW"))?;
    let (_, plan) = ws.plan(&[])?;
    ensure!(plan.stdout.contains("2 to change, 0 to destroy"), "{plan}");
    ws.apply(&[])?;
    ensure!(
        id_of(&ws, "cloudcontrol_vlan.v")? == vlan_id,
        "growing the VLAN replaced it"
    );
    ensure!(id_of(&ws, "cloudcontrol_network_domain.nd")? == nd_id);
    let vlan = ws.resource_values("cloudcontrol_vlan.v")?.unwrap();
    ensure!(vlan["ipv4_prefix_size"] == 23, "{vlan}");
    let (outcome, plan) = ws.plan(&[])?;
    ensure!(
        outcome == PlanOutcome::NoChanges,
        "re-plan after update: {plan}"
    );

    // Forced replacement: the gateway addressing cannot change in place.
    rewrite(&ws, &config("second", 23, "HIGH"))?;
    let (_, plan) = ws.plan(&[])?;
    ensure!(plan.stdout.contains("must be replaced"), "{plan}");
    ws.apply(&[])?;
    let new_vlan_id = id_of(&ws, "cloudcontrol_vlan.v")?;
    ensure!(new_vlan_id != vlan_id, "the VLAN was not replaced");
    let vlan = ws.resource_values("cloudcontrol_vlan.v")?.unwrap();
    ensure!(vlan["ipv4_gateway"] == "10.0.1.254", "{vlan}");

    // Import both into an empty state: no diff.
    for address in ["cloudcontrol_vlan.v", "cloudcontrol_network_domain.nd"] {
        ws.run(&["state", "rm", address])?.ensure_success()?;
    }
    ws.import("cloudcontrol_network_domain.nd", &nd_id)?;
    ws.import("cloudcontrol_vlan.v", &new_vlan_id)?;
    let (outcome, plan) = ws.plan(&[])?;
    ensure!(
        outcome == PlanOutcome::NoChanges,
        "plan after import: {plan}"
    );

    // Drift: the VLAN is deleted behind Terraform's back; refresh drops it, the plan re-creates it.
    emulator.action("network/deleteVlan", json!({ "id": new_vlan_id }))?;
    let (outcome, plan) = ws.plan(&[])?;
    ensure!(
        outcome == PlanOutcome::Changes
            && plan.stdout.contains("cloudcontrol_vlan.v will be created"),
        "plan after drift: {plan}"
    );
    ws.apply(&[])?;
    let (outcome, plan) = ws.plan(&[])?;
    ensure!(
        outcome == PlanOutcome::NoChanges,
        "re-plan after re-create: {plan}"
    );

    // In place: the service plan of the domain.
    let nd_id = id_of(&ws, "cloudcontrol_network_domain.nd")?;
    rewrite(&ws, &domain_config("second", "ADVANCED", "NA9", 23, "HIGH"))?;
    plan_expecting(&ws, "0 to add, 1 to change, 0 to destroy")?;
    let seq = emulator.last_seq()?;
    ws.apply(&[])?;
    let calls = emulator.mutations_since(seq)?;
    ensure!(
        calls.len() == 1 && calls[0].ends_with("/network/editNetworkDomain"),
        "changing the plan called {calls:?}"
    );
    ensure!(id_of(&ws, "cloudcontrol_network_domain.nd")? == nd_id);
    let domain = emulator.request(
        "GET",
        &format!(
            "/caas/2.4/{}/network/networkDomain/{nd_id}",
            emulator.org_id()?
        ),
        None,
    )?;
    ensure!(domain.1["type"] == "ADVANCED", "{}", domain.1);
    ensure_no_changes(&ws, "the plan change")?;

    // Forced replacement: another datacenter means a new domain, and with it a new VLAN.
    let vlan_id = id_of(&ws, "cloudcontrol_vlan.v")?;
    rewrite(
        &ws,
        &domain_config("second", "ADVANCED", "NA12", 23, "HIGH"),
    )?;
    let plan = plan_expecting(&ws, "2 to add, 0 to change, 2 to destroy")?;
    ensure!(
        plan.stdout
            .contains("cloudcontrol_network_domain.nd must be replaced"),
        "{plan}"
    );
    ws.apply(&[])?;
    let new_nd_id = id_of(&ws, "cloudcontrol_network_domain.nd")?;
    ensure!(new_nd_id != nd_id && id_of(&ws, "cloudcontrol_vlan.v")? != vlan_id);
    let nd = ws
        .resource_values("cloudcontrol_network_domain.nd")?
        .unwrap();
    ensure!(nd["datacenter"] == "NA12", "{nd}");
    let inventory = emulator.inventory()?;
    ensure!(
        !inventory.to_string().contains(&nd_id),
        "the old domain is still there: {inventory}"
    );
    ensure_no_changes(&ws, "the domain's replacement")?;

    // Drift of the whole domain: its VLAN and then the domain are deleted behind Terraform's
    // back; refresh drops both and the plan creates both again.
    emulator.action(
        "network/deleteVlan",
        json!({ "id": id_of(&ws, "cloudcontrol_vlan.v")? }),
    )?;
    emulator.action("network/deleteNetworkDomain", json!({ "id": new_nd_id }))?;
    let plan = plan_expecting(&ws, "2 to add, 0 to change, 0 to destroy")?;
    ensure!(
        plan.stdout
            .contains("cloudcontrol_network_domain.nd will be created"),
        "plan after the domain's drift: {plan}"
    );
    ws.apply(&[])?;
    ensure!(id_of(&ws, "cloudcontrol_network_domain.nd")? != new_nd_id);
    ensure_no_changes(&ws, "re-creating the domain")?;

    // Destroy leaves nothing behind.
    ws.destroy()?;
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}
