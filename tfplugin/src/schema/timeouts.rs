//! The standard `timeouts` block (`timeouts { create = "30m" }`) and Go-style durations.

use std::time::Duration;

use super::attribute::Attribute;
use super::block::{Block, NestedBlock};
use super::validators::Validator;
use crate::diag::{Diagnostic, Diagnostics};
use crate::path::AttributePath;
use crate::value::Value;

/// The block type name Terraform users know.
pub const TIMEOUTS_BLOCK: &str = "timeouts";

/// An operation that can have its own timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutOp {
    /// Creating the resource.
    Create,
    /// Reading (refreshing) it.
    Read,
    /// Updating it in place.
    Update,
    /// Deleting it.
    Delete,
}

impl TimeoutOp {
    /// The attribute name inside the `timeouts` block.
    pub fn name(self) -> &'static str {
        match self {
            TimeoutOp::Create => "create",
            TimeoutOp::Read => "read",
            TimeoutOp::Update => "update",
            TimeoutOp::Delete => "delete",
        }
    }
}

/// A duration string that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not a valid duration ({reason}); use forms like \"30s\", \"10m\" or \"2h45m\""
)]
pub struct DurationError {
    /// The rejected text.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Parses a Go-style duration: a sequence of decimal numbers with units `ns`, `us`/`µs`,
/// `ms`, `s`, `m`, `h` (`"1h30m"`, `"1.5h"`, `"300ms"`). Negative durations are rejected;
/// `"0"` is zero.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let err = |reason| DurationError {
        text: text.to_string(),
        reason,
    };
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    if text.is_empty() {
        return Err(err("empty"));
    }
    if text.starts_with('-') {
        return Err(err("negative"));
    }
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    let mut total_nanos: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| err("missing unit"))?;
        if number_len == 0 {
            return Err(err("expected a number"));
        }
        let number: f64 = rest[..number_len]
            .parse()
            .map_err(|_| err("malformed number"))?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(err("unknown unit")),
        };
        rest = &rest[unit_len..];
        total_nanos += number * scale;
    }
    if total_nanos > u64::MAX as f64 {
        return Err(err("too large"));
    }
    Ok(Duration::from_nanos(total_nanos.round() as u64))
}

/// Validator for duration strings.
#[derive(Debug, Clone, Copy)]
pub struct IsDuration;

impl Validator for IsDuration {
    fn description(&self) -> String {
        "a duration such as \"30s\" or \"2h45m\"".into()
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        match value.as_str().map(parse_duration) {
            Some(Ok(_)) => {}
            Some(Err(e)) => diags.error_at(path.clone(), "Invalid timeout", e.to_string()),
            None => diags.error_at(
                path.clone(),
                "Invalid timeout",
                format!("{path} must be a duration string"),
            ),
        }
    }
}

/// The `timeouts` nested block with an optional duration attribute per operation.
pub fn timeouts_block(ops: &[TimeoutOp]) -> NestedBlock {
    let mut block = Block::new().description("Timeouts for long-running operations.");
    for op in ops {
        block = block.attribute(
            Attribute::string(op.name())
                .optional()
                .validator(IsDuration)
                .description(format!(
                    "How long to wait for {} to finish, e.g. \"30m\".",
                    op.name()
                )),
        );
    }
    NestedBlock::single(TIMEOUTS_BLOCK, block)
}

/// Timeouts configured on a resource; unset operations use the caller's defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// Configured create timeout.
    pub create: Option<Duration>,
    /// Configured read timeout.
    pub read: Option<Duration>,
    /// Configured update timeout.
    pub update: Option<Duration>,
    /// Configured delete timeout.
    pub delete: Option<Duration>,
}

impl Timeouts {
    /// Reads the `timeouts` block from a resource object (config, plan or state). A missing
    /// block or attribute means "use the default"; an invalid duration is an error diagnostic
    /// on its path.
    pub fn from_resource(resource: &Value) -> Result<Timeouts, Diagnostic> {
        let block = resource.attr(TIMEOUTS_BLOCK);
        let mut out = Timeouts::default();
        for op in [
            TimeoutOp::Create,
            TimeoutOp::Read,
            TimeoutOp::Update,
            TimeoutOp::Delete,
        ] {
            let Some(text) = block.attr(op.name()).as_str() else {
                continue;
            };
            let d = parse_duration(text).map_err(|e| {
                Diagnostic::error("Invalid timeout", e.to_string())
                    .at(AttributePath::attribute(TIMEOUTS_BLOCK).attr(op.name()))
            })?;
            *out.slot(op) = Some(d);
        }
        Ok(out)
    }

    fn slot(&mut self, op: TimeoutOp) -> &mut Option<Duration> {
        match op {
            TimeoutOp::Create => &mut self.create,
            TimeoutOp::Read => &mut self.read,
            TimeoutOp::Update => &mut self.update,
            TimeoutOp::Delete => &mut self.delete,
        }
    }

    /// The timeout for `op`, or `default` when not configured.
    pub fn get(&self, op: TimeoutOp, default: Duration) -> Duration {
        match op {
            TimeoutOp::Create => self.create,
            TimeoutOp::Read => self.read,
            TimeoutOp::Update => self.update,
            TimeoutOp::Delete => self.delete,
        }
        .unwrap_or(default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2h45m").unwrap(), Duration::from_secs(9900));
        assert_eq!(parse_duration("1.5h").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("300ms").unwrap(), Duration::from_millis(300));
        assert_eq!(
            parse_duration("1m0.5s").unwrap(),
            Duration::from_millis(60_500)
        );
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        for bad in ["", "30", "-5m", "5 m", "m", "5d", "1.2.3s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn reads_timeouts_from_a_resource() {
        let r = Value::object([(
            "timeouts",
            Value::object([("create", Value::from("45m")), ("delete", Value::Null)]),
        )]);
        let t = Timeouts::from_resource(&r).unwrap();
        assert_eq!(
            t.get(TimeoutOp::Create, Duration::ZERO),
            Duration::from_secs(2700)
        );
        assert_eq!(
            t.get(TimeoutOp::Delete, Duration::from_secs(60)),
            Duration::from_secs(60)
        );
        assert_eq!(
            Timeouts::from_resource(&Value::Null).unwrap(),
            Timeouts::default()
        );
        let bad = Value::object([("timeouts", Value::object([("read", Value::from("soon"))]))]);
        let d = Timeouts::from_resource(&bad).unwrap_err();
        assert_eq!(d.attribute.unwrap().to_string(), "timeouts.read");
    }

    #[test]
    fn block_has_one_validated_attribute_per_operation() {
        let b = timeouts_block(&[TimeoutOp::Create, TimeoutOp::Delete]);
        assert_eq!(b.type_name, "timeouts");
        assert_eq!(b.block.attributes.len(), 2);
        let config = Value::object([("create", Value::from("1x"))]);
        let diags = b.block.validate_config(&config);
        assert_eq!(diags.len(), 1);
        assert_eq!(
            diags
                .iter()
                .next()
                .unwrap()
                .attribute
                .as_ref()
                .unwrap()
                .to_string(),
            "create"
        );
    }
}
