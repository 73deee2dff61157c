//! `submit-apps`: Marathon app definitions (the use case's two, and files), validated before any
//! connection, and submitted idempotently: GET the app, compare only the fields the definition
//! sets, PUT only when they differ, then wait for the deployment to finish and the tasks to run.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::health::marathon::{self, MarathonError};
use crate::health::transport::Dialer;

/// An app to submit.
#[derive(Debug, Clone, PartialEq)]
pub struct AppDef {
    /// Marathon id, with the leading `/`.
    pub id: String,
    /// The definition as sent.
    pub definition: Value,
    /// Where it came from (`default` or the file).
    pub source: String,
}

/// The use case's two apps: `shell-hello` (a command, 0.1 CPU, 16 MB) and `docker-hello`
/// (`python3 -m http.server 8080` in a Docker container on the bridge network, a host port
/// picked from the offer, 0.5 CPU, 32 MB). Written in Marathon 1.5+ networking form.
pub fn default_apps(docker_image: &str) -> Vec<AppDef> {
    vec![
        AppDef {
            id: "/shell-hello".into(),
            definition: json!({
                "id": "/shell-hello",
                "cmd": "echo hello; sleep 10",
                "cpus": 0.1,
                "mem": 16,
                "disk": 0,
                "instances": 1
            }),
            source: "default".into(),
        },
        AppDef {
            id: "/docker-hello".into(),
            definition: json!({
                "id": "/docker-hello",
                "cmd": "python3 -m http.server 8080",
                "cpus": 0.5,
                "mem": 32,
                "disk": 0,
                "instances": 1,
                "container": {
                    "type": "DOCKER",
                    "docker": { "image": docker_image },
                    "portMappings": [
                        { "containerPort": 8080, "hostPort": 0, "protocol": "tcp", "name": "http" }
                    ]
                },
                "networks": [ { "mode": "container/bridge" } ]
            }),
            source: "default".into(),
        },
    ]
}

/// Checks a Marathon app id: `/`-separated segments of lowercase letters, digits, `-` and `.`
/// (not starting or ending with them).
fn valid_id(id: &str) -> bool {
    let path = id.strip_prefix('/').unwrap_or(id);
    !path.is_empty()
        && path.split('/').all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
                && seg
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
                && seg
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
        })
}

/// Validates a definition; every problem names its field.
pub fn validate(definition: &Value) -> Result<String, Vec<String>> {
    let mut problems = Vec::new();
    let Some(obj) = definition.as_object() else {
        return Err(vec!["the definition must be a JSON object".into()]);
    };
    let id = match obj.get("id") {
        None => {
            problems.push("id: missing (every app needs an id)".to_string());
            String::new()
        }
        Some(Value::String(id)) if valid_id(id) => {
            format!("/{}", id.trim_start_matches('/'))
        }
        Some(other) => {
            problems.push(format!(
                "id: {other} is not an app id (lowercase letters, digits, '-' and '.', separated by '/')"
            ));
            String::new()
        }
    };
    for (field, min) in [
        ("cpus", 0.0),
        ("mem", 0.0),
        ("disk", 0.0),
        ("instances", 0.0),
    ] {
        if let Some(v) = obj.get(field) {
            match v.as_f64() {
                Some(n) if n >= min => {}
                _ => problems.push(format!("{field}: {v} must be a number >= {min}")),
            }
        }
    }
    if let Some(v) = obj.get("instances") {
        if v.as_u64().is_none() {
            problems.push(format!("instances: {v} must be a whole number"));
        }
    }
    for field in ["cmd"] {
        if let Some(v) = obj.get(field) {
            if !v.is_string() {
                problems.push(format!("{field}: must be a string"));
            }
        }
    }
    if let Some(v) = obj.get("args") {
        if !v.as_array().is_some_and(|a| a.iter().all(Value::is_string)) {
            problems.push("args: must be an array of strings".into());
        }
        if obj.contains_key("cmd") {
            problems.push("cmd, args: give one of them, not both".into());
        }
    }
    if !obj.contains_key("cmd") && !obj.contains_key("args") && !obj.contains_key("container") {
        problems.push("cmd: an app needs cmd, args or a container to run".into());
    }
    if let Some(c) = obj.get("container") {
        match c.get("type").and_then(Value::as_str) {
            Some("DOCKER") | Some("MESOS") => {}
            _ => problems.push("container.type: must be \"DOCKER\" or \"MESOS\"".into()),
        }
        if c.get("type").and_then(Value::as_str) == Some("DOCKER")
            && !c["docker"]["image"].is_string()
        {
            problems.push("container.docker.image: a DOCKER container needs an image".into());
        }
    }
    if problems.is_empty() {
        Ok(id)
    } else {
        Err(problems)
    }
}

/// Reads and validates an app file.
pub fn load_file(path: &Path) -> Result<AppDef, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("--app {shown}: {e}"))?;
    let definition: Value =
        serde_json::from_str(&text).map_err(|e| format!("--app {shown}: not valid JSON: {e}"))?;
    let definition = normalise(&definition);
    let id = validate(&definition).map_err(|p| format!("--app {shown}: {}", p.join("; ")))?;
    Ok(AppDef {
        id,
        definition,
        source: shown.to_string(),
    })
}

/// Rewrites the legacy (Marathon <= 1.4) networking fields into the 1.5+ form Marathon stores
/// and answers with: `container.docker.network` -> `networks`, `container.docker.portMappings`
/// -> `container.portMappings`, `ports` -> `portDefinitions`. Other fields are kept.
pub fn normalise(definition: &Value) -> Value {
    let mut d = definition.clone();
    let Some(obj) = d.as_object_mut() else {
        return d;
    };
    if let Some(Value::Array(ports)) = obj.remove("ports") {
        if !obj.contains_key("portDefinitions") {
            let defs: Vec<Value> = ports.into_iter().map(|p| json!({ "port": p })).collect();
            obj.insert("portDefinitions".into(), Value::Array(defs));
        }
    }
    let mut network = None;
    if let Some(Value::Object(container)) = obj.get_mut("container") {
        if let Some(Value::Object(docker)) = container.get_mut("docker") {
            network = docker.remove("network");
            if let Some(pm) = docker.remove("portMappings") {
                container.entry("portMappings").or_insert(pm);
            }
        }
    }
    if let Some(Value::String(n)) = network {
        if !obj.contains_key("networks") {
            let mode = match n.as_str() {
                "BRIDGE" => "container/bridge",
                "HOST" => "host",
                _ => "container",
            };
            obj.insert("networks".into(), json!([{ "mode": mode }]));
        }
    }
    d
}

fn numbers_equal(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        _ => false,
    }
}

/// The fields of `desired` whose value `actual` does not have, as `path: actual -> desired`.
/// Only fields the definition sets are compared (Marathon fills in many defaults); objects
/// inside arrays are compared the same way, element by element.
pub fn differences(desired: &Value, actual: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff_into(&mut out, "", desired, actual);
    out
}

fn diff_into(out: &mut Vec<String>, path: &str, desired: &Value, actual: &Value) {
    let show = |v: &Value| {
        if v.is_null() {
            "(unset)".to_string()
        } else {
            v.to_string()
        }
    };
    match (desired, actual) {
        (Value::Object(d), Value::Object(a)) => {
            for (k, dv) in d {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                let av = a.get(k).unwrap_or(&Value::Null);
                if p == "id" {
                    let norm =
                        |v: &Value| v.as_str().map(|s| s.trim_start_matches('/').to_string());
                    if norm(dv) != norm(av) {
                        out.push(format!("id: {} -> {}", show(av), show(dv)));
                    }
                    continue;
                }
                diff_into(out, &p, dv, av);
            }
        }
        (Value::Array(d), Value::Array(a)) if d.len() == a.len() => {
            for (i, (dv, av)) in d.iter().zip(a).enumerate() {
                diff_into(out, &format!("{path}[{i}]"), dv, av);
            }
        }
        (Value::Number(_), _) if numbers_equal(desired, actual) => {}
        (d, a) if d == a => {}
        (d, a) => out.push(format!("{path}: {} -> {}", show(a), show(d))),
    }
}

/// What happened to one app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// Already as defined.
    Unchanged(String),
    /// Created or updated (with `--check`: would be), with the field differences.
    Changed {
        /// One line.
        summary: String,
        /// Field differences.
        diff: Vec<String>,
    },
}

/// Where Marathon answers: a master's private address, through a dialer.
pub struct Endpoint<'a> {
    /// The dialer.
    pub dialer: &'a dyn Dialer,
    /// Host to dial.
    pub host: String,
    /// Marathon port.
    pub port: u16,
}

/// Calls until the answer is not transient (a 503 during an election, no leader yet, a lost
/// connection) or `timeout` passes.
async fn retry<T, F, Fut>(timeout: Duration, what: &str, mut call: F) -> Result<T, MarathonError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, MarathonError>>,
{
    let started = Instant::now();
    let mut delay = Duration::from_millis(500);
    loop {
        match call().await {
            Err(MarathonError::Transient(why)) if started.elapsed() + delay < timeout => {
                tracing::debug!(%why, "{what}: retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            other => return other,
        }
    }
}

fn context(what: &str) -> impl Fn(MarathonError) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// Waits until none of `ids` is among the running deployments.
async fn wait_deployments(
    ep: &Endpoint<'_>,
    ids: &[String],
    timeout: Duration,
) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let running = retry(timeout, "GET /v2/deployments", || {
            marathon::deployments(ep.dialer, &ep.host, ep.port)
        })
        .await
        .map_err(context("GET /v2/deployments"))?;
        let left: Vec<&String> = ids
            .iter()
            .filter(|id| running.iter().any(|d| &d.id == *id))
            .collect();
        if left.is_empty() {
            return Ok(());
        }
        if started.elapsed() > timeout {
            return Err(format!(
                "deployment {} still running after {}s",
                left.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                timeout.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Waits until the app runs as many tasks as it wants instances.
async fn wait_running(
    ep: &Endpoint<'_>,
    app: &AppDef,
    timeout: Duration,
) -> Result<String, String> {
    let started = Instant::now();
    loop {
        let what = format!("GET /v2/apps{}", app.id);
        let current = retry(timeout, &what, || {
            marathon::app(ep.dialer, &ep.host, ep.port, &app.id)
        })
        .await
        .map_err(context(&what))?
        .unwrap_or(Value::Null);
        let want = current["instances"].as_u64().unwrap_or(1);
        let running = current["tasksRunning"].as_u64().unwrap_or(0);
        if running >= want {
            return Ok(format!("{running} of {want} task(s) running"));
        }
        if started.elapsed() > timeout {
            return Err(format!(
                "{running} of {want} task(s) running after {}s",
                timeout.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Submits one app idempotently (only compares under `check`).
pub async fn submit(
    ep: &Endpoint<'_>,
    app: &AppDef,
    check: bool,
    timeout: Duration,
) -> Result<Submitted, String> {
    let what = format!("GET /v2/apps{}", app.id);
    let current = retry(timeout, &what, || {
        marathon::app(ep.dialer, &ep.host, ep.port, &app.id)
    })
    .await
    .map_err(context(&what))?;
    let (verb, diff) = match &current {
        None => ("create", vec![format!("{}: new app", app.id)]),
        Some(actual) => {
            let d = differences(&app.definition, actual);
            if d.is_empty() {
                let running = actual["tasksRunning"].as_u64().unwrap_or(0);
                let want = actual["instances"].as_u64().unwrap_or(0);
                return Ok(Submitted::Unchanged(format!(
                    "{} as defined ({running} of {want} task(s) running)",
                    app.id
                )));
            }
            ("update", d)
        }
    };
    if check {
        return Ok(Submitted::Changed {
            summary: format!("would {verb} {}", app.id),
            diff,
        });
    }
    let started = Instant::now();
    let what = format!("PUT /v2/apps{}", app.id);
    let deployment = loop {
        match retry(timeout, &what, || {
            marathon::put_app(ep.dialer, &ep.host, ep.port, &app.id, &app.definition)
        })
        .await
        {
            Ok(id) => break id,
            // Locked by another deployment: let it finish, then try again (never force).
            Err(MarathonError::Locked(ids)) if started.elapsed() < timeout => {
                wait_deployments(ep, &ids, timeout).await?;
            }
            Err(e) => return Err(context(&what)(e)),
        }
    };
    let waited = match wait_deployments(ep, std::slice::from_ref(&deployment), timeout).await {
        Ok(()) => wait_running(ep, app, timeout).await,
        Err(e) => Err(e),
    };
    let running = match waited {
        Ok(r) => r,
        Err(e) => {
            let why = marathon::last_task_failure(ep.dialer, &ep.host, ep.port, &app.id)
                .await
                .map(|f| format!("; last task failure: {f}"))
                .unwrap_or_default();
            return Err(format!("{verb}d {}, but {e}{why}", app.id));
        }
    };
    Ok(Submitted::Changed {
        summary: format!(
            "{verb}d {}: deployment {deployment} finished, {running}",
            app.id
        ),
        diff,
    })
}

/// Apps from the defaults and files, refusing duplicate ids.
pub fn collect(
    defaults: Option<&str>,
    files: &[std::path::PathBuf],
) -> Result<Vec<AppDef>, String> {
    let mut apps = defaults.map(default_apps).unwrap_or_default();
    let mut problems = Vec::new();
    for f in files {
        match load_file(f) {
            Ok(app) => {
                if let Some(other) = apps.iter().find(|a| a.id == app.id) {
                    problems.push(format!(
                        "--app {}: id {} is also the id of {}",
                        f.display(),
                        app.id,
                        other.source
                    ));
                } else {
                    apps.push(app);
                }
            }
            Err(e) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    if apps.is_empty() {
        return Err("nothing to submit: --no-default-apps and no --app file".into());
    }
    Ok(apps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::http::testserver::Server;
    use crate::health::transport::TcpDialer;

    /// `GET /v2/apps/docker-hello` as Marathon 1.x answers an app created from the default
    /// definition (Marathon's defaults added; shape from the Marathon REST API documentation).
    const DOCKER_HELLO: &str = r#"{"app":{"id":"/docker-hello","cmd":"python3 -m http.server 8080","args":null,"user":null,"env":{},"instances":1,"cpus":0.5,"mem":32,"disk":0,"gpus":0,"executor":"","constraints":[],"uris":[],"fetch":[],"storeUrls":[],"backoffSeconds":1,"backoffFactor":1.15,"maxLaunchDelaySeconds":300,"container":{"type":"DOCKER","volumes":[],"docker":{"image":"python:3","privileged":false,"parameters":[],"forcePullImage":false},"portMappings":[{"containerPort":8080,"hostPort":0,"servicePort":10000,"protocol":"tcp","name":"http","labels":{}}]},"healthChecks":[],"readinessChecks":[],"dependencies":[],"upgradeStrategy":{"minimumHealthCapacity":1,"maximumOverCapacity":1},"labels":{},"version":"2026-12-07T03:00:00.000Z","killSelection":"YOUNGEST_FIRST","unreachableStrategy":{"inactiveAfterSeconds":0,"expungeAfterSeconds":0},"networks":[{"mode":"container/bridge"}],"tasksStaged":0,"tasksRunning":1,"tasksHealthy":0,"tasksUnhealthy":0,"deployments":[]}}"#;

    #[test]
    fn defaults_match_the_use_case() {
        let apps = default_apps("registry.local/python:3.12");
        let shell = &apps[0].definition;
        assert_eq!(shell["cmd"], "echo hello; sleep 10");
        assert_eq!(
            (shell["cpus"].as_f64(), shell["mem"].as_f64()),
            (Some(0.1), Some(16.0))
        );
        let docker = &apps[1].definition;
        assert_eq!(docker["cmd"], "python3 -m http.server 8080");
        assert_eq!(
            (docker["cpus"].as_f64(), docker["mem"].as_f64()),
            (Some(0.5), Some(32.0))
        );
        assert_eq!(
            docker["container"]["docker"]["image"],
            "registry.local/python:3.12"
        );
        assert_eq!(docker["container"]["portMappings"][0]["hostPort"], 0);
        assert_eq!(docker["networks"][0]["mode"], "container/bridge");
        for a in &apps {
            assert_eq!(validate(&a.definition).unwrap(), a.id);
        }
    }

    #[test]
    fn a_stored_app_with_marathon_defaults_has_no_differences() {
        let actual: Value = serde_json::from_str::<Value>(DOCKER_HELLO).unwrap()["app"].clone();
        let desired = &default_apps("python:3")[1].definition;
        assert_eq!(differences(desired, &actual), Vec::<String>::new());
        let mut changed = desired.clone();
        changed["cpus"] = json!(1);
        changed["container"]["docker"]["image"] = json!("python:3.12");
        assert_eq!(
            differences(&changed, &actual),
            vec![
                "container.docker.image: \"python:3\" -> \"python:3.12\"",
                "cpus: 0.5 -> 1"
            ]
        );
        let mut fewer = desired.clone();
        fewer["container"]["portMappings"] = json!([]);
        assert_eq!(
            differences(&fewer, &actual),
            vec!["container.portMappings: [{\"containerPort\":8080,\"hostPort\":0,\"labels\":{},\"name\":\"http\",\"protocol\":\"tcp\",\"servicePort\":10000}] -> []"]
        );
    }

    #[test]
    fn legacy_networking_is_normalised() {
        let legacy = json!({
            "id": "docker-hello",
            "cmd": "python3 -m http.server 8080",
            "ports": [0],
            "container": {
                "type": "DOCKER",
                "docker": {
                    "image": "python:3",
                    "network": "BRIDGE",
                    "portMappings": [{ "containerPort": 8080, "hostPort": 0 }]
                }
            }
        });
        let n = normalise(&legacy);
        assert_eq!(n["networks"], json!([{ "mode": "container/bridge" }]));
        assert_eq!(n["container"]["portMappings"][0]["containerPort"], 8080);
        assert!(n["container"]["docker"].get("network").is_none());
        assert!(n["container"]["docker"].get("portMappings").is_none());
        assert_eq!(n["portDefinitions"], json!([{ "port": 0 }]));
        assert!(n.get("ports").is_none());
    }

    #[test]
    fn bad_app_files_name_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let e = load_file(&write("a.json", "{\"cmd\": \"x\"")).unwrap_err();
        assert!(e.contains("a.json: not valid JSON"), "{e}");
        let e = load_file(&write("b.json", "{\"cmd\": \"sleep 1\"}")).unwrap_err();
        assert!(
            e.ends_with("b.json: id: missing (every app needs an id)"),
            "{e}"
        );
        let e = load_file(&write(
            "c.json",
            "{\"id\": \"Bad_Id\", \"cpus\": -1, \"cmd\": \"x\", \"args\": [\"y\"], \"instances\": 1.5}",
        ))
        .unwrap_err();
        for want in [
            "id: \"Bad_Id\" is not an app id",
            "cpus: -1 must be a number >= 0",
            "instances: 1.5 must be a whole number",
            "cmd, args: give one of them, not both",
        ] {
            assert!(e.contains(want), "missing `{want}` in {e}");
        }
        let e = load_file(&write(
            "d.json",
            "{\"id\": \"/a/b\", \"container\": {\"type\": \"DOCKER\", \"docker\": {}}}",
        ))
        .unwrap_err();
        assert!(
            e.contains("container.docker.image: a DOCKER container needs an image"),
            "{e}"
        );
        assert_eq!(
            load_file(&write(
                "e.json",
                "{\"id\": \"group/app-1\", \"cmd\": \"x\"}"
            ))
            .unwrap()
            .id,
            "/group/app-1"
        );
        let dup = write("f.json", "{\"id\": \"shell-hello\", \"cmd\": \"x\"}");
        let e = collect(Some("python:3"), &[dup]).unwrap_err();
        assert!(
            e.contains("id /shell-hello is also the id of default"),
            "{e}"
        );
        assert!(collect(None, &[])
            .unwrap_err()
            .starts_with("nothing to submit"));
    }

    #[tokio::test]
    async fn unchanged_apps_are_not_put_and_new_ones_are_waited_for() {
        let s = Server::default();
        s.route("GET /v2/apps/docker-hello", 200, DOCKER_HELLO);
        s.route(
            "PUT /v2/apps/shell-hello",
            201,
            r#"{"id":"/shell-hello","deployments":[{"id":"d-7"}]}"#,
        );
        s.route("GET /v2/deployments", 200, "[]");
        let port = s.start().await;
        let ep = Endpoint {
            dialer: &TcpDialer,
            host: "127.0.0.1".into(),
            port,
        };
        let apps = default_apps("python:3");
        let t = Duration::from_secs(3);
        let r = submit(&ep, &apps[1], false, t).await.unwrap();
        assert_eq!(
            r,
            Submitted::Unchanged("/docker-hello as defined (1 of 1 task(s) running)".into())
        );
        // shell-hello is absent: --check says so and sends nothing.
        let r = submit(&ep, &apps[0], true, t).await.unwrap();
        assert!(
            matches!(r, Submitted::Changed { ref summary, .. } if summary == "would create /shell-hello")
        );
        assert!(!s.seen.lock().unwrap().iter().any(|(m, _, _)| m == "PUT"));
        // Creating it: the PUT, the deployment gone, then a task running.
        let created =
            serde_json::json!({"app": {"id": "/shell-hello", "instances": 1, "tasksRunning": 1}});
        let s2 = s.clone();
        let later = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            s2.route("GET /v2/apps/shell-hello", 200, &created.to_string());
        });
        // Until then, GET answers 404 for the first read and again while waiting: the wait
        // retries until the app shows up running.
        let r = submit(&ep, &apps[0], false, Duration::from_secs(10)).await;
        later.await.unwrap();
        let r = r.unwrap();
        assert!(
            matches!(&r, Submitted::Changed { summary, .. } if summary == "created /shell-hello: deployment d-7 finished, 1 of 1 task(s) running"),
            "{r:?}"
        );
        let puts: Vec<String> = s
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, _, _)| m == "PUT")
            .map(|(_, _, b)| b.clone())
            .collect();
        assert_eq!(puts.len(), 1);
        assert!(puts[0].contains("\"cmd\":\"echo hello; sleep 10\""));
    }
}
