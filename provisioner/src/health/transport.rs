//! How the health reader reaches a daemon: a [`Dialer`] opens a byte stream to `host:port`,
//! either straight over TCP ([`TcpDialer`]) or through an SSH `direct-tcpip` channel of a node's
//! connection (`crate::remote::SshDialer`), so daemons are reached where only SSH is open from
//! outside. Everything above (HTTP, four-letter words) is the same for both.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncWrite};

/// A bidirectional byte stream.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// A boxed stream.
pub type BoxStream = Box<dyn Stream>;

/// How long opening a stream may take.
pub const DIAL_TIMEOUT: Duration = Duration::from_secs(5);

/// A stream could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot reach {target} ({via}): {reason}")]
pub struct DialError {
    /// `host:port`.
    pub target: String,
    /// The dialer's description (`tcp`, `ssh via m1`).
    pub via: String,
    /// Why.
    pub reason: String,
}

/// Opens streams to `host:port`.
#[async_trait]
pub trait Dialer: Send + Sync + fmt::Debug {
    /// Opens a stream.
    async fn dial(&self, host: &str, port: u16) -> Result<BoxStream, DialError>;

    /// How streams travel, for messages (`tcp`, `ssh via m1`).
    fn via(&self) -> String;
}

/// Plain TCP from where the provisioner runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpDialer;

#[async_trait]
impl Dialer for TcpDialer {
    async fn dial(&self, host: &str, port: u16) -> Result<BoxStream, DialError> {
        let fail = |reason: String| DialError {
            target: crate::cluster::host_port(host, port),
            via: self.via(),
            reason,
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        match tokio::time::timeout(DIAL_TIMEOUT, tokio::net::TcpStream::connect((host, port))).await
        {
            Ok(Ok(s)) => {
                let _ = s.set_nodelay(true);
                Ok(Box::new(s))
            }
            Ok(Err(e)) => Err(fail(e.to_string())),
            Err(_) => Err(fail(format!(
                "no answer within {}s",
                DIAL_TIMEOUT.as_secs()
            ))),
        }
    }

    fn via(&self) -> String {
        "tcp".to_string()
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn tcp_dialer_reaches_a_listener_and_names_a_refusal() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            s.write_all(b"hi").await.unwrap();
        });
        let mut s = TcpDialer.dial("127.0.0.1", port).await.unwrap();
        let mut buf = String::new();
        s.read_to_string(&mut buf).await.unwrap();
        assert_eq!(buf, "hi");
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let err = TcpDialer.dial("127.0.0.1", closed).await.err().unwrap();
        assert_eq!(err.target, format!("127.0.0.1:{closed}"));
        assert_eq!(err.via, "tcp");
    }
}
