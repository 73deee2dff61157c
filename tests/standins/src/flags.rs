//! Mesos-style flags: `--name=value`, `--name` / `--no-name` for booleans, and `MESOS_NAME`
//! environment variables, with the command line winning. Like real Mesos, an unknown flag on the
//! command line is refused, and every value is checked against its flag's type before the daemon
//! does anything. `mesos-init-wrapper` turns configuration files into flags and tells the daemon
//! which file each flag came from (`STANDIN_FLAG_ORIGINS`), so a refusal names the file.

use std::collections::BTreeMap;
use std::time::Duration;

/// The type of a flag's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Any text.
    Text,
    /// `true`/`false` (also `--name` and `--no-name`).
    Bool,
    /// A non-negative integer.
    Count,
    /// A decimal number.
    Number,
    /// A duration such as `15secs` or `5mins`.
    Duration,
    /// A size such as `4KB` or `2GB`.
    Bytes,
}

/// One flag a daemon knows.
#[derive(Debug, Clone, Copy)]
pub struct Def {
    /// Name without dashes.
    pub name: &'static str,
    /// Value type.
    pub kind: Kind,
    /// Default, as the real daemon reports it in `/flags`; `None` = unset by default.
    pub default: Option<&'static str>,
}

const fn def(name: &'static str, kind: Kind, default: Option<&'static str>) -> Def {
    Def {
        name,
        kind,
        default,
    }
}

/// Why flags could not be loaded. The message is the daemon's one journal line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FlagError(pub String);

/// Loaded flags: every known flag with a value (set or default), and where set ones came from.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    values: BTreeMap<String, String>,
    set: BTreeMap<String, String>,
    origins: BTreeMap<String, String>,
}

impl Flags {
    /// The value of a flag (set or default).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Whether the flag was given (on the command line or in the environment).
    pub fn is_set(&self, name: &str) -> bool {
        self.set.contains_key(name)
    }

    /// A boolean flag's value.
    pub fn bool(&self, name: &str) -> bool {
        self.get(name) == Some("true")
    }

    /// A duration flag's value.
    pub fn duration(&self, name: &str) -> Option<Duration> {
        self.get(name).and_then(|v| parse_duration(v).ok())
    }

    /// Every flag with a value, as `/flags` reports them.
    pub fn all(&self) -> &BTreeMap<String, String> {
        &self.values
    }

    /// "(file /etc/mesos-master/quorum)" when the flag came from a configuration file.
    pub fn origin_note(&self, name: &str) -> String {
        match self.origins.get(name) {
            Some(path) => format!(" (file {path})"),
            None => String::new(),
        }
    }

    /// A refusal naming the flag, its rule and, when known, the file it came from.
    pub fn refuse(&self, name: &str, rule: &str) -> FlagError {
        FlagError(format!(
            "Failed to load flag '{name}'{}: {rule}",
            self.origin_note(name)
        ))
    }
}

/// Where a daemon listens and how it calls itself: `--ip`, `--port`, `--hostname` (the host name
/// by default, and the address it resolves to when there is no `--ip`, as libprocess does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Address to bind and advertise.
    pub ip: std::net::Ipv4Addr,
    /// Port.
    pub port: u16,
    /// Advertised host name.
    pub hostname: String,
}

impl Flags {
    /// The daemon's endpoint from its flags.
    pub fn endpoint(&self) -> Result<Endpoint, FlagError> {
        let port = self
            .get("port")
            .and_then(|p| p.parse::<u16>().ok())
            .filter(|p| *p > 0)
            .ok_or_else(|| self.refuse("port", "not a port number"))?;
        let hostname = match self.get("hostname") {
            Some(h) if !h.trim().is_empty() => h.trim().to_string(),
            _ => system_hostname(),
        };
        let ip = match self.get("ip") {
            Some(ip) => ip.trim().parse().map_err(|_| {
                self.refuse("ip", &format!("'{}' is not an IPv4 address", ip.trim()))
            })?,
            None => resolve_own_address(&hostname),
        };
        Ok(Endpoint { ip, port, hostname })
    }
}

/// The kernel's host name.
pub fn system_hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".to_string())
}

/// What the host name resolves to (as libprocess does without `--ip`), else loopback.
pub fn resolve_own_address(hostname: &str) -> std::net::Ipv4Addr {
    use std::net::ToSocketAddrs;
    (hostname, 0)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| {
            addrs.find_map(|a| match a.ip() {
                std::net::IpAddr::V4(v4) => Some(v4),
                _ => None,
            })
        })
        .unwrap_or(std::net::Ipv4Addr::LOCALHOST)
}

/// Parses `name<TAB>path` lines from `mesos-init-wrapper`.
fn parse_origins(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(n, p)| (n.trim().to_string(), p.trim().to_string()))
        .collect()
}

/// Loads flags from `MESOS_*` environment variables and then the command line (`args` without
/// the program name). `env_prefix` is `MESOS_` for Mesos.
pub fn load(
    defs: &[Def],
    env_prefix: &str,
    env: impl IntoIterator<Item = (String, String)>,
    args: impl IntoIterator<Item = String>,
) -> Result<Flags, FlagError> {
    let known: BTreeMap<&str, &Def> = defs.iter().map(|d| (d.name, d)).collect();
    let mut flags = Flags::default();
    for (k, v) in env {
        if k == "STANDIN_FLAG_ORIGINS" {
            flags.origins = parse_origins(&v);
            continue;
        }
        let Some(name) = k.strip_prefix(env_prefix) else {
            continue;
        };
        let name = name.to_ascii_lowercase();
        // Real Mesos reads only the MESOS_ variables it knows; others belong to libprocess,
        // the init wrapper or the shell.
        if known.contains_key(name.as_str()) {
            flags.set.insert(name, v);
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for arg in args {
        let Some(body) = arg.strip_prefix("--") else {
            return Err(FlagError(format!(
                "Failed to load flags: unexpected argument '{arg}'"
            )));
        };
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n.to_string(), v.to_string()),
            None => match body.strip_prefix("no-") {
                Some(n) if known.get(n).is_some_and(|d| d.kind == Kind::Bool) => {
                    (n.to_string(), "false".to_string())
                }
                _ => (body.to_string(), "true".to_string()),
            },
        };
        let Some(d) = known.get(name.as_str()) else {
            return Err(FlagError(format!(
                "Failed to load unknown flag '{name}'{}",
                flags.origin_note(&name)
            )));
        };
        if !body.contains('=') && d.kind != Kind::Bool {
            return Err(FlagError(format!(
                "Failed to load flag '{name}'{}: missing value",
                flags.origin_note(&name)
            )));
        }
        if !seen.insert(name.clone()) {
            return Err(FlagError(format!(
                "Flag '{name}' is set more than once on the command line"
            )));
        }
        flags.set.insert(name, value);
    }
    for d in defs {
        if let Some(v) = d.default {
            flags.values.insert(d.name.to_string(), v.to_string());
        }
    }
    for (name, value) in flags.set.clone() {
        let d = known[name.as_str()];
        let value = normalise(d.kind, &value).map_err(|rule| flags.refuse(&name, &rule))?;
        flags.values.insert(name.clone(), value.clone());
        flags.set.insert(name, value);
    }
    Ok(flags)
}

fn normalise(kind: Kind, value: &str) -> Result<String, String> {
    let v = value.trim();
    match kind {
        Kind::Text => Ok(value.trim_end_matches('\n').to_string()),
        Kind::Bool => match v {
            "true" | "1" => Ok("true".into()),
            "false" | "0" => Ok("false".into()),
            _ => Err(format!(
                "Failed to load value '{v}': expecting a boolean (e.g., true or false)"
            )),
        },
        Kind::Count => v
            .parse::<u64>()
            .map(|n| n.to_string())
            .map_err(|_| format!("Failed to load value '{v}': not a non-negative integer")),
        Kind::Number => v
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(|_| v.to_string())
            .ok_or_else(|| format!("Failed to load value '{v}': not a number")),
        Kind::Duration => parse_duration(v)
            .map(|_| v.to_string())
            .map_err(|e| format!("Failed to load value '{v}': {e}")),
        Kind::Bytes => parse_bytes(v)
            .map(|_| v.to_string())
            .map_err(|e| format!("Failed to load value '{v}': {e}")),
    }
}

/// Parses a Mesos duration: a number followed by `ns`, `us`, `ms`, `secs`, `mins`, `hrs`,
/// `days` or `weeks`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| "Invalid duration: missing unit".to_string())?;
    let (number, unit) = text.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("Invalid duration '{text}'"))?;
    let secs = match unit {
        "ns" => n / 1e9,
        "us" => n / 1e6,
        "ms" => n / 1e3,
        "secs" => n,
        "mins" => n * 60.0,
        "hrs" => n * 3600.0,
        "days" => n * 86400.0,
        "weeks" => n * 604800.0,
        _ => return Err(format!("Invalid duration unit '{unit}'")),
    };
    Ok(Duration::from_secs_f64(secs))
}

/// Parses a Mesos size: a number followed by `B`, `KB`, `MB`, `GB` or `TB`.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| "Invalid bytes: missing unit".to_string())?;
    let (number, unit) = text.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("Invalid bytes '{text}'"))?;
    let scale = match unit {
        "B" => 1.0,
        "KB" => 1024.0,
        "MB" => 1024.0 * 1024.0,
        "GB" => 1024.0 * 1024.0 * 1024.0,
        "TB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("Invalid bytes unit '{unit}'")),
    };
    Ok((n * scale) as u64)
}

use Kind::*;

/// The master's flags: those a real 1.11.0 master reports with their defaults, and those it
/// accepts without a default.
pub const MASTER: &[Def] = &[
    def("acls", Text, None),
    def("advertise_ip", Text, None),
    def("advertise_port", Count, None),
    def("agent_ping_timeout", Duration, Some("15secs")),
    def("agent_removal_rate_limit", Text, None),
    def("agent_reregister_timeout", Duration, Some("10mins")),
    def("allocation_interval", Duration, Some("1secs")),
    def("allocator", Text, Some("hierarchical")),
    def("allocator_agent_recovery_factor", Number, Some("0.8")),
    def("allocator_recovery_timeout", Duration, Some("10mins")),
    def("authenticate_agents", Bool, Some("false")),
    def("authenticate_frameworks", Bool, Some("false")),
    def("authenticate_http_frameworks", Bool, Some("false")),
    def("authenticate_http_readonly", Bool, Some("false")),
    def("authenticate_http_readwrite", Bool, Some("false")),
    def("authentication_v0_timeout", Duration, Some("15secs")),
    def("authenticators", Text, Some("crammd5")),
    def("authorizers", Text, Some("local")),
    def("cluster", Text, None),
    def("credentials", Text, None),
    def("external_log_file", Text, None),
    def("filter_gpu_resources", Bool, Some("true")),
    def("framework_sorter", Text, Some("drf")),
    def("help", Bool, Some("false")),
    def("hostname", Text, None),
    def("hostname_lookup", Bool, Some("true")),
    def("http_authenticators", Text, Some("basic")),
    def("initialize_driver_logging", Bool, Some("true")),
    def("ip", Text, None),
    def("ip_discovery_command", Text, None),
    def("log_auto_initialize", Bool, Some("true")),
    def("log_dir", Text, None),
    def("logbufsecs", Count, Some("0")),
    def("logging_level", Text, Some("INFO")),
    def("max_agent_ping_timeouts", Count, Some("5")),
    def("max_completed_frameworks", Count, Some("50")),
    def("max_completed_tasks_per_framework", Count, Some("1000")),
    def("max_operator_event_stream_subscribers", Count, Some("1000")),
    def("max_unreachable_tasks_per_framework", Count, Some("1000")),
    def("memory_profiling", Bool, Some("false")),
    def("min_allocatable_resources", Text, Some("cpus:0.01|mem:32")),
    def("modules", Text, None),
    def("offer_constraints_re2_max_mem", Bytes, Some("4KB")),
    def("offer_constraints_re2_max_program_size", Count, Some("100")),
    def("port", Count, Some("5050")),
    def("publish_per_framework_metrics", Bool, Some("true")),
    def("quiet", Bool, Some("false")),
    def("quorum", Text, None),
    def("recovery_agent_removal_limit", Text, Some("100%")),
    def("registry", Text, Some("replicated_log")),
    def("registry_fetch_timeout", Duration, Some("1mins")),
    def("registry_gc_interval", Duration, Some("15mins")),
    def("registry_max_agent_age", Duration, Some("2weeks")),
    def("registry_max_agent_count", Count, Some("102400")),
    def("registry_store_timeout", Duration, Some("20secs")),
    def("registry_strict", Bool, Some("false")),
    def("require_agent_domain", Bool, Some("false")),
    def("roles", Text, None),
    def("role_sorter", Text, Some("drf")),
    def("root_submissions", Bool, Some("true")),
    def("version", Bool, Some("false")),
    def("webui_dir", Text, Some("/usr/share/mesos/webui")),
    def("weights", Text, None),
    def("whitelist", Text, None),
    def("work_dir", Text, None),
    def("zk", Text, None),
    def("zk_session_timeout", Duration, Some("10secs")),
];

/// The agent's flags: those a real 1.11.0 agent reports with their defaults, and those it
/// accepts without a default.
pub const AGENT: &[Def] = &[
    def("advertise_ip", Text, None),
    def("advertise_port", Count, None),
    def("appc_simple_discovery_uri_prefix", Text, Some("http://")),
    def("appc_store_dir", Text, Some("/tmp/mesos/store/appc")),
    def("attributes", Text, None),
    def("authenticate_http_executors", Bool, Some("false")),
    def("authenticate_http_readonly", Bool, Some("false")),
    def("authenticate_http_readwrite", Bool, Some("false")),
    def("authenticatee", Text, Some("crammd5")),
    def("authentication_backoff_factor", Duration, Some("1secs")),
    def("authentication_timeout_max", Duration, Some("1mins")),
    def("authentication_timeout_min", Duration, Some("5secs")),
    def("authorizer", Text, Some("local")),
    def(
        "cgroups_cpu_enable_pids_and_tids_count",
        Bool,
        Some("false"),
    ),
    def("cgroups_destroy_timeout", Duration, Some("1mins")),
    def("cgroups_enable_cfs", Bool, Some("false")),
    def("cgroups_hierarchy", Text, Some("/sys/fs/cgroup")),
    def("cgroups_limit_swap", Bool, Some("false")),
    def("cgroups_root", Text, Some("mesos")),
    def("container_disk_watch_interval", Duration, Some("15secs")),
    def("containerizers", Text, Some("mesos")),
    def("credential", Text, None),
    def("default_role", Text, Some("*")),
    def("disallow_sharing_agent_ipc_namespace", Bool, Some("false")),
    def("disallow_sharing_agent_pid_namespace", Bool, Some("false")),
    def("disk_watch_interval", Duration, Some("1mins")),
    def("docker", Text, Some("docker")),
    def("docker_config", Text, None),
    def("docker_ignore_runtime", Bool, Some("false")),
    def("docker_kill_orphans", Bool, Some("true")),
    def(
        "docker_registry",
        Text,
        Some("https://registry-1.docker.io"),
    ),
    def("docker_remove_delay", Duration, Some("6hrs")),
    def("docker_socket", Text, Some("/var/run/docker.sock")),
    def("docker_stop_timeout", Duration, Some("0ns")),
    def("docker_store_dir", Text, Some("/tmp/mesos/store/docker")),
    def(
        "docker_volume_checkpoint_dir",
        Text,
        Some("/var/run/mesos/isolators/docker/volume"),
    ),
    def("docker_volume_chown", Bool, Some("false")),
    def("enforce_container_disk_quota", Bool, Some("false")),
    def("executor_environment_variables", Text, None),
    def("executor_registration_timeout", Duration, Some("1mins")),
    def("executor_reregistration_timeout", Duration, Some("2secs")),
    def("executor_shutdown_grace_period", Duration, Some("5secs")),
    def("fetcher_cache_dir", Text, Some("/tmp/mesos/fetch")),
    def("fetcher_cache_size", Bytes, Some("2GB")),
    def("fetcher_stall_timeout", Duration, Some("1mins")),
    def("frameworks_home", Text, Some("")),
    def("gc_delay", Duration, Some("1weeks")),
    def("gc_disk_headroom", Number, Some("0.1")),
    def("gc_non_executor_container_sandboxes", Bool, Some("false")),
    def("help", Bool, Some("false")),
    def("hostname", Text, None),
    def("hostname_lookup", Bool, Some("true")),
    def("http_command_executor", Bool, Some("false")),
    def("http_executor_domain_sockets", Bool, Some("false")),
    def("http_heartbeat_interval", Duration, Some("30secs")),
    def("initialize_driver_logging", Bool, Some("true")),
    def("ip", Text, None),
    def("ip_discovery_command", Text, None),
    def("isolation", Text, Some("posix/cpu,posix/mem")),
    def("launcher", Text, Some("posix")),
    def("launcher_dir", Text, Some("/usr/libexec/mesos")),
    def("log_dir", Text, None),
    def("logbufsecs", Count, Some("0")),
    def("logging_level", Text, Some("INFO")),
    def("master", Text, None),
    def("max_completed_executors_per_framework", Count, Some("150")),
    def("memory_profiling", Bool, Some("false")),
    def("modules", Text, None),
    def("network_cni_metrics", Bool, Some("true")),
    def("network_cni_root_dir_persist", Bool, Some("false")),
    def(
        "oversubscribed_resources_interval",
        Duration,
        Some("15secs"),
    ),
    def("perf_duration", Duration, Some("10secs")),
    def("perf_interval", Duration, Some("1mins")),
    def("port", Count, Some("5051")),
    def("qos_correction_interval_min", Duration, Some("0ns")),
    def("quiet", Bool, Some("false")),
    def("reconfiguration_policy", Text, Some("equal")),
    def("recover", Text, Some("reconnect")),
    def("recovery_timeout", Duration, Some("15mins")),
    def("registration_backoff_factor", Duration, Some("1secs")),
    def("resources", Text, None),
    def("revocable_cpu_low_priority", Bool, Some("true")),
    def("runtime_dir", Text, Some("/var/run/mesos")),
    def("sandbox_directory", Text, Some("/mnt/mesos/sandbox")),
    def("strict", Bool, Some("true")),
    def("switch_user", Bool, Some("true")),
    def("systemd_enable_support", Bool, Some("true")),
    def(
        "systemd_runtime_directory",
        Text,
        Some("/run/systemd/system"),
    ),
    def("version", Bool, Some("false")),
    def("work_dir", Text, None),
    def("zk_session_timeout", Duration, Some("10secs")),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn command_line_wins_over_the_environment() {
        let env = vec![
            ("MESOS_QUORUM".to_string(), "1".to_string()),
            ("MESOS_NOT_A_FLAG".to_string(), "x".to_string()),
        ];
        let f = load(
            MASTER,
            "MESOS_",
            env,
            args(&["--quorum=2", "--work_dir=/w"]),
        )
        .unwrap();
        assert_eq!(f.get("quorum"), Some("2"));
        assert_eq!(f.get("port"), Some("5050"));
        assert!(f.is_set("work_dir"));
        assert!(!f.is_set("port"));
    }

    #[test]
    fn unknown_flags_are_refused_naming_the_file() {
        let env = vec![(
            "STANDIN_FLAG_ORIGINS".to_string(),
            "work_dir.rpmnew\t/etc/mesos-slave/work_dir.rpmnew\n".to_string(),
        )];
        let e = load(AGENT, "MESOS_", env, args(&["--work_dir.rpmnew=/x"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Failed to load unknown flag 'work_dir.rpmnew' (file /etc/mesos-slave/work_dir.rpmnew)"
        );
    }

    #[test]
    fn booleans_and_typed_values() {
        let f = load(AGENT, "MESOS_", vec![], args(&["--no-strict", "--quiet"])).unwrap();
        assert!(!f.bool("strict") && f.bool("quiet"));
        let e = load(
            AGENT,
            "MESOS_",
            vec![],
            args(&["--executor_registration_timeout=5minutes"]),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("executor_registration_timeout"),
            "{e}"
        );
        let f = load(
            AGENT,
            "MESOS_",
            vec![],
            args(&["--executor_registration_timeout=5mins"]),
        )
        .unwrap();
        assert_eq!(
            f.duration("executor_registration_timeout"),
            Some(std::time::Duration::from_secs(300))
        );
        assert!(load(AGENT, "MESOS_", vec![], args(&["--port"])).is_err());
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_bytes("4KB").unwrap(), 4096);
        assert_eq!(parse_duration("1weeks").unwrap().as_secs(), 604800);
        assert!(parse_duration("10").is_err());
    }
}
