//! A client we did not write against the emulator: Apache libcloud's dimensiondata driver
//! (3.9.1 from the Python package index, in a fresh venv) runs `tests/libcloud/dimensiondata_lifecycle.py`
//! over plain http on loopback. libcloud speaks XML, so this drives the emulator's XML path end
//! to end: list locations and images; create a network domain, VLAN, server, public IP block, NAT
//! and firewall rules, waiting for each; destroy them all. Afterwards the emulator's inventory
//! must be empty and its request log must show every operation answered.
//!
//! The emulator is started here by a small helper of this file (the binary built by
//! `cargo build --workspace --bins`, `--time-scale 0.01` so the script really polls PENDING
//! states).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use serde_json::Value;

/// The libcloud release the script is written for.
const LIBCLOUD: &str = "apache-libcloud==3.9.1";
/// The emulator's default account and its organisation.
const USER: &str = "demo";
const PASSWORD: &str = "demo";
const ORG: &str = "8a8f6abc-2745-4d8a-9cbc-8dabe5a7d0e4";

/// A running emulator binary, killed on drop.
struct Emulator {
    child: Child,
    base_url: String,
}

impl Emulator {
    fn start() -> Result<Self> {
        let mut child = Command::new(e2e::binary("cloudcontrol-emulator")?)
            .args(["--listen", "127.0.0.1:0", "--time-scale", "0.01"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting cloudcontrol-emulator")?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("emulator stdout")?)
            .read_line(&mut line)
            .context("reading the emulator's base URL")?;
        Ok(Self {
            child,
            base_url: line.trim().trim_end_matches('/').to_string(),
        })
    }

    fn host_port(&self) -> Result<(String, String)> {
        let addr = self
            .base_url
            .strip_prefix("http://")
            .context("the emulator URL is not http")?;
        let (host, port) = addr.rsplit_once(':').context("no port in the URL")?;
        Ok((host.to_string(), port.to_string()))
    }

    /// GET of an emulator-only JSON endpoint with the demo account.
    fn admin(&self, path: &str) -> Result<Value> {
        // The workspace's reqwest brings no crypto provider (plain http here, but the client
        // builder wants one).
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let r = reqwest::blocking::Client::new()
            .get(format!("{}{path}", self.base_url))
            .basic_auth(USER, Some(PASSWORD))
            .send()
            .with_context(|| format!("GET {path}"))?;
        ensure!(r.status().is_success(), "GET {path}: {}", r.status());
        Ok(r.json()?)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command to completion, failing with its output when it fails.
fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let out = cmd.output().with_context(|| format!("running {what}"))?;
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

/// A venv with libcloud installed; returns its Python.
fn libcloud_venv(dir: &Path) -> Result<PathBuf> {
    let venv = dir.join("venv");
    run(
        Command::new("python3").arg("-m").arg("venv").arg(&venv),
        "python3 -m venv (Debian: apt-get install python3-venv)",
    )?;
    let python = venv.join("bin/python");
    run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .arg(LIBCLOUD),
        &format!("pip install {LIBCLOUD}"),
    )?;
    Ok(python)
}

#[test]
fn libcloud_builds_and_destroys_a_network_with_a_server() -> Result<()> {
    let started = Instant::now();
    let dir = tempfile::tempdir()?;
    let python = libcloud_venv(dir.path())?;
    let installed = started.elapsed();

    let emu = Emulator::start()?;
    let (host, port) = emu.host_port()?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("libcloud/dimensiondata_lifecycle.py");
    let run_started = Instant::now();
    let mut child = Command::new(&python)
        .arg(&script)
        .args([&host, &port])
        .env("LIBCLOUD_USER", USER)
        .env("LIBCLOUD_PASSWORD", PASSWORD)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting the libcloud script")?;
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            bail!("the libcloud script ran for more than 300 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .context("stdout")?
        .read_to_string(&mut stdout)?;
    child
        .stderr
        .take()
        .context("stderr")?
        .read_to_string(&mut stderr)?;
    print!("{stdout}");
    ensure!(
        status.success(),
        "the libcloud script failed ({status}):\n{stdout}\n{stderr}"
    );
    let steps: Vec<&str> = stdout.lines().filter(|l| l.starts_with("STEP ")).collect();
    ensure!(steps.len() == 11, "expected 11 steps, got:\n{stdout}");

    // Nothing is left.
    let inventory = emu.admin(&format!("/_emulator/inventory/{ORG}"))?;
    ensure!(
        inventory["totalAssets"] == 0,
        "assets left after libcloud destroyed everything: {inventory}"
    );
    // Every operation went through (libcloud sent XML) and was answered without error; the only
    // 400s are the RESOURCE_NOT_FOUND answers that end the waits for deletions.
    let log = emu.admin("/_emulator/requests")?;
    let requests = log["request"].as_array().context("request log")?;
    for op in [
        "deployNetworkDomain",
        "deployVlan",
        "deployServer",
        "addPublicIpBlock",
        "createNatRule",
        "createFirewallRule",
        "deleteFirewallRule",
        "deleteNatRule",
        "removePublicIpBlock",
        "powerOffServer",
        "deleteServer",
        "deleteVlan",
        "deleteNetworkDomain",
    ] {
        let answered = requests.iter().any(|r| {
            r["method"] == "POST"
                && r["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with(&format!("/{op}")))
                && r["status"] == 200
        });
        ensure!(
            answered,
            "no successful POST {op} in the request log: {log}"
        );
    }
    for r in requests {
        let ok =
            r["status"] == 200 || (r["status"] == 400 && r["responseCode"] == "RESOURCE_NOT_FOUND");
        ensure!(ok, "unexpected answer: {r}");
        ensure!(
            r["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("/caas/2.4/") || p == "/oec/0.9/myaccount"),
            "libcloud left its API version: {r}"
        );
    }
    println!(
        "MEASURED libcloud {LIBCLOUD}: venv + install {:.1} s, lifecycle {:.1} s, {} API requests",
        installed.as_secs_f64(),
        run_started.elapsed().as_secs_f64(),
        requests.len()
    );
    Ok(())
}
