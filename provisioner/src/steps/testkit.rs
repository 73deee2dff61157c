//! A scripted fake host for unit-testing steps without SSH: each rule maps a substring of the
//! script to an exit status and stdout; every call is recorded.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::HostCtx;
use crate::cluster::ClusterView;
use crate::facts::{Family, OsFacts};
use crate::hostlog::HostLog;
use crate::inventory::{BaseSettings, LvmDisk, Node, Role, Settings, SshSettings};
use crate::remote::{Exec, RemoteError};
use crate::render::packages::UpdateMode;
use crate::ssh::{HostKeyPolicy, Output, Target};

/// The fake host.
#[derive(Debug, Default)]
pub struct FakeHost {
    rules: Mutex<Vec<(String, u32, String)>>,
    /// Every script run, with its stdin.
    pub calls: Mutex<Vec<(String, Option<String>)>>,
}

impl FakeHost {
    /// Adds a rule; earlier rules win.
    pub fn on(self, pattern: &str, status: u32, stdout: &str) -> Self {
        self.rules
            .lock()
            .unwrap()
            .push((pattern.to_string(), status, stdout.to_string()));
        self
    }

    /// Scripts run so far.
    pub fn scripts(&self) -> Vec<String> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.0.clone())
            .collect()
    }
}

#[async_trait]
impl Exec for FakeHost {
    async fn run(&self, script: &str, stdin: Option<&[u8]>) -> Result<Output, RemoteError> {
        self.calls.lock().unwrap().push((
            script.to_string(),
            stdin.map(|s| String::from_utf8_lossy(s).into_owned()),
        ));
        let rules = self.rules.lock().unwrap();
        let (status, stdout) = rules
            .iter()
            .find(|(p, _, _)| script.contains(p.as_str()))
            .map(|(_, s, o)| (*s, o.clone()))
            .unwrap_or((127, String::new()));
        Ok(Output {
            status: Some(status),
            signal: None,
            stdout: stdout.into_bytes(),
            stderr: if status == 127 {
                format!("fake host: no rule for `{script}`").into_bytes()
            } else {
                Vec::new()
            },
        })
    }

    fn log(&self) -> Arc<HostLog> {
        Arc::new(HostLog::disabled())
    }

    async fn close(&self) {}
}

/// A context for node `n1` of the given family on the fake host (a later run: key login).
pub fn ctx(fake: Arc<FakeHost>, family: Family, check_mode: bool) -> HostCtx {
    ctx_with(fake, family, check_mode, false)
}

/// Like [`ctx`], choosing whether this is a first-contact run (key login not yet proven).
pub fn ctx_with(
    fake: Arc<FakeHost>,
    family: Family,
    check_mode: bool,
    first_contact: bool,
) -> HostCtx {
    ctx_full(fake, family, check_mode, first_contact, settings())
}

/// The settings [`ctx`] uses: operator `ops`, security updates, LVM auto, no Docker.
pub fn settings() -> Settings {
    Settings {
        ssh: SshSettings {
            user: "ops".into(),
            private_key: "/nonexistent".into(),
            known_hosts: "/nonexistent".into(),
            policy: HostKeyPolicy::Strict,
            connect_budget: Duration::from_secs(1),
        },
        forks: None,
        serial: None,
        base: BaseSettings {
            os_update: UpdateMode::Security,
            time: Default::default(),
            lvm_disk: LvmDisk::Auto,
            el7_vault_url: crate::render::vault::DEFAULT_URL.into(),
        },
        docker: None,
        cluster: crate::inventory::ClusterSettings {
            name: "test".into(),
            wait_timeout: Duration::from_secs(5),
        },
        packages: None,
        zookeeper: crate::inventory::ZkSettings {
            client_port: 2181,
            data_dir: "/var/lib/zookeeper".into(),
            four_letter_words: vec!["srvr".into(), "ruok".into(), "mntr".into(), "conf".into()],
            tick_time_ms: 2000,
            init_limit: 10,
            sync_limit: 5,
            config_file: None,
            service: None,
        },
        mesos: crate::inventory::MesosSettings {
            work_dir: "/var/lib/mesos".into(),
            containerizers: "docker,mesos".into(),
            executor_registration_timeout: "5mins".into(),
            master_flags: Default::default(),
            agent_flags: Default::default(),
        },
        marathon: crate::inventory::MarathonSettings {
            http_port: 8080,
            mesos_user: "root".into(),
            env: Default::default(),
        },
        apps: crate::inventory::AppSettings {
            docker_image: "python:3".into(),
        },
    }
}

/// A context with explicit settings.
pub fn ctx_full(
    fake: Arc<FakeHost>,
    family: Family,
    check_mode: bool,
    first_contact: bool,
    settings: Settings,
) -> HostCtx {
    let node = Node {
        name: "n1".into(),
        address: "10.0.0.1".into(),
        port: 22,
        ipv4: Some("10.0.0.1".parse().unwrap()),
        ipv6: Some("fd00::1".parse().unwrap()),
        role: Role::Agent,
        zk_id: None,
        public_address: None,
        resources: Default::default(),
        attributes: Default::default(),
    };
    let cluster = ClusterView {
        nodes: vec![node.cluster_node()],
    };
    let target = Target {
        host: node.address.clone(),
        port: 22,
        policy: HostKeyPolicy::Strict,
        known_hosts: "/nonexistent".into(),
        connect_budget: Duration::from_secs(1),
    };
    let facts = OsFacts {
        id: "x".into(),
        version_id: "1".into(),
        pretty_name: "fake".into(),
        codename: None,
        family,
    };
    HostCtx::new(
        node,
        Arc::new(cluster),
        Arc::new(settings),
        facts,
        target,
        "ssh-ed25519 AAAA ops".into(),
        first_contact,
        check_mode,
        fake,
    )
}
