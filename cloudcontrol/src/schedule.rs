//! Timing policies: how often to poll an operation and how long to back off
//! after `RESOURCE_BUSY`. Pure functions of the attempt number and a jitter
//! sample, so they can be tested exactly.

use rand::{rngs::StdRng, Rng, SeedableRng};
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

/// A source of jitter: uniform samples in `[0, 1)`.
pub trait Jitter: Send + Sync + fmt::Debug {
    /// Returns the next sample in `[0, 1)`.
    fn sample(&self) -> f64;
}

/// Jitter from the thread-local random generator (the default).
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomJitter;

impl Jitter for RandomJitter {
    fn sample(&self) -> f64 {
        rand::random::<f64>()
    }
}

/// Reproducible jitter from a seeded generator (for tests and benchmarks).
#[derive(Debug)]
pub struct SeededJitter(Mutex<StdRng>);

impl SeededJitter {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(Mutex::new(StdRng::seed_from_u64(seed)))
    }
}

impl Jitter for SeededJitter {
    fn sample(&self) -> f64 {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .random::<f64>()
    }
}

/// How often an asynchronous operation is polled: starting quickly (most
/// operations on a quiet platform or an emulator finish in well under a second)
/// and growing geometrically to a ceiling so long deployments are not hammered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollSchedule {
    /// Delay before the first poll.
    pub initial: Duration,
    /// Growth factor per poll (≥ 1).
    pub factor: f64,
    /// Ceiling for the delay.
    pub max: Duration,
    /// Relative jitter: each delay is scaled by a factor in `[1 - jitter, 1 + jitter]`
    /// (then capped at `max`), so many waiters do not poll in lockstep.
    pub jitter: f64,
}

impl Default for PollSchedule {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(250),
            factor: 1.5,
            max: Duration::from_secs(5),
            jitter: 0.2,
        }
    }
}

impl PollSchedule {
    /// The delay before poll number `attempt` (0-based), given a jitter sample in `[0, 1)`.
    pub fn delay(&self, attempt: u32, sample: f64) -> Duration {
        let base = grow(self.initial, self.factor, self.max, attempt);
        let scale = 1.0 + self.jitter.clamp(0.0, 1.0) * (2.0 * sample.clamp(0.0, 1.0) - 1.0);
        base.mul_f64(scale).min(self.max)
    }
}

/// Retry policy for `RESOURCE_BUSY`: exponential backoff with "equal jitter"
/// (half the delay fixed, half random), bounded in attempts and by the
/// operation's own deadline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffPolicy {
    /// Delay before the first retry (before jitter).
    pub initial: Duration,
    /// Growth factor per retry (≥ 1).
    pub factor: f64,
    /// Ceiling for the delay (before jitter).
    pub max: Duration,
    /// Retries after the first attempt; after these the busy error is returned.
    pub max_retries: u32,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            factor: 2.0,
            max: Duration::from_secs(30),
            max_retries: 12,
        }
    }
}

impl BackoffPolicy {
    /// The delay before retry number `retry` (0-based), or `None` when the
    /// retries are used up. `sample` is a jitter sample in `[0, 1)`.
    pub fn delay(&self, retry: u32, sample: f64) -> Option<Duration> {
        if retry >= self.max_retries {
            return None;
        }
        let base = grow(self.initial, self.factor, self.max, retry);
        let half = base / 2;
        Some(half + half.mul_f64(sample.clamp(0.0, 1.0)))
    }
}

fn grow(initial: Duration, factor: f64, max: Duration, step: u32) -> Duration {
    let factor = factor.max(1.0);
    let secs = initial.as_secs_f64() * factor.powi(step.min(64) as i32);
    if !secs.is_finite() || secs >= max.as_secs_f64() {
        max
    } else {
        Duration::from_secs_f64(secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(d: Duration) -> u128 {
        d.as_millis()
    }

    #[test]
    fn poll_schedule_starts_fast_and_caps_at_five_seconds() {
        let schedule = PollSchedule::default();
        let no_jitter: Vec<u128> = (0..12).map(|n| ms(schedule.delay(n, 0.5))).collect();
        assert_eq!(no_jitter[..5], [250, 375, 562, 843, 1265]);
        assert!(no_jitter.windows(2).all(|w| w[0] <= w[1]), "{no_jitter:?}");
        assert_eq!(no_jitter[11], 5000);
        // Five polls in the first 3.3 s notice quick operations; ten polls span
        // 22 s, so long deployments cost one request per 5 s after that.
        let first_five: u128 = no_jitter[..5].iter().sum();
        assert_eq!(first_five, 3295);
        let first_ten: u128 = no_jitter[..10].iter().sum();
        assert_eq!(first_ten, 22_311);
    }

    #[test]
    fn poll_jitter_stays_within_its_band_and_below_the_ceiling() {
        let schedule = PollSchedule::default();
        assert_eq!(ms(schedule.delay(0, 0.0)), 200);
        assert_eq!(ms(schedule.delay(0, 0.999_999)), 299);
        assert_eq!(ms(schedule.delay(40, 0.999_999)), 5000);
        assert_eq!(ms(schedule.delay(40, 0.0)), 4000);
    }

    #[test]
    fn backoff_doubles_with_equal_jitter_and_is_bounded() {
        let policy = BackoffPolicy::default();
        assert_eq!(policy.delay(0, 0.0), Some(Duration::from_millis(500)));
        assert_eq!(policy.delay(0, 0.5), Some(Duration::from_millis(750)));
        assert_eq!(policy.delay(3, 0.0), Some(Duration::from_secs(4)));
        assert_eq!(policy.delay(10, 0.0), Some(Duration::from_secs(15)));
        assert_eq!(policy.delay(11, 0.999_999).map(|d| d.as_secs()), Some(29));
        assert_eq!(policy.delay(12, 0.0), None);
        let total: Duration = (0..12).filter_map(|n| policy.delay(n, 1.0)).sum();
        assert!(total < Duration::from_secs(300), "{total:?}");
    }

    #[test]
    fn seeded_jitter_is_reproducible_and_in_range() {
        let a = SeededJitter::new(7);
        let b = SeededJitter::new(7);
        let xs: Vec<f64> = (0..100).map(|_| a.sample()).collect();
        let ys: Vec<f64> = (0..100).map(|_| b.sample()).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(xs.iter().any(|x| *x != xs[0]));
        let r = RandomJitter.sample();
        assert!((0.0..1.0).contains(&r));
    }
}
