//! What a Terraform command did, read from the emulator's request log and inventory and from the
//! state (the workspaces themselves come from `e2e::provider`).

use anyhow::{Context, Result};
use e2e::emulator::Emulator;
use e2e::terraform::Workspace;
use serde_json::Value;

/// The administrator password the bench's servers get (a throwaway on a local emulator).
const ADMIN_PASSWORD: &str = "Bench-Passw0rd!";

/// Gives the configuration's `admin_password` variable the bench's throwaway password.
pub fn set_server_password(ws: &mut Workspace) {
    ws.set_env("TF_VAR_admin_password", ADMIN_PASSWORD);
}

/// How many assets the emulator's organisation owns (default firewall rules excluded).
pub fn total_assets(emulator: &Emulator) -> Result<u64> {
    emulator.inventory()?["totalAssets"]
        .as_u64()
        .context("the inventory has no totalAssets")
}

/// A managed resource instance in the state.
#[derive(Debug, Clone)]
pub struct Instance {
    /// `cloudcontrol_server.node["master1"]`.
    pub address: String,
    /// `cloudcontrol_server.node` (the configuration address, without the instance key).
    pub config_address: String,
    /// `cloudcontrol_server`.
    pub resource_type: String,
    /// The API id (`values.id`).
    pub id: String,
    /// Configuration addresses it depends on, as the state records them.
    pub depends_on: Vec<String>,
}

/// The managed resource instances of the root module, from `terraform show -json`.
pub fn instances(ws: &Workspace) -> Result<Vec<Instance>> {
    let shown = ws.show_json()?;
    let resources = shown["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    Ok(resources
        .iter()
        .filter(|r| r["mode"] == "managed")
        .map(|r| {
            let address = r["address"].as_str().unwrap_or_default().to_owned();
            Instance {
                config_address: format!(
                    "{}.{}",
                    r["type"].as_str().unwrap_or_default(),
                    r["name"].as_str().unwrap_or_default()
                ),
                resource_type: r["type"].as_str().unwrap_or_default().to_owned(),
                id: r["values"]["id"].as_str().unwrap_or_default().to_owned(),
                depends_on: r["depends_on"]
                    .as_array()
                    .map(|deps| {
                        deps.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
                address,
            }
        })
        .collect())
}

/// What the API saw during one command: every request, and how many by kind.
#[derive(Debug, Default, Clone, Copy)]
pub struct Traffic {
    /// All requests.
    pub requests: usize,
    /// GETs.
    pub gets: usize,
    /// Answers with `RESOURCE_BUSY`, which the provider absorbed by waiting and retrying.
    pub busy: usize,
}

/// Counts the request log entries after `since`.
pub fn traffic_since(emulator: &Emulator, since: u64) -> Result<Traffic> {
    let entries = emulator.requests_since(since)?;
    let mut t = Traffic::default();
    for e in &entries {
        // the bench's own reads of the emulator-only endpoints are not logged as API requests
        t.requests += 1;
        if e["method"] == "GET" {
            t.gets += 1;
        }
        if e["responseCode"] == "RESOURCE_BUSY" {
            t.busy += 1;
        }
    }
    Ok(t)
}
