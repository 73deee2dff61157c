//! `mesos-provisioner` command line: see `provisioner/README.md`.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use mesos_provisioner::cli::{self, Cli, Command};
use mesos_provisioner::engine;
use mesos_provisioner::report::Reporter;

fn main() -> ExitCode {
    // Usage errors exit 1 (bad input), never clap's 2, which here means "changed".
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MESOS_PROVISIONER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    let (inventory, job, common) = match &cli.command {
        Command::CheckInventory { inventory, common } => {
            let inv = cli::load_inventory(inventory, Some(common))?;
            for w in &inv.warnings {
                eprintln!("warning: {w}");
            }
            let masters = inv
                .nodes
                .iter()
                .filter(|n| n.role == mesos_provisioner::inventory::Role::Master)
                .count();
            println!(
                "{}: valid ({} nodes, {} masters, {} agents)",
                inventory.display(),
                inv.nodes.len(),
                masters,
                inv.nodes.len() - masters
            );
            return Ok(0);
        }
        Command::Converge { inventory, common } => {
            let inv = cli::load_inventory(inventory, Some(common))?;
            let job = cli::converge_job(&inv, common)?;
            (inv, job, common.clone())
        }
        Command::Bootstrap(b) => {
            let (inv, job) = cli::bootstrap_job(b)?;
            (inv, job, b.common.clone())
        }
    };
    for w in &inventory.warnings {
        eprintln!("warning: {w}");
    }
    if inventory.settings.ssh.policy == mesos_provisioner::ssh::HostKeyPolicy::Insecure {
        eprintln!("warning: host keys will NOT be verified (host_key_policy = insecure)");
    }
    let opts = cli::run_options(&common, &job)?;
    let reporter = Arc::new(Reporter::new(common.output, common.diff, common.check));
    let log_dir = opts.log_dir.clone();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(engine::converge(job, opts, reporter.clone()))?;
    let recap = reporter.finish(&log_dir);
    Ok(recap.exit_code() as u8)
}
