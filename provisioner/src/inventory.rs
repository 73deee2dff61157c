//! The inventory file (TOML): parsing and validation before any connection is made.

use std::collections::{BTreeMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::cluster::{ClusterNode, ClusterView};
use crate::render::docker::{AptRepo, YumRepo};
use crate::render::packages::{PackageSpec, UpdateMode};
use crate::render::repos::{Mirror, Preset};
use crate::render::time::TimeSettings;
use crate::ssh::HostKeyPolicy;

/// A node's role in the Mesos cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs ZooKeeper, mesos-master and Marathon.
    Master,
    /// Runs mesos-agent and Docker workloads.
    Agent,
}

/// A validated node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Host name.
    pub name: String,
    /// Where SSH connects.
    pub address: String,
    /// SSH port.
    pub port: u16,
    /// Private IPv4 address bound to the name.
    pub ipv4: Option<Ipv4Addr>,
    /// IPv6 address bound to the name.
    pub ipv6: Option<Ipv6Addr>,
    /// Role.
    pub role: Role,
    /// ZooKeeper server id (masters).
    pub zk_id: Option<u8>,
    /// Address users reach the node on (default: `address`).
    pub public_address: Option<String>,
    /// Agent resources (`/etc/mesos-slave/resources/<name>`), e.g. `cpus = "2"`.
    pub resources: BTreeMap<String, String>,
    /// Agent attributes (`/etc/mesos-slave/attributes/<name>`).
    pub attributes: BTreeMap<String, String>,
}

impl Node {
    /// This node in the cluster view.
    pub fn cluster_node(&self) -> ClusterNode {
        ClusterNode {
            name: self.name.clone(),
            ipv4: self.ipv4,
            ipv6: self.ipv6,
            role: Some(self.role),
            zk_id: self.zk_id,
            public_address: Some(
                self.public_address
                    .clone()
                    .unwrap_or_else(|| self.address.clone()),
            ),
        }
    }
}

/// SSH settings.
#[derive(Debug, Clone)]
pub struct SshSettings {
    /// Operator user.
    pub user: String,
    /// Operator private key.
    pub private_key: PathBuf,
    /// known_hosts file.
    pub known_hosts: PathBuf,
    /// Host key policy.
    pub policy: HostKeyPolicy,
    /// How long to retry connecting.
    pub connect_budget: Duration,
}

/// Where the Docker engine comes from and what is installed.
#[derive(Debug, Clone)]
pub struct DockerSettings {
    /// Packages (optionally pinned).
    pub packages: Vec<PackageSpec>,
    /// systemd unit.
    pub service: String,
    /// Start the service as well as enabling it.
    pub start: bool,
    /// apt repository; `None` = use the already configured apt sources.
    pub apt: Option<AptRepo>,
    /// Local file with the apt repository's signing key.
    pub apt_key_file: Option<PathBuf>,
    /// yum/dnf repository; `None` = use the already configured repositories.
    pub yum: Option<YumRepo>,
    /// Content for `/etc/docker/daemon.json` (validated JSON); `None` = not managed.
    pub daemon_json: Option<String>,
}

/// Which disk extends the root volume group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LvmDisk {
    /// Detect the one unused disk.
    Auto,
    /// Never touch LVM.
    Off,
    /// This device.
    Device(String),
}

/// Base role settings.
#[derive(Debug, Clone)]
pub struct BaseSettings {
    /// OS update mode.
    pub os_update: UpdateMode,
    /// Time synchronisation.
    pub time: TimeSettings,
    /// LVM disk selection.
    pub lvm_disk: LvmDisk,
    /// CentOS 7 vault base URL.
    pub el7_vault_url: String,
}

/// Cluster-wide settings (`[cluster]`).
#[derive(Debug, Clone)]
pub struct ClusterSettings {
    /// Cluster name (mesos-master `--cluster`).
    pub name: String,
    /// Bound of every wait for the cluster (barriers, rolling restarts, app deployments).
    pub wait_timeout: Duration,
}

/// Where ZooKeeper, Mesos and Marathon come from (`[packages]`).
#[derive(Debug, Clone)]
pub struct PackageSettings {
    /// Named preset.
    pub preset: Preset,
    /// `local-mirror` repositories.
    pub mirror: Option<Mirror>,
    /// ASCII-armored key of the apt repository (content of `packages.apt_key_file`).
    pub apt_key: Option<String>,
    /// Package overrides (name or name=version), else the preset's.
    pub mesos: Option<Vec<PackageSpec>>,
    /// Marathon package override.
    pub marathon: Option<Vec<PackageSpec>>,
    /// ZooKeeper package override.
    pub zookeeper: Option<Vec<PackageSpec>>,
}

/// ZooKeeper settings (`[zookeeper]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkSettings {
    /// Client port.
    pub client_port: u16,
    /// `dataDir` (holds `myid`).
    pub data_dir: String,
    /// `4lw.commands.whitelist`.
    pub four_letter_words: Vec<String>,
    /// `tickTime` in milliseconds.
    pub tick_time_ms: u32,
    /// `initLimit` in ticks.
    pub init_limit: u32,
    /// `syncLimit` in ticks.
    pub sync_limit: u32,
    /// Override of the configuration file path (else the package flavour's).
    pub config_file: Option<String>,
    /// Override of the systemd unit (else the package flavour's).
    pub service: Option<String>,
}

/// Mesos settings (`[mesos]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MesosSettings {
    /// `work_dir` of masters and agents.
    pub work_dir: String,
    /// Agent `containerizers`.
    pub containerizers: String,
    /// Agent `executor_registration_timeout`.
    pub executor_registration_timeout: String,
    /// Extra master flags (file name under `/etc/mesos-master` -> content).
    pub master_flags: BTreeMap<String, String>,
    /// Extra agent flags.
    pub agent_flags: BTreeMap<String, String>,
}

/// Marathon settings (`[marathon]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarathonSettings {
    /// HTTP port.
    pub http_port: u16,
    /// User tasks run as on the agents (`MARATHON_MESOS_USER`).
    pub mesos_user: String,
    /// Extra variables for `/etc/default/marathon` (`MARATHON_*`, `LIBPROCESS_*`, `JAVA_OPTS`).
    pub env: BTreeMap<String, String>,
}

/// Settings of `submit-apps` (`[apps]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSettings {
    /// Docker image of the default `docker-hello` app.
    pub docker_image: String,
}

/// Mesos master HTTP port (the packages' `/etc/default/mesos-master` sets it).
pub const MESOS_MASTER_PORT: u16 = 5050;
/// Mesos agent HTTP port (the agent's default).
pub const MESOS_AGENT_PORT: u16 = 5051;

/// Everything except the node list.
#[derive(Debug, Clone)]
pub struct Settings {
    /// SSH.
    pub ssh: SshSettings,
    /// Parallelism (`None` = all hosts at once).
    pub forks: Option<usize>,
    /// Agents restarted at a time in a rolling change (`None` = all at once).
    pub serial: Option<usize>,
    /// Base role.
    pub base: BaseSettings,
    /// Docker (`None` = not managed).
    pub docker: Option<DockerSettings>,
    /// Cluster-wide settings.
    pub cluster: ClusterSettings,
    /// Package sources of the Mesos roles (`None` = no `[packages]` table: only the base role
    /// can run).
    pub packages: Option<PackageSettings>,
    /// ZooKeeper.
    pub zookeeper: ZkSettings,
    /// Mesos.
    pub mesos: MesosSettings,
    /// Marathon.
    pub marathon: MarathonSettings,
    /// `submit-apps`.
    pub apps: AppSettings,
}

/// A validated inventory.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// Settings.
    pub settings: Settings,
    /// Nodes, in file order.
    pub nodes: Vec<Node>,
    /// Non-fatal remarks (e.g. not 3 masters).
    pub warnings: Vec<String>,
}

impl Inventory {
    /// The cluster view of every node.
    pub fn cluster(&self) -> ClusterView {
        ClusterView {
            nodes: self.nodes.iter().map(Node::cluster_node).collect(),
        }
    }
}

/// Every problem found, each naming its field.
#[derive(Debug, thiserror::Error)]
#[error("invalid inventory {path}:\n  {}", problems.join("\n  "))]
pub struct InventoryError {
    /// File.
    pub path: String,
    /// One line per problem: `field: rule`.
    pub problems: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    ssh: RawSsh,
    #[serde(default)]
    run: RawRun,
    #[serde(default)]
    base: RawBase,
    docker: Option<RawDocker>,
    #[serde(default)]
    cluster: RawCluster,
    packages: Option<RawPackages>,
    #[serde(default)]
    zookeeper: RawZk,
    #[serde(default)]
    mesos: RawMesos,
    #[serde(default)]
    marathon: RawMarathon,
    #[serde(default)]
    apps: RawApps,
    #[serde(default)]
    nodes: Vec<RawNode>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCluster {
    name: Option<String>,
    wait_timeout_secs: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPackages {
    preset: String,
    apt_key_file: Option<PathBuf>,
    mesos: Option<Vec<String>>,
    marathon: Option<Vec<String>>,
    zookeeper: Option<Vec<String>>,
    mirror: Option<RawMirror>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMirror {
    apt_source: Option<String>,
    yum_baseurl: Option<String>,
    gpgkey: Option<String>,
    gpgcheck: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawZk {
    client_port: Option<u16>,
    data_dir: Option<String>,
    four_letter_words: Option<Vec<String>>,
    tick_time_ms: Option<u32>,
    init_limit: Option<u32>,
    sync_limit: Option<u32>,
    config_file: Option<String>,
    service: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMesos {
    work_dir: Option<String>,
    containerizers: Option<String>,
    executor_registration_timeout: Option<String>,
    #[serde(default)]
    master_flags: BTreeMap<String, Scalar>,
    #[serde(default)]
    agent_flags: BTreeMap<String, Scalar>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMarathon {
    http_port: Option<u16>,
    mesos_user: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, Scalar>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawApps {
    docker_image: Option<String>,
}

/// A TOML string, integer, float or boolean written into a flag or variable.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
enum Scalar {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Str(s) => s.clone(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSsh {
    user: Option<String>,
    private_key: Option<PathBuf>,
    port: Option<u16>,
    known_hosts: Option<PathBuf>,
    host_key_policy: Option<HostKeyPolicy>,
    connect_timeout_secs: Option<u64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRun {
    forks: Option<usize>,
    serial: Option<usize>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawBase {
    os_update: Option<UpdateMode>,
    #[serde(default)]
    time_servers: Vec<String>,
    #[serde(default)]
    time_allow: Vec<String>,
    time_local_stratum: Option<u8>,
    lvm_disk: Option<String>,
    el7_vault_url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocker {
    packages: Option<Vec<String>>,
    daemon_json: Option<String>,
    service: Option<String>,
    start: Option<bool>,
    apt: Option<RawApt>,
    yum: Option<RawYum>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApt {
    source: String,
    key_file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYum {
    baseurl: String,
    gpgkey: Option<String>,
    gpgcheck: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    name: String,
    address: String,
    private_ipv4: Option<String>,
    ipv6: Option<String>,
    role: String,
    port: Option<u16>,
    zk_id: Option<i64>,
    public_address: Option<String>,
    #[serde(default)]
    resources: BTreeMap<String, Scalar>,
    #[serde(default)]
    attributes: BTreeMap<String, Scalar>,
}

/// Checks a host name label: 1 to 63 of `[a-z0-9-]`, not starting or ending with `-`.
pub fn valid_hostname(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && !name.starts_with('-')
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn default_known_hosts() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"))
        .join(".ssh/known_hosts")
}

/// Which validations to run: a cluster inventory needs masters, a single bootstrap does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A full cluster inventory.
    Cluster,
    /// A full cluster inventory read without SSH (`--transport direct`): the SSH key and
    /// known_hosts files are not needed.
    ClusterWithoutSsh,
    /// Settings only (bootstrap's `--settings`), nodes come from the command line.
    SettingsOnly,
}

/// Reads and validates an inventory file.
pub fn load(path: &Path, scope: Scope) -> Result<Inventory, InventoryError> {
    let fail = |problem: String| InventoryError {
        path: path.display().to_string(),
        problems: vec![problem],
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let base_dir = path.parent().unwrap_or(Path::new("."));
    parse(&text, base_dir, scope).map_err(|problems| InventoryError {
        path: path.display().to_string(),
        problems,
    })
}

/// Parses and validates inventory text; relative paths resolve against `base_dir`.
pub fn parse(text: &str, base_dir: &Path, scope: Scope) -> Result<Inventory, Vec<String>> {
    let raw: RawFile = toml::from_str(text).map_err(|e| vec![e.to_string()])?;
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let resolve = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base_dir.join(p)
        }
    };

    // [ssh]
    // Not "operator": EL images ship a system account of that name whose home is /root.
    let user = raw.ssh.user.unwrap_or_else(|| "ops".to_string());
    if RESERVED_USERS.contains(&user.as_str()) || !valid_user(&user) {
        problems.push(format!(
            "ssh.user: `{user}` must be a valid user name and not an account the OS already has (root, operator, ...)"
        ));
    }
    let ssh_files = scope != Scope::ClusterWithoutSsh;
    let private_key = match raw.ssh.private_key {
        Some(p) => resolve(&p),
        None if ssh_files => {
            problems.push("ssh.private_key: required (the operator's private key)".to_string());
            PathBuf::new()
        }
        None => PathBuf::new(),
    };
    if ssh_files && !private_key.as_os_str().is_empty() && !private_key.is_file() {
        problems.push(format!(
            "ssh.private_key: file {} does not exist",
            private_key.display()
        ));
    }
    let policy = raw.ssh.host_key_policy.unwrap_or_default();
    let known_hosts = raw
        .ssh
        .known_hosts
        .map(|p| resolve(&p))
        .unwrap_or_else(default_known_hosts);
    if ssh_files && policy == HostKeyPolicy::Strict && !known_hosts.is_file() {
        problems.push(format!(
            "ssh.known_hosts: file {} does not exist (policy strict needs the hosts' keys on file)",
            known_hosts.display()
        ));
    }
    let default_port = raw.ssh.port.unwrap_or(22);
    if default_port == 0 {
        problems.push("ssh.port: must be 1-65535".to_string());
    }

    // [run]
    if raw.run.forks == Some(0) {
        problems.push("run.forks: must be at least 1".to_string());
    }
    if raw.run.serial == Some(0) {
        problems.push("run.serial: must be at least 1".to_string());
    }

    // [base]
    let lvm_disk = match raw.base.lvm_disk.as_deref() {
        None | Some("auto") => LvmDisk::Auto,
        Some("off") => LvmDisk::Off,
        Some(dev) if dev.starts_with("/dev/") => LvmDisk::Device(dev.to_string()),
        Some(other) => {
            problems.push(format!(
                "base.lvm_disk: `{other}` must be auto, off or a /dev/ path"
            ));
            LvmDisk::Off
        }
    };
    for (i, net) in raw.base.time_allow.iter().enumerate() {
        let addr = net.split_once('/').map(|(a, _)| a).unwrap_or(net);
        if addr.parse::<IpAddr>().is_err() {
            problems.push(format!(
                "base.time_allow[{i}]: `{net}` is not an address or CIDR network"
            ));
        }
    }
    for (i, s) in raw.base.time_servers.iter().enumerate() {
        if s.is_empty() || s.contains(char::is_whitespace) {
            problems.push(format!(
                "base.time_servers[{i}]: `{s}` is not a host name or address"
            ));
        }
    }

    // [docker]
    let docker = raw.docker.map(|d| {
        let packages = d.packages.unwrap_or_else(|| {
            vec![
                "docker-ce".into(),
                "docker-ce-cli".into(),
                "containerd.io".into(),
            ]
        });
        if packages.is_empty() {
            problems.push("docker.packages: must name at least one package".to_string());
        }
        let packages = packages
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                PackageSpec::parse(p)
                    .map_err(|e| problems.push(format!("docker.packages[{i}]: {e}")))
                    .ok()
            })
            .collect();
        let apt_key_file = d
            .apt
            .as_ref()
            .and_then(|a| a.key_file.as_ref())
            .map(|p| resolve(p));
        if let Some(k) = &apt_key_file {
            match std::fs::read_to_string(k) {
                Err(e) => problems.push(format!(
                    "docker.apt.key_file: cannot read {}: {e}",
                    k.display()
                )),
                Ok(text) if !text.contains("-----BEGIN PGP PUBLIC KEY BLOCK-----") => {
                    problems.push(format!(
                        "docker.apt.key_file: {} must be an ASCII-armored OpenPGP public key (gpg --armor --export)",
                        k.display()
                    ))
                }
                Ok(_) => {}
            }
        }
        if let Some(a) = &d.apt {
            if !a.source.trim_start().starts_with("deb ") {
                problems.push(format!(
                    "docker.apt.source: `{}` must be a one-line `deb ...` source",
                    a.source
                ));
            }
        }
        if let Some(y) = &d.yum {
            if y.baseurl.trim().is_empty() {
                problems.push("docker.yum.baseurl: must not be empty".to_string());
            }
        }
        let daemon_json = d.daemon_json.as_ref().and_then(|text| {
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(serde_json::Value::Object(_)) => {
                    let mut t = text.trim().to_string();
                    t.push('\n');
                    Some(t)
                }
                Ok(_) => {
                    problems.push("docker.daemon_json: must be a JSON object".to_string());
                    None
                }
                Err(e) => {
                    problems.push(format!("docker.daemon_json: invalid JSON: {e}"));
                    None
                }
            }
        });
        DockerSettings {
            daemon_json,
            packages,
            service: d.service.unwrap_or_else(|| "docker".to_string()),
            start: d.start.unwrap_or(true),
            apt: d.apt.map(|a| AptRepo { source: a.source }),
            apt_key_file,
            yum: d.yum.map(|y| YumRepo {
                baseurl: y.baseurl,
                gpgkey: y.gpgkey,
                gpgcheck: y.gpgcheck.unwrap_or(true),
            }),
        }
    });

    // [[nodes]]
    let mut nodes = Vec::new();
    let mut names = HashSet::new();
    let mut endpoints = HashSet::new();
    let mut addresses = HashSet::new();
    for (i, n) in raw.nodes.into_iter().enumerate() {
        let at = format!("nodes[{i}]");
        if !valid_hostname(&n.name) {
            problems.push(format!(
                "{at}.name: `{}` must be 1-63 of a-z, 0-9 and '-', not starting or ending with '-'",
                n.name
            ));
        } else if !names.insert(n.name.clone()) {
            problems.push(format!("{at}.name: `{}` is used by another node", n.name));
        }
        let role = match n.role.as_str() {
            "master" => Role::Master,
            "agent" => Role::Agent,
            other => {
                problems.push(format!("{at}.role: `{other}` must be master or agent"));
                Role::Agent
            }
        };
        if n.address.trim().is_empty() || n.address.contains(char::is_whitespace) {
            problems.push(format!(
                "{at}.address: `{}` is not an address or host name",
                n.address
            ));
        }
        let port = n.port.unwrap_or(default_port);
        if port == 0 {
            problems.push(format!("{at}.port: must be 1-65535"));
        }
        if !endpoints.insert((n.address.clone(), port)) {
            problems.push(format!(
                "{at}.address: `{}` port {port} is used by another node",
                n.address
            ));
        }
        let ipv4 = n
            .private_ipv4
            .as_deref()
            .and_then(|a| match a.parse::<Ipv4Addr>() {
                Ok(ip) => Some(ip),
                Err(_) => {
                    problems.push(format!("{at}.private_ipv4: `{a}` is not an IPv4 address"));
                    None
                }
            });
        let ipv6 = n.ipv6.as_deref().and_then(|a| match a.parse::<Ipv6Addr>() {
            Ok(ip) => Some(ip),
            Err(_) => {
                problems.push(format!("{at}.ipv6: `{a}` is not an IPv6 address"));
                None
            }
        });
        if n.private_ipv4.is_none() && n.ipv6.is_none() {
            problems.push(format!(
                "{at}: needs private_ipv4 or ipv6 (bound to its name in /etc/hosts)"
            ));
        }
        for (field, ip) in [
            ("private_ipv4", ipv4.map(IpAddr::V4)),
            ("ipv6", ipv6.map(IpAddr::V6)),
        ] {
            if let Some(ip) = ip {
                if !addresses.insert(ip) {
                    problems.push(format!("{at}.{field}: {ip} is used by another node"));
                }
            }
        }
        let zk_id = n.zk_id.and_then(|id| match u8::try_from(id) {
            Ok(id) => Some(id),
            Err(_) => {
                problems.push(format!("{at}.zk_id: {id} is not a ZooKeeper id (1-255)"));
                None
            }
        });
        if let Some(p) = &n.public_address {
            if p.trim().is_empty() || p.contains(char::is_whitespace) {
                problems.push(format!(
                    "{at}.public_address: `{p}` is not an address or host name"
                ));
            }
        }
        let resources = agent_map(&mut problems, &at, "resources", role, &n.resources);
        let attributes = agent_map(&mut problems, &at, "attributes", role, &n.attributes);
        nodes.push(Node {
            name: n.name,
            address: n.address,
            port,
            ipv4,
            ipv6,
            role,
            zk_id,
            public_address: n.public_address,
            resources,
            attributes,
        });
    }
    if scope != Scope::SettingsOnly {
        if nodes.is_empty() {
            problems.push("nodes: at least one [[nodes]] entry is required".to_string());
        } else {
            let view = ClusterView {
                nodes: nodes.iter().map(Node::cluster_node).collect(),
            };
            let field = |i: usize, sub: Option<&str>| match sub {
                Some(s) => format!("nodes[{i}].{s}"),
                None => format!("nodes[{i}]"),
            };
            let (p, w) = crate::cluster::validate(&view, &field, true);
            problems.extend(p);
            warnings.extend(w);
        }
    }
    let role_settings = role_settings(
        raw.cluster,
        raw.packages,
        raw.zookeeper,
        raw.mesos,
        raw.marathon,
        raw.apps,
        &resolve,
        &mut problems,
    );
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Inventory {
        settings: Settings {
            ssh: SshSettings {
                user,
                private_key,
                known_hosts,
                policy,
                connect_budget: Duration::from_secs(raw.ssh.connect_timeout_secs.unwrap_or(120)),
            },
            forks: raw.run.forks,
            serial: raw.run.serial,
            base: BaseSettings {
                os_update: raw.base.os_update.unwrap_or_default(),
                time: TimeSettings {
                    servers: raw.base.time_servers,
                    allow: raw.base.time_allow,
                    local_stratum: raw.base.time_local_stratum,
                },
                lvm_disk,
                el7_vault_url: raw
                    .base
                    .el7_vault_url
                    .unwrap_or_else(|| crate::render::vault::DEFAULT_URL.to_string()),
            },
            docker,
            cluster: role_settings.cluster,
            packages: role_settings.packages,
            zookeeper: role_settings.zookeeper,
            mesos: role_settings.mesos,
            marathon: role_settings.marathon,
            apps: role_settings.apps,
        },
        nodes,
        warnings,
    })
}

struct RoleSettings {
    cluster: ClusterSettings,
    packages: Option<PackageSettings>,
    zookeeper: ZkSettings,
    mesos: MesosSettings,
    marathon: MarathonSettings,
    apps: AppSettings,
}

/// `[a-z0-9_]` names (flags, resources, attributes), optionally with the wrapper's `?` prefix.
fn valid_flag_name(name: &str, allow_question: bool) -> bool {
    let bare = if allow_question {
        name.strip_prefix('?').unwrap_or(name)
    } else {
        name
    };
    !bare.is_empty()
        && bare.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && bare
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// One line, no control characters.
fn single_line(value: &str) -> bool {
    !value.chars().any(char::is_control)
}

fn agent_map(
    problems: &mut Vec<String>,
    at: &str,
    field: &str,
    role: Role,
    raw: &BTreeMap<String, Scalar>,
) -> BTreeMap<String, String> {
    if !raw.is_empty() && role != Role::Agent {
        problems.push(format!("{at}.{field}: only agents have {field}"));
    }
    let mut out = BTreeMap::new();
    for (k, v) in raw {
        let v = v.text();
        if !valid_flag_name(k, false) {
            problems.push(format!(
                "{at}.{field}.{k}: names are lowercase letters, digits, '_' and '-'"
            ));
        } else if v.is_empty() || !single_line(&v) || v.contains(';') {
            problems.push(format!(
                "{at}.{field}.{k}: `{v}` must be one non-empty line without ';'"
            ));
        } else {
            out.insert(k.clone(), v);
        }
    }
    out
}

/// Flags the provisioner writes itself; `mesos.*_flags` may not set them.
const MANAGED_MASTER_FLAGS: &[&str] = &[
    "quorum", "ip", "hostname", "work_dir", "cluster", "zk", "port",
];
const MANAGED_AGENT_FLAGS: &[&str] = &[
    "ip",
    "hostname",
    "work_dir",
    "containerizers",
    "executor_registration_timeout",
    "master",
    "resources",
    "attributes",
    "port",
];

fn flag_map(
    problems: &mut Vec<String>,
    field: &str,
    managed: &[&str],
    raw: BTreeMap<String, Scalar>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in raw {
        let v = v.text();
        let bare = k.strip_prefix('?').unwrap_or(&k);
        let bare = bare.strip_prefix("no-").unwrap_or(bare);
        if !valid_flag_name(&k, true) {
            problems.push(format!(
                "mesos.{field}.{k}: a flag name is lowercase letters, digits and '_' (`?name` for a boolean)"
            ));
        } else if managed.contains(&bare) {
            problems.push(format!(
                "mesos.{field}.{k}: set by the provisioner itself ({})",
                managed.join(", ")
            ));
        } else if !single_line(&v) {
            problems.push(format!("mesos.{field}.{k}: the value must be one line"));
        } else {
            out.insert(k, v);
        }
    }
    out
}

fn packages_list(
    problems: &mut Vec<String>,
    field: &str,
    raw: Option<Vec<String>>,
) -> Option<Vec<PackageSpec>> {
    let raw = raw?;
    if raw.is_empty() {
        problems.push(format!("packages.{field}: must name at least one package"));
    }
    Some(
        raw.iter()
            .enumerate()
            .filter_map(|(i, p)| {
                PackageSpec::parse(p)
                    .map_err(|e| problems.push(format!("packages.{field}[{i}]: {e}")))
                    .ok()
            })
            .collect(),
    )
}

fn absolute_path(
    problems: &mut Vec<String>,
    field: &str,
    value: Option<String>,
    default: &str,
) -> String {
    let v = value.unwrap_or_else(|| default.to_string());
    if !v.starts_with('/') || !single_line(&v) || v.contains(char::is_whitespace) || v == "/" {
        problems.push(format!(
            "{field}: `{v}` must be an absolute path without spaces"
        ));
    }
    v.trim_end_matches('/').to_string()
}

#[allow(clippy::too_many_arguments)]
fn role_settings(
    cluster: RawCluster,
    packages: Option<RawPackages>,
    zk: RawZk,
    mesos: RawMesos,
    marathon: RawMarathon,
    apps: RawApps,
    resolve: &dyn Fn(&Path) -> PathBuf,
    problems: &mut Vec<String>,
) -> RoleSettings {
    // [cluster]
    let name = cluster.name.unwrap_or_else(|| "mesos-cluster".to_string());
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        problems.push(format!(
            "cluster.name: `{name}` must be letters, digits, '.', '_' and '-'"
        ));
    }
    let wait = cluster.wait_timeout_secs.unwrap_or(300);
    if wait == 0 {
        problems.push("cluster.wait_timeout_secs: must be at least 1".to_string());
    }

    // [packages]
    let packages = packages.map(|p| {
        let preset = match p.preset.parse::<Preset>() {
            Ok(preset) => preset,
            Err(e) => {
                problems.push(format!("packages.preset: {e}"));
                Preset::DebianLocal
            }
        };
        let mirror = p.mirror.map(|m| Mirror {
            apt_source: m.apt_source,
            yum_baseurl: m.yum_baseurl,
            gpgkey: m.gpgkey,
            gpgcheck: m.gpgcheck.unwrap_or(true),
        });
        match (&mirror, preset) {
            (None, Preset::LocalMirror) => problems.push(
                "packages.mirror: preset local-mirror needs [packages.mirror] with apt_source and/or yum_baseurl"
                    .to_string(),
            ),
            (Some(m), Preset::LocalMirror) => {
                if m.apt_source.is_none() && m.yum_baseurl.is_none() {
                    problems.push(
                        "packages.mirror: give apt_source (Debian/Ubuntu) and/or yum_baseurl (EL)"
                            .to_string(),
                    );
                }
                if let Some(a) = &m.apt_source {
                    if !a.trim_start().starts_with("deb ") || !single_line(a) {
                        problems.push(format!(
                            "packages.mirror.apt_source: `{a}` must be a one-line `deb ...` source"
                        ));
                    }
                }
                if let Some(y) = &m.yum_baseurl {
                    if y.trim().is_empty() || !single_line(y) || y.contains(char::is_whitespace) {
                        problems.push(format!(
                            "packages.mirror.yum_baseurl: `{y}` must be one URL"
                        ));
                    }
                }
            }
            (Some(_), other) => problems.push(format!(
                "packages.mirror: only preset local-mirror reads it (preset is {other})"
            )),
            (None, _) => {}
        }
        let apt_key = p.apt_key_file.map(|f| resolve(&f)).and_then(|k| {
            match std::fs::read_to_string(&k) {
                Err(e) => {
                    problems.push(format!(
                        "packages.apt_key_file: cannot read {}: {e}",
                        k.display()
                    ));
                    None
                }
                Ok(text) if !text.contains("-----BEGIN PGP PUBLIC KEY BLOCK-----") => {
                    problems.push(format!(
                        "packages.apt_key_file: {} must be an ASCII-armored OpenPGP public key (gpg --armor --export)",
                        k.display()
                    ));
                    None
                }
                Ok(text) => Some(text),
            }
        });
        PackageSettings {
            preset,
            mirror,
            apt_key,
            mesos: packages_list(problems, "mesos", p.mesos),
            marathon: packages_list(problems, "marathon", p.marathon),
            zookeeper: packages_list(problems, "zookeeper", p.zookeeper),
        }
    });

    // [zookeeper]
    let client_port = zk.client_port.unwrap_or(2181);
    if client_port == 0 {
        problems.push("zookeeper.client_port: must be 1-65535".to_string());
    }
    let data_dir = absolute_path(
        problems,
        "zookeeper.data_dir",
        zk.data_dir,
        "/var/lib/zookeeper",
    );
    let words = zk.four_letter_words.unwrap_or_else(|| {
        ["srvr", "ruok", "mntr", "conf"]
            .iter()
            .map(|w| w.to_string())
            .collect()
    });
    for (i, w) in words.iter().enumerate() {
        if w.len() != 4 || !w.chars().all(|c| c.is_ascii_lowercase()) {
            problems.push(format!(
                "zookeeper.four_letter_words[{i}]: `{w}` is not a four-letter word"
            ));
        }
    }
    if !words.iter().any(|w| w == "srvr") {
        problems.push(
            "zookeeper.four_letter_words: must include `srvr` (the health checks read the server mode with it)"
                .to_string(),
        );
    }
    for (field, v) in [
        ("init_limit", zk.init_limit),
        ("sync_limit", zk.sync_limit),
        ("tick_time_ms", zk.tick_time_ms),
    ] {
        if v == Some(0) {
            problems.push(format!("zookeeper.{field}: must be at least 1"));
        }
    }
    let config_file = zk
        .config_file
        .map(|c| absolute_path(problems, "zookeeper.config_file", Some(c), "/"));
    if let Some(svc) = &zk.service {
        if svc.is_empty()
            || !svc
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "@._-".contains(c))
        {
            problems.push(format!(
                "zookeeper.service: `{svc}` is not a systemd unit name"
            ));
        }
    }

    // [mesos]
    let work_dir = absolute_path(problems, "mesos.work_dir", mesos.work_dir, "/var/lib/mesos");
    let containerizers = mesos
        .containerizers
        .unwrap_or_else(|| "docker,mesos".to_string());
    for c in containerizers.split(',') {
        if !matches!(c.trim(), "docker" | "mesos") {
            problems.push(format!(
                "mesos.containerizers: `{}` is not docker or mesos (comma-separated, in priority order)",
                c.trim()
            ));
        }
    }
    let timeout = mesos
        .executor_registration_timeout
        .unwrap_or_else(|| "5mins".to_string());
    if !valid_duration(&timeout) {
        problems.push(format!(
            "mesos.executor_registration_timeout: `{timeout}` is not a Mesos duration (e.g. 5mins, 90secs)"
        ));
    }
    let master_flags = flag_map(
        problems,
        "master_flags",
        MANAGED_MASTER_FLAGS,
        mesos.master_flags,
    );
    let agent_flags = flag_map(
        problems,
        "agent_flags",
        MANAGED_AGENT_FLAGS,
        mesos.agent_flags,
    );

    // [marathon]
    let http_port = marathon.http_port.unwrap_or(8080);
    if http_port == 0 {
        problems.push("marathon.http_port: must be 1-65535".to_string());
    }
    let mesos_user = marathon.mesos_user.unwrap_or_else(|| "root".to_string());
    if !valid_user(&mesos_user) && mesos_user != "root" {
        problems.push(format!(
            "marathon.mesos_user: `{mesos_user}` is not a user name"
        ));
    }
    let mut env = BTreeMap::new();
    for (k, v) in marathon.env {
        let v = v.text();
        let known = k.starts_with("MARATHON_") || k.starts_with("LIBPROCESS_") || k == "JAVA_OPTS";
        let shape = k
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !known || !shape {
            problems.push(format!(
                "marathon.env.{k}: only MARATHON_*, LIBPROCESS_* and JAVA_OPTS variables belong in /etc/default/marathon"
            ));
        } else if [
            "MARATHON_MASTER",
            "MARATHON_ZK",
            "MARATHON_HOSTNAME",
            "MARATHON_HTTP_PORT",
            "MARATHON_MESOS_USER",
        ]
        .contains(&k.as_str())
        {
            problems.push(format!(
                "marathon.env.{k}: set by the provisioner itself (use [marathon] http_port / mesos_user)"
            ));
        } else if !single_line(&v) || v.contains(['"', '\\', '\'', '$', '`']) {
            problems.push(format!(
                "marathon.env.{k}: the value must be one line without quotes, '$', '`' or '\\'"
            ));
        } else {
            env.insert(k, v);
        }
    }

    // [apps]
    let docker_image = apps.docker_image.unwrap_or_else(|| "python:3".to_string());
    if docker_image.is_empty() || docker_image.contains(char::is_whitespace) {
        problems.push(format!(
            "apps.docker_image: `{docker_image}` is not an image reference"
        ));
    }

    RoleSettings {
        cluster: ClusterSettings {
            name,
            wait_timeout: Duration::from_secs(wait),
        },
        packages,
        zookeeper: ZkSettings {
            client_port,
            data_dir,
            four_letter_words: words,
            tick_time_ms: zk.tick_time_ms.unwrap_or(2000),
            init_limit: zk.init_limit.unwrap_or(10),
            sync_limit: zk.sync_limit.unwrap_or(5),
            config_file,
            service: zk.service,
        },
        mesos: MesosSettings {
            work_dir,
            containerizers,
            executor_registration_timeout: timeout,
            master_flags,
            agent_flags,
        },
        marathon: MarathonSettings {
            http_port,
            mesos_user,
            env,
        },
        apps: AppSettings { docker_image },
    }
}

/// A Mesos duration: a number and a unit (`ns`, `us`, `ms`, `secs`, `mins`, `hrs`, `days`,
/// `weeks`).
fn valid_duration(text: &str) -> bool {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (num, unit) = text.split_at(split);
    num.parse::<f64>().is_ok()
        && ["ns", "us", "ms", "secs", "mins", "hrs", "days", "weeks"].contains(&unit)
}

/// Accounts every supported distribution already has: creating "the operator" under one of
/// these names would hand the key to a system account (EL's `operator` lives in /root).
const RESERVED_USERS: &[&str] = &[
    "root",
    "bin",
    "daemon",
    "adm",
    "lp",
    "sync",
    "shutdown",
    "halt",
    "mail",
    "operator",
    "games",
    "ftp",
    "nobody",
    "sys",
    "man",
    "news",
    "uucp",
    "proxy",
    "www-data",
    "backup",
    "list",
    "irc",
    "gnats",
    "systemd-network",
    "sshd",
];

fn valid_user(user: &str) -> bool {
    !user.is_empty()
        && user.len() <= 32
        && user
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && user
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::repos::Preset;

    fn dir_with_files() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("id_ed25519"), "k").unwrap();
        std::fs::write(dir.path().join("known_hosts"), "").unwrap();
        dir
    }

    fn node(name: &str, o: u8, role: &str) -> String {
        let zk = if role == "master" {
            format!("zk_id = {}\n", o - 10)
        } else {
            String::new()
        };
        format!(
            "[[nodes]]\nname = \"{name}\"\naddress = \"10.77.0.{o}\"\nprivate_ipv4 = \"10.77.0.{o}\"\nipv6 = \"fd77::{o}\"\nrole = \"{role}\"\n{zk}"
        )
    }

    const HEAD: &str =
        "[ssh]\nuser = \"ops\"\nprivate_key = \"id_ed25519\"\nknown_hosts = \"known_hosts\"\n";

    #[test]
    fn a_valid_cluster() {
        let dir = dir_with_files();
        let text = format!(
            "{HEAD}[docker]\npackages = [\"docker.io\"]\n[docker.apt]\nsource = \"deb [trusted=yes] file:/var/local/mz-repo ./\"\n{}{}{}{}",
            node("m1", 11, "master"),
            node("m2", 12, "master"),
            node("m3", 13, "master"),
            node("s1", 21, "agent")
        );
        let inv = parse(&text, dir.path(), Scope::Cluster).unwrap();
        assert_eq!(inv.nodes.len(), 4);
        assert!(inv.warnings.is_empty());
        assert_eq!(inv.settings.ssh.private_key, dir.path().join("id_ed25519"));
        assert_eq!(inv.settings.base.os_update, UpdateMode::Security);
        let docker = inv.settings.docker.unwrap();
        assert_eq!(docker.packages[0].name, "docker.io");
        assert!(docker.apt.is_some() && docker.yum.is_none());
        assert_eq!(inv.nodes[3].role, Role::Agent);
    }

    #[test]
    fn errors_name_the_field_and_the_rule() {
        let dir = dir_with_files();
        let text = format!(
            "{HEAD}{}{}[[nodes]]\nname = \"M_1\"\naddress = \"10.77.0.11\"\nprivate_ipv4 = \"fd77::1\"\nipv6 = \"10.0.0.1\"\nrole = \"boss\"\n",
            node("m1", 11, "master"),
            node("m1", 12, "master"),
        );
        let problems = parse(&text, dir.path(), Scope::Cluster).unwrap_err();
        let all = problems.join("\n");
        for want in [
            "nodes[1].name: `m1` is used by another node",
            "nodes[2].name: `M_1` must be",
            "nodes[2].role: `boss` must be master or agent",
            "nodes[2].address: `10.77.0.11` port 22 is used by another node",
            "nodes[2].private_ipv4: `fd77::1` is not an IPv4 address",
            "nodes[2].ipv6: `10.0.0.1` is not an IPv6 address",
        ] {
            assert!(all.contains(want), "missing `{want}` in:\n{all}");
        }
    }

    #[test]
    fn master_count_rules() {
        let dir = dir_with_files();
        let two = format!(
            "{HEAD}{}{}",
            node("m1", 11, "master"),
            node("m2", 12, "master")
        );
        let err = parse(&two, dir.path(), Scope::Cluster)
            .unwrap_err()
            .join("\n");
        assert!(
            err.contains("2 masters cannot keep a majority quorum"),
            "{err}"
        );
        let one = format!("{HEAD}{}", node("m1", 11, "master"));
        let inv = parse(&one, dir.path(), Scope::Cluster).unwrap();
        assert_eq!(
            inv.warnings,
            vec!["nodes: 1 master: no failover (ZooKeeper, Mesos and Marathon each run once); 3 are recommended"]
        );
        let agents_only = format!("{HEAD}{}", node("s1", 21, "agent"));
        let err = parse(&agents_only, dir.path(), Scope::Cluster)
            .unwrap_err()
            .join("\n");
        assert!(err.contains("agents need a master"), "{err}");
        // Bootstrap settings need no nodes at all.
        assert!(parse(HEAD, dir.path(), Scope::SettingsOnly).is_ok());
        // Reading a cluster without SSH needs no key or known_hosts file.
        let no_ssh = node("m1", 11, "master");
        let empty = tempfile::tempdir().unwrap();
        assert!(parse(&no_ssh, empty.path(), Scope::Cluster).is_err());
        assert!(parse(&no_ssh, empty.path(), Scope::ClusterWithoutSsh).is_ok());
    }

    #[test]
    fn missing_files_and_unknown_fields() {
        let dir = tempfile::tempdir().unwrap();
        let err = parse(HEAD, dir.path(), Scope::SettingsOnly)
            .unwrap_err()
            .join("\n");
        assert!(err.contains("ssh.private_key: file"), "{err}");
        assert!(err.contains("ssh.known_hosts: file"), "{err}");
        let err = parse("[ssh]\nusr = \"x\"\n", dir.path(), Scope::SettingsOnly).unwrap_err();
        assert!(err[0].contains("unknown field `usr`"), "{err:?}");
        let err = parse(
            "[ssh]\nuser = \"root\"\nprivate_key = \"k\"\nhost_key_policy = \"insecure\"\n[base]\nlvm_disk = \"sdb\"\n",
            dir.path(),
            Scope::SettingsOnly,
        )
        .unwrap_err()
        .join("\n");
        assert!(err.contains("ssh.user: `root`"), "{err}");
        assert!(err.contains("base.lvm_disk: `sdb`"), "{err}");
    }

    #[test]
    fn system_accounts_are_refused_as_the_operator() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("k"), "").unwrap();
        let err = parse(
            "[ssh]\nuser = \"operator\"\nprivate_key = \"k\"\nhost_key_policy = \"insecure\"\n",
            dir.path(),
            Scope::SettingsOnly,
        )
        .unwrap_err()
        .join("\n");
        assert!(err.contains("ssh.user: `operator`"), "{err}");
    }

    #[test]
    fn the_test_node_example_is_valid() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("keys")).unwrap();
        std::fs::write(dir.path().join("keys/ops_ed25519"), "k").unwrap();
        let text =
            include_str!("../examples/test-nodes.toml").replace("\"strict\"", "\"accept-new\"");
        let inv = parse(&text, dir.path(), Scope::Cluster).unwrap();
        assert_eq!(inv.nodes.len(), 12);
        assert_eq!(
            inv.nodes.iter().filter(|n| n.role == Role::Master).count(),
            3
        );
        assert_eq!(inv.settings.base.time.local_stratum, Some(8));
        let cluster = inv.cluster();
        assert_eq!(cluster.ensemble().len(), 3);
        assert_eq!(
            inv.settings.packages.as_ref().map(|p| p.preset),
            Some(Preset::DebianLocal)
        );
    }

    const DOCKER: &str = "[docker]\npackages = [\"docker.io\"]\n";

    #[test]
    fn mesos_tables_have_defaults() {
        let dir = dir_with_files();
        let text = format!(
            "{HEAD}{DOCKER}[packages]\npreset = \"aventer\"\n{}{}{}{}",
            node("m1", 11, "master"),
            node("m2", 12, "master"),
            node("m3", 13, "master"),
            node("s1", 21, "agent")
        );
        let inv = parse(&text, dir.path(), Scope::Cluster).unwrap();
        let s = &inv.settings;
        assert_eq!(s.cluster.name, "mesos-cluster");
        assert_eq!(s.cluster.wait_timeout, Duration::from_secs(300));
        assert_eq!(s.zookeeper.client_port, 2181);
        assert_eq!(s.zookeeper.data_dir, "/var/lib/zookeeper");
        assert_eq!(
            s.zookeeper.four_letter_words,
            vec!["srvr", "ruok", "mntr", "conf"]
        );
        assert_eq!(s.mesos.work_dir, "/var/lib/mesos");
        assert_eq!(s.mesos.containerizers, "docker,mesos");
        assert_eq!(s.mesos.executor_registration_timeout, "5mins");
        assert_eq!(s.marathon.http_port, 8080);
        assert_eq!(s.marathon.mesos_user, "root");
        assert_eq!(s.apps.docker_image, "python:3");
        assert_eq!(inv.nodes[0].zk_id, Some(1));
    }

    #[test]
    fn mesos_settings_errors_name_the_field() {
        let dir = dir_with_files();
        let text = format!(
            "{HEAD}[packages]\npreset = \"mesosphere\"\nmesos = [\"bad name\"]\n\
             [zookeeper]\nfour_letter_words = [\"ruok\", \"stats\"]\ndata_dir = \"var/zk\"\n\
             [mesos]\ncontainerizers = \"docker,lxc\"\nexecutor_registration_timeout = \"5 minutes\"\n\
             master_flags = {{ quorum = 3, \"Bad\" = \"x\" }}\n\
             [marathon]\nenv = {{ PATH = \"/x\", MARATHON_ZK = \"zk://x\" }}\n\
             [cluster]\nname = \"my cluster\"\n\
             {}{}[[nodes]]\nname = \"m3\"\naddress = \"10.77.0.13\"\nprivate_ipv4 = \"10.77.0.13\"\nrole = \"master\"\nzk_id = 300\n\
             [[nodes]]\nname = \"s1\"\naddress = \"10.77.0.21\"\nprivate_ipv4 = \"10.77.0.21\"\nrole = \"agent\"\nzk_id = 4\nresources = {{ cpus = \"1;2\" }}\n",
            node("m1", 11, "master"),
            node("m2", 12, "master"),
        );
        let err = parse(&text, dir.path(), Scope::Cluster)
            .unwrap_err()
            .join("\n");
        for want in [
            "packages.preset: unknown preset `mesosphere` (known: debian-local, aventer, mesosphere-el7, local-mirror)",
            "packages.mesos[0]: `bad name` is not `name` or `name=version`",
            "zookeeper.four_letter_words[1]: `stats` is not a four-letter word",
            "zookeeper.four_letter_words: must include `srvr`",
            "zookeeper.data_dir: `var/zk` must be an absolute path",
            "mesos.containerizers: `lxc` is not docker or mesos",
            "mesos.executor_registration_timeout: `5 minutes` is not a Mesos duration",
            "mesos.master_flags.quorum: set by the provisioner itself",
            "mesos.master_flags.Bad: a flag name is lowercase",
            "marathon.env.PATH: only MARATHON_*",
            "marathon.env.MARATHON_ZK: set by the provisioner itself",
            "cluster.name: `my cluster` must be letters",
            "nodes[2].zk_id: 300 is not a ZooKeeper id (1-255)",
            "nodes[2].zk_id: master `m3` needs an explicit ZooKeeper id",
            "nodes[3].zk_id: only masters run ZooKeeper (`s1` is not a master)",
            "nodes[3].resources.cpus: `1;2` must be one non-empty line without ';'",
        ] {
            assert!(err.contains(want), "missing `{want}` in:\n{err}");
        }
    }

    #[test]
    fn duplicate_zk_ids_and_mirror_rules() {
        let dir = dir_with_files();
        let text = format!(
            "{HEAD}[packages]\npreset = \"local-mirror\"\n{}{}{}",
            node("m1", 11, "master"),
            node("m2", 12, "master"),
            node("m3", 13, "master").replace("zk_id = 3", "zk_id = 1"),
        );
        let err = parse(&text, dir.path(), Scope::Cluster)
            .unwrap_err()
            .join("\n");
        assert!(
            err.contains("nodes[2].zk_id: 1 is also the id of `m1`"),
            "{err}"
        );
        assert!(
            err.contains("packages.mirror: preset local-mirror needs [packages.mirror]"),
            "{err}"
        );
        let text = format!(
            "{HEAD}[packages]\npreset = \"aventer\"\n[packages.mirror]\nyum_baseurl = \"http://x/\"\n"
        );
        let err = parse(&text, dir.path(), Scope::SettingsOnly)
            .unwrap_err()
            .join("\n");
        assert!(
            err.contains("packages.mirror: only preset local-mirror reads it"),
            "{err}"
        );
    }

    #[test]
    fn agent_resources_and_extra_flags() {
        let dir = dir_with_files();
        let text = format!(
            "{HEAD}{DOCKER}[packages]\npreset = \"debian-local\"\n[mesos]\nagent_flags = {{ \"?no-hostname_lookup\" = true, gc_delay = \"2days\" }}\n{}[[nodes]]\nname = \"s1\"\naddress = \"10.77.0.21\"\nprivate_ipv4 = \"10.77.0.21\"\nrole = \"agent\"\nresources = {{ cpus = 2, mem = 1024.5 }}\nattributes = {{ rack = \"r1\" }}\npublic_address = \"203.0.113.21\"\n",
            node("m1", 11, "master"),
        );
        let inv = parse(&text, dir.path(), Scope::Cluster).unwrap();
        let s1 = &inv.nodes[1];
        assert_eq!(s1.resources["cpus"], "2");
        assert_eq!(s1.resources["mem"], "1024.5");
        assert_eq!(s1.attributes["rack"], "r1");
        assert_eq!(s1.public_address.as_deref(), Some("203.0.113.21"));
        assert_eq!(inv.settings.mesos.agent_flags["gc_delay"], "2days");
        assert!(inv
            .settings
            .mesos
            .agent_flags
            .contains_key("?no-hostname_lookup"));
    }

    #[test]
    fn docker_key_must_be_armored() {
        let dir = dir_with_files();
        std::fs::write(dir.path().join("docker.gpg"), [0x99u8, 0x01, 0x0d]).unwrap();
        let text = format!("{HEAD}[docker]\n[docker.apt]\nsource = \"deb http://x/ y z\"\nkey_file = \"docker.gpg\"\n");
        let err = parse(&text, dir.path(), Scope::SettingsOnly)
            .unwrap_err()
            .join("\n");
        assert!(err.contains("docker.apt.key_file:"), "{err}");
        std::fs::write(
            dir.path().join("docker.gpg"),
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\nx\n-----END PGP PUBLIC KEY BLOCK-----\n",
        )
        .unwrap();
        assert!(parse(&text, dir.path(), Scope::SettingsOnly).is_ok());
    }

    #[test]
    fn docker_daemon_json_must_be_a_json_object() {
        let dir = dir_with_files();
        let ok = format!("{HEAD}[docker]\ndaemon_json = '{{\"log-driver\": \"journald\"}}'\n");
        let inv = parse(&ok, dir.path(), Scope::SettingsOnly).unwrap();
        assert_eq!(
            inv.settings.docker.unwrap().daemon_json.as_deref(),
            Some("{\"log-driver\": \"journald\"}\n")
        );
        let bad = format!("{HEAD}[docker]\ndaemon_json = '[1'\n");
        let err = parse(&bad, dir.path(), Scope::SettingsOnly)
            .unwrap_err()
            .join("\n");
        assert!(err.contains("docker.daemon_json: invalid JSON"), "{err}");
    }

    #[test]
    fn hostnames() {
        assert!(valid_hostname("node-1"));
        assert!(!valid_hostname("-a"));
        assert!(!valid_hostname("a.b"));
        assert!(!valid_hostname(""));
    }
}
