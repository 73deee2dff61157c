//! NAT rules (`network/natRule`): 1:1 mappings of a public to a private address.

use super::{at_most_one, created_id};
use crate::client::{Acted, Client};
use crate::error::Result;
use crate::state::ResourceState;
use crate::wait::{Stateful, WaitOptions};
use serde::{Deserialize, Serialize};

/// A NAT rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NatRule {
    /// Id.
    pub id: String,
    /// The network domain.
    pub network_domain_id: String,
    /// The private address.
    pub internal_ip: String,
    /// The public address.
    pub external_ip: String,
    /// Datacenter id.
    #[serde(default)]
    pub datacenter_id: String,
    /// Creation time.
    #[serde(default)]
    pub create_time: String,
    /// Lifecycle state.
    pub state: ResourceState,
}

impl Stateful for NatRule {
    fn state(&self) -> &ResourceState {
        &self.state
    }
}

/// Request to create a NAT rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateNatRule {
    /// The network domain.
    pub network_domain_id: String,
    /// The private address.
    pub internal_ip: String,
    /// The public address; the platform picks a free one of the domain's
    /// blocks when `None` (`NO_IP_ADDRESS_AVAILABLE` when there is none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_ip: Option<String>,
}

const KIND: &str = "NAT rule";

impl Client {
    /// One NAT rule, or `None` when it does not exist.
    pub async fn get_nat_rule(&self, id: &str) -> Result<Option<NatRule>> {
        self.get_one("GET network/natRule/{id}", &["network", "natRule", id])
            .await
    }

    /// Every NAT rule of a network domain.
    pub async fn list_nat_rules(&self, network_domain_id: &str) -> Result<Vec<NatRule>> {
        self.list_all(
            "GET network/natRule",
            &["network", "natRule"],
            &[("networkDomainId", network_domain_id)],
            "natRule",
        )
        .await
    }

    /// The NAT rule of a network domain for the private address `internal_ip`, if there is
    /// one (the API allows one rule per private address).
    pub async fn find_nat_rule(
        &self,
        network_domain_id: &str,
        internal_ip: &str,
    ) -> Result<Option<NatRule>> {
        let found: Vec<NatRule> = self
            .list_nat_rules(network_domain_id)
            .await?
            .into_iter()
            .filter(|r| r.internal_ip == internal_ip && !r.state.is_leaving())
            .collect();
        at_most_one(KIND, found, || {
            format!("internal address {internal_ip} in network domain {network_domain_id}")
        })
    }

    /// Creates a NAT rule and returns it once `NORMAL`.
    ///
    /// Call it only when the domain has no rule for the private address
    /// ([`Client::find_nat_rule`]): when the request gets no answer, the rule found for that
    /// address is taken as the one this request created.
    pub async fn create_nat_rule(
        &self,
        request: &CreateNatRule,
        wait: &WaitOptions,
    ) -> Result<NatRule> {
        const OP: &str = "CREATE_NAT_RULE";
        let deadline = wait.start();
        let acted = self
            .act(
                OP,
                &["network", "createNatRule"],
                request,
                &deadline,
                || async {
                    Ok(self
                        .find_nat_rule(&request.network_domain_id, &request.internal_ip)
                        .await?
                        .map(|r| r.id))
                },
            )
            .await?;
        let id = match acted {
            Acted::Answered(envelope) => created_id(OP, &envelope, "natRuleId")?,
            Acted::Observed(id) => id,
        };
        self.poll(&deadline, OP, KIND, &id)
            .until_normal(|_| true, || self.get_nat_rule(&id))
            .await
    }

    /// The NAT rule once no operation is running on it, or `None` when it does not exist;
    /// one in a failed state is an error naming it.
    pub async fn settled_nat_rule(&self, id: &str, wait: &WaitOptions) -> Result<Option<NatRule>> {
        self.settled_asset("WAIT_FOR_NAT_RULE", KIND, id, wait, || {
            self.get_nat_rule(id)
        })
        .await
    }

    /// Deletes a NAT rule and waits until it is gone (a rule already gone is fine).
    pub async fn delete_nat_rule(&self, id: &str, wait: &WaitOptions) -> Result<()> {
        let deadline = wait.start();
        self.delete_asset(
            "DELETE_NAT_RULE",
            KIND,
            &["network", "deleteNatRule"],
            id,
            &deadline,
            || self.get_nat_rule(id),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_a_nat_rule() {
        let body = r#"{"networkDomainId":"nd-7","internalIp":"10.20.0.10","externalIp":"203.0.113.20",
            "createTime":"2024-03-04T05:06:07.000Z","state":"NORMAL","id":"nat-1","datacenterId":"EU6"}"#;
        let rule: NatRule = serde_json::from_str(body).unwrap();
        assert_eq!(rule.internal_ip, "10.20.0.10");
        assert_eq!(rule.external_ip, "203.0.113.20");
    }

    #[test]
    fn create_body_omits_an_unset_external_address() {
        let mut request = CreateNatRule {
            network_domain_id: "nd-7".into(),
            internal_ip: "10.20.0.10".into(),
            external_ip: None,
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({"networkDomainId":"nd-7","internalIp":"10.20.0.10"})
        );
        request.external_ip = Some("203.0.113.21".into());
        assert_eq!(
            serde_json::to_value(&request).unwrap()["externalIp"],
            "203.0.113.21"
        );
    }
}
