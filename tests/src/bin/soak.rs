//! The reliability soak (`cargo xtask soak` builds the binaries and runs this). It runs
//! `examples/mesos-cluster` through the real Terraform CLI against the emulator again and again
//! (apply/plan/destroy cycles with every fault on, chains of applies with the provider SIGKILLed
//! at random points, applies during which the emulator is SIGKILLed and restarted) with random
//! seeds, and prints the table of the README's "Reliability" section. The short version of each
//! case runs in CI as `tests/tests/reliability.rs`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use e2e::reliability::{
    emulator_kill, fault_cycle, provider_kill_runs, render, Binaries, FaultRates, Row, RunOutcome,
    Settings,
};

/// Runs the reliability soak against the emulator and prints its table. The emulator and the
/// provider are the ones built next to this program (same profile).
#[derive(Debug, Parser)]
#[command(name = "soak")]
struct SoakOptions {
    /// Apply/plan/destroy cycles with every fault on.
    #[arg(long, default_value_t = 20)]
    cycles: usize,
    /// Provider SIGKILLs in all, in runs of `--kills-per-run`.
    #[arg(long, default_value_t = 30)]
    provider_kills: usize,
    /// Provider SIGKILLs per run (each run ends with an apply that must converge).
    #[arg(long, default_value_t = 10)]
    kills_per_run: usize,
    /// Emulator SIGKILLs (one per run).
    #[arg(long, default_value_t = 5)]
    emulator_kills: usize,
    /// Seed of the runs' seeds (default: random, printed).
    #[arg(long)]
    seed: Option<u64>,
    /// The emulator's --time-scale (0.01: a server deploy takes 4.2 s).
    #[arg(long, default_value = "0.01")]
    time_scale: String,
    /// Delay of a slow response in milliseconds.
    #[arg(long, default_value_t = 3000)]
    slow_ms: u64,
    /// Where runs keep their files (a failed run's are kept for inspection).
    #[arg(long, value_name = "DIR")]
    scratch: Option<PathBuf>,
    /// The short version CI runs (2 cycles, 10 provider kills, 1 emulator kill, slow = 500 ms).
    #[arg(long)]
    short: bool,
}

fn main() -> ExitCode {
    let mut options = SoakOptions::parse();
    if options.short {
        options.cycles = 2;
        options.provider_kills = 10;
        options.kills_per_run = 10;
        options.emulator_kills = 1;
        options.slow_ms = 500;
    }
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn report(what: &str, index: usize, outcome: &Result<RunOutcome>) {
    match outcome {
        Ok(run) => eprintln!(
            "{what} {index}: {} in {:.0?}, {} kills, {} faults, {} re-runs, duplicated {}, orphaned {}, lost {}{}",
            if run.converged { "converged" } else { "DID NOT CONVERGE" },
            run.duration,
            run.kills,
            run.faults.total(),
            run.reruns,
            run.duplicated,
            run.orphaned,
            run.lost,
            if run.problems.is_empty() { String::new() } else { format!("\n    {}", run.problems.join("\n    ")) }
        ),
        Err(e) => eprintln!("{what} {index}: harness error: {e:#}"),
    }
}

/// Runs the soak and prints the table; fails when a target is missed.
fn run(options: &SoakOptions) -> Result<()> {
    let started = Instant::now();
    let load_before = load();
    let binaries = Binaries {
        emulator: e2e::binary("cloudcontrol-emulator")?,
        provider: e2e::binary("terraform-provider-cloudcontrol")?,
    };
    e2e::terraform::terraform_binary()?;
    let scratch = match &options.scratch {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("cloudcontrol-soak-{}", std::process::id())),
    };
    std::fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let settings = Settings {
        binaries,
        time_scale: options.time_scale.clone(),
        scratch: scratch.clone(),
        verbose: true,
    };
    let seed = options.seed.unwrap_or_else(rand::random);
    eprintln!("soak seed {seed} (pass --seed {seed} to repeat it); load average {load_before}");
    let rates = FaultRates::six_percent(options.slow_ms);

    let mut faults = Row {
        case: format!(
            "apply, plan, destroy with every fault on (~6 % each, slow = {} ms)",
            options.slow_ms
        ),
        runs: Vec::new(),
        faults: true,
    };
    let mut harness_errors = Vec::new();
    for i in 0..options.cycles {
        let outcome = fault_cycle(&settings, seed.wrapping_add(i as u64), &rates, i == 0);
        report("fault cycle", i + 1, &outcome);
        match outcome {
            Ok(run) => faults.runs.push(run),
            Err(e) => harness_errors.push(format!("fault cycle {}: {e:#}", i + 1)),
        }
    }

    let mut provider = Row {
        case: "provider SIGKILLed at random points of the apply, then re-applied".into(),
        runs: Vec::new(),
        faults: false,
    };
    let mut kills = 0;
    let runs = provider_kill_runs(
        &settings,
        seed.wrapping_add(1000),
        options.provider_kills,
        options.kills_per_run,
        |i, outcome| report("provider kill run", i, outcome),
    );
    for (i, outcome) in runs.into_iter().enumerate() {
        match outcome {
            Ok(run) => {
                kills += run.kills;
                provider.runs.push(run);
            }
            Err(e) => harness_errors.push(format!("provider kill run {}: {e:#}", i + 1)),
        }
    }
    if kills < options.provider_kills {
        harness_errors.push(format!(
            "only {kills} of {} provider kills landed",
            options.provider_kills
        ));
    }

    let mut emulator = Row {
        case: "emulator SIGKILLed during the apply, restarted from --state".into(),
        runs: Vec::new(),
        faults: false,
    };
    for i in 0..options.emulator_kills {
        let outcome = emulator_kill(&settings, seed.wrapping_add(2000 + i as u64));
        report("emulator kill", i + 1, &outcome);
        match outcome {
            Ok(run) => emulator.runs.push(run),
            Err(e) => harness_errors.push(format!("emulator kill run {}: {e:#}", i + 1)),
        }
    }

    let rows = [faults, provider, emulator];
    println!("{}", render(&rows));
    let leaks: Vec<&String> = rows
        .iter()
        .flat_map(|r| r.runs.iter().flat_map(|run| run.leaks.iter()))
        .collect();
    println!(
        "seed {seed}; {:.1} min wall; load average {load_before} before, {} after; TF_LOG=trace log and command lines of the first fault cycle checked: {}",
        started.elapsed().as_secs_f64() / 60.0,
        load(),
        if leaks.is_empty() { "no secret found".to_owned() } else { format!("{leaks:?}") }
    );
    let mut missed = harness_errors;
    for row in &rows {
        if row.converged() != row.runs.len() {
            missed.push(format!(
                "{}: {}/{} converged",
                row.case,
                row.converged(),
                row.runs.len()
            ));
        }
        let bad: usize = row
            .runs
            .iter()
            .map(|r| r.duplicated + r.orphaned + r.lost)
            .sum();
        if bad > 0 {
            missed.push(format!("{}: {bad} duplicated, orphaned or lost", row.case));
        }
    }
    if !leaks.is_empty() {
        missed.push(format!("secrets leaked: {leaks:?}"));
    }
    if !missed.is_empty() {
        bail!("targets missed:\n  {}", missed.join("\n  "));
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
