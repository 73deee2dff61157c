//! Runs the roles over many hosts: a connect phase, then each selected [`Phase`] in order,
//! hosts in parallel up to `forks` (or rolled through one at a time / in batches when the
//! cluster already runs), steps of a host in order, handlers at phase end in the order they
//! were first requested, and a cluster-level barrier after each phase.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use tokio::sync::Semaphore;

use crate::barrier::{self, Barrier, Scope};
use crate::cluster::ClusterView;
use crate::facts::parse_os_release;
use crate::health::{Ports, Reader, Routes};
use crate::hostlog::HostLog;
use crate::inventory::{Node, Role, Settings};
use crate::remote::{Exec, Remote};
use crate::report::{Outcome, Reporter, StepResult};
use crate::roles::{self, Phase, RoleInputs, Rollout};
use crate::secret::Secret;
use crate::ssh::{self, Credentials, Session, SshError, Target};
use crate::steps::{Check, Handler, HostCtx, Step};

/// The host name used in reports for cluster-level results (barriers, rollouts).
pub const CLUSTER: &str = "cluster";

/// What to converge.
#[derive(Debug, Clone)]
pub struct Job {
    /// Nodes worked on.
    pub nodes: Vec<Node>,
    /// Every node of the cluster: `/etc/hosts`, the ensemble, the masters an agent follows.
    pub cluster: Arc<ClusterView>,
    /// Settings.
    pub settings: Arc<Settings>,
    /// Phases to run (run in [`Phase::ALL`] order whatever the order here).
    pub phases: Vec<Phase>,
    /// Agents restarted at a time during a rolling change (`None`: all at once).
    pub serial: Option<usize>,
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Dry run.
    pub check: bool,
    /// Hosts at the same time.
    pub forks: usize,
    /// Per-host logs.
    pub log_dir: PathBuf,
    /// Administrator (root) password for first contact.
    pub admin_password: Option<Secret>,
    /// The login user's sudo password, when its sudo asks for one.
    pub sudo_password: Option<Secret>,
}

struct Shared {
    settings: Arc<Settings>,
    cluster: Arc<ClusterView>,
    opts: RunOptions,
    key: Arc<russh::keys::PrivateKey>,
    public_key: String,
    docker_apt_key: Option<String>,
    reporter: Arc<Reporter>,
}

/// Handlers in the order they were first requested, each once: a restart of ZooKeeper
/// notified before one of mesos-master runs before it, never alphabetically.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HandlerQueue(Vec<Handler>);

impl HandlerQueue {
    /// Queues handlers not queued yet, keeping first-request order.
    pub fn notify(&mut self, handlers: impl IntoIterator<Item = Handler>) {
        for h in handlers {
            if !self.0.contains(&h) {
                self.0.push(h);
            }
        }
    }

    /// The queued handlers, in order.
    pub fn into_vec(self) -> Vec<Handler> {
        self.0
    }
}

/// How the hosts of a phase are split into consecutive batches (names in, names out). With a
/// running cluster, masters go one at a time with the current `leader` last (one election per
/// change, not one per master); agents go `serial` at a time. Otherwise everything at once.
pub fn plan_batches(
    rollout: Rollout,
    cluster_live: bool,
    hosts: &[String],
    serial: Option<usize>,
    leader: Option<&str>,
) -> Vec<Vec<String>> {
    if hosts.is_empty() {
        return Vec::new();
    }
    match (rollout, cluster_live) {
        (Rollout::OneAtATime, true) => {
            let mut order: Vec<String> = hosts
                .iter()
                .filter(|h| Some(h.as_str()) != leader)
                .cloned()
                .collect();
            order.extend(hosts.iter().filter(|h| Some(h.as_str()) == leader).cloned());
            order.into_iter().map(|h| vec![h]).collect()
        }
        (Rollout::Batches, _) => {
            let size = serial.unwrap_or(hosts.len()).max(1);
            hosts.chunks(size).map(<[String]>::to_vec).collect()
        }
        _ => vec![hosts.to_vec()],
    }
}

/// Converges the job's nodes; every result goes to the reporter.
pub async fn converge(job: Job, opts: RunOptions, reporter: Arc<Reporter>) -> anyhow::Result<()> {
    let key = Arc::new(ssh::load_private_key(&job.settings.ssh.private_key)?);
    let public_key = key
        .public_key()
        .to_openssh()
        .context("encoding the operator public key")?;
    let docker_apt_key = match job
        .settings
        .docker
        .as_ref()
        .and_then(|d| d.apt_key_file.as_ref())
    {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .with_context(|| format!("reading docker.apt.key_file {}", p.display()))?,
        ),
        None => None,
    };
    let forks = opts.forks.max(1);
    let check_mode = opts.check;
    let shared = Arc::new(Shared {
        settings: job.settings.clone(),
        cluster: job.cluster.clone(),
        opts,
        key,
        public_key,
        docker_apt_key,
        reporter,
    });
    let limit = Arc::new(Semaphore::new(forks));
    let mut phases = job.phases.clone();
    phases.sort();
    phases.dedup();
    let work_of = |role: Role| phases.iter().filter(|p| p.runs_on(role)).count() as u64;
    let total: u64 = job.nodes.iter().map(|n| 1 + work_of(n.role)).sum();
    shared.reporter.expect_work(total);

    // Phase "connect": reach every host and learn its OS.
    let mut tasks = Vec::new();
    for node in job.nodes.clone() {
        let (shared, limit) = (shared.clone(), limit.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await;
            let ctx = connect_host(&node, &shared).await;
            shared.reporter.work_done(&format!("connect {}", node.name));
            ctx
        }));
    }
    let mut live: Vec<Arc<HostCtx>> = Vec::new();
    for (t, node) in tasks.into_iter().zip(&job.nodes) {
        match t.await.context("connect task panicked")? {
            Some(ctx) => live.push(ctx),
            None => shared.reporter.drop_work(work_of(node.role)),
        }
    }

    let mut satisfied: HashSet<Barrier> = HashSet::new();
    for (index, phase) in phases.iter().copied().enumerate() {
        let later = |role: Role| {
            phases[index + 1..]
                .iter()
                .filter(|p| p.runs_on(role))
                .count() as u64
        };
        let (hosts, idle): (Vec<Arc<HostCtx>>, Vec<Arc<HostCtx>>) =
            live.drain(..).partition(|c| phase.runs_on(c.node.role));
        live = idle;
        if hosts.is_empty() {
            continue;
        }
        let scope = scope_of(&hosts);
        // What this phase depends on, unless an earlier phase of this run ensured it.
        if let Some(b) = Barrier::before(phase).filter(|b| !check_mode && !satisfied.contains(b)) {
            let reader = reader_for(&shared, &hosts, &live);
            if !cluster_wait(&shared, phase, b, &reader, &scope, "before").await {
                stop_hosts(
                    &shared,
                    phase,
                    &hosts,
                    "not started: the cluster is not ready",
                    &later,
                );
                break;
            }
            satisfied.insert(b);
        }
        let outcome = run_rollout(phase, hosts, &live, &job, &shared, &limit, &later).await?;
        let stopped = outcome.stopped;
        let finished = outcome.finished;
        if !check_mode && !finished.is_empty() {
            if let Some(b) = Barrier::after(phase) {
                let reader = reader_for(&shared, &finished, &live);
                if cluster_wait(&shared, phase, b, &reader, &scope_of(&finished), "after").await {
                    satisfied.insert(b);
                } else {
                    live.extend(finished);
                    break;
                }
            }
        }
        live.extend(finished);
        if stopped {
            break;
        }
    }
    for ctx in live {
        ctx.remote().close().await;
    }
    Ok(())
}

fn scope_of(hosts: &[Arc<HostCtx>]) -> Scope {
    let names = |role: Role| {
        hosts
            .iter()
            .filter(|c| c.node.role == role)
            .map(|c| c.node.name.clone())
            .collect()
    };
    Scope {
        masters: names(Role::Master),
        agents: names(Role::Agent),
    }
}

/// A reader through the hosts' own SSH connections (any of them for nodes outside the run).
fn reader_for(shared: &Shared, hosts: &[Arc<HostCtx>], others: &[Arc<HostCtx>]) -> Reader {
    let mut routes = Routes::default();
    for c in hosts.iter().chain(others) {
        if let Some(d) = c.remote().dialer() {
            routes.insert(&c.node.name, d);
        }
    }
    Reader {
        cluster: shared.cluster.clone(),
        routes,
        ports: Ports::from_settings(&shared.settings),
    }
}

/// Waits for a barrier and reports it as a cluster step; false when it did not hold in time.
async fn cluster_wait(
    shared: &Shared,
    phase: Phase,
    b: Barrier,
    reader: &Reader,
    scope: &Scope,
    when: &str,
) -> bool {
    let started = Instant::now();
    let timeout = shared.settings.cluster.wait_timeout;
    let (outcome, message) = match barrier::wait(b, reader, scope, timeout).await {
        Ok(m) => (Outcome::Ok, m),
        Err(m) => (Outcome::Failed, m),
    };
    shared.reporter.report(result(
        CLUSTER,
        phase.name(),
        &format!("{when}: {}", b.name()),
        outcome,
        message,
        started,
    ));
    outcome == Outcome::Ok
}

/// Reports hosts that will not be worked on, and takes their work off the progress display.
fn stop_hosts(
    shared: &Shared,
    phase: Phase,
    hosts: &[Arc<HostCtx>],
    why: &str,
    later: &dyn Fn(Role) -> u64,
) {
    for c in hosts {
        shared.reporter.report(result(
            &c.node.name,
            phase.name(),
            "rollout",
            Outcome::Skipped,
            why.to_string(),
            Instant::now(),
        ));
        shared.reporter.drop_work(1 + later(c.node.role));
    }
}

struct RolloutOutcome {
    /// Hosts that came through the phase healthy.
    finished: Vec<Arc<HostCtx>>,
    /// The rollout stopped early (a failure during a rolling change, or a cluster that did not
    /// settle): later phases do not run.
    stopped: bool,
}

/// Runs one phase over its hosts, in batches when the cluster already runs.
async fn run_rollout(
    phase: Phase,
    hosts: Vec<Arc<HostCtx>>,
    others: &[Arc<HostCtx>],
    job: &Job,
    shared: &Arc<Shared>,
    limit: &Arc<Semaphore>,
    later: &dyn Fn(Role) -> u64,
) -> anyhow::Result<RolloutOutcome> {
    let check_mode = shared.opts.check;
    let names: Vec<String> = hosts.iter().map(|c| c.node.name.clone()).collect();
    let reader = reader_for(shared, &hosts, others);
    let scope = scope_of(&hosts);
    let rolling_phase = phase.rollout() != Rollout::AllAtOnce && hosts.len() > 1;
    // A phase rolls through the cluster only when the cluster already passes its barrier:
    // a fresh cluster must come up all at once (one ZooKeeper alone has no quorum).
    let (live_cluster, leader) = if rolling_phase && !check_mode {
        let live = match Barrier::after(phase) {
            Some(b) => barrier::check(b, &reader, &scope).await.is_ok(),
            None => false,
        };
        let leader = if live {
            barrier::current_leader(phase, &reader).await
        } else {
            None
        };
        (live, leader)
    } else {
        (false, None)
    };
    let batches = plan_batches(
        phase.rollout(),
        live_cluster,
        &names,
        job.serial,
        leader.as_deref(),
    );
    let mut pending: Vec<Arc<HostCtx>> = hosts;
    let mut finished = Vec::new();
    let total = batches.len();
    for (i, batch) in batches.into_iter().enumerate() {
        let (now, rest): (Vec<Arc<HostCtx>>, Vec<Arc<HostCtx>>) = pending
            .into_iter()
            .partition(|c| batch.contains(&c.node.name));
        pending = rest;
        let mut tasks = Vec::new();
        for ctx in now {
            let (shared, limit) = (shared.clone(), limit.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = limit.acquire_owned().await;
                // Phase boundaries in the host log tell where a run spent its time.
                let log = ctx.remote().log();
                log.note(&format!("phase {phase} starts"));
                let started = Instant::now();
                let done = run_phase(phase, &ctx, &shared).await;
                log.note(&format!(
                    "phase {phase} ends after {:.1} s ({})",
                    started.elapsed().as_secs_f64(),
                    if done.healthy { "healthy" } else { "unhealthy" }
                ));
                shared
                    .reporter
                    .work_done(&format!("{phase} {}", ctx.node.name));
                (ctx, done)
            }));
        }
        let mut failed = Vec::new();
        let mut restarted = false;
        for t in tasks {
            let (ctx, done) = t.await.context("phase task panicked")?;
            restarted |= done.handlers_ran;
            if done.healthy {
                finished.push(ctx);
            } else {
                failed.push(ctx.node.name.clone());
                shared.reporter.drop_work(later(ctx.node.role));
                ctx.remote().close().await;
            }
        }
        let last = i + 1 == total;
        if total > 1 && !failed.is_empty() {
            // A rolling change stops at the failed host; the rest stay as they are.
            let why = format!("not started: the rollout stopped at {}", failed.join(", "));
            stop_hosts(shared, phase, &pending, &why, later);
            finished.extend(pending);
            return Ok(RolloutOutcome {
                finished,
                stopped: true,
            });
        }
        if !last && restarted && !check_mode {
            let batch_scope = Scope {
                masters: scope.masters.clone(),
                agents: batch
                    .iter()
                    .filter(|n| scope.agents.contains(n))
                    .cloned()
                    .collect(),
            };
            let reader = reader_for(shared, &finished, others);
            for b in Barrier::settle(phase) {
                let settled = cluster_wait(
                    shared,
                    phase,
                    *b,
                    &reader,
                    &batch_scope,
                    &format!("settle after {}", batch.join(", ")),
                )
                .await;
                if !settled {
                    let why = format!(
                        "not started: the cluster did not settle after {}",
                        batch.join(", ")
                    );
                    stop_hosts(shared, phase, &pending, &why, later);
                    finished.extend(pending);
                    return Ok(RolloutOutcome {
                        finished,
                        stopped: true,
                    });
                }
            }
        }
    }
    Ok(RolloutOutcome {
        finished,
        stopped: false,
    })
}

fn result(
    host: &str,
    phase: &str,
    step: &str,
    outcome: Outcome,
    message: String,
    started: Instant,
) -> StepResult {
    StepResult {
        host: host.to_string(),
        phase: phase.to_string(),
        step: step.to_string(),
        outcome,
        message,
        diff: None,
        duration_ms: started.elapsed().as_millis() as u64,
    }
}

async fn connect_host(node: &Node, shared: &Shared) -> Option<Arc<HostCtx>> {
    let started = Instant::now();
    let fail = |outcome: Outcome, message: String| {
        shared.reporter.report(result(
            &node.name, "connect", "connect", outcome, message, started,
        ));
        None
    };
    let secrets: Vec<Secret> = shared
        .opts
        .admin_password
        .iter()
        .chain(shared.opts.sudo_password.iter())
        .cloned()
        .collect();
    let log = match HostLog::open(&shared.opts.log_dir, &node.name, secrets) {
        Ok(l) => Arc::new(l),
        Err(e) => {
            return fail(
                Outcome::Failed,
                format!("cannot open log in {}: {e}", shared.opts.log_dir.display()),
            )
        }
    };
    let ssh = &shared.settings.ssh;
    let target = Target {
        host: node.address.clone(),
        port: node.port,
        policy: ssh.policy,
        known_hosts: ssh.known_hosts.clone(),
        connect_budget: ssh.connect_budget,
    };
    let key_creds = Credentials::Key {
        user: ssh.user.clone(),
        key: shared.key.clone(),
    };
    let classify = |e: &SshError| {
        if e.is_unreachable() {
            Outcome::Unreachable
        } else {
            Outcome::Failed
        }
    };
    let (session, first_contact) = match Session::connect(&target, &key_creds).await {
        Ok(s) => (s, false),
        Err(SshError::AuthRefused { .. }) => match &shared.opts.admin_password {
            Some(pw) => {
                let creds = Credentials::Password {
                    user: "root".to_string(),
                    password: pw.clone(),
                };
                match Session::connect(&target, &creds).await {
                    Ok(s) => (s, true),
                    Err(e) => {
                        return fail(
                            classify(&e),
                            format!("key login as {} refused; first contact: {e}", ssh.user),
                        )
                    }
                }
            }
            None => {
                return fail(
                    Outcome::Failed,
                    format!(
                        "key login as {} refused and no administrator password given (--admin-password-file or CLOUDCONTROL_ADMIN_PASSWORD) for first contact",
                        ssh.user
                    ),
                )
            }
        },
        Err(e) => return fail(classify(&e), e.to_string()),
    };
    let how = if first_contact {
        "as root with the administrator password (first contact)".to_string()
    } else {
        format!("as {} with the key", ssh.user)
    };
    let remote =
        match Remote::new(&node.name, session, shared.opts.sudo_password.clone(), log).await {
            Ok(r) => Arc::new(r),
            Err(e) => return fail(Outcome::Unreachable, e.to_string()),
        };
    shared.reporter.report(result(
        &node.name,
        "connect",
        "connect",
        Outcome::Ok,
        format!("connected {how}"),
        started,
    ));
    let started = Instant::now();
    let facts = match remote.run_ok("cat /etc/os-release", None).await {
        Ok(text) => parse_os_release(&text).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let facts = match facts {
        Ok(f) => f,
        Err(message) => {
            remote.close().await;
            shared.reporter.report(result(
                &node.name,
                "connect",
                "os facts",
                Outcome::Failed,
                message,
                started,
            ));
            return None;
        }
    };
    shared.reporter.report(result(
        &node.name,
        "connect",
        "os facts",
        Outcome::Ok,
        format!("{} ({:?})", facts.pretty_name, facts.family),
        started,
    ));
    Some(Arc::new(HostCtx::new(
        node.clone(),
        shared.cluster.clone(),
        shared.settings.clone(),
        facts,
        target,
        shared.public_key.clone(),
        first_contact,
        shared.opts.check,
        remote,
    )))
}

fn is_unreachable(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<SshError>()
            .is_some_and(SshError::is_unreachable)
            || matches!(
                c.downcast_ref::<crate::remote::RemoteError>(),
                Some(crate::remote::RemoteError::Ssh(s)) if s.is_unreachable()
            )
    })
}

/// Runs check, then (unless dry run) apply and verify; returns the outcome, message and diff.
/// With `owed_by`, the handlers the step notifies are recorded on the host as owed by that
/// phase before the change is applied.
async fn run_step(
    step: &dyn Step,
    ctx: &HostCtx,
    check_mode: bool,
    owed_by: Option<Phase>,
) -> (Outcome, String, Option<String>) {
    let failed = |e: anyhow::Error| {
        let outcome = if is_unreachable(&e) {
            Outcome::Unreachable
        } else {
            Outcome::Failed
        };
        (outcome, format!("{e:#}"), None)
    };
    match step.check(ctx).await {
        Err(e) => failed(e.context("check")),
        Ok(Check::InSync(m)) => (Outcome::Ok, m, None),
        Ok(Check::Skip(m)) => (Outcome::Skipped, m, None),
        Ok(Check::Drift { summary, diff }) if check_mode => (Outcome::Changed, summary, diff),
        Ok(Check::Drift { summary, diff }) => {
            if let Some(phase) = owed_by {
                let notifies = step.notifies();
                if !notifies.is_empty() {
                    if let Err(e) = ctx.owed.record(ctx, phase.name(), &notifies).await {
                        let (o, m, _) = failed(e.context("recording the handlers it will owe"));
                        return (o, m, diff);
                    }
                }
            }
            if let Err(e) = step.apply(ctx).await {
                let (o, m, _) = failed(e.context(format!("apply ({summary})")));
                return (o, m, diff);
            }
            if let Err(e) = step.verify(ctx).await {
                let (o, m, _) = failed(e.context("verify"));
                return (o, m, diff);
            }
            let message = match step.note_after_change(ctx).await {
                Some(note) => format!("{summary}; {note}"),
                None => summary,
            };
            (Outcome::Changed, message, diff)
        }
    }
}

struct PhaseDone {
    healthy: bool,
    handlers_ran: bool,
}

async fn run_phase(phase: Phase, ctx: &HostCtx, shared: &Shared) -> PhaseDone {
    let host = ctx.node.name.clone();
    let started = Instant::now();
    let inputs = RoleInputs {
        node: ctx.node.clone(),
        facts: ctx.facts.clone(),
        settings: shared.settings.clone(),
        cluster: shared.cluster.clone(),
        operator_public_key: shared.public_key.clone(),
        operator_key: shared.key.clone(),
        docker_apt_key: shared.docker_apt_key.clone(),
    };
    let steps = match roles::tasks(phase, &inputs) {
        Ok(s) => s,
        Err(e) => {
            shared.reporter.report(result(
                &host,
                phase.name(),
                "role",
                Outcome::Failed,
                format!("{e:#}"),
                started,
            ));
            return PhaseDone {
                healthy: false,
                handlers_ran: false,
            };
        }
    };
    let mut handlers = HandlerQueue::default();
    // What an interrupted earlier run changed but never got to restart comes first.
    match ctx.owed.for_phase(ctx, phase.name()).await {
        Ok(owed) if !owed.is_empty() => {
            let names: Vec<&str> = owed.iter().map(|h| h.name.as_str()).collect();
            let (outcome, message) = if shared.opts.check {
                (
                    Outcome::Changed,
                    format!(
                        "would run, owed by an interrupted run: {}",
                        names.join(", ")
                    ),
                )
            } else {
                (
                    Outcome::Ok,
                    format!("owed by an interrupted run: {}", names.join(", ")),
                )
            };
            shared.reporter.report(result(
                &host,
                phase.name(),
                "owed handlers",
                outcome,
                message,
                started,
            ));
            if !shared.opts.check {
                handlers.notify(owed);
            }
        }
        Ok(_) => {}
        Err(e) => {
            let outcome = if is_unreachable(&e) {
                Outcome::Unreachable
            } else {
                Outcome::Failed
            };
            shared.reporter.report(result(
                &host,
                phase.name(),
                "owed handlers",
                outcome,
                format!("{e:#}"),
                started,
            ));
            return PhaseDone {
                healthy: false,
                handlers_ran: false,
            };
        }
    }
    let mut healthy = true;
    for step in &steps {
        let started = Instant::now();
        let (outcome, message, diff) =
            run_step(step.as_ref(), ctx, shared.opts.check, Some(phase)).await;
        if outcome == Outcome::Changed && !shared.opts.check {
            handlers.notify(step.notifies());
        }
        let mut r = result(&host, phase.name(), &step.name(), outcome, message, started);
        r.diff = diff;
        shared.reporter.report(r);
        if matches!(outcome, Outcome::Failed | Outcome::Unreachable) {
            healthy = false;
            break;
        }
    }
    // Handlers run once per phase, for what did change, even when a later step failed.
    let handlers = handlers.into_vec();
    let handlers_ran = !handlers.is_empty();
    let mut ran = Vec::new();
    for h in handlers {
        let started = Instant::now();
        let (outcome, message) = match ctx.run_ok(&h.script).await {
            Ok(_) => (Outcome::Changed, format!("ran `{}`", h.script)),
            Err(e) => {
                healthy = false;
                let e = anyhow::Error::new(e);
                let outcome = if is_unreachable(&e) {
                    Outcome::Unreachable
                } else {
                    Outcome::Failed
                };
                (outcome, e.to_string())
            }
        };
        shared.reporter.report(result(
            &host,
            phase.name(),
            &format!("handler: {}", h.name),
            outcome,
            message,
            started,
        ));
        if !healthy {
            // The rest of a chain (stop, reset, start) must not run after a failed link.
            break;
        }
        ran.push(h);
    }
    if !ran.is_empty() {
        let started = Instant::now();
        if let Err(e) = ctx.owed.settle(ctx, phase.name(), &ran).await {
            healthy = false;
            shared.reporter.report(result(
                &host,
                phase.name(),
                "owed handlers",
                Outcome::Failed,
                format!("{e:#}"),
                started,
            ));
        }
    }
    if healthy && !shared.opts.check {
        if let Some(old) = ctx.switch_to_operator() {
            old.log().note("switching to the operator's key connection");
            old.close().await;
        }
    }
    PhaseDone {
        healthy,
        handlers_ran,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use async_trait::async_trait;

    use super::*;
    use crate::facts::Family;
    use crate::steps::testkit::{ctx, FakeHost};

    /// A step whose check answers from a script of results and counts applies.
    struct Scripted {
        checks: std::sync::Mutex<Vec<Check>>,
        applies: AtomicUsize,
        apply_fails: bool,
    }

    impl Scripted {
        fn new(checks: Vec<Check>, apply_fails: bool) -> Self {
            Scripted {
                checks: std::sync::Mutex::new(checks),
                applies: AtomicUsize::new(0),
                apply_fails,
            }
        }
    }

    #[async_trait]
    impl Step for Scripted {
        fn name(&self) -> String {
            "scripted".into()
        }
        async fn check(&self, _: &HostCtx) -> anyhow::Result<Check> {
            Ok(self.checks.lock().unwrap().remove(0))
        }
        async fn apply(&self, _: &HostCtx) -> anyhow::Result<()> {
            self.applies.fetch_add(1, Ordering::SeqCst);
            anyhow::ensure!(!self.apply_fails, "boom");
            Ok(())
        }
    }

    fn drift() -> Check {
        Check::Drift {
            summary: "would fix".into(),
            diff: Some("d".into()),
        }
    }

    #[tokio::test]
    async fn check_mode_reports_changed_but_never_applies() {
        let c = ctx(Arc::new(FakeHost::default()), Family::Debian12, true);
        let step = Scripted::new(vec![drift()], false);
        let (outcome, message, diff) = run_step(&step, &c, true, None).await;
        assert_eq!(outcome, Outcome::Changed);
        assert_eq!(message, "would fix");
        assert_eq!(diff.as_deref(), Some("d"));
        assert_eq!(step.applies.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn changed_only_after_apply_and_a_clean_verify() {
        let c = ctx(Arc::new(FakeHost::default()), Family::El9, false);
        let ok = Scripted::new(vec![drift(), Check::InSync("now fine".into())], false);
        assert_eq!(run_step(&ok, &c, false, None).await.0, Outcome::Changed);
        assert_eq!(ok.applies.load(Ordering::SeqCst), 1);

        let stuck = Scripted::new(vec![drift(), drift()], false);
        let (outcome, message, _) = run_step(&stuck, &c, false, None).await;
        assert_eq!(outcome, Outcome::Failed);
        assert!(
            message.contains("verify") && message.contains("still differs"),
            "{message}"
        );

        let broken = Scripted::new(vec![drift()], true);
        let (outcome, message, _) = run_step(&broken, &c, false, None).await;
        assert_eq!(outcome, Outcome::Failed);
        assert!(
            message.contains("apply (would fix)") && message.contains("boom"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn in_sync_and_skip_never_apply() {
        let c = ctx(Arc::new(FakeHost::default()), Family::El7, false);
        let s = Scripted::new(vec![Check::InSync("fine".into())], false);
        assert_eq!(run_step(&s, &c, false, None).await.0, Outcome::Ok);
        let s = Scripted::new(vec![Check::Skip("n/a".into())], false);
        assert_eq!(run_step(&s, &c, false, None).await.0, Outcome::Skipped);
        assert_eq!(s.applies.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn handlers_run_in_first_requested_order_once_each() {
        let zk = Handler::systemctl("restart", "zookeeper");
        let master = Handler::systemctl("restart", "mesos-master");
        let marathon = Handler::systemctl("restart", "marathon");
        let mut q = HandlerQueue::default();
        q.notify(vec![zk.clone()]);
        q.notify(vec![master.clone(), zk.clone()]);
        q.notify(vec![marathon.clone(), master.clone()]);
        // Alphabetical order would be marathon, mesos-master, zookeeper: backwards.
        assert_eq!(q.into_vec(), vec![zk, master, marathon]);
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_running_cluster_rolls_masters_one_at_a_time_leader_last() {
        let masters = names(&["m1", "m2", "m3"]);
        assert_eq!(
            plan_batches(Rollout::OneAtATime, true, &masters, None, Some("m1")),
            vec![names(&["m2"]), names(&["m3"]), names(&["m1"])]
        );
        // A fresh cluster comes up at once: one ZooKeeper alone has no quorum.
        assert_eq!(
            plan_batches(Rollout::OneAtATime, false, &masters, None, None),
            vec![masters.clone()]
        );
        assert_eq!(
            plan_batches(Rollout::AllAtOnce, true, &masters, Some(1), None),
            vec![masters]
        );
    }

    #[test]
    fn agents_go_in_batches_of_serial() {
        let agents: Vec<String> = (1..=9).map(|i| format!("s{i}")).collect();
        let b = plan_batches(Rollout::Batches, true, &agents, Some(4), None);
        assert_eq!(b.len(), 3);
        assert_eq!(b[2], names(&["s9"]));
        assert_eq!(
            plan_batches(Rollout::Batches, true, &agents, None, None).len(),
            1
        );
        assert!(plan_batches(Rollout::Batches, true, &[], Some(2), None).is_empty());
    }

    #[test]
    fn a_connection_lost_mid_command_is_unreachable() {
        let lost = anyhow::Error::new(crate::remote::RemoteError::Ssh(SshError::ConnectionLost {
            target: "h:22".into(),
            command: "apt-get install".into(),
        }));
        assert!(is_unreachable(&lost));
    }

    #[test]
    fn lost_connections_count_as_unreachable() {
        let lost = anyhow::Error::new(crate::remote::RemoteError::Ssh(SshError::Unreachable {
            target: "h:22".into(),
            secs: 1,
            reason: "gone".into(),
        }))
        .context("check");
        assert!(is_unreachable(&lost));
        let refused = anyhow::Error::new(SshError::AuthRefused {
            target: "h:22".into(),
            user: "ops".into(),
            method: "publickey",
        });
        assert!(!is_unreachable(&refused));
    }
}
