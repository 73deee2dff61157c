//! Ansible for row 4: `ansible-core` from the Python package index in a virtual environment
//! under the workspace's `.cache` (made once, reused), and `sshpass`, which Ansible's SSH
//! connection needs for the first contact by root password.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned version: ansible-core 2.17 drives Python 3.7 and newer on the nodes (Debian 12
/// has 3.11) from Python 3.10 and newer on the controller.
pub const ANSIBLE_CORE: &str = "2.17.7";

/// `<workspace>/.cache/bench-ansible-venv/bin/ansible-playbook` with [`ANSIBLE_CORE`]
/// installed, installing it first when missing.
pub fn ensure_ansible(workspace: &Path) -> Result<PathBuf> {
    let venv = workspace.join(".cache/bench-ansible-venv");
    let playbook = venv.join("bin/ansible-playbook");
    if installed_version(&venv).as_deref() != Some(ANSIBLE_CORE) {
        eprintln!(
            "row 4: installing ansible-core {ANSIBLE_CORE} into {}",
            venv.display()
        );
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run(Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "--disable-pip-version-check"])
            .arg(format!("ansible-core=={ANSIBLE_CORE}")))?;
    }
    if !playbook.is_file() {
        bail!("{} is missing after the install", playbook.display());
    }
    Ok(playbook)
}

/// The ansible-core version in `venv`, if any.
fn installed_version(venv: &Path) -> Option<String> {
    let out = Command::new(venv.join("bin/python"))
        .args(["-c", "import ansible.release as r; print(r.__version__)"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Installs `sshpass` with apt-get when it is missing (the bench runs as root here).
pub fn ensure_sshpass() -> Result<()> {
    let found = Command::new("sshpass")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("row 4: installing sshpass (Ansible's password logins need it)");
        run(Command::new("apt-get").args(["install", "-y", "-q", "sshpass"]))
            .context("sshpass is missing and apt-get could not install it")?;
    }
    Ok(())
}

fn run(command: &mut Command) -> Result<()> {
    let out = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !out.status.success() {
        bail!(
            "{command:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}
