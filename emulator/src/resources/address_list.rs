//! IP address lists: named sets of IPv4 or IPv6 addresses, ranges and networks in a network
//! domain, nestable, which firewall rules use as source or destination. Create, edit (the whole
//! content is replaced), delete: all synchronous.

use super::{check_id, list_nesting, network_domain, new_id, Ctx, IdBody};
use crate::clock;
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::State;
use crate::paging::{self, FilterSpec};
use crate::store::Org;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::net::IpAddr;

/// Entries one list may hold (the API's limit is not published; this one is ours).
pub const MAX_ENTRIES: usize = 500;

/// One entry: an address, a range `begin`-`end`, or a network `begin`/`prefix_size`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressEntry {
    /// First (or only) address, or the network address.
    pub begin: IpAddr,
    /// Last address of a range.
    pub end: Option<IpAddr>,
    /// Prefix length of a network.
    pub prefix_size: Option<u8>,
}

impl AddressEntry {
    fn to_json(&self) -> Value {
        let mut v = json!({ "begin": self.begin.to_string() });
        if let Some(end) = self.end {
            v["end"] = json!(end.to_string());
        }
        if let Some(p) = self.prefix_size {
            v["prefixSize"] = json!(p);
        }
        v
    }

    /// The entry in nftables notation (`a`, `a-b`, `a/p`), for the node backing.
    pub fn to_nft(&self) -> String {
        match (self.end, self.prefix_size) {
            (Some(end), _) => format!("{}-{end}", self.begin),
            (None, Some(p)) => format!("{}/{p}", self.begin),
            (None, None) => self.begin.to_string(),
        }
    }
}

/// A stored IP address list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddressList {
    /// Id.
    pub id: String,
    /// Network domain id.
    pub network_domain_id: String,
    /// Datacenter id.
    pub datacenter_id: String,
    /// Name, unique in the network domain.
    pub name: String,
    /// Description.
    pub description: String,
    /// `IPV4` or `IPV6`; every entry and child list has this version.
    pub ip_version: String,
    /// Entries, in the order given.
    pub entries: Vec<AddressEntry>,
    /// Ids of the lists included in this one.
    pub child_ids: Vec<String>,
    /// Creation time (ms).
    pub create_time_ms: u64,
    /// State (always NORMAL: the writes are synchronous).
    pub state: State,
}

impl AddressList {
    /// The API's JSON shape; children are named, as the API reports them.
    pub fn to_json(&self, org: &Org) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "ipVersion": self.ip_version,
            "ipAddress": self.entries.iter().map(AddressEntry::to_json).collect::<Vec<_>>(),
            "childIpAddressList": self.child_ids.iter().map(|id| json!({
                "id": id,
                "name": org.address_lists.get(id).map(|c| c.name.as_str()).unwrap_or_default(),
            })).collect::<Vec<_>>(),
            "state": self.state.as_str(),
            "createTime": clock::iso8601(self.create_time_ms),
        })
    }
}

/// Every entry of `id` and of the lists it includes, in nftables notation, without repeats.
pub fn expanded(org: &Org, id: &str) -> Vec<String> {
    list_nesting::expanded(
        id,
        |i| org.address_lists.get(i).map(|l| (&l.child_ids, &l.entries)),
        |e| e.to_nft(),
    )
}

const FILTERS: &[FilterSpec] = &[
    ("id", &["/id"]),
    ("name", &["/name"]),
    ("ipVersion", &["/ipVersion"]),
    ("state", &["/state"]),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EntryBody {
    #[serde(default)]
    begin: Option<String>,
    #[serde(default)]
    end: Option<String>,
    #[serde(default)]
    prefix_size: Option<u8>,
    /// `{"nil": true}` as the only element clears the collection on edit.
    #[serde(default)]
    nil: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateBody {
    network_domain_id: String,
    name: String,
    #[serde(default)]
    description: Option<String>,
    ip_version: String,
    #[serde(default)]
    ip_address: Vec<EntryBody>,
    #[serde(default)]
    child_ip_address_list_id: Vec<list_nesting::ChildId>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EditBody {
    id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    ip_address: Option<Vec<EntryBody>>,
    #[serde(default)]
    child_ip_address_list_id: Option<Vec<list_nesting::ChildId>>,
}

fn find<'a>(org: &'a Org, field: &str, id: &str) -> Result<&'a AddressList, ApiError> {
    check_id(field, id)?;
    org.address_lists
        .get(id)
        .ok_or_else(|| ApiError::not_found("IP address list", id))
}

/// The entries of a request, each of the list's version.
fn entries(bodies: Vec<EntryBody>, ip_version: &str) -> Result<Vec<AddressEntry>, ApiError> {
    if list_nesting::is_nil(bodies.iter().map(|b| b.nil)) {
        return Ok(Vec::new());
    }
    if bodies.len() > MAX_ENTRIES {
        return Err(ApiError::new(
            Code::ExceedsLimit,
            format!(
                "ipAddress: {} entries; a list holds at most {MAX_ENTRIES}",
                bodies.len()
            ),
        ));
    }
    let v6 = ip_version == "IPV6";
    let parse = |field: &str, text: &str| -> Result<IpAddr, ApiError> {
        let ip: IpAddr = text
            .parse()
            .map_err(|_| ApiError::invalid(field, format!("`{text}` is not an IP address")))?;
        if ip.is_ipv6() != v6 {
            return Err(ApiError::invalid(
                field,
                format!(
                    "`{text}` is not an {} address (the list's ipVersion is {ip_version})",
                    if v6 { "IPv6" } else { "IPv4" }
                ),
            ));
        }
        Ok(ip)
    };
    let mut out: Vec<AddressEntry> = Vec::new();
    for (i, body) in bodies.into_iter().enumerate() {
        let field = format!("ipAddress[{i}]");
        if body.nil.is_some() {
            return Err(ApiError::invalid(
                &format!("{field}.nil"),
                "clears the list only as its only element",
            ));
        }
        let begin_text = body
            .begin
            .ok_or_else(|| ApiError::invalid(&format!("{field}.begin"), "is required"))?;
        let begin = parse(&format!("{field}.begin"), &begin_text)?;
        if body.end.is_some() && body.prefix_size.is_some() {
            return Err(ApiError::invalid(
                &field,
                "end and prefixSize exclude each other",
            ));
        }
        let end = match body.end {
            Some(text) => {
                let end = parse(&format!("{field}.end"), &text)?;
                if end <= begin {
                    return Err(ApiError::invalid(
                        &format!("{field}.end"),
                        format!("{end} must be above begin {begin}"),
                    ));
                }
                Some(end)
            }
            None => None,
        };
        if let Some(p) = body.prefix_size {
            let max = if v6 { 128 } else { 32 };
            if p == 0 || p > max {
                return Err(ApiError::invalid(
                    &format!("{field}.prefixSize"),
                    format!("{p} must be between 1 and {max}"),
                ));
            }
        }
        let entry = AddressEntry {
            begin,
            end,
            prefix_size: body.prefix_size,
        };
        if out.contains(&entry) {
            return Err(ApiError::invalid(
                &field,
                format!("{} is listed twice", entry.to_nft()),
            ));
        }
        out.push(entry);
    }
    Ok(out)
}

/// The child list ids of a request: lists of the same domain and version, none twice.
fn children(
    org: &Org,
    domain_id: &str,
    ip_version: &str,
    ids: Vec<list_nesting::ChildId>,
) -> Result<Vec<String>, ApiError> {
    let ids = list_nesting::ids("childIpAddressListId", ids)?;
    for (i, id) in ids.iter().enumerate() {
        let field = format!("childIpAddressListId[{i}]");
        let child = find(org, &field, id)?;
        if child.network_domain_id != domain_id {
            return Err(ApiError::invalid(
                &field,
                format!("IP address list {id} belongs to another network domain"),
            ));
        }
        if child.ip_version != ip_version {
            return Err(ApiError::invalid(
                &field,
                format!(
                    "IP address list {id} is {}, this list is {ip_version}",
                    child.ip_version
                ),
            ));
        }
    }
    Ok(ids)
}

/// `GET network/ipAddressList/{id}`.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.as_deref().unwrap_or_default();
    Ok(Reply::Document(find(ctx.org, "id", id)?.to_json(ctx.org)))
}

/// `GET network/ipAddressList?networkDomainId=…`.
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let (domain, query) = list_nesting::split_domain_filter(&ctx.call.query);
    let items = ctx
        .org
        .address_lists
        .values()
        .filter(|l| domain.as_ref().is_none_or(|d| &l.network_domain_id == d))
        .map(|l| l.to_json(ctx.org))
        .collect();
    paging::page(items, "ipAddressList", &query, FILTERS).map(Reply::Document)
}

/// `POST network/createIpAddressList` (synchronous; info `ipAddressListId`).
pub fn create(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: CreateBody = ctx.body()?;
    let nd = network_domain::find(ctx.org, "networkDomainId", &body.network_domain_id)?;
    if nd.state != State::Normal {
        return Err(ApiError::busy("Network Domain", &nd.id, nd.state.as_str()));
    }
    let (nd_id, dc) = (nd.id.clone(), nd.datacenter_id.clone());
    list_nesting::check_name(&body.name)?;
    if ctx
        .org
        .address_lists
        .values()
        .any(|l| l.network_domain_id == nd_id && l.name == body.name)
    {
        return Err(ApiError::new(
            Code::NameNotUnique,
            format!(
                "name: an IP address list named '{}' already exists in Network Domain {nd_id}.",
                body.name
            ),
        ));
    }
    let ip_version = list_nesting::ip_version(&body.ip_version)?;
    let entries = entries(body.ip_address, &ip_version)?;
    let child_ids = children(ctx.org, &nd_id, &ip_version, body.child_ip_address_list_id)?;
    list_nesting::not_empty(
        "ipAddress",
        "childIpAddressListId",
        entries.len() + child_ids.len(),
    )?;
    let id = new_id();
    let list = AddressList {
        id: id.clone(),
        network_domain_id: nd_id,
        datacenter_id: dc,
        name: body.name.clone(),
        description: body.description.unwrap_or_default(),
        ip_version,
        entries,
        child_ids,
        create_time_ms: ctx.call.now_ms,
        state: State::Normal,
    };
    ctx.org.address_lists.insert(id.clone(), list);
    Ok(Reply::Action(
        Action::ok(
            "CREATE_IP_ADDRESS_LIST",
            format!("IP Address List '{}' has been created.", body.name),
        )
        .info("ipAddressListId", id),
    ))
}

/// `POST network/editIpAddressList` (synchronous): what is given replaces what was there.
pub fn edit(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: EditBody = ctx.body()?;
    let list = find(ctx.org, "id", &body.id)?;
    let (nd_id, ip_version) = (list.network_domain_id.clone(), list.ip_version.clone());
    let entries = match body.ip_address {
        Some(b) => entries(b, &ip_version)?,
        None => list.entries.clone(),
    };
    let child_ids = match body.child_ip_address_list_id {
        Some(ids) => children(ctx.org, &nd_id, &ip_version, ids)?,
        None => list.child_ids.clone(),
    };
    list_nesting::not_empty(
        "ipAddress",
        "childIpAddressListId",
        entries.len() + child_ids.len(),
    )?;
    list_nesting::refuse_self_inclusion(
        "childIpAddressListId",
        "IP address list",
        &body.id,
        &child_ids,
        |i| ctx.org.address_lists.get(i).map(|l| &l.child_ids),
    )?;
    let list = ctx
        .org
        .address_lists
        .get_mut(&body.id)
        .ok_or_else(|| ApiError::not_found("IP address list", &body.id))?;
    if let Some(d) = body.description {
        list.description = d;
    }
    list.entries = entries;
    list.child_ids = child_ids;
    Ok(Reply::Action(Action::ok(
        "EDIT_IP_ADDRESS_LIST",
        format!("IP Address List '{}' has been edited.", list.name),
    )))
}

/// `POST network/deleteIpAddressList` (synchronous): refused while a firewall rule or another
/// list uses it.
pub fn delete(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    let list = find(ctx.org, "id", &body.id)?;
    let parent = ctx
        .org
        .address_lists
        .values()
        .find(|l| l.child_ids.contains(&body.id))
        .map(|l| l.name.as_str());
    let rule = ctx
        .org
        .firewall_rules
        .iter()
        .find(|r| r.uses_address_list(&body.id))
        .map(|r| r.name.as_str());
    list_nesting::refuse_while_used("IP address list", &list.name, parent, rule)?;
    ctx.org.address_lists.remove(&body.id);
    Ok(Reply::Action(Action::ok(
        "DELETE_IP_ADDRESS_LIST",
        "IP Address List has been deleted.",
    )))
}
