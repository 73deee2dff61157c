//! Finding and SIGKILLing the provider processes a Terraform run started.

use anyhow::{Context, Result};

use crate::procfs;

/// The pids of every descendant of `root` whose command name starts with `prefix` (the kernel
/// keeps the first 15 bytes of it: `terraform-provi`).
pub fn descendants_named(root: u32, prefix: &str) -> Vec<u32> {
    let all = procfs::processes();
    let found = procfs::descendants_in(&all, root);
    let short: String = prefix.chars().take(15).collect();
    all.into_iter()
        .filter(|p| p.pid != root && found.contains(&p.pid) && p.comm.starts_with(&short))
        .map(|p| p.pid)
        .collect()
}

/// SIGKILLs the providers (`terraform-provider-cloudcontrol`) under Terraform process `root`;
/// how many were killed.
pub fn kill_providers(root: u32) -> Result<usize> {
    let pids = descendants_named(root, "terraform-provider-cloudcontrol");
    for pid in &pids {
        let pid = i32::try_from(*pid).context("pid out of range")?;
        // SAFETY: kill(2) with a pid read from /proc and a valid signal number.
        let rc = unsafe { libc::kill(pid, libc::SIGKILL) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            // It may have exited on its own meanwhile.
            if err.raw_os_error() != Some(libc::ESRCH) {
                return Err(err).with_context(|| format!("SIGKILL to provider {pid}"));
            }
        }
    }
    Ok(pids.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procfs::command_lines;

    #[test]
    fn finds_a_named_descendant_and_sees_its_command_line() {
        let mut child = std::process::Command::new("sleep")
            .arg("30.5")
            .spawn()
            .unwrap();
        let me = std::process::id();
        // Until the child has exec'd, /proc shows this test's name and command line for it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !command_lines()
            .iter()
            .any(|(pid, line)| *pid == child.id() && line == "sleep 30.5")
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the child's command line never showed"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let found = descendants_named(me, "sleep");
        assert!(found.contains(&child.id()), "{found:?}");
        assert!(descendants_named(me, "no-such-program").is_empty());
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
