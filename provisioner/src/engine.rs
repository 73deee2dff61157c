//! Runs the role over many hosts: a connect phase, then each role phase with a barrier in
//! between, hosts in parallel up to `forks`, steps of a host in order, handlers at phase end.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use tokio::sync::Semaphore;

use crate::facts::parse_os_release;
use crate::hostlog::HostLog;
use crate::inventory::{Node, Settings};
use crate::remote::{Exec, Remote};
use crate::render::hosts::HostEntry;
use crate::report::{Outcome, Reporter, StepResult};
use crate::roles;
use crate::secret::Secret;
use crate::ssh::{self, Credentials, Session, SshError, Target};
use crate::steps::{Check, Handler, HostCtx, Step};

/// What to converge.
#[derive(Debug, Clone)]
pub struct Job {
    /// Nodes worked on.
    pub nodes: Vec<Node>,
    /// Every node of the cluster, for `/etc/hosts`.
    pub cluster: Vec<HostEntry>,
    /// Settings.
    pub settings: Arc<Settings>,
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
    cluster: Vec<HostEntry>,
    opts: RunOptions,
    key: Arc<russh::keys::PrivateKey>,
    public_key: String,
    docker_apt_key: Option<String>,
    reporter: Arc<Reporter>,
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
    shared
        .reporter
        .expect_work((job.nodes.len() * (1 + roles::PHASES.len())) as u64);

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
    for t in tasks {
        match t.await.context("connect task panicked")? {
            Some(ctx) => live.push(ctx),
            None => shared.reporter.drop_work(roles::PHASES.len() as u64),
        }
    }

    for (index, phase) in roles::PHASES.iter().enumerate() {
        let mut tasks = Vec::new();
        for ctx in live.drain(..) {
            let (shared, limit) = (shared.clone(), limit.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = limit.acquire_owned().await;
                let healthy = run_phase(phase, &ctx, &shared).await;
                shared
                    .reporter
                    .work_done(&format!("{phase} {}", ctx.node.name));
                (ctx, healthy)
            }));
        }
        // Barrier: every host finishes this phase before the next one starts.
        for t in tasks {
            let (ctx, healthy) = t.await.context("phase task panicked")?;
            if healthy {
                live.push(ctx);
            } else {
                let left = roles::PHASES.len() - index - 1;
                shared.reporter.drop_work(left as u64);
                ctx.remote().close().await;
            }
        }
    }
    for ctx in live {
        ctx.remote().close().await;
    }
    Ok(())
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
    let remote = match Remote::new(session, shared.opts.sudo_password.clone(), log).await {
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
async fn run_step(
    step: &dyn Step,
    ctx: &HostCtx,
    check_mode: bool,
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

async fn run_phase(phase: &str, ctx: &HostCtx, shared: &Shared) -> bool {
    let steps = roles::steps_for(phase, ctx, &shared.key, shared.docker_apt_key.as_deref());
    let host = ctx.node.name.clone();
    let mut handlers: BTreeSet<Handler> = BTreeSet::new();
    let mut healthy = true;
    for step in &steps {
        let started = Instant::now();
        let (outcome, message, diff) = run_step(step.as_ref(), ctx, shared.opts.check).await;
        if outcome == Outcome::Changed && !shared.opts.check {
            handlers.extend(step.notifies());
        }
        let mut r = result(&host, phase, &step.name(), outcome, message, started);
        r.diff = diff;
        shared.reporter.report(r);
        if matches!(outcome, Outcome::Failed | Outcome::Unreachable) {
            healthy = false;
            break;
        }
    }
    // Handlers run once per phase, for what did change, even when a later step failed.
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
            phase,
            &format!("handler: {}", h.name),
            outcome,
            message,
            started,
        ));
    }
    if healthy && !shared.opts.check {
        if let Some(old) = ctx.switch_to_operator() {
            old.log().note("switching to the operator's key connection");
            old.close().await;
        }
    }
    healthy
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
        let (outcome, message, diff) = run_step(&step, &c, true).await;
        assert_eq!(outcome, Outcome::Changed);
        assert_eq!(message, "would fix");
        assert_eq!(diff.as_deref(), Some("d"));
        assert_eq!(step.applies.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn changed_only_after_apply_and_a_clean_verify() {
        let c = ctx(Arc::new(FakeHost::default()), Family::El9, false);
        let ok = Scripted::new(vec![drift(), Check::InSync("now fine".into())], false);
        assert_eq!(run_step(&ok, &c, false).await.0, Outcome::Changed);
        assert_eq!(ok.applies.load(Ordering::SeqCst), 1);

        let stuck = Scripted::new(vec![drift(), drift()], false);
        let (outcome, message, _) = run_step(&stuck, &c, false).await;
        assert_eq!(outcome, Outcome::Failed);
        assert!(
            message.contains("verify") && message.contains("still differs"),
            "{message}"
        );

        let broken = Scripted::new(vec![drift()], true);
        let (outcome, message, _) = run_step(&broken, &c, false).await;
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
        assert_eq!(run_step(&s, &c, false).await.0, Outcome::Ok);
        let s = Scripted::new(vec![Check::Skip("n/a".into())], false);
        assert_eq!(run_step(&s, &c, false).await.0, Outcome::Skipped);
        assert_eq!(s.applies.load(Ordering::SeqCst), 0);
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
