//! A small launcher for the emulator binary and a blocking client for its API and its
//! emulator-only endpoints. (The end-to-end tests have their own launcher; this one starts the
//! release build next to the bench binary and can keep an operations log.)

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The demo account's organisation id (the emulator's default account).
pub const DEMO_ORG: &str = "8a8f6abc-2745-4d8a-9cbc-8dabe5a7d0e4";

/// A running `cloudcontrol-emulator`, killed on drop.
pub struct Emulator {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    client: reqwest::blocking::Client,
}

impl Emulator {
    /// Starts `binary` on a free loopback port with `flags` and reads its base URL.
    pub fn start(binary: &Path, flags: &[&str]) -> Result<Self> {
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0"])
            .args(flags)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("emulator stdout")?)
            .read_line(&mut line)
            .context("reading the emulator's base URL")?;
        let base_url = line.trim().trim_end_matches('/').to_owned();
        if !base_url.starts_with("http://") {
            let _ = child.kill();
            bail!("the emulator did not print its URL (got {line:?})");
        }
        Ok(Emulator {
            child,
            base_url,
            client: reqwest::blocking::Client::new(),
        })
    }

    /// `GET path` (absolute, e.g. `/_emulator/requests`) as the demo account, parsed.
    pub fn get(&self, path: &str) -> Result<Value> {
        let response = self
            .client
            .get(format!("{}{path}", self.base_url))
            .basic_auth("demo", Some("demo"))
            .send()
            .with_context(|| format!("GET {path}"))?;
        response.json().with_context(|| format!("GET {path}: body"))
    }

    /// `POST /caas/2.9/{org}/{area_op}` as the demo account; fails unless the API answers 200.
    pub fn action(&self, area_op: &str, body: &Value) -> Result<Value> {
        let response = self
            .client
            .post(format!("{}{}", self.base_url, caas(area_op)))
            .basic_auth("demo", Some("demo"))
            .json(body)
            .send()
            .with_context(|| format!("POST {area_op}"))?;
        let status = response.status();
        let reply: Value = response
            .json()
            .with_context(|| format!("{area_op}: body"))?;
        if !status.is_success() {
            bail!("{area_op} answered {status}: {reply}");
        }
        Ok(reply)
    }

    /// The request log entries after `since`.
    pub fn requests_since(&self, since: u64) -> Result<Vec<Value>> {
        let log = self.get(&format!("/_emulator/requests?since={since}"))?;
        Ok(log["request"].as_array().cloned().unwrap_or_default())
    }

    /// The highest request sequence number so far.
    pub fn last_seq(&self) -> Result<u64> {
        Ok(self
            .requests_since(0)?
            .iter()
            .filter_map(|r| r["seq"].as_u64())
            .max()
            .unwrap_or(0))
    }

    /// How many assets the demo organisation owns (default firewall rules excluded).
    pub fn total_assets(&self) -> Result<u64> {
        let inventory = self.get(&format!("/_emulator/inventory/{DEMO_ORG}"))?;
        inventory["totalAssets"]
            .as_u64()
            .context("the inventory has no totalAssets")
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The API path of an operation or collection of the demo organisation.
pub fn caas(area_op: &str) -> String {
    format!("/caas/2.9/{DEMO_ORG}/{area_op}")
}

/// `target/release/NAME`, next to this bench binary (`scripts/bench` builds them together).
pub fn sibling_binary(name: &str) -> Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the bench binary")?;
    let dir = exe.parent().context("the bench binary has no directory")?;
    let path = dir.join(name);
    if !path.is_file() {
        bail!(
            "{} is missing: `scripts/bench` builds it (cargo build --release -p {})",
            path.display(),
            match name {
                "terraform-provider-cloudcontrol" => "terraform-provider-cloudcontrol",
                "cloudcontrol-emulator" => "cloudcontrol-emulator",
                "mesos-provisioner" => "mesos-provisioner",
                other => other,
            }
        );
    }
    Ok(path)
}
