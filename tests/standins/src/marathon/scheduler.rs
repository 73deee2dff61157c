//! The leading Marathon's work, once a second: stay subscribed with the leading Mesos master
//! (re-subscribing with the same framework id after a failover), reconcile instances with it,
//! apply status updates, keep `instances` of every app running on agents with room (relaunching
//! tasks that end, with backoff), roll changed apps, and finish deployments.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::app::{timestamp, App};
use super::state::{Failure, Instance, Sched};
use super::Marathon;
use crate::resources::{ports_as_ranges, Resources};
use crate::wire::{
    CommandInfo, DockerInfo, FrameworkInfo, KillTask, Launch, MasterInfo, Offer, PollReply,
    PortMapping, Reconcile, Subscribe, Subscribed, TaskInfo, TaskState, TaskStatus,
};

/// Scheduler memory that is not persisted: which master we subscribed with, kills in flight.
#[derive(Debug, Default)]
pub struct Session {
    subscribed_to: Option<String>,
    killing: std::collections::BTreeMap<String, Instant>,
    reconciled_at: Option<Instant>,
}

/// How often instances are reconciled with the master besides after each (re-)subscription: a
/// launch the previous master accepted but never passed on is otherwise staged for ever.
const RECONCILE_EVERY: Duration = Duration::from_secs(15);

/// Runs the scheduler loop forever.
pub async fn run(m: Arc<Marathon>) {
    let mut session = Session::default();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if let Err(e) = tick(&m, &mut session).await {
            tracing::warn!(error = %e, "scheduler round failed");
        }
    }
}

async fn tick(m: &Arc<Marathon>, session: &mut Session) -> anyhow::Result<()> {
    let elected = m.election.borrow().elected;
    let mut sched = m.sched.lock().await;
    if !elected {
        if sched.loaded {
            *sched = Sched::default();
            *session = Session::default();
        }
        return Ok(());
    }
    if !sched.loaded {
        *sched = m.store.load().await?;
        tracing::info!(
            apps = sched.apps.len(),
            instances = sched.instances.len(),
            "Elected as leader: state loaded from ZooKeeper"
        );
    }
    let Some(master) = m.mesos.borrow().clone() else {
        return Ok(());
    };
    if session.subscribed_to.as_deref() != Some(master.pid.as_str()) {
        subscribe(m, &mut sched, &master).await?;
        session.subscribed_to = Some(master.pid.clone());
        sched.reconciled_with = None;
    }
    let fid = sched.framework_id.clone().expect("subscribed");
    let due = session
        .reconciled_at
        .is_none_or(|t| t.elapsed() > RECONCILE_EVERY);
    if due || sched.reconciled_with.as_deref() != Some(master.pid.as_str()) {
        let tasks: Vec<(String, String)> = sched
            .instances
            .values()
            .map(|i| (i.task_id.clone(), i.agent_id.clone()))
            .collect();
        let url = format!("{}/standin/v1/frameworks/{fid}/reconcile", master.url());
        let statuses: Vec<TaskStatus> =
            crate::http::post(&m.http, &url, &Reconcile { tasks }).await?;
        for s in statuses {
            apply(m, &mut sched, session, s).await;
        }
        sched.reconciled_with = Some(master.pid.clone());
        session.reconciled_at = Some(Instant::now());
    }
    let url = format!("{}/standin/v1/frameworks/{fid}/poll", master.url());
    let reply: PollReply = match crate::http::post(&m.http, &url, &serde_json::json!({})).await {
        Ok(r) => r,
        Err(e) => {
            // A master that forgot us (restarted) needs a new subscription.
            session.subscribed_to = None;
            return Err(e);
        }
    };
    for s in reply.updates {
        apply(m, &mut sched, session, s).await;
    }
    let mut offers = reply.offers;
    schedule(m, &mut sched, session, &master, &fid, &mut offers).await;
    finish_deployments(m, &mut sched).await;
    Ok(())
}

async fn subscribe(m: &Marathon, sched: &mut Sched, master: &MasterInfo) -> anyhow::Result<()> {
    let framework = FrameworkInfo {
        id: sched.framework_id.clone(),
        name: m.cfg.framework_name.clone(),
        user: m.cfg.mesos_user.clone(),
        hostname: m.cfg.hostname.clone(),
        role: "*".into(),
        failover_timeout: 604800.0,
        checkpoint: true,
        webui_url: format!("http://{}:{}", m.cfg.hostname, m.cfg.http_port),
    };
    let url = format!("{}/standin/v1/frameworks/subscribe", master.url());
    let s: Subscribed = crate::http::post(&m.http, &url, &Subscribe { framework }).await?;
    if sched.framework_id.as_deref() != Some(s.framework_id.as_str()) {
        m.store.set_framework_id(&s.framework_id).await?;
        sched.framework_id = Some(s.framework_id.clone());
    }
    tracing::info!(framework = %s.framework_id, master = %master.pid, "Registered with the Mesos master");
    Ok(())
}

async fn apply(m: &Marathon, sched: &mut Sched, session: &mut Session, s: TaskStatus) {
    let Some(inst) = sched.instances.get_mut(&s.task_id) else {
        return;
    };
    if s.state.is_terminal() {
        let inst = sched.instances.remove(&s.task_id).expect("just found");
        let _ = m.store.delete_instance(&s.task_id).await;
        let ours = session.killing.remove(&s.task_id).is_some();
        if !ours {
            let (_, count) = sched
                .delays
                .get(&inst.app_id)
                .copied()
                .unwrap_or((Instant::now(), 0));
            if let Some(app) = sched.apps.get(&inst.app_id) {
                let delay = (app.backoff_seconds as f64 * app.backoff_factor.powi(count as i32))
                    .min(app.max_launch_delay_seconds as f64);
                sched.delays.insert(
                    inst.app_id.clone(),
                    (Instant::now() + Duration::from_secs_f64(delay), count + 1),
                );
            }
        }
        if s.state != TaskState::TASK_FINISHED && !ours {
            sched.failures.insert(
                inst.app_id.clone(),
                Failure {
                    json: serde_json::json!({
                        "appId": inst.app_id,
                        "host": inst.host,
                        "message": s.message.clone().unwrap_or_default(),
                        "state": s.state.name(),
                        "taskId": inst.task_id,
                        "timestamp": timestamp(s.timestamp),
                        "version": inst.version,
                        "slaveId": inst.agent_id,
                    }),
                },
            );
        }
        tracing::info!(task = %s.task_id, state = s.state.name(), "task ended");
        return;
    }
    inst.state = s.state;
    if s.state == TaskState::TASK_RUNNING && inst.started_at.is_none() {
        inst.started_at = Some(timestamp(s.timestamp));
        inst.ip = s.ip.clone();
        if let Some(d) = sched.delays.get_mut(&inst.app_id) {
            d.1 = 0;
        }
    }
    let snapshot = sched.instances[&s.task_id].clone();
    let _ = m.store.put_instance(&snapshot).await;
}

fn fits(offer: &Offer, app: &App) -> Option<Vec<u64>> {
    let need = Resources {
        cpus: app.cpus,
        mem: app.mem,
        disk: app.disk,
        gpus: app.gpus as f64,
        ports: Vec::new(),
    };
    if !offer.resources.contains(&need) {
        return None;
    }
    offer.resources.pick_ports(app.host_ports_needed())
}

fn task_id_for(app_id: &str) -> String {
    format!(
        "{}.instance-{}._app.1",
        app_id.trim_start_matches('/').replace('/', "_"),
        crate::new_uuid()
    )
}

fn build_task(m: &Marathon, app: &App, agent_id: &str, host: &str, ports: &[u64]) -> TaskInfo {
    let task_id = task_id_for(&app.id);
    let mut env = app.env.clone();
    for (i, p) in ports.iter().enumerate() {
        env.insert(format!("PORT{i}"), p.to_string());
    }
    if let Some(p) = ports.first() {
        env.insert("PORT".into(), p.to_string());
    }
    env.insert(
        "PORTS".into(),
        ports
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(","),
    );
    env.insert("HOST".into(), host.to_string());
    env.insert("MESOS_TASK_ID".into(), task_id.clone());
    env.insert("MARATHON_APP_ID".into(), app.id.clone());
    env.insert("MARATHON_APP_VERSION".into(), app.version.clone());
    env.insert("MARATHON_APP_RESOURCE_CPUS".into(), app.cpus.to_string());
    env.insert("MARATHON_APP_RESOURCE_MEM".into(), app.mem.to_string());
    if let Some(i) = &app.docker_image {
        env.insert("MARATHON_APP_DOCKER_IMAGE".into(), i.clone());
    }
    let docker = app.docker_image.as_ref().map(|image| {
        let mut host_ports = ports.iter();
        DockerInfo {
            image: image.clone(),
            network: if app.network_mode == "host" {
                "HOST".into()
            } else {
                "BRIDGE".into()
            },
            port_mappings: app
                .port_mappings
                .iter()
                .filter(|p| p.host_port.is_some())
                .filter_map(|p| {
                    let hp = *host_ports.next()?;
                    Some(PortMapping {
                        host_port: hp,
                        container_port: if p.container_port == 0 {
                            hp
                        } else {
                            p.container_port
                        },
                        protocol: p.protocol.clone(),
                    })
                })
                .collect(),
            force_pull_image: app.force_pull_image,
        }
    });
    TaskInfo {
        task_id,
        name: app.id.rsplit('/').next().unwrap_or_default().to_string(),
        agent_id: agent_id.to_string(),
        resources: Resources {
            cpus: app.cpus,
            mem: app.mem,
            disk: app.disk,
            gpus: app.gpus as f64,
            ports: ports_as_ranges(ports),
        },
        command: CommandInfo {
            value: app.cmd.clone(),
            shell: app.cmd.is_some(),
            arguments: app.args.clone(),
            environment: env,
            user: Some(app.user.clone().unwrap_or_else(|| m.cfg.mesos_user.clone())),
        },
        docker,
    }
}

async fn kill(m: &Marathon, session: &mut Session, master: &MasterInfo, fid: &str, task_id: &str) {
    if session
        .killing
        .get(task_id)
        .is_some_and(|t| t.elapsed() < Duration::from_secs(10))
    {
        return;
    }
    session.killing.insert(task_id.to_string(), Instant::now());
    let url = format!("{}/standin/v1/frameworks/{fid}/kill", master.url());
    let req = KillTask {
        framework_id: fid.to_string(),
        task_id: task_id.to_string(),
    };
    if let Err(e) = crate::http::post::<serde_json::Value>(&m.http, &url, &req).await {
        tracing::warn!(task = %task_id, error = %e, "kill failed");
    }
}

async fn schedule(
    m: &Marathon,
    sched: &mut Sched,
    session: &mut Session,
    master: &MasterInfo,
    fid: &str,
    offers: &mut [Offer],
) {
    // Instances of deleted apps go first.
    let orphans: Vec<String> = sched
        .instances
        .values()
        .filter(|i| !sched.apps.contains_key(&i.app_id))
        .map(|i| i.task_id.clone())
        .collect();
    for t in orphans {
        kill(m, session, master, fid, &t).await;
    }
    let launch_timeout = m.cfg.task_launch_timeout.as_secs_f64();
    let now = crate::now_secs();
    let apps: Vec<App> = sched.apps.values().cloned().collect();
    for app in apps {
        let live: Vec<Instance> = sched.live_of(&app.id).cloned().collect();
        let (current, old): (Vec<Instance>, Vec<Instance>) = live
            .into_iter()
            .partition(|i| i.version == app.last_config_change_at);
        for i in current.iter().chain(old.iter()) {
            if i.started_at.is_none() && now - i.staged_secs > launch_timeout {
                kill(m, session, master, fid, &i.task_id).await;
            }
        }
        let wanted = app.instances as usize;
        if current.len() > wanted {
            let mut extra = current.clone();
            extra.sort_by(|a, b| b.staged_secs.total_cmp(&a.staged_secs));
            for i in extra.iter().take(current.len() - wanted) {
                kill(m, session, master, fid, &i.task_id).await;
            }
        }
        let running = current
            .iter()
            .filter(|i| i.state == TaskState::TASK_RUNNING)
            .count();
        if running >= wanted {
            for i in &old {
                kill(m, session, master, fid, &i.task_id).await;
            }
        }
        let delayed = sched
            .delays
            .get(&app.id)
            .is_some_and(|(until, _)| Instant::now() < *until);
        let mut missing = wanted.saturating_sub(current.len());
        while missing > 0 && !delayed {
            let Some((idx, ports)) = offers
                .iter()
                .enumerate()
                .find_map(|(i, o)| fits(o, &app).map(|p| (i, p)))
            else {
                break;
            };
            let offer = &mut offers[idx];
            let task = build_task(m, &app, &offer.agent_id, &offer.hostname, &ports);
            offer.resources = offer.resources.minus(&task.resources);
            let url = format!("{}/standin/v1/frameworks/{fid}/launch", master.url());
            match crate::http::post::<serde_json::Value>(
                &m.http,
                &url,
                &Launch { task: task.clone() },
            )
            .await
            {
                Ok(_) => {
                    let inst = Instance {
                        task_id: task.task_id.clone(),
                        app_id: app.id.clone(),
                        version: app.last_config_change_at.clone(),
                        agent_id: offer.agent_id.clone(),
                        host: offer.hostname.clone(),
                        ports: ports.clone(),
                        service_ports: app
                            .port_definitions
                            .iter()
                            .chain(app.port_mappings.iter())
                            .map(|p| p.service_port)
                            .collect(),
                        state: TaskState::TASK_STAGING,
                        staged_at: timestamp(now),
                        staged_secs: now,
                        started_at: None,
                        ip: None,
                    };
                    let _ = m.store.put_instance(&inst).await;
                    sched.instances.insert(inst.task_id.clone(), inst);
                    tracing::info!(app = %app.id, task = %task.task_id, agent = %offer.hostname, "launched");
                    missing -= 1;
                }
                Err(e) => {
                    tracing::warn!(app = %app.id, error = %e, "launch refused");
                    break;
                }
            }
        }
    }
}

async fn finish_deployments(m: &Marathon, sched: &mut Sched) {
    let mut done = Vec::new();
    for d in sched.deployments.values() {
        let live: Vec<&Instance> = sched.live_of(&d.app_id).collect();
        let finished = match sched.apps.get(&d.app_id) {
            None => live.is_empty(),
            Some(app) => {
                let current: Vec<&&Instance> = live
                    .iter()
                    .filter(|i| i.version == app.last_config_change_at)
                    .collect();
                let running = current
                    .iter()
                    .filter(|i| i.state == TaskState::TASK_RUNNING)
                    .count();
                running == app.instances as usize
                    && current.len() == app.instances as usize
                    && live.len() == current.len()
            }
        };
        if finished {
            done.push(d.id.clone());
        }
    }
    for id in done {
        sched.deployments.remove(&id);
        let _ = m.store.delete_deployment(&id).await;
        tracing::info!(deployment = %id, "deployment finished");
    }
    // Tidy backoff entries of apps that are gone.
    let apps: BTreeSet<String> = sched.apps.keys().cloned().collect();
    sched.delays.retain(|k, _| apps.contains(k));
}
