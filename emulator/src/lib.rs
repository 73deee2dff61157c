//! A local CloudControl (MCP 2.0, CaaS API 2.x) API server: same paths, JSON, asynchronous states,
//! errors and concurrency limits as the real API, for offline use, demos and tests.
//!
//! Start it in-process with [`start`]; the binary `cloudcontrol-emulator` wraps the same function.

pub mod accounts;
pub mod backing;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod envelope;
pub mod faults;
pub mod ftps;
pub mod inventory;
pub mod lifecycle;
pub mod net;
pub mod oplog;
pub mod paging;
pub mod requestlog;
pub mod resources;
pub mod server;
pub mod store;
pub mod versions;
pub mod xml;

use anyhow::Context;
use hyper_util::rt::TokioIo;
use server::{AppState, ConnectionKill};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tower::ServiceExt;

pub use accounts::{Account, AccountsError, ACCOUNTS_ENV, DEMO_ORG_ID};
pub use config::Config;

/// A running emulator; dropping it stops accepting connections.
pub struct Running {
    /// Base URL, e.g. `http://127.0.0.1:43117`.
    pub base_url: String,
    /// Bound address.
    pub local_addr: SocketAddr,
    /// Shared state (for in-process inspection).
    pub state: Arc<AppState>,
    accept: JoinHandle<()>,
}

impl Running {
    /// Stops accepting new connections.
    pub fn shutdown(&self) {
        self.accept.abort();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Binds the listener, loads the state file and starts serving on the current Tokio runtime.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    anyhow::ensure!(
        config.time_scale.is_finite() && config.time_scale >= 0.0,
        "--time-scale must be a finite number >= 0, got {}",
        config.time_scale
    );
    if let Some(path) = &config.operations_log {
        oplog::install(path)?;
    }
    let mut app = AppState::new(&config)?;
    if let Some(program) = &config.node_backing {
        let pool = app
            .addressing
            .pool
            .map(|p| format!("{}/{}", p.address, p.prefix))
            .unwrap_or_default();
        let timeout = std::time::Duration::from_secs(config.node_backing_timeout);
        app.backing = Some(backing::NodeBacking::start(program, &pool, timeout).await?);
    }
    let state = Arc::new(app);
    if let Some(backing) = &state.backing {
        backing.attach(&state);
    }
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let local_addr = listener.local_addr().context("reading the bound address")?;
    let router = server::router(Arc::clone(&state), config.max_body_bytes);
    let accept = tokio::spawn(accept_loop(listener, router));
    Ok(Running {
        base_url: format!("http://{local_addr}"),
        local_addr,
        state,
        accept,
    })
}

/// Serves each connection with hyper; a dropped-connection fault closes the socket unanswered.
async fn accept_loop(listener: TcpListener, router: axum::Router) {
    loop {
        let (stream, _peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let router = router.clone();
        tokio::spawn(async move {
            let kill = Arc::new(Notify::new());
            let kill_for_requests = Arc::clone(&kill);
            let service = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut()
                        .insert(ConnectionKill(Arc::clone(&kill_for_requests)));
                    router.clone().oneshot(req)
                },
            );
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                result = conn => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                }
                _ = kill.notified() => {}
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[tokio::test]
    async fn negative_time_scale_is_refused() {
        let config = Config::parse_from(["cloudcontrol-emulator", "--time-scale=-1"]);
        let err = start(config).await.err().expect("refused");
        assert!(err.to_string().contains("--time-scale"), "{err}");
    }

    #[tokio::test]
    async fn binds_a_free_port_and_reports_it() {
        let running = start(Config::for_tests()).await.unwrap();
        assert_ne!(running.local_addr.port(), 0);
        assert_eq!(
            running.base_url,
            format!("http://127.0.0.1:{}", running.local_addr.port())
        );
    }
}
