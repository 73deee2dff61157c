//! What a leading master knows: registered agents, subscribed frameworks and their tasks, and
//! the operations on them (registration, offers, launches, status updates, health timeouts).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::resources::Resources;
use crate::wire::{FrameworkInfo, Offer, RegisterAgent, TaskInfo, TaskState, TaskStatus};

/// How often agents ping; after a few missed pings an agent counts as disconnected.
pub const AGENT_DISCONNECTED_AFTER: Duration = Duration::from_secs(5);
/// A framework that stops polling this long counts as disconnected.
pub const FRAMEWORK_DISCONNECTED_AFTER: Duration = Duration::from_secs(5);

/// A registered agent.
#[derive(Debug, Clone)]
pub struct Agent {
    /// Id.
    pub id: String,
    /// Advertised host name.
    pub hostname: String,
    /// Address.
    pub ip: String,
    /// Port.
    pub port: u16,
    /// Total resources.
    pub resources: Resources,
    /// Attributes.
    pub attributes: BTreeMap<String, String>,
    /// When it first registered with this master.
    pub registered_time: f64,
    /// When it last re-registered.
    pub reregistered_time: Option<f64>,
    /// Last ping.
    pub last_seen: Instant,
    /// Connected (pinging).
    pub active: bool,
}

impl Agent {
    /// libprocess pid as real agents have it.
    pub fn pid(&self) -> String {
        format!("slave(1)@{}:{}", self.ip, self.port)
    }
}

/// A task the master tracks.
#[derive(Debug, Clone)]
pub struct Task {
    /// What was launched.
    pub info: TaskInfo,
    /// Framework.
    pub framework_id: String,
    /// Current state.
    pub state: TaskState,
    /// Every status so far.
    pub statuses: Vec<TaskStatus>,
}

/// A subscribed framework.
#[derive(Debug, Clone)]
pub struct Framework {
    /// Its info (with `id`).
    pub info: FrameworkInfo,
    /// When it subscribed.
    pub registered_time: f64,
    /// When it re-subscribed.
    pub reregistered_time: Option<f64>,
    /// When it disconnected, 0 while connected.
    pub unregistered_time: f64,
    /// Last poll.
    pub last_seen: Instant,
    /// Connected (polling).
    pub connected: bool,
    /// Known only from an agent's re-registration so far.
    pub recovered: bool,
    /// Status updates not yet delivered.
    pub pending: Vec<TaskStatus>,
    /// Live tasks by id.
    pub tasks: BTreeMap<String, Task>,
    /// Ended tasks, newest last.
    pub completed_tasks: Vec<Task>,
}

impl Framework {
    /// The framework's id.
    pub fn id(&self) -> &str {
        self.info.id.as_deref().unwrap_or_default()
    }

    /// Resources of its live tasks.
    pub fn used(&self) -> Resources {
        self.tasks
            .values()
            .fold(Resources::default(), |acc, t| acc.plus(&t.info.resources))
    }
}

/// Counters behind `/metrics/snapshot`.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    /// Tasks that reached each terminal state.
    pub terminal: BTreeMap<TaskState, u64>,
    /// Agents registered.
    pub slave_registrations: u64,
    /// Agents re-registered.
    pub slave_reregistrations: u64,
    /// Agents removed.
    pub slave_removals: u64,
    /// Valid status updates.
    pub valid_status_updates: u64,
}

/// Everything the leading master knows.
#[derive(Debug, Default)]
pub struct Cluster {
    /// Agents by id.
    pub agents: BTreeMap<String, Agent>,
    /// Frameworks by id.
    pub frameworks: BTreeMap<String, Framework>,
    /// Counters.
    pub counters: Counters,
    next_agent: u64,
    next_framework: u64,
}

/// Why a private call was refused.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

impl Cluster {
    /// Registers or re-registers an agent; returns its id.
    pub fn register_agent(&mut self, master_id: &str, req: RegisterAgent, now: f64) -> String {
        let id = match req.agent_id.clone() {
            Some(id) => id,
            None => {
                let id = format!("{master_id}-S{}", self.next_agent);
                self.next_agent += 1;
                id
            }
        };
        let known = self.agents.contains_key(&id);
        if known || req.agent_id.is_some() {
            self.counters.slave_reregistrations += 1;
        } else {
            self.counters.slave_registrations += 1;
        }
        let registered_time = self
            .agents
            .get(&id)
            .map(|a| a.registered_time)
            .unwrap_or(now);
        self.agents.insert(
            id.clone(),
            Agent {
                id: id.clone(),
                hostname: req.hostname,
                ip: req.ip,
                port: req.port,
                resources: req.resources,
                attributes: req.attributes,
                registered_time,
                reregistered_time: (known || req.agent_id.is_some()).then_some(now),
                last_seen: Instant::now(),
                active: true,
            },
        );
        // The agent's tasks are the truth after a failover: adopt them.
        for fw in req.frameworks {
            let Some(fid) = fw.id.clone() else { continue };
            self.frameworks.entry(fid).or_insert_with(|| Framework {
                info: fw,
                registered_time: now,
                reregistered_time: None,
                unregistered_time: 0.0,
                last_seen: Instant::now() - FRAMEWORK_DISCONNECTED_AFTER,
                connected: false,
                recovered: true,
                pending: Vec::new(),
                tasks: BTreeMap::new(),
                completed_tasks: Vec::new(),
            });
        }
        for (info, status) in req.tasks {
            if let Some(fw) = self.frameworks.get_mut(&status.framework_id) {
                if status.state.is_terminal() {
                    continue;
                }
                fw.tasks.insert(
                    info.task_id.clone(),
                    Task {
                        framework_id: status.framework_id.clone(),
                        state: status.state,
                        statuses: vec![status.clone()],
                        info,
                    },
                );
            }
        }
        id
    }

    /// Records a ping; `false` when the agent is unknown (it must re-register).
    pub fn agent_ping(&mut self, id: &str) -> bool {
        match self.agents.get_mut(id) {
            Some(a) => {
                a.last_seen = Instant::now();
                a.active = true;
                true
            }
            None => false,
        }
    }

    /// Subscribes (or re-subscribes) a framework; returns its id.
    pub fn subscribe(&mut self, master_id: &str, mut info: FrameworkInfo, now: f64) -> String {
        let id = match info.id.clone().filter(|i| !i.is_empty()) {
            Some(id) => id,
            None => {
                let id = format!("{master_id}-{:04}", self.next_framework);
                self.next_framework += 1;
                id
            }
        };
        info.id = Some(id.clone());
        match self.frameworks.get_mut(&id) {
            Some(fw) => {
                fw.info = info;
                fw.connected = true;
                fw.recovered = false;
                fw.unregistered_time = 0.0;
                fw.reregistered_time = Some(now);
                fw.last_seen = Instant::now();
            }
            None => {
                self.frameworks.insert(
                    id.clone(),
                    Framework {
                        info,
                        registered_time: now,
                        reregistered_time: None,
                        unregistered_time: 0.0,
                        last_seen: Instant::now(),
                        connected: true,
                        recovered: false,
                        pending: Vec::new(),
                        tasks: BTreeMap::new(),
                        completed_tasks: Vec::new(),
                    },
                );
            }
        }
        id
    }

    /// Resources each active agent has free now.
    pub fn offers(&self) -> Vec<Offer> {
        let mut used: BTreeMap<&str, Resources> = BTreeMap::new();
        for fw in self.frameworks.values() {
            for t in fw.tasks.values() {
                let u = used.entry(t.info.agent_id.as_str()).or_default();
                *u = u.plus(&t.info.resources);
            }
        }
        self.agents
            .values()
            .filter(|a| a.active)
            .map(|a| Offer {
                agent_id: a.id.clone(),
                hostname: a.hostname.clone(),
                resources: a
                    .resources
                    .minus(used.get(a.id.as_str()).unwrap_or(&Resources::default())),
            })
            .collect()
    }

    /// A framework's poll: its heartbeat; returns pending updates.
    pub fn poll(&mut self, framework_id: &str) -> Result<Vec<TaskStatus>, Refused> {
        let fw = self
            .frameworks
            .get_mut(framework_id)
            .ok_or_else(|| Refused(format!("Framework {framework_id} is not subscribed")))?;
        fw.last_seen = Instant::now();
        if !fw.connected {
            fw.connected = true;
            fw.unregistered_time = 0.0;
        }
        Ok(std::mem::take(&mut fw.pending))
    }

    /// Accepts a launch when the agent is active and has the resources; returns the agent's
    /// address and the framework's info for the agent.
    pub fn launch(
        &mut self,
        framework_id: &str,
        task: TaskInfo,
        now: f64,
    ) -> Result<(String, FrameworkInfo), Refused> {
        let free = self
            .offers()
            .into_iter()
            .find(|o| o.agent_id == task.agent_id)
            .ok_or_else(|| Refused(format!("Agent {} is not active", task.agent_id)))?;
        if !free.resources.contains(&task.resources) {
            return Err(Refused(format!(
                "Task {} uses more resources ({}) than available ({}) on agent {}",
                task.task_id,
                task.resources.to_flag(),
                free.resources.to_flag(),
                task.agent_id
            )));
        }
        let agent = &self.agents[&task.agent_id];
        let address = format!("http://{}:{}", agent.ip, agent.port);
        let fw = self
            .frameworks
            .get_mut(framework_id)
            .ok_or_else(|| Refused(format!("Framework {framework_id} is not subscribed")))?;
        if fw.tasks.contains_key(&task.task_id) {
            return Err(Refused(format!("Task {} already exists", task.task_id)));
        }
        let staging = TaskStatus {
            task_id: task.task_id.clone(),
            framework_id: framework_id.to_string(),
            agent_id: task.agent_id.clone(),
            state: TaskState::TASK_STAGING,
            message: None,
            reason: None,
            source: Some("SOURCE_MASTER".into()),
            timestamp: now,
            container_id: None,
            ip: None,
        };
        fw.tasks.insert(
            task.task_id.clone(),
            Task {
                info: task,
                framework_id: framework_id.to_string(),
                state: TaskState::TASK_STAGING,
                statuses: vec![staging],
            },
        );
        Ok((address, fw.info.clone()))
    }

    /// Applies a status update and queues it for the framework.
    pub fn status(&mut self, status: TaskStatus) {
        self.counters.valid_status_updates += 1;
        let Some(fw) = self.frameworks.get_mut(&status.framework_id) else {
            return;
        };
        if let Some(task) = fw.tasks.get_mut(&status.task_id) {
            task.state = status.state;
            // The STAGING status is the master's own; the agent's first status replaces it.
            task.statuses.retain(|s| s.state != TaskState::TASK_STAGING);
            task.statuses.push(status.clone());
            if status.state.is_terminal() {
                let done = fw.tasks.remove(&status.task_id).expect("just found");
                *self.counters.terminal.entry(status.state).or_default() += 1;
                fw.completed_tasks.push(done);
                if fw.completed_tasks.len() > 1000 {
                    fw.completed_tasks.remove(0);
                }
            }
        }
        fw.pending.push(status);
    }

    /// Marks silent agents and frameworks disconnected, and removes agents silent for longer
    /// than `removal_after` (their tasks become unreachable). Returns removed agent ids.
    pub fn expire(&mut self, removal_after: Duration, now: f64) -> Vec<String> {
        for fw in self.frameworks.values_mut() {
            if fw.connected && fw.last_seen.elapsed() > FRAMEWORK_DISCONNECTED_AFTER {
                fw.connected = false;
                fw.unregistered_time = now;
            }
        }
        let mut removed = Vec::new();
        for a in self.agents.values_mut() {
            if a.active && a.last_seen.elapsed() > AGENT_DISCONNECTED_AFTER {
                a.active = false;
            }
            if a.last_seen.elapsed() > removal_after {
                removed.push(a.id.clone());
            }
        }
        for id in &removed {
            self.agents.remove(id);
            self.counters.slave_removals += 1;
            let lost: Vec<TaskStatus> = self
                .frameworks
                .values()
                .flat_map(|fw| fw.tasks.values())
                .filter(|t| &t.info.agent_id == id)
                .map(|t| TaskStatus {
                    task_id: t.info.task_id.clone(),
                    framework_id: t.framework_id.clone(),
                    agent_id: id.clone(),
                    state: TaskState::TASK_LOST,
                    message: Some("Agent removed: health check timed out".into()),
                    reason: Some("REASON_SLAVE_REMOVED".into()),
                    source: Some("SOURCE_MASTER".into()),
                    timestamp: now,
                    container_id: None,
                    ip: None,
                })
                .collect();
            for s in lost {
                self.status(s);
            }
        }
        removed
    }

    /// The latest status of each task a framework asks about: the master's own record, a
    /// `TASK_GONE` for a task on a known agent that has no such task, and nothing for tasks on
    /// agents the master does not know (yet) — as real explicit reconciliation answers.
    pub fn reconcile(
        &self,
        framework_id: &str,
        tasks: &[(String, String)],
        now: f64,
    ) -> Vec<TaskStatus> {
        let fw = self.frameworks.get(framework_id);
        let mut out = Vec::new();
        for (task_id, agent_id) in tasks {
            if let Some(t) = fw.and_then(|f| f.tasks.get(task_id)) {
                if let Some(s) = t.statuses.last() {
                    out.push(s.clone());
                }
                continue;
            }
            if let Some(t) = fw.and_then(|f| {
                f.completed_tasks
                    .iter()
                    .rev()
                    .find(|t| &t.info.task_id == task_id)
            }) {
                if let Some(s) = t.statuses.last() {
                    out.push(s.clone());
                }
                continue;
            }
            if self.agents.contains_key(agent_id) {
                out.push(TaskStatus {
                    task_id: task_id.clone(),
                    framework_id: framework_id.to_string(),
                    agent_id: agent_id.clone(),
                    state: TaskState::TASK_GONE,
                    message: Some("Reconciliation: task is unknown to the agent".into()),
                    reason: Some("REASON_RECONCILIATION".into()),
                    source: Some("SOURCE_MASTER".into()),
                    timestamp: now,
                    container_id: None,
                    ip: None,
                });
            }
        }
        out
    }

    /// Resources used on an agent by live tasks.
    pub fn used_on(&self, agent_id: &str) -> Resources {
        self.frameworks
            .values()
            .flat_map(|fw| fw.tasks.values())
            .filter(|t| t.info.agent_id == agent_id)
            .fold(Resources::default(), |acc, t| acc.plus(&t.info.resources))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::CommandInfo;

    fn agent() -> RegisterAgent {
        RegisterAgent {
            agent_id: None,
            hostname: "agent1".into(),
            ip: "10.0.0.21".into(),
            port: 5051,
            resources: Resources::parse("cpus:2;mem:1024;disk:100;ports:[31000-32000]").unwrap(),
            attributes: BTreeMap::new(),
            frameworks: vec![],
            tasks: vec![],
        }
    }

    fn framework() -> FrameworkInfo {
        FrameworkInfo {
            id: None,
            name: "marathon".into(),
            user: "root".into(),
            hostname: "m1".into(),
            role: "*".into(),
            failover_timeout: 604800.0,
            checkpoint: true,
            webui_url: String::new(),
        }
    }

    fn task(agent_id: &str, cpus: f64) -> TaskInfo {
        TaskInfo {
            task_id: format!("t{cpus}"),
            name: "t".into(),
            agent_id: agent_id.into(),
            resources: Resources {
                cpus,
                mem: 16.0,
                ..Default::default()
            },
            command: CommandInfo {
                value: Some("sleep 1".into()),
                shell: true,
                arguments: vec![],
                environment: BTreeMap::new(),
                user: None,
            },
            docker: None,
        }
    }

    #[test]
    fn agents_get_ids_and_keep_them_on_reregistration() {
        let mut c = Cluster::default();
        let id = c.register_agent("M", agent(), 1.0);
        assert_eq!(id, "M-S0");
        let mut again = agent();
        again.agent_id = Some(id.clone());
        assert_eq!(c.register_agent("M", again, 2.0), "M-S0");
        assert_eq!(c.agents.len(), 1);
        assert_eq!(c.counters.slave_reregistrations, 1);
    }

    #[test]
    fn launches_must_fit_and_status_updates_reach_the_framework() {
        let mut c = Cluster::default();
        let a = c.register_agent("M", agent(), 1.0);
        let f = c.subscribe("M", framework(), 1.0);
        assert_eq!(f, "M-0000");
        assert!(c.launch(&f, task(&a, 4.0), 2.0).is_err());
        c.launch(&f, task(&a, 1.5), 2.0).unwrap();
        assert_eq!(c.offers()[0].resources.cpus, 0.5);
        let mut s = c.frameworks[&f].tasks["t1.5"].statuses[0].clone();
        s.state = TaskState::TASK_FINISHED;
        c.status(s);
        assert!(c.frameworks[&f].tasks.is_empty());
        assert_eq!(c.poll(&f).unwrap().len(), 1);
        assert_eq!(c.offers()[0].resources.cpus, 2.0);
    }
}
