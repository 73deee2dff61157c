//! Row 5: fresh nodes to a healthy Mesos cluster with both apps running, through
//! `terraform apply` of `examples/mesos-cluster` on the node-backed emulator (every server a real
//! Debian node), with the wall time split into infrastructure, base role, Mesos roles and apps;
//! then a no-change `terraform apply` of the same cluster (target under 15 s for 12 nodes).
//!
//! How the split is taken: Terraform's output lines are stamped as they arrive, so the first
//! `null_resource.master` creation ends the infrastructure; the masters' and the agents'
//! provisioning end with their last `null_resource`; the apps end when `check-health` first sees
//! both running. Inside each provisioning stretch, the base role is the time until the slowest
//! node of the stretch ended its `base` phase (the provisioner's per-node logs mark every phase's
//! start and end); the rest of the stretch is the Mesos roles. The four parts add up to the total.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use e2e::node_backing::{self, NodeBackedCloud};
use e2e::node_cluster;
use e2e::terraform::Workspace;

use crate::clock;
use crate::table::{Figure, Verdict};

/// The emulator's clock: 100x the real API's, so a server deploys in 4.2 s, about a node's
/// boot. Row 1 measures the infrastructure at the real API's pace.
const TIME_SCALE: &str = "0.01";
/// The servers' administrator password for this run (policy: upper, lower, digit, symbol).
const PASSWORD: &str = "Bench-Nodes-5z!";
/// The no-change apply's target, in seconds.
const NO_CHANGE_TARGET_S: f64 = 15.0;
/// The row's two figures: id and what they measure.
const TOTAL: (&str, &str) = (
    "5.end_to_end",
    "fresh nodes to a healthy 3 + 9 cluster with both apps (node-backed terraform apply): total; infrastructure / base role / Mesos roles / apps",
);
const NO_CHANGE: (&str, &str) = (
    "5.no_change_apply",
    "no-change terraform apply of the provisioned 3 + 9 cluster",
);
/// How long the apps may take to run after the apply (docker-hello pulls its image first).
const APPS_PATIENCE: Duration = Duration::from_secs(180);

/// Measures row 5 (needs root and the node-backed test network).
pub fn run(quick: bool) -> Result<Vec<Figure>> {
    if let Some(reason) = e2e::nodes::unavailable_reason() {
        return Ok(skipped(&format!(
            "not measured: the node-backed emulator cannot run here ({reason}); run scripts/bench as root on Linux"
        )));
    }
    let setup = Instant::now();
    let cloud = node_backing::acquire(TIME_SCALE).context("the node-backed cloud did not start")?;
    let ws = node_cluster::example_workspace(&cloud, PASSWORD)?;
    let setup_s = setup.elapsed().as_secs_f64();
    let measured = measure(&cloud, &ws, quick);
    // Whatever was measured, the cluster goes (dropping the cloud stops its nodes).
    let destroy = Instant::now();
    let destroyed = ws.destroy();
    let destroy_s = destroy.elapsed().as_secs_f64();
    drop(cloud);
    let mut figures = measured?;
    destroyed.context("terraform destroy of the benchmarked cluster")?;
    if let Some(total) = figures.first_mut() {
        let note = format!(
            "{}; test network and workspace set up in {setup_s:.0} s beforehand, terraform destroy {destroy_s:.0} s afterwards",
            total.note
        );
        total.note = note;
    }
    Ok(figures)
}

fn measure(cloud: &NodeBackedCloud, ws: &Workspace, quick: bool) -> Result<Vec<Figure>> {
    let apply = stamped_apply(ws).context("the first terraform apply")?;
    if !apply
        .lines
        .iter()
        .any(|(_, l)| l.starts_with("Apply complete! Resources: 78 added, 0 changed, 0 destroyed."))
    {
        bail!(
            "the first apply did not add the 78 resources of the 3 + 9 cluster:\n{}",
            apply.text()
        );
    }
    let health = node_cluster::wait_whole(cloud, ws, 9, APPS_PATIENCE)?;
    let whole_ms = clock::now_ms();
    let phases = PhaseLog::read(&node_cluster::provisioner_dir(ws).join("logs"))?;
    let split = Split::of(&apply, &phases, whole_ms)?;

    let again = Instant::now();
    let second = ws.apply(&[]).context("the no-change terraform apply")?;
    let no_change_s = again.elapsed().as_secs_f64();
    if !second
        .stdout
        .contains("Resources: 0 added, 0 changed, 0 destroyed.")
    {
        bail!("the second apply changed something:\n{second}");
    }
    if second.stdout.contains("(local-exec):") {
        bail!("the no-change apply ran a provisioner on a node:\n{second}");
    }
    let (cloud_resources, null_resources) = resource_counts(ws)?;

    let total = split.total_s();
    let leader = health.mesos_leader().unwrap_or_else(|| "?".into());
    let mode = if quick {
        "the same run in --quick mode (nothing here can be shortened)"
    } else {
        "full run"
    };
    Ok(vec![
        Figure::new(
            TOTAL.0,
            5,
            TOTAL.1,
            format!(
                "{total:.0} s: {:.0} / {:.0} / {:.0} / {:.0} s",
                split.infrastructure_s, split.base_s, split.mesos_s, split.apps_s
            ),
            "recorded",
        )
        .judged(total, Verdict::Recorded)
        .note(format!(
            "{mode}; emulator time scale {TIME_SCALE} (a server deploys in 4.2 s; row 1 has the API's real pace); \
             terraform apply {:.0} s, then check-health saw both apps running after {:.0} s more (Mesos leader {leader}); \
             masters provisioned in {:.0} s (base role {:.0} s of it), agents in {:.0} s (base role {:.0} s of it)",
            split.apply_s,
            split.apps_wait_s,
            split.masters_s,
            split.masters_base_s,
            split.agents_s,
            split.agents_base_s,
        )),
        Figure::new(
            NO_CHANGE.0,
            5,
            NO_CHANGE.1,
            format!("{no_change_s:.1} s"),
            &format!("< {NO_CHANGE_TARGET_S:.0} s"),
        )
        .judged(no_change_s, Verdict::of(no_change_s < NO_CHANGE_TARGET_S))
        .note(format!(
            "refreshes the {cloud_resources} cloud resources and the {null_resources} null_resources; \
             no provisioner ran (their triggers are unchanged)"
        )),
    ])
}

/// How many `cloudcontrol_*` and `null_resource` instances the state holds.
fn resource_counts(ws: &Workspace) -> Result<(usize, usize)> {
    let listed = ws
        .run(&["state", "list"])?
        .ensure_success()
        .context("terraform state list")?;
    let count = |prefix: &str| {
        listed
            .stdout
            .lines()
            .filter(|l| l.starts_with(prefix))
            .count()
    };
    Ok((count("cloudcontrol_"), count("null_resource.")))
}

/// Both figures of the row, skipped for `why`.
fn skipped(why: &str) -> Vec<Figure> {
    vec![
        Figure::skipped(TOTAL.0, 5, TOTAL.1, "recorded", why),
        Figure::skipped(
            NO_CHANGE.0,
            5,
            NO_CHANGE.1,
            &format!("< {NO_CHANGE_TARGET_S:.0} s"),
            why,
        ),
    ]
}

/// A finished `terraform apply` whose stdout lines carry the Unix milliseconds they arrived at.
struct StampedApply {
    started_ms: u64,
    finished_ms: u64,
    lines: Vec<(u64, String)>,
}

impl StampedApply {
    fn text(&self) -> String {
        self.lines
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// When the first line starting with `prefix` and containing `marker` arrived.
    fn first(&self, prefix: &str, marker: &str) -> Option<u64> {
        self.lines
            .iter()
            .find(|(_, l)| l.starts_with(prefix) && l.contains(marker))
            .map(|(t, _)| *t)
    }

    /// When the last line starting with `prefix` and containing `marker` arrived.
    fn last(&self, prefix: &str, marker: &str) -> Option<u64> {
        self.lines
            .iter()
            .rev()
            .find(|(_, l)| l.starts_with(prefix) && l.contains(marker))
            .map(|(t, _)| *t)
    }
}

/// `terraform apply -auto-approve`, its output read line by line as it comes.
fn stamped_apply(ws: &Workspace) -> Result<StampedApply> {
    let started_ms = clock::now_ms();
    let mut child = ws.spawn(&["apply", "-input=false", "-no-color", "-auto-approve"])?;
    let mut stderr = child.stderr.take().context("terraform's stderr")?;
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut lines = Vec::new();
    for line in BufReader::new(child.stdout.take().context("terraform's stdout")?).lines() {
        lines.push((clock::now_ms(), line.context("reading terraform's output")?));
    }
    let status = child.wait().context("waiting for terraform")?;
    let errors = errors.join().unwrap_or_default();
    let apply = StampedApply {
        started_ms,
        finished_ms: clock::now_ms(),
        lines,
    };
    if !status.success() {
        bail!(
            "terraform apply failed ({status}):\n{}\n{errors}",
            apply.text()
        );
    }
    Ok(apply)
}

/// When each node's `base` phase ended, from the provisioner's per-node logs
/// (`[<UTC time>] # phase base ends after ...`).
struct PhaseLog {
    base_ended_ms: BTreeMap<String, u64>,
}

impl PhaseLog {
    fn read(dir: &Path) -> Result<PhaseLog> {
        let mut base_ended_ms = BTreeMap::new();
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let path = entry?.path();
            let Some(host) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".log"))
            else {
                continue;
            };
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            if let Some(ended) = text.lines().find_map(base_end) {
                base_ended_ms.insert(host.to_owned(), ended);
            }
        }
        Ok(PhaseLog { base_ended_ms })
    }

    /// The latest end of the base phase among the hosts whose name starts with `prefix`.
    fn latest_base_end(&self, prefix: &str) -> Result<u64> {
        self.base_ended_ms
            .iter()
            .filter(|(host, _)| host.starts_with(prefix))
            .map(|(_, t)| *t)
            .max()
            .with_context(|| {
                format!(
                    "no {prefix} node's log marks the end of its base phase (logs of: {:?})",
                    self.base_ended_ms.keys().collect::<Vec<_>>()
                )
            })
    }
}

/// The time of a host-log line `[<UTC time>] # phase base ends after ...`.
fn base_end(line: &str) -> Option<u64> {
    let (stamp, rest) = line.strip_prefix('[')?.split_once("] ")?;
    rest.starts_with("# phase base ends")
        .then(|| clock::iso_ms(stamp))
        .flatten()
}

/// The end-to-end wall time in consecutive stretches (seconds).
#[derive(Debug)]
struct Split {
    infrastructure_s: f64,
    base_s: f64,
    mesos_s: f64,
    apps_s: f64,
    apply_s: f64,
    apps_wait_s: f64,
    masters_s: f64,
    masters_base_s: f64,
    agents_s: f64,
    agents_base_s: f64,
}

impl Split {
    fn of(apply: &StampedApply, phases: &PhaseLog, whole_ms: u64) -> Result<Split> {
        let find = |t: Option<u64>, what: &str| {
            t.with_context(|| format!("the apply's output has no line for {what}"))
        };
        let masters_from = find(
            apply.first("null_resource.master[", ": Creating..."),
            "the first master's provisioning",
        )?;
        let masters_to = find(
            apply.last("null_resource.master[", ": Creation complete"),
            "the last master's provisioning",
        )?;
        let agents_to = find(
            apply.last("null_resource.agent[", ": Creation complete"),
            "the last agent's provisioning",
        )?;
        let masters_base_to = phases
            .latest_base_end("master")?
            .clamp(masters_from, masters_to);
        let agents_base_to = phases
            .latest_base_end("agent")?
            .clamp(masters_to, agents_to);
        let s = |from: u64, to: u64| to.saturating_sub(from) as f64 / 1000.0;
        let masters_base_s = s(masters_from, masters_base_to);
        let agents_base_s = s(masters_to, agents_base_to);
        Ok(Split {
            infrastructure_s: s(apply.started_ms, masters_from),
            base_s: masters_base_s + agents_base_s,
            mesos_s: s(masters_base_to, masters_to) + s(agents_base_to, agents_to),
            apps_s: s(agents_to, whole_ms),
            apply_s: s(apply.started_ms, apply.finished_ms),
            apps_wait_s: s(apply.finished_ms, whole_ms),
            masters_s: s(masters_from, masters_to),
            masters_base_s,
            agents_s: s(masters_to, agents_to),
            agents_base_s,
        })
    }

    fn total_s(&self) -> f64 {
        self.infrastructure_s + self.base_s + self.mesos_s + self.apps_s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(lines: &[(u64, &str)]) -> StampedApply {
        StampedApply {
            started_ms: 0,
            finished_ms: lines.last().map_or(0, |(t, _)| *t),
            lines: lines.iter().map(|(t, l)| (*t, (*l).to_owned())).collect(),
        }
    }

    #[test]
    fn host_log_lines_give_the_base_phase_end() {
        assert_eq!(
            base_end("[1970-01-01T00:00:10.500Z] # phase base ends after 3.0 s (healthy)"),
            Some(10_500)
        );
        assert_eq!(
            base_end("[1970-01-01T00:00:10.500Z] # phase base starts"),
            None
        );
        assert_eq!(base_end("[1970-01-01T00:00:10.500Z] $ [root] true"), None);
        assert_eq!(base_end("no stamp"), None);
    }

    #[test]
    fn the_stretches_add_up_to_the_total() {
        let apply = apply(&[
            (1_000, "cloudcontrol_server.node[\"master1\"]: Creating..."),
            (40_000, "null_resource.master[\"master2\"]: Creating..."),
            (41_000, "null_resource.master[\"master1\"]: Creating..."),
            (
                90_000,
                "null_resource.master[\"master1\"]: Creation complete after 49s [id=1]",
            ),
            (
                100_000,
                "null_resource.master[\"master2\"]: Creation complete after 60s [id=2]",
            ),
            (101_000, "null_resource.agent[\"agent1\"]: Creating..."),
            (
                160_000,
                "null_resource.agent[\"agent1\"]: Creation complete after 59s [id=3]",
            ),
            (
                170_000,
                "Apply complete! Resources: 64 added, 0 changed, 0 destroyed.",
            ),
        ]);
        let phases = PhaseLog {
            base_ended_ms: BTreeMap::from([
                ("master1".to_owned(), 60_000),
                ("master2".to_owned(), 70_000),
                ("agent1".to_owned(), 130_000),
            ]),
        };
        let split = Split::of(&apply, &phases, 200_000).unwrap();
        assert_eq!(split.infrastructure_s, 40.0);
        assert_eq!(split.masters_base_s, 30.0);
        assert_eq!(split.agents_base_s, 30.0);
        assert_eq!(split.base_s, 60.0);
        assert_eq!(split.mesos_s, 30.0 + 30.0);
        assert_eq!(split.apps_s, 40.0);
        assert_eq!(split.total_s(), 200.0);
        assert_eq!(split.apps_wait_s, 30.0);
    }

    #[test]
    fn a_missing_provisioning_line_is_an_error_naming_it() {
        let apply = apply(&[(1_000, "Apply complete! Resources: 64 added")]);
        let phases = PhaseLog {
            base_ended_ms: BTreeMap::new(),
        };
        let error = Split::of(&apply, &phases, 2_000).unwrap_err().to_string();
        assert!(error.contains("first master's provisioning"), "{error}");
    }
}
