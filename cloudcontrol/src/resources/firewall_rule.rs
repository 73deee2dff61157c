//! Firewall rules (`network/firewallRule`): create with placement, enable or
//! disable, delete.

use super::{at_most_one, created_id, IdName};
use crate::client::{Acted, Client};
use crate::error::Result;
use crate::state::ResourceState;
use crate::wait::{Stateful, WaitOptions};
use serde::{Deserialize, Serialize};

/// An address or network in a rule; address `ANY` matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IpScope {
    /// An address, a network address, or `ANY`.
    pub address: String,
    /// Prefix length when `address` is a network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_size: Option<u8>,
}

impl IpScope {
    /// Matches any address.
    pub fn any() -> Self {
        Self {
            address: "ANY".into(),
            prefix_size: None,
        }
    }

    /// True when this matches any address.
    pub fn is_any(&self) -> bool {
        self.address.eq_ignore_ascii_case("ANY")
    }
}

/// A port or port range (`end` absent for a single port).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRange {
    /// First port.
    pub begin: u16,
    /// Last port, for a range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<u16>,
}

/// One side (source or destination) of a rule. In requests, set `ip` or
/// `ip_address_list_id`, and optionally `port` or `port_list_id`; responses
/// report lists as `ip_address_list` / `port_list`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FirewallScope {
    /// Address or network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpScope>,
    /// Address list to use (requests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address_list_id: Option<String>,
    /// Address list in use (responses).
    #[serde(default, skip_serializing)]
    pub ip_address_list: Option<IdName>,
    /// Port or range; all ports when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<PortRange>,
    /// Port list to use (requests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_list_id: Option<String>,
    /// Port list in use (responses).
    #[serde(default, skip_serializing)]
    pub port_list: Option<IdName>,
}

impl FirewallScope {
    /// Any address, any port.
    pub fn any() -> Self {
        Self {
            ip: Some(IpScope::any()),
            ..Default::default()
        }
    }
}

/// A firewall rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FirewallRule {
    /// Id.
    pub id: String,
    /// The network domain.
    pub network_domain_id: String,
    /// Name, unique in the domain.
    pub name: String,
    /// `ACCEPT_DECISIVELY` or `DROP`.
    pub action: String,
    /// `IPV4` or `IPV6` (compare case-insensitively).
    pub ip_version: String,
    /// `IP`, `ICMP`, `TCP` or `UDP`.
    pub protocol: String,
    /// Source side.
    #[serde(default)]
    pub source: FirewallScope,
    /// Destination side.
    #[serde(default)]
    pub destination: FirewallScope,
    /// Whether the rule is enforced.
    pub enabled: bool,
    /// `DEFAULT_RULE` for the platform's rules, else a client rule.
    #[serde(default)]
    pub rule_type: Option<String>,
    /// Datacenter id.
    #[serde(default)]
    pub datacenter_id: String,
    /// Lifecycle state.
    pub state: ResourceState,
}

impl Stateful for FirewallRule {
    fn state(&self) -> &ResourceState {
        &self.state
    }
}

/// What a rule does with matching traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FirewallAction {
    /// Allow, and stop evaluating further rules.
    AcceptDecisively,
    /// Drop.
    Drop,
}

/// IP version a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IpVersion {
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
}

/// Protocol a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Protocol {
    /// Any IP traffic.
    Ip,
    /// ICMP.
    Icmp,
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// Where a new rule goes in the domain's ordered rule list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Placement {
    /// `FIRST`, `LAST`, `BEFORE` or `AFTER`.
    pub position: PlacementPosition,
    /// The rule name `BEFORE`/`AFTER` refer to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relative_to_rule: Option<String>,
}

/// Position of a new rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PlacementPosition {
    /// Before all rules.
    First,
    /// After all rules.
    Last,
    /// Before a named rule.
    Before,
    /// After a named rule.
    After,
}

/// Request to create a firewall rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateFirewallRule {
    /// The network domain.
    pub network_domain_id: String,
    /// Name.
    pub name: String,
    /// Action.
    pub action: FirewallAction,
    /// Enforce the rule.
    pub enabled: bool,
    /// Position in the rule list.
    pub placement: Placement,
    /// IP version.
    pub ip_version: IpVersion,
    /// Protocol.
    pub protocol: Protocol,
    /// Source side.
    pub source: FirewallScope,
    /// Destination side.
    pub destination: FirewallScope,
}

#[derive(Serialize)]
struct EnableBody<'a> {
    id: &'a str,
    enabled: bool,
}

const KIND: &str = "firewall rule";

impl Client {
    /// One firewall rule, or `None` when it does not exist.
    pub async fn get_firewall_rule(&self, id: &str) -> Result<Option<FirewallRule>> {
        self.get_one(
            "GET network/firewallRule/{id}",
            &["network", "firewallRule", id],
        )
        .await
    }

    /// Every firewall rule of a network domain, default rules included.
    pub async fn list_firewall_rules(&self, network_domain_id: &str) -> Result<Vec<FirewallRule>> {
        self.list_all(
            "GET network/firewallRule",
            &["network", "firewallRule"],
            &[("networkDomainId", network_domain_id)],
            "firewallRule",
        )
        .await
    }

    /// The firewall rule called `name` in a network domain, if there is one (names are
    /// unique in a domain).
    pub async fn find_firewall_rule(
        &self,
        network_domain_id: &str,
        name: &str,
    ) -> Result<Option<FirewallRule>> {
        let found: Vec<FirewallRule> = self
            .list_firewall_rules(network_domain_id)
            .await?
            .into_iter()
            .filter(|r| r.name == name && !r.state.is_leaving())
            .collect();
        at_most_one(KIND, found, || {
            format!("name {name:?} in network domain {network_domain_id}")
        })
    }

    /// Creates a firewall rule and returns it once `NORMAL`.
    ///
    /// Call it only when the domain has no rule of that name
    /// ([`Client::find_firewall_rule`]): when the request gets no answer, the rule found under
    /// that name is taken as the one this request created.
    pub async fn create_firewall_rule(
        &self,
        request: &CreateFirewallRule,
        wait: &WaitOptions,
    ) -> Result<FirewallRule> {
        const OP: &str = "CREATE_FIREWALL_RULE";
        let deadline = wait.start();
        let acted = self
            .act(
                OP,
                &["network", "createFirewallRule"],
                request,
                &deadline,
                || async {
                    Ok(self
                        .find_firewall_rule(&request.network_domain_id, &request.name)
                        .await?
                        .map(|r| r.id))
                },
            )
            .await?;
        let id = match acted {
            Acted::Answered(envelope) => created_id(OP, &envelope, "firewallRuleId")?,
            Acted::Observed(id) => id,
        };
        self.poll(&deadline, OP, KIND, &id)
            .until_normal(|_| true, || self.get_firewall_rule(&id))
            .await
    }

    /// The firewall rule once no operation is running on it, or `None` when it does not exist;
    /// one in a failed state is an error naming it.
    pub async fn settled_firewall_rule(
        &self,
        id: &str,
        wait: &WaitOptions,
    ) -> Result<Option<FirewallRule>> {
        self.settled_asset("WAIT_FOR_FIREWALL_RULE", KIND, id, wait, || {
            self.get_firewall_rule(id)
        })
        .await
    }

    /// Enables or disables a firewall rule and waits until the change shows.
    pub async fn set_firewall_rule_enabled(
        &self,
        id: &str,
        enabled: bool,
        wait: &WaitOptions,
    ) -> Result<FirewallRule> {
        const OP: &str = "EDIT_FIREWALL_RULE";
        let deadline = wait.start();
        self.act(
            OP,
            &["network", "editFirewallRule"],
            &EnableBody { id, enabled },
            &deadline,
            || async {
                Ok(self
                    .get_firewall_rule(id)
                    .await?
                    .filter(|r| r.state.is_pending() || r.enabled == enabled)
                    .map(|_| ()))
            },
        )
        .await?;
        self.poll(&deadline, OP, KIND, id)
            .until_normal(
                |rule: &FirewallRule| rule.enabled == enabled,
                || self.get_firewall_rule(id),
            )
            .await
    }

    /// Deletes a firewall rule and waits until it is gone (a rule already gone is fine).
    pub async fn delete_firewall_rule(&self, id: &str, wait: &WaitOptions) -> Result<()> {
        let deadline = wait.start();
        self.delete_asset(
            "DELETE_FIREWALL_RULE",
            KIND,
            &["network", "deleteFirewallRule"],
            id,
            &deadline,
            || self.get_firewall_rule(id),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn create_body_matches_the_api() {
        let request = CreateFirewallRule {
            network_domain_id: "nd-7".into(),
            name: "web.HTTPS.Inbound".into(),
            action: FirewallAction::AcceptDecisively,
            enabled: true,
            placement: Placement {
                position: PlacementPosition::Before,
                relative_to_rule: Some("deny.all".into()),
            },
            ip_version: IpVersion::Ipv4,
            protocol: Protocol::Tcp,
            source: FirewallScope::any(),
            destination: FirewallScope {
                ip: Some(IpScope {
                    address: "10.20.0.0".into(),
                    prefix_size: Some(24),
                }),
                port: Some(PortRange {
                    begin: 8000,
                    end: Some(8080),
                }),
                ..Default::default()
            },
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({"networkDomainId":"nd-7","name":"web.HTTPS.Inbound","action":"ACCEPT_DECISIVELY","enabled":true,
                   "placement":{"position":"BEFORE","relativeToRule":"deny.all"},"ipVersion":"IPV4","protocol":"TCP",
                   "source":{"ip":{"address":"ANY"}},
                   "destination":{"ip":{"address":"10.20.0.0","prefixSize":24},"port":{"begin":8000,"end":8080}}})
        );
    }

    #[test]
    fn parses_default_and_client_rules() {
        let body = r#"{"networkDomainId":"nd-7","name":"CCDEFAULT.BlockOutboundMailIPv4","action":"DROP","ipVersion":"IPV4",
            "protocol":"TCP","source":{"ip":{"address":"ANY"}},"destination":{"ip":{"address":"ANY"},"port":{"begin":25}},
            "enabled":true,"state":"NORMAL","id":"fw-1","datacenterId":"EU6","ruleType":"DEFAULT_RULE"}"#;
        let rule: FirewallRule = serde_json::from_str(body).unwrap();
        assert!(rule.source.ip.as_ref().unwrap().is_any());
        assert_eq!(
            rule.destination.port,
            Some(PortRange {
                begin: 25,
                end: None
            })
        );
        assert_eq!(rule.rule_type.as_deref(), Some("DEFAULT_RULE"));

        let body = r#"{"networkDomainId":"nd-7","name":"lists","action":"ACCEPT_DECISIVELY","ipVersion":"IPv4","protocol":"UDP",
            "source":{"ipAddressList":{"id":"al-1","name":"office"}},"destination":{"ip":{"address":"10.0.0.5"},"portList":{"id":"pl-1","name":"dns"}},
            "enabled":false,"state":"PENDING_ADD","id":"fw-2"}"#;
        let rule: FirewallRule = serde_json::from_str(body).unwrap();
        assert_eq!(rule.source.ip_address_list.as_ref().unwrap().name, "office");
        assert_eq!(rule.destination.port_list.as_ref().unwrap().id, "pl-1");
        assert!(rule.ip_version.eq_ignore_ascii_case("IPV4"));
        assert_eq!(rule.rule_type, None);
    }

    #[test]
    fn enable_body_is_id_and_flag() {
        assert_eq!(
            serde_json::to_value(EnableBody {
                id: "fw-2",
                enabled: false
            })
            .unwrap(),
            json!({"id":"fw-2","enabled":false})
        );
    }
}
