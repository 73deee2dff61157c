//! Default health monitors (`networkDomainVip/defaultHealthMonitor?networkDomainId=`): the
//! read-only `CCDEFAULT.*` catalog a network domain offers to nodes and pools.

use super::at_most_one;
use super::vip_common::VIP_AREA;
use crate::client::Client;
use crate::error::Result;
use serde::Deserialize;

/// A default health monitor.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DefaultHealthMonitor {
    /// Id.
    pub id: String,
    /// Name, e.g. `CCDEFAULT.Http`.
    pub name: String,
    /// Whether a node may use it.
    #[serde(default)]
    pub node_compatible: bool,
    /// Whether a pool may use it.
    #[serde(default)]
    pub pool_compatible: bool,
}

const COLLECTION: &str = "defaultHealthMonitor";

impl Client {
    /// The default health monitors a network domain offers.
    pub async fn list_default_health_monitors(
        &self,
        network_domain_id: &str,
    ) -> Result<Vec<DefaultHealthMonitor>> {
        self.list_all(
            "GET networkDomainVip/defaultHealthMonitor",
            &[VIP_AREA, COLLECTION],
            &[("networkDomainId", network_domain_id)],
            COLLECTION,
        )
        .await
    }

    /// The default health monitor of a network domain named `name`, if there is one.
    pub async fn find_default_health_monitor(
        &self,
        network_domain_id: &str,
        name: &str,
    ) -> Result<Option<DefaultHealthMonitor>> {
        let found: Vec<DefaultHealthMonitor> = self
            .list_default_health_monitors(network_domain_id)
            .await?
            .into_iter()
            .filter(|m| m.name == name)
            .collect();
        at_most_one("default health monitor", found, || {
            format!("name {name:?} in network domain {network_domain_id}")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_recorded_catalog_entry() {
        let body =
            r#"{"id":"hm-1","name":"CCDEFAULT.Icmp","nodeCompatible":true,"poolCompatible":false}"#;
        let monitor: DefaultHealthMonitor = serde_json::from_str(body).unwrap();
        assert!(monitor.node_compatible && !monitor.pool_compatible);
    }
}
