//! Marathon's options: `--name value` on the command line and, as the 1.5+ native packages do,
//! every `MARATHON_<NAME>` variable of `/etc/default/marathon` (an empty value is a bare flag).
//! Unknown options are refused, as Marathon's option parser refuses them.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::detect::MasterSource;
use crate::zk::ZkUrl;

/// Options Marathon accepts: `(name, takes a value)`.
const OPTIONS: &[(&str, bool)] = &[
    ("access_control_allow_origin", true),
    ("checkpoint", false),
    ("decline_offer_duration", true),
    ("default_accepted_resource_roles", true),
    ("disable_checkpoint", false),
    ("disable_ha", false),
    ("disable_http", false),
    ("enable_features", true),
    ("failover_timeout", true),
    ("framework_name", true),
    ("ha", false),
    ("hostname", true),
    ("http_address", true),
    ("http_credentials", true),
    ("http_port", true),
    ("https_address", true),
    ("https_port", true),
    ("leader_proxy_connection_timeout", true),
    ("leader_proxy_read_timeout", true),
    ("local_port_max", true),
    ("local_port_min", true),
    ("logging_level", true),
    ("master", true),
    ("max_instances_per_offer", true),
    ("mesos_authentication_principal", true),
    ("mesos_leader_ui_url", true),
    ("mesos_role", true),
    ("mesos_user", true),
    ("min_revive_offers_interval", true),
    ("reconciliation_initial_delay", true),
    ("reconciliation_interval", true),
    ("task_launch_timeout", true),
    ("webui_url", true),
    ("zk", true),
    ("zk_session_timeout", true),
    ("zk_timeout", true),
];

/// Why Marathon would not start.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Marathon's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Every option given, as text.
    pub options: BTreeMap<String, String>,
    /// The Mesos master (`--master`).
    pub master: MasterSource,
    /// The `--master` text.
    pub master_text: String,
    /// Marathon's own state and election in ZooKeeper (`--zk`).
    pub zk: ZkUrl,
    /// Advertised host name.
    pub hostname: String,
    /// HTTP port.
    pub http_port: u16,
    /// Address to bind.
    pub http_address: String,
    /// User tasks run as by default.
    pub mesos_user: String,
    /// Framework name.
    pub framework_name: String,
    /// How long a task may stay staged before it is killed.
    pub task_launch_timeout: Duration,
    /// First service port.
    pub local_port_min: u64,
}

fn process_user() -> String {
    nix::unistd::User::from_uid(nix::unistd::geteuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| "root".to_string())
}

impl Config {
    /// Reads the environment's `MARATHON_*` variables and the command line.
    pub fn load(
        env: impl IntoIterator<Item = (String, String)>,
        args: impl IntoIterator<Item = String>,
    ) -> Result<Config, ConfigError> {
        let known: BTreeMap<&str, bool> = OPTIONS.iter().copied().collect();
        let mut options = BTreeMap::new();
        for (k, v) in env {
            let Some(name) = k.strip_prefix("MARATHON_") else {
                continue;
            };
            if name.starts_with("APP_") {
                // Set by Marathon itself for tasks, never an option.
                continue;
            }
            let name = name.to_ascii_lowercase();
            if !known.contains_key(name.as_str()) {
                return Err(ConfigError(format!(
                    "[scallop] Error: Unknown option '{name}' (from the environment variable {k}, e.g. in /etc/default/marathon)"
                )));
            }
            options.insert(name, v);
        }
        let mut args = args.into_iter().peekable();
        while let Some(arg) = args.next() {
            let Some(body) = arg.strip_prefix("--") else {
                return Err(ConfigError(format!(
                    "[scallop] Error: Excess arguments provided: '{arg}'"
                )));
            };
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (body.to_string(), None),
            };
            let Some(&takes_value) = known.get(name.as_str()) else {
                return Err(ConfigError(format!(
                    "[scallop] Error: Unknown option '{name}'"
                )));
            };
            let value = match (takes_value, inline) {
                (_, Some(v)) => v,
                (true, None) => args.next().ok_or_else(|| {
                    ConfigError(format!("[scallop] Error: Option '{name}' needs a value"))
                })?,
                (false, None) => String::new(),
            };
            options.insert(name, value);
        }
        let master_text = options.get("master").cloned().ok_or_else(|| {
            ConfigError("[scallop] Error: Required option 'master' not found".into())
        })?;
        let master = MasterSource::parse(&master_text)
            .map_err(|e| ConfigError(format!("[scallop] Error: Option 'master' {e}")))?;
        let zk_text = options
            .get("zk")
            .cloned()
            .unwrap_or_else(|| "zk://localhost:2181/marathon".into());
        let zk = ZkUrl::parse(&zk_text)
            .map_err(|e| ConfigError(format!("[scallop] Error: Option 'zk' {e}")))?;
        let number = |name: &str, default: u64| -> Result<u64, ConfigError> {
            match options.get(name) {
                None => Ok(default),
                Some(v) => v.trim().parse::<u64>().map_err(|_| {
                    ConfigError(format!(
                        "[scallop] Error: Bad '{name}' value: '{v}' is not a number"
                    ))
                }),
            }
        };
        let http_port = number("http_port", 8080)?;
        let http_port = u16::try_from(http_port)
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| {
                ConfigError(format!(
                    "[scallop] Error: Bad 'http_port' value: {http_port}"
                ))
            })?;
        let hostname = options
            .get("hostname")
            .cloned()
            .filter(|h| !h.trim().is_empty())
            .unwrap_or_else(crate::master::config::system_hostname);
        Ok(Config {
            master,
            master_text,
            zk,
            hostname,
            http_port,
            http_address: options
                .get("http_address")
                .cloned()
                .unwrap_or_else(|| "0.0.0.0".into()),
            mesos_user: options
                .get("mesos_user")
                .cloned()
                .filter(|u| !u.is_empty())
                .unwrap_or_else(process_user),
            framework_name: options
                .get("framework_name")
                .cloned()
                .unwrap_or_else(|| "marathon".into()),
            task_launch_timeout: Duration::from_millis(number("task_launch_timeout", 300_000)?),
            local_port_min: number("local_port_min", 10_000)?,
            options,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_etc_default_marathon_variables() {
        let c = Config::load(
            env(&[
                (
                    "MARATHON_MASTER",
                    "zk://10.0.0.11:2181,10.0.0.12:2181/mesos",
                ),
                ("MARATHON_ZK", "zk://10.0.0.11:2181,10.0.0.12:2181/marathon"),
                ("MARATHON_HOSTNAME", "198.51.100.7"),
                ("MARATHON_MESOS_USER", "root"),
                ("MARATHON_DISABLE_HA", ""),
                ("LIBPROCESS_IP", "10.0.0.11"),
            ]),
            Vec::<String>::new(),
        )
        .unwrap();
        assert_eq!(c.zk.path, "/marathon");
        assert_eq!(c.mesos_user, "root");
        assert_eq!(c.hostname, "198.51.100.7");
        assert!(c.options.contains_key("disable_ha"));
    }

    #[test]
    fn refuses_what_marathon_refuses() {
        let e = Config::load(env(&[]), Vec::<String>::new()).unwrap_err();
        assert!(e.0.contains("Required option 'master'"), "{e}");
        let e = Config::load(
            env(&[("MARATHON_MASTER", "m:5050"), ("MARATHON_BOGUS", "1")]),
            Vec::<String>::new(),
        )
        .unwrap_err();
        assert!(e.0.contains("Unknown option 'bogus'"), "{e}");
        let e = Config::load(env(&[]), ["--master".to_string()]).unwrap_err();
        assert!(e.0.contains("needs a value"), "{e}");
        let e = Config::load(
            env(&[("MARATHON_MASTER", "zk://m1/mesos")]),
            Vec::<String>::new(),
        )
        .unwrap_err();
        assert!(e.0.contains("Option 'master'"), "{e}");
    }
}
