//! Real ZooKeeper: the `zoo.cfg` and `myid` the master role renders run a three-member ensemble
//! (on 127.77.0.1-3 of this machine), and the barrier judging a quorum reads it over plain TCP
//! with `srvr`: one leader and two followers, then, with the leader stopped, a new leader and
//! the stopped member named as missing.
//!
//! Needs Java and Debian's `zookeeper` package (`/usr/share/java/zookeeper.jar`); without them
//! the test says so and passes (the 12-node tests run ZooKeeper on the nodes anyway).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use mesos_provisioner::barrier::{self, Barrier, Scope};
use mesos_provisioner::cluster::{ClusterNode, ClusterView};
use mesos_provisioner::health::{Ports, Reader, Routes};
use mesos_provisioner::inventory::{Role, ZkSettings};
use mesos_provisioner::render::zookeeper;

const JAR: &str = "/usr/share/java/zookeeper.jar";

struct Server(Child);

impl Drop for Server {
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

fn start(dir: &Path, id: u8, cfg: &str) -> Server {
    let cfg_path = dir.join(format!("zoo{id}.cfg"));
    std::fs::write(&cfg_path, cfg).unwrap();
    let log = std::fs::File::create(dir.join(format!("zk{id}.log"))).unwrap();
    let child = Command::new("java")
        .args(["-Xmx128m", "-cp", JAR])
        .arg("-Dzookeeper.log.dir=".to_string() + &dir.display().to_string())
        .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
        .arg(&cfg_path)
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("starting java");
    Server(child)
}

#[tokio::test]
async fn rendered_configuration_forms_an_ensemble_and_the_barrier_reads_it() {
    let java = Command::new("java").arg("-version").output();
    if !Path::new(JAR).exists() || !java.is_ok_and(|o| o.status.success()) {
        // CI installs both (scripts/test, scripts/install-tools zookeeper): there it must run.
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "CI must run this test, but Java or Debian's zookeeper package ({JAR}) is missing"
        );
        eprintln!("SKIPPED: needs Java and Debian's zookeeper package ({JAR})");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A free port of 127.0.0.1 is taken as free on 127.77.0.x too (good enough for a test).
    let client = free_port();
    let nodes: Vec<ClusterNode> = (1..=3u8)
        .map(|i| ClusterNode {
            name: format!("m{i}"),
            ipv4: Some(format!("127.77.0.{i}").parse().unwrap()),
            ipv6: None,
            role: Some(Role::Master),
            zk_id: Some(i),
            public_address: None,
        })
        .collect();
    let cluster = ClusterView { nodes };
    let mut servers = Vec::new();
    for i in 1..=3u8 {
        let data = dir.path().join(format!("data{i}"));
        std::fs::create_dir(&data).unwrap();
        let settings = ZkSettings {
            client_port: client,
            data_dir: data.display().to_string(),
            four_letter_words: vec!["srvr".into(), "ruok".into(), "mntr".into(), "conf".into()],
            tick_time_ms: 500,
            init_limit: 10,
            sync_limit: 5,
            config_file: None,
            service: None,
        };
        let mut cfg = zookeeper::render_cfg(&settings, &cluster.ensemble());
        // Three servers on one machine: each binds its client port on its own address (on
        // the nodes every member has the machine to itself).
        cfg.push_str(&format!("clientPortAddress=127.77.0.{i}\n"));
        std::fs::write(
            zookeeper::myid_path(&settings.data_dir),
            zookeeper::render_myid(i),
        )
        .unwrap();
        servers.push(Some(start(dir.path(), i, &cfg)));
    }
    let reader = Reader {
        cluster: Arc::new(cluster),
        routes: Routes::direct(),
        ports: Ports {
            zookeeper: client,
            mesos_master: 5050,
            marathon: 8080,
        },
    };
    let all = Scope {
        masters: vec!["m1".into(), "m2".into(), "m3".into()],
        agents: vec![],
    };
    let formed = barrier::wait(Barrier::ZkQuorum, &reader, &all, Duration::from_secs(120)).await;
    let logs = || {
        (1..=3)
            .map(|i| {
                std::fs::read_to_string(dir.path().join(format!("zk{i}.log"))).unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("\n---\n")
    };
    let formed = formed.unwrap_or_else(|e| panic!("{e}\n{}", logs()));
    assert_eq!(formed.matches("leader").count(), 1, "{formed}");
    assert_eq!(formed.matches("follower").count(), 2, "{formed}");

    // Stop the leader: the two others elect a new one; the full quorum names the stopped one.
    let leader = barrier::current_leader(mesos_provisioner::roles::Phase::Zookeeper, &reader)
        .await
        .expect("a leader");
    let index: usize = leader[1..].parse::<usize>().unwrap() - 1;
    drop(servers[index].take());
    let rest = Scope {
        masters: all
            .masters
            .iter()
            .filter(|m| **m != leader)
            .cloned()
            .collect(),
        agents: vec![],
    };
    let again = barrier::wait(Barrier::ZkQuorum, &reader, &rest, Duration::from_secs(120))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", logs()));
    assert!(!again.contains(&format!("{leader} leader")), "{again}");
    let missing = barrier::check(Barrier::ZkQuorum, &reader, &all)
        .await
        .unwrap_err();
    assert!(
        missing.starts_with(&format!("{leader} not in the quorum")),
        "{missing}"
    );
}
