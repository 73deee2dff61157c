//! Private IPv4 reservations on a VLAN: reserve, unreserve (synchronous) and list. A reserved address
//! is never allocated to a NIC and cannot be requested for one.

use super::{vlan, Ctx};
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::net;
use crate::paging::{self, FilterSpec};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::net::Ipv4Addr;

/// A stored reservation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReservedIpv4 {
    /// VLAN id.
    pub vlan_id: String,
    /// Reserved address.
    pub ip: Ipv4Addr,
    /// Description.
    pub description: String,
}

/// Filters on the ≤ 2.8 items (`value`) and on the ≥ 2.9 items (`ipAddress`).
const FILTERS: &[FilterSpec] = &[
    ("vlanId", &["/vlanId"]),
    ("ipAddress", &["/value", "/ipAddress"]),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ReserveBody {
    ip_address: String,
    vlan_id: String,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UnreserveBody {
    ip_address: String,
    vlan_id: String,
}

fn parse(text: &str) -> Result<Ipv4Addr, ApiError> {
    net::parse_ipv4("ipAddress", text).map_err(|m| ApiError::new(Code::InvalidInputData, m))
}

/// `POST network/reservePrivateIpv4Address`.
pub fn reserve(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: ReserveBody = ctx.body()?;
    let ip = parse(&body.ip_address)?;
    let v = vlan::find(ctx.org, "vlanId", &body.vlan_id)?;
    vlan::check_ipv4(ctx.org, v, "ipAddress", ip, None)?;
    let vlan_id = v.id.clone();
    ctx.org.reserved_ipv4.push(ReservedIpv4 {
        vlan_id,
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
    vlan::find(ctx.org, "vlanId", &body.vlan_id)?;
    let before = ctx.org.reserved_ipv4.len();
    ctx.org
        .reserved_ipv4
        .retain(|r| !(r.vlan_id == body.vlan_id && r.ip == ip));
    if ctx.org.reserved_ipv4.len() == before {
        return Err(ApiError::new(
            Code::ResourceNotFound,
            format!("ipAddress: {ip} is not reserved on VLAN {}.", body.vlan_id),
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
            let dc = ctx
                .org
                .vlans
                .get(&r.vlan_id)
                .map(|v| v.datacenter_id.clone())
                .unwrap_or_default();
            if ctx.call.minor >= 9 {
                let mut v = json!({"ipAddress": r.ip.to_string(), "datacenterid": dc,
                    "vlanId": r.vlan_id, "exclusive": "true"});
                if !r.description.is_empty() {
                    v["description"] = json!(r.description);
                }
                v
            } else {
                json!({"value": r.ip.to_string(), "datacenterId": dc, "vlanId": r.vlan_id})
            }
        })
        .collect();
    paging::page(items, "ipv4", &ctx.call.query, FILTERS).map(Reply::Document)
}
