//! Small helpers shared by resources and data sources: reading attributes from values,
//! wait options from operation contexts, and turning client errors into diagnostics.

use std::time::Duration;

use cloudcontrol::WaitOptions;
use tfplugin::provider::OperationContext;
use tfplugin::{Diagnostic, Value};

use crate::provider::ProviderData;

/// A known string attribute of an object, if set.
pub fn string(value: &Value, name: &str) -> Option<String> {
    value.attr(name).as_str().map(str::to_owned)
}

/// A known whole-number attribute of an object, if set.
pub fn int(value: &Value, name: &str) -> Option<i64> {
    value.attr(name).as_i64()
}

/// A known bool attribute of an object, if set.
pub fn boolean(value: &Value, name: &str) -> Option<bool> {
    value.attr(name).as_bool()
}

/// A string value, or null for an empty string or `None`.
pub fn opt_string(value: Option<&str>) -> Value {
    match value {
        Some(s) if !s.is_empty() => Value::from(s),
        _ => Value::Null,
    }
}

/// How long and until when to wait for an asynchronous operation: the operation's
/// `timeouts` entry when set, `default` otherwise, cancelled when Terraform stops us.
pub fn wait(ctx: &OperationContext<'_, ProviderData>, default: Duration) -> WaitOptions {
    WaitOptions::new(ctx.timeout.unwrap_or(default)).with_cancel(ctx.cancel.clone())
}

/// A diagnostic for a failed API call; the client error already names the operation,
/// response code, message and request id.
pub fn api_error(what: &str, error: &cloudcontrol::Error) -> Diagnostic {
    Diagnostic::error(format!("Could not {what}"), error.to_string())
}
