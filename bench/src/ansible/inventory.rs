//! One description of the cluster both sides of row 4 provision, written as the provisioner's
//! TOML inventory and as Ansible's YAML inventory: the same nodes, roles, ZooKeeper ids,
//! operator, key, host keys and settings (the settings Ansible reads from
//! `bench/ansible/group_vars/all.yml`, which states the same values).

use e2e::nodes::Node;
use std::fmt::Write as _;
use std::path::PathBuf;

/// The cluster name both sides configure (`cluster_name` in the playbook's group_vars).
pub const CLUSTER_NAME: &str = "bench";
/// How many hosts each side works on at once: every node (`forks = 12` in ansible.cfg).
pub const FORKS: usize = 12;

/// What both inventories say.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// The nodes, masters first.
    pub nodes: Vec<Node>,
    /// The operator's private key (OpenSSH format; the public key is next to it, `.pub`).
    pub private_key: PathBuf,
    /// known_hosts with every node's host keys (checked strictly by both sides).
    pub known_hosts: PathBuf,
    /// The registry mirror the nodes' Docker uses.
    pub registry_mirror: String,
}

impl Cluster {
    fn masters(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.role() == "master")
    }

    fn agents(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.role() == "agent")
    }

    /// The provisioner's inventory (what `tests/src/nodes` writes for the Mesos scenario).
    pub fn provisioner_toml(&self) -> String {
        let servers: Vec<String> = self.masters().map(|n| format!("{:?}", n.ipv4)).collect();
        let mut toml = format!(
            "[ssh]\nuser = \"ops\"\nprivate_key = {key:?}\nknown_hosts = {kh:?}\n\
             host_key_policy = \"strict\"\nconnect_timeout_secs = 30\n\n\
             [run]\nforks = {FORKS}\n\n\
             [base]\nos_update = \"security\"\ntime_servers = [{servers}]\n\
             time_allow = [\"10.77.0.0/24\"]\ntime_local_stratum = 8\nlvm_disk = \"auto\"\n\n\
             [docker]\npackages = [\"docker.io\"]\nservice = \"docker\"\nstart = true\n\
             daemon_json = '{{\"registry-mirrors\": [{mirror:?}]}}'\n\n\
             [packages]\npreset = \"debian-local\"\n\n\
             [cluster]\nname = \"{CLUSTER_NAME}\"\nwait_timeout_secs = 240\n",
            key = self.private_key.display().to_string(),
            kh = self.known_hosts.display().to_string(),
            servers = servers.join(", "),
            mirror = self.registry_mirror,
        );
        for node in &self.nodes {
            let _ = write!(
                toml,
                "\n[[nodes]]\nname = {name:?}\naddress = {v4:?}\nprivate_ipv4 = {v4:?}\n\
                 ipv6 = {v6:?}\nrole = {role:?}\n",
                name = node.name,
                v4 = node.ipv4,
                v6 = node.ipv6,
                role = node.role(),
            );
            if let Some(id) = node.zk_id() {
                let _ = writeln!(toml, "zk_id = {id}");
            }
        }
        toml
    }

    /// Ansible's inventory: groups `masters` and `agents`, the same addresses, the operator
    /// with its key and `become`, strict host keys against the same known_hosts.
    pub fn ansible_yaml(&self) -> String {
        let ssh_args = format!(
            "-o UserKnownHostsFile={} -o StrictHostKeyChecking=yes",
            self.known_hosts.display()
        );
        let mut yaml = format!(
            "all:\n  vars:\n    ansible_user: ops\n    ansible_become: true\n    \
             ansible_ssh_private_key_file: {key:?}\n    ansible_ssh_common_args: {ssh_args:?}\n    \
             docker_daemon_json: '{{\"registry-mirrors\": [{mirror:?}]}}'\n  children:\n",
            key = self.private_key.display().to_string(),
            mirror = self.registry_mirror,
        );
        for (group, nodes) in [
            ("masters", self.masters().collect::<Vec<_>>()),
            ("agents", self.agents().collect()),
        ] {
            let _ = writeln!(yaml, "    {group}:\n      hosts:");
            for n in nodes {
                let _ = writeln!(
                    yaml,
                    "        {}:\n          ansible_host: {:?}\n          private_ipv4: {:?}\n          ipv6: {:?}",
                    n.name, n.ipv4, n.ipv4, n.ipv6
                );
                if let Some(id) = n.zk_id() {
                    let _ = writeln!(yaml, "          zk_id: {id}");
                }
            }
        }
        yaml
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster() -> Cluster {
        let node = |name: &str, o: u8| Node {
            name: name.into(),
            ipv4: format!("10.77.0.{o}"),
            ipv6: format!("fd77::{o}"),
        };
        Cluster {
            nodes: vec![node("m1", 11), node("s1", 21)],
            private_key: "/k/id".into(),
            known_hosts: "/k/known_hosts".into(),
            registry_mirror: "http://10.77.0.2:5000".into(),
        }
    }

    #[test]
    fn both_inventories_list_the_same_nodes() {
        let c = cluster();
        let toml = c.provisioner_toml();
        assert!(toml.contains("forks = 12"), "{toml}");
        assert!(toml.contains("time_servers = [\"10.77.0.11\"]"), "{toml}");
        assert!(
            toml.contains("name = \"m1\"\naddress = \"10.77.0.11\""),
            "{toml}"
        );
        assert!(toml.contains("role = \"master\"\nzk_id = 1\n"), "{toml}");
        let yaml = c.ansible_yaml();
        assert!(
            yaml.contains(
                "    masters:\n      hosts:\n        m1:\n          ansible_host: \"10.77.0.11\""
            ),
            "{yaml}"
        );
        assert!(yaml.contains("          zk_id: 1\n    agents:"), "{yaml}");
        assert!(yaml.contains("        s1:\n"), "{yaml}");
    }
}
