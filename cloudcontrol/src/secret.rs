//! A string that must never be printed: passwords and other credentials.

use serde::{Serialize, Serializer};
use std::fmt;

/// A secret string (a password). Its `Debug` output is redacted and it has no
/// `Display`, so it cannot leak through logs or error messages by accident.
/// It serialises as the plain value because the API needs it in request bodies.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Returns the secret value; call this only where the value is sent.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_is_redacted() {
        let secret = Secret::new("hunter2-Sup3r!");
        let printed = format!("{secret:?} {:#?}", Some(&secret));
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("redacted"));
    }

    #[test]
    fn serialises_the_plain_value_for_request_bodies() {
        let json = serde_json::to_string(&Secret::new("p@ss")).unwrap();
        assert_eq!(json, "\"p@ss\"");
        assert_eq!(Secret::from("p@ss").expose(), "p@ss");
    }
}
