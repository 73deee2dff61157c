//! What a run of either side did, summed over its hosts: Ansible's `PLAY RECAP` lines and the
//! provisioner's JSON recap read into the same counts.

use anyhow::{Context, Result};
use e2e::nodes::provisioner::Run;

/// Task or step outcomes summed over every host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Tasks/steps that found their host as wanted.
    pub ok: u64,
    /// Tasks/steps that changed something (or would, under `--check`).
    pub changed: u64,
    /// Failures.
    pub failed: u64,
    /// Unreachable hosts.
    pub unreachable: u64,
    /// Hosts in the recap.
    pub hosts: usize,
}

impl Totals {
    /// Whether nothing failed and every host was reached.
    pub fn clean(&self) -> bool {
        self.failed == 0 && self.unreachable == 0
    }

    /// `12 hosts: 245 ok, 3 changed`.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{} hosts: {} ok, {} changed",
            self.hosts, self.ok, self.changed
        );
        if !self.clean() {
            text.push_str(&format!(
                ", {} failed, {} unreachable",
                self.failed, self.unreachable
            ));
        }
        text
    }
}

/// Sums the `host : ok=N changed=N unreachable=N failed=N ...` lines after `PLAY RECAP`.
pub fn ansible(stdout: &str) -> Result<Totals> {
    let recap = stdout
        .rsplit_once("PLAY RECAP")
        .map(|(_, r)| r)
        .context("ansible-playbook printed no PLAY RECAP")?;
    let mut totals = Totals::default();
    for line in recap.lines() {
        let Some((_, counts)) = line.split_once(" : ") else {
            continue;
        };
        totals.hosts += 1;
        for pair in counts.split_whitespace() {
            let Some((key, value)) = pair.split_once('=') else {
                continue;
            };
            let n: u64 = value.parse().unwrap_or(0);
            match key {
                "ok" => totals.ok += n,
                "changed" => totals.changed += n,
                "failed" => totals.failed += n,
                "unreachable" => totals.unreachable += n,
                _ => {}
            }
        }
    }
    Ok(totals)
}

/// The provisioner's recap (JSON lines on stdout) as totals. Its pseudo-host `cluster` (the
/// barriers between phases) adds to the counts but is not a host.
pub fn provisioner(run: &Run) -> Totals {
    let mut totals = Totals::default();
    for (host, counts) in &run.recap {
        if host != "cluster" {
            totals.hosts += 1;
        }
        totals.ok += counts.ok;
        totals.changed += counts.changed;
        totals.failed += counts.failed;
        totals.unreachable += counts.unreachable;
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_the_play_recap() {
        let out = "TASK [x] ***\nok: [m1]\n\nPLAY RECAP *********\n\
                   m1                         : ok=40   changed=3    unreachable=0    failed=0    skipped=2    rescued=0    ignored=0\n\
                   s1                         : ok=30   changed=0    unreachable=0    failed=1    skipped=2    rescued=0    ignored=0\n";
        let t = ansible(out).unwrap();
        assert_eq!((t.hosts, t.ok, t.changed, t.failed), (2, 70, 3, 1));
        assert!(!t.clean());
        assert!(ansible("no recap").is_err());
    }
}
