//! Asynchronous asset states: PENDING_* → NORMAL / FAILED_ADD / gone, with realistic durations.
//!
//! Transitions are stored as a due time rather than driven by timers: every request first applies
//! the transitions that are due. That makes them survive restarts (they are part of the state file)
//! and keeps a time scale of 0 exactly "instant".

use serde::{Deserialize, Serialize};

/// An asset state as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    /// Ready.
    Normal,
    /// Being deployed.
    PendingAdd,
    /// Being changed.
    PendingChange,
    /// Being deleted.
    PendingDelete,
    /// Deployment failed.
    FailedAdd,
}

impl State {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Normal => "NORMAL",
            State::PendingAdd => "PENDING_ADD",
            State::PendingChange => "PENDING_CHANGE",
            State::PendingDelete => "PENDING_DELETE",
            State::FailedAdd => "FAILED_ADD",
        }
    }

    /// True for the PENDING_* states.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            State::PendingAdd | State::PendingChange | State::PendingDelete
        )
    }
}

/// How a pending operation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// The asset becomes NORMAL.
    Normal,
    /// The asset becomes FAILED_ADD (fault injection).
    FailedAdd,
    /// The asset disappears.
    Remove,
}

/// A pending operation: when it completes and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Completion time, milliseconds since the epoch.
    pub due_ms: u64,
    /// End state.
    pub outcome: Outcome,
    /// When the operation was accepted, milliseconds since the epoch, for the operations log
    /// (0 in state files written before it was kept).
    #[serde(default)]
    pub started_ms: u64,
    /// What the operation is, for the operations log (absent in older state files).
    #[serde(default)]
    pub kind: Option<OpKind>,
}

impl Pending {
    /// True when the operation has completed at `now_ms`.
    pub fn is_due(&self, now_ms: u64) -> bool {
        self.due_ms <= now_ms
    }
}

/// Kinds of asynchronous operations, each with its own realistic duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpKind {
    /// deployNetworkDomain.
    DeployNetworkDomain,
    /// deleteNetworkDomain.
    DeleteNetworkDomain,
    /// deployVlan.
    DeployVlan,
    /// deleteVlan.
    DeleteVlan,
    /// expandVlan.
    ExpandVlan,
    /// deployServer / deployUncustomizedServer.
    DeployServer,
    /// start/shutdown/powerOff/reboot/reset.
    PowerServer,
    /// reconfigureServer.
    ReconfigureServer,
    /// addDisk/expandDisk/changeDiskSpeed/removeDisk.
    DiskChange,
    /// addNic/removeNic/notifyNicIpChange/changeNetworkAdapter.
    NicChange,
    /// deleteServer / cleanServer.
    DeleteServer,
    /// Creating or deleting a server anti-affinity rule.
    AntiAffinityRule,
    /// Cloning a server into a customer image (and deleting one).
    CloneServer,
    /// createConsistencyGroup (the initial replication).
    CreateConsistencyGroup,
    /// deleteConsistencyGroup.
    DeleteConsistencyGroup,
    /// expandJournal.
    ExpandJournal,
    /// startPreviewSnapshot / stopPreviewSnapshot.
    PreviewSnapshot,
    /// initiateFailover.
    InitiateFailover,
    /// Importing a customer image from an OVF package.
    ImportImage,
    /// Moving a customer image to another cluster of its datacenter.
    MoveCustomerImage,
}

impl OpKind {
    /// Unscaled duration in seconds (typical observed magnitudes of the real platform).
    pub fn base_seconds(self) -> f64 {
        match self {
            OpKind::DeployNetworkDomain => 120.0,
            OpKind::DeleteNetworkDomain => 90.0,
            OpKind::DeployVlan => 60.0,
            OpKind::DeleteVlan => 45.0,
            OpKind::ExpandVlan => 30.0,
            OpKind::DeployServer => 420.0,
            OpKind::PowerServer => 30.0,
            OpKind::ReconfigureServer => 60.0,
            OpKind::DiskChange => 60.0,
            OpKind::NicChange => 40.0,
            OpKind::DeleteServer => 90.0,
            OpKind::AntiAffinityRule => 30.0,
            OpKind::CloneServer => 240.0,
            OpKind::CreateConsistencyGroup => 600.0,
            OpKind::DeleteConsistencyGroup => 120.0,
            OpKind::ExpandJournal => 60.0,
            OpKind::PreviewSnapshot => 120.0,
            OpKind::InitiateFailover => 180.0,
            OpKind::ImportImage => 300.0,
            OpKind::MoveCustomerImage => 120.0,
        }
    }
}

/// Schedules an operation of `kind` starting at `now_ms` under `time_scale`.
pub fn schedule(kind: OpKind, outcome: Outcome, now_ms: u64, time_scale: f64) -> Pending {
    let scale = if time_scale.is_finite() && time_scale > 0.0 {
        time_scale
    } else {
        0.0
    };
    let ms = (kind.base_seconds() * 1000.0 * scale).round() as u64;
    Pending {
        due_ms: now_ms.saturating_add(ms),
        outcome,
        started_ms: now_ms,
        kind: Some(kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_zero_is_instant_and_scale_shrinks_durations() {
        let p = schedule(OpKind::DeployServer, Outcome::Normal, 1000, 0.0);
        assert!(p.is_due(1000));
        let p = schedule(OpKind::DeployServer, Outcome::Normal, 1000, 0.01);
        assert_eq!(p.due_ms, 1000 + 4200);
        assert!(!p.is_due(5199));
        assert!(p.is_due(5200));
        assert_eq!((p.started_ms, p.kind), (1000, Some(OpKind::DeployServer)));
    }

    #[test]
    fn pending_from_an_older_state_file_still_loads() {
        let p: Pending = serde_json::from_str(r#"{"due_ms": 5, "outcome": "Normal"}"#).unwrap();
        assert_eq!((p.due_ms, p.started_ms, p.kind), (5, 0, None));
    }
}
