//! The agent role: a Mesos agent running Docker and Mesos containers.
//!
//! - phase `mesos-agent`: package sources, a guard keeping mesos-master from ever starting
//!   here, a drop-in ordering the agent after Docker, `/etc/mesos/zk` (the agent's `master`)
//!   and the flag directory `/etc/mesos-slave` (ip, hostname, work_dir, containerizers,
//!   executor_registration_timeout, resources, attributes; nothing else) written before the
//!   Mesos package (which starts its daemons on installation) and owned again after it,
//!   mesos-master and ZooKeeper off, mesos-slave on.
//!
//! Handlers: restart mesos-slave; or, when the agent's identity (host name, resources,
//! attributes) changed, the chain stop mesos-slave -> reset the checkpoint -> start mesos-slave
//! (an agent refuses to recover checkpointed state that no longer matches).

use super::{package_source_steps, Phase, RoleInputs};
use crate::remote::sh_quote;
use crate::render::mesos;
use crate::steps::file::FileStep;
use crate::steps::flagdir::FlagDirStep;
use crate::steps::packages::PackagesStep;
use crate::steps::service::{ServiceOffStep, ServiceStep};
use crate::steps::{Handler, Step};

/// The phases of this role.
pub const PHASES: &[Phase] = &[Phase::MesosAgent];

/// The steps of `phase`, in order.
pub fn tasks(phase: Phase, inputs: &RoleInputs) -> anyhow::Result<Vec<Box<dyn Step>>> {
    match phase {
        Phase::MesosAgent => mesos_agent(inputs),
        other => anyhow::bail!("the agent role has no phase {other}"),
    }
}

/// Handler: restart the agent.
fn restart_agent() -> Handler {
    Handler::systemctl("restart", mesos::AGENT_SERVICE)
}

/// Handler chain: stop the agent, remove its checkpointed agent info, start it.
fn reset_agent(work_dir: &str) -> Vec<Handler> {
    vec![
        Handler::systemctl("stop", mesos::AGENT_SERVICE),
        Handler {
            name: "reset agent checkpoint".into(),
            script: format!("rm -rf -- {}", sh_quote(&mesos::agent_checkpoint(work_dir))),
        },
        Handler::systemctl("start", mesos::AGENT_SERVICE),
    ]
}

fn mesos_agent(i: &RoleInputs) -> anyhow::Result<Vec<Box<dyn Step>>> {
    let sources = i.sources()?;
    let ip = i.private_ip()?;
    let files = mesos::agent_files(
        &mesos::AgentFlags {
            ip: &ip,
            hostname: &i.node.name,
            resources: &i.node.resources,
            attributes: &i.node.attributes,
        },
        &i.settings.mesos,
    );
    let docker_service = i
        .settings
        .docker
        .as_ref()
        .map(|d| d.service.clone())
        .unwrap_or_else(|| "docker".into());
    let mut dropin = FileStep::root(
        "mesos-slave after docker",
        mesos::AGENT_DROPIN,
        mesos::render_agent_dropin(&docker_service),
        "644",
    )
    .notifying(vec![restart_agent()]);
    dropin.post = Some("systemctl daemon-reload".into());
    let zk = mesos::zk_files(&i.zk_url("mesos")?);
    let work_dir = &i.settings.mesos.work_dir;
    let flags = |name: &str| {
        FlagDirStep::new(name, mesos::AGENT_DIR, files.clone(), vec![restart_agent()])
            .with_identity(mesos::AGENT_IDENTITY, reset_agent(work_dir))
    };
    let mut steps = package_source_steps(i, &sources)?;
    // The package starts mesos-slave (and mesos-master) on installation: the guard, Docker's
    // ordering and the agent's configuration are in place before, so a first start is already
    // this agent; dpkg keeps the files and leaves `*.dpkg-dist` copies, purged right after.
    steps.extend(super::role_guard_steps(
        "agent",
        mesos::MASTER_SERVICE,
        mesos::AGENT_SERVICE,
    ));
    steps.push(Box::new(dropin));
    steps.push(Box::new(FlagDirStep::new(
        "mesos zk",
        mesos::ZK_DIR,
        zk.clone(),
        vec![restart_agent()],
    )));
    steps.push(Box::new(flags("mesos-slave flags")));
    steps.push(Box::new(PackagesStep::without_start(
        "mesos packages",
        sources.mesos.clone(),
    )));
    steps.push(Box::new(FlagDirStep::new(
        "mesos zk after install",
        mesos::ZK_DIR,
        zk,
        vec![restart_agent()],
    )));
    steps.push(Box::new(flags("mesos-slave flags after install")));
    steps.push(Box::new(ServiceOffStep {
        unit: mesos::MASTER_SERVICE.into(),
    }));
    steps.push(Box::new(ServiceOffStep {
        unit: sources.zk.service.clone(),
    }));
    steps.push(Box::new(ServiceStep {
        unit: mesos::AGENT_SERVICE.into(),
        start: true,
    }));
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Family;
    use crate::inventory::Role;
    use crate::render::repos::Preset;
    use crate::roles::testkit::{inputs, names, node};

    #[test]
    fn agent_configuration_precedes_the_package_that_starts_it() {
        let i = inputs(
            node("s1", 21, Role::Agent, None),
            Family::Debian12,
            Preset::DebianLocal,
        );
        assert_eq!(
            names(Phase::MesosAgent, &i),
            vec![
                "mesos-master guard",
                "mesos-slave unguarded",
                "mesos-slave after docker",
                "mesos zk",
                "mesos-slave flags",
                "mesos packages",
                "mesos zk after install",
                "mesos-slave flags after install",
                "service mesos-master off",
                "service zookeeper off",
                "service mesos-slave"
            ]
        );
    }

    #[test]
    fn reset_chain_is_stop_remove_start() {
        let chain: Vec<String> = reset_agent("/var/lib/mesos")
            .iter()
            .map(|h| h.script.clone())
            .collect();
        assert_eq!(
            chain,
            vec![
                "systemctl stop mesos-slave",
                "rm -rf -- /var/lib/mesos/meta/slaves/latest",
                "systemctl start mesos-slave"
            ]
        );
    }

    #[test]
    fn an_agent_needs_masters_in_its_cluster_view() {
        let mut i = inputs(
            node("s1", 21, Role::Agent, None),
            Family::Debian12,
            Preset::DebianLocal,
        );
        i.cluster = std::sync::Arc::new(crate::cluster::ClusterView {
            nodes: vec![i.node.cluster_node()],
        });
        let err = tasks(Phase::MesosAgent, &i).err().unwrap();
        assert!(
            err.to_string().contains("no masters with ZooKeeper ids"),
            "{err}"
        );
    }
}
