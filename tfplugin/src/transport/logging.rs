//! hclog-compatible JSON logging on stderr.
//!
//! go-plugin reads the provider's stderr line by line; a JSON object with `@level`,
//! `@message` and an `@timestamp` formatted `YYYY-MM-DDTHH:MM:SS.ffffffZ` is re-logged by
//! Terraform at that level, every other key becoming a key=value pair. The level filter
//! follows `TF_LOG_PROVIDER`, falling back to `TF_LOG`, like Terraform's own.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the global subscriber writing hclog JSON to stderr. Calling it twice is harmless.
pub fn init(module: &str) {
    let level = level_from_env(|key| std::env::var(key).ok());
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .event_format(HclogJson {
            module: module.to_owned(),
        })
        .finish()
        .with(quiet_transport_crates(level))
        .try_init();
}

/// The per-crate filter: our own and the provider's events pass at `level`, while the HTTP/2,
/// TLS and middleware crates under the gRPC server stay at warnings. At trace level they would
/// otherwise forward thousands of frame-by-frame lines per `terraform apply`.
pub fn quiet_transport_crates(level: LevelFilter) -> Targets {
    let transport = level.min(LevelFilter::WARN);
    Targets::new().with_default(level).with_targets(
        [
            "h2",
            "hyper",
            "hyper_util",
            "rustls",
            "tokio_rustls",
            "tower",
            "tonic",
        ]
        .into_iter()
        .map(|target| (target, transport)),
    )
}

/// Picks the maximum level from `TF_LOG_PROVIDER` or `TF_LOG` (`JSON` means trace).
/// Unset or unrecognised values keep warnings and errors only: Terraform drops provider
/// lines unless logging is on, so there is nothing to gain from being chattier.
pub fn level_from_env(lookup: impl Fn(&str) -> Option<String>) -> LevelFilter {
    let raw = lookup("TF_LOG_PROVIDER")
        .filter(|v| !v.trim().is_empty())
        .or_else(|| lookup("TF_LOG"))
        .unwrap_or_default();
    match raw.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => LevelFilter::TRACE,
        "DEBUG" => LevelFilter::DEBUG,
        "INFO" => LevelFilter::INFO,
        "ERROR" => LevelFilter::ERROR,
        "OFF" => LevelFilter::OFF,
        _ => LevelFilter::WARN,
    }
}

/// A `tracing` event formatter producing one hclog JSON object per line.
pub struct HclogJson {
    /// Value of the `@module` key.
    pub module: String,
}

impl<S, N> FormatEvent<S, N> for HclogJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = FieldCollector::default();
        event.record(&mut fields);
        let line = hclog_line(
            *event.metadata().level(),
            &self.module,
            SystemTime::now(),
            fields.message,
            fields.extra,
        );
        writeln!(writer, "{line}")
    }
}

/// Renders one hclog JSON line.
pub fn hclog_line(
    level: Level,
    module: &str,
    at: SystemTime,
    message: String,
    extra: Map<String, Value>,
) -> String {
    let mut object = Map::new();
    object.insert("@level".into(), Value::from(hclog_level(level)));
    object.insert("@message".into(), Value::from(message));
    object.insert("@module".into(), Value::from(module));
    object.insert("@timestamp".into(), Value::from(hclog_timestamp(at)));
    for (key, value) in extra {
        object.entry(key).or_insert(value);
    }
    Value::Object(object).to_string()
}

fn hclog_level(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// Formats `at` in UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, the only layout hclog parses.
pub fn hclog_timestamp(at: SystemTime) -> String {
    let since_epoch = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since_epoch.as_secs();
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        since_epoch.subsec_micros()
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Shift the epoch to 0000-03-01 so leap days fall at the end of each 400-year era.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[derive(Default)]
struct FieldCollector {
    message: String,
    extra: Map<String, Value>,
}

impl Visit for FieldCollector {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.extra
                .insert(field.name().to_owned(), Value::from(value));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.extra
            .insert(field.name().to_owned(), Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.extra
            .insert(field.name().to_owned(), Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.extra
            .insert(field.name().to_owned(), Value::from(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else {
            self.extra
                .insert(field.name().to_owned(), Value::from(text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn transport_crates_stay_at_warnings_while_ours_follow_tf_log() {
        let filter = quiet_transport_crates(LevelFilter::TRACE);
        assert!(filter.would_enable("tfplugin::server", &Level::TRACE));
        assert!(filter.would_enable("terraform_provider_cloudcontrol", &Level::DEBUG));
        assert!(!filter.would_enable("h2::codec", &Level::DEBUG));
        assert!(!filter.would_enable("rustls::server", &Level::INFO));
        assert!(filter.would_enable("hyper::proto", &Level::WARN));

        let quiet = quiet_transport_crates(LevelFilter::ERROR);
        assert!(!quiet.would_enable("h2", &Level::WARN));
        assert!(!quiet.would_enable("tfplugin", &Level::WARN));
    }

    #[test]
    fn timestamp_has_six_fraction_digits_and_utc() {
        let at = UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
        assert_eq!(hclog_timestamp(at), "2023-11-14T22:13:20.123456Z");
        assert_eq!(hclog_timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        // A leap day.
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(hclog_timestamp(leap), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn line_carries_hclog_keys_and_fields() {
        let mut extra = Map::new();
        extra.insert("rpc".into(), Value::from("PlanResourceChange"));
        let line = hclog_line(Level::WARN, "provider", UNIX_EPOCH, "slow".into(), extra);
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["@level"], "warn");
        assert_eq!(parsed["@message"], "slow");
        assert_eq!(parsed["@module"], "provider");
        assert_eq!(parsed["@timestamp"], "1970-01-01T00:00:00.000000Z");
        assert_eq!(parsed["rpc"], "PlanResourceChange");
    }

    #[test]
    fn level_follows_tf_log_provider_then_tf_log() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |key: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(level_from_env(env(&[])), LevelFilter::WARN);
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "debug")])),
            LevelFilter::DEBUG
        );
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "JSON")])),
            LevelFilter::TRACE
        );
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "trace"), ("TF_LOG_PROVIDER", "ERROR")])),
            LevelFilter::ERROR
        );
    }
}
