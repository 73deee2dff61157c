//! `cloudcontrol_server_anti_affinity` through the real Terraform CLI against the emulator:
//! create, empty re-plan, replacement by another pair, import without diff, drift, the
//! plan-time checks (the same server twice, servers of different network domains, an
//! ESSENTIALS domain), the API's one-rule-per-server refusal, and destroy to an empty
//! inventory.

use anyhow::{ensure, Result};
use e2e::emulator::Emulator;
use e2e::provider::{ensure_no_changes, failed_plan, id_of, plan_expecting, rewrite, workspace};
use serde_json::json;

/// A domain of `plan` with three servers, a second ADVANCED domain with one, and `rules`.
fn config(plan: &str, rules: &str) -> String {
    let server = |name: &str, domain: &str| {
        format!(
            r#"
resource "cloudcontrol_server" "{name}" {{
  name              = "{name}"
  network_domain_id = cloudcontrol_network_domain.{domain}.id
  image_id          = data.cloudcontrol_image.rocky8.id
  admin_password    = "Server-e2e-7q!"

  primary_nic {{
    vlan_id = cloudcontrol_vlan.{domain}.id
  }}
}}
"#
        )
    };
    let domain = |name: &str, plan: &str, base: &str| {
        format!(
            r#"
resource "cloudcontrol_network_domain" "{name}" {{
  name       = "{name}"
  type       = "{plan}"
  datacenter = "NA9"
}}

resource "cloudcontrol_vlan" "{name}" {{
  network_domain_id = cloudcontrol_network_domain.{name}.id
  name              = "{name}"
  ipv4_base_address = "{base}"
  ipv4_prefix_size  = 24
}}
"#
        )
    };
    format!(
        r#"
data "cloudcontrol_image" "rocky8" {{
  name       = "Rocky Linux 8 64-bit 2 CPU"
  datacenter = "NA9"
}}
{}{}{}{}{}{}
{rules}
"#,
        domain("main", plan, "10.0.1.0"),
        domain("other", "ADVANCED", "10.0.2.0"),
        server("m1", "main"),
        server("m2", "main"),
        server("m3", "main"),
        server("x1", "other"),
    )
}

fn rule(name: &str, a: &str, b: &str) -> String {
    format!(
        r#"
resource "cloudcontrol_server_anti_affinity" "{name}" {{
  server_ids = [cloudcontrol_server.{a}.id, cloudcontrol_server.{b}.id]
}}
"#
    )
}

#[test]
fn two_servers_kept_apart_lifecycle() -> Result<()> {
    let emulator = Emulator::start()?;
    let ws = workspace(&emulator, &config("ADVANCED", &rule("masters", "m1", "m2")))?;

    // Create, then nothing left to do.
    ws.apply(&[])?;
    ensure_no_changes(&ws, "create")?;
    let first = id_of(&ws, "cloudcontrol_server_anti_affinity.masters")?;
    let inventory = emulator.inventory()?;
    ensure!(
        inventory["antiAffinityRule"].as_array().map(Vec::len) == Some(1),
        "{inventory}"
    );
    let values = ws
        .resource_values("cloudcontrol_server_anti_affinity.masters")?
        .unwrap();
    ensure!(
        values["network_domain_id"] == id_of(&ws, "cloudcontrol_network_domain.main")?.as_str(),
        "{values}"
    );

    // Another pair is another rule.
    rewrite(&ws, &config("ADVANCED", &rule("masters", "m1", "m3")))?;
    let plan = plan_expecting(&ws, "1 to add, 0 to change, 1 to destroy")?;
    ensure!(plan.stdout.contains("must be replaced"), "{plan}");
    ws.apply(&[])?;
    let second = id_of(&ws, "cloudcontrol_server_anti_affinity.masters")?;
    ensure!(second != first, "the rule was not replaced");
    ensure_no_changes(&ws, "the replacement")?;

    // Import without diff.
    ws.run(&["state", "rm", "cloudcontrol_server_anti_affinity.masters"])?
        .ensure_success()?;
    ws.import("cloudcontrol_server_anti_affinity.masters", &second)?;
    ensure_no_changes(&ws, "the import")?;

    // Drift: deleted behind Terraform's back, created again.
    emulator.action("server/deleteAntiAffinityRule", json!({"id": second}))?;
    plan_expecting(&ws, "1 to add, 0 to change, 0 to destroy")?;
    ws.apply(&[])?;
    ensure_no_changes(&ws, "re-creating after drift")?;

    // A server already in a rule: the API's refusal, with its code, at apply.
    let two = format!(
        "{}{}",
        rule("masters", "m1", "m3"),
        rule("more", "m3", "m2")
    );
    rewrite(&ws, &config("ADVANCED", &two))?;
    let out = ws.try_apply(&[])?;
    let flat = out
        .combined()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    ensure!(
        out.code != 0 && flat.contains("CONFIGURATION_NOT_SUPPORTED"),
        "{out}"
    );

    // Plan time: the same server twice, servers of two domains.
    rewrite(&ws, &config("ADVANCED", &rule("masters", "m1", "m1")))?;
    let flat = failed_plan(&ws)?;
    ensure!(
        flat.contains("server_ids must name two different servers"),
        "{flat}"
    );
    rewrite(&ws, &config("ADVANCED", &rule("masters", "m1", "x1")))?;
    let flat = failed_plan(&ws)?;
    ensure!(
        flat.contains("Servers in different network domains"),
        "{flat}"
    );

    // Destroy leaves nothing behind (the rule goes before its servers).
    rewrite(&ws, &config("ADVANCED", &rule("masters", "m1", "m3")))?;
    ws.destroy()?;
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}

#[test]
fn an_essentials_domain_is_refused_at_plan_time() -> Result<()> {
    let emulator = Emulator::start()?;
    let ws = workspace(&emulator, &config("ESSENTIALS", ""))?;
    ws.apply(&[])?;
    rewrite(&ws, &config("ESSENTIALS", &rule("masters", "m1", "m2")))?;
    let flat = failed_plan(&ws)?;
    ensure!(
        flat.contains("anti-affinity rules need an ADVANCED or ENTERPRISE network domain"),
        "{flat}"
    );
    rewrite(&ws, &config("ESSENTIALS", ""))?;
    ws.destroy()?;
    Ok(())
}
