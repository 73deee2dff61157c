//! Runs one command and measures it: wall time, and the peak memory of its whole process tree
//! (the command and every descendant, e.g. Ansible's forked workers and their `ssh` processes),
//! sampled from `/proc` every 50 ms. Both sides of row 4 are measured with this one method.
//!
//! Per sample, the tree's resident memory is summed two ways: RSS (`VmRSS` of
//! `/proc/PID/status`, which counts pages shared between forked workers once per process) and
//! PSS (`Pss` of `/proc/PID/smaps_rollup`, which splits shared pages between their sharers). The
//! peak of each sum over the run is reported; a process that lives less than 50 ms can be missed.

use crate::machine::kib_field;
use anyhow::{Context, Result};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How often the tree is sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// A finished, measured command.
#[derive(Debug)]
pub struct Measured {
    /// Its exit status.
    pub status: ExitStatus,
    /// Wall time from spawn to exit.
    pub wall: Duration,
    /// Peak over the samples of the tree's summed RSS, KiB.
    pub peak_rss_kib: u64,
    /// Peak over the samples of the tree's summed PSS, KiB.
    pub peak_pss_kib: u64,
    /// Most processes seen in the tree at once.
    pub peak_processes: usize,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Measured {
    /// Wall time in seconds.
    pub fn secs(&self) -> f64 {
        self.wall.as_secs_f64()
    }
}

/// Runs `command` to its end with stdout and stderr captured, sampling its tree meanwhile.
pub fn run(mut command: Command) -> Result<Measured> {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {command:?}"))?;
    let root = child.id();
    let stdout = drain(child.stdout.take().context("piped stdout")?);
    let stderr = drain(child.stderr.take().context("piped stderr")?);
    let (mut peak_rss, mut peak_pss, mut peak_processes) = (0, 0, 0);
    let status = loop {
        let tree = e2e::procfs::descendants(root);
        let (rss, pss) = tree.iter().fold((0, 0), |(r, p), pid| {
            let (pr, pp) = memory_kib(*pid);
            (r + pr, p + pp)
        });
        peak_rss = peak_rss.max(rss);
        peak_pss = peak_pss.max(pss);
        peak_processes = peak_processes.max(tree.len());
        if let Some(status) = child.try_wait().context("waiting for the command")? {
            break status;
        }
        std::thread::sleep(SAMPLE_EVERY);
    };
    let wall = started.elapsed();
    Ok(Measured {
        status,
        wall,
        peak_rss_kib: peak_rss,
        peak_pss_kib: peak_pss,
        peak_processes,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Reads a pipe to its end on a thread (so a full pipe never blocks the command).
fn drain(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// (RSS, PSS) of one process in KiB; zeros for a process that is gone or a kernel thread.
fn memory_kib(pid: u32) -> (u64, u64) {
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| kib_field(&s, "VmRSS:"))
        .unwrap_or(0);
    let pss = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|s| kib_field(&s, "Pss:"))
        .unwrap_or(0);
    (rss, pss)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_tree_with_a_child() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 0.3 & wait; echo done"]);
        let m = run(cmd).unwrap();
        assert!(m.status.success());
        assert_eq!(m.stdout.trim(), "done");
        assert!(m.peak_processes >= 2, "{m:?}");
        assert!(m.peak_rss_kib > 0 && m.wall >= Duration::from_millis(300));
    }
}
