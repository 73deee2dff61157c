//! The CloudControl response envelope (`{operation, responseCode, message, info[], …}`) and API errors.
//!
//! Every accepted POST answers HTTP 200 with this envelope; every rejection answers with the same
//! envelope and an error `responseCode` (HTTP 400 for API-level errors, as the real API does).

use axum::http::StatusCode;
use serde_json::{json, Value};

/// The `responseCode` values the emulator emits (the real API's vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Synchronous success.
    Ok,
    /// Asynchronous operation accepted; poll the asset.
    InProgress,
    /// The asset does not exist (or no longer exists).
    ResourceNotFound,
    /// The caller may not touch this asset or organisation.
    AuthorizationFailure,
    /// The request is malformed or breaks a field rule.
    InvalidInputData,
    /// A name that must be unique is already taken.
    NameNotUnique,
    /// An IP address is already in use.
    IpAddressNotUnique,
    /// An IP address is outside the usable range.
    IpAddressOutOfRange,
    /// No free IP address is left.
    NoIpAddressAvailable,
    /// The asset still has dependants.
    HasDependency,
    /// Another operation on the asset (or organisation) is in progress.
    ResourceBusy,
    /// A sizing or count limit would be exceeded.
    ExceedsLimit,
    /// The combination of assets is not allowed (e.g. a server in a second anti-affinity rule).
    ConfigurationNotSupported,
    /// The operation is not supported for this asset.
    OperationNotSupported,
    /// The server is running but must be stopped.
    ServerStarted,
    /// An unexplained platform failure.
    UnexpectedError,
    /// The assets do not meet the operation's prerequisites (a server without `drsEligible`).
    IncompatibleOperation,
    /// The asset's operation status does not allow the operation (a failover outside a preview).
    InvalidStatus,
}

impl Code {
    /// The wire spelling of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Ok => "OK",
            Code::InProgress => "IN_PROGRESS",
            Code::ResourceNotFound => "RESOURCE_NOT_FOUND",
            Code::AuthorizationFailure => "AUTHORIZATION_FAILURE",
            Code::InvalidInputData => "INVALID_INPUT_DATA",
            Code::NameNotUnique => "NAME_NOT_UNIQUE",
            Code::IpAddressNotUnique => "IP_ADDRESS_NOT_UNIQUE",
            Code::IpAddressOutOfRange => "IP_ADDRESS_OUT_OF_RANGE",
            Code::NoIpAddressAvailable => "NO_IP_ADDRESS_AVAILABLE",
            Code::HasDependency => "HAS_DEPENDENCY",
            Code::ResourceBusy => "RESOURCE_BUSY",
            Code::ExceedsLimit => "EXCEEDS_LIMIT",
            Code::OperationNotSupported => "OPERATION_NOT_SUPPORTED",
            Code::ConfigurationNotSupported => "CONFIGURATION_NOT_SUPPORTED",
            Code::ServerStarted => "SERVER_STARTED",
            Code::UnexpectedError => "UNEXPECTED_ERROR",
            Code::IncompatibleOperation => "INCOMPATIBLE_OPERATION",
            Code::InvalidStatus => "INVALID_STATUS",
        }
    }
}

/// A rejected request: HTTP status, response code, operation name and a message naming the field.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code:?} ({operation}): {message}")]
pub struct ApiError {
    /// HTTP status (400 for API errors).
    pub status: StatusCode,
    /// The `responseCode`.
    pub code: Code,
    /// The `operation` name (e.g. `DEPLOY_VLAN`).
    pub operation: String,
    /// Human-readable message naming the offending field or asset.
    pub message: String,
}

impl ApiError {
    /// A 400 error with the given code.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code,
            operation: String::new(),
            message: message.into(),
        }
    }

    /// `INVALID_INPUT_DATA` naming a field.
    pub fn invalid(field: &str, rule: impl std::fmt::Display) -> Self {
        Self::new(Code::InvalidInputData, format!("{field}: {rule}"))
    }

    /// `RESOURCE_NOT_FOUND` for an asset kind and id.
    pub fn not_found(kind: &str, id: &str) -> Self {
        Self::new(Code::ResourceNotFound, format!("{kind} {id} not found."))
    }

    /// `RESOURCE_BUSY` for an asset whose state (e.g. `PENDING_CHANGE`) forbids the request.
    pub fn busy(kind: &str, id: &str, state: &str) -> Self {
        Self::new(Code::ResourceBusy, format!("{kind} {id} is {state}."))
    }

    /// Overrides the HTTP status.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Sets the operation name unless one is already set.
    pub fn in_operation(mut self, operation: &str) -> Self {
        if self.operation.is_empty() {
            self.operation = operation.to_string();
        }
        self
    }

    /// The envelope body for this error.
    pub fn body(&self, request_id: &str) -> Value {
        json!({
            "operation": self.operation,
            "responseCode": self.code.as_str(),
            "message": self.message,
            "info": [],
            "warning": [],
            "error": [],
            "requestId": request_id,
        })
    }
}

/// A successful answer: either a JSON document (GETs) or an action envelope (POSTs).
#[derive(Debug, Clone)]
pub enum Reply {
    /// A resource or list document, HTTP 200.
    Document(Value),
    /// An action envelope, HTTP 200.
    Action(Action),
}

/// The success envelope of a POST.
#[derive(Debug, Clone)]
pub struct Action {
    /// Operation name, e.g. `DEPLOY_SERVER`.
    pub operation: &'static str,
    /// `OK` or `IN_PROGRESS`.
    pub code: Code,
    /// Human-readable message.
    pub message: String,
    /// `info` name/value pairs, in order.
    pub info: Vec<(&'static str, String)>,
}

impl Action {
    /// A synchronous (`OK`) success.
    pub fn ok(operation: &'static str, message: impl Into<String>) -> Self {
        Action {
            operation,
            code: Code::Ok,
            message: message.into(),
            info: Vec::new(),
        }
    }

    /// An accepted asynchronous (`IN_PROGRESS`) operation.
    pub fn in_progress(operation: &'static str, message: impl Into<String>) -> Self {
        Action {
            operation,
            code: Code::InProgress,
            message: message.into(),
            info: Vec::new(),
        }
    }

    /// Appends an `info` entry.
    pub fn info(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.info.push((name, value.into()));
        self
    }

    /// The envelope body.
    pub fn body(&self, request_id: &str) -> Value {
        let info: Vec<Value> = self
            .info
            .iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect();
        json!({
            "operation": self.operation,
            "responseCode": self.code.as_str(),
            "message": self.message,
            "info": info,
            "warning": [],
            "error": [],
            "requestId": request_id,
        })
    }
}

/// Builds a request id in the newer real format: `na9_20160321T074626030-0400_<uuid>`.
pub fn request_id(region_hint: &str, now_ms: u64) -> String {
    let stamp = crate::clock::compact_timestamp(now_ms);
    format!(
        "{}_{}_{}",
        region_hint.to_ascii_lowercase(),
        stamp,
        uuid::Uuid::new_v4()
    )
}
