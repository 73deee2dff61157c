//! Running commands on a host as root: directly when logged in as root, through `sudo`
//! otherwise. Every command and its result goes to the host log.

use std::sync::Arc;

use async_trait::async_trait;

use crate::health::transport::{BoxStream, DialError, Dialer};
use crate::hostlog::HostLog;
use crate::secret::Secret;
use crate::ssh::{Output, Session, SshError};

/// How commands gain root.
#[derive(Debug, Clone)]
pub enum Privilege {
    /// Logged in as root.
    Root,
    /// `sudo -n` (NOPASSWD), the operator's normal case.
    Sudo,
    /// `sudo -S` with the password fed on stdin (never on the command line).
    SudoPassword(Secret),
}

/// Quotes a string for POSIX `sh`.
pub fn sh_quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        return text.to_string();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Wraps a shell script so it runs as root under the given privilege.
pub fn wrap_privileged(script: &str, privilege: &Privilege) -> String {
    let inner = format!("sh -c {}", sh_quote(script));
    match privilege {
        Privilege::Root => inner,
        Privilege::Sudo => format!("sudo -n -- {inner}"),
        Privilege::SudoPassword(_) => format!("sudo -S -k -p '' -- {inner}"),
    }
}

/// Builds the command and stdin for `sudo -S`: the password line, then a random marker line,
/// then the caller's data. The script first skips everything up to the marker, so whether or not
/// sudo asked for the password (a NOPASSWD rule may appear mid-run), the password never reaches
/// the script's own input. `read` takes a pipe byte by byte, so the data after the marker stays.
pub fn sudo_password_framing(script: &str, pw: &Secret, stdin: Option<&[u8]>) -> (String, Vec<u8>) {
    let marker = format!("mesos-provisioner-stdin-{:016x}", rand::random::<u64>());
    let framed = format!("while IFS= read -r l; do [ \"$l\" = {marker} ] && break; done; {script}");
    let command = wrap_privileged(&framed, &Privilege::SudoPassword(pw.clone()));
    let mut bytes = format!("{}\n{marker}\n", pw.expose()).into_bytes();
    bytes.extend_from_slice(stdin.unwrap_or_default());
    (command, bytes)
}

/// Something that runs shell scripts as root on one host: the SSH-backed [`Remote`], or a
/// scripted fake in unit tests.
#[async_trait]
pub trait Exec: Send + Sync + std::fmt::Debug {
    /// Runs a script as root, returning its output whatever the exit status.
    async fn run(&self, script: &str, stdin: Option<&[u8]>) -> Result<Output, RemoteError>;

    /// The host log.
    fn log(&self) -> Arc<HostLog>;

    /// Closes the connection.
    async fn close(&self);

    /// Opens streams to addresses as seen from this host (SSH `direct-tcpip`); `None` for
    /// connections that cannot (the unit tests' fake host).
    fn dialer(&self) -> Option<Arc<dyn Dialer>> {
        None
    }

    /// Runs a script as root and fails unless it exits 0; returns stdout.
    async fn run_ok(&self, script: &str, stdin: Option<&[u8]>) -> Result<String, RemoteError> {
        let out = self.run(script, stdin).await?;
        check_output(script, &out)?;
        Ok(out.stdout_text())
    }
}

/// Turns a non-zero exit into an error carrying the last lines of stderr (or stdout).
pub fn check_output(script: &str, out: &Output) -> Result<(), RemoteError> {
    if out.success() {
        return Ok(());
    }
    let detail = if out.stderr.is_empty() {
        out.stdout_text()
    } else {
        out.stderr_text()
    };
    let tail: Vec<&str> = detail.lines().rev().take(5).collect();
    let short: String = script.chars().take(120).collect();
    Err(RemoteError::Failed {
        command: short,
        status: status(out),
        stderr: tail.into_iter().rev().collect::<Vec<_>>().join(" | "),
    })
}

/// A host connection that runs scripts as root and logs them.
pub struct Remote {
    session: Arc<Session>,
    name: String,
    privilege: Privilege,
    log: Arc<HostLog>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("session", &self.session)
            .finish()
    }
}

/// A failed command, with its output for the report.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The connection failed.
    #[error(transparent)]
    Ssh(#[from] SshError),
    /// The command exited non-zero.
    #[error("`{command}` failed ({status}): {stderr}")]
    Failed {
        /// the script (shortened)
        command: String,
        /// exit status or signal
        status: String,
        /// last lines of stderr (or stdout)
        stderr: String,
    },
}

impl Remote {
    /// Wraps a session to the node `name`. When the user is not root, decides between `sudo -n`
    /// and a password.
    pub async fn new(
        name: &str,
        session: Session,
        sudo_password: Option<Secret>,
        log: Arc<HostLog>,
    ) -> Result<Self, RemoteError> {
        let privilege = if session.user() == "root" {
            Privilege::Root
        } else {
            let probe = session.exec("sudo -n true", None).await?;
            log.command(
                session.user(),
                "sudo -n true",
                None,
                &status(&probe),
                "",
                "",
            );
            match (probe.success(), sudo_password) {
                (true, _) => Privilege::Sudo,
                (false, Some(pw)) => Privilege::SudoPassword(pw),
                (false, None) => Privilege::Sudo,
            }
        };
        log.note(&format!(
            "connected to {} as {}",
            session.target(),
            session.user()
        ));
        Ok(Remote {
            session: Arc::new(session),
            name: name.to_string(),
            privilege,
            log,
        })
    }

    /// The remote login user.
    pub fn user(&self) -> &str {
        self.session.user()
    }
}

#[async_trait]
impl Exec for Remote {
    async fn run(&self, script: &str, stdin: Option<&[u8]>) -> Result<Output, RemoteError> {
        let (command, fed) = match &self.privilege {
            Privilege::SudoPassword(pw) => {
                let (command, bytes) = sudo_password_framing(script, pw, stdin);
                (command, Some(bytes))
            }
            other => (wrap_privileged(script, other), stdin.map(<[u8]>::to_vec)),
        };
        let out = self.session.exec(&command, fed.as_deref()).await?;
        self.log.command(
            self.user(),
            script,
            stdin.map(<[u8]>::len),
            &status(&out),
            &out.stdout_text(),
            &out.stderr_text(),
        );
        Ok(out)
    }

    fn log(&self) -> Arc<HostLog> {
        self.log.clone()
    }

    async fn close(&self) {
        self.session.close().await;
    }

    fn dialer(&self) -> Option<Arc<dyn Dialer>> {
        Some(Arc::new(SshDialer {
            node: self.name.clone(),
            session: self.session.clone(),
        }))
    }
}

/// Streams through `direct-tcpip` channels of one node's SSH connection.
pub struct SshDialer {
    node: String,
    session: Arc<Session>,
}

impl SshDialer {
    /// A dialer through `session`, the connection to `node`.
    pub fn new(node: &str, session: Arc<Session>) -> Self {
        SshDialer {
            node: node.to_string(),
            session,
        }
    }
}

impl std::fmt::Debug for SshDialer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshDialer")
            .field("node", &self.node)
            .finish()
    }
}

#[async_trait]
impl Dialer for SshDialer {
    async fn dial(&self, host: &str, port: u16) -> Result<BoxStream, DialError> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let open = self.session.direct_tcpip(host, port);
        match tokio::time::timeout(crate::health::transport::DIAL_TIMEOUT, open).await {
            Ok(Ok(stream)) => Ok(Box::new(stream)),
            Ok(Err(e)) => Err(DialError {
                target: crate::cluster::host_port(host, port),
                via: self.via(),
                reason: match e {
                    SshError::Session {
                        source: russh::Error::ChannelOpenFailure(reason),
                        ..
                    } => format!("{reason:?} (refused by sshd on {}; connection refused, or AllowTcpForwarding forbids it)", self.node),
                    other => other.to_string(),
                },
            }),
            Err(_) => Err(DialError {
                target: crate::cluster::host_port(host, port),
                via: self.via(),
                reason: "the channel did not open within 5s".to_string(),
            }),
        }
    }

    fn via(&self) -> String {
        format!("ssh via {}", self.node)
    }
}

fn status(out: &Output) -> String {
    match (&out.status, &out.signal) {
        (Some(code), _) => format!("exit {code}"),
        (None, Some(sig)) => format!("signal {sig}"),
        (None, None) => "no exit status".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(sh_quote("abc/d-1"), "abc/d-1");
        assert_eq!(sh_quote(""), "''");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        assert_eq!(sh_quote("a b"), "'a b'");
    }

    #[test]
    fn sudo_password_framing_keeps_the_password_off_argv_and_out_of_the_data() {
        let pw = Secret::new("pw-XYZ");
        let (command, stdin) = sudo_password_framing("cat > /tmp/f", &pw, Some(b"data\n"));
        assert!(!command.contains("pw-XYZ"));
        let text = String::from_utf8(stdin).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("pw-XYZ"));
        let marker = lines.next().unwrap();
        assert!(marker.starts_with("mesos-provisioner-stdin-"));
        assert!(command.contains(marker));
        assert_eq!(lines.next(), Some("data"));
        // Run the framed script locally (no sudo): with the password line still present, the
        // script must skip it and see only the data.
        let framed = command
            .strip_prefix("sudo -S -k -p '' -- sh -c ")
            .unwrap()
            .trim_matches('\'')
            .replace(r"'\''", "'")
            .replace("cat > /tmp/f", "cat");
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg(&framed)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), "data\n");
    }

    /// A russh server that accepts any key and forwards `direct-tcpip` channels to their target
    /// (refusing the channel when the target does not answer, as sshd does).
    struct Forwarder;

    impl russh::server::Handler for Forwarder {
        type Error = russh::Error;

        async fn auth_publickey(
            &mut self,
            _: &str,
            _: russh::server::VerifiedPublicKey<'_>,
        ) -> Result<russh::server::Auth, Self::Error> {
            Ok(russh::server::Auth::Accept)
        }

        async fn channel_open_direct_tcpip(
            &mut self,
            channel: russh::Channel<russh::server::Msg>,
            host: &str,
            port: u32,
            _: &str,
            _: u32,
            reply: russh::server::ChannelOpenHandle,
            _: &mut russh::server::Session,
        ) -> Result<(), Self::Error> {
            let Ok(mut target) = tokio::net::TcpStream::connect((host, port as u16)).await else {
                reply.reject(russh::ChannelOpenFailure::ConnectFailed).await;
                return Ok(());
            };
            reply.accept().await;
            tokio::spawn(async move {
                let mut stream = channel.into_stream();
                let _ = tokio::io::copy_bidirectional(&mut stream, &mut target).await;
            });
            Ok(())
        }
    }

    #[tokio::test]
    async fn direct_tcpip_carries_http_to_a_target_and_names_a_refusal() {
        use crate::health::http;
        use crate::health::transport::Dialer as _;

        let key = russh::keys::PrivateKey::from_openssh(crate::roles::testkit::TEST_KEY).unwrap();
        let config = Arc::new(russh::server::Config {
            keys: vec![key.clone()],
            ..Default::default()
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ssh_port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let config = config.clone();
                tokio::spawn(async move {
                    if let Ok(session) = russh::server::run_stream(config, stream, Forwarder).await
                    {
                        let _ = session.await;
                    }
                });
            }
        });
        let web = crate::health::http::testserver::Server::default();
        web.route("GET /master/state", 200, "{\"via\":\"tunnel\"}");
        let web_port = web.start().await;

        let target = crate::ssh::Target {
            host: "127.0.0.1".into(),
            port: ssh_port,
            policy: crate::ssh::HostKeyPolicy::Insecure,
            known_hosts: "/nonexistent".into(),
            connect_budget: std::time::Duration::from_secs(5),
        };
        let creds = crate::ssh::Credentials::Key {
            user: "ops".into(),
            key: Arc::new(key),
        };
        let session = Arc::new(Session::connect(&target, &creds).await.unwrap());
        let dialer = SshDialer::new("m1", session);
        assert_eq!(dialer.via(), "ssh via m1");
        for _ in 0..3 {
            // One channel per request, on the same connection.
            let r = http::get(&dialer, "127.0.0.1", web_port, "/master/state")
                .await
                .unwrap();
            assert_eq!(r.status.as_u16(), 200);
            assert_eq!(r.body_excerpt(), "{\"via\":\"tunnel\"}");
        }
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = dialer.dial("127.0.0.1", closed).await.err().unwrap();
        assert_eq!(err.via, "ssh via m1");
        assert!(
            err.reason.contains("refused by sshd on m1"),
            "{}",
            err.reason
        );
    }

    #[test]
    fn privileged_wrapping_never_contains_the_password() {
        let script = "id -u";
        assert_eq!(wrap_privileged(script, &Privilege::Root), "sh -c 'id -u'");
        assert_eq!(
            wrap_privileged(script, &Privilege::Sudo),
            "sudo -n -- sh -c 'id -u'"
        );
        let pw = Privilege::SudoPassword(Secret::new("pw-XYZ"));
        let wrapped = wrap_privileged(script, &pw);
        assert!(wrapped.starts_with("sudo -S -k -p '' -- "));
        assert!(!wrapped.contains("pw-XYZ"));
    }
}
