//! The Marathon STAND-IN: reads its options like Marathon >= 1.5 (`/etc/default/marathon`),
//! elects a leader in real ZooKeeper, keeps apps in ZooKeeper, registers as framework
//! `marathon` with the leading Mesos master and keeps each app's instances running there.

pub mod app;
pub mod config;
pub mod http;
pub mod scheduler;
pub mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::{watch, Mutex};

use crate::wire::MasterInfo;
use config::Config;
use state::{Sched, Store};

/// Who leads, as this Marathon sees it.
#[derive(Debug, Clone, Default)]
pub struct Election {
    /// `host:port` of the leader.
    pub leader: Option<String>,
    /// Whether this instance leads.
    pub elected: bool,
}

/// A running Marathon.
#[derive(Debug)]
pub struct Marathon {
    /// Configuration.
    pub cfg: Config,
    /// `hostname:http_port`.
    pub me: String,
    /// Election state.
    pub election: watch::Receiver<Election>,
    /// The leading Mesos master.
    pub mesos: watch::Receiver<Option<MasterInfo>>,
    /// The leader's working state.
    pub sched: Mutex<Sched>,
    /// ZooKeeper storage.
    pub store: Store,
    /// Client for Mesos and for proxying.
    pub http: reqwest::Client,
}

/// Runs Marathon with the process's environment and arguments; returns the exit code.
pub fn main() -> i32 {
    crate::banner::Daemon {
        name: "marathon-standin",
        real: "Marathon 1.10",
        version: None,
    }
    .main(
        Config::load,
        |c| {
            c.options
                .get("logging_level")
                .cloned()
                .unwrap_or_else(|| "INFO".into())
        },
        run,
    )
}

async fn elect(
    client: zookeeper_client::Client,
    dir: String,
    mine: String,
    tx: watch::Sender<Election>,
) -> String {
    let mut session = client.state_watcher();
    loop {
        let (members, watcher) = match crate::zk::members(&client, &dir, "_c_").await {
            Ok(x) => x,
            Err(e) => return format!("Lost the ZooKeeper session during leader election: {e}"),
        };
        let first = members.first();
        let view = Election {
            leader: first.and_then(|m| String::from_utf8(m.data.clone()).ok()),
            elected: first.is_some_and(|m| m.name == mine),
        };
        if view.elected && !tx.borrow().elected {
            tracing::info!("Elected as the leading Marathon");
        }
        let _ = tx.send(view);
        tokio::select! {
            _ = watcher.changed() => {}
            s = session.changed() => {
                if s.is_terminated() {
                    return "Lost leadership: the ZooKeeper session ended; exiting".to_string();
                }
            }
        }
    }
}

/// Runs Marathon until it must exit.
pub async fn run(cfg: Config) -> anyhow::Result<()> {
    let me = format!("{}:{}", cfg.hostname, cfg.http_port);
    let client = crate::zk::connect(&cfg.zk, std::time::Duration::from_secs(10)).await;
    let store = Store::new(client.clone(), &cfg.zk.path);
    let (tx, rx) = watch::channel(Election::default());
    let marathon = Arc::new(Marathon {
        mesos: crate::detect::follow(&cfg.master),
        me: me.clone(),
        election: rx,
        sched: Mutex::new(Sched::default()),
        store,
        http: crate::http::client(),
        cfg: cfg.clone(),
    });
    let addr: SocketAddr = format!("{}:{}", cfg.http_address, cfg.http_port)
        .parse()
        .map_err(|e| anyhow::anyhow!("bad --http_address {}: {e}", cfg.http_address))?;
    let server = crate::http::serve(addr, http::router(marathon.clone()));
    // Like Curator's leader latch: an ephemeral sequential member; the lowest leads.
    let dir = format!("{}/leader-curator", cfg.zk.path);
    let prefix = format!("_c_{}-latch-", crate::new_uuid());
    let mine = crate::zk::join(&client, &dir, &prefix, me.as_bytes())
        .await
        .map_err(|e| anyhow::anyhow!("Failed to join the leader election in ZooKeeper: {e}"))?;
    let election = elect(client.clone(), dir.clone(), mine.clone(), tx);
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = server => r,
        reason = election => Err(anyhow::anyhow!(reason)),
        _ = scheduler::run(marathon.clone()) => Ok(()),
        _ = term.recv() => {
            // A stopped Marathon gives up leadership at once, as closing the latch does.
            let _ = client.delete(&format!("{dir}/{mine}"), None).await;
            tracing::info!("Stopping: left the leader election");
            Ok(())
        }
    }
}
