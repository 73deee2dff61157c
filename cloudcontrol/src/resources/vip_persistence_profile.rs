//! Default persistence profiles (`networkDomainVip/defaultPersistenceProfile`): the read-only
//! catalog of ways a virtual listener keeps a client on one pool member (`CCDEFAULT.*`).

use super::vip_common::VIP_AREA;
use super::virtual_listener::{ListenerCompatibility, ListenerProtocol, ListenerType};
use crate::client::Client;
use crate::error::Result;
use serde::Deserialize;

/// A default persistence profile of a network domain.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersistenceProfile {
    /// Id.
    pub id: String,
    /// Name, e.g. `CCDEFAULT.SourceAddress`.
    pub name: String,
    /// Whether it may be a listener's fallback profile.
    #[serde(default)]
    pub fallback_compatible: bool,
    /// The listener kinds it can be used with. The item shape (nested pairs, as the XML
    /// contract and NTT's info module have it, rather than GO's flat fields) is our reading.
    #[serde(default)]
    pub virtual_listener_compatibility: Vec<ListenerCompatibility>,
}

impl PersistenceProfile {
    /// Whether a listener of this type and protocol can use the profile.
    pub fn supports(&self, listener_type: &ListenerType, protocol: &ListenerProtocol) -> bool {
        self.virtual_listener_compatibility
            .iter()
            .any(|c| c.listener_type == *listener_type && c.protocol == *protocol)
    }
}

impl Client {
    /// The default persistence profiles of a network domain.
    pub async fn list_default_persistence_profiles(
        &self,
        network_domain_id: &str,
    ) -> Result<Vec<PersistenceProfile>> {
        self.list_all(
            "GET networkDomainVip/defaultPersistenceProfile",
            &[VIP_AREA, "defaultPersistenceProfile"],
            &[("networkDomainId", network_domain_id)],
            "defaultPersistenceProfile",
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paging::Page;

    #[test]
    fn parses_the_catalog() {
        let body = br#"{"defaultPersistenceProfile":[{"id":"pp-4","name":"CCDEFAULT.SourceAddress",
            "fallbackCompatible":true,"virtualListenerCompatibility":[{"type":"STANDARD","protocol":"TCP"},
            {"type":"PERFORMANCE_LAYER_4","protocol":"HTTP"}]}],
            "pageNumber":1,"pageCount":1,"totalCount":1,"pageSize":250}"#;
        let page: Page<PersistenceProfile> =
            Page::parse(body, "defaultPersistenceProfile").unwrap();
        let profile = &page.items[0];
        assert!(profile.fallback_compatible);
        assert!(profile.supports(&ListenerType::Standard, &ListenerProtocol::Tcp));
        assert!(!profile.supports(&ListenerType::Standard, &ListenerProtocol::Http));
    }
}
