//! The cluster as every host sees it: each node's name, addresses, role and ZooKeeper id, and
//! what follows from them (the ZooKeeper ensemble, the `zk://` URLs, the Mesos quorum). The same
//! view comes from an inventory (`converge`, `check-health`, `submit-apps`) or from the command
//! line (`bootstrap --peer`), and is validated the same way before any connection.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::inventory::Role;
use crate::render::hosts::HostEntry;

/// One node of the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNode {
    /// Host name.
    pub name: String,
    /// Private IPv4 address.
    pub ipv4: Option<Ipv4Addr>,
    /// IPv6 address.
    pub ipv6: Option<Ipv6Addr>,
    /// Role; `None` for a peer given in the old `NAME=IPV4,IPV6` form (listed in `/etc/hosts`
    /// only).
    pub role: Option<Role>,
    /// ZooKeeper server id (masters only).
    pub zk_id: Option<u8>,
    /// Address users reach the node's web interfaces on (Mesos `hostname`, the URLs in reports).
    pub public_address: Option<String>,
}

impl ClusterNode {
    /// The address cluster traffic uses: the private IPv4 address, else the IPv6 address.
    pub fn private_ip(&self) -> Option<IpAddr> {
        self.ipv4
            .map(IpAddr::V4)
            .or_else(|| self.ipv6.map(IpAddr::V6))
    }

    /// The public address, or the private one when none is known.
    pub fn advertised(&self) -> String {
        self.public_address
            .clone()
            .or_else(|| self.private_ip().map(|ip| ip.to_string()))
            .unwrap_or_else(|| self.name.clone())
    }
}

/// `host:port`, with IPv6 addresses in brackets.
pub fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Every node of the cluster, in inventory order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterView {
    /// The nodes.
    pub nodes: Vec<ClusterNode>,
}

/// One ZooKeeper ensemble member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkServer {
    /// `server.N` id (the member's `myid`).
    pub id: u8,
    /// Node name.
    pub name: String,
    /// Private address.
    pub ip: IpAddr,
}

impl ClusterView {
    /// The `/etc/hosts` entries of every node.
    pub fn hosts(&self) -> Vec<HostEntry> {
        self.nodes
            .iter()
            .map(|n| HostEntry {
                name: n.name.clone(),
                ipv4: n.ipv4,
                ipv6: n.ipv6,
            })
            .collect()
    }

    /// The node with this name.
    pub fn node(&self, name: &str) -> Option<&ClusterNode> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// Masters, in ZooKeeper id order (ids are validated unique).
    pub fn masters(&self) -> Vec<&ClusterNode> {
        let mut m: Vec<&ClusterNode> = self
            .nodes
            .iter()
            .filter(|n| n.role == Some(Role::Master))
            .collect();
        m.sort_by_key(|n| n.zk_id);
        m
    }

    /// Agents, in inventory order.
    pub fn agents(&self) -> Vec<&ClusterNode> {
        self.nodes
            .iter()
            .filter(|n| n.role == Some(Role::Agent))
            .collect()
    }

    /// The ZooKeeper ensemble: every master with an id and an address.
    pub fn ensemble(&self) -> Vec<ZkServer> {
        self.masters()
            .into_iter()
            .filter_map(|n| {
                Some(ZkServer {
                    id: n.zk_id?,
                    name: n.name.clone(),
                    ip: n.private_ip()?,
                })
            })
            .collect()
    }

    /// `host:port,host:port,...` of the ensemble's client ports.
    pub fn zk_hosts(&self, client_port: u16) -> String {
        self.ensemble()
            .iter()
            .map(|s| host_port(&s.ip.to_string(), client_port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// `zk://host:port,.../<path>`.
    pub fn zk_url(&self, client_port: u16, path: &str) -> String {
        format!("zk://{}/{}", self.zk_hosts(client_port), path)
    }

    /// The Mesos master quorum: a strict majority of the masters.
    pub fn quorum(&self) -> usize {
        self.masters().len() / 2 + 1
    }
}

/// Cluster rules every view must pass before any connection: problems (errors) and warnings,
/// each naming its field. `field(i, sub)` names node `i`'s field `sub` (`nodes[3].zk_id`, or
/// `--peer m2` on the command line); `sub` is `None` for the node as a whole.
pub fn validate(
    view: &ClusterView,
    field: &dyn Fn(usize, Option<&str>) -> String,
    need_masters: bool,
) -> (Vec<String>, Vec<String>) {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut ids: BTreeMap<u8, &str> = BTreeMap::new();
    for (i, n) in view.nodes.iter().enumerate() {
        match (n.role, n.zk_id) {
            (Some(Role::Master), None) => problems.push(format!(
                "{}: master `{}` needs an explicit ZooKeeper id (1-255, unique)",
                field(i, Some("zk_id")),
                n.name
            )),
            (Some(Role::Master), Some(0)) => problems.push(format!(
                "{}: 0 is not a ZooKeeper id (1-255)",
                field(i, Some("zk_id"))
            )),
            (Some(Role::Master), Some(id)) => {
                if let Some(other) = ids.insert(id, &n.name) {
                    problems.push(format!(
                        "{}: {id} is also the id of `{other}`",
                        field(i, Some("zk_id"))
                    ));
                }
            }
            (_, Some(_)) => problems.push(format!(
                "{}: only masters run ZooKeeper (`{}` is not a master)",
                field(i, Some("zk_id")),
                n.name
            )),
            _ => {}
        }
        if n.role == Some(Role::Master) && n.private_ip().is_none() {
            problems.push(format!(
                "{}: master `{}` needs private_ipv4 or ipv6 for the ZooKeeper ensemble",
                field(i, None),
                n.name
            ));
        }
    }
    let masters = view.masters().len();
    let agents = view.agents().len();
    if masters == 0 {
        if need_masters || agents > 0 {
            problems.push(if agents > 0 {
                "nodes: agents need a master, but no node has role = \"master\"".to_string()
            } else {
                "nodes: at least one node needs role = \"master\"".to_string()
            });
        }
    } else if masters.is_multiple_of(2) {
        problems.push(format!(
            "nodes: {masters} masters cannot keep a majority quorum through a failure; use an odd number (3 recommended)"
        ));
    } else if masters == 1 {
        warnings.push(
            "nodes: 1 master: no failover (ZooKeeper, Mesos and Marathon each run once); 3 are recommended"
                .to_string(),
        );
    }
    (problems, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, o: u8, role: Role, zk: Option<u8>) -> ClusterNode {
        ClusterNode {
            name: name.into(),
            ipv4: Some(Ipv4Addr::new(10, 77, 0, o)),
            ipv6: Some(format!("fd77::{o}").parse().unwrap()),
            role: Some(role),
            zk_id: zk,
            public_address: None,
        }
    }

    fn three_plus_one() -> ClusterView {
        ClusterView {
            nodes: vec![
                node("s1", 21, Role::Agent, None),
                node("m3", 13, Role::Master, Some(1)),
                node("m1", 11, Role::Master, Some(3)),
                node("m2", 12, Role::Master, Some(2)),
            ],
        }
    }

    #[test]
    fn ensemble_follows_explicit_ids_not_list_order() {
        let v = three_plus_one();
        let ensemble = v.ensemble();
        let ids: Vec<(u8, &str)> = ensemble.iter().map(|s| (s.id, s.name.as_str())).collect();
        assert_eq!(ids, vec![(1, "m3"), (2, "m2"), (3, "m1")]);
        assert_eq!(
            v.zk_url(2181, "mesos"),
            "zk://10.77.0.13:2181,10.77.0.12:2181,10.77.0.11:2181/mesos"
        );
        assert_eq!(v.quorum(), 2);
        assert_eq!(v.agents().len(), 1);
    }

    #[test]
    fn ipv6_only_members_are_bracketed() {
        let mut v = three_plus_one();
        for n in &mut v.nodes {
            n.ipv4 = None;
        }
        assert!(v.zk_hosts(2181).starts_with("[fd77::13]:2181,"));
        assert_eq!(host_port("10.0.0.1", 5050), "10.0.0.1:5050");
    }

    #[test]
    fn zk_ids_must_be_present_unique_and_on_masters_only() {
        let mut v = three_plus_one();
        v.nodes[0].zk_id = Some(9);
        v.nodes[2].zk_id = Some(1);
        v.nodes[3].zk_id = None;
        let f = |i: usize, sub: Option<&str>| match sub {
            Some(s) => format!("nodes[{i}].{s}"),
            None => format!("nodes[{i}]"),
        };
        let (problems, _) = validate(&v, &f, true);
        let all = problems.join("\n");
        assert!(
            all.contains("nodes[0].zk_id: only masters run ZooKeeper"),
            "{all}"
        );
        assert!(
            all.contains("nodes[2].zk_id: 1 is also the id of `m3`"),
            "{all}"
        );
        assert!(
            all.contains("nodes[3].zk_id: master `m2` needs an explicit ZooKeeper id"),
            "{all}"
        );
    }

    #[test]
    fn master_counts() {
        let f = |i: usize, _: Option<&str>| format!("nodes[{i}]");
        let mut v = three_plus_one();
        v.nodes.pop();
        let (p, _) = validate(&v, &f, true);
        assert!(p[0].contains("2 masters cannot keep a majority"), "{p:?}");
        v.nodes.pop();
        let (p, w) = validate(&v, &f, true);
        assert!(p.is_empty(), "{p:?}");
        assert!(w[0].contains("1 master: no failover"));
        v.nodes.pop();
        let (p, _) = validate(&v, &f, true);
        assert!(p[0].contains("agents need a master"), "{p:?}");
        let (p, _) = validate(&ClusterView::default(), &f, false);
        assert!(p.is_empty());
    }
}
