//! ZooKeeper's four-letter words over any [`Dialer`] stream, and the `srvr` answer parsed.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::transport::Dialer;

/// How long a four-letter word may take.
pub const WORD_TIMEOUT: Duration = Duration::from_secs(5);

/// What a server says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "mode", content = "detail")]
pub enum ZkMode {
    /// Leads the ensemble.
    Leader,
    /// Follows the leader.
    Follower,
    /// Observer (not part of the quorum).
    Observer,
    /// A single server without an ensemble (wrong in a multi-master cluster).
    Standalone,
    /// Running but not in a quorum ("This ZooKeeper instance is not currently serving
    /// requests").
    NotServing,
    /// No answer, or one that could not be read.
    Unreachable(String),
}

impl ZkMode {
    /// Leader or follower: part of a working quorum.
    pub fn in_quorum(&self) -> bool {
        matches!(self, ZkMode::Leader | ZkMode::Follower)
    }
}

impl fmt::Display for ZkMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZkMode::Leader => f.write_str("leader"),
            ZkMode::Follower => f.write_str("follower"),
            ZkMode::Observer => f.write_str("observer"),
            ZkMode::Standalone => f.write_str("standalone"),
            ZkMode::NotServing => f.write_str("not serving"),
            ZkMode::Unreachable(why) => write!(f, "unreachable ({why})"),
        }
    }
}

/// The parts of `srvr` the reports use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZkStatus {
    /// Mode.
    #[serde(flatten)]
    pub mode: ZkMode,
    /// `Zookeeper version:` line, when served.
    pub version: Option<String>,
}

/// Parses the answer to `srvr`.
pub fn parse_srvr(text: &str) -> ZkStatus {
    if text.contains("not currently serving requests") {
        return ZkStatus {
            mode: ZkMode::NotServing,
            version: None,
        };
    }
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
    };
    let mode = match field("Mode:").as_deref() {
        Some("leader") => ZkMode::Leader,
        Some("follower") => ZkMode::Follower,
        Some("observer") => ZkMode::Observer,
        Some("standalone") => ZkMode::Standalone,
        Some(other) => ZkMode::Unreachable(format!("unknown mode `{other}`")),
        None if text.contains("not in the whitelist") => {
            ZkMode::Unreachable("srvr is not in 4lw.commands.whitelist".to_string())
        }
        None => ZkMode::Unreachable(format!(
            "unexpected srvr answer `{}`",
            text.trim().chars().take(80).collect::<String>()
        )),
    };
    ZkStatus {
        mode,
        version: field("Zookeeper version:")
            .map(|v| v.split([',', '-']).next().unwrap_or(&v).to_string()),
    }
}

/// Sends a four-letter word and reads the whole answer (the server closes after it).
pub async fn four_letter(
    dialer: &dyn Dialer,
    host: &str,
    port: u16,
    word: &str,
) -> Result<String, String> {
    let mut s = dialer.dial(host, port).await.map_err(|e| e.to_string())?;
    let exchange = async {
        s.write_all(word.as_bytes()).await?;
        s.flush().await?;
        let mut out = Vec::new();
        s.read_to_end(&mut out).await?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&out).into_owned())
    };
    match tokio::time::timeout(WORD_TIMEOUT, exchange).await {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(e)) => Err(format!(
            "`{word}` to {}: {e}",
            crate::cluster::host_port(host, port)
        )),
        Err(_) => Err(format!(
            "`{word}` to {}: no answer within {}s",
            crate::cluster::host_port(host, port),
            WORD_TIMEOUT.as_secs()
        )),
    }
}

/// Reads a server's mode with `srvr` (whitelisted by default since ZooKeeper 3.5.3).
pub async fn status(dialer: &dyn Dialer, host: &str, port: u16) -> ZkStatus {
    match four_letter(dialer, host, port, "srvr").await {
        Ok(text) if text.trim().is_empty() => ZkStatus {
            mode: ZkMode::Unreachable("empty answer to srvr".into()),
            version: None,
        },
        Ok(text) => parse_srvr(&text),
        Err(e) => ZkStatus {
            mode: ZkMode::Unreachable(e),
            version: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `srvr` as ZooKeeper 3.8 answers it.
    const FOLLOWER: &str = "Zookeeper version: 3.8.0-5a02a05eddb59aee6ac762f7ea82e92a68eb9c0f, built on 2022-02-25 08:49 UTC\nLatency min/avg/max: 0/0.0/0\nReceived: 3\nSent: 2\nConnections: 1\nOutstanding: 0\nZxid: 0x100000000\nMode: follower\nNode count: 5\n";

    #[test]
    fn srvr_modes() {
        let s = parse_srvr(FOLLOWER);
        assert_eq!(s.mode, ZkMode::Follower);
        assert_eq!(s.version.as_deref(), Some("3.8.0"));
        assert!(s.mode.in_quorum());
        assert_eq!(
            parse_srvr(&FOLLOWER.replace("follower", "leader")).mode,
            ZkMode::Leader
        );
        assert_eq!(
            parse_srvr(&FOLLOWER.replace("follower", "standalone")).mode,
            ZkMode::Standalone
        );
        let not = parse_srvr("This ZooKeeper instance is not currently serving requests\n");
        assert_eq!(not.mode, ZkMode::NotServing);
        assert!(!not.mode.in_quorum());
        assert!(matches!(
            parse_srvr("srvr is not executed because it is not in the whitelist.\n").mode,
            ZkMode::Unreachable(ref why) if why.contains("whitelist")
        ));
    }

    #[tokio::test]
    async fn srvr_over_tcp_and_a_closed_port() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut word = [0u8; 4];
            s.read_exact(&mut word).await.unwrap();
            assert_eq!(&word, b"srvr");
            s.write_all(FOLLOWER.as_bytes()).await.unwrap();
        });
        let d = crate::health::transport::TcpDialer;
        assert_eq!(status(&d, "127.0.0.1", port).await.mode, ZkMode::Follower);
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        assert!(matches!(
            status(&d, "127.0.0.1", closed).await.mode,
            ZkMode::Unreachable(_)
        ));
    }
}
