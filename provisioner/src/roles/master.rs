//! The master role: a ZooKeeper ensemble member, a Mesos master and a Marathon instance.
//!
//! - phase `zookeeper`: package sources, ZooKeeper (installed without starting), `dataDir`,
//!   `zoo.cfg` (ensemble of all masters on their private addresses, admin server off,
//!   four-letter words whitelisted), `myid` from the master's explicit `zk_id`, service on;
//! - phase `mesos-master`: a guard keeping mesos-slave from ever starting here, `/etc/mesos/zk`
//!   and the flag directory `/etc/mesos-master` (quorum, ip, hostname = public address,
//!   work_dir, cluster; nothing else) written before the Mesos package (which starts its
//!   daemons on installation) and owned again after it, mesos-slave off, mesos-master on;
//! - phase `marathon`: `/etc/default/marathon` before the Marathon package, service on.
//!
//! Handlers: restart zookeeper, restart mesos-master, restart marathon.

use anyhow::Context;

use super::{package_source_steps, Phase, RoleInputs};
use crate::render::{marathon, mesos, zookeeper};
use crate::steps::file::{DirectoryStep, FileStep};
use crate::steps::flagdir::FlagDirStep;
use crate::steps::packages::PackagesStep;
use crate::steps::service::{ServiceOffStep, ServiceStep};
use crate::steps::{Handler, Step};

/// The phases of this role.
pub const PHASES: &[Phase] = &[Phase::Zookeeper, Phase::MesosMaster, Phase::Marathon];

/// The steps of `phase`, in order.
pub fn tasks(phase: Phase, inputs: &RoleInputs) -> anyhow::Result<Vec<Box<dyn Step>>> {
    match phase {
        Phase::Zookeeper => zookeeper(inputs),
        Phase::MesosMaster => mesos_master(inputs),
        Phase::Marathon => marathon(inputs),
        other => anyhow::bail!("the master role has no phase {other}"),
    }
}

/// Handler: restart a unit.
fn restart(unit: &str) -> Handler {
    Handler::systemctl("restart", unit)
}

fn zookeeper(i: &RoleInputs) -> anyhow::Result<Vec<Box<dyn Step>>> {
    let sources = i.sources()?;
    let zk = &i.settings.zookeeper;
    let id = i
        .node
        .zk_id
        .with_context(|| format!("{}: a master needs its zk_id", i.node.name))?;
    let restart_zk = restart(&sources.zk.service);
    let mut steps = package_source_steps(i, &sources)?;
    steps.push(Box::new(PackagesStep::without_start(
        "zookeeper packages",
        sources.zookeeper.clone(),
    )));
    steps.push(Box::new(DirectoryStep {
        name: "zookeeper dataDir".into(),
        path: zk.data_dir.clone(),
        owner: sources.zk.user.as_ref().map(|u| format!("{u}:{u}")),
        mode: "755".into(),
    }));
    steps.push(Box::new(
        FileStep::root(
            "zoo.cfg",
            &sources.zk.config_file,
            zookeeper::render_cfg(zk, &i.cluster.ensemble()),
            "644",
        )
        .notifying(vec![restart_zk.clone()]),
    ));
    steps.push(Box::new(
        FileStep::root(
            "zookeeper myid",
            &zookeeper::myid_path(&zk.data_dir),
            zookeeper::render_myid(id),
            "644",
        )
        .notifying(vec![restart_zk]),
    ));
    steps.push(Box::new(ServiceStep {
        unit: sources.zk.service.clone(),
        start: true,
    }));
    Ok(steps)
}

fn mesos_master(i: &RoleInputs) -> anyhow::Result<Vec<Box<dyn Step>>> {
    let sources = i.sources()?;
    let restart_master = restart(mesos::MASTER_SERVICE);
    let ip = i.private_ip()?;
    let hostname = i.public_address();
    let files = mesos::master_files(
        &mesos::MasterFlags {
            quorum: i.cluster.quorum(),
            ip: &ip,
            hostname: &hostname,
            cluster: &i.settings.cluster.name,
        },
        &i.settings.mesos,
    );
    let zk = mesos::zk_files(&i.zk_url("mesos")?);
    // The package starts mesos-master (and mesos-slave) on installation: its configuration is
    // in place before, so a first start already has the ensemble and the quorum; dpkg keeps the
    // files (`--force-confold`) and leaves `*.dpkg-dist` copies, purged right after.
    let mut steps = super::role_guard_steps("master", mesos::AGENT_SERVICE, mesos::MASTER_SERVICE);
    steps.push(Box::new(FlagDirStep::new(
        "mesos zk",
        mesos::ZK_DIR,
        zk.clone(),
        vec![restart_master.clone()],
    )));
    steps.push(Box::new(FlagDirStep::new(
        "mesos-master flags",
        mesos::MASTER_DIR,
        files.clone(),
        vec![restart_master.clone()],
    )));
    steps.push(Box::new(PackagesStep::without_start(
        "mesos packages",
        sources.mesos.clone(),
    )));
    steps.push(Box::new(FlagDirStep::new(
        "mesos zk after install",
        mesos::ZK_DIR,
        zk,
        vec![restart_master.clone()],
    )));
    steps.push(Box::new(FlagDirStep::new(
        "mesos-master flags after install",
        mesos::MASTER_DIR,
        files,
        vec![restart_master],
    )));
    steps.push(Box::new(ServiceOffStep {
        unit: mesos::AGENT_SERVICE.into(),
    }));
    steps.push(Box::new(ServiceStep {
        unit: mesos::MASTER_SERVICE.into(),
        start: true,
    }));
    Ok(steps)
}

fn marathon(i: &RoleInputs) -> anyhow::Result<Vec<Box<dyn Step>>> {
    let sources = i.sources()?;
    let m = &i.settings.marathon;
    let config = marathon::MarathonConfig {
        master: i.zk_url("mesos")?,
        zk: i.zk_url("marathon")?,
        hostname: i.public_address(),
        http_port: m.http_port,
        mesos_user: m.mesos_user.clone(),
        libprocess_ip: i.private_ip()?,
        extra: m.env.clone(),
    };
    // Written before the package, which starts Marathon on installation (dpkg keeps it).
    Ok(vec![
        Box::new(
            FileStep::root(
                "marathon defaults",
                marathon::DEFAULT_FILE,
                marathon::render(&config),
                "644",
            )
            .notifying(vec![restart("marathon")]),
        ),
        Box::new(PackagesStep::without_start(
            "marathon packages",
            sources.marathon.clone(),
        )),
        Box::new(ServiceStep {
            unit: "marathon".into(),
            start: true,
        }),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Family;
    use crate::inventory::Role;
    use crate::render::repos::Preset;
    use crate::roles::testkit::{inputs, names, node};

    fn m2(family: Family, preset: Preset) -> RoleInputs {
        inputs(node("m2", 12, Role::Master, Some(2)), family, preset)
    }

    #[test]
    fn zookeeper_phase_order() {
        assert_eq!(
            names(Phase::Zookeeper, &m2(Family::Debian12, Preset::DebianLocal)),
            vec![
                "zookeeper packages",
                "zookeeper dataDir",
                "zoo.cfg",
                "zookeeper myid",
                "service zookeeper"
            ]
        );
        assert_eq!(
            names(Phase::Zookeeper, &m2(Family::El7, Preset::MesosphereEl7))[0],
            "mesos repository"
        );
    }

    #[test]
    fn mesos_master_configuration_precedes_the_package_that_starts_it() {
        assert_eq!(
            names(Phase::MesosMaster, &m2(Family::El8, Preset::Aventer)),
            vec![
                "mesos-slave guard",
                "mesos-master unguarded",
                "mesos zk",
                "mesos-master flags",
                "mesos packages",
                "mesos zk after install",
                "mesos-master flags after install",
                "service mesos-slave off",
                "service mesos-master"
            ]
        );
        assert_eq!(
            names(Phase::Marathon, &m2(Family::El8, Preset::Aventer)),
            vec!["marathon defaults", "marathon packages", "service marathon"]
        );
    }

    #[test]
    fn a_master_without_zk_id_is_refused() {
        let i = inputs(
            node("m2", 12, Role::Master, None),
            Family::Debian12,
            Preset::DebianLocal,
        );
        let err = tasks(Phase::Zookeeper, &i).err().unwrap();
        assert_eq!(err.to_string(), "m2: a master needs its zk_id");
    }

    #[test]
    fn aventer_on_debian_needs_the_apt_key() {
        let i = m2(Family::Debian12, Preset::Aventer);
        let err = tasks(Phase::Zookeeper, &i).err().unwrap();
        assert!(
            err.to_string().starts_with("packages.apt_key_file:"),
            "{err}"
        );
    }
}
