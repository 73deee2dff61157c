//! Terraform workspaces wired to the built `terraform-provider-cloudcontrol` and a running
//! [`Emulator`], and the checks the `provider_*` end-to-end tests make on them.

use anyhow::{bail, ensure, Context, Result};

use crate::emulator::Emulator;
use crate::terraform::{PlanOutcome, ProviderPackage, TfOutput, Workspace};

/// An empty Terraform workspace with the built provider in its mirror, pointed at `emulator`
/// through the provider's environment fallbacks, and the provider's package.
fn emulator_workspace(emulator: &Emulator) -> Result<(Workspace, ProviderPackage)> {
    emulator_workspace_with(emulator, &[])
}

/// [`emulator_workspace`] with more providers in the mirror.
fn emulator_workspace_with(
    emulator: &Emulator,
    more: &[ProviderPackage],
) -> Result<(Workspace, ProviderPackage)> {
    api_workspace(
        &emulator.base_url(),
        emulator.user(),
        emulator.password(),
        more,
    )
}

/// An empty Terraform workspace with the built provider (and `more` providers) in its mirror,
/// pointed at the API at `endpoint` as `user` through the provider's environment fallbacks, and
/// the provider's package.
pub fn api_workspace(
    endpoint: &str,
    user: &str,
    password: &str,
    more: &[ProviderPackage],
) -> Result<(Workspace, ProviderPackage)> {
    let package = ProviderPackage::new(
        "cloudcontrol",
        "cloudcontrol",
        "0.1.0",
        crate::binary("terraform-provider-cloudcontrol")?,
    );
    let mut providers = vec![package.clone()];
    providers.extend_from_slice(more);
    let mut ws = Workspace::with_providers(&providers)?;
    ws.set_env("CLOUDCONTROL_ENDPOINT", endpoint);
    ws.set_env("CLOUDCONTROL_USERNAME", user);
    ws.set_env("CLOUDCONTROL_PASSWORD", password);
    Ok((ws, package))
}

/// A Terraform workspace with the provider installed from a mirror and pointed at `emulator`
/// through the environment fallbacks, initialised once.
pub fn workspace(emulator: &Emulator, main_tf: &str) -> Result<Workspace> {
    let (ws, package) = emulator_workspace(emulator)?;
    ws.write_main_tf(&format!(
        "{}\n{main_tf}",
        package.required_providers_block()
    ))?;
    ws.init()?;
    Ok(ws)
}

/// A Terraform workspace holding a copy of the `*.tf` files of `example` (a folder under the
/// repository's `examples/`, which declares its own `required_providers`; the null provider is
/// in the mirror too), pointed at `emulator` through the environment fallbacks, initialised once.
pub fn example_workspace(emulator: &Emulator, example: &str) -> Result<Workspace> {
    let (ws, _) = emulator_workspace_with(emulator, &[ProviderPackage::null()?])?;
    copy_example(&ws, example)?;
    ws.init()?;
    Ok(ws)
}

/// Copies the `*.tf` files of `example` (a folder under the repository's `examples/`) into the
/// workspace; fails when there are none.
pub fn copy_example(ws: &Workspace, example: &str) -> Result<()> {
    let source = crate::terraform::workspace_root()
        .join("examples")
        .join(example);
    let entries =
        std::fs::read_dir(&source).with_context(|| format!("reading {}", source.display()))?;
    let mut copied = 0;
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "tf") {
            let target = ws.work_dir().join(path.file_name().context("file name")?);
            std::fs::copy(&path, &target).with_context(|| format!("copying {}", path.display()))?;
            copied += 1;
        }
    }
    if copied == 0 {
        bail!("{} holds no .tf files", source.display());
    }
    Ok(())
}

/// Replaces `main.tf` keeping the `required_providers` block.
pub fn rewrite(ws: &Workspace, main_tf: &str) -> Result<()> {
    let package = ProviderPackage::new("cloudcontrol", "cloudcontrol", "0.1.0", "unused");
    ws.write_main_tf(&format!(
        "{}\n{main_tf}",
        package.required_providers_block()
    ))
}

/// The `id` of a resource in state.
pub fn id_of(ws: &Workspace, address: &str) -> Result<String> {
    ws.resource_values(address)?
        .and_then(|v| v["id"].as_str().map(str::to_owned))
        .with_context(|| format!("{address} is not in state"))
}

/// Fails unless a plan of the current configuration proposes no change (`step` names what
/// came before, for the message).
pub fn ensure_no_changes(ws: &Workspace, step: &str) -> Result<()> {
    let (outcome, plan) = ws.plan(&[])?;
    ensure!(
        outcome == PlanOutcome::NoChanges,
        "re-plan after {step}: {plan}"
    );
    Ok(())
}

/// Terraform's output with its box drawing and line wrapping undone, for searching messages.
pub fn flat(output: &TfOutput) -> String {
    output
        .combined()
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs a plan that must fail; returns its output [`flat`].
pub fn failed_plan(ws: &Workspace) -> Result<String> {
    let out = ws.run(&["plan", "-input=false", "-no-color"])?;
    ensure!(out.code != 0, "the plan passed: {out}");
    Ok(flat(&out))
}

/// Plans and fails unless Terraform's summary line reads `summary`, e.g.
/// `"0 to add, 1 to change, 0 to destroy"`; returns the plan's output for further checks.
pub fn plan_expecting(ws: &Workspace, summary: &str) -> Result<TfOutput> {
    let (_, plan) = ws.plan(&[])?;
    ensure!(
        plan.stdout.contains(summary),
        "expected {summary:?}: {plan}"
    );
    Ok(plan)
}

/// HCL most server tests start from: the `rocky8` image lookup, the network domain `nd` named
/// `name` and its VLAN `v` (also `name`) on `vlan_base`/24, all in `datacenter`.
pub fn rocky8_domain_and_vlan(name: &str, datacenter: &str, vlan_base: &str) -> String {
    format!(
        r#"
data "cloudcontrol_image" "rocky8" {{
  name       = "Rocky Linux 8 64-bit 2 CPU"
  datacenter = "{datacenter}"
}}

resource "cloudcontrol_network_domain" "nd" {{
  name       = "{name}"
  datacenter = "{datacenter}"
}}

resource "cloudcontrol_vlan" "v" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "{name}"
  ipv4_base_address = "{vlan_base}"
  ipv4_prefix_size  = 24
}}
"#
    )
}
