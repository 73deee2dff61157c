//! The three reliability cases, each one run of `examples/mesos-cluster` against a fresh
//! emulator with a state file: an apply/plan/destroy cycle with every fault on; a chain of
//! applies with the provider SIGKILLed at random points, then one that converges; an apply
//! during which the emulator is SIGKILLed and restarted from its state.

use std::io::Read;
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use super::census::Census;
use super::faults::{FaultCounts, FaultRates};
use super::kill::kill_providers;
use crate::emulator::Emulator;
use crate::procfs::command_lines;
use crate::terraform::{workspace_root, PlanOutcome, ProviderPackage, TfOutput, Workspace};

/// The built binaries a run drives.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// `cloudcontrol-emulator`.
    pub emulator: PathBuf,
    /// `terraform-provider-cloudcontrol`.
    pub provider: PathBuf,
}

/// Settings shared by the runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The binaries.
    pub binaries: Binaries,
    /// The emulator's `--time-scale` (e.g. `"0.01"`: a server deploy takes 4.2 s).
    pub time_scale: String,
    /// Where each run's emulator state, Terraform logs and workspace go.
    pub scratch: PathBuf,
    /// Print progress to stderr.
    pub verbose: bool,
}

/// What one run of a case found.
#[derive(Debug, Clone, Default)]
pub struct RunOutcome {
    /// The final apply succeeded, its plan was empty, the API held exactly the described
    /// assets, and the destroy left nothing.
    pub converged: bool,
    /// `terraform apply` or `destroy` runs repeated after one failed (besides the killed ones).
    pub reruns: usize,
    /// SIGKILLs delivered (provider processes or emulator).
    pub kills: usize,
    /// Faults injected.
    pub faults: FaultCounts,
    /// Assets beyond the first with one identity, at the worst moment seen.
    pub duplicated: usize,
    /// Assets in the API and not in state, after the converging apply and after the destroy.
    pub orphaned: usize,
    /// State entries pointing at nothing.
    pub lost: usize,
    /// What went wrong, in words.
    pub problems: Vec<String>,
    /// Secrets seen in a Terraform log or on a command line (should stay empty).
    pub leaks: Vec<String>,
    /// Wall time.
    pub duration: Duration,
}

/// When a kill comes.
#[derive(Debug, Clone, Copy)]
enum Trigger {
    /// Once the API shows at least this much [`progress`].
    Progress(usize),
}

/// How far the example's apply has come, as the API shows it: one point per asset, and one per
/// server that is deployed, has its second disk, and runs (at most [`FULL_PROGRESS`]).
fn progress(inventory: &Value) -> usize {
    let total = inventory["totalAssets"].as_u64().unwrap_or_default() as usize;
    let servers = inventory["server"].as_array().into_iter().flatten();
    let steps: usize = servers
        .map(|s| {
            let disks = s["scsiController"][0]["disk"]
                .as_array()
                .map_or(0, Vec::len);
            usize::from(s["deployed"] == true)
                + usize::from(disks >= 2)
                + usize::from(s["started"] == true)
        })
        .sum();
    total + steps
}

/// The progress of the example's complete apply: 52 assets and 3 steps of each of 12 servers.
pub const FULL_PROGRESS: usize = 52 + 3 * 12;

/// The example's administrator password (sensitive input; must never show in logs).
const ADMIN_PASSWORD: &str = "Soak-admin-7q!Zx";

struct Run<'a> {
    settings: &'a Settings,
    emulator: Emulator,
    ws: Workspace,
    dir: PathBuf,
    outcome: RunOutcome,
    log_seq: u64,
    log: Vec<Value>,
    watch_secrets: bool,
}

impl<'a> Run<'a> {
    fn new(
        settings: &'a Settings,
        name: &str,
        faults: Option<String>,
        watch: bool,
    ) -> Result<Self> {
        let dir = settings.scratch.join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
        }
        let mut flags = vec!["--time-scale".to_owned(), settings.time_scale.clone()];
        if let Some(spec) = faults {
            flags.extend(["--faults".to_owned(), spec]);
        }
        let emulator =
            Emulator::start_persistent(&settings.binaries.emulator, &dir.join("emulator"), &flags)?;
        let package = ProviderPackage::new(
            "cloudcontrol",
            "cloudcontrol",
            "0.1.0",
            &settings.binaries.provider,
        );
        // The example also declares the null provider (its per-node provisioning), which stays
        // off here: this emulator has no machines behind its servers.
        let mut ws = Workspace::with_providers(&[package, ProviderPackage::null()?])?;
        let example = workspace_root().join("examples/mesos-cluster");
        for entry in
            std::fs::read_dir(&example).with_context(|| format!("reading {}", example.display()))?
        {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "tf") {
                std::fs::copy(
                    &path,
                    ws.work_dir().join(path.file_name().context("file name")?),
                )?;
            }
        }
        ws.set_env("CLOUDCONTROL_ENDPOINT", &emulator.base_url());
        ws.set_env("CLOUDCONTROL_USERNAME", emulator.user());
        ws.set_env("CLOUDCONTROL_PASSWORD", emulator.password());
        ws.set_env("TF_VAR_admin_password", ADMIN_PASSWORD);
        ws.set_env("TF_VAR_provision", "false");
        if watch {
            ws.set_env("TF_LOG", "TRACE");
            ws.set_env(
                "TF_LOG_PATH",
                &dir.join("terraform.log").display().to_string(),
            );
        }
        ws.init()?;
        Ok(Self {
            settings,
            emulator,
            ws,
            dir,
            outcome: RunOutcome::default(),
            log_seq: 0,
            log: Vec::new(),
            watch_secrets: watch,
        })
    }

    fn say(&self, what: &str) {
        if self.settings.verbose {
            eprintln!(
                "  [{}] {what}",
                self.dir.file_name().unwrap_or_default().to_string_lossy()
            );
        }
    }

    /// New request-log entries since the last call (the log restarts with the emulator).
    fn poll_log(&mut self) -> Result<Vec<Value>> {
        let fresh = self.emulator.requests_since(self.log_seq)?;
        if let Some(last) = fresh.iter().filter_map(|e| e["seq"].as_u64()).max() {
            self.log_seq = last;
        }
        self.log.extend(fresh.iter().cloned());
        Ok(fresh)
    }

    /// Runs `terraform <args>`; when `trigger` is `(when, delay)`, once `when` is reached and
    /// `delay` has passed, `act` is called with the Terraform process id, and again every
    /// 20 ms until it returns true (it did what it had to: e.g. there was a provider to kill).
    fn terraform(
        &mut self,
        args: &[&str],
        trigger: Option<(Trigger, Duration)>,
        mut act: impl FnMut(&mut Self, u32) -> Result<bool>,
    ) -> Result<TfOutput> {
        let mut child: Child = self.ws.spawn(args)?;
        let pid = child.id();
        let out = drain(child.stdout.take());
        let err = drain(child.stderr.take());
        let mut armed = trigger;
        let mut fire_at: Option<Instant> = None;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if self.watch_secrets {
                self.check_command_lines();
            }
            if let Some((when, delay)) = armed {
                if fire_at.is_none() {
                    let reached = match when {
                        Trigger::Progress(at) => self
                            .emulator
                            .inventory()
                            .is_ok_and(|inventory| progress(&inventory) >= at),
                    };
                    if reached {
                        fire_at = Some(Instant::now() + delay);
                    }
                }
                if fire_at.is_some_and(|at| Instant::now() >= at) && act(self, pid)? {
                    armed = None;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // A Terraform that crashed (1.0.3 panics when a provider dies during
        // GetProviderSchema) leaves its other provider processes running, and they hold its
        // output pipes open: reading to the end would wait for them forever. They are still
        // in its process group (`Workspace::spawn` makes Terraform the group's leader).
        end_process_group(pid);
        let _ = self.poll_log();
        Ok(TfOutput {
            args: args.iter().map(|a| a.to_string()).collect(),
            code: status.code().unwrap_or(-1),
            stdout: out.join().unwrap_or_default(),
            stderr: err.join().unwrap_or_default(),
        })
    }

    fn check_command_lines(&mut self) {
        for (pid, line) in command_lines() {
            for (name, secret) in [
                ("the API password", self.emulator.password()),
                ("the administrator password", ADMIN_PASSWORD),
            ] {
                if line.contains(secret) {
                    let leak = format!("{name} on the command line of process {pid}");
                    if !self.outcome.leaks.contains(&leak) {
                        self.outcome.leaks.push(leak);
                    }
                }
            }
        }
    }

    fn apply(&mut self) -> Result<TfOutput> {
        self.terraform(
            &["apply", "-input=false", "-no-color", "-auto-approve"],
            None,
            |_, _| Ok(true),
        )
    }

    fn destroy(&mut self) -> Result<TfOutput> {
        self.terraform(
            &["destroy", "-input=false", "-no-color", "-auto-approve"],
            None,
            |_, _| Ok(true),
        )
    }

    /// Runs `step` once, and once more if it fails (counted as a re-run); the second result.
    fn with_one_rerun(
        &mut self,
        what: &str,
        step: fn(&mut Self) -> Result<TfOutput>,
    ) -> Result<bool> {
        let first = step(self)?;
        if first.code == 0 {
            return Ok(true);
        }
        self.say(&format!(
            "{what} failed; running it again:\n{}",
            error_lines(&first)
        ));
        self.outcome.reruns += 1;
        let second = step(self)?;
        if second.code != 0 {
            self.outcome
                .problems
                .push(format!("{what} failed twice:\n{}", error_lines(&second)));
            return Ok(false);
        }
        Ok(true)
    }

    /// After the final apply: the census, an empty plan, then destroy (one re-run allowed
    /// between apply and destroy in total) and the census of an empty API.
    fn finish(&mut self, applied: bool) -> Result<()> {
        let census = Census::take(&self.emulator, &self.ws, true)?;
        self.outcome.duplicated = self.outcome.duplicated.max(census.duplicated);
        self.outcome.orphaned += census.orphaned;
        self.outcome.lost += census.lost;
        self.outcome
            .problems
            .extend(census.problems.iter().cloned());
        let (plan, plan_out) = self.ws.plan(&[])?;
        if plan != PlanOutcome::NoChanges {
            self.outcome.problems.push(format!(
                "the plan after the apply is not empty:\n{}",
                plan_out.stdout
            ));
        }
        let destroyed = if self.outcome.reruns == 0 {
            self.with_one_rerun("destroy", Self::destroy)?
        } else {
            let out = self.destroy()?;
            if out.code != 0 {
                self.outcome
                    .problems
                    .push(format!("destroy failed:\n{}", error_lines(&out)));
            }
            out.code == 0
        };
        let after = Census::take(&self.emulator, &self.ws, false)?;
        self.outcome.duplicated = self.outcome.duplicated.max(after.duplicated);
        self.outcome.orphaned += after.orphaned;
        self.outcome.lost += after.lost;
        self.outcome.problems.extend(after.problems.iter().cloned());
        self.outcome.converged = applied
            && destroyed
            && census.is_clean()
            && plan == PlanOutcome::NoChanges
            && after.is_clean()
            && self.outcome.reruns <= 1;
        if self.watch_secrets {
            self.check_terraform_log()?;
        }
        Ok(())
    }

    fn check_terraform_log(&mut self) -> Result<()> {
        let path = self.dir.join("terraform.log");
        let log = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        if !log.contains("CloudControl request") {
            bail!("{} holds no provider log at TRACE", path.display());
        }
        for (name, secret) in [
            ("the API password", self.emulator.password().to_owned()),
            ("the administrator password", ADMIN_PASSWORD.to_owned()),
        ] {
            if log.contains(&secret) {
                self.outcome
                    .leaks
                    .push(format!("{name} in the TF_LOG=trace log {}", path.display()));
            }
        }
        Ok(())
    }

    fn done(mut self, started: Instant, slow_ms: u64) -> RunOutcome {
        self.outcome.faults = FaultCounts::count(&self.log, slow_ms);
        self.outcome.duration = started.elapsed();
        if !self.outcome.converged {
            self.outcome.problems.push(format!(
                "kept for inspection: {} (emulator state and log)",
                self.dir.display()
            ));
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        self.outcome
    }
}

/// SIGKILLs whatever is left of the process group led by `leader` (which has exited).
fn end_process_group(leader: u32) {
    if let Ok(group) = i32::try_from(leader) {
        // SAFETY: kill(2) on a process group id taken from a child we spawned; ESRCH (nothing
        // left) is the usual answer and is fine.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
}

/// Reads a child's pipe to the end on a thread.
fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
}

/// The error blocks of a Terraform run (each from its `Error:` line to the end of its box),
/// at most 40 lines, for messages.
pub fn error_lines(output: &TfOutput) -> String {
    let flat = output.combined();
    let mut kept = Vec::new();
    let mut inside = false;
    for line in flat.lines() {
        if line.contains("Error: ") {
            inside = true;
        }
        if inside {
            kept.push(line);
            if line.starts_with('╵') {
                inside = false;
            }
        }
    }
    if kept.is_empty() {
        kept = flat.lines().rev().take(12).collect();
        kept.reverse();
    }
    kept.truncate(40);
    kept.join("\n")
}

/// One apply/plan/destroy cycle of the example with every fault on at `rates`, seeded with
/// `seed`; one re-run of apply or destroy after an error is allowed. With `watch_secrets`,
/// Terraform logs at TRACE and every process command line is sampled during the run; neither
/// may show the API or the administrator password.
pub fn fault_cycle(
    settings: &Settings,
    seed: u64,
    rates: &FaultRates,
    watch_secrets: bool,
) -> Result<RunOutcome> {
    let started = Instant::now();
    let mut run = Run::new(
        settings,
        &format!("faults-{seed}"),
        Some(rates.spec(seed)),
        watch_secrets,
    )?;
    run.say(&format!("apply with faults {}", rates.spec(seed)));
    let applied = run.with_one_rerun("apply", Run::apply)?;
    run.finish(applied)?;
    Ok(run.done(started, rates.slow_ms))
}

/// A chain of applies of the example, SIGKILLing the provider at `kills` random points spread
/// over the run: distinct points of [`progress`] drawn from `1..=FULL_PROGRESS - 6` (so each kill
/// lands at another stage: domain, VLAN, server deploys, disks, power-on, blocks, NAT and
/// firewall rules), each kill a random delay under 0.25 s after its point is reached. Then an
/// apply that must converge, a plan that must be empty and a destroy. No faults are injected.
pub fn provider_kills(settings: &Settings, seed: u64, kills: usize) -> Result<RunOutcome> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    // The last few points come only as the apply ends: a kill aimed there may miss it.
    let span = FULL_PROGRESS - 6;
    let mut points: Vec<usize> = rand::seq::index::sample(&mut rng, span, kills.min(span))
        .into_iter()
        .map(|i| i + 1)
        .collect();
    points.sort_unstable();
    let mut run = Run::new(settings, &format!("provider-kills-{seed}"), None, false)?;
    let apply = ["apply", "-input=false", "-no-color", "-auto-approve"];
    for point in points {
        let delay = Duration::from_millis(rng.random_range(0..250));
        // Each apply gets somewhere before its kill, even when the last one overshot this point.
        let now = progress(&run.emulator.inventory()?);
        let at = point.max(now + 1);
        let mut killed = 0;
        let mut seen = 0;
        let out = run.terraform(&apply, Some((Trigger::Progress(at), delay)), |run, pid| {
            killed = kill_providers(pid)?;
            seen = run.emulator.inventory().map_or(0, |i| progress(&i));
            Ok(killed > 0)
        })?;
        run.say(&format!(
            "apply killed at progress {seen}/{FULL_PROGRESS} (aimed at {at}, +{delay:?}): {killed} provider(s) killed, exit {}",
            out.code
        ));
        if out.code == 0 && killed > 0 {
            run.say(&format!(
                "the kill did not fail the apply:\n{}",
                out.stdout
                    .lines()
                    .rev()
                    .take(8)
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
        if out.code == 0 {
            // The apply finished before (or despite) the kill: nothing is left to interrupt.
            break;
        }
        if killed > 0 {
            run.outcome.kills += 1;
        }
        let census = Census::take(&run.emulator, &run.ws, true)?;
        run.outcome.duplicated = run.outcome.duplicated.max(census.duplicated);
        if census.duplicated > 0 {
            run.outcome.problems.push(format!(
                "after kill {}: {:?}",
                run.outcome.kills, census.problems
            ));
        }
    }
    let applied = run.with_one_rerun("apply", Run::apply)?;
    run.finish(applied)?;
    Ok(run.done(started, u64::MAX))
}

/// Provider kill chains ([`provider_kills`]) until `total` kills have landed, `per_run` at a
/// time: a chain ends early when its apply finishes before the next kill point (a burst of
/// creates can overtake several points, more so on a loaded machine), and another chain makes
/// up the rest. At most twice as many chains as planned, plus two; the caller checks the kills
/// that landed.
pub fn provider_kill_runs(
    settings: &Settings,
    seed: u64,
    total: usize,
    per_run: usize,
    mut each: impl FnMut(usize, &Result<RunOutcome>),
) -> Vec<Result<RunOutcome>> {
    let planned = total.div_ceil(per_run.max(1)).max(1);
    let mut runs = Vec::new();
    let mut landed = 0;
    while landed < total && runs.len() < 2 * planned + 2 {
        let want = (total - landed).min(per_run.max(1));
        let outcome = provider_kills(settings, seed.wrapping_add(runs.len() as u64), want);
        each(runs.len() + 1, &outcome);
        match &outcome {
            Ok(run) => landed += run.kills,
            // A harness failure ends the series: the caller reports it.
            Err(_) => {
                runs.push(outcome);
                break;
            }
        }
        runs.push(outcome);
    }
    runs
}

/// An apply of the example during which the emulator is SIGKILLed (at a random point of
/// [`progress`] in `1..=FULL_PROGRESS - 6`) and restarted from its state file after a random
/// pause under 2 s; the apply (or one re-run of it) must converge. No faults are injected.
pub fn emulator_kill(settings: &Settings, seed: u64) -> Result<RunOutcome> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut run = Run::new(settings, &format!("emulator-kill-{seed}"), None, false)?;
    let at = rng.random_range(1..=FULL_PROGRESS - 6);
    let delay = Duration::from_millis(rng.random_range(0..250));
    let pause = Duration::from_millis(rng.random_range(100..2000));
    let apply = ["apply", "-input=false", "-no-color", "-auto-approve"];
    let mut killed = false;
    let first = run.terraform(&apply, Some((Trigger::Progress(at), delay)), |run, _| {
        run.poll_log()?;
        run.emulator.kill9()?;
        std::thread::sleep(pause);
        run.emulator.restart()?;
        run.log_seq = 0;
        killed = true;
        Ok(true)
    })?;
    run.say(&format!(
        "apply with the emulator killed at progress {at}/{FULL_PROGRESS} (+{delay:?}) and restarted {pause:?} later: exit {}",
        first.code
    ));
    if killed {
        run.outcome.kills += 1;
    }
    let applied = if first.code == 0 {
        true
    } else {
        run.say(&format!("the apply failed:\n{}", error_lines(&first)));
        run.outcome.reruns += 1;
        let again = run.apply()?;
        if again.code != 0 {
            run.outcome
                .problems
                .push(format!("apply failed twice:\n{}", error_lines(&again)));
        }
        again.code == 0
    };
    run.finish(applied)?;
    Ok(run.done(started, u64::MAX))
}
