//! Virtual listeners (`networkDomainVip/…VirtualListener`, API 2.6 on): the address and port a
//! load balancer answers on, with its pool, persistence profiles and iRules. Create, edit,
//! delete: all synchronous (`OK`). A listener without `listenerIpAddress` takes the first free
//! address of the domain's public IP blocks.

use super::vip_common::{self as common, Nullable};
use super::{check_id, new_id, ssl_offload_profile, vip_default, vip_pool, Ctx, IdBody};
use crate::clock;
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::State;
use crate::net;
use crate::paging::{self, FilterSpec};
use crate::store::Org;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::net::Ipv4Addr;

/// First API minor version with virtual listeners.
pub const SINCE_MINOR: u32 = 6;

/// Listener types and the protocols each accepts.
pub const TYPES: &[(&str, &[&str])] = &[
    ("STANDARD", &["ANY", "TCP", "UDP", "HTTP", "FTP", "SMTP"]),
    ("PERFORMANCE_LAYER_4", &["ANY", "TCP", "UDP", "HTTP"]),
];

/// The (type, protocol) pairs that may terminate SSL with an offload profile: STANDARD listeners
/// of a TCP-based protocol the profile can decrypt (our reading; no public source lists them).
pub const SSL_OFFLOAD_KINDS: &[(&str, &str)] = &[("STANDARD", "TCP"), ("STANDARD", "HTTP")];

/// Source port handling.
pub const SOURCE_PORT_PRESERVATIONS: &[&str] = &["PRESERVE", "PRESERVE_STRICT", "CHANGE"];

/// Optimization profiles.
pub const OPTIMIZATION_PROFILES: &[&str] = &[
    "TCP",
    "LAN_OPT",
    "WAN_OPT",
    "MOBILE_OPT",
    "TCP_LEGACY",
    "SMTP",
    "SIP",
];

/// A stored virtual listener.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VirtualListener {
    /// Id.
    pub id: String,
    /// Network domain id.
    pub network_domain_id: String,
    /// Datacenter id.
    pub datacenter_id: String,
    /// Name, unique among the domain's listeners.
    pub name: String,
    /// Description.
    pub description: String,
    /// STANDARD or PERFORMANCE_LAYER_4.
    pub listener_type: String,
    /// Protocol.
    pub protocol: String,
    /// Listener address.
    pub ip: Ipv4Addr,
    /// `PUBLIC_IP_BLOCK` or `PRIVATE_RFC1918`.
    pub addressability: String,
    /// Port; `None` is any port.
    pub port: Option<u16>,
    /// Enabled.
    pub enabled: bool,
    /// Connection limit.
    pub connection_limit: u32,
    /// Connection rate limit.
    pub connection_rate_limit: u32,
    /// PRESERVE, PRESERVE_STRICT or CHANGE.
    pub source_port_preservation: String,
    /// Primary pool.
    pub pool_id: Option<String>,
    /// Pool receiving a copy of the traffic.
    pub client_clone_pool_id: Option<String>,
    /// Persistence profile.
    pub persistence_profile_id: Option<String>,
    /// Fallback persistence profile.
    pub fallback_persistence_profile_id: Option<String>,
    /// Optimization profile.
    pub optimization_profile: Option<String>,
    /// iRules.
    pub irule_ids: Vec<String>,
    /// SSL offload profile (absent from states saved before SSL offload was emulated).
    #[serde(default)]
    pub ssl_offload_profile_id: Option<String>,
    /// Creation time (ms).
    pub create_time_ms: u64,
    /// State (always NORMAL: the writes are synchronous).
    pub state: State,
}

impl VirtualListener {
    /// Whether the listener sends traffic to `pool` (primary or clone).
    pub fn uses_pool(&self, pool: &str) -> bool {
        self.pool_id.as_deref() == Some(pool) || self.client_clone_pool_id.as_deref() == Some(pool)
    }

    /// The API's JSON shape.
    pub fn to_json(&self, org: &Org) -> Value {
        let mut v = json!({
            "id": self.id,
            "datacenterId": self.datacenter_id,
            "networkDomainId": self.network_domain_id,
            "name": self.name,
            "description": self.description,
            "state": self.state.as_str(),
            "type": self.listener_type,
            "protocol": self.protocol,
            "listenerIpAddress": self.ip.to_string(),
            "listenerIpAddressability": self.addressability,
            "enabled": self.enabled,
            "connectionLimit": self.connection_limit,
            "connectionRateLimit": self.connection_rate_limit,
            "sourcePortPreservation": self.source_port_preservation,
            "irule": self.irule_ids.iter().map(|id| {
                let name = vip_default::IRULES.iter().find(|r| r.id == id).map(|r| r.name).unwrap_or_default();
                json!({"id": id, "name": name})
            }).collect::<Vec<_>>(),
            "createTime": clock::iso8601(self.create_time_ms),
        });
        if let Some(p) = self.port {
            v["port"] = json!(p);
        }
        let pool = |id: &Option<String>| {
            id.as_ref()
                .and_then(|id| org.vip_pools.get(id))
                .map(|p| p.summary())
        };
        if let Some(p) = pool(&self.pool_id) {
            v["pool"] = p;
        }
        if let Some(p) = pool(&self.client_clone_pool_id) {
            v["clientClonePool"] = p;
        }
        let profile = |id: &Option<String>| {
            id.as_ref().map(
                |id| json!({"id": id, "name": vip_default::profile_name(id).unwrap_or_default()}),
            )
        };
        if let Some(p) = profile(&self.persistence_profile_id) {
            v["persistenceProfile"] = p;
        }
        if let Some(p) = profile(&self.fallback_persistence_profile_id) {
            v["fallbackPersistenceProfile"] = p;
        }
        if let Some(o) = &self.optimization_profile {
            v["optimizationProfile"] = json!(o);
        }
        if let Some(p) = self
            .ssl_offload_profile_id
            .as_ref()
            .and_then(|id| org.ssl_offload_profiles.get(id))
        {
            v["sslOffloadProfile"] = p.summary();
        }
        v
    }
}

const FILTERS: &[FilterSpec] = &[
    ("id", &["/id"]),
    ("networkDomainId", &["/networkDomainId"]),
    ("datacenterId", &["/datacenterId"]),
    ("name", &["/name"]),
    ("type", &["/type"]),
    ("protocol", &["/protocol"]),
    ("listenerIpAddress", &["/listenerIpAddress"]),
    ("port", &["/port"]),
    ("enabled", &["/enabled"]),
    ("state", &["/state"]),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateBody {
    network_domain_id: String,
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(rename = "type")]
    listener_type: String,
    protocol: String,
    #[serde(default)]
    listener_ip_address: Option<String>,
    #[serde(default)]
    port: Option<i64>,
    enabled: bool,
    connection_limit: i64,
    connection_rate_limit: i64,
    source_port_preservation: String,
    #[serde(default)]
    pool_id: Option<String>,
    #[serde(default)]
    client_clone_pool_id: Option<String>,
    #[serde(default)]
    persistence_profile_id: Option<String>,
    #[serde(default)]
    fallback_persistence_profile_id: Option<String>,
    #[serde(default)]
    optimization_profile: Option<String>,
    #[serde(default)]
    ssl_offload_profile_id: Option<String>,
    #[serde(default)]
    irule_id: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EditBody {
    id: String,
    #[serde(default)]
    description: Option<Nullable<String>>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    connection_limit: Option<i64>,
    #[serde(default)]
    connection_rate_limit: Option<i64>,
    #[serde(default)]
    source_port_preservation: Option<String>,
    #[serde(default)]
    pool_id: Option<Nullable<String>>,
    #[serde(default)]
    client_clone_pool_id: Option<Nullable<String>>,
    #[serde(default)]
    persistence_profile_id: Option<Nullable<String>>,
    #[serde(default)]
    fallback_persistence_profile_id: Option<Nullable<String>>,
    #[serde(default)]
    optimization_profile: Option<Nullable<String>>,
    #[serde(default)]
    ssl_offload_profile_id: Option<Nullable<String>>,
    #[serde(default)]
    irule_id: Option<Nullable<Vec<String>>>,
}

fn find<'a>(org: &'a Org, field: &str, id: &str) -> Result<&'a VirtualListener, ApiError> {
    check_id(field, id)?;
    org.virtual_listeners
        .get(id)
        .ok_or_else(|| ApiError::not_found("Virtual Listener", id))
}

/// The listener references that depend on its kind and domain, checked together.
struct Refs {
    pool_id: Option<String>,
    client_clone_pool_id: Option<String>,
    persistence_profile_id: Option<String>,
    fallback_persistence_profile_id: Option<String>,
    optimization_profile: Option<String>,
    ssl_offload_profile_id: Option<String>,
    irule_ids: Vec<String>,
}

impl Refs {
    fn of(l: &VirtualListener) -> Refs {
        Refs {
            pool_id: l.pool_id.clone(),
            client_clone_pool_id: l.client_clone_pool_id.clone(),
            persistence_profile_id: l.persistence_profile_id.clone(),
            fallback_persistence_profile_id: l.fallback_persistence_profile_id.clone(),
            optimization_profile: l.optimization_profile.clone(),
            ssl_offload_profile_id: l.ssl_offload_profile_id.clone(),
            irule_ids: l.irule_ids.clone(),
        }
    }

    /// Checks every reference against the listener's domain, type and protocol.
    fn check(&self, org: &Org, domain: &str, kind: (&str, &str)) -> Result<(), ApiError> {
        for (field, id) in [
            ("poolId", &self.pool_id),
            ("clientClonePoolId", &self.client_clone_pool_id),
        ] {
            if let Some(id) = id {
                let pool = vip_pool::find(org, field, id)?;
                if pool.network_domain_id != domain {
                    return Err(ApiError::invalid(
                        field,
                        format!("Pool '{}' is in another Network Domain.", pool.name),
                    ));
                }
            }
        }
        let unsupported = |what: &str| {
            ApiError::new(
                Code::ConfigurationNotSupported,
                format!(
                    "{what} cannot be used with a {} {} virtual listener.",
                    kind.0, kind.1
                ),
            )
        };
        if let Some(id) = &self.persistence_profile_id {
            let p = vip_default::persistence_profile("persistenceProfileId", id)?;
            if !p.compatibility.contains(&kind) {
                return Err(unsupported(&format!("persistenceProfileId: {}", p.name)));
            }
        }
        if let Some(id) = &self.fallback_persistence_profile_id {
            let p = vip_default::persistence_profile("fallbackPersistenceProfileId", id)?;
            if self.persistence_profile_id.is_none() {
                return Err(ApiError::invalid(
                    "fallbackPersistenceProfileId",
                    "needs a persistenceProfileId",
                ));
            }
            if !p.fallback_compatible || self.persistence_profile_id.as_deref() == Some(id) {
                return Err(ApiError::invalid(
                    "fallbackPersistenceProfileId",
                    format!(
                        "{} cannot be the fallback (it must be fallback-compatible and differ from the primary profile)",
                        p.name
                    ),
                ));
            }
            if !p.compatibility.contains(&kind) {
                return Err(unsupported(&format!(
                    "fallbackPersistenceProfileId: {}",
                    p.name
                )));
            }
        }
        for (i, id) in self.irule_ids.iter().enumerate() {
            let field = format!("iruleId[{i}]");
            let r = vip_default::irule(&field, id)?;
            if self.irule_ids[..i].contains(id) {
                return Err(ApiError::invalid(
                    &field,
                    format!("{} is listed twice", r.name),
                ));
            }
            if !r.compatibility.contains(&kind) {
                return Err(unsupported(&format!("{field}: {}", r.name)));
            }
        }
        if let Some(id) = &self.ssl_offload_profile_id {
            let p = ssl_offload_profile::find(org, "sslOffloadProfileId", id)?;
            if p.network_domain_id != domain {
                return Err(ApiError::invalid(
                    "sslOffloadProfileId",
                    format!(
                        "SSL Offload Profile '{}' is in another Network Domain.",
                        p.name
                    ),
                ));
            }
            if !SSL_OFFLOAD_KINDS.contains(&kind) {
                return Err(unsupported(&format!("sslOffloadProfileId: {}", p.name)));
            }
        }
        if let Some(o) = &self.optimization_profile {
            common::one_of("optimizationProfile", o, OPTIMIZATION_PROFILES)?;
        } else if kind.0 == "STANDARD" && matches!(kind.1, "TCP" | "HTTP") {
            return Err(ApiError::new(
                Code::ConfigurationNotSupported,
                format!(
                    "optimizationProfile is required for type {} and protocol {}.",
                    kind.0, kind.1
                ),
            ));
        }
        Ok(())
    }
}

/// The public addresses of `domain`'s blocks, in block order.
fn public_addresses(org: &Org, domain: &str) -> Vec<Ipv4Addr> {
    let mut blocks: Vec<_> = org
        .public_ip_blocks
        .values()
        .filter(|b| b.network_domain_id == domain)
        .collect();
    blocks.sort_by_key(|b| b.base_ip);
    blocks.iter().flat_map(|b| b.addresses()).collect()
}

/// Whether `ip` is taken for a listener on `port`: by a NAT rule, a node, or another listener
/// on the same port (or on any port).
fn address_taken(org: &Org, domain: &str, ip: Ipv4Addr, port: Option<u16>) -> Option<String> {
    if let Some(r) = org.nat_rules.values().find(|r| r.external_ip == ip) {
        return Some(format!("NAT rule {}", r.id));
    }
    if let Some(n) = org
        .vip_nodes
        .values()
        .find(|n| n.network_domain_id == domain && n.ip == std::net::IpAddr::V4(ip))
    {
        return Some(format!("Node '{}'", n.name));
    }
    org.virtual_listeners
        .values()
        .find(|l| {
            l.network_domain_id == domain
                && l.ip == ip
                && (l.port.is_none() || port.is_none() || l.port == port)
        })
        .map(|l| format!("Virtual Listener '{}'", l.name))
}

/// Whether a public IPv4 address is used by a virtual listener (public IP blocks and NAT rules
/// ask this before releasing or handing out an address).
pub fn uses_address(org: &Org, ip: Ipv4Addr) -> bool {
    org.virtual_listeners.values().any(|l| l.ip == ip)
}

/// The listener address: the one given (public from the domain's blocks, or private outside its
/// VLANs), or the first free public address of the domain. Returns (address, addressability).
fn listener_address(
    org: &Org,
    domain: &str,
    given: Option<&str>,
    port: Option<u16>,
) -> Result<(Ipv4Addr, &'static str), ApiError> {
    let public = public_addresses(org, domain);
    let Some(text) = given else {
        return public
            .iter()
            .copied()
            .find(|ip| address_taken(org, domain, *ip, None).is_none())
            .map(|ip| (ip, "PUBLIC_IP_BLOCK"))
            .ok_or_else(|| {
                ApiError::new(
                    Code::NoIpAddressAvailable,
                    format!("listenerIpAddress: Network Domain {domain} has no free public IPv4 address; add a public IP block."),
                )
            });
    };
    let ip = net::parse_ipv4("listenerIpAddress", text)
        .map_err(|m| ApiError::new(Code::InvalidInputData, m))?;
    let addressability = if public.contains(&ip) {
        "PUBLIC_IP_BLOCK"
    } else if net::is_rfc1918(ip) {
        if let Some(v) = org
            .vlans
            .values()
            .find(|v| v.network_domain_id == domain && v.net().contains(ip))
        {
            return Err(ApiError::new(
                Code::IpAddressOutOfRange,
                format!("listenerIpAddress: {ip} is inside VLAN '{}'; a private listener address must be outside the domain's VLANs.", v.name),
            ));
        }
        "PRIVATE_RFC1918"
    } else {
        return Err(ApiError::new(
            Code::IpAddressOutOfRange,
            format!(
                "listenerIpAddress: {ip} is not in a public IP block of Network Domain {domain}."
            ),
        ));
    };
    if let Some(user) = address_taken(org, domain, ip, port) {
        return Err(ApiError::new(
            Code::IpAddressNotUnique,
            format!("listenerIpAddress: {ip} is already used by {user}."),
        ));
    }
    Ok((ip, addressability))
}

/// `GET networkDomainVip/virtualListener/{id}`.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.as_deref().unwrap_or_default();
    Ok(Reply::Document(find(ctx.org, "id", id)?.to_json(ctx.org)))
}

/// `GET networkDomainVip/virtualListener?networkDomainId=…&name=…`.
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = ctx
        .org
        .virtual_listeners
        .values()
        .map(|l| l.to_json(ctx.org))
        .collect();
    paging::page(items, "virtualListener", &ctx.call.query, FILTERS).map(Reply::Document)
}

/// `POST networkDomainVip/createVirtualListener` (synchronous; info `virtualListenerId`,
/// `name`, `listenerIpAddress`).
pub fn create(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: CreateBody = ctx.body()?;
    let (nd_id, dc) = common::domain(ctx, &body.network_domain_id)?;
    common::check_texts(&body.name, body.description.as_deref())?;
    let types: Vec<&str> = TYPES.iter().map(|(t, _)| *t).collect();
    let listener_type = common::one_of("type", &body.listener_type, &types)?;
    let protocols = TYPES
        .iter()
        .find(|(t, _)| *t == listener_type)
        .map(|(_, p)| *p)
        .unwrap_or_default();
    let protocol = common::one_of("protocol", &body.protocol, protocols)?;
    let port = body
        .port
        .map(|p| common::in_range("port", p, (1, 65_535)).map(|p| p as u16))
        .transpose()?;
    let connection_limit = common::in_range(
        "connectionLimit",
        body.connection_limit,
        common::CONNECTION_LIMIT,
    )?;
    let connection_rate_limit = common::in_range(
        "connectionRateLimit",
        body.connection_rate_limit,
        common::CONNECTION_RATE_LIMIT,
    )?;
    let spp = common::one_of(
        "sourcePortPreservation",
        &body.source_port_preservation,
        SOURCE_PORT_PRESERVATIONS,
    )?;
    let refs = Refs {
        pool_id: body.pool_id,
        client_clone_pool_id: body.client_clone_pool_id,
        persistence_profile_id: body.persistence_profile_id,
        fallback_persistence_profile_id: body.fallback_persistence_profile_id,
        optimization_profile: body.optimization_profile,
        ssl_offload_profile_id: body.ssl_offload_profile_id,
        irule_ids: body.irule_id,
    };
    refs.check(ctx.org, &nd_id, (&listener_type, &protocol))?;
    common::unique_name(
        ctx.org
            .virtual_listeners
            .values()
            .any(|l| l.network_domain_id == nd_id && l.name == body.name),
        "Virtual Listener",
        &body.name,
        &nd_id,
    )?;
    let (ip, addressability) =
        listener_address(ctx.org, &nd_id, body.listener_ip_address.as_deref(), port)?;
    let id = new_id();
    let listener = VirtualListener {
        id: id.clone(),
        network_domain_id: nd_id,
        datacenter_id: dc,
        name: body.name.clone(),
        description: body.description.unwrap_or_default(),
        listener_type,
        protocol,
        ip,
        addressability: addressability.to_string(),
        port,
        enabled: body.enabled,
        connection_limit,
        connection_rate_limit,
        source_port_preservation: spp,
        pool_id: refs.pool_id,
        client_clone_pool_id: refs.client_clone_pool_id,
        persistence_profile_id: refs.persistence_profile_id,
        fallback_persistence_profile_id: refs.fallback_persistence_profile_id,
        optimization_profile: refs.optimization_profile,
        irule_ids: refs.irule_ids,
        ssl_offload_profile_id: refs.ssl_offload_profile_id,
        create_time_ms: ctx.call.now_ms,
        state: State::Normal,
    };
    ctx.org.virtual_listeners.insert(id.clone(), listener);
    Ok(Reply::Action(
        Action::ok(
            "CREATE_VIRTUAL_LISTENER",
            format!("Virtual Listener '{}' has been created.", body.name),
        )
        .info("virtualListenerId", id)
        .info("name", body.name)
        .info("listenerIpAddress", ip.to_string()),
    ))
}

/// Applies an optional nullable edit to `slot`.
fn apply<T>(slot: &mut Option<T>, edit: Option<Nullable<T>>, field: &str) -> Result<(), ApiError> {
    if let Some(e) = edit {
        *slot = e.into_option(field)?;
    }
    Ok(())
}

/// `POST networkDomainVip/editVirtualListener` (synchronous): name, type, protocol, address and
/// port cannot change; a `{"nil": true}` clears a reference.
pub fn edit(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: EditBody = ctx.body()?;
    let listener = find(ctx.org, "id", &body.id)?;
    let kind = (listener.listener_type.clone(), listener.protocol.clone());
    let domain = listener.network_domain_id.clone();
    let mut refs = Refs::of(listener);
    let description = body
        .description
        .map(|d| d.into_option("description"))
        .transpose()?;
    common::check_description(description.as_ref().and_then(|d| d.as_deref()))?;
    let limit = body
        .connection_limit
        .map(|n| common::in_range("connectionLimit", n, common::CONNECTION_LIMIT))
        .transpose()?;
    let rate = body
        .connection_rate_limit
        .map(|n| common::in_range("connectionRateLimit", n, common::CONNECTION_RATE_LIMIT))
        .transpose()?;
    let spp = body
        .source_port_preservation
        .map(|s| common::one_of("sourcePortPreservation", &s, SOURCE_PORT_PRESERVATIONS))
        .transpose()?;
    apply(&mut refs.pool_id, body.pool_id, "poolId")?;
    apply(
        &mut refs.client_clone_pool_id,
        body.client_clone_pool_id,
        "clientClonePoolId",
    )?;
    apply(
        &mut refs.persistence_profile_id,
        body.persistence_profile_id,
        "persistenceProfileId",
    )?;
    apply(
        &mut refs.fallback_persistence_profile_id,
        body.fallback_persistence_profile_id,
        "fallbackPersistenceProfileId",
    )?;
    apply(
        &mut refs.optimization_profile,
        body.optimization_profile,
        "optimizationProfile",
    )?;
    apply(
        &mut refs.ssl_offload_profile_id,
        body.ssl_offload_profile_id,
        "sslOffloadProfileId",
    )?;
    if let Some(r) = body.irule_id {
        refs.irule_ids = r.into_option("iruleId")?.unwrap_or_default();
    }
    refs.check(ctx.org, &domain, (&kind.0, &kind.1))?;
    let listener = ctx
        .org
        .virtual_listeners
        .get_mut(&body.id)
        .ok_or_else(|| ApiError::not_found("Virtual Listener", &body.id))?;
    if let Some(d) = description {
        listener.description = d.unwrap_or_default();
    }
    if let Some(e) = body.enabled {
        listener.enabled = e;
    }
    if let Some(n) = limit {
        listener.connection_limit = n;
    }
    if let Some(n) = rate {
        listener.connection_rate_limit = n;
    }
    if let Some(s) = spp {
        listener.source_port_preservation = s;
    }
    listener.pool_id = refs.pool_id;
    listener.client_clone_pool_id = refs.client_clone_pool_id;
    listener.persistence_profile_id = refs.persistence_profile_id;
    listener.fallback_persistence_profile_id = refs.fallback_persistence_profile_id;
    listener.optimization_profile = refs.optimization_profile;
    listener.irule_ids = refs.irule_ids;
    listener.ssl_offload_profile_id = refs.ssl_offload_profile_id;
    Ok(Reply::Action(
        Action::ok(
            "EDIT_VIRTUAL_LISTENER",
            format!("Virtual Listener '{}' has been edited.", listener.name),
        )
        .info("virtualListenerId", listener.id.clone()),
    ))
}

/// `POST networkDomainVip/deleteVirtualListener` (synchronous): its address is free again.
pub fn delete(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    find(ctx.org, "id", &body.id)?;
    ctx.org.virtual_listeners.remove(&body.id);
    Ok(Reply::Action(Action::ok(
        "DELETE_VIRTUAL_LISTENER",
        "Virtual Listener has been deleted.",
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs() -> Refs {
        Refs {
            pool_id: None,
            client_clone_pool_id: None,
            persistence_profile_id: None,
            fallback_persistence_profile_id: None,
            optimization_profile: None,
            ssl_offload_profile_id: None,
            irule_ids: Vec::new(),
        }
    }

    #[test]
    fn standard_tcp_and_http_need_an_optimization_profile() {
        let org = Org::default();
        let e = refs().check(&org, "d", ("STANDARD", "HTTP")).unwrap_err();
        assert_eq!(e.code, Code::ConfigurationNotSupported);
        assert!(refs().check(&org, "d", ("STANDARD", "UDP")).is_ok());
        assert!(refs()
            .check(&org, "d", ("PERFORMANCE_LAYER_4", "TCP"))
            .is_ok());
        let mut r = refs();
        r.optimization_profile = Some("TCP".into());
        assert!(r.check(&org, "d", ("STANDARD", "TCP")).is_ok());
    }

    #[test]
    fn fallback_profile_must_be_compatible_and_differ() {
        let org = Org::default();
        let source = vip_default::PERSISTENCE_PROFILES[3].id.to_string();
        let cookie = vip_default::PERSISTENCE_PROFILES[0].id.to_string();
        let mut r = refs();
        r.persistence_profile_id = Some(source.clone());
        r.fallback_persistence_profile_id = Some(source);
        assert!(r.check(&org, "d", ("STANDARD", "UDP")).is_err());
        r.fallback_persistence_profile_id = Some(cookie);
        assert!(r.check(&org, "d", ("STANDARD", "UDP")).is_err());
    }

    #[test]
    fn without_blocks_no_address_is_available() {
        let org = Org::default();
        let e = listener_address(&org, "d", None, None).unwrap_err();
        assert_eq!(e.code, Code::NoIpAddressAvailable);
        let e = listener_address(&org, "d", Some("198.51.100.1"), None).unwrap_err();
        assert_eq!(e.code, Code::IpAddressOutOfRange);
        let (ip, how) = listener_address(&org, "d", Some("10.9.9.9"), Some(80)).unwrap();
        assert_eq!(
            (ip.to_string().as_str(), how),
            ("10.9.9.9", "PRIVATE_RFC1918")
        );
    }
}
