//! The agent's validated configuration: required flags, the master to follow, the resources it
//! offers (detected like a real agent unless `--resources` says otherwise), and its containerizers.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use crate::flags::{self, FlagError, Flags};
use crate::resources::{Resources, DEFAULT_PORTS};

pub use crate::detect::MasterSource;

/// What the agent runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Every flag (for `/flags` and `/state`).
    pub flags: Flags,
    /// Where the master is.
    pub master: MasterSource,
    /// Work directory.
    pub work_dir: String,
    /// Address to bind and advertise.
    pub ip: Ipv4Addr,
    /// Port.
    pub port: u16,
    /// Advertised host name.
    pub hostname: String,
    /// Resources it offers.
    pub resources: Resources,
    /// Attributes.
    pub attributes: BTreeMap<String, String>,
    /// Containerizers in priority order.
    pub containerizers: Vec<String>,
    /// The docker CLI.
    pub docker: String,
    /// The Docker daemon's socket.
    pub docker_socket: String,
    /// How long a task may take to start (image pulls included).
    pub executor_registration_timeout: Duration,
    /// Run tasks as their framework's user.
    pub switch_user: bool,
}

impl Config {
    /// Loads and checks the flags (the Docker check happens at start, see `agent::main`).
    pub fn load(
        env: impl IntoIterator<Item = (String, String)>,
        args: impl IntoIterator<Item = String>,
    ) -> Result<Config, FlagError> {
        let flags = flags::load(flags::AGENT, "MESOS_", env, args)?;
        let work_dir = match flags.get("work_dir") {
            Some(w) if !w.trim().is_empty() => w.trim().to_string(),
            _ => {
                return Err(FlagError(
                    "Flag 'work_dir' is required, but it was not provided".to_string(),
                ))
            }
        };
        let master = match flags.get("master") {
            None => return Err(FlagError("Missing required option --master".to_string())),
            Some(m) => MasterSource::parse(m).map_err(|rule| flags.refuse("master", &rule))?,
        };
        let crate::flags::Endpoint { ip, port, hostname } = flags.endpoint()?;
        let given = match flags.get("resources") {
            Some(r) => Some(Resources::parse(r).map_err(|rule| flags.refuse("resources", &rule))?),
            None => None,
        };
        let resources = detect_resources(&work_dir, flags.get("resources"), given);
        let attributes = match flags.get("attributes") {
            Some(a) => parse_attributes(a).map_err(|rule| flags.refuse("attributes", &rule))?,
            None => BTreeMap::new(),
        };
        let containerizers: Vec<String> = flags
            .get("containerizers")
            .unwrap_or("mesos")
            .split(',')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        for c in &containerizers {
            if c != "mesos" && c != "docker" {
                return Err(flags.refuse(
                    "containerizers",
                    &format!("Unknown or unsupported containerizer: {c}"),
                ));
            }
        }
        if containerizers.is_empty() {
            return Err(flags.refuse("containerizers", "at least one containerizer is needed"));
        }
        Ok(Config {
            master,
            work_dir,
            ip,
            port,
            hostname,
            resources,
            attributes,
            containerizers,
            docker: flags.get("docker").unwrap_or("docker").to_string(),
            docker_socket: flags
                .get("docker_socket")
                .unwrap_or("/var/run/docker.sock")
                .to_string(),
            executor_registration_timeout: flags
                .duration("executor_registration_timeout")
                .unwrap_or(Duration::from_secs(60)),
            switch_user: flags.bool("switch_user"),
            flags,
        })
    }
}

/// `key:value;key:value`.
fn parse_attributes(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for item in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let (k, v) = item
            .split_once(':')
            .ok_or_else(|| format!("attribute '{item}' is not name:value"))?;
        out.insert(k.trim().to_string(), v.trim().to_string());
    }
    Ok(out)
}

/// The resources a real agent would offer: every CPU, the memory minus 1 GB (half when there is
/// less than 2 GB), the work directory's disk minus 5 GB (half below 10 GB), ports
/// 31000-32000; any resource named in `--resources` replaces the detected one.
pub fn detect_resources(work_dir: &str, flag: Option<&str>, given: Option<Resources>) -> Resources {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1) as f64;
    let mem_total = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map(|kb| (kb / 1024.0).floor())
        .unwrap_or(1024.0);
    let mem = if mem_total >= 2048.0 {
        mem_total - 1024.0
    } else {
        (mem_total / 2.0).floor()
    };
    let disk_total = disk_total_mb(work_dir).unwrap_or(10240.0);
    let disk = if disk_total >= 10240.0 {
        disk_total - 5120.0
    } else {
        (disk_total / 2.0).floor()
    };
    let mut r = Resources {
        cpus,
        mem,
        disk,
        gpus: 0.0,
        ports: vec![DEFAULT_PORTS],
    };
    if let (Some(text), Some(g)) = (flag, given) {
        let named = |n: &str| {
            text.split(';')
                .any(|item| item.trim().split([':', '(']).next() == Some(n))
        };
        if named("cpus") {
            r.cpus = g.cpus;
        }
        if named("mem") {
            r.mem = g.mem;
        }
        if named("disk") {
            r.disk = g.disk;
        }
        if named("gpus") {
            r.gpus = g.gpus;
        }
        if named("ports") {
            r.ports = g.ports;
        }
    }
    r
}

fn disk_total_mb(dir: &str) -> Option<f64> {
    let mut path = std::path::PathBuf::from(dir);
    while !path.exists() {
        path = path.parent()?.to_path_buf();
    }
    let st = nix::sys::statvfs::statvfs(&path).ok()?;
    Some(((st.blocks() as f64) * (st.fragment_size() as f64) / (1024.0 * 1024.0)).floor())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(args: &[&str]) -> Result<Config, FlagError> {
        Config::load(Vec::new(), args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn required_flags() {
        assert!(load(&["--master=m:5050"])
            .unwrap_err()
            .to_string()
            .contains("work_dir"));
        assert!(load(&["--work_dir=/tmp/x"])
            .unwrap_err()
            .to_string()
            .contains("--master"));
        let e = load(&["--work_dir=/tmp/x", "--master=zk://m1/mesos"]).unwrap_err();
        assert!(
            e.to_string().starts_with("Failed to load flag 'master'"),
            "{e}"
        );
        let e = load(&[
            "--work_dir=/tmp/x",
            "--master=m:5050",
            "--containerizers=docker,lxc",
        ])
        .unwrap_err();
        assert!(e.to_string().contains("lxc"), "{e}");
    }

    #[test]
    fn resources_are_detected_unless_named() {
        let c = load(&[
            "--work_dir=/tmp",
            "--master=zk://10.0.0.11:2181/mesos",
            "--resources=cpus:8;ports:[5000-5001]",
            "--attributes=rack:r1;zone:a",
        ])
        .unwrap();
        assert_eq!(c.resources.cpus, 8.0);
        assert_eq!(c.resources.ports, vec![(5000, 5001)]);
        assert!(c.resources.mem > 0.0 && c.resources.disk > 0.0);
        assert_eq!(c.attributes["zone"], "a");
        assert!(matches!(c.master, MasterSource::Zk(_)));
    }
}
