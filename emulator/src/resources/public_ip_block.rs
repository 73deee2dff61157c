//! Public IPv4 blocks (2 consecutive addresses): add, get, list, remove (all synchronous), and the
//! reserved (in-use) public addresses.

use super::{check_id, network_domain, new_id, Ctx, IdBody};
use crate::catalog;
use crate::clock;
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::State;
use crate::net;
use crate::paging::{self, FilterSpec};
use crate::store::Org;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::net::Ipv4Addr;

/// Addresses per block.
pub const BLOCK_SIZE: u32 = 2;
/// Public IPs allowed per deployed server when the ratio rule is on.
pub const IPS_PER_SERVER: usize = 3;

/// A stored public IP block.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicIpBlock {
    /// Id.
    pub id: String,
    /// Network domain id.
    pub network_domain_id: String,
    /// Datacenter id.
    pub datacenter_id: String,
    /// First address.
    pub base_ip: Ipv4Addr,
    /// Creation time (ms).
    pub create_time_ms: u64,
    /// State.
    pub state: State,
}

impl PublicIpBlock {
    /// The block's addresses.
    pub fn addresses(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        (0..BLOCK_SIZE).map(|i| net::add(self.base_ip, i))
    }

    /// The API's JSON shape.
    pub fn to_json(&self) -> Value {
        json!({
            "networkDomainId": self.network_domain_id,
            "baseIp": self.base_ip.to_string(),
            "size": BLOCK_SIZE,
            "createTime": clock::iso8601(self.create_time_ms),
            "state": self.state.as_str(),
            "id": self.id,
            "datacenterId": self.datacenter_id,
        })
    }
}

const FILTERS: &[FilterSpec] = &[("networkDomainId", &["/networkDomainId"]), ("id", &["/id"])];
const RESERVED_FILTERS: &[FilterSpec] = &[
    ("networkDomainId", &["/networkDomainId"]),
    ("ipBlockId", &["/ipBlockId"]),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AddBody {
    network_domain_id: String,
}

/// Finds a block of the organisation.
pub fn find<'a>(org: &'a Org, field: &str, id: &str) -> Result<&'a PublicIpBlock, ApiError> {
    check_id(field, id)?;
    org.public_ip_blocks
        .get(id)
        .ok_or_else(|| ApiError::not_found("Public IP Block", id))
}

/// `GET network/publicIpBlock/{id}`.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.as_deref().unwrap_or_default();
    Ok(Reply::Document(find(ctx.org, "id", id)?.to_json()))
}

/// `GET network/publicIpBlock?networkDomainId=…`.
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = ctx
        .org
        .public_ip_blocks
        .values()
        .map(|b| b.to_json())
        .collect();
    paging::page(items, "publicIpBlock", &ctx.call.query, FILTERS).map(Reply::Document)
}

/// `GET network/reservedPublicIpv4Address?networkDomainId=…`: addresses used by NAT rules and
/// virtual listeners.
pub fn list_reserved(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let listeners = ctx
        .org
        .virtual_listeners
        .values()
        .filter(|l| l.addressability == "PUBLIC_IP_BLOCK")
        .map(|l| l.ip);
    let items = ctx
        .org
        .nat_rules
        .values()
        .map(|r| r.external_ip)
        .chain(listeners)
        .filter_map(|ip| {
            let block = ctx
                .org
                .public_ip_blocks
                .values()
                .find(|b| b.addresses().any(|a| a == ip))?;
            Some(
                json!({"value": ip.to_string(), "datacenterId": block.datacenter_id,
                        "ipBlockId": block.id, "networkDomainId": block.network_domain_id}),
            )
        })
        .collect();
    paging::page(items, "ip", &ctx.call.query, RESERVED_FILTERS).map(Reply::Document)
}

/// `POST network/addPublicIpBlock` (synchronous).
pub fn add(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: AddBody = ctx.body()?;
    let nd = network_domain::find(ctx.org, "networkDomainId", &body.network_domain_id)?;
    if nd.state != State::Normal {
        return Err(ApiError::new(
            Code::ResourceBusy,
            format!(
                "networkDomainId: Network Domain {} is {}.",
                nd.id,
                nd.state.as_str()
            ),
        ));
    }
    let blocks = ctx
        .org
        .public_ip_blocks
        .values()
        .filter(|b| b.network_domain_id == nd.id)
        .count();
    if ctx.call.public_ip_ratio && blocks > 0 {
        let servers = ctx
            .org
            .servers
            .values()
            .filter(|s| s.network_domain_id == nd.id && s.state != State::FailedAdd)
            .count();
        let after = (blocks + 1) * BLOCK_SIZE as usize;
        if after > servers * IPS_PER_SERVER {
            return Err(ApiError::new(
                Code::ExceedsLimit,
                format!("networkDomainId: Network Domain {} would have {after} public IPv4 addresses for {servers} deployed server(s); at most {IPS_PER_SERVER} per server are allowed (the first block is always allowed).", nd.id),
            ));
        }
    }
    let dc = nd.datacenter_id.clone();
    let nd_id = nd.id.clone();
    let index = catalog::datacenter_index(&dc);
    let base_ip = ctx
        .addressing
        .next_block(ctx.counters, &dc, index, BLOCK_SIZE)
        .ok_or_else(|| {
            ApiError::new(
                Code::NoIpAddressAvailable,
                format!("networkDomainId: no public IPv4 block is left in {dc}."),
            )
        })?;
    let id = new_id();
    ctx.org.public_ip_blocks.insert(
        id.clone(),
        PublicIpBlock {
            id: id.clone(),
            network_domain_id: nd_id,
            datacenter_id: dc,
            base_ip,
            create_time_ms: ctx.call.now_ms,
            state: State::Normal,
        },
    );
    Ok(Reply::Action(
        Action::ok(
            "ADD_PUBLIC_IP_BLOCK",
            "Public IPv4 Address Block has been added successfully to Network Domain.",
        )
        .info("ipBlockId", id),
    ))
}

/// `POST network/removePublicIpBlock` (synchronous): refused while a NAT rule or a virtual
/// listener uses an address.
pub fn remove(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    let block = find(ctx.org, "id", &body.id)?;
    if let Some(rule) = ctx
        .org
        .nat_rules
        .values()
        .find(|r| block.addresses().any(|a| a == r.external_ip))
    {
        return Err(ApiError::new(
            Code::HasDependency,
            format!(
                "id: Public IP Block {} has an address ({}) used by NAT rule {}.",
                block.id, rule.external_ip, rule.id
            ),
        ));
    }
    if let Some(ip) = block
        .addresses()
        .find(|a| super::virtual_listener::uses_address(ctx.org, *a))
    {
        return Err(ApiError::new(
            Code::HasDependency,
            format!(
                "id: Public IP Block {} has an address ({ip}) used by a virtual listener.",
                block.id
            ),
        ));
    }
    ctx.org.public_ip_blocks.remove(&body.id);
    // Tags belong to their asset and go with it.
    ctx.org.tags.retain(|t| t.asset_id != body.id);
    Ok(Reply::Action(Action::ok(
        "REMOVE_PUBLIC_IP_BLOCK",
        "Public IPv4 Address Block has been deleted successfully.",
    )))
}
