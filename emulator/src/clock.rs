//! Wall-clock time in milliseconds and the API's timestamp formats.

use std::time::{SystemTime, UNIX_EPOCH};
use time::{format_description::FormatItem, macros::format_description, OffsetDateTime};

const ISO: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
const COMPACT: &[FormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second][subsecond digits:3]-0000");

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn datetime(ms: u64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `2015-02-24T10:47:21.000Z`, the format of `createTime`.
pub fn iso8601(ms: u64) -> String {
    datetime(ms).format(ISO).unwrap_or_default()
}

/// `20160321T074626030-0000`, the timestamp inside a `requestId`.
pub fn compact_timestamp(ms: u64) -> String {
    datetime(ms).format(COMPACT).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_the_api() {
        assert_eq!(iso8601(1_424_774_841_000), "2015-02-24T10:47:21.000Z");
        assert_eq!(
            compact_timestamp(1_424_774_841_123),
            "20150224T104721123-0000"
        );
    }
}
