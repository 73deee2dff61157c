//! Typed resources and their operations, one file per resource, each shaped
//! the same way: response types, request types, then the `Client` methods.

mod account;
mod datacenter;
mod firewall_rule;
mod hardware;
mod image;
mod nat_rule;
mod network_domain;
mod public_ip_block;
mod server;
mod vlan;

pub use account::*;
pub use datacenter::*;
pub use firewall_rule::*;
pub use hardware::*;
pub use image::*;
pub use nat_rule::*;
pub use network_domain::*;
pub use public_ip_block::*;
pub use server::*;
pub use vlan::*;

use crate::envelope::ApiResponse;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// A reference to another asset by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IdName {
    /// The asset's id.
    pub id: String,
    /// The asset's name.
    #[serde(default)]
    pub name: String,
}

/// An address range: base address and prefix length.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressRange {
    /// The network (base) address.
    pub address: String,
    /// The prefix length.
    pub prefix_size: u8,
}

/// The body of the many actions that only name their target: `{"id": "..."}`.
#[derive(Debug, Serialize)]
pub(crate) struct IdBody<'a> {
    pub id: &'a str,
}

/// The id an accepted create operation returned under `info[name]`.
pub(crate) fn created_id(operation: &str, envelope: &ApiResponse, name: &str) -> Result<String> {
    envelope
        .info(name)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| Error::UnexpectedResponse {
            operation: operation.to_owned(),
            http_status: 200,
            detail: format!(
                "the {} response has no `{name}` info entry (requestId {})",
                envelope.response_code,
                envelope.request_id.as_deref().unwrap_or("none")
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_ids_come_from_named_info_entries() {
        let env = ApiResponse::parse(
            br#"{"responseCode":"OK","info":[{"name":"natRuleId","value":"n-1"}],"requestId":"r"}"#,
        )
        .unwrap();
        assert_eq!(
            created_id("CREATE_NAT_RULE", &env, "natRuleId").unwrap(),
            "n-1"
        );
        let err = created_id("CREATE_NAT_RULE", &env, "serverId")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("serverId") && err.contains("requestId r"),
            "{err}"
        );
    }
}
