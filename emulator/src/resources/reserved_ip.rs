//! Private IPv4 reservations on a VLAN, or on an MCP 1.0 network (`networkId` instead of
//! `vlanId`, the API schema's choice): reserve, unreserve (synchronous) and list. A reserved
//! address is never allocated to a NIC and cannot be requested for one.

use super::{mcp1_network, vlan, Ctx};
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::net;
use crate::paging::{self, FilterSpec};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::net::Ipv4Addr;

/// A stored reservation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReservedIpv4 {
    /// VLAN id (empty for a reservation on an MCP 1.0 network).
    pub vlan_id: String,
    /// MCP 1.0 network id, for a reservation on an MCP 1.0 network.
    #[serde(default)]
    pub network_id: Option<String>,
    /// Reserved address.
    pub ip: Ipv4Addr,
    /// Description.
    pub description: String,
}

/// Filters on the ≤ 2.8 items (`value`) and on the ≥ 2.9 items (`ipAddress`).
const FILTERS: &[FilterSpec] = &[
    ("vlanId", &["/vlanId"]),
    ("networkId", &["/networkId"]),
    ("ipAddress", &["/value", "/ipAddress"]),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ReserveBody {
    ip_address: String,
    #[serde(default)]
    vlan_id: Option<String>,
    #[serde(default)]
    network_id: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UnreserveBody {
    ip_address: String,
    #[serde(default)]
    vlan_id: Option<String>,
    #[serde(default)]
    network_id: Option<String>,
}

/// Where a reservation goes: exactly one of `vlanId` or `networkId`.
enum Target<'a> {
    Vlan(&'a str),
    Network(&'a str),
}

fn target<'a>(
    vlan_id: &'a Option<String>,
    network_id: &'a Option<String>,
) -> Result<Target<'a>, ApiError> {
    match (vlan_id, network_id) {
        (Some(v), None) => Ok(Target::Vlan(v)),
        (None, Some(n)) => Ok(Target::Network(n)),
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "networkId",
            "give vlanId (MCP 2.0) or networkId (MCP 1.0), not both",
        )),
        (None, None) => Err(ApiError::invalid(
            "vlanId",
            "is required (networkId for an MCP 1.0 network)",
        )),
    }
}

fn parse(text: &str) -> Result<Ipv4Addr, ApiError> {
    net::parse_ipv4("ipAddress", text).map_err(|m| ApiError::new(Code::InvalidInputData, m))
}

/// `POST network/reservePrivateIpv4Address`.
pub fn reserve(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: ReserveBody = ctx.body()?;
    let ip = parse(&body.ip_address)?;
    let (vlan_id, network_id) = match target(&body.vlan_id, &body.network_id)? {
        Target::Vlan(id) => {
            let v = vlan::find(ctx.org, "vlanId", id)?;
            vlan::check_ipv4(ctx.org, v, "ipAddress", ip, None)?;
            (v.id.clone(), None)
        }
        Target::Network(id) => {
            let n = mcp1_network::find(ctx.org, "networkId", id)?;
            mcp1_network::check_free(ctx.org, n, "ipAddress", ip)?;
            (String::new(), Some(n.id.clone()))
        }
    };
    ctx.org.reserved_ipv4.push(ReservedIpv4 {
        vlan_id,
        network_id,
        ip,
        description: body.description.unwrap_or_default(),
    });
    Ok(Reply::Action(Action::ok(
        "RESERVE_PRIVATE_IPV4_ADDRESS",
        format!("Private IPv4 address {ip} has been reserved."),
    )))
}

/// `POST network/unreservePrivateIpv4Address`.
pub fn unreserve(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: UnreserveBody = ctx.body()?;
    let ip = parse(&body.ip_address)?;
    let (kind, id) = match target(&body.vlan_id, &body.network_id)? {
        Target::Vlan(id) => {
            vlan::find(ctx.org, "vlanId", id)?;
            ("VLAN", id)
        }
        Target::Network(id) => {
            mcp1_network::find(ctx.org, "networkId", id)?;
            ("network", id)
        }
    };
    let before = ctx.org.reserved_ipv4.len();
    let on_target = |r: &ReservedIpv4| match kind {
        "VLAN" => r.network_id.is_none() && r.vlan_id == id,
        _ => r.network_id.as_deref() == Some(id),
    };
    ctx.org
        .reserved_ipv4
        .retain(|r| !(on_target(r) && r.ip == ip));
    if ctx.org.reserved_ipv4.len() == before {
        return Err(ApiError::new(
            Code::ResourceNotFound,
            format!("ipAddress: {ip} is not reserved on {kind} {id}."),
        ));
    }
    Ok(Reply::Action(Action::ok(
        "UNRESERVE_PRIVATE_IPV4_ADDRESS",
        format!("Private IPv4 address {ip} has been unreserved."),
    )))
}

/// `GET network/reservedPrivateIpv4Address?vlanId=…`. Up to 2.8 an item is
/// `{value, datacenterId, vlanId}`; from 2.9 (where go-dd-cloud-compute moved this call, reading
/// the recorded shape) it is `{ipAddress, datacenterid, vlanId, exclusive, description}`, with the
/// real API's lower-case `datacenterid` and `exclusive` as a string. Every emulated reservation is
/// exclusive: no NIC may take the address.
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = ctx
        .org
        .reserved_ipv4
        .iter()
        .map(|r| {
            let dc = match &r.network_id {
                Some(n) => ctx.org.mcp1_networks.get(n).map(|n| n.location.clone()),
                None => ctx
                    .org
                    .vlans
                    .get(&r.vlan_id)
                    .map(|v| v.datacenter_id.clone()),
            }
            .unwrap_or_default();
            // An MCP 1.0 reservation names its network instead of a VLAN (go's recording).
            let (place_key, place) = match &r.network_id {
                Some(n) => ("networkId", n.clone()),
                None => ("vlanId", r.vlan_id.clone()),
            };
            let mut v = if ctx.call.minor >= 9 {
                let mut v = json!({"ipAddress": r.ip.to_string(), "datacenterid": dc,
                    "exclusive": "true"});
                if !r.description.is_empty() {
                    v["description"] = json!(r.description);
                }
                v
            } else {
                json!({"value": r.ip.to_string(), "datacenterId": dc})
            };
            v[place_key] = json!(place);
            v
        })
        .collect();
    paging::page(items, "ipv4", &ctx.call.query, FILTERS).map(Reply::Document)
}
