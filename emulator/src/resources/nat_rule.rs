//! NAT rules (1:1): create with optional auto-picked public address, get, list, delete (synchronous).

use super::{check_id, network_domain, new_id, Ctx, IdBody};
use crate::clock;
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::State;
use crate::net;
use crate::paging::{self, FilterSpec};
use crate::store::Org;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::net::Ipv4Addr;

/// A stored NAT rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NatRule {
    /// Id.
    pub id: String,
    /// Network domain id.
    pub network_domain_id: String,
    /// Datacenter id.
    pub datacenter_id: String,
    /// Private address.
    pub internal_ip: Ipv4Addr,
    /// Public address.
    pub external_ip: Ipv4Addr,
    /// Creation time (ms).
    pub create_time_ms: u64,
    /// State.
    pub state: State,
}

impl NatRule {
    /// The API's JSON shape.
    pub fn to_json(&self) -> Value {
        json!({
            "networkDomainId": self.network_domain_id,
            "internalIp": self.internal_ip.to_string(),
            "externalIp": self.external_ip.to_string(),
            "createTime": clock::iso8601(self.create_time_ms),
            "state": self.state.as_str(),
            "id": self.id,
            "datacenterId": self.datacenter_id,
        })
    }
}

const FILTERS: &[FilterSpec] = &[
    ("networkDomainId", &["/networkDomainId"]),
    ("id", &["/id"]),
    ("internalIp", &["/internalIp"]),
    ("externalIp", &["/externalIp"]),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateBody {
    network_domain_id: String,
    internal_ip: String,
    #[serde(default)]
    external_ip: Option<String>,
}

fn find<'a>(org: &'a Org, field: &str, id: &str) -> Result<&'a NatRule, ApiError> {
    check_id(field, id)?;
    org.nat_rules
        .get(id)
        .ok_or_else(|| ApiError::not_found("NAT rule", id))
}

/// `GET network/natRule/{id}`.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.as_deref().unwrap_or_default();
    Ok(Reply::Document(find(ctx.org, "id", id)?.to_json()))
}

/// `GET network/natRule?networkDomainId=…`.
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = ctx.org.nat_rules.values().map(|r| r.to_json()).collect();
    paging::page(items, "natRule", &ctx.call.query, FILTERS).map(Reply::Document)
}

/// `POST network/createNatRule` (synchronous; exactly one info entry, `natRuleId`).
pub fn create(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: CreateBody = ctx.body()?;
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
    let internal = net::parse_ipv4("internalIp", &body.internal_ip)
        .map_err(|m| ApiError::new(Code::InvalidInputData, m))?;
    if !net::is_rfc1918(internal)
        && super::vlan::vlan_containing(ctx.org, &nd.id, internal).is_none()
    {
        return Err(ApiError::new(
            Code::IpAddressOutOfRange,
            format!("internalIp: {internal} is neither a private (RFC 1918) address nor inside a VLAN of the network domain."),
        ));
    }
    let rules: Vec<&NatRule> = ctx
        .org
        .nat_rules
        .values()
        .filter(|r| r.network_domain_id == nd.id)
        .collect();
    if let Some(r) = rules.iter().find(|r| r.internal_ip == internal) {
        return Err(ApiError::new(
            Code::IpAddressNotUnique,
            format!(
                "internalIp: {internal} already has NAT rule {} ({}).",
                r.id, r.external_ip
            ),
        ));
    }
    let owned: Vec<Ipv4Addr> = ctx
        .org
        .public_ip_blocks
        .values()
        .filter(|b| b.network_domain_id == nd.id)
        .flat_map(|b| b.addresses().collect::<Vec<_>>())
        .collect();
    let in_use = |ip: Ipv4Addr| {
        rules.iter().any(|r| r.external_ip == ip)
            || super::virtual_listener::uses_address(ctx.org, ip)
    };
    let external = match &body.external_ip {
        Some(text) => {
            let ip = net::parse_ipv4("externalIp", text).map_err(|m| ApiError::new(Code::InvalidInputData, m))?;
            if !owned.contains(&ip) {
                return Err(ApiError::new(Code::IpAddressOutOfRange, format!("externalIp: {ip} is not in a public IP block of the network domain.")));
            }
            if in_use(ip) {
                return Err(ApiError::new(Code::IpAddressNotUnique, format!("externalIp: {ip} is already used by another NAT rule or a virtual listener.")));
            }
            ip
        }
        None => owned.iter().copied().find(|ip| !in_use(*ip)).ok_or_else(|| {
            ApiError::new(Code::NoIpAddressAvailable, format!("externalIp: Network Domain {} has no free public IPv4 address; add a public IP block.", nd.id))
        })?,
    };
    let id = new_id();
    let rule = NatRule {
        id: id.clone(),
        network_domain_id: nd.id.clone(),
        datacenter_id: nd.datacenter_id.clone(),
        internal_ip: internal,
        external_ip: external,
        create_time_ms: ctx.call.now_ms,
        state: State::Normal,
    };
    ctx.org.nat_rules.insert(id.clone(), rule);
    Ok(Reply::Action(
        Action::ok(
            "CREATE_NAT_RULE",
            format!("NAT rule {internal} -> {external} has been created successfully."),
        )
        .info("natRuleId", id),
    ))
}

/// `POST network/deleteNatRule` (synchronous).
pub fn delete(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    find(ctx.org, "id", &body.id)?;
    ctx.org.nat_rules.remove(&body.id);
    Ok(Reply::Action(Action::ok(
        "DELETE_NAT_RULE",
        "NAT rule has been deleted successfully.",
    )))
}
