//! `terraform apply` of `examples/mesos-cluster` builds the running cluster: the real Terraform
//! 1.0.3 CLI, the null provider, the node-backed emulator (every server a real Debian node behind
//! NAT and an nftables firewall, `tests/node-backing`), `mesos-provisioner bootstrap` per node,
//! real ZooKeeper, the stand-in Mesos and Marathon. One scenario in order, each step on what the
//! one before left:
//!
//! 1. variables out of range fail at plan, naming the variable;
//! 2. the apply creates everything, provisions all 12 nodes, submits both apps, and
//!    `check-health` passes (the wall time is printed as `MEASURED`); no process on the machine
//!    or its nodes has the administrator password on its command line meanwhile;
//! 3. a second apply changes nothing and a new plan is empty;
//! 4. one more agent left out of the firewall's agent list: its provisioning fails naming the node and the
//!    cause, every other node changes only its /etc/hosts block; with the rule back and a wrong
//!    administrator password it fails naming the password; fixed, the apply continues and
//!    `check-health` sees one more agent;
//! 5. a node taken out of its role's firewall address list can no longer be reached over SSH, as
//!    on the real cloud;
//! 6. a wiped agent is re-bootstrapped by the standalone provisioner with the command the outputs
//!    give;
//! 7. Marathon and Mesos answer through their stable URLs (the load balancer's listeners, served
//!    by HAProxy in the domain's router), and still do, naming a new leader, once the leading
//!    master's node is powered off;
//! 8. `terraform destroy` leaves the emulator's inventory empty and no node running.

use std::time::{Duration, Instant};

use e2e::node_backing::{self, NodeBackedCloud};
use e2e::node_cluster;
use e2e::nodes::mesos::Health;
use e2e::terraform::{PlanOutcome, TfOutput, Workspace};
use serde_json::Value;

/// The administrator password the servers are deployed with (policy: upper, lower, digit, symbol).
const PASSWORD: &str = "Cluster-Nodes-7x!";
/// Another one, for the wrong-password case.
const WRONG_PASSWORD: &str = "Not-The-Password-3y!";
/// 100x faster than the real API: a server deploy is 4.2 s, about a node's boot.
const TIME_SCALE: &str = "0.01";

fn workspace(cloud: &NodeBackedCloud) -> Workspace {
    node_cluster::example_workspace(cloud, PASSWORD).unwrap()
}

/// The `(outcome, host, step)` of every provisioner step line the apply printed for the
/// null_resource of `node` (e.g. `changed agent1 /etc/hosts block`).
fn steps_of(apply: &TfOutput, node: &str) -> Vec<(String, String, String)> {
    let prefixes = [
        format!("null_resource.master[\"{node}\"] (local-exec): "),
        format!("null_resource.agent[\"{node}\"] (local-exec): "),
    ];
    apply
        .stdout
        .lines()
        .filter_map(|l| prefixes.iter().find_map(|p| l.strip_prefix(p.as_str())))
        .filter_map(|rest| {
            let mut words = rest.split_whitespace();
            let outcome = words.next()?;
            if !["ok", "changed", "failed", "skipped", "unreachable"].contains(&outcome) {
                return None;
            }
            let host = words.next()?;
            // the step name is the column up to the first run of two spaces
            let after_host = rest.split_once(host)?.1.trim_start();
            let step = after_host.split("  ").next()?.trim();
            Some((outcome.to_owned(), host.to_owned(), step.to_owned()))
        })
        .collect()
}

fn check_health(cloud: &NodeBackedCloud, ws: &Workspace) -> Health {
    node_cluster::check_health(cloud, ws).unwrap()
}

/// Healthy with `agents` active agents and both apps running (read again for up to 2 minutes:
/// docker-hello's first start pulls its image).
fn wait_healthy(cloud: &NodeBackedCloud, ws: &Workspace, agents: u64, what: &str) -> Health {
    node_cluster::wait_whole(cloud, ws, agents, Duration::from_secs(120))
        .unwrap_or_else(|e| panic!("{what}: {e:#}"))
}

fn output_json(ws: &Workspace, name: &str) -> Value {
    let out = ws
        .run(&["output", "-json", name])
        .unwrap()
        .ensure_success()
        .unwrap();
    serde_json::from_str(&out.stdout).unwrap()
}

/// GETs `url` from the internet namespace every second until it answers JSON that satisfies
/// `good`, for up to 3 minutes (an election after a master's loss takes ZooKeeper's session
/// timeout); panics with the last answer otherwise.
fn get_json_within(cloud: &NodeBackedCloud, url: &str, good: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let answer = cloud.fetch(url, 5).unwrap();
        let json = answer
            .as_deref()
            .ok()
            .and_then(|body| serde_json::from_str::<Value>(body).ok());
        if let Some(v) = json.filter(|v| good(v)) {
            return v;
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "{url}: no good answer in 180 s; last: {answer:?}"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
}

fn count(inventory: &Value, kind: &str) -> usize {
    inventory[kind].as_array().map_or(0, Vec::len)
}

/// Replaces (or removes, with `None`) the test's override of the example's `reachable` nodes
/// (those the firewall opens, by role): the example's nodes without the ones named.
fn firewall_without(ws: &Workspace, nodes: Option<&[&str]>) {
    let path = ws.work_dir().join("firewall_override.tf");
    match nodes {
        None => {
            let _ = std::fs::remove_file(path);
        }
        Some(names) => {
            let list = names
                .iter()
                .map(|n| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", ");
            std::fs::write(
                path,
                format!(
                    "locals {{\n  reachable = {{ for name, node in local.nodes : name => node.role if !contains([{list}], name) }}\n}}\n"
                ),
            )
            .unwrap();
        }
    }
}

/// Runs `hostname` through an `ssh ...` command of the outputs, non-interactively, with strict
/// host key checking and a 5 s connect timeout.
fn ssh(cloud: &NodeBackedCloud, command: &str) -> std::process::Output {
    let rest = command
        .strip_prefix("ssh ")
        .unwrap_or_else(|| panic!("not an ssh command: {command}"));
    cloud
        .in_internet("sh")
        .arg("-c")
        .arg(format!(
            "ssh -o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=yes {rest} hostname"
        ))
        .output()
        .unwrap()
}

/// Reads every process's command line over and over in a thread, collecting the programs
/// whose command line contains a secret.
struct CmdlineSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<(usize, Vec<String>)>,
}

impl CmdlineSampler {
    fn start(secrets: &[&str]) -> Self {
        use std::sync::atomic::Ordering;
        let secrets: Vec<String> = secrets.iter().map(|s| s.to_string()).collect();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let (mut passes, mut leaks) = (0, Vec::new());
            while !flag.load(Ordering::Relaxed) {
                for (_, line) in e2e::procfs::command_lines() {
                    if secrets.iter().any(|s| line.contains(s.as_str())) {
                        let program = line.split(' ').next().unwrap_or("").to_owned();
                        if !leaks.contains(&program) {
                            leaks.push(program);
                        }
                    }
                }
                passes += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            (passes, leaks)
        });
        CmdlineSampler { stop, thread }
    }

    /// Passes made, and the programs seen with a secret on their command line.
    fn stop(self) -> (usize, Vec<String>) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().expect("sampler thread")
    }
}

#[test]
fn terraform_apply_builds_the_running_cluster_on_nodes() {
    let Some(cloud) = node_backing::acquire(TIME_SCALE) else {
        return;
    };
    let mut ws = workspace(&cloud);
    let mut outputs_seen = String::new();

    // 1. out-of-range variables fail at plan, on the variable
    for (var, value) in [
        ("master_count", "2"),
        ("agent_count", "0"),
        ("allowed_cidr", "10.1.2.0/33"),
        ("vlan_ipv4_base_address", "10.0.0.7"),
    ] {
        let out = ws
            .run(&[
                "plan",
                "-input=false",
                "-no-color",
                "-var",
                &format!("{var}={value}"),
            ])
            .unwrap();
        assert_eq!(out.code, 1, "{var}={value}: {out}");
        assert!(
            out.stderr.contains(&format!("variable \"{var}\""))
                && out.stderr.contains("Invalid value for variable"),
            "{var}={value} is not reported on the variable: {out}"
        );
    }

    // 2. the whole cluster, while every process command line on the machine (the nodes'
    //    included: their PID namespaces are nested in the host's) is sampled for the password
    let started = Instant::now();
    let sampler = CmdlineSampler::start(&[PASSWORD]);
    let applied = ws
        .apply(&[])
        .unwrap_or_else(|e| panic!("first apply: {e:#}"));
    let apply_time = started.elapsed();
    let (samples, leaks) = sampler.stop();
    eprintln!("MEASURED command lines sampled during the apply: {samples} passes over /proc");
    assert!(samples >= 10, "too few command-line samples: {samples}");
    assert!(
        leaks.is_empty(),
        "the administrator password was on a command line: {leaks:?}"
    );
    eprintln!(
        "MEASURED terraform apply of the 3 + 9 cluster, provisioned and both apps submitted: {:.0} s",
        apply_time.as_secs_f64()
    );
    outputs_seen.push_str(&applied.combined());
    assert!(
        applied
            .stdout
            .contains("Apply complete! Resources: 78 added, 0 changed, 0 destroyed."),
        "{applied}"
    );
    for node in (1..=3)
        .map(|i| format!("master{i}"))
        .chain((1..=9).map(|i| format!("agent{i}")))
    {
        let steps = steps_of(&applied, &node);
        assert!(
            steps
                .iter()
                .any(|(o, h, s)| o == "ok" && h == &node && s == "connect")
                && steps
                    .iter()
                    .all(|(o, _, _)| o != "failed" && o != "unreachable"),
            "{node} was not provisioned: {steps:?}"
        );
    }
    assert!(
        applied.stdout.contains("/docker-hello") && applied.stdout.contains("/shell-hello"),
        "apps not submitted: {applied}"
    );
    let inventory = cloud.inventory().unwrap();
    assert_eq!(count(&inventory, "server"), 12, "{inventory}");
    for server in inventory["server"].as_array().unwrap() {
        assert_eq!(
            server["monitoring"]["servicePlan"], "ESSENTIALS",
            "{}",
            server["name"]
        );
        assert_eq!(server["started"], true, "{}", server["name"]);
    }
    let status = cloud.status().unwrap();
    assert_eq!(
        status.lines().filter(|l| l.contains(" running ")).count(),
        12,
        "{status}"
    );
    let health = wait_healthy(&cloud, &ws, 9, "after the first apply");
    assert_eq!(
        health.report["agents"]["expected"],
        9,
        "{}",
        health.describe()
    );

    // 3. nothing to do the second time
    let again = ws.apply(&[]).unwrap();
    assert!(
        again
            .stdout
            .contains("Apply complete! Resources: 0 added, 0 changed, 0 destroyed."),
        "second apply: {again}"
    );
    let (outcome, plan) = ws.plan(&[]).unwrap();
    assert_eq!(outcome, PlanOutcome::NoChanges, "{plan}");

    // 4. one more agent: left out of the firewall, then with a wrong password, then right
    ws.set_env("TF_VAR_agent_count", "10");
    firewall_without(&ws, Some(&["agent10"]));
    let blocked = ws.try_apply(&[]).unwrap();
    outputs_seen.push_str(&blocked.combined());
    assert_ne!(blocked.code, 0, "agent10 outside the firewall: {blocked}");
    assert!(
        blocked.stderr.contains("null_resource.agent[\"agent10\"]")
            && blocked.combined().contains("no answer on TCP port 22"),
        "the failure names neither the node nor the cause: {blocked}"
    );
    for node in (1..=3)
        .map(|i| format!("master{i}"))
        .chain((1..=9).map(|i| format!("agent{i}")))
    {
        let steps = steps_of(&blocked, &node);
        let changed: Vec<&str> = steps
            .iter()
            .filter(|(o, _, _)| o != "ok" && o != "skipped")
            .map(|(o, _, s)| {
                if o == "changed" {
                    s.as_str()
                } else {
                    o.as_str()
                }
            })
            .collect();
        assert_eq!(
            changed,
            ["/etc/hosts block"],
            "{node} changed more than its /etc/hosts block: {steps:?}"
        );
    }

    firewall_without(&ws, None);
    let password_file = ws.scratch_path("admin-password");
    e2e::write_private(&password_file, WRONG_PASSWORD).unwrap();
    let refused = ws.try_apply(&[]).unwrap();
    outputs_seen.push_str(&refused.combined());
    assert_ne!(refused.code, 0, "agent10 with a wrong password: {refused}");
    assert!(
        refused.stderr.contains("null_resource.agent[\"agent10\"]")
            && refused
                .combined()
                .contains("password authentication as root refused"),
        "the failure names neither the node nor the password: {refused}"
    );
    let agent10 = steps_of(&refused, "agent10");
    assert!(
        agent10.iter().all(|(o, _, _)| o != "changed"),
        "a refused first contact changed something: {agent10:?}"
    );

    e2e::write_private(&password_file, PASSWORD).unwrap();
    let fixed = ws
        .apply(&[])
        .unwrap_or_else(|e| panic!("apply after the fixes: {e:#}"));
    outputs_seen.push_str(&fixed.combined());
    assert!(
        fixed
            .stdout
            .contains("Apply complete! Resources: 1 added, 0 changed, 1 destroyed."),
        "only agent10's provisioning should run again: {fixed}"
    );
    let health = wait_healthy(&cloud, &ws, 10, "after adding agent10");
    assert_eq!(
        health.report["agents"]["expected"],
        10,
        "{}",
        health.describe()
    );

    // 5. a node taken out of its role's address list is closed to SSH
    let nodes = output_json(&ws, "nodes");
    let ssh_agent1 = nodes["agent1"]["ssh"].as_str().unwrap().to_owned();
    let ssh_agent2 = nodes["agent2"]["ssh"].as_str().unwrap().to_owned();
    let open = ssh(&cloud, &ssh_agent1);
    assert_eq!(
        String::from_utf8_lossy(&open.stdout).trim(),
        "agent1",
        "ssh agent1 before: {open:?}"
    );
    firewall_without(&ws, Some(&["agent1"]));
    let closed = ws.apply(&[]).unwrap();
    assert!(
        closed.stdout.contains("0 added, 1 changed, 0 destroyed."),
        "only the agents' address list should change: {closed}"
    );
    let blocked = ssh(&cloud, &ssh_agent1);
    assert!(
        !blocked.status.success(),
        "ssh to agent1 still works outside the agents list"
    );
    assert!(
        String::from_utf8_lossy(&blocked.stderr).contains("timed out"),
        "ssh to agent1 should time out (dropped): {blocked:?}"
    );
    let other = ssh(&cloud, &ssh_agent2);
    assert_eq!(
        String::from_utf8_lossy(&other.stdout).trim(),
        "agent2",
        "{other:?}"
    );
    firewall_without(&ws, None);
    let reopened = ws.apply(&[]).unwrap();
    assert!(
        reopened.stdout.contains("0 added, 1 changed, 0 destroyed."),
        "{reopened}"
    );
    let open = ssh(&cloud, &ssh_agent1);
    assert_eq!(
        String::from_utf8_lossy(&open.stdout).trim(),
        "agent1",
        "ssh agent1 after: {open:?}"
    );

    // 6. a wiped agent comes back with the command the outputs give
    let wipe = cloud.exec(
        "agent3",
        &[
            "sh",
            "-c",
            "systemctl stop mesos-slave; DEBIAN_FRONTEND=noninteractive apt-get purge -y -q mesos >/dev/null; \
             ids=$(docker ps -aq); [ -z \"$ids\" ] || docker rm -f $ids >/dev/null; \
             rm -rf /etc/mesos /etc/mesos-slave /var/lib/mesos /etc/systemd/system/mesos-slave.service.d; \
             systemctl daemon-reload",
        ],
    );
    assert!(wipe.status.success(), "wiping agent3: {wipe:?}");
    let h = check_health(&cloud, &ws);
    assert_ne!(
        h.exit_code,
        Some(0),
        "agent3 wiped, yet healthy:\n{}",
        h.describe()
    );
    let bootstrap = nodes["agent3"]["bootstrap"].as_str().unwrap();
    let rerun = cloud
        .in_internet("sh")
        .arg("-c")
        .arg(bootstrap)
        .output()
        .unwrap();
    let rerun_text = format!(
        "{}{}",
        String::from_utf8_lossy(&rerun.stdout),
        String::from_utf8_lossy(&rerun.stderr)
    );
    outputs_seen.push_str(&rerun_text);
    assert_eq!(
        rerun.status.code(),
        Some(2),
        "re-bootstrap of agent3:\n{rerun_text}"
    );
    wait_healthy(&cloud, &ws, 10, "after re-bootstrapping agent3");

    // the administrator password was never shown: not by Terraform, the provisioner or its logs
    for secret in [PASSWORD, WRONG_PASSWORD] {
        assert!(!outputs_seen.contains(secret), "a password was printed");
        let logs = ws.work_dir().join("mesos-provisioner/logs");
        for entry in std::fs::read_dir(&logs).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
            assert!(!text.contains(secret), "a password is in a provisioner log");
        }
    }

    // 7. Marathon and Mesos on their stable addresses (the load balancer's listeners), before
    //    and after the node of the leading master is powered off
    let marathon = output_json(&ws, "marathon_url");
    let mesos = output_json(&ws, "mesos_url");
    let (marathon, mesos) = (marathon.as_str().unwrap(), mesos.as_str().unwrap());
    let info = get_json_within(&cloud, &format!("{marathon}/v2/info"), |_| true);
    let leader = info["leader"].as_str().unwrap().to_owned();
    // Marathon names its leader by the host name it was given (a master's public address)
    let leader_host = leader.rsplit_once(':').map_or(leader.as_str(), |(h, _)| h);
    let leader_name = nodes
        .as_object()
        .unwrap()
        .iter()
        .find(|(name, n)| {
            name.as_str() == leader_host
                || n["public_ipv4"] == leader_host
                || n["private_ipv4"] == leader_host
        })
        .map(|(name, _)| name.clone())
        .unwrap_or_else(|| panic!("Marathon's leader {leader} is no node of {nodes}"));
    let state = get_json_within(&cloud, &format!("{mesos}/master/state"), |_| true);
    assert!(
        state["leader"].as_str().is_some_and(|l| !l.is_empty()),
        "Mesos through {mesos} names no leader: {state}"
    );
    let leader_ipv4 = nodes[&leader_name]["private_ipv4"]
        .as_str()
        .unwrap()
        .to_owned();
    let leader_public = nodes[&leader_name]["public_ipv4"]
        .as_str()
        .unwrap()
        .to_owned();
    let server_id = cloud.inventory().unwrap()["server"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == leader_name.as_str())
        .and_then(|s| s["id"].as_str())
        .unwrap_or_else(|| panic!("no server named {leader_name}"))
        .to_owned();
    cloud
        .api_ok(
            "server/powerOffServer",
            &serde_json::json!({"id": server_id}),
        )
        .unwrap();
    cloud
        .api_wait(
            &format!("server/server/{server_id}"),
            "NORMAL",
            Duration::from_secs(120),
        )
        .unwrap();
    let stopped = Instant::now();
    let info = get_json_within(&cloud, &format!("{marathon}/v2/info"), |i| {
        i["leader"]
            .as_str()
            .is_some_and(|l| !l.is_empty() && l != leader)
    });
    let new_leader = info["leader"].as_str().unwrap_or_default();
    assert!(
        !new_leader.starts_with(&format!("{leader_public}:"))
            && !new_leader.starts_with(&format!("{leader_name}:")),
        "Marathon through {marathon} after {leader_name} stopped: {info}"
    );
    eprintln!(
        "MEASURED Marathon through its stable URL named a new leader ({new_leader}) {:.1} s after {leader_name}'s node stopped",
        stopped.elapsed().as_secs_f64()
    );
    let state = get_json_within(&cloud, &format!("{mesos}/master/state"), |s| {
        s["leader"]
            .as_str()
            .is_some_and(|l| !l.is_empty() && !l.contains(&format!("@{leader_ipv4}:")))
    });
    eprintln!(
        "MEASURED Mesos through its stable URL named a new leader ({}) {:.1} s after {leader_name}'s node stopped",
        state["leader"],
        stopped.elapsed().as_secs_f64()
    );

    // 8. destroy removes everything, nodes included
    let started = Instant::now();
    ws.destroy().unwrap_or_else(|e| panic!("destroy: {e:#}"));
    eprintln!(
        "MEASURED terraform destroy: {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let inventory = cloud.inventory().unwrap();
    assert_eq!(inventory["totalAssets"], 0, "left behind: {inventory}");
    let status = cloud.status().unwrap();
    assert_eq!(status.lines().count(), 1, "nodes left: {status}");
    let failed: Vec<Value> = cloud
        .backing_events()
        .unwrap()
        .into_iter()
        .filter(|e| e["state"] == "failed")
        .collect();
    assert!(failed.is_empty(), "backing events failed: {failed:?}");
}
