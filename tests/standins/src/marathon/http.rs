//! Marathon's REST API. Every instance answers `/ping`, `/v2/info` and `/v2/leader` itself; the
//! app, deployment and task endpoints are the leader's, and other instances proxy them to it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::app::{self, timestamp, App};
use super::state::{Deployment, Sched};
use super::Marathon;
use crate::wire::TaskState;

type Shared = State<Arc<Marathon>>;

fn reply(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn message(status: StatusCode, text: &str) -> Response {
    reply(status, json!({ "message": text }))
}

/// The router.
pub fn router(m: Arc<Marathon>) -> Router {
    Router::new()
        .route(
            "/ping",
            get(|| async { ([(header::CONTENT_TYPE, "text/plain")], "pong") }),
        )
        .route("/v2/info", get(info))
        .route("/v2/leader", get(leader))
        .route("/v2/apps", get(leader_only).post(leader_only))
        .route(
            "/v2/apps/{*id}",
            get(leader_only).put(leader_only).delete(leader_only),
        )
        .route("/v2/deployments", get(leader_only))
        .route("/v2/tasks", get(leader_only))
        .fallback(|| async { message(StatusCode::NOT_FOUND, "URI not found") })
        .with_state(m)
}

async fn info(State(m): Shared) -> Response {
    let e = m.election.borrow().clone();
    let framework_id = m.sched.lock().await.framework_id.clone();
    reply(
        StatusCode::OK,
        json!({
            "name": "marathon",
            "version": crate::MARATHON_VERSION,
            "buildref": "standin",
            "elected": e.elected,
            "leader": e.leader,
            "frameworkId": framework_id,
            "marathon_config": {
                "master": m.cfg.master_text,
                "failover_timeout": 604800,
                "framework_name": m.cfg.framework_name,
                "ha": !m.cfg.options.contains_key("disable_ha"),
                "checkpoint": true,
                "local_port_min": m.cfg.local_port_min,
                "local_port_max": 20000,
                "executor": "//cmd",
                "hostname": m.cfg.hostname,
                "webui_url": null,
                "mesos_role": null,
                "task_launch_timeout": m.cfg.task_launch_timeout.as_millis() as u64,
                "reconciliation_initial_delay": 15000,
                "reconciliation_interval": 600000,
                "mesos_user": m.cfg.mesos_user,
                "leader_proxy_connection_timeout_ms": 5000,
                "leader_proxy_read_timeout_ms": 10000,
                "mesos_leader_ui_url": m.mesos.borrow().as_ref().map(|l| format!("http://{}:{}/", l.hostname, l.port)),
            },
            "zookeeper_config": {
                "zk": m.cfg.zk.to_string(),
                "zk_timeout": 10000,
                "zk_session_timeout": 10000,
                "zk_max_versions": 50,
            },
            "http_config": { "http_port": m.cfg.http_port, "https_port": 8443 },
        }),
    )
}

async fn leader(State(m): Shared) -> Response {
    match m.election.borrow().leader.clone() {
        Some(l) => reply(StatusCode::OK, json!({ "leader": l })),
        None => message(StatusCode::NOT_FOUND, "There is no leader"),
    }
}

/// Serves the request as leader, or proxies it to the leader.
async fn leader_only(State(m): Shared, req: Request) -> Response {
    let e = m.election.borrow().clone();
    if e.elected {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, 10 << 20)
            .await
            .unwrap_or_default();
        let query: Query<std::collections::HashMap<String, String>> =
            Query::try_from_uri(&parts.uri).unwrap_or(Query(Default::default()));
        let mut resp = serve(&m, parts.method, parts.uri.path(), &query.0, bytes).await;
        if let Ok(v) = HeaderValue::from_str(&format!("http://{}", m.me)) {
            resp.headers_mut().insert("X-Marathon-Leader", v);
        }
        return resp;
    }
    let Some(leader) = e.leader else {
        return message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Could not determine the current leader",
        );
    };
    proxy(&m, &leader, req).await
}

async fn proxy(m: &Marathon, leader: &str, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 10 << 20)
        .await
        .unwrap_or_default();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let url = format!("http://{leader}{path}");
    let mut out = m
        .http
        .request(parts.method.clone(), &url)
        .header("X-Marathon-Via", format!("1.1 {}", m.me))
        .body(bytes.to_vec());
    if let Some(ct) = parts.headers.get(header::CONTENT_TYPE) {
        out = out.header(header::CONTENT_TYPE, ct);
    }
    match out.send().await {
        Ok(r) => {
            let status = r.status();
            let mut headers = HeaderMap::new();
            for (k, v) in r.headers() {
                if k == header::CONTENT_TYPE
                    || k.as_str().starts_with("marathon-")
                    || k.as_str().starts_with("x-marathon")
                    || k == header::LOCATION
                {
                    headers.insert(k.clone(), v.clone());
                }
            }
            let body = r.bytes().await.unwrap_or_default();
            (status, headers, body).into_response()
        }
        Err(e) => message(
            StatusCode::BAD_GATEWAY,
            &format!("Error while proxying request to the leader {leader}: {e}"),
        ),
    }
}

fn counts(sched: &Sched, a: &App) -> (usize, usize) {
    let live: Vec<_> = sched.live_of(&a.id).collect();
    let running = live
        .iter()
        .filter(|i| i.state == TaskState::TASK_RUNNING)
        .count();
    (live.len() - running, running)
}

fn task_json(i: &super::state::Instance) -> Value {
    json!({
        "appId": i.app_id,
        "healthCheckResults": [],
        "host": i.host,
        "id": i.task_id,
        "ipAddresses": i.ip.as_ref().map(|ip| vec![json!({ "ipAddress": ip, "protocol": "IPv4" })]).unwrap_or_default(),
        "ports": i.ports,
        "servicePorts": i.service_ports,
        "slaveId": i.agent_id,
        "state": i.state.name(),
        "stagedAt": i.staged_at,
        "startedAt": i.started_at,
        "version": i.version,
        "localVolumes": [],
        "role": "*",
    })
}

fn app_info(sched: &Sched, a: &App, embed_tasks: bool) -> Value {
    let mut v = a.to_json();
    let (staged, running) = counts(sched, a);
    let obj = v.as_object_mut().expect("an object");
    obj.insert("tasksStaged".into(), json!(staged));
    obj.insert("tasksRunning".into(), json!(running));
    obj.insert("tasksHealthy".into(), json!(0));
    obj.insert("tasksUnhealthy".into(), json!(0));
    let deployments: Vec<Value> = sched
        .deployments
        .values()
        .filter(|d| d.app_id == a.id)
        .map(|d| json!({ "id": d.id }))
        .collect();
    obj.insert("deployments".into(), Value::Array(deployments));
    if embed_tasks {
        let tasks: Vec<Value> = sched.live_of(&a.id).map(task_json).collect();
        obj.insert("tasks".into(), Value::Array(tasks));
        if let Some(f) = sched.failures.get(&a.id) {
            obj.insert("lastTaskFailure".into(), f.json.clone());
        }
    }
    v
}

fn locked(sched: &Sched, id: &str) -> Option<Response> {
    let ids: Vec<&Deployment> = sched
        .deployments
        .values()
        .filter(|d| d.app_id == id)
        .collect();
    if ids.is_empty() {
        return None;
    }
    Some(reply(
        StatusCode::CONFLICT,
        json!({
            "message": format!("App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'."),
            "deployments": ids.iter().map(|d| json!({ "id": d.id })).collect::<Vec<_>>(),
        }),
    ))
}

fn assign_service_ports(sched: &Sched, app: &mut App, old: Option<&App>, min: u64) {
    let mut taken: std::collections::BTreeSet<u64> = std::collections::BTreeSet::new();
    let mut next = || {
        let mut p = sched.next_service_port(min);
        while taken.contains(&p) {
            p += 1;
        }
        taken.insert(p);
        p
    };
    let old_defs: Vec<u64> = old
        .map(|o| {
            o.port_definitions
                .iter()
                .chain(o.port_mappings.iter())
                .map(|p| p.service_port)
                .collect()
        })
        .unwrap_or_default();
    for (k, p) in app
        .port_definitions
        .iter_mut()
        .chain(app.port_mappings.iter_mut())
        .enumerate()
    {
        if p.service_port == 0 {
            p.service_port = old_defs
                .get(k)
                .copied()
                .filter(|v| *v != 0)
                .unwrap_or_else(&mut next);
        }
    }
}

async fn deploy(
    m: &Marathon,
    sched: &mut Sched,
    app_id: &str,
    action: &str,
    version: &str,
) -> Result<Deployment, Response> {
    // A forced change replaces whatever deployment was running for the app.
    let stale: Vec<String> = sched
        .deployments
        .values()
        .filter(|d| d.app_id == app_id)
        .map(|d| d.id.clone())
        .collect();
    for id in stale {
        sched.deployments.remove(&id);
        let _ = m.store.delete_deployment(&id).await;
    }
    let d = Deployment {
        id: crate::new_uuid(),
        version: version.to_string(),
        app_id: app_id.to_string(),
        action: action.to_string(),
    };
    m.store
        .put_deployment(&d)
        .await
        .map_err(|e| store_error(&e))?;
    sched.deployments.insert(d.id.clone(), d.clone());
    Ok(d)
}

fn store_error(e: &zookeeper_client::Error) -> Response {
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        &format!("Could not store the change in ZooKeeper: {e}"),
    )
}

fn with_deployment(
    status: StatusCode,
    d: &Deployment,
    body: Value,
    location: Option<String>,
) -> Response {
    let mut resp = reply(status, body);
    if let Ok(v) = HeaderValue::from_str(&d.id) {
        resp.headers_mut().insert("Marathon-Deployment-Id", v);
    }
    if let Some(l) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        resp.headers_mut().insert(header::LOCATION, l);
    }
    resp
}

async fn serve(
    m: &Marathon,
    method: Method,
    path: &str,
    query: &std::collections::HashMap<String, String>,
    body: Bytes,
) -> Response {
    let mut sched = m.sched.lock().await;
    if !sched.loaded {
        return message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Leader is loading its state; try again",
        );
    }
    let force = query.get("force").is_some_and(|v| v == "true");
    let now = crate::now_secs();
    match (method, path) {
        (Method::GET, "/v2/apps") => {
            let apps: Vec<Value> = sched
                .apps
                .values()
                .map(|a| app_info(&sched, a, false))
                .collect();
            reply(StatusCode::OK, json!({ "apps": apps }))
        }
        (Method::GET, "/v2/deployments") => {
            let list: Vec<Value> = sched
                .deployments
                .values()
                .map(Deployment::to_json)
                .collect();
            reply(StatusCode::OK, Value::Array(list))
        }
        (Method::GET, "/v2/tasks") => {
            let tasks: Vec<Value> = sched
                .instances
                .values()
                .filter(|i| !i.state.is_terminal())
                .map(task_json)
                .collect();
            reply(StatusCode::OK, json!({ "tasks": tasks }))
        }
        (Method::POST, "/v2/apps") => {
            let mut new = match app::parse(&body, None, now) {
                Ok(a) => a,
                Err(r) => {
                    return reply(
                        StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST),
                        r.body,
                    )
                }
            };
            if sched.apps.contains_key(&new.id) {
                return message(
                    StatusCode::CONFLICT,
                    &format!("An app with id [{}] already exists.", new.id),
                );
            }
            assign_service_ports(&sched, &mut new, None, m.cfg.local_port_min);
            if let Err(e) = m.store.put_app(&new).await {
                return store_error(&e);
            }
            sched.apps.insert(new.id.clone(), new.clone());
            let d = match deploy(m, &mut sched, &new.id, "StartApplication", &new.version).await {
                Ok(d) => d,
                Err(r) => return r,
            };
            let body = app_info(&sched, &new, false);
            with_deployment(
                StatusCode::CREATED,
                &d,
                body,
                Some(format!("/v2/apps{}", new.id)),
            )
        }
        (method, p) if p.starts_with("/v2/apps/") => {
            let raw = &p["/v2/apps".len()..];
            if let Some(id) = raw.strip_suffix("/tasks") {
                let id = app::canonical_id(id);
                if method != Method::GET {
                    return message(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
                }
                return match sched.apps.get(&id) {
                    Some(a) => reply(
                        StatusCode::OK,
                        json!({ "tasks": sched.live_of(&a.id).map(task_json).collect::<Vec<_>>() }),
                    ),
                    None => message(StatusCode::NOT_FOUND, &format!("App '{id}' does not exist")),
                };
            }
            let id = app::canonical_id(raw);
            match method {
                Method::GET => match sched.apps.get(&id) {
                    Some(a) => reply(StatusCode::OK, json!({ "app": app_info(&sched, a, true) })),
                    None => message(StatusCode::NOT_FOUND, &format!("App '{id}' does not exist")),
                },
                Method::DELETE => {
                    if !sched.apps.contains_key(&id) {
                        return message(
                            StatusCode::NOT_FOUND,
                            &format!("App '{id}' does not exist"),
                        );
                    }
                    if !force {
                        if let Some(r) = locked(&sched, &id) {
                            return r;
                        }
                    }
                    if let Err(e) = m.store.delete_app(&id).await {
                        return store_error(&e);
                    }
                    sched.apps.remove(&id);
                    sched.failures.remove(&id);
                    let version = timestamp(now);
                    match deploy(m, &mut sched, &id, "StopApplication", &version).await {
                        Ok(d) => with_deployment(
                            StatusCode::OK,
                            &d,
                            json!({ "version": version, "deploymentId": d.id }),
                            None,
                        ),
                        Err(r) => r,
                    }
                }
                Method::PUT => {
                    let mut new = match app::parse(&body, Some(&id), now) {
                        Ok(a) => a,
                        Err(r) => {
                            return reply(
                                StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST),
                                r.body,
                            )
                        }
                    };
                    new.id = id.clone();
                    let old = sched.apps.get(&id).cloned();
                    if old.is_some() && !force {
                        if let Some(r) = locked(&sched, &id) {
                            return r;
                        }
                    }
                    assign_service_ports(&sched, &mut new, old.as_ref(), m.cfg.local_port_min);
                    let (status, action) = match &old {
                        None => (StatusCode::CREATED, "StartApplication"),
                        Some(o) if o.same_config(&new) => {
                            // A scale (or nothing): the configuration version stays.
                            new.last_config_change_at = o.last_config_change_at.clone();
                            (StatusCode::OK, "ScaleApplication")
                        }
                        Some(_) => (StatusCode::OK, "RestartApplication"),
                    };
                    if let Err(e) = m.store.put_app(&new).await {
                        return store_error(&e);
                    }
                    sched.apps.insert(id.clone(), new.clone());
                    match deploy(m, &mut sched, &id, action, &new.version).await {
                        Ok(d) => with_deployment(
                            status,
                            &d,
                            json!({ "version": new.version, "deploymentId": d.id }),
                            None,
                        ),
                        Err(r) => r,
                    }
                }
                _ => message(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed"),
            }
        }
        _ => message(StatusCode::NOT_FOUND, "URI not found"),
    }
}
