//! `cloudcontrol_public_ip_block` and `cloudcontrol_nat_rule` through the real Terraform CLI
//! against the emulator (create, empty re-plan, replacement of both, pinned public address,
//! import without diff, drift of both, timeouts changed in place without an API call,
//! destroy), and the data sources: datacenter, network domain and VLAN
//! lookups by name, and an unknown image name failing with the close names.

use anyhow::{ensure, Result};
use e2e::emulator::Emulator;
use e2e::provider::{ensure_no_changes, id_of, rewrite, workspace};
use e2e::terraform::PlanOutcome;
use serde_json::json;

/// Where the spare public IP block lives: `"second"` or `"third"` network domain (the first
/// block of a domain is always allowed, whatever the servers-to-addresses ratio).
const SPARE_IN: &str = "second";

/// `internal` is the NAT rule's private address; `external` an optional pinned public one.
fn config(internal: &str, external: Option<&str>) -> String {
    config_with_spare(internal, external, SPARE_IN, None)
}

/// [`config`] with the spare public IP block in the network domain `spare_in`, and with a
/// `timeouts { create = ... }` block on the NAT rule and the spare block when `create_timeout`.
fn config_with_spare(
    internal: &str,
    external: Option<&str>,
    spare_in: &str,
    create_timeout: Option<&str>,
) -> String {
    let timeouts = create_timeout
        .map(|t| format!("timeouts {{\n    create = \"{t}\"\n  }}"))
        .unwrap_or_default();
    let external = external
        .map(|ip| format!("external_ipv4     = \"{ip}\""))
        .unwrap_or_default();
    format!(
        r#"
resource "cloudcontrol_network_domain" "nd" {{
  name       = "e2e-addressing"
  datacenter = "NA9"
}}

resource "cloudcontrol_vlan" "v" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "e2e-nodes"
  ipv4_base_address = "10.0.0.0"
  ipv4_prefix_size  = 24
}}

resource "cloudcontrol_public_ip_block" "b" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
}}

resource "cloudcontrol_network_domain" "second" {{
  name       = "e2e-addressing-2"
  datacenter = "NA9"
}}

resource "cloudcontrol_network_domain" "third" {{
  name       = "e2e-addressing-3"
  datacenter = "NA9"
}}

resource "cloudcontrol_public_ip_block" "spare" {{
  network_domain_id = cloudcontrol_network_domain.{spare_in}.id
  {timeouts}
}}

resource "cloudcontrol_nat_rule" "n" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  internal_ipv4     = "{internal}"
  {external}
  {timeouts}

  depends_on = [cloudcontrol_public_ip_block.b, cloudcontrol_vlan.v]
}}

data "cloudcontrol_datacenter" "dc" {{
  id = "NA9"
}}

data "cloudcontrol_network_domain" "by_name" {{
  name       = "e2e-addressing"
  datacenter = "NA9"

  depends_on = [cloudcontrol_network_domain.nd]
}}

data "cloudcontrol_vlan" "by_name" {{
  name              = "e2e-nodes"
  network_domain_id = data.cloudcontrol_network_domain.by_name.id

  depends_on = [cloudcontrol_vlan.v]
}}

output "found" {{
  value = {{
    datacenter = data.cloudcontrol_datacenter.dc.display_name
    domain_id  = data.cloudcontrol_network_domain.by_name.id
    vlan_id    = data.cloudcontrol_vlan.by_name.id
    vlan_cidr  = "${{data.cloudcontrol_vlan.by_name.ipv4_base_address}}/${{data.cloudcontrol_vlan.by_name.ipv4_prefix_size}}"
  }}
}}
"#
    )
}

#[test]
fn public_ip_block_nat_rule_and_lookups() -> Result<()> {
    let emulator = Emulator::start()?;
    let ws = workspace(&emulator, &config("10.0.0.10", None))?;

    // Create; the lookups find what was just created.
    ws.apply(&[])?;
    ensure_no_changes(&ws, "create")?;
    let found = ws.show_json()?["values"]["outputs"]["found"]["value"].clone();
    ensure!(
        found["domain_id"] == id_of(&ws, "cloudcontrol_network_domain.nd")?.as_str()
            && found["vlan_id"] == id_of(&ws, "cloudcontrol_vlan.v")?.as_str()
            && found["vlan_cidr"] == "10.0.0.0/24"
            && found["datacenter"].as_str().is_some_and(|n| !n.is_empty()),
        "lookups: {found}"
    );
    let block = ws
        .resource_values("cloudcontrol_public_ip_block.b")?
        .unwrap();
    ensure!(
        block["size"] == 2 && block["base_ip"].is_string(),
        "{block}"
    );
    let nat = ws.resource_values("cloudcontrol_nat_rule.n")?.unwrap();
    let picked = nat["external_ipv4"].as_str().unwrap_or_default().to_owned();
    ensure!(!picked.is_empty(), "no public address picked: {nat}");
    let nat_id = id_of(&ws, "cloudcontrol_nat_rule.n")?;

    // Replacement: another private address; then the public address pinned to the block's other one.
    rewrite(&ws, &config("10.0.0.20", None))?;
    let (_, plan) = ws.plan(&[])?;
    ensure!(plan.stdout.contains("must be replaced"), "{plan}");
    ws.apply(&[])?;
    ensure!(
        id_of(&ws, "cloudcontrol_nat_rule.n")? != nat_id,
        "not replaced"
    );
    ensure_no_changes(&ws, "replacement")?;
    let current = ws.resource_values("cloudcontrol_nat_rule.n")?.unwrap()["external_ipv4"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let base: std::net::Ipv4Addr = block["base_ip"].as_str().unwrap_or_default().parse()?;
    let second = std::net::Ipv4Addr::from(u32::from(base) + 1).to_string();
    let other = if current == second {
        base.to_string()
    } else {
        second
    };
    rewrite(&ws, &config("10.0.0.20", Some(&other)))?;
    ws.apply(&[])?;
    let nat = ws.resource_values("cloudcontrol_nat_rule.n")?.unwrap();
    ensure!(nat["external_ipv4"] == other.as_str(), "{nat}");
    ensure_no_changes(&ws, "pinning the public address")?;

    // Import both into an empty state: no diff.
    let nat_id = id_of(&ws, "cloudcontrol_nat_rule.n")?;
    let block_id = id_of(&ws, "cloudcontrol_public_ip_block.b")?;
    for address in ["cloudcontrol_nat_rule.n", "cloudcontrol_public_ip_block.b"] {
        ws.run(&["state", "rm", address])?.ensure_success()?;
    }
    ws.import("cloudcontrol_public_ip_block.b", &block_id)?;
    ws.import("cloudcontrol_nat_rule.n", &nat_id)?;
    ensure_no_changes(&ws, "import")?;

    // Drift: the NAT rule is deleted behind Terraform's back; the plan re-creates it.
    emulator.action("network/deleteNatRule", json!({ "id": nat_id }))?;
    let (outcome, plan) = ws.plan(&[])?;
    ensure!(
        outcome == PlanOutcome::Changes
            && plan
                .stdout
                .contains("cloudcontrol_nat_rule.n will be created"),
        "plan after drift: {plan}"
    );
    ws.apply(&[])?;
    ensure_no_changes(&ws, "re-create")?;

    // Forced replacement: the spare block moves to another network domain.
    let spare_id = id_of(&ws, "cloudcontrol_public_ip_block.spare")?;
    rewrite(
        &ws,
        &config_with_spare("10.0.0.20", Some(&other), "third", None),
    )?;
    let (_, plan) = ws.plan(&[])?;
    ensure!(
        plan.stdout.contains("must be replaced")
            && plan.stdout.contains("1 to add, 0 to change, 1 to destroy"),
        "{plan}"
    );
    ws.apply(&[])?;
    let moved_id = id_of(&ws, "cloudcontrol_public_ip_block.spare")?;
    ensure!(moved_id != spare_id, "the spare block was not replaced");
    let third = id_of(&ws, "cloudcontrol_network_domain.third")?;
    let inventory = emulator.inventory()?;
    let blocks = inventory["publicIpBlock"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    ensure!(
        blocks.len() == 2
            && blocks
                .iter()
                .any(|b| b["id"] == moved_id.as_str() && b["networkDomainId"] == third.as_str()),
        "blocks after the move: {blocks:?}"
    );
    ensure_no_changes(&ws, "moving the spare block")?;

    // Drift: the spare block is removed behind Terraform's back; the plan adds it again.
    emulator.action("network/removePublicIpBlock", json!({ "id": moved_id }))?;
    let (outcome, plan) = ws.plan(&[])?;
    ensure!(
        outcome == PlanOutcome::Changes
            && plan
                .stdout
                .contains("cloudcontrol_public_ip_block.spare will be created")
            && plan.stdout.contains("1 to add, 0 to change, 0 to destroy"),
        "plan after the block's drift: {plan}"
    );
    ws.apply(&[])?;
    ensure!(
        id_of(&ws, "cloudcontrol_public_ip_block.spare")? != moved_id,
        "the block was not added again"
    );
    ensure_no_changes(&ws, "re-adding the block")?;

    // In place: timeouts are the only arguments these two can change without replacement;
    // recording them calls no API.
    let other_config = config_with_spare("10.0.0.20", Some(&other), "third", Some("7m"));
    rewrite(&ws, &other_config)?;
    let (_, plan) = ws.plan(&[])?;
    ensure!(
        plan.stdout.contains("0 to add, 2 to change, 0 to destroy")
            && plan
                .stdout
                .contains("cloudcontrol_nat_rule.n will be updated in-place")
            && plan
                .stdout
                .contains("cloudcontrol_public_ip_block.spare will be updated in-place"),
        "{plan}"
    );
    let nat_id = id_of(&ws, "cloudcontrol_nat_rule.n")?;
    let seq = emulator.last_seq()?;
    ws.apply(&[])?;
    let calls = emulator.mutations_since(seq)?;
    ensure!(calls.is_empty(), "changing timeouts called {calls:?}");
    ensure!(
        id_of(&ws, "cloudcontrol_nat_rule.n")? == nat_id,
        "the NAT rule was replaced"
    );
    let nat = ws.resource_values("cloudcontrol_nat_rule.n")?.unwrap();
    ensure!(nat["timeouts"]["create"] == "7m", "{nat}");
    ensure_no_changes(&ws, "changing timeouts")?;

    // An unknown image name fails at plan time naming the close ones.
    let with_image = format!(
        "{other_config}\ndata \"cloudcontrol_image\" \"typo\" {{\n  name       = \"Rocky Linux 8 64bit 2 CPU\"\n  datacenter = \"NA9\"\n}}\n"
    );
    rewrite(&ws, &with_image)?;
    let failed = ws.run(&["plan", "-input=false", "-no-color"])?;
    // Terraform wraps diagnostic text: compare with the line breaks folded.
    let message = failed
        .stderr
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    ensure!(
        failed.code == 1
            && message.contains("Image not found")
            && message.contains("Close names: Rocky Linux 8 64-bit 2 CPU"),
        "{failed}"
    );
    rewrite(&ws, &other_config)?;

    // Destroy leaves nothing behind.
    ws.destroy()?;
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}
