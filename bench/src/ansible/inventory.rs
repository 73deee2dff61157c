//! The cluster both sides of row 4 provision: the provisioner's TOML inventory is the node
//! harness's Mesos inventory ([`Cluster::provisioner_toml`]), and Ansible's YAML inventory says
//! the same: nodes, roles, ZooKeeper ids, operator, key, host keys (the settings Ansible reads
//! from `bench/ansible/group_vars/all.yml`, which states the same values).

use e2e::nodes::{Node, TestNodes};
use std::fmt::Write as _;
use std::path::PathBuf;

/// The cluster name both sides configure (`cluster_name` in the playbook's group_vars).
pub const CLUSTER_NAME: &str = "bench";

/// The provisioner's `[cluster]` table: the name both sides configure and how long a barrier
/// may wait.
fn cluster_table() -> String {
    format!("[cluster]\nname = \"{CLUSTER_NAME}\"\nwait_timeout_secs = 240\n")
}

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
    /// The provisioner's inventory: the node harness's Mesos inventory of all 12 nodes with this
    /// cluster's key and name.
    pub fn provisioner_toml(&self, nodes: &TestNodes) -> String {
        let mut options = nodes.inventory_options();
        options.private_key = self.private_key.clone();
        nodes.mesos_inventory(&options, &cluster_table())
    }

    fn masters(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.role() == "master")
    }

    fn agents(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.role() == "agent")
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
    fn ansible_inventory_lists_the_nodes_by_group() {
        let c = cluster();
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
