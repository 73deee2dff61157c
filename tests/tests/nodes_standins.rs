//! The Mesos and Marathon STAND-INS on three real test nodes with real ZooKeeper (issue: the
//! stand-ins must be strict where the real daemons are strict). Set up here without the
//! provisioner's Mesos roles, with plain apt and files, so this test holds the stand-in packages
//! alone: one master alone never leads; three elect exactly one leader; the agent registers and
//! runs a command task and a Docker task through Marathon; stopping the leader's node elects
//! another within 30 s while Marathon keeps answering through a surviving master; malformed
//! configuration files and a missing Docker daemon are refused naming the file and the rule. The
//! Docker task's container is real: its memory and cpuset cgroups sit in the agent node's own
//! subtree on the host.

use std::path::Path;
use std::time::{Duration, Instant};

use e2e::nodes::{self, Node, TestNodes};
use e2e::standins;
use serde_json::{json, Value};

const ZK: &str = "zk://10.77.0.11:2181,10.77.0.12:2181,10.77.0.13:2181";

fn masters(nodes: &TestNodes) -> Vec<&Node> {
    ["m1", "m2", "m3"].iter().map(|n| nodes.node(n)).collect()
}

/// Runs a shell script as root on every node at once; panics with the node's output on failure.
fn on_all(nodes: &TestNodes, targets: &[&Node], script: &str) {
    std::thread::scope(|s| {
        let handles: Vec<_> = targets
            .iter()
            .map(|n| s.spawn(move || (n.name.clone(), nodes.exec(n, &["sh", "-ec", script]))))
            .collect();
        for h in handles {
            let (name, out) = h.join().unwrap();
            assert!(
                out.status.success(),
                "on {name}: {script}\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    });
}

fn master_metrics(nodes: &TestNodes, m: &Node) -> Option<Value> {
    standins::get_json(nodes, &format!("http://{}:5050/metrics/snapshot", m.ipv4))
}

fn elected(nodes: &TestNodes, ms: &[&Node]) -> Vec<String> {
    ms.iter()
        .filter(|m| {
            master_metrics(nodes, m).is_some_and(|v| v["master/elected"].as_f64() == Some(1.0))
        })
        .map(|m| m.name.clone())
        .collect()
}

fn wait<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            started.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The container's cgroup in `hierarchy` is a directory of `node`'s own subtree on the host,
/// holds the container's processes, and exists nowhere outside that subtree.
fn assert_container_cgroup(nodes: &TestNodes, node: &Node, hierarchy: &str, id: &str) {
    let dirs = nodes.cgroup_dirs(node);
    let subtree = dirs
        .get(hierarchy)
        .unwrap_or_else(|| panic!("{}: no {hierarchy} cgroup subtree in {dirs:?}", node.name));
    assert!(
        subtree.ends_with(Path::new("mz").join(&node.name)),
        "{}: {hierarchy} subtree {} is not the node's own",
        node.name,
        subtree.display()
    );
    let cgroup = subtree.join("docker").join(id);
    let procs = std::fs::read_to_string(cgroup.join("cgroup.procs")).unwrap_or_else(|e| {
        panic!(
            "{}: the container has no {hierarchy} cgroup at {}: {e}",
            node.name,
            cgroup.display()
        )
    });
    assert!(
        !procs.trim().is_empty(),
        "{}: no process in {}",
        node.name,
        cgroup.display()
    );
    let host_level = Path::new("/sys/fs/cgroup")
        .join(hierarchy)
        .join("docker")
        .join(id);
    assert!(
        !host_level.exists(),
        "{} escaped the node's subtree",
        host_level.display()
    );
}

fn journal(nodes: &TestNodes, node: &Node, unit: &str) -> String {
    nodes.exec_ok(
        node,
        &[
            "journalctl",
            "-u",
            unit,
            "--no-pager",
            "-o",
            "cat",
            "-n",
            "60",
        ],
    )
}

#[test]
fn standins_on_three_masters_and_an_agent() {
    let Some(nodes) = nodes::acquire() else {
        return;
    };
    let started = Instant::now();
    let debs = nodes.work_dir().join("standin-debs");
    standins::build_debs(&debs).expect("building the stand-in packages");
    nodes
        .refresh_standins(&debs)
        .expect("publishing the stand-in packages");
    let ms = masters(nodes);
    let agent = nodes.node("s1");

    // Packages: ZooKeeper, and the stand-ins, which (like the real mesos package) enable and
    // start both mesos-master and mesos-slave on installation.
    on_all(
        nodes,
        &ms,
        "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q zookeeperd mesos marathon >/dev/null",
    );
    for m in &ms {
        let enabled = nodes.exec_ok(
            m,
            &[
                "systemctl",
                "is-enabled",
                "mesos-master",
                "mesos-slave",
                "marathon",
            ],
        );
        assert_eq!(
            enabled.lines().collect::<Vec<_>>(),
            ["enabled"; 3],
            "{}",
            m.name
        );
        let banner = nodes.exec_ok(m, &["/usr/sbin/mesos-master", "--version"]);
        assert!(
            banner.contains("1.11.0") || journal(nodes, m, "mesos-master").contains("STAND-IN")
        );
    }
    let mirror = nodes.registry_mirror().to_string();
    on_all(
        nodes,
        &[agent],
        &format!(
            "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io mesos >/dev/null \
             && mkdir -p /etc/docker && printf '{{\"registry-mirrors\": [\"{mirror}\"]}}\\n' > /etc/docker/daemon.json \
             && systemctl restart docker"
        ),
    );

    // ZooKeeper ensemble and master configuration (files as the packages read them).
    for (i, m) in ms.iter().enumerate() {
        let id = i + 1;
        let script = format!(
            "echo {id} > /etc/zookeeper/conf/myid
             cat > /etc/zookeeper/conf/zoo.cfg <<'CFG'
tickTime=2000
initLimit=10
syncLimit=5
dataDir=/var/lib/zookeeper
clientPort=2181
4lw.commands.whitelist=srvr,ruok,mntr
admin.enableServer=false
server.1=10.77.0.11:2888:3888
server.2=10.77.0.12:2888:3888
server.3=10.77.0.13:2888:3888
CFG
             systemctl restart zookeeper
             systemctl disable --now mesos-slave mesos-master
             echo '{ZK}/mesos' > /etc/mesos/zk
             echo 2 > /etc/mesos-master/quorum
             echo {ip} > /etc/mesos-master/ip
             echo {ip} > /etc/mesos-master/hostname
             cat > /etc/default/marathon <<'CFG'
MARATHON_MASTER={ZK}/mesos
MARATHON_ZK={ZK}/marathon
MARATHON_HOSTNAME={ip}
MARATHON_MESOS_USER=root
CFG
             systemctl restart marathon",
            ip = m.ipv4
        );
        on_all(nodes, &[m], &script);
    }

    // One master alone never leads: its quorum of 2 replicas cannot be reached.
    on_all(nodes, &[ms[0]], "systemctl enable --now mesos-master");
    std::thread::sleep(Duration::from_secs(15));
    let m1 = master_metrics(nodes, ms[0]).expect("m1 answers");
    assert_eq!(
        m1["master/elected"], 0.0,
        "a lone master with quorum 2 claimed leadership"
    );
    assert!(journal(nodes, ms[0], "mesos-master").contains("waiting for a quorum"));

    // Three masters: exactly one leader, and every master redirects to it.
    on_all(nodes, &ms[1..], "systemctl enable --now mesos-master");
    let leader = wait("one elected master", Duration::from_secs(60), || {
        let e = elected(nodes, &ms);
        (e.len() == 1).then(|| e[0].clone())
    });
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        elected(nodes, &ms),
        vec![leader.clone()],
        "more than one leader"
    );
    let leader_node = nodes.node(&leader);
    // A master learns the leader from its ZooKeeper watch, so give each a moment to redirect.
    let expected = format!("//{}:5050", leader_node.ipv4);
    for m in &ms {
        let url = format!("http://{}:5050/master/redirect", m.ipv4);
        let settled = Instant::now() + Duration::from_secs(15);
        let loc = loop {
            let loc = standins::redirect(nodes, &url);
            if loc == expected || Instant::now() > settled {
                break loc;
            }
            std::thread::sleep(Duration::from_millis(500));
        };
        assert_eq!(loc, expected, "redirect from {}", m.name);
    }

    // The agent: Docker containerizer, registers with the leader with the node's resources.
    on_all(
        nodes,
        &[agent],
        &format!(
            "systemctl disable --now mesos-master
             echo '{ZK}/mesos' > /etc/mesos/zk
             echo docker,mesos > /etc/mesos-slave/containerizers
             echo 5mins > /etc/mesos-slave/executor_registration_timeout
             echo {ip} > /etc/mesos-slave/ip
             echo {ip} > /etc/mesos-slave/hostname
             systemctl restart mesos-slave",
            ip = agent.ipv4
        ),
    );
    let slaves = wait("the agent to register", Duration::from_secs(60), || {
        let s = standins::get_json(
            nodes,
            &format!("http://{}:5050/master/slaves", leader_node.ipv4),
        )?;
        (s["slaves"].as_array()?.len() == 1 && s["slaves"][0]["active"] == true).then_some(s)
    });
    assert_eq!(slaves["slaves"][0]["hostname"], agent.ipv4);
    assert!(slaves["slaves"][0]["resources"]["cpus"].as_f64().unwrap() >= 1.0);
    assert_eq!(slaves["slaves"][0]["resources"]["ports"], "[31000-32000]");

    // Marathon answers on every master with one leader; apps go in through a non-leader.
    let marathon_leader = wait("a Marathon leader", Duration::from_secs(60), || {
        let l = standins::get_json(nodes, &format!("http://{}:8080/v2/leader", ms[0].ipv4))?;
        l["leader"].as_str().map(str::to_string)
    });
    // Each instance learns the leader from its own ZooKeeper watch, so one may still answer
    // 404 "There is no leader" (as real Marathon does) right after another has elected itself.
    for m in &ms {
        let l = wait(
            &format!("Marathon on {} to know the leader", m.name),
            Duration::from_secs(30),
            || standins::get_json(nodes, &format!("http://{}:8080/v2/leader", m.ipv4)),
        );
        assert_eq!(
            l["leader"],
            marathon_leader.as_str(),
            "leader seen by {}",
            m.name
        );
    }
    let via = ms
        .iter()
        .find(|m| !marathon_leader.starts_with(&m.ipv4))
        .unwrap();
    let bad = standins::request(
        nodes,
        "POST",
        &format!("http://{}:8080/v2/apps", via.ipv4),
        Some("{\"id\": "),
    );
    assert_eq!(bad.0, 400, "{bad:?}");
    let invalid = standins::request(
        nodes,
        "POST",
        &format!("http://{}:8080/v2/apps", via.ipv4),
        Some("{\"id\":\"x\",\"cmd\":\"a\",\"cpus\":-1}"),
    );
    assert_eq!(invalid.0, 422, "{invalid:?}");
    assert_eq!(
        serde_json::from_str::<Value>(&invalid.1).unwrap()["details"][0]["path"],
        "/cpus"
    );
    let apps = [
        json!({"id": "shell-hello", "cmd": "echo hello; sleep 10", "cpus": 0.1, "mem": 16, "instances": 1, "disk": 0, "ports": [0]}),
        json!({"id": "docker-hello", "cmd": "python3 -m http.server 8080", "cpus": 0.5, "mem": 32, "instances": 1,
               "container": {"type": "DOCKER", "docker": {"image": "python:3", "network": "BRIDGE",
                             "portMappings": [{"containerPort": 8080, "hostPort": 0}]}}}),
    ];
    for app in &apps {
        let r = standins::request(
            nodes,
            "POST",
            &format!("http://{}:8080/v2/apps", via.ipv4),
            Some(&app.to_string()),
        );
        assert_eq!(r.0, 201, "{r:?}");
    }
    let docker_port = wait("both apps running", Duration::from_secs(180), || {
        let mut port = None;
        for id in ["shell-hello", "docker-hello"] {
            let a = standins::get_json(nodes, &format!("http://{}:8080/v2/apps/{id}", via.ipv4))?;
            if a["app"]["tasksRunning"].as_u64()? < 1 {
                return None;
            }
            if id == "docker-hello" {
                port = a["app"]["tasks"][0]["ports"][0].as_u64();
            }
        }
        port
    });
    // The command task is a real process in a sandbox on the agent; the container really serves.
    wait(
        "shell-hello's output in its sandbox",
        Duration::from_secs(30),
        || {
            let out = nodes.exec(
                agent,
                &[
                    "sh",
                    "-c",
                    "cat /var/lib/mesos/slaves/*/frameworks/*/executors/shell-hello*/runs/*/stdout",
                ],
            );
            String::from_utf8_lossy(&out.stdout)
                .contains("hello")
                .then_some(())
        },
    );
    let ps = nodes.exec_ok(
        agent,
        &["docker", "ps", "--format", "{{.Names}} {{.Image}}"],
    );
    assert!(
        ps.lines()
            .any(|l| l.starts_with("mesos-") && l.ends_with("python:3")),
        "{ps}"
    );
    // A running task's container may not listen yet: Python's server starts after the task
    // is reported running.
    let url = format!("http://{}:{docker_port}/", agent.ipv4);
    let listening = Instant::now() + Duration::from_secs(30);
    let page = loop {
        let page = standins::request(nodes, "GET", &url, None);
        if page.0 == 200 || Instant::now() > listening {
            break page;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(page.0, 200, "{page:?}");
    assert!(page.1.contains("Directory listing"), "{}", page.1);
    // The container's cgroups are real and confined to the agent node's own host subtree.
    let id = nodes.exec_ok(
        agent,
        &[
            "docker",
            "ps",
            "-q",
            "--no-trunc",
            "--filter",
            "name=mesos-",
        ],
    );
    for hierarchy in ["memory", "cpuset"] {
        assert_container_cgroup(nodes, agent, hierarchy, id.trim());
    }

    // Stopping the leading master's node elects another within 30 s; Marathon keeps answering
    // through a surviving master and the apps keep running.
    let survivors: Vec<&Node> = ms.iter().copied().filter(|m| m.name != leader).collect();
    let stopping = Instant::now();
    nodes.stop_node(leader_node);
    // The node's shutdown takes a few seconds; the 30 s count from when it is down.
    let stopped = Instant::now();
    let new_leader = wait("a new leading master", Duration::from_secs(30), || {
        let e = elected(nodes, &survivors);
        (e.len() == 1).then(|| e[0].clone())
    });
    let failover = stopped.elapsed();
    assert_ne!(new_leader, leader);
    wait(
        "Marathon through a surviving master",
        Duration::from_secs(60),
        || {
            let a = standins::get_json(
                nodes,
                &format!("http://{}:8080/v2/apps/docker-hello", survivors[0].ipv4),
            )?;
            (a["app"]["tasksRunning"].as_u64()? >= 1).then_some(())
        },
    );
    eprintln!(
        "stand-ins: a new leader {:.1} s after the old leader's node was down ({:.1} s after the stop began)",
        failover.as_secs_f64(),
        (stopped - stopping + failover).as_secs_f64()
    );

    // Refusals, each one journal line naming the file and the rule.
    let m = survivors[1];
    on_all(
        nodes,
        &[m],
        "echo two > /etc/mesos-master/quorum && systemctl restart mesos-master",
    );
    wait("the bad quorum refused", Duration::from_secs(20), || {
        journal(nodes, m, "mesos-master")
            .contains("Failed to load flag 'quorum' (file /etc/mesos-master/quorum): 'two' is not a positive integer")
            .then_some(())
    });
    let result = nodes.exec_ok(
        m,
        &[
            "systemctl",
            "show",
            "mesos-master",
            "-p",
            "Result",
            "--value",
        ],
    );
    assert_eq!(result, "exit-code");
    on_all(
        nodes,
        &[agent],
        "cp /etc/mesos-slave/ip /etc/mesos-slave/ip.rpmnew && systemctl restart mesos-slave",
    );
    wait(
        "the unknown flag file refused",
        Duration::from_secs(20),
        || {
            journal(nodes, agent, "mesos-slave")
                .contains(
                    "Failed to load unknown flag 'ip.rpmnew' (file /etc/mesos-slave/ip.rpmnew)",
                )
                .then_some(())
        },
    );
    on_all(nodes, &[agent], "rm /etc/mesos-slave/ip.rpmnew && systemctl stop docker.socket docker && systemctl restart mesos-slave");
    wait(
        "an agent without Docker refused",
        Duration::from_secs(40),
        || {
            journal(nodes, agent, "mesos-slave")
                .contains("Failed to create a containerizer: Could not create DockerContainerizer")
                .then_some(())
        },
    );
    eprintln!(
        "stand-ins on the nodes: {:.0} s",
        started.elapsed().as_secs_f64()
    );
}
