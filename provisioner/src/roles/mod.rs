//! Roles: what a node becomes, written like Ansible roles. Each role is a file with the same
//! shape: the phases it takes part in, its handlers, and per phase an ordered list of
//! declarative steps (templates are in `render`, defaults in the inventory). A master is the
//! `base` role plus the `master` role; an agent the `base` role plus the `agent` role.
//!
//! Phases run in [`Phase::ALL`] order over every host; all hosts finish one phase (and the
//! cluster passes its barrier) before the next starts.

pub mod agent;
pub mod base;
pub mod master;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use anyhow::Context;
use serde::Serialize;

use crate::cluster::ClusterView;
use crate::facts::OsFacts;
use crate::inventory::{Node, Role, Settings};
use crate::render::repos::{self, Sources};
use crate::steps::file::FileStep;
use crate::steps::Step;

/// A phase of the run. Unknown names are refused when parsed, never silently skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Operator user, key, sshd hardening (base role).
    Access,
    /// Updates, time, host name, `/etc/hosts`, LVM, Docker (base role).
    Base,
    /// The ZooKeeper ensemble (master role).
    Zookeeper,
    /// mesos-master (master role).
    MesosMaster,
    /// Marathon (master role).
    Marathon,
    /// mesos-agent (agent role).
    MesosAgent,
}

/// How the hosts of a phase are worked on when the cluster already runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rollout {
    /// Every host at once.
    AllAtOnce,
    /// One host at a time, the cluster settled before the next (masters: quorum is never lost).
    OneAtATime,
    /// Batches of `--serial` hosts, the batch's agents re-registered before the next.
    Batches,
}

impl Phase {
    /// Every phase, in run order.
    pub const ALL: [Phase; 6] = [
        Phase::Access,
        Phase::Base,
        Phase::Zookeeper,
        Phase::MesosMaster,
        Phase::Marathon,
        Phase::MesosAgent,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Access => "access",
            Phase::Base => "base",
            Phase::Zookeeper => "zookeeper",
            Phase::MesosMaster => "mesos-master",
            Phase::Marathon => "marathon",
            Phase::MesosAgent => "mesos-agent",
        }
    }

    /// Whether a node of `role` takes part: the phase belongs to the base role or to the
    /// node's own role (each role lists its phases).
    pub fn runs_on(self, role: Role) -> bool {
        base::PHASES.contains(&self)
            || match role {
                Role::Master => master::PHASES.contains(&self),
                Role::Agent => agent::PHASES.contains(&self),
            }
    }

    /// Whether the phase belongs to a Mesos role (needs `[packages]` and the cluster).
    pub fn is_mesos(self) -> bool {
        !matches!(self, Phase::Access | Phase::Base)
    }

    /// How its hosts are rolled through a running cluster.
    pub fn rollout(self) -> Rollout {
        match self {
            Phase::Access | Phase::Base => Rollout::AllAtOnce,
            Phase::Zookeeper | Phase::MesosMaster | Phase::Marathon => Rollout::OneAtATime,
            Phase::MesosAgent => Rollout::Batches,
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Phase {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phase::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Phase::ALL.iter().map(|p| p.name()).collect();
                format!("unknown phase `{s}` (phases: {})", names.join(", "))
            })
    }
}

/// Everything a role needs to build its steps for one host, in one typed value.
#[derive(Clone)]
pub struct RoleInputs {
    /// The node.
    pub node: Node,
    /// Its OS.
    pub facts: OsFacts,
    /// Settings.
    pub settings: Arc<Settings>,
    /// The whole cluster.
    pub cluster: Arc<ClusterView>,
    /// The operator's public key (OpenSSH line).
    pub operator_public_key: String,
    /// The operator's private key (to prove key login).
    pub operator_key: Arc<russh::keys::PrivateKey>,
    /// Docker's apt key (content of `docker.apt.key_file`).
    pub docker_apt_key: Option<String>,
}

impl fmt::Debug for RoleInputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoleInputs")
            .field("node", &self.node.name)
            .field("family", &self.facts.family)
            .finish()
    }
}

impl RoleInputs {
    /// Package sources for this node: the preset for its family, with the inventory's
    /// package and ZooKeeper overrides.
    pub fn sources(&self) -> anyhow::Result<Sources> {
        let p = self.settings.packages.as_ref().context(
            "packages: the Mesos roles need a [packages] table (preset = debian-local, aventer, mesosphere-el7 or local-mirror)",
        )?;
        let mut s = repos::resolve(
            p.preset,
            self.facts.family,
            self.facts.codename.as_deref(),
            p.mirror.as_ref(),
        )
        .map_err(anyhow::Error::msg)?;
        if let Some(m) = &p.mesos {
            s.mesos = m.clone();
        }
        if let Some(m) = &p.marathon {
            s.marathon = m.clone();
        }
        if let Some(z) = &p.zookeeper {
            s.zookeeper = z.clone();
        }
        let zk = &self.settings.zookeeper;
        if let Some(c) = &zk.config_file {
            s.zk.config_file = c.clone();
        }
        if let Some(svc) = &zk.service {
            s.zk.service = svc.clone();
        }
        Ok(s)
    }

    /// The address cluster traffic uses (private IPv4, else IPv6).
    pub fn private_ip(&self) -> anyhow::Result<String> {
        self.node
            .cluster_node()
            .private_ip()
            .map(|ip| ip.to_string())
            .with_context(|| format!("{}: no private address", self.node.name))
    }

    /// The address users reach this node on.
    pub fn public_address(&self) -> String {
        self.node
            .public_address
            .clone()
            .unwrap_or_else(|| self.node.address.clone())
    }

    /// `zk://<ensemble>/<path>`.
    pub fn zk_url(&self, path: &str) -> anyhow::Result<String> {
        anyhow::ensure!(
            !self.cluster.ensemble().is_empty(),
            "the cluster view has no masters with ZooKeeper ids (inventory, or bootstrap --peer NAME=IPV4,IPV6,master,ZK_ID)"
        );
        Ok(self
            .cluster
            .zk_url(self.settings.zookeeper.client_port, path))
    }
}

/// Steps that put the Mesos package repository (and its key) in place.
pub fn package_source_steps(
    inputs: &RoleInputs,
    sources: &Sources,
) -> anyhow::Result<Vec<Box<dyn Step>>> {
    let mut steps: Vec<Box<dyn Step>> = Vec::new();
    if sources.needs_apt_key {
        let key = inputs
            .settings
            .packages
            .as_ref()
            .and_then(|p| p.apt_key.clone())
            .context(
                "packages.apt_key_file: this repository is signed; give its ASCII-armored key",
            )?;
        steps.push(Box::new(FileStep::root(
            "mesos repository key",
            repos::APT_KEY,
            key,
            "644",
        )));
    }
    if let Some(repo) = &sources.repo {
        steps.push(Box::new(FileStep::root(
            "mesos repository",
            repo.path,
            repo.content.clone(),
            "644",
        )));
    }
    Ok(steps)
}

/// Steps that keep `off` (the other role's daemon) from ever starting on this node and make
/// sure `on` (this role's) has no such guard: the Mesos package starts both on installation.
pub fn role_guard_steps(role: &str, off: &str, on: &str) -> Vec<Box<dyn Step>> {
    use crate::render::mesos;
    use crate::steps::file::AbsentStep;
    let mut guard = FileStep::root(
        &format!("{off} guard"),
        &mesos::guard_path(off),
        mesos::render_guard(role, off),
        "644",
    );
    guard.post = Some("systemctl daemon-reload".into());
    vec![
        Box::new(guard),
        Box::new(AbsentStep {
            name: format!("{on} unguarded"),
            path: mesos::guard_path(on),
            post: Some("systemctl daemon-reload".into()),
        }),
    ]
}

/// The steps of `phase` for the node in `inputs`, in order (empty when the node's role does not
/// take part).
pub fn tasks(phase: Phase, inputs: &RoleInputs) -> anyhow::Result<Vec<Box<dyn Step>>> {
    if !phase.runs_on(inputs.node.role) {
        return Ok(Vec::new());
    }
    if base::PHASES.contains(&phase) {
        return base::tasks(phase, inputs);
    }
    match inputs.node.role {
        Role::Master => master::tasks(phase, inputs),
        Role::Agent => agent::tasks(phase, inputs),
    }
}

#[cfg(test)]
pub(crate) mod testkit {
    //! Role inputs for unit tests.

    use super::*;
    use crate::facts::Family;
    use crate::inventory::PackageSettings;
    use crate::render::repos::Preset;

    /// A throw-away key used only to build step lists (never sent anywhere).
    pub const TEST_KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACDRSco7iw56nlA5JWPJ4Ukyb5PKULF5ly4bjxgYNAbCDAAAAJCeiMScnojE\nnAAAAAtzc2gtZWQyNTUxOQAAACDRSco7iw56nlA5JWPJ4Ukyb5PKULF5ly4bjxgYNAbCDA\nAAAEDZ5KKszdzlwp552Wbd/oGlC1b7vzThwK6+EuJIBg/hfdFJyjuLDnqeUDklY8nhSTJv\nk8pQsXmXLhuPGBg0BsIMAAAAB3Jvb3RAdm0BAgMEBQY=\n-----END OPENSSH PRIVATE KEY-----\n";

    /// A 3-master, 2-agent cluster: m1..m3 (10.77.0.11-13, zk ids 1-3), s1, s2.
    pub fn cluster() -> ClusterView {
        let mut nodes = Vec::new();
        for (name, o, role, zk) in [
            ("m1", 11, Role::Master, Some(1)),
            ("m2", 12, Role::Master, Some(2)),
            ("m3", 13, Role::Master, Some(3)),
            ("s1", 21, Role::Agent, None),
            ("s2", 22, Role::Agent, None),
        ] {
            nodes.push(node(name, o, role, zk).cluster_node());
        }
        ClusterView { nodes }
    }

    /// A node of [`cluster`] (public address 203.0.113.<o>).
    pub fn node(name: &str, o: u8, role: Role, zk_id: Option<u8>) -> Node {
        Node {
            name: name.into(),
            address: format!("10.77.0.{o}"),
            port: 22,
            ipv4: Some(format!("10.77.0.{o}").parse().unwrap()),
            ipv6: Some(format!("fd77::{o}").parse().unwrap()),
            role,
            zk_id,
            public_address: Some(format!("203.0.113.{o}")),
            resources: Default::default(),
            attributes: Default::default(),
        }
    }

    /// Inputs for `node` on `family`, packages from `preset`.
    pub fn inputs(node: Node, family: Family, preset: Preset) -> RoleInputs {
        let mut settings = crate::steps::testkit::settings();
        settings.packages = Some(PackageSettings {
            preset,
            mirror: None,
            apt_key: None,
            mesos: None,
            marathon: None,
            zookeeper: None,
        });
        RoleInputs {
            node,
            facts: OsFacts {
                id: "x".into(),
                version_id: "1".into(),
                pretty_name: "test".into(),
                codename: Some("bookworm".into()),
                family,
            },
            settings: Arc::new(settings),
            cluster: Arc::new(cluster()),
            operator_public_key: "ssh-ed25519 AAAA ops".into(),
            operator_key: Arc::new(russh::keys::PrivateKey::from_openssh(TEST_KEY).unwrap()),
            docker_apt_key: None,
        }
    }

    /// Names of the steps of `phase`.
    pub fn names(phase: Phase, inputs: &RoleInputs) -> Vec<String> {
        tasks(phase, inputs)
            .unwrap()
            .iter()
            .map(|s| s.name())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testkit::*;
    use super::*;
    use crate::facts::Family;
    use crate::render::repos::Preset;

    #[test]
    fn phase_names_round_trip_and_unknown_ones_fail() {
        for p in Phase::ALL {
            assert_eq!(p.name().parse::<Phase>().unwrap(), p);
        }
        assert_eq!(
            "mesos".parse::<Phase>().unwrap_err(),
            "unknown phase `mesos` (phases: access, base, zookeeper, mesos-master, marathon, mesos-agent)"
        );
    }

    #[test]
    fn phases_belong_to_roles() {
        let master = inputs(
            node("m1", 11, Role::Master, Some(1)),
            Family::Debian12,
            Preset::DebianLocal,
        );
        let agent = inputs(
            node("s1", 21, Role::Agent, None),
            Family::Debian12,
            Preset::DebianLocal,
        );
        assert!(names(Phase::MesosAgent, &master).is_empty());
        assert!(names(Phase::Zookeeper, &agent).is_empty());
        assert!(!names(Phase::Base, &agent).is_empty());
        // Every phase belongs to exactly one role.
        for p in Phase::ALL {
            let owners = [base::PHASES, master::PHASES, agent::PHASES]
                .iter()
                .filter(|ps| ps.contains(&p))
                .count();
            assert_eq!(owners, 1, "{p}");
        }
        assert!(Phase::Zookeeper.runs_on(Role::Master) && !Phase::Zookeeper.runs_on(Role::Agent));
        assert!(Phase::Base.runs_on(Role::Agent) && Phase::MesosAgent.runs_on(Role::Agent));
        assert_eq!(Phase::MesosMaster.rollout(), Rollout::OneAtATime);
        assert_eq!(Phase::MesosAgent.rollout(), Rollout::Batches);
        assert_eq!(Phase::Base.rollout(), Rollout::AllAtOnce);
    }

    #[test]
    fn the_roles_need_packages() {
        let mut i = inputs(
            node("m1", 11, Role::Master, Some(1)),
            Family::Debian12,
            Preset::DebianLocal,
        );
        let mut s = (*i.settings).clone();
        s.packages = None;
        i.settings = Arc::new(s);
        let err = tasks(Phase::Zookeeper, &i).err().unwrap();
        assert!(err
            .to_string()
            .starts_with("packages: the Mesos roles need a [packages] table"));
        let el = inputs(
            node("m1", 11, Role::Master, Some(1)),
            Family::El9,
            Preset::DebianLocal,
        );
        let err = tasks(Phase::Zookeeper, &el).err().unwrap();
        assert!(
            err.to_string()
                .contains("debian-local is for Debian/Ubuntu"),
            "{err}"
        );
    }
}
