//! Emulator-only view of everything an organisation owns (for "nothing orphaned" assertions).

use crate::store::Org;
use serde_json::{json, Value};

/// All assets of `org` in their API shapes, plus counts. Default firewall rules are listed
/// separately so a test can assert that no client rule is left.
pub fn inventory(org_id: &str, org: &Org) -> Value {
    let client_rules: Vec<Value> = org
        .firewall_rules
        .iter()
        .filter(|r| r.rule_type != "DEFAULT_RULE")
        .map(|r| r.to_json(org))
        .collect();
    let default_rules = org.firewall_rules.len() - client_rules.len();
    let tags: Vec<Value> = org
        .tags
        .iter()
        .map(|t| json!({"assetType": t.asset_type, "assetId": t.asset_id, "tagKeyId": t.tag_key_id, "value": t.value}))
        .collect();
    let network_domains: Vec<Value> = org.network_domains.values().map(|n| n.to_json()).collect();
    let vlans: Vec<Value> = org.vlans.values().map(|v| v.to_json(org)).collect();
    let servers: Vec<Value> = org.servers.values().map(|s| s.to_json(org)).collect();
    let blocks: Vec<Value> = org.public_ip_blocks.values().map(|b| b.to_json()).collect();
    let nat: Vec<Value> = org.nat_rules.values().map(|r| r.to_json()).collect();
    let keys: Vec<Value> = org.tag_keys.values().map(|k| k.to_json()).collect();
    let address_lists: Vec<Value> = org.address_lists.values().map(|l| l.to_json(org)).collect();
    let port_lists: Vec<Value> = org.port_lists.values().map(|l| l.to_json(org)).collect();
    let anti_affinity: Vec<Value> = org
        .anti_affinity_rules
        .values()
        .map(|r| r.to_json(org, 10))
        .collect();
    let vip_nodes: Vec<Value> = org.vip_nodes.values().map(|n| n.to_json()).collect();
    let vip_pools: Vec<Value> = org.vip_pools.values().map(|p| p.to_json()).collect();
    let vip_members: Vec<Value> = org
        .vip_pool_members
        .values()
        .map(|m| m.to_json(org))
        .collect();
    let listeners: Vec<Value> = org
        .virtual_listeners
        .values()
        .map(|l| l.to_json(org))
        .collect();
    let ssl_certificates: Vec<Value> = org
        .ssl_domain_certificates
        .values()
        .map(|c| c.to_json())
        .collect();
    let ssl_chains: Vec<Value> = org
        .ssl_certificate_chains
        .values()
        .map(|c| c.to_json())
        .collect();
    let ssl_profiles: Vec<Value> = org
        .ssl_offload_profiles
        .values()
        .map(|p| p.to_json(org))
        .collect();
    let groups: Vec<Value> = org
        .consistency_groups
        .values()
        .map(|g| g.to_json(org))
        .collect();
    let mcp1_networks: Vec<Value> = org
        .mcp1_networks
        .values()
        .map(|n| json!({"id": n.id, "name": n.name, "location": n.location, "privateNet": n.private_net.to_string()}))
        .collect();
    let total = network_domains.len()
        + mcp1_networks.len()
        + vlans.len()
        + servers.len()
        + blocks.len()
        + nat.len()
        + client_rules.len()
        + address_lists.len()
        + port_lists.len()
        + anti_affinity.len()
        + vip_nodes.len()
        + vip_pools.len()
        + vip_members.len()
        + listeners.len()
        + ssl_certificates.len()
        + ssl_chains.len()
        + ssl_profiles.len()
        + groups.len();
    json!({
        "orgId": org_id,
        "totalAssets": total,
        "networkDomain": network_domains,
        "vlan": vlans,
        "server": servers,
        "publicIpBlock": blocks,
        "natRule": nat,
        "firewallRule": client_rules,
        "ipAddressList": address_lists,
        "portList": port_lists,
        "antiAffinityRule": anti_affinity,
        "vipNode": vip_nodes,
        "vipPool": vip_pools,
        "vipPoolMember": vip_members,
        "virtualListener": listeners,
        "sslDomainCertificate": ssl_certificates,
        "sslCertificateChain": ssl_chains,
        "sslOffloadProfile": ssl_profiles,
        "consistencyGroup": groups,
        "mcp1Network": mcp1_networks,
        "defaultFirewallRuleCount": default_rules,
        "tagKey": keys,
        "tag": tags,
    })
}
