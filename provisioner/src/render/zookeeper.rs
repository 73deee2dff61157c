//! ZooKeeper ensemble configuration: `zoo.cfg` and `myid`.

use crate::cluster::ZkServer;
use crate::inventory::ZkSettings;

/// ZooKeeper's quorum (peer) port.
pub const PEER_PORT: u16 = 2888;
/// ZooKeeper's leader election port.
pub const ELECTION_PORT: u16 = 3888;

/// `zoo.cfg` for one member of the ensemble. The admin server is off (its Jetty listens on 8080
/// by default, Marathon's port on the same master), the four-letter words the health checks use
/// are whitelisted, and `dataDir` is explicit (Debian's example points at /tmp).
pub fn render_cfg(s: &ZkSettings, ensemble: &[ZkServer]) -> String {
    let mut out = format!(
        "{}\ntickTime={}\ninitLimit={}\nsyncLimit={}\ndataDir={}\nclientPort={}\nadmin.enableServer=false\n4lw.commands.whitelist={}\nautopurge.snapRetainCount=3\nautopurge.purgeInterval=24\n",
        super::MANAGED,
        s.tick_time_ms,
        s.init_limit,
        s.sync_limit,
        s.data_dir,
        s.client_port,
        s.four_letter_words.join(","),
    );
    for m in ensemble {
        let host = match m.ip {
            std::net::IpAddr::V4(v4) => v4.to_string(),
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        };
        out.push_str(&format!(
            "server.{}={host}:{PEER_PORT}:{ELECTION_PORT}\n",
            m.id
        ));
    }
    out
}

/// `<dataDir>/myid`, where every ZooKeeper flavour reads the server id (Debian's package makes
/// it a link to `/etc/zookeeper/conf/myid`; the provisioner writes the file itself).
pub fn myid_path(data_dir: &str) -> String {
    format!("{}/myid", data_dir.trim_end_matches('/'))
}

/// The `myid` content.
pub fn render_myid(id: u8) -> String {
    format!("{id}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn settings() -> ZkSettings {
        ZkSettings {
            client_port: 2181,
            data_dir: "/var/lib/zookeeper".into(),
            four_letter_words: vec!["srvr".into(), "ruok".into(), "mntr".into(), "conf".into()],
            tick_time_ms: 2000,
            init_limit: 10,
            sync_limit: 5,
            config_file: None,
            service: None,
        }
    }

    #[test]
    fn zoo_cfg_for_three_masters_is_pinned() {
        let ensemble = vec![
            ZkServer {
                id: 1,
                name: "m1".into(),
                ip: "10.77.0.11".parse().unwrap(),
            },
            ZkServer {
                id: 2,
                name: "m2".into(),
                ip: "10.77.0.12".parse().unwrap(),
            },
            ZkServer {
                id: 3,
                name: "m3".into(),
                ip: "fd77::13".parse().unwrap(),
            },
        ];
        assert_eq!(
            render_cfg(&settings(), &ensemble),
            "# Managed by mesos-provisioner; local changes are overwritten.\n\
             tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/var/lib/zookeeper\nclientPort=2181\n\
             admin.enableServer=false\n4lw.commands.whitelist=srvr,ruok,mntr,conf\n\
             autopurge.snapRetainCount=3\nautopurge.purgeInterval=24\n\
             server.1=10.77.0.11:2888:3888\nserver.2=10.77.0.12:2888:3888\nserver.3=[fd77::13]:2888:3888\n"
        );
    }

    #[test]
    fn myid() {
        assert_eq!(myid_path("/data/zk/"), "/data/zk/myid");
        assert_eq!(render_myid(3), "3\n");
    }
}
