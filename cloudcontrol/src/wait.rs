//! Waiting for asynchronous operations: poll until `NORMAL` (or gone), within
//! the caller's timeout and honouring the caller's cancellation token.

use crate::error::{Error, Result};
use crate::schedule::{Jitter, PollSchedule};
use crate::state::ResourceState;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How long an operation may take in total (including `RESOURCE_BUSY` retries
/// and queueing for the organisation lock) and how to cancel it.
#[derive(Debug, Clone)]
pub struct WaitOptions {
    /// Total time allowed for the operation.
    pub timeout: Duration,
    /// Cancels the operation between requests when triggered.
    pub cancel: CancellationToken,
}

impl WaitOptions {
    /// Options with `timeout` and a token nobody cancels.
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            cancel: CancellationToken::new(),
        }
    }

    /// Uses `cancel` as the cancellation token.
    pub fn with_cancel(mut self, cancel: CancellationToken) -> Self {
        self.cancel = cancel;
        self
    }

    pub(crate) fn start(&self) -> Deadline {
        let started = Instant::now();
        Deadline {
            started,
            at: started + self.timeout,
            cancel: self.cancel.clone(),
        }
    }
}

/// A running operation's time budget.
#[derive(Debug, Clone)]
pub(crate) struct Deadline {
    started: Instant,
    at: Instant,
    cancel: CancellationToken,
}

impl Deadline {
    pub(crate) fn expired(&self) -> bool {
        Instant::now() >= self.at
    }

    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Time left, zero when expired.
    pub(crate) fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    fn cancelled(&self, operation: &str) -> Error {
        Error::Cancelled {
            operation: operation.to_owned(),
            id: String::new(),
        }
    }

    /// Sleeps for `delay` (cut short at the deadline); fails if cancelled.
    pub(crate) async fn sleep(&self, delay: Duration, operation: &str) -> Result<()> {
        let until = (Instant::now() + delay).min(self.at);
        tokio::select! {
            _ = self.cancel.cancelled() => Err(self.cancelled(operation)),
            _ = tokio::time::sleep_until(until) => Ok(()),
        }
    }

    /// Runs `work`, abandoning it if the caller cancels. Only for reads: an
    /// abandoned write could still take effect.
    pub(crate) async fn read<T>(
        &self,
        operation: &str,
        work: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        if self.cancel.is_cancelled() {
            return Err(self.cancelled(operation));
        }
        tokio::select! {
            _ = self.cancel.cancelled() => Err(self.cancelled(operation)),
            result = work => result,
        }
    }

    /// Waits for `lock`, giving up at the deadline or on cancellation.
    pub(crate) async fn acquire<G>(
        &self,
        operation: &str,
        lock: impl Future<Output = G>,
    ) -> Result<G> {
        tokio::select! {
            _ = self.cancel.cancelled() => Err(self.cancelled(operation)),
            _ = tokio::time::sleep_until(self.at) => Err(Error::Timeout {
                operation: operation.to_owned(),
                kind: "organisation lock",
                id: String::new(),
                waited: self.elapsed(),
                last_state: "another network domain or VLAN operation still running".into(),
            }),
            guard = lock => Ok(guard),
        }
    }
}

/// Something with a lifecycle state.
pub(crate) trait Stateful {
    fn state(&self) -> &ResourceState;
}

/// What is being waited for, and on which schedule.
pub(crate) struct Poll<'a> {
    pub schedule: &'a PollSchedule,
    pub jitter: &'a dyn Jitter,
    pub deadline: &'a Deadline,
    pub operation: &'a str,
    pub kind: &'static str,
    pub id: &'a str,
}

impl Poll<'_> {
    fn timeout(&self, last_state: String) -> Error {
        Error::Timeout {
            operation: self.operation.to_owned(),
            kind: self.kind,
            id: self.id.to_owned(),
            waited: self.deadline.elapsed(),
            last_state,
        }
    }

    /// A cancellation met while waiting names the resource waited on, so a caller can keep
    /// track of what the API already accepted.
    fn naming_resource(&self, error: Error) -> Error {
        match error {
            Error::Cancelled { operation, .. } => Error::Cancelled {
                operation,
                id: self.id.to_owned(),
            },
            other => other,
        }
    }

    fn failed(&self, state: &ResourceState) -> Error {
        Error::OperationFailed {
            operation: self.operation.to_owned(),
            kind: self.kind,
            id: self.id.to_owned(),
            state: state.to_string(),
        }
    }

    /// Polls `fetch` until the resource is `NORMAL` and `ready` accepts it.
    /// `PENDING_*` (and `NORMAL` but not yet `ready`) keep polling; any other
    /// state fails; a resource that disappears fails.
    pub(crate) async fn until_normal<T, F, Fut>(
        &self,
        ready: impl Fn(&T) -> bool,
        mut fetch: F,
    ) -> Result<T>
    where
        T: Stateful,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>>>,
    {
        let mut attempt = 0;
        loop {
            let current = self
                .deadline
                .read(self.operation, fetch())
                .await
                .map_err(|e| self.naming_resource(e))?;
            let last_state = match current {
                None => {
                    return Err(Error::Vanished {
                        operation: self.operation.to_owned(),
                        kind: self.kind,
                        id: self.id.to_owned(),
                    })
                }
                Some(resource) => {
                    let state = resource.state().clone();
                    if state.is_normal() && ready(&resource) {
                        return Ok(resource);
                    }
                    if !state.is_normal() && !state.is_pending() {
                        return Err(self.failed(&state));
                    }
                    state.to_string()
                }
            };
            self.pause(attempt, last_state).await?;
            attempt += 1;
        }
    }

    /// Polls `fetch` until the resource is gone. `NORMAL` and `PENDING_*` keep
    /// polling (a delete may not show as pending at once); anything else fails.
    pub(crate) async fn until_gone<T, F, Fut>(&self, mut fetch: F) -> Result<()>
    where
        T: Stateful,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>>>,
    {
        let mut attempt = 0;
        loop {
            let fetched = self
                .deadline
                .read(self.operation, fetch())
                .await
                .map_err(|e| self.naming_resource(e))?;
            let last_state = match fetched {
                None => return Ok(()),
                Some(resource) if *resource.state() == ResourceState::Deleted => return Ok(()),
                Some(resource) => {
                    let state = resource.state().clone();
                    if !state.is_normal() && !state.is_pending() {
                        return Err(self.failed(&state));
                    }
                    state.to_string()
                }
            };
            self.pause(attempt, last_state).await?;
            attempt += 1;
        }
    }

    async fn pause(&self, attempt: u32, last_state: String) -> Result<()> {
        if self.deadline.expired() {
            return Err(self.timeout(last_state));
        }
        let delay = self.schedule.delay(attempt, self.jitter.sample());
        self.deadline
            .sleep(delay, self.operation)
            .await
            .map_err(|e| self.naming_resource(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::SeededJitter;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Debug, Clone)]
    struct Thing(ResourceState, bool);

    impl Stateful for Thing {
        fn state(&self) -> &ResourceState {
            &self.0
        }
    }

    fn fast() -> PollSchedule {
        PollSchedule {
            initial: Duration::from_millis(1),
            factor: 1.0,
            max: Duration::from_millis(1),
            jitter: 0.0,
        }
    }

    fn scripted(script: Vec<Option<Thing>>) -> (AtomicUsize, Vec<Option<Thing>>) {
        (AtomicUsize::new(0), script)
    }

    async fn run_normal(script: Vec<Option<Thing>>, opts: &WaitOptions) -> (Result<Thing>, usize) {
        let (calls, script) = scripted(script);
        let deadline = opts.start();
        let jitter = SeededJitter::new(1);
        let schedule = fast();
        let poll = Poll {
            schedule: &schedule,
            jitter: &jitter,
            deadline: &deadline,
            operation: "DEPLOY_THING",
            kind: "thing",
            id: "t-1",
        };
        let result = poll
            .until_normal(
                |t: &Thing| t.1,
                || {
                    let (calls, script) = (&calls, &script);
                    async move {
                        let n = calls.fetch_add(1, Ordering::SeqCst);
                        Ok(script[n.min(script.len() - 1)].clone())
                    }
                },
            )
            .await;
        (result, calls.load(Ordering::SeqCst))
    }

    fn some(state: ResourceState, ready: bool) -> Option<Thing> {
        Some(Thing(state, ready))
    }

    #[tokio::test]
    async fn waits_through_pending_until_normal_and_ready() {
        let opts = WaitOptions::new(Duration::from_secs(5));
        let script = vec![
            some(ResourceState::PendingAdd, false),
            some(ResourceState::PendingAdd, false),
            some(ResourceState::Normal, false),
            some(ResourceState::Normal, true),
        ];
        let (result, calls) = run_normal(script, &opts).await;
        assert!(result.unwrap().1);
        assert_eq!(calls, 4);
    }

    #[tokio::test]
    async fn failed_states_and_vanishing_are_errors() {
        let opts = WaitOptions::new(Duration::from_secs(5));
        let (result, _) = run_normal(
            vec![
                some(ResourceState::PendingAdd, false),
                some(ResourceState::FailedAdd, false),
            ],
            &opts,
        )
        .await;
        let err = result.unwrap_err();
        assert!(
            matches!(&err, Error::OperationFailed { state, .. } if state == "FAILED_ADD"),
            "{err}"
        );
        assert_eq!(err.resource_id(), Some("t-1"));
        let (result, _) = run_normal(vec![None], &opts).await;
        assert!(matches!(result.unwrap_err(), Error::Vanished { .. }));
    }

    #[tokio::test]
    async fn times_out_with_the_last_state() {
        let opts = WaitOptions::new(Duration::from_millis(30));
        let (result, calls) =
            run_normal(vec![some(ResourceState::PendingChange, false)], &opts).await;
        let err = result.unwrap_err();
        assert!(
            matches!(&err, Error::Timeout { last_state, .. } if last_state == "PENDING_CHANGE"),
            "{err}"
        );
        assert!(calls >= 2);
    }

    #[tokio::test]
    async fn cancellation_stops_waiting() {
        let token = CancellationToken::new();
        let opts = WaitOptions::new(Duration::from_secs(60)).with_cancel(token.clone());
        token.cancel();
        let (result, calls) = run_normal(vec![some(ResourceState::PendingAdd, false)], &opts).await;
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Cancelled { .. }), "{err}");
        // The resource the API accepted is named, so the caller does not lose it.
        assert_eq!(err.resource_id(), Some("t-1"));
        assert_eq!(calls, 0);
    }

    #[tokio::test]
    async fn deletes_end_when_the_resource_is_gone_and_fail_on_failed_delete() {
        let opts = WaitOptions::new(Duration::from_secs(5));
        let deadline = opts.start();
        let jitter = SeededJitter::new(1);
        let schedule = fast();
        let poll = Poll {
            schedule: &schedule,
            jitter: &jitter,
            deadline: &deadline,
            operation: "DELETE_THING",
            kind: "thing",
            id: "t-1",
        };
        let calls = AtomicUsize::new(0);
        let script = [
            some(ResourceState::Normal, true),
            some(ResourceState::PendingDelete, true),
            None,
        ];
        poll.until_gone(|| {
            let item = script[calls.fetch_add(1, Ordering::SeqCst)].clone();
            async move { Ok(item) }
        })
        .await
        .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        let err = poll
            .until_gone(|| async { Ok(some(ResourceState::FailedDelete, true)) })
            .await
            .unwrap_err();
        assert!(matches!(err, Error::OperationFailed { .. }));
    }

    #[tokio::test]
    async fn lock_acquisition_gives_up_at_the_deadline() {
        let lock = std::sync::Arc::new(tokio::sync::Mutex::new(()));
        let _held = lock.clone().lock_owned().await;
        let deadline = WaitOptions::new(Duration::from_millis(20)).start();
        let err = deadline
            .acquire("DEPLOY_VLAN", lock.clone().lock_owned())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Timeout {
                    kind: "organisation lock",
                    ..
                }
            ),
            "{err}"
        );
    }
}
