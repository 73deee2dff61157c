//! The crate's error type.

use crate::envelope::{response_codes, ApiResponse};
use std::fmt;
use std::time::Duration;

/// Result alias with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error the API answered with: what was attempted, the code, the message
/// and the request id to quote to support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The API's operation name (`DEPLOY_VLAN`) or, when the API gave none, the
    /// request this client made (`GET network/vlan/{id}`).
    pub operation: String,
    /// HTTP status code.
    pub http_status: u16,
    /// The envelope's `responseCode`.
    pub response_code: String,
    /// The envelope's message.
    pub message: String,
    /// The platform's request id, when it sent one.
    pub request_id: Option<String>,
}

impl ApiError {
    pub(crate) fn from_envelope(operation: &str, http_status: u16, envelope: ApiResponse) -> Self {
        let operation = if envelope.operation.is_empty() {
            operation.to_owned()
        } else {
            envelope.operation
        };
        let mut message = envelope.message;
        for detail in envelope.error {
            message.push_str(&format!(" [{}: {}]", detail.name, detail.value));
        }
        Self {
            operation,
            http_status,
            response_code: envelope.response_code,
            message,
            request_id: envelope.request_id,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed with {} (HTTP {}): {}",
            self.operation, self.response_code, self.http_status, self.message
        )?;
        if let Some(id) = &self.request_id {
            write!(f, " (requestId {id})")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong talking to CloudControl.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The endpoint setting is unusable.
    #[error("invalid endpoint `{endpoint}`: {reason}")]
    InvalidEndpoint {
        /// The value that was given.
        endpoint: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    ClientSetup(#[source] reqwest::Error),
    /// The TLS settings could not be built.
    #[error("cannot set up TLS: {0}")]
    TlsSetup(String),
    /// The API rejected the credentials (HTTP 401/403).
    #[error("{operation}: the API rejected the credentials for user `{username}` (HTTP {http_status}); check username and password")]
    Unauthorized {
        /// The request that was refused.
        operation: String,
        /// The user name (never the password).
        username: String,
        /// HTTP status code.
        http_status: u16,
    },
    /// The API answered with an error envelope.
    #[error("{0}")]
    Api(ApiError),
    /// The request never got an answer (DNS, connect, TLS, timeout...).
    #[error("{operation}: request failed: {source}")]
    Transport {
        /// The request that failed.
        operation: String,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The answer was not what the API documents.
    #[error("{operation}: unexpected response (HTTP {http_status}): {detail}")]
    UnexpectedResponse {
        /// The request that got the answer.
        operation: String,
        /// HTTP status code.
        http_status: u16,
        /// What was wrong, with a short excerpt of the body.
        detail: String,
    },
    /// A resource ended an operation in a failure state (`FAILED_ADD`, ...).
    #[error("{operation}: {kind} {id} ended in state {state}")]
    OperationFailed {
        /// The operation being waited on.
        operation: String,
        /// Resource kind (`VLAN`, `server`, ...).
        kind: &'static str,
        /// Resource id.
        id: String,
        /// The state it ended in.
        state: String,
    },
    /// A resource vanished while it was expected to settle in `NORMAL`.
    #[error("{operation}: {kind} {id} disappeared while waiting for it to become NORMAL")]
    Vanished {
        /// The operation being waited on.
        operation: String,
        /// Resource kind.
        kind: &'static str,
        /// Resource id.
        id: String,
    },
    /// The caller's timeout ran out before the operation finished.
    #[error("{operation}: timed out after {waited:?} waiting for {kind} {id} (last state: {last_state})")]
    Timeout {
        /// The operation being waited on.
        operation: String,
        /// Resource kind.
        kind: &'static str,
        /// Resource id (empty when the operation had not created one yet).
        id: String,
        /// How long was waited.
        waited: Duration,
        /// The last state seen.
        last_state: String,
    },
    /// The caller cancelled the operation.
    #[error("{operation}: cancelled{}", waiting_for(id))]
    Cancelled {
        /// The operation that was cancelled.
        operation: String,
        /// The resource it was waiting on (empty when none had been created yet).
        id: String,
    },
    /// A lookup by name matched more than one resource.
    #[error(
        "{kind} lookup: {count} resources match {criteria}; names must be unique to be looked up"
    )]
    Ambiguous {
        /// Resource kind.
        kind: &'static str,
        /// The search criteria.
        criteria: String,
        /// How many matched.
        count: usize,
    },
}

impl Error {
    /// The API error, if this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The `responseCode`, if the API answered with an error envelope.
    pub fn response_code(&self) -> Option<&str> {
        self.api().map(|e| e.response_code.as_str())
    }

    /// True when the API said the resource does not exist.
    pub fn is_not_found(&self) -> bool {
        self.response_code() == Some(response_codes::RESOURCE_NOT_FOUND)
    }

    /// True when the API said the resource (or organisation) is busy.
    pub fn is_busy(&self) -> bool {
        self.response_code() == Some(response_codes::RESOURCE_BUSY)
    }

    /// True when a request went out but no answer came back (the connection was dropped or
    /// reset, or the request timed out): a write may or may not have taken effect. A request
    /// that never connected is not in this class (nothing reached the API).
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Error::Transport { source, .. } if !source.is_connect())
    }

    /// The id of the resource an interrupted operation was working on, so a
    /// caller can remember a resource that was created but did not settle.
    pub fn resource_id(&self) -> Option<&str> {
        match self {
            Error::OperationFailed { id, .. }
            | Error::Timeout { id, .. }
            | Error::Cancelled { id, .. }
                if !id.is_empty() =>
            {
                Some(id)
            }
            _ => None,
        }
    }
}

/// `" while waiting for <id>"`, or nothing when no resource was involved yet.
fn waiting_for(id: &str) -> String {
    if id.is_empty() {
        String::new()
    } else {
        format!(" while waiting for {id}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(body: &str) -> ApiResponse {
        ApiResponse::parse(body.as_bytes()).unwrap()
    }

    #[test]
    fn api_errors_name_operation_code_message_and_request_id() {
        let env = envelope(
            r#"{"operation":"DEPLOY_VLAN","responseCode":"RESOURCE_BUSY",
            "message":"Another deploy or delete Network or VLAN operation is in progress.",
            "requestId":"na9_20260101T000000000-0500_1"}"#,
        );
        let err = Error::Api(ApiError::from_envelope("POST network/deployVlan", 400, env));
        let text = err.to_string();
        for part in [
            "DEPLOY_VLAN",
            "RESOURCE_BUSY",
            "HTTP 400",
            "Another deploy",
            "na9_20260101T000000000-0500_1",
        ] {
            assert!(text.contains(part), "{part} missing from {text}");
        }
        assert!(err.is_busy());
        assert!(!err.is_not_found());
    }

    #[test]
    fn the_request_names_the_operation_when_the_envelope_does_not() {
        let env = envelope(
            r#"{"responseCode":"RESOURCE_NOT_FOUND","message":"VLAN x not found.","error":[{"name":"id","value":"x"}]}"#,
        );
        let err = Error::Api(ApiError::from_envelope("GET network/vlan/{id}", 404, env));
        assert!(err.is_not_found());
        let api = err.api().unwrap();
        assert_eq!(api.operation, "GET network/vlan/{id}");
        assert_eq!(api.message, "VLAN x not found. [id: x]");
        assert!(!err.to_string().contains("requestId"));
    }

    #[test]
    fn wait_errors_expose_the_resource_id() {
        let err = Error::OperationFailed {
            operation: "DEPLOY_SERVER".into(),
            kind: "server",
            id: "s-1".into(),
            state: "FAILED_ADD".into(),
        };
        assert_eq!(err.resource_id(), Some("s-1"));
        assert!(err.to_string().contains("FAILED_ADD"));
        let err = Error::Cancelled {
            operation: "x".into(),
            id: String::new(),
        };
        assert_eq!(err.resource_id(), None);
        assert_eq!(err.to_string(), "x: cancelled");
        let err = Error::Cancelled {
            operation: "deploy".into(),
            id: "s-2".into(),
        };
        assert_eq!(err.resource_id(), Some("s-2"));
        assert_eq!(err.to_string(), "deploy: cancelled while waiting for s-2");
    }
}
