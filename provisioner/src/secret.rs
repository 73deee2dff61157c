//! Secrets (passwords) that must never reach argv, logs or `Debug` output.

use std::fmt;
use std::path::Path;

/// A secret string. `Debug` and `Display` never show its content.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value, for the one place that must send it (SSH auth, sudo stdin).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads a secret from a file, dropping one trailing newline (as `echo pw > file` writes).
    pub fn from_file(path: &Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        let text = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .unwrap_or(&text);
        Ok(Secret(text.to_string()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Replaces every occurrence of any non-empty secret in `text` with `<redacted>`.
pub fn redact(text: &str, secrets: &[Secret]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        if !secret.0.is_empty() {
            out = out.replace(&secret.0, "<redacted>");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{s}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn redact_replaces_every_occurrence() {
        let secrets = [Secret::new("pw1"), Secret::new("")];
        assert_eq!(redact("a pw1 b pw1", &secrets), "a <redacted> b <redacted>");
    }

    #[test]
    fn from_file_drops_one_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "s3cret \n").unwrap();
        assert_eq!(Secret::from_file(&p).unwrap().expose(), "s3cret ");
    }
}
