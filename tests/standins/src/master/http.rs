//! The master's HTTP API: the real endpoints (with and without the `/master` prefix, as a
//! packaged master serves them) and the stand-ins' private `/standin/v1/` calls.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use super::{json as docs, Master};
use crate::http::{empty_ok, json, not_found, refuse};
use crate::wire::{
    AgentRegistered, KillTask, Launch, PollReply, RegisterAgent, RunTask, Subscribe, Subscribed,
    TaskState, TaskStatus,
};

type Shared = State<Arc<Master>>;

/// The router.
pub fn router(master: Arc<Master>) -> Router {
    let mut r = Router::new();
    for prefix in ["/master", ""] {
        r = r
            .route(&format!("{prefix}/state"), get(state))
            .route(&format!("{prefix}/state.json"), get(state))
            .route(&format!("{prefix}/state-summary"), get(state_summary))
            .route(&format!("{prefix}/slaves"), get(slaves))
            .route(&format!("{prefix}/frameworks"), get(frameworks))
            .route(&format!("{prefix}/tasks"), get(tasks))
            .route(&format!("{prefix}/health"), get(health).head(health))
            .route(&format!("{prefix}/redirect"), get(redirect))
            .route(&format!("{prefix}/flags"), get(flags));
    }
    r.route("/metrics/snapshot", get(metrics))
        .route("/version", get(|| async { json(docs::version()) }))
        .route("/standin/v1/agents/register", post(register_agent))
        .route("/standin/v1/agents/{id}/ping", post(ping_agent))
        .route("/standin/v1/status", post(status))
        .route("/standin/v1/frameworks/subscribe", post(subscribe))
        .route("/standin/v1/frameworks/{id}/poll", post(poll))
        .route("/standin/v1/frameworks/{id}/launch", post(launch))
        .route("/standin/v1/frameworks/{id}/kill", post(kill))
        .route("/standin/v1/frameworks/{id}/reconcile", post(reconcile))
        .fallback(|| async { not_found() })
        .with_state(master)
}

async fn state(State(m): Shared) -> Response {
    let c = m.cluster.lock().await;
    let elected = m.elected();
    json(docs::state(&m, elected.then_some(&*c)))
}

async fn state_summary(State(m): Shared) -> Response {
    let c = m.cluster.lock().await;
    json(docs::state_summary(&m, m.elected().then_some(&*c)))
}

async fn slaves(State(m): Shared) -> Response {
    if !m.elected() {
        return json(serde_json::json!({"slaves": [], "recovered_slaves": []}));
    }
    json(docs::slaves(&*m.cluster.lock().await))
}

async fn frameworks(State(m): Shared) -> Response {
    if !m.elected() {
        return json(
            serde_json::json!({"frameworks": [], "completed_frameworks": [], "unregistered_frameworks": []}),
        );
    }
    json(docs::frameworks(&*m.cluster.lock().await))
}

async fn tasks(State(m): Shared) -> Response {
    if !m.elected() {
        return json(serde_json::json!({"tasks": []}));
    }
    json(docs::tasks(&*m.cluster.lock().await))
}

async fn health() -> Response {
    empty_ok()
}

/// 307 to the leading master, or to itself when there is none (as the real endpoint does).
async fn redirect(State(m): Shared) -> Response {
    let view = m.view.borrow().clone();
    let (host, port) = match &view.leader {
        Some(l) => (l.hostname.clone(), l.port),
        None => (m.info.hostname.clone(), m.info.port),
    };
    (
        StatusCode::TEMPORARY_REDIRECT,
        [(header::LOCATION, format!("//{host}:{port}"))],
    )
        .into_response()
}

async fn flags(State(m): Shared) -> Response {
    json(docs::flags(&m))
}

async fn metrics(State(m): Shared) -> Response {
    let c = m.cluster.lock().await;
    json(docs::metrics(&m, m.elected().then_some(&*c)))
}

fn not_leader(m: &Master) -> Response {
    let leader = m
        .view
        .borrow()
        .leader
        .as_ref()
        .map(|l| l.pid.clone())
        .unwrap_or_else(|| "none".into());
    refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        format!("Not the elected leading master (leader: {leader})"),
    )
}

async fn register_agent(State(m): Shared, Json(req): Json<RegisterAgent>) -> Response {
    if !m.elected() {
        return not_leader(&m);
    }
    let hostname = req.hostname.clone();
    let id = m
        .cluster
        .lock()
        .await
        .register_agent(&m.info.id, req, crate::now_secs());
    tracing::info!(agent = %id, %hostname, "agent registered");
    json(
        serde_json::to_value(AgentRegistered {
            agent_id: id,
            master_id: m.info.id.clone(),
            master_hostname: m.info.hostname.clone(),
        })
        .expect("serialises"),
    )
}

async fn ping_agent(State(m): Shared, Path(id): Path<String>) -> Response {
    if !m.elected() {
        return not_leader(&m);
    }
    if m.cluster.lock().await.agent_ping(&id) {
        json(serde_json::json!({}))
    } else {
        refuse(
            StatusCode::NOT_FOUND,
            format!("Unknown agent {id}: re-register"),
        )
    }
}

async fn status(State(m): Shared, Json(s): Json<TaskStatus>) -> Response {
    if !m.elected() {
        return not_leader(&m);
    }
    m.cluster.lock().await.status(s);
    json(serde_json::json!({}))
}

async fn subscribe(State(m): Shared, Json(req): Json<Subscribe>) -> Response {
    if !m.elected() {
        return not_leader(&m);
    }
    let name = req.framework.name.clone();
    let id = m
        .cluster
        .lock()
        .await
        .subscribe(&m.info.id, req.framework, crate::now_secs());
    tracing::info!(framework = %id, %name, "framework subscribed");
    json(
        serde_json::to_value(Subscribed {
            framework_id: id,
            master_id: m.info.id.clone(),
        })
        .expect("serialises"),
    )
}

async fn poll(State(m): Shared, Path(id): Path<String>) -> Response {
    if !m.elected() {
        return not_leader(&m);
    }
    let mut c = m.cluster.lock().await;
    match c.poll(&id) {
        Ok(updates) => json(
            serde_json::to_value(PollReply {
                offers: c.offers(),
                updates,
            })
            .expect("serialises"),
        ),
        Err(e) => refuse(StatusCode::NOT_FOUND, e.0),
    }
}

async fn launch(State(m): Shared, Path(id): Path<String>, Json(req): Json<Launch>) -> Response {
    if !m.elected() {
        return not_leader(&m);
    }
    let task = req.task;
    let accepted = m
        .cluster
        .lock()
        .await
        .launch(&id, task.clone(), crate::now_secs());
    let (address, framework) = match accepted {
        Ok(x) => x,
        Err(e) => return refuse(StatusCode::CONFLICT, e.0),
    };
    let master = m.clone();
    tokio::spawn(async move {
        let run = RunTask {
            framework,
            task: task.clone(),
        };
        let url = format!("{address}/standin/v1/run");
        if let Err(e) = crate::http::post::<serde_json::Value>(&master.http, &url, &run).await {
            tracing::warn!(task = %task.task_id, error = %e, "the agent did not take the task");
            master.cluster.lock().await.status(TaskStatus {
                task_id: task.task_id.clone(),
                framework_id: run.framework.id.clone().unwrap_or_default(),
                agent_id: task.agent_id.clone(),
                state: TaskState::TASK_DROPPED,
                message: Some(format!("The agent did not take the task: {e}")),
                reason: Some("REASON_AGENT_DISCONNECTED".into()),
                source: Some("SOURCE_MASTER".into()),
                timestamp: crate::now_secs(),
                container_id: None,
                ip: None,
            });
        }
    });
    (StatusCode::ACCEPTED, json(serde_json::json!({}))).into_response()
}

async fn kill(State(m): Shared, Path(id): Path<String>, Json(req): Json<KillTask>) -> Response {
    if !m.elected() {
        return not_leader(&m);
    }
    let address = {
        let c = m.cluster.lock().await;
        let Some(task) = c
            .frameworks
            .get(&id)
            .and_then(|fw| fw.tasks.get(&req.task_id))
        else {
            return refuse(
                StatusCode::NOT_FOUND,
                format!("Unknown task {}", req.task_id),
            );
        };
        match c.agents.get(&task.info.agent_id) {
            Some(a) => format!("http://{}:{}", a.ip, a.port),
            None => return refuse(StatusCode::CONFLICT, "The task's agent is gone"),
        }
    };
    let url = format!("{address}/standin/v1/kill");
    match crate::http::post::<serde_json::Value>(&m.http, &url, &req).await {
        Ok(_) => json(serde_json::json!({})),
        Err(e) => refuse(StatusCode::BAD_GATEWAY, e.to_string()),
    }
}

async fn reconcile(
    State(m): Shared,
    Path(id): Path<String>,
    Json(req): Json<crate::wire::Reconcile>,
) -> Response {
    if !m.elected() {
        return not_leader(&m);
    }
    let statuses = m
        .cluster
        .lock()
        .await
        .reconcile(&id, &req.tasks, crate::now_secs());
    json(serde_json::to_value(statuses).expect("serialises"))
}
