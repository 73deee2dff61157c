//! Running tasks for real: command tasks with `sh -c` in a sandbox under the work directory,
//! Docker tasks with the node's Docker (`docker run`, host ports from the task's `ports`). Every
//! state change becomes a status update for the master; live tasks are checkpointed so a
//! restarted agent recovers them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::process::Command;
use tokio::sync::{mpsc, Mutex};

use super::checkpoint::{Checkpoint, LiveTask};
use super::config::Config;
use crate::resources::Resources;
use crate::wire::{FrameworkInfo, TaskInfo, TaskState, TaskStatus};

/// What a real agent adds to a task for its (command or Docker) executor.
pub const EXECUTOR_OVERHEAD: Resources = Resources {
    cpus: 0.1,
    mem: 32.0,
    disk: 0.0,
    gpus: 0.0,
    ports: Vec::new(),
};

/// A task that ended, kept for `/state`.
#[derive(Debug, Clone)]
pub struct Completed {
    /// What ran.
    pub live: LiveTask,
    /// Every status it had.
    pub statuses: Vec<TaskStatus>,
}

/// A live task.
#[derive(Debug, Clone)]
pub struct Running {
    /// The checkpointed record.
    pub live: LiveTask,
    /// Every status so far.
    pub statuses: Vec<TaskStatus>,
    /// Set once a kill was asked for.
    pub killing: bool,
}

/// Runs and tracks the agent's tasks.
#[derive(Debug)]
pub struct Executor {
    cfg: Arc<Config>,
    checkpoint: Checkpoint,
    /// Live tasks by id.
    pub running: Mutex<BTreeMap<String, Running>>,
    /// Ended tasks, newest last.
    pub completed: Mutex<Vec<Completed>>,
    updates: mpsc::UnboundedSender<TaskStatus>,
    agent_id: Mutex<Option<String>>,
}

impl Executor {
    /// A new executor whose status updates go to `updates`.
    pub fn new(cfg: Arc<Config>, updates: mpsc::UnboundedSender<TaskStatus>) -> Arc<Executor> {
        Arc::new(Executor {
            checkpoint: Checkpoint::new(&cfg.work_dir),
            cfg,
            running: Mutex::new(BTreeMap::new()),
            completed: Mutex::new(Vec::new()),
            updates,
            agent_id: Mutex::new(None),
        })
    }

    /// Sets the agent id once registered (sandboxes and checkpoints live under it).
    pub async fn set_agent_id(&self, id: &str) {
        *self.agent_id.lock().await = Some(id.to_string());
        self.save().await;
    }

    async fn save(&self) {
        let Some(id) = self.agent_id.lock().await.clone() else {
            return;
        };
        let tasks: Vec<LiveTask> = self
            .running
            .lock()
            .await
            .values()
            .map(|r| r.live.clone())
            .collect();
        if let Err(e) = self.checkpoint.save_tasks(&id, &tasks) {
            tracing::warn!(error = %e, "cannot checkpoint tasks");
        }
    }

    /// The live tasks with their latest status (for re-registration).
    pub async fn live(&self) -> Vec<(FrameworkInfo, TaskInfo, TaskStatus)> {
        self.running
            .lock()
            .await
            .values()
            .map(|r| {
                (
                    r.live.framework.clone(),
                    r.live.task.clone(),
                    r.live.status.clone(),
                )
            })
            .collect()
    }

    /// Resources of live tasks plus their executors.
    pub async fn allocated(&self) -> Resources {
        self.running
            .lock()
            .await
            .values()
            .fold(Resources::default(), |acc, r| {
                acc.plus(&r.live.task.resources.scalars())
                    .plus(&EXECUTOR_OVERHEAD)
            })
    }

    async fn update(
        self: &Arc<Self>,
        task_id: &str,
        state: TaskState,
        message: Option<String>,
        reason: Option<&str>,
    ) {
        let status = {
            let mut running = self.running.lock().await;
            let Some(r) = running.get_mut(task_id) else {
                return;
            };
            let status = TaskStatus {
                task_id: task_id.to_string(),
                framework_id: r.live.framework.id.clone().unwrap_or_default(),
                agent_id: r.live.task.agent_id.clone(),
                state,
                message,
                reason: reason.map(str::to_string),
                source: Some("SOURCE_EXECUTOR".into()),
                timestamp: crate::now_secs(),
                container_id: Some(r.live.container_id.clone()),
                ip: Some(self.cfg.ip.to_string()),
            };
            r.live.status = status.clone();
            r.statuses.push(status.clone());
            if state.is_terminal() {
                let done = running.remove(task_id).expect("just found");
                let mut completed = self.completed.lock().await;
                completed.push(Completed {
                    live: done.live,
                    statuses: done.statuses,
                });
                if completed.len() > 150 {
                    completed.remove(0);
                }
            }
            status
        };
        tracing::info!(task = %task_id, state = state.name(), "status update");
        let _ = self.updates.send(status);
        self.save().await;
    }

    /// Starts a task (from the master).
    pub async fn run(self: &Arc<Self>, framework: FrameworkInfo, task: TaskInfo) {
        let container_id = crate::new_uuid();
        let agent_id = self.agent_id.lock().await.clone().unwrap_or_default();
        let fid = framework.id.clone().unwrap_or_default();
        let directory = PathBuf::from(&self.cfg.work_dir)
            .join("slaves")
            .join(&agent_id)
            .join("frameworks")
            .join(&fid)
            .join("executors")
            .join(&task.task_id)
            .join("runs")
            .join(&container_id);
        let staging = TaskStatus {
            task_id: task.task_id.clone(),
            framework_id: fid,
            agent_id: task.agent_id.clone(),
            state: TaskState::TASK_STAGING,
            message: None,
            reason: None,
            source: Some("SOURCE_AGENT".into()),
            timestamp: crate::now_secs(),
            container_id: None,
            ip: None,
        };
        let live = LiveTask {
            framework,
            task: task.clone(),
            status: staging,
            container_id,
            directory: directory.display().to_string(),
            pid: None,
        };
        self.running.lock().await.insert(
            task.task_id.clone(),
            Running {
                live,
                statuses: Vec::new(),
                killing: false,
            },
        );
        self.save().await;
        let me = self.clone();
        tokio::spawn(async move {
            let id = task.task_id.clone();
            if let Err(e) = std::fs::create_dir_all(&directory) {
                me.update(
                    &id,
                    TaskState::TASK_FAILED,
                    Some(format!(
                        "Failed to create sandbox {}: {e}",
                        directory.display()
                    )),
                    Some("REASON_EXECUTOR_TERMINATED"),
                )
                .await;
                return;
            }
            if task.docker.is_some() {
                me.run_docker(task, directory).await;
            } else {
                me.run_command(task, directory).await;
            }
        });
    }

    fn user_of(&self, task: &TaskInfo, framework: &FrameworkInfo) -> String {
        task.command
            .user
            .clone()
            .unwrap_or_else(|| framework.user.clone())
    }

    async fn run_command(self: &Arc<Self>, task: TaskInfo, sandbox: PathBuf) {
        let id = task.task_id.clone();
        let (framework, container_id) = {
            let running = self.running.lock().await;
            let Some(r) = running.get(&id) else { return };
            (r.live.framework.clone(), r.live.container_id.clone())
        };
        let user = self.user_of(&task, &framework);
        let account = if self.cfg.switch_user {
            match nix::unistd::User::from_name(&user) {
                Ok(Some(u)) => Some(u),
                _ => {
                    self.update(
                        &id,
                        TaskState::TASK_FAILED,
                        Some(format!("Failed to launch container: Failed to get user information for '{user}': No such user")),
                        Some("REASON_CONTAINER_LAUNCH_FAILED"),
                    )
                    .await;
                    return;
                }
            }
        } else {
            None
        };
        let value = task.command.value.clone().unwrap_or_default();
        let exit_file = sandbox.join(".standin_exit_status");
        let stdout = std::fs::File::create(sandbox.join("stdout"));
        let stderr = std::fs::File::create(sandbox.join("stderr"));
        let (Ok(stdout), Ok(stderr)) = (stdout, stderr) else {
            self.update(
                &id,
                TaskState::TASK_FAILED,
                Some("Failed to create the sandbox's stdout/stderr".into()),
                Some("REASON_CONTAINER_LAUNCH_FAILED"),
            )
            .await;
            return;
        };
        if let Some(u) = &account {
            let _ = nix::unistd::chown(&sandbox, Some(u.uid), Some(u.gid));
        }
        // The outer shell records the command's exit status in the sandbox, so an agent that
        // restarts (and is no longer the parent) still learns how the task ended.
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c")
            .arg("/bin/sh -c \"$1\"; code=$?; echo $code > \"$2\"; exit $code")
            .arg("mesos-command-executor")
            .arg(&value)
            .arg(&exit_file)
            .current_dir(&sandbox)
            .stdout(stdout)
            .stderr(stderr)
            .stdin(std::process::Stdio::null())
            .env("MESOS_SANDBOX", &sandbox)
            .env("MESOS_TASK_ID", &id)
            .env("MESOS_CONTAINER_NAME", format!("mesos-{container_id}"))
            .env(
                "MESOS_AGENT_ENDPOINT",
                format!("{}:{}", self.cfg.ip, self.cfg.port),
            )
            .env("HOST", &self.cfg.hostname)
            .envs(&task.command.environment)
            .process_group(0)
            .kill_on_drop(false);
        if let Some(u) = &account {
            cmd.uid(u.uid.as_raw()).gid(u.gid.as_raw());
            cmd.env("USER", &u.name).env("HOME", &u.dir);
        }
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                self.update(
                    &id,
                    TaskState::TASK_FAILED,
                    Some(format!("Failed to launch command: {e}")),
                    Some("REASON_CONTAINER_LAUNCH_FAILED"),
                )
                .await;
                return;
            }
        };
        let pid = child.id().map(|p| p as i32);
        if let Some(r) = self.running.lock().await.get_mut(&id) {
            r.live.pid = pid;
        }
        self.update(&id, TaskState::TASK_RUNNING, None, None).await;
        let status = child.wait().await;
        let killed = self.completed_or_killing(&id).await;
        let (state, message) = match status {
            Ok(s) if s.success() => (
                TaskState::TASK_FINISHED,
                "Command exited with status 0".to_string(),
            ),
            _ if killed => (
                TaskState::TASK_KILLED,
                "Command terminated with signal Terminated".to_string(),
            ),
            Ok(s) => match s.code() {
                Some(c) => (
                    TaskState::TASK_FAILED,
                    format!("Command exited with status {c}"),
                ),
                None => (
                    TaskState::TASK_FAILED,
                    "Command terminated with a signal".to_string(),
                ),
            },
            Err(e) => (TaskState::TASK_FAILED, format!("Lost the command: {e}")),
        };
        let reason = (state == TaskState::TASK_FAILED).then_some("REASON_COMMAND_EXECUTOR_FAILED");
        self.update(&id, state, Some(message), reason).await;
    }

    async fn completed_or_killing(&self, id: &str) -> bool {
        self.running.lock().await.get(id).is_some_and(|r| r.killing)
    }

    fn docker(&self) -> Command {
        let mut c = Command::new(&self.cfg.docker);
        c.arg("-H")
            .arg(format!("unix://{}", self.cfg.docker_socket));
        c.stdin(std::process::Stdio::null());
        c
    }

    async fn run_docker(self: &Arc<Self>, task: TaskInfo, sandbox: PathBuf) {
        let id = task.task_id.clone();
        let Some(docker) = task.docker.clone() else {
            return;
        };
        let container_id = match self.running.lock().await.get(&id) {
            Some(r) => r.live.container_id.clone(),
            None => return,
        };
        if !self.cfg.containerizers.iter().any(|c| c == "docker") {
            self.update(&id, TaskState::TASK_FAILED, Some("Failed to launch container: No containerizer can launch a Docker container (the docker containerizer is not enabled)".into()), Some("REASON_CONTAINER_LAUNCH_FAILED")).await;
            return;
        }
        let name = format!("mesos-{container_id}");
        // Pull first when asked or when the image is missing, within the registration timeout.
        let present = self
            .docker()
            .args(["image", "inspect", &docker.image])
            .output()
            .await
            .is_ok_and(|o| o.status.success());
        if docker.force_pull_image || !present {
            let pull = tokio::time::timeout(
                self.cfg.executor_registration_timeout,
                self.docker().args(["pull", &docker.image]).output(),
            )
            .await;
            let failed = match pull {
                Err(_) => Some(format!(
                    "timed out after {:?}",
                    self.cfg.executor_registration_timeout
                )),
                Ok(Err(e)) => Some(e.to_string()),
                Ok(Ok(o)) if !o.status.success() => {
                    Some(String::from_utf8_lossy(&o.stderr).trim().to_string())
                }
                Ok(Ok(_)) => None,
            };
            if let Some(why) = failed {
                self.update(
                    &id,
                    TaskState::TASK_FAILED,
                    Some(format!(
                        "Failed to launch container: Failed to run 'docker pull {}': {why}",
                        docker.image
                    )),
                    Some("REASON_CONTAINER_LAUNCH_FAILED"),
                )
                .await;
                return;
            }
        }
        let mut run = self.docker();
        run.args(["run", "-d", "--name", &name]);
        run.arg("--net").arg(docker.network.to_ascii_lowercase());
        let cpu_shares = ((task.resources.cpus + EXECUTOR_OVERHEAD.cpus) * 1024.0) as u64;
        let mem_mb = (task.resources.mem + EXECUTOR_OVERHEAD.mem) as u64;
        run.arg("--cpu-shares").arg(cpu_shares.max(2).to_string());
        run.arg("--memory").arg(format!("{mem_mb}m"));
        run.arg("-v")
            .arg(format!("{}:/mnt/mesos/sandbox", sandbox.display()));
        run.arg("-e").arg("MESOS_SANDBOX=/mnt/mesos/sandbox");
        run.arg("-e").arg(format!("MESOS_TASK_ID={id}"));
        run.arg("-e").arg(format!("MESOS_CONTAINER_NAME={name}"));
        for (k, v) in &task.command.environment {
            run.arg("-e").arg(format!("{k}={v}"));
        }
        for p in &docker.port_mappings {
            run.arg("-p").arg(format!(
                "{}:{}/{}",
                p.host_port, p.container_port, p.protocol
            ));
        }
        match (&task.command.value, task.command.shell) {
            (Some(v), true) => {
                run.arg("--entrypoint")
                    .arg("/bin/sh")
                    .arg(&docker.image)
                    .arg("-c")
                    .arg(v);
            }
            _ => {
                run.arg(&docker.image).args(&task.command.arguments);
            }
        }
        match run.output().await {
            Ok(o) if o.status.success() => {}
            Ok(o) => {
                let why = String::from_utf8_lossy(&o.stderr).trim().to_string();
                let _ = self.docker().args(["rm", "-f", &name]).output().await;
                self.update(
                    &id,
                    TaskState::TASK_FAILED,
                    Some(format!(
                        "Failed to launch container: Failed to run 'docker run': {why}"
                    )),
                    Some("REASON_CONTAINER_LAUNCH_FAILED"),
                )
                .await;
                return;
            }
            Err(e) => {
                self.update(
                    &id,
                    TaskState::TASK_FAILED,
                    Some(format!(
                        "Failed to launch container: cannot run {}: {e}",
                        self.cfg.docker
                    )),
                    Some("REASON_CONTAINER_LAUNCH_FAILED"),
                )
                .await;
                return;
            }
        }
        self.update(&id, TaskState::TASK_RUNNING, None, None).await;
        self.wait_docker(&id, &name).await;
    }

    async fn wait_docker(self: &Arc<Self>, id: &str, name: &str) {
        let code = self
            .docker()
            .args(["wait", name])
            .output()
            .await
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .parse::<i64>()
                    .ok()
            });
        let killed = self.completed_or_killing(id).await;
        let (state, message) = match code {
            Some(0) => (
                TaskState::TASK_FINISHED,
                "Container exited with status 0".to_string(),
            ),
            _ if killed => (TaskState::TASK_KILLED, "Container killed".to_string()),
            Some(c) => (
                TaskState::TASK_FAILED,
                format!("Container exited with status {c}"),
            ),
            None => (TaskState::TASK_FAILED, "Lost the container".to_string()),
        };
        let reason = (state == TaskState::TASK_FAILED).then_some("REASON_EXECUTOR_TERMINATED");
        self.update(id, state, Some(message), reason).await;
    }

    /// Kills a task: SIGTERM to a command's process group (SIGKILL after the grace period), or
    /// `docker stop` for a container.
    pub async fn kill(self: &Arc<Self>, task_id: &str) -> bool {
        let (pid, container, docker) = {
            let mut running = self.running.lock().await;
            let Some(r) = running.get_mut(task_id) else {
                return false;
            };
            r.killing = true;
            (
                r.live.pid,
                format!("mesos-{}", r.live.container_id),
                r.live.task.docker.is_some(),
            )
        };
        self.update(task_id, TaskState::TASK_KILLING, None, None)
            .await;
        if docker {
            let _ = self
                .docker()
                .args(["stop", "-t", "5", &container])
                .output()
                .await;
        } else if let Some(pid) = pid {
            use nix::sys::signal::{killpg, Signal};
            use nix::unistd::Pid;
            let _ = killpg(Pid::from_raw(pid), Signal::SIGTERM);
            let me = self.clone();
            let id = task_id.to_string();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(5)).await;
                if me.running.lock().await.contains_key(&id) {
                    let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
                }
            });
        }
        true
    }

    /// Picks up checkpointed tasks after a restart: live processes and containers are watched
    /// again, vanished ones reported as failed.
    pub async fn recover(self: &Arc<Self>, tasks: Vec<LiveTask>) {
        for live in tasks {
            let id = live.task.task_id.clone();
            let docker = live.task.docker.is_some();
            let name = format!("mesos-{}", live.container_id);
            let pid = live.pid;
            let exit_file = PathBuf::from(&live.directory).join(".standin_exit_status");
            self.running.lock().await.insert(
                id.clone(),
                Running {
                    statuses: vec![live.status.clone()],
                    live,
                    killing: false,
                },
            );
            let me = self.clone();
            tokio::spawn(async move {
                if docker {
                    // `docker wait` returns at once with the exit status of a stopped
                    // container and fails for a vanished one.
                    me.wait_docker(&id, &name).await;
                    return;
                }
                if let Some(pid) = pid {
                    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
                let code = std::fs::read_to_string(&exit_file)
                    .ok()
                    .and_then(|t| t.trim().parse::<i32>().ok());
                let (state, message) = match code {
                    Some(0) => (
                        TaskState::TASK_FINISHED,
                        "Command exited with status 0".to_string(),
                    ),
                    Some(c) => (
                        TaskState::TASK_FAILED,
                        format!("Command exited with status {c}"),
                    ),
                    None => (
                        TaskState::TASK_FAILED,
                        "Executor terminated while the agent was down".to_string(),
                    ),
                };
                let reason =
                    (state == TaskState::TASK_FAILED).then_some("REASON_EXECUTOR_TERMINATED");
                me.update(&id, state, Some(message), reason).await;
            });
        }
        self.save().await;
    }
}
