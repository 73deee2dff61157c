//! The built `mesos-provisioner` binary on malformed inventories and bootstrap command lines:
//! every one exits 1 (bad input), names the offending field or option, and connects to nothing.
//! The nodes' addresses point at a TCP listener this test owns, so "connects to nothing" is
//! measured, not assumed: a valid inventory aimed at the same listener does reach it.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use e2e::binary;

/// A loopback listener that counts the connections it accepts (and closes them at once).
struct Watchman {
    port: u16,
    accepted: Arc<AtomicUsize>,
}

impl Watchman {
    fn start() -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stream.is_ok() {
                    count.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        Ok(Self { port, accepted })
    }

    fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

fn provisioner(dir: &Path, args: &[&str]) -> Result<Output> {
    Command::new(binary("mesos-provisioner")?)
        .args(args)
        .current_dir(dir)
        .env_remove("CLOUDCONTROL_ADMIN_PASSWORD")
        .env_remove("MESOS_PROVISIONER_SUDO_PASSWORD")
        .output()
        .context("running mesos-provisioner")
}

/// A directory with an operator key and an empty known_hosts file.
fn keys() -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("known_hosts"), "")?;
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(dir.path().join("id_ed25519"))
        .status()
        .context("running ssh-keygen")?;
    ensure!(made.success(), "ssh-keygen failed");
    Ok(dir)
}

/// A valid inventory of one master at `127.0.0.1:port`, with `extra` TOML inserted before
/// `[[nodes]]` and the node table's lines replaced by `node` when given.
fn inventory(port: u16, extra: &str, node: Option<&str>) -> String {
    let default_node = format!(
        "name = \"m1\"\naddress = \"127.0.0.1\"\nport = {port}\nprivate_ipv4 = \"10.0.0.11\"\nrole = \"master\"\nzk_id = 1\n"
    );
    format!(
        "[ssh]\nuser = \"ops\"\nprivate_key = \"id_ed25519\"\nknown_hosts = \"known_hosts\"\nhost_key_policy = \"accept-new\"\nconnect_timeout_secs = 1\n{extra}\n[[nodes]]\n{}",
        node.unwrap_or(&default_node)
    )
}

/// Runs `converge` on `text` and checks exit 1, `field` named on stderr, no connection.
fn refused(dir: &Path, watch: &Watchman, case: &str, text: &str, field: &str) -> Result<()> {
    let file = format!("{}.toml", case.replace(' ', "_"));
    std::fs::write(dir.join(&file), text)?;
    let before = watch.connections();
    let out = provisioner(dir, &["converge", "-i", &file, "--log-dir", "logs"])?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.code() == Some(1),
        "{case}: exit {:?}, expected 1 (bad input):\n{stderr}",
        out.status.code()
    );
    ensure!(
        stderr.contains(field),
        "{case}: the error does not name `{field}`:\n{stderr}"
    );
    ensure!(
        watch.connections() == before,
        "{case}: the provisioner connected before rejecting its input"
    );
    Ok(())
}

/// Runs `bootstrap` with `args` (plus the key and known_hosts) and checks the same.
fn refused_command(
    dir: &Path,
    watch: &Watchman,
    case: &str,
    args: &[&str],
    field: &str,
) -> Result<()> {
    let port = watch.port.to_string();
    let mut all = vec!["bootstrap", "--host", "127.0.0.1", "--port", &port];
    all.extend_from_slice(args);
    all.extend_from_slice(&[
        "--private-key",
        "id_ed25519",
        "--known-hosts",
        "known_hosts",
        "--connect-timeout",
        "1",
        "--log-dir",
        "logs",
    ]);
    let before = watch.connections();
    let out = provisioner(dir, &all)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.code() == Some(1),
        "{case}: exit {:?}, expected 1 (bad input):\n{stderr}",
        out.status.code()
    );
    ensure!(
        stderr.contains(field),
        "{case}: the error does not name `{field}`:\n{stderr}"
    );
    ensure!(
        watch.connections() == before,
        "{case}: the provisioner connected before rejecting its command line"
    );
    Ok(())
}

#[test]
fn malformed_inventories_are_refused_naming_the_field_before_any_connection() -> Result<()> {
    let dir = keys()?;
    let dir = dir.path();
    let watch = Watchman::start()?;
    let port = watch.port;
    let node = |name: &str, ip: &str, role: &str| {
        format!("name = \"{name}\"\naddress = \"127.0.0.1\"\nport = {port}\nprivate_ipv4 = \"{ip}\"\nrole = \"{role}\"\n")
    };

    // The control: a valid inventory does reach the listener (and fails there, not being SSH).
    std::fs::write(dir.join("valid.toml"), inventory(port, "", None))?;
    // (Only the access and base phases: the Mesos roles would also want package sources.)
    let out = provisioner(
        dir,
        &[
            "converge",
            "-i",
            "valid.toml",
            "--phases",
            "access,base",
            "--log-dir",
            "logs",
        ],
    )?;
    ensure!(
        watch.connections() > 0,
        "a valid inventory never reached the listener: exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );

    let cases: Vec<(&str, String, &str)> = vec![
        (
            "root user",
            inventory(port, "", None).replace("user = \"ops\"", "user = \"root\""),
            "ssh.user",
        ),
        (
            "no private key",
            inventory(port, "", None).replace("private_key = \"id_ed25519\"\n", ""),
            "ssh.private_key",
        ),
        (
            "missing key file",
            inventory(port, "", None).replace("id_ed25519", "nowhere/id_ed25519"),
            "ssh.private_key",
        ),
        (
            "strict without known_hosts",
            inventory(port, "", None)
                .replace(
                    "known_hosts = \"known_hosts\"",
                    "known_hosts = \"absent_known_hosts\"",
                )
                .replace("accept-new", "strict"),
            "ssh.known_hosts",
        ),
        (
            "bad host key policy",
            inventory(port, "", None).replace("accept-new", "trusting"),
            "host_key_policy",
        ),
        (
            "unknown ssh key",
            inventory(port, "", None).replace("user = \"ops\"", "usr = \"ops\""),
            "usr",
        ),
        (
            "ssh port as text",
            inventory(port, "", None).replace("[ssh]\n", "[ssh]\nport = \"22\"\n"),
            "port",
        ),
        (
            "zero forks",
            inventory(port, "[run]\nforks = 0\n", None),
            "run.forks",
        ),
        (
            "bad lvm disk",
            inventory(port, "[base]\nlvm_disk = \"sdb\"\n", None),
            "base.lvm_disk",
        ),
        (
            "bad time_allow",
            inventory(port, "[base]\ntime_allow = [\"ten.0.0.0/24\"]\n", None),
            "base.time_allow[0]",
        ),
        (
            "bad time server",
            inventory(port, "[base]\ntime_servers = [\"ntp server!\"]\n", None),
            "base.time_servers[0]",
        ),
        (
            "bad os_update",
            inventory(port, "[base]\nos_update = \"sometimes\"\n", None),
            "os_update",
        ),
        (
            "no docker packages",
            inventory(port, "[docker]\npackages = []\n", None),
            "docker.packages",
        ),
        (
            "bad apt source",
            inventory(
                port,
                "[docker]\n[docker.apt]\nsource = \"rpm http://example.invalid/\"\n",
                None,
            ),
            "docker.apt.source",
        ),
        (
            "empty yum baseurl",
            inventory(port, "[docker]\n[docker.yum]\nbaseurl = \"\"\n", None),
            "docker.yum.baseurl",
        ),
        (
            "daemon_json not JSON",
            inventory(port, "[docker]\ndaemon_json = '[1'\n", None),
            "docker.daemon_json",
        ),
        (
            "bad node name",
            inventory(port, "", Some(&node("Master_1", "10.0.0.11", "master"))),
            "nodes[0].name",
        ),
        (
            "bad role",
            inventory(port, "", Some(&node("m1", "10.0.0.11", "boss"))),
            "nodes[0].role",
        ),
        (
            "bad IPv4",
            inventory(port, "", Some(&node("m1", "10.0.0.300", "master"))),
            "nodes[0].private_ipv4",
        ),
        (
            "bad IPv6",
            inventory(
                port,
                "",
                Some(&format!(
                    "{}ipv6 = \"fd77::zz\"\n",
                    node("m1", "10.0.0.11", "master")
                )),
            ),
            "nodes[0].ipv6",
        ),
        (
            "no address for hosts",
            inventory(
                port,
                "",
                Some(&format!(
                    "name = \"m1\"\naddress = \"127.0.0.1\"\nport = {port}\nrole = \"master\"\n"
                )),
            ),
            "nodes[0]: needs private_ipv4 or ipv6",
        ),
        (
            "address with a space",
            inventory(
                port,
                "",
                Some(
                    &node("m1", "10.0.0.11", "master")
                        .replace("address = \"127.0.0.1\"", "address = \"127.0.0.1 22\""),
                ),
            ),
            "nodes[0].address",
        ),
        (
            "node port zero",
            inventory(
                port,
                "",
                Some(
                    &node("m1", "10.0.0.11", "master")
                        .replace(&format!("port = {port}"), "port = 0"),
                ),
            ),
            "nodes[0].port",
        ),
        (
            "duplicate name",
            inventory(
                port,
                "",
                Some(&format!(
                    "{}\n[[nodes]]\n{}",
                    node("m1", "10.0.0.11", "master"),
                    node("m1", "10.0.0.12", "agent").replace("127.0.0.1", "127.0.0.2")
                )),
            ),
            "nodes[1].name",
        ),
        (
            "duplicate address",
            inventory(
                port,
                "",
                Some(&format!(
                    "{}\n[[nodes]]\n{}",
                    node("m1", "10.0.0.11", "master"),
                    node("a1", "10.0.0.11", "agent").replace("127.0.0.1", "127.0.0.2")
                )),
            ),
            "nodes[1].private_ipv4",
        ),
        (
            "two masters",
            inventory(
                port,
                "",
                Some(&format!(
                    "{}\n[[nodes]]\n{}",
                    node("m1", "10.0.0.11", "master"),
                    node("m2", "10.0.0.12", "master").replace("127.0.0.1", "127.0.0.2")
                )),
            ),
            "2 masters",
        ),
        (
            "no master",
            inventory(port, "", Some(&node("a1", "10.0.0.21", "agent"))),
            "role = \"master\"",
        ),
        (
            "unknown node key",
            inventory(
                port,
                "",
                Some(&format!(
                    "{}flavour = \"large\"\n",
                    node("m1", "10.0.0.11", "master")
                )),
            ),
            "flavour",
        ),
    ];
    ensure!(cases.len() >= 20);
    for (case, text, field) in &cases {
        refused(dir, &watch, case, text, field)?;
    }

    // Options that break an otherwise valid inventory.
    std::fs::write(dir.join("ok.toml"), inventory(port, "", None))?;
    for (case, args, field) in [
        (
            "--limit of an unknown node",
            vec!["--limit", "m9"],
            "--limit",
        ),
        ("--forks 0", vec!["--forks", "0"], "run.forks"),
        (
            "--host-key-policy of nothing known",
            vec!["--host-key-policy", "lax"],
            "--host-key-policy",
        ),
        (
            "--known-hosts that is missing under strict",
            vec!["--host-key-policy", "strict", "--known-hosts", "gone"],
            "ssh.known_hosts",
        ),
        (
            "an admin password on the command line",
            vec!["--admin-password", "hunter2"],
            "--admin-password",
        ),
    ] {
        let mut all = vec!["converge", "-i", "ok.toml", "--log-dir", "logs"];
        all.extend(args);
        let before = watch.connections();
        let out = provisioner(dir, &all)?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        ensure!(
            out.status.code() == Some(1),
            "{case}: exit {:?}:\n{stderr}",
            out.status.code()
        );
        ensure!(
            stderr.contains(field),
            "{case}: `{field}` not named:\n{stderr}"
        );
        ensure!(
            watch.connections() == before,
            "{case}: connected before refusing"
        );
    }
    Ok(())
}

#[test]
fn malformed_bootstrap_command_lines_are_refused_naming_the_option_before_any_connection(
) -> Result<()> {
    let dir = keys()?;
    let dir = dir.path();
    let watch = Watchman::start()?;
    std::fs::write(dir.join("with-nodes.toml"), "[[nodes]]\nname = \"x\"\naddress = \"127.0.0.1\"\nrole = \"agent\"\nprivate_ipv4 = \"10.0.0.9\"\n")?;
    let cases: [(&str, Vec<&str>, &str); 9] = [
        (
            "peer with a bad IPv6",
            vec![
                "--name",
                "node7",
                "--role",
                "agent",
                "--private-ipv4",
                "10.0.0.27",
                "--peer",
                "master1=10.0.0.11,not-an-ip",
            ],
            "--peer",
        ),
        (
            "peer without a name",
            vec![
                "--name",
                "node7",
                "--role",
                "agent",
                "--private-ipv4",
                "10.0.0.27",
                "--peer",
                "=10.0.0.11,",
            ],
            "--peer",
        ),
        (
            "peer without addresses",
            vec![
                "--name",
                "node7",
                "--role",
                "agent",
                "--private-ipv4",
                "10.0.0.27",
                "--peer",
                "master1=,",
            ],
            "--peer",
        ),
        (
            "bad node name",
            vec![
                "--name",
                "Node_7",
                "--role",
                "agent",
                "--private-ipv4",
                "10.0.0.27",
            ],
            "name",
        ),
        (
            "bad private IPv4",
            vec![
                "--name",
                "node7",
                "--role",
                "agent",
                "--private-ipv4",
                "10.0.0.270",
            ],
            "--private-ipv4",
        ),
        (
            "bad role",
            vec![
                "--name",
                "node7",
                "--role",
                "worker",
                "--private-ipv4",
                "10.0.0.27",
            ],
            "--role",
        ),
        (
            "no address for /etc/hosts",
            vec!["--name", "node7", "--role", "agent"],
            "needs private_ipv4 or ipv6",
        ),
        (
            "settings with nodes",
            vec![
                "--name",
                "node7",
                "--role",
                "agent",
                "--private-ipv4",
                "10.0.0.27",
                "--settings",
                "with-nodes.toml",
            ],
            "--settings",
        ),
        (
            "root as the operator",
            vec![
                "--name",
                "node7",
                "--role",
                "agent",
                "--private-ipv4",
                "10.0.0.27",
                "--user",
                "root",
            ],
            "ssh.user",
        ),
    ];
    for (case, args, field) in &cases {
        refused_command(dir, &watch, case, args, field)?;
    }
    // The control: a valid command line does reach the listener.
    let port = watch.port.to_string();
    let _ = provisioner(
        dir,
        &[
            "bootstrap",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--name",
            "node7",
            "--role",
            "agent",
            "--private-ipv4",
            "10.0.0.27",
            "--peer",
            "m1=10.0.0.11,fd00::11,master,1",
            "--phases",
            "access,base",
            "--private-key",
            "id_ed25519",
            "--known-hosts",
            "known_hosts",
            "--host-key-policy",
            "accept-new",
            "--connect-timeout",
            "1",
            "--log-dir",
            "logs",
        ],
    )?;
    std::thread::sleep(Duration::from_millis(100));
    ensure!(
        watch.connections() > 0,
        "a valid bootstrap never reached the listener"
    );
    Ok(())
}
