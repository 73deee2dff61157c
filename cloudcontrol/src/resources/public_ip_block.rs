//! Public IPv4 blocks (`network/publicIpBlock`) and reserved public addresses.

use super::{created_id, IdBody};
use crate::client::Client;
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

    /// Adds a public IP block to a network domain and returns it once `NORMAL`.
    pub async fn add_public_ip_block(
        &self,
        network_domain_id: &str,
        wait: &WaitOptions,
    ) -> Result<PublicIpBlock> {
        const OP: &str = "ADD_PUBLIC_IP_BLOCK";
        let deadline = wait.start();
        let envelope = self
            .post(
                OP,
                &["network", "addPublicIpBlock"],
                &AddBlockBody { network_domain_id },
                &deadline,
            )
            .await?;
        let id = created_id(OP, &envelope, "ipBlockId")?;
        self.poll(&deadline, OP, KIND, &id)
            .until_normal(|_| true, || self.get_public_ip_block(&id))
            .await
    }

    /// Removes a public IP block and waits until it is gone.
    pub async fn remove_public_ip_block(&self, id: &str, wait: &WaitOptions) -> Result<()> {
        const OP: &str = "REMOVE_PUBLIC_IP_BLOCK";
        let deadline = wait.start();
        self.post(
            OP,
            &["network", "removePublicIpBlock"],
            &IdBody { id },
            &deadline,
        )
        .await?;
        self.poll(&deadline, OP, KIND, id)
            .until_gone(|| self.get_public_ip_block(id))
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
