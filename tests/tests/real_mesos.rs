//! A REAL Mesos 1.11.0 master with two real agents (tests/real-mesos, see e2e::real_mesos) answers
//! its HTTP API as the stand-ins and the provisioner's health reader expect: these are the facts
//! they are built on, checked against the real thing rather than against recordings.

use std::collections::BTreeMap;
use std::io::Write as _;

use e2e::real_mesos::{RealMesos, AGENT_RESOURCES};
use serde_json::Value;

const AGENTS: usize = 2;

fn json(mesos: &RealMesos, path: &str) -> Value {
    let response = mesos.get(path).unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response
        .json()
        .unwrap_or_else(|e| panic!("GET {path}: not JSON: {e}"))
}

/// `cpus:2;mem:1024;disk:1024` as {"cpus": 2.0, ...}.
fn scalar_resources(spec: &str) -> BTreeMap<String, f64> {
    spec.split(';')
        .map(|r| {
            let (name, value) = r.split_once(':').expect("name:value");
            (name.to_owned(), value.parse().expect("a scalar"))
        })
        .collect()
}

#[test]
fn real_master_with_two_agents_serves_state_metrics_redirect_and_health() {
    let Some(mesos) = RealMesos::start(AGENTS).expect("real Mesos starts") else {
        return;
    };
    let port = mesos.addr().port();
    let per_agent = scalar_resources(AGENT_RESOURCES);

    let version = json(&mesos, "/version");
    assert_eq!(version["version"], "1.11.0");
    assert_eq!(version["git_tag"], "1.11.0");

    let state = json(&mesos, "/master/state");
    assert_eq!(state["version"], "1.11.0");
    let pid = state["pid"].as_str().expect("pid");
    assert_eq!(pid, format!("master@127.0.0.1:{port}"));
    assert_eq!(state["leader"], pid, "this master leads");
    assert_eq!(state["leader_info"]["port"], port);
    assert_eq!(state["activated_slaves"], AGENTS as f64);
    assert_eq!(state["deactivated_slaves"], 0.0);
    let slaves = state["slaves"].as_array().expect("slaves");
    assert_eq!(slaves.len(), AGENTS);
    let mut ids: Vec<&str> = slaves.iter().map(|s| s["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), AGENTS, "distinct agent IDs");
    for slave in slaves {
        assert_eq!(slave["active"], true, "{slave}");
        assert_eq!(slave["version"], "1.11.0");
        for (name, value) in &per_agent {
            assert_eq!(slave["resources"][name], *value, "agent {name}: {slave}");
        }
        // Mesos's own default port range, not something we configured.
        assert_eq!(slave["resources"]["ports"], "[31000-32000]");
    }
    let frameworks = state["frameworks"].as_array().expect("frameworks");
    assert!(
        frameworks.iter().any(|f| f["name"] == "real-mesos-probe"),
        "the probe framework is registered: {frameworks:?}"
    );

    let metrics = json(&mesos, "/metrics/snapshot");
    assert_eq!(metrics["master/elected"], 1.0);
    assert_eq!(metrics["master/slaves_active"], AGENTS as f64);
    assert_eq!(metrics["master/slaves_connected"], AGENTS as f64);
    for (name, value) in &per_agent {
        assert_eq!(
            metrics[format!("master/{name}_total")],
            value * AGENTS as f64,
            "master/{name}_total"
        );
    }

    // A client that found any master is sent to the leader: scheme-relative, the leader's host
    // name as the state reports it.
    let redirect = mesos.get("/master/redirect").unwrap();
    assert_eq!(redirect.status(), 307);
    let hostname = state["hostname"].as_str().expect("hostname");
    assert_eq!(
        redirect.headers()["location"],
        format!("//{hostname}:{port}").as_str()
    );

    let health = mesos.get("/master/health").unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().unwrap(), "");

    // Local-mode quirk the reference notes: no un-prefixed aliases (a packaged master has them).
    assert_eq!(mesos.get("/health").unwrap().status(), 404);

    let _ = writeln!(
        std::io::stderr(),
        "real Mesos: resident memory {:.0} MiB with {AGENTS} agents",
        mesos.rss_bytes().unwrap() as f64 / (1024.0 * 1024.0)
    );
}

#[test]
fn stopping_frees_the_port_and_removes_the_work_directory() {
    let Some(mesos) = RealMesos::start(1).expect("real Mesos starts") else {
        return;
    };
    let addr = mesos.addr();
    let log = mesos.log_path().to_path_buf();
    assert!(log.exists());
    drop(mesos);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "nothing listens on {addr} any more"
    );
    assert!(!log.exists(), "the work directory is removed");
}
