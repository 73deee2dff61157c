//! Helpers for the Mesos scenarios on the test nodes: inventories with the Mesos roles' tables,
//! `bootstrap` arguments per node, `check-health` and `submit-apps` runs, and wiping a node's
//! Mesos roles. `docker-hello` runs the default image `python:3`: the nodes' Docker pulls it
//! through the registry mirror in `mz-ctl` that [`TestNodes::settings`] configures.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::provisioner::{binary, InventoryOptions, Run};
use super::{Node, TestNodes};

/// The image of `docker-hello` (the default).
pub const PYTHON_IMAGE: &str = "python:3";

/// A finished `check-health`.
#[derive(Debug, Clone)]
pub struct Health {
    /// Exit code (0 healthy, 4 unhealthy).
    pub exit_code: Option<i32>,
    /// The JSON report.
    pub report: Value,
    /// stderr, for messages.
    pub stderr: String,
}

impl Health {
    /// Problems listed in the report.
    pub fn problems(&self) -> Vec<String> {
        self.report["problems"]
            .as_array()
            .map(|p| {
                p.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The elected Mesos master's name.
    pub fn mesos_leader(&self) -> Option<String> {
        self.report["mesos_leader"].as_str().map(str::to_owned)
    }

    /// ZooKeeper mode per master.
    pub fn zk_modes(&self) -> Vec<(String, String)> {
        self.report["zookeeper"]
            .as_array()
            .map(|z| {
                z.iter()
                    .map(|m| {
                        (
                            m["name"].as_str().unwrap_or_default().to_owned(),
                            m["mode"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Running tasks of an app (`/shell-hello`), if Marathon lists it.
    pub fn app_running(&self, id: &str) -> Option<u64> {
        self.report["marathon"]["apps"]
            .as_array()?
            .iter()
            .find(|a| a["id"] == id)?["tasksRunning"]
            .as_u64()
    }

    /// For assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "exit {:?}\n{}\nstderr:\n{}",
            self.exit_code,
            serde_json::to_string_pretty(&self.report).unwrap_or_default(),
            self.stderr
        )
    }
}

impl TestNodes {
    /// [`TestNodes::settings`] plus the Mesos roles' tables: packages from the nodes' own apt
    /// sources (Debian's ZooKeeper, the stand-in Mesos and Marathon), and `extra` TOML.
    pub fn mesos_settings(&self, options: &InventoryOptions, extra: &str) -> String {
        format!(
            "{}\n[packages]\npreset = \"debian-local\"\n\n{extra}\n",
            self.settings(options)
        )
    }

    /// An inventory of all 12 nodes with [`TestNodes::mesos_settings`].
    pub fn mesos_inventory(&self, options: &InventoryOptions, extra: &str) -> String {
        let all: Vec<&Node> = self.all().iter().collect();
        let nodes = self.inventory(&all, options);
        let settings = self.settings(options);
        let nodes = nodes
            .strip_prefix(&settings)
            .expect("inventory() starts with settings()");
        format!("{}{nodes}", self.mesos_settings(options, extra))
    }

    /// `bootstrap` arguments for `node`: its role, ZooKeeper id and every other node as a peer
    /// with role and id, settings from `settings`.
    pub fn bootstrap_args(&self, node: &Node, settings: &Path) -> Vec<String> {
        let mut args = vec![
            "bootstrap".to_owned(),
            "--host".into(),
            node.ipv4.clone(),
            "--name".into(),
            node.name.clone(),
            "--role".into(),
            node.role().into(),
            "--private-ipv4".into(),
            node.ipv4.clone(),
            "--ipv6".into(),
            node.ipv6.clone(),
            "--settings".into(),
            settings.display().to_string(),
        ];
        if let Some(id) = node.zk_id() {
            args.extend(["--zk-id".into(), id.to_string()]);
        }
        for peer in self.all().iter().filter(|p| p.name != node.name) {
            let id = peer.zk_id().map(|i| format!(",{i}")).unwrap_or_default();
            args.push(format!(
                "--peer={}={},{},{}{id}",
                peer.name,
                peer.ipv4,
                peer.ipv6,
                peer.role()
            ));
        }
        args
    }

    /// Runs `mesos-provisioner <args>` inside `mz-ctl` (no administrator password: the API
    /// commands log in as the operator); returns exit code, stdout, stderr.
    pub fn api(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let bin = binary().unwrap_or_else(|e| panic!("{e:#}"));
        let out = self
            .ctl_command(&bin)
            .args(args)
            .arg("--log-dir")
            .arg(self.work_dir().join("provisioner-logs"))
            .current_dir(self.work_dir())
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", bin.display()));
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `check-health --output json` over SSH (or `--transport direct` from `mz-ctl`), with a
    /// short connect timeout (a node cut off must not stall the check).
    pub fn check_health(&self, inventory: &str, direct: bool, app_window: u64) -> Health {
        let window = app_window.to_string();
        let mut args = vec![
            "check-health",
            "-i",
            inventory,
            "--output",
            "json",
            "--connect-timeout",
            "5",
            "--app-window",
            &window,
        ];
        if direct {
            args.extend(["--transport", "direct"]);
        }
        let (exit_code, stdout, stderr) = self.api(&args);
        let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!("check-health printed no JSON report ({e}):\n{stdout}\n{stderr}")
        });
        Health {
            exit_code,
            report,
            stderr,
        }
    }

    /// Polls [`TestNodes::check_health`] until `good` holds or `timeout` passes; returns the
    /// last report either way.
    pub fn wait_health(
        &self,
        inventory: &str,
        timeout: Duration,
        good: impl Fn(&Health) -> bool,
    ) -> (bool, Health) {
        let started = Instant::now();
        loop {
            let h = self.check_health(inventory, false, 15);
            if good(&h) {
                return (true, h);
            }
            if started.elapsed() > timeout {
                return (false, h);
            }
            std::thread::sleep(Duration::from_secs(3));
        }
    }

    /// `submit-apps --output json` with `extra` options, parsed like a converge.
    pub fn submit_apps(&self, inventory: &str, extra: &[&str]) -> Run {
        let mut args = vec!["submit-apps", "-i", inventory, "--output", "json"];
        args.extend_from_slice(extra);
        let started = Instant::now();
        let (code, stdout, stderr) = self.api(&args);
        Run::from_output(code, &stdout, &stderr, started.elapsed())
            .unwrap_or_else(|e| panic!("bad submit-apps output ({e:#}):\n{stdout}\n{stderr}"))
    }

    /// Removes the Mesos roles from `node` as if it were new to them: services stopped, the
    /// ZooKeeper, Mesos and Marathon packages purged, their configuration, data and task
    /// containers gone. The base role (operator, Docker, ...) stays.
    pub fn wipe_mesos(&self, node: &Node) {
        self.exec_ok(
            node,
            &[
                "sh",
                "-c",
                "systemctl stop marathon mesos-master mesos-slave zookeeper 2>/dev/null; \
                 DEBIAN_FRONTEND=noninteractive apt-get purge -y -q marathon mesos zookeeperd zookeeper >/dev/null; \
                 ids=$(docker ps -aq); [ -z \"$ids\" ] || docker rm -f $ids >/dev/null; \
                 rm -rf /etc/mesos /etc/mesos-master /etc/mesos-slave /etc/default/marathon \
                        /etc/zookeeper /var/lib/mesos /var/lib/zookeeper \
                        /etc/systemd/system/mesos-slave.service.d; \
                 systemctl daemon-reload",
            ],
        );
    }
}
