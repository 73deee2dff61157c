//! Python clients and tools from the Python package index, each in a virtual environment of its
//! own: libcloud for the emulator's third-party client test, ansible-core for the bench.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// A virtual environment at `venv` with `requirement` (e.g. `apache-libcloud==3.9.1`) installed;
/// returns its Python. An existing environment is reused: pip leaves an installed requirement
/// as it is.
pub fn with(venv: &Path, requirement: &str) -> Result<PathBuf> {
    let python = venv.join("bin/python");
    if !python.is_file() {
        run(
            Command::new("python3").arg("-m").arg("venv").arg(venv),
            "python3 -m venv (Debian: apt-get install python3-venv)",
        )?;
    }
    run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .arg(requirement),
        &format!("pip install {requirement}"),
    )?;
    Ok(python)
}

/// Runs a command to completion, failing with its output when it fails.
pub fn run(command: &mut Command, what: &str) -> Result<()> {
    let out = command
        .output()
        .with_context(|| format!("running {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}
