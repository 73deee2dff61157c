//! The base role: which steps run in which phase, in order, for one host.

use std::sync::Arc;

use crate::facts::Family;
use crate::render::packages::PackageSpec;
use crate::render::{docker, sudoers, time, vault};
use crate::steps::access::{AuthorizedKeyStep, ProveKeyLoginStep, SshdHardeningStep, UserStep};
use crate::steps::base::{HostnameStep, HostsFileStep, LvmExtendStep, OsUpdateStep};
use crate::steps::file::FileStep;
use crate::steps::packages::PackagesStep;
use crate::steps::service::{ServiceOffStep, ServiceStep};
use crate::steps::{Handler, HostCtx, Step};

/// Phases of the base role, in order; all hosts finish one before the next starts.
pub const PHASES: &[&str] = &["access", "base"];

/// Steps of a phase for one host.
pub fn steps_for(
    phase: &str,
    ctx: &HostCtx,
    operator_key: &Arc<russh::keys::PrivateKey>,
    docker_apt_key: Option<&str>,
) -> Vec<Box<dyn Step>> {
    match phase {
        "access" => access(ctx, operator_key),
        "base" => base(ctx, docker_apt_key),
        _ => Vec::new(),
    }
}

fn pkg(name: &str) -> PackageSpec {
    PackageSpec {
        name: name.to_string(),
        version: None,
    }
}

fn access(ctx: &HostCtx, operator_key: &Arc<russh::keys::PrivateKey>) -> Vec<Box<dyn Step>> {
    let user = ctx.settings.ssh.user.clone();
    let mut sudo_file =
        FileStep::root("sudo drop-in", sudoers::PATH, sudoers::render(&user), "440");
    sudo_file.validate = Some("visudo -cf {}".to_string());
    vec![
        Box::new(PackagesStep {
            name: "sudo package".to_string(),
            packages: vec![pkg("sudo")],
        }),
        Box::new(UserStep { user: user.clone() }),
        Box::new(sudo_file),
        Box::new(AuthorizedKeyStep {
            user: user.clone(),
            key_line: ctx.operator_public_key.clone(),
        }),
        Box::new(ProveKeyLoginStep {
            user,
            key: operator_key.clone(),
        }),
        Box::new(SshdHardeningStep {
            reload: Handler::reload_if_active(ctx.facts.family.sshd_service()),
        }),
    ]
}

fn base(ctx: &HostCtx, docker_apt_key: Option<&str>) -> Vec<Box<dyn Step>> {
    let family = ctx.facts.family;
    let settings = &ctx.settings;
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
    steps.push(Box::new(PackagesStep {
        name: "time sync package".to_string(),
        packages: vec![pkg(daemon.package)],
    }));
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
        steps.push(Box::new(PackagesStep {
            name: "docker packages".to_string(),
            packages: d.packages.clone(),
        }));
        steps.push(Box::new(ServiceStep {
            unit: d.service.clone(),
            start: d.start,
        }));
    }
    steps
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::inventory::DockerSettings;
    use crate::render::docker::{AptRepo, YumRepo};
    use crate::steps::testkit::{ctx_full, settings, FakeHost};

    /// A throw-away key used only to build step lists (never sent anywhere).
    const TEST_KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACDRSco7iw56nlA5JWPJ4Ukyb5PKULF5ly4bjxgYNAbCDAAAAJCeiMScnojE\nnAAAAAtzc2gtZWQyNTUxOQAAACDRSco7iw56nlA5JWPJ4Ukyb5PKULF5ly4bjxgYNAbCDA\nAAAEDZ5KKszdzlwp552Wbd/oGlC1b7vzThwK6+EuJIBg/hfdFJyjuLDnqeUDklY8nhSTJv\nk8pQsXmXLhuPGBg0BsIMAAAAB3Jvb3RAdm0BAgMEBQY=\n-----END OPENSSH PRIVATE KEY-----\n";

    fn names(family: Family, docker: bool) -> Vec<String> {
        let mut s = settings();
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
        let c = ctx_full(Arc::new(FakeHost::default()), family, false, false, s);
        let key = Arc::new(russh::keys::PrivateKey::from_openssh(TEST_KEY).unwrap());
        PHASES
            .iter()
            .flat_map(|p| steps_for(p, &c, &key, None))
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
