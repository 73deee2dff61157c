//! Managed resources, one file each, every file shaped the same way: the type and its
//! schema, plan-time validation, then create, read, update, delete (and import when it
//! needs more than the id), ending with the function that maps the API object to state.

pub mod address_list;
pub mod firewall_rule;
pub mod list_support;
pub mod nat_rule;
pub mod network_domain;
pub mod port_list;
pub mod public_ip_block;
pub mod server;
pub mod server_anti_affinity;
pub mod vip_node;
pub mod vip_pool;
pub mod vip_pool_member;
pub mod vip_support;
pub mod virtual_listener;
pub mod vlan;

use std::sync::Arc;

use tfplugin::provider::Resource;

use crate::provider::ProviderData;

/// Every resource type the provider serves.
pub fn all() -> Vec<Arc<dyn Resource<ProviderData>>> {
    vec![
        Arc::new(network_domain::NetworkDomainResource),
        Arc::new(vlan::VlanResource),
        Arc::new(server::ServerResource),
        Arc::new(public_ip_block::PublicIpBlockResource),
        Arc::new(nat_rule::NatRuleResource),
        Arc::new(firewall_rule::FirewallRuleResource),
        Arc::new(address_list::AddressListResource::new()),
        Arc::new(port_list::PortListResource::new()),
        Arc::new(server_anti_affinity::ServerAntiAffinityResource),
        Arc::new(vip_node::VipNodeResource::new()),
        Arc::new(vip_pool::VipPoolResource::new()),
        Arc::new(vip_pool_member::VipPoolMemberResource::new()),
        Arc::new(virtual_listener::VirtualListenerResource),
    ]
}
