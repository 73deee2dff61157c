//! Counting what the API holds against what Terraform recorded: duplicated assets (two with one
//! identity), orphaned ones (in the API, not in state) and lost ones (in state, not in the API).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use serde_json::Value;

use crate::emulator::Emulator;
use crate::terraform::Workspace;

/// One kind of asset: its key in the emulator's inventory, its resource type, how many the
/// example describes, and what identifies one (`None`: nothing but its id).
struct Kind {
    inventory_key: &'static str,
    resource_type: &'static str,
    expected: usize,
    identity: Option<fn(&Value) -> String>,
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// The kinds `examples/mesos-cluster` creates, with its default 3 masters and 9 agents.
const KINDS: [Kind; 13] = [
    Kind {
        inventory_key: "networkDomain",
        resource_type: "cloudcontrol_network_domain",
        expected: 1,
        identity: Some(|a| format!("{} in {}", text(&a["name"]), text(&a["datacenterId"]))),
    },
    Kind {
        inventory_key: "vlan",
        resource_type: "cloudcontrol_vlan",
        expected: 1,
        identity: Some(|a| {
            format!(
                "{} in {}",
                text(&a["name"]),
                text(&a["networkDomain"]["id"])
            )
        }),
    },
    Kind {
        inventory_key: "server",
        resource_type: "cloudcontrol_server",
        expected: 12,
        identity: Some(|a| {
            format!(
                "{} in {}",
                text(&a["name"]),
                text(&a["networkInfo"]["networkDomainId"])
            )
        }),
    },
    Kind {
        inventory_key: "publicIpBlock",
        resource_type: "cloudcontrol_public_ip_block",
        expected: 7,
        identity: None,
    },
    Kind {
        inventory_key: "natRule",
        resource_type: "cloudcontrol_nat_rule",
        expected: 12,
        identity: Some(|a| {
            format!(
                "{} in {}",
                text(&a["internalIp"]),
                text(&a["networkDomainId"])
            )
        }),
    },
    Kind {
        inventory_key: "firewallRule",
        resource_type: "cloudcontrol_firewall_rule",
        expected: 2,
        identity: Some(|a| format!("{} in {}", text(&a["name"]), text(&a["networkDomainId"]))),
    },
    // A list's document does not name its domain; the example has one.
    Kind {
        inventory_key: "ipAddressList",
        resource_type: "cloudcontrol_address_list",
        expected: 2,
        identity: Some(|a| text(&a["name"]).to_owned()),
    },
    Kind {
        inventory_key: "portList",
        resource_type: "cloudcontrol_port_list",
        expected: 1,
        identity: Some(|a| text(&a["name"]).to_owned()),
    },
    Kind {
        inventory_key: "antiAffinityRule",
        resource_type: "cloudcontrol_server_anti_affinity",
        expected: 1,
        identity: Some(|a| {
            let mut servers: Vec<&str> = a["serverSummary"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| text(&s["id"]))
                .collect();
            servers.sort();
            servers.join("+")
        }),
    },
    Kind {
        inventory_key: "vipNode",
        resource_type: "cloudcontrol_vip_node",
        expected: 3,
        identity: Some(|a| format!("{} in {}", text(&a["name"]), text(&a["networkDomainId"]))),
    },
    Kind {
        inventory_key: "vipPool",
        resource_type: "cloudcontrol_vip_pool",
        expected: 2,
        identity: Some(|a| format!("{} in {}", text(&a["name"]), text(&a["networkDomainId"]))),
    },
    Kind {
        inventory_key: "vipPoolMember",
        resource_type: "cloudcontrol_vip_pool_member",
        expected: 6,
        identity: Some(|a| {
            format!(
                "{} in {} on {}",
                text(&a["node"]["id"]),
                text(&a["pool"]["id"]),
                a["port"]
            )
        }),
    },
    Kind {
        inventory_key: "virtualListener",
        resource_type: "cloudcontrol_virtual_listener",
        expected: 2,
        identity: Some(|a| format!("{} in {}", text(&a["name"]), text(&a["networkDomainId"]))),
    },
];

/// What the API and the state held at one moment.
#[derive(Debug, Clone, Default)]
pub struct Census {
    /// Assets beyond the first with the same identity.
    pub duplicated: usize,
    /// Assets in the API that no state entry points at.
    pub orphaned: usize,
    /// State entries pointing at no asset.
    pub lost: usize,
    /// True when every kind is there exactly as often as the example describes.
    pub exact: bool,
    /// What was wrong, in words.
    pub problems: Vec<String>,
}

impl Census {
    /// Counts the API's assets (`expect_all`: the example's; otherwise none) against the
    /// resources in `ws`'s state.
    pub fn take(emulator: &Emulator, ws: &Workspace, expect_all: bool) -> Result<Census> {
        let inventory = emulator.inventory()?;
        let shown = ws.show_json()?;
        let mut state_ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for resource in shown["values"]["root_module"]["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["mode"] == "managed")
        {
            state_ids
                .entry(text(&resource["type"]).to_owned())
                .or_default()
                .insert(text(&resource["values"]["id"]).to_owned());
        }
        let mut census = Census {
            exact: true,
            ..Census::default()
        };
        for kind in &KINDS {
            let assets: Vec<&Value> = inventory[kind.inventory_key]
                .as_array()
                .into_iter()
                .flatten()
                .collect();
            let api_ids: BTreeSet<String> =
                assets.iter().map(|a| text(&a["id"]).to_owned()).collect();
            let recorded = state_ids.remove(kind.resource_type).unwrap_or_default();
            let expected = if expect_all { kind.expected } else { 0 };
            if assets.len() != expected {
                census.exact = false;
                census.problems.push(format!(
                    "{} {} in the API, {expected} described",
                    assets.len(),
                    kind.inventory_key
                ));
            }
            if let Some(identity) = kind.identity {
                let mut seen: BTreeMap<String, usize> = BTreeMap::new();
                for asset in &assets {
                    *seen.entry(identity(asset)).or_default() += 1;
                }
                for (id, n) in seen.into_iter().filter(|(_, n)| *n > 1) {
                    census.duplicated += n - 1;
                    census
                        .problems
                        .push(format!("{n} {} {id}", kind.inventory_key));
                }
            }
            for id in api_ids.difference(&recorded) {
                census.orphaned += 1;
                census.problems.push(format!(
                    "{} {id} is in the API but not in state",
                    kind.inventory_key
                ));
            }
            for id in recorded.difference(&api_ids) {
                census.lost += 1;
                census.problems.push(format!(
                    "{} {id} is in state but not in the API",
                    kind.resource_type
                ));
            }
        }
        // Other providers' resources (a provisioning step, say) are not the API's to count.
        for (kind, ids) in state_ids
            .into_iter()
            .filter(|(k, _)| k.starts_with("cloudcontrol_"))
        {
            census.exact = false;
            census
                .problems
                .push(format!("unexpected {kind} in state: {ids:?}"));
        }
        Ok(census)
    }

    /// True when nothing is duplicated, orphaned or lost and every count is as described.
    pub fn is_clean(&self) -> bool {
        self.exact && self.duplicated == 0 && self.orphaned == 0 && self.lost == 0
    }
}
