//! Leadership in ZooKeeper, with the real znode layout: every master joins `<path>` as an
//! ephemeral sequential `json.info_<seq>` holding its MasterInfo JSON (the lowest sequence leads)
//! and `<path>/log_replicas/` as a replicated-log replica. The lowest master becomes the elected
//! leader only once a quorum of replicas is present, as a real master has to recover its registry
//! from a quorum of the replicated log first.

use std::time::Instant;

use tokio::sync::watch;

use super::config::Config;
use crate::wire::MasterInfo;
use crate::zk;

/// Who leads, as this master sees it.
#[derive(Debug, Clone, Default)]
pub struct LeaderView {
    /// The leading master (lowest contender), if any.
    pub leader: Option<MasterInfo>,
    /// Whether this master is the elected leader (registry recovered).
    pub elected: bool,
    /// When it was elected.
    pub elected_time: Option<f64>,
    /// Replicas of the replicated log present.
    pub replicas: usize,
}

/// Runs leadership until the master must exit; returns the reason (the last log line).
pub async fn run(cfg: Config, me: MasterInfo, tx: watch::Sender<LeaderView>) -> String {
    let Some(url) = cfg.zk.clone() else {
        // Standalone: no contender, this master leads at once.
        let _ = tx.send(LeaderView {
            leader: Some(me),
            elected: true,
            elected_time: Some(crate::now_secs()),
            replicas: 1,
        });
        std::future::pending::<()>().await;
        unreachable!()
    };
    let client = zk::connect(&url, cfg.zk_session_timeout).await;
    let mut session = client.state_watcher();
    let replicas_dir = format!("{}/log_replicas", url.path);
    let replica = format!("log-replica(1)@{}:{}", cfg.ip, cfg.port);
    if let Err(e) = zk::join(&client, &replicas_dir, "", replica.as_bytes()).await {
        return format!("Failed to join the replicated log's group in ZooKeeper: {e}");
    }
    let info = serde_json::to_vec(&me).expect("MasterInfo serialises");
    let mine = match zk::join(&client, &url.path, "json.info_", &info).await {
        Ok(name) => name,
        Err(e) => return format!("Failed to contend for leadership in ZooKeeper: {e}"),
    };
    tracing::info!(znode = %format!("{}/{mine}", url.path), "contending for leadership");
    let mut view = LeaderView::default();
    let mut recovering_since: Option<Instant> = None;
    let mut short_since: Option<Instant> = None;
    loop {
        let (masters, w_masters) = match zk::members(&client, &url.path, "json.info_").await {
            Ok(x) => x,
            Err(e) => return format!("Lost leadership... committing suicide! (ZooKeeper: {e})"),
        };
        let (replicas, w_replicas) = match zk::members(&client, &replicas_dir, "").await {
            Ok(x) => x,
            Err(e) => return format!("Lost leadership... committing suicide! (ZooKeeper: {e})"),
        };
        view.replicas = replicas.len();
        view.leader = masters
            .first()
            .and_then(|m| serde_json::from_slice::<MasterInfo>(&m.data).ok());
        let leads = masters.first().is_some_and(|m| m.name == mine);
        if leads && view.elected {
            if view.replicas < cfg.quorum {
                let since = *short_since.get_or_insert_with(Instant::now);
                if since.elapsed() > cfg.registry_store_timeout {
                    return format!(
                        "Registrar aborting: Failed to update registry: only {} of {} replicas of the replicated log are reachable (quorum {})",
                        view.replicas, cfg.quorum, cfg.quorum
                    );
                }
            } else {
                short_since = None;
            }
        } else if leads {
            if view.replicas >= cfg.quorum {
                view.elected = true;
                view.elected_time = Some(crate::now_secs());
                recovering_since = None;
                tracing::info!("Elected as the leading master!");
            } else {
                let since = *recovering_since.get_or_insert_with(|| {
                    tracing::info!(
                        replicas = view.replicas,
                        quorum = cfg.quorum,
                        "Recovering the registry: waiting for a quorum of the replicated log"
                    );
                    Instant::now()
                });
                if since.elapsed() > cfg.registry_fetch_timeout {
                    return format!(
                        "Recovery failed: Failed to recover registrar: Failed to perform fetch within {}secs ({} of {} replicas present)",
                        cfg.registry_fetch_timeout.as_secs(),
                        view.replicas,
                        cfg.quorum
                    );
                }
            }
        } else if view.elected {
            return "Lost leadership... committing suicide!".to_string();
        } else {
            recovering_since = None;
        }
        if let Some(l) = &view.leader {
            tracing::debug!(leader = %l.pid, "detected the leading master");
        }
        let _ = tx.send(view.clone());
        tokio::select! {
            _ = w_masters.changed() => {}
            _ = w_replicas.changed() => {}
            s = session.changed() => {
                if s.is_terminated() {
                    return "Lost leadership... committing suicide! (ZooKeeper session expired)".to_string();
                }
            }
            // Re-check the timers above while nothing changes.
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
    }
}
