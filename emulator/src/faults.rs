//! Seeded, reproducible fault injection.
//!
//! Syntax: `5xx=0.05,busy=0.05,unexpected=0.05,drop=0.05,lost_response=0.05,slow=0.05,failed_add=0.01,seed=7`
//! (any subset; `slow_ms=N` sets the delay of a slow response, default 3000; `ops=a+b` limits
//! faults to those operations, `methods=GET` or `methods=POST` to one method).

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
    /// Rate of POSTs that are applied, after which the connection is closed without the
    /// response: the client cannot know whether its request took effect.
    pub lost_response: f64,
    /// Rate of responses delayed by `slow_ms`.
    pub slow: f64,
    /// Rate of deployments that end in FAILED_ADD instead of NORMAL.
    pub failed_add: f64,
    /// Delay of a slow response in milliseconds.
    pub slow_ms: u64,
    /// RNG seed.
    pub seed: u64,
    /// Only requests for these operations (the path's operation or collection segment, e.g.
    /// `deployServer`, `server`) are subject to faults; empty means every operation.
    pub ops: Vec<String>,
    /// Only requests with this method are subject to faults; `None` means GET and POST.
    pub method: Option<FaultMethod>,
}

/// The HTTP method faults are limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultMethod {
    /// Reads only.
    Get,
    /// Writes only.
    Post,
}

impl FaultConfig {
    /// True when no fault can ever fire.
    pub fn is_off(&self) -> bool {
        [
            self.http_5xx,
            self.busy,
            self.unexpected,
            self.drop,
            self.lost_response,
            self.slow,
            self.failed_add,
        ]
        .iter()
        .all(|r| *r == 0.0)
    }

    /// True when a request for `op` with this method is subject to faults.
    pub fn applies_to(&self, op: &str, is_post: bool) -> bool {
        let method_ok = match self.method {
            None => true,
            Some(FaultMethod::Get) => !is_post,
            Some(FaultMethod::Post) => is_post,
        };
        method_ok && (self.ops.is_empty() || self.ops.iter().any(|o| o == op))
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
                "lost_response" => cfg.lost_response = rate()?,
                "slow" => cfg.slow = rate()?,
                "failed_add" => cfg.failed_add = rate()?,
                "seed" => cfg.seed = int()?,
                "slow_ms" => cfg.slow_ms = int()?,
                "ops" => {
                    cfg.ops = value
                        .split('+')
                        .map(str::trim)
                        .filter(|o| !o.is_empty())
                        .map(str::to_owned)
                        .collect();
                    if let Some(bad) = cfg
                        .ops
                        .iter()
                        .find(|o| !o.chars().all(|c| c.is_ascii_alphanumeric()))
                    {
                        return Err(format!(
                            "fault `ops`: `{bad}` is not an operation name (e.g. deployServer, server; join several with +)"
                        ));
                    }
                    if cfg.ops.is_empty() {
                        return Err("fault `ops`: expected at least one operation name".into());
                    }
                }
                "methods" => {
                    cfg.method = match value.to_ascii_uppercase().as_str() {
                        "GET" => Some(FaultMethod::Get),
                        "POST" => Some(FaultMethod::Post),
                        "GET+POST" | "POST+GET" | "ALL" => None,
                        _ => {
                            return Err(format!(
                                "fault `methods`: `{value}` must be GET, POST or GET+POST"
                            ))
                        }
                    }
                }
                other => {
                    return Err(format!(
                        "unknown fault `{other}` (known: 5xx, busy, unexpected, drop, lost_response, slow, failed_add, seed, slow_ms, ops, methods)"
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
    /// Apply the request, then close the connection without answering (POST only).
    pub lost_response: bool,
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

    /// Decides the faults of the next request for operation `op`. Requests outside the
    /// configured operations and method get none and draw nothing; the others draw the same
    /// number of values each, so a given seed and request sequence always gives the same
    /// decisions.
    pub fn decide(&self, op: &str, is_post: bool) -> Decision {
        if self.config.is_off() || !self.config.applies_to(op, is_post) {
            return Decision::default();
        }
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        let rolls: [f64; 7] = std::array::from_fn(|_| rng.random::<f64>());
        let c = &self.config;
        let drop = rolls[0] < c.drop;
        let http_5xx = !drop && rolls[1] < c.http_5xx;
        let busy = is_post && !drop && !http_5xx && rolls[2] < c.busy;
        let unexpected = is_post && !drop && !http_5xx && !busy && rolls[3] < c.unexpected;
        let refused = drop || http_5xx || busy || unexpected;
        Decision {
            http_5xx,
            busy,
            unexpected,
            drop,
            lost_response: is_post && !refused && rolls[6] < c.lost_response,
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
        let c: FaultConfig = "lost_response=0.1,ops=deployServer,methods=POST"
            .parse()
            .unwrap();
        assert_eq!(c.lost_response, 0.1);
        assert_eq!(c.ops, ["deployServer"]);
        assert_eq!(c.method, Some(FaultMethod::Post));
        assert!(!c.is_off());
    }

    #[test]
    fn same_seed_same_decisions() {
        let cfg: FaultConfig = "busy=0.3,drop=0.1,seed=42".parse().unwrap();
        let a = Faults::new(cfg.clone());
        let b = Faults::new(cfg);
        let da: Vec<_> = (0..200).map(|_| a.decide("createTagKey", true)).collect();
        let db: Vec<_> = (0..200).map(|_| b.decide("createTagKey", true)).collect();
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
        assert!((0..100).all(|_| f.decide("deployServer", true) == Decision::default()));
    }

    #[test]
    fn lost_responses_hit_posts_only_and_never_with_a_refusal() {
        let f = Faults::new("lost_response=0.5,5xx=0.3,seed=3".parse().unwrap());
        let posts: Vec<_> = (0..400).map(|_| f.decide("deployVlan", true)).collect();
        let lost = posts.iter().filter(|d| d.lost_response).count();
        assert!((100..=180).contains(&lost), "{lost} lost of 400");
        assert!(posts.iter().all(|d| !(d.lost_response && d.http_5xx)));
        assert!((0..200).all(|_| !f.decide("vlan", false).lost_response));
    }

    #[test]
    fn gets_get_5xx_drop_and_slow_but_not_busy() {
        let f = Faults::new("5xx=0.3,drop=0.3,slow=0.3,busy=1,seed=5".parse().unwrap());
        let gets: Vec<_> = (0..300).map(|_| f.decide("server", false)).collect();
        assert!(gets.iter().any(|d| d.http_5xx));
        assert!(gets.iter().any(|d| d.drop));
        assert!(gets.iter().any(|d| d.delay_ms > 0));
        assert!(gets.iter().all(|d| !d.busy && !d.unexpected));
    }

    #[test]
    fn operation_and_method_filters() {
        let f = Faults::new("busy=1,ops=deployServer+createNatRule".parse().unwrap());
        assert!(f.decide("deployServer", true).busy);
        assert!(f.decide("createNatRule", true).busy);
        assert_eq!(f.decide("deployVlan", true), Decision::default());
        let f = Faults::new("5xx=1,methods=post".parse().unwrap());
        assert!(f.decide("deployVlan", true).http_5xx);
        assert_eq!(f.decide("vlan", false), Decision::default());
        let f = Faults::new("5xx=1,methods=GET".parse().unwrap());
        assert!(f.decide("vlan", false).http_5xx);
        assert_eq!(f.decide("deployVlan", true), Decision::default());
        for bad in ["ops=", "ops=deploy-Server", "methods=PUT"] {
            let err = bad.parse::<FaultConfig>().unwrap_err();
            assert!(err.contains(bad.split('=').next().unwrap()), "{bad}: {err}");
        }
    }
}
