//! STAND-INS for the Apache Mesos 1.11.0 master and agent and for Marathon: test doubles that the
//! end-to-end tests install on the test nodes because the real daemons exist in no registry this
//! project can reach. See `tests/standins/README.md` for what they do and how they are held to
//! the real daemons. Nothing here is product code.

#![warn(missing_docs)]

pub mod agent;
pub mod banner;
pub mod detect;
pub mod flags;
pub mod http;
pub mod marathon;
pub mod master;
pub mod metric_names;
pub mod resources;
pub mod wire;
pub mod zk;

/// The Mesos version the stand-ins answer with (what the recordings came from).
pub const MESOS_VERSION: &str = "1.11.0";
/// The git sha of the real Mesos 1.11.0 build the recordings came from.
pub const MESOS_GIT_SHA: &str = "04bc7ee1984d86fbb0bd782ccc69ce44c13ae4b9";
/// Build date reported by `/version` (that of the recorded build).
pub const MESOS_BUILD_DATE: &str = "2020-11-24 15:38:37";
/// Build time (seconds since the epoch) matching [`MESOS_BUILD_DATE`].
pub const MESOS_BUILD_TIME: f64 = 1606232317.0;
/// The Marathon version the stand-in answers with.
pub const MARATHON_VERSION: &str = "1.10.26";

/// Seconds since the Unix epoch, with fractions, as Mesos reports times.
pub fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// A new random UUID in its usual text form.
pub fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}
