//! Public IPv4 blocks (`network/publicIpBlock`) and reserved public addresses.

use super::{at_most_one, created_id, TagAssetType, TagValue};
use crate::client::{Acted, Client};
use crate::error::Result;
use crate::state::ResourceState;
use crate::wait::{Stateful, WaitOptions};
use serde::{Deserialize, Serialize};

/// A block of consecutive public IPv4 addresses added to a network domain.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicIpBlock {
    /// Id.
    pub id: String,
    /// The network domain.
    pub network_domain_id: String,
    /// First address of the block.
    pub base_ip: String,
    /// Number of addresses (2 on CloudControl).
    pub size: u32,
    /// Datacenter id.
    #[serde(default)]
    pub datacenter_id: String,
    /// Creation time.
    #[serde(default)]
    pub create_time: String,
    /// Lifecycle state.
    pub state: ResourceState,
}

impl Stateful for PublicIpBlock {
    fn state(&self) -> &ResourceState {
        &self.state
    }
}

/// A public address in use (by a NAT rule or a VIP).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservedPublicIp {
    /// The address.
    pub value: String,
    /// The block it belongs to.
    #[serde(default)]
    pub ip_block_id: String,
    /// The network domain.
    #[serde(default)]
    pub network_domain_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AddBlockBody<'a> {
    network_domain_id: &'a str,
}

const KIND: &str = "public IP block";

impl Client {
    /// One public IP block, or `None` when it does not exist.
    pub async fn get_public_ip_block(&self, id: &str) -> Result<Option<PublicIpBlock>> {
        self.get_one(
            "GET network/publicIpBlock/{id}",
            &["network", "publicIpBlock", id],
        )
        .await
    }

    /// Every public IP block of a network domain.
    pub async fn list_public_ip_blocks(
        &self,
        network_domain_id: &str,
    ) -> Result<Vec<PublicIpBlock>> {
        self.list_all(
            "GET network/publicIpBlock",
            &["network", "publicIpBlock"],
            &[("networkDomainId", network_domain_id)],
            "publicIpBlock",
        )
        .await
    }

    /// Adds a public IP block to a network domain, applies `tags` to it right after the API
    /// accepts it (its request cannot carry tags; a failure to apply them is logged and does
    /// not fail the add), and returns it once `NORMAL`.
    ///
    /// A block has no name to look it up by, so adds to one domain from this process go one at
    /// a time, and when a request gets no answer, the one block that appeared in the domain
    /// since the request was sent is taken as the one it added.
    pub async fn add_public_ip_block(
        &self,
        network_domain_id: &str,
        tags: &[TagValue],
        wait: &WaitOptions,
    ) -> Result<PublicIpBlock> {
        const OP: &str = "ADD_PUBLIC_IP_BLOCK";
        let deadline = wait.start();
        let _guard = self
            .named_lock(&deadline, OP, &format!("publicIpBlock/{network_domain_id}"))
            .await?;
        let before: Vec<String> = self
            .list_public_ip_blocks(network_domain_id)
            .await?
            .into_iter()
            .map(|b| b.id)
            .collect();
        let acted = self
            .act(
                OP,
                &["network", "addPublicIpBlock"],
                &AddBlockBody { network_domain_id },
                &deadline,
                || async {
                    let added: Vec<PublicIpBlock> = self
                        .list_public_ip_blocks(network_domain_id)
                        .await?
                        .into_iter()
                        .filter(|b| !before.contains(&b.id))
                        .collect();
                    Ok(at_most_one(KIND, added, || {
                        format!("blocks added to network domain {network_domain_id} while one add was unanswered")
                    })?
                    .map(|b| b.id))
                },
            )
            .await?;
        let id = match acted {
            Acted::Answered(envelope) => created_id(OP, &envelope, "ipBlockId")?,
            Acted::Observed(id) => id,
        };
        if !tags.is_empty() {
            let tagged = self
                .apply_tags(TagAssetType::PublicIpBlock, &id, tags, wait)
                .await;
            if let Err(e) = tagged {
                tracing::warn!(id, "the new public IP block could not be tagged: {e}");
            }
        }
        self.poll(&deadline, OP, KIND, &id)
            .until_normal(|_| true, || self.get_public_ip_block(&id))
            .await
    }

    /// The public IP block once no operation is running on it, or `None` when it does not exist;
    /// one in a failed state is an error naming it.
    pub async fn settled_public_ip_block(
        &self,
        id: &str,
        wait: &WaitOptions,
    ) -> Result<Option<PublicIpBlock>> {
        self.settled_asset("WAIT_FOR_PUBLIC_IP_BLOCK", KIND, id, wait, || {
            self.get_public_ip_block(id)
        })
        .await
    }

    /// Removes a public IP block and waits until it is gone (a block already gone is fine).
    pub async fn remove_public_ip_block(&self, id: &str, wait: &WaitOptions) -> Result<()> {
        let deadline = wait.start();
        self.delete_asset(
            "REMOVE_PUBLIC_IP_BLOCK",
            KIND,
            &["network", "removePublicIpBlock"],
            id,
            &deadline,
            || self.get_public_ip_block(id),
        )
        .await
    }

    /// The public addresses of a network domain that are in use.
    pub async fn list_reserved_public_ips(
        &self,
        network_domain_id: &str,
    ) -> Result<Vec<ReservedPublicIp>> {
        self.list_all(
            "GET network/reservedPublicIpv4Address",
            &["network", "reservedPublicIpv4Address"],
            &[("networkDomainId", network_domain_id)],
            "ip",
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paging::Page;

    #[test]
    fn parses_blocks_and_reserved_addresses() {
        let body = br#"{"publicIpBlock":[{"networkDomainId":"nd-7","baseIp":"203.0.113.20","size":2,
            "createTime":"2024-03-04T05:06:07.000Z","state":"NORMAL","id":"blk-1","datacenterId":"EU6"}],
            "pageNumber":1,"pageCount":1,"totalCount":1,"pageSize":250}"#;
        let page: Page<PublicIpBlock> = Page::parse(body, "publicIpBlock").unwrap();
        assert_eq!(page.items[0].base_ip, "203.0.113.20");
        assert_eq!(page.items[0].size, 2);
        let body = br#"{"ip":[{"value":"203.0.113.21","datacenterId":"EU6","ipBlockId":"blk-1","networkDomainId":"nd-7"}],
            "pageNumber":1,"pageCount":1,"totalCount":1,"pageSize":250}"#;
        let page: Page<ReservedPublicIp> = Page::parse(body, "ip").unwrap();
        assert_eq!(page.items[0].value, "203.0.113.21");
        assert_eq!(page.items[0].ip_block_id, "blk-1");
    }

    #[test]
    fn add_body_names_the_domain() {
        let body = serde_json::to_value(AddBlockBody {
            network_domain_id: "nd-7",
        })
        .unwrap();
        assert_eq!(body, serde_json::json!({"networkDomainId":"nd-7"}));
    }
}
