//! MCP 1.0 locations: networks, the servers deployed in them and their reserved addresses.
//!
//! An MCP 1.0 datacenter (NA1, NA3, NA5 in the catalogue) has no network domains or VLANs; each
//! network is a private /24 managed through the v1 XML API, as libcloud, the .NET client
//! (`ApiUris`, `NetworkAccessor`) and libcloud's recordings show it:
//!
//! * `POST /oec/0.9/{org}/networkWithLocation` with `<NewNetworkWithLocation>` (`name`,
//!   `description`, `location`) in `http://oec.api.opsource.net/schemas/network` creates one; the
//!   answer is the v1 `Status` "Add Network", "Network created successfully (Network ID: …)";
//! * `GET /oec/0.9/{org}/networkWithLocation[/{location}]` lists them (`NetworkWithLocations`,
//!   each `network {id, name, description, location, privateNet, multicast}`);
//! * `GET /oec/0.9/{org}/network/{id}?delete` deletes one; `POST /oec/0.9/{org}/network/{id}`
//!   with the form body `name=…&description=…` renames it (both answer a `Status`).
//!
//! Rules: the location must be an MCP 1.0 datacenter, a name is unique per location, a network
//! with servers cannot be deleted. Every v1 network call is immediate (the v1 answer carries no
//! state to poll).
//!
//! In the 2.x API, `server/deployServer` takes `network {networkId | privateIpv4}` (the XSD's
//! choice, the .NET `DeployServerTypeNetwork`, libcloud's MCP 1.0 deploy) instead of
//! `networkInfo`; the server document then carries `nic {id, privateIpv4, networkId, networkName,
//! state}` instead of `networkInfo` (libcloud's recorded NA1 servers). Such a server keeps its one
//! NIC in `Server::primary_nic`, whose `vlan_id` holds the network id, and has no network domain.
//! `reservePrivateIpv4Address` / `unreservePrivateIpv4Address` take `networkId` instead of
//! `vlanId` (the XSD's choice), and the reserved list shows `networkId` (go's recording).

use super::server::Server;
use super::{check_id, check_name, new_id, Ctx};
use crate::catalog::{self, Datacenter};
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::net;
use crate::store::{Counters, Org};
use crate::xml::escape;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// The area v1 network calls are dispatched under (no `/caas/` path reaches it).
pub const AREA: &str = "oec/network";

/// Namespace of the v1 network documents.
pub const NETWORK_NS: &str = "http://oec.api.opsource.net/schemas/network";

/// The first host address handed to a server (the network address, the gateway `.1` and a few
/// infrastructure addresses are never given out; our reading: the recorded server has `.25`).
const FIRST_HOST: u8 = 11;

/// An MCP 1.0 network.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mcp1Network {
    /// Id.
    pub id: String,
    /// Name (unique per location).
    pub name: String,
    /// Description.
    pub description: String,
    /// The MCP 1.0 datacenter.
    pub location: String,
    /// The /24's network address (`privateNet`).
    pub private_net: Ipv4Addr,
}

impl Mcp1Network {
    /// The network's /24.
    pub fn net(&self) -> net::Ipv4Net {
        net::Ipv4Net {
            address: self.private_net,
            prefix: 24,
        }
    }

    /// Whether `ip` may be given to a server or reserved: inside the /24, not the network,
    /// gateway (`.1`) or broadcast address.
    pub fn is_host(&self, ip: Ipv4Addr) -> bool {
        let last = ip.octets()[3];
        self.net().contains(ip) && last != 0 && last != 1 && last != 255
    }
}

/// What a v1 network call asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `POST networkWithLocation`.
    Create,
    /// `GET networkWithLocation[/{location}]`.
    List,
    /// `GET network/{id}?delete`.
    Delete,
    /// `POST network/{id}` (form body).
    Modify,
}

impl Op {
    /// The operation a v1 call names: `collection` is `networkWithLocation` or `network`, `id`
    /// whether the path names one, `delete` whether the query has `delete`.
    pub fn of(post: bool, collection: &str, id: bool, delete: bool) -> Option<Op> {
        match (post, collection, id, delete) {
            (true, "networkWithLocation", false, false) => Some(Op::Create),
            (false, "networkWithLocation", _, false) => Some(Op::List),
            (false, "network", true, true) => Some(Op::Delete),
            (true, "network", true, false) => Some(Op::Modify),
            _ => None,
        }
    }

    /// The v1 `operation` text of the answer ("Add Network" is recorded; the others are our
    /// reading).
    pub fn title(self) -> &'static str {
        match self {
            Op::Create => "Add Network",
            Op::List => "List Networks",
            Op::Delete => "Delete Network",
            Op::Modify => "Modify Network",
        }
    }
}

/// The v1 `resultCode` of an error: `REASON_392` (busy) and `REASON_751` (exceeds limit) are the
/// codes go-dd-cloud-compute knows; the others are not recorded, so they answer `REASON_1`, as
/// the v1 backup calls do.
pub fn result_code(e: &ApiError) -> &'static str {
    match e.code {
        Code::ResourceBusy => "REASON_392",
        Code::ExceedsLimit => "REASON_751",
        _ => "REASON_1",
    }
}

/// Handles one v1 network call (`ctx.call.op` is the collection, `ctx.call.id` the location of a
/// list or the network of a delete or rename).
pub fn handle(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let call = ctx.call;
    let delete = call.query.iter().any(|(k, _)| k == "delete");
    match Op::of(call.post, &call.op, call.id.is_some(), delete) {
        Some(Op::Create) => create(ctx),
        Some(Op::List) => list(ctx),
        Some(Op::Delete) => delete_network(ctx),
        Some(Op::Modify) => modify(ctx),
        None => Err(ApiError::new(
            Code::OperationNotSupported,
            format!("{} is not an operation of the v1 network API", call.op),
        )
        .with_status(axum::http::StatusCode::NOT_FOUND)),
    }
}

/// The MCP 1.0 datacenter `id`, or INVALID_INPUT_DATA naming `field`.
fn mcp1_location(field: &str, id: &str) -> Result<&'static Datacenter, ApiError> {
    match catalog::datacenter(id) {
        Some(dc) if dc.mcp1 => Ok(dc),
        Some(dc) => Err(ApiError::invalid(
            field,
            format!(
                "{} is an MCP 2.0 datacenter; networks exist only in MCP 1.0 datacenters (use a network domain)",
                dc.id
            ),
        )),
        None => Err(ApiError::invalid(
            field,
            format!("`{id}` is not a datacenter"),
        )),
    }
}

/// Refuses an MCP 2.0-only operation (`what`, e.g. "network domains") in an MCP 1.0 datacenter,
/// naming `field`. Our reading of the code: INVALID_INPUT_DATA, as for an unknown datacenter.
pub fn refuse_mcp1(dc: &Datacenter, field: &str, what: &str) -> Result<(), ApiError> {
    if dc.mcp1 {
        return Err(ApiError::invalid(
            field,
            format!(
                "{} is an MCP 1.0 datacenter; {what} exist only in MCP 2.0 datacenters",
                dc.id
            ),
        ));
    }
    Ok(())
}

/// Finds a network of the organisation, naming `field` when the id is malformed.
pub fn find<'a>(org: &'a Org, field: &str, id: &str) -> Result<&'a Mcp1Network, ApiError> {
    check_id(field, id)?;
    org.mcp1_networks
        .get(id)
        .ok_or_else(|| ApiError::not_found("Network", id))
}

fn check_unique(
    org: &Org,
    location: &str,
    name: &str,
    except: Option<&str>,
) -> Result<(), ApiError> {
    let taken = org
        .mcp1_networks
        .values()
        .any(|n| n.location == location && n.name == name && Some(n.id.as_str()) != except);
    if taken {
        return Err(ApiError::new(
            Code::NameNotUnique,
            format!("name: a network named '{name}' already exists in {location}."),
        ));
    }
    Ok(())
}

/// Reads the `<NewNetworkWithLocation>` body: (name, description, location).
fn parse_create(body: &[u8]) -> Result<(String, Option<String>, String), ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| ApiError::invalid("body", format!("the XML body is not UTF-8: {e}")))?;
    let doc = roxmltree::Document::parse(text)
        .map_err(|e| ApiError::invalid("body", format!("malformed XML: {e}")))?;
    let root = doc.root_element();
    if !root.has_tag_name((NETWORK_NS, "NewNetworkWithLocation")) {
        return Err(ApiError::invalid(
            "body",
            format!("expected NewNetworkWithLocation in namespace {NETWORK_NS}"),
        ));
    }
    let (mut name, mut description, mut location) = (None, None, None);
    for child in root.children().filter(|c| c.is_element()) {
        let slot = match child.tag_name().name() {
            "name" => &mut name,
            "description" => &mut description,
            "location" => &mut location,
            other => {
                return Err(ApiError::invalid(
                    other,
                    "is not an element of NewNetworkWithLocation (name, description, location)",
                ))
            }
        };
        if slot.is_some() {
            return Err(ApiError::invalid(
                child.tag_name().name(),
                "appears more than once",
            ));
        }
        *slot = Some(child.text().unwrap_or_default().to_string());
    }
    let name = name.ok_or_else(|| ApiError::invalid("name", "is required"))?;
    let location = location.ok_or_else(|| ApiError::invalid("location", "is required"))?;
    Ok((name, description, location))
}

/// The first /24 in 10.160.0.0/11 that none of the organisation's networks uses.
fn free_private_net(org: &Org) -> Result<Ipv4Addr, ApiError> {
    let used: BTreeSet<Ipv4Addr> = org.mcp1_networks.values().map(|n| n.private_net).collect();
    (0u32..(1 << 13))
        .map(|i| net::add(Ipv4Addr::new(10, 160, 0, 0), i * 256))
        .find(|n| !used.contains(n))
        .ok_or_else(|| {
            ApiError::new(
                Code::ExceedsLimit,
                "No private /24 is left for another network.",
            )
        })
}

fn create(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let (name, description, location) = parse_create(&ctx.call.body)?;
    check_name("name", &name, 75)?;
    let dc = mcp1_location("location", &location)?;
    check_unique(ctx.org, dc.id, &name, None)?;
    let private_net = free_private_net(ctx.org)?;
    let id = new_id();
    ctx.org.mcp1_networks.insert(
        id.clone(),
        Mcp1Network {
            id: id.clone(),
            name,
            description: description.unwrap_or_default(),
            location: dc.id.to_string(),
            private_net,
        },
    );
    Ok(Reply::Action(Action::ok(
        "ADD_NETWORK",
        format!("Network created successfully (Network ID: {id})"),
    )))
}

fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    if let Some(location) = &ctx.call.id {
        if catalog::datacenter(location).is_none() {
            return Err(ApiError::invalid(
                "location",
                format!("`{location}` is not a datacenter"),
            ));
        }
    }
    let items: Vec<Value> = ctx
        .org
        .mcp1_networks
        .values()
        .filter(|n| ctx.call.id.as_ref().is_none_or(|l| &n.location == l))
        .map(|n| {
            json!({"id": n.id, "name": n.name, "description": n.description,
                   "location": n.location, "privateNet": n.private_net.to_string()})
        })
        .collect();
    Ok(Reply::Document(json!({ "network": items })))
}

fn delete_network(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.clone().unwrap_or_default();
    let network = find(ctx.org, "networkId", &id)?;
    if let Some(s) = servers_in(ctx.org, &id).next() {
        return Err(ApiError::new(
            Code::HasDependency,
            format!(
                "Network '{}' has servers (e.g. {}); delete them first.",
                network.name, s.id
            ),
        ));
    }
    ctx.org.mcp1_networks.remove(&id);
    // Reservations go with their network.
    ctx.org
        .reserved_ipv4
        .retain(|r| r.network_id.as_deref() != Some(id.as_str()));
    Ok(Reply::Action(Action::ok(
        "DELETE_NETWORK",
        "Network deleted successfully",
    )))
}

fn modify(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.clone().unwrap_or_default();
    let network = find(ctx.org, "networkId", &id)?;
    let (mut name, mut description) = (None, None);
    for (k, v) in form_urlencoded::parse(&ctx.call.body) {
        match k.as_ref() {
            "name" => name = Some(v.into_owned()),
            "description" => description = Some(v.into_owned()),
            other => {
                return Err(ApiError::invalid(
                    other,
                    "is not a field of a network change (name, description)",
                ))
            }
        }
    }
    if name.is_none() && description.is_none() {
        return Err(ApiError::invalid(
            "name",
            "give name and/or description to change",
        ));
    }
    if let Some(n) = &name {
        check_name("name", n, 75)?;
        check_unique(ctx.org, &network.location, n, Some(&id))?;
    }
    let network = ctx
        .org
        .mcp1_networks
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("Network", &id))?;
    if let Some(n) = name {
        network.name = n;
    }
    if let Some(d) = description {
        network.description = d;
    }
    Ok(Reply::Action(Action::ok(
        "MODIFY_NETWORK",
        "Network modified successfully",
    )))
}

/// The servers in network `id`.
pub fn servers_in<'a>(org: &'a Org, id: &'a str) -> impl Iterator<Item = &'a Server> {
    org.servers
        .values()
        .filter(move |s| s.is_mcp1() && s.primary_nic.vlan_id == id)
}

/// The v1 XML answer to a network call: `NetworkWithLocations`, or a `Status`.
pub fn v1_xml(op: Op, result: &Result<Reply, ApiError>) -> String {
    match result {
        Ok(Reply::Document(d)) => {
            let text = |n: &Value, k: &str| escape(n[k].as_str().unwrap_or_default());
            let networks: String = d["network"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| {
                    format!(
                        concat!(
                            "<ns3:network><ns3:id>{}</ns3:id><ns3:name>{}</ns3:name>",
                            "<ns3:description>{}</ns3:description><ns3:location>{}</ns3:location>",
                            "<ns3:privateNet>{}</ns3:privateNet><ns3:multicast>false</ns3:multicast>",
                            "</ns3:network>"
                        ),
                        text(n, "id"),
                        text(n, "name"),
                        text(n, "description"),
                        text(n, "location"),
                        text(n, "privateNet"),
                    )
                })
                .collect();
            format!(
                concat!(
                    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
                    r#"<ns3:NetworkWithLocations xmlns:ns3="{ns}">{networks}</ns3:NetworkWithLocations>"#
                ),
                ns = NETWORK_NS,
                networks = networks
            )
        }
        Ok(Reply::Action(a)) => {
            super::backup::status_xml(op.title(), "SUCCESS", &a.message, "REASON_0")
        }
        Err(e) => super::backup::status_xml(op.title(), "ERROR", &e.message, result_code(e)),
    }
}

/// The `network` element of an MCP 1.0 `deployServer`: exactly one of `networkId` or
/// `privateIpv4` (the network is then the one whose /24 holds the address).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkBody {
    /// The network to deploy in.
    #[serde(default)]
    pub network_id: Option<String>,
    /// The address to give the server.
    #[serde(default)]
    pub private_ipv4: Option<String>,
}

/// Where an MCP 1.0 server goes: its network's id and datacenter, and the requested address.
pub struct Placement {
    /// Network id.
    pub network_id: String,
    /// The network's datacenter.
    pub datacenter_id: String,
    /// The address asked for, if any.
    pub ip: Option<Ipv4Addr>,
}

/// Resolves a deploy's `network` element.
pub fn placement(org: &Org, body: &NetworkBody) -> Result<Placement, ApiError> {
    let ip = match &body.private_ipv4 {
        Some(s) => Some(
            net::parse_ipv4("network.privateIpv4", s)
                .map_err(|m| ApiError::new(Code::InvalidInputData, m))?,
        ),
        None => None,
    };
    let network = match (&body.network_id, ip) {
        (Some(id), None) => find(org, "network.networkId", id)?,
        (None, Some(ip)) => org
            .mcp1_networks
            .values()
            .find(|n| n.net().contains(ip))
            .ok_or_else(|| {
                ApiError::new(
                    Code::IpAddressOutOfRange,
                    format!("network.privateIpv4: {ip} is not inside any of your networks."),
                )
            })?,
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "network",
                "give networkId or privateIpv4, not both",
            ))
        }
        (None, None) => {
            return Err(ApiError::invalid(
                "network",
                "one of networkId or privateIpv4 is required",
            ))
        }
    };
    Ok(Placement {
        network_id: network.id.clone(),
        datacenter_id: network.location.clone(),
        ip,
    })
}

/// Refuses a deploy whose network model does not match the image's datacenter: `networkInfo` in
/// an MCP 1.0 datacenter, `network` in an MCP 2.0 one (INVALID_INPUT_DATA naming the element).
pub fn check_network_model(dc: &Datacenter, mcp1_body: bool) -> Result<(), ApiError> {
    match (dc.mcp1, mcp1_body) {
        (true, false) => Err(ApiError::invalid(
            "networkInfo",
            format!(
                "{} is an MCP 1.0 datacenter: deploy with network.networkId (or network.privateIpv4) instead",
                dc.id
            ),
        )),
        (false, true) => Err(ApiError::invalid(
            "network",
            format!(
                "{} is an MCP 2.0 datacenter: deploy with networkInfo (a network domain and VLAN) instead",
                dc.id
            ),
        )),
        _ => Ok(()),
    }
}

/// Addresses of network `id` that servers use or reservations hold.
fn taken_addresses(org: &Org, id: &str) -> BTreeSet<Ipv4Addr> {
    let mut taken: BTreeSet<Ipv4Addr> = servers_in(org, id)
        .map(|s| s.primary_nic.private_ipv4)
        .collect();
    taken.extend(
        org.reserved_ipv4
            .iter()
            .filter(|r| r.network_id.as_deref() == Some(id))
            .map(|r| r.ip),
    );
    taken
}

/// Checks that `ip` is a free host address of `network` (IP_ADDRESS_OUT_OF_RANGE outside it or
/// reserved, IP_ADDRESS_NOT_UNIQUE when a server has it).
pub fn check_free(
    org: &Org,
    network: &Mcp1Network,
    field: &str,
    ip: Ipv4Addr,
) -> Result<(), ApiError> {
    if !network.is_host(ip) {
        return Err(ApiError::new(
            Code::IpAddressOutOfRange,
            format!(
                "{field}: {ip} is not a usable address of network '{}' ({}/24).",
                network.name, network.private_net
            ),
        ));
    }
    if org
        .reserved_ipv4
        .iter()
        .any(|r| r.network_id.as_deref() == Some(network.id.as_str()) && r.ip == ip)
    {
        return Err(ApiError::new(
            Code::IpAddressOutOfRange,
            format!("{field}: {ip} is reserved on network '{}'.", network.name),
        ));
    }
    if servers_in(org, &network.id).any(|s| s.primary_nic.private_ipv4 == ip) {
        return Err(ApiError::new(
            Code::IpAddressNotUnique,
            format!(
                "{field}: {ip} is already in use on network '{}'.",
                network.name
            ),
        ));
    }
    Ok(())
}

/// The NIC of a new MCP 1.0 server: the requested address, or the lowest free one from `.11`.
pub fn build_nic(
    org: &Org,
    counters: &mut Counters,
    place: &Placement,
) -> Result<super::server_nic::Nic, ApiError> {
    let network = find(org, "network.networkId", &place.network_id)?;
    let address = match place.ip {
        Some(ip) => {
            check_free(org, network, "network.privateIpv4", ip)?;
            ip
        }
        None => {
            let taken = taken_addresses(org, &network.id);
            (FIRST_HOST..=254)
                .map(|h| {
                    let o = network.private_net.octets();
                    Ipv4Addr::new(o[0], o[1], o[2], h)
                })
                .find(|ip| !taken.contains(ip))
                .ok_or_else(|| {
                    ApiError::new(
                        Code::NoIpAddressAvailable,
                        format!(
                            "network.networkId: network '{}' has no free IPv4 address.",
                            network.name
                        ),
                    )
                })?
        }
    };
    counters.macs += 1;
    let m = counters.macs;
    Ok(super::server_nic::Nic {
        id: new_id(),
        vlan_id: network.id.clone(),
        private_ipv4: address,
        // MCP 1.0 networks are IPv4 only.
        ipv6: std::net::Ipv6Addr::UNSPECIFIED,
        adapter: "VMXNET3".into(),
        mac: format!(
            "00:50:56:{:02x}:{:02x}:{:02x}",
            (m >> 16) & 0xff,
            (m >> 8) & 0xff,
            m & 0xff
        ),
        key: 4000,
        state: crate::lifecycle::State::Normal,
    })
}

/// Turns a server document into its MCP 1.0 shape: `nic {id, privateIpv4, networkId,
/// networkName, state}` instead of `networkInfo` (libcloud's recorded NA1 servers, 2.3 and 2.4).
pub fn server_view(s: &Server, org: &Org, doc: &mut Value) {
    let Some(d) = doc.as_object_mut() else {
        return;
    };
    d.remove("networkInfo");
    let nic = &s.primary_nic;
    let name = org
        .mcp1_networks
        .get(&nic.vlan_id)
        .map(|n| n.name.clone())
        .unwrap_or_default();
    d.insert(
        "nic".into(),
        json!({"id": nic.id, "privateIpv4": nic.private_ipv4.to_string(),
               "networkId": nic.vlan_id, "networkName": name, "state": nic.state.as_str()}),
    );
}

/// Refuses a NIC operation on an MCP 1.0 server (one NIC, managed with its network; our reading:
/// OPERATION_NOT_SUPPORTED, the code for operations a server cannot take).
pub fn refuse_nic_change(s: &Server, field: &str) -> Result<(), ApiError> {
    if s.is_mcp1() {
        return Err(ApiError::new(
            Code::OperationNotSupported,
            format!(
                "{field}: Server {} is in the MCP 1.0 datacenter {}; its one NIC cannot be added to, removed or changed.",
                s.id, s.datacenter_id
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_calls_map_to_operations() {
        assert_eq!(
            Op::of(true, "networkWithLocation", false, false),
            Some(Op::Create)
        );
        assert_eq!(
            Op::of(false, "networkWithLocation", true, false),
            Some(Op::List)
        );
        assert_eq!(Op::of(false, "network", true, true), Some(Op::Delete));
        assert_eq!(Op::of(true, "network", true, false), Some(Op::Modify));
        assert_eq!(Op::of(false, "network", true, false), None);
        assert_eq!(Op::of(true, "networkWithLocation", true, false), None);
    }

    #[test]
    fn the_create_body_is_read_from_the_network_namespace() {
        let ok = format!(
            r#"<NewNetworkWithLocation xmlns="{NETWORK_NS}"><name>n</name><location>NA1</location></NewNetworkWithLocation>"#
        );
        let (name, description, location) = parse_create(ok.as_bytes()).unwrap();
        assert_eq!(
            (name.as_str(), description, location.as_str()),
            ("n", None, "NA1")
        );
        let colour = ok.replace("<name>n</name>", "<name>n</name><colour>red</colour>");
        assert!(parse_create(colour.as_bytes())
            .unwrap_err()
            .message
            .starts_with("colour"));
        let no_ns = ok.replace(&format!(r#" xmlns="{NETWORK_NS}""#), "");
        assert!(parse_create(no_ns.as_bytes())
            .unwrap_err()
            .message
            .contains("namespace"));
    }

    #[test]
    fn hosts_exclude_network_gateway_and_broadcast() {
        let n = Mcp1Network {
            id: "i".into(),
            name: "n".into(),
            description: String::new(),
            location: "NA1".into(),
            private_net: Ipv4Addr::new(10, 160, 3, 0),
        };
        assert!(n.is_host(Ipv4Addr::new(10, 160, 3, 25)));
        for last in [0, 1, 255] {
            assert!(!n.is_host(Ipv4Addr::new(10, 160, 3, last)));
        }
        assert!(!n.is_host(Ipv4Addr::new(10, 160, 4, 25)));
    }

    #[test]
    fn errors_answer_a_v1_status() {
        let e = ApiError::new(Code::NameNotUnique, "name: taken");
        let xml = v1_xml(Op::Create, &Err(e));
        assert!(
            xml.contains("<ns6:operation>Add Network</ns6:operation>"),
            "{xml}"
        );
        assert!(xml.contains("<ns6:result>ERROR</ns6:result>"), "{xml}");
        assert!(xml.contains("name: taken"), "{xml}");
    }
}
