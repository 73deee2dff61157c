//! Row 4: provisioning the 12 test nodes with `mesos-provisioner converge` against Ansible
//! (ansible-core, the playbook in `bench/ansible/`) doing the same work, in the same run: a cold
//! run from fresh nodes, a converged re-run and a `--check` run on the converged cluster for
//! each side, the provisioner first; the nodes are made fresh again (`scripts/test-nodes down`
//! and `up`) before Ansible's cold run. Both cold runs must leave a cluster that
//! `mesos-provisioner check-health` finds healthy. Wall times and the peak memory of each side's
//! process tree (see [`tree`]) are compared as ratios, provisioner / Ansible.

mod inventory;
mod recap;
mod tree;
mod venv;

use crate::table::{Figure, Verdict};
use anyhow::{bail, Context, Result};
use e2e::nodes::provisioner::Run;
use e2e::nodes::{Node, OperatorKey, TestNodes};
use inventory::Cluster;
use recap::Totals;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use tree::Measured;

/// One of the row's figures: its id, what it measures and its target ratio.
struct Spec {
    id: &'static str,
    figure: &'static str,
    target: f64,
}

impl Spec {
    fn target_text(&self) -> String {
        format!("<= {}x", self.target)
    }

    fn skipped(&self, why: &str) -> Figure {
        Figure::skipped(self.id, 4, self.figure, &self.target_text(), why)
    }
}

const COLD: Spec = Spec {
    id: "4.cold",
    figure: "cold run from fresh nodes, vs Ansible",
    target: 0.5,
};
const CONVERGED: Spec = Spec {
    id: "4.converged",
    figure: "converged re-run, vs Ansible",
    target: 0.2,
};
/// The issue gives no target for `--check`; it gets the converged run's (a check run does the
/// reading half of a converged run).
const CHECK: Spec = Spec {
    id: "4.check",
    figure: "--check on the converged cluster, vs Ansible",
    target: 0.2,
};
const RSS: Spec = Spec {
    id: "4.rss",
    figure: "controller peak RSS (whole process tree), vs Ansible",
    target: 0.1,
};
/// How long a freshly provisioned cluster may take to report healthy.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(240);

/// The three runs of one side.
struct Side {
    cold: Measured,
    cold_totals: Totals,
    converged: Measured,
    converged_totals: Totals,
    check: Option<(Measured, Totals)>,
}

impl Side {
    fn runs(&self) -> impl Iterator<Item = &Measured> {
        [&self.cold, &self.converged]
            .into_iter()
            .chain(self.check.as_ref().map(|(m, _)| m))
    }

    fn peak_rss_kib(&self) -> u64 {
        self.runs().map(|m| m.peak_rss_kib).max().unwrap_or(0)
    }

    fn peak_pss_kib(&self) -> u64 {
        self.runs().map(|m| m.peak_pss_kib).max().unwrap_or(0)
    }
}

/// Runs row 4; `quick` leaves out the `--check` pair.
pub fn run(quick: bool) -> Result<Vec<Figure>> {
    if let Some(why) = unavailable() {
        return Ok(skipped(&why));
    }
    let workspace = e2e::terraform::workspace_root();
    let ansible_playbook = venv::ensure_ansible(&workspace)?;
    venv::ensure_sshpass()?;
    let nodes = std::panic::catch_unwind(e2e::nodes::acquire)
        .map_err(|_| anyhow::anyhow!("the test nodes did not come up (see stderr)"))?
        .context("the test nodes are unavailable on this machine (see stderr)")?;
    let dir = workspace.join("target/bench/row4");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let cluster = Cluster {
        nodes: nodes.all().to_vec(),
        // The harness's own key goes with its work directory when the nodes are made fresh.
        private_key: OperatorKey::generate(&dir.join("operator"), "ops@bench")?
            .private_key()
            .to_owned(),
        known_hosts: nodes.known_hosts().to_owned(),
        registry_mirror: nodes.registry_mirror().to_owned(),
    };
    let toml = write(
        &dir.join("inventory.toml"),
        &cluster.provisioner_toml(nodes),
    )?;
    let yaml = write(&dir.join("inventory.yml"), &cluster.ansible_yaml())?;

    let provisioner = catch(|| provisioner_side(nodes, &toml, &dir, quick))?;
    let debs = node_debs(&workspace, &workspace.join("target/standin-debs"), &dir)?;
    let refresh = catch(|| fresh_nodes(&workspace, &debs))?;
    // `down` removed the harness's work directory with the rest of the nodes' state
    std::fs::create_dir_all(nodes.work_dir())
        .with_context(|| format!("creating {}", nodes.work_dir().display()))?;
    let python = catch(|| python_on_nodes(nodes))?;
    let secrets = write_secrets(&dir, nodes.password_file(), &cluster.private_key)?;
    let playbook = Playbook {
        program: ansible_playbook,
        dir: workspace.join("bench/ansible"),
        inventory: yaml,
        secrets,
        logs: dir.clone(),
    };
    let ansible = catch(|| ansible_side(nodes, &playbook, &toml, quick))?;
    Ok(figures(&provisioner, &ansible, refresh, python, quick))
}

/// Why the row cannot run here, if it cannot.
fn unavailable() -> Option<String> {
    if !crate::is_root() {
        return Some("not measured: needs root (the 12 test nodes of scripts/test-nodes); run `sudo scripts/bench --rows 4`".into());
    }
    None
}

fn skipped(why: &str) -> Vec<Figure> {
    [COLD, CONVERGED, CHECK, RSS]
        .iter()
        .map(|spec| spec.skipped(why))
        .collect()
}

/// Runs `f`, turning a panic of the node harness into an error.
fn catch<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| anyhow::anyhow!("the node harness panicked (see stderr)"))?
}

fn write(path: &Path, text: &str) -> Result<PathBuf> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(path.to_owned())
}

/// The provisioner's three runs, then a health check of the cluster it built.
fn provisioner_side(nodes: &TestNodes, inventory: &Path, dir: &Path, quick: bool) -> Result<Side> {
    let binary = e2e::nodes::provisioner::binary()?;
    let converge = |name: &str, extra: &[&str]| -> Result<(Measured, Totals)> {
        let mut cmd = nodes.ctl_command(&binary);
        cmd.arg("converge")
            .arg("-i")
            .arg(inventory)
            .args(extra)
            .args(["--output", "json", "--admin-password-file"])
            .arg(nodes.password_file())
            .arg("--log-dir")
            .arg(dir.join("provisioner-logs"));
        let m = tree::run(cmd)?;
        keep_output(dir, &format!("provisioner-{name}"), &m)?;
        let run = Run::from_output(m.status.code(), &m.stdout, &m.stderr, m.wall)
            .with_context(|| format!("provisioner {name} run: {}", tail(&m.stderr)))?;
        let totals = recap::provisioner(&run);
        eprintln!(
            "row 4: provisioner {name}: {:.1} s, exit {:?}, {}",
            m.secs(),
            m.status.code(),
            totals.describe()
        );
        if !totals.clean() || !matches!(m.status.code(), Some(0 | 2)) {
            bail!("provisioner {name} run failed:\n{}", run.describe());
        }
        Ok((m, totals))
    };
    let (cold, cold_totals) = converge("cold", &[])?;
    healthy(nodes, inventory, "the provisioner's cold run")?;
    let (converged, converged_totals) = converge("converged", &[])?;
    let check = if quick {
        None
    } else {
        Some(converge("check", &["--check"])?)
    };
    Ok(Side {
        cold,
        cold_totals,
        converged,
        converged_totals,
        check,
    })
}

/// Waits until `check-health` passes for the cluster of `inventory`.
fn healthy(nodes: &TestNodes, inventory: &Path, after: &str) -> Result<()> {
    let inv = inventory.to_str().context("a UTF-8 inventory path")?;
    let (ok, health) = nodes.wait_health(inv, HEALTH_TIMEOUT, |h| h.exit_code == Some(0));
    if !ok {
        bail!(
            "the cluster is not healthy {:.0} s after {after}: {:?}",
            HEALTH_TIMEOUT.as_secs_f64(),
            health.problems()
        );
    }
    eprintln!("row 4: healthy after {after}");
    Ok(())
}

/// `scripts/test-nodes down` and `up`: every node in its first-boot state again, its stand-in
/// package repository holding `debs`. Returns the time it took (not part of any figure).
fn fresh_nodes(workspace: &Path, debs: &Path) -> Result<Duration> {
    let script = workspace.join("scripts/test-nodes");
    let started = Instant::now();
    for action in ["down", "up"] {
        let out = Command::new(&script)
            .arg(action)
            .env("TEST_NODES_STANDIN_DEBS", debs)
            .output()
            .with_context(|| format!("running {} {action}", script.display()))?;
        if !out.status.success() {
            bail!(
                "scripts/test-nodes {action} failed: {}",
                tail(&String::from_utf8_lossy(&out.stderr))
            );
        }
    }
    Ok(started.elapsed())
}

/// Ansible's modules need Python on the nodes, its apt module python3-apt; the test image has
/// neither (a cloud image has Python). Both are installed on all nodes at once before Ansible's
/// timed runs, from the nodes' offline repositories. Returns the time that took.
fn python_on_nodes(nodes: &TestNodes) -> Result<Duration> {
    let started = Instant::now();
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = nodes
            .all()
            .iter()
            .map(|node: &Node| {
                s.spawn(move || {
                    let out = nodes.exec(
                        node,
                        &[
                            "sh",
                            "-c",
                            "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-apt >/dev/null",
                        ],
                    );
                    (!out.status.success()).then(|| {
                        format!("{}: {}", node.name, String::from_utf8_lossy(&out.stderr))
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().ok().flatten())
            .collect()
    });
    if !failures.is_empty() {
        bail!(
            "installing python3 and python3-apt on the nodes failed: {}",
            failures.join("; ")
        );
    }
    Ok(started.elapsed())
}

/// The packages the nodes' stand-in repository holds for Ansible's runs: the stand-in Mesos and
/// Marathon packages the harness built (`standins`), and python3-apt with the two packages it
/// needs that the node image lacks, downloaded once on this machine with `apt-get download` into
/// `<workspace>/.cache/bench-ansible-debs`.
fn node_debs(workspace: &Path, standins: &Path, dir: &Path) -> Result<PathBuf> {
    let cache = workspace.join(".cache/bench-ansible-debs");
    std::fs::create_dir_all(&cache).with_context(|| format!("creating {}", cache.display()))?;
    let wanted = ["python3-apt", "python-apt-common", "distro-info-data"];
    let have = |name: &str| {
        std::fs::read_dir(&cache).is_ok_and(|mut e| {
            e.any(|f| {
                f.is_ok_and(|f| {
                    f.file_name()
                        .to_string_lossy()
                        .starts_with(&format!("{name}_"))
                })
            })
        })
    };
    let missing: Vec<&str> = wanted.into_iter().filter(|n| !have(n)).collect();
    if !missing.is_empty() {
        let out = Command::new("apt-get")
            .arg("download")
            .args(&missing)
            .current_dir(&cache)
            .output()
            .context("running apt-get download")?;
        if !out.status.success() {
            bail!(
                "apt-get download {} failed: {}",
                missing.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let target = dir.join("node-debs");
    std::fs::create_dir_all(&target).with_context(|| format!("creating {}", target.display()))?;
    for source in [standins, &cache] {
        for entry in std::fs::read_dir(source)
            .with_context(|| format!("reading {}", source.display()))?
            .flatten()
        {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "deb") {
                std::fs::copy(&path, target.join(entry.file_name()))
                    .with_context(|| format!("copying {}", path.display()))?;
            }
        }
    }
    Ok(target)
}

/// The secrets of Ansible's first contact, as a root-only extra-vars file.
fn write_secrets(dir: &Path, password_file: &Path, key: &Path) -> Result<PathBuf> {
    let password = std::fs::read_to_string(password_file)
        .with_context(|| format!("reading {}", password_file.display()))?;
    let path = dir.join("secrets.json");
    let vars = serde_json::json!({
        "root_password": password.trim(),
        "operator_public_key_file": format!("{}.pub", key.display()),
    });
    e2e::write_private(&path, &vars.to_string())?;
    Ok(path)
}

/// How to run the playbook.
struct Playbook {
    program: PathBuf,
    dir: PathBuf,
    inventory: PathBuf,
    secrets: PathBuf,
    logs: PathBuf,
}

impl Playbook {
    /// One `ansible-playbook site.yml` in `mz-ctl`, its SSH master connections in their own
    /// directory and closed afterwards (a later run must not reuse them).
    fn run(&self, nodes: &TestNodes, name: &str, extra: &[&str]) -> Result<(Measured, Totals)> {
        let control = self.logs.join(format!("ssh-control-{name}"));
        std::fs::create_dir_all(&control)?;
        let mut cmd = nodes.ctl_command(&self.program);
        cmd.arg("-i")
            .arg(&self.inventory)
            .arg("site.yml")
            .arg("-e")
            .arg(format!("@{}", self.secrets.display()))
            .args(extra)
            .current_dir(&self.dir)
            .env("ANSIBLE_CONFIG", self.dir.join("ansible.cfg"))
            .env("ANSIBLE_SSH_CONTROL_PATH_DIR", &control)
            .env("ANSIBLE_NOCOLOR", "1");
        let m = tree::run(cmd)?;
        close_masters(nodes, &control);
        keep_output(&self.logs, &format!("ansible-{name}"), &m)?;
        let totals = recap::ansible(&m.stdout)
            .with_context(|| format!("ansible {name} run: {}", tail(&m.stderr)))?;
        eprintln!(
            "row 4: ansible {name}: {:.1} s, exit {:?}, {}",
            m.secs(),
            m.status.code(),
            totals.describe()
        );
        if !m.status.success() || !totals.clean() {
            bail!(
                "ansible {name} run failed (exit {:?}, {}): {}",
                m.status.code(),
                totals.describe(),
                tail(&m.stdout)
            );
        }
        Ok((m, totals))
    }
}

/// Ends the SSH master connections a run left behind in `control`.
fn close_masters(nodes: &TestNodes, control: &Path) {
    let Ok(entries) = std::fs::read_dir(control) else {
        return;
    };
    for socket in entries.flatten() {
        let _ = nodes
            .ctl_command("ssh")
            .arg("-o")
            .arg(format!("ControlPath={}", socket.path().display()))
            .args(["-O", "exit", "bench-control"])
            .output();
    }
}

/// Ansible's three runs on fresh nodes, then a health check of the cluster it built (by the
/// provisioner's `check-health`, with the provisioner's inventory of the same nodes).
fn ansible_side(nodes: &TestNodes, playbook: &Playbook, toml: &Path, quick: bool) -> Result<Side> {
    let (cold, cold_totals) = playbook.run(nodes, "cold", &[])?;
    healthy(nodes, toml, "Ansible's cold run")?;
    let (converged, converged_totals) = playbook.run(nodes, "converged", &[])?;
    let check = if quick {
        None
    } else {
        Some(playbook.run(nodes, "check", &["--check"])?)
    };
    Ok(Side {
        cold,
        cold_totals,
        converged,
        converged_totals,
        check,
    })
}

/// Writes a run's stdout and stderr next to the inventories, for reading after the bench.
fn keep_output(dir: &Path, name: &str, m: &Measured) -> Result<()> {
    write(&dir.join(format!("{name}.stdout")), &m.stdout)?;
    write(&dir.join(format!("{name}.stderr")), &m.stderr)?;
    Ok(())
}

/// The last lines of a command's output, for error messages.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

fn figures(
    ours: &Side,
    ansible: &Side,
    refresh: Duration,
    python: Duration,
    quick: bool,
) -> Vec<Figure> {
    let both = "both: converge of all 12 nodes (phases access, base, zookeeper, mesos-master, marathon, mesos-agent with the provisioner's barriers between them; no submit-apps), 12 hosts at once";
    let python_note = format!(
        "python3 and python3-apt installed on the nodes before Ansible's runs, not timed ({:.0} s; the test image has neither, and the provisioner's cold run installs python3 itself as part of docker.io's recommended criu)",
        python.as_secs_f64()
    );
    let mut figures = vec![ratio(
        &COLD,
        &ours.cold,
        &ansible.cold,
        format!(
            "provisioner {} ({}) vs ansible-playbook {} ({}); both clusters checked healthy by check-health afterwards; {both}; {python_note}; nodes made fresh in between in {:.0} s",
            secs(&ours.cold),
            ours.cold_totals.describe(),
            secs(&ansible.cold),
            ansible.cold_totals.describe(),
            refresh.as_secs_f64()
        ),
    )];
    figures.push(ratio(
        &CONVERGED,
        &ours.converged,
        &ansible.converged,
        format!(
            "provisioner {} ({}) vs ansible-playbook {} ({})",
            secs(&ours.converged),
            ours.converged_totals.describe(),
            secs(&ansible.converged),
            ansible.converged_totals.describe()
        ),
    ));
    match (&ours.check, &ansible.check) {
        (Some((a, at)), Some((b, bt))) => figures.push(ratio(
            &CHECK,
            a,
            b,
            format!(
                "provisioner {} ({}) vs ansible-playbook --check {} ({}); target: the converged run's (the issue sets none)",
                secs(a),
                at.describe(),
                secs(b),
                bt.describe()
            ),
        )),
        _ => figures.push(CHECK.skipped(if quick {
            "--quick leaves the --check pair out"
        } else {
            "not run"
        })),
    }
    let (a, b) = (ours.peak_rss_kib() as f64, ansible.peak_rss_kib() as f64);
    let rss = a / b.max(1.0);
    let pss = ours.peak_pss_kib() as f64 / (ansible.peak_pss_kib() as f64).max(1.0);
    figures.push(
        Figure::new(RSS.id, 4, RSS.figure, format!("{rss:.3}x"), &RSS.target_text())
            .judged(rss, Verdict::of(rss <= RSS.target))
        .note(format!(
            "peak over each side's runs of the summed RSS of the controller's process tree, sampled every 50 ms: provisioner {:.1} MiB vs Ansible {:.1} MiB (ansible-playbook, its forked workers and their ssh/sshpass processes; up to {} processes); by PSS, which counts shared pages once: {:.1} MiB vs {:.1} MiB = {pss:.3}x",
            a / 1024.0,
            b / 1024.0,
            ansible.runs().map(|m| m.peak_processes).max().unwrap_or(0),
            ours.peak_pss_kib() as f64 / 1024.0,
            ansible.peak_pss_kib() as f64 / 1024.0,
        )),
    );
    figures
}

fn ratio(spec: &Spec, ours: &Measured, ansible: &Measured, note: String) -> Figure {
    let r = ours.secs() / ansible.secs().max(1e-6);
    Figure::new(
        spec.id,
        4,
        spec.figure,
        format!("{r:.3}x"),
        &spec.target_text(),
    )
    .judged(r, Verdict::of(r <= spec.target))
    .note(note)
}

fn secs(m: &Measured) -> String {
    format!("{:.1} s", m.secs())
}
