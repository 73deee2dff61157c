//! `examples/mesos-cluster` on the node-backed cloud: the Terraform workspace that applies it
//! (our provider, the null provider, `mesos-provisioner` per node, the administrator password in
//! a root-only file) and `check-health` of the cluster it builds. Shared by the `nodes_cluster`
//! test and the bench's end-to-end row.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};

use crate::node_backing::NodeBackedCloud;
use crate::nodes::mesos::Health;
use crate::terraform::{ProviderPackage, Workspace};

/// A Terraform workspace holding the example's `.tf` files, initialised, with every variable the
/// node-backed cloud needs set through the environment: the emulator's endpoint, the servers'
/// administrator `password` (also in a root-only file for the provisioner), the provisioner next
/// to this program, packages from the nodes' own repositories, the registry mirror, and SSH
/// opened to the internet namespace only.
pub fn example_workspace(cloud: &NodeBackedCloud, password: &str) -> Result<Workspace> {
    let (mut ws, _) = crate::provider::api_workspace(
        &cloud.base_url,
        "demo",
        "demo",
        &[ProviderPackage::null()?],
    )?;
    ws.set_wrapper(&cloud.internet_wrapper());
    crate::provider::copy_example(&ws, "mesos-cluster")?;
    let password_file = ws.scratch_path("admin-password");
    crate::write_private(&password_file, password)?;
    let provisioner = crate::binary("mesos-provisioner")?;
    let allowed = format!("{}/32", cloud.internet_address);
    for (key, value) in [
        ("TF_VAR_admin_password", password),
        (
            "TF_VAR_admin_password_file",
            password_file.to_str().context("a non-UTF-8 scratch path")?,
        ),
        (
            "TF_VAR_provisioner",
            provisioner.to_str().context("a non-UTF-8 binary path")?,
        ),
        ("TF_VAR_package_source", "node"),
        ("TF_VAR_docker_registry_mirror", cloud.registry.as_str()),
        ("TF_VAR_allowed_cidr", allowed.as_str()),
        // a missing SSH rule fails a node's provisioning after this long
        ("TF_VAR_connect_timeout", "20"),
        ("TF_VAR_wait_timeout", "300"),
    ] {
        ws.set_env(key, value);
    }
    ws.init()?;
    Ok(ws)
}

/// Where the example's provisioning keeps its inventory, settings and per-node logs.
pub fn provisioner_dir(ws: &Workspace) -> std::path::PathBuf {
    ws.work_dir().join("mesos-provisioner")
}

/// One `check-health --output json` of the cluster the example built, from the internet
/// namespace with the inventory the apply wrote.
pub fn check_health(cloud: &NodeBackedCloud, ws: &Workspace) -> Result<Health> {
    let inventory = provisioner_dir(ws).join("cluster.toml");
    let out = cloud
        .in_internet(crate::binary("mesos-provisioner")?)
        .args(["check-health", "-i"])
        .arg(&inventory)
        .args([
            "--output",
            "json",
            "--connect-timeout",
            "5",
            "--app-window",
            "15",
        ])
        .arg("--log-dir")
        .arg(ws.scratch_path("health-logs"))
        .output()
        .context("running mesos-provisioner check-health")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_str(&stdout)
        .with_context(|| format!("check-health printed no report:\n{stdout}\n{stderr}"))?;
    Ok(Health {
        exit_code: out.status.code(),
        report,
        stderr,
    })
}

/// Whether `health` shows the whole cluster: healthy, `agents` active agents, both apps with a
/// running task, and a ZooKeeper ensemble of one leader and two followers.
pub fn is_whole(health: &Health, agents: u64) -> bool {
    let modes = health.zk_modes();
    let zk_ok = modes.iter().filter(|(_, m)| m == "leader").count() == 1
        && modes.iter().filter(|(_, m)| m == "follower").count() == 2;
    health.exit_code == Some(0)
        && health.report["agents"]["active"] == agents
        && health.app_running("/shell-hello").unwrap_or(0) >= 1
        && health.app_running("/docker-hello").unwrap_or(0) >= 1
        && zk_ok
}

/// `check-health` every 3 s until [`is_whole`] holds (docker-hello's first start pulls its
/// image), for at most `patience`; the last report is in the error.
pub fn wait_whole(
    cloud: &NodeBackedCloud,
    ws: &Workspace,
    agents: u64,
    patience: Duration,
) -> Result<Health> {
    let started = Instant::now();
    loop {
        let health = check_health(cloud, ws)?;
        if is_whole(&health, agents) {
            return Ok(health);
        }
        if started.elapsed() >= patience {
            bail!(
                "not healthy with {agents} agents and both apps after {} s:\n{}",
                patience.as_secs(),
                health.describe()
            );
        }
        std::thread::sleep(Duration::from_secs(3));
    }
}
