//! Finding the leading Mesos master: through ZooKeeper (`zk://.../mesos`, the lowest
//! `json.info_` member) or at a fixed `host:port`.

use tokio::sync::watch;

use crate::wire::MasterInfo;
use crate::zk::ZkUrl;

/// Where the leading master is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterSource {
    /// Detect the leader in ZooKeeper.
    Zk(ZkUrl),
    /// A fixed `host:port`.
    Static(String),
}

impl MasterSource {
    /// Parses `zk://...`, `file:///...` or `host:port`.
    pub fn parse(text: &str) -> Result<MasterSource, String> {
        let t = text.trim();
        if t.starts_with("zk://") || t.starts_with("file://") {
            return ZkUrl::parse(t).map(MasterSource::Zk);
        }
        let ok = t
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
        if !ok {
            return Err(format!("'{t}' is neither host:port nor a zk:// URL"));
        }
        Ok(MasterSource::Static(t.to_string()))
    }
}

/// Follows the leading master in the background.
pub fn follow(source: &MasterSource) -> watch::Receiver<Option<MasterInfo>> {
    match source {
        MasterSource::Static(addr) => {
            let (host, port) = addr.rsplit_once(':').expect("validated host:port");
            let ip = host.parse().unwrap_or(std::net::Ipv4Addr::LOCALHOST);
            let info = MasterInfo::new("", ip, port.parse().unwrap_or(5050), host);
            let (tx, rx) = watch::channel(Some(info));
            // A fixed master never changes: keep the sender for as long as anyone listens.
            tokio::spawn(async move { tx.closed().await });
            rx
        }
        MasterSource::Zk(url) => {
            let mut members = crate::zk::follow(url.clone(), url.path.clone(), "json.info_".into());
            let (tx, rx) = watch::channel(None);
            tokio::spawn(async move {
                while members.changed().await.is_ok() {
                    let leader = members
                        .borrow()
                        .as_ref()
                        .and_then(|m| m.first().cloned())
                        .and_then(|m| serde_json::from_slice::<MasterInfo>(&m.data).ok());
                    if tx.send(leader).is_err() {
                        return;
                    }
                }
            });
            rx
        }
    }
}
