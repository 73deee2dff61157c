//! VLANs (`network/vlan`): deploy, read, edit, expand, delete.

use super::{at_most_one, created_id, AddressRange, IdName};
use crate::client::{Acted, Client};
use crate::error::Result;
use crate::state::ResourceState;
use crate::wait::{Stateful, WaitOptions};
use serde::{Deserialize, Serialize};

/// Gateway settings of an attached VLAN, as the API reports them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachedVlanInfo {
    /// `LOW` or `HIGH`.
    #[serde(default)]
    pub gateway_addressing: Option<String>,
}

/// A VLAN: an IPv4 (and automatic IPv6) subnet inside a network domain.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vlan {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// The network domain it belongs to.
    pub network_domain: IdName,
    /// The private IPv4 network.
    pub private_ipv4_range: AddressRange,
    /// The IPv4 gateway.
    #[serde(default)]
    pub ipv4_gateway_address: Option<String>,
    /// The IPv6 network (allocated by the platform).
    #[serde(default)]
    pub ipv6_range: Option<AddressRange>,
    /// The IPv6 gateway.
    #[serde(default)]
    pub ipv6_gateway_address: Option<String>,
    /// `LOW` or `HIGH` (top-level form).
    #[serde(default)]
    pub gateway_addressing: Option<String>,
    /// Attached-VLAN details (nested form).
    #[serde(default)]
    pub attached_vlan: Option<AttachedVlanInfo>,
    /// Datacenter id.
    #[serde(default)]
    pub datacenter_id: String,
    /// Creation time.
    #[serde(default)]
    pub create_time: String,
    /// Lifecycle state.
    pub state: ResourceState,
}

impl Vlan {
    /// Gateway addressing (`LOW`/`HIGH`), whichever form the API used.
    pub fn gateway_addressing(&self) -> Option<&str> {
        self.gateway_addressing.as_deref().or_else(|| {
            self.attached_vlan
                .as_ref()
                .and_then(|a| a.gateway_addressing.as_deref())
        })
    }
}

impl Stateful for Vlan {
    fn state(&self) -> &ResourceState {
        &self.state
    }
}

/// Where a new VLAN's IPv4 gateway lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VlanGateway {
    /// The network domain routes the VLAN; the gateway is at the `LOW` (.1) or
    /// `HIGH` (.254 of a /24) end of the range.
    Attached {
        /// `LOW` or `HIGH`.
        gateway_addressing: String,
    },
    /// The customer provides the gateway.
    Detached {
        /// The gateway address.
        ipv4_gateway_address: String,
    },
}

/// Request to deploy a VLAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployVlan {
    /// The network domain.
    pub network_domain_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Network address of the IPv4 range.
    pub private_ipv4_network_address: String,
    /// Prefix length of the IPv4 range.
    pub private_ipv4_prefix_size: u8,
    /// Gateway placement.
    pub gateway: VlanGateway,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeployVlanBody<'a> {
    network_domain_id: &'a str,
    name: &'a str,
    description: &'a str,
    private_ipv4_network_address: &'a str,
    private_ipv4_prefix_size: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    attached_vlan: Option<AttachedBody<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detached_vlan: Option<DetachedBody<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AttachedBody<'a> {
    gateway_addressing: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DetachedBody<'a> {
    ipv4_gateway_address: &'a str,
}

impl DeployVlan {
    fn body(&self) -> DeployVlanBody<'_> {
        let (attached_vlan, detached_vlan) = match &self.gateway {
            VlanGateway::Attached { gateway_addressing } => {
                (Some(AttachedBody { gateway_addressing }), None)
            }
            VlanGateway::Detached {
                ipv4_gateway_address,
            } => (
                None,
                Some(DetachedBody {
                    ipv4_gateway_address,
                }),
            ),
        };
        DeployVlanBody {
            network_domain_id: &self.network_domain_id,
            name: &self.name,
            description: &self.description,
            private_ipv4_network_address: &self.private_ipv4_network_address,
            private_ipv4_prefix_size: self.private_ipv4_prefix_size,
            attached_vlan,
            detached_vlan,
        }
    }
}

/// Request to edit a VLAN; `None` leaves a field unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EditVlan {
    /// Id of the VLAN.
    pub id: String,
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExpandVlanBody<'a> {
    id: &'a str,
    private_ipv4_prefix_size: u8,
}

/// Filters for listing VLANs (exact matches).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VlanFilter {
    /// Only VLANs of this network domain.
    pub network_domain_id: Option<String>,
    /// Only VLANs with this name.
    pub name: Option<String>,
}

const KIND: &str = "VLAN";

impl Client {
    /// One VLAN, or `None` when it does not exist.
    pub async fn get_vlan(&self, id: &str) -> Result<Option<Vlan>> {
        self.get_one("GET network/vlan/{id}", &["network", "vlan", id])
            .await
    }

    /// Every VLAN matching `filter`.
    pub async fn list_vlans(&self, filter: &VlanFilter) -> Result<Vec<Vlan>> {
        let mut query = Vec::new();
        if let Some(domain) = &filter.network_domain_id {
            query.push(("networkDomainId", domain.as_str()));
        }
        if let Some(name) = &filter.name {
            query.push(("name", name.as_str()));
        }
        self.list_all("GET network/vlan", &["network", "vlan"], &query, "vlan")
            .await
    }

    /// The VLAN called `name` in a network domain, if there is one (names are compared
    /// exactly; one being deleted does not count; more than one is an
    /// [`crate::Error::Ambiguous`]).
    pub async fn find_vlan(&self, network_domain_id: &str, name: &str) -> Result<Option<Vlan>> {
        let found: Vec<Vlan> = self
            .list_vlans(&VlanFilter {
                network_domain_id: Some(network_domain_id.to_owned()),
                name: Some(name.to_owned()),
            })
            .await?
            .into_iter()
            .filter(|v| v.name == name && !v.state.is_leaving())
            .collect();
        at_most_one(KIND, found, || {
            format!("name {name:?} in network domain {network_domain_id}")
        })
    }

    /// Deploys a VLAN and waits until it is `NORMAL`. Holds the organisation's
    /// network-domain/VLAN lock throughout.
    ///
    /// Call it only when the domain has no VLAN of that name ([`Client::find_vlan`]): when
    /// the request gets no answer, the VLAN found under that name is taken as the one this
    /// request created.
    pub async fn deploy_vlan(&self, request: &DeployVlan, wait: &WaitOptions) -> Result<Vlan> {
        const OP: &str = "DEPLOY_VLAN";
        let deadline = wait.start();
        let _guard = self.org_lock(&deadline, OP).await?;
        let acted = self
            .act(
                OP,
                &["network", "deployVlan"],
                &request.body(),
                &deadline,
                || async {
                    Ok(self
                        .find_vlan(&request.network_domain_id, &request.name)
                        .await?
                        .map(|v| v.id))
                },
            )
            .await?;
        let id = match acted {
            Acted::Answered(envelope) => created_id(OP, &envelope, "vlanId")?,
            Acted::Observed(id) => id,
        };
        self.poll(&deadline, OP, KIND, &id)
            .until_normal(|_| true, || self.get_vlan(&id))
            .await
    }

    /// The VLAN once no operation is running on it, or `None` when it does not exist;
    /// one in a failed state is an error naming it.
    pub async fn settled_vlan(&self, id: &str, wait: &WaitOptions) -> Result<Option<Vlan>> {
        self.settled_asset("WAIT_FOR_VLAN", KIND, id, wait, || self.get_vlan(id))
            .await
    }

    /// Edits a VLAN's name or description (synchronous).
    pub async fn edit_vlan(&self, request: &EditVlan, wait: &WaitOptions) -> Result<Vlan> {
        const OP: &str = "EDIT_VLAN";
        let deadline = wait.start();
        let applied = |v: &Vlan| {
            request.name.as_ref().is_none_or(|n| *n == v.name)
                && request
                    .description
                    .as_ref()
                    .is_none_or(|d| *d == v.description)
        };
        self.act(OP, &["network", "editVlan"], request, &deadline, || async {
            Ok(self
                .get_vlan(&request.id)
                .await?
                .filter(|v| v.state.is_pending() || applied(v))
                .map(|_| ()))
        })
        .await?;
        self.poll(&deadline, OP, KIND, &request.id)
            .until_normal(|_| true, || self.get_vlan(&request.id))
            .await
    }

    /// Grows a VLAN to the shorter prefix `prefix_size` (irreversible) and waits
    /// until the new range is in place.
    pub async fn expand_vlan(&self, id: &str, prefix_size: u8, wait: &WaitOptions) -> Result<Vlan> {
        const OP: &str = "EXPAND_VLAN";
        let deadline = wait.start();
        let body = ExpandVlanBody {
            id,
            private_ipv4_prefix_size: prefix_size,
        };
        let expanded = |v: &Vlan| v.private_ipv4_range.prefix_size == prefix_size;
        self.act(OP, &["network", "expandVlan"], &body, &deadline, || async {
            Ok(self
                .get_vlan(id)
                .await?
                .filter(|v| v.state.is_pending() || expanded(v))
                .map(|_| ()))
        })
        .await?;
        self.poll(&deadline, OP, KIND, id)
            .until_normal(expanded, || self.get_vlan(id))
            .await
    }

    /// Deletes a VLAN and waits until it is gone. Holds the organisation's
    /// network-domain/VLAN lock throughout. A VLAN already gone is fine, one already being
    /// deleted is waited for.
    pub async fn delete_vlan(&self, id: &str, wait: &WaitOptions) -> Result<()> {
        const OP: &str = "DELETE_VLAN";
        let deadline = wait.start();
        let _guard = self.org_lock(&deadline, OP).await?;
        self.delete_asset(OP, KIND, &["network", "deleteVlan"], id, &deadline, || {
            self.get_vlan(id)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const VLAN: &str = r#"{"networkDomain":{"id":"nd-7","name":"production"},"name":"web","description":"Web tier",
        "privateIpv4Range":{"address":"10.20.0.0","prefixSize":24},"ipv4GatewayAddress":"10.20.0.1",
        "ipv6Range":{"address":"2001:db8:40:12:0:0:0:0","prefixSize":64},"ipv6GatewayAddress":"2001:db8:40:12:0:0:0:1",
        "gatewayAddressing":"LOW","createTime":"2024-03-04T05:06:07.000Z","state":"NORMAL","id":"vl-3","datacenterId":"EU6"}"#;

    #[test]
    fn parses_a_vlan() {
        let vlan: Vlan = serde_json::from_str(VLAN).unwrap();
        assert_eq!(vlan.network_domain.id, "nd-7");
        assert_eq!(vlan.private_ipv4_range.prefix_size, 24);
        assert_eq!(vlan.ipv4_gateway_address.as_deref(), Some("10.20.0.1"));
        assert_eq!(vlan.ipv6_range.as_ref().map(|r| r.prefix_size), Some(64));
        assert_eq!(vlan.gateway_addressing(), Some("LOW"));
    }

    #[test]
    fn reads_gateway_addressing_from_the_nested_form() {
        let body = VLAN.replace(
            r#""gatewayAddressing":"LOW","#,
            r#""attachedVlan":{"gatewayAddressing":"HIGH"},"#,
        );
        let vlan: Vlan = serde_json::from_str(&body).unwrap();
        assert_eq!(vlan.gateway_addressing(), Some("HIGH"));
    }

    #[test]
    fn deploy_bodies_carry_exactly_one_gateway_form() {
        let mut request = DeployVlan {
            network_domain_id: "nd-7".into(),
            name: "web".into(),
            description: String::new(),
            private_ipv4_network_address: "10.20.0.0".into(),
            private_ipv4_prefix_size: 24,
            gateway: VlanGateway::Attached {
                gateway_addressing: "HIGH".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(request.body()).unwrap(),
            json!({"networkDomainId":"nd-7","name":"web","description":"","privateIpv4NetworkAddress":"10.20.0.0",
                   "privateIpv4PrefixSize":24,"attachedVlan":{"gatewayAddressing":"HIGH"}})
        );
        request.gateway = VlanGateway::Detached {
            ipv4_gateway_address: "10.20.0.254".into(),
        };
        let body = serde_json::to_value(request.body()).unwrap();
        assert_eq!(
            body["detachedVlan"],
            json!({"ipv4GatewayAddress":"10.20.0.254"})
        );
        assert!(body.get("attachedVlan").is_none());
    }

    #[test]
    fn expand_body_names_the_new_prefix() {
        let body = ExpandVlanBody {
            id: "vl-3",
            private_ipv4_prefix_size: 23,
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"id":"vl-3","privateIpv4PrefixSize":23})
        );
    }
}
