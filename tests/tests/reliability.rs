//! Short versions of the reliability soak (`cargo xtask soak` runs the full counts), each on
//! `examples/mesos-cluster` through the real Terraform CLI against an emulator that keeps its
//! state in a file:
//!
//! * an apply/plan/destroy cycle with every fault on (drop, lost_response, 5xx, busy,
//!   unexpected, slow), Terraform logging at TRACE and every process command line sampled: it
//!   converges (at most one re-run after an error), nothing is duplicated, orphaned or lost, and
//!   neither the API password nor the servers' administrator password shows anywhere;
//! * the provider SIGKILLed at 10 random points of the apply, then a re-apply: it converges
//!   with exactly the configured assets and an empty plan;
//! * the emulator SIGKILLed mid-apply and restarted from its state: the apply (or one re-run)
//!   converges.
//!
//! Seeds are random and printed; `RELIABILITY_SEED=<n>` repeats a run.

use anyhow::{ensure, Result};
use e2e::binary;
use e2e::reliability::{
    emulator_kill, fault_cycle, provider_kill_runs, render, Binaries, FaultRates, Row, RunOutcome,
    Settings,
};

fn settings(name: &str) -> Result<(Settings, tempfile::TempDir)> {
    let scratch = tempfile::Builder::new().prefix(name).tempdir()?;
    Ok((
        Settings {
            binaries: Binaries {
                emulator: binary("cloudcontrol-emulator")?,
                provider: binary("terraform-provider-cloudcontrol")?,
            },
            time_scale: "0.01".into(),
            scratch: scratch.path().to_path_buf(),
            verbose: true,
        },
        scratch,
    ))
}

fn seed() -> u64 {
    let seed = std::env::var("RELIABILITY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("seed {seed} (RELIABILITY_SEED={seed} repeats this run)");
    seed
}

fn ensure_clean(case: &str, run: RunOutcome, faults: bool) -> Result<()> {
    let row = Row {
        case: case.into(),
        runs: vec![run.clone()],
        faults,
    };
    eprintln!("{}", render(&[row]));
    ensure!(
        run.converged,
        "{case} did not converge:\n{}",
        run.problems.join("\n")
    );
    ensure!(
        run.duplicated == 0 && run.orphaned == 0 && run.lost == 0,
        "{case}: {} duplicated, {} orphaned, {} lost:\n{}",
        run.duplicated,
        run.orphaned,
        run.lost,
        run.problems.join("\n")
    );
    ensure!(run.leaks.is_empty(), "{case}: {:?}", run.leaks);
    Ok(())
}

#[test]
fn an_apply_plan_destroy_cycle_with_every_fault_on_converges_and_leaks_no_secret() -> Result<()> {
    let (settings, _scratch) = settings("rel-faults-")?;
    let run = fault_cycle(&settings, seed(), &FaultRates::six_percent(500), true)?;
    for (fault, count, _) in run.faults.shares() {
        ensure!(count > 0, "the {fault} fault never fired: {:?}", run.faults);
    }
    ensure_clean("every fault on", run, true)
}

#[test]
fn the_provider_sigkilled_at_ten_random_points_then_reapplied_converges() -> Result<()> {
    let (settings, _scratch) = settings("rel-provider-")?;
    let mut runs = Vec::new();
    for outcome in provider_kill_runs(&settings, seed(), 10, 10, |_, _| {}) {
        runs.push(outcome?);
    }
    let kills: usize = runs.iter().map(|r| r.kills).sum();
    ensure!(kills >= 10, "only {kills} kills landed");
    for run in runs {
        ensure_clean("provider SIGKILL", run, false)?;
    }
    Ok(())
}

#[test]
fn the_emulator_sigkilled_mid_apply_and_restarted_from_its_state_converges() -> Result<()> {
    let (settings, _scratch) = settings("rel-emulator-")?;
    let run = emulator_kill(&settings, seed())?;
    ensure!(run.kills == 1, "the emulator was not killed");
    ensure_clean("emulator SIGKILL", run, false)
}
