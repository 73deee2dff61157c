//! Port lists: named sets of TCP/UDP ports and port ranges in a network domain, nestable, which
//! firewall rules use as source or destination ports. Create, edit (the whole content is
//! replaced), delete: all synchronous.

use super::{check_id, list_nesting, network_domain, new_id, Ctx, IdBody};
use crate::clock;
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::State;
use crate::paging::{self, FilterSpec};
use crate::store::Org;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Entries one list may hold (the API's limit is not published; this one is ours).
pub const MAX_ENTRIES: usize = 500;

/// One entry: a port, or the range `begin`-`end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortEntry {
    /// First (or only) port.
    pub begin: u16,
    /// Last port of a range.
    pub end: Option<u16>,
}

impl PortEntry {
    fn to_json(self) -> Value {
        match self.end {
            Some(end) => json!({ "begin": self.begin, "end": end }),
            None => json!({ "begin": self.begin }),
        }
    }

    /// The entry in nftables notation (`p` or `a-b`), for the node backing.
    pub fn to_nft(self) -> String {
        match self.end {
            Some(end) => format!("{}-{end}", self.begin),
            None => self.begin.to_string(),
        }
    }
}

/// A stored port list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PortList {
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
    /// Entries, in the order given.
    pub entries: Vec<PortEntry>,
    /// Ids of the lists included in this one.
    pub child_ids: Vec<String>,
    /// Creation time (ms).
    pub create_time_ms: u64,
    /// State (always NORMAL: the writes are synchronous).
    pub state: State,
}

impl PortList {
    /// The API's JSON shape; children are named, as the API reports them.
    pub fn to_json(&self, org: &Org) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "port": self.entries.iter().map(|e| e.to_json()).collect::<Vec<_>>(),
            "childPortList": self.child_ids.iter().map(|id| json!({
                "id": id,
                "name": org.port_lists.get(id).map(|c| c.name.as_str()).unwrap_or_default(),
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
        |i| org.port_lists.get(i).map(|l| (&l.child_ids, &l.entries)),
        |e| e.to_nft(),
    )
}

const FILTERS: &[FilterSpec] = &[
    ("id", &["/id"]),
    ("name", &["/name"]),
    ("state", &["/state"]),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EntryBody {
    #[serde(default)]
    begin: Option<u32>,
    #[serde(default)]
    end: Option<u32>,
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
    #[serde(default)]
    port: Vec<EntryBody>,
    #[serde(default)]
    child_port_list_id: Vec<list_nesting::ChildId>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EditBody {
    id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    port: Option<Vec<EntryBody>>,
    #[serde(default)]
    child_port_list_id: Option<Vec<list_nesting::ChildId>>,
}

fn find<'a>(org: &'a Org, field: &str, id: &str) -> Result<&'a PortList, ApiError> {
    check_id(field, id)?;
    org.port_lists
        .get(id)
        .ok_or_else(|| ApiError::not_found("Port list", id))
}

fn port(field: &str, value: Option<u32>) -> Result<u16, ApiError> {
    let value = value.ok_or_else(|| ApiError::invalid(field, "is required"))?;
    u16::try_from(value)
        .ok()
        .filter(|p| *p >= 1)
        .ok_or_else(|| ApiError::invalid(field, format!("{value} must be between 1 and 65535")))
}

fn entries(bodies: Vec<EntryBody>) -> Result<Vec<PortEntry>, ApiError> {
    if list_nesting::is_nil(bodies.iter().map(|b| b.nil)) {
        return Ok(Vec::new());
    }
    if bodies.len() > MAX_ENTRIES {
        return Err(ApiError::new(
            Code::ExceedsLimit,
            format!(
                "port: {} entries; a list holds at most {MAX_ENTRIES}",
                bodies.len()
            ),
        ));
    }
    let mut out: Vec<PortEntry> = Vec::new();
    for (i, body) in bodies.into_iter().enumerate() {
        let field = format!("port[{i}]");
        if body.nil.is_some() {
            return Err(ApiError::invalid(
                &format!("{field}.nil"),
                "clears the list only as its only element",
            ));
        }
        let begin = port(&format!("{field}.begin"), body.begin)?;
        let end = match body.end {
            Some(_) => {
                let end = port(&format!("{field}.end"), body.end)?;
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
        let entry = PortEntry { begin, end };
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

/// The child list ids of a request: lists of the same domain, none twice.
fn children(
    org: &Org,
    domain_id: &str,
    ids: Vec<list_nesting::ChildId>,
) -> Result<Vec<String>, ApiError> {
    let ids = list_nesting::ids("childPortListId", ids)?;
    for (i, id) in ids.iter().enumerate() {
        let field = format!("childPortListId[{i}]");
        if find(org, &field, id)?.network_domain_id != domain_id {
            return Err(ApiError::invalid(
                &field,
                format!("port list {id} belongs to another network domain"),
            ));
        }
    }
    Ok(ids)
}

/// `GET network/portList/{id}`.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.as_deref().unwrap_or_default();
    Ok(Reply::Document(find(ctx.org, "id", id)?.to_json(ctx.org)))
}

/// `GET network/portList?networkDomainId=…`.
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let (domain, query) = list_nesting::split_domain_filter(&ctx.call.query);
    let items = ctx
        .org
        .port_lists
        .values()
        .filter(|l| domain.as_ref().is_none_or(|d| &l.network_domain_id == d))
        .map(|l| l.to_json(ctx.org))
        .collect();
    paging::page(items, "portList", &query, FILTERS).map(Reply::Document)
}

/// `POST network/createPortList` (synchronous; info `portListId`).
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
        .port_lists
        .values()
        .any(|l| l.network_domain_id == nd_id && l.name == body.name)
    {
        return Err(ApiError::new(
            Code::NameNotUnique,
            format!(
                "name: a port list named '{}' already exists in Network Domain {nd_id}.",
                body.name
            ),
        ));
    }
    let entries = entries(body.port)?;
    let child_ids = children(ctx.org, &nd_id, body.child_port_list_id)?;
    list_nesting::not_empty("port", "childPortListId", entries.len() + child_ids.len())?;
    let id = new_id();
    let list = PortList {
        id: id.clone(),
        network_domain_id: nd_id,
        datacenter_id: dc,
        name: body.name.clone(),
        description: body.description.unwrap_or_default(),
        entries,
        child_ids,
        create_time_ms: ctx.call.now_ms,
        state: State::Normal,
    };
    ctx.org.port_lists.insert(id.clone(), list);
    Ok(Reply::Action(
        Action::ok(
            "CREATE_PORT_LIST",
            format!("Port List '{}' has been created.", body.name),
        )
        .info("portListId", id),
    ))
}

/// `POST network/editPortList` (synchronous): what is given replaces what was there; a list
/// that would include itself, directly or through other lists, is refused.
pub fn edit(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: EditBody = ctx.body()?;
    let list = find(ctx.org, "id", &body.id)?;
    let nd_id = list.network_domain_id.clone();
    let entries = match body.port {
        Some(b) => entries(b)?,
        None => list.entries.clone(),
    };
    let child_ids = match body.child_port_list_id {
        Some(ids) => children(ctx.org, &nd_id, ids)?,
        None => list.child_ids.clone(),
    };
    list_nesting::not_empty("port", "childPortListId", entries.len() + child_ids.len())?;
    list_nesting::refuse_self_inclusion(
        "childPortListId",
        "port list",
        &body.id,
        &child_ids,
        |i| ctx.org.port_lists.get(i).map(|l| &l.child_ids),
    )?;
    let list = ctx
        .org
        .port_lists
        .get_mut(&body.id)
        .ok_or_else(|| ApiError::not_found("Port list", &body.id))?;
    if let Some(d) = body.description {
        list.description = d;
    }
    list.entries = entries;
    list.child_ids = child_ids;
    Ok(Reply::Action(Action::ok(
        "EDIT_PORT_LIST",
        format!("Port List '{}' has been edited.", list.name),
    )))
}

/// `POST network/deletePortList` (synchronous): refused while a firewall rule or another list
/// uses it.
pub fn delete(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    let list = find(ctx.org, "id", &body.id)?;
    let parent = ctx
        .org
        .port_lists
        .values()
        .find(|l| l.child_ids.contains(&body.id))
        .map(|l| l.name.as_str());
    let rule = ctx
        .org
        .firewall_rules
        .iter()
        .find(|r| r.uses_port_list(&body.id))
        .map(|r| r.name.as_str());
    list_nesting::refuse_while_used("port list", &list.name, parent, rule)?;
    ctx.org.port_lists.remove(&body.id);
    Ok(Reply::Action(Action::ok(
        "DELETE_PORT_LIST",
        "Port List has been deleted.",
    )))
}
