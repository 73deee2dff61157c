//! Tags (`tag/tagKey`, `tag/tag`): organisation-wide tag keys and their values on servers,
//! VLANs, network domains and public IP blocks.

use super::{at_most_one, created_id, IdBody};
use crate::client::{Acted, Client};
use crate::error::Result;
use crate::wait::WaitOptions;
use serde::{Deserialize, Serialize};

/// A tag key of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagKey {
    /// Id.
    pub id: String,
    /// Name, unique in the organisation.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Whether a tag with this key needs a value.
    #[serde(default)]
    pub value_required: bool,
    /// Whether the key shows on usage reports.
    #[serde(default)]
    pub display_on_report: bool,
}

/// A tag on an asset, as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetTag {
    /// `SERVER`, `VLAN`, `NETWORK_DOMAIN` or `PUBLIC_IP_BLOCK`.
    pub asset_type: String,
    /// The tagged asset.
    pub asset_id: String,
    /// The key's name.
    pub tag_key_name: String,
    /// The value (empty when none was given).
    #[serde(default)]
    pub value: String,
}

/// The kinds of asset a tag can be applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TagAssetType {
    /// A server.
    Server,
    /// A VLAN.
    Vlan,
    /// A network domain.
    NetworkDomain,
    /// A public IP block.
    PublicIpBlock,
}

impl TagAssetType {
    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Server => "SERVER",
            Self::Vlan => "VLAN",
            Self::NetworkDomain => "NETWORK_DOMAIN",
            Self::PublicIpBlock => "PUBLIC_IP_BLOCK",
        }
    }
}

/// A tag to apply: an existing key's name and a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagValue {
    /// The key's name (the key must exist).
    pub tag_key_name: String,
    /// The value.
    pub value: String,
}

/// Request to create a tag key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTagKey {
    /// Name, unique in the organisation.
    pub name: String,
    /// Description.
    pub description: String,
    /// Whether tags with this key need a value.
    pub value_required: bool,
    /// Whether the key shows on usage reports.
    pub display_on_report: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApplyTagsBody<'a> {
    asset_type: TagAssetType,
    asset_id: &'a str,
    tag: &'a [TagValue],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RemoveTagsBody<'a> {
    asset_type: TagAssetType,
    asset_id: &'a str,
    tag_key_name: &'a [String],
}

const KIND: &str = "tag key";

impl Client {
    /// The tag key called `name`, if the organisation has one.
    pub async fn find_tag_key(&self, name: &str) -> Result<Option<TagKey>> {
        let found: Vec<TagKey> = self
            .list_all(
                "GET tag/tagKey",
                &["tag", "tagKey"],
                &[("name", name)],
                "tagKey",
            )
            .await?
            .into_iter()
            .filter(|k: &TagKey| k.name == name)
            .collect();
        at_most_one(KIND, found, || format!("name {name:?}"))
    }

    /// Creates a tag key and returns it. Call it only when no key of that name exists
    /// ([`Client::find_tag_key`]): an unanswered request is resolved by looking the name up.
    pub async fn create_tag_key(
        &self,
        request: &CreateTagKey,
        wait: &WaitOptions,
    ) -> Result<TagKey> {
        const OP: &str = "CREATE_TAG_KEY";
        let deadline = wait.start();
        let acted = self
            .act(OP, &["tag", "createTagKey"], request, &deadline, || async {
                self.find_tag_key(&request.name).await
            })
            .await?;
        match acted {
            Acted::Observed(key) => Ok(key),
            Acted::Answered(envelope) => Ok(TagKey {
                id: created_id(OP, &envelope, "tagKeyId")?,
                name: request.name.clone(),
                description: request.description.clone(),
                value_required: request.value_required,
                display_on_report: request.display_on_report,
            }),
        }
    }

    /// Deletes a tag key (and every tag using it).
    pub async fn delete_tag_key(&self, id: &str, wait: &WaitOptions) -> Result<()> {
        const OP: &str = "DELETE_TAG_KEY";
        let deadline = wait.start();
        self.act(
            OP,
            &["tag", "deleteTagKey"],
            &IdBody { id },
            &deadline,
            || async {
                let left: Vec<TagKey> = self
                    .list_all(
                        "GET tag/tagKey",
                        &["tag", "tagKey"],
                        &[("id", id)],
                        "tagKey",
                    )
                    .await?;
                Ok(left.is_empty().then_some(()))
            },
        )
        .await
        .map(drop)
    }

    /// The tags on one asset, optionally only those with key `key_name`.
    pub async fn list_asset_tags(
        &self,
        asset_type: TagAssetType,
        asset_id: &str,
        key_name: Option<&str>,
    ) -> Result<Vec<AssetTag>> {
        let mut query = vec![("assetType", asset_type.as_str()), ("assetId", asset_id)];
        if let Some(name) = key_name {
            query.push(("tagKeyName", name));
        }
        self.list_all("GET tag/tag", &["tag", "tag"], &query, "tag")
            .await
    }

    /// The tags with key `key_name` on every asset of `asset_type`.
    pub async fn list_tags_with_key(
        &self,
        asset_type: TagAssetType,
        key_name: &str,
    ) -> Result<Vec<AssetTag>> {
        self.list_all(
            "GET tag/tag",
            &["tag", "tag"],
            &[("assetType", asset_type.as_str()), ("tagKeyName", key_name)],
            "tag",
        )
        .await
    }

    /// Sets `tags` on an asset (a key already on it gets the new value). Idempotent, so an
    /// unanswered request is checked by reading the asset's tags and sent again if needed.
    pub async fn apply_tags(
        &self,
        asset_type: TagAssetType,
        asset_id: &str,
        tags: &[TagValue],
        wait: &WaitOptions,
    ) -> Result<()> {
        const OP: &str = "APPLY_TAGS";
        let deadline = wait.start();
        let body = ApplyTagsBody {
            asset_type,
            asset_id,
            tag: tags,
        };
        self.act(OP, &["tag", "applyTags"], &body, &deadline, || async {
            let present = self.list_asset_tags(asset_type, asset_id, None).await?;
            let all_set = tags.iter().all(|want| {
                present
                    .iter()
                    .any(|t| t.tag_key_name == want.tag_key_name && t.value == want.value)
            });
            Ok(all_set.then_some(()))
        })
        .await
        .map(drop)
    }

    /// Removes the tags with keys `key_names` from an asset.
    pub async fn remove_tags(
        &self,
        asset_type: TagAssetType,
        asset_id: &str,
        key_names: &[String],
        wait: &WaitOptions,
    ) -> Result<()> {
        const OP: &str = "REMOVE_TAGS";
        let deadline = wait.start();
        let body = RemoveTagsBody {
            asset_type,
            asset_id,
            tag_key_name: key_names,
        };
        self.act(OP, &["tag", "removeTags"], &body, &deadline, || async {
            let present = self.list_asset_tags(asset_type, asset_id, None).await?;
            let none_left = !present.iter().any(|t| key_names.contains(&t.tag_key_name));
            Ok(none_left.then_some(()))
        })
        .await
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_use_the_api_names() {
        let tags = [TagValue {
            tag_key_name: "owner".into(),
            value: "ops".into(),
        }];
        assert_eq!(
            serde_json::to_value(ApplyTagsBody {
                asset_type: TagAssetType::PublicIpBlock,
                asset_id: "b-1",
                tag: &tags,
            })
            .unwrap(),
            json!({"assetType":"PUBLIC_IP_BLOCK","assetId":"b-1","tag":[{"tagKeyName":"owner","value":"ops"}]})
        );
        assert_eq!(
            serde_json::to_value(RemoveTagsBody {
                asset_type: TagAssetType::NetworkDomain,
                asset_id: "nd-1",
                tag_key_name: &["owner".to_owned()],
            })
            .unwrap(),
            json!({"assetType":"NETWORK_DOMAIN","assetId":"nd-1","tagKeyName":["owner"]})
        );
        let tag: AssetTag = serde_json::from_value(json!({"assetType":"SERVER","assetId":"s-1","assetName":"web",
            "datacenterId":"NA9","tagKeyId":"k-1","tagKeyName":"owner","value":"ops","valueRequired":false,"displayOnReport":true}))
        .unwrap();
        assert_eq!(tag.value, "ops");
    }
}
