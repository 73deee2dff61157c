//! The provisioner's health reader holds the stand-ins to real Mesos: a REAL Mesos 1.11.0 master
//! with two real agents (tests/real-mesos) and a stand-in master with two stand-in agents, set
//! up alike on loopback, must give the same Mesos report: this master elected, the version, two
//! active agents and their total CPUs, memory and disk.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use e2e::real_mesos::{RealMesos, AGENT_RESOURCES};
use e2e::standins;
use mesos_provisioner::cluster::{ClusterNode, ClusterView};
use mesos_provisioner::health::report::{self, HealthReport};
use mesos_provisioner::health::{Ports, Reader, Routes};
use mesos_provisioner::inventory::Role;

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A stand-in master with two stand-in agents named and sized like the real local-mode ones
/// (host name `localhost`, `cpus:2;mem:1024;disk:1024`). Returns the daemons and the master port.
fn start_standins(dir: &std::path::Path) -> (Vec<Daemon>, u16) {
    let port = free_port();
    let log = |n: &str| std::fs::File::create(dir.join(n)).unwrap();
    let master = Command::new(standins::binary("mesos-master-standin").unwrap())
        .args([
            "--ip=127.0.0.1".to_string(),
            format!("--port={port}"),
            "--hostname=localhost".into(),
            "--registry=in_memory".into(),
            format!("--work_dir={}", dir.join("master").display()),
        ])
        .stdout(Stdio::null())
        .stderr(log("master.log"))
        .spawn()
        .unwrap();
    let mut daemons = vec![Daemon(master)];
    for i in 1..=2 {
        let agent = Command::new(standins::binary("mesos-agent-standin").unwrap())
            .args([
                format!("--master=127.0.0.1:{port}"),
                "--ip=127.0.0.1".into(),
                format!("--port={}", free_port()),
                "--hostname=localhost".into(),
                format!("--resources={AGENT_RESOURCES}"),
                format!("--work_dir={}", dir.join(format!("agent{i}")).display()),
            ])
            .stdout(Stdio::null())
            .stderr(log(&format!("agent{i}.log")))
            .spawn()
            .unwrap();
        daemons.push(Daemon(agent));
    }
    (daemons, port)
}

fn closed_port() -> u16 {
    free_port()
}

/// The reader's report for a one-master cluster whose master listens on 127.0.0.1:`port`.
async fn read(port: u16) -> HealthReport {
    let node = |name: &str, ip: &str, role: Role, zk_id: Option<u8>| ClusterNode {
        name: name.into(),
        ipv4: Some(ip.parse().unwrap()),
        ipv6: None,
        role: Some(role),
        zk_id,
        public_address: Some("localhost".into()),
    };
    let reader = Reader {
        cluster: Arc::new(ClusterView {
            nodes: vec![
                node("m1", "127.0.0.1", Role::Master, Some(1)),
                node("localhost", "127.0.0.2", Role::Agent, None),
            ],
        }),
        routes: Routes::direct(),
        // Only Mesos is compared: nothing listens for ZooKeeper or Marathon here.
        ports: Ports {
            zookeeper: closed_port(),
            mesos_master: port,
            marathon: closed_port(),
        },
    };
    report::read(&reader, Duration::ZERO).await
}

/// The Mesos part of a report, with the port (which differs) left out.
fn mesos_part(r: &HealthReport) -> serde_json::Value {
    let mut agents = serde_json::to_value(&r.agents).unwrap();
    agents["missing"] = serde_json::json!(r.agents.missing);
    serde_json::json!({
        "leader": r.mesos_leader,
        "masters": r.mesos.iter().map(|m| (m.name.clone(), m.elected, m.version.clone(), m.error.clone())).collect::<Vec<_>>(),
        "agents": agents,
        "mesos_problems": r.problems.iter().filter(|p| p.starts_with("mesos:") || p.starts_with("agents:")).collect::<Vec<_>>(),
    })
}

async fn wait_for_agents(port: u16) -> HealthReport {
    let started = Instant::now();
    loop {
        let r = read(port).await;
        if r.agents.cpus >= 4.0 || started.elapsed() > Duration::from_secs(30) {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_reader_reports_real_mesos_and_the_stand_in_alike() {
    let Some(real) =
        tokio::task::spawn_blocking(|| RealMesos::start(2).expect("real Mesos starts"))
            .await
            .unwrap()
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_standins, standin_port) = start_standins(dir.path());

    let real_report = wait_for_agents(real.addr().port()).await;
    let standin_report = wait_for_agents(standin_port).await;

    // The real master first: what the reader must say about it.
    assert_eq!(
        real_report.mesos_leader.as_deref(),
        Some("m1"),
        "{real_report:#?}"
    );
    assert!(real_report.mesos[0].elected);
    assert_eq!(real_report.mesos[0].version.as_deref(), Some("1.11.0"));
    assert_eq!(
        (
            real_report.agents.cpus,
            real_report.agents.mem_mb,
            real_report.agents.disk_mb
        ),
        (4.0, 2048.0, 2048.0)
    );
    assert!(
        !real_report
            .problems
            .iter()
            .any(|p| p.starts_with("mesos:") || p.starts_with("agents:")),
        "{:?}",
        real_report.problems
    );
    // Then the stand-in: the same report.
    assert_eq!(mesos_part(&standin_report), mesos_part(&real_report));
}
