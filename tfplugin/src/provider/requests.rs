//! The typed requests and responses resource code receives.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::PrivateState;
use crate::diag::Diagnostics;
use crate::path::AttributePath;
use crate::value::Value;

/// What `ConfigureProvider` passes to [`super::Provider::configure`].
#[derive(Debug, Clone)]
pub struct ConfigureRequest {
    /// The Terraform CLI version, e.g. `1.0.3`.
    pub terraform_version: String,
    /// The `provider` block (may contain unknowns when it depends on unapplied resources).
    pub config: Value,
}

/// Everything an operation shares: the configured provider data, a cancellation token that
/// fires when Terraform sends StopProvider (Ctrl-C), and the operation's timeout from the
/// resource's `timeouts` block when it has one.
pub struct OperationContext<'a, D> {
    /// The value [`super::Provider::configure`] produced.
    pub data: &'a D,
    /// Cancelled when Terraform asks the provider to stop, and a few seconds after `timeout`
    /// has passed (a backstop: code that enforces `timeout` itself reports it first).
    pub cancel: CancellationToken,
    /// The configured timeout for this operation, if any; the resource code enforces it.
    pub timeout: Option<Duration>,
}

impl<D> OperationContext<'_, D> {
    /// True once Terraform asked the provider to stop.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }
}

/// The plan under construction, handed to [`super::Resource::modify_plan`].
#[derive(Debug, Clone)]
pub struct ModifyPlan {
    /// The configuration.
    pub config: Value,
    /// The prior state (null on create).
    pub prior: Value,
    /// The planned state so far; may be changed.
    pub planned: Value,
    /// Paths whose change forces replacement; may be extended.
    pub requires_replace: Vec<AttributePath>,
    /// Private state to carry into apply.
    pub private: PrivateState,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// Input of [`super::Resource::create`].
#[derive(Debug, Clone)]
pub struct CreateRequest {
    /// The configuration.
    pub config: Value,
    /// The planned state (unknowns are the values to fill in).
    pub planned: Value,
    /// Private state from the plan.
    pub private: PrivateState,
}

/// Input of [`super::Resource::update`].
#[derive(Debug, Clone)]
pub struct UpdateRequest {
    /// The configuration.
    pub config: Value,
    /// The state before the update.
    pub prior: Value,
    /// The planned state.
    pub planned: Value,
    /// Private state from the plan.
    pub private: PrivateState,
}

/// Input of [`super::Resource::delete`].
#[derive(Debug, Clone)]
pub struct DeleteRequest {
    /// The state of the object being deleted.
    pub prior: Value,
    /// Its private state.
    pub private: PrivateState,
}

/// Result of create and update.
#[derive(Debug, Clone, Default)]
pub struct ApplyResponse {
    /// The new state; must keep every known planned value and fill every unknown.
    pub state: Value,
    /// Private state to store.
    pub private: PrivateState,
    /// Problems found. With errors, `state` should describe what exists (or be null).
    pub diagnostics: Diagnostics,
}

/// Input of [`super::Resource::read`].
#[derive(Debug, Clone)]
pub struct ReadRequest {
    /// The state to refresh.
    pub state: Value,
    /// Its private state.
    pub private: PrivateState,
}

/// Input of [`super::DataSource::read`].
#[derive(Debug, Clone)]
pub struct ReadDataRequest {
    /// The data source configuration (always wholly known).
    pub config: Value,
}

/// Result of resource and data source reads.
#[derive(Debug, Clone, Default)]
pub struct ReadResponse {
    /// The refreshed state; null when a managed object no longer exists.
    pub state: Value,
    /// Private state to store (resources only).
    pub private: PrivateState,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// Result of [`super::Resource::import`].
#[derive(Debug, Clone, Default)]
pub struct ImportResponse {
    /// A state [`super::Resource::read`] can complete.
    pub state: Value,
    /// Private state to store.
    pub private: PrivateState,
    /// Problems found.
    pub diagnostics: Diagnostics,
}
