//! `cargo xtask soak`: builds the emulator, the provider and the soak program (`tests/src/bin/
//! soak.rs`, the reliability harness lives with the tests) in one profile, then runs the soak
//! with the remaining arguments.

use std::process::{Command, ExitCode};

use anyhow::{Context, Result};

use crate::cargo;

/// Builds everything the soak runs, next to each other, and runs it with `args`; returns the
/// soak's exit code (it fails when a target is missed).
pub fn run(release: bool, args: &[String]) -> Result<ExitCode> {
    eprintln!("building the emulator, the provider and the soak");
    cargo::build_binary(
        "cloudcontrol-emulator",
        "cloudcontrol-emulator",
        release,
        None,
    )?;
    cargo::build_provider(release, None)?;
    let soak = cargo::build_binary("e2e", "soak", release, None)?;
    let status = Command::new(&soak)
        .args(args)
        .status()
        .with_context(|| format!("running {}", soak.display()))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    })
}
