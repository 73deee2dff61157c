//! Network domains (`network/networkDomain`): deploy, read, edit, delete.

use super::{created_id, AddressRange, TagAssetType, TagValue};
use crate::client::{Acted, Client};
use crate::error::Result;
use crate::state::ResourceState;
use crate::wait::{Stateful, WaitOptions};
use serde::{Deserialize, Serialize};

/// Service plans of a network domain.
pub mod network_domain_types {
    /// The basic plan.
    pub const ESSENTIALS: &str = "ESSENTIALS";
    /// The plan with load balancing and more.
    pub const ADVANCED: &str = "ADVANCED";
}

/// A network domain: an isolated layer-3 network with its own firewall and NAT.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkDomain {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Service plan (`ESSENTIALS`, `ADVANCED`).
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Datacenter id.
    #[serde(default)]
    pub datacenter_id: String,
    /// The source-NAT public address of the domain.
    #[serde(default)]
    pub snat_ipv4_address: Option<String>,
    /// The outside transit subnet.
    #[serde(default)]
    pub outside_transit_vlan_ipv4_subnet: Option<AddressRange>,
    /// Creation time.
    #[serde(default)]
    pub create_time: String,
    /// Lifecycle state.
    pub state: ResourceState,
}

impl Stateful for NetworkDomain {
    fn state(&self) -> &ResourceState {
        &self.state
    }
}

/// Request to deploy a network domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeployNetworkDomain {
    /// Datacenter id (an MCP 2.0 datacenter).
    pub datacenter_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Service plan.
    #[serde(rename = "type")]
    pub kind: String,
    /// Tags applied right after the API accepts the deploy (its request cannot carry tags);
    /// a failure to apply them is logged and does not fail the deploy.
    #[serde(skip)]
    pub tags: Vec<TagValue>,
}

/// Request to edit a network domain; `None` leaves a field unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EditNetworkDomain {
    /// Id of the domain to edit.
    pub id: String,
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New service plan.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// Filters for listing network domains (exact matches).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkDomainFilter {
    /// Only domains with this name.
    pub name: Option<String>,
    /// Only domains in this datacenter.
    pub datacenter_id: Option<String>,
}

const KIND: &str = "network domain";

impl Client {
    /// One network domain, or `None` when it does not exist.
    pub async fn get_network_domain(&self, id: &str) -> Result<Option<NetworkDomain>> {
        self.get_one(
            "GET network/networkDomain/{id}",
            &["network", "networkDomain", id],
        )
        .await
    }

    /// Every network domain matching `filter`.
    pub async fn list_network_domains(
        &self,
        filter: &NetworkDomainFilter,
    ) -> Result<Vec<NetworkDomain>> {
        let mut query = Vec::new();
        if let Some(name) = &filter.name {
            query.push(("name", name.as_str()));
        }
        if let Some(dc) = &filter.datacenter_id {
            query.push(("datacenterId", dc.as_str()));
        }
        self.list_all(
            "GET network/networkDomain",
            &["network", "networkDomain"],
            &query,
            "networkDomain",
        )
        .await
    }

    /// The network domain called `name` in `datacenter_id`, if there is one (names are
    /// compared exactly; more than one is an [`crate::Error::Ambiguous`]).
    pub async fn find_network_domain(
        &self,
        name: &str,
        datacenter_id: &str,
    ) -> Result<Option<NetworkDomain>> {
        let found: Vec<NetworkDomain> = self
            .list_network_domains(&NetworkDomainFilter {
                name: Some(name.to_owned()),
                datacenter_id: Some(datacenter_id.to_owned()),
            })
            .await?
            .into_iter()
            .filter(|d| d.name == name && !d.state.is_leaving())
            .collect();
        super::at_most_one(KIND, found, || {
            format!("name {name:?} in datacenter {datacenter_id}")
        })
    }

    /// Deploys a network domain and waits until it is `NORMAL`. Holds the
    /// organisation's network-domain/VLAN lock throughout.
    ///
    /// Call it only when no domain of that name exists in the datacenter
    /// ([`Client::find_network_domain`]): when the request gets no answer, the domain found
    /// under that name is taken as the one this request created.
    pub async fn deploy_network_domain(
        &self,
        request: &DeployNetworkDomain,
        wait: &WaitOptions,
    ) -> Result<NetworkDomain> {
        let deadline = wait.start();
        let _guard = self.org_lock(&deadline, OP_DEPLOY).await?;
        let id = self.start_network_domain_deploy(request, &deadline).await?;
        if !request.tags.is_empty() {
            let tagged = self
                .apply_tags(TagAssetType::NetworkDomain, &id, &request.tags, wait)
                .await;
            if let Err(e) = tagged {
                tracing::warn!(id, "the new network domain could not be tagged: {e}");
            }
        }
        self.poll(&deadline, OP_DEPLOY, KIND, &id)
            .until_normal(|_| true, || self.get_network_domain(&id))
            .await
    }

    /// Sends the deploy request; the new domain's id.
    async fn start_network_domain_deploy(
        &self,
        request: &DeployNetworkDomain,
        deadline: &crate::wait::Deadline,
    ) -> Result<String> {
        let acted = self
            .act(
                OP_DEPLOY,
                &["network", "deployNetworkDomain"],
                request,
                deadline,
                || async {
                    Ok(self
                        .find_network_domain(&request.name, &request.datacenter_id)
                        .await?
                        .map(|d| d.id))
                },
            )
            .await?;
        match acted {
            Acted::Answered(envelope) => created_id(OP_DEPLOY, &envelope, "networkDomainId"),
            Acted::Observed(id) => Ok(id),
        }
    }

    /// The network domain once no operation is running on it, or `None` when it does not
    /// exist; one in a failed state is an error naming it.
    pub async fn settled_network_domain(
        &self,
        id: &str,
        wait: &WaitOptions,
    ) -> Result<Option<NetworkDomain>> {
        self.settled_asset("WAIT_FOR_NETWORK_DOMAIN", KIND, id, wait, || {
            self.get_network_domain(id)
        })
        .await
    }

    /// Edits a network domain (synchronous) and returns its new state.
    pub async fn edit_network_domain(
        &self,
        request: &EditNetworkDomain,
        wait: &WaitOptions,
    ) -> Result<NetworkDomain> {
        const OP: &str = "EDIT_NETWORK_DOMAIN";
        let deadline = wait.start();
        let applied = |d: &NetworkDomain| {
            request.name.as_ref().is_none_or(|n| *n == d.name)
                && request
                    .description
                    .as_ref()
                    .is_none_or(|n| *n == d.description)
                && request.kind.as_ref().is_none_or(|n| *n == d.kind)
        };
        self.act(
            OP,
            &["network", "editNetworkDomain"],
            request,
            &deadline,
            || async {
                Ok(self
                    .get_network_domain(&request.id)
                    .await?
                    .filter(|d| d.state.is_pending() || applied(d))
                    .map(|_| ()))
            },
        )
        .await?;
        self.poll(&deadline, OP, KIND, &request.id)
            .until_normal(|_| true, || self.get_network_domain(&request.id))
            .await
    }

    /// Deletes a network domain and waits until it is gone. Holds the
    /// organisation's network-domain/VLAN lock throughout. A domain already gone is fine, one
    /// already being deleted is waited for.
    pub async fn delete_network_domain(&self, id: &str, wait: &WaitOptions) -> Result<()> {
        const OP: &str = "DELETE_NETWORK_DOMAIN";
        let deadline = wait.start();
        let _guard = self.org_lock(&deadline, OP).await?;
        self.delete_asset(
            OP,
            KIND,
            &["network", "deleteNetworkDomain"],
            id,
            &deadline,
            || self.get_network_domain(id),
        )
        .await
    }
}

const OP_DEPLOY: &str = "DEPLOY_NETWORK_DOMAIN";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paging::Page;

    const DOMAIN: &str = r#"{"name":"production","description":"Production workloads","type":"ADVANCED",
        "snatIpv4Address":"198.51.100.7","outsideTransitVlanIpv4Subnet":{"address":"100.64.12.0","prefixSize":28},
        "createTime":"2024-03-04T05:06:07.000Z","state":"PENDING_ADD","id":"nd-7","datacenterId":"EU6"}"#;

    #[test]
    fn parses_a_network_domain() {
        let domain: NetworkDomain = serde_json::from_str(DOMAIN).unwrap();
        assert_eq!(domain.kind, "ADVANCED");
        assert_eq!(domain.snat_ipv4_address.as_deref(), Some("198.51.100.7"));
        assert_eq!(
            domain.outside_transit_vlan_ipv4_subnet,
            Some(AddressRange {
                address: "100.64.12.0".into(),
                prefix_size: 28
            })
        );
        assert_eq!(domain.state, ResourceState::PendingAdd);
    }

    #[test]
    fn parses_a_list_and_tolerates_missing_optional_fields() {
        let body = format!(
            r#"{{"networkDomain":[{DOMAIN},{{"id":"nd-8","name":"bare","state":"NORMAL"}}],"pageNumber":1,"pageCount":2,"totalCount":2,"pageSize":250}}"#
        );
        let page: Page<NetworkDomain> = Page::parse(body.as_bytes(), "networkDomain").unwrap();
        assert_eq!(page.items[1].snat_ipv4_address, None);
        assert_eq!(page.items[1].description, "");
    }

    #[test]
    fn request_bodies_use_the_api_names() {
        let deploy = DeployNetworkDomain {
            datacenter_id: "EU6".into(),
            name: "n".into(),
            description: "d".into(),
            kind: network_domain_types::ESSENTIALS.into(),
            tags: vec![],
        };
        assert_eq!(
            serde_json::to_value(&deploy).unwrap(),
            serde_json::json!({"datacenterId":"EU6","name":"n","description":"d","type":"ESSENTIALS"})
        );
        let edit = EditNetworkDomain {
            id: "nd-1".into(),
            description: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&edit).unwrap(),
            serde_json::json!({"id":"nd-1","description":""})
        );
    }
}
