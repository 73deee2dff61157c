//! Ansible for row 4: `ansible-core` from the Python package index in a virtual environment
//! under the workspace's `.cache` (made once, reused), and `sshpass`, which Ansible's SSH
//! connection needs for the first contact by root password.

use anyhow::{bail, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned version: ansible-core 2.17 drives Python 3.7 and newer on the nodes (Debian 12
/// has 3.11) from Python 3.10 and newer on the controller.
pub const ANSIBLE_CORE: &str = "2.17.7";

/// `<workspace>/.cache/bench-ansible-venv/bin/ansible-playbook` with [`ANSIBLE_CORE`]
/// installed (the environment is made once and reused).
pub fn ensure_ansible(workspace: &Path) -> Result<PathBuf> {
    let venv = workspace.join(".cache/bench-ansible-venv");
    e2e::pyvenv::with(&venv, &format!("ansible-core=={ANSIBLE_CORE}"))?;
    let playbook = venv.join("bin/ansible-playbook");
    if !playbook.is_file() {
        bail!("{} is missing after the install", playbook.display());
    }
    Ok(playbook)
}

/// Installs `sshpass` with apt-get when it is missing (the bench runs as root here).
pub fn ensure_sshpass() -> Result<()> {
    let found = Command::new("sshpass")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("row 4: installing sshpass (Ansible's password logins need it)");
        e2e::pyvenv::run(
            Command::new("apt-get").args(["install", "-y", "-q", "sshpass"]),
            "apt-get install sshpass (Ansible's password logins need it)",
        )?;
    }
    Ok(())
}
