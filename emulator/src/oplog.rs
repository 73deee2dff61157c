//! The operations log (`--operations-log FILE`): one JSON line per asynchronous operation that
//! finished, with its asset, its kind, when it was accepted and when it finished. The benchmark
//! reads it to compute how fast an apply could possibly have been.
//!
//! A line is written when the emulator applies the transition (on the next request that touches
//! the organisation), but the times in it are the operation's own: `startedMs` is when the
//! request was accepted and `finishedMs` the moment the asset left its PENDING_* state (with node
//! backing, the later of the scaled duration and the backing program's success).
//!
//! The log is process-wide: transitions are applied deep inside the store, which has no handle on
//! the server's state, and one emulator process serves one configuration.

use crate::lifecycle::{Outcome, Pending};
use anyhow::Context;
use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

/// One finished operation, as written to the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finished {
    /// The asset's id.
    pub asset_id: String,
    /// The operation's kind (`DeployServer`, `DeleteVlan`, ...), `Unknown` for an operation
    /// accepted before the log existed (from an older state file).
    pub kind: String,
    /// How it ended: `Normal`, `FailedAdd` or `Remove`.
    pub outcome: String,
    /// When the request was accepted, milliseconds since the Unix epoch.
    pub started_ms: u64,
    /// When the asset left its pending state, milliseconds since the Unix epoch.
    pub finished_ms: u64,
}

impl Finished {
    /// The record of `pending`, an operation on `asset_id` that is due.
    pub fn of(asset_id: &str, pending: &Pending) -> Self {
        Finished {
            asset_id: asset_id.to_owned(),
            kind: pending
                .kind
                .map_or_else(|| "Unknown".to_owned(), |k| format!("{k:?}")),
            outcome: match pending.outcome {
                Outcome::Normal => "Normal",
                Outcome::FailedAdd => "FailedAdd",
                Outcome::Remove => "Remove",
            }
            .to_owned(),
            started_ms: pending.started_ms,
            finished_ms: pending.due_ms,
        }
    }
}

/// An open operations log.
#[derive(Debug)]
pub struct OperationsLog {
    file: Mutex<File>,
}

static INSTALLED: OnceLock<OperationsLog> = OnceLock::new();

/// Opens `path` for appending (creating it) and makes it this process's operations log.
pub fn install(path: &Path) -> anyhow::Result<()> {
    let log = OperationsLog::open(path)?;
    INSTALLED
        .set(log)
        .map_err(|_| anyhow::anyhow!("an operations log is already open in this process"))
}

/// The process's operations log, when `--operations-log` was given.
pub fn installed() -> Option<&'static OperationsLog> {
    INSTALLED.get()
}

impl OperationsLog {
    /// Opens `path` for appending, creating it when missing.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("--operations-log: opening {}", path.display()))?;
        Ok(OperationsLog {
            file: Mutex::new(file),
        })
    }

    /// Writes the line of a due operation on `asset_id`. A failed write is logged and dropped:
    /// the log is a measurement aid and must never fail an API request.
    pub fn finished(&self, asset_id: &str, pending: &Pending) {
        let record = Finished::of(asset_id, pending);
        let Ok(mut line) = serde_json::to_string(&record) else {
            return;
        };
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(error) = file.write_all(line.as_bytes()) {
            tracing::warn!(%error, "writing the operations log failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::{schedule, OpKind};

    #[test]
    fn a_due_operation_is_one_line_with_its_start_and_finish() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ops.jsonl");
        let log = OperationsLog::open(&path).unwrap();
        let deploy = schedule(OpKind::DeployServer, Outcome::Normal, 10_000, 0.01);
        let delete = schedule(OpKind::DeleteVlan, Outcome::Remove, 20_000, 0.01);
        log.finished("srv-1", &deploy);
        log.finished("vlan-1", &delete);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["assetId"], "srv-1");
        assert_eq!(lines[0]["kind"], "DeployServer");
        assert_eq!(lines[0]["outcome"], "Normal");
        assert_eq!(lines[0]["startedMs"], 10_000);
        assert_eq!(lines[0]["finishedMs"], 14_200);
        assert_eq!(lines[1]["kind"], "DeleteVlan");
        assert_eq!(lines[1]["outcome"], "Remove");
        assert_eq!(lines[1]["finishedMs"], 20_450);
    }

    #[test]
    fn an_operation_from_an_older_state_file_is_unknown() {
        let pending: Pending =
            serde_json::from_str(r#"{"due_ms": 7, "outcome": "FailedAdd"}"#).unwrap();
        let record = Finished::of("a", &pending);
        assert_eq!(record.kind, "Unknown");
        assert_eq!(record.outcome, "FailedAdd");
        assert_eq!((record.started_ms, record.finished_ms), (0, 7));
    }

    #[test]
    fn appends_to_an_existing_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ops.jsonl");
        std::fs::write(&path, "earlier\n").unwrap();
        let log = OperationsLog::open(&path).unwrap();
        log.finished(
            "nd",
            &schedule(OpKind::DeployNetworkDomain, Outcome::Normal, 0, 1.0),
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("earlier\n"), "{text}");
        assert!(text.contains("\"finishedMs\":120000"), "{text}");
    }
}
