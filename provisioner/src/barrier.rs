//! Cluster-level hooks between phases. After a phase, its barrier waits (bounded) until the
//! cluster shows what the phase should have produced: a ZooKeeper quorum, one elected Mesos
//! master, a Marathon leader, the agents registered. Before a phase, the barrier it depends on
//! is checked the same way (an agent bootstrapped on its own waits for a leading master). During
//! a rolling change, the same judgements decide when the next host may go.
//!
//! The judgements are pure functions of what the [`Reader`] saw, so they are unit-tested; a
//! timeout reports the last judgement, which names what is missing.

use std::time::{Duration, Instant};

use crate::health::marathon::MarathonError;
use crate::health::mesos::MasterState;
use crate::health::zookeeper::{ZkMode, ZkStatus};
use crate::health::{host_of, Reader};
use crate::roles::Phase;

/// How often a wait looks again.
pub const POLL: Duration = Duration::from_secs(2);

/// A condition on the whole cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Barrier {
    /// ZooKeeper: every master of the run in the quorum, exactly one leader.
    ZkQuorum,
    /// Mesos: exactly one elected master, known to every master of the run.
    MesosLeader,
    /// Marathon: a leader, the same one through every master of the run.
    MarathonLeader,
    /// Every agent of the run registered and active with the leading master.
    AgentsActive,
}

impl Barrier {
    /// Name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Barrier::ZkQuorum => "zookeeper quorum",
            Barrier::MesosLeader => "mesos leader",
            Barrier::MarathonLeader => "marathon leader",
            Barrier::AgentsActive => "agents active",
        }
    }

    /// The barrier that closes `phase`.
    pub fn after(phase: Phase) -> Option<Barrier> {
        match phase {
            Phase::Access | Phase::Base => None,
            Phase::Zookeeper => Some(Barrier::ZkQuorum),
            Phase::MesosMaster => Some(Barrier::MesosLeader),
            Phase::Marathon => Some(Barrier::MarathonLeader),
            Phase::MesosAgent => Some(Barrier::AgentsActive),
        }
    }

    /// What must hold before `phase` starts (when no earlier phase of this run ensured it).
    pub fn before(phase: Phase) -> Option<Barrier> {
        match phase {
            Phase::MesosMaster => Some(Barrier::ZkQuorum),
            Phase::Marathon | Phase::MesosAgent => Some(Barrier::MesosLeader),
            _ => None,
        }
    }

    /// What must hold again after a host (or batch) of a rolling change restarted something,
    /// before the next goes.
    pub fn settle(phase: Phase) -> &'static [Barrier] {
        match phase {
            Phase::Zookeeper => &[Barrier::ZkQuorum],
            Phase::MesosMaster => &[Barrier::ZkQuorum, Barrier::MesosLeader],
            Phase::Marathon => &[Barrier::MarathonLeader],
            Phase::MesosAgent => &[Barrier::AgentsActive],
            Phase::Access | Phase::Base => &[],
        }
    }
}

/// Which nodes the run works on: the barrier requires these (masters not in the run may be
/// down, e.g. while one master is re-bootstrapped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Masters of this run.
    pub masters: Vec<String>,
    /// Agents of this run.
    pub agents: Vec<String>,
}

fn list(names: &[String]) -> String {
    names.join(", ")
}

/// ZooKeeper: each master of the run is leader or follower, and exactly one leader answers.
/// A one-master cluster's ZooKeeper runs `standalone`: there, that is the whole ensemble.
pub fn judge_zk(statuses: &[(String, ZkStatus)], scope: &Scope) -> Result<String, String> {
    let alone = statuses.len() == 1;
    let leads = |m: &ZkMode| *m == ZkMode::Leader || (alone && *m == ZkMode::Standalone);
    let shown: Vec<String> = statuses
        .iter()
        .map(|(n, s)| format!("{n} {}", s.mode))
        .collect();
    let leaders: Vec<&String> = statuses
        .iter()
        .filter(|(_, s)| leads(&s.mode))
        .map(|(n, _)| n)
        .collect();
    let outside: Vec<String> = statuses
        .iter()
        .filter(|(n, s)| scope.masters.contains(n) && !s.mode.in_quorum() && !leads(&s.mode))
        .map(|(n, _)| n.clone())
        .collect();
    if !outside.is_empty() {
        return Err(format!(
            "{} not in the quorum: {}",
            list(&outside),
            shown.join(", ")
        ));
    }
    match leaders.len() {
        1 => Ok(shown.join(", ")),
        0 => Err(format!("no leader: {}", shown.join(", "))),
        _ => Err(format!("{} leaders: {}", leaders.len(), shown.join(", "))),
    }
}

/// Mesos: exactly one master reports itself elected, and every master of the run knows it.
pub fn judge_mesos(
    reader: &Reader,
    states: &[(String, Result<MasterState, String>)],
    scope: &Scope,
) -> Result<String, String> {
    {
        let elected: Vec<&String> = states
            .iter()
            .filter(|(_, s)| s.as_ref().is_ok_and(MasterState::is_leader))
            .map(|(n, _)| n)
            .collect();
        let leader_pid = states
            .iter()
            .find_map(|(_, s)| s.as_ref().ok().filter(|s| s.is_leader()))
            .map(|s| s.pid.clone());
        let mut problems = Vec::new();
        for (n, s) in states {
            if !scope.masters.contains(n) {
                continue;
            }
            match s {
                Err(e) => problems.push(format!("{n} unreachable ({e})")),
                Ok(st) if st.leader.is_none() => problems.push(format!("{n} knows no leader")),
                Ok(st) if leader_pid.is_some() && st.leader != leader_pid => problems.push(
                    format!("{n} follows {}", st.leader.as_deref().unwrap_or("?")),
                ),
                Ok(_) => {}
            }
        }
        match elected.len() {
            0 => problems.insert(0, "no elected master".to_string()),
            1 => {}
            k => problems.insert(
                0,
                format!(
                    "{k} masters claim leadership: {}",
                    elected
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        }
        if problems.is_empty() {
            let leader = elected[0];
            let url = reader
                .cluster
                .node(leader)
                .map(|n| {
                    format!(
                        " at http://{}",
                        crate::cluster::host_port(&n.advertised(), reader.ports.mesos_master)
                    )
                })
                .unwrap_or_default();
            Ok(format!("{leader} elected{url}"))
        } else {
            Err(problems.join("; "))
        }
    }
}

/// Marathon: every master of the run (or, with none in the run, at least one) names the same
/// leader.
pub fn judge_marathon(
    answers: &[(String, Result<String, MarathonError>)],
    scope: &Scope,
) -> Result<String, String> {
    let relevant: Vec<&(String, Result<String, MarathonError>)> = if scope.masters.is_empty() {
        answers.iter().collect()
    } else {
        answers
            .iter()
            .filter(|(n, _)| scope.masters.contains(n))
            .collect()
    };
    let leaders: std::collections::BTreeSet<&String> = relevant
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .collect();
    let failed: Vec<String> = relevant
        .iter()
        .filter_map(|(n, r)| r.as_ref().err().map(|e| format!("{n}: {e}")))
        .collect();
    let need_all = !scope.masters.is_empty();
    if leaders.len() > 1 {
        return Err(format!(
            "masters disagree on the leader: {}",
            relevant
                .iter()
                .map(|(n, r)| format!("{n} -> {}", r.as_ref().map(String::as_str).unwrap_or("?")))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    match leaders.into_iter().next() {
        Some(l) if !need_all || failed.is_empty() => Ok(format!("leader {l}")),
        _ if failed.is_empty() => Err("no master answered".to_string()),
        _ => Err(failed.join("; ")),
    }
}

/// Agents: every agent of the run is registered and active with the leading master.
pub fn judge_agents(leader: Option<&MasterState>, scope: &Scope) -> Result<String, String> {
    let Some(state) = leader else {
        return Err(format!(
            "0 of {} agents active: no elected master to ask",
            scope.agents.len()
        ));
    };
    let mut missing = Vec::new();
    let mut inactive = Vec::new();
    for a in &scope.agents {
        // A re-registered agent (new id after its work dir was wiped) is listed next to its
        // old, inactive entry: the host name counts as active when any entry is.
        let mut entries = state.slaves.iter().filter(|s| &s.hostname == a).peekable();
        if entries.peek().is_none() {
            missing.push(a.clone());
        } else if !entries.any(|s| s.active) {
            inactive.push(a.clone());
        }
    }
    let active = scope.agents.len() - missing.len() - inactive.len();
    let mut why = Vec::new();
    if !missing.is_empty() {
        why.push(format!("{} not registered", list(&missing)));
    }
    if !inactive.is_empty() {
        why.push(format!("{} inactive", list(&inactive)));
    }
    let summary = format!("{active} of {} agents active", scope.agents.len());
    if why.is_empty() {
        Ok(summary)
    } else {
        Err(format!("{summary}: {}", why.join(", ")))
    }
}

/// Reads the cluster once and judges `barrier`.
pub async fn check(barrier: Barrier, reader: &Reader, scope: &Scope) -> Result<String, String> {
    match barrier {
        Barrier::ZkQuorum => judge_zk(&reader.zookeeper_all().await, scope),
        Barrier::MesosLeader => {
            let states = reader.mesos_all().await;
            judge_mesos(reader, &states, scope)
        }
        Barrier::MarathonLeader => judge_marathon(&reader.marathon_all().await, scope),
        Barrier::AgentsActive => {
            let states = reader.mesos_all().await;
            let leader = states
                .iter()
                .find_map(|(_, s)| s.as_ref().ok().filter(|s| s.is_leader()));
            judge_agents(leader, scope)
        }
    }
}

/// Judges `barrier` until it holds or `timeout` passes; the error names what is still missing.
pub async fn wait(
    barrier: Barrier,
    reader: &Reader,
    scope: &Scope,
    timeout: Duration,
) -> Result<String, String> {
    let started = Instant::now();
    loop {
        match check(barrier, reader, scope).await {
            Ok(fine) => return Ok(fine),
            Err(last) => {
                if started.elapsed() + POLL > timeout {
                    return Err(format!(
                        "{} not reached within {}s: {last}",
                        barrier.name(),
                        timeout.as_secs()
                    ));
                }
                tracing::debug!(barrier = barrier.name(), %last, "waiting");
                tokio::time::sleep(POLL).await;
            }
        }
    }
}

/// The node currently leading what `phase` restarts (ZooKeeper, Mesos or Marathon), so a
/// rolling change can restart it last and cause one election instead of one per master.
pub async fn current_leader(phase: Phase, reader: &Reader) -> Option<String> {
    match phase {
        Phase::Zookeeper => reader
            .zookeeper_all()
            .await
            .into_iter()
            .find(|(_, s)| s.mode == ZkMode::Leader)
            .map(|(n, _)| n),
        Phase::MesosMaster => reader
            .mesos_all()
            .await
            .into_iter()
            .find(|(_, s)| s.as_ref().is_ok_and(MasterState::is_leader))
            .map(|(n, _)| n),
        Phase::Marathon => {
            let answers = reader.marathon_all().await;
            let leader = answers.iter().find_map(|(_, r)| r.as_ref().ok())?;
            reader
                .master_named_by(host_of(leader))
                .map(|n| n.name.clone())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::health::{Ports, Routes};
    use crate::roles::testkit::cluster;

    fn zk(mode: ZkMode) -> ZkStatus {
        ZkStatus {
            mode,
            version: None,
        }
    }

    fn scope(masters: &[&str], agents: &[&str]) -> Scope {
        Scope {
            masters: masters.iter().map(|s| s.to_string()).collect(),
            agents: agents.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn reader() -> Reader {
        Reader {
            cluster: Arc::new(cluster()),
            routes: Routes::default(),
            ports: Ports {
                zookeeper: 2181,
                mesos_master: 5050,
                marathon: 8080,
            },
        }
    }

    /// A recorded standby or leader state for master `o` (10.77.0.<o>) following `leader_o`.
    fn state(o: u8, leader_o: Option<u8>, agents: &[(&str, bool)]) -> MasterState {
        let mut v: serde_json::Value = serde_json::from_str(&crate::health::mesos::tests::fixture(
            "master_state_idle.json",
        ))
        .unwrap();
        v["pid"] = format!("master@10.77.0.{o}:5050").into();
        match leader_o {
            Some(l) => v["leader"] = format!("master@10.77.0.{l}:5050").into(),
            None => {
                v.as_object_mut().unwrap().remove("leader");
            }
        }
        let template = v["slaves"][0].clone();
        v["slaves"] = agents
            .iter()
            .map(|(h, active)| {
                let mut a = template.clone();
                a["hostname"] = (*h).into();
                a["active"] = (*active).into();
                a
            })
            .collect();
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn zookeeper_quorum_needs_the_run_in_it_and_one_leader() {
        let all = scope(&["m1", "m2", "m3"], &[]);
        let good = vec![
            ("m1".to_string(), zk(ZkMode::Follower)),
            ("m2".to_string(), zk(ZkMode::Leader)),
            ("m3".to_string(), zk(ZkMode::Follower)),
        ];
        assert_eq!(
            judge_zk(&good, &all).unwrap(),
            "m1 follower, m2 leader, m3 follower"
        );
        let mut one_down = good.clone();
        one_down[2].1 = zk(ZkMode::Unreachable("connection refused".into()));
        assert_eq!(
            judge_zk(&one_down, &all).unwrap_err(),
            "m3 not in the quorum: m1 follower, m2 leader, m3 unreachable (connection refused)"
        );
        // m3 is not part of this run (re-bootstrapping m1): its absence does not block.
        assert!(judge_zk(&one_down, &scope(&["m1"], &[])).is_ok());
        let forming = vec![
            ("m1".to_string(), zk(ZkMode::NotServing)),
            ("m2".to_string(), zk(ZkMode::NotServing)),
            ("m3".to_string(), zk(ZkMode::Standalone)),
        ];
        assert!(judge_zk(&forming, &all)
            .unwrap_err()
            .starts_with("m1, m2, m3 not in the quorum"));
        // One master: its standalone server is the ensemble.
        let single = vec![("m1".to_string(), zk(ZkMode::Standalone))];
        assert_eq!(
            judge_zk(&single, &scope(&["m1"], &[])).unwrap(),
            "m1 standalone"
        );
    }

    #[test]
    fn mesos_leader_is_unique_and_known_to_the_run() {
        let r = reader();
        let all = scope(&["m1", "m2", "m3"], &[]);
        let ok = vec![
            ("m1".to_string(), Ok(state(11, Some(12), &[]))),
            ("m2".to_string(), Ok(state(12, Some(12), &[]))),
            ("m3".to_string(), Ok(state(13, Some(12), &[]))),
        ];
        assert_eq!(
            judge_mesos(&r, &ok, &all).unwrap(),
            "m2 elected at http://203.0.113.12:5050"
        );
        let electing = vec![
            ("m1".to_string(), Ok(state(11, None, &[]))),
            (
                "m2".to_string(),
                Err("cannot reach 10.77.0.12:5050".to_string()),
            ),
            ("m3".to_string(), Ok(state(13, None, &[]))),
        ];
        assert_eq!(
            judge_mesos(&r, &electing, &all).unwrap_err(),
            "no elected master; m1 knows no leader; m2 unreachable (cannot reach 10.77.0.12:5050); m3 knows no leader"
        );
        // An agent's bootstrap has no masters in its run: an elected master is enough.
        let m2_down = vec![
            ("m1".to_string(), Ok(state(11, Some(13), &[]))),
            ("m2".to_string(), Err("down".to_string())),
            ("m3".to_string(), Ok(state(13, Some(13), &[]))),
        ];
        assert!(judge_mesos(&r, &m2_down, &scope(&[], &["s1"])).is_ok());
    }

    #[test]
    fn marathon_leader_must_agree_through_every_master() {
        let all = scope(&["m1", "m2", "m3"], &[]);
        let l = |s: &str| Ok::<String, MarathonError>(s.to_string());
        let ok = vec![
            ("m1".to_string(), l("203.0.113.11:8080")),
            ("m2".to_string(), l("203.0.113.11:8080")),
            ("m3".to_string(), l("203.0.113.11:8080")),
        ];
        assert_eq!(
            judge_marathon(&ok, &all).unwrap(),
            "leader 203.0.113.11:8080"
        );
        let electing = vec![
            (
                "m1".to_string(),
                Err(MarathonError::Transient("no leader elected".into())),
            ),
            ("m2".to_string(), l("203.0.113.11:8080")),
            (
                "m3".to_string(),
                Err(MarathonError::Transient("GET /v2/leader: HTTP 503".into())),
            ),
        ];
        assert_eq!(
            judge_marathon(&electing, &all).unwrap_err(),
            "m1: no leader elected; m3: GET /v2/leader: HTTP 503"
        );
        assert!(judge_marathon(&electing, &Scope::default()).is_ok());
        let split = vec![
            ("m1".to_string(), l("a:8080")),
            ("m2".to_string(), l("b:8080")),
        ];
        assert!(judge_marathon(&split, &all)
            .unwrap_err()
            .starts_with("masters disagree"));
    }

    #[test]
    fn agents_barrier_names_the_missing_agents() {
        let nine: Vec<String> = (1..=9).map(|i| format!("agent{i}")).collect();
        let sc = Scope {
            masters: vec![],
            agents: nine.clone(),
        };
        let registered: Vec<(&str, bool)> = nine
            .iter()
            .filter(|a| *a != "agent4" && *a != "agent7")
            .map(|a| (a.as_str(), true))
            .collect();
        let leader = state(11, Some(11), &registered);
        assert_eq!(
            judge_agents(Some(&leader), &sc).unwrap_err(),
            "7 of 9 agents active: agent4, agent7 not registered"
        );
        let mut all: Vec<(&str, bool)> = nine.iter().map(|a| (a.as_str(), true)).collect();
        all[0].1 = false;
        assert_eq!(
            judge_agents(Some(&state(11, Some(11), &all)), &sc).unwrap_err(),
            "8 of 9 agents active: agent1 inactive"
        );
        // agent1's old entry stays inactive next to its re-registered one
        all.push(("agent1", true));
        assert_eq!(
            judge_agents(Some(&state(11, Some(11), &all)), &sc).unwrap(),
            "9 of 9 agents active"
        );
        assert!(judge_agents(None, &sc)
            .unwrap_err()
            .contains("no elected master"));
    }

    #[test]
    fn barriers_per_phase() {
        assert_eq!(Barrier::after(Phase::Base), None);
        assert_eq!(
            Barrier::before(Phase::MesosAgent),
            Some(Barrier::MesosLeader)
        );
        assert_eq!(
            Barrier::settle(Phase::MesosMaster),
            &[Barrier::ZkQuorum, Barrier::MesosLeader]
        );
    }
}
