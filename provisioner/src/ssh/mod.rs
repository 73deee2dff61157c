//! The SSH engine: host key verification, key/password authentication and command execution.

pub mod known_hosts;
pub mod session;

pub use session::{Credentials, Output, Session, SshError, Target};

use serde::{Deserialize, Serialize};

/// What to do with a host key that is not (yet) in the known_hosts file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum HostKeyPolicy {
    /// The key must already be on file (default).
    #[default]
    Strict,
    /// Unknown hosts are recorded; changed keys are still refused.
    AcceptNew,
    /// Accept anything (explicit, warned on every connection).
    Insecure,
}

/// Loads an unencrypted OpenSSH private key (ed25519 or RSA).
pub fn load_private_key(path: &std::path::Path) -> anyhow::Result<russh::keys::PrivateKey> {
    use anyhow::Context;
    russh::keys::load_secret_key(path, None)
        .with_context(|| format!("loading private key {}", path.display()))
}
