//! Operating system facts from `/etc/os-release`, and the supported families.

use serde::Serialize;

/// The supported OS families. Rendering of files and commands branches on these only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Family {
    /// CentOS 7 (repositories repointed to the vault).
    El7,
    /// RHEL-compatible 8 (Rocky, Alma, CentOS Stream, RHEL).
    El8,
    /// RHEL-compatible 9.
    El9,
    /// Debian 12 (bookworm).
    Debian12,
    /// Ubuntu 22.04 LTS.
    Ubuntu2204,
    /// Ubuntu 24.04 LTS.
    Ubuntu2404,
}

/// The package manager of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageManager {
    /// yum (EL 7)
    Yum,
    /// dnf (EL 8/9)
    Dnf,
    /// apt (Debian/Ubuntu)
    Apt,
}

impl Family {
    /// The package manager used on this family.
    pub fn package_manager(self) -> PackageManager {
        match self {
            Family::El7 => PackageManager::Yum,
            Family::El8 | Family::El9 => PackageManager::Dnf,
            _ => PackageManager::Apt,
        }
    }

    /// True for the RHEL-compatible families.
    pub fn is_el(self) -> bool {
        matches!(self, Family::El7 | Family::El8 | Family::El9)
    }

    /// The systemd unit of the OpenSSH server.
    pub fn sshd_service(self) -> &'static str {
        if self.is_el() {
            "sshd"
        } else {
            "ssh"
        }
    }
}

/// What was learned about a host's OS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OsFacts {
    /// `ID` from os-release.
    pub id: String,
    /// `VERSION_ID` from os-release.
    pub version_id: String,
    /// `PRETTY_NAME`, for messages.
    pub pretty_name: String,
    /// `VERSION_CODENAME` (Debian/Ubuntu), for apt source lines.
    pub codename: Option<String>,
    /// The supported family.
    pub family: Family,
}

/// Unsupported or unreadable OS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FactsError {
    /// A field is missing from os-release.
    #[error("/etc/os-release has no {0}")]
    Missing(&'static str),
    /// The OS is not one the provisioner supports.
    #[error("unsupported OS {pretty} (ID={id}, VERSION_ID={version}); supported: CentOS 7, Rocky/Alma/RHEL/CentOS Stream 8 and 9, Debian 12, Ubuntu 22.04 and 24.04")]
    Unsupported {
        /// ID
        id: String,
        /// VERSION_ID
        version: String,
        /// PRETTY_NAME
        pretty: String,
    },
}

fn field(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (k, v) = line.trim().split_once('=')?;
        (k == key).then(|| v.trim().trim_matches('"').trim_matches('\'').to_string())
    })
}

/// Parses `/etc/os-release` and maps it to a supported family.
pub fn parse_os_release(text: &str) -> Result<OsFacts, FactsError> {
    let id = field(text, "ID").ok_or(FactsError::Missing("ID"))?;
    let version_id = field(text, "VERSION_ID").ok_or(FactsError::Missing("VERSION_ID"))?;
    let pretty_name = field(text, "PRETTY_NAME").unwrap_or_else(|| format!("{id} {version_id}"));
    let id_like = field(text, "ID_LIKE").unwrap_or_default();
    let major = version_id.split('.').next().unwrap_or("");
    let el_like = matches!(
        id.as_str(),
        "centos" | "rocky" | "almalinux" | "rhel" | "ol"
    ) || (id_like.contains("rhel") && id != "fedora");
    let family = match (id.as_str(), major, version_id.as_str()) {
        ("centos", "7", _) => Some(Family::El7),
        (_, "8", _) if el_like => Some(Family::El8),
        (_, "9", _) if el_like => Some(Family::El9),
        ("debian", "12", _) => Some(Family::Debian12),
        ("ubuntu", _, "22.04") => Some(Family::Ubuntu2204),
        ("ubuntu", _, "24.04") => Some(Family::Ubuntu2404),
        _ => None,
    };
    let family = family.ok_or_else(|| FactsError::Unsupported {
        id: id.clone(),
        version: version_id.clone(),
        pretty: pretty_name.clone(),
    })?;
    Ok(OsFacts {
        id,
        version_id,
        pretty_name,
        codename: field(text, "VERSION_CODENAME").filter(|c| !c.is_empty()),
        family,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(id: &str, version: &str, like: &str) -> String {
        format!("NAME=\"x\"\nID={id}\nID_LIKE=\"{like}\"\nVERSION_ID=\"{version}\"\nPRETTY_NAME=\"{id} {version}\"\n")
    }

    #[test]
    fn supported_families() {
        let cases = [
            ("centos", "7", "rhel fedora", Family::El7),
            ("rocky", "8.10", "rhel centos fedora", Family::El8),
            ("almalinux", "9.4", "rhel centos fedora", Family::El9),
            ("centos", "9", "rhel fedora", Family::El9),
            ("debian", "12", "", Family::Debian12),
            ("ubuntu", "22.04", "debian", Family::Ubuntu2204),
            ("ubuntu", "24.04", "debian", Family::Ubuntu2404),
        ];
        for (id, v, like, fam) in cases {
            assert_eq!(
                parse_os_release(&os(id, v, like)).unwrap().family,
                fam,
                "{id} {v}"
            );
        }
    }

    #[test]
    fn unsupported_combinations_fail_with_a_clear_message() {
        for (id, v, like) in [
            ("centos", "6", "rhel"),
            ("rocky", "10.0", "rhel"),
            ("debian", "11", ""),
            ("ubuntu", "20.04", "debian"),
            ("fedora", "40", ""),
        ] {
            let err = parse_os_release(&os(id, v, like)).unwrap_err();
            assert!(err.to_string().contains("unsupported OS"), "{err}");
            assert!(err.to_string().contains(v));
        }
        assert_eq!(
            parse_os_release("ID=debian\n").unwrap_err(),
            FactsError::Missing("VERSION_ID")
        );
    }

    #[test]
    fn codename_is_read_when_present() {
        let deb = "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";
        assert_eq!(
            parse_os_release(deb).unwrap().codename.as_deref(),
            Some("bookworm")
        );
        assert_eq!(
            parse_os_release(&os("rocky", "9.4", "rhel"))
                .unwrap()
                .codename,
            None
        );
    }

    #[test]
    fn family_properties() {
        assert_eq!(Family::El7.package_manager(), PackageManager::Yum);
        assert_eq!(Family::El9.package_manager(), PackageManager::Dnf);
        assert_eq!(Family::Ubuntu2404.package_manager(), PackageManager::Apt);
        assert_eq!(Family::El8.sshd_service(), "sshd");
        assert_eq!(Family::Debian12.sshd_service(), "ssh");
    }
}
