//! Operator connections for the commands that only read or call APIs (`check-health`,
//! `submit-apps`): key login as the operator, no first contact, every node at once. Each
//! connection also carries the `direct-tcpip` channels the health reader and the Marathon client
//! use.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use futures_util::future::join_all;

use crate::health::Routes;
use crate::hostlog::HostLog;
use crate::inventory::{Node, Settings};
use crate::remote::{Exec, Remote};
use crate::ssh::{self, Credentials, Session, Target};

/// Connections to some nodes, and why the others failed.
#[derive(Debug, Default)]
pub struct Fleet {
    /// Connected nodes.
    pub remotes: BTreeMap<String, Arc<Remote>>,
    /// Nodes that could not be reached, with the reason.
    pub failures: BTreeMap<String, String>,
}

impl Fleet {
    /// Connects to every node as the operator with the key.
    pub async fn connect(
        nodes: &[&Node],
        settings: &Settings,
        log_dir: &Path,
    ) -> anyhow::Result<Fleet> {
        let key = Arc::new(ssh::load_private_key(&settings.ssh.private_key)?);
        let attempts = nodes.iter().map(|n| {
            let key = key.clone();
            async move {
                let target = Target {
                    host: n.address.clone(),
                    port: n.port,
                    policy: settings.ssh.policy,
                    known_hosts: settings.ssh.known_hosts.clone(),
                    connect_budget: settings.ssh.connect_budget,
                };
                let creds = Credentials::Key {
                    user: settings.ssh.user.clone(),
                    key,
                };
                let result = async {
                    let log = Arc::new(
                        HostLog::open(log_dir, &n.name, Vec::new())
                            .map_err(|e| format!("log in {}: {e}", log_dir.display()))?,
                    );
                    let session = Session::connect(&target, &creds)
                        .await
                        .map_err(|e| e.to_string())?;
                    Remote::new(&n.name, session, None, log)
                        .await
                        .map_err(|e| e.to_string())
                }
                .await;
                (n.name.clone(), result)
            }
        });
        let mut fleet = Fleet::default();
        for (name, r) in join_all(attempts).await {
            match r {
                Ok(remote) => {
                    fleet.remotes.insert(name, Arc::new(remote));
                }
                Err(e) => {
                    fleet.failures.insert(name, e);
                }
            }
        }
        Ok(fleet)
    }

    /// Routes through each node's own connection (any connection for the others).
    pub fn routes(&self) -> Routes {
        let mut routes = Routes::default();
        for (name, r) in &self.remotes {
            if let Some(d) = r.dialer() {
                routes.insert(name, d);
            }
        }
        routes
    }

    /// Closes every connection.
    pub async fn close(&self) {
        for r in self.remotes.values() {
            r.close().await;
        }
    }
}
