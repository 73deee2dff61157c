//! Where ZooKeeper, Mesos and Marathon come from: named presets of package sources, rendered per
//! OS family into a repository file, package names and the ZooKeeper package's layout.
//!
//! Apache Mesos is retired and Marathon archived, so no source is guaranteed to answer: every
//! preset is plain configuration, and `local-mirror` points at whatever the operator hosts.
//! Facts that no public source confirmed are marked "(unverified)" here and in the README.

use std::fmt;
use std::str::FromStr;

use crate::facts::Family;
use crate::render::packages::PackageSpec;

/// apt source file of the Mesos packages.
pub const APT_LIST: &str = "/etc/apt/sources.list.d/mesos-provisioner-mesos.list";
/// Where `packages.apt_key_file` is copied (referenced by `signed-by=`).
pub const APT_KEY: &str = "/etc/apt/keyrings/mesos-provisioner-mesos.asc";
/// yum/dnf repository file of the Mesos packages.
pub const YUM_REPO: &str = "/etc/yum.repos.d/mesos-provisioner-mesos.repo";

/// A named set of package sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// The packages already reachable through the node's configured apt sources (the test nodes'
    /// offline repositories), Debian package names. Debian/Ubuntu only.
    DebianLocal,
    /// AVENTER's community builds of Mesos 1.11 and Marathon (`rpm.aventer.biz`): EL 7, EL 8 and
    /// Debian.
    Aventer,
    /// The original Mesosphere repository for EL 7 (legacy; may no longer answer).
    MesosphereEl7,
    /// The operator's own mirror: `[packages.mirror]` gives the apt source and/or yum baseurl.
    LocalMirror,
}

impl Preset {
    /// Every preset, in documentation order.
    pub const ALL: [Preset; 4] = [
        Preset::DebianLocal,
        Preset::Aventer,
        Preset::MesosphereEl7,
        Preset::LocalMirror,
    ];

    /// The name used in the inventory.
    pub fn name(self) -> &'static str {
        match self {
            Preset::DebianLocal => "debian-local",
            Preset::Aventer => "aventer",
            Preset::MesosphereEl7 => "mesosphere-el7",
            Preset::LocalMirror => "local-mirror",
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
                format!("unknown preset `{s}` (known: {})", names.join(", "))
            })
    }
}

/// The operator's mirror (`[packages.mirror]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// One `deb ...` line for Debian/Ubuntu nodes.
    pub apt_source: Option<String>,
    /// yum/dnf `baseurl` for EL nodes.
    pub yum_baseurl: Option<String>,
    /// yum/dnf `gpgkey`.
    pub gpgkey: Option<String>,
    /// yum/dnf `gpgcheck`.
    pub gpgcheck: bool,
}

/// A repository file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoFile {
    /// Path on the node.
    pub path: &'static str,
    /// Full content.
    pub content: String,
}

/// How the ZooKeeper package is laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkFlavour {
    /// systemd unit.
    pub service: String,
    /// `zoo.cfg`.
    pub config_file: String,
    /// The user the server runs as (owner of `dataDir`), when the package makes one.
    pub user: Option<String>,
}

/// Everything the roles install, for one preset on one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sources {
    /// Repository file (`None`: the node's configured sources are used as they are).
    pub repo: Option<RepoFile>,
    /// Whether the apt key (`packages.apt_key_file`) must be installed at [`APT_KEY`].
    pub needs_apt_key: bool,
    /// Mesos packages (master and agent).
    pub mesos: Vec<PackageSpec>,
    /// Marathon packages.
    pub marathon: Vec<PackageSpec>,
    /// ZooKeeper server packages.
    pub zookeeper: Vec<PackageSpec>,
    /// ZooKeeper package layout.
    pub zk: ZkFlavour,
}

fn pkgs(names: &[&str]) -> Vec<PackageSpec> {
    names
        .iter()
        .map(|n| PackageSpec {
            name: n.to_string(),
            version: None,
        })
        .collect()
}

/// Debian's `zookeeperd`: `/etc/zookeeper/conf` (an alternatives link), user `zookeeper`.
fn debian_zk() -> ZkFlavour {
    ZkFlavour {
        service: "zookeeper".into(),
        config_file: "/etc/zookeeper/conf/zoo.cfg".into(),
        user: Some("zookeeper".into()),
    }
}

/// EL ZooKeeper packages (Mesosphere's `mesosphere-zookeeper`, AVENTER's): `zoo.cfg` in
/// `/etc/zookeeper/conf` (unverified for AVENTER), no dedicated user assumed.
fn el_zk() -> ZkFlavour {
    ZkFlavour {
        service: "zookeeper".into(),
        config_file: "/etc/zookeeper/conf/zoo.cfg".into(),
        user: None,
    }
}

fn yum_repo(sections: &[(&str, &str, &str)], gpgcheck: bool, gpgkey: Option<&str>) -> String {
    let mut out = super::MANAGED.to_string();
    out.push('\n');
    for (i, (id, name, baseurl)) in sections.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!(
            "[{id}]\nname={name}\nbaseurl={baseurl}\nenabled=1\ngpgcheck={}\n",
            u8::from(gpgcheck)
        ));
        if let Some(key) = gpgkey {
            out.push_str(&format!("gpgkey={key}\n"));
        }
    }
    out
}

fn apt_list(line: &str) -> String {
    format!("{}\n{}\n", super::MANAGED, line.trim())
}

const AVENTER_GPGKEY: &str = "https://www.aventer.biz/CentOS/support_aventer.asc";
const MESOSPHERE_GPGKEY: &str = "https://repos.mesosphere.com/el/RPM-GPG-KEY-mesosphere";

/// Resolves a preset for a node's family (`codename` from os-release, for apt lines).
pub fn resolve(
    preset: Preset,
    family: Family,
    codename: Option<&str>,
    mirror: Option<&Mirror>,
) -> Result<Sources, String> {
    let apt = !family.is_el();
    match preset {
        Preset::DebianLocal => {
            if !apt {
                return Err(format!(
                    "packages.preset debian-local is for Debian/Ubuntu nodes (this node is {family:?}); use aventer, mesosphere-el7 or local-mirror"
                ));
            }
            Ok(Sources {
                repo: None,
                needs_apt_key: false,
                mesos: pkgs(&["mesos"]),
                marathon: pkgs(&["marathon"]),
                zookeeper: pkgs(&["zookeeperd"]),
                zk: debian_zk(),
            })
        }
        Preset::Aventer => match family {
            Family::El7 | Family::El8 => {
                // The paths seen in AVENTER's public material are CentOS/<7>/<arch> and
                // AlmaLinux/<8>/<arch> (unverified beyond those paths).
                let distro = if family == Family::El7 {
                    "CentOS"
                } else {
                    "AlmaLinux"
                };
                Ok(Sources {
                    repo: Some(RepoFile {
                        path: YUM_REPO,
                        content: yum_repo(
                            &[(
                                "mesos-provisioner-aventer",
                                "AVENTER Mesos, Marathon and ZooKeeper (mesos-provisioner)",
                                &format!("https://rpm.aventer.biz/{distro}/$releasever/$basearch/"),
                            )],
                            true,
                            Some(AVENTER_GPGKEY),
                        ),
                    }),
                    needs_apt_key: false,
                    mesos: pkgs(&["mesos"]),
                    marathon: pkgs(&["marathon"]),
                    zookeeper: pkgs(&["zookeeper"]),
                    zk: el_zk(),
                })
            }
            Family::Debian12 => {
                let codename = codename.unwrap_or("bookworm");
                Ok(Sources {
                    repo: Some(RepoFile {
                        path: APT_LIST,
                        content: apt_list(&format!(
                            "deb [signed-by={APT_KEY}] https://rpm.aventer.biz/Debian/ {codename} main"
                        )),
                    }),
                    needs_apt_key: true,
                    mesos: pkgs(&["aventer-mesos"]),
                    marathon: pkgs(&["marathon"]),
                    zookeeper: pkgs(&["zookeeperd"]),
                    zk: debian_zk(),
                })
            }
            other => Err(format!(
                "packages.preset aventer has packages for EL 7, EL 8 and Debian only (this node is {other:?}); use local-mirror"
            )),
        },
        Preset::MesosphereEl7 => {
            if family != Family::El7 {
                return Err(format!(
                    "packages.preset mesosphere-el7 is for CentOS 7 nodes only (this node is {family:?})"
                ));
            }
            Ok(Sources {
                repo: Some(RepoFile {
                    path: YUM_REPO,
                    content: yum_repo(
                        &[
                            (
                                "mesos-provisioner-mesosphere",
                                "Mesosphere packages for EL 7 - $basearch (mesos-provisioner)",
                                "http://repos.mesosphere.com/el/7/$basearch/",
                            ),
                            (
                                "mesos-provisioner-mesosphere-noarch",
                                "Mesosphere packages for EL 7 - noarch (mesos-provisioner)",
                                "http://repos.mesosphere.com/el/7/noarch/",
                            ),
                        ],
                        true,
                        Some(MESOSPHERE_GPGKEY),
                    ),
                }),
                needs_apt_key: false,
                mesos: pkgs(&["mesos"]),
                marathon: pkgs(&["marathon"]),
                zookeeper: pkgs(&["mesosphere-zookeeper"]),
                zk: el_zk(),
            })
        }
        Preset::LocalMirror => {
            let m = mirror.ok_or("packages.mirror: preset local-mirror needs [packages.mirror]")?;
            if apt {
                let line = m.apt_source.as_deref().ok_or_else(|| {
                    format!("packages.mirror.apt_source: needed for this {family:?} node")
                })?;
                Ok(Sources {
                    repo: Some(RepoFile {
                        path: APT_LIST,
                        content: apt_list(line),
                    }),
                    needs_apt_key: line.contains(APT_KEY),
                    mesos: pkgs(&["mesos"]),
                    marathon: pkgs(&["marathon"]),
                    zookeeper: pkgs(&["zookeeperd"]),
                    zk: debian_zk(),
                })
            } else {
                let baseurl = m.yum_baseurl.as_deref().ok_or_else(|| {
                    format!("packages.mirror.yum_baseurl: needed for this {family:?} node")
                })?;
                Ok(Sources {
                    repo: Some(RepoFile {
                        path: YUM_REPO,
                        content: yum_repo(
                            &[(
                                "mesos-provisioner-mirror",
                                "Mesos, Marathon and ZooKeeper from the local mirror (mesos-provisioner)",
                                baseurl,
                            )],
                            m.gpgcheck,
                            m.gpgkey.as_deref(),
                        ),
                    }),
                    needs_apt_key: false,
                    mesos: pkgs(&["mesos"]),
                    marathon: pkgs(&["marathon"]),
                    zookeeper: pkgs(&["mesosphere-zookeeper"]),
                    zk: el_zk(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = "# Managed by mesos-provisioner; local changes are overwritten.\n";

    fn mirror() -> Mirror {
        Mirror {
            apt_source: Some(format!(
                "deb [signed-by={APT_KEY}] http://mirror.example/mesos bookworm main"
            )),
            yum_baseurl: Some("http://mirror.example/mesos/el/$releasever/$basearch/".into()),
            gpgkey: Some("http://mirror.example/mesos/RPM-GPG-KEY".into()),
            gpgcheck: true,
        }
    }

    #[test]
    fn preset_names_parse_and_unknown_ones_are_listed() {
        assert_eq!("aventer".parse::<Preset>().unwrap(), Preset::Aventer);
        assert_eq!(
            "mesosphere".parse::<Preset>().unwrap_err(),
            "unknown preset `mesosphere` (known: debian-local, aventer, mesosphere-el7, local-mirror)"
        );
    }

    #[test]
    fn debian_local_writes_no_repository_and_uses_debian_names() {
        for fam in [Family::Debian12, Family::Ubuntu2204, Family::Ubuntu2404] {
            let s = resolve(Preset::DebianLocal, fam, Some("bookworm"), None).unwrap();
            assert_eq!(s.repo, None);
            assert_eq!(s.zookeeper, pkgs(&["zookeeperd"]));
            assert_eq!(s.zk.config_file, "/etc/zookeeper/conf/zoo.cfg");
            assert_eq!(s.zk.user.as_deref(), Some("zookeeper"));
        }
        let err = resolve(Preset::DebianLocal, Family::El8, None, None).unwrap_err();
        assert!(err.contains("is for Debian/Ubuntu nodes"), "{err}");
    }

    #[test]
    fn aventer_el7_repository_file() {
        let s = resolve(Preset::Aventer, Family::El7, None, None).unwrap();
        let repo = s.repo.unwrap();
        assert_eq!(repo.path, "/etc/yum.repos.d/mesos-provisioner-mesos.repo");
        assert_eq!(
            repo.content,
            format!("{M}[mesos-provisioner-aventer]\nname=AVENTER Mesos, Marathon and ZooKeeper (mesos-provisioner)\nbaseurl=https://rpm.aventer.biz/CentOS/$releasever/$basearch/\nenabled=1\ngpgcheck=1\ngpgkey=https://www.aventer.biz/CentOS/support_aventer.asc\n")
        );
        assert_eq!(s.mesos, pkgs(&["mesos"]));
    }

    #[test]
    fn aventer_el8_repository_file_and_no_el9() {
        let s = resolve(Preset::Aventer, Family::El8, None, None).unwrap();
        assert_eq!(
            s.repo.unwrap().content,
            format!("{M}[mesos-provisioner-aventer]\nname=AVENTER Mesos, Marathon and ZooKeeper (mesos-provisioner)\nbaseurl=https://rpm.aventer.biz/AlmaLinux/$releasever/$basearch/\nenabled=1\ngpgcheck=1\ngpgkey=https://www.aventer.biz/CentOS/support_aventer.asc\n")
        );
        let err = resolve(Preset::Aventer, Family::El9, None, None).unwrap_err();
        assert!(err.contains("EL 7, EL 8 and Debian only"), "{err}");
        assert!(resolve(Preset::Aventer, Family::Ubuntu2404, Some("noble"), None).is_err());
    }

    #[test]
    fn aventer_debian_list_needs_the_key() {
        let s = resolve(Preset::Aventer, Family::Debian12, Some("bookworm"), None).unwrap();
        let repo = s.repo.unwrap();
        assert_eq!(
            repo.path,
            "/etc/apt/sources.list.d/mesos-provisioner-mesos.list"
        );
        assert_eq!(
            repo.content,
            format!("{M}deb [signed-by=/etc/apt/keyrings/mesos-provisioner-mesos.asc] https://rpm.aventer.biz/Debian/ bookworm main\n")
        );
        assert!(s.needs_apt_key);
        assert_eq!(s.mesos, pkgs(&["aventer-mesos"]));
        assert_eq!(s.zookeeper, pkgs(&["zookeeperd"]));
    }

    #[test]
    fn mesosphere_el7_repository_file() {
        let s = resolve(Preset::MesosphereEl7, Family::El7, None, None).unwrap();
        assert_eq!(
            s.repo.unwrap().content,
            format!("{M}[mesos-provisioner-mesosphere]\nname=Mesosphere packages for EL 7 - $basearch (mesos-provisioner)\nbaseurl=http://repos.mesosphere.com/el/7/$basearch/\nenabled=1\ngpgcheck=1\ngpgkey=https://repos.mesosphere.com/el/RPM-GPG-KEY-mesosphere\n\n[mesos-provisioner-mesosphere-noarch]\nname=Mesosphere packages for EL 7 - noarch (mesos-provisioner)\nbaseurl=http://repos.mesosphere.com/el/7/noarch/\nenabled=1\ngpgcheck=1\ngpgkey=https://repos.mesosphere.com/el/RPM-GPG-KEY-mesosphere\n")
        );
        assert_eq!(s.zookeeper, pkgs(&["mesosphere-zookeeper"]));
        assert!(resolve(Preset::MesosphereEl7, Family::El8, None, None).is_err());
    }

    #[test]
    fn local_mirror_el7_el8_el9_repository_file() {
        for fam in [Family::El7, Family::El8, Family::El9] {
            let s = resolve(Preset::LocalMirror, fam, None, Some(&mirror())).unwrap();
            assert_eq!(
                s.repo.unwrap().content,
                format!("{M}[mesos-provisioner-mirror]\nname=Mesos, Marathon and ZooKeeper from the local mirror (mesos-provisioner)\nbaseurl=http://mirror.example/mesos/el/$releasever/$basearch/\nenabled=1\ngpgcheck=1\ngpgkey=http://mirror.example/mesos/RPM-GPG-KEY\n"),
                "{fam:?}"
            );
        }
    }

    #[test]
    fn local_mirror_debian_ubuntu_list() {
        for fam in [Family::Debian12, Family::Ubuntu2204, Family::Ubuntu2404] {
            let s = resolve(Preset::LocalMirror, fam, Some("jammy"), Some(&mirror())).unwrap();
            assert_eq!(
                s.repo.unwrap().content,
                format!("{M}deb [signed-by=/etc/apt/keyrings/mesos-provisioner-mesos.asc] http://mirror.example/mesos bookworm main\n")
            );
            assert!(s.needs_apt_key);
        }
        let mut m = mirror();
        m.yum_baseurl = None;
        let err = resolve(Preset::LocalMirror, Family::El9, None, Some(&m)).unwrap_err();
        assert!(
            err.starts_with("packages.mirror.yum_baseurl: needed"),
            "{err}"
        );
        m.apt_source = Some("deb [trusted=yes] file:/srv/mesos ./".into());
        let s = resolve(Preset::LocalMirror, Family::Debian12, None, Some(&m)).unwrap();
        assert!(!s.needs_apt_key);
    }
}
