//! What a create does with an asset already there under its identity, through the real
//! Terraform CLI against the emulator: a server this provider deployed (it carries the marker
//! tag) that Terraform lost track of is taken over, with an empty plan after; a firewall rule
//! whose create finished normally (its journal entry cleared at shutdown) and was then dropped
//! from state is not, nor is a server made by another client, nor a marked server whose image
//! differs: each error names the asset, its id and the `terraform import` command, and that
//! command, run as printed, brings it under management with an empty plan.

use anyhow::{ensure, Context, Result};
use e2e::emulator::Emulator;
use e2e::provider::{ensure_no_changes, flat, id_of, rewrite, rocky8_domain_and_vlan, workspace};
use e2e::terraform::{TfOutput, Workspace};
use serde_json::json;

const PASSWORD: &str = "Adopt-e2e-4k!x";
const ROCKY: &str = "data.cloudcontrol_image.rocky8.id";
const UBUNTU: &str = "data.cloudcontrol_image.ubuntu.id";

fn config(web_image: &str, extra_server: Option<(&str, &str)>) -> String {
    let base = rocky8_domain_and_vlan("e2e-adoption", "NA9", "10.9.0.0");
    let extra = extra_server
        .map(|(name, image)| {
            format!(
                r#"
resource "cloudcontrol_server" "extra" {{
  name              = "{name}"
  network_domain_id = cloudcontrol_network_domain.nd.id
  image_id          = {image}
  admin_password    = "{PASSWORD}"
  allow_reboot      = true

  primary_nic {{
    vlan_id = cloudcontrol_vlan.v.id
  }}
}}
"#
            )
        })
        .unwrap_or_default();
    format!(
        r#"{base}
data "cloudcontrol_image" "ubuntu" {{
  name       = "Ubuntu 24.04 64-bit 2 CPU"
  datacenter = "NA9"
}}

resource "cloudcontrol_server" "web" {{
  name              = "web"
  network_domain_id = cloudcontrol_network_domain.nd.id
  image_id          = {web_image}
  admin_password    = "{PASSWORD}"

  primary_nic {{
    vlan_id      = cloudcontrol_vlan.v.id
    private_ipv4 = "10.9.0.10"
  }}
}}

resource "cloudcontrol_firewall_rule" "ssh" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "ssh_in"
  protocol          = "TCP"
  placement         = "FIRST"

  destination {{
    ip   = "10.9.0.10"
    port = 22
  }}
}}
{extra}"#
    )
}

/// Runs the `terraform import 'ADDRESS' <id>` command an error printed, for `address`.
fn import_as_told(ws: &Workspace, failed: &TfOutput, address: &str) -> Result<String> {
    let text = flat(failed);
    let import_id = text
        .split("terraform import 'ADDRESS' ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .with_context(|| format!("no import command in: {text}"))?
        .to_owned();
    ws.import(address, &import_id)?;
    Ok(import_id)
}

#[test]
fn marked_assets_are_taken_over_and_others_refused_with_their_import_command() -> Result<()> {
    let emulator = Emulator::start()?;
    let mut ws = workspace(&emulator, &config(ROCKY, None))?;
    ws.set_env("CLOUDCONTROL_IMPORT_ADMIN_PASSWORD", PASSWORD);
    ws.apply(&[])?;
    let server_id = id_of(&ws, "cloudcontrol_server.web")?;
    let rule_id = id_of(&ws, "cloudcontrol_firewall_rule.ssh")?;
    let domain_id = id_of(&ws, "cloudcontrol_network_domain.nd")?;

    // Terraform loses track of both (as when an apply is cut short before it records them).
    for address in ["cloudcontrol_server.web", "cloudcontrol_firewall_rule.ssh"] {
        ws.run(&["state", "rm", address])?.ensure_success()?;
    }
    let seq = emulator.last_seq()?;
    let failed = ws.try_apply(&[])?;
    ensure!(failed.code == 1, "the rule must be refused: {failed}");
    let text = flat(&failed);
    // The server carries the marker tag from its deploy request: taken over, not redeployed.
    ensure!(
        id_of(&ws, "cloudcontrol_server.web")? == server_id,
        "the server was not taken over: {failed}"
    );
    let created: Vec<String> = emulator
        .mutations_since(seq)?
        .into_iter()
        .filter(|m| m.ends_with("/deployServer") || m.ends_with("/createFirewallRule"))
        .collect();
    ensure!(created.is_empty(), "created again: {created:?}");
    // The rule's create finished normally, so its journal entry is gone: refused, named, with
    // the import command carrying the placement the API cannot report.
    for part in [
        "Firewall rule already exists",
        "named \"ssh_in\"",
        &format!("(id {rule_id})"),
        "creation journal",
        &format!("terraform import 'ADDRESS' {rule_id},placement=FIRST"),
        "with cloudcontrol_firewall_rule.ssh",
    ] {
        ensure!(text.contains(part), "missing {part:?} in: {text}");
    }
    import_as_told(&ws, &failed, "cloudcontrol_firewall_rule.ssh")?;
    ensure_no_changes(&ws, "the import the error told")?;

    // A server another client deployed under a configured name: no marker, refused.
    let image = emulator
        .request(
            "GET",
            &format!(
                "/caas/2.10/{}/image/osImage?name=Rocky%20Linux%208%2064-bit%202%20CPU&datacenterId=NA9",
                emulator.org_id()?
            ),
            None,
        )?
        .1["osImage"][0]["id"]
        .as_str()
        .context("the Rocky 8 image")?
        .to_owned();
    let vlan_id = id_of(&ws, "cloudcontrol_vlan.v")?;
    let made = emulator.action(
        "server/deployServer",
        json!({"name": "other", "imageId": image, "start": true, "administratorPassword": PASSWORD,
               "networkInfo": {"networkDomainId": domain_id, "primaryNic": {"vlanId": vlan_id}}}),
    )?;
    let other_id = made["info"][0]["value"]
        .as_str()
        .context("serverId")?
        .to_owned();
    rewrite(&ws, &config(ROCKY, Some(("other", ROCKY))))?;
    let failed = ws.try_apply(&[])?;
    let text = flat(&failed);
    for part in [
        "Server already exists",
        &format!("(id {other_id})"),
        "does not carry this provider's creation marker",
        &format!("terraform import 'ADDRESS' {other_id},allow_reboot=true"),
    ] {
        ensure!(text.contains(part), "missing {part:?} in: {text}");
    }
    ensure!(ws.resource_values("cloudcontrol_server.extra")?.is_none());
    import_as_told(&ws, &failed, "cloudcontrol_server.extra")?;
    ensure_no_changes(&ws, "importing the other client's server")?;

    // A server this provider deployed, configured again with another image: refused, the
    // difference named.
    ws.run(&["state", "rm", "cloudcontrol_server.web"])?
        .ensure_success()?;
    rewrite(&ws, &config(UBUNTU, Some(("other", ROCKY))))?;
    let failed = ws.try_apply(&[])?;
    let text = flat(&failed);
    for part in [
        &format!("(id {server_id})"),
        "it differs from the configuration: image_id is",
    ] {
        ensure!(text.contains(part), "missing {part:?} in: {text}");
    }
    rewrite(&ws, &config(ROCKY, Some(("other", ROCKY))))?;
    ws.import("cloudcontrol_server.web", &server_id)?;
    ensure_no_changes(&ws, "importing the server back")?;

    ws.destroy()?;
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}
