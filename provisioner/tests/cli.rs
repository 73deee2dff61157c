//! The real binary, without any SSH server: input validation, exit codes and output formats.

use std::path::Path;
use std::process::{Command, Output};

fn provisioner(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mesos-provisioner"))
        .args(args)
        .current_dir(dir)
        .env_remove("CLOUDCONTROL_ADMIN_PASSWORD")
        .output()
        .expect("running mesos-provisioner")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("known_hosts"), "").unwrap();
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(dir.path().join("id_ed25519"))
        .status();
    if !status.is_ok_and(|s| s.success()) {
        // Without ssh-keygen, an OpenSSH-format key written by hand would do; the tests below
        // only need the file to exist for validation and to parse for `bootstrap`.
        std::fs::write(
            dir.path().join("id_ed25519"),
            "-----BEGIN OPENSSH PRIVATE KEY-----\n-----END OPENSSH PRIVATE KEY-----\n",
        )
        .unwrap();
    }
    dir
}

const INVENTORY: &str = r#"
[ssh]
user = "ops"
private_key = "id_ed25519"
known_hosts = "known_hosts"

[[nodes]]
name = "m1"
address = "127.0.0.1"
port = 1
private_ipv4 = "10.0.0.11"
role = "master"
zk_id = 1
"#;

#[test]
fn check_inventory_accepts_a_valid_file_and_names_every_bad_field() {
    let dir = setup();
    std::fs::write(dir.path().join("ok.toml"), INVENTORY).unwrap();
    let out = provisioner(dir.path(), &["check-inventory", "-i", "ok.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("valid (1 nodes, 1 masters, 0 agents)"));
    assert!(text(&out.stderr).contains("warning: nodes: 1 master: no failover"));

    let bad = INVENTORY
        .replace("10.0.0.11", "10.0.0.300")
        .replace("\"master\"", "\"boss\"");
    std::fs::write(dir.path().join("bad.toml"), bad).unwrap();
    let out = provisioner(dir.path(), &["check-inventory", "-i", "bad.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("nodes[0].private_ipv4: `10.0.0.300` is not an IPv4 address"),
        "{err}"
    );
    assert!(
        err.contains("nodes[0].role: `boss` must be master or agent"),
        "{err}"
    );
}

#[test]
fn a_host_that_is_down_is_unreachable_exit_3_with_a_json_recap() {
    let dir = setup();
    std::fs::write(dir.path().join("c.toml"), INVENTORY).unwrap();
    let out = provisioner(
        dir.path(),
        &[
            "converge",
            "-i",
            "c.toml",
            "--connect-timeout",
            "1",
            "--output",
            "json",
            "--log-dir",
            "logs",
            "--phases",
            "access,base",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "step");
    assert_eq!(lines[0]["host"], "m1");
    assert_eq!(lines[0]["outcome"], "unreachable");
    let recap = lines.last().unwrap();
    assert_eq!(recap["type"], "recap");
    assert_eq!(recap["exit_code"], 3);
    assert_eq!(recap["hosts"]["m1"]["unreachable"], 1);
    assert!(dir.path().join("logs/m1.log").exists());
}

#[test]
fn passwords_are_refused_on_the_command_line() {
    let dir = setup();
    let out = provisioner(
        dir.path(),
        &["converge", "-i", "c.toml", "--admin-password", "secret"],
    );
    // Usage errors are bad input (1), never 2, which means "changed".
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("unexpected argument '--admin-password'"));
}

#[test]
fn bootstrap_validates_peers_before_connecting() {
    let dir = setup();
    let out = provisioner(
        dir.path(),
        &[
            "bootstrap",
            "--host",
            "127.0.0.1",
            "--name",
            "node7",
            "--role",
            "agent",
            "--private-ipv4",
            "10.0.0.27",
            "--peer",
            "master1=10.0.0.11,not-an-ip",
            "--private-key",
            "id_ed25519",
            "--known-hosts",
            "known_hosts",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--peer `master1=10.0.0.11,not-an-ip`: `not-an-ip` is not IPv6")
    );
}
