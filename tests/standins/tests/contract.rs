//! Contract tests: a stand-in master with two stand-in agents answers every endpoint that the
//! real Mesos 1.11.0 master and agent served in the recordings (`recorded/`) with the same keys
//! and JSON types at every depth, compared strictly in both directions, in three states: a
//! framework and no tasks, three running tasks, three finished tasks. The only differences
//! allowed are the documented exceptions below.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Differences allowed, as (recording file, path pattern, reason). `*` matches one segment.
const EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "master_state.json",
        "/flags/ip",
        "the recordings come from Mesos' local mode, which starts the master without --ip; a packaged master (and this test) gives it one",
    ),
    (
        "master_flags.json",
        "/flags/ip",
        "as for master_state.json: local mode has no --ip",
    ),
    (
        "agent*_state.json",
        "/flags/master",
        "local-mode agents find their master in-process; a packaged agent needs --master",
    ),
    (
        "agent*_state.json",
        "/flags/ip",
        "local-mode agents run without --ip",
    ),
    (
        "agent1_flags.json",
        "/flags/master",
        "as for the agent state: local mode has no --master",
    ),
    (
        "agent1_flags.json",
        "/flags/ip",
        "as for the agent state: local mode has no --ip",
    ),
];

fn allowed(file: &str, path: &str) -> bool {
    EXCEPTIONS
        .iter()
        .any(|(f, p, _)| matches(f, file) && matches_path(p, path))
}

fn matches(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((a, b)) => text.starts_with(a) && text.ends_with(b) && text.len() >= a.len() + b.len(),
    }
}

fn matches_path(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let q: Vec<&str> = path.split('/').collect();
    p.len() == q.len() && p.iter().zip(q.iter()).all(|(a, b)| *a == "*" || a == b)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every difference in keys or types between `ours` and `real`, with its path.
fn diff(file: &str, path: &str, ours: &Value, real: &Value, out: &mut Vec<String>) {
    if kind(ours) != kind(real) {
        if !allowed(file, path) {
            out.push(format!(
                "{path}: stand-in has {}, real Mesos {}",
                kind(ours),
                kind(real)
            ));
        }
        return;
    }
    match (ours, real) {
        (Value::Object(a), Value::Object(b)) => {
            for k in a.keys().filter(|k| !b.contains_key(*k)) {
                let p = format!("{path}/{k}");
                if !allowed(file, &p) {
                    out.push(format!("{p}: only in the stand-in"));
                }
            }
            for k in b.keys().filter(|k| !a.contains_key(*k)) {
                let p = format!("{path}/{k}");
                if !allowed(file, &p) {
                    out.push(format!("{p}: missing from the stand-in"));
                }
            }
            for (k, v) in a {
                if let Some(w) = b.get(k) {
                    diff(file, &format!("{path}/{k}"), v, w, out);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.is_empty() != b.is_empty() {
                out.push(format!(
                    "{path}: stand-in has {} element(s), real Mesos {} (the scenarios should match)",
                    a.len(),
                    b.len()
                ));
                return;
            }
            // Each element of ours must have the shape of some recorded element, and each
            // recorded shape must appear among ours.
            for (i, x) in a.iter().enumerate() {
                let best = b
                    .iter()
                    .map(|y| {
                        let mut d = Vec::new();
                        diff(file, &format!("{path}/{i}"), x, y, &mut d);
                        d
                    })
                    .min_by_key(Vec::len)
                    .unwrap_or_default();
                out.extend(best);
            }
            for (j, y) in b.iter().enumerate() {
                let found = a.iter().any(|x| {
                    let mut d = Vec::new();
                    diff(file, path, x, y, &mut d);
                    d.is_empty()
                });
                if !found {
                    out.push(format!(
                        "{path}: no stand-in element has the shape of recorded element {j}"
                    ));
                }
            }
        }
        _ => {}
    }
}

/// Metric names with the per-framework part (`master/frameworks/<name>/<id>/`) made generic.
fn metric_keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .expect("a metrics object")
        .keys()
        .map(|k| {
            let parts: Vec<&str> = k.split('/').collect();
            if parts.len() > 4 && parts[0] == "master" && parts[1] == "frameworks" {
                format!("master/frameworks/*/*/{}", parts[4..].join("/"))
            } else {
                k.clone()
            }
        })
        .collect()
}

const AGENT_PREFIXES: &[&str] = &[
    "slave/",
    "containerizer/",
    "gc/",
    "resource_provider_manager/",
];

fn is_agent_metric(k: &str) -> bool {
    AGENT_PREFIXES.iter().any(|p| k.starts_with(p))
}

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn recorded(scenario: &str, file: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("recorded")
        .join(scenario)
        .join(file);
    serde_json::from_str(
        &std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
    .unwrap()
}

struct Cluster {
    _daemons: Vec<Daemon>,
    master: String,
    agents: Vec<String>,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Cluster {
    async fn start() -> Cluster {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let d = |n: &str| -> PathBuf { dir.path().join(n) };
        let port = free_port();
        let log = |n: &str| std::fs::File::create(d(n)).unwrap();
        let master = Command::new(env!("CARGO_BIN_EXE_mesos-master-standin"))
            .args([
                "--ip=127.0.0.1".to_string(),
                format!("--port={port}"),
                format!("--work_dir={}", d("master").display()),
                "--registry=in_memory".to_string(),
                format!("--log_dir={}", d("logs").display()),
            ])
            .stdout(Stdio::null())
            .stderr(log("master.log"))
            .spawn()
            .unwrap();
        let mut daemons = vec![Daemon(master)];
        let mut agents = Vec::new();
        for i in 1..=2 {
            let ap = free_port();
            let a = Command::new(env!("CARGO_BIN_EXE_mesos-agent-standin"))
                .args([
                    format!("--master=127.0.0.1:{port}"),
                    "--ip=127.0.0.1".to_string(),
                    format!("--port={ap}"),
                    format!("--work_dir={}", d(&format!("agent{i}")).display()),
                    format!("--log_dir={}", d("logs").display()),
                    "--resources=cpus:2;mem:1024;disk:1024".to_string(),
                ])
                .stdout(Stdio::null())
                .stderr(log(&format!("agent{i}.log")))
                .spawn()
                .unwrap();
            daemons.push(Daemon(a));
            agents.push(format!("http://127.0.0.1:{ap}"));
        }
        let c = Cluster {
            _daemons: daemons,
            master: format!("http://127.0.0.1:{port}"),
            agents,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .build()
                .unwrap(),
            _dir: dir,
        };
        c.wait_for("two agents to register", |c| async move {
            let s = c.get_json("/master/slaves").await;
            s["slaves"].as_array().is_some_and(|a| a.len() == 2)
        })
        .await;
        c
    }

    async fn get(&self, url: &str) -> reqwest::Response {
        self.client.get(url).send().await.unwrap()
    }

    /// The master's JSON at `path`, or null while it does not answer yet.
    async fn get_json(&self, path: &str) -> Value {
        match self
            .client
            .get(format!("{}{path}", self.master))
            .send()
            .await
        {
            Ok(r) => r.json().await.unwrap_or(Value::Null),
            Err(_) => Value::Null,
        }
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .client
            .post(format!("{}{path}", self.master))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }

    async fn wait_for<'a, F, Fut>(&'a self, what: &str, check: F)
    where
        F: Fn(&'a Cluster) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let started = Instant::now();
        while !check(self).await {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "timed out waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The agent (URL, id) that has tasks, then the idle one.
    async fn busy_and_idle(&self) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        for a in &self.agents {
            let s: Value = self.get(&format!("{a}/state")).await.json().await.unwrap();
            out.push((a.clone(), s));
        }
        out.sort_by_key(|(_, s)| {
            s["frameworks"].as_array().map(Vec::len).unwrap_or(0)
                + s["completed_frameworks"]
                    .as_array()
                    .map(Vec::len)
                    .unwrap_or(0)
        });
        out.reverse();
        out
    }

    async fn compare(&self, scenario: &str, problems: &mut Vec<String>) {
        for (path, file) in [
            ("/master/state", "master_state.json"),
            ("/master/state-summary", "master_state-summary.json"),
            ("/master/slaves", "master_slaves.json"),
            ("/master/frameworks", "master_frameworks.json"),
            ("/master/tasks", "master_tasks.json"),
            ("/master/flags", "master_flags.json"),
            ("/version", "version.json"),
        ] {
            let ours = self.get_json(path).await;
            let mut d = Vec::new();
            diff(file, "", &ours, &recorded(scenario, file), &mut d);
            problems.extend(d.into_iter().map(|p| format!("{scenario}/{file} {p}")));
        }
        let agents = self.busy_and_idle().await;
        let files: &[&str] = if scenario == "local_2agents_idle_framework" {
            &["agent1_state.json"]
        } else {
            &["agent2_state.json", "agent1_state.json"]
        };
        for (file, (_, ours)) in files.iter().zip(agents.iter()) {
            let mut d = Vec::new();
            diff(file, "", ours, &recorded(scenario, file), &mut d);
            problems.extend(d.into_iter().map(|p| format!("{scenario}/{file} {p}")));
        }
        let flags: Value = self
            .get(&format!("{}/flags", self.agents[0]))
            .await
            .json()
            .await
            .unwrap();
        let mut d = Vec::new();
        diff(
            "agent1_flags.json",
            "",
            &flags,
            &recorded(scenario, "agent1_flags.json"),
            &mut d,
        );
        problems.extend(
            d.into_iter()
                .map(|p| format!("{scenario}/agent1_flags.json {p}")),
        );
        // Local mode runs master, agents and the scheduler driver in one process and publishes
        // one snapshot: the master is held to its master part, each agent to its agent part
        // (`system/*` belongs to every process).
        let real = metric_keys(&recorded(scenario, "metrics_snapshot.json"));
        let real_master: BTreeSet<String> = real
            .iter()
            .filter(|k| !is_agent_metric(k) && !k.starts_with("scheduler/"))
            .cloned()
            .collect();
        let real_agent: BTreeSet<String> = real
            .iter()
            .filter(|k| is_agent_metric(k) || k.starts_with("system/"))
            .cloned()
            .collect();
        let ours_master = metric_keys(&self.get_json("/metrics/snapshot").await);
        let agent_metrics: Value = self
            .get(&format!("{}/metrics/snapshot", self.agents[0]))
            .await
            .json()
            .await
            .unwrap();
        let ours_agent = metric_keys(&agent_metrics);
        for (who, ours, real) in [
            ("master", &ours_master, &real_master),
            ("agent", &ours_agent, &real_agent),
        ] {
            for k in ours.difference(real) {
                problems.push(format!(
                    "{scenario}/metrics ({who}) {k}: only in the stand-in"
                ));
            }
            for k in real.difference(ours) {
                problems.push(format!(
                    "{scenario}/metrics ({who}) {k}: missing from the stand-in"
                ));
            }
        }
    }
}

async fn headers_match(c: &Cluster) {
    let h = c.get(&format!("{}/master/health", c.master)).await;
    assert_eq!(h.status(), 200);
    assert_eq!(
        h.text().await.unwrap(),
        "",
        "/master/health answers an empty body"
    );
    let h = c
        .client
        .head(format!("{}/master/health", c.master))
        .send()
        .await
        .unwrap();
    assert_eq!(h.status(), 200);
    let r = c.get(&format!("{}/master/redirect", c.master)).await;
    assert_eq!(r.status(), 307);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let state = c.get_json("/master/state").await;
    let port = c.master.rsplit(':').next().unwrap();
    assert_eq!(
        loc,
        format!("//{}:{port}", state["hostname"].as_str().unwrap())
    );
    let a = c.get(&format!("{}/health", c.agents[0])).await;
    assert_eq!(a.status(), 200);
    // A packaged master also serves the un-prefixed paths.
    assert_eq!(c.get(&format!("{}/state", c.master)).await.status(), 200);
    assert_eq!(c.get(&format!("{}/nope", c.master)).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stand_in_json_has_the_real_keys_and_types() {
    let c = Cluster::start().await;
    headers_match(&c).await;
    let user = nix::unistd::User::from_uid(nix::unistd::geteuid())
        .unwrap()
        .unwrap()
        .name;
    let fid = c
        .post(
            "/standin/v1/frameworks/subscribe",
            json!({ "framework": { "name": "probe-framework", "user": user, "hostname": "vm" } }),
        )
        .await["framework_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut problems = Vec::new();
    c.compare("local_2agents_idle_framework", &mut problems)
        .await;

    let agent_id = c.get_json("/master/slaves").await["slaves"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for i in 1..=3 {
        c.post(
            &format!("/standin/v1/frameworks/{fid}/launch"),
            json!({ "task": {
                "task_id": format!("t{i}"), "name": format!("hello-{i}"), "agent_id": agent_id,
                "resources": { "cpus": 0.1, "mem": 32.0, "disk": 0.0, "gpus": 0.0 },
                "command": { "value": "echo hello from a stand-in task; sleep 4" }
            }}),
        )
        .await;
    }
    // Keep the framework connected while the tasks run (its poll is its heartbeat).
    let poll = format!("/standin/v1/frameworks/{fid}/poll");
    c.wait_for("three running tasks", |c| {
        let poll = poll.clone();
        async move {
            c.post(&poll, json!({})).await;
            let t = c.get_json("/master/tasks").await;
            t["tasks"]
                .as_array()
                .is_some_and(|a| a.len() == 3 && a.iter().all(|t| t["state"] == "TASK_RUNNING"))
        }
    })
    .await;
    c.compare("local_2agents_3running_tasks", &mut problems)
        .await;
    c.wait_for("three finished tasks", |c| {
        let poll = poll.clone();
        async move {
            c.post(&poll, json!({})).await;
            let t = c.get_json("/master/tasks").await;
            t["tasks"]
                .as_array()
                .is_some_and(|a| a.len() == 3 && a.iter().all(|t| t["state"] == "TASK_FINISHED"))
        }
    })
    .await;
    c.post(&poll, json!({})).await;
    c.compare("local_2agents_3finished_tasks", &mut problems)
        .await;
    assert!(
        problems.is_empty(),
        "the stand-ins differ from real Mesos 1.11.0 in {} place(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_comparison_finds_missing_extra_and_retyped_keys() {
    let real = json!({ "a": 1, "b": { "c": [ { "d": 1.0 } ] }, "e": "x" });
    let ours = json!({ "a": 1.5, "b": { "c": [ { "d": 1.0, "z": true } ] }, "f": "x" });
    let mut d = Vec::new();
    diff("t.json", "", &ours, &real, &mut d);
    let all = d.join("\n");
    for want in [
        "/a: stand-in has float, real Mesos integer",
        "/b/c/0/z: only in the stand-in",
        "/e: missing from the stand-in",
        "/f: only in the stand-in",
    ] {
        assert!(all.contains(want), "missing `{want}` in:\n{all}");
    }
    let mut d = Vec::new();
    diff(
        "master_flags.json",
        "",
        &json!({"flags": {"ip": "1"}}),
        &json!({"flags": {}}),
        &mut d,
    );
    assert!(d.is_empty(), "{d:?}");
}
