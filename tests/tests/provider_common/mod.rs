//! Shared pieces of the `provider_*` end-to-end tests: the built provider and emulator
//! binaries, a running emulator with a tiny loopback HTTP client for its API and its
//! test-only endpoints (request log, inventory), and a Terraform workspace wired to both.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use anyhow::{bail, ensure, Context, Result};
use e2e::terraform::{PlanOutcome, ProviderPackage, TfOutput, Workspace};
use serde_json::Value;

/// `demo:demo`, the emulator's default account, as a Basic credential.
const DEMO_AUTH: &str = "ZGVtbzpkZW1v";

/// `target/<profile>/<name>`, built by `cargo build --workspace --bins` before the tests.
pub fn binary(name: &str) -> Result<PathBuf> {
    e2e::binary(name)
}

/// A running `cloudcontrol-emulator --time-scale 0`, killed on drop.
pub struct Emulator {
    child: Child,
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub base_url: String,
    addr: String,
}

impl Emulator {
    /// Starts the emulator on a free loopback port; asynchronous operations finish at once.
    pub fn start() -> Result<Self> {
        Self::start_scaled("0")
    }

    /// Starts the emulator with `--time-scale time_scale` (e.g. `"0.01"`: a server deploy takes
    /// 4.2 s), so concurrent operations overlap as they do against the real API.
    pub fn start_scaled(time_scale: &str) -> Result<Self> {
        Self::start_with(&["--time-scale", time_scale])
    }

    /// Starts the emulator with extra flags (e.g. `--faults busy=0.1,seed=7`).
    pub fn start_with(flags: &[&str]) -> Result<Self> {
        let mut child = Command::new(binary("cloudcontrol-emulator")?)
            .args(["--listen", "127.0.0.1:0"])
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting cloudcontrol-emulator")?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("emulator stdout")?)
            .read_line(&mut line)
            .context("reading the emulator's base URL")?;
        let base_url = line.trim().trim_end_matches('/').to_owned();
        let addr = base_url
            .strip_prefix("http://")
            .context("the emulator URL is not http")?
            .to_owned();
        Ok(Self {
            child,
            base_url,
            addr,
        })
    }

    /// One HTTP/1.1 request with the demo account; returns status and parsed JSON body.
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value)> {
        let mut stream = TcpStream::connect(&self.addr).context("connecting to the emulator")?;
        let payload = body.map(Value::to_string).unwrap_or_default();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Basic {DEMO_AUTH}\r\nAccept: application/json\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
            self.addr,
            payload.len()
        )?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, rest) = text
            .split_once("\r\n\r\n")
            .context("malformed HTTP response")?;
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .context("no HTTP status")?;
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(rest)
        } else {
            rest.to_owned()
        };
        let json = serde_json::from_str(&body).unwrap_or(Value::Null);
        Ok((status, json))
    }

    /// The demo account's organisation id.
    pub fn org_id(&self) -> Result<String> {
        let (_, me) = self.request("GET", "/caas/2.10/user/myUser", None)?;
        me["organization"]["id"]
            .as_str()
            .map(str::to_owned)
            .context("myUser has no organization id")
    }

    /// An API action as another client would make it (e.g. deleting behind Terraform's back).
    pub fn action(&self, area_op: &str, body: Value) -> Result<Value> {
        let path = format!("/caas/2.10/{}/{area_op}", self.org_id()?);
        let (status, reply) = self.request("POST", &path, Some(&body))?;
        if status != 200 {
            bail!("{area_op} failed with {status}: {reply}");
        }
        Ok(reply)
    }

    /// Everything the demo organisation owns.
    pub fn inventory(&self) -> Result<Value> {
        let path = format!("/_emulator/inventory/{}", self.org_id()?);
        Ok(self.request("GET", &path, None)?.1)
    }

    /// The highest request-log sequence number so far.
    pub fn last_seq(&self) -> Result<u64> {
        Ok(self
            .requests_since(0)?
            .iter()
            .filter_map(|r| r["seq"].as_u64())
            .max()
            .unwrap_or(0))
    }

    /// Logged requests with a sequence number above `seq`.
    pub fn requests_since(&self, seq: u64) -> Result<Vec<Value>> {
        let (_, log) = self.request("GET", &format!("/_emulator/requests?since={seq}"), None)?;
        Ok(log["request"].as_array().cloned().unwrap_or_default())
    }

    /// Logged POSTs (the API's only mutating method) after `seq`, as `METHOD path` lines.
    pub fn mutations_since(&self, seq: u64) -> Result<Vec<String>> {
        Ok(self
            .requests_since(seq)?
            .iter()
            .filter(|r| r["method"] == "POST" && r["seq"].as_u64().unwrap_or(0) > seq)
            .map(|r| format!("POST {}", r["path"].as_str().unwrap_or("?")))
            .collect())
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

/// An empty Terraform workspace with the built provider in its mirror, pointed at `emulator`
/// through the provider's environment fallbacks, and the provider's package.
fn emulator_workspace(emulator: &Emulator) -> Result<(Workspace, ProviderPackage)> {
    emulator_workspace_with(emulator, &[])
}

/// [`emulator_workspace`] with more providers in the mirror.
fn emulator_workspace_with(
    emulator: &Emulator,
    more: &[ProviderPackage],
) -> Result<(Workspace, ProviderPackage)> {
    let package = ProviderPackage::new(
        "cloudcontrol",
        "cloudcontrol",
        "0.1.0",
        binary("terraform-provider-cloudcontrol")?,
    );
    let mut providers = vec![package.clone()];
    providers.extend_from_slice(more);
    let mut ws = Workspace::with_providers(&providers)?;
    ws.set_env("CLOUDCONTROL_ENDPOINT", &emulator.base_url);
    ws.set_env("CLOUDCONTROL_USERNAME", "demo");
    ws.set_env("CLOUDCONTROL_PASSWORD", "demo");
    Ok((ws, package))
}

/// A Terraform workspace with the provider installed from a mirror and pointed at `emulator`
/// through the environment fallbacks, initialised once.
pub fn workspace(emulator: &Emulator, main_tf: &str) -> Result<Workspace> {
    let (ws, package) = emulator_workspace(emulator)?;
    ws.write_main_tf(&format!(
        "{}\n{main_tf}",
        package.required_providers_block()
    ))?;
    ws.init()?;
    Ok(ws)
}

/// A Terraform workspace holding a copy of the `*.tf` files of `example` (a folder under the
/// repository's `examples/`, which declares its own `required_providers`; the null provider is
/// in the mirror too), pointed at `emulator` through the environment fallbacks, initialised once.
pub fn example_workspace(emulator: &Emulator, example: &str) -> Result<Workspace> {
    let (ws, _) = emulator_workspace_with(emulator, &[ProviderPackage::null()?])?;
    let source = e2e::terraform::workspace_root()
        .join("examples")
        .join(example);
    let entries =
        std::fs::read_dir(&source).with_context(|| format!("reading {}", source.display()))?;
    let mut copied = 0;
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "tf") {
            let target = ws.work_dir().join(path.file_name().context("file name")?);
            std::fs::copy(&path, &target).with_context(|| format!("copying {}", path.display()))?;
            copied += 1;
        }
    }
    if copied == 0 {
        bail!("{} holds no .tf files", source.display());
    }
    ws.init()?;
    Ok(ws)
}

/// Replaces `main.tf` keeping the `required_providers` block.
pub fn rewrite(ws: &Workspace, main_tf: &str) -> Result<()> {
    let package = ProviderPackage::new("cloudcontrol", "cloudcontrol", "0.1.0", "unused");
    ws.write_main_tf(&format!(
        "{}\n{main_tf}",
        package.required_providers_block()
    ))
}

/// The `id` of a resource in state.
pub fn id_of(ws: &Workspace, address: &str) -> Result<String> {
    ws.resource_values(address)?
        .and_then(|v| v["id"].as_str().map(str::to_owned))
        .with_context(|| format!("{address} is not in state"))
}

/// Fails unless a plan of the current configuration proposes no change (`step` names what
/// came before, for the message).
pub fn ensure_no_changes(ws: &Workspace, step: &str) -> Result<()> {
    let (outcome, plan) = ws.plan(&[])?;
    ensure!(
        outcome == PlanOutcome::NoChanges,
        "re-plan after {step}: {plan}"
    );
    Ok(())
}

/// Plans and fails unless Terraform's summary line reads `summary`, e.g.
/// `"0 to add, 1 to change, 0 to destroy"`; returns the plan's output for further checks.
pub fn plan_expecting(ws: &Workspace, summary: &str) -> Result<TfOutput> {
    let (_, plan) = ws.plan(&[])?;
    ensure!(
        plan.stdout.contains(summary),
        "expected {summary:?}: {plan}"
    );
    Ok(plan)
}

/// HCL most server tests start from: the `rocky8` image lookup, the network domain `nd` named
/// `name` and its VLAN `v` (also `name`) on `vlan_base`/24, all in `datacenter`.
pub fn rocky8_domain_and_vlan(name: &str, datacenter: &str, vlan_base: &str) -> String {
    format!(
        r#"
data "cloudcontrol_image" "rocky8" {{
  name       = "Rocky Linux 8 64-bit 2 CPU"
  datacenter = "{datacenter}"
}}

resource "cloudcontrol_network_domain" "nd" {{
  name       = "{name}"
  datacenter = "{datacenter}"
}}

resource "cloudcontrol_vlan" "v" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "{name}"
  ipv4_base_address = "{vlan_base}"
  ipv4_prefix_size  = 24
}}
"#
    )
}
