//! Reading the cluster's health: ZooKeeper modes, the elected Mesos master and its agents,
//! Marathon's leader and apps. Every read goes through a [`transport::Dialer`], so the same
//! reader runs over SSH `direct-tcpip` channels (daemons reachable only from inside the cluster)
//! and over plain TCP.

pub mod http;
pub mod marathon;
pub mod mesos;
pub mod report;
pub mod transport;
pub mod zookeeper;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use futures_util::future::join_all;

use crate::cluster::{ClusterNode, ClusterView};
use crate::inventory::{Settings, MESOS_MASTER_PORT};
use marathon::MarathonError;
use mesos::MasterState;
use transport::{Dialer, TcpDialer};
use zookeeper::ZkStatus;

/// Which dialer reaches which node's daemons: a node's own SSH connection where there is one,
/// else a fallback (any live connection, or plain TCP).
#[derive(Clone, Default)]
pub struct Routes {
    per_node: HashMap<String, Arc<dyn Dialer>>,
    fallback: Option<Arc<dyn Dialer>>,
}

impl fmt::Debug for Routes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Routes")
            .field("nodes", &self.per_node.keys().collect::<Vec<_>>())
            .field("fallback", &self.fallback.as_ref().map(|d| d.via()))
            .finish()
    }
}

impl Routes {
    /// Plain TCP to every node.
    pub fn direct() -> Routes {
        Routes {
            per_node: HashMap::new(),
            fallback: Some(Arc::new(TcpDialer)),
        }
    }

    /// Reach `node`'s daemons through `dialer`; the first one added is also the fallback.
    pub fn insert(&mut self, node: &str, dialer: Arc<dyn Dialer>) {
        if self.fallback.is_none() {
            self.fallback = Some(dialer.clone());
        }
        self.per_node.insert(node.to_string(), dialer);
    }

    /// The dialer for `node`.
    pub fn for_node(&self, node: &str) -> Option<Arc<dyn Dialer>> {
        self.per_node
            .get(node)
            .cloned()
            .or_else(|| self.fallback.clone())
    }
}

/// Ports of the daemons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    /// ZooKeeper client port.
    pub zookeeper: u16,
    /// Mesos master.
    pub mesos_master: u16,
    /// Marathon HTTP.
    pub marathon: u16,
}

impl Ports {
    /// The ports the settings give.
    pub fn from_settings(s: &Settings) -> Ports {
        Ports {
            zookeeper: s.zookeeper.client_port,
            mesos_master: MESOS_MASTER_PORT,
            marathon: s.marathon.http_port,
        }
    }
}

/// Reads the daemons of a cluster.
#[derive(Debug, Clone)]
pub struct Reader {
    /// The cluster.
    pub cluster: Arc<ClusterView>,
    /// How to reach each node.
    pub routes: Routes,
    /// Daemon ports.
    pub ports: Ports,
}

/// The private address daemons are dialled on.
fn dial_host(n: &ClusterNode) -> String {
    n.private_ip()
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| n.name.clone())
}

fn no_route(n: &ClusterNode) -> String {
    format!("no connection reaches {}", n.name)
}

impl Reader {
    /// One master's ZooKeeper mode.
    pub async fn zookeeper(&self, m: &ClusterNode) -> ZkStatus {
        match self.routes.for_node(&m.name) {
            Some(d) => zookeeper::status(d.as_ref(), &dial_host(m), self.ports.zookeeper).await,
            None => ZkStatus {
                mode: zookeeper::ZkMode::Unreachable(no_route(m)),
                version: None,
            },
        }
    }

    /// One master's `/master/state`.
    pub async fn mesos(&self, m: &ClusterNode) -> Result<MasterState, String> {
        let d = self.routes.for_node(&m.name).ok_or_else(|| no_route(m))?;
        mesos::master_state(d.as_ref(), &dial_host(m), self.ports.mesos_master)
            .await
            .map_err(|e| e.to_string())
    }

    /// The Marathon leader as one master's Marathon sees it.
    pub async fn marathon_leader(&self, m: &ClusterNode) -> Result<String, MarathonError> {
        let d = self
            .routes
            .for_node(&m.name)
            .ok_or_else(|| MarathonError::Transient(no_route(m)))?;
        marathon::leader(d.as_ref(), &dial_host(m), self.ports.marathon).await
    }

    /// Marathon's apps, asked through one master's Marathon.
    pub async fn marathon_apps(
        &self,
        m: &ClusterNode,
    ) -> Result<Vec<marathon::AppStatus>, MarathonError> {
        let d = self
            .routes
            .for_node(&m.name)
            .ok_or_else(|| MarathonError::Transient(no_route(m)))?;
        marathon::apps(d.as_ref(), &dial_host(m), self.ports.marathon).await
    }

    /// Every master's ZooKeeper mode, read at the same time.
    pub async fn zookeeper_all(&self) -> Vec<(String, ZkStatus)> {
        let masters = self.cluster.masters();
        let reads = masters.iter().map(|m| self.zookeeper(m));
        let got = join_all(reads).await;
        masters.iter().map(|m| m.name.clone()).zip(got).collect()
    }

    /// Every master's state, read at the same time.
    pub async fn mesos_all(&self) -> Vec<(String, Result<MasterState, String>)> {
        let masters = self.cluster.masters();
        let got = join_all(masters.iter().map(|m| self.mesos(m))).await;
        masters.iter().map(|m| m.name.clone()).zip(got).collect()
    }

    /// Every master's view of the Marathon leader, read at the same time.
    pub async fn marathon_all(&self) -> Vec<(String, Result<String, MarathonError>)> {
        let masters = self.cluster.masters();
        let got = join_all(masters.iter().map(|m| self.marathon_leader(m))).await;
        masters.iter().map(|m| m.name.clone()).zip(got).collect()
    }

    /// The master whose private address, public address or name matches `host` (a pid's IP,
    /// `leader_info.hostname`, or Marathon's `host:port` leader without the port).
    pub fn master_named_by(&self, host: &str) -> Option<&ClusterNode> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.cluster.masters().into_iter().find(|m| {
            m.name == host
                || m.private_ip().is_some_and(|ip| ip.to_string() == host)
                || m.ipv4.is_some_and(|ip| ip.to_string() == host)
                || m.ipv6.is_some_and(|ip| ip.to_string() == host)
                || m.public_address.as_deref() == Some(host)
        })
    }

    /// The master that leads Mesos, by the elected master's pid (or `leader_info`).
    pub fn mesos_leader_node(&self, state: &MasterState) -> Option<&ClusterNode> {
        let by_pid = state
            .leader
            .as_deref()
            .and_then(mesos::pid_address)
            .and_then(|(ip, _)| self.master_named_by(&ip));
        by_pid.or_else(|| {
            state
                .leader_info
                .as_ref()
                .and_then(|l| self.master_named_by(&l.hostname))
        })
    }
}

/// `host` of a `host:port` (IPv6 in brackets allowed).
pub fn host_of(host_port: &str) -> &str {
    match host_port.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host_port,
    }
}
