//! A fresh ed25519 operator key pair per test binary, written in OpenSSH format.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::ssh_key::LineEnding;
use russh::keys::PrivateKey;

/// An operator key pair on disk: the private key (mode 0600) and its `.pub` file.
#[derive(Debug, Clone)]
pub struct OperatorKey {
    private_key: PathBuf,
    public_openssh: String,
}

impl OperatorKey {
    /// Makes a new random ed25519 key with `comment` and writes it to `path` and `path.pub`.
    pub fn generate(path: &Path, comment: &str) -> Result<OperatorKey> {
        let seed: [u8; 32] = rand::random();
        let mut key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
        key.set_comment(comment);
        let private = key
            .to_openssh(LineEnding::LF)
            .context("encoding the operator key")?;
        let public_openssh = key
            .public_key()
            .to_openssh()
            .context("encoding the operator public key")?;
        std::fs::write(path, private.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("chmod 600 {}", path.display()))?;
        let public_path = path.with_extension("pub");
        std::fs::write(&public_path, format!("{public_openssh}\n"))
            .with_context(|| format!("writing {}", public_path.display()))?;
        Ok(OperatorKey {
            private_key: path.to_owned(),
            public_openssh,
        })
    }

    /// The private key file.
    pub fn private_key(&self) -> &Path {
        &self.private_key
    }

    /// The public key as one OpenSSH line (`ssh-ed25519 AAAA... comment`).
    pub fn public_openssh(&self) -> &str {
        &self.public_openssh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_loadable_private_key_and_matching_public_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("id");
        let key = OperatorKey::generate(&path, "t@e2e").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let loaded = russh::keys::load_secret_key(&path, None).unwrap();
        assert_eq!(
            loaded.public_key().to_openssh().unwrap(),
            key.public_openssh()
        );
        assert!(key.public_openssh().starts_with("ssh-ed25519 "));
        let other = OperatorKey::generate(&dir.path().join("id2"), "t@e2e").unwrap();
        assert_ne!(other.public_openssh(), key.public_openssh());
    }
}
