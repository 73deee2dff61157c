//! Package queries, installs and OS updates per package manager.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::facts::PackageManager;
use crate::remote::sh_quote;

/// A package, optionally pinned: written `name` or `name=version` in the inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSpec {
    /// Package name.
    pub name: String,
    /// Pinned version (apt: the Debian version; yum/dnf: `[epoch:]version-release` prefix).
    pub version: Option<String>,
}

impl PackageSpec {
    /// Parses `name` or `name=version`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (name, version) = match text.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim().to_string())),
            None => (text.trim(), None),
        };
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-._".contains(c));
        if !valid || version.as_deref() == Some("") {
            return Err(format!("`{text}` is not `name` or `name=version`"));
        }
        Ok(PackageSpec {
            name: name.to_string(),
            version,
        })
    }

    fn install_arg(&self, pm: PackageManager) -> String {
        match (&self.version, pm) {
            (None, _) => self.name.clone(),
            (Some(v), PackageManager::Apt) => format!("{}={v}", self.name),
            (Some(v), _) => format!("{}-{v}", self.name),
        }
    }
}

/// How much of the OS to update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateMode {
    /// Security updates only (default).
    #[default]
    Security,
    /// Every available update.
    All,
    /// No updates.
    Off,
}

const APT_ENV: &str = "DEBIAN_FRONTEND=noninteractive";
const APT_OPTS: &str =
    "-y -q -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold";

fn names(specs: &[PackageSpec]) -> String {
    specs
        .iter()
        .map(|s| sh_quote(&s.name))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A read-only command printing `name version` for each installed package among `specs`.
pub fn query_installed(pm: PackageManager, specs: &[PackageSpec]) -> String {
    match pm {
        PackageManager::Apt => format!(
            "dpkg-query -W -f='${{Package}} ${{Version}} ${{db:Status-Abbrev}}\\n' {} 2>/dev/null | awk '$3 ~ /^ii/ {{print $1, $2}}'; true",
            names(specs)
        ),
        _ => format!(
            "rpm -q --qf '%{{NAME}} %{{EPOCH}}:%{{VERSION}}-%{{RELEASE}}\\n' {} 2>/dev/null | grep -v 'is not installed'; true",
            names(specs)
        ),
    }
}

/// Parses the output of [`query_installed`].
pub fn parse_installed(output: &str) -> HashMap<String, String> {
    output
        .lines()
        .filter_map(|l| {
            let (n, v) = l.trim().split_once(' ')?;
            Some((n.to_string(), v.trim().to_string()))
        })
        .collect()
}

fn version_matches(want: &str, have: &str) -> bool {
    if want == have {
        return true;
    }
    // rpm: "(none):1.2-3" or "3:1.2-3"; accept a match without the epoch or as a prefix.
    let no_epoch = have.split_once(':').map(|(_, r)| r).unwrap_or(have);
    no_epoch == want || have.starts_with(want) || no_epoch.starts_with(want)
}

/// The specs that are missing or installed at another version than pinned.
pub fn missing<'a>(
    specs: &'a [PackageSpec],
    installed: &HashMap<String, String>,
) -> Vec<&'a PackageSpec> {
    specs
        .iter()
        .filter(|s| match (installed.get(&s.name), &s.version) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(have), Some(want)) => !version_matches(want, have),
        })
        .collect()
}

/// Installs (or moves to the pinned version) the given packages.
pub fn install(pm: PackageManager, specs: &[&PackageSpec]) -> String {
    let args: Vec<String> = specs.iter().map(|s| sh_quote(&s.install_arg(pm))).collect();
    let args = args.join(" ");
    match pm {
        PackageManager::Apt => {
            format!("{APT_ENV} apt-get install {APT_OPTS} --allow-downgrades {args}")
        }
        PackageManager::Dnf => format!("dnf install -y {args}"),
        PackageManager::Yum => format!("yum install -y {args}"),
    }
}

/// Marks the `policy-rc.d` this provisioner installs (and removes again).
const POLICY_MARK: &str = "mesos-provisioner";

/// Wraps an install so that Debian maintainer scripts do not start services: a `policy-rc.d`
/// that denies every action (exit 101) exists for the duration, unless the node already has one
/// of its own (then it is left alone). yum/dnf installs are returned unchanged.
pub fn without_service_start(pm: PackageManager, install: &str) -> String {
    match pm {
        PackageManager::Apt => format!(
            "p=/usr/sbin/policy-rc.d; if [ ! -e $p ] || grep -q {POLICY_MARK} $p; then printf '#!/bin/sh\\n# {POLICY_MARK}: no service starts during this install\\nexit 101\\n' > $p && chmod 755 $p && trap 'rm -f $p' EXIT; fi; {install}"
        ),
        _ => install.to_string(),
    }
}

/// Refreshes the package index (apt) or metadata (yum/dnf makecache).
pub fn refresh(pm: PackageManager) -> &'static str {
    match pm {
        PackageManager::Apt => "apt-get update -q",
        PackageManager::Dnf => "dnf -q makecache",
        PackageManager::Yum => "yum -q makecache fast",
    }
}

/// A read-only command listing pending updates (see [`parse_pending`]). yum/dnf exit 100 when
/// updates exist; that is folded into success here.
pub fn pending_updates(pm: PackageManager, mode: UpdateMode) -> String {
    let security = if mode == UpdateMode::Security {
        " --security"
    } else {
        ""
    };
    match pm {
        PackageManager::Apt => "apt-get -s -q -o Debug::NoLocking=1 dist-upgrade".to_string(),
        PackageManager::Dnf | PackageManager::Yum => {
            let tool = if pm == PackageManager::Dnf {
                "dnf"
            } else {
                "yum"
            };
            format!("{tool} -q check-update{security}; rc=$?; if [ $rc -eq 100 ]; then exit 0; fi; exit $rc")
        }
    }
}

/// Package names with a pending update, from [`pending_updates`] output. On apt, security mode
/// keeps only upgrades coming from a `*-security` archive.
pub fn parse_pending(pm: PackageManager, mode: UpdateMode, output: &str) -> Vec<String> {
    let mut out = Vec::new();
    match pm {
        PackageManager::Apt => {
            for line in output.lines() {
                let Some(rest) = line.strip_prefix("Inst ") else {
                    continue;
                };
                let name = rest.split_whitespace().next().unwrap_or_default();
                let origin = rest.split_once('(').map(|(_, o)| o).unwrap_or("");
                let is_security = origin.to_ascii_lowercase().contains("security");
                if mode == UpdateMode::All || is_security {
                    out.push(name.to_string());
                }
            }
        }
        _ => {
            for line in output.lines() {
                if line.trim().is_empty() || line.starts_with(' ') {
                    continue;
                }
                if line.starts_with("Obsoleting") || line.starts_with("Security:") {
                    break;
                }
                let fields: Vec<&str> = line.split_whitespace().collect();
                if fields.len() == 3 {
                    let name = fields[0]
                        .rsplit_once('.')
                        .map(|(n, _)| n)
                        .unwrap_or(fields[0]);
                    out.push(name.to_string());
                }
            }
        }
    }
    out
}

/// A read-only command exiting 0 exactly when a reboot is needed to activate installed updates
/// (`/var/run/reboot-required` on Debian/Ubuntu; `needs-restarting -r` on EL, which exits 1
/// when a reboot is needed; without it, nothing is claimed).
pub fn reboot_required(pm: PackageManager) -> &'static str {
    match pm {
        PackageManager::Apt => "test -f /var/run/reboot-required",
        _ => "command -v needs-restarting >/dev/null && ! needs-restarting -r >/dev/null",
    }
}

/// Applies pending updates. On apt in security mode only the named packages are upgraded.
pub fn apply_updates(pm: PackageManager, mode: UpdateMode, pending: &[String]) -> String {
    match (pm, mode) {
        (PackageManager::Apt, UpdateMode::Security) => {
            let args: Vec<String> = pending.iter().map(|p| sh_quote(p)).collect();
            format!(
                "{APT_ENV} apt-get install --only-upgrade {APT_OPTS} {}",
                args.join(" ")
            )
        }
        (PackageManager::Apt, _) => format!("{APT_ENV} apt-get dist-upgrade {APT_OPTS}"),
        (PackageManager::Dnf, UpdateMode::Security) => "dnf upgrade -y --security".to_string(),
        (PackageManager::Dnf, _) => "dnf upgrade -y".to_string(),
        (PackageManager::Yum, UpdateMode::Security) => "yum update -y --security".to_string(),
        (PackageManager::Yum, _) => "yum update -y".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_parsing() {
        assert_eq!(
            PackageSpec::parse("docker-ce=5:27.1.1-1~debian.12~bookworm").unwrap(),
            PackageSpec {
                name: "docker-ce".into(),
                version: Some("5:27.1.1-1~debian.12~bookworm".into())
            }
        );
        assert!(PackageSpec::parse("bad name").is_err());
        assert!(PackageSpec::parse("x=").is_err());
    }

    #[test]
    fn install_commands_per_manager() {
        let specs = [
            PackageSpec::parse("docker-ce=3:24.0.7-1.el8").unwrap(),
            PackageSpec::parse("containerd.io").unwrap(),
        ];
        let refs: Vec<&PackageSpec> = specs.iter().collect();
        assert_eq!(
            install(PackageManager::Dnf, &refs),
            "dnf install -y docker-ce-3:24.0.7-1.el8 containerd.io"
        );
        assert_eq!(
            install(PackageManager::Yum, &refs[1..]),
            "yum install -y containerd.io"
        );
        let apt = install(PackageManager::Apt, &refs);
        assert!(apt.starts_with("DEBIAN_FRONTEND=noninteractive apt-get install -y"));
        assert!(apt.ends_with("docker-ce=3:24.0.7-1.el8 containerd.io"));
    }

    #[test]
    fn service_start_is_suppressed_only_on_apt_and_only_with_our_policy() {
        let apt = without_service_start(PackageManager::Apt, "apt-get install -y mesos");
        assert!(apt.starts_with(
            "p=/usr/sbin/policy-rc.d; if [ ! -e $p ] || grep -q mesos-provisioner $p;"
        ));
        assert!(apt.contains("exit 101"));
        assert!(apt.contains("trap 'rm -f $p' EXIT"));
        assert!(apt.ends_with("; apt-get install -y mesos"));
        // The policy script the command writes denies every action.
        let script = apt
            .split("printf '")
            .nth(1)
            .unwrap()
            .split("' >")
            .next()
            .unwrap();
        assert_eq!(
            script.replace("\\n", "\n"),
            "#!/bin/sh\n# mesos-provisioner: no service starts during this install\nexit 101\n"
        );
        assert_eq!(
            without_service_start(PackageManager::Dnf, "dnf install -y mesos"),
            "dnf install -y mesos"
        );
    }

    #[test]
    fn installed_and_missing() {
        let installed = parse_installed("docker.io 20.10.24+dfsg1-1+b3\nchrony (none):4.3-2\n");
        let specs = [
            PackageSpec::parse("docker.io").unwrap(),
            PackageSpec::parse("chrony=4.3-2").unwrap(),
            PackageSpec::parse("lvm2").unwrap(),
            PackageSpec::parse("docker.io=1.0").unwrap(),
        ];
        let names: Vec<&str> = missing(&specs, &installed)
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, vec!["lvm2", "docker.io"]);
        assert!(query_installed(PackageManager::Apt, &specs[..1]).contains("dpkg-query"));
        assert!(query_installed(PackageManager::Dnf, &specs[..1]).contains("rpm -q"));
    }

    #[test]
    fn apt_pending_security_vs_all() {
        let sim = "NOTE: simulation\nInst libssl3 [3.0.20-1~deb12u1] (3.0.22-1~deb12u2 Debian-Security:12/stable-security [amd64])\nInst tzdata [2024a-0+deb12u1] (2025b-0+deb12u1 Debian:12.12/stable [all])\nConf libssl3 (3.0.22)\n";
        assert_eq!(
            parse_pending(PackageManager::Apt, UpdateMode::Security, sim),
            vec!["libssl3"]
        );
        assert_eq!(
            parse_pending(PackageManager::Apt, UpdateMode::All, sim),
            vec!["libssl3", "tzdata"]
        );
        let cmd = apply_updates(
            PackageManager::Apt,
            UpdateMode::Security,
            &["libssl3".into()],
        );
        assert!(cmd.contains("--only-upgrade") && cmd.ends_with("libssl3"));
        assert!(apply_updates(PackageManager::Apt, UpdateMode::All, &[]).contains("dist-upgrade"));
    }

    #[test]
    fn el_pending_and_commands() {
        let out = "\nkernel.x86_64   3.10.0-1160.119.1.el7   updates\nopenssl-libs.x86_64 1:1.0.2k-26.el7_9 updates\nObsoleting Packages\nfoo.x86_64 1-1 base\n";
        assert_eq!(
            parse_pending(PackageManager::Yum, UpdateMode::All, out),
            vec!["kernel", "openssl-libs"]
        );
        assert!(pending_updates(PackageManager::Yum, UpdateMode::Security)
            .starts_with("yum -q check-update --security"));
        assert!(pending_updates(PackageManager::Dnf, UpdateMode::All)
            .starts_with("dnf -q check-update;"));
        assert_eq!(
            apply_updates(PackageManager::Dnf, UpdateMode::Security, &[]),
            "dnf upgrade -y --security"
        );
        assert_eq!(
            apply_updates(PackageManager::Yum, UpdateMode::All, &[]),
            "yum update -y"
        );
        assert_eq!(refresh(PackageManager::Yum), "yum -q makecache fast");
    }
}
