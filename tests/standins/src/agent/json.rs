//! The agent's documents in the shapes a real Mesos 1.11.0 agent answers with.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::tasks::{Completed, Running, EXECUTOR_OVERHEAD};
use super::Agent;
use crate::master::json::{
    build_fields, full_resources, status, task_resources, AGENT_CAPABILITIES,
};
use crate::wire::{FrameworkInfo, TaskState, TaskStatus};

fn task_json(
    agent_id: &str,
    info: &crate::wire::TaskInfo,
    fid: &str,
    state: TaskState,
    statuses: &[TaskStatus],
) -> Value {
    let t = crate::master::cluster::Task {
        info: crate::wire::TaskInfo {
            agent_id: agent_id.to_string(),
            ..info.clone()
        },
        framework_id: fid.to_string(),
        state,
        statuses: statuses
            .iter()
            .filter(|s| s.state != TaskState::TASK_STAGING)
            .cloned()
            .collect(),
    };
    crate::master::json::task(&t)
}

fn executor_name(info: &crate::wire::TaskInfo) -> String {
    let cmd = info.command.value.clone().unwrap_or_default();
    let short: String = cmd.chars().take(15).collect();
    let dots = if cmd.chars().count() > 15 { "..." } else { "" };
    let kind = if info.docker.is_some() {
        "Docker"
    } else {
        "Command"
    };
    format!(
        "{kind} Executor (Task: {}) (Command: sh -c '{short}{dots}')",
        info.task_id
    )
}

fn executor_common(live: &super::checkpoint::LiveTask, with_task: bool) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(live.task.task_id));
    m.insert("name".into(), json!(executor_name(&live.task)));
    m.insert("source".into(), json!(live.task.task_id));
    m.insert("container".into(), json!(live.container_id));
    m.insert("directory".into(), json!(live.directory));
    let r = if with_task {
        live.task.resources.plus(&EXECUTOR_OVERHEAD)
    } else {
        EXECUTOR_OVERHEAD
    };
    m.insert("resources".into(), task_resources(&r));
    m.insert("role".into(), json!("*"));
    m
}

fn live_executor(agent_id: &str, r: &Running) -> Value {
    let mut m = executor_common(&r.live, true);
    let fid = r.live.framework.id.clone().unwrap_or_default();
    m.insert(
        "tasks".into(),
        json!([task_json(
            agent_id,
            &r.live.task,
            &fid,
            r.live.status.state,
            &r.statuses
        )]),
    );
    m.insert("queued_tasks".into(), json!([]));
    m.insert("completed_tasks".into(), json!([]));
    Value::Object(m)
}

fn completed_executor(agent_id: &str, c: &Completed) -> Value {
    let mut m = executor_common(&c.live, false);
    let fid = c.live.framework.id.clone().unwrap_or_default();
    m.insert("tasks".into(), json!([]));
    m.insert("queued_tasks".into(), json!([]));
    m.insert(
        "completed_tasks".into(),
        json!([task_json(
            agent_id,
            &c.live.task,
            &fid,
            c.live.status.state,
            &c.statuses
        )]),
    );
    Value::Object(m)
}

fn framework_json(fw: &FrameworkInfo, executors: Vec<Value>, completed: Vec<Value>) -> Value {
    json!({
        "id": fw.id.clone().unwrap_or_default(),
        "name": fw.name,
        "user": fw.user,
        "failover_timeout": fw.failover_timeout,
        "checkpoint": fw.checkpoint,
        "hostname": fw.hostname,
        "role": fw.role,
        "executors": executors,
        "completed_executors": completed,
    })
}

/// `/state`.
pub async fn state(agent: &Agent) -> Value {
    let cfg = &agent.cfg;
    let reg = agent.registration.borrow().clone();
    let agent_id = reg.agent_id.clone().unwrap_or_default();
    let mut m = Map::new();
    build_fields(&mut m);
    m.insert("start_time".into(), json!(agent.start_time));
    if let Some(id) = &reg.agent_id {
        m.insert("id".into(), json!(id));
    }
    m.insert(
        "pid".into(),
        json!(format!("slave(1)@{}:{}", cfg.ip, cfg.port)),
    );
    m.insert("hostname".into(), json!(cfg.hostname));
    m.insert("capabilities".into(), json!(AGENT_CAPABILITIES));
    m.insert("resources".into(), cfg.resources.to_json());
    m.insert("reserved_resources".into(), json!({}));
    m.insert("unreserved_resources".into(), cfg.resources.to_json());
    m.insert("reserved_resources_full".into(), json!({}));
    m.insert(
        "unreserved_resources_full".into(),
        full_resources(&cfg.resources, false),
    );
    m.insert("reserved_resources_allocated".into(), json!({}));
    m.insert(
        "unreserved_resources_allocated".into(),
        agent.executor.allocated().await.to_json(),
    );
    m.insert("resource_providers".into(), json!([]));
    m.insert("attributes".into(), json!(cfg.attributes));
    if let Some(h) = &reg.master_hostname {
        m.insert("master_hostname".into(), json!(h));
    }
    if let Some(d) = cfg.flags.get("log_dir") {
        m.insert("log_dir".into(), json!(d));
    }
    m.insert("flags".into(), json!(cfg.flags.all()));
    let running = agent.executor.running.lock().await;
    let completed = agent.executor.completed.lock().await;
    let mut by_fw: BTreeMap<String, (FrameworkInfo, Vec<Value>, Vec<Value>)> = BTreeMap::new();
    for r in running.values() {
        let fid = r.live.framework.id.clone().unwrap_or_default();
        by_fw
            .entry(fid)
            .or_insert_with(|| (r.live.framework.clone(), Vec::new(), Vec::new()))
            .1
            .push(live_executor(&agent_id, r));
    }
    for c in completed.iter() {
        let fid = c.live.framework.id.clone().unwrap_or_default();
        by_fw
            .entry(fid)
            .or_insert_with(|| (c.live.framework.clone(), Vec::new(), Vec::new()))
            .2
            .push(completed_executor(&agent_id, c));
    }
    let (mut live, mut done) = (Vec::new(), Vec::new());
    for (_, (fw, executors, finished)) in by_fw {
        if executors.is_empty() {
            done.push(framework_json(&fw, executors, finished));
        } else {
            live.push(framework_json(&fw, executors, finished));
        }
    }
    m.insert("frameworks".into(), Value::Array(live));
    m.insert("completed_frameworks".into(), Value::Array(done));
    Value::Object(m)
}

/// `/metrics/snapshot` of an agent.
pub async fn metrics(agent: &Agent) -> Value {
    let mut m = Map::new();
    for name in crate::metric_names::AGENT {
        m.insert((*name).to_string(), json!(0.0));
    }
    crate::master::json::system_metrics(&mut m);
    let set = |m: &mut Map<String, Value>, k: &str, v: f64| {
        m.insert(k.to_string(), json!(v));
    };
    let reg = agent.registration.borrow().clone();
    set(
        &mut m,
        "slave/registered",
        if reg.agent_id.is_some() && reg.connected {
            1.0
        } else {
            0.0
        },
    );
    set(
        &mut m,
        "slave/uptime_secs",
        crate::now_secs() - agent.start_time,
    );
    let total = &agent.cfg.resources;
    let used = agent.executor.allocated().await;
    for (name, t, u) in [
        ("cpus", total.cpus, used.cpus),
        ("mem", total.mem, used.mem),
        ("disk", total.disk, used.disk),
        ("gpus", total.gpus, used.gpus),
    ] {
        set(&mut m, &format!("slave/{name}_total"), t);
        set(&mut m, &format!("slave/{name}_used"), u);
        set(
            &mut m,
            &format!("slave/{name}_percent"),
            if t > 0.0 { u / t } else { 0.0 },
        );
    }
    let running = agent.executor.running.lock().await;
    set(&mut m, "slave/executors_running", running.len() as f64);
    for (metric, state) in [
        ("slave/tasks_running", TaskState::TASK_RUNNING),
        ("slave/tasks_staging", TaskState::TASK_STAGING),
        ("slave/tasks_starting", TaskState::TASK_STARTING),
        ("slave/tasks_killing", TaskState::TASK_KILLING),
    ] {
        let n = running
            .values()
            .filter(|r| r.live.status.state == state)
            .count();
        set(&mut m, metric, n as f64);
    }
    let completed = agent.executor.completed.lock().await;
    set(&mut m, "slave/executors_terminated", completed.len() as f64);
    for (metric, state) in [
        ("slave/tasks_finished", TaskState::TASK_FINISHED),
        ("slave/tasks_failed", TaskState::TASK_FAILED),
        ("slave/tasks_killed", TaskState::TASK_KILLED),
        ("slave/tasks_lost", TaskState::TASK_LOST),
    ] {
        let n = completed
            .iter()
            .filter(|c| c.live.status.state == state)
            .count();
        set(&mut m, metric, n as f64);
    }
    let fws: std::collections::BTreeSet<_> = running
        .values()
        .map(|r| r.live.framework.id.clone())
        .collect();
    set(&mut m, "slave/frameworks_active", fws.len() as f64);
    Value::Object(m)
}

/// `status` re-exported for the agent's private protocol.
pub fn status_json(s: &TaskStatus) -> Value {
    status(s)
}
