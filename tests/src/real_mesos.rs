//! A REAL Apache Mesos 1.11.0 master with agents, for tests that hold what reads Mesos (the
//! provisioner's health reader, the stand-ins' responses) to the real thing.
//!
//! `tests/real-mesos/install` assembles it in a cache directory from the Python package index's
//! binary build of `mesos.scheduler` 1.11.0, whose extension links all of libmesos; there the
//! scheduler driver's "local" master runs a real master and N real agents in one Python 2.7
//! process (`tests/real-mesos/run`). It serves the real HTTP API on a loopback port, but only
//! under `/master/...` (local mode has no `/state`, `/health` or `/api/v1` aliases), and it cannot
//! run tasks (the build lacks the executor programs) nor form a ZooKeeper-elected HA cluster.
//!
//! Tests call [`RealMesos::start`]; it returns `Ok(None)` (after printing why) on machines that
//! cannot run it (not Linux x86_64, no pyenv Python 2.7.18, a missing host library), except when
//! the environment variable `CI` is set: there it panics, because CI must run these tests.

use std::fs::File;
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _, Result};
use serde_json::Value;
use tempfile::TempDir;

/// The resources every agent reports (`--resources`); Mesos adds `ports:[31000-32000]` itself.
pub const AGENT_RESOURCES: &str = "cpus:2;mem:1024;disk:1024";

/// How long the master may take to be elected and see every agent. It takes about 2 s here; the
/// bound is for a loaded machine, and only a failure waits that long.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// `install` exits with this when the machine cannot run real Mesos (its reason on stderr).
const INSTALL_UNSUPPORTED: i32 = 3;
/// Another process may take the free port we picked before Mesos binds it: try a few ports.
const PORT_ATTEMPTS: usize = 3;

/// A running real Mesos master with its agents. Dropping it stops the process (and anything it
/// started in its process group) and removes its work directory.
#[derive(Debug)]
pub struct RealMesos {
    child: Child,
    addr: SocketAddr,
    agents: usize,
    log: PathBuf,
    http: reqwest::blocking::Client,
    // The work directory and log; fields drop after `Drop::drop` has ended the process.
    dir: TempDir,
}

impl RealMesos {
    /// Installs real Mesos (cached after the first time), starts a master with `agents` agents on
    /// a free loopback port and waits until the master is elected and every agent is active.
    /// `Ok(None)` when this machine cannot run it and `CI` is unset; an error when it should run
    /// but does not come up (with the tail of its log).
    pub fn start(agents: usize) -> Result<Option<RealMesos>> {
        if !(1..=16).contains(&agents) {
            bail!("agents must be from 1 to 16, got {agents}");
        }
        let install_started = Instant::now();
        let Some(install_dir) = install()? else {
            return Ok(None);
        };
        let install_time = install_started.elapsed();

        let started = Instant::now();
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            match Self::launch(agents) {
                Ok(mesos) => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "real Mesos 1.11.0: master and {agents} agent(s) active at {} in {:.1} s \
                         (install {:.2} s, at {})",
                        mesos.url(),
                        started.elapsed().as_secs_f64(),
                        install_time.as_secs_f64(),
                        install_dir.display()
                    );
                    return Ok(Some(mesos));
                }
                Err(Launch::PortTaken(e)) => last_error = Some(e),
                Err(Launch::Failed(e)) => return Err(e),
            }
        }
        Err(last_error.expect("at least one attempt").context(format!(
            "real Mesos could not bind a free loopback port in {PORT_ATTEMPTS} attempts"
        )))
    }

    fn launch(agents: usize) -> std::result::Result<RealMesos, Launch> {
        let dir = tempfile::Builder::new()
            .prefix("real-mesos-")
            .tempdir()
            .context("creating a work directory for real Mesos")?;
        let addr = free_loopback_port()?;
        let http = http_client()?;
        let log = dir.path().join("mesos.log");
        let out = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone().context("duplicating the log file handle")?;
        let child = Command::new(script("run"))
            .arg("--agents")
            .arg(agents.to_string())
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--resources")
            .arg(AGENT_RESOURCES)
            .arg("--work-dir")
            .arg(dir.path().join("work"))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            // Its own process group, so Drop can stop it and anything it starts in one signal.
            .process_group(0)
            .spawn()
            .context("starting tests/real-mesos/run")?;
        let mut mesos = RealMesos {
            child,
            addr,
            agents,
            log,
            http,
            dir,
        };
        match mesos.wait_ready() {
            Ok(()) => Ok(mesos),
            Err(e) => {
                let tail = mesos.log_tail(40);
                let e = e.context(format!(
                    "real Mesos on {addr} did not come up; the last lines of its log:\n{tail}"
                ));
                if tail.contains("Address already in use") {
                    Err(Launch::PortTaken(e))
                } else {
                    Err(Launch::Failed(e))
                }
            }
        }
    }

    /// Polls `/master/state` until this master leads and all agents are registered and active.
    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut last = String::from("no answer yet");
        loop {
            if let Some(status) = self
                .child
                .try_wait()
                .context("checking the Mesos process")?
            {
                bail!("the Mesos process exited ({status}) before it was ready ({last})");
            }
            match self.state() {
                Ok(state) => match readiness(&state, self.agents) {
                    Ok(()) => return Ok(()),
                    Err(why) => last = why,
                },
                Err(e) => last = format!("{e:#}"),
            }
            if Instant::now() >= deadline {
                bail!("not ready after {} s: {last}", READY_TIMEOUT.as_secs_f64());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn state(&self) -> Result<Value> {
        let response = self.get("/master/state")?;
        let status = response.status();
        if !status.is_success() {
            bail!("/master/state answered {status}");
        }
        response.json().context("/master/state is not JSON")
    }

    /// `http://IP:PORT` of the master (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The loopback address and port the master (and its agents) listen on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many agents were started.
    pub fn agents(&self) -> usize {
        self.agents
    }

    /// A GET of `path` (such as `/master/state`) on the master: no redirects followed, no proxy.
    pub fn get(&self, path: &str) -> Result<reqwest::blocking::Response> {
        let url = format!("{}{path}", self.url());
        self.http
            .get(&url)
            .send()
            .with_context(|| format!("GET {url}"))
    }

    /// The process ID of the Python process holding the master and agents.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The process's resident memory in bytes (`VmRSS`), for reports.
    pub fn rss_bytes(&self) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .context("reading the Mesos process's status")?;
        let kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| anyhow!("no VmRSS line in /proc/{}/status", self.pid()))?;
        Ok(kib * 1024)
    }

    /// The directory holding the master's and agents' work directories (`work/`) and the log;
    /// removed on drop.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The master's and agents' log (glog) and the probe framework's lines.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The last `lines` lines of the log.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for RealMesos {
    fn drop(&mut self) {
        let group = self.child.id() as libc::pid_t;
        // SIGTERM first (the probe exits at once), SIGKILL for whatever is left of the group.
        // SAFETY: kill(2) with a negative pid signals a process group; it touches no memory.
        unsafe { libc::kill(-group, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // SAFETY: as above.
        unsafe { libc::kill(-group, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

/// Why one launch failed: a port race (worth another port) or anything else (not worth it).
enum Launch {
    PortTaken(anyhow::Error),
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for Launch {
    fn from(e: anyhow::Error) -> Self {
        Launch::Failed(e)
    }
}

/// Whether `/master/state` shows this master elected with `agents` active agents; why not if not.
fn readiness(state: &Value, agents: usize) -> std::result::Result<(), String> {
    let pid = state["pid"].as_str().unwrap_or_default();
    let leader = state["leader"].as_str().unwrap_or_default();
    if pid.is_empty() || leader != pid {
        return Err(format!(
            "master {pid:?} is not the leader (leader: {leader:?})"
        ));
    }
    let slaves = state["slaves"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let active = slaves
        .iter()
        .filter(|s| s["active"].as_bool() == Some(true))
        .count();
    let activated = state["activated_slaves"].as_f64().unwrap_or_default();
    if active != agents || activated != agents as f64 {
        return Err(format!(
            "{active} of {agents} agents active ({activated} activated)"
        ));
    }
    Ok(())
}

/// Runs `tests/real-mesos/install`: the install directory, or `None` when this machine cannot
/// run real Mesos and `CI` is unset.
fn install() -> Result<Option<PathBuf>> {
    let unsupported = if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        Some("the PyPI build of Mesos 1.11.0 is for Linux x86_64 only".to_owned())
    } else {
        let out = Command::new(script("install"))
            .stdin(Stdio::null())
            .output()
            .context("running tests/real-mesos/install")?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => {
                // Written to the real stderr, not the test harness's capture: install timings.
                let _ = std::io::stderr().write_all(stderr.as_bytes());
                let dir = String::from_utf8_lossy(&out.stdout);
                let dir = dir.lines().last().unwrap_or_default().trim();
                return Ok(Some(PathBuf::from(dir)));
            }
            Some(INSTALL_UNSUPPORTED) => {
                let reason = stderr.trim();
                let reason = reason.rsplit("cannot run real Mesos here: ").next();
                Some(reason.unwrap_or_default().to_owned())
            }
            _ => bail!(
                "tests/real-mesos/install failed ({}):\n{stderr}",
                out.status
            ),
        }
    };
    let reason = unsupported.expect("set on every path that gets here");
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!("real Mesos cannot run on this machine, but CI must run these tests: {reason}");
    }
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: real Mesos cannot run on this machine ({reason})"
    );
    Ok(None)
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("real-mesos")
        .join(name)
}

/// A loopback port nobody listens on right now (Mesos binds it a moment later; see
/// [`PORT_ATTEMPTS`] for the race).
fn free_loopback_port() -> Result<SocketAddr> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("looking for a free loopback port")?;
    listener.local_addr().context("reading the free port")
}

fn http_client() -> Result<reqwest::blocking::Client> {
    // The workspace's reqwest carries no crypto provider and builds its TLS setup even for plain
    // HTTP; the provider may already be installed by another test in this binary.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::blocking::Client::builder()
        // The tests look at redirects themselves (/master/redirect), and loopback must never go
        // through a proxy from the environment.
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .context("building the HTTP client")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn readiness_needs_leadership_and_every_agent_active() {
        let state = |leader: &str, active: &[bool]| {
            json!({
                "pid": "master@127.0.0.1:5050",
                "leader": leader,
                "activated_slaves": active.iter().filter(|a| **a).count() as f64,
                "slaves": active.iter().map(|a| json!({"active": a})).collect::<Vec<_>>(),
            })
        };
        assert_eq!(
            readiness(&state("master@127.0.0.1:5050", &[true, true]), 2),
            Ok(())
        );
        assert!(readiness(&state("", &[true, true]), 2)
            .unwrap_err()
            .contains("not the leader"));
        assert!(
            readiness(&state("master@127.0.0.1:5050", &[true, false]), 2)
                .unwrap_err()
                .contains("1 of 2 agents active")
        );
        assert!(readiness(&state("master@127.0.0.1:5050", &[true]), 2).is_err());
        assert!(readiness(&json!({}), 1).is_err());
    }
}
