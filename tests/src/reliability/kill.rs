//! Finding and SIGKILLing the provider processes a Terraform run started, and sampling every
//! process's command line (for secrets).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};

/// `(pid, parent pid, command name)` of every process, from `/proc/<pid>/stat`.
fn processes() -> Vec<(u32, u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
            let open = stat.find('(')?;
            let close = stat.rfind(')')?;
            let comm = stat[open + 1..close].to_owned();
            let ppid = stat[close + 1..].split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, ppid, comm))
        })
        .collect()
}

/// The pids of every descendant of `root` whose command name starts with `prefix` (the kernel
/// keeps the first 15 bytes of it: `terraform-provi`).
pub fn descendants_named(root: u32, prefix: &str) -> Vec<u32> {
    let all = processes();
    let mut children: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (pid, ppid, _) in &all {
        children.entry(*ppid).or_default().push(*pid);
    }
    let mut found = BTreeSet::new();
    let mut queue = vec![root];
    while let Some(pid) = queue.pop() {
        for child in children.get(&pid).into_iter().flatten() {
            if found.insert(*child) {
                queue.push(*child);
            }
        }
    }
    let short: String = prefix.chars().take(15).collect();
    all.into_iter()
        .filter(|(pid, _, comm)| found.contains(pid) && comm.starts_with(&short))
        .map(|(pid, _, _)| pid)
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

/// Every readable process command line, its arguments joined by spaces.
pub fn command_lines() -> Vec<(u32, String)> {
    processes()
        .into_iter()
        .filter_map(|(pid, _, _)| {
            let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            // Every argument ends with a NUL, the last one included.
            let raw = raw.strip_suffix(&[0]).unwrap_or(&raw);
            let line = raw
                .split(|b| *b == 0)
                .map(|part| String::from_utf8_lossy(part).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            Some((pid, line))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
