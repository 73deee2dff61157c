//! The base role, on every node: the operator's access and a hardened, consistent base.
//!
//! - phase `access`: operator user, sudo drop-in, authorized key, key-login proof, sshd
//!   hardening;
//! - phase `base`: CentOS 7 vault repositories, OS updates, time sync, host name, `/etc/hosts`,
//!   LVM root extension, Docker.
//!
//! Handlers: reload sshd, restart the time daemon, restart Docker.

use super::{Phase, RoleInputs};
use crate::facts::Family;
use crate::render::packages::PackageSpec;
use crate::render::{docker, sudoers, time, vault};
use crate::steps::access::{AuthorizedKeyStep, ProveKeyLoginStep, SshdHardeningStep, UserStep};
use crate::steps::base::{HostnameStep, HostsFileStep, LvmExtendStep, OsUpdateStep};
use crate::steps::file::FileStep;
use crate::steps::packages::PackagesStep;
use crate::steps::service::{ServiceOffStep, ServiceStep};
use crate::steps::{Handler, Step};

/// The phases of this role.
pub const PHASES: &[Phase] = &[Phase::Access, Phase::Base];

/// The steps of `phase`, in order.
pub fn tasks(phase: Phase, inputs: &RoleInputs) -> anyhow::Result<Vec<Box<dyn Step>>> {
    match phase {
        Phase::Access => Ok(access(inputs)),
        Phase::Base => Ok(base(inputs)),
        other => anyhow::bail!("the base role has no phase {other}"),
    }
}

fn pkg(name: &str) -> PackageSpec {
    PackageSpec {
        name: name.to_string(),
        version: None,
    }
}

fn access(inputs: &RoleInputs) -> Vec<Box<dyn Step>> {
    let user = inputs.settings.ssh.user.clone();
    let mut sudo_file =
        FileStep::root("sudo drop-in", sudoers::PATH, sudoers::render(&user), "440");
    sudo_file.validate = Some("visudo -cf {}".to_string());
    vec![
        Box::new(PackagesStep::new("sudo package", vec![pkg("sudo")])),
        Box::new(UserStep { user: user.clone() }),
        Box::new(sudo_file),
        Box::new(AuthorizedKeyStep {
            user: user.clone(),
            key_line: inputs.operator_public_key.clone(),
        }),
        Box::new(ProveKeyLoginStep {
            user,
            key: inputs.operator_key.clone(),
        }),
        Box::new(SshdHardeningStep {
            reload: Handler::reload_if_active(inputs.facts.family.sshd_service()),
        }),
    ]
}

fn base(inputs: &RoleInputs) -> Vec<Box<dyn Step>> {
    let family = inputs.facts.family;
    let settings = &inputs.settings;
    let docker_apt_key = inputs.docker_apt_key.as_deref();
    let mut steps: Vec<Box<dyn Step>> = Vec::new();
    if family == Family::El7 {
        steps.push(Box::new(FileStep::root(
            "centos 7 vault repositories",
            vault::PATH,
            vault::render(&settings.base.el7_vault_url),
            "644",
        )));
    }
    steps.push(Box::new(OsUpdateStep {
        mode: settings.base.os_update,
    }));

    let daemon = time::daemon(family);
    steps.push(Box::new(PackagesStep::new(
        "time sync package",
        vec![pkg(daemon.package)],
    )));
    let t = &settings.base.time;
    if !t.servers.is_empty() || !t.allow.is_empty() || t.local_stratum.is_some() {
        let mut conf = FileStep::root(
            "time sync config",
            daemon.config,
            time::render(family, t),
            "644",
        );
        conf.notify = vec![Handler::systemctl("restart", daemon.service)];
        steps.push(Box::new(conf));
    }
    if family == Family::El7 {
        // chronyd and ntpd fight over the clock; EL 7 keeps ntpd.
        steps.push(Box::new(ServiceOffStep {
            unit: "chronyd".to_string(),
        }));
    }
    steps.push(Box::new(ServiceStep {
        unit: daemon.service.to_string(),
        start: true,
    }));

    steps.push(Box::new(HostnameStep));
    steps.push(Box::new(HostsFileStep));
    steps.push(Box::new(LvmExtendStep {
        disk: settings.base.lvm_disk.clone(),
    }));

    if let Some(d) = &settings.docker {
        if family.is_el() {
            if let Some(repo) = &d.yum {
                steps.push(Box::new(FileStep::root(
                    "docker repository",
                    docker::YUM_REPO,
                    docker::render_yum(family, repo),
                    "644",
                )));
            }
        } else {
            if let Some(key) = docker_apt_key {
                steps.push(Box::new(FileStep::root(
                    "docker repository key",
                    docker::APT_KEY,
                    key.to_string(),
                    "644",
                )));
            }
            if let Some(repo) = &d.apt {
                steps.push(Box::new(FileStep::root(
                    "docker repository",
                    docker::APT_LIST,
                    docker::render_apt(repo),
                    "644",
                )));
            }
        }
        if let Some(json) = &d.daemon_json {
            // Written before the install so a fresh engine starts with it; later edits restart it.
            let mut conf = FileStep::root(
                "docker daemon.json",
                docker::DAEMON_JSON,
                json.clone(),
                "644",
            );
            conf.notify = vec![Handler::systemctl("restart", &d.service)];
            steps.push(Box::new(conf));
        }
        steps.push(Box::new(PackagesStep::new(
            "docker packages",
            d.packages.clone(),
        )));
        steps.push(Box::new(ServiceStep {
            unit: d.service.clone(),
            start: d.start,
        }));
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{DockerSettings, Role};
    use crate::render::docker::{AptRepo, YumRepo};
    use crate::render::repos::Preset;
    use crate::roles::testkit::{inputs, node};

    fn names(family: Family, docker: bool) -> Vec<String> {
        let mut i = inputs(
            node("s1", 21, Role::Agent, None),
            family,
            Preset::LocalMirror,
        );
        let mut s = (*i.settings).clone();
        s.base.time.servers = vec!["10.0.0.11".into()];
        if docker {
            s.docker = Some(DockerSettings {
                packages: vec![pkg("docker-ce")],
                service: "docker".into(),
                start: true,
                apt: Some(AptRepo {
                    source: "deb [trusted=yes] file:/srv/repo ./".into(),
                }),
                apt_key_file: None,
                yum: Some(YumRepo {
                    baseurl: "https://example.invalid/el".into(),
                    gpgkey: None,
                    gpgcheck: true,
                }),
                daemon_json: Some("{}\n".into()),
            });
        }
        i.settings = std::sync::Arc::new(s);
        PHASES
            .iter()
            .flat_map(|p| tasks(*p, &i).unwrap())
            .map(|s| s.name())
            .collect()
    }

    #[test]
    fn access_phase_proves_key_login_before_hardening() {
        let n = names(Family::Debian12, false);
        let prove = n.iter().position(|s| s == "key login as ops").unwrap();
        let harden = n.iter().position(|s| s == "sshd hardening").unwrap();
        assert!(prove < harden);
        assert_eq!(n[0], "sudo package");
    }

    #[test]
    fn el7_gets_vault_repos_ntpd_and_chronyd_off() {
        let n = names(Family::El7, false);
        assert_eq!(n[6], "centos 7 vault repositories");
        assert!(n.contains(&"service chronyd off".to_string()));
        assert!(n.contains(&"service ntpd".to_string()));
        assert!(!names(Family::El9, false).contains(&"centos 7 vault repositories".to_string()));
    }

    #[test]
    fn docker_steps_follow_the_family_repository_kind() {
        let deb = names(Family::Ubuntu2404, true);
        let el = names(Family::El8, true);
        for n in [&deb, &el] {
            let repo = n.iter().position(|s| s == "docker repository").unwrap();
            let json = n.iter().position(|s| s == "docker daemon.json").unwrap();
            let pkgs = n.iter().position(|s| s == "docker packages").unwrap();
            assert!(repo < json && json < pkgs);
            assert_eq!(n.last().unwrap(), "service docker");
        }
        assert!(!names(Family::Debian12, false)
            .iter()
            .any(|s| s.contains("docker")));
    }
}
