//! Row 1: `terraform apply` and `terraform destroy` of `examples/mesos-cluster` (infrastructure
//! only: `provision = false`) against the emulator at a realistic time scale, each compared with
//! its lower bound. The emulator writes every asynchronous operation's start and finish to its
//! operations log; each resource instance's job is the sum of its asset's operations in the
//! command's window, its dependencies are the ones Terraform recorded in the state (reversed for
//! a destroy), network domain and VLAN deploys and deletes are one serial group (one at a time per
//! organisation and region), and Terraform runs at most 10 at once (`-parallelism` default).

use crate::cluster::{self, Instance, Traffic};
use crate::lower_bound::{lower_bound, Bound, Job};
use crate::table::{Figure, Verdict};
use anyhow::{Context, Result};
use e2e::emulator::Emulator;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

/// wall / bound must stay at or below this.
const TARGET: f64 = 1.05;
/// Terraform's default `-parallelism`.
const PARALLELISM: usize = 10;

/// A line of the emulator's operations log.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Operation {
    asset_id: String,
    kind: String,
    started_ms: u64,
    finished_ms: u64,
}

use crate::clock::now_ms;

fn read_operations(path: &Path) -> Result<Vec<Operation>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).with_context(|| format!("operations log line {l:?}")))
        .collect()
}

/// One measured command.
struct Measured {
    wall: f64,
    bound: Bound,
    traffic: Traffic,
    operations: usize,
    /// How long after an operation finished the client first read its asset: mean and
    /// largest, seconds.
    seen_after: (f64, f64),
}

/// For each operation, the time from its finish to the first GET of its asset at or after it
/// (the provider's polling delay); mean and largest in seconds.
fn seen_after(ops: &[&Operation], requests: &[serde_json::Value]) -> (f64, f64) {
    let reads: Vec<(u64, &str)> = requests
        .iter()
        .filter(|r| r["method"] == "GET")
        .filter_map(|r| {
            Some((
                crate::clock::iso_ms(r["time"].as_str()?)?,
                r["path"].as_str()?,
            ))
        })
        .collect();
    let lags: Vec<f64> = ops
        .iter()
        .filter_map(|o| {
            let suffix = format!("/{}", o.asset_id);
            reads
                .iter()
                .filter(|(t, path)| *t >= o.finished_ms && path.ends_with(&suffix))
                .map(|(t, _)| (t - o.finished_ms) as f64 / 1000.0)
                .reduce(f64::min)
        })
        .collect();
    if lags.is_empty() {
        return (0.0, 0.0);
    }
    let mean = lags.iter().sum::<f64>() / lags.len() as f64;
    (mean, lags.iter().copied().fold(0.0, f64::max))
}

/// Runs row 1. `quick` scales the emulator's clock down to 0.1 (a server deploy takes 42 s).
pub fn run(quick: bool) -> Result<Vec<Figure>> {
    let scale = if quick { "0.1" } else { "1.0" };
    let dir = tempfile::tempdir().context("a folder for the operations log")?;
    let ops_path = dir.path().join("operations.jsonl");
    let ops_arg = ops_path.to_string_lossy().into_owned();
    let emulator = Emulator::start_with(&[
        "--time-scale",
        scale,
        "--operations-log",
        &ops_arg,
        "--request-log-size",
        "100000",
    ])?;
    let mut ws = e2e::provider::example_workspace(&emulator, "mesos-cluster")?;
    cluster::set_server_password(&mut ws);
    ws.set_env("TF_VAR_provision", "false");

    let seq = emulator.last_seq()?;
    let (from, started) = (now_ms(), Instant::now());
    ws.apply(&[])?;
    let wall = started.elapsed().as_secs_f64();
    let to = now_ms();
    let traffic = cluster::traffic_since(&emulator, seq)?;
    let requests = emulator.requests_since(seq)?;
    let state = cluster::instances(&ws)?;
    let ops = read_operations(&ops_path)?;
    let apply = measure(&state, &ops, &requests, (from, to), false, wall, traffic)?;

    let seq = emulator.last_seq()?;
    let (from, started) = (now_ms(), Instant::now());
    ws.destroy()?;
    let wall = started.elapsed().as_secs_f64();
    let to = now_ms();
    let traffic = cluster::traffic_since(&emulator, seq)?;
    let requests = emulator.requests_since(seq)?;
    let ops = read_operations(&ops_path)?;
    let destroy = measure(&state, &ops, &requests, (from, to), true, wall, traffic)?;
    let left = cluster::total_assets(&emulator)?;
    anyhow::ensure!(left == 0, "the destroy left {left} assets in the emulator");

    let resources = state.len();
    let mut figures = Vec::new();
    for (what, m) in [("apply", &apply), ("destroy", &destroy)] {
        let ratio = m.wall / m.bound.seconds;
        figures.push(
            Figure::new(
                &format!("1.{what}.ratio"),
                1,
                &format!("terraform {what} of mesos-cluster (infrastructure): wall / lower bound"),
                format!("{ratio:.3}x"),
                &format!("<= {TARGET}x"),
            )
            .judged(ratio, Verdict::of(ratio <= TARGET))
            .note(format!(
                "time scale {scale}; wall {:.1} s, bound {:.1} s (dependency chain {:.1} s, parallelism {PARALLELISM} {:.1} s, serial network domain/VLAN operations {:.1} s) from {} recorded operations; the provider first read an asset {:.1} s (mean) and at most {:.1} s after its operation finished",
                m.wall, m.bound.seconds, m.bound.chain, m.bound.waves, m.bound.serial, m.operations, m.seen_after.0, m.seen_after.1
            )),
        );
        let per = m.traffic.requests as f64 / resources as f64;
        figures.push(
            Figure::new(
                &format!("1.{what}.requests"),
                1,
                &format!("terraform {what}: API requests per resource; RESOURCE_BUSY absorbed"),
                format!("{per:.1} req/resource; {} busy", m.traffic.busy),
                "recorded",
            )
            .judged(per, Verdict::Recorded)
            .note(format!(
                "{} requests ({} GETs) for {resources} resources; {} RESOURCE_BUSY answers retried",
                m.traffic.requests, m.traffic.gets, m.traffic.busy
            )),
        );
    }
    Ok(figures)
}

/// Builds the jobs of one command from the state and the operations that started in
/// `[from, to]`, and computes its bound.
fn measure(
    state: &[Instance],
    ops: &[Operation],
    requests: &[serde_json::Value],
    (from, to): (u64, u64),
    destroy: bool,
    wall: f64,
    traffic: Traffic,
) -> Result<Measured> {
    let window: Vec<&Operation> = ops
        .iter()
        .filter(|o| o.started_ms >= from && o.started_ms <= to)
        .collect();
    let mut seconds: HashMap<&str, f64> = HashMap::new();
    for o in &window {
        *seconds.entry(o.asset_id.as_str()).or_default() +=
            o.finished_ms.saturating_sub(o.started_ms) as f64 / 1000.0;
    }
    let jobs = jobs(state, &seconds, destroy);
    let bound = lower_bound(&jobs, PARALLELISM)?;
    let kinds: std::collections::BTreeSet<&str> = window.iter().map(|o| o.kind.as_str()).collect();
    eprintln!(
        "  {} {} operations ({}), wall {wall:.1} s, bound {:.1} s",
        if destroy { "destroy:" } else { "apply:" },
        window.len(),
        kinds.into_iter().collect::<Vec<_>>().join(", "),
        bound.seconds
    );
    Ok(Measured {
        wall,
        bound,
        traffic,
        operations: window.len(),
        seen_after: seen_after(&window, requests),
    })
}

/// One job per managed instance: its asset's recorded seconds, its dependencies (every instance
/// of every resource it depends on; for a destroy, the instances that depend on it), network
/// domains and VLANs in one serial group.
fn jobs(state: &[Instance], seconds: &HashMap<&str, f64>, destroy: bool) -> Vec<Job> {
    let mut by_config: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, inst) in state.iter().enumerate() {
        by_config
            .entry(inst.config_address.as_str())
            .or_default()
            .push(i);
    }
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); state.len()];
    for (i, inst) in state.iter().enumerate() {
        for dep in &inst.depends_on {
            for &d in by_config
                .get(dep.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                if destroy {
                    deps[d].push(i);
                } else {
                    deps[i].push(d);
                }
            }
        }
    }
    state
        .iter()
        .zip(deps)
        .map(|(inst, deps)| Job {
            name: inst.address.clone(),
            duration: seconds.get(inst.id.as_str()).copied().unwrap_or(0.0),
            deps,
            serial_group: matches!(
                inst.resource_type.as_str(),
                "cloudcontrol_network_domain" | "cloudcontrol_vlan"
            )
            .then_some(0),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(address: &str, config: &str, ty: &str, id: &str, deps: &[&str]) -> Instance {
        Instance {
            address: address.into(),
            config_address: config.into(),
            resource_type: ty.into(),
            id: id.into(),
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
        }
    }

    #[test]
    fn an_operation_is_seen_at_the_first_read_of_its_asset_after_it_finished() {
        let op = |id: &str, finished_ms| Operation {
            asset_id: id.into(),
            kind: "DeployServer".into(),
            started_ms: 0,
            finished_ms,
        };
        let ops = [op("s1", 1_424_774_841_000), op("s2", 1_424_774_841_000)];
        let get = |time: &str, path: &str| serde_json::json!({"method": "GET", "time": time, "path": path});
        let requests = [
            get("2015-02-24T10:47:20.000Z", "/caas/2.9/o/server/server/s1"),
            get("2015-02-24T10:47:22.500Z", "/caas/2.9/o/server/server/s1"),
            get("2015-02-24T10:47:25.000Z", "/caas/2.9/o/server/server/s1"),
            get("2015-02-24T10:47:21.500Z", "/caas/2.9/o/server/server/s2"),
        ];
        let refs: Vec<&Operation> = ops.iter().collect();
        assert_eq!(seen_after(&refs, &requests), (1.0, 1.5));
    }

    #[test]
    fn destroy_reverses_the_dependencies_and_instances_take_their_assets_seconds() {
        let state = [
            inst(
                "cloudcontrol_network_domain.c",
                "cloudcontrol_network_domain.c",
                "cloudcontrol_network_domain",
                "nd",
                &[],
            ),
            inst(
                "cloudcontrol_server.n[\"a\"]",
                "cloudcontrol_server.n",
                "cloudcontrol_server",
                "sa",
                &["cloudcontrol_network_domain.c"],
            ),
            inst(
                "cloudcontrol_server.n[\"b\"]",
                "cloudcontrol_server.n",
                "cloudcontrol_server",
                "sb",
                &["cloudcontrol_network_domain.c"],
            ),
        ];
        let seconds: HashMap<&str, f64> = [("nd", 90.0), ("sa", 120.0), ("sb", 100.0)].into();
        let apply = jobs(&state, &seconds, false);
        assert_eq!(apply[1].deps, vec![0]);
        assert_eq!(apply[0].serial_group, Some(0));
        assert_eq!(apply[1].serial_group, None);
        let destroy = jobs(&state, &seconds, true);
        assert_eq!(destroy[0].deps, vec![1, 2]);
        assert!(destroy[1].deps.is_empty());
        assert_eq!(lower_bound(&destroy, 10).unwrap().seconds, 210.0);
    }
}
