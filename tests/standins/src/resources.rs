//! Mesos resources: the text form of `--resources` (`cpus:2;mem:1024;ports:[31000-32000]`), the
//! arithmetic the master and the agent need, and the JSON map the HTTP API reports.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Scalar resources and port ranges of an agent, a task or a framework.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Resources {
    /// CPUs.
    pub cpus: f64,
    /// Memory in MB.
    pub mem: f64,
    /// Disk in MB.
    pub disk: f64,
    /// GPUs.
    pub gpus: f64,
    /// Inclusive port ranges.
    #[serde(default)]
    pub ports: Vec<(u64, u64)>,
}

/// The default port range of an agent.
pub const DEFAULT_PORTS: (u64, u64) = (31000, 32000);

impl Resources {
    /// Parses `name:value;name:[a-b,c-d]`, optionally with roles (`cpus(*):2`).
    pub fn parse(text: &str) -> Result<Resources, String> {
        let mut r = Resources::default();
        for item in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, value) = item
                .split_once(':')
                .ok_or_else(|| format!("Bad value for resources: '{item}' is not name:value"))?;
            let name = name.split('(').next().unwrap_or(name).trim();
            let value = value.trim();
            let scalar = || {
                value
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .ok_or_else(|| format!("Bad value for resources: '{name}' needs a non-negative number, got '{value}'"))
            };
            match name {
                "cpus" => r.cpus = scalar()?,
                "mem" => r.mem = scalar()?,
                "disk" => r.disk = scalar()?,
                "gpus" => r.gpus = scalar()?,
                "ports" => r.ports = parse_ranges(value)?,
                other => {
                    return Err(format!(
                        "Bad value for resources: unsupported resource '{other}'"
                    ))
                }
            }
        }
        Ok(r)
    }

    /// Text form, as the agent's `--resources` flag would carry it.
    pub fn to_flag(&self) -> String {
        let mut s = format!(
            "cpus:{};mem:{};disk:{}",
            fmt(self.cpus),
            fmt(self.mem),
            fmt(self.disk)
        );
        if self.gpus > 0.0 {
            s.push_str(&format!(";gpus:{}", fmt(self.gpus)));
        }
        if !self.ports.is_empty() {
            s.push_str(&format!(";ports:{}", ranges_text(&self.ports)));
        }
        s
    }

    /// The JSON map of `/master/state` and `/state` (`ports` only when there are some).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("disk".into(), json!(self.disk));
        m.insert("mem".into(), json!(self.mem));
        m.insert("gpus".into(), json!(self.gpus));
        m.insert("cpus".into(), json!(self.cpus));
        if !self.ports.is_empty() {
            m.insert("ports".into(), json!(ranges_text(&self.ports)));
        }
        Value::Object(m)
    }

    /// Sum of two resource sets (port ranges concatenated).
    pub fn plus(&self, other: &Resources) -> Resources {
        let mut ports = self.ports.clone();
        ports.extend(other.ports.iter().copied());
        Resources {
            cpus: round(self.cpus + other.cpus),
            mem: round(self.mem + other.mem),
            disk: round(self.disk + other.disk),
            gpus: round(self.gpus + other.gpus),
            ports: normalise(ports),
        }
    }

    /// What is left of `self` after `other` (ports removed from the ranges).
    pub fn minus(&self, other: &Resources) -> Resources {
        let mut ports = self.ports.clone();
        for &(a, b) in &other.ports {
            ports = ports
                .into_iter()
                .flat_map(|(x, y)| {
                    let mut out = Vec::new();
                    if b < x || a > y {
                        out.push((x, y));
                    } else {
                        if a > x {
                            out.push((x, a - 1));
                        }
                        if b < y {
                            out.push((b + 1, y));
                        }
                    }
                    out
                })
                .collect();
        }
        Resources {
            cpus: round((self.cpus - other.cpus).max(0.0)),
            mem: round((self.mem - other.mem).max(0.0)),
            disk: round((self.disk - other.disk).max(0.0)),
            gpus: round((self.gpus - other.gpus).max(0.0)),
            ports,
        }
    }

    /// Whether `need` fits into `self`, ports included.
    pub fn contains(&self, need: &Resources) -> bool {
        const EPS: f64 = 1e-9;
        need.cpus <= self.cpus + EPS
            && need.mem <= self.mem + EPS
            && need.disk <= self.disk + EPS
            && need.gpus <= self.gpus + EPS
            && need
                .ports
                .iter()
                .all(|&(a, b)| self.ports.iter().any(|&(x, y)| x <= a && b <= y))
    }

    /// The scalars only (used/offered maps in the API never carry ports when none are used).
    pub fn scalars(&self) -> Resources {
        Resources {
            ports: Vec::new(),
            ..self.clone()
        }
    }

    /// The first `count` free ports, or `None` when there are not enough.
    pub fn pick_ports(&self, count: usize) -> Option<Vec<u64>> {
        let mut out = Vec::new();
        for &(a, b) in &self.ports {
            let mut p = a;
            while p <= b && out.len() < count {
                out.push(p);
                p += 1;
            }
        }
        (out.len() == count).then_some(out)
    }
}

/// Ports as single-port ranges.
pub fn ports_as_ranges(ports: &[u64]) -> Vec<(u64, u64)> {
    normalise(ports.iter().map(|&p| (p, p)).collect())
}

fn normalise(mut ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    ranges.sort();
    let mut out: Vec<(u64, u64)> = Vec::new();
    for (a, b) in ranges {
        match out.last_mut() {
            Some(last) if a <= last.1 + 1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn fmt(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn parse_ranges(text: &str) -> Result<Vec<(u64, u64)>, String> {
    let inner = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .ok_or_else(|| format!("Bad value for resources: ports '{text}' must be [a-b,...]"))?;
    let mut out = Vec::new();
    for part in inner.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (a, b) = (a.trim().parse::<u64>(), b.trim().parse::<u64>());
        match (a, b) {
            (Ok(a), Ok(b)) if a <= b && b <= 65535 => out.push((a, b)),
            _ => return Err(format!("Bad value for resources: bad port range '{part}'")),
        }
    }
    Ok(normalise(out))
}

/// `[31000-32000, 33000-33000]` as Mesos prints ranges.
pub fn ranges_text(ranges: &[(u64, u64)]) -> String {
    let parts: Vec<String> = ranges.iter().map(|(a, b)| format!("{a}-{b}")).collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_the_flag_form() {
        let r = Resources::parse("cpus:2;mem:1024;disk:1024;ports:[31000-32000]").unwrap();
        assert_eq!(r.cpus, 2.0);
        assert_eq!(r.ports, vec![(31000, 32000)]);
        assert_eq!(r.to_flag(), "cpus:2;mem:1024;disk:1024;ports:[31000-32000]");
        assert_eq!(r.to_json()["ports"], "[31000-32000]");
        assert!(Resources::parse("cpus:x").is_err());
        assert!(Resources::parse("bananas:3").is_err());
        assert_eq!(Resources::parse("cpus(*):0.5").unwrap().cpus, 0.5);
    }

    #[test]
    fn arithmetic_with_ports() {
        let agent = Resources::parse("cpus:2;mem:1024;ports:[31000-32000]").unwrap();
        let task = Resources {
            cpus: 0.5,
            mem: 32.0,
            ports: vec![(31000, 31000)],
            ..Default::default()
        };
        let free = agent.minus(&task);
        assert_eq!(free.cpus, 1.5);
        assert_eq!(free.ports, vec![(31001, 32000)]);
        assert!(free.contains(&Resources {
            cpus: 1.5,
            ..Default::default()
        }));
        assert!(!free.contains(&task));
        assert_eq!(free.pick_ports(2), Some(vec![31001, 31002]));
        assert_eq!(free.plus(&task).ports, vec![(31000, 32000)]);
    }
}
