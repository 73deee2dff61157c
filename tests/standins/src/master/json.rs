//! The master's documents in the shapes a real Mesos 1.11.0 master answers with (held to the
//! recordings by the contract tests).

use serde_json::{json, Map, Value};

use super::cluster::{Agent, Cluster, Framework, Task};
use super::Master;
use crate::resources::Resources;
use crate::wire::{TaskState, TaskStatus};

/// Capabilities a 1.11.0 master reports.
pub const MASTER_CAPABILITIES: &[&str] = &["AGENT_UPDATE", "AGENT_DRAINING", "QUOTA_V2"];
/// Capabilities a 1.11.0 agent reports.
pub const AGENT_CAPABILITIES: &[&str] = &[
    "MULTI_ROLE",
    "HIERARCHICAL_ROLE",
    "RESERVATION_REFINEMENT",
    "RESOURCE_PROVIDER",
    "RESIZE_VOLUME",
    "AGENT_OPERATION_FEEDBACK",
    "AGENT_DRAINING",
    "TASK_RESOURCE_LIMITS",
];

/// `/version`.
pub fn version() -> Value {
    json!({
        "build_date": crate::MESOS_BUILD_DATE,
        "build_time": crate::MESOS_BUILD_TIME,
        "build_user": "ubuntu",
        "git_sha": crate::MESOS_GIT_SHA,
        "git_tag": crate::MESOS_VERSION,
        "version": crate::MESOS_VERSION,
    })
}

/// The build fields every state document starts with.
pub fn build_fields(m: &mut Map<String, Value>) {
    m.insert("version".into(), json!(crate::MESOS_VERSION));
    m.insert("git_sha".into(), json!(crate::MESOS_GIT_SHA));
    m.insert("git_tag".into(), json!(crate::MESOS_VERSION));
    m.insert("build_date".into(), json!(crate::MESOS_BUILD_DATE));
    m.insert("build_time".into(), json!(crate::MESOS_BUILD_TIME));
    m.insert("build_user".into(), json!("ubuntu"));
}

/// A task status entry.
pub fn status(s: &TaskStatus) -> Value {
    let mut m = Map::new();
    m.insert("state".into(), json!(s.state.name()));
    m.insert("timestamp".into(), json!(s.timestamp));
    if let Some(c) = &s.container_id {
        let mut cs = Map::new();
        cs.insert("container_id".into(), json!({ "value": c }));
        if let Some(ip) = &s.ip {
            cs.insert(
                "network_infos".into(),
                json!([{ "ip_addresses": [{ "protocol": "IPv4", "ip_address": ip }] }]),
            );
        }
        m.insert("container_status".into(), Value::Object(cs));
    }
    Value::Object(m)
}

/// Task resources: scalars, plus ports when the task has some.
pub fn task_resources(r: &Resources) -> Value {
    r.to_json()
}

/// A task as `/master/state`, `/master/tasks` and the agent's `/state` show it.
pub fn task(t: &Task) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(t.info.task_id));
    m.insert("name".into(), json!(t.info.name));
    m.insert("framework_id".into(), json!(t.framework_id));
    m.insert("executor_id".into(), json!(""));
    m.insert("slave_id".into(), json!(t.info.agent_id));
    m.insert("state".into(), json!(t.state.name()));
    m.insert("resources".into(), task_resources(&t.info.resources));
    m.insert("role".into(), json!("*"));
    m.insert(
        "statuses".into(),
        Value::Array(t.statuses.iter().map(status).collect()),
    );
    if let Some(d) = &t.info.docker {
        let mappings: Vec<Value> = d
            .port_mappings
            .iter()
            .map(|p| {
                json!({ "host_port": p.host_port, "container_port": p.container_port, "protocol": p.protocol })
            })
            .collect();
        m.insert(
            "container".into(),
            json!({
                "type": "DOCKER",
                "docker": {
                    "image": d.image,
                    "network": d.network,
                    "port_mappings": mappings,
                    "privileged": false,
                    "force_pull_image": d.force_pull_image,
                }
            }),
        );
    }
    Value::Object(m)
}

/// Resources as the protobuf-shaped list the `*_full` fields carry: non-zero scalars and port
/// ranges, with `allocation_info` for allocated resources.
pub fn full_resources(r: &Resources, allocated: bool) -> Value {
    let mut list = Vec::new();
    let with_role = |mut v: Value| {
        if allocated {
            v["allocation_info"] = json!({ "role": "*" });
        }
        v
    };
    for (name, v) in [
        ("cpus", r.cpus),
        ("mem", r.mem),
        ("disk", r.disk),
        ("gpus", r.gpus),
    ] {
        if v > 0.0 {
            list.push(with_role(
                json!({ "name": name, "type": "SCALAR", "scalar": { "value": v }, "role": "*" }),
            ));
        }
    }
    if !r.ports.is_empty() {
        let ranges: Vec<Value> = r
            .ports
            .iter()
            .map(|(a, b)| json!({ "begin": a, "end": b }))
            .collect();
        list.push(with_role(json!({ "name": "ports", "type": "RANGES", "ranges": { "range": ranges }, "role": "*" })));
    }
    Value::Array(list)
}

fn zero() -> Value {
    Resources::default().to_json()
}

fn agent_common(a: &Agent, used: &Resources) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(a.id));
    m.insert("hostname".into(), json!(a.hostname));
    m.insert("port".into(), json!(a.port));
    m.insert("attributes".into(), json!(a.attributes));
    m.insert("pid".into(), json!(a.pid()));
    m.insert("registered_time".into(), json!(a.registered_time));
    if let Some(t) = a.reregistered_time {
        m.insert("reregistered_time".into(), json!(t));
    }
    m.insert("resources".into(), a.resources.to_json());
    m.insert("used_resources".into(), used.to_json());
    m.insert("offered_resources".into(), zero());
    m.insert("reserved_resources".into(), json!({}));
    m.insert("unreserved_resources".into(), a.resources.to_json());
    m.insert("active".into(), json!(a.active));
    m.insert("deactivated".into(), json!(false));
    m.insert("version".into(), json!(crate::MESOS_VERSION));
    m.insert("capabilities".into(), json!(AGENT_CAPABILITIES));
    m
}

/// An agent in `/master/state` and `/master/slaves`.
pub fn agent(a: &Agent, used: &Resources) -> Value {
    Value::Object(agent_common(a, used))
}

const SUMMARY_STATES: &[TaskState] = &[
    TaskState::TASK_STAGING,
    TaskState::TASK_STARTING,
    TaskState::TASK_RUNNING,
    TaskState::TASK_KILLING,
    TaskState::TASK_FINISHED,
    TaskState::TASK_KILLED,
    TaskState::TASK_FAILED,
    TaskState::TASK_LOST,
    TaskState::TASK_ERROR,
    TaskState::TASK_UNREACHABLE,
];

fn count_states<'a>(m: &mut Map<String, Value>, tasks: impl Iterator<Item = &'a Task> + Clone) {
    for s in SUMMARY_STATES {
        let n = tasks.clone().filter(|t| t.state == *s).count();
        m.insert(s.name().into(), json!(n));
    }
}

fn framework_common(fw: &Framework) -> Map<String, Value> {
    let used = fw.used();
    let mut m = Map::new();
    m.insert("id".into(), json!(fw.id()));
    m.insert("name".into(), json!(fw.info.name));
    m.insert(
        "pid".into(),
        json!(format!("scheduler-{}@{}", fw.id(), fw.info.hostname)),
    );
    m.insert("used_resources".into(), used.scalars().to_json());
    m.insert("offered_resources".into(), zero());
    m.insert("capabilities".into(), json!([]));
    m.insert("hostname".into(), json!(fw.info.hostname));
    m.insert("webui_url".into(), json!(fw.info.webui_url));
    m.insert("active".into(), json!(fw.connected));
    m.insert("connected".into(), json!(fw.connected));
    m.insert("recovered".into(), json!(fw.recovered));
    m
}

/// A framework in `/master/state` and `/master/frameworks`.
pub fn framework(fw: &Framework) -> Value {
    let mut m = framework_common(fw);
    m.insert("user".into(), json!(fw.info.user));
    m.insert("failover_timeout".into(), json!(fw.info.failover_timeout));
    m.insert("checkpoint".into(), json!(fw.info.checkpoint));
    m.insert("registered_time".into(), json!(fw.registered_time));
    if let Some(t) = fw.reregistered_time {
        m.insert("reregistered_time".into(), json!(t));
    }
    m.insert("unregistered_time".into(), json!(fw.unregistered_time));
    m.insert("resources".into(), fw.used().scalars().to_json());
    m.insert("role".into(), json!(fw.info.role));
    m.insert(
        "tasks".into(),
        Value::Array(fw.tasks.values().map(task).collect()),
    );
    m.insert("unreachable_tasks".into(), json!([]));
    m.insert(
        "completed_tasks".into(),
        Value::Array(fw.completed_tasks.iter().map(task).collect()),
    );
    m.insert("offers".into(), json!([]));
    m.insert("executors".into(), json!([]));
    m.insert("offer_constraints".into(), json!({}));
    Value::Object(m)
}

/// `/master/slaves` (which, unlike `/master/state`, also lists the `*_full` resources).
pub fn slaves(c: &Cluster) -> Value {
    let list: Vec<Value> = c
        .agents
        .values()
        .map(|a| {
            let used = c.used_on(&a.id);
            let mut m = agent_common(a, &used.scalars());
            m.insert("reserved_resources_full".into(), json!({}));
            m.insert(
                "unreserved_resources_full".into(),
                full_resources(&a.resources, false),
            );
            m.insert("used_resources_full".into(), full_resources(&used, true));
            m.insert("offered_resources_full".into(), json!([]));
            Value::Object(m)
        })
        .collect();
    json!({ "slaves": list, "recovered_slaves": [] })
}

/// `/master/frameworks`.
pub fn frameworks(c: &Cluster) -> Value {
    let list: Vec<Value> = c.frameworks.values().map(framework).collect();
    json!({ "frameworks": list, "completed_frameworks": [], "unregistered_frameworks": [] })
}

/// `/master/tasks`: live tasks, then completed ones.
pub fn tasks(c: &Cluster) -> Value {
    let list: Vec<Value> = c
        .frameworks
        .values()
        .flat_map(|fw| fw.tasks.values().chain(fw.completed_tasks.iter()))
        .map(task)
        .collect();
    json!({ "tasks": list })
}

/// `/master/state`.
pub fn state(master: &Master, c: Option<&Cluster>) -> Value {
    let view = master.view.borrow().clone();
    let mut m = Map::new();
    build_fields(&mut m);
    m.insert("start_time".into(), json!(master.start_time));
    if let Some(t) = view.elected_time {
        m.insert("elected_time".into(), json!(t));
    }
    m.insert("id".into(), json!(master.info.id));
    m.insert("pid".into(), json!(master.info.pid));
    m.insert("hostname".into(), json!(master.info.hostname));
    m.insert("capabilities".into(), json!(MASTER_CAPABILITIES));
    let (active, inactive) = c
        .map(|c| {
            let a = c.agents.values().filter(|a| a.active).count();
            (a, c.agents.len() - a)
        })
        .unwrap_or((0, 0));
    m.insert("activated_slaves".into(), json!(active as f64));
    m.insert("deactivated_slaves".into(), json!(inactive as f64));
    m.insert("unreachable_slaves".into(), json!(0.0));
    if let Some(cluster) = &master.cfg.cluster {
        m.insert("cluster".into(), json!(cluster));
    }
    if let Some(l) = &view.leader {
        m.insert("leader".into(), json!(l.pid));
        m.insert("leader_info".into(), l.leader_info_json());
    }
    if let Some(d) = master.cfg.flags.get("log_dir") {
        m.insert("log_dir".into(), json!(d));
    }
    m.insert("flags".into(), json!(master.cfg.flags.all()));
    let empty = Cluster::default();
    let c = c.unwrap_or(&empty);
    let agents: Vec<Value> = c
        .agents
        .values()
        .map(|a| agent(a, &c.used_on(&a.id).scalars()))
        .collect();
    m.insert("slaves".into(), Value::Array(agents));
    m.insert("recovered_slaves".into(), json!([]));
    m.insert(
        "frameworks".into(),
        Value::Array(c.frameworks.values().map(framework).collect()),
    );
    m.insert("completed_frameworks".into(), json!([]));
    m.insert("orphan_tasks".into(), json!([]));
    m.insert("unregistered_frameworks".into(), json!([]));
    Value::Object(m)
}

/// `/master/state-summary`.
pub fn state_summary(master: &Master, c: Option<&Cluster>) -> Value {
    let empty = Cluster::default();
    let c = c.unwrap_or(&empty);
    let mut m = Map::new();
    m.insert("hostname".into(), json!(master.info.hostname));
    if let Some(cluster) = &master.cfg.cluster {
        m.insert("cluster".into(), json!(cluster));
    }
    let slaves: Vec<Value> = c
        .agents
        .values()
        .map(|a| {
            let mut s = agent_common(a, &c.used_on(&a.id).scalars());
            let on_agent: Vec<&Task> = c
                .frameworks
                .values()
                .flat_map(|fw| fw.tasks.values().chain(fw.completed_tasks.iter()))
                .filter(|t| t.info.agent_id == a.id)
                .collect();
            count_states(&mut s, on_agent.iter().copied());
            let fids: std::collections::BTreeSet<&str> =
                on_agent.iter().map(|t| t.framework_id.as_str()).collect();
            s.insert("framework_ids".into(), json!(fids));
            Value::Object(s)
        })
        .collect();
    let frameworks: Vec<Value> = c
        .frameworks
        .values()
        .map(|fw| {
            let mut f = framework_common(fw);
            count_states(&mut f, fw.tasks.values().chain(fw.completed_tasks.iter()));
            let aids: std::collections::BTreeSet<&str> = fw
                .tasks
                .values()
                .chain(fw.completed_tasks.iter())
                .map(|t| t.info.agent_id.as_str())
                .collect();
            f.insert("slave_ids".into(), json!(aids));
            Value::Object(f)
        })
        .collect();
    m.insert("slaves".into(), Value::Array(slaves));
    m.insert("frameworks".into(), Value::Array(frameworks));
    Value::Object(m)
}

/// `/master/flags`.
pub fn flags(master: &Master) -> Value {
    json!({ "flags": master.cfg.flags.all() })
}

/// `/metrics/snapshot` of a master: every metric a real master publishes, with the values the
/// stand-in can know and zero for the rest.
pub fn metrics(master: &Master, c: Option<&Cluster>) -> Value {
    let mut m = Map::new();
    for name in crate::metric_names::MASTER {
        m.insert((*name).to_string(), json!(0.0));
    }
    let view = master.view.borrow().clone();
    let set = |m: &mut Map<String, Value>, k: &str, v: f64| {
        m.insert(k.to_string(), json!(v));
    };
    set(
        &mut m,
        "master/elected",
        if view.elected { 1.0 } else { 0.0 },
    );
    set(
        &mut m,
        "master/uptime_secs",
        crate::now_secs() - master.start_time,
    );
    system_metrics(&mut m);
    let Some(c) = c else {
        return Value::Object(m);
    };
    let active = c.agents.values().filter(|a| a.active).count() as f64;
    let all = c.agents.len() as f64;
    set(&mut m, "master/slaves_active", active);
    set(&mut m, "master/slaves_connected", active);
    set(&mut m, "master/slaves_disconnected", all - active);
    set(&mut m, "master/slaves_inactive", all - active);
    set(
        &mut m,
        "master/slave_registrations",
        c.counters.slave_registrations as f64,
    );
    set(
        &mut m,
        "master/slave_reregistrations",
        c.counters.slave_reregistrations as f64,
    );
    set(
        &mut m,
        "master/slave_removals",
        c.counters.slave_removals as f64,
    );
    set(
        &mut m,
        "master/valid_status_updates",
        c.counters.valid_status_updates as f64,
    );
    let fws_connected = c.frameworks.values().filter(|f| f.connected).count() as f64;
    set(&mut m, "master/frameworks_active", fws_connected);
    set(&mut m, "master/frameworks_connected", fws_connected);
    set(
        &mut m,
        "master/frameworks_disconnected",
        c.frameworks.len() as f64 - fws_connected,
    );
    let total = c
        .agents
        .values()
        .fold(Resources::default(), |acc, a| acc.plus(&a.resources));
    let used = c
        .frameworks
        .values()
        .fold(Resources::default(), |acc, f| acc.plus(&f.used()));
    for (name, t, u) in [
        ("cpus", total.cpus, used.cpus),
        ("mem", total.mem, used.mem),
        ("disk", total.disk, used.disk),
        ("gpus", total.gpus, used.gpus),
    ] {
        set(&mut m, &format!("master/{name}_total"), t);
        set(&mut m, &format!("master/{name}_used"), u);
        set(
            &mut m,
            &format!("master/{name}_percent"),
            if t > 0.0 { u / t } else { 0.0 },
        );
        // The allocator tracks only the resource kinds agents have.
        if name != "gpus" || t > 0.0 {
            set(
                &mut m,
                &format!("allocator/mesos/resources/{name}/total"),
                t,
            );
            set(
                &mut m,
                &format!("allocator/mesos/resources/{name}/offered_or_allocated"),
                u,
            );
        }
    }
    // Quota consumption appears once the default role has resources allocated (the real
    // allocator also publishes it under an empty role name).
    if used.cpus > 0.0 || used.mem > 0.0 {
        for role in ["*", ""] {
            let q = format!("allocator/mesos/quota/roles/{role}/resources");
            set(&mut m, &format!("{q}/cpus/consumed"), used.cpus);
            set(&mut m, &format!("{q}/mem/consumed"), used.mem);
        }
    }
    let live: Vec<&Task> = c
        .frameworks
        .values()
        .flat_map(|f| f.tasks.values())
        .collect();
    for (metric, state) in [
        ("master/tasks_staging", TaskState::TASK_STAGING),
        ("master/tasks_starting", TaskState::TASK_STARTING),
        ("master/tasks_running", TaskState::TASK_RUNNING),
        ("master/tasks_killing", TaskState::TASK_KILLING),
        ("master/tasks_unreachable", TaskState::TASK_UNREACHABLE),
    ] {
        set(
            &mut m,
            metric,
            live.iter().filter(|t| t.state == state).count() as f64,
        );
    }
    for (metric, state) in [
        ("master/tasks_finished", TaskState::TASK_FINISHED),
        ("master/tasks_failed", TaskState::TASK_FAILED),
        ("master/tasks_killed", TaskState::TASK_KILLED),
        ("master/tasks_lost", TaskState::TASK_LOST),
        ("master/tasks_error", TaskState::TASK_ERROR),
        ("master/tasks_dropped", TaskState::TASK_DROPPED),
        ("master/tasks_gone", TaskState::TASK_GONE),
    ] {
        let n = c.counters.terminal.get(&state).copied().unwrap_or(0);
        set(&mut m, metric, n as f64);
    }
    for fw in c.frameworks.values() {
        let prefix = format!("master/frameworks/{}/{}", fw.info.name, fw.id());
        for suffix in crate::metric_names::PER_FRAMEWORK {
            m.insert(format!("{prefix}/{suffix}"), json!(0.0));
        }
        m.insert(
            format!("{prefix}/subscribed"),
            json!(if fw.connected { 1.0 } else { 0.0 }),
        );
        for (suffix, state) in [
            ("tasks/active/task_running", TaskState::TASK_RUNNING),
            ("tasks/active/task_staging", TaskState::TASK_STAGING),
            ("tasks/active/task_starting", TaskState::TASK_STARTING),
            ("tasks/active/task_killing", TaskState::TASK_KILLING),
        ] {
            let n = fw.tasks.values().filter(|t| t.state == state).count();
            m.insert(format!("{prefix}/{suffix}"), json!(n as f64));
        }
    }
    Value::Object(m)
}

/// `system/*` metrics from /proc.
pub fn system_metrics(m: &mut Map<String, Value>) {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1) as f64;
    m.insert("system/cpus_total".into(), json!(cpus));
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        let parts: Vec<f64> = load
            .split_whitespace()
            .take(3)
            .filter_map(|v| v.parse().ok())
            .collect();
        if let [a, b, c] = parts[..] {
            m.insert("system/load_1min".into(), json!(a));
            m.insert("system/load_5min".into(), json!(b));
            m.insert("system/load_15min".into(), json!(c));
        }
    }
    if let Ok(info) = std::fs::read_to_string("/proc/meminfo") {
        let kb = |key: &str| -> Option<f64> {
            info.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
                .map(|v| v * 1024.0)
        };
        if let Some(t) = kb("MemTotal:") {
            m.insert("system/mem_total_bytes".into(), json!(t));
        }
        if let Some(f) = kb("MemFree:") {
            m.insert("system/mem_free_bytes".into(), json!(f));
        }
    }
}
