//! Server anti-affinity rules (`server/antiAffinityRule`): two servers the platform keeps on
//! different hosts. Create and delete are asynchronous; the create answer carries no id, so
//! the rule is found by listing with its servers.

use super::at_most_one;
use crate::client::Client;
use crate::error::Result;
use crate::state::ResourceState;
use crate::wait::{Stateful, WaitOptions};
use serde::{Deserialize, Serialize};

/// The network a server of a rule is on, as the rule reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleNetworkInfo {
    /// The server's network domain.
    #[serde(default)]
    pub network_domain_id: String,
}

/// How a server of a rule is connected.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleNetworkingDetails {
    /// MCP 2.0 networking.
    #[serde(default)]
    pub network_info: RuleNetworkInfo,
}

/// One server of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleServer {
    /// The server's id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its networking.
    #[serde(default)]
    pub networking_details: RuleNetworkingDetails,
}

/// An anti-affinity rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AntiAffinityRule {
    /// Id.
    pub id: String,
    /// Lifecycle state.
    pub state: ResourceState,
    /// Datacenter id.
    #[serde(default)]
    pub datacenter_id: String,
    /// The two servers (`serverSummary` up to 2.10, `server` from 2.11).
    #[serde(default, alias = "server")]
    pub server_summary: Vec<RuleServer>,
}

impl Stateful for AntiAffinityRule {
    fn state(&self) -> &ResourceState {
        &self.state
    }
}

impl AntiAffinityRule {
    /// The servers' ids, in the rule's order.
    pub fn server_ids(&self) -> Vec<String> {
        self.server_summary.iter().map(|s| s.id.clone()).collect()
    }

    /// The network domain of the rule's servers.
    pub fn network_domain_id(&self) -> Option<&str> {
        self.server_summary
            .iter()
            .map(|s| s.networking_details.network_info.network_domain_id.as_str())
            .find(|id| !id.is_empty())
    }

    /// Whether the rule pairs exactly `a` and `b`, in either order.
    pub fn pairs(&self, a: &str, b: &str) -> bool {
        let mut ids = self.server_ids();
        ids.sort();
        let mut wanted = [a.to_owned(), b.to_owned()];
        wanted.sort();
        ids == wanted
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody<'a> {
    server_id: [&'a str; 2],
}

const KIND: &str = "anti-affinity rule";

impl Client {
    /// The anti-affinity rules matching `filters` (`id`, `serverId`, `networkDomainId`, ...).
    async fn list_anti_affinity_rules(
        &self,
        filters: &[(&str, &str)],
    ) -> Result<Vec<AntiAffinityRule>> {
        self.list_all(
            "GET server/antiAffinityRule",
            &["server", "antiAffinityRule"],
            filters,
            "antiAffinityRule",
        )
        .await
    }

    /// One anti-affinity rule, or `None` when it does not exist (rules are read by listing).
    pub async fn get_anti_affinity_rule(&self, id: &str) -> Result<Option<AntiAffinityRule>> {
        let found = self.list_anti_affinity_rules(&[("id", id)]).await?;
        at_most_one(KIND, found, || format!("id {id}"))
    }

    /// The rule server `server_id` belongs to, if any (a server is in one rule at most).
    pub async fn anti_affinity_rule_of(&self, server_id: &str) -> Result<Option<AntiAffinityRule>> {
        let found: Vec<AntiAffinityRule> = self
            .list_anti_affinity_rules(&[("serverId", server_id)])
            .await?
            .into_iter()
            .filter(|r| !r.state.is_leaving())
            .collect();
        at_most_one(KIND, found, || format!("server {server_id}"))
    }

    /// The rule pairing exactly `a` and `b`, if there is one.
    pub async fn anti_affinity_rule_between(
        &self,
        a: &str,
        b: &str,
    ) -> Result<Option<AntiAffinityRule>> {
        Ok(self
            .anti_affinity_rule_of(a)
            .await?
            .filter(|r| r.pairs(a, b)))
    }

    /// Creates the rule keeping `a` and `b` apart and returns it once `NORMAL`.
    ///
    /// Call it only when neither server is in a rule ([`Client::anti_affinity_rule_of`]):
    /// when the request gets no answer, a rule found between the two is taken as this one.
    pub async fn create_anti_affinity_rule(
        &self,
        a: &str,
        b: &str,
        wait: &WaitOptions,
    ) -> Result<AntiAffinityRule> {
        const OP: &str = "CREATE_ANTI_AFFINITY_RULE";
        let deadline = wait.start();
        self.act(
            OP,
            &["server", "createAntiAffinityRule"],
            &CreateBody { server_id: [a, b] },
            &deadline,
            || async { Ok(self.anti_affinity_rule_between(a, b).await?.map(|_| ())) },
        )
        .await?;
        let pair = format!("{a} and {b}");
        self.poll(&deadline, OP, KIND, &pair)
            .until_normal(|_| true, || self.anti_affinity_rule_between(a, b))
            .await
    }

    /// The rule once no operation is running on it, or `None` when it does not exist.
    pub async fn settled_anti_affinity_rule(
        &self,
        id: &str,
        wait: &WaitOptions,
    ) -> Result<Option<AntiAffinityRule>> {
        self.settled_asset("WAIT_FOR_ANTI_AFFINITY_RULE", KIND, id, wait, || {
            self.get_anti_affinity_rule(id)
        })
        .await
    }

    /// Deletes an anti-affinity rule and waits until it is gone (a rule already gone is fine).
    pub async fn delete_anti_affinity_rule(&self, id: &str, wait: &WaitOptions) -> Result<()> {
        let deadline = wait.start();
        self.delete_asset(
            "DELETE_ANTI_AFFINITY_RULE",
            KIND,
            &["server", "deleteAntiAffinityRule"],
            id,
            &deadline,
            || self.get_anti_affinity_rule(id),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_recorded_shapes() {
        let old = r#"{"id":"r-1","state":"NORMAL","created":"2017-01-01T00:00:00.000Z","datacenterId":"NA9",
            "serverSummary":[{"id":"s-1","name":"m1","description":"",
              "networkingDetails":{"networkInfo":{"networkDomainId":"nd-1","networkDomainName":"prod",
                "primaryNic":{"id":"n","privateIpv4":"10.0.0.11","vlanId":"v","vlanName":"main"}}}},
              {"id":"s-2","name":"m2"}]}"#;
        let rule: AntiAffinityRule = serde_json::from_str(old).unwrap();
        assert_eq!(rule.server_ids(), ["s-1", "s-2"]);
        assert_eq!(rule.network_domain_id(), Some("nd-1"));
        assert!(rule.pairs("s-2", "s-1") && !rule.pairs("s-1", "s-3"));
        let new = r#"{"id":"r-1","state":"NORMAL","createTime":"x","server":[{"id":"s-1"},{"id":"s-2"}]}"#;
        let rule: AntiAffinityRule = serde_json::from_str(new).unwrap();
        assert_eq!(rule.server_ids(), ["s-1", "s-2"]);
        assert_eq!(rule.network_domain_id(), None);
    }
}
