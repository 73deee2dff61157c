//! The 12 real test nodes of `scripts/test-nodes` for end-to-end tests: brings them up once per
//! test binary, hands out their addresses, the administrator password file, a known_hosts file and
//! a fresh operator key pair, and runs commands in the client namespace `mz-ctl` or on a node.
//!
//! Tests call [`acquire`]; it returns `None` (after printing why) on machines that cannot run the
//! nodes (not root, no network namespaces or nspawn), except when the environment variable `CI` is
//! set: there it panics, because CI must run these tests.

mod keys;
pub mod mesos;
pub mod provisioner;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Instant;

use anyhow::{bail, Context as _, Result};

pub use keys::OperatorKey;

/// The network namespace clients (and the provisioner) run in: 10.77.0.2 / fd77::2.
pub const CTL_NAMESPACE: &str = "mz-ctl";
/// The namespace holding the bridge; each node's bridge port is named like the node.
const HUB_NAMESPACE: &str = "mz-hub";

/// One test node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Its name and host name at first boot (`m1`..`m3`, `s1`..`s9`).
    pub name: String,
    /// Its IPv4 address on the private bridge.
    pub ipv4: String,
    /// Its IPv6 (ULA) address on the private bridge.
    pub ipv6: String,
}

impl Node {
    /// `master` for m1..m3, `agent` for s1..s9.
    pub fn role(&self) -> &'static str {
        if self.name.starts_with('m') {
            "master"
        } else {
            "agent"
        }
    }

    /// A master's ZooKeeper id, from its name (`m2` is 2); `None` for agents.
    pub fn zk_id(&self) -> Option<u8> {
        self.name.strip_prefix('m').and_then(|n| n.parse().ok())
    }
}

/// The running test nodes, shared by every test of one test binary.
#[derive(Debug)]
pub struct TestNodes {
    script: PathBuf,
    password_file: PathBuf,
    known_hosts: PathBuf,
    work_dir: PathBuf,
    nodes: Vec<Node>,
    operator: OperatorKey,
    registry_mirror: String,
}

static NODES: OnceLock<std::result::Result<TestNodes, String>> = OnceLock::new();

/// The test nodes, started (or taken over) on first use; `None` when this machine cannot run them
/// and `CI` is unset. Panics when they should run but do not come up.
pub fn acquire() -> Option<&'static TestNodes> {
    if let Some(reason) = unavailable_reason() {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!(
                "the test nodes cannot run on this machine, but CI must run these tests: {reason}"
            );
        }
        // Written to the real stderr, not the test harness's capture, so the skip is seen.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: test nodes unavailable here ({reason}); run as root on Linux to run this test"
        );
        return None;
    }
    match NODES.get_or_init(|| TestNodes::start().map_err(|e| format!("{e:#}"))) {
        Ok(nodes) => Some(nodes),
        Err(e) => panic!("the test nodes did not come up: {e}"),
    }
}

/// Why this machine cannot run the nodes, if it cannot.
pub fn unavailable_reason() -> Option<String> {
    if !cfg!(target_os = "linux") {
        return Some("not Linux".into());
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().next().map(str::to_owned));
    if uid.as_deref() != Some("0") {
        return Some("not running as root".into());
    }
    if !runs("ip", &["-V"]) {
        return Some("the `ip` command (iproute2) is missing".into());
    }
    // scripts/test-nodes installs systemd-container itself when apt-get is there.
    if !runs("systemd-nspawn", &["--version"]) && !runs("apt-get", &["--version"]) {
        return Some("systemd-nspawn is missing and apt-get cannot install it".into());
    }
    None
}

fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

impl TestNodes {
    /// Takes over nodes that `scripts/test-nodes up` started, that no test binary has used yet and
    /// that still let root in by password, or starts fresh ones: each test binary gets nodes in
    /// their first-boot state.
    fn start() -> Result<TestNodes> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/test-nodes");
        let script = script
            .canonicalize()
            .with_context(|| format!("cannot find {}", script.display()))?;
        let env = script_output(&script, &["env"])?;
        let vars = parse_env(&env)?;
        let state = PathBuf::from(vars.state.clone());
        let claim = state.join("claimed-by-test");
        // nodes another test binary (or a person) used may be provisioned already: start afresh
        let fresh = !claim.exists()
            && Command::new(&script)
                .arg("fresh")
                .output()
                .is_ok_and(|o| o.status.success());
        // The stand-in packages of the current build go into the nodes' second repository: at
        // `up`, or by a refresh when taking over nodes that are already up.
        let rebuilt = ensure_standin_debs(Path::new(&vars.standin_debs))?;
        if fresh && rebuilt {
            run_script(&script, &["standins"])?;
        }
        if !fresh {
            let started = Instant::now();
            run_script(&script, &["down"])?;
            run_script(&script, &["up"])?;
            let _ = writeln!(
                std::io::stderr(),
                "test nodes: fresh nodes up in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        let me = format!(
            "{} {}\n",
            std::process::id(),
            std::env::current_exe().unwrap_or_default().display()
        );
        std::fs::write(&claim, me).with_context(|| format!("writing {}", claim.display()))?;
        let work_dir = state.join(format!("harness-{}", std::process::id()));
        std::fs::create_dir_all(&work_dir)
            .with_context(|| format!("creating {}", work_dir.display()))?;
        let operator = OperatorKey::generate(&work_dir.join("operator"), "operator@e2e")?;
        Ok(TestNodes {
            script,
            password_file: vars.password_file.into(),
            known_hosts: vars.known_hosts.into(),
            work_dir,
            nodes: vars.nodes,
            operator,
            registry_mirror: vars.registry,
        })
    }

    /// All 12 nodes, masters first.
    pub fn all(&self) -> &[Node] {
        &self.nodes
    }

    /// The node with this name; panics for an unknown name (a bug in the test).
    pub fn node(&self, name: &str) -> &Node {
        self.nodes
            .iter()
            .find(|n| n.name == name)
            .unwrap_or_else(|| panic!("no test node named {name}"))
    }

    /// The root-only file holding every node's administrator (root) password.
    pub fn password_file(&self) -> &Path {
        &self.password_file
    }

    /// A known_hosts file with every node's host keys, read from the nodes themselves.
    pub fn known_hosts(&self) -> &Path {
        &self.known_hosts
    }

    /// The operator key pair made for this test binary.
    pub fn operator_key(&self) -> &OperatorKey {
        &self.operator
    }

    /// The URL of the registry in `mz-ctl` that serves the sample app's image (`python:3`), for
    /// the nodes' Docker as its registry mirror.
    pub fn registry_mirror(&self) -> &str {
        &self.registry_mirror
    }

    /// The host directories of `node`'s own cgroup, one per hierarchy (`memory`, `cpuset`, ...,
    /// `name=systemd`, `unified`): the node's `/sys/fs/cgroup/<hierarchy>` is that directory.
    pub fn cgroup_dirs(&self, node: &Node) -> BTreeMap<String, PathBuf> {
        let text = script_output(&self.script, &["cgroups", &node.name])
            .unwrap_or_else(|e| panic!("{e:#}"));
        text.lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(hierarchy, dir)| (hierarchy.to_owned(), PathBuf::from(dir)))
            .collect()
    }

    /// Makes the nodes' stand-in package repository (`/var/local/test-nodes-standins`) hold
    /// exactly the `*.deb` files of `debs`, re-indexed (`scripts/test-nodes standins`); the nodes
    /// see it after their next `apt-get update`.
    pub fn refresh_standins(&self, debs: &Path) -> Result<()> {
        let out = Command::new(&self.script)
            .arg("standins")
            .env("TEST_NODES_STANDIN_DEBS", debs)
            .output()
            .with_context(|| format!("running {} standins", self.script.display()))?;
        if !out.status.success() {
            bail!(
                "{} standins failed: {}",
                self.script.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }

    /// A directory for this test binary's files, visible in `mz-ctl` too; removed by `down`.
    pub fn work_dir(&self) -> &Path {
        &self.work_dir
    }

    /// A command that runs `program` inside the client namespace `mz-ctl`.
    pub fn ctl_command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", CTL_NAMESPACE]).arg(program);
        cmd
    }

    /// Runs `args` on `node` as root, inside its namespaces (no SSH involved): for assertions.
    pub fn exec(&self, node: &Node, args: &[&str]) -> Output {
        Command::new(&self.script)
            .args(["exec", &node.name])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("running {} exec: {e}", self.script.display()))
    }

    /// Like [`TestNodes::exec`] but panics unless the command succeeds; returns its trimmed stdout.
    pub fn exec_ok(&self, node: &Node, args: &[&str]) -> String {
        let out = self.exec(node, args);
        assert!(
            out.status.success(),
            "on {}: {:?} failed: {}{}",
            node.name,
            args,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Real OpenSSH from `mz-ctl` as root with the administrator password (never on a command
    /// line) and strict host key checking; `Output` says whether the login worked.
    pub fn ssh_root_password(&self, node: &Node, command: &str) -> Output {
        self.ssh_root_password_via(node, false, command)
    }

    /// [`TestNodes::ssh_root_password`] to the node's IPv6 address when `ipv6` is set.
    pub fn ssh_root_password_via(&self, node: &Node, ipv6: bool, command: &str) -> Output {
        let mut args = vec!["ssh"];
        if ipv6 {
            args.push("-6");
        }
        Command::new(&self.script)
            .args(args)
            .args([&node.name, command])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("running {} ssh: {e}", self.script.display()))
    }

    /// Real OpenSSH from `mz-ctl` as `user` with `key` only (no password), strict host keys.
    pub fn ssh_key(&self, user: &str, key: &Path, address: &str, command: &str) -> Output {
        self.ctl_command("ssh")
            .args(["-i"])
            .arg(key)
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", self.known_hosts.display()))
            .args([
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "BatchMode=yes",
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "PreferredAuthentications=publickey",
                "-o",
                "ConnectTimeout=5",
                "-o",
                "LogLevel=ERROR",
            ])
            .arg(format!("{user}@{address}"))
            .arg(command)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("running ssh in mz-ctl")
    }

    /// Powers `node` off (`scripts/test-nodes stop`): its processes end, its disk and addresses
    /// stay, so [`TestNodes::start_node`] boots the same node again.
    pub fn stop_node(&self, node: &Node) {
        run_script(&self.script, &["stop", &node.name]).unwrap_or_else(|e| panic!("{e:#}"));
    }

    /// Boots a node stopped by [`TestNodes::stop_node`] and waits for its sshd.
    pub fn start_node(&self, node: &Node) {
        run_script(&self.script, &["start", &node.name]).unwrap_or_else(|e| panic!("{e:#}"));
    }

    /// Cuts `node` off the bridge until the returned guard is dropped.
    pub fn disconnect(&self, node: &Node) -> Disconnected {
        set_link(&node.name, "down");
        Disconnected {
            port: node.name.clone(),
        }
    }
}

/// Builds the stand-in packages into `dir` when any is missing or older than the stand-in
/// binaries of this build; returns whether it built them.
pub(crate) fn ensure_standin_debs(dir: &Path) -> Result<bool> {
    let bins: Vec<PathBuf> = [
        "mesos-master-standin",
        "mesos-agent-standin",
        "marathon-standin",
    ]
    .iter()
    .map(|b| crate::standins::binary(b))
    .collect::<Result<_>>()?;
    let newest_bin = bins
        .iter()
        .filter_map(|b| std::fs::metadata(b).and_then(|m| m.modified()).ok())
        .max();
    let debs: Vec<std::time::SystemTime> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "deb"))
                .filter_map(|e| e.metadata().and_then(|m| m.modified()).ok())
                .collect()
        })
        .unwrap_or_default();
    let stale = debs.len() < 2 || debs.iter().min() < newest_bin.as_ref();
    if stale {
        crate::standins::build_debs(dir)?;
    }
    Ok(stale)
}

/// A node cut off the bridge by [`TestNodes::disconnect`]; dropping it reconnects the node.
#[derive(Debug)]
pub struct Disconnected {
    port: String,
}

impl Drop for Disconnected {
    fn drop(&mut self) {
        set_link(&self.port, "up");
    }
}

fn set_link(port: &str, state: &str) {
    let out = Command::new("ip")
        .args(["-n", HUB_NAMESPACE, "link", "set", port, state])
        .output()
        .expect("running ip");
    assert!(
        out.status.success(),
        "ip link set {port} {state}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What `scripts/test-nodes env` tells.
#[derive(Debug, Default)]
struct ScriptEnv {
    state: String,
    password_file: String,
    known_hosts: String,
    registry: String,
    standin_debs: String,
    nodes: Vec<Node>,
}

fn parse_env(text: &str) -> Result<ScriptEnv> {
    let mut env = ScriptEnv::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        match key {
            "STATE" => env.state = value.to_owned(),
            "PASSWORD_FILE" => env.password_file = value.to_owned(),
            "KNOWN_HOSTS" => env.known_hosts = value.to_owned(),
            "REGISTRY" => env.registry = value.to_owned(),
            "STANDIN_DEBS" => env.standin_debs = value.to_owned(),
            "NODE" => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                let [name, ipv4, ipv6] = parts[..] else {
                    bail!("bad NODE line from scripts/test-nodes env: {line}");
                };
                env.nodes.push(Node {
                    name: name.into(),
                    ipv4: ipv4.into(),
                    ipv6: ipv6.into(),
                });
            }
            _ => {}
        }
    }
    if env.state.is_empty() || env.nodes.is_empty() || env.registry.is_empty() {
        bail!("scripts/test-nodes env told no state directory, registry or nodes:\n{text}");
    }
    Ok(env)
}

fn script_output(script: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(script)
        .args(args)
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !out.status.success() {
        bail!(
            "{} {} failed: {}",
            script.display(),
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs the script with its progress shown on the real stderr.
fn run_script(script: &Path, args: &[&str]) -> Result<()> {
    let out = Command::new(script)
        .args(args)
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    let _ = std::io::stderr().write_all(&out.stdout);
    let _ = std::io::stderr().write_all(&out.stderr);
    if !out.status.success() {
        bail!(
            "{} {} failed ({})",
            script.display(),
            args.join(" "),
            out.status
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_scripts_env_output() {
        let env = parse_env(
            "STATE=/s\nPASSWORD_FILE=/s/root-password\nKNOWN_HOSTS=/s/known_hosts\n\
             CTL=10.77.0.2 fd77::2 mz-ctl\nREGISTRY=http://10.77.0.2:5000\n\
             NODE=m1 10.77.0.11 fd77::11\nNODE=s9 10.77.0.29 fd77::29\n",
        )
        .unwrap();
        assert_eq!(env.state, "/s");
        assert_eq!(env.password_file, "/s/root-password");
        assert_eq!(env.registry, "http://10.77.0.2:5000");
        assert_eq!(env.nodes.len(), 2);
        assert_eq!(env.nodes[1].ipv6, "fd77::29");
        assert_eq!(env.nodes[0].role(), "master");
        assert_eq!(env.nodes[1].role(), "agent");
        assert_eq!(env.nodes[0].zk_id(), Some(1));
        assert_eq!(env.nodes[1].zk_id(), None);
    }

    #[test]
    fn rejects_env_output_without_nodes() {
        assert!(parse_env("STATE=/s\nREGISTRY=http://r\n").is_err());
        assert!(parse_env("STATE=/s\nREGISTRY=http://r\nNODE=m1 10.77.0.11\n").is_err());
        assert!(parse_env("STATE=/s\nNODE=m1 10.77.0.11 fd77::11\n").is_err());
    }
}
