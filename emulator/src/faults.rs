//! Seeded, reproducible fault injection.
//!
//! Syntax: `5xx=0.05,busy=0.05,unexpected=0.05,drop=0.05,slow=0.05,failed_add=0.01,seed=7`
//! (any subset; `slow_ms=N` sets the delay of a slow response, default 3000).

use rand::{rngs::StdRng, Rng, SeedableRng};
use std::str::FromStr;
use std::sync::Mutex;

/// Parsed `--faults` rates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultConfig {
    /// Rate of HTTP 500 responses.
    pub http_5xx: f64,
    /// Rate of 400 RESOURCE_BUSY on POSTs.
    pub busy: f64,
    /// Rate of 400 UNEXPECTED_ERROR on POSTs.
    pub unexpected: f64,
    /// Rate of connections closed without any response (the request is not applied).
    pub drop: f64,
    /// Rate of responses delayed by `slow_ms`.
    pub slow: f64,
    /// Rate of deployments that end in FAILED_ADD instead of NORMAL.
    pub failed_add: f64,
    /// Delay of a slow response in milliseconds.
    pub slow_ms: u64,
    /// RNG seed.
    pub seed: u64,
}

impl FaultConfig {
    /// True when no fault can ever fire.
    pub fn is_off(&self) -> bool {
        [
            self.http_5xx,
            self.busy,
            self.unexpected,
            self.drop,
            self.slow,
            self.failed_add,
        ]
        .iter()
        .all(|r| *r == 0.0)
    }
}

impl FromStr for FaultConfig {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut cfg = FaultConfig {
            slow_ms: 3000,
            ..FaultConfig::default()
        };
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| format!("fault `{item}`: expected key=value"))?;
            let rate = || -> Result<f64, String> {
                let r: f64 = value
                    .parse()
                    .map_err(|e| format!("fault `{key}`: `{value}` is not a number: {e}"))?;
                if !(0.0..=1.0).contains(&r) {
                    return Err(format!("fault `{key}`: rate {r} must be between 0 and 1"));
                }
                Ok(r)
            };
            let int = || -> Result<u64, String> {
                value
                    .parse()
                    .map_err(|e| format!("fault `{key}`: `{value}` is not an integer: {e}"))
            };
            match key {
                "5xx" => cfg.http_5xx = rate()?,
                "busy" => cfg.busy = rate()?,
                "unexpected" => cfg.unexpected = rate()?,
                "drop" => cfg.drop = rate()?,
                "slow" => cfg.slow = rate()?,
                "failed_add" => cfg.failed_add = rate()?,
                "seed" => cfg.seed = int()?,
                "slow_ms" => cfg.slow_ms = int()?,
                other => {
                    return Err(format!(
                        "unknown fault `{other}` (known: 5xx, busy, unexpected, drop, slow, failed_add, seed, slow_ms)"
                    ))
                }
            }
        }
        Ok(cfg)
    }
}

/// What happens to one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// Answer HTTP 500 without applying the request.
    pub http_5xx: bool,
    /// Answer RESOURCE_BUSY without applying the request (POST only).
    pub busy: bool,
    /// Answer UNEXPECTED_ERROR without applying the request (POST only).
    pub unexpected: bool,
    /// Close the connection without answering or applying the request.
    pub drop: bool,
    /// Delay the response by this many milliseconds.
    pub delay_ms: u64,
    /// A deployment started by this request ends in FAILED_ADD.
    pub failed_add: bool,
}

/// The fault injector: one seeded RNG consulted once per request, in arrival order.
#[derive(Debug)]
pub struct Faults {
    config: FaultConfig,
    rng: Mutex<StdRng>,
}

impl Faults {
    /// Creates an injector from its configuration.
    pub fn new(config: FaultConfig) -> Self {
        let rng = StdRng::seed_from_u64(config.seed);
        Faults {
            config,
            rng: Mutex::new(rng),
        }
    }

    /// Decides the faults of the next request. Draws the same number of values for every
    /// request so a given seed and request sequence always gives the same decisions.
    pub fn decide(&self, is_post: bool) -> Decision {
        if self.config.is_off() {
            return Decision::default();
        }
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        let rolls: [f64; 6] = std::array::from_fn(|_| rng.random::<f64>());
        let c = &self.config;
        let drop = rolls[0] < c.drop;
        let http_5xx = !drop && rolls[1] < c.http_5xx;
        let busy = is_post && !drop && !http_5xx && rolls[2] < c.busy;
        let unexpected = is_post && !drop && !http_5xx && !busy && rolls[3] < c.unexpected;
        Decision {
            http_5xx,
            busy,
            unexpected,
            drop,
            delay_ms: if rolls[4] < c.slow { c.slow_ms } else { 0 },
            failed_add: is_post && rolls[5] < c.failed_add,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_syntax() {
        let c: FaultConfig =
            "5xx=0.05,busy=0.05,unexpected=0.05,drop=0.05,slow=0.05,failed_add=0.01,seed=7"
                .parse()
                .unwrap();
        assert_eq!(c.http_5xx, 0.05);
        assert_eq!(c.failed_add, 0.01);
        assert_eq!(c.seed, 7);
        assert_eq!(c.slow_ms, 3000);
        assert!("".parse::<FaultConfig>().unwrap().is_off());
        assert!("busy=2".parse::<FaultConfig>().is_err());
        assert!("nonsense=0.1".parse::<FaultConfig>().is_err());
        assert!("busy".parse::<FaultConfig>().is_err());
    }

    #[test]
    fn same_seed_same_decisions() {
        let cfg: FaultConfig = "busy=0.3,drop=0.1,seed=42".parse().unwrap();
        let a = Faults::new(cfg.clone());
        let b = Faults::new(cfg);
        let da: Vec<_> = (0..200).map(|_| a.decide(true)).collect();
        let db: Vec<_> = (0..200).map(|_| b.decide(true)).collect();
        assert_eq!(da, db);
        let busy = da.iter().filter(|d| d.busy).count();
        assert!(
            (30..=90).contains(&busy),
            "busy count {busy} far from 30% of 200"
        );
    }

    #[test]
    fn off_never_fires() {
        let f = Faults::new(FaultConfig::default());
        assert!((0..100).all(|_| f.decide(true) == Decision::default()));
    }
}
