//! The Mesos and Marathon STAND-INS for end-to-end tests: their binaries next to the test
//! binary, their Debian packages for the test nodes, and plain HTTP from the client namespace
//! `mz-ctl` to the daemons on the nodes.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context as _, Result};
use serde_json::Value;

use crate::nodes::TestNodes;

/// A stand-in binary of this build (`target/<profile>/<name>`).
pub fn binary(name: &str) -> Result<PathBuf> {
    crate::binary(name)
}

/// Builds the stand-in packages `mesos` and `marathon` into `out` from the current binaries
/// (`tests/standins/packaging/build-debs`).
pub fn build_debs(out: &Path) -> Result<()> {
    let bin_dir = binary("mesos-master-standin")?
        .parent()
        .map(Path::to_path_buf)
        .context("binary directory")?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("standins/packaging/build-debs");
    let output = Command::new(&script)
        .arg(out)
        .arg(&bin_dir)
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !output.status.success() {
        bail!(
            "{} failed: {}{}",
            script.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// `METHOD url` with curl from `mz-ctl` (JSON body when given): the status (0 when nothing
/// answered) and the body.
pub fn request(nodes: &TestNodes, method: &str, url: &str, body: Option<&str>) -> (u16, String) {
    let mut cmd = nodes.ctl_command("curl");
    cmd.args([
        "-sS",
        "--max-time",
        "5",
        "-X",
        method,
        "-w",
        "\n%{http_code}",
    ]);
    if let Some(b) = body {
        cmd.args(["-H", "Content-Type: application/json", "--data-binary", b]);
    }
    let out = cmd.arg(url).output().expect("running curl in mz-ctl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}

/// `GET url` as JSON, or `None` when nothing answered with 200 and JSON.
pub fn get_json(nodes: &TestNodes, url: &str) -> Option<Value> {
    let (status, body) = request(nodes, "GET", url, None);
    (status == 200)
        .then(|| serde_json::from_str(&body).ok())
        .flatten()
}

/// The `Location` of a redirect at `url` (empty when there is none).
pub fn redirect(nodes: &TestNodes, url: &str) -> String {
    let out = nodes
        .ctl_command("curl")
        .args([
            "-sS",
            "--max-time",
            "5",
            "-o",
            "/dev/null",
            "-w",
            "%{redirect_url}|%{header_json}",
            url,
        ])
        .output()
        .expect("running curl in mz-ctl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let headers = text.split_once('|').map(|(_, h)| h).unwrap_or("{}");
    serde_json::from_str::<Value>(headers)
        .ok()
        .and_then(|h| h["location"][0].as_str().map(str::to_owned))
        .unwrap_or_default()
}
