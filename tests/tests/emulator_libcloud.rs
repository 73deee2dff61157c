//! A client we did not write against the emulator: Apache libcloud's dimensiondata driver
//! (3.9.1 from the Python package index, in a fresh venv) runs `tests/libcloud/dimensiondata_lifecycle.py`
//! over plain http on loopback. libcloud speaks XML, so this drives the emulator's XML path end
//! to end: list locations and images; create a network domain, VLAN, server, public IP block, NAT
//! and firewall rules, waiting for each; destroy them all. Afterwards the emulator's inventory
//! must be empty and its request log must show every operation answered.
//!
//! The emulator (`e2e::emulator`) runs at `--time-scale 0.01`, so the script really polls
//! PENDING states.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use e2e::emulator::Emulator;

/// The libcloud release the script is written for.
const LIBCLOUD: &str = "apache-libcloud==3.9.1";
#[test]
fn libcloud_builds_and_destroys_a_network_with_a_server() -> Result<()> {
    let started = Instant::now();
    let dir = tempfile::tempdir()?;
    let python = e2e::pyvenv::with(&dir.path().join("venv"), LIBCLOUD)?;
    let installed = started.elapsed();

    let emu = Emulator::start_scaled("0.01")?;
    let base_url = emu.base_url();
    let (host, port) = base_url
        .strip_prefix("http://")
        .and_then(|a| a.rsplit_once(':'))
        .context("the emulator's URL has no host and port")?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("libcloud/dimensiondata_lifecycle.py");
    let run_started = Instant::now();
    let mut child = Command::new(&python)
        .arg(&script)
        .args([host, port])
        .env("LIBCLOUD_USER", emu.user())
        .env("LIBCLOUD_PASSWORD", emu.password())
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

    // Read before anything of ours (the inventory's account lookup) joins the log.
    let requests = emu.requests_since(0)?;
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
            "no successful POST {op} in the request log: {requests:?}"
        );
    }
    for r in &requests {
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
    // Nothing is left.
    let inventory = emu.inventory()?;
    ensure!(
        inventory["totalAssets"] == 0,
        "assets left after libcloud destroyed everything: {inventory}"
    );
    // Every operation went through (libcloud sent XML) and was answered without error; the only
    // 400s are the RESOURCE_NOT_FOUND answers that end the waits for deletions.
    println!(
        "MEASURED libcloud {LIBCLOUD}: venv + install {:.1} s, lifecycle {:.1} s, {} API requests",
        installed.as_secs_f64(),
        run_started.elapsed().as_secs_f64(),
        requests.len()
    );
    Ok(())
}
