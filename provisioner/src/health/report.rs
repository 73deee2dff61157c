//! `check-health`: the cluster's "information" in one read-only report. ZooKeeper modes, the
//! elected Mesos master and its URL, agents registered against expected with their total CPUs,
//! memory and disk, Marathon's leader, apps and running tasks, each node's service states, and
//! the Mesos and Marathon URLs on the public addresses. The judgements are the barriers' own
//! ([`crate::barrier`]), so a converge and a health check agree on what "healthy" means.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::marathon::AppStatus;
use super::mesos::MasterState;
use super::Reader;
use crate::barrier::{self, Scope};
use crate::cluster::host_port;
use crate::inventory::Role;

/// One ZooKeeper server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZkMember {
    /// Master name.
    pub name: String,
    /// `leader`, `follower`, ... or why it could not be read.
    pub mode: String,
    /// Server version.
    pub version: Option<String>,
}

/// One Mesos master.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MesosMaster {
    /// Master name.
    pub name: String,
    /// Whether it is the elected leader.
    pub elected: bool,
    /// The leader's pid as this master knows it.
    pub leader: Option<String>,
    /// Mesos version.
    pub version: Option<String>,
    /// Why it could not be read.
    pub error: Option<String>,
}

/// The agents as the leading master knows them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agents {
    /// Agents in the inventory.
    pub expected: usize,
    /// Of those, active.
    pub active: usize,
    /// Expected but not registered.
    pub missing: Vec<String>,
    /// Registered but inactive.
    pub inactive: Vec<String>,
    /// Active agents the inventory does not list.
    pub unexpected: Vec<String>,
    /// Total CPUs of the active agents.
    pub cpus: f64,
    /// Total memory of the active agents, MB.
    pub mem_mb: f64,
    /// Total disk of the active agents, MB.
    pub disk_mb: f64,
}

/// One master's view of Marathon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MarathonView {
    /// Master name.
    pub name: String,
    /// The leader it names (`host:port`).
    pub leader: Option<String>,
    /// Why it did not.
    pub error: Option<String>,
}

/// Marathon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Marathon {
    /// Per master.
    pub masters: Vec<MarathonView>,
    /// The leader (`host:port`).
    pub leader: Option<String>,
    /// Whether Mesos lists an active framework named `marathon`.
    pub framework_active: Option<bool>,
    /// Apps.
    pub apps: Vec<AppStatus>,
    /// Running tasks over all apps.
    pub tasks_running: u32,
}

/// One unit on one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceState {
    /// systemd unit.
    pub unit: String,
    /// Whether it should run.
    pub wanted: bool,
    /// `systemctl is-enabled`.
    pub enabled: String,
    /// `systemctl is-active`.
    pub active: String,
    /// As wanted.
    pub ok: bool,
}

/// One node's services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeServices {
    /// Node name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Units.
    pub services: Vec<ServiceState>,
    /// Why they could not be read.
    pub error: Option<String>,
}

/// URLs on the public addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Urls {
    /// The leading Mesos master's UI.
    pub mesos: Option<String>,
    /// The leading Marathon's UI.
    pub marathon: Option<String>,
    /// Every master's Mesos UI (it redirects to the leader).
    pub mesos_masters: Vec<String>,
    /// Every master's Marathon (it proxies to the leader).
    pub marathon_masters: Vec<String>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthReport {
    /// Nothing is wrong.
    pub healthy: bool,
    /// What is wrong, one line each.
    pub problems: Vec<String>,
    /// Remarks that do not make the cluster unhealthy.
    pub warnings: Vec<String>,
    /// ZooKeeper per master.
    pub zookeeper: Vec<ZkMember>,
    /// Mesos per master.
    pub mesos: Vec<MesosMaster>,
    /// The elected master's name.
    pub mesos_leader: Option<String>,
    /// Agents.
    pub agents: Agents,
    /// Marathon.
    pub marathon: Marathon,
    /// Service states per node (`None`: not read, e.g. over `--transport direct`).
    pub services: Option<Vec<NodeServices>>,
    /// URLs.
    pub urls: Urls,
}

/// Units expected on a node of `role`, with whether each should run. `docker` is expected on
/// agents when the inventory manages Docker.
pub fn expected_units(role: Role, zk_service: &str, docker: Option<&str>) -> Vec<(String, bool)> {
    match role {
        Role::Master => vec![
            (zk_service.to_string(), true),
            ("mesos-master".into(), true),
            ("marathon".into(), true),
            ("mesos-slave".into(), false),
        ],
        Role::Agent => {
            let mut v = vec![("mesos-slave".to_string(), true)];
            if let Some(d) = docker {
                v.push((d.to_string(), true));
            }
            v.push(("mesos-master".into(), false));
            v.push((zk_service.to_string(), false));
            v
        }
    }
}

/// The read-only script printing `unit enabled active` per unit.
pub fn service_script(units: &[(String, bool)]) -> String {
    let names: Vec<String> = units
        .iter()
        .map(|(u, _)| crate::remote::sh_quote(u))
        .collect();
    format!(
        "for u in {}; do e=$(systemctl is-enabled \"$u\" 2>/dev/null); a=$(systemctl is-active \"$u\" 2>/dev/null); echo \"$u ${{e:-not-found}} ${{a:-unknown}}\"; done",
        names.join(" ")
    )
}

/// Parses [`service_script`] output against what is wanted.
pub fn parse_services(units: &[(String, bool)], out: &str) -> Vec<ServiceState> {
    units
        .iter()
        .map(|(unit, wanted)| {
            let line = out
                .lines()
                .find(|l| l.split_whitespace().next() == Some(unit.as_str()));
            let mut f = line.unwrap_or("").split_whitespace().skip(1);
            let enabled = f.next().unwrap_or("unknown").to_string();
            let active = f.next().unwrap_or("unknown").to_string();
            let running = active == "active";
            let on_at_boot = matches!(
                enabled.as_str(),
                "enabled" | "static" | "indirect" | "alias" | "generated"
            );
            let ok = if *wanted {
                running && on_at_boot
            } else {
                !running && !matches!(enabled.as_str(), "enabled")
            };
            ServiceState {
                unit: unit.clone(),
                wanted: *wanted,
                enabled,
                active,
                ok,
            }
        })
        .collect()
}

/// Reads everything but the services. Apps that are not fully running yet are read again for
/// up to `app_window` (a command app like shell-hello runs, exits, and is relaunched: seeing
/// it running once within the window is enough).
pub async fn read(reader: &Reader, app_window: Duration) -> HealthReport {
    let cluster = reader.cluster.clone();
    let ports = reader.ports;
    let all = Scope {
        masters: cluster.masters().iter().map(|m| m.name.clone()).collect(),
        agents: cluster.agents().iter().map(|a| a.name.clone()).collect(),
    };
    let (zk, states, marathon_answers) = tokio::join!(
        reader.zookeeper_all(),
        reader.mesos_all(),
        reader.marathon_all()
    );
    let mut problems = Vec::new();
    let mut warnings = Vec::new();

    if let Err(e) = barrier::judge_zk(&zk, &all) {
        problems.push(format!("zookeeper: {e}"));
    }
    let zookeeper = zk
        .iter()
        .map(|(n, s)| ZkMember {
            name: n.clone(),
            mode: s.mode.to_string(),
            version: s.version.clone(),
        })
        .collect();

    if let Err(e) = barrier::judge_mesos(reader, &states, &all) {
        problems.push(format!("mesos: {e}"));
    }
    let mesos = states
        .iter()
        .map(|(n, s)| match s {
            Ok(st) => MesosMaster {
                name: n.clone(),
                elected: st.is_leader(),
                leader: st.leader.clone(),
                version: Some(st.version.clone()),
                error: None,
            },
            Err(e) => MesosMaster {
                name: n.clone(),
                elected: false,
                leader: None,
                version: None,
                error: Some(e.clone()),
            },
        })
        .collect();
    let leader_state: Option<&MasterState> = states
        .iter()
        .find_map(|(_, s)| s.as_ref().ok().filter(|s| s.is_leader()));
    let mesos_leader = leader_state
        .and_then(|s| reader.mesos_leader_node(s))
        .map(|n| n.name.clone());

    if let Err(e) = barrier::judge_agents(leader_state, &all) {
        problems.push(format!("agents: {e}"));
    }
    let agents = match leader_state {
        Some(st) => {
            let active: Vec<&str> = st.active_agents().map(|a| a.hostname.as_str()).collect();
            let known = |h: &str| all.agents.iter().any(|a| a == h);
            let unexpected: Vec<String> = active
                .iter()
                .filter(|h| !known(h))
                .map(|h| h.to_string())
                .collect();
            if !unexpected.is_empty() {
                warnings.push(format!(
                    "agents: {} active but not in the inventory",
                    unexpected.join(", ")
                ));
            }
            let total = st.active_resources();
            Agents {
                expected: all.agents.len(),
                active: all
                    .agents
                    .iter()
                    .filter(|a| active.contains(&a.as_str()))
                    .count(),
                missing: all
                    .agents
                    .iter()
                    .filter(|a| !st.slaves.iter().any(|s| &s.hostname == *a))
                    .cloned()
                    .collect(),
                inactive: all
                    .agents
                    .iter()
                    .filter(|a| {
                        st.slaves.iter().any(|s| &s.hostname == *a) && !active.contains(&a.as_str())
                    })
                    .cloned()
                    .collect(),
                unexpected,
                cpus: total.cpus,
                mem_mb: total.mem,
                disk_mb: total.disk,
            }
        }
        None => Agents {
            expected: all.agents.len(),
            active: 0,
            missing: all.agents.clone(),
            inactive: Vec::new(),
            unexpected: Vec::new(),
            cpus: 0.0,
            mem_mb: 0.0,
            disk_mb: 0.0,
        },
    };

    if let Err(e) = barrier::judge_marathon(&marathon_answers, &all) {
        problems.push(format!("marathon: {e}"));
    }
    let marathon_leader = marathon_answers
        .iter()
        .find_map(|(_, r)| r.as_ref().ok().cloned());
    let framework_active = leader_state.map(|s| {
        s.frameworks
            .iter()
            .any(|f| f.name == "marathon" && f.active)
    });
    if framework_active == Some(false) {
        problems.push("marathon: no active framework `marathon` registered with Mesos".into());
    }
    let apps = read_apps(reader, &marathon_answers, app_window).await;
    let apps = match apps {
        Ok(a) => a,
        Err(e) => {
            if marathon_leader.is_some() {
                problems.push(format!("marathon: apps not readable: {e}"));
            }
            Vec::new()
        }
    };
    for a in &apps {
        if a.tasks_running < a.instances {
            problems.push(format!(
                "marathon: app {} has {} of {} tasks running",
                a.id, a.tasks_running, a.instances
            ));
        }
    }

    let url = |host: &str, port: u16| format!("http://{}", host_port(host, port));
    let masters = cluster.masters();
    let urls = Urls {
        mesos: mesos_leader
            .as_deref()
            .and_then(|n| cluster.node(n))
            .map(|n| url(&n.advertised(), ports.mesos_master)),
        marathon: marathon_leader.as_deref().map(|l| {
            match reader.master_named_by(super::host_of(l)) {
                Some(m) => url(&m.advertised(), ports.marathon),
                None => format!("http://{l}"),
            }
        }),
        mesos_masters: masters
            .iter()
            .map(|m| url(&m.advertised(), ports.mesos_master))
            .collect(),
        marathon_masters: masters
            .iter()
            .map(|m| url(&m.advertised(), ports.marathon))
            .collect(),
    };
    HealthReport {
        healthy: problems.is_empty(),
        problems,
        warnings,
        zookeeper,
        mesos,
        mesos_leader,
        agents,
        marathon: Marathon {
            masters: marathon_answers
                .iter()
                .map(|(n, r)| MarathonView {
                    name: n.clone(),
                    leader: r.as_ref().ok().cloned(),
                    error: r.as_ref().err().map(|e| e.to_string()),
                })
                .collect(),
            leader: marathon_leader,
            framework_active,
            tasks_running: apps.iter().map(|a| a.tasks_running).sum(),
            apps,
        },
        services: None,
        urls,
    }
}

async fn read_apps(
    reader: &Reader,
    answers: &[(String, Result<String, super::marathon::MarathonError>)],
    window: Duration,
) -> Result<Vec<AppStatus>, String> {
    let Some(via) = answers
        .iter()
        .find(|(_, r)| r.is_ok())
        .and_then(|(n, _)| reader.cluster.node(n))
    else {
        return Err("no Marathon answered".into());
    };
    let started = Instant::now();
    let mut best: Vec<AppStatus> = Vec::new();
    loop {
        let apps = reader.marathon_apps(via).await.map_err(|e| e.to_string())?;
        // Keep, per app, the best reading seen within the window.
        for a in apps {
            match best.iter_mut().find(|b| b.id == a.id) {
                Some(b) if b.tasks_running < a.tasks_running => *b = a,
                Some(_) => {}
                None => best.push(a),
            }
        }
        let all_running = best.iter().all(|a| a.tasks_running >= a.instances);
        if all_running || started.elapsed() >= window {
            best.sort_by(|a, b| a.id.cmp(&b.id));
            return Ok(best);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Adds the nodes' service states and judges them.
pub fn add_services(report: &mut HealthReport, services: Vec<NodeServices>) {
    for n in &services {
        if let Some(e) = &n.error {
            report
                .problems
                .push(format!("services: {} unreachable ({e})", n.name));
        }
        for s in n.services.iter().filter(|s| !s.ok) {
            report.problems.push(format!(
                "services: {} {} is {}/{} (should {})",
                n.name,
                s.unit,
                s.enabled,
                s.active,
                if s.wanted { "run" } else { "be off" }
            ));
        }
    }
    report.services = Some(services);
    report.healthy = report.problems.is_empty();
}

/// The report as a table for people.
pub fn render_table(r: &HealthReport) -> String {
    let mut out = String::new();
    let verdict = if r.healthy {
        "healthy".to_string()
    } else {
        format!("UNHEALTHY ({} problem(s))", r.problems.len())
    };
    out.push_str(&format!("cluster: {verdict}\n\n"));
    let zk: Vec<String> = r
        .zookeeper
        .iter()
        .map(|z| format!("{} {}", z.name, z.mode))
        .collect();
    out.push_str(&format!("{:<11}{}\n", "zookeeper", zk.join(", ")));
    match (&r.mesos_leader, &r.urls.mesos) {
        (Some(l), Some(u)) => out.push_str(&format!("{:<11}leader {l}  {u}\n", "mesos")),
        _ => out.push_str(&format!("{:<11}no elected master\n", "mesos")),
    }
    for m in &r.mesos {
        let state = match (&m.error, m.elected, &m.leader) {
            (Some(e), _, _) => format!("unreachable: {e}"),
            (None, true, _) => "elected".to_string(),
            (None, false, Some(l)) => format!("standby, follows {l}"),
            (None, false, None) => "standby, knows no leader".to_string(),
        };
        out.push_str(&format!("{:<11}  {:<8} {state}\n", "", m.name));
    }
    let a = &r.agents;
    out.push_str(&format!(
        "{:<11}{} of {} active, {:.1} CPUs, {:.0} MB memory, {:.0} MB disk\n",
        "agents", a.active, a.expected, a.cpus, a.mem_mb, a.disk_mb
    ));
    if !a.missing.is_empty() {
        out.push_str(&format!(
            "{:<11}  not registered: {}\n",
            "",
            a.missing.join(", ")
        ));
    }
    if !a.inactive.is_empty() {
        out.push_str(&format!(
            "{:<11}  inactive: {}\n",
            "",
            a.inactive.join(", ")
        ));
    }
    let m = &r.marathon;
    match (&m.leader, &r.urls.marathon) {
        (Some(l), Some(u)) => out.push_str(&format!(
            "{:<11}leader {l}  {u}{}\n",
            "marathon",
            match m.framework_active {
                Some(true) => ", framework active",
                Some(false) => ", framework NOT active",
                None => "",
            }
        )),
        _ => out.push_str(&format!("{:<11}no leader\n", "marathon")),
    }
    for v in &m.masters {
        let state = match (&v.leader, &v.error) {
            (Some(l), _) => format!("answers, leader {l}"),
            (None, Some(e)) => e.clone(),
            (None, None) => "?".into(),
        };
        out.push_str(&format!("{:<11}  {:<8} {state}\n", "", v.name));
    }
    out.push_str(&format!(
        "{:<11}{} app(s), {} task(s) running\n",
        "apps",
        m.apps.len(),
        m.tasks_running
    ));
    for app in &m.apps {
        out.push_str(&format!(
            "{:<11}  {:<20} {}/{} running{}\n",
            "",
            app.id,
            app.tasks_running,
            app.instances,
            if app.deployments.is_empty() {
                ""
            } else {
                ", deploying"
            }
        ));
    }
    match &r.services {
        None => out.push_str(&format!(
            "{:<11}not read (--transport direct)\n",
            "services"
        )),
        Some(nodes) => {
            out.push_str(&format!("{:<11}\n", "services"));
            for n in nodes {
                let line = match &n.error {
                    Some(e) => format!("unreachable: {e}"),
                    None => n
                        .services
                        .iter()
                        .map(|s| format!("{}{} {}", if s.ok { "" } else { "!" }, s.unit, s.active))
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                out.push_str(&format!("{:<11}  {:<8} {line}\n", "", n.name));
            }
        }
    }
    out.push_str(&format!(
        "{:<11}mesos {}\n{:<11}marathon {}\n",
        "urls",
        r.urls.mesos_masters.join(" "),
        "",
        r.urls.marathon_masters.join(" ")
    ));
    for w in &r.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    if !r.problems.is_empty() {
        out.push_str("\nproblems:\n");
        for p in &r.problems {
            out.push_str(&format!("  - {p}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::cluster::{ClusterNode, ClusterView};
    use crate::health::http::testserver::Server;
    use crate::health::mesos::tests::fixture;
    use crate::health::{Ports, Routes};

    #[test]
    fn services_are_judged_against_the_role() {
        let units = expected_units(Role::Agent, "zookeeper", Some("docker"));
        let script = service_script(&units);
        assert!(script.starts_with("for u in mesos-slave docker mesos-master zookeeper; do"));
        let out = "mesos-slave enabled active\ndocker enabled active\nmesos-master disabled inactive\nzookeeper not-found inactive\n";
        assert!(parse_services(&units, out).iter().all(|s| s.ok));
        let bad = "mesos-slave enabled failed\ndocker enabled active\nmesos-master enabled active\nzookeeper not-found inactive\n";
        let states = parse_services(&units, bad);
        let wrong: Vec<&str> = states
            .iter()
            .filter(|s| !s.ok)
            .map(|s| s.unit.as_str())
            .collect();
        assert_eq!(wrong, vec!["mesos-slave", "mesos-master"]);
        let mut report = empty_report();
        add_services(
            &mut report,
            vec![NodeServices {
                name: "s1".into(),
                role: Role::Agent,
                services: states,
                error: None,
            }],
        );
        assert!(!report.healthy);
        assert_eq!(
            report.problems,
            vec![
                "services: s1 mesos-slave is enabled/failed (should run)",
                "services: s1 mesos-master is enabled/active (should be off)"
            ]
        );
    }

    fn empty_report() -> HealthReport {
        HealthReport {
            healthy: true,
            problems: vec![],
            warnings: vec![],
            zookeeper: vec![],
            mesos: vec![],
            mesos_leader: None,
            agents: Agents {
                expected: 0,
                active: 0,
                missing: vec![],
                inactive: vec![],
                unexpected: vec![],
                cpus: 0.0,
                mem_mb: 0.0,
                disk_mb: 0.0,
            },
            marathon: Marathon {
                masters: vec![],
                leader: None,
                framework_active: None,
                apps: vec![],
                tasks_running: 0,
            },
            services: None,
            urls: Urls {
                mesos: None,
                marathon: None,
                mesos_masters: vec![],
                marathon_masters: vec![],
            },
        }
    }

    /// The real Mesos 1.11.0 master recorded on 127.0.0.1:5050 with two agents named
    /// `localhost`, served over TCP: the reader's Mesos section from real JSON.
    #[tokio::test]
    async fn report_from_a_recorded_real_master_over_tcp() {
        let server = Server::default();
        server.route(
            "GET /master/state",
            200,
            &fixture("master_state_2agents_3running.json"),
        );
        let port = server.start().await;
        let cluster = ClusterView {
            nodes: vec![
                ClusterNode {
                    name: "m1".into(),
                    ipv4: Some("127.0.0.1".parse().unwrap()),
                    ipv6: None,
                    role: Some(Role::Master),
                    zk_id: Some(1),
                    public_address: Some("localhost".into()),
                },
                ClusterNode {
                    name: "localhost".into(),
                    ipv4: Some("127.0.0.2".parse().unwrap()),
                    ipv6: None,
                    role: Some(Role::Agent),
                    zk_id: None,
                    public_address: None,
                },
            ],
        };
        let reader = Reader {
            cluster: Arc::new(cluster),
            routes: Routes::direct(),
            ports: Ports {
                // Nothing listens for ZooKeeper or Marathon here: those parts are unhealthy.
                zookeeper: closed_port(),
                mesos_master: port,
                marathon: closed_port(),
            },
        };
        let r = read(&reader, Duration::ZERO).await;
        assert_eq!(r.mesos_leader.as_deref(), Some("m1"));
        assert!(r.mesos[0].elected);
        assert_eq!(r.mesos[0].version.as_deref(), Some("1.11.0"));
        assert_eq!(r.urls.mesos, Some(format!("http://localhost:{port}")));
        assert_eq!(r.agents.expected, 1);
        assert_eq!(r.agents.active, 1);
        assert_eq!(
            (r.agents.cpus, r.agents.mem_mb, r.agents.disk_mb),
            (4.0, 2048.0, 2048.0)
        );
        assert_eq!(r.marathon.framework_active, Some(false));
        assert!(!r.healthy);
        assert!(r
            .problems
            .iter()
            .any(|p| p.starts_with("zookeeper: m1 not in the quorum")));
        assert!(r.problems.iter().any(|p| p.starts_with("marathon: m1: ")));
        assert!(
            !r.problems.iter().any(|p| p.starts_with("mesos:")),
            "{:?}",
            r.problems
        );
        assert!(
            !r.problems.iter().any(|p| p.starts_with("agents:")),
            "{:?}",
            r.problems
        );
        let table = render_table(&r);
        assert!(table.starts_with("cluster: UNHEALTHY"), "{table}");
        assert!(
            table.contains("mesos      leader m1  http://localhost:"),
            "{table}"
        );
        assert!(
            table.contains("agents     1 of 1 active, 4.0 CPUs, 2048 MB memory, 2048 MB disk"),
            "{table}"
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["agents"]["active"], 1);
        assert_eq!(json["mesos"][0]["elected"], true);
    }

    fn closed_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }
}
