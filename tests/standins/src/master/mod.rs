//! The mesos-master STAND-IN: flags like the real master, leadership in real ZooKeeper, the
//! real HTTP endpoints and shapes, and a private protocol for the agent and Marathon stand-ins.

pub mod cluster;
pub mod config;
pub mod election;
pub mod http;
pub mod json;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::{watch, Mutex};

use crate::wire::MasterInfo;
use cluster::Cluster;
use config::Config;
use election::LeaderView;

/// A running master.
#[derive(Debug)]
pub struct Master {
    /// Configuration.
    pub cfg: Config,
    /// Its MasterInfo.
    pub info: MasterInfo,
    /// Start time (seconds since the epoch).
    pub start_time: f64,
    /// Leadership as seen now.
    pub view: watch::Receiver<LeaderView>,
    /// What it knows while leading.
    pub cluster: Mutex<Cluster>,
    /// Client for calls to agents.
    pub http: reqwest::Client,
}

impl Master {
    /// Whether this master is the elected leader.
    pub fn elected(&self) -> bool {
        self.view.borrow().elected
    }
}

/// Runs the master with the process's environment and arguments; returns the exit code.
pub fn main() -> i32 {
    crate::banner::Daemon {
        name: "mesos-master-standin",
        real: "the Apache Mesos 1.11.0 master",
        version: Some(format!("mesos {} (STAND-IN)", crate::MESOS_VERSION)),
    }
    .main(
        Config::load,
        |c| c.flags.get("logging_level").unwrap_or("INFO").to_string(),
        run,
    )
}

/// Runs a master until it must exit.
pub async fn run(cfg: Config) -> anyhow::Result<()> {
    std::fs::create_dir_all(&cfg.work_dir).map_err(|e| {
        anyhow::anyhow!(
            "Failed to create the work directory '{}': {e}",
            cfg.work_dir
        )
    })?;
    let id = crate::new_uuid();
    let info = MasterInfo::new(&id, cfg.ip, cfg.port, &cfg.hostname);
    tracing::info!(id = %id, pid = %info.pid, hostname = %cfg.hostname, "Master started");
    let (tx, rx) = watch::channel(LeaderView::default());
    let master = Arc::new(Master {
        cfg: cfg.clone(),
        info: info.clone(),
        start_time: crate::now_secs(),
        view: rx,
        cluster: Mutex::new(Cluster::default()),
        http: crate::http::client(),
    });
    let addr = SocketAddr::from((cfg.ip, cfg.port));
    let server = crate::http::serve(addr, http::router(master.clone()));
    let election = election::run(cfg.clone(), info, tx);
    let housekeeping = async {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            if master.elected() {
                let removed = master
                    .cluster
                    .lock()
                    .await
                    .expire(cfg.agent_removal_after, crate::now_secs());
                for id in removed {
                    tracing::warn!(agent = %id, "Removed agent: health check timed out");
                }
            }
        }
    };
    tokio::select! {
        r = server => r,
        reason = election => Err(anyhow::anyhow!(reason)),
        _ = housekeeping => Ok(()),
    }
}
