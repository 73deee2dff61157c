//! Launching a provider binary like go-plugin does and reading its handshake.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use thiserror::Error;

use super::ClientIdentity;
use crate::transport::handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use crate::transport::tls::crypto_provider;

/// Failures while launching a plugin or talking TLS to it.
#[derive(Debug, Error)]
pub enum LaunchError {
    /// The process could not be started or its output read.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The first stdout line is not a go-plugin handshake.
    #[error("invalid handshake line {line:?}: {reason}")]
    Handshake {
        /// The line as printed.
        line: String,
        /// What is wrong with it.
        reason: String,
    },
    /// TLS configuration failed.
    #[error("TLS client configuration: {0}")]
    Tls(#[from] rustls::Error),
}

/// The parsed fields of a handshake line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeInfo {
    /// go-plugin core protocol version (1).
    pub core_version: u32,
    /// Negotiated plugin protocol version.
    pub protocol_version: u32,
    /// Network type: `tcp` or `unix`.
    pub network: String,
    /// Listener address: `IP:port` for tcp, a socket path for unix.
    pub address: String,
    /// RPC protocol name (`grpc`).
    pub rpc_protocol: String,
    /// The server certificate DER, when AutoMTLS is on.
    pub server_cert_der: Option<Vec<u8>>,
}

/// Parses `CORE|APP|NETWORK|ADDR|PROTOCOL|CERT` the way go-plugin's client does.
pub fn parse_handshake_line(line: &str) -> Result<HandshakeInfo, LaunchError> {
    let fail = |reason: &str| LaunchError::Handshake {
        line: line.to_owned(),
        reason: reason.to_owned(),
    };
    let parts: Vec<&str> = line.trim_end().split('|').collect();
    if parts.len() < 5 {
        return Err(fail("fewer than five fields"));
    }
    let core_version = parts[0]
        .parse()
        .map_err(|_| fail("core version is not a number"))?;
    let protocol_version = parts[1]
        .parse()
        .map_err(|_| fail("protocol version is not a number"))?;
    let network = parts[2].to_owned();
    match network.as_str() {
        "tcp" => {
            parts[3]
                .parse::<SocketAddr>()
                .map_err(|_| fail("tcp address is not IP:port"))?;
        }
        "unix" => {}
        _ => return Err(fail("network is neither tcp nor unix")),
    }
    let server_cert_der = match parts.get(5) {
        Some(cert) if !cert.is_empty() => Some(
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(cert)
                .map_err(|_| fail("certificate is not unpadded standard base64"))?,
        ),
        _ => None,
    };
    Ok(HandshakeInfo {
        core_version,
        protocol_version,
        network,
        address: parts[3].to_owned(),
        rpc_protocol: parts[4].to_owned(),
        server_cert_der,
    })
}

impl HandshakeInfo {
    /// The TCP address, when the plugin listens on TCP.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        if self.network == "tcp" {
            self.address.parse().ok()
        } else {
            None
        }
    }
}

/// A running plugin process; killed when dropped.
pub struct LaunchedPlugin {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    /// The parsed handshake.
    pub handshake: HandshakeInfo,
    /// Time from spawning the process to reading its complete handshake line.
    pub spawn_to_handshake: Duration,
}

impl LaunchedPlugin {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident set size in KiB, from `/proc/PID/status` (`VmRSS`).
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Whether the process has exited, and with which code.
    pub fn try_exit_code(&mut self) -> Option<Option<i32>> {
        self.child
            .try_wait()
            .ok()
            .flatten()
            .map(|status| status.code())
    }

    /// Waits up to `limit` for the process to exit on its own.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<Option<i32>> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(code) = self.try_exit_code() {
                return Some(code);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }
}

impl Drop for LaunchedPlugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `binary` as Terraform would: magic cookie, `PLUGIN_PROTOCOL_VERSIONS`, the
/// default port range and, with `client`, AutoMTLS via `PLUGIN_CLIENT_CERT`. Returns once
/// the handshake line has been read. Stderr is discarded.
pub fn launch(
    binary: &Path,
    client: Option<&ClientIdentity>,
    protocol_versions: &str,
) -> Result<LaunchedPlugin, LaunchError> {
    let mut command = Command::new(binary);
    command
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", protocol_versions)
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env_remove("PLUGIN_CLIENT_CERT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(client) = client {
        command.env("PLUGIN_CLIENT_CERT", &client.cert_pem);
    }
    let started = Instant::now();
    let mut child = command.spawn().map_err(|source| LaunchError::Io {
        context: format!("starting {}", binary.display()),
        source,
    })?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    let read = reader.read_line(&mut line);
    let spawn_to_handshake = started.elapsed();
    if let Err(source) = read {
        let _ = child.kill();
        return Err(LaunchError::Io {
            context: format!("reading the handshake of {}", binary.display()),
            source,
        });
    }
    let handshake = match parse_handshake_line(&line) {
        Ok(handshake) => handshake,
        Err(error) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(error);
        }
    };
    Ok(LaunchedPlugin {
        child,
        _stdout: reader,
        handshake,
        spawn_to_handshake,
    })
}

/// A TLS client configuration like Terraform's: trusts exactly `server_cert_der`, offers
/// ALPN `h2`, and presents `client` (or no certificate at all).
pub fn tls_client_config(
    server_cert_der: &[u8],
    client: Option<&ClientIdentity>,
) -> Result<Arc<ClientConfig>, LaunchError> {
    let provider = crypto_provider();
    let verifier = PinnedServerCert {
        pinned: CertificateDer::from(server_cert_der.to_vec()),
        algorithms: provider.signature_verification_algorithms,
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut config = match client {
        Some(identity) => {
            builder.with_client_auth_cert(vec![identity.cert_der.clone()], identity.key_der())?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// Trusts one server certificate byte for byte (the provider's self-signed CA certificate,
/// which webpki would refuse as an end entity) and verifies handshake signatures.
#[derive(Debug)]
struct PinnedServerCert {
    pinned: CertificateDer<'static>,
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedServerCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tls_and_plain_lines() {
        let tls = parse_handshake_line("1|6|tcp|127.0.0.1:10001|grpc|+/8BAg\n").unwrap();
        assert_eq!(tls.protocol_version, 6);
        assert_eq!(tls.server_cert_der, Some(vec![0xfb, 0xff, 0x01, 0x02]));
        let plain = parse_handshake_line("1|6|tcp|127.0.0.1:10001|grpc|").unwrap();
        assert_eq!(plain.server_cert_der, None);
        assert_eq!(plain.tcp_addr(), Some("127.0.0.1:10001".parse().unwrap()));
        let go = parse_handshake_line("1|5|unix|/tmp/plugin123|grpc|").unwrap();
        assert_eq!((go.network.as_str(), go.tcp_addr()), ("unix", None));
        assert!(parse_handshake_line("this provider needs plugin protocol 6").is_err());
    }

    #[test]
    fn client_config_accepts_a_p521_identity() {
        let client = ClientIdentity::generate().unwrap();
        let server = crate::transport::tls::ServerIdentity::generate().unwrap();
        let config = tls_client_config(server.cert_der.as_ref(), Some(&client)).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec()]);
    }
}
