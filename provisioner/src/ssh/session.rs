//! One authenticated SSH connection to a host, reused for every command run there.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use russh::client::{self, AuthResult, Handle};
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::ChannelMsg;
use tokio::net::TcpStream;

use super::known_hosts::{self, KnownHosts, Verdict};
use super::HostKeyPolicy;
use crate::secret::Secret;

/// How long one TCP connection attempt may wait for an answer before it is retried.
const TCP_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest time one remote command may run (a full OS update on a slow mirror fits).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(3600);

/// Where and how to reach one host.
#[derive(Debug, Clone)]
pub struct Target {
    /// Address or DNS name.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Host key policy.
    pub policy: HostKeyPolicy,
    /// known_hosts file consulted (and, under `accept-new`, written).
    pub known_hosts: PathBuf,
    /// How long to keep retrying refused or timed-out connections while a host boots.
    pub connect_budget: Duration,
}

/// How to authenticate.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// Public key authentication (ed25519, or RSA with rsa-sha2-256/512).
    Key {
        /// Remote user.
        user: String,
        /// The private key.
        key: Arc<PrivateKey>,
    },
    /// Password authentication (first contact only).
    Password {
        /// Remote user.
        user: String,
        /// The password.
        password: Secret,
    },
}

impl Credentials {
    /// The remote user name.
    pub fn user(&self) -> &str {
        match self {
            Credentials::Key { user, .. } | Credentials::Password { user, .. } => user,
        }
    }

    fn method(&self) -> &'static str {
        match self {
            Credentials::Key { .. } => "publickey",
            Credentials::Password { .. } => "password",
        }
    }
}

/// Why a connection could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    /// TCP or handshake failures that outlived the retry budget.
    #[error("cannot connect to {target} within {secs}s: {reason}")]
    Unreachable {
        /// host:port
        target: String,
        /// retry budget in seconds
        secs: u64,
        /// last error seen
        reason: String,
    },
    /// The host key was refused by the policy.
    #[error("host key of {target} refused: {reason}")]
    HostKey {
        /// host:port
        target: String,
        /// why
        reason: String,
    },
    /// The server refused the credentials.
    #[error("{method} authentication as {user} refused by {target}")]
    AuthRefused {
        /// host:port
        target: String,
        /// remote user
        user: String,
        /// auth method
        method: &'static str,
    },
    /// A command ran longer than allowed.
    #[error("`{command}` on {target} did not finish within {secs}s")]
    CommandTimeout {
        /// host:port
        target: String,
        /// the command (shortened)
        command: String,
        /// limit in seconds
        secs: u64,
    },
    /// The connection closed while a command ran (no exit status came back).
    #[error("connection to {target} lost while running `{command}`")]
    ConnectionLost {
        /// host:port
        target: String,
        /// the command (shortened)
        command: String,
    },
    /// The connection broke while running a command.
    #[error("ssh session to {target}: {source}")]
    Session {
        /// host:port
        target: String,
        /// underlying error
        #[source]
        source: russh::Error,
    },
}

impl SshError {
    /// Whether the host should be reported as unreachable (as opposed to failed).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            SshError::Unreachable { .. }
                | SshError::Session { .. }
                | SshError::ConnectionLost { .. }
        )
    }
}

/// The result of one remote command.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// Exit status; `None` when the command died from a signal or none was sent.
    pub status: Option<u32>,
    /// Signal name when killed by one.
    pub signal: Option<String>,
    /// Captured standard output.
    pub stdout: Vec<u8>,
    /// Captured standard error.
    pub stderr: Vec<u8>,
}

impl Output {
    /// True when the command exited with status 0.
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }

    /// Standard output as text (lossy).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Standard error as text (lossy).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

struct Client {
    target: Target,
    refusal: Arc<Mutex<Option<String>>>,
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let PublicKeyOrCertificate::PublicKey { key, .. } = server_key else {
            self.refuse("host certificates are not supported; pin the host key instead");
            return Ok(false);
        };
        let (host, port) = (&self.target.host, self.target.port);
        let fingerprint = key.fingerprint(Default::default());
        if self.target.policy == HostKeyPolicy::Insecure {
            tracing::warn!(
                host = %host,
                %fingerprint,
                "host key NOT verified (--host-key-policy insecure)"
            );
            return Ok(true);
        }
        let file = &self.target.known_hosts;
        let kh = match KnownHosts::read(file) {
            Ok(kh) => kh,
            Err(e) => {
                self.refuse(&format!("cannot read {}: {e}", file.display()));
                return Ok(false);
            }
        };
        match kh.check(host, port, key) {
            Verdict::Trusted => Ok(true),
            Verdict::Revoked => {
                self.refuse(&format!("key {fingerprint} is marked @revoked"));
                Ok(false)
            }
            Verdict::Changed { line } => {
                self.refuse(&format!(
                    "HOST KEY CHANGED: {fingerprint} differs from {}:{line} (possible man-in-the-middle)",
                    file.display()
                ));
                Ok(false)
            }
            Verdict::Unknown { other_types: true } => {
                self.refuse(&format!(
                    "{} lists only keys of other types for this host; offered {fingerprint}",
                    file.display()
                ));
                Ok(false)
            }
            Verdict::Unknown { other_types: false } => match self.target.policy {
                HostKeyPolicy::AcceptNew => {
                    if let Err(e) = known_hosts::record(file, host, port, key) {
                        self.refuse(&format!("cannot record in {}: {e}", file.display()));
                        return Ok(false);
                    }
                    tracing::info!(host = %host, %fingerprint, "new host key recorded");
                    Ok(true)
                }
                _ => {
                    self.refuse(&format!(
                        "unknown host key {fingerprint}: not in {} (policy strict; use accept-new for first contact)",
                        file.display()
                    ));
                    Ok(false)
                }
            },
        }
    }
}

impl Client {
    fn refuse(&self, reason: &str) {
        if let Ok(mut slot) = self.refusal.lock() {
            *slot = Some(reason.to_string());
        }
    }
}

/// An authenticated SSH connection.
pub struct Session {
    handle: Handle<Client>,
    target: String,
    user: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("target", &self.target)
            .field("user", &self.user)
            .finish()
    }
}

fn client_config() -> Arc<client::Config> {
    Arc::new(client::Config {
        keepalive_interval: Some(Duration::from_secs(15)),
        keepalive_max: 4,
        nodelay: true,
        ..Default::default()
    })
}

fn display_target(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

impl Session {
    /// Connects (retrying with backoff while the host refuses or times out), verifies the host
    /// key by policy and authenticates.
    pub async fn connect(target: &Target, creds: &Credentials) -> Result<Session, SshError> {
        let shown = display_target(&target.host, target.port);
        let started = Instant::now();
        let mut delay = Duration::from_millis(250);
        loop {
            let refusal = Arc::new(Mutex::new(None));
            let handler = Client {
                target: target.clone(),
                refusal: refusal.clone(),
            };
            let addr = (target.host.as_str(), target.port);
            // TCP first, on its own: "nothing answers the port" (a firewall dropping it, a host
            // that is down) and "SSH does not answer" are different causes.
            let reason = match tokio::time::timeout(TCP_CONNECT_TIMEOUT, TcpStream::connect(addr))
                .await
            {
                Err(_) => format!(
                    "no answer on TCP port {} (connection attempts time out: a firewall dropping the port, or the host is down)",
                    target.port
                ),
                Ok(Err(e)) => format!("TCP connection to port {} failed: {e}", target.port),
                Ok(Ok(stream)) => {
                    let _ = stream.set_nodelay(true);
                    let attempt = tokio::time::timeout(
                        Duration::from_secs(20),
                        client::connect_stream(client_config(), stream, handler),
                    )
                    .await;
                    match attempt {
                        Ok(Ok(handle)) => {
                            match Self::authenticate(handle, shown.clone(), creds).await {
                                // A connection dropped during auth (sshd's MaxStartups throttling
                                // many parallel logins, a host still booting) is worth another try.
                                Err(e @ SshError::Session { .. }) => e.to_string(),
                                other => return other,
                            }
                        }
                        Ok(Err(e)) => {
                            if let Some(reason) = refusal.lock().ok().and_then(|mut r| r.take()) {
                                return Err(SshError::HostKey {
                                    target: shown,
                                    reason,
                                });
                            }
                            e.to_string()
                        }
                        Err(_) => "SSH handshake timed out".to_string(),
                    }
                }
            };
            if started.elapsed() + delay > target.connect_budget {
                return Err(SshError::Unreachable {
                    target: shown,
                    secs: target.connect_budget.as_secs(),
                    reason,
                });
            }
            tracing::debug!(target = %shown, %reason, "connect failed, retrying");
            let jitter = Duration::from_millis(rand::random::<u64>() % 250);
            tokio::time::sleep(delay + jitter).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    async fn authenticate(
        mut handle: Handle<Client>,
        target: String,
        creds: &Credentials,
    ) -> Result<Session, SshError> {
        let session_err = |source| SshError::Session {
            target: target.clone(),
            source,
        };
        let result = match creds {
            Credentials::Key { user, key } => {
                let hash = if key.algorithm().is_rsa() {
                    handle
                        .best_supported_rsa_hash()
                        .await
                        .map_err(session_err)?
                        .flatten()
                } else {
                    None
                };
                let key = PrivateKeyWithHashAlg::new(key.clone(), hash);
                handle.authenticate_publickey(user.clone(), key).await
            }
            Credentials::Password { user, password } => {
                handle
                    .authenticate_password(user.clone(), password.expose())
                    .await
            }
        }
        .map_err(session_err)?;
        match result {
            AuthResult::Success => Ok(Session {
                handle,
                target,
                user: creds.user().to_string(),
            }),
            AuthResult::Failure { .. } => Err(SshError::AuthRefused {
                target,
                user: creds.user().to_string(),
                method: creds.method(),
            }),
        }
    }

    /// The remote user this session is logged in as.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// `host:port` of the peer.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Runs one command on a new channel of this connection, feeding `stdin` and capturing
    /// output and exit status.
    pub async fn exec(&self, command: &str, stdin: Option<&[u8]>) -> Result<Output, SshError> {
        let err = |source| SshError::Session {
            target: self.target.clone(),
            source,
        };
        let mut channel = self.handle.channel_open_session().await.map_err(err)?;
        channel.exec(true, command).await.map_err(err)?;
        if let Some(bytes) = stdin {
            channel.data_bytes(bytes.to_vec()).await.map_err(err)?;
        }
        channel.eof().await.map_err(err)?;
        let collect = async {
            let mut out = Output::default();
            // Keep reading after ExitStatus: data may trail it until the channel closes.
            while let Some(msg) = channel.wait().await {
                match msg {
                    ChannelMsg::Data { data } => out.stdout.extend_from_slice(&data),
                    ChannelMsg::ExtendedData { data, ext: 1 } => {
                        out.stderr.extend_from_slice(&data)
                    }
                    ChannelMsg::ExitStatus { exit_status } => out.status = Some(exit_status),
                    ChannelMsg::ExitSignal { signal_name, .. } => {
                        out.signal = Some(format!("{signal_name:?}"))
                    }
                    _ => {}
                }
            }
            out
        };
        let out = tokio::time::timeout(COMMAND_TIMEOUT, collect)
            .await
            .map_err(|_| SshError::CommandTimeout {
                target: self.target.clone(),
                command: command.chars().take(120).collect(),
                secs: COMMAND_TIMEOUT.as_secs(),
            })?;
        if out.status.is_none() && out.signal.is_none() && self.handle.is_closed() {
            return Err(SshError::ConnectionLost {
                target: self.target.clone(),
                command: command.chars().take(120).collect(),
            });
        }
        Ok(out)
    }

    /// Opens a `direct-tcpip` channel: the node's sshd connects to `host:port` (as seen from the
    /// node) and the channel carries the bytes. sshd refuses it when `AllowTcpForwarding` forbids
    /// local forwarding.
    pub async fn direct_tcpip(
        &self,
        host: &str,
        port: u16,
    ) -> Result<russh::ChannelStream<russh::client::Msg>, SshError> {
        let channel = self
            .handle
            .channel_open_direct_tcpip(host, u32::from(port), "127.0.0.1", 0)
            .await
            .map_err(|source| SshError::Session {
                target: self.target.clone(),
                source,
            })?;
        Ok(channel.into_stream())
    }

    /// Closes the connection politely.
    pub async fn close(&self) {
        let _ = self
            .handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }
}
