//! The read-only and API commands: `check-health` and `submit-apps`. Both reach the daemons
//! through the masters' SSH connections (or plain TCP with `--transport direct`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::apps::{self, AppDef, Endpoint, Submitted};
use crate::cli::Transport;
use crate::fleet::Fleet;
use crate::health::report::{self, HealthReport, NodeServices};
use crate::health::{marathon, Ports, Reader, Routes};
use crate::inventory::{Inventory, Role};
use crate::remote::Exec;
use crate::report::{Outcome, Reporter, StepResult};

/// Reads the whole health report; apps not fully running are read again for up to
/// `app_window` (a command app between two runs shows no task for a moment).
pub async fn check_health(
    inv: &Inventory,
    transport: Transport,
    log_dir: &std::path::Path,
    app_window: Duration,
) -> anyhow::Result<HealthReport> {
    let cluster = Arc::new(inv.cluster());
    let ports = Ports::from_settings(&inv.settings);
    let fleet = match transport {
        Transport::Direct => None,
        Transport::Ssh => {
            let nodes: Vec<&crate::inventory::Node> = inv.nodes.iter().collect();
            Some(Fleet::connect(&nodes, &inv.settings, log_dir).await?)
        }
    };
    let routes = fleet
        .as_ref()
        .map(Fleet::routes)
        .unwrap_or_else(Routes::direct);
    let reader = Reader {
        cluster,
        routes,
        ports,
    };
    let mut health = report::read(&reader, app_window).await;
    if let Some(fleet) = &fleet {
        let zk_service = inv
            .settings
            .zookeeper
            .service
            .clone()
            .unwrap_or_else(|| "zookeeper".into());
        let docker = inv.settings.docker.as_ref().map(|d| d.service.clone());
        let mut services = Vec::new();
        for n in &inv.nodes {
            let units = report::expected_units(n.role, &zk_service, docker.as_deref());
            let read = match fleet.remotes.get(&n.name) {
                None => Err(fleet
                    .failures
                    .get(&n.name)
                    .cloned()
                    .unwrap_or_else(|| "not connected".into())),
                Some(r) => r
                    .run(&report::service_script(&units), None)
                    .await
                    .map(|o| o.stdout_text())
                    .map_err(|e| e.to_string()),
            };
            services.push(match read {
                Ok(out) => NodeServices {
                    name: n.name.clone(),
                    role: n.role,
                    services: report::parse_services(&units, &out),
                    error: None,
                },
                Err(e) => NodeServices {
                    name: n.name.clone(),
                    role: n.role,
                    services: Vec::new(),
                    error: Some(e),
                },
            });
        }
        report::add_services(&mut health, services);
        fleet.close().await;
    }
    Ok(health)
}

fn step(
    app: &str,
    outcome: Outcome,
    message: String,
    diff: Option<String>,
    started: Instant,
) -> StepResult {
    StepResult {
        host: "marathon".into(),
        phase: "apps".into(),
        step: app.to_string(),
        outcome,
        message,
        diff,
        duration_ms: started.elapsed().as_millis() as u64,
    }
}

/// Finds a Marathon that names a leader (waiting, bounded, through elections), then submits
/// every app in order; results go to the reporter (host `marathon`, phase `apps`).
pub async fn submit_apps(
    inv: &Inventory,
    apps: &[AppDef],
    transport: Transport,
    check: bool,
    log_dir: &std::path::Path,
    reporter: &Reporter,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let timeout = inv.settings.cluster.wait_timeout;
    let masters: Vec<&crate::inventory::Node> = inv
        .nodes
        .iter()
        .filter(|n| n.role == Role::Master)
        .collect();
    anyhow::ensure!(!masters.is_empty(), "nodes: no master runs Marathon");
    let fleet = match transport {
        Transport::Direct => None,
        Transport::Ssh => Some(Fleet::connect(&masters, &inv.settings, log_dir).await?),
    };
    let routes = fleet
        .as_ref()
        .map(Fleet::routes)
        .unwrap_or_else(Routes::direct);
    let port = inv.settings.marathon.http_port;
    let mut last = Vec::new();
    let endpoint = loop {
        last.clear();
        let mut found = None;
        for m in &masters {
            let Some(dialer) = routes.for_node(&m.name) else {
                last.push(format!("{}: not connected", m.name));
                continue;
            };
            let host = m
                .cluster_node()
                .private_ip()
                .map(|ip| ip.to_string())
                .context("a master without a private address")?;
            match marathon::leader(dialer.as_ref(), &host, port).await {
                Ok(leader) => {
                    found = Some((dialer, host, leader));
                    break;
                }
                Err(e) => last.push(format!("{}: {e}", m.name)),
            }
        }
        if let Some(f) = found {
            break Some(f);
        }
        if started.elapsed() + Duration::from_secs(2) > timeout {
            break None;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    let Some((dialer, host, leader)) = endpoint else {
        if let Some(f) = &fleet {
            for (n, e) in &f.failures {
                last.push(format!("{n}: {e}"));
            }
        }
        reporter.report(step(
            "leader",
            Outcome::Failed,
            format!(
                "no Marathon leader within {}s: {}",
                timeout.as_secs(),
                last.join("; ")
            ),
            None,
            started,
        ));
        if let Some(f) = &fleet {
            f.close().await;
        }
        return Ok(());
    };
    reporter.report(step(
        "leader",
        Outcome::Ok,
        format!("leader {leader}"),
        None,
        started,
    ));
    let ep = Endpoint {
        dialer: dialer.as_ref(),
        host,
        port,
    };
    for app in apps {
        let started = Instant::now();
        let (outcome, message, diff) = match apps::submit(&ep, app, check, timeout).await {
            Ok(Submitted::Unchanged(m)) => (Outcome::Ok, m, None),
            Ok(Submitted::Changed { summary, diff }) => {
                (Outcome::Changed, summary, Some(diff.join("\n")))
            }
            Err(e) => (Outcome::Failed, e, None),
        };
        reporter.report(step(&app.id, outcome, message, diff, started));
    }
    if let Some(f) = &fleet {
        f.close().await;
    }
    Ok(())
}
