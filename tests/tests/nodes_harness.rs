//! The test-node infrastructure itself, before any provisioning: the 12 nodes answer real SSH as
//! root with the administrator password under strict host key checking, over IPv4 and IPv6, and
//! are what the provisioner's tests assume (own identity, extra disk, offline apt, no way out).

use std::thread;

use e2e::nodes::{self, Node, TestNodes};

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

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn every_node_accepts_root_password_login_under_strict_host_keys() {
    let Some(nodes) = nodes::acquire() else {
        return;
    };
    assert_eq!(nodes.all().len(), 12);
    on_every_node(nodes, |nodes, node| {
        let out = nodes.ssh_root_password(node, "hostname; id -u");
        if !out.status.success() {
            return Err(format!(
                "{}: root password login failed: {}",
                node.name,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let expected = format!("{}\n0", node.name);
        if stdout(&out) != expected {
            return Err(format!("{}: got {:?}", node.name, stdout(&out)));
        }
        Ok(())
    });
}

#[test]
fn a_changed_host_key_is_refused_by_strict_checking() {
    let Some(nodes) = nodes::acquire() else {
        return;
    };
    let m1 = nodes.node("m1");
    // m1's addresses paired with m2's keys: what a man in the middle (or a rebuilt host) looks like
    let known = std::fs::read_to_string(nodes.known_hosts()).unwrap();
    let forged: String = known
        .lines()
        .filter(|l| l.starts_with("m2,"))
        .map(|l| l.replacen("m2,10.77.0.12,fd77::12", "m1,10.77.0.11,fd77::11", 1) + "\n")
        .collect();
    assert!(!forged.is_empty(), "known_hosts has no m2 lines:\n{known}");
    let forged_file = nodes.work_dir().join("forged_known_hosts");
    std::fs::write(&forged_file, forged).unwrap();
    let out = nodes.ssh_key("root", nodes.operator_key().private_key(), &m1.ipv4, "true");
    assert!(
        !out.status.success(),
        "root key login must fail before the key is installed"
    );
    let out = nodes
        .ctl_command("ssh")
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", forged_file.display()))
        .args([
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=5",
        ])
        .arg(format!("root@{}", m1.ipv4))
        .arg("true")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("HOST IDENTIFICATION HAS CHANGED")
            || err.contains("Host key verification failed"),
        "unexpected ssh error: {err}"
    );
}

#[test]
fn nodes_reach_each_other_over_ipv6_and_nothing_else() {
    let Some(nodes) = nodes::acquire() else {
        return;
    };
    on_every_node(nodes, |nodes, node| {
        let peer = if node.name == "s9" { "m1" } else { "s9" };
        let peer = nodes.node(peer);
        let ping = nodes.exec(node, &["ping", "-6", "-c1", "-W2", &peer.ipv6]);
        if !ping.status.success() {
            return Err(format!("{} cannot ping {} over IPv6", node.name, peer.ipv6));
        }
        for target in ["1.1.1.1", "2001:db8::1"] {
            let route = nodes.exec(node, &["ip", "route", "get", target]);
            if route.status.success() {
                return Err(format!(
                    "{} has a route to {target}: {}",
                    node.name,
                    stdout(&route)
                ));
            }
        }
        Ok(())
    });
    let s5 = nodes.node("s5");
    let out = nodes.ssh_root_password_via(s5, true, "echo $SSH_CONNECTION");
    assert!(
        out.status.success(),
        "root login over IPv6 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).starts_with("fd77::2 ") && stdout(&out).contains(&format!(" {} 22", s5.ipv6)),
        "unexpected SSH_CONNECTION {:?}",
        stdout(&out)
    );
}

#[test]
fn nodes_have_systemd_an_extra_disk_and_only_the_offline_repository() {
    let Some(nodes) = nodes::acquire() else {
        return;
    };
    on_every_node(nodes, |nodes, node| {
        let state = stdout(&nodes.exec(node, &["systemctl", "is-system-running"]));
        if state != "running" {
            return Err(format!("{}: systemd is {state:?}", node.name));
        }
        if !nodes
            .exec(node, &["test", "-b", "/dev/sdb"])
            .status
            .success()
        {
            return Err(format!("{}: no block device /dev/sdb", node.name));
        }
        let sources = stdout(&nodes.exec(node, &["apt-get", "indextargets", "--format", "$(URI)"]));
        if sources.is_empty() || sources.lines().any(|l| !l.starts_with("file:")) {
            return Err(format!(
                "{}: apt sources not only local: {sources}",
                node.name
            ));
        }
        Ok(())
    });
    // the repository really installs, offline (sudo is small; the provisioner installs it anyway)
    let s1 = nodes.node("s1");
    let out = nodes.exec(
        s1,
        &[
            "apt-get",
            "install",
            "-s",
            "-q",
            "sudo",
            "chrony",
            "lvm2",
            "docker.io",
            "zookeeperd",
        ],
    );
    assert!(
        out.status.success(),
        "offline repository cannot satisfy the roles' packages: {}{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The second offline repository, for the Mesos and Marathon stand-in packages: listed on every
/// node, clean while empty, and refreshed while the nodes run (a package built after `up` becomes
/// installable after the node's next `apt-get update`).
#[test]
fn the_stand_in_repository_is_listed_clean_and_refreshable() {
    let Some(nodes) = nodes::acquire() else {
        return;
    };
    let s3 = nodes.node("s3");
    let update = nodes.exec(s3, &["apt-get", "update", "-q"]);
    let stderr = String::from_utf8_lossy(&update.stderr);
    assert!(
        update.status.success()
            && !stderr
                .lines()
                .any(|l| l.starts_with("W:") || l.starts_with("E:")),
        "apt-get update with the stand-in repository: {}{stderr}",
        stdout(&update)
    );
    let sources = stdout(&nodes.exec(s3, &["apt-get", "indextargets", "--format", "$(URI)"]));
    assert!(
        sources
            .lines()
            .any(|l| l.starts_with("file:/var/local/test-nodes-standins/")),
        "the stand-in repository is not an apt source: {sources}"
    );

    // a package made now, after `up`, by dpkg-deb (a probe, not a stand-in)
    let debs = nodes.work_dir().join("standin-debs");
    let tree = nodes.work_dir().join("probe-tree");
    std::fs::create_dir_all(tree.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(&debs).unwrap();
    std::fs::write(
        tree.join("DEBIAN/control"),
        "Package: test-nodes-probe\nVersion: 1.0-1\nArchitecture: all\n\
         Maintainer: e2e <e2e@example.invalid>\nDescription: repository probe of the e2e tests\n",
    )
    .unwrap();
    let build = std::process::Command::new("dpkg-deb")
        .args(["--build", "--root-owner-group"])
        .arg(&tree)
        .arg(debs.join("test-nodes-probe_1.0-1_all.deb"))
        .output()
        .expect("running dpkg-deb");
    assert!(
        build.status.success(),
        "dpkg-deb: {}",
        String::from_utf8_lossy(&build.stderr)
    );
    nodes.refresh_standins(&debs).unwrap();
    nodes.exec_ok(s3, &["apt-get", "update", "-q"]);
    let policy = nodes.exec_ok(s3, &["apt-cache", "policy", "test-nodes-probe"]);
    assert!(
        policy.contains("Candidate: 1.0-1"),
        "the refreshed repository does not offer the probe: {policy}"
    );

    // and an emptied source empties the repository again
    std::fs::remove_file(debs.join("test-nodes-probe_1.0-1_all.deb")).unwrap();
    nodes.refresh_standins(&debs).unwrap();
    nodes.exec_ok(s3, &["apt-get", "update", "-q"]);
    let policy = nodes.exec_ok(s3, &["apt-cache", "policy", "test-nodes-probe"]);
    assert!(
        !policy.contains("Candidate: 1.0-1"),
        "the probe is still offered: {policy}"
    );
}
