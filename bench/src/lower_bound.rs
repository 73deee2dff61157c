//! The shortest time in which a set of operations could possibly finish: each job (one resource
//! instance's create or destroy) takes the summed duration of its asynchronous operations, waits for
//! its dependencies, at most `parallelism` jobs run at once (Terraform's `-parallelism`, which
//! holds a slot for a resource's whole create or destroy), and the jobs of one serial group run
//! one at a time (CloudControl accepts one network domain or VLAN deploy or delete per
//! organisation and region at a time).
//!
//! The bound is the largest of three quantities, each a floor no schedule can beat:
//! * the longest dependency chain (release time + duration + longest chain after it);
//! * for every set of jobs that cannot start before `R` and are followed by a chain of at least
//!   `Q`: `R + ceil(k / parallelism) * shortest + Q`. Among jobs of duration at least `shortest`,
//!   those starting within one window of length `shortest` are all running at the latest of those
//!   starts, so at most `parallelism` start per window;
//! * for each serial group: its earliest release + the sum of its durations + its shortest tail.

use anyhow::{bail, Result};

/// One job: a resource instance's create (or destroy).
#[derive(Debug, Clone)]
pub struct Job {
    /// Resource address, for messages.
    pub name: String,
    /// Seconds of asynchronous operations (0 for synchronous API calls).
    pub duration: f64,
    /// Indices of the jobs that must finish first.
    pub deps: Vec<usize>,
    /// Jobs with the same group run one at a time.
    pub serial_group: Option<u32>,
}

/// The bound and its parts, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    /// The largest of the parts.
    pub seconds: f64,
    /// The longest dependency chain.
    pub chain: f64,
    /// The parallelism limit's bound.
    pub waves: f64,
    /// The serial groups' bound.
    pub serial: f64,
}

/// Computes the bound of `jobs` under `parallelism` slots.
pub fn lower_bound(jobs: &[Job], parallelism: usize) -> Result<Bound> {
    let order = topological(jobs)?;
    let n = jobs.len();
    let mut release = vec![0.0f64; n];
    for &j in &order {
        release[j] = jobs[j]
            .deps
            .iter()
            .map(|&d| release[d] + jobs[d].duration)
            .fold(0.0, f64::max);
    }
    let mut tail = vec![0.0f64; n];
    for &j in order.iter().rev() {
        for &d in &jobs[j].deps {
            tail[d] = tail[d].max(jobs[j].duration + tail[j]);
        }
    }
    let chain = (0..n)
        .map(|j| release[j] + jobs[j].duration + tail[j])
        .fold(0.0, f64::max);

    let timed: Vec<usize> = (0..n).filter(|&j| jobs[j].duration > 0.0).collect();
    let slots = parallelism.max(1);
    let mut waves = 0.0f64;
    for &a in &timed {
        for &b in &timed {
            let (r, q) = (release[a], tail[b]);
            let set: Vec<usize> = timed
                .iter()
                .copied()
                .filter(|&j| release[j] >= r && tail[j] >= q)
                .collect();
            if set.is_empty() {
                continue;
            }
            let shortest = set
                .iter()
                .map(|&j| jobs[j].duration)
                .fold(f64::INFINITY, f64::min);
            let rounds = set.len().div_ceil(slots) as f64;
            waves = waves.max(r + rounds * shortest + q);
        }
    }

    let mut serial = 0.0f64;
    let mut groups: Vec<u32> = jobs.iter().filter_map(|j| j.serial_group).collect();
    groups.sort_unstable();
    groups.dedup();
    for group in groups {
        let members: Vec<usize> = (0..n)
            .filter(|&j| jobs[j].serial_group == Some(group))
            .collect();
        let first = members
            .iter()
            .map(|&j| release[j])
            .fold(f64::INFINITY, f64::min);
        let total: f64 = members.iter().map(|&j| jobs[j].duration).sum();
        let last = members
            .iter()
            .map(|&j| tail[j])
            .fold(f64::INFINITY, f64::min);
        serial = serial.max(first + total + last);
    }
    Ok(Bound {
        seconds: chain.max(waves).max(serial),
        chain,
        waves,
        serial,
    })
}

/// Kahn's order; fails on a cycle or a dependency index out of range.
fn topological(jobs: &[Job]) -> Result<Vec<usize>> {
    let n = jobs.len();
    let mut waiting = vec![0usize; n];
    let mut dependents = vec![Vec::new(); n];
    for (j, job) in jobs.iter().enumerate() {
        for &d in &job.deps {
            if d >= n {
                bail!("{} depends on job {d}, which does not exist", job.name);
            }
            waiting[j] += 1;
            dependents[d].push(j);
        }
    }
    let mut ready: Vec<usize> = (0..n).filter(|&j| waiting[j] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(j) = ready.pop() {
        order.push(j);
        for &k in &dependents[j] {
            waiting[k] -= 1;
            if waiting[k] == 0 {
                ready.push(k);
            }
        }
    }
    if order.len() != n {
        bail!("the dependency graph has a cycle");
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(name: &str, duration: f64, deps: &[usize], group: Option<u32>) -> Job {
        Job {
            name: name.into(),
            duration,
            deps: deps.to_vec(),
            serial_group: group,
        }
    }

    #[test]
    fn a_chain_is_its_sum() {
        let jobs = [
            job("nd", 120.0, &[], Some(0)),
            job("vlan", 60.0, &[0], Some(0)),
            job("server", 420.0, &[1], None),
        ];
        let b = lower_bound(&jobs, 10).unwrap();
        assert_eq!(b.seconds, 600.0);
        assert_eq!(b.chain, 600.0);
    }

    #[test]
    fn twelve_servers_on_ten_slots_take_two_rounds() {
        let mut jobs = vec![
            job("nd", 120.0, &[], Some(0)),
            job("vlan", 60.0, &[0], Some(0)),
        ];
        for i in 0..12 {
            jobs.push(job(&format!("s{i}"), 510.0, &[1], None));
        }
        // a synchronous rule after every server
        jobs.push(job("nat", 0.0, &(2..14).collect::<Vec<_>>(), None));
        let b = lower_bound(&jobs, 10).unwrap();
        assert_eq!(b.chain, 690.0);
        assert_eq!(b.seconds, 180.0 + 2.0 * 510.0);
        // with enough slots the chain is the bound again
        assert_eq!(lower_bound(&jobs, 12).unwrap().seconds, 690.0);
    }

    #[test]
    fn a_serial_group_without_dependencies_still_runs_one_at_a_time() {
        let jobs = [
            job("nd1", 120.0, &[], Some(0)),
            job("nd2", 120.0, &[], Some(0)),
            job("free", 100.0, &[], None),
        ];
        let b = lower_bound(&jobs, 10).unwrap();
        assert_eq!(b.chain, 120.0);
        assert_eq!(b.seconds, 240.0);
    }

    #[test]
    fn cycles_are_refused() {
        let jobs = [job("a", 1.0, &[1], None), job("b", 1.0, &[0], None)];
        assert!(lower_bound(&jobs, 10).is_err());
    }
}
