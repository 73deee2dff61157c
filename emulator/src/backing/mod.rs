//! Node backing: real machines behind the emulated servers, through an external program.
//!
//! With `--node-backing PROGRAM` the emulator stays a portable API server and tells PROGRAM about
//! every lifecycle event of the assets it backs: network domains, VLANs, servers (deploy, power
//! operations, changes, delete), NAT rules and firewall rules. PROGRAM gets one JSON event on its
//! standard input (see [`events`]) and its exit status says whether the machines followed. An
//! operation that waits for machines (a server deploy, a power operation, a delete, a network
//! domain or VLAN deploy or delete) stays PENDING_* until both its scaled duration has passed and
//! PROGRAM has succeeded; a failed deploy ends in FAILED_ADD with PROGRAM's last stderr line as
//! the reason. Events of one network domain (and of one server) reach PROGRAM in order, one at a
//! time; different servers are worked on side by side.

pub mod addressing;
pub mod events;

use crate::lifecycle::{Outcome, Pending};
use crate::server::AppState;
use crate::store::{Org, World};
use events::{Event, Held, Record, View};
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The due time that holds a pending operation until the backing program is done.
pub const HELD: u64 = u64::MAX;

/// Records kept for `/_emulator/backing`.
const RECORDS_KEPT: usize = 2000;

/// A queued event with its record's sequence number.
struct Job {
    sequence: u64,
    event: Event,
    /// When the API would have finished the held operation on its own.
    due_ms: u64,
}

#[derive(Default)]
struct Lanes {
    queues: HashMap<String, VecDeque<Job>>,
    running: std::collections::HashSet<String>,
}

/// The node backing of one emulator.
pub struct NodeBacking {
    program: PathBuf,
    timeout: Duration,
    runtime: tokio::runtime::Handle,
    app: OnceLock<Weak<AppState>>,
    lanes: Mutex<Lanes>,
    records: Mutex<VecDeque<Record>>,
    sequence: std::sync::atomic::AtomicU64,
    /// Events of synchronous operations (NAT, firewall) not finished yet, and their waiters.
    unsettled: Mutex<std::collections::BTreeSet<u64>>,
    settled: tokio::sync::Notify,
}

/// Longest wait of a synchronous operation's answer for its machines.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(60);

/// What PROGRAM answered.
struct Answer {
    ok: bool,
    reason: String,
}

impl NodeBacking {
    /// Checks that PROGRAM accepts to back nodes here: it gets a `backing.start` event with the
    /// public pool and must exit 0 (it refuses, for example, without root or systemd-nspawn, and
    /// says why on its last stderr line).
    pub async fn start(
        program: &Path,
        pool: &str,
        timeout: Duration,
    ) -> anyhow::Result<Arc<NodeBacking>> {
        let program = program.to_path_buf();
        let meta = std::fs::metadata(&program).map_err(|e| {
            anyhow::anyhow!("--node-backing: cannot use {}: {e}", program.display())
        })?;
        {
            use std::os::unix::fs::PermissionsExt;
            anyhow::ensure!(
                meta.is_file() && meta.permissions().mode() & 0o111 != 0,
                "--node-backing: {} is not an executable file",
                program.display()
            );
        }
        let start = serde_json::json!({
            "event": "backing.start",
            "sequence": 0,
            "publicIpv4Pool": pool,
        });
        let answer = run_program(
            &program,
            &start,
            Duration::from_secs(120),
            0,
            "backing.start",
        )
        .await;
        anyhow::ensure!(
            answer.ok,
            "--node-backing: {} refused to back nodes here: {}",
            program.display(),
            answer.reason
        );
        Ok(Arc::new(NodeBacking {
            program,
            timeout,
            runtime: tokio::runtime::Handle::current(),
            app: OnceLock::new(),
            lanes: Mutex::new(Lanes::default()),
            records: Mutex::new(VecDeque::new()),
            sequence: std::sync::atomic::AtomicU64::new(0),
            unsettled: Mutex::new(std::collections::BTreeSet::new()),
            settled: tokio::sync::Notify::new(),
        }))
    }

    /// Ties the backing to the state it reports back to, and re-issues the operations that were
    /// held when the emulator last stopped.
    pub fn attach(self: &Arc<Self>, app: &Arc<AppState>) {
        let _ = self.app.set(Arc::downgrade(app));
        let mut world = app.world.lock().unwrap_or_else(|p| p.into_inner());
        let now = crate::clock::now_ms();
        for (org_id, org) in world.orgs.iter_mut() {
            let events = View::of(org).interrupted(org, HELD);
            for event in events {
                if event.kind == "server.deploy" {
                    // The administrator password is never stored: the deployment cannot resume.
                    fail_deploy(
                        org,
                        &event.asset_id,
                        "the emulator restarted while the node was being deployed",
                    );
                    tracing::error!(server = %event.asset_id, org = %org_id, "node deployment interrupted by a restart: FAILED_ADD");
                    continue;
                }
                tracing::info!(event = event.kind, asset = %event.asset_id, "re-issuing an interrupted backing event");
                self.enqueue(event, now);
            }
        }
    }

    /// Called under the state lock after an accepted write: derives the events, holds the
    /// operations that wait for machines, and queues the events.
    pub fn after_write(&self, before: &View, org: &mut Org, request_body: &[u8]) {
        let after = View::of(org);
        let password = events::admin_password_of(request_body);
        for event in after.events_since(before, password.as_deref()) {
            let mut due_ms = crate::clock::now_ms();
            if let Some(held) = &event.held {
                if let Some(p) = pending_of(org, held) {
                    due_ms = p.due_ms;
                    p.due_ms = HELD;
                }
            }
            self.enqueue(event, due_ms);
        }
    }

    fn enqueue(&self, event: Event, due_ms: u64) {
        let sequence = self
            .sequence
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        tracing::info!(sequence, event = event.kind, asset = %event.asset_id, name = %event.asset_name, "node backing event queued");
        self.record(Record {
            sequence,
            event: event.kind,
            asset_id: event.asset_id.clone(),
            asset_name: event.asset_name.clone(),
            state: "queued",
            queued_ms: crate::clock::now_ms(),
            duration_ms: None,
            reason: None,
        });
        if event.held.is_none() {
            self.unsettled
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(sequence);
        }
        let lane = event.lane.clone();
        let mut lanes = self.lanes.lock().unwrap_or_else(|p| p.into_inner());
        let queue = lanes.queues.entry(lane.clone()).or_default();
        let superseded: Vec<u64> = queue
            .iter()
            .filter(|j| event.supersedes(&j.event))
            .map(|j| j.sequence)
            .collect();
        queue.retain(|j| !event.supersedes(&j.event));
        queue.push_back(Job {
            sequence,
            event,
            due_ms,
        });
        let start = lanes.running.insert(lane.clone());
        drop(lanes);
        for s in superseded {
            self.update_record(s, "superseded", None, None);
            self.settle_one(s);
        }
        if start {
            if let Some(me) = self.me() {
                self.runtime.spawn(async move { me.drain(lane).await });
            }
        }
    }

    fn me(&self) -> Option<Arc<NodeBacking>> {
        let app = self.app.get()?.upgrade()?;
        app.backing.clone()
    }

    async fn drain(self: Arc<Self>, lane: String) {
        loop {
            let job = {
                let mut lanes = self.lanes.lock().unwrap_or_else(|p| p.into_inner());
                match lanes.queues.get_mut(&lane).and_then(VecDeque::pop_front) {
                    Some(job) => job,
                    None => {
                        lanes.queues.remove(&lane);
                        lanes.running.remove(&lane);
                        return;
                    }
                }
            };
            self.update_record(job.sequence, "running", None, None);
            let started = Instant::now();
            let answer = run_program(
                &self.program,
                &job.event.to_stdin(job.sequence),
                self.timeout,
                job.sequence,
                job.event.kind,
            )
            .await;
            let took = started.elapsed().as_millis() as u64;
            if answer.ok {
                tracing::info!(sequence = job.sequence, event = job.event.kind, asset = %job.event.asset_id, took_ms = took, "node backing event done");
                self.update_record(job.sequence, "succeeded", Some(took), None);
            } else {
                tracing::error!(sequence = job.sequence, event = job.event.kind, asset = %job.event.asset_id, reason = %answer.reason, "node backing event failed");
                self.update_record(
                    job.sequence,
                    "failed",
                    Some(took),
                    Some(answer.reason.clone()),
                );
            }
            self.release(&job, &answer).await;
            self.settle_one(job.sequence);
        }
    }

    fn settle_one(&self, sequence: u64) {
        let removed = self
            .unsettled
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&sequence);
        if removed {
            self.settled.notify_waiters();
        }
    }

    /// Waits until every synchronous operation's event queued so far is done (bounded): the API
    /// answers a NAT or firewall change once the machines follow it, as the platform does.
    pub async fn settle(&self) {
        let upto = self.sequence.load(std::sync::atomic::Ordering::SeqCst);
        let wait = async {
            loop {
                let notified = self.settled.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                let pending = self
                    .unsettled
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .range(..=upto)
                    .next()
                    .is_some();
                if !pending {
                    return;
                }
                notified.await;
            }
        };
        if tokio::time::timeout(SETTLE_TIMEOUT, wait).await.is_err() {
            tracing::warn!(
                upto,
                "node backing still busy with earlier changes; answering anyway"
            );
        }
    }

    /// Lets the held operation finish: at its due time when the program succeeded; a failed
    /// deploy ends in FAILED_ADD with the program's reason. Other failures let the API operation
    /// finish (the platform has no failure state for them) and stay in the record and the log.
    async fn release(&self, job: &Job, answer: &Answer) {
        let Some(held) = &job.event.held else { return };
        let Some(app) = self.app.get().and_then(Weak::upgrade) else {
            return;
        };
        let held = held.clone();
        let due_ms = job.due_ms;
        let failed_deploy = (!answer.ok
            && matches!(
                job.event.kind,
                "server.deploy" | "vlan.deploy" | "networkDomain.deploy"
            ))
        .then(|| answer.reason.clone());
        let result = tokio::task::spawn_blocking(move || {
            app.change_world(|world| release_in(world, &held, due_ms, failed_deploy))
        })
        .await;
        if let Ok(Err(e)) = result {
            tracing::error!(error = %e.message, "saving the state after a backing event failed");
        }
    }

    fn record(&self, record: Record) {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        records.push_back(record);
        while records.len() > RECORDS_KEPT {
            records.pop_front();
        }
    }

    fn update_record(
        &self,
        sequence: u64,
        state: &'static str,
        duration_ms: Option<u64>,
        reason: Option<String>,
    ) {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = records.iter_mut().rev().find(|r| r.sequence == sequence) {
            r.state = state;
            r.duration_ms = duration_ms.or(r.duration_ms);
            r.reason = reason.or(r.reason.take());
        }
    }

    /// Every event record with a sequence number above `since`, oldest first.
    pub fn records_since(&self, since: u64) -> Vec<Record> {
        let records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        records
            .iter()
            .filter(|r| r.sequence > since)
            .cloned()
            .collect()
    }
}

/// The pending operation of a held asset.
fn pending_of<'a>(org: &'a mut Org, held: &Held) -> Option<&'a mut Pending> {
    match held {
        Held::NetworkDomain(id) => org.network_domains.get_mut(id)?.pending.as_mut(),
        Held::Vlan(id) => org.vlans.get_mut(id)?.pending.as_mut(),
        Held::Server(id) => org.servers.get_mut(id)?.pending.as_mut(),
    }
}

fn release_in(world: &mut World, held: &Held, due_ms: u64, failed: Option<String>) -> bool {
    for org in world.orgs.values_mut() {
        let Some(p) = pending_of(org, held).filter(|p| p.due_ms == HELD) else {
            continue;
        };
        p.due_ms = due_ms;
        if let Some(reason) = failed {
            p.outcome = Outcome::FailedAdd;
            if let Held::Server(id) = held {
                if let Some(s) = org.servers.get_mut(id) {
                    s.failure_reason = Some(reason);
                }
            }
        }
        return true;
    }
    false
}

fn fail_deploy(org: &mut Org, server_id: &str, reason: &str) {
    if let Some(s) = org.servers.get_mut(server_id) {
        if let Some(p) = s.pending.as_mut() {
            p.due_ms = crate::clock::now_ms();
            p.outcome = Outcome::FailedAdd;
        }
        s.failure_reason = Some(reason.to_owned());
    }
}

/// Runs PROGRAM with `event` on stdin. Its stderr goes to the log line by line; its last
/// non-empty line is the reason of a failure. The event (it may hold a password) is never logged.
async fn run_program(
    program: &Path,
    event: &serde_json::Value,
    timeout: Duration,
    sequence: u64,
    kind: &'static str,
) -> Answer {
    let failed = |reason: String| Answer { ok: false, reason };
    let mut command = tokio::process::Command::new(program);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: a Ctrl-C meant for the emulator must not reach the machines.
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => return failed(format!("cannot start {}: {e}", program.display())),
    };
    if let Some(mut stdin) = child.stdin.take() {
        let bytes = event.to_string();
        if let Err(e) = stdin.write_all(bytes.as_bytes()).await {
            tracing::warn!(sequence, error = %e, "writing the event to the backing program");
        }
    }
    let last = Arc::new(Mutex::new(String::new()));
    let mut readers = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        let last = Arc::clone(&last);
        readers.push(tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if !line.trim().is_empty() {
                    tracing::info!(target: "node_backing", sequence, event = kind, "{line}");
                    *last.lock().unwrap_or_else(|p| p.into_inner()) = line.trim().to_owned();
                }
            }
        }));
    }
    if let Some(stdout) = child.stdout.take() {
        readers.push(tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::debug!(target: "node_backing", sequence, event = kind, "{line}");
            }
        }));
    }
    let status = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => status,
        Ok(Err(e)) => return failed(format!("waiting for {}: {e}", program.display())),
        Err(_) => {
            let _ = child.start_kill();
            let _ = child.wait().await;
            return failed(format!(
                "{} did not finish {kind} within {} s",
                program.display(),
                timeout.as_secs()
            ));
        }
    };
    // Whatever the program left running must not hold its output open: give the readers a
    // moment for the last lines, then stop reading.
    for r in readers {
        let abort = r.abort_handle();
        if tokio::time::timeout(Duration::from_secs(2), r)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
    let last = last.lock().unwrap_or_else(|p| p.into_inner()).clone();
    if status.success() {
        Answer {
            ok: true,
            reason: String::new(),
        }
    } else {
        let reason = if last.is_empty() {
            format!("{} failed ({status}) without a message", program.display())
        } else {
            last
        };
        failed(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn script(dir: &Path, body: &str) -> PathBuf {
        let path = dir.join("backing");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[tokio::test]
    async fn a_refusing_program_stops_the_start_with_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        let p = script(
            dir.path(),
            "cat >/dev/null; echo 'checking' >&2; echo 'node backing needs root (running as uid 1000)' >&2; exit 1",
        );
        let err = NodeBacking::start(&p, "100.96.0.0/16", Duration::from_secs(5))
            .await
            .err()
            .expect("refused");
        let text = err.to_string();
        assert!(text.contains("needs root (running as uid 1000)"), "{text}");
        assert!(!text.contains("checking"), "{text}");
    }

    #[tokio::test]
    async fn a_missing_or_plain_file_is_refused_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let err = NodeBacking::start(
            &dir.path().join("nope"),
            "100.96.0.0/16",
            Duration::from_secs(5),
        )
        .await
        .err()
        .unwrap();
        assert!(err.to_string().contains("cannot use"), "{err}");
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "x").unwrap();
        let err = NodeBacking::start(&plain, "100.96.0.0/16", Duration::from_secs(5))
            .await
            .err()
            .unwrap();
        assert!(err.to_string().contains("not an executable"), "{err}");
    }

    #[tokio::test]
    async fn a_program_that_overruns_is_stopped_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = script(dir.path(), "sleep 5");
        let answer = run_program(
            &p,
            &serde_json::json!({}),
            Duration::from_millis(300),
            1,
            "server.deploy",
        )
        .await;
        assert!(!answer.ok);
        assert!(
            answer.reason.contains("did not finish server.deploy"),
            "{}",
            answer.reason
        );
    }

    #[tokio::test]
    async fn a_background_child_holding_no_output_does_not_delay_the_answer() {
        let dir = tempfile::tempdir().unwrap();
        // like a node started in the background with its output elsewhere
        let p = script(
            dir.path(),
            "cat >/dev/null; (sleep 3 </dev/null >/dev/null 2>&1 &); exit 0",
        );
        let started = Instant::now();
        let answer = run_program(
            &p,
            &serde_json::json!({}),
            Duration::from_secs(5),
            1,
            "server.start",
        )
        .await;
        assert!(answer.ok);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
}
