//! The agent's checkpoint under `<work_dir>/meta/slaves/`: `latest` links to the directory of
//! the agent id it registered as, which holds the agent info it registered with and its live
//! tasks. Like a real agent, a restart with a different agent info (resources, attributes,
//! hostname, port) is refused until `latest` is removed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::resources::Resources;
use crate::wire::{FrameworkInfo, TaskInfo, TaskStatus};

/// What identifies an agent to the master.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentInfo {
    /// Host name.
    pub hostname: String,
    /// Port.
    pub port: u16,
    /// Resources (flag form).
    pub resources: String,
    /// Attributes (`k:v;...`).
    pub attributes: String,
}

/// A task the agent still runs, as checkpointed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveTask {
    /// Framework.
    pub framework: FrameworkInfo,
    /// Task.
    pub task: TaskInfo,
    /// Latest status.
    pub status: TaskStatus,
    /// Container id.
    pub container_id: String,
    /// Sandbox directory.
    pub directory: String,
    /// Process id of a command task.
    pub pid: Option<i32>,
}

/// The checkpoint directory of one agent.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    meta: PathBuf,
}

/// What recovery found.
#[derive(Debug)]
pub enum Recovered {
    /// No earlier registration: a new agent.
    Fresh,
    /// The same agent: re-register with this id and these tasks.
    Same {
        /// Agent id.
        agent_id: String,
        /// Tasks that were running.
        tasks: Vec<LiveTask>,
    },
}

impl Checkpoint {
    /// The checkpoint of the agent whose work directory is `work_dir`.
    pub fn new(work_dir: &str) -> Checkpoint {
        Checkpoint {
            meta: Path::new(work_dir).join("meta/slaves"),
        }
    }

    /// `<work_dir>/meta/slaves/latest`.
    pub fn latest(&self) -> PathBuf {
        self.meta.join("latest")
    }

    /// Reads the checkpoint, refusing an agent info that changed.
    pub fn recover(&self, now: &AgentInfo) -> Result<Recovered, String> {
        let latest = self.latest();
        let Ok(target) = std::fs::read_link(&latest) else {
            return Ok(Recovered::Fresh);
        };
        let dir = if target.is_absolute() {
            target
        } else {
            self.meta.join(target)
        };
        let agent_id = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let info: AgentInfo = std::fs::read_to_string(dir.join("slave.info"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .ok_or_else(|| {
                format!(
                    "Failed to perform recovery: cannot read {} (remove {} to start as a new agent)",
                    dir.join("slave.info").display(),
                    latest.display()
                )
            })?;
        if &info != now {
            return Err(format!(
                "Failed to perform recovery: Incompatible agent info detected in {}: the checkpointed agent info (hostname {}, port {}, resources {}, attributes '{}') differs from the current one (hostname {}, port {}, resources {}, attributes '{}'). To remedy this do as follows: Step 1: rm -f {} (this ensures the agent does not recover old live executors); Step 2: restart the agent.",
                latest.display(),
                info.hostname,
                info.port,
                info.resources,
                info.attributes,
                now.hostname,
                now.port,
                now.resources,
                now.attributes,
                latest.display()
            ));
        }
        let tasks = std::fs::read_to_string(dir.join("tasks.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        Ok(Recovered::Same { agent_id, tasks })
    }

    /// Records the agent id and info after a (first) registration and points `latest` at it.
    pub fn record(&self, agent_id: &str, info: &AgentInfo) -> std::io::Result<()> {
        let dir = self.meta.join(agent_id);
        std::fs::create_dir_all(&dir)?;
        write_atomic(&dir.join("slave.info"), &serde_json::to_string(info)?)?;
        let latest = self.latest();
        let tmp = self.meta.join(".latest.tmp");
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(agent_id, &tmp)?;
        std::fs::rename(&tmp, latest)
    }

    /// Checkpoints the live tasks.
    pub fn save_tasks(&self, agent_id: &str, tasks: &[LiveTask]) -> std::io::Result<()> {
        let dir = self.meta.join(agent_id);
        std::fs::create_dir_all(&dir)?;
        write_atomic(&dir.join("tasks.json"), &serde_json::to_string(tasks)?)
    }
}

fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, path)
}

/// The agent info for a configuration.
pub fn agent_info(
    hostname: &str,
    port: u16,
    resources: &Resources,
    attributes: &std::collections::BTreeMap<String, String>,
) -> AgentInfo {
    AgentInfo {
        hostname: hostname.to_string(),
        port,
        resources: resources.to_flag(),
        attributes: attributes
            .iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect::<Vec<_>>()
            .join(";"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(cpus: f64) -> AgentInfo {
        agent_info(
            "agent1",
            5051,
            &Resources {
                cpus,
                ..Default::default()
            },
            &Default::default(),
        )
    }

    #[test]
    fn a_changed_agent_is_refused_until_latest_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let cp = Checkpoint::new(dir.path().to_str().unwrap());
        assert!(matches!(cp.recover(&info(2.0)).unwrap(), Recovered::Fresh));
        cp.record("M-S3", &info(2.0)).unwrap();
        match cp.recover(&info(2.0)).unwrap() {
            Recovered::Same { agent_id, tasks } => {
                assert_eq!(agent_id, "M-S3");
                assert!(tasks.is_empty());
            }
            other => panic!("{other:?}"),
        }
        let e = cp.recover(&info(4.0)).unwrap_err();
        assert!(e.contains("Incompatible agent info detected"), "{e}");
        assert!(e.contains("rm -f"), "{e}");
        std::fs::remove_file(cp.latest()).unwrap();
        assert!(matches!(cp.recover(&info(4.0)).unwrap(), Recovered::Fresh));
    }
}
