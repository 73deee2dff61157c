//! The inventory file (TOML): parsing and validation before any connection is made.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::render::docker::{AptRepo, YumRepo};
use crate::render::packages::{PackageSpec, UpdateMode};
use crate::render::time::TimeSettings;
use crate::ssh::HostKeyPolicy;

/// A node's role in the Mesos cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
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

/// Everything except the node list.
#[derive(Debug, Clone)]
pub struct Settings {
    /// SSH.
    pub ssh: SshSettings,
    /// Parallelism (`None` = all hosts at once).
    pub forks: Option<usize>,
    /// Base role.
    pub base: BaseSettings,
    /// Docker (`None` = not managed).
    pub docker: Option<DockerSettings>,
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
    nodes: Vec<RawNode>,
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
    let private_key = match raw.ssh.private_key {
        Some(p) => resolve(&p),
        None => {
            problems.push("ssh.private_key: required (the operator's private key)".to_string());
            PathBuf::new()
        }
    };
    if !private_key.as_os_str().is_empty() && !private_key.is_file() {
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
    if policy == HostKeyPolicy::Strict && !known_hosts.is_file() {
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
        nodes.push(Node {
            name: n.name,
            address: n.address,
            port,
            ipv4,
            ipv6,
            role,
        });
    }
    if scope == Scope::Cluster {
        let masters = nodes.iter().filter(|n| n.role == Role::Master).count();
        if nodes.is_empty() {
            problems.push("nodes: at least one [[nodes]] entry is required".to_string());
        } else if masters == 0 {
            problems.push("nodes: at least one node needs role = \"master\"".to_string());
        } else if masters % 2 == 0 {
            problems.push(format!(
                "nodes: {masters} masters cannot form a majority quorum; use an odd number (3 recommended)"
            ));
        } else if masters != 3 {
            warnings.push(format!("nodes: {masters} masters; 3 are recommended"));
        }
    }
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
        },
        nodes,
        warnings,
    })
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

    fn dir_with_files() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("id_ed25519"), "k").unwrap();
        std::fs::write(dir.path().join("known_hosts"), "").unwrap();
        dir
    }

    fn node(name: &str, o: u8, role: &str) -> String {
        format!(
            "[[nodes]]\nname = \"{name}\"\naddress = \"10.77.0.{o}\"\nprivate_ipv4 = \"10.77.0.{o}\"\nipv6 = \"fd77::{o}\"\nrole = \"{role}\"\n"
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
            err.contains("2 masters cannot form a majority quorum"),
            "{err}"
        );
        let one = format!("{HEAD}{}", node("m1", 11, "master"));
        let inv = parse(&one, dir.path(), Scope::Cluster).unwrap();
        assert_eq!(inv.warnings, vec!["nodes: 1 masters; 3 are recommended"]);
        // Bootstrap settings need no nodes at all.
        assert!(parse(HEAD, dir.path(), Scope::SettingsOnly).is_ok());
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
