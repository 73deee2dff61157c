//! Runs the real `mesos-provisioner` binary inside `mz-ctl` against the test nodes: locates the
//! binary, writes inventories for the nodes, and reads its JSON-lines report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde_json::Value;

use super::{Node, TestNodes};

/// `target/<profile>/mesos-provisioner` next to this test binary (`target/<profile>/deps/...`).
/// Cargo cannot hand one package's binary to another package's tests, so the workspace build
/// (`cargo build --workspace --bins`) must have made it.
/// Checked once per test binary, so a source edit during a long test does not fail its later runs.
pub fn binary() -> Result<PathBuf> {
    static BINARY: std::sync::OnceLock<std::result::Result<PathBuf, String>> =
        std::sync::OnceLock::new();
    BINARY
        .get_or_init(|| locate_binary().map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(anyhow::Error::msg)
}

fn locate_binary() -> Result<PathBuf> {
    let bin = crate::binary("mesos-provisioner")?;
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("../provisioner/src");
    if let (Ok(built), Some(edited)) = (modified(&bin), newest_modification(&sources)) {
        if edited > built {
            // a warning, not a failure: while people edit the provisioner, a test run may still
            // be worth having against the last build
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!(
                    "WARNING: {} is older than provisioner/src: run `cargo build -p mesos-provisioner` to test the current sources\n",
                    bin.display()
                )
                .as_bytes(),
            );
        }
    }
    Ok(bin)
}

fn modified(path: &Path) -> std::io::Result<std::time::SystemTime> {
    std::fs::metadata(path)?.modified()
}

fn newest_modification(dir: &Path) -> Option<std::time::SystemTime> {
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let time = if path.is_dir() {
            newest_modification(&path)
        } else {
            modified(&path).ok()
        };
        newest = newest.max(time);
    }
    newest
}

/// Settings of an inventory for the test nodes.
#[derive(Debug, Clone)]
pub struct InventoryOptions {
    /// The known_hosts file the provisioner checks host keys against.
    pub known_hosts: PathBuf,
    /// `strict`, `accept-new` or `insecure`.
    pub host_key_policy: String,
    /// How long the provisioner keeps retrying a host that does not answer.
    pub connect_timeout_secs: u64,
    /// The operator's private key the provisioner logs in with once the node is set up.
    pub private_key: PathBuf,
}

impl TestNodes {
    /// Default inventory settings: the nodes' real host keys under `strict`, this binary's operator key.
    pub fn inventory_options(&self) -> InventoryOptions {
        InventoryOptions {
            known_hosts: self.known_hosts().to_owned(),
            host_key_policy: "strict".into(),
            connect_timeout_secs: 30,
            private_key: self.operator_key().private_key().to_owned(),
        }
    }

    /// The inventory's tables except `[[nodes]]` (also `bootstrap --settings`): operator user `ops`
    /// (not `operator`: Debian already has a group of that name) with the options' key, chrony served by the masters, the extra disk auto-detected, Docker from
    /// the nodes' offline repository (their only apt source) with the registry in `mz-ctl` as its
    /// registry mirror (so a plain `docker pull python:3` works with no way out).
    pub fn settings(&self, options: &InventoryOptions) -> String {
        let masters: Vec<String> = self
            .all()
            .iter()
            .filter(|n| n.role() == "master")
            .map(|n| format!("{:?}", n.ipv4))
            .collect();
        format!(
            "[ssh]\nuser = \"ops\"\nprivate_key = {key:?}\nknown_hosts = {kh:?}\n\
             host_key_policy = {policy:?}\nconnect_timeout_secs = {timeout}\n\n\
             [run]\nforks = 12\n\n\
             [base]\nos_update = \"security\"\ntime_servers = [{servers}]\n\
             time_allow = [\"10.77.0.0/24\"]\ntime_local_stratum = 8\nlvm_disk = \"auto\"\n\n\
             [docker]\npackages = [\"docker.io\"]\nservice = \"docker\"\nstart = true\n\
             daemon_json = '{{\"registry-mirrors\": [{mirror:?}]}}'\n",
            key = options.private_key.display().to_string(),
            kh = options.known_hosts.display().to_string(),
            policy = options.host_key_policy,
            timeout = options.connect_timeout_secs,
            servers = masters.join(", "),
            mirror = self.registry_mirror(),
        )
    }

    /// An inventory (TOML) for `nodes` with [`TestNodes::settings`]; masters get their
    /// ZooKeeper id from their name (`m2` is 2).
    pub fn inventory(&self, nodes: &[&Node], options: &InventoryOptions) -> String {
        let mut toml = self.settings(options);
        for node in nodes {
            toml.push_str(&format!(
                "\n[[nodes]]\nname = {name:?}\naddress = {addr:?}\nprivate_ipv4 = {v4:?}\n\
                 ipv6 = {v6:?}\nrole = {role:?}\n",
                name = node.name,
                addr = node.ipv4,
                v4 = node.ipv4,
                v6 = node.ipv6,
                role = node.role(),
            ));
            if let Some(id) = node.zk_id() {
                toml.push_str(&format!("zk_id = {id}\n"));
            }
        }
        toml
    }

    /// Writes `toml` to `<work dir>/<name>.toml` and returns the path.
    pub fn write_toml(&self, name: &str, toml: &str) -> PathBuf {
        let path = self.work_dir().join(format!("{name}.toml"));
        std::fs::write(&path, toml).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }

    /// Runs the provisioner like [`TestNodes::provision`] and SIGKILLs it the moment it reports
    /// a step for which `kill_after` holds (as an OOM kill or a closed laptop would); returns
    /// the steps it reported. Panics if the run ends before such a step.
    pub fn provision_killed_after(
        &self,
        args: &[&str],
        kill_after: impl Fn(&Step) -> bool,
    ) -> Vec<Step> {
        use std::io::BufRead as _;
        let bin = binary().unwrap_or_else(|e| panic!("{e:#}"));
        let mut child = self
            .ctl_command(&bin)
            .args(args)
            .args(["--output", "json", "--admin-password-file"])
            .arg(self.password_file())
            .arg("--log-dir")
            .arg(self.work_dir().join("provisioner-logs"))
            .current_dir(self.work_dir())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("running {}: {e}", bin.display()));
        // `ip netns exec` execs the program, so the child is the provisioner itself.
        let stdout = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut steps = Vec::new();
        for line in stdout.lines() {
            let line = line.expect("reading the provisioner's output");
            let Ok(v) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if v["type"].as_str() != Some("step") {
                continue;
            }
            let step = Step::from_json(&v);
            let stop = kill_after(&step);
            steps.push(step);
            if stop {
                child.kill().expect("SIGKILL the provisioner");
                let _ = child.wait();
                return steps;
            }
        }
        let status = child.wait().expect("waiting for the provisioner");
        panic!("the run ended ({status}) before the step to kill it after:\n{steps:#?}");
    }

    /// Runs `mesos-provisioner <args> --output json --admin-password-file <file>` inside `mz-ctl`.
    pub fn provision(&self, args: &[&str]) -> Run {
        let bin = binary().unwrap_or_else(|e| panic!("{e:#}"));
        let log_dir = self.work_dir().join("provisioner-logs");
        let started = std::time::Instant::now();
        let out = self
            .ctl_command(&bin)
            .args(args)
            .args(["--output", "json", "--admin-password-file"])
            .arg(self.password_file())
            .arg("--log-dir")
            .arg(&log_dir)
            .current_dir(self.work_dir())
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", bin.display()));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let run = Run::parse(out.status.code(), &stdout, &stderr, started.elapsed())
            .unwrap_or_else(|e| {
                panic!("bad provisioner output ({e:#}):\nstdout:\n{stdout}\nstderr:\n{stderr}")
            });
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!(
                "provisioner {:?}: exit {:?} in {:.1} s\n",
                args,
                run.exit_code,
                run.elapsed.as_secs_f64()
            )
            .as_bytes(),
        );
        run
    }
}

/// One step result from the provisioner's JSON report.
#[derive(Debug, Clone)]
pub struct Step {
    /// Node name.
    pub host: String,
    /// Phase name.
    pub phase: String,
    /// Step name.
    pub step: String,
    /// ok / changed / failed / skipped / unreachable.
    pub outcome: String,
    /// The step's message.
    pub message: String,
}

impl Step {
    fn from_json(v: &Value) -> Step {
        Step {
            host: text(v, "host"),
            phase: text(v, "phase"),
            step: text(v, "step"),
            outcome: text(v, "outcome"),
            message: text(v, "message"),
        }
    }
}

/// Per-host counts of the recap line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Steps already converged.
    pub ok: u64,
    /// Steps that changed something (or would, under `--check`).
    pub changed: u64,
    /// Failed steps.
    pub failed: u64,
    /// Skipped steps.
    pub skipped: u64,
    /// Unreachable marks.
    pub unreachable: u64,
}

/// A finished provisioner run.
#[derive(Debug, Clone)]
pub struct Run {
    /// The process's exit code (`None` if killed by a signal).
    pub exit_code: Option<i32>,
    /// Every step line, in order.
    pub steps: Vec<Step>,
    /// The recap's counts per host.
    pub recap: BTreeMap<String, Counts>,
    /// Raw stdout and stderr, for failure messages.
    pub stdout: String,
    /// Raw stderr.
    pub stderr: String,
    /// Wall time of the run.
    pub elapsed: std::time::Duration,
}

impl Run {
    /// Parses the JSON lines of any provisioner command that ends with a recap
    /// (`converge`, `bootstrap`, `submit-apps`).
    pub fn from_output(
        exit_code: Option<i32>,
        stdout: &str,
        stderr: &str,
        elapsed: std::time::Duration,
    ) -> Result<Run> {
        Run::parse(exit_code, stdout, stderr, elapsed)
    }

    fn parse(
        exit_code: Option<i32>,
        stdout: &str,
        stderr: &str,
        elapsed: std::time::Duration,
    ) -> Result<Run> {
        let mut steps = Vec::new();
        let mut recap = None;
        for line in stdout.lines().filter(|l| l.trim_start().starts_with('{')) {
            let v: Value = serde_json::from_str(line).with_context(|| format!("line {line}"))?;
            match v["type"].as_str() {
                Some("step") => steps.push(Step::from_json(&v)),
                Some("recap") => {
                    let hosts = v["hosts"].as_object().context("recap without hosts")?;
                    let counts = hosts
                        .iter()
                        .map(|(host, c)| {
                            let n = |k: &str| c[k].as_u64().unwrap_or(0);
                            let counts = Counts {
                                ok: n("ok"),
                                changed: n("changed"),
                                failed: n("failed"),
                                skipped: n("skipped"),
                                unreachable: n("unreachable"),
                            };
                            (host.clone(), counts)
                        })
                        .collect();
                    recap = Some(counts);
                }
                _ => {}
            }
        }
        Ok(Run {
            exit_code,
            steps,
            recap: recap.context("no recap line")?,
            stdout: stdout.to_owned(),
            stderr: stderr.to_owned(),
            elapsed,
        })
    }

    /// The steps of `host` with `outcome`.
    pub fn steps_with(&self, host: &str, outcome: &str) -> Vec<&Step> {
        self.steps
            .iter()
            .filter(|s| s.host == host && s.outcome == outcome)
            .collect()
    }

    /// Total changed steps over all hosts.
    pub fn changed(&self) -> u64 {
        self.recap.values().map(|c| c.changed).sum()
    }

    /// A summary for assertion messages: exit code, non-ok steps and stderr.
    pub fn describe(&self) -> String {
        let notable: Vec<String> = self
            .steps
            .iter()
            .filter(|s| s.outcome != "ok")
            .map(|s| {
                format!(
                    "  {} {}/{}: {} {}",
                    s.host, s.phase, s.step, s.outcome, s.message
                )
            })
            .collect();
        format!(
            "exit {:?}\n{}\nstderr:\n{}",
            self.exit_code,
            notable.join("\n"),
            self.stderr
        )
    }
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_steps_and_recap() {
        let out = "{\"type\":\"step\",\"host\":\"m1\",\"phase\":\"base\",\"step\":\"hostname\",\"outcome\":\"changed\",\"message\":\"set\",\"duration_ms\":3}\n\
                   {\"type\":\"recap\",\"hosts\":{\"m1\":{\"ok\":9,\"changed\":1,\"failed\":0,\"skipped\":1,\"unreachable\":0}},\"exit_code\":2}\n";
        let run = Run::parse(Some(2), out, "", std::time::Duration::ZERO).unwrap();
        assert_eq!(run.steps.len(), 1);
        assert_eq!(run.steps_with("m1", "changed")[0].step, "hostname");
        assert_eq!(run.recap["m1"].ok, 9);
        assert_eq!(run.changed(), 1);
    }

    #[test]
    fn output_without_recap_is_an_error() {
        assert!(Run::parse(Some(1), "error: x\n", "", std::time::Duration::ZERO).is_err());
    }
}
