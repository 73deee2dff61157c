//! The mesos-agent (mesos-slave) STAND-IN: flags and refusals like the real agent, leader
//! detection through ZooKeeper, registration and re-registration, real resources, and tasks run
//! for real (command tasks with `sh -c`, Docker tasks with the node's Docker).

pub mod checkpoint;
pub mod config;
pub mod json;
pub mod tasks;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use tokio::sync::{mpsc, watch};

use crate::http::{empty_ok, json as json_response, not_found, refuse};
use crate::wire::{AgentRegistered, KillTask, MasterInfo, RegisterAgent, RunTask, TaskStatus};
use checkpoint::{agent_info, Checkpoint, Recovered};
use config::Config;
use tasks::Executor;

/// Where registration stands.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    /// Agent id, once registered (or recovered).
    pub agent_id: Option<String>,
    /// The master it is registered with.
    pub master_hostname: Option<String>,
    /// Whether it is connected to a master now.
    pub connected: bool,
}

/// A running agent.
#[derive(Debug)]
pub struct Agent {
    /// Configuration.
    pub cfg: Arc<Config>,
    /// Start time.
    pub start_time: f64,
    /// Registration state.
    pub registration: watch::Receiver<Registration>,
    /// Tasks.
    pub executor: Arc<Executor>,
}

/// Runs the agent with the process's environment and arguments; returns the exit code.
pub fn main() -> i32 {
    crate::banner::Daemon {
        name: "mesos-agent-standin",
        real: "the Apache Mesos 1.11.0 agent (mesos-slave)",
        version: Some(format!("mesos {} (STAND-IN)", crate::MESOS_VERSION)),
    }
    .main(
        Config::load,
        |c| c.flags.get("logging_level").unwrap_or("INFO").to_string(),
        run,
    )
}

/// Checks that a Docker daemon answers, as the real Docker containerizer does at start.
async fn check_docker(cfg: &Config) -> anyhow::Result<()> {
    let out = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::process::Command::new(&cfg.docker)
            .args(["-H", &format!("unix://{}", cfg.docker_socket)])
            .args(["version", "--format", "{{.Server.Version}}"])
            .output(),
    )
    .await;
    let why = match out {
        Err(_) => "timed out after 20secs".to_string(),
        Ok(Err(e)) => format!("cannot run '{}': {e}", cfg.docker),
        Ok(Ok(o)) if o.status.success() => return Ok(()),
        Ok(Ok(o)) => String::from_utf8_lossy(&o.stderr).trim().to_string(),
    };
    anyhow::bail!(
        "Failed to create a containerizer: Could not create DockerContainerizer: Failed to create docker: Failed to get docker version: {why}"
    )
}

/// Runs an agent until it must exit.
pub async fn run(cfg: Config) -> anyhow::Result<()> {
    if cfg.containerizers.iter().any(|c| c == "docker") {
        check_docker(&cfg).await?;
    }
    std::fs::create_dir_all(&cfg.work_dir).map_err(|e| {
        anyhow::anyhow!(
            "Failed to create the work directory '{}': {e}",
            cfg.work_dir
        )
    })?;
    let checkpoint = Checkpoint::new(&cfg.work_dir);
    let info = agent_info(&cfg.hostname, cfg.port, &cfg.resources, &cfg.attributes);
    let recovered = checkpoint.recover(&info).map_err(anyhow::Error::msg)?;
    let cfg = Arc::new(cfg);
    let (updates_tx, updates_rx) = mpsc::unbounded_channel();
    let executor = Executor::new(cfg.clone(), updates_tx);
    let (reg_tx, reg_rx) = watch::channel(Registration::default());
    if let Recovered::Same { agent_id, tasks } = recovered {
        tracing::info!(agent = %agent_id, tasks = tasks.len(), "Recovering the agent from its checkpoint");
        reg_tx.send_modify(|r| r.agent_id = Some(agent_id.clone()));
        executor.set_agent_id(&agent_id).await;
        executor.recover(tasks).await;
    }
    let agent = Arc::new(Agent {
        cfg: cfg.clone(),
        start_time: crate::now_secs(),
        registration: reg_rx,
        executor: executor.clone(),
    });
    let addr = SocketAddr::from((cfg.ip, cfg.port));
    let server = crate::http::serve(addr, router(agent.clone()));
    let leader = crate::detect::follow(&cfg.master);
    let registration = register_loop(agent.clone(), leader.clone(), reg_tx, checkpoint, info);
    let forwarder = forward_updates(updates_rx, leader);
    tokio::select! {
        r = server => r,
        _ = registration => Ok(()),
        _ = forwarder => Ok(()),
    }
}

async fn register_loop(
    agent: Arc<Agent>,
    mut leader: watch::Receiver<Option<MasterInfo>>,
    reg: watch::Sender<Registration>,
    checkpoint: Checkpoint,
    info: checkpoint::AgentInfo,
) {
    let http = crate::http::client();
    let cfg = agent.cfg.clone();
    loop {
        let Some(master) = leader.borrow_and_update().clone() else {
            reg.send_modify(|r| r.connected = false);
            let _ = leader.changed().await;
            continue;
        };
        let live = agent.executor.live().await;
        let mut frameworks: Vec<_> = live.iter().map(|(f, _, _)| f.clone()).collect();
        frameworks.dedup_by(|a, b| a.id == b.id);
        let req = RegisterAgent {
            agent_id: reg.borrow().agent_id.clone(),
            hostname: cfg.hostname.clone(),
            ip: cfg.ip.to_string(),
            port: cfg.port,
            resources: cfg.resources.clone(),
            attributes: cfg.attributes.clone(),
            frameworks,
            tasks: live.into_iter().map(|(_, t, s)| (t, s)).collect(),
        };
        let url = format!("{}/standin/v1/agents/register", master.url());
        let answer: anyhow::Result<AgentRegistered> = crate::http::post(&http, &url, &req).await;
        let registered = match answer {
            Ok(a) => a,
            Err(e) => {
                tracing::debug!(error = %e, "registration failed; retrying");
                tokio::select! {
                    _ = leader.changed() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                continue;
            }
        };
        let first = reg.borrow().agent_id.is_none();
        if first {
            if let Err(e) = checkpoint.record(&registered.agent_id, &info) {
                tracing::error!(error = %e, "cannot checkpoint the agent info");
            }
            agent.executor.set_agent_id(&registered.agent_id).await;
            tracing::info!(agent = %registered.agent_id, master = %master.pid, "Registered with master");
        } else {
            tracing::info!(agent = %registered.agent_id, master = %master.pid, "Re-registered with master");
        }
        reg.send_modify(|r| {
            r.agent_id = Some(registered.agent_id.clone());
            r.master_hostname = Some(registered.master_hostname.clone());
            r.connected = true;
        });
        // Ping until the master forgets us or another master leads.
        let ping = format!(
            "{}/standin/v1/agents/{}/ping",
            master.url(),
            registered.agent_id
        );
        loop {
            tokio::select! {
                _ = leader.changed() => break,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            match http.post(&ping).send().await {
                Ok(r) if r.status().is_success() => reg.send_modify(|r| r.connected = true),
                Ok(r)
                    if r.status() == StatusCode::NOT_FOUND
                        || r.status() == StatusCode::SERVICE_UNAVAILABLE =>
                {
                    break
                }
                _ => reg.send_modify(|r| r.connected = false),
            }
        }
        reg.send_modify(|r| r.connected = false);
    }
}

/// Sends status updates to the leading master in order, retrying until one takes them.
async fn forward_updates(
    mut updates: mpsc::UnboundedReceiver<TaskStatus>,
    leader: watch::Receiver<Option<MasterInfo>>,
) {
    let http = crate::http::client();
    while let Some(update) = updates.recv().await {
        loop {
            let master = leader.borrow().clone();
            if let Some(m) = master {
                let url = format!("{}/standin/v1/status", m.url());
                if crate::http::post::<serde_json::Value>(&http, &url, &update)
                    .await
                    .is_ok()
                {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

type Shared = State<Arc<Agent>>;

fn router(agent: Arc<Agent>) -> Router {
    let mut r = Router::new();
    for prefix in ["/slave(1)", ""] {
        r = r
            .route(&format!("{prefix}/state"), get(state))
            .route(&format!("{prefix}/state.json"), get(state))
            .route(
                &format!("{prefix}/health"),
                get(|| async { empty_ok() }).head(|| async { empty_ok() }),
            )
            .route(&format!("{prefix}/flags"), get(flags));
    }
    r.route("/metrics/snapshot", get(metrics))
        .route(
            "/version",
            get(|| async { json_response(crate::master::json::version()) }),
        )
        .route("/standin/v1/run", post(run_task))
        .route("/standin/v1/kill", post(kill_task))
        .fallback(|| async { not_found() })
        .with_state(agent)
}

async fn state(State(a): Shared) -> Response {
    json_response(json::state(&a).await)
}

async fn flags(State(a): Shared) -> Response {
    json_response(serde_json::json!({ "flags": a.cfg.flags.all() }))
}

async fn metrics(State(a): Shared) -> Response {
    json_response(json::metrics(&a).await)
}

async fn run_task(State(a): Shared, Json(req): Json<RunTask>) -> Response {
    if a.registration.borrow().agent_id.is_none() {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "Agent is not registered");
    }
    a.executor.run(req.framework, req.task).await;
    json_response(serde_json::json!({}))
}

async fn kill_task(State(a): Shared, Json(req): Json<KillTask>) -> Response {
    if a.executor.kill(&req.task_id).await {
        json_response(serde_json::json!({}))
    } else {
        refuse(
            StatusCode::NOT_FOUND,
            format!("Unknown task {}", req.task_id),
        )
    }
}
