//! Shared harness for the workspace-level end-to-end tests.

pub mod node_backing;
pub mod nodes;
pub mod real_mesos;
pub mod reliability;
pub mod standins;
pub mod terraform;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};

/// `target/<profile>/<name>` next to this test binary (`target/<profile>/deps/...`). Cargo cannot
/// hand one package's binaries to another package's tests, so the workspace build
/// (`cargo build --workspace --bins`) must have made it.
pub fn binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the test binary")?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .context("the test binary is not in target/<profile>/deps")?;
    let bin = dir.join(name);
    if !bin.is_file() {
        bail!(
            "{} is missing: run `cargo build --workspace --bins` (same profile and target dir) first",
            bin.display()
        );
    }
    Ok(bin)
}
