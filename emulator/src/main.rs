//! `cloudcontrol-emulator`: a local CloudControl 2.x API server.
//! The first line on stdout is the base URL it serves.

use anyhow::Context;
use clap::Parser;
use cloudcontrol_emulator::{start, Config};
use std::io::Write;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let config = Config::parse();
    let running = start(config.clone())
        .await
        .context("starting the emulator")?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", running.base_url).context("writing the base URL")?;
        out.flush().context("flushing stdout")?;
    }
    tracing::info!(
        url = %running.base_url,
        state = ?config.state,
        time_scale = config.time_scale,
        accounts = running.state.accounts.len(),
        "CloudControl emulator ready"
    );
    shutdown_signal().await;
    tracing::info!("shutting down");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
