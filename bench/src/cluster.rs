//! A Terraform working directory wired to an emulator: the product provider (and the null
//! provider) in a filesystem mirror, the API address and the demo account in the provider's
//! environment fallbacks, and helpers that read what a command did from the emulator's request
//! log and the state.

use crate::emulator::Emulator;
use anyhow::{bail, Context, Result};
use e2e::terraform::{ProviderPackage, Workspace};
use serde_json::Value;
use std::path::Path;

/// The administrator password the bench's servers get (a throwaway on a local emulator).
const ADMIN_PASSWORD: &str = "Bench-Passw0rd!";

/// A workspace for `emulator` with the product provider at `provider` and the null provider.
pub fn workspace(emulator: &Emulator, provider: &Path) -> Result<Workspace> {
    let ours = ProviderPackage::new("cloudcontrol", "cloudcontrol", "0.1.0", provider);
    let mut ws = Workspace::with_providers(&[ours, ProviderPackage::null()?])?;
    ws.set_env("CLOUDCONTROL_ENDPOINT", &emulator.base_url);
    ws.set_env("CLOUDCONTROL_USERNAME", "demo");
    ws.set_env("CLOUDCONTROL_PASSWORD", "demo");
    ws.set_env("TF_VAR_admin_password", ADMIN_PASSWORD);
    Ok(ws)
}

/// Copies the `*.tf` files of `examples/NAME` into the workspace.
pub fn copy_example(ws: &Workspace, name: &str) -> Result<()> {
    let source = e2e::terraform::workspace_root().join("examples").join(name);
    let mut copied = 0;
    for entry in
        std::fs::read_dir(&source).with_context(|| format!("reading {}", source.display()))?
    {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "tf") {
            let target = ws.work_dir().join(path.file_name().context("a file name")?);
            std::fs::copy(&path, &target).with_context(|| format!("copying {}", path.display()))?;
            copied += 1;
        }
    }
    if copied == 0 {
        bail!("{} holds no .tf files", source.display());
    }
    Ok(())
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
