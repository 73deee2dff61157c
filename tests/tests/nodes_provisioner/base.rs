//! Stage 1: the base role against the 12 real test nodes with the real `mesos-provisioner` binary, run from
//! the client namespace `mz-ctl`. One scenario in order, because each stage needs the state the one
//! before left: first contact and convergence of all 12 in parallel, idempotence, `--check`, the
//! hardened logins, name resolution, host key refusal, an unreachable host, and a re-bootstrap.
//! Only the base role's phases run here (`--phases access,base`); stage 2 (`mesos.rs`) adds the
//! Mesos roles.

use std::thread;

use e2e::nodes::provisioner::Run;
use e2e::nodes::{Node, TestNodes};

/// The base role's phases: stage 2 adds the Mesos roles.
const BASE: &str = "access,base";

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `check` on every node at once and reports every failure, not just the first.
fn on_every_node(nodes: &'static TestNodes, check: fn(&TestNodes, &Node) -> Result<(), String>) {
    let handles: Vec<_> = nodes
        .all()
        .iter()
        .map(|node| thread::spawn(move || check(nodes, node)))
        .collect();
    let failures: Vec<String> = handles
        .into_iter()
        .filter_map(|h| h.join().expect("check thread panicked").err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn assert_no_failure(run: &Run, what: &str) {
    for (host, counts) in &run.recap {
        assert!(
            counts.failed == 0 && counts.unreachable == 0,
            "{what}: {host} has failures: {counts:?}\n{}",
            run.describe()
        );
    }
}

/// The base role's scenario on fresh nodes; returns the wall time of the first converge.
pub fn scenario(nodes: &'static TestNodes) -> std::time::Duration {
    let all: Vec<&Node> = nodes.all().iter().collect();
    let options = nodes.inventory_options();
    let inventory = nodes.write_toml("cluster", &nodes.inventory(&all, &options));
    let inventory = inventory.to_str().unwrap();

    // 1. first contact as root with the administrator password, all 12 in parallel
    let first = nodes.provision(&["converge", "-i", inventory, "--phases", BASE]);
    assert_eq!(
        first.exit_code,
        Some(2),
        "first converge:\n{}",
        first.describe()
    );
    assert_no_failure(&first, "first converge");
    assert_eq!(first.recap.len(), 12, "recap must list all 12 hosts");
    for (host, counts) in &first.recap {
        assert!(
            counts.changed > 0,
            "{host} changed nothing on first contact"
        );
    }
    eprintln!(
        "converge of 12 fresh nodes: {:.1} s",
        first.elapsed.as_secs_f64()
    );

    // 2. a second run changes nothing
    let second = nodes.provision(&["converge", "-i", inventory, "--phases", BASE]);
    assert_eq!(
        second.exit_code,
        Some(0),
        "second converge:\n{}",
        second.describe()
    );
    assert_eq!(
        second.changed(),
        0,
        "second converge changed:\n{}",
        second.describe()
    );
    assert_no_failure(&second, "second converge");

    // 3. --check on the converged cluster would change nothing
    let check = nodes.provision(&["converge", "-i", inventory, "--check", "--phases", BASE]);
    assert_eq!(check.exit_code, Some(0), "--check:\n{}", check.describe());
    assert_eq!(
        check.changed(),
        0,
        "--check would change:\n{}",
        check.describe()
    );

    // 4. password and root logins are refused; the operator's key works, with sudo
    on_every_node(nodes, |nodes, node| {
        let key = nodes.operator_key().private_key();
        let out = nodes.ssh_key("ops", key, &node.ipv4, "sudo -n hostname");
        if !out.status.success() || text(&out).trim() != node.name {
            return Err(format!(
                "{}: operator key login + sudo: {}",
                node.name,
                text(&out)
            ));
        }
        let out = nodes.ssh_key("ops", key, &node.ipv6, "true");
        if !out.status.success() {
            return Err(format!(
                "{}: operator login over IPv6: {}",
                node.name,
                text(&out)
            ));
        }
        let out = nodes.ssh_root_password(node, "true");
        if out.status.success() {
            return Err(format!("{}: root password login still works", node.name));
        }
        // even with a key in root's authorized_keys, root may not log in
        let public = nodes.operator_key().public_openssh();
        nodes.exec_ok(
            node,
            &[
                "sh",
                "-c",
                "mkdir -p /root/.ssh && printf '%s\\n' \"$0\" > /root/.ssh/authorized_keys",
                public,
            ],
        );
        let out = nodes.ssh_key("root", key, &node.ipv4, "true");
        nodes.exec_ok(node, &["rm", "-f", "/root/.ssh/authorized_keys"]);
        if out.status.success() {
            return Err(format!("{}: root key login still works", node.name));
        }
        let effective = nodes.exec_ok(node, &["sshd", "-T"]);
        for want in ["permitrootlogin no", "passwordauthentication no"] {
            if !effective.lines().any(|l| l == want) {
                return Err(format!("{}: sshd -T lacks {want:?}", node.name));
            }
        }
        Ok(())
    });

    // 5. every node has its host name and resolves every node's name to its addresses
    on_every_node(nodes, |nodes, node| {
        let hostname = nodes.exec_ok(node, &["hostname"]);
        if hostname != node.name {
            return Err(format!("{}: hostname is {hostname:?}", node.name));
        }
        for peer in nodes.all() {
            let v6 = nodes.exec_ok(node, &["getent", "ahostsv6", &peer.name]);
            let v4 = nodes.exec_ok(node, &["getent", "ahostsv4", &peer.name]);
            if !v6
                .lines()
                .any(|l| l.starts_with(&format!("{} ", peer.ipv6)))
                || !v4
                    .lines()
                    .any(|l| l.starts_with(&format!("{} ", peer.ipv4)))
            {
                return Err(format!(
                    "{} resolves {} to {v6:?} / {v4:?}",
                    node.name, peer.name
                ));
            }
        }
        let ping = nodes.exec(node, &["ping", "-6", "-c1", "-W2", "m1"]);
        if !ping.status.success() {
            return Err(format!(
                "{} cannot ping m1 by name: {}",
                node.name,
                text(&ping)
            ));
        }
        Ok(())
    });

    // 5b. Docker's daemon is enabled, running and answering its API on every node
    on_every_node(nodes, |nodes, node| {
        let enabled = nodes.exec(node, &["systemctl", "is-enabled", "docker"]);
        if text(&enabled).trim() != "enabled" {
            return Err(format!(
                "{}: docker is not enabled: {}",
                node.name,
                text(&enabled)
            ));
        }
        let info = nodes.exec(
            node,
            &[
                "docker",
                "info",
                "--format",
                "{{.ServerVersion}} {{.Driver}}",
            ],
        );
        let answer = text(&info);
        if !info.status.success() || answer.split_whitespace().count() != 2 {
            return Err(format!("{}: docker info: {answer}", node.name));
        }
        Ok(())
    });

    wrong_host_key_is_refused_under_strict(nodes);
    a_down_host_is_unreachable_and_the_others_converge(nodes, inventory);
    bootstrap_reconverges_one_node(nodes);
    first.elapsed
}

/// 6. m1 presenting a key that is not the one on record is refused; s1 in the same run converges
///    (with `--limit`, so the other nodes stay in the `/etc/hosts` block).
fn wrong_host_key_is_refused_under_strict(nodes: &'static TestNodes) {
    let known = std::fs::read_to_string(nodes.known_hosts()).unwrap();
    let forged: String = known
        .lines()
        .filter(|l| !l.starts_with("m1,"))
        .flat_map(|l| {
            let mut lines = vec![format!("{l}\n")];
            if l.starts_with("m2,") {
                lines
                    .push(l.replacen("m2,10.77.0.12,fd77::12", "m1,10.77.0.11,fd77::11", 1) + "\n");
            }
            lines
        })
        .collect();
    let forged_file = nodes.work_dir().join("forged_known_hosts");
    std::fs::write(&forged_file, forged).unwrap();
    let mut options = nodes.inventory_options();
    options.known_hosts = forged_file;
    let all: Vec<&Node> = nodes.all().iter().collect();
    let inventory = nodes.write_toml("forged", &nodes.inventory(&all, &options));
    let inventory = inventory.to_str().unwrap();
    let run = nodes.provision(&[
        "converge", "-i", inventory, "--limit", "m1,s1", "--phases", BASE,
    ]);
    assert!(
        matches!(run.exit_code, Some(1) | Some(3)),
        "a wrong host key must fail the run:\n{}",
        run.describe()
    );
    let m1_counts = &run.recap["m1"];
    assert!(
        m1_counts.ok == 0 && m1_counts.changed == 0 && m1_counts.failed + m1_counts.unreachable > 0,
        "m1 with a wrong host key: {m1_counts:?}\n{}",
        run.describe()
    );
    let why: String = run
        .steps
        .iter()
        .filter(|s| s.host == "m1")
        .map(|s| s.message.to_lowercase())
        .collect();
    assert!(
        why.contains("host key"),
        "m1's refusal does not name the host key: {why}"
    );
    let s1_counts = &run.recap["s1"];
    assert!(
        s1_counts.failed == 0 && s1_counts.unreachable == 0 && s1_counts.changed == 0,
        "s1 must converge untouched next to the refused m1: {s1_counts:?}"
    );
}

/// 7. s9 cut off the network is reported unreachable; the 11 others still converge (no change).
fn a_down_host_is_unreachable_and_the_others_converge(nodes: &'static TestNodes, inventory: &str) {
    let s9 = nodes.node("s9");
    let cut = nodes.disconnect(s9);
    let run = nodes.provision(&[
        "converge",
        "-i",
        inventory,
        "--connect-timeout",
        "5",
        "--phases",
        BASE,
    ]);
    drop(cut);
    assert_eq!(run.exit_code, Some(3), "one host down:\n{}", run.describe());
    assert!(
        run.recap["s9"].unreachable > 0,
        "s9 not unreachable:\n{}",
        run.describe()
    );
    for node in nodes.all().iter().filter(|n| n.name != "s9") {
        let counts = &run.recap[&node.name];
        assert!(
            counts.failed == 0 && counts.unreachable == 0 && counts.ok > 0,
            "{} must converge while s9 is down: {counts:?}\n{}",
            node.name,
            run.describe()
        );
    }
}

/// 8. `bootstrap` repairs one drifted node without an inventory, then finds nothing to do.
fn bootstrap_reconverges_one_node(nodes: &'static TestNodes) {
    let s5 = nodes.node("s5");
    nodes.exec_ok(s5, &["hostnamectl", "set-hostname", "drifted"]);
    nodes.exec_ok(
        s5,
        &["sh", "-c", "printf '127.0.0.1 localhost\\n' > /etc/hosts"],
    );
    let settings = nodes.write_toml("settings", &nodes.settings(&nodes.inventory_options()));
    let peers: Vec<String> = nodes
        .all()
        .iter()
        .filter(|n| n.name != "s5")
        .map(|n| format!("--peer={}={},{}", n.name, n.ipv4, n.ipv6))
        .collect();
    let mut args = vec![
        "bootstrap".to_owned(),
        "--host".into(),
        s5.ipv4.clone(),
        "--name".into(),
        "s5".into(),
        "--role".into(),
        "agent".into(),
        "--private-ipv4".into(),
        s5.ipv4.clone(),
        "--ipv6".into(),
        s5.ipv6.clone(),
        "--settings".into(),
        settings.to_str().unwrap().to_owned(),
        "--phases".into(),
        BASE.into(),
    ];
    args.extend(peers);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = nodes.provision(&args);
    assert_eq!(
        run.exit_code,
        Some(2),
        "bootstrap of drifted s5:\n{}",
        run.describe()
    );
    assert_no_failure(&run, "bootstrap");
    assert_eq!(nodes.exec_ok(s5, &["hostname"]), "s5");
    let v6 = nodes.exec_ok(s5, &["getent", "ahostsv6", "m2"]);
    assert!(v6.starts_with("fd77::12 "), "s5 resolves m2 to {v6:?}");
    let again = nodes.provision(&args);
    assert_eq!(
        again.exit_code,
        Some(0),
        "second bootstrap:\n{}",
        again.describe()
    );
    assert_eq!(
        again.changed(),
        0,
        "second bootstrap changed:\n{}",
        again.describe()
    );
}
