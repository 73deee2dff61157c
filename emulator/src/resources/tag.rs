//! Tags: tag keys (create, get, list, delete) and tags on assets (apply, remove, list). All synchronous.

use super::{check_id, check_name, new_id, Ctx, IdBody};
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::paging::{self, FilterSpec};
use crate::store::Org;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A stored tag key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TagKey {
    /// Id.
    pub id: String,
    /// Name (unique per organisation).
    pub name: String,
    /// Description.
    pub description: String,
    /// Tags with this key need a value.
    pub value_required: bool,
    /// Shown on reports.
    pub display_on_report: bool,
}

impl TagKey {
    /// The API's JSON shape.
    pub fn to_json(&self) -> Value {
        json!({"id": self.id, "name": self.name, "description": self.description,
               "valueRequired": self.value_required, "displayOnReport": self.display_on_report})
    }
}

/// A tag applied to an asset.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tag {
    /// SERVER, VLAN, NETWORK_DOMAIN, PUBLIC_IP_BLOCK or CUSTOMER_IMAGE.
    pub asset_type: String,
    /// Asset id.
    pub asset_id: String,
    /// Tag key id.
    pub tag_key_id: String,
    /// Value.
    pub value: Option<String>,
}

/// One tag in a request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TagBody {
    /// Key name (must exist).
    pub tag_key_name: String,
    /// Value.
    #[serde(default)]
    pub value: Option<String>,
}

const ASSET_TYPES: &[&str] = &[
    "SERVER",
    "VLAN",
    "NETWORK_DOMAIN",
    "PUBLIC_IP_BLOCK",
    "CUSTOMER_IMAGE",
];
const KEY_FILTERS: &[FilterSpec] = &[("name", &["/name"]), ("id", &["/id"])];
const TAG_FILTERS: &[FilterSpec] = &[
    ("assetId", &["/assetId"]),
    ("assetType", &["/assetType"]),
    ("datacenterId", &["/datacenterId"]),
    ("tagKeyName", &["/tagKeyName"]),
    ("tagKeyId", &["/tagKeyId"]),
    ("value", &["/value"]),
];

/// Name and datacenter of an asset, if the organisation owns it.
fn asset(org: &Org, asset_type: &str, id: &str) -> Option<(String, String)> {
    match asset_type {
        "SERVER" => org
            .servers
            .get(id)
            .map(|a| (a.name.clone(), a.datacenter_id.clone())),
        "CUSTOMER_IMAGE" => org
            .customer_images
            .get(id)
            .map(|a| (a.name.clone(), a.datacenter_id.clone())),
        "VLAN" => org
            .vlans
            .get(id)
            .map(|a| (a.name.clone(), a.datacenter_id.clone())),
        "NETWORK_DOMAIN" => org
            .network_domains
            .get(id)
            .map(|a| (a.name.clone(), a.datacenter_id.clone())),
        "PUBLIC_IP_BLOCK" => org
            .public_ip_blocks
            .get(id)
            .map(|a| (a.base_ip.to_string(), a.datacenter_id.clone())),
        _ => None,
    }
}

/// The tags applied to one asset, as an asset document's `tag[]` lists them (key id, key name and
/// value, like a deploy request's `tag` entries).
pub fn of_asset(org: &Org, asset_type: &str, asset_id: &str) -> Vec<Value> {
    org.tags
        .iter()
        .filter(|t| t.asset_type == asset_type && t.asset_id == asset_id)
        .map(|t| {
            let key = org.tag_keys.get(&t.tag_key_id);
            json!({
                "tagKeyId": t.tag_key_id,
                "tagKeyName": key.map(|k| k.name.clone()).unwrap_or_default(),
                "value": t.value.clone().unwrap_or_default(),
            })
        })
        .collect()
}

fn tag_json(org: &Org, t: &Tag) -> Value {
    let (name, dc) = asset(org, &t.asset_type, &t.asset_id).unwrap_or_default();
    let key = org.tag_keys.get(&t.tag_key_id);
    json!({
        "assetType": t.asset_type, "assetId": t.asset_id, "assetName": name, "datacenterId": dc,
        "tagKeyId": t.tag_key_id, "tagKeyName": key.map(|k| k.name.clone()).unwrap_or_default(),
        "value": t.value.clone().unwrap_or_default(),
        "valueRequired": key.is_some_and(|k| k.value_required),
        "displayOnReport": key.is_some_and(|k| k.display_on_report),
    })
}

/// Checks that every key exists and required values are given.
pub fn check_keys(org: &Org, tags: &[TagBody], field: &str) -> Result<(), ApiError> {
    let missing: Vec<&str> = tags
        .iter()
        .filter(|t| !org.tag_keys.values().any(|k| k.name == t.tag_key_name))
        .map(|t| t.tag_key_name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::new(
            Code::ResourceNotFound,
            format!("{field}: Tag Key(s) ({}) not found.", missing.join(", ")),
        ));
    }
    for (i, t) in tags.iter().enumerate() {
        let key = org.tag_keys.values().find(|k| k.name == t.tag_key_name);
        if key.is_some_and(|k| k.value_required) && t.value.as_deref().unwrap_or("").is_empty() {
            return Err(ApiError::invalid(
                &format!("{field}[{i}].value"),
                format!("tag key '{}' requires a value", t.tag_key_name),
            ));
        }
    }
    Ok(())
}

/// Applies already-checked tags to an asset (replacing values of keys already applied).
pub fn apply_checked(
    org: &mut Org,
    asset_type: &str,
    asset_id: &str,
    _name: &str,
    _dc: &str,
    tags: &[TagBody],
) {
    for t in tags {
        let Some(key_id) = org
            .tag_keys
            .values()
            .find(|k| k.name == t.tag_key_name)
            .map(|k| k.id.clone())
        else {
            continue;
        };
        org.tags
            .retain(|x| !(x.asset_id == asset_id && x.tag_key_id == key_id));
        org.tags.push(Tag {
            asset_type: asset_type.into(),
            asset_id: asset_id.into(),
            tag_key_id: key_id,
            value: t.value.clone(),
        });
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateKeyBody {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    value_required: Option<bool>,
    #[serde(default)]
    display_on_report: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ApplyBody {
    asset_type: String,
    asset_id: String,
    tag: Vec<TagBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RemoveBody {
    asset_type: String,
    asset_id: String,
    tag_key_name: Vec<String>,
}

fn check_asset(org: &Org, asset_type: &str, asset_id: &str) -> Result<(String, String), ApiError> {
    if !ASSET_TYPES.contains(&asset_type) {
        return Err(ApiError::invalid(
            "assetType",
            format!("`{asset_type}` must be one of {}", ASSET_TYPES.join(", ")),
        ));
    }
    check_id("assetId", asset_id)?;
    asset(org, asset_type, asset_id).ok_or_else(|| ApiError::not_found(asset_type, asset_id))
}

/// `POST tag/createTagKey`.
pub fn create_key(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: CreateKeyBody = ctx.body()?;
    check_name("name", &body.name, 64)?;
    if ctx.org.tag_keys.values().any(|k| k.name == body.name) {
        return Err(ApiError::new(
            Code::NameNotUnique,
            format!("name: a tag key named '{}' already exists.", body.name),
        ));
    }
    let id = new_id();
    ctx.org.tag_keys.insert(
        id.clone(),
        TagKey {
            id: id.clone(),
            name: body.name.clone(),
            description: body.description.unwrap_or_default(),
            value_required: body.value_required.unwrap_or(false),
            display_on_report: body.display_on_report.unwrap_or(true),
        },
    );
    Ok(Reply::Action(
        Action::ok(
            "CREATE_TAG_KEY",
            format!("Tag Key '{}' has been created.", body.name),
        )
        .info("tagKeyId", id),
    ))
}

/// `GET tag/tagKey/{id}`.
pub fn get_key(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.as_deref().unwrap_or_default();
    check_id("id", id)?;
    let key = ctx
        .org
        .tag_keys
        .get(id)
        .ok_or_else(|| ApiError::not_found("Tag Key", id))?;
    Ok(Reply::Document(key.to_json()))
}

/// `GET tag/tagKey`.
pub fn list_keys(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let mut keys: Vec<&TagKey> = ctx.org.tag_keys.values().collect();
    keys.sort_by(|a, b| a.name.cmp(&b.name));
    let items = keys.into_iter().map(|k| k.to_json()).collect();
    paging::page(items, "tagKey", &ctx.call.query, KEY_FILTERS).map(Reply::Document)
}

/// `POST tag/deleteTagKey`: also removes the tags using it.
pub fn delete_key(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    check_id("id", &body.id)?;
    if ctx.org.tag_keys.remove(&body.id).is_none() {
        return Err(ApiError::not_found("Tag Key", &body.id));
    }
    ctx.org.tags.retain(|t| t.tag_key_id != body.id);
    Ok(Reply::Action(Action::ok(
        "DELETE_TAG_KEY",
        "Tag Key has been deleted.",
    )))
}

/// `GET tag/tag?assetId=…&assetType=…`.
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = ctx.org.tags.iter().map(|t| tag_json(ctx.org, t)).collect();
    paging::page(items, "tag", &ctx.call.query, TAG_FILTERS).map(Reply::Document)
}

/// `POST tag/applyTags`.
pub fn apply(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: ApplyBody = ctx.body()?;
    let (name, dc) = check_asset(ctx.org, &body.asset_type, &body.asset_id)?;
    check_keys(ctx.org, &body.tag, "tag")?;
    apply_checked(
        ctx.org,
        &body.asset_type,
        &body.asset_id,
        &name,
        &dc,
        &body.tag,
    );
    Ok(Reply::Action(Action::ok(
        "APPLY_TAGS",
        format!(
            "{} tag(s) applied to {} {}.",
            body.tag.len(),
            body.asset_type,
            body.asset_id
        ),
    )))
}

/// `POST tag/removeTags`.
pub fn remove(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: RemoveBody = ctx.body()?;
    check_asset(ctx.org, &body.asset_type, &body.asset_id)?;
    let ids: Vec<String> = body
        .tag_key_name
        .iter()
        .map(|n| {
            ctx.org
                .tag_keys
                .values()
                .find(|k| &k.name == n)
                .map(|k| k.id.clone())
                .ok_or_else(|| {
                    ApiError::new(
                        Code::ResourceNotFound,
                        format!("tagKeyName: Tag Key(s) ({n}) not found."),
                    )
                })
        })
        .collect::<Result<_, _>>()?;
    ctx.org
        .tags
        .retain(|t| !(t.asset_id == body.asset_id && ids.contains(&t.tag_key_id)));
    Ok(Reply::Action(Action::ok(
        "REMOVE_TAGS",
        format!("Tags removed from {} {}.", body.asset_type, body.asset_id),
    )))
}
