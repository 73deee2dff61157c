//! VLANs: deploy (async, both body styles), get, list, edit (sync), expand (async), delete (async).

use super::network_domain::{check_deploy_lock, find as find_domain};
use super::{check_id, check_name, new_id, Ctx, IdBody};
use crate::catalog;
use crate::clock;
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::{schedule, OpKind, Outcome, Pending, State};
use crate::net::{self, Ipv4Net};
use crate::paging::{self, FilterSpec};
use crate::store::Org;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Where the VLAN's IPv4 gateway sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Gateway {
    /// Attached, gateway at the bottom (.1; .1–.3 reserved).
    Low,
    /// Attached, gateway at the top (broadcast−1; the three addresses below broadcast reserved).
    High,
    /// Detached, gateway chosen by the user.
    Detached(Ipv4Addr),
}

/// A stored VLAN.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vlan {
    /// Id.
    pub id: String,
    /// Owning network domain id.
    pub network_domain_id: String,
    /// Datacenter id.
    pub datacenter_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// IPv4 network address.
    pub ipv4_base: Ipv4Addr,
    /// IPv4 prefix length.
    pub prefix: u8,
    /// Gateway addressing.
    pub gateway: Gateway,
    /// IPv6 /64 prefix.
    pub ipv6_prefix: Ipv6Addr,
    /// Creation time (ms).
    pub create_time_ms: u64,
    /// State.
    pub state: State,
    /// Pending operation.
    pub pending: Option<Pending>,
}

const FILTERS: &[FilterSpec] = &[
    ("id", &["/id"]),
    ("networkDomainId", &["/networkDomain/id"]),
    ("name", &["/name"]),
    ("datacenterId", &["/datacenterId"]),
    ("privateIpv4Address", &["/privateIpv4Range/address"]),
    ("ipv6Address", &["/ipv6Range/address"]),
    ("state", &["/state"]),
];

impl Vlan {
    /// The IPv4 network.
    pub fn net(&self) -> Ipv4Net {
        Ipv4Net {
            address: self.ipv4_base,
            prefix: self.prefix,
        }
    }

    /// The IPv4 gateway address.
    pub fn gateway_ipv4(&self) -> Ipv4Addr {
        let n = self.net();
        match self.gateway {
            Gateway::Low => Ipv4Addr::from(n.first() + 1),
            Gateway::High => Ipv4Addr::from(n.last() - 1),
            Gateway::Detached(g) => g,
        }
    }

    /// True for addresses no server may use: network, broadcast and the gateway reservations.
    pub fn is_reserved(&self, ip: Ipv4Addr) -> bool {
        let n = self.net();
        let v = u32::from(ip);
        if v == n.first() || v == n.last() {
            return true;
        }
        match self.gateway {
            Gateway::Low => v <= n.first() + 3,
            Gateway::High => v >= n.last() - 3,
            Gateway::Detached(g) => ip == g,
        }
    }

    /// The IPv6 address of a NIC with the given IPv4 address.
    pub fn ipv6_for(&self, ipv4: Ipv4Addr) -> Ipv6Addr {
        net::ipv6_host(
            self.ipv6_prefix,
            0x0250_56ff_0000_0000 | u64::from(u32::from(ipv4)),
        )
    }

    /// The API's JSON shape (needs the organisation for the network domain's name).
    pub fn to_json(&self, org: &Org) -> Value {
        let nd_name = org
            .network_domains
            .get(&self.network_domain_id)
            .map(|n| n.name.clone())
            .unwrap_or_default();
        let mut v = json!({
            "networkDomain": {"id": self.network_domain_id, "name": nd_name},
            "name": self.name,
            "description": self.description,
            "privateIpv4Range": {"address": self.ipv4_base.to_string(), "prefixSize": self.prefix},
            "ipv4GatewayAddress": self.gateway_ipv4().to_string(),
            "ipv6Range": {"address": net::ipv6_full(self.ipv6_prefix), "prefixSize": 64},
            "ipv6GatewayAddress": net::ipv6_full(net::ipv6_host(self.ipv6_prefix, 1)),
            "createTime": clock::iso8601(self.create_time_ms),
            "state": self.state.as_str(),
            "id": self.id,
            "datacenterId": self.datacenter_id,
        });
        let addressing = match self.gateway {
            Gateway::Low => "LOW",
            Gateway::High => "HIGH",
            Gateway::Detached(_) => "",
        };
        if !addressing.is_empty() {
            v["gatewayAddressing"] = json!(addressing);
        }
        v
    }
}

/// Finds a VLAN of the organisation, naming `field` when the id is malformed.
pub fn find<'a>(org: &'a Org, field: &str, id: &str) -> Result<&'a Vlan, ApiError> {
    check_id(field, id)?;
    org.vlans
        .get(id)
        .ok_or_else(|| ApiError::not_found("VLAN", id))
}

/// IPv4 addresses used by NICs on the VLAN, except the NIC `except_nic`.
pub fn used_ipv4(org: &Org, vlan_id: &str, except_nic: Option<&str>) -> BTreeSet<Ipv4Addr> {
    org.servers
        .values()
        .flat_map(|s| s.nics())
        .filter(|n| n.vlan_id == vlan_id && Some(n.id.as_str()) != except_nic)
        .map(|n| n.private_ipv4)
        .collect()
}

/// Checks that `ip` may be given to a NIC on `vlan`.
pub fn check_ipv4(
    org: &Org,
    vlan: &Vlan,
    field: &str,
    ip: Ipv4Addr,
    except_nic: Option<&str>,
) -> Result<(), ApiError> {
    if !vlan.net().contains(ip) || vlan.is_reserved(ip) {
        return Err(ApiError::new(
            Code::IpAddressOutOfRange,
            format!(
                "{field}: {ip} is not a usable address of VLAN '{}' ({}/{}).",
                vlan.name, vlan.ipv4_base, vlan.prefix
            ),
        ));
    }
    if org
        .reserved_ipv4
        .iter()
        .any(|r| r.vlan_id == vlan.id && r.ip == ip)
    {
        return Err(ApiError::new(
            Code::IpAddressOutOfRange,
            format!("{field}: {ip} is reserved on VLAN '{}'.", vlan.name),
        ));
    }
    if used_ipv4(org, &vlan.id, except_nic).contains(&ip) {
        return Err(ApiError::new(
            Code::IpAddressNotUnique,
            format!("{field}: {ip} is already in use on VLAN '{}'.", vlan.name),
        ));
    }
    Ok(())
}

/// The lowest free usable address of `vlan`.
pub fn allocate_ipv4(
    org: &Org,
    vlan: &Vlan,
    field: &str,
    taken: &BTreeSet<Ipv4Addr>,
) -> Result<Ipv4Addr, ApiError> {
    let mut used = used_ipv4(org, &vlan.id, None);
    used.extend(
        org.reserved_ipv4
            .iter()
            .filter(|r| r.vlan_id == vlan.id)
            .map(|r| r.ip),
    );
    let n = vlan.net();
    (n.first()..=n.last())
        .map(Ipv4Addr::from)
        .find(|ip| !vlan.is_reserved(*ip) && !used.contains(ip) && !taken.contains(ip))
        .ok_or_else(|| {
            ApiError::new(
                Code::NoIpAddressAvailable,
                format!("{field}: VLAN '{}' has no free IPv4 address.", vlan.name),
            )
        })
}

/// The VLAN of network domain `nd_id` whose range contains `ip`.
pub fn vlan_containing<'a>(org: &'a Org, nd_id: &str, ip: Ipv4Addr) -> Option<&'a Vlan> {
    org.vlans
        .values()
        .find(|v| v.network_domain_id == nd_id && v.net().contains(ip))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AttachedBody {
    gateway_addressing: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DetachedBody {
    ipv4_gateway_address: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DeployBody {
    network_domain_id: String,
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    private_ipv4_base_address: Option<String>,
    #[serde(default)]
    private_ipv4_network_address: Option<String>,
    private_ipv4_prefix_size: u8,
    #[serde(default)]
    attached_vlan: Option<AttachedBody>,
    #[serde(default)]
    detached_vlan: Option<DetachedBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EditBody {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ExpandBody {
    id: String,
    private_ipv4_prefix_size: u8,
}

const MIN_PREFIX: u8 = 16;
const MAX_PREFIX: u8 = 30;

fn check_range(
    org: &Org,
    nd_id: &str,
    except: Option<&str>,
    candidate: Ipv4Net,
    field: &str,
) -> Result<(), ApiError> {
    if !(MIN_PREFIX..=MAX_PREFIX).contains(&candidate.prefix) {
        return Err(ApiError::invalid(
            "privateIpv4PrefixSize",
            format!(
                "{} must be between {MIN_PREFIX} and {MAX_PREFIX}",
                candidate.prefix
            ),
        ));
    }
    if !candidate.is_aligned() {
        return Err(ApiError::invalid(
            field,
            format!(
                "{} is not the network address of a /{} network (expected {})",
                candidate.address,
                candidate.prefix,
                Ipv4Addr::from(candidate.first())
            ),
        ));
    }
    let a = candidate.address;
    let transit = Ipv4Net {
        address: Ipv4Addr::new(100, 64, 0, 0),
        prefix: 10,
    };
    if a.is_loopback()
        || a.is_multicast()
        || a.is_unspecified()
        || a.is_broadcast()
        || a.is_link_local()
        || candidate.overlaps(&transit)
    {
        return Err(ApiError::invalid(
            field,
            format!("{a}/{} is a reserved range (loopback, link-local, multicast or the 100.64.0.0/10 transit space)", candidate.prefix),
        ));
    }
    if let Some(other) = org.vlans.values().find(|v| {
        v.network_domain_id == nd_id
            && Some(v.id.as_str()) != except
            && v.net().overlaps(&candidate)
    }) {
        return Err(ApiError::new(
            Code::IpAddressNotUnique,
            format!(
                "{field}: {a}/{} overlaps VLAN '{}' ({}/{}) in the same network domain.",
                candidate.prefix, other.name, other.ipv4_base, other.prefix
            ),
        ));
    }
    Ok(())
}

/// `GET network/vlan/{id}`.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.as_deref().unwrap_or_default();
    Ok(Reply::Document(find(ctx.org, "id", id)?.to_json(ctx.org)))
}

/// `GET network/vlan`.
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = ctx.org.vlans.values().map(|v| v.to_json(ctx.org)).collect();
    paging::page(items, "vlan", &ctx.call.query, FILTERS).map(Reply::Document)
}

/// `POST network/deployVlan`: accepts `privateIpv4BaseAddress` (≤2.4) or `privateIpv4NetworkAddress`
/// (≥2.8) and, from 2.8 on, exactly one of `attachedVlan` / `detachedVlan`.
pub fn deploy(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: DeployBody = ctx.body()?;
    let nd = find_domain(ctx.org, "networkDomainId", &body.network_domain_id)?;
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
    check_name("name", &body.name, 75)?;
    let (field, address) = match (
        &body.private_ipv4_base_address,
        &body.private_ipv4_network_address,
    ) {
        (Some(a), None) => ("privateIpv4BaseAddress", a),
        (None, Some(a)) => ("privateIpv4NetworkAddress", a),
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "privateIpv4NetworkAddress",
                "give either privateIpv4BaseAddress or privateIpv4NetworkAddress, not both",
            ))
        }
        (None, None) => {
            return Err(ApiError::invalid(
                "privateIpv4NetworkAddress",
                "privateIpv4NetworkAddress must be provided",
            ))
        }
    };
    let base =
        net::parse_ipv4(field, address).map_err(|m| ApiError::new(Code::InvalidInputData, m))?;
    let candidate = Ipv4Net {
        address: base,
        prefix: body.private_ipv4_prefix_size,
    };
    check_range(ctx.org, &nd.id, None, candidate, field)?;
    let gateway = match (body.attached_vlan, body.detached_vlan) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "detachedVlan",
                "give either attachedVlan or detachedVlan, not both",
            ))
        }
        (Some(a), None) => match a.gateway_addressing.as_str() {
            "LOW" => Gateway::Low,
            "HIGH" => Gateway::High,
            other => {
                return Err(ApiError::invalid(
                    "attachedVlan.gatewayAddressing",
                    format!("`{other}` must be LOW or HIGH"),
                ))
            }
        },
        (None, Some(d)) => {
            let field = "detachedVlan.ipv4GatewayAddress";
            let g = net::parse_ipv4(field, &d.ipv4_gateway_address)
                .map_err(|m| ApiError::new(Code::InvalidInputData, m))?;
            let v = u32::from(g);
            if !candidate.contains(g) || v == candidate.first() || v == candidate.last() {
                return Err(ApiError::new(
                    Code::IpAddressOutOfRange,
                    format!(
                        "{field}: {g} is not a host address of {base}/{}.",
                        candidate.prefix
                    ),
                ));
            }
            Gateway::Detached(g)
        }
        (None, None) if ctx.call.minor < 8 => Gateway::Low,
        (None, None) => {
            return Err(ApiError::invalid(
                "ipv4GatewayAddress",
                "ipv4GatewayAddress must be provided.",
            ))
        }
    };
    let dc = nd.datacenter_id.clone();
    let region = catalog::datacenter(&dc)
        .map(|d| d.region)
        .unwrap_or_default();
    check_deploy_lock(ctx.org, &ctx.call.org_id, region)?;

    let ipv6_prefix =
        ctx.addressing
            .next_vlan_ipv6(ctx.counters, &dc, catalog::datacenter_index(&dc));
    let outcome = if ctx.call.failed_add {
        Outcome::FailedAdd
    } else {
        Outcome::Normal
    };
    let id = new_id();
    let vlan = Vlan {
        id: id.clone(),
        network_domain_id: nd.id.clone(),
        datacenter_id: dc,
        name: body.name.clone(),
        description: body.description.unwrap_or_default(),
        ipv4_base: base,
        prefix: candidate.prefix,
        gateway,
        ipv6_prefix,
        create_time_ms: ctx.call.now_ms,
        state: State::PendingAdd,
        pending: Some(schedule(
            OpKind::DeployVlan,
            outcome,
            ctx.call.now_ms,
            ctx.call.time_scale,
        )),
    };
    ctx.org.vlans.insert(id.clone(), vlan);
    Ok(Reply::Action(
        Action::in_progress(
            "DEPLOY_VLAN",
            format!(
                "Request to deploy VLAN '{}' has been accepted and is being processed.",
                body.name
            ),
        )
        .info("vlanId", id),
    ))
}

/// `POST network/editVlan` (synchronous).
pub fn edit(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: EditBody = ctx.body()?;
    find(ctx.org, "id", &body.id)?;
    if let Some(name) = &body.name {
        check_name("name", name, 75)?;
    }
    let vlan = ctx
        .org
        .vlans
        .get_mut(&body.id)
        .ok_or_else(|| ApiError::not_found("VLAN", &body.id))?;
    if vlan.state != State::Normal {
        return Err(ApiError::busy("VLAN", &vlan.id, vlan.state.as_str()));
    }
    if let Some(name) = body.name {
        vlan.name = name;
    }
    if let Some(description) = body.description {
        vlan.description = description;
    }
    Ok(Reply::Action(Action::ok(
        "EDIT_VLAN",
        format!("VLAN '{}' was edited successfully.", vlan.name),
    )))
}

/// `POST network/expandVlan`: grows the network (smaller prefix), irreversibly.
pub fn expand(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: ExpandBody = ctx.body()?;
    let vlan = find(ctx.org, "id", &body.id)?;
    if vlan.state != State::Normal {
        return Err(ApiError::busy("VLAN", &vlan.id, vlan.state.as_str()));
    }
    if body.private_ipv4_prefix_size >= vlan.prefix {
        return Err(ApiError::invalid(
            "privateIpv4PrefixSize",
            format!(
                "{} must be smaller than the current prefix size {} (a VLAN can only grow)",
                body.private_ipv4_prefix_size, vlan.prefix
            ),
        ));
    }
    let candidate = Ipv4Net {
        address: vlan.ipv4_base,
        prefix: body.private_ipv4_prefix_size,
    };
    check_range(
        ctx.org,
        &vlan.network_domain_id,
        Some(&vlan.id),
        candidate,
        "privateIpv4PrefixSize",
    )?;
    let vlan = ctx
        .org
        .vlans
        .get_mut(&body.id)
        .ok_or_else(|| ApiError::not_found("VLAN", &body.id))?;
    vlan.prefix = body.private_ipv4_prefix_size;
    vlan.state = State::PendingChange;
    vlan.pending = Some(schedule(
        OpKind::ExpandVlan,
        Outcome::Normal,
        ctx.call.now_ms,
        ctx.call.time_scale,
    ));
    Ok(Reply::Action(Action::in_progress(
        "EXPAND_VLAN",
        format!(
            "Request to expand VLAN '{}' has been accepted and is being processed.",
            vlan.name
        ),
    )))
}

/// `POST network/deleteVlan`: refused while any NIC is on the VLAN.
pub fn delete(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    let vlan = find(ctx.org, "id", &body.id)?;
    if vlan.state.is_pending() {
        return Err(ApiError::busy("VLAN", &vlan.id, vlan.state.as_str()));
    }
    let attached: Vec<&str> = ctx
        .org
        .servers
        .values()
        .filter(|s| s.nics().any(|n| n.vlan_id == vlan.id))
        .map(|s| s.name.as_str())
        .collect();
    if !attached.is_empty() {
        return Err(ApiError::new(
            Code::HasDependency,
            format!(
                "id: VLAN {} still has NICs of {} server(s) attached ({}).",
                vlan.id,
                attached.len(),
                attached.join(", ")
            ),
        ));
    }
    let region = catalog::datacenter(&vlan.datacenter_id)
        .map(|d| d.region)
        .unwrap_or_default();
    check_deploy_lock(ctx.org, &ctx.call.org_id, region)?;
    let vlan = ctx
        .org
        .vlans
        .get_mut(&body.id)
        .ok_or_else(|| ApiError::not_found("VLAN", &body.id))?;
    vlan.state = State::PendingDelete;
    vlan.pending = Some(schedule(
        OpKind::DeleteVlan,
        Outcome::Remove,
        ctx.call.now_ms,
        ctx.call.time_scale,
    ));
    Ok(Reply::Action(Action::in_progress(
        "DELETE_VLAN",
        format!(
            "Request to Delete VLAN (Id: {}) has been accepted and is being processed.",
            vlan.id
        ),
    )))
}
