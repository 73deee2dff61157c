//! Typed views of what a Mesos master serves (`/master/state`), as Mesos 1.11 writes it. Only
//! the fields the reports use are modelled; unknown fields are ignored, and every field a
//! standby master or an older release may omit has a default.

use serde::{Deserialize, Serialize};

use super::http::{self, HttpError};
use super::transport::Dialer;

/// `/master/state`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct MasterState {
    /// Mesos version.
    pub version: String,
    /// This master's id.
    pub id: String,
    /// This master's libprocess id, `master@<ip>:<port>`.
    pub pid: String,
    /// This master's advertised host name.
    pub hostname: String,
    /// The leading master's pid, when one is known.
    #[serde(default)]
    pub leader: Option<String>,
    /// The leading master.
    #[serde(default)]
    pub leader_info: Option<MasterInfo>,
    /// When this master was elected (absent on standbys).
    #[serde(default)]
    pub elected_time: Option<f64>,
    /// `--cluster`.
    #[serde(default)]
    pub cluster: Option<String>,
    /// Active agents (a float in the JSON).
    #[serde(default)]
    pub activated_slaves: f64,
    /// Agents (a standby lists none).
    #[serde(default)]
    pub slaves: Vec<Agent>,
    /// Connected frameworks.
    #[serde(default)]
    pub frameworks: Vec<Framework>,
}

/// A master's identity.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Serialize)]
pub struct MasterInfo {
    /// Master id.
    pub id: String,
    /// `master@<ip>:<port>`.
    pub pid: String,
    /// Port.
    pub port: u16,
    /// Advertised host name.
    pub hostname: String,
}

/// An agent as the master knows it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Agent {
    /// Agent id.
    pub id: String,
    /// Host name the agent registered with.
    pub hostname: String,
    /// `slave(1)@<ip>:<port>`.
    pub pid: String,
    /// Whether it is active (registered and connected).
    pub active: bool,
    /// Its total resources.
    #[serde(default)]
    pub resources: Resources,
}

/// Scalar resources.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Serialize)]
pub struct Resources {
    /// CPUs.
    #[serde(default)]
    pub cpus: f64,
    /// Memory in MB.
    #[serde(default)]
    pub mem: f64,
    /// Disk in MB.
    #[serde(default)]
    pub disk: f64,
}

impl std::ops::Add for Resources {
    type Output = Resources;
    fn add(self, o: Resources) -> Resources {
        Resources {
            cpus: self.cpus + o.cpus,
            mem: self.mem + o.mem,
            disk: self.disk + o.disk,
        }
    }
}

/// A framework (Marathon registers as `marathon`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Framework {
    /// Framework id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Active (connected and not failed over).
    pub active: bool,
    /// Running and staging tasks.
    #[serde(default)]
    pub tasks: Vec<Task>,
}

/// A task of a framework.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Task {
    /// Task id (Marathon: `<app>.<uuid>`).
    pub id: String,
    /// Name (Marathon: the app id without the leading `/`).
    pub name: String,
    /// `TASK_RUNNING`, `TASK_STAGING`, ...
    pub state: String,
    /// Agent id.
    pub slave_id: String,
}

impl MasterState {
    /// Whether this master is the elected leader: it names itself as leader *and* has an
    /// election time. A master restarted on the same address names its own previous, still
    /// registered ZooKeeper membership as leader until that session expires, without being
    /// elected.
    pub fn is_leader(&self) -> bool {
        self.leader.as_deref() == Some(self.pid.as_str()) && self.elected_time.is_some()
    }

    /// Active agents.
    pub fn active_agents(&self) -> impl Iterator<Item = &Agent> {
        self.slaves.iter().filter(|a| a.active)
    }

    /// Total resources of the active agents.
    pub fn active_resources(&self) -> Resources {
        self.active_agents()
            .fold(Resources::default(), |sum, a| sum + a.resources)
    }
}

/// The `(ip, port)` of a libprocess pid such as `master@10.0.0.1:5050` or
/// `master@[fd00::1]:5050`.
pub fn pid_address(pid: &str) -> Option<(String, u16)> {
    let (_, addr) = pid.split_once('@')?;
    let (ip, port) = addr.rsplit_once(':')?;
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    Some((ip.to_string(), port.parse().ok()?))
}

/// Reads `/master/state` from the master at `host:port`.
pub async fn master_state(
    dialer: &dyn Dialer,
    host: &str,
    port: u16,
) -> Result<MasterState, HttpError> {
    let r = http::get(dialer, host, port, "/master/state").await?;
    if !r.status.is_success() {
        return Err(HttpError::Exchange {
            method: "GET".into(),
            url: format!(
                "http://{}/master/state",
                crate::cluster::host_port(host, port)
            ),
            reason: format!("HTTP {}: {}", r.status.as_u16(), r.body_excerpt()),
        });
    }
    r.json()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A recorded file of `tests/fixtures/mesos-1.11`.
    pub(crate) fn fixture(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/mesos-1.11")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn a_master_naming_itself_is_leader_only_once_elected() {
        let mut s: MasterState =
            serde_json::from_str(&fixture("master_state_2agents_3running.json")).unwrap();
        assert!(s.is_leader());
        // Restarted on the same address: its old ZooKeeper membership still leads.
        s.elected_time = None;
        assert!(!s.is_leader());
    }

    #[test]
    fn recorded_state_with_running_tasks_parses() {
        let s: MasterState =
            serde_json::from_str(&fixture("master_state_2agents_3running.json")).unwrap();
        assert_eq!(s.version, "1.11.0");
        assert!(s.is_leader());
        assert_eq!(s.leader_info.as_ref().unwrap().hostname, "localhost");
        assert_eq!(s.leader_info.as_ref().unwrap().port, 5050);
        assert_eq!(s.activated_slaves, 2.0);
        assert_eq!(s.active_agents().count(), 2);
        let r = s.active_resources();
        assert_eq!((r.cpus, r.mem, r.disk), (4.0, 2048.0, 2048.0));
        assert_eq!(s.frameworks.len(), 1);
        let running = s.frameworks[0]
            .tasks
            .iter()
            .filter(|t| t.state == "TASK_RUNNING")
            .count();
        assert_eq!(running, 3);
        assert!(s.elected_time.is_some());
        assert_eq!(s.cluster, None);
    }

    #[test]
    fn every_recorded_state_parses() {
        for f in [
            "master_state_idle.json",
            "master_state_3frameworks.json",
            "master_state_failed_task.json",
        ] {
            let s: MasterState =
                serde_json::from_str(&fixture(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
            assert!(s.is_leader(), "{f}");
            assert!(s.frameworks.iter().all(|fw| fw.active), "{f}");
        }
        let three: MasterState =
            serde_json::from_str(&fixture("master_state_3frameworks.json")).unwrap();
        assert_eq!(three.frameworks.len(), 3);
    }

    #[test]
    fn a_standby_knows_the_leader_but_is_not_it() {
        let mut v: serde_json::Value =
            serde_json::from_str(&fixture("master_state_idle.json")).unwrap();
        v["pid"] = "master@10.77.0.12:5050".into();
        v.as_object_mut().unwrap().remove("elected_time");
        v["slaves"] = serde_json::json!([]);
        let s: MasterState = serde_json::from_value(v).unwrap();
        assert!(!s.is_leader());
        assert_eq!(s.active_resources(), Resources::default());
    }

    #[test]
    fn pids() {
        assert_eq!(
            pid_address("master@10.77.0.11:5050"),
            Some(("10.77.0.11".into(), 5050))
        );
        assert_eq!(
            pid_address("master@[fd77::11]:5050"),
            Some(("fd77::11".into(), 5050))
        );
        assert_eq!(pid_address("garbage"), None);
    }
}
