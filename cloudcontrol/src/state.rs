//! Resource lifecycle states.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The `state` of a CloudControl asset.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum ResourceState {
    /// Settled and usable.
    Normal,
    /// Being created.
    PendingAdd,
    /// Being changed.
    PendingChange,
    /// Being deleted.
    PendingDelete,
    /// A failed deployment being cleaned up.
    PendingClean,
    /// Creation failed.
    FailedAdd,
    /// A change failed.
    FailedChange,
    /// Deletion failed.
    FailedDelete,
    /// Deleted.
    Deleted,
    /// Needs the provider's support staff.
    RequiresSupport,
    /// A state this client does not know.
    Other(String),
}

impl ResourceState {
    /// The API's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Normal => "NORMAL",
            Self::PendingAdd => "PENDING_ADD",
            Self::PendingChange => "PENDING_CHANGE",
            Self::PendingDelete => "PENDING_DELETE",
            Self::PendingClean => "PENDING_CLEAN",
            Self::FailedAdd => "FAILED_ADD",
            Self::FailedChange => "FAILED_CHANGE",
            Self::FailedDelete => "FAILED_DELETE",
            Self::Deleted => "DELETED",
            Self::RequiresSupport => "REQUIRES_SUPPORT",
            Self::Other(s) => s,
        }
    }

    /// True for any `PENDING_*` state: an operation is still running.
    pub fn is_pending(&self) -> bool {
        self.as_str().starts_with("PENDING_")
    }

    /// True for `NORMAL`.
    pub fn is_normal(&self) -> bool {
        *self == Self::Normal
    }

    /// True while the asset is being deleted or is gone (`PENDING_DELETE`, `DELETED`): it is on
    /// its way out, not something a create can take over.
    pub fn is_leaving(&self) -> bool {
        matches!(self, Self::PendingDelete | Self::Deleted)
    }
}

impl From<String> for ResourceState {
    fn from(value: String) -> Self {
        match value.as_str() {
            "NORMAL" => Self::Normal,
            "PENDING_ADD" => Self::PendingAdd,
            "PENDING_CHANGE" => Self::PendingChange,
            "PENDING_DELETE" => Self::PendingDelete,
            "PENDING_CLEAN" => Self::PendingClean,
            "FAILED_ADD" => Self::FailedAdd,
            "FAILED_CHANGE" => Self::FailedChange,
            "FAILED_DELETE" => Self::FailedDelete,
            "DELETED" => Self::Deleted,
            "REQUIRES_SUPPORT" => Self::RequiresSupport,
            _ => Self::Other(value),
        }
    }
}

impl From<ResourceState> for String {
    fn from(value: ResourceState) -> Self {
        value.as_str().to_owned()
    }
}

impl fmt::Display for ResourceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_known_and_unknown_states() {
        for s in [
            "NORMAL",
            "PENDING_ADD",
            "FAILED_CHANGE",
            "REQUIRES_SUPPORT",
            "SOMETHING_NEW",
        ] {
            let state: ResourceState = serde_json::from_str(&format!("\"{s}\"")).unwrap();
            assert_eq!(serde_json::to_string(&state).unwrap(), format!("\"{s}\""));
        }
        assert_eq!(
            ResourceState::from("SOMETHING_NEW".to_owned()),
            ResourceState::Other("SOMETHING_NEW".into())
        );
    }

    #[test]
    fn classifies_pending_and_normal() {
        assert!(ResourceState::PendingDelete.is_pending());
        assert!(!ResourceState::FailedAdd.is_pending());
        assert!(ResourceState::Normal.is_normal());
        assert!(!ResourceState::PendingClean.is_normal());
    }
}
