//! The stand-ins' private protocol. Real Mesos daemons talk libprocess messages to each other;
//! the stand-ins use JSON over HTTP under `/standin/v1/` on the same ports instead. Nothing
//! outside the stand-ins uses these paths: what the provisioner and the tests read are the real
//! endpoints, in the real shapes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::resources::Resources;

/// The MasterInfo a master publishes in its `json.info_` znode (the real JSON form).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MasterInfo {
    /// Master id.
    pub id: String,
    /// IPv4 address as a number in network byte order, as the protobuf carries it.
    pub ip: u32,
    /// Port.
    pub port: u16,
    /// libprocess pid, `master@ip:port`.
    pub pid: String,
    /// Advertised host name.
    pub hostname: String,
    /// Mesos version.
    pub version: String,
    /// Address.
    pub address: Address,
    /// Capabilities, as `{"type": ...}` objects.
    #[serde(default)]
    pub capabilities: Vec<Value>,
}

/// `MasterInfo.address`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Address {
    /// Host name.
    pub hostname: String,
    /// IP address text.
    pub ip: String,
    /// Port.
    pub port: u16,
}

impl MasterInfo {
    /// Builds the info of a master listening on `ip:port`, advertised as `hostname`.
    pub fn new(id: &str, ip: std::net::Ipv4Addr, port: u16, hostname: &str) -> MasterInfo {
        MasterInfo {
            id: id.to_string(),
            ip: u32::from_le_bytes(ip.octets()),
            port,
            pid: format!("master@{ip}:{port}"),
            hostname: hostname.to_string(),
            version: crate::MESOS_VERSION.to_string(),
            address: Address {
                hostname: hostname.to_string(),
                ip: ip.to_string(),
                port,
            },
            capabilities: ["AGENT_UPDATE", "AGENT_DRAINING", "QUOTA_V2"]
                .iter()
                .map(|c| json!({ "type": c }))
                .collect(),
        }
    }

    /// `http://ip:port` of this master.
    pub fn url(&self) -> String {
        format!("http://{}:{}", self.address.ip, self.port)
    }

    /// `leader_info` as `/master/state` reports it.
    pub fn leader_info_json(&self) -> Value {
        json!({ "id": self.id, "pid": self.pid, "port": self.port, "hostname": self.hostname })
    }
}

/// Task states, named as Mesos names them.
#[allow(non_camel_case_types, missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TaskState {
    TASK_STAGING,
    TASK_STARTING,
    TASK_RUNNING,
    TASK_KILLING,
    TASK_FINISHED,
    TASK_FAILED,
    TASK_KILLED,
    TASK_ERROR,
    TASK_LOST,
    TASK_DROPPED,
    TASK_UNREACHABLE,
    TASK_GONE,
}

impl TaskState {
    /// Whether the task has ended.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskState::TASK_FINISHED
                | TaskState::TASK_FAILED
                | TaskState::TASK_KILLED
                | TaskState::TASK_ERROR
                | TaskState::TASK_LOST
                | TaskState::TASK_DROPPED
                | TaskState::TASK_GONE
        )
    }

    /// The name, e.g. `TASK_RUNNING`.
    pub fn name(self) -> &'static str {
        match self {
            TaskState::TASK_STAGING => "TASK_STAGING",
            TaskState::TASK_STARTING => "TASK_STARTING",
            TaskState::TASK_RUNNING => "TASK_RUNNING",
            TaskState::TASK_KILLING => "TASK_KILLING",
            TaskState::TASK_FINISHED => "TASK_FINISHED",
            TaskState::TASK_FAILED => "TASK_FAILED",
            TaskState::TASK_KILLED => "TASK_KILLED",
            TaskState::TASK_ERROR => "TASK_ERROR",
            TaskState::TASK_LOST => "TASK_LOST",
            TaskState::TASK_DROPPED => "TASK_DROPPED",
            TaskState::TASK_UNREACHABLE => "TASK_UNREACHABLE",
            TaskState::TASK_GONE => "TASK_GONE",
        }
    }
}

/// A framework as it registers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameworkInfo {
    /// Assigned id (empty on first subscription).
    #[serde(default)]
    pub id: Option<String>,
    /// Name, e.g. `marathon`.
    pub name: String,
    /// Default user of its tasks.
    pub user: String,
    /// Host it runs on.
    pub hostname: String,
    /// Role.
    #[serde(default = "star")]
    pub role: String,
    /// Seconds the master keeps its tasks after it disconnects.
    #[serde(default)]
    pub failover_timeout: f64,
    /// Whether agents checkpoint its tasks.
    #[serde(default)]
    pub checkpoint: bool,
    /// Its web UI.
    #[serde(default)]
    pub webui_url: String,
}

fn star() -> String {
    "*".to_string()
}

/// A Docker container of a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DockerInfo {
    /// Image, e.g. `python:3`.
    pub image: String,
    /// `BRIDGE`, `HOST` or `NONE`.
    pub network: String,
    /// Host port -> container port mappings.
    #[serde(default)]
    pub port_mappings: Vec<PortMapping>,
    /// Pull even when the image is present.
    #[serde(default)]
    pub force_pull_image: bool,
}

/// One Docker port mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortMapping {
    /// Port on the agent.
    pub host_port: u64,
    /// Port in the container.
    pub container_port: u64,
    /// `tcp` or `udp`.
    pub protocol: String,
}

/// What a task runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandInfo {
    /// The command (run by `sh -c` when `shell`).
    #[serde(default)]
    pub value: Option<String>,
    /// Run through the shell.
    #[serde(default = "yes")]
    pub shell: bool,
    /// Arguments when not a shell command.
    #[serde(default)]
    pub arguments: Vec<String>,
    /// Environment.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// User to run as (the framework's user when absent).
    #[serde(default)]
    pub user: Option<String>,
}

fn yes() -> bool {
    true
}

/// A task to launch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInfo {
    /// Task id.
    pub task_id: String,
    /// Name.
    pub name: String,
    /// Agent it runs on.
    pub agent_id: String,
    /// Resources (ports included).
    pub resources: Resources,
    /// The command.
    pub command: CommandInfo,
    /// Docker container, if any.
    #[serde(default)]
    pub docker: Option<DockerInfo>,
}

/// A task status, from agent to master to framework.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskStatus {
    /// Task id.
    pub task_id: String,
    /// Framework id.
    pub framework_id: String,
    /// Agent id.
    pub agent_id: String,
    /// State.
    pub state: TaskState,
    /// Human message.
    #[serde(default)]
    pub message: Option<String>,
    /// Mesos reason code, e.g. `REASON_COMMAND_EXECUTOR_FAILED`.
    #[serde(default)]
    pub reason: Option<String>,
    /// `SOURCE_EXECUTOR`, `SOURCE_AGENT` or `SOURCE_MASTER`.
    #[serde(default)]
    pub source: Option<String>,
    /// Seconds since the epoch.
    pub timestamp: f64,
    /// Container id, once there is one.
    #[serde(default)]
    pub container_id: Option<String>,
    /// The container's IP address.
    #[serde(default)]
    pub ip: Option<String>,
}

/// Agent -> master: (re-)registration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisterAgent {
    /// The id from an earlier registration (re-registration, recovery).
    pub agent_id: Option<String>,
    /// Advertised host name.
    pub hostname: String,
    /// Address the master reaches the agent at.
    pub ip: String,
    /// Agent port.
    pub port: u16,
    /// Total resources.
    pub resources: Resources,
    /// Attributes.
    pub attributes: BTreeMap<String, String>,
    /// Frameworks with tasks on the agent.
    pub frameworks: Vec<FrameworkInfo>,
    /// Tasks the agent still runs (with their latest status).
    pub tasks: Vec<(TaskInfo, TaskStatus)>,
}

/// Master -> agent: the registration's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentRegistered {
    /// Agent id.
    pub agent_id: String,
    /// The leading master's id.
    pub master_id: String,
    /// The leading master's advertised host name.
    pub master_hostname: String,
}

/// Master -> agent: run a task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunTask {
    /// Framework.
    pub framework: FrameworkInfo,
    /// Task.
    pub task: TaskInfo,
}

/// Master -> agent, or framework -> master: kill a task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KillTask {
    /// Framework id.
    pub framework_id: String,
    /// Task id.
    pub task_id: String,
}

/// Framework -> master: subscribe (or re-subscribe with the id it was given).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Subscribe {
    /// The framework.
    pub framework: FrameworkInfo,
}

/// Master -> framework: subscribed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Subscribed {
    /// Framework id.
    pub framework_id: String,
    /// Master id.
    pub master_id: String,
}

/// Resources an agent can give a framework now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Offer {
    /// Agent id.
    pub agent_id: String,
    /// Agent host name.
    pub hostname: String,
    /// Free resources.
    pub resources: Resources,
}

/// Master -> framework: the answer to a poll (its heartbeat): offers and status updates.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PollReply {
    /// Offers.
    pub offers: Vec<Offer>,
    /// Status updates since the last poll.
    pub updates: Vec<TaskStatus>,
}

/// Framework -> master: launch a task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Launch {
    /// Task (its `agent_id` names the agent).
    pub task: TaskInfo,
}

/// The error body of a refused private call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Refusal {
    /// Why.
    pub error: String,
}

/// Framework -> master: explicit reconciliation of these `(task id, agent id)` pairs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reconcile {
    /// Tasks asked about.
    pub tasks: Vec<(String, String)>,
}
