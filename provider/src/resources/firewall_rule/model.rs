//! The firewall rule's typed model: what the configuration, plan and state say, read and
//! written through the schema's attribute names in one place.

use std::sync::LazyLock;

use cloudcontrol::{
    CreateFirewallRule, FirewallAction, FirewallRule, IpVersion, Placement, PlacementPosition,
    Protocol,
};
use serde::{Deserialize, Serialize};
use tfplugin::model::{from_value, write_into, ModelError};
use tfplugin::{Type, Value};

use super::scope::{normalized, scope_state, to_scope, ScopeBlock};
use crate::adopt::{differences, Difference};

/// The resource's value type, for writing models into state.
pub static FIREWALL_RULE_TYPE: LazyLock<Type> =
    LazyLock::new(|| super::schema::firewall_rule_schema().block.implied_type());

/// A `cloudcontrol_firewall_rule` as Terraform sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FirewallRuleModel {
    /// Computed: the rule's id.
    pub id: Option<String>,
    pub network_domain_id: String,
    pub name: String,
    pub action: String,
    pub ip_version: String,
    pub protocol: String,
    pub enabled: bool,
    /// Used only at creation and never reported by the API, so state keeps what it had.
    #[serde(skip_serializing)]
    pub placement: Option<String>,
    /// Like `placement`.
    #[serde(skip_serializing)]
    pub relative_to_rule: Option<String>,
    /// An absent block means any address and any port.
    pub source: Option<ScopeBlock>,
    pub destination: Option<ScopeBlock>,
}

/// What the API cannot report, read leniently from a prior or imported state (which may have
/// only the id) or from a configuration (where computed and defaulted attributes are null):
/// the placement, and how the scopes were written.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Remembered {
    #[serde(default)]
    pub placement: Option<String>,
    #[serde(default)]
    pub relative_to_rule: Option<String>,
    #[serde(default)]
    pub source: Option<ScopeBlock>,
    #[serde(default)]
    pub destination: Option<ScopeBlock>,
}

impl FirewallRuleModel {
    /// Reads a plan or state that has every required attribute.
    pub fn read(value: &Value) -> Result<FirewallRuleModel, ModelError> {
        from_value(value)
    }

    /// The model of `rule` as the API reports it, with the scopes spelled as `remembered`
    /// wrote them.
    pub fn of_rule(rule: &FirewallRule, remembered: &Remembered) -> FirewallRuleModel {
        FirewallRuleModel {
            id: Some(rule.id.clone()),
            network_domain_id: rule.network_domain_id.clone(),
            name: rule.name.clone(),
            action: rule.action.clone(),
            ip_version: rule.ip_version.clone(),
            protocol: rule.protocol.clone(),
            enabled: rule.enabled,
            placement: None,
            relative_to_rule: None,
            source: scope_state(&rule.source, remembered.source.as_ref()),
            destination: scope_state(&rule.destination, remembered.destination.as_ref()),
        }
    }

    /// This model written over `base` (which keeps the placement and timeouts).
    pub fn to_state(&self, base: &Value) -> Value {
        let mut state = base.clone();
        // The model's fields are the schema's attributes: a mismatch is a provider bug that
        // the unit tests catch.
        write_into(self, &mut state, &FIREWALL_RULE_TYPE)
            .unwrap_or_else(|e| panic!("the firewall rule model does not fit its schema: {e}"));
        state
    }

    /// The API request that creates this rule.
    pub fn create_request(&self) -> CreateFirewallRule {
        let position = match self.placement.as_deref() {
            Some("FIRST") => PlacementPosition::First,
            Some("BEFORE") => PlacementPosition::Before,
            Some("AFTER") => PlacementPosition::After,
            _ => PlacementPosition::Last,
        };
        CreateFirewallRule {
            network_domain_id: self.network_domain_id.clone(),
            name: self.name.clone(),
            action: if self.action == "DROP" {
                FirewallAction::Drop
            } else {
                FirewallAction::AcceptDecisively
            },
            enabled: self.enabled,
            placement: Placement {
                position,
                relative_to_rule: matches!(
                    position,
                    PlacementPosition::Before | PlacementPosition::After
                )
                .then(|| self.relative_to_rule.clone())
                .flatten(),
            },
            ip_version: if self.ip_version == "IPV6" {
                IpVersion::Ipv6
            } else {
                IpVersion::Ipv4
            },
            protocol: match self.protocol.as_str() {
                "ICMP" => Protocol::Icmp,
                "TCP" => Protocol::Tcp,
                "UDP" => Protocol::Udp,
                _ => Protocol::Ip,
            },
            source: to_scope(self.source.as_ref()),
            destination: to_scope(self.destination.as_ref()),
        }
    }

    /// Where `found` (a rule found under this one's name, read as this model would write it)
    /// differs from this rule: action, IP version, protocol, whether it is enabled, and what
    /// source and destination mean.
    pub fn differences_from(&self, found: &FirewallRuleModel) -> Vec<Difference> {
        let scope = |block: Option<&ScopeBlock>| format!("{:?}", normalized(block));
        differences([
            ("action", found.action.clone(), Some(self.action.clone())),
            (
                "ip_version",
                found.ip_version.clone(),
                Some(self.ip_version.clone()),
            ),
            (
                "protocol",
                found.protocol.clone(),
                Some(self.protocol.clone()),
            ),
            (
                "enabled",
                found.enabled.to_string(),
                Some(self.enabled.to_string()),
            ),
            (
                "source",
                scope(found.source.as_ref()),
                Some(scope(self.source.as_ref())),
            ),
            (
                "destination",
                scope(found.destination.as_ref()),
                Some(scope(self.destination.as_ref())),
            ),
        ])
    }
}

impl Remembered {
    /// What `value` says; nothing when it cannot be read.
    pub fn of(value: &Value) -> Remembered {
        from_value(value).unwrap_or_default()
    }

    /// The import id that brings rule `id` under management as this configuration describes
    /// it: the id, then what the API cannot report (placement, and scopes written as `any`
    /// blocks).
    pub fn import_id_for(&self, id: &str) -> String {
        let mut import_id = id.to_owned();
        for (name, value) in [
            ("placement", &self.placement),
            ("relative_to_rule", &self.relative_to_rule),
        ] {
            if let Some(value) = value {
                import_id.push_str(&format!(",{name}={value}"));
            }
        }
        for (which, block) in [("source", &self.source), ("destination", &self.destination)] {
            if let Some(ip) = block
                .as_ref()
                .and_then(|b| b.ip.as_deref())
                .filter(|ip| ip.eq_ignore_ascii_case("any"))
            {
                import_id.push_str(&format!(",{which}={ip}"));
            }
        }
        import_id
    }

    /// The scope blocks, each with its attribute name.
    pub fn scopes(&self) -> [(&'static str, Option<&ScopeBlock>); 2] {
        [
            ("source", self.source.as_ref()),
            ("destination", self.destination.as_ref()),
        ]
    }
}

/// The state of `rule` over `base` (which keeps the placement, the spelling of the scopes and
/// the timeouts).
pub fn state_of(rule: &FirewallRule, base: &Value) -> Value {
    FirewallRuleModel::of_rule(rule, &Remembered::of(base)).to_state(base)
}

/// The scope block `block` as the value of the attribute `which` (`source` or `destination`).
pub fn scope_value(which: &str, block: &ScopeBlock) -> Value {
    let ty = FIREWALL_RULE_TYPE
        .attribute_type(which)
        .unwrap_or_else(|| panic!("the firewall rule schema has no {which} block"));
    let mut value = Value::Null;
    write_into(block, &mut value, ty)
        .unwrap_or_else(|e| panic!("a scope block does not fit its schema: {e}"));
    value
}
