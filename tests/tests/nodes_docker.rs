//! Real Docker containers inside the test nodes, set up by the real provisioner: two agents
//! converged with the base role (Docker from the offline repository, the registry in `mz-ctl` as
//! registry mirror), then the Mesos use case's sample app, `python3 -m http.server 8080` in image
//! `python:3`, pulled through the mirror, answering on a mapped port at the node's address, its
//! cgroups inside the node's own subtree on the host.

use std::path::Path;
use std::time::{Duration, Instant};

use e2e::nodes::{self, Node, TestNodes};

/// A host port in the Mesos agents' default range (31000-32000), as Marathon would map it.
const HOST_PORT: u16 = 31080;

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `GET url` with curl from `mz-ctl`, retried until `deadline`: the status code and body.
fn get_from_ctl(nodes: &TestNodes, url: &str, deadline: Instant) -> (String, String) {
    loop {
        let out = nodes
            .ctl_command("curl")
            .args(["-sS", "--max-time", "3", "-w", "\n%{http_code}", url])
            .output()
            .expect("running curl in mz-ctl");
        let answer = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            let (body, code) = answer.rsplit_once('\n').unwrap_or(("", &answer));
            return (code.to_owned(), body.to_owned());
        }
        assert!(
            Instant::now() < deadline,
            "{url} does not answer from mz-ctl: {}",
            text(&out)
        );
        std::thread::sleep(Duration::from_millis(200));
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

#[test]
fn sample_app_container_serves_on_a_mapped_port_of_a_converged_agent() {
    let Some(nodes) = nodes::acquire() else {
        return;
    };
    let started = Instant::now();
    let (s1, s2) = (nodes.node("s1"), nodes.node("s2"));
    let all: Vec<&Node> = nodes.all().iter().collect();
    let inventory = nodes.write_toml(
        "cluster",
        &nodes.inventory(&all, &nodes.inventory_options()),
    );
    let run = nodes.provision(&[
        "converge",
        "-i",
        inventory.to_str().unwrap(),
        "--limit",
        "s1,s2",
    ]);
    assert_eq!(run.exit_code, Some(2), "converge:\n{}", run.describe());
    assert_eq!(
        run.recap.keys().collect::<Vec<_>>(),
        ["s1", "s2"],
        "--limit must touch only s1 and s2"
    );
    for (host, counts) in &run.recap {
        assert!(
            counts.failed == 0 && counts.unreachable == 0,
            "{host}: {counts:?}\n{}",
            run.describe()
        );
    }

    // both daemons use the mirror the inventory's daemon_json names
    let want_mirror = format!("[\"{}/\"]", nodes.registry_mirror());
    for node in [s1, s2] {
        let mirrors = nodes.exec_ok(
            node,
            &[
                "docker",
                "info",
                "--format",
                "{{json .RegistryConfig.Mirrors}}",
            ],
        );
        assert_eq!(mirrors, want_mirror, "{}: registry mirrors", node.name);
    }

    // the sample app, as the use case runs it; `python:3` comes through the mirror
    let container_started = Instant::now();
    let id = nodes.exec_ok(
        s1,
        &[
            "docker",
            "run",
            "-d",
            "-p",
            &format!("{HOST_PORT}:8080"),
            "python:3",
            "python3",
            "-m",
            "http.server",
            "8080",
        ],
    );
    let id = id.lines().last().unwrap_or_default().to_owned();
    assert_eq!(id.len(), 64, "docker run printed no container id: {id:?}");
    let url = format!("http://{}:{HOST_PORT}/", s1.ipv4);
    let (code, body) = get_from_ctl(nodes, &url, Instant::now() + Duration::from_secs(20));
    eprintln!(
        "sample app: pulled, started and answering {url} in {:.1} s",
        container_started.elapsed().as_secs_f64()
    );
    assert_eq!(code, "200", "{url}: {body}");
    assert!(
        body.contains("Directory listing for /"),
        "{url} is not http.server's listing: {body}"
    );

    // its cgroups are real, writable and confined to s1's own subtree on the host
    assert_container_cgroup(nodes, s1, "memory", &id);
    assert_container_cgroup(nodes, s1, "cpuset", &id);

    // the second agent pulls and runs the image as well
    let out = nodes.exec(
        s2,
        &[
            "docker",
            "run",
            "--rm",
            "python:3",
            "python3",
            "-c",
            "import http.server; print('ok')",
        ],
    );
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok",
        "s2: {}",
        text(&out)
    );

    nodes.exec_ok(s1, &["docker", "rm", "-f", &id]);
    eprintln!(
        "nodes_docker: {:.1} s after the nodes were up",
        started.elapsed().as_secs_f64()
    );
}
