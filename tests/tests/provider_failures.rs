//! What a user sees when a create does not finish, through the real Terraform CLI against the
//! emulator: the object the API accepted is never orphaned. A create that outlives its
//! `timeouts` block, or a deployment that ends in FAILED_ADD, fails the apply with the
//! operation and the reason, keeps the object in state as tainted, and the next apply (or
//! destroy) replaces (or deletes) it until the emulator's inventory is empty.

use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Result};
use e2e::emulator::Emulator;
use e2e::provider::{
    ensure_no_changes, flat, id_of, plan_expecting, rewrite, rocky8_domain_and_vlan, workspace,
};

fn server_config(create_timeout: Option<&str>) -> String {
    let timeouts = create_timeout
        .map(|t| format!("timeouts {{\n    create = \"{t}\"\n  }}"))
        .unwrap_or_default();
    let base = rocky8_domain_and_vlan("e2e-failures", "NA9", "10.3.0.0");
    format!(
        r#"{base}
resource "cloudcontrol_server" "s" {{
  name              = "e2e-slow"
  network_domain_id = cloudcontrol_network_domain.nd.id
  image_id          = data.cloudcontrol_image.rocky8.id
  admin_password    = "Failures-e2e-4k!"

  primary_nic {{
    vlan_id = cloudcontrol_vlan.v.id
  }}

  disk {{
    scsi_id = 0
    size_gb = 10
  }}

  {timeouts}
}}
"#
    )
}

/// The server's `state` as the emulator reports it.
fn server_state(emulator: &Emulator, id: &str) -> Result<String> {
    let path = format!("/caas/2.4/{}/server/server/{id}", emulator.org_id()?);
    let (status, body) = emulator.request("GET", &path, None)?;
    ensure!(status == 200, "GET {path}: {status} {body}");
    Ok(body["state"].as_str().unwrap_or_default().to_owned())
}

/// `terraform show -json` lists the resource at `address` as tainted.
fn is_tainted(ws: &e2e::terraform::Workspace, address: &str) -> Result<bool> {
    let show = ws.show_json()?;
    let resources = show["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    Ok(resources
        .iter()
        .any(|r| r["address"] == address && r["tainted"] == true))
}

#[test]
fn a_create_that_outlives_its_timeout_is_kept_tainted_and_replaced() -> Result<()> {
    // At this scale a server deploy takes 8.4 s; the configuration allows 2 s.
    let emulator = Emulator::start_scaled("0.02")?;
    let ws = workspace(&emulator, &server_config(Some("2s")))?;

    let failed = ws.try_apply(&[])?;
    ensure!(failed.code != 0, "the apply should time out: {failed}");
    let message = flat(&failed);
    ensure!(
        message.contains("Could not deploy the server") && message.contains("timed out after"),
        "the error should name the operation and the timeout: {failed}"
    );
    let first = id_of(&ws, "cloudcontrol_server.s")?;
    ensure!(
        is_tainted(&ws, "cloudcontrol_server.s")?,
        "the server the API accepted must be kept in state, tainted"
    );

    // The deployment goes on at the API; once it is done, the next apply replaces it.
    let deadline = Instant::now() + Duration::from_secs(60);
    while server_state(&emulator, &first)? != "NORMAL" {
        if Instant::now() > deadline {
            bail!("server {first} never finished deploying");
        }
        sleep(Duration::from_millis(500));
    }
    rewrite(&ws, &server_config(None))?;
    let plan = plan_expecting(&ws, "1 to add, 0 to change, 1 to destroy")?;
    ensure!(
        plan.stdout.contains("is tainted, so must be replaced"),
        "{plan}"
    );
    ws.apply(&[])?;
    let second = id_of(&ws, "cloudcontrol_server.s")?;
    ensure!(second != first, "the tainted server was not replaced");
    let inventory = emulator.inventory()?;
    ensure!(
        !inventory["server"].to_string().contains(&first),
        "the tainted server is still there: {inventory}"
    );
    ensure_no_changes(&ws, "replacing the tainted server")?;

    ws.destroy()?;
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}

#[test]
fn a_failed_deployment_is_reported_kept_tainted_and_destroyed() -> Result<()> {
    // Every deployment ends in FAILED_ADD.
    let emulator = Emulator::start_with(&["--time-scale", "0", "--faults", "failed_add=1,seed=3"])?;
    let ws = workspace(
        &emulator,
        r#"
resource "cloudcontrol_network_domain" "nd" {
  name       = "e2e-failed"
  datacenter = "NA9"
}
"#,
    )?;

    let failed = ws.try_apply(&[])?;
    ensure!(failed.code != 0, "the apply should fail: {failed}");
    ensure!(
        flat(&failed).contains("FAILED_ADD"),
        "the error should say how the deployment ended: {failed}"
    );
    let id = id_of(&ws, "cloudcontrol_network_domain.nd")?;
    ensure!(is_tainted(&ws, "cloudcontrol_network_domain.nd")?);
    let inventory = emulator.inventory()?;
    ensure!(
        inventory["networkDomain"].to_string().contains(&id),
        "the failed domain should exist at the API: {inventory}"
    );

    // Destroy removes what the failed deployment left.
    ws.destroy()?;
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}

#[test]
fn an_interrupted_create_keeps_the_server_tainted() -> Result<()> {
    // At this scale a server deploy takes 8.4 s: long enough to press Ctrl-C during it.
    let emulator = Emulator::start_scaled("0.02")?;
    let ws = workspace(&emulator, &server_config(None))?;

    let apply = ws.spawn(&["apply", "-input=false", "-no-color", "-auto-approve"])?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let first = loop {
        let servers = emulator.inventory()?["server"].clone();
        if let Some(id) = servers[0]["id"].as_str() {
            break id.to_owned();
        }
        if Instant::now() > deadline {
            bail!("the apply never started deploying the server");
        }
        sleep(Duration::from_millis(100));
    };
    ensure!(server_state(&emulator, &first)? == "PENDING_ADD");
    // Ctrl-C: SIGINT to Terraform's process group; Terraform stops the provider, which stops
    // waiting.
    let signal = Command::new("kill")
        .args(["-INT", "--", &format!("-{}", apply.id())])
        .status()?;
    ensure!(signal.success(), "kill -INT failed");
    let output = apply.wait_with_output()?;
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    let flat: String = text
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    ensure!(
        !output.status.success(),
        "the interrupted apply succeeded: {text}"
    );
    ensure!(
        flat.contains(&format!("cancelled while waiting for {first}")),
        "the error should name the server it stopped waiting for: {text}"
    );
    ensure!(id_of(&ws, "cloudcontrol_server.s")? == first);
    ensure!(
        is_tainted(&ws, "cloudcontrol_server.s")?,
        "the interrupted server must be kept in state, tainted"
    );

    // Nothing is orphaned: destroy deletes it once its deployment is over.
    ws.destroy()?;
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}
