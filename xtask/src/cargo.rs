//! Running Cargo: building the provider binary and reading the package version.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::PROVIDER_PACKAGE;

/// The Cargo executable that launched us (`cargo xtask` sets `CARGO`), else `cargo` on PATH.
fn cargo_command() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(terraform_cli::workspace_root());
    command
}

/// Builds the provider binary (release or dev profile) and returns the path of the executable,
/// as reported by Cargo's JSON messages (so any target directory setting is honoured).
pub fn build_provider(release: bool, target_dir: Option<&Path>) -> Result<PathBuf> {
    build_binary(PROVIDER_PACKAGE, PROVIDER_PACKAGE, release, target_dir)
}

/// Builds binary `bin` of workspace package `package` and returns the path of the executable.
pub fn build_binary(
    package: &str,
    bin: &str,
    release: bool,
    target_dir: Option<&Path>,
) -> Result<PathBuf> {
    let mut command = cargo_command();
    command.args([
        "build",
        "--locked",
        "-p",
        package,
        "--bin",
        bin,
        "--message-format=json-render-diagnostics",
    ]);
    if release {
        command.arg("--release");
    }
    if let Some(dir) = target_dir {
        command.arg("--target-dir").arg(dir);
    }
    command.stdout(Stdio::piped()).stderr(Stdio::inherit());
    let output = command
        .output()
        .with_context(|| format!("running `cargo build` for {bin}"))?;
    if !output.status.success() {
        bail!("`cargo build -p {package} --bin {bin}` failed (see the compiler output above)");
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    executable_from_messages(&stdout, bin)?
        .with_context(|| format!("cargo reported no executable for {bin}"))
}

/// Finds the executable of binary target `name` in Cargo's `--message-format=json` output.
fn executable_from_messages(messages: &str, name: &str) -> Result<Option<PathBuf>> {
    let mut found = None;
    for line in messages.lines().filter(|line| line.starts_with('{')) {
        let message: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("parsing a cargo JSON message: {line}"))?;
        if message["reason"] == "compiler-artifact" && message["target"]["name"] == name {
            if let Some(path) = message["executable"].as_str() {
                found = Some(PathBuf::from(path));
            }
        }
    }
    Ok(found)
}

/// The version of workspace package `package`, from `cargo metadata`.
pub fn package_version(package: &str) -> Result<String> {
    let output = cargo_command()
        .args(["metadata", "--no-deps", "--format-version", "1", "--locked"])
        .stderr(Stdio::inherit())
        .output()
        .context("running `cargo metadata`")?;
    if !output.status.success() {
        bail!("`cargo metadata` failed");
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("parsing `cargo metadata` output")?;
    version_of(&metadata, package)
}

/// Reads `package`'s version out of `cargo metadata` JSON.
fn version_of(metadata: &serde_json::Value, package: &str) -> Result<String> {
    metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == package)
        .and_then(|p| p["version"].as_str())
        .map(str::to_owned)
        .with_context(|| format!("package {package} is not in the workspace metadata"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_executable_of_the_named_binary() {
        let messages = concat!(
            "{\"reason\":\"compiler-artifact\",\"target\":{\"name\":\"tfplugin\"},\"executable\":null}\n",
            "{\"reason\":\"compiler-artifact\",\"target\":{\"name\":\"terraform-provider-cloudcontrol\"},",
            "\"executable\":\"/t/release/terraform-provider-cloudcontrol\"}\n",
            "{\"reason\":\"build-finished\",\"success\":true}\n"
        );
        assert_eq!(
            executable_from_messages(messages, "terraform-provider-cloudcontrol").unwrap(),
            Some(PathBuf::from("/t/release/terraform-provider-cloudcontrol"))
        );
        assert_eq!(executable_from_messages(messages, "other").unwrap(), None);
    }

    #[test]
    fn reads_a_package_version_from_metadata() {
        let metadata = serde_json::json!({
            "packages": [
                {"name": "tfplugin", "version": "0.1.0"},
                {"name": "terraform-provider-cloudcontrol", "version": "1.2.3"}
            ]
        });
        assert_eq!(
            version_of(&metadata, "terraform-provider-cloudcontrol").unwrap(),
            "1.2.3"
        );
        assert!(version_of(&metadata, "missing").is_err());
    }
}
