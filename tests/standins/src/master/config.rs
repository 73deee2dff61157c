//! The master's validated configuration: the checks a real master makes before it starts, plus
//! the stand-in's own quorum check, each refusal naming the flag and the file it came from.

use std::net::Ipv4Addr;
use std::time::Duration;

use crate::flags::{self, FlagError, Flags};
use crate::zk::ZkUrl;

/// What the master runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Every flag (for `/master/flags`).
    pub flags: Flags,
    /// Address to bind and advertise.
    pub ip: Ipv4Addr,
    /// Port.
    pub port: u16,
    /// Advertised host name.
    pub hostname: String,
    /// ZooKeeper URL; `None` = standalone.
    pub zk: Option<ZkUrl>,
    /// Replicated-log quorum (1 when standalone).
    pub quorum: usize,
    /// Work directory.
    pub work_dir: String,
    /// Cluster name, if given.
    pub cluster: Option<String>,
    /// How long recovery waits for a quorum of replicas before the master gives up.
    pub registry_fetch_timeout: Duration,
    /// How long the leader tolerates a lost quorum before it aborts.
    pub registry_store_timeout: Duration,
    /// Agent health: ping timeout times the number of timeouts before removal.
    pub agent_removal_after: Duration,
    /// ZooKeeper session timeout.
    pub zk_session_timeout: Duration,
}

impl Config {
    /// Loads and checks the flags.
    pub fn load(
        env: impl IntoIterator<Item = (String, String)>,
        args: impl IntoIterator<Item = String>,
    ) -> Result<Config, FlagError> {
        let flags = flags::load(flags::MASTER, "MESOS_", env, args)?;
        let work_dir = match flags.get("work_dir") {
            Some(w) if !w.trim().is_empty() => w.trim().to_string(),
            _ if flags.get("registry") == Some("in_memory") => "/var/lib/mesos".to_string(),
            _ => {
                return Err(FlagError(
                    "--work_dir needed for replicated log based registry".to_string(),
                ))
            }
        };
        let zk = match flags.get("zk") {
            Some(text) => Some(ZkUrl::parse(text).map_err(|rule| flags.refuse("zk", &rule))?),
            None => None,
        };
        let quorum = match (flags.get("quorum"), &zk) {
            (None, Some(_)) => return Err(FlagError(
                "Need to specify --quorum for replicated log based registry when using ZooKeeper"
                    .to_string(),
            )),
            (None, None) => 1,
            (Some(q), _) => {
                let n = q
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        flags.refuse(
                            "quorum",
                            &format!("'{}' is not a positive integer", q.trim()),
                        )
                    })?;
                if let Some(url) = &zk {
                    if n > url.servers.len() {
                        return Err(flags.refuse(
                            "quorum",
                            &format!(
                                "quorum {n} is larger than the {} ZooKeeper server(s) in --zk ({url}); a majority of masters could never be reached",
                                url.servers.len()
                            ),
                        ));
                    }
                }
                n
            }
        };
        let crate::flags::Endpoint { ip, port, hostname } = flags.endpoint()?;
        let registry_fetch_timeout = flags
            .duration("registry_fetch_timeout")
            .unwrap_or(Duration::from_secs(60));
        let registry_store_timeout = flags
            .duration("registry_store_timeout")
            .unwrap_or(Duration::from_secs(20));
        let ping = flags
            .duration("agent_ping_timeout")
            .unwrap_or(Duration::from_secs(15));
        let max: u32 = flags
            .get("max_agent_ping_timeouts")
            .and_then(|v| v.parse().ok())
            .unwrap_or(5);
        let zk_session_timeout = flags
            .duration("zk_session_timeout")
            .unwrap_or(Duration::from_secs(10));
        let cluster = flags.get("cluster").map(str::to_string);
        Ok(Config {
            flags,
            ip,
            port,
            hostname,
            zk,
            quorum,
            work_dir,
            cluster,
            registry_fetch_timeout,
            registry_store_timeout,
            agent_removal_after: ping * max,
            zk_session_timeout,
        })
    }
}

pub use crate::flags::{resolve_own_address, system_hostname};

#[cfg(test)]
mod tests {
    use super::*;

    fn load(args: &[&str], origins: &str) -> Result<Config, FlagError> {
        Config::load(
            vec![("STANDIN_FLAG_ORIGINS".to_string(), origins.to_string())],
            args.iter().map(|s| s.to_string()),
        )
    }

    #[test]
    fn a_cluster_master() {
        let c = load(
            &[
                "--zk=zk://10.0.0.11:2181,10.0.0.12:2181,10.0.0.13:2181/mesos",
                "--quorum=2",
                "--work_dir=/var/lib/mesos",
                "--ip=10.0.0.11",
                "--hostname=198.51.100.7",
                "--cluster=demo",
            ],
            "",
        )
        .unwrap();
        assert_eq!(c.quorum, 2);
        assert_eq!(c.hostname, "198.51.100.7");
        assert_eq!(c.agent_removal_after, Duration::from_secs(75));
    }

    #[test]
    fn refusals_name_the_flag_and_the_file() {
        let origins = "quorum\t/etc/mesos-master/quorum\nzk\t/etc/mesos/zk\n";
        let zk3 = "--zk=zk://a:2181,b:2181,c:2181/mesos";
        let e = load(&[zk3, "--quorum=two", "--work_dir=/w"], origins).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Failed to load flag 'quorum' (file /etc/mesos-master/quorum): 'two' is not a positive integer"
        );
        let e = load(&[zk3, "--quorum=4", "--work_dir=/w"], origins).unwrap_err();
        assert!(
            e.to_string()
                .contains("quorum 4 is larger than the 3 ZooKeeper server(s)"),
            "{e}"
        );
        let e = load(
            &["--zk=localhost:2181/mesos", "--quorum=1", "--work_dir=/w"],
            origins,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Failed to load flag 'zk' (file /etc/mesos/zk): "),
            "{e}"
        );
        let e = load(&[zk3, "--work_dir=/w"], origins).unwrap_err();
        assert!(e.to_string().contains("Need to specify --quorum"), "{e}");
        let e = load(&["--quorum=1"], origins).unwrap_err();
        assert!(e.to_string().contains("--work_dir needed"), "{e}");
    }
}
