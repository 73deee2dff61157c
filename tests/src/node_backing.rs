//! A node-backed CloudControl for end-to-end tests: `tests/node-backing/cc-nodes up` (the
//! internet namespace with the public pool, the python:3 registry, the stand-in packages of the
//! current build), then `cloudcontrol-emulator --node-backing` inside that namespace. Every
//! server the API deploys is a real Debian node behind a router namespace with NAT and nftables.
//!
//! [`acquire`] returns `None` (after printing why) on machines that cannot run nodes, except with
//! `CI` set, where it panics. Dropping the cloud stops the emulator and removes everything
//! (`cc-nodes down`).

use std::io::{BufRead, BufReader, Write as _};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use anyhow::{bail, Context as _, Result};
use serde_json::Value;

/// The emulator's default account.
const DEMO: &str = "demo:demo";
/// The emulator's default organisation.
pub const DEMO_ORG_ID: &str = "8a8f6abc-2745-4d8a-9cbc-8dabe5a7d0e4";

/// A running node-backed emulator and its test network.
#[derive(Debug)]
pub struct NodeBackedCloud {
    script: PathBuf,
    emulator: Child,
    /// The emulator's base URL (loopback inside the internet namespace).
    pub base_url: String,
    /// The network namespace of "the internet": clients, Terraform and the provisioner run there.
    pub internet_ns: String,
    /// The internet namespace's own address.
    pub internet_address: String,
    /// The public IPv4 pool, e.g. `100.96.0.0/16`.
    pub pool: String,
    /// The registry serving `python:3`, e.g. `http://100.96.0.1:5000`.
    pub registry: String,
}

/// The node-backed cloud, started afresh; `None` when this machine cannot run nodes and `CI` is
/// unset. Panics when it should run but does not come up.
pub fn acquire(time_scale: &str) -> Option<NodeBackedCloud> {
    if let Some(reason) = crate::nodes::unavailable_reason() {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!(
                "node backing cannot run on this machine, but CI must run these tests: {reason}"
            );
        }
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: node backing unavailable here ({reason}); run as root on Linux to run this test"
        );
        return None;
    }
    Some(NodeBackedCloud::start(time_scale).unwrap_or_else(|e| panic!("{e:#}")))
}

impl NodeBackedCloud {
    fn start(time_scale: &str) -> Result<NodeBackedCloud> {
        let root = crate::terraform::workspace_root();
        let script = root.join("tests/node-backing/cc-nodes");
        let debs = root.join("target/standin-debs");
        crate::nodes::ensure_standin_debs(&debs)?;
        // a cloud left by an earlier run that was cut short goes first
        run(Command::new(&script).arg("down"))?;
        run(Command::new(&script)
            .arg("up")
            .env("CC_NODES_STANDIN_DEBS", &debs))?;
        let env = String::from_utf8(run(Command::new(&script).arg("env"))?.stdout)?;
        let var = |key: &str| -> Result<String> {
            env.lines()
                .find_map(|l| l.strip_prefix(&format!("{key}=")))
                .map(str::to_owned)
                .with_context(|| format!("cc-nodes env told no {key}:\n{env}"))
        };
        let internet_ns = var("INTERNET_NS")?;
        let pool = var("POOL")?;
        let log = root.join("target/node-backing-emulator.log");
        let mut emulator = Command::new("nsenter")
            .arg(format!("--net=/run/netns/{internet_ns}"))
            .arg(crate::binary("cloudcontrol-emulator")?)
            .args(["--listen", "127.0.0.1:0", "--time-scale", time_scale])
            .args(["--public-ipv4-pool", &pool, "--node-backing"])
            .arg(&script)
            .stdout(Stdio::piped())
            .stderr(
                std::fs::File::create(&log)
                    .with_context(|| format!("creating {}", log.display()))?,
            )
            .spawn()
            .context("starting cloudcontrol-emulator --node-backing")?;
        let mut line = String::new();
        BufReader::new(emulator.stdout.take().context("emulator stdout")?)
            .read_line(&mut line)
            .context("reading the emulator's base URL")?;
        if line.trim().is_empty() {
            let _ = emulator.wait();
            bail!(
                "the node-backed emulator did not start: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        Ok(NodeBackedCloud {
            script,
            emulator,
            base_url: line.trim().to_owned(),
            internet_ns,
            internet_address: var("INTERNET_ADDRESS")?,
            pool,
            registry: var("REGISTRY")?,
        })
    }

    /// A command that runs `program` in the internet namespace (network only: `nsenter --net`).
    pub fn in_internet(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("nsenter");
        c.arg(format!("--net=/run/netns/{}", self.internet_ns))
            .arg(program);
        c
    }

    /// The `nsenter` prefix of [`NodeBackedCloud::in_internet`], for [`crate::terraform::Workspace::set_wrapper`].
    pub fn internet_wrapper(&self) -> Vec<String> {
        vec![
            "nsenter".into(),
            format!("--net=/run/netns/{}", self.internet_ns),
        ]
    }

    /// GET an emulator-only endpoint (`/_emulator/...`) as JSON, through curl in the namespace.
    pub fn admin_get(&self, path: &str) -> Result<Value> {
        let out = self
            .in_internet("curl")
            .args(["-fsS", "-u", DEMO])
            .arg(format!("{}{path}", self.base_url))
            .output()
            .context("running curl")?;
        if !out.status.success() {
            bail!("GET {path}: {}", String::from_utf8_lossy(&out.stderr));
        }
        serde_json::from_slice(&out.stdout).with_context(|| format!("GET {path}: not JSON"))
    }

    /// One HTTP GET of `url` from the internet namespace, given up after `max_secs`: the
    /// answer's body (trimmed), or curl's exit code (28: no answer in time, as when a firewall
    /// drops the connection; 52: an empty reply).
    pub fn fetch(&self, url: &str, max_secs: u32) -> Result<std::result::Result<String, i32>> {
        let out = self
            .in_internet("curl")
            .args(["-sS", "--max-time", &max_secs.to_string(), url])
            .output()
            .context("running curl")?;
        Ok(match out.status.code() {
            Some(0) => Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned()),
            code => Err(code.unwrap_or(-1)),
        })
    }

    /// A CaaS 2.10 call of the demo organisation (`server/server/ID`, `network/deployVlan`, ...)
    /// through curl in the namespace: GET without a body, POST with one. The body goes on
    /// curl's stdin (it may hold an administrator password). Returns the answer whatever its
    /// HTTP status: the API's refusals are answers too.
    pub fn api(&self, path: &str, body: Option<&Value>) -> Result<Value> {
        let mut curl = self.in_internet("curl");
        curl.args(["-sS", "-u", DEMO, "-H", "Accept: application/json"]);
        if body.is_some() {
            curl.args([
                "-H",
                "Content-Type: application/json",
                "--data-binary",
                "@-",
            ]);
        }
        let mut child = curl
            .arg(format!("{}/caas/2.10/{DEMO_ORG_ID}/{path}", self.base_url))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("running curl")?;
        let mut stdin = child.stdin.take().context("curl stdin")?;
        if let Some(body) = body {
            stdin.write_all(body.to_string().as_bytes())?;
        }
        drop(stdin);
        let out = child.wait_with_output().context("waiting for curl")?;
        if !out.status.success() {
            bail!("{path}: {}", String::from_utf8_lossy(&out.stderr));
        }
        serde_json::from_slice(&out.stdout)
            .with_context(|| format!("{path}: not JSON: {}", String::from_utf8_lossy(&out.stdout)))
    }

    /// A CaaS write that must be accepted (`OK` or `IN_PROGRESS`); returns its first `info`
    /// value (a new asset's id), or an empty string.
    pub fn api_ok(&self, path: &str, body: &Value) -> Result<String> {
        let answer = self.api(path, Some(body))?;
        let code = answer["responseCode"].as_str().unwrap_or_default();
        if code != "OK" && code != "IN_PROGRESS" {
            bail!("{path} refused: {answer}");
        }
        Ok(answer["info"][0]["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Polls `path` (an asset's GET) until its `state` is `state`, for up to `within`.
    pub fn api_wait(&self, path: &str, state: &str, within: std::time::Duration) -> Result<Value> {
        let started = std::time::Instant::now();
        loop {
            let asset = self.api(path, None)?;
            if asset["state"] == state {
                return Ok(asset);
            }
            // a failed operation does not recover by waiting
            if asset["state"]
                .as_str()
                .is_some_and(|s| s.starts_with("FAILED"))
            {
                bail!("{path} is {} instead of {state}: {asset}", asset["state"]);
            }
            if started.elapsed() > within {
                bail!("{path} not {state} after {within:?}: {asset}");
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
    }

    /// Everything the demo organisation owns.
    pub fn inventory(&self) -> Result<Value> {
        self.admin_get(&format!("/_emulator/inventory/{DEMO_ORG_ID}"))
    }

    /// The node backing's event records.
    pub fn backing_events(&self) -> Result<Vec<Value>> {
        Ok(self.admin_get("/_emulator/backing")?["event"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    /// `cc-nodes status`: one line per node (server name, id, address, running or stopped).
    pub fn status(&self) -> Result<String> {
        Ok(String::from_utf8(
            run(Command::new(&self.script).arg("status"))?.stdout,
        )?)
    }

    /// Runs `args` as root inside the node of the server named `server` (no SSH).
    pub fn exec(&self, server: &str, args: &[&str]) -> Output {
        Command::new(&self.script)
            .args(["exec", server])
            .args(args)
            .output()
            .expect("running cc-nodes exec")
    }
}

impl Drop for NodeBackedCloud {
    fn drop(&mut self) {
        let _ = self.emulator.kill();
        let _ = self.emulator.wait();
        if let Err(e) = run(Command::new(&self.script).arg("down")) {
            let _ = writeln!(std::io::stderr(), "cc-nodes down failed: {e:#}");
        }
    }
}

/// Runs a command, its output passed on to stderr; fails unless it exits 0.
fn run(command: &mut Command) -> Result<Output> {
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
    let _ = std::io::stderr().write_all(&out.stderr);
    Ok(out)
}
