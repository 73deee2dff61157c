//! Command-line interface: turns arguments and files into a validated job.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};

use crate::cluster::{ClusterNode, ClusterView};
use crate::engine::{Job, RunOptions};
use crate::inventory::{self, Inventory, Node, Role, Scope, Settings};
use crate::report::OutputMode;
use crate::roles::Phase;
use crate::secret::Secret;
use crate::ssh::HostKeyPolicy;

/// Environment variable holding the administrator password for first contact.
pub const ADMIN_PASSWORD_ENV: &str = "CLOUDCONTROL_ADMIN_PASSWORD";
/// Environment variable holding the login user's sudo password (when sudo asks for one).
pub const SUDO_PASSWORD_ENV: &str = "MESOS_PROVISIONER_SUDO_PASSWORD";

/// Converges CloudControl servers over SSH to a hardened base and the Mesos master and agent
/// roles; submits Marathon apps; checks the cluster's health.
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
    /// Converge one node without an inventory: enough on its own to bring the node into its
    /// role, also when several are started at once (one process per node).
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
    /// Submit Marathon apps (by default the use case's shell-hello and docker-hello) and wait
    /// until they run; unchanged apps are left alone.
    SubmitApps(Box<SubmitApps>),
    /// Report the cluster's health, read-only: ZooKeeper, Mesos, agents, Marathon, services.
    CheckHealth(Box<CheckHealth>),
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
    /// ZooKeeper id of a master (1-255; the same as in the peers' view of it).
    #[arg(long)]
    pub zk_id: Option<u8>,
    /// Address users reach the node on (Mesos `hostname`, Marathon's; default: --host).
    #[arg(long)]
    pub public_address: Option<String>,
    /// Private IPv4 address bound to the name in /etc/hosts.
    #[arg(long)]
    pub private_ipv4: Option<Ipv4Addr>,
    /// IPv6 address bound to the name in /etc/hosts.
    #[arg(long)]
    pub ipv6: Option<Ipv6Addr>,
    /// Another cluster node: NAME=IPV4,IPV6[,ROLE[,ZK_ID]] (either address may be empty; a
    /// master's ZK_ID is required; without ROLE the peer is only listed in /etc/hosts).
    #[arg(long = "peer")]
    pub peers: Vec<String>,
    /// Agent resource NAME=VALUE (`/etc/mesos-slave/resources/NAME`), repeatable.
    #[arg(long = "resource")]
    pub resources: Vec<String>,
    /// Agent attribute NAME=VALUE (`/etc/mesos-slave/attributes/NAME`), repeatable.
    #[arg(long = "attribute")]
    pub attributes: Vec<String>,
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

fn parse_phase(text: &str) -> Result<Phase, String> {
    text.parse()
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
    /// Only these phases (comma-separated: access, base, zookeeper, mesos-master, marathon,
    /// mesos-agent); default all.
    #[arg(long, value_delimiter = ',', value_parser = parse_phase)]
    pub phases: Vec<Phase>,
    /// Agents restarted at a time during a rolling change (default: all).
    #[arg(long)]
    pub serial: Option<usize>,
    /// Seconds every wait for the cluster may take (barriers, rolling restarts).
    #[arg(long)]
    pub wait_timeout: Option<u64>,
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

/// How `submit-apps` and `check-health` reach the daemons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Transport {
    /// Through SSH `direct-tcpip` channels of each node's connection (only SSH needs to be
    /// open from where the provisioner runs).
    #[default]
    Ssh,
    /// Plain TCP from where the provisioner runs to the nodes' private addresses (no SSH; node
    /// service states are not read).
    Direct,
}

/// Options shared by `submit-apps` and `check-health`.
#[derive(Debug, Args, Clone)]
pub struct Reach {
    /// Inventory file (TOML).
    #[arg(short, long)]
    pub inventory: PathBuf,
    /// How the daemons are reached.
    #[arg(long, value_enum, default_value_t = Transport::Ssh)]
    pub transport: Transport,
    /// Host key policy.
    #[arg(long, value_enum)]
    pub host_key_policy: Option<HostKeyPolicy>,
    /// known_hosts file.
    #[arg(long)]
    pub known_hosts: Option<PathBuf>,
    /// Seconds to keep retrying connections.
    #[arg(long)]
    pub connect_timeout: Option<u64>,
    /// Seconds a wait may take (a Marathon leader, a deployment, tasks running).
    #[arg(long)]
    pub wait_timeout: Option<u64>,
    /// Directory for per-host logs of the commands run (default ./provisioner-logs/run-<unix
    /// time>).
    #[arg(long)]
    pub log_dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputMode::Human)]
    pub output: OutputMode,
}

/// Options of `submit-apps`.
#[derive(Debug, Args)]
pub struct SubmitApps {
    /// Where the cluster is.
    #[command(flatten)]
    pub reach: Reach,
    /// A Marathon app definition (JSON) to submit as well, repeatable.
    #[arg(long = "app")]
    pub apps: Vec<PathBuf>,
    /// Submit only the --app files, not shell-hello and docker-hello.
    #[arg(long)]
    pub no_default_apps: bool,
    /// Docker image of docker-hello (overrides [apps] docker_image; default python:3).
    #[arg(long)]
    pub docker_image: Option<String>,
    /// Dry run: compare only, submit nothing; exit 2 means "would change".
    #[arg(long)]
    pub check: bool,
    /// Show which fields differ.
    #[arg(long)]
    pub diff: bool,
}

/// Options of `check-health`.
#[derive(Debug, Args)]
pub struct CheckHealth {
    /// Where the cluster is.
    #[command(flatten)]
    pub reach: Reach,
    /// Seconds to keep reading apps that do not run all their instances yet (a command app
    /// such as shell-hello is relaunched after it exits: seeing it running once is enough);
    /// 0 reads once.
    #[arg(long, default_value_t = 15)]
    pub app_window: u64,
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

/// Command-line values that override the inventory's tables.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `[ssh] host_key_policy`.
    pub host_key_policy: Option<HostKeyPolicy>,
    /// `[ssh] known_hosts`.
    pub known_hosts: Option<PathBuf>,
    /// `[ssh] connect_timeout_secs`.
    pub connect_timeout: Option<u64>,
    /// `[run] forks`.
    pub forks: Option<usize>,
    /// `[run] serial`.
    pub serial: Option<usize>,
    /// `[cluster] wait_timeout_secs`.
    pub wait_timeout: Option<u64>,
}

impl From<&Common> for Overrides {
    fn from(c: &Common) -> Self {
        Overrides {
            host_key_policy: c.host_key_policy,
            known_hosts: c.known_hosts.clone(),
            connect_timeout: c.connect_timeout,
            forks: c.forks,
            serial: c.serial,
            wait_timeout: c.wait_timeout,
        }
    }
}

impl From<&Reach> for Overrides {
    fn from(r: &Reach) -> Self {
        Overrides {
            host_key_policy: r.host_key_policy,
            known_hosts: r.known_hosts.clone(),
            connect_timeout: r.connect_timeout,
            forks: None,
            serial: None,
            wait_timeout: r.wait_timeout,
        }
    }
}

fn int(v: u64) -> toml::Value {
    toml::Value::Integer(i64::try_from(v).unwrap_or(i64::MAX))
}

fn apply_overrides(table: &mut toml::Table, o: &Overrides) -> anyhow::Result<()> {
    let ssh = section(table, "ssh");
    if let Some(p) = o.host_key_policy {
        let name = match p {
            HostKeyPolicy::Strict => "strict",
            HostKeyPolicy::AcceptNew => "accept-new",
            HostKeyPolicy::Insecure => "insecure",
        };
        ssh.insert("host_key_policy".into(), name.into());
    }
    if let Some(k) = &o.known_hosts {
        ssh.insert("known_hosts".into(), path_value(k)?);
    }
    if let Some(t) = o.connect_timeout {
        ssh.insert("connect_timeout_secs".into(), int(t));
    }
    if let Some(f) = o.forks {
        section(table, "run").insert("forks".into(), int(f as u64));
    }
    if let Some(s) = o.serial {
        section(table, "run").insert("serial".into(), int(s as u64));
    }
    if let Some(w) = o.wait_timeout {
        section(table, "cluster").insert("wait_timeout_secs".into(), int(w));
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
pub fn load_inventory(path: &Path, overrides: &Overrides) -> anyhow::Result<Inventory> {
    load_inventory_scoped(path, overrides, Scope::Cluster)
}

/// Loads and validates an inventory for a command that may not need SSH.
pub fn load_inventory_scoped(
    path: &Path,
    overrides: &Overrides,
    scope: Scope,
) -> anyhow::Result<Inventory> {
    let mut table = read_table(Some(path))?;
    apply_overrides(&mut table, overrides)?;
    let base = absolute(path)?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    validate(table, &base, scope, &path.display().to_string())
}

/// Parses `NAME=IPV4,IPV6[,ROLE[,ZK_ID]]` (the two-field form is a host-only peer).
pub fn parse_peer(text: &str) -> anyhow::Result<ClusterNode> {
    let (name, rest) = text
        .split_once('=')
        .with_context(|| format!("--peer `{text}`: expected NAME=IPV4,IPV6[,ROLE[,ZK_ID]]"))?;
    if !inventory::valid_hostname(name) {
        bail!("--peer `{text}`: `{name}` is not a valid host name");
    }
    let fields: Vec<&str> = rest.split(',').map(str::trim).collect();
    if fields.len() > 4 {
        bail!("--peer `{text}`: expected NAME=IPV4,IPV6[,ROLE[,ZK_ID]]");
    }
    let field = |i: usize| fields.get(i).copied().unwrap_or("");
    let ipv4 = match field(0) {
        "" => None,
        a => Some(
            a.parse()
                .with_context(|| format!("--peer `{text}`: `{a}` is not IPv4"))?,
        ),
    };
    let ipv6 = match field(1) {
        "" => None,
        a => Some(
            a.parse()
                .with_context(|| format!("--peer `{text}`: `{a}` is not IPv6"))?,
        ),
    };
    if ipv4.is_none() && ipv6.is_none() {
        bail!("--peer `{text}`: needs at least one address");
    }
    let role = match field(2) {
        "" => None,
        "master" => Some(Role::Master),
        "agent" => Some(Role::Agent),
        other => bail!("--peer `{text}`: role `{other}` must be master or agent"),
    };
    let zk_id = match field(3) {
        "" => None,
        id => Some(
            id.parse::<u8>()
                .ok()
                .filter(|i| *i > 0)
                .with_context(|| format!("--peer `{text}`: ZooKeeper id `{id}` must be 1-255"))?,
        ),
    };
    Ok(ClusterNode {
        name: name.to_string(),
        ipv4,
        ipv6,
        role,
        zk_id,
        public_address: None,
    })
}

fn key_values(flag: &str, items: &[String]) -> anyhow::Result<toml::Table> {
    let mut t = toml::Table::new();
    for item in items {
        let (k, v) = item
            .split_once('=')
            .with_context(|| format!("{flag} `{item}`: expected NAME=VALUE"))?;
        t.insert(k.trim().to_string(), v.trim().into());
    }
    Ok(t)
}

/// The phases a run selects (all when none given).
pub fn selected_phases(given: &[Phase]) -> Vec<Phase> {
    if given.is_empty() {
        Phase::ALL.to_vec()
    } else {
        let mut p = given.to_vec();
        p.sort();
        p.dedup();
        p
    }
}

/// Problems that depend on what the run does: the Mesos roles need `[packages]`.
pub fn check_run(settings: &Settings, nodes: &[Node], phases: &[Phase]) -> anyhow::Result<()> {
    let mesos = nodes
        .iter()
        .any(|n| phases.iter().any(|p| p.is_mesos() && p.runs_on(n.role)));
    if mesos && settings.packages.is_none() {
        bail!(
            "packages: the Mesos roles need a [packages] table (preset = \"debian-local\", \"aventer\", \"mesosphere-el7\" or \"local-mirror\"), or run only --phases access,base"
        );
    }
    let agents = nodes
        .iter()
        .any(|n| n.role == Role::Agent && phases.contains(&Phase::MesosAgent));
    let docker_containerizer = settings
        .mesos
        .containerizers
        .split(',')
        .any(|c| c.trim() == "docker");
    if agents && docker_containerizer && settings.docker.is_none() {
        bail!("docker: agents run the docker containerizer (mesos.containerizers), so the [docker] table is required");
    }
    Ok(())
}

/// Builds the job of `converge`.
pub fn converge_job(inv: &Inventory, common: &Common) -> anyhow::Result<Job> {
    for name in &common.limit {
        if !inv.nodes.iter().any(|n| &n.name == name) {
            bail!("--limit: no node named `{name}` in the inventory");
        }
    }
    let nodes: Vec<Node> = inv
        .nodes
        .iter()
        .filter(|n| common.limit.is_empty() || common.limit.contains(&n.name))
        .cloned()
        .collect();
    let phases = selected_phases(&common.phases);
    check_run(&inv.settings, &nodes, &phases)?;
    Ok(Job {
        nodes,
        cluster: Arc::new(inv.cluster()),
        settings: Arc::new(inv.settings.clone()),
        phases,
        serial: inv.settings.serial,
    })
}

/// Builds the job of `bootstrap`.
pub fn bootstrap_job(b: &Bootstrap) -> anyhow::Result<(Inventory, Job)> {
    let mut table = read_table(b.settings.as_deref())?;
    if table.contains_key("nodes") {
        bail!("--settings: must not contain [[nodes]] (bootstrap takes the node from the command line)");
    }
    apply_overrides(&mut table, &Overrides::from(&b.common))?;
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
    if let Some(id) = b.zk_id {
        node.insert("zk_id".into(), toml::Value::Integer(i64::from(id)));
    }
    if let Some(p) = &b.public_address {
        node.insert("public_address".into(), p.clone().into());
    }
    let resources = key_values("--resource", &b.resources)?;
    if !resources.is_empty() {
        node.insert("resources".into(), toml::Value::Table(resources));
    }
    let attributes = key_values("--attribute", &b.attributes)?;
    if !attributes.is_empty() {
        node.insert("attributes".into(), toml::Value::Table(attributes));
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
    let me = &inv.nodes[0];
    let mut view = ClusterView {
        nodes: vec![me.cluster_node()],
    };
    for p in &b.peers {
        let peer = parse_peer(p)?;
        if view.nodes.iter().any(|c| c.name == peer.name) {
            bail!("--peer `{p}`: name `{}` is already used", peer.name);
        }
        view.nodes.push(peer);
    }
    let phases = selected_phases(&b.common.phases);
    let needs_cluster = phases.iter().any(|p| p.is_mesos() && p.runs_on(me.role));
    let names: BTreeMap<usize, String> = view
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (i, n.name.clone()))
        .collect();
    let field = |i: usize, sub: Option<&str>| match (i, sub) {
        (0, Some("zk_id")) => "--zk-id".to_string(),
        (0, _) => format!("--name {}", names[&0]),
        (i, _) => format!("--peer {}", names[&i]),
    };
    if needs_cluster && view.masters().is_empty() {
        bail!("--peer: the agent role needs the masters: give each as --peer NAME=IPV4,IPV6,master,ZK_ID");
    }
    let (problems, warnings) = crate::cluster::validate(&view, &field, false);
    if needs_cluster && !problems.is_empty() {
        bail!("invalid bootstrap:\n  {}", problems.join("\n  "));
    }
    check_run(&inv.settings, &inv.nodes, &phases)?;
    let mut inv = inv;
    if needs_cluster {
        inv.warnings.extend(warnings);
    }
    let job = Job {
        nodes: inv.nodes.clone(),
        cluster: Arc::new(view),
        settings: Arc::new(inv.settings.clone()),
        phases,
        serial: inv.settings.serial,
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

/// `--log-dir`, or `./provisioner-logs/run-<unix time>`.
pub fn log_dir(given: Option<&Path>) -> PathBuf {
    match given {
        Some(d) => d.to_path_buf(),
        None => {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            PathBuf::from("provisioner-logs").join(format!("run-{secs}"))
        }
    }
}

/// Run options from the common flags.
pub fn run_options(common: &Common, job: &Job) -> anyhow::Result<RunOptions> {
    Ok(RunOptions {
        check: common.check,
        forks: job.settings.forks.unwrap_or(job.nodes.len()).max(1),
        log_dir: log_dir(common.log_dir.as_deref()),
        admin_password: admin_password(common)?,
        sudo_password: sudo_password(common)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_old_and_new_forms() {
        let p = parse_peer("node3=10.0.0.23,fd77::23").unwrap();
        assert_eq!(p.ipv4, Some("10.0.0.23".parse().unwrap()));
        assert_eq!(p.role, None);
        assert!(parse_peer("node3=10.0.0.23,").unwrap().ipv6.is_none());
        assert!(parse_peer("node3=,fd77::1").unwrap().ipv4.is_none());
        assert!(parse_peer("node3=,").is_err());
        assert!(parse_peer("node3").is_err());
        assert!(parse_peer("Node_3=10.0.0.1").is_err());
        assert!(parse_peer("n=fd77::1,").is_err());
        let m = parse_peer("m2=10.77.0.12,fd77::12,master,2").unwrap();
        assert_eq!((m.role, m.zk_id), (Some(Role::Master), Some(2)));
        let a = parse_peer("s1=10.77.0.21,,agent").unwrap();
        assert_eq!((a.role, a.zk_id), (Some(Role::Agent), None));
        assert_eq!(
            parse_peer("m2=10.77.0.12,,boss").unwrap_err().to_string(),
            "--peer `m2=10.77.0.12,,boss`: role `boss` must be master or agent"
        );
        assert!(parse_peer("m2=10.77.0.12,,master,0")
            .unwrap_err()
            .to_string()
            .contains("ZooKeeper id `0` must be 1-255"));
        assert!(parse_peer("m2=10.77.0.12,,master,1,x").is_err());
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
    fn unknown_phases_are_refused_by_name() {
        let err = Cli::try_parse_from([
            "mesos-provisioner",
            "converge",
            "-i",
            "x.toml",
            "--phases",
            "base,mesos",
        ])
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("unknown phase `mesos` (phases: access, base"),
            "{err}"
        );
    }

    fn key_dir() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("id");
        std::fs::write(&key, "k").unwrap();
        std::fs::write(
            dir.path().join("settings.toml"),
            "[packages]\npreset = \"debian-local\"\n[docker]\npackages = [\"docker.io\"]\n",
        )
        .unwrap();
        (dir, key)
    }

    fn bootstrap(args: &[&str]) -> anyhow::Result<(Inventory, Job)> {
        let mut all = vec!["mesos-provisioner", "bootstrap"];
        all.extend_from_slice(args);
        let cli = Cli::try_parse_from(all).unwrap();
        let Command::Bootstrap(b) = cli.command else {
            panic!("not bootstrap")
        };
        bootstrap_job(&b)
    }

    #[test]
    fn bootstrap_builds_a_single_node_job_with_the_cluster_view() {
        let (dir, key) = key_dir();
        let settings = dir.path().join("settings.toml");
        let (inv, job) = bootstrap(&[
            "--host",
            "10.77.0.27",
            "--name",
            "s7",
            "--role",
            "agent",
            "--ipv6",
            "fd77::27",
            "--peer",
            "m1=10.77.0.11,fd77::11,master,1",
            "--peer",
            "s1=10.77.0.21,fd77::21",
            "--resource",
            "cpus=2",
            "--settings",
            settings.to_str().unwrap(),
            "--private-key",
            key.to_str().unwrap(),
            "--host-key-policy",
            "accept-new",
            "--check",
        ])
        .unwrap();
        assert_eq!(inv.nodes.len(), 1);
        assert_eq!(job.nodes[0].name, "s7");
        assert_eq!(job.nodes[0].resources["cpus"], "2");
        assert_eq!(job.cluster.nodes.len(), 3);
        assert_eq!(job.cluster.masters()[0].name, "m1");
        assert_eq!(job.settings.ssh.policy, HostKeyPolicy::AcceptNew);
        assert_eq!(job.settings.ssh.private_key, key);
        assert_eq!(job.phases, Phase::ALL.to_vec());
    }

    #[test]
    fn bootstrap_refuses_an_agent_without_masters_unless_only_base_runs() {
        let (dir, key) = key_dir();
        let settings = dir.path().join("settings.toml");
        let base = [
            "--host",
            "10.77.0.27",
            "--name",
            "s7",
            "--role",
            "agent",
            "--private-ipv4",
            "10.77.0.27",
            "--peer",
            "m1=10.77.0.11,fd77::11",
            "--settings",
            settings.to_str().unwrap(),
            "--private-key",
            key.to_str().unwrap(),
            "--host-key-policy",
            "insecure",
        ];
        let err = bootstrap(&base).unwrap_err().to_string();
        assert!(
            err.contains("--peer: the agent role needs the masters"),
            "{err}"
        );
        let mut only_base = base.to_vec();
        only_base.extend_from_slice(&["--phases", "access,base"]);
        assert!(bootstrap(&only_base).is_ok());
    }

    #[test]
    fn bootstrap_of_a_master_needs_unique_zk_ids() {
        let (dir, key) = key_dir();
        let settings = dir.path().join("settings.toml");
        let args = |zk: &'static str| {
            vec![
                "--host",
                "10.77.0.11",
                "--name",
                "m1",
                "--role",
                "master",
                "--private-ipv4",
                "10.77.0.11",
                "--zk-id",
                zk,
                "--peer",
                "m2=10.77.0.12,,master,2",
                "--peer",
                "m3=10.77.0.13,,master,3",
                "--settings",
                settings.to_str().unwrap().to_owned().leak(),
                "--private-key",
                key.to_str().unwrap().to_owned().leak(),
                "--host-key-policy",
                "insecure",
            ]
        };
        let (_, job) = bootstrap(&args("1")).unwrap();
        assert_eq!(
            job.cluster.zk_hosts(2181),
            "10.77.0.11:2181,10.77.0.12:2181,10.77.0.13:2181"
        );
        let err = bootstrap(&args("2")).unwrap_err().to_string();
        assert!(err.contains("--peer m2: 2 is also the id of `m1`"), "{err}");
    }

    #[test]
    fn limit_must_name_known_nodes_and_roles_need_packages() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("id"), "k").unwrap();
        let inv_path = dir.path().join("c.toml");
        std::fs::write(
            &inv_path,
            "[ssh]\nprivate_key = \"id\"\nhost_key_policy = \"accept-new\"\n[[nodes]]\nname = \"m1\"\naddress = \"10.0.0.1\"\nprivate_ipv4 = \"10.0.0.1\"\nrole = \"master\"\nzk_id = 1\n",
        )
        .unwrap();
        let parse = |extra: &[&str]| {
            let mut args = vec![
                "mesos-provisioner",
                "converge",
                "-i",
                inv_path.to_str().unwrap(),
            ];
            args.extend_from_slice(extra);
            let Command::Converge { inventory, common } =
                Cli::try_parse_from(args).unwrap().command
            else {
                panic!()
            };
            let inv = load_inventory(&inventory, &Overrides::from(&common)).unwrap();
            converge_job(&inv, &common)
        };
        assert!(parse(&["--limit", "m2"])
            .unwrap_err()
            .to_string()
            .contains("no node named `m2`"));
        let err = parse(&[]).unwrap_err().to_string();
        assert!(
            err.starts_with("packages: the Mesos roles need a [packages] table"),
            "{err}"
        );
        std::fs::write(
            &inv_path,
            format!(
                "{}[packages]\npreset = \"debian-local\"\n[[nodes]]\nname = \"s1\"\naddress = \"10.0.0.2\"\nprivate_ipv4 = \"10.0.0.2\"\nrole = \"agent\"\n",
                std::fs::read_to_string(&inv_path).unwrap()
            ),
        )
        .unwrap();
        let err = parse(&[]).unwrap_err().to_string();
        assert!(
            err.starts_with("docker: agents run the docker containerizer"),
            "{err}"
        );
        let job = parse(&["--phases", "base,access", "--serial", "3"]).unwrap();
        assert_eq!(job.phases, vec![Phase::Access, Phase::Base]);
        assert_eq!(job.serial, Some(3));
    }
}
