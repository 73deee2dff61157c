//! Default iRules (`networkDomainVip/defaultIrule`): the read-only catalog of scripts a virtual
//! listener can run on its traffic (`CCDEFAULT.*`).

use super::vip_common::VIP_AREA;
use super::virtual_listener::{ListenerCompatibility, ListenerProtocol, ListenerType};
use super::IdName;
use crate::client::Client;
use crate::error::Result;
use serde::Deserialize;

/// A default iRule of a network domain. The item nests the iRule (`irule {id, name}`) beside
/// its compatibility list, as the XML contract does; the JSON shape is our reading.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DefaultIrule {
    /// The iRule's id and name, e.g. `CCDEFAULT.Ips`.
    pub irule: IdName,
    /// The listener kinds it can be used with.
    #[serde(default)]
    pub virtual_listener_compatibility: Vec<ListenerCompatibility>,
}

impl DefaultIrule {
    /// Its id.
    pub fn id(&self) -> &str {
        &self.irule.id
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.irule.name
    }

    /// Whether a listener of this type and protocol can use the iRule.
    pub fn supports(&self, listener_type: &ListenerType, protocol: &ListenerProtocol) -> bool {
        self.virtual_listener_compatibility
            .iter()
            .any(|c| c.listener_type == *listener_type && c.protocol == *protocol)
    }
}

impl Client {
    /// The default iRules of a network domain.
    pub async fn list_default_irules(&self, network_domain_id: &str) -> Result<Vec<DefaultIrule>> {
        self.list_all(
            "GET networkDomainVip/defaultIrule",
            &[VIP_AREA, "defaultIrule"],
            &[("networkDomainId", network_domain_id)],
            "defaultIrule",
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paging::Page;

    #[test]
    fn parses_the_nested_catalog_shape() {
        let body = br#"{"defaultIrule":[{"irule":{"id":"ir-3","name":"CCDEFAULT.Ips"},
            "virtualListenerCompatibility":[{"type":"STANDARD","protocol":"UDP"}]}],
            "pageNumber":1,"pageCount":1,"totalCount":1,"pageSize":250}"#;
        let page: Page<DefaultIrule> = Page::parse(body, "defaultIrule").unwrap();
        let rule = &page.items[0];
        assert_eq!((rule.id(), rule.name()), ("ir-3", "CCDEFAULT.Ips"));
        assert!(rule.supports(&ListenerType::Standard, &ListenerProtocol::Udp));
    }
}
