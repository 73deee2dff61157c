//! Mesos master and agent configuration as the packages' init wrapper reads it: `/etc/mesos/zk`
//! (the `ZK`/`MASTER` variables of `/etc/default/mesos-master|slave` read it), and one file per
//! flag in `/etc/mesos-master` or `/etc/mesos-slave` (`resources/<name>` and `attributes/<name>`
//! are joined into `--resources` and `--attributes`). The wrapper turns every file there into a
//! flag, so the provisioner owns those directories completely.

use std::collections::BTreeMap;

use crate::inventory::MesosSettings;

/// The directory holding the ZooKeeper URL both daemons read (`zk`).
pub const ZK_DIR: &str = "/etc/mesos";
/// Master flag directory.
pub const MASTER_DIR: &str = "/etc/mesos-master";
/// Agent flag directory (the unit is still `mesos-slave` in Mesos 1.x packages).
pub const AGENT_DIR: &str = "/etc/mesos-slave";
/// Master unit.
pub const MASTER_SERVICE: &str = "mesos-master";
/// Agent unit.
pub const AGENT_SERVICE: &str = "mesos-slave";
/// The agent unit's drop-in ordering it after Docker.
pub const AGENT_DROPIN: &str =
    "/etc/systemd/system/mesos-slave.service.d/10-mesos-provisioner.conf";

/// The file whose existence lets a guarded unit start (see [`render_guard`]); the provisioner
/// never creates it.
pub const GUARD_ESCAPE_DIR: &str = "/etc/mesos-provisioner";

/// The drop-in keeping `unit` from starting on a node of the other role.
pub fn guard_path(unit: &str) -> String {
    format!("/etc/systemd/system/{unit}.service.d/00-mesos-provisioner-role.conf")
}

/// The guard: the Mesos package enables and starts both daemons on installation, so a master
/// would briefly run an agent (and an agent a master with the package's quorum of 1) before any
/// step could disable it. A condition on a file that does not exist makes every start of the
/// unit a no-op on this node; creating the file lifts it.
pub fn render_guard(role: &str, unit: &str) -> String {
    format!(
        "{}\n# This node is a Mesos {role}: {unit} does not run here, even when a package starts it.\n[Unit]\nConditionPathExists={GUARD_ESCAPE_DIR}/run-{unit}-here\n",
        super::MANAGED
    )
}

/// Agent flags whose change makes the checkpointed agent info incompatible ("Incompatible agent
/// info detected"): a change of one of them needs `<work_dir>/meta/slaves/latest` removed.
/// Entries ending in `/` cover a whole subdirectory.
pub const AGENT_IDENTITY: &[&str] = &["hostname", "port", "resources/", "attributes/"];

/// The files of `/etc/mesos`: `zk` with the URL alone (the wrapper reads it with `cat`, so no
/// comment).
pub fn zk_files(url: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("zk".to_string(), format!("{url}\n"))])
}

fn flag_file(value: &str) -> String {
    format!("{value}\n")
}

/// What differs per master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterFlags<'a> {
    /// Majority of the masters.
    pub quorum: usize,
    /// Private address (bind).
    pub ip: &'a str,
    /// Public address (advertised: the UI redirect works from outside).
    pub hostname: &'a str,
    /// Cluster name.
    pub cluster: &'a str,
}

/// Every file of `/etc/mesos-master` (name -> content).
pub fn master_files(m: &MasterFlags<'_>, s: &MesosSettings) -> BTreeMap<String, String> {
    let mut files: BTreeMap<String, String> = s
        .master_flags
        .iter()
        .map(|(k, v)| (k.clone(), flag_value(k, v)))
        .collect();
    files.insert("quorum".into(), flag_file(&m.quorum.to_string()));
    files.insert("ip".into(), flag_file(m.ip));
    files.insert("hostname".into(), flag_file(m.hostname));
    files.insert("work_dir".into(), flag_file(&s.work_dir));
    files.insert("cluster".into(), flag_file(m.cluster));
    files
}

/// What differs per agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentFlags<'a> {
    /// Private address (bind and advertise).
    pub ip: &'a str,
    /// Host name the masters and the UI use (the node name, in every node's `/etc/hosts`).
    pub hostname: &'a str,
    /// `resources/<name>` files.
    pub resources: &'a BTreeMap<String, String>,
    /// `attributes/<name>` files.
    pub attributes: &'a BTreeMap<String, String>,
}

/// Every file of `/etc/mesos-slave` (relative path -> content).
pub fn agent_files(a: &AgentFlags<'_>, s: &MesosSettings) -> BTreeMap<String, String> {
    let mut files: BTreeMap<String, String> = s
        .agent_flags
        .iter()
        .map(|(k, v)| (k.clone(), flag_value(k, v)))
        .collect();
    files.insert("ip".into(), flag_file(a.ip));
    files.insert("hostname".into(), flag_file(a.hostname));
    files.insert("work_dir".into(), flag_file(&s.work_dir));
    files.insert("containerizers".into(), flag_file(&s.containerizers));
    files.insert(
        "executor_registration_timeout".into(),
        flag_file(&s.executor_registration_timeout),
    );
    for (k, v) in a.resources {
        files.insert(format!("resources/{k}"), flag_file(v));
    }
    for (k, v) in a.attributes {
        files.insert(format!("attributes/{k}"), flag_file(v));
    }
    files
}

/// `?name` files are boolean switches: their content is not read.
fn flag_value(name: &str, value: &str) -> String {
    if name.starts_with('?') {
        String::new()
    } else {
        flag_file(value)
    }
}

/// The agent's drop-in: Docker is up before the agent starts (the docker containerizer fails
/// without a daemon) and the agent stops when Docker does.
pub fn render_agent_dropin(docker_service: &str) -> String {
    format!(
        "{}\n[Unit]\nAfter={docker_service}.service\nRequires={docker_service}.service\n",
        super::MANAGED
    )
}

/// The checkpoint to remove when the agent's identity changes.
pub fn agent_checkpoint(work_dir: &str) -> String {
    format!("{}/meta/slaves/latest", work_dir.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> MesosSettings {
        MesosSettings {
            work_dir: "/var/lib/mesos".into(),
            containerizers: "docker,mesos".into(),
            executor_registration_timeout: "5mins".into(),
            master_flags: BTreeMap::from([("max_agent_ping_timeouts".into(), "10".into())]),
            agent_flags: BTreeMap::from([("?no-systemd_enable_support".into(), "".into())]),
        }
    }

    #[test]
    fn master_files_are_pinned() {
        let files = master_files(
            &MasterFlags {
                quorum: 2,
                ip: "10.77.0.11",
                hostname: "203.0.113.11",
                cluster: "prod",
            },
            &settings(),
        );
        let pairs: Vec<(&str, &str)> = files
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("cluster", "prod\n"),
                ("hostname", "203.0.113.11\n"),
                ("ip", "10.77.0.11\n"),
                ("max_agent_ping_timeouts", "10\n"),
                ("quorum", "2\n"),
                ("work_dir", "/var/lib/mesos\n"),
            ]
        );
        assert_eq!(zk_files("zk://a:2181/mesos")["zk"], "zk://a:2181/mesos\n");
    }

    #[test]
    fn agent_files_are_pinned() {
        let resources = BTreeMap::from([("cpus".to_string(), "2".to_string())]);
        let attributes = BTreeMap::from([("rack".to_string(), "r1".to_string())]);
        let files = agent_files(
            &AgentFlags {
                ip: "10.77.0.21",
                hostname: "s1",
                resources: &resources,
                attributes: &attributes,
            },
            &settings(),
        );
        let pairs: Vec<(&str, &str)> = files
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("?no-systemd_enable_support", ""),
                ("attributes/rack", "r1\n"),
                ("containerizers", "docker,mesos\n"),
                ("executor_registration_timeout", "5mins\n"),
                ("hostname", "s1\n"),
                ("ip", "10.77.0.21\n"),
                ("resources/cpus", "2\n"),
                ("work_dir", "/var/lib/mesos\n"),
            ]
        );
    }

    #[test]
    fn dropin_and_checkpoint() {
        assert_eq!(
            render_agent_dropin("docker"),
            "# Managed by mesos-provisioner; local changes are overwritten.\n[Unit]\nAfter=docker.service\nRequires=docker.service\n"
        );
        assert_eq!(
            agent_checkpoint("/var/lib/mesos/"),
            "/var/lib/mesos/meta/slaves/latest"
        );
    }

    #[test]
    fn guard_is_pinned() {
        assert_eq!(
            guard_path("mesos-slave"),
            "/etc/systemd/system/mesos-slave.service.d/00-mesos-provisioner-role.conf"
        );
        assert_eq!(
            render_guard("master", "mesos-slave"),
            "# Managed by mesos-provisioner; local changes are overwritten.\n# This node is a Mesos master: mesos-slave does not run here, even when a package starts it.\n[Unit]\nConditionPathExists=/etc/mesos-provisioner/run-mesos-slave-here\n"
        );
    }
}
