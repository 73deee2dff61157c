//! Command-line interface: turns arguments and files into a validated job.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};

use crate::engine::{Job, RunOptions};
use crate::inventory::{self, Inventory, Role, Scope};
use crate::render::hosts::HostEntry;
use crate::report::OutputMode;
use crate::secret::Secret;
use crate::ssh::HostKeyPolicy;

/// Environment variable holding the administrator password for first contact.
pub const ADMIN_PASSWORD_ENV: &str = "CLOUDCONTROL_ADMIN_PASSWORD";
/// Environment variable holding the login user's sudo password (when sudo asks for one).
pub const SUDO_PASSWORD_ENV: &str = "MESOS_PROVISIONER_SUDO_PASSWORD";

/// Converges CloudControl servers over SSH to a hardened base (and the Mesos roles).
#[derive(Debug, Parser)]
#[command(name = "mesos-provisioner", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Converge every node of an inventory (or those in --limit).
    Converge {
        /// Inventory file (TOML).
        #[arg(short, long)]
        inventory: PathBuf,
        /// Run options.
        #[command(flatten)]
        common: Common,
    },
    /// Converge one node without an inventory (re-bootstrap a replaced node).
    Bootstrap(Box<Bootstrap>),
    /// Validate an inventory without connecting anywhere (the same overrides as `converge`
    /// apply, e.g. `--known-hosts`, `--host-key-policy`).
    CheckInventory {
        /// Inventory file (TOML).
        #[arg(short, long)]
        inventory: PathBuf,
        /// Overrides, as for `converge`.
        #[command(flatten)]
        common: Common,
    },
}

/// Options of `bootstrap`.
#[derive(Debug, Args)]
pub struct Bootstrap {
    /// Address SSH connects to.
    #[arg(long)]
    pub host: String,
    /// Host name the node gets.
    #[arg(long)]
    pub name: String,
    /// Role.
    #[arg(long, value_enum)]
    pub role: Role,
    /// Private IPv4 address bound to the name in /etc/hosts.
    #[arg(long)]
    pub private_ipv4: Option<Ipv4Addr>,
    /// IPv6 address bound to the name in /etc/hosts.
    #[arg(long)]
    pub ipv6: Option<Ipv6Addr>,
    /// Another cluster node for /etc/hosts: NAME=IPV4,IPV6 (either may be empty).
    #[arg(long = "peer")]
    pub peers: Vec<String>,
    /// Operator user (overrides the settings file).
    #[arg(long)]
    pub user: Option<String>,
    /// Operator private key (overrides the settings file).
    #[arg(long)]
    pub private_key: Option<PathBuf>,
    /// SSH port.
    #[arg(long)]
    pub port: Option<u16>,
    /// Settings: an inventory file's tables without [[nodes]].
    #[arg(long)]
    pub settings: Option<PathBuf>,
    /// Run options.
    #[command(flatten)]
    pub common: Common,
}

/// Options shared by `converge` and `bootstrap`.
#[derive(Debug, Args, Clone)]
pub struct Common {
    /// Dry run: check and diff only, never change anything.
    #[arg(long)]
    pub check: bool,
    /// Show what differs.
    #[arg(long)]
    pub diff: bool,
    /// Hosts worked on at the same time.
    #[arg(long)]
    pub forks: Option<usize>,
    /// Only these nodes (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    pub limit: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputMode::Human)]
    pub output: OutputMode,
    /// Directory for per-host logs (default ./provisioner-logs/run-<unix time>).
    #[arg(long)]
    pub log_dir: Option<PathBuf>,
    /// Host key policy.
    #[arg(long, value_enum)]
    pub host_key_policy: Option<HostKeyPolicy>,
    /// known_hosts file.
    #[arg(long)]
    pub known_hosts: Option<PathBuf>,
    /// File holding the administrator (root) password for first contact. The password is
    /// never accepted on the command line; the CLOUDCONTROL_ADMIN_PASSWORD variable also works.
    #[arg(long)]
    pub admin_password_file: Option<PathBuf>,
    /// File holding the login user's sudo password, for users whose sudo asks for one (fed on
    /// sudo's stdin only). Also MESOS_PROVISIONER_SUDO_PASSWORD. Not needed for the operator
    /// the provisioner creates (NOPASSWD).
    #[arg(long)]
    pub sudo_password_file: Option<PathBuf>,
    /// Seconds to keep retrying connections while hosts boot.
    #[arg(long)]
    pub connect_timeout: Option<u64>,
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    Ok(if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()?.join(p)
    })
}

fn read_table(path: Option<&Path>) -> anyhow::Result<toml::Table> {
    match path {
        None => Ok(toml::Table::new()),
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            toml::from_str(&text).with_context(|| format!("parsing {}", p.display()))
        }
    }
}

fn section<'a>(table: &'a mut toml::Table, name: &str) -> &'a mut toml::Table {
    let entry = table
        .entry(name.to_string())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if !entry.is_table() {
        *entry = toml::Value::Table(toml::Table::new());
    }
    entry.as_table_mut().expect("just made a table")
}

fn path_value(p: &Path) -> anyhow::Result<toml::Value> {
    Ok(toml::Value::String(absolute(p)?.display().to_string()))
}

fn apply_common(table: &mut toml::Table, common: &Common) -> anyhow::Result<()> {
    let ssh = section(table, "ssh");
    if let Some(p) = common.host_key_policy {
        let name = match p {
            HostKeyPolicy::Strict => "strict",
            HostKeyPolicy::AcceptNew => "accept-new",
            HostKeyPolicy::Insecure => "insecure",
        };
        ssh.insert("host_key_policy".into(), name.into());
    }
    if let Some(k) = &common.known_hosts {
        ssh.insert("known_hosts".into(), path_value(k)?);
    }
    if let Some(t) = common.connect_timeout {
        ssh.insert(
            "connect_timeout_secs".into(),
            toml::Value::Integer(t as i64),
        );
    }
    if let Some(f) = common.forks {
        section(table, "run").insert("forks".into(), toml::Value::Integer(f as i64));
    }
    Ok(())
}

fn validate(
    table: toml::Table,
    base_dir: &Path,
    scope: Scope,
    shown: &str,
) -> anyhow::Result<Inventory> {
    let text = toml::to_string(&table).context("re-encoding settings")?;
    inventory::parse(&text, base_dir, scope).map_err(|problems| {
        inventory::InventoryError {
            path: shown.to_string(),
            problems,
        }
        .into()
    })
}

/// Loads and validates an inventory, with command-line overrides applied.
pub fn load_inventory(path: &Path, common: Option<&Common>) -> anyhow::Result<Inventory> {
    let mut table = read_table(Some(path))?;
    if let Some(c) = common {
        apply_common(&mut table, c)?;
    }
    let base = absolute(path)?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    validate(table, &base, Scope::Cluster, &path.display().to_string())
}

/// Parses `NAME=IPV4,IPV6`.
pub fn parse_peer(text: &str) -> anyhow::Result<HostEntry> {
    let (name, addrs) = text
        .split_once('=')
        .with_context(|| format!("--peer `{text}`: expected NAME=IPV4,IPV6"))?;
    if !inventory::valid_hostname(name) {
        bail!("--peer `{text}`: `{name}` is not a valid host name");
    }
    let (v4, v6) = addrs.split_once(',').unwrap_or((addrs, ""));
    let ipv4 = match v4.trim() {
        "" => None,
        a => Some(
            a.parse()
                .with_context(|| format!("--peer `{text}`: `{a}` is not IPv4"))?,
        ),
    };
    let ipv6 = match v6.trim() {
        "" => None,
        a => Some(
            a.parse()
                .with_context(|| format!("--peer `{text}`: `{a}` is not IPv6"))?,
        ),
    };
    if ipv4.is_none() && ipv6.is_none() {
        bail!("--peer `{text}`: needs at least one address");
    }
    Ok(HostEntry {
        name: name.to_string(),
        ipv4,
        ipv6,
    })
}

fn entry(n: &inventory::Node) -> HostEntry {
    HostEntry {
        name: n.name.clone(),
        ipv4: n.ipv4,
        ipv6: n.ipv6,
    }
}

/// Builds the job of `converge`.
pub fn converge_job(inv: &Inventory, common: &Common) -> anyhow::Result<Job> {
    for name in &common.limit {
        if !inv.nodes.iter().any(|n| &n.name == name) {
            bail!("--limit: no node named `{name}` in the inventory");
        }
    }
    let nodes = inv
        .nodes
        .iter()
        .filter(|n| common.limit.is_empty() || common.limit.contains(&n.name))
        .cloned()
        .collect();
    Ok(Job {
        nodes,
        cluster: inv.nodes.iter().map(entry).collect(),
        settings: Arc::new(inv.settings.clone()),
    })
}

/// Builds the job of `bootstrap`.
pub fn bootstrap_job(b: &Bootstrap) -> anyhow::Result<(Inventory, Job)> {
    let mut table = read_table(b.settings.as_deref())?;
    if table.contains_key("nodes") {
        bail!("--settings: must not contain [[nodes]] (bootstrap takes the node from the command line)");
    }
    apply_common(&mut table, &b.common)?;
    let ssh = section(&mut table, "ssh");
    if let Some(u) = &b.user {
        ssh.insert("user".into(), u.clone().into());
    }
    if let Some(k) = &b.private_key {
        ssh.insert("private_key".into(), path_value(k)?);
    }
    let mut node = toml::Table::new();
    node.insert("name".into(), b.name.clone().into());
    node.insert("address".into(), b.host.clone().into());
    node.insert(
        "role".into(),
        match b.role {
            Role::Master => "master",
            Role::Agent => "agent",
        }
        .into(),
    );
    if let Some(v4) = b.private_ipv4 {
        node.insert("private_ipv4".into(), v4.to_string().into());
    }
    if let Some(v6) = b.ipv6 {
        node.insert("ipv6".into(), v6.to_string().into());
    }
    if let Some(p) = b.port {
        node.insert("port".into(), toml::Value::Integer(i64::from(p)));
    }
    table.insert(
        "nodes".into(),
        toml::Value::Array(vec![toml::Value::Table(node)]),
    );
    let base = match &b.settings {
        Some(p) => absolute(p)?
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
        None => std::env::current_dir()?,
    };
    let shown = b
        .settings
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "(command line)".to_string());
    let inv = validate(table, &base, Scope::SettingsOnly, &shown)?;
    let mut cluster: Vec<HostEntry> = inv.nodes.iter().map(entry).collect();
    for p in &b.peers {
        let peer = parse_peer(p)?;
        if cluster.iter().any(|c| c.name == peer.name) {
            bail!("--peer `{p}`: name `{}` is already used", peer.name);
        }
        cluster.push(peer);
    }
    let job = Job {
        nodes: inv.nodes.clone(),
        cluster,
        settings: Arc::new(inv.settings.clone()),
    };
    Ok((inv, job))
}

fn secret_from(file: Option<&Path>, env: &str, flag: &str) -> anyhow::Result<Option<Secret>> {
    if let Some(p) = file {
        let s = Secret::from_file(p).with_context(|| format!("{flag} {}", p.display()))?;
        if s.expose().is_empty() {
            bail!("{flag} {}: file is empty", p.display());
        }
        return Ok(Some(s));
    }
    Ok(std::env::var(env)
        .ok()
        .filter(|v| !v.is_empty())
        .map(Secret::new))
}

/// Reads the administrator password from the file option or the environment.
pub fn admin_password(common: &Common) -> anyhow::Result<Option<Secret>> {
    secret_from(
        common.admin_password_file.as_deref(),
        ADMIN_PASSWORD_ENV,
        "--admin-password-file",
    )
}

/// Reads the sudo password from the file option or the environment.
pub fn sudo_password(common: &Common) -> anyhow::Result<Option<Secret>> {
    secret_from(
        common.sudo_password_file.as_deref(),
        SUDO_PASSWORD_ENV,
        "--sudo-password-file",
    )
}

/// Run options from the common flags.
pub fn run_options(common: &Common, job: &Job) -> anyhow::Result<RunOptions> {
    let log_dir = match &common.log_dir {
        Some(d) => d.clone(),
        None => {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            PathBuf::from("provisioner-logs").join(format!("run-{secs}"))
        }
    };
    Ok(RunOptions {
        check: common.check,
        forks: job.settings.forks.unwrap_or(job.nodes.len()).max(1),
        log_dir,
        admin_password: admin_password(common)?,
        sudo_password: sudo_password(common)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers() {
        let p = parse_peer("node3=10.0.0.23,fd77::23").unwrap();
        assert_eq!(p.ipv4, Some("10.0.0.23".parse().unwrap()));
        assert!(parse_peer("node3=10.0.0.23,").unwrap().ipv6.is_none());
        assert!(parse_peer("node3=,fd77::1").unwrap().ipv4.is_none());
        assert!(parse_peer("node3=,").is_err());
        assert!(parse_peer("node3").is_err());
        assert!(parse_peer("Node_3=10.0.0.1").is_err());
        assert!(parse_peer("n=fd77::1,").is_err());
    }

    #[test]
    fn the_password_is_never_a_flag() {
        let err = Cli::try_parse_from([
            "mesos-provisioner",
            "converge",
            "-i",
            "x.toml",
            "--admin-password",
            "pw",
        ])
        .unwrap_err();
        assert!(err.to_string().contains("--admin-password"));
    }

    #[test]
    fn bootstrap_builds_a_single_node_job_with_peers() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("id");
        std::fs::write(&key, "k").unwrap();
        let cli = Cli::try_parse_from([
            "mesos-provisioner",
            "bootstrap",
            "--host",
            "10.77.0.27",
            "--name",
            "node7",
            "--role",
            "agent",
            "--ipv6",
            "fd77::27",
            "--peer",
            "master1=10.77.0.11,fd77::11",
            "--private-key",
            key.to_str().unwrap(),
            "--host-key-policy",
            "accept-new",
            "--check",
        ])
        .unwrap();
        let Command::Bootstrap(b) = cli.command else {
            panic!("not bootstrap")
        };
        let (inv, job) = bootstrap_job(&b).unwrap();
        assert_eq!(inv.nodes.len(), 1);
        assert_eq!(job.nodes[0].name, "node7");
        assert_eq!(job.cluster.len(), 2);
        assert_eq!(job.settings.ssh.policy, HostKeyPolicy::AcceptNew);
        assert_eq!(job.settings.ssh.private_key, key);
        let opts = run_options(&b.common, &job).unwrap();
        assert!(opts.check);
        assert_eq!(opts.forks, 1);
    }

    #[test]
    fn limit_must_name_known_nodes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("id"), "k").unwrap();
        let inv_path = dir.path().join("c.toml");
        std::fs::write(
            &inv_path,
            "[ssh]\nprivate_key = \"id\"\nhost_key_policy = \"accept-new\"\n[[nodes]]\nname = \"m1\"\naddress = \"10.0.0.1\"\nprivate_ipv4 = \"10.0.0.1\"\nrole = \"master\"\n",
        )
        .unwrap();
        let cli = Cli::try_parse_from([
            "mesos-provisioner",
            "converge",
            "-i",
            inv_path.to_str().unwrap(),
            "--limit",
            "m2",
        ])
        .unwrap();
        let Command::Converge { inventory, common } = cli.command else {
            panic!()
        };
        let inv = load_inventory(&inventory, Some(&common)).unwrap();
        assert!(converge_job(&inv, &common)
            .unwrap_err()
            .to_string()
            .contains("no node named `m2`"));
    }
}
