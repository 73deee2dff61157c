//! ZooKeeper as the real daemons use it: `zk://` URLs, groups of ephemeral sequential members,
//! and leader detection (the member with the lowest sequence number leads).

use std::time::Duration;

use tokio::sync::watch;
use zookeeper_client as zkc;

/// A parsed `zk://[user:pass@]host:port[,host:port...]/path` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkUrl {
    /// `host:port` of every server.
    pub servers: Vec<String>,
    /// The znode path, starting with `/`.
    pub path: String,
    /// Digest credentials, when given.
    pub credentials: Option<(String, String)>,
}

impl ZkUrl {
    /// Parses a `zk://` URL, or reads one from the file a `file:///path` URL names.
    pub fn parse(text: &str) -> Result<ZkUrl, String> {
        let text = text.trim();
        if let Some(path) = text.strip_prefix("file://") {
            let content =
                std::fs::read_to_string(path).map_err(|e| format!("cannot read '{path}': {e}"))?;
            return ZkUrl::parse(content.trim());
        }
        let rest = text
            .strip_prefix("zk://")
            .ok_or_else(|| format!("'{text}' is not a ZooKeeper URL: expected zk://host:port[,host:port...]/path or file:///path"))?;
        let (auth, rest) = match rest.rsplit_once('@') {
            Some((a, r)) => (Some(a), r),
            None => (None, rest),
        };
        let credentials = match auth {
            Some(a) => {
                let (u, p) = a
                    .split_once(':')
                    .ok_or_else(|| format!("'{text}': credentials must be user:password"))?;
                Some((u.to_string(), p.to_string()))
            }
            None => None,
        };
        let slash = rest
            .find('/')
            .ok_or_else(|| format!("'{text}': missing the znode path (zk://hosts/path)"))?;
        let (hosts, path) = rest.split_at(slash);
        if path.len() < 2 || path.ends_with('/') || path.contains("//") {
            return Err(format!("'{text}': the znode path '{path}' is not valid"));
        }
        let mut servers = Vec::new();
        for h in hosts.split(',') {
            let (host, port) = h
                .rsplit_once(':')
                .ok_or_else(|| format!("'{text}': server '{h}' must be host:port"))?;
            let port_ok = port.parse::<u16>().is_ok_and(|p| p > 0);
            if host.is_empty() || !port_ok || host.contains(char::is_whitespace) {
                return Err(format!("'{text}': server '{h}' must be host:port"));
            }
            servers.push(h.to_string());
        }
        Ok(ZkUrl {
            servers,
            path: path.to_string(),
            credentials,
        })
    }

    /// `host:port,host:port` for the client.
    pub fn connect_string(&self) -> String {
        self.servers.join(",")
    }
}

impl std::fmt::Display for ZkUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "zk://{}{}", self.servers.join(","), self.path)
    }
}

/// Connects, retrying every second until a session is established.
pub async fn connect(url: &ZkUrl, session_timeout: Duration) -> zkc::Client {
    let mut warned = false;
    loop {
        let mut connector = zkc::Client::connector()
            .with_session_timeout(session_timeout.max(Duration::from_secs(4)))
            .with_connection_timeout(Duration::from_secs(3));
        if let Some((u, p)) = &url.credentials {
            connector = connector.with_auth("digest", format!("{u}:{p}").as_bytes());
        }
        match connector.connect(&url.connect_string()).await {
            Ok(c) => {
                tracing::info!(servers = %url.connect_string(), "connected to ZooKeeper");
                return c;
            }
            Err(e) => {
                if !warned {
                    tracing::warn!(servers = %url.connect_string(), error = %e, "cannot connect to ZooKeeper yet; retrying");
                    warned = true;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Creates `path` and its parents as persistent znodes when missing.
pub async fn mkdirs(client: &zkc::Client, path: &str) -> Result<(), zkc::Error> {
    let options = zkc::CreateMode::Persistent.with_acls(zkc::Acls::anyone_all());
    match client.mkdir(path, &options).await {
        Ok(()) | Err(zkc::Error::NodeExists) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Creates an ephemeral sequential member `<dir>/<prefix><seq>`; returns its node name.
pub async fn join(
    client: &zkc::Client,
    dir: &str,
    prefix: &str,
    data: &[u8],
) -> Result<String, zkc::Error> {
    mkdirs(client, dir).await?;
    let options = zkc::CreateMode::EphemeralSequential.with_acls(zkc::Acls::anyone_all());
    let (_, seq) = client
        .create(&format!("{dir}/{prefix}"), data, &options)
        .await?;
    Ok(format!("{prefix}{seq}"))
}

/// The sequence number at the end of a member's name (`json.info_0000000003` -> 3).
pub fn sequence_of(name: &str) -> Option<u64> {
    let digits: String = name
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if digits.len() < 10 {
        return None;
    }
    digits.parse().ok()
}

/// One member of a group: its node name and data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Node name (not the full path).
    pub name: String,
    /// Its data.
    pub data: Vec<u8>,
}

/// The members of `dir` whose names start with `prefix`, lowest sequence first, and a watcher
/// that fires when the children change.
pub async fn members(
    client: &zkc::Client,
    dir: &str,
    prefix: &str,
) -> Result<(Vec<Member>, zkc::OneshotWatcher), zkc::Error> {
    mkdirs(client, dir).await?;
    let (names, _, watcher) = client.get_and_watch_children(dir).await?;
    let mut names: Vec<(u64, String)> = names
        .into_iter()
        .filter(|n| n.starts_with(prefix))
        .filter_map(|n| sequence_of(&n).map(|s| (s, n)))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for (_, name) in names {
        // A member may leave between the listing and the read.
        match client.get_data(&format!("{dir}/{name}")).await {
            Ok((data, _)) => out.push(Member { name, data }),
            Err(zkc::Error::NoNode) => {}
            Err(e) => return Err(e),
        }
    }
    Ok((out, watcher))
}

/// Follows a group in the background: publishes its members (lowest sequence first) whenever
/// they change, reconnecting after a lost session. `None` until the first read.
pub fn follow(url: ZkUrl, dir: String, prefix: String) -> watch::Receiver<Option<Vec<Member>>> {
    let (tx, rx) = watch::channel(None);
    tokio::spawn(async move {
        loop {
            let client = connect(&url, Duration::from_secs(10)).await;
            let mut state = client.state_watcher();
            loop {
                let (list, watcher) = match members(&client, &dir, &prefix).await {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!(dir = %dir, error = %e, "reading the group failed; reconnecting");
                        break;
                    }
                };
                if tx.send(Some(list)).is_err() {
                    return;
                }
                tokio::select! {
                    _ = watcher.changed() => {}
                    s = state.changed() => {
                        if s.is_terminated() {
                            tracing::warn!("ZooKeeper session ended; reconnecting");
                            break;
                        }
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_shapes() {
        let u = ZkUrl::parse("zk://10.0.0.11:2181,10.0.0.12:2181,10.0.0.13:2181/mesos").unwrap();
        assert_eq!(u.servers.len(), 3);
        assert_eq!(u.path, "/mesos");
        assert_eq!(
            u.to_string(),
            "zk://10.0.0.11:2181,10.0.0.12:2181,10.0.0.13:2181/mesos"
        );
        let a = ZkUrl::parse("zk://u:p@m1:2181/a/b").unwrap();
        assert_eq!(a.credentials, Some(("u".into(), "p".into())));
        assert_eq!(a.path, "/a/b");
    }

    #[test]
    fn refuses_what_is_not_a_zk_url() {
        for bad in [
            "localhost:2181/mesos",
            "zk://m1:2181",
            "zk://m1/mesos",
            "zk://m1:99999/mesos",
            "zk://m1:2181/",
            "zk://:2181/mesos",
            "http://m1:2181/mesos",
        ] {
            assert!(ZkUrl::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn file_urls_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("zk");
        std::fs::write(&f, "zk://m1:2181/mesos\n").unwrap();
        let u = ZkUrl::parse(&format!("file://{}", f.display())).unwrap();
        assert_eq!(u.servers, vec!["m1:2181"]);
    }

    #[test]
    fn sequence_numbers() {
        assert_eq!(sequence_of("json.info_0000000003"), Some(3));
        assert_eq!(sequence_of("0000000012"), Some(12));
        assert_eq!(sequence_of("json.info_x"), None);
    }
}
