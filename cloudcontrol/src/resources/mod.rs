//! Typed resources and their operations, one file per resource, each shaped
//! the same way: response types, request types, then the `Client` methods.

mod account;
mod address_list;
mod anti_affinity;
mod datacenter;
mod firewall_rule;
mod hardware;
mod image;
mod named_list;
mod nat_rule;
mod network_domain;
mod port_list;
mod public_ip_block;
mod server;
mod tag;
mod vip_common;
mod vip_health_monitor;
mod vip_irule;
mod vip_node;
mod vip_persistence_profile;
mod vip_pool;
mod vip_pool_member;
mod virtual_listener;
mod vlan;

pub use account::*;
pub use address_list::*;
pub use anti_affinity::*;
pub use datacenter::*;
pub use firewall_rule::*;
pub use hardware::*;
pub use image::*;
pub use nat_rule::*;
pub use network_domain::*;
pub use port_list::*;
pub use public_ip_block::*;
pub use server::*;
pub use tag::*;
pub use vip_common::{VIP_AREA, VIP_STATUSES};
pub use vip_health_monitor::*;
pub use vip_irule::*;
pub use vip_node::*;
pub use vip_persistence_profile::*;
pub use vip_pool::*;
pub use vip_pool_member::*;
pub use virtual_listener::*;
pub use vlan::*;

use crate::client::Client;
use crate::envelope::ApiResponse;
use crate::error::{Error, Result};
use crate::wait::{Deadline, Stateful, WaitOptions};
use serde::{Deserialize, Serialize};
use std::future::Future;

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

/// The one element of `found`, `None` when it is empty, or [`Error::Ambiguous`] naming
/// `criteria` when there are several.
pub(crate) fn at_most_one<T>(
    kind: &'static str,
    mut found: Vec<T>,
    criteria: impl FnOnce() -> String,
) -> Result<Option<T>> {
    match found.len() {
        0 | 1 => Ok(found.pop()),
        count => Err(Error::Ambiguous {
            kind,
            criteria: criteria(),
            count,
        }),
    }
}

impl Client {
    /// The asset `fetch` reads once no operation is running on it, or `None` when it does
    /// not exist. One that ends an operation in a failed state is an error naming it.
    pub(crate) async fn settled_asset<T, F, Fut>(
        &self,
        operation: &str,
        kind: &'static str,
        id: &str,
        wait: &WaitOptions,
        fetch: F,
    ) -> Result<Option<T>>
    where
        T: Stateful,
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Option<T>>>,
    {
        let deadline = wait.start();
        match deadline.read(operation, fetch()).await? {
            Some(asset) if asset.state().is_pending() => self
                .poll(&deadline, operation, kind, id)
                .until_normal(|_| true, &fetch)
                .await
                .map(Some),
            Some(asset) if !asset.state().is_normal() => Err(Error::OperationFailed {
                operation: operation.to_owned(),
                kind,
                id: id.to_owned(),
                state: asset.state().to_string(),
            }),
            other => Ok(other),
        }
    }

    /// Deletes the asset `id` with a `{"id"}` request to `segments` and waits until it is gone,
    /// continuing from what is true: an asset already gone is done, one already being deleted
    /// is waited for, and a request that got no answer is resolved by reading the asset.
    pub(crate) async fn delete_asset<T, F, Fut>(
        &self,
        operation: &str,
        kind: &'static str,
        segments: &[&str],
        id: &str,
        deadline: &Deadline,
        fetch: F,
    ) -> Result<()>
    where
        T: Stateful,
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Option<T>>>,
    {
        let leaving = |asset: &Option<T>| asset.as_ref().is_none_or(|a| a.state().is_leaving());
        let current = deadline.read(operation, fetch()).await?;
        if current.is_none() {
            return Ok(());
        }
        if !leaving(&current) {
            self.act(operation, segments, &IdBody { id }, deadline, || async {
                Ok(leaving(&fetch().await?).then_some(()))
            })
            .await?;
        }
        self.poll(deadline, operation, kind, id)
            .until_gone(&fetch)
            .await
    }
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
