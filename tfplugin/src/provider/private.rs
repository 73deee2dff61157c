//! Private state: provider-only data Terraform stores next to a resource's state
//! (base64 in the state file) and hands back on the next operation. Stored as a JSON
//! object of keys, like terraform-plugin-framework does, so several concerns can share it.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::diag::Diagnostic;

/// Keyed private data of one resource instance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrivateState {
    entries: BTreeMap<String, Json>,
}

impl PrivateState {
    /// Decodes the bytes Terraform sent; empty bytes are an empty state.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Diagnostic> {
        if bytes.is_empty() {
            return Ok(Self::default());
        }
        let entries = serde_json::from_slice(bytes).map_err(|error| {
            Diagnostic::error(
                "Invalid private state",
                format!(
                    "The private data stored with this resource is not a JSON object ({error}). \
                     It was not written by this provider version."
                ),
            )
        })?;
        Ok(Self { entries })
    }

    /// Encodes for Terraform; an empty state is empty bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        serde_json::to_vec(&self.entries).expect("a JSON map always serializes")
    }

    /// The value stored under `key`.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.entries.get(key)
    }

    /// Stores `value` under `key`.
    pub fn set(&mut self, key: impl Into<String>, value: Json) {
        self.entries.insert(key.into(), value);
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Json> {
        self.entries.remove(key)
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_empty_is_empty_bytes() {
        assert!(PrivateState::default().to_bytes().is_empty());
        assert!(PrivateState::from_bytes(b"").unwrap().is_empty());
        let mut state = PrivateState::default();
        state.set("etag", Json::from("abc"));
        let decoded = PrivateState::from_bytes(&state.to_bytes()).unwrap();
        assert_eq!(decoded.get("etag"), Some(&Json::from("abc")));
    }

    #[test]
    fn foreign_bytes_are_a_diagnostic() {
        let err = PrivateState::from_bytes(b"\x00garbage").unwrap_err();
        assert_eq!(err.summary, "Invalid private state");
    }
}
