//! Small helpers shared by resources and data sources: reading attributes from values,
//! wait options from operation contexts, and turning client errors into diagnostics.

use std::time::Duration;

use cloudcontrol::WaitOptions;
use tfplugin::provider::{ApplyResponse, OperationContext, ReadResponse};
use tfplugin::{Diagnostic, Diagnostics, Value};

use crate::provider::ProviderData;

/// A known string attribute of an object, if set.
pub fn string(value: &Value, name: &str) -> Option<String> {
    value.attr(name).as_str().map(str::to_owned)
}

/// A known whole-number attribute of an object, if set.
pub fn int(value: &Value, name: &str) -> Option<i64> {
    value.attr(name).as_i64()
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

/// Ends a create with `refusal` and nothing in state.
pub fn refuse(response: &mut ApplyResponse, refusal: Diagnostic) {
    response.state = Value::Null;
    response.diagnostics.push(refusal);
}

/// Records the outcome of a create in `response`: the new object's state; or, when the API
/// accepted the request but waiting for it failed, only its id, so Terraform keeps track of
/// what exists (and taints it) instead of orphaning it; or nothing when no object was made.
pub fn record_create<T>(
    what: &str,
    result: Result<T, cloudcontrol::Error>,
    to_state: impl FnOnce(&T) -> Value,
    response: &mut ApplyResponse,
) {
    match result {
        Ok(object) => response.state = to_state(&object),
        Err(e) => {
            if let Some(id) = e.resource_id() {
                response.state.set_attr("id", id);
            } else {
                response.state = Value::Null;
            }
            response.diagnostics.push(api_error(what, &e));
        }
    }
}

/// Records the outcome of a refresh in `response`: the object's state, or null when it is
/// gone (deleted behind Terraform's back, so the next plan re-creates it).
pub fn record_read<T>(
    what: &str,
    result: Result<Option<T>, cloudcontrol::Error>,
    to_state: impl FnOnce(&T) -> Value,
    response: &mut ReadResponse,
) {
    match result {
        Ok(Some(object)) => response.state = to_state(&object),
        Ok(None) => response.state = Value::Null,
        Err(e) => response.diagnostics.push(api_error(what, &e)),
    }
}

/// The id a delete or read works on: the state's `id`, when it has one.
pub fn state_id(state: &Value) -> Option<String> {
    state.attr("id").as_str().map(str::to_owned)
}

/// The outcome of a delete as diagnostics: an object that is already gone counts as deleted
/// (someone removed it behind Terraform's back, or an earlier delete got no answer).
pub fn record_delete(what: &str, result: Result<(), cloudcontrol::Error>) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if let Err(e) = result {
        if !e.is_not_found() {
            diags.push(api_error(what, &e));
        }
    }
    diags
}
