//! The faults of a fault cycle: the rates the emulator is started with, and what its request
//! log shows actually struck.

use serde_json::Value;

/// The fault rates of a fault cycle (`--faults` of the emulator).
#[derive(Debug, Clone, Copy)]
pub struct FaultRates {
    /// Connections closed before the request is applied.
    pub drop: f64,
    /// POSTs applied, then the connection closed before the answer.
    pub lost_response: f64,
    /// HTTP 500 answers (request not applied).
    pub http_5xx: f64,
    /// RESOURCE_BUSY answers to POSTs.
    pub busy: f64,
    /// UNEXPECTED_ERROR answers to POSTs.
    pub unexpected: f64,
    /// Delayed answers.
    pub slow: f64,
    /// The delay of a slow answer.
    pub slow_ms: u64,
}

impl FaultRates {
    /// Rates under which each fault is measured at about 6 % of the requests it can hit (the
    /// emulator decides them in turn: drop, then 5xx, busy and unexpected on what is left, and
    /// lost_response only on POSTs none of those hit, so later ones get a higher rate).
    pub fn six_percent(slow_ms: u64) -> Self {
        Self {
            drop: 0.06,
            http_5xx: 0.066,
            busy: 0.072,
            unexpected: 0.078,
            lost_response: 0.085,
            slow: 0.066,
            slow_ms,
        }
    }

    /// The emulator's `--faults` value with RNG seed `seed`.
    pub fn spec(&self, seed: u64) -> String {
        format!(
            "drop={},lost_response={},5xx={},busy={},unexpected={},slow={},slow_ms={},seed={seed}",
            self.drop,
            self.lost_response,
            self.http_5xx,
            self.busy,
            self.unexpected,
            self.slow,
            self.slow_ms
        )
    }
}

/// How often each injected fault fired in a run, and out of how many requests it could hit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Requests (GET and POST).
    pub requests: usize,
    /// POSTs.
    pub posts: usize,
    /// Dropped connections.
    pub drop: usize,
    /// Lost answers to applied POSTs.
    pub lost_response: usize,
    /// HTTP 500 answers.
    pub http_5xx: usize,
    /// RESOURCE_BUSY answers.
    pub busy: usize,
    /// UNEXPECTED_ERROR answers (HTTP 400).
    pub unexpected: usize,
    /// Delayed answers.
    pub slow: usize,
}

impl FaultCounts {
    /// Counts the faults in request-log entries; a response as slow as `slow_ms` counts as slow.
    pub fn count(log: &[Value], slow_ms: u64) -> Self {
        let code = |e: &Value| e["responseCode"].as_str().unwrap_or_default().to_owned();
        let mut counts = FaultCounts {
            requests: log.len(),
            ..FaultCounts::default()
        };
        for entry in log {
            let code = code(entry);
            let status = entry["status"].as_u64().unwrap_or_default();
            if entry["method"] == "POST" {
                counts.posts += 1;
            }
            match code.as_str() {
                "DROPPED" => counts.drop += 1,
                c if c.starts_with("LOST_RESPONSE") => counts.lost_response += 1,
                "RESOURCE_BUSY" => counts.busy += 1,
                "UNEXPECTED_ERROR" if status == 500 => counts.http_5xx += 1,
                "UNEXPECTED_ERROR" => counts.unexpected += 1,
                _ => {}
            }
            if entry["durationMs"].as_f64().unwrap_or_default() >= slow_ms as f64 {
                counts.slow += 1;
            }
        }
        counts
    }

    /// Adds another run's counts.
    pub fn add(&mut self, other: &FaultCounts) {
        self.requests += other.requests;
        self.posts += other.posts;
        self.drop += other.drop;
        self.lost_response += other.lost_response;
        self.http_5xx += other.http_5xx;
        self.busy += other.busy;
        self.unexpected += other.unexpected;
        self.slow += other.slow;
    }

    /// Every fault with its count and its share of the requests it can hit, e.g.
    /// `("drop", 61, 6.1)`.
    pub fn shares(&self) -> Vec<(&'static str, usize, f64)> {
        let pct = |n: usize, of: usize| {
            if of == 0 {
                0.0
            } else {
                100.0 * n as f64 / of as f64
            }
        };
        vec![
            ("drop", self.drop, pct(self.drop, self.requests)),
            (
                "lost_response",
                self.lost_response,
                pct(self.lost_response, self.posts),
            ),
            ("5xx", self.http_5xx, pct(self.http_5xx, self.requests)),
            ("busy", self.busy, pct(self.busy, self.posts)),
            (
                "unexpected",
                self.unexpected,
                pct(self.unexpected, self.posts),
            ),
            ("slow", self.slow, pct(self.slow, self.requests)),
        ]
    }

    /// All injected faults.
    pub fn total(&self) -> usize {
        self.drop + self.lost_response + self.http_5xx + self.busy + self.unexpected + self.slow
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_each_fault_against_the_requests_it_can_hit() {
        let log = [
            json!({"method": "GET", "status": 0, "responseCode": "DROPPED", "durationMs": 1.0}),
            json!({"method": "POST", "status": 0, "responseCode": "LOST_RESPONSE:IN_PROGRESS", "durationMs": 2.0}),
            json!({"method": "GET", "status": 500, "responseCode": "UNEXPECTED_ERROR", "durationMs": 1.0}),
            json!({"method": "POST", "status": 400, "responseCode": "UNEXPECTED_ERROR", "durationMs": 1.0}),
            json!({"method": "POST", "status": 400, "responseCode": "RESOURCE_BUSY", "durationMs": 3100.0}),
            json!({"method": "GET", "status": 200, "responseCode": "-", "durationMs": 5.0}),
        ];
        let counts = FaultCounts::count(&log, 3000);
        assert_eq!(
            counts,
            FaultCounts {
                requests: 6,
                posts: 3,
                drop: 1,
                lost_response: 1,
                http_5xx: 1,
                busy: 1,
                unexpected: 1,
                slow: 1,
            }
        );
        let shares = counts.shares();
        assert_eq!(shares[1], ("lost_response", 1, 100.0 / 3.0));
        assert_eq!(counts.total(), 6);
        assert!(FaultRates::six_percent(500)
            .spec(7)
            .ends_with("slow_ms=500,seed=7"));
    }
}
