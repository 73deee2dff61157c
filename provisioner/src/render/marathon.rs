//! Marathon's `/etc/default/marathon`: Marathon 1.5 and later read only this file
//! (`MARATHON_<OPTION>=value` is `--<option> value`); `/etc/marathon/conf` is ignored.

use std::collections::BTreeMap;

/// The environment file every Marathon >= 1.5 package reads.
pub const DEFAULT_FILE: &str = "/etc/default/marathon";

/// What one master's Marathon needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarathonConfig {
    /// `zk://.../mesos`.
    pub master: String,
    /// `zk://.../marathon`.
    pub zk: String,
    /// Advertised host name (the master's public address).
    pub hostname: String,
    /// HTTP port.
    pub http_port: u16,
    /// User tasks run as: without it Marathon's packages run tasks as `marathon`, a user the
    /// agents do not have.
    pub mesos_user: String,
    /// The master's private address: libprocess binds and advertises it, whatever the host
    /// name resolves to.
    pub libprocess_ip: String,
    /// Extra variables.
    pub extra: BTreeMap<String, String>,
}

/// The file content.
pub fn render(c: &MarathonConfig) -> String {
    let mut out = format!(
        "{}\nMARATHON_MASTER={}\nMARATHON_ZK={}\nMARATHON_HOSTNAME={}\nMARATHON_HTTP_PORT={}\nMARATHON_MESOS_USER={}\nLIBPROCESS_IP={}\n",
        super::MANAGED,
        c.master,
        c.zk,
        c.hostname,
        c.http_port,
        c.mesos_user,
        c.libprocess_ip
    );
    for (k, v) in &c.extra {
        out.push_str(&format!("{k}={v}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_is_pinned() {
        let c = MarathonConfig {
            master: "zk://10.77.0.11:2181,10.77.0.12:2181,10.77.0.13:2181/mesos".into(),
            zk: "zk://10.77.0.11:2181,10.77.0.12:2181,10.77.0.13:2181/marathon".into(),
            hostname: "203.0.113.11".into(),
            http_port: 8080,
            mesos_user: "root".into(),
            libprocess_ip: "10.77.0.11".into(),
            extra: BTreeMap::from([("MARATHON_TASK_LAUNCH_TIMEOUT".into(), "600000".into())]),
        };
        assert_eq!(
            render(&c),
            "# Managed by mesos-provisioner; local changes are overwritten.\n\
             MARATHON_MASTER=zk://10.77.0.11:2181,10.77.0.12:2181,10.77.0.13:2181/mesos\n\
             MARATHON_ZK=zk://10.77.0.11:2181,10.77.0.12:2181,10.77.0.13:2181/marathon\n\
             MARATHON_HOSTNAME=203.0.113.11\nMARATHON_HTTP_PORT=8080\nMARATHON_MESOS_USER=root\n\
             LIBPROCESS_IP=10.77.0.11\nMARATHON_TASK_LAUNCH_TIMEOUT=600000\n"
        );
    }
}
