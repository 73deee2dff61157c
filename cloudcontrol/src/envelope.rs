//! The response envelope every POST (and every API error) carries.

use serde::{Deserialize, Serialize};

/// The `responseCode` values the client acts on.
pub mod response_codes {
    /// Synchronous success.
    pub const OK: &str = "OK";
    /// Asynchronous operation accepted; poll the resource.
    pub const IN_PROGRESS: &str = "IN_PROGRESS";
    /// The asset does not exist (any more).
    pub const RESOURCE_NOT_FOUND: &str = "RESOURCE_NOT_FOUND";
    /// Another conflicting operation is running; retry later.
    pub const RESOURCE_BUSY: &str = "RESOURCE_BUSY";
    /// The request was malformed or broke a rule.
    pub const INVALID_INPUT_DATA: &str = "INVALID_INPUT_DATA";
    /// No free public IPv4 address for a NAT rule.
    pub const NO_IP_ADDRESS_AVAILABLE: &str = "NO_IP_ADDRESS_AVAILABLE";
    /// The server must be stopped for the operation.
    pub const SERVER_STARTED: &str = "SERVER_STARTED";
    /// The asset still has dependents.
    pub const HAS_DEPENDENCY: &str = "HAS_DEPENDENCY";
    /// The platform failed unexpectedly (seen sporadically on concurrent requests).
    pub const UNEXPECTED_ERROR: &str = "UNEXPECTED_ERROR";
    /// A transient platform failure.
    pub const RETRYABLE_SYSTEM_ERROR: &str = "RETRYABLE_SYSTEM_ERROR";
    /// The credentials may not do this.
    pub const AUTHORIZATION_FAILURE: &str = "AUTHORIZATION_FAILURE";
}

/// A `{name, value}` pair from an envelope's `info`, `warning` or `error` list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameValue {
    /// The entry's name (for example `vlanId`).
    pub name: String,
    /// The entry's value.
    #[serde(default)]
    pub value: String,
}

/// The `{operation, responseCode, message, info[], ...}` envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResponse {
    /// The API's name for the operation (for example `DEPLOY_VLAN`).
    #[serde(default)]
    pub operation: String,
    /// The outcome code (`OK`, `IN_PROGRESS`, `RESOURCE_BUSY`, ...).
    pub response_code: String,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// Named values returned by the operation (created ids live here).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub info: Vec<NameValue>,
    /// Warnings.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub warning: Vec<NameValue>,
    /// Error details.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub error: Vec<NameValue>,
    /// The platform's request id, quoted when asking support about a failure.
    #[serde(default)]
    pub request_id: Option<String>,
}

impl ApiResponse {
    /// The value of the first `info` entry called `name`.
    pub fn info(&self, name: &str) -> Option<&str> {
        self.info
            .iter()
            .find(|nv| nv.name == name)
            .map(|nv| nv.value.as_str())
    }

    /// True for `OK` and `IN_PROGRESS`, the two codes an accepted request gets.
    pub fn is_accepted(&self) -> bool {
        self.response_code == response_codes::OK
            || self.response_code == response_codes::IN_PROGRESS
    }

    /// Parses an envelope from a response body, if the body is one.
    pub fn parse(body: &[u8]) -> Option<Self> {
        serde_json::from_slice::<Self>(body)
            .ok()
            .filter(|r| !r.response_code.is_empty())
    }
}

fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_in_progress_envelope_and_finds_info() {
        let body = br#"{"operation":"DEPLOY_VLAN","responseCode":"IN_PROGRESS",
            "message":"Request to deploy VLAN 'web' accepted.",
            "info":[{"name":"vlanId","value":"0f8e1c2a-0000-4000-8000-000000000001"}],
            "warning":[],"error":[],"requestId":"eu6_20240101T000000000-0000_abc"}"#;
        let env = ApiResponse::parse(body).unwrap();
        assert!(env.is_accepted());
        assert_eq!(env.operation, "DEPLOY_VLAN");
        assert_eq!(
            env.info("vlanId"),
            Some("0f8e1c2a-0000-4000-8000-000000000001")
        );
        assert_eq!(env.info("serverId"), None);
        assert_eq!(
            env.request_id.as_deref(),
            Some("eu6_20240101T000000000-0000_abc")
        );
    }

    #[test]
    fn tolerates_missing_and_null_lists() {
        let env = ApiResponse::parse(br#"{"responseCode":"OK","info":null}"#).unwrap();
        assert!(env.info.is_empty() && env.warning.is_empty() && env.operation.is_empty());
        assert!(env.request_id.is_none());
    }

    #[test]
    fn bodies_that_are_not_envelopes_are_rejected() {
        assert!(ApiResponse::parse(b"Invalid credentials.").is_none());
        assert!(ApiResponse::parse(br#"{"id":"x","state":"NORMAL"}"#).is_none());
        assert!(ApiResponse::parse(br#"{"responseCode":""}"#).is_none());
    }

    #[test]
    fn error_codes_are_not_accepted() {
        let env = ApiResponse::parse(
            br#"{"operation":"DEPLOY_VLAN","responseCode":"RESOURCE_BUSY","message":"busy"}"#,
        )
        .unwrap();
        assert!(!env.is_accepted());
    }
}
