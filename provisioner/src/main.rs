//! `mesos-provisioner` command line: see `provisioner/README.md`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use mesos_provisioner::cli::{self, Cli, Command, Overrides};
use mesos_provisioner::inventory::{Inventory, Role, Scope};
use mesos_provisioner::report::{OutputMode, Reporter};
use mesos_provisioner::{apps, commands, engine, health};

/// Exit code of `check-health` when the cluster is unhealthy.
const UNHEALTHY: u8 = 4;

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

fn warn_about(inv: &Inventory) {
    for w in &inv.warnings {
        eprintln!("warning: {w}");
    }
    if inv.settings.ssh.policy == mesos_provisioner::ssh::HostKeyPolicy::Insecure {
        eprintln!("warning: host keys will NOT be verified (host_key_policy = insecure)");
    }
}

/// How long the API commands retry a connection unless told otherwise: they read a running
/// cluster, where a node that does not answer is down (converge's longer default waits for
/// booting hosts).
const READ_CONNECT_BUDGET: Duration = Duration::from_secs(10);

fn read_only_inventory(reach: &cli::Reach) -> anyhow::Result<Inventory> {
    let scope = match reach.transport {
        cli::Transport::Ssh => Scope::Cluster,
        cli::Transport::Direct => Scope::ClusterWithoutSsh,
    };
    let mut inv = cli::load_inventory_scoped(&reach.inventory, &Overrides::from(reach), scope)?;
    if reach.connect_timeout.is_none() {
        let budget = &mut inv.settings.ssh.connect_budget;
        *budget = (*budget).min(READ_CONNECT_BUDGET);
    }
    warn_about(&inv);
    Ok(inv)
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    let (inventory, job, common) = match &cli.command {
        Command::CheckInventory { inventory, common } => {
            let inv = cli::load_inventory(inventory, &Overrides::from(common))?;
            for w in &inv.warnings {
                eprintln!("warning: {w}");
            }
            let masters = inv.nodes.iter().filter(|n| n.role == Role::Master).count();
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
            let inv = cli::load_inventory(inventory, &Overrides::from(common))?;
            let job = cli::converge_job(&inv, common)?;
            (inv, job, common.clone())
        }
        Command::Bootstrap(b) => {
            let (inv, job) = cli::bootstrap_job(b)?;
            (inv, job, b.common.clone())
        }
        Command::CheckHealth(c) => {
            let inv = read_only_inventory(&c.reach)?;
            let log_dir = cli::log_dir(c.reach.log_dir.as_deref());
            let runtime = tokio::runtime::Runtime::new()?;
            let report = runtime.block_on(commands::check_health(
                &inv,
                c.reach.transport,
                &log_dir,
                Duration::from_secs(c.app_window),
            ))?;
            match c.reach.output {
                OutputMode::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                OutputMode::Human => print!("{}", health::report::render_table(&report)),
            }
            return Ok(if report.healthy { 0 } else { UNHEALTHY });
        }
        Command::SubmitApps(s) => {
            let inv = read_only_inventory(&s.reach)?;
            let image = s
                .docker_image
                .clone()
                .unwrap_or_else(|| inv.settings.apps.docker_image.clone());
            if image.is_empty() || image.contains(char::is_whitespace) {
                anyhow::bail!("--docker-image: `{image}` is not an image reference");
            }
            let defaults = (!s.no_default_apps).then_some(image.as_str());
            let apps = apps::collect(defaults, &s.apps).map_err(anyhow::Error::msg)?;
            let log_dir = cli::log_dir(s.reach.log_dir.as_deref());
            let reporter = Reporter::new(s.reach.output, s.diff, s.check);
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(commands::submit_apps(
                &inv,
                &apps,
                s.reach.transport,
                s.check,
                &log_dir,
                &reporter,
            ))?;
            return Ok(reporter.finish(&log_dir).exit_code() as u8);
        }
    };
    warn_about(&inventory);
    let opts = cli::run_options(&common, &job)?;
    let reporter = Arc::new(Reporter::new(common.output, common.diff, common.check));
    let log_dir = opts.log_dir.clone();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(engine::converge(job, opts, reporter.clone()))?;
    let recap = reporter.finish(&log_dir);
    Ok(recap.exit_code() as u8)
}
