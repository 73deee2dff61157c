//! Shared harness for the workspace-level end-to-end tests.

pub mod emulator;
pub mod node_backing;
pub mod node_cluster;
pub mod nodes;
pub mod procfs;
pub mod provider;
pub mod pyvenv;
pub mod real_mesos;
pub mod reliability;
pub mod standins;

/// The Terraform CLI harness (its own crate, so `xtask` can use it without the tests).
pub use terraform_cli as terraform;

use std::path::PathBuf;

use anyhow::{bail, Context as _};

/// `target/<profile>/<name>`, next to this program: a test binary (`target/<profile>/deps/...`)
/// or one of this crate's own binaries (`target/<profile>/soak`). Cargo cannot hand one
/// package's binaries to another package's tests, so the workspace build
/// (`cargo build --workspace --bins`) must have made it.
pub fn binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the running program")?;
    let mut dir = exe.parent().context("the running program has no folder")?;
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir = dir
            .parent()
            .context("target/<profile>/deps has no parent")?;
    }
    let bin = dir.join(name);
    if !bin.is_file() {
        bail!(
            "{} is missing: run `cargo build --workspace --bins` (same profile and target dir) first",
            bin.display()
        );
    }
    Ok(bin)
}

/// Writes `text` to `path`, readable by its owner only (a password, an accounts file).
pub fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}
