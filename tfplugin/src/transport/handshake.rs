//! The go-plugin handshake as Terraform drives it: environment checks, protocol
//! negotiation, loopback port selection and the line printed on stdout.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};

use base64::Engine as _;
use thiserror::Error;
use tokio::net::TcpListener;

/// Environment variable holding Terraform's magic cookie.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// The cookie value Terraform has always used for providers.
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// go-plugin's core protocol version, the first field of the handshake line.
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// The only plugin protocol this runtime serves.
pub const PLUGIN_PROTOCOL_VERSION: u32 = 6;

const DEFAULT_MIN_PORT: u16 = 10000;
const DEFAULT_MAX_PORT: u16 = 25000;

/// Why the process cannot act as a plugin for the Terraform that started it.
#[derive(Debug, Error)]
pub enum HandshakeError {
    /// Started by hand rather than by Terraform.
    #[error(
        "This binary is a plugin. These are not meant to be executed directly. \
         Please execute the program that consumes these plugins, which will load \
         any plugins automatically"
    )]
    NotLaunchedByTerraform,
    /// Terraform offered no protocol version we serve.
    #[error(
        "this provider needs plugin protocol {PLUGIN_PROTOCOL_VERSION} (Terraform 1.0 or later); \
         Terraform offered {offered}"
    )]
    UnsupportedProtocol {
        /// The versions Terraform offered, as received.
        offered: String,
    },
    /// `PLUGIN_MIN_PORT`/`PLUGIN_MAX_PORT` are not a valid range.
    #[error("invalid plugin port range {name}={value:?}: {reason}")]
    InvalidPortRange {
        /// The offending variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// No free loopback port in the allowed range.
    #[error("no free port on 127.0.0.1 between {min} and {max}: {source}")]
    NoFreePort {
        /// Lowest port tried.
        min: u16,
        /// Highest port tried.
        max: u16,
        /// The last bind error.
        source: std::io::Error,
    },
}

/// What Terraform told the plugin through its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginEnv {
    /// Lowest port the plugin may listen on.
    pub min_port: u16,
    /// Highest port the plugin may listen on.
    pub max_port: u16,
    /// Terraform's client certificate (PEM) for AutoMTLS; `None` when plugin TLS is disabled.
    pub client_cert_pem: Option<String>,
}

impl PluginEnv {
    /// Reads the process environment.
    pub fn from_process() -> Result<Self, HandshakeError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Parses the environment through `lookup`, so tests need not touch the real one.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, HandshakeError> {
        if lookup(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
            return Err(HandshakeError::NotLaunchedByTerraform);
        }
        let offered = lookup("PLUGIN_PROTOCOL_VERSIONS").unwrap_or_default();
        if !offered_versions(&offered).contains(&PLUGIN_PROTOCOL_VERSION) {
            let offered = if offered.trim().is_empty() {
                "none".to_owned()
            } else {
                format!("[{}]", offered.trim())
            };
            return Err(HandshakeError::UnsupportedProtocol { offered });
        }
        let min_port = port_var(&lookup, "PLUGIN_MIN_PORT", DEFAULT_MIN_PORT)?;
        let max_port = port_var(&lookup, "PLUGIN_MAX_PORT", DEFAULT_MAX_PORT)?;
        if min_port > max_port {
            return Err(HandshakeError::InvalidPortRange {
                name: "PLUGIN_MIN_PORT",
                value: min_port.to_string(),
                reason: "must not exceed PLUGIN_MAX_PORT",
            });
        }
        let client_cert_pem = lookup("PLUGIN_CLIENT_CERT").filter(|pem| !pem.trim().is_empty());
        Ok(Self {
            min_port,
            max_port,
            client_cert_pem,
        })
    }
}

/// The protocol versions in a `PLUGIN_PROTOCOL_VERSIONS` value. go-plugin writes them in
/// map order, so they are a set; entries that are not numbers are ignored.
pub fn offered_versions(raw: &str) -> BTreeSet<u32> {
    raw.split(',')
        .filter_map(|part| part.trim().parse().ok())
        .collect()
}

fn port_var(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u16,
) -> Result<u16, HandshakeError> {
    match lookup(name) {
        None => Ok(default),
        Some(value) if value.trim().is_empty() => Ok(default),
        Some(value) => match value.trim().parse::<u16>() {
            Ok(0) => Err(HandshakeError::InvalidPortRange {
                name,
                value,
                reason: "must be between 1 and 65535",
            }),
            Ok(port) => Ok(port),
            Err(_) => Err(HandshakeError::InvalidPortRange {
                name,
                value,
                reason: "must be a number between 1 and 65535",
            }),
        },
    }
}

/// Binds a TCP listener on 127.0.0.1 (never a wildcard address) at the first free port of
/// the range, starting from an offset derived from the process id so that providers
/// started in parallel rarely race for the same port.
pub async fn bind_loopback(min: u16, max: u16) -> Result<TcpListener, HandshakeError> {
    let span = u32::from(max - min) + 1;
    let start = std::process::id() % span;
    let mut last_error = None;
    for step in 0..span {
        let port = min + ((start + step) % span) as u16;
        match TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await {
            Ok(listener) => return Ok(listener),
            Err(error) => last_error = Some(error),
        }
    }
    Err(HandshakeError::NoFreePort {
        min,
        max,
        source: last_error.unwrap_or_else(|| std::io::Error::other("empty port range")),
    })
}

/// The handshake line (without newline): `1|6|tcp|ADDR|grpc|CERT`, where CERT is the
/// server certificate's DER in standard base64 without padding, or empty for plaintext.
pub fn handshake_line(addr: SocketAddr, server_cert_der: Option<&[u8]>) -> String {
    let cert = server_cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!("{CORE_PROTOCOL_VERSION}|{PLUGIN_PROTOCOL_VERSION}|tcp|{addr}|grpc|{cert}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |key| map.get(key).cloned()
    }

    #[test]
    fn missing_cookie_is_a_human_error() {
        let err = PluginEnv::from_lookup(env(&[])).unwrap_err();
        assert!(matches!(err, HandshakeError::NotLaunchedByTerraform));
        assert!(err
            .to_string()
            .contains("not meant to be executed directly"));
        let wrong = PluginEnv::from_lookup(env(&[(MAGIC_COOKIE_KEY, "nope")])).unwrap_err();
        assert!(matches!(wrong, HandshakeError::NotLaunchedByTerraform));
    }

    #[test]
    fn versions_are_a_set_in_any_order() {
        for raw in ["5,6", "6,5", " 6 ", "6,x,5", "7,6"] {
            let parsed = PluginEnv::from_lookup(env(&[
                (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
                ("PLUGIN_PROTOCOL_VERSIONS", raw),
            ]));
            assert!(parsed.is_ok(), "{raw}: {parsed:?}");
        }
        assert_eq!(offered_versions("6,5,6"), BTreeSet::from([5, 6]));
    }

    #[test]
    fn only_protocol_5_names_the_requirement() {
        let err = PluginEnv::from_lookup(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_PROTOCOL_VERSIONS", "5"),
        ]))
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("needs plugin protocol 6"), "{text}");
        assert!(text.contains("offered [5]"), "{text}");
        assert!(!text.contains('\n'));
    }

    #[test]
    fn ports_and_client_cert_are_read() {
        let parsed = PluginEnv::from_lookup(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_PROTOCOL_VERSIONS", "5,6"),
            ("PLUGIN_MIN_PORT", "20000"),
            ("PLUGIN_MAX_PORT", "20010"),
            ("PLUGIN_CLIENT_CERT", "-----BEGIN CERTIFICATE-----"),
        ]))
        .unwrap();
        assert_eq!((parsed.min_port, parsed.max_port), (20000, 20010));
        assert!(parsed.client_cert_pem.is_some());
        let bad = PluginEnv::from_lookup(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_PROTOCOL_VERSIONS", "6"),
            ("PLUGIN_MIN_PORT", "30000"),
            ("PLUGIN_MAX_PORT", "20000"),
        ]));
        assert!(matches!(bad, Err(HandshakeError::InvalidPortRange { .. })));
    }

    #[test]
    fn handshake_line_has_unpadded_standard_base64_der() {
        let addr: SocketAddr = "127.0.0.1:10001".parse().unwrap();
        // 4 bytes encode to 6 characters plus "==" padding in padded base64.
        let line = handshake_line(addr, Some(&[0xfb, 0xff, 0x01, 0x02]));
        assert_eq!(line, "1|6|tcp|127.0.0.1:10001|grpc|+/8BAg");
        assert_eq!(handshake_line(addr, None), "1|6|tcp|127.0.0.1:10001|grpc|");
    }

    #[tokio::test]
    async fn binds_loopback_inside_the_range() {
        let listener = bind_loopback(20000, 25000).await.unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(addr.ip().is_loopback());
        assert!((20000..=25000).contains(&addr.port()));
    }
}
