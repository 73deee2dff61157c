//! `cloudcontrol_public_ip_block`: a block of two public IPv4 addresses in a network domain.
//!
//! The schema, the typed model that reads plans and writes state, then create, read, update
//! and delete, and the helpers that find a block an interrupted create left.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use cloudcontrol::{Client, PublicIpBlock, TagAssetType, TagValue, WaitOptions};
use serde::{Deserialize, Serialize};
use tfplugin::model::{from_value, write_into, ModelError};
use tfplugin::provider::{
    ApplyResponse, CreateRequest, DeleteRequest, OperationContext, ReadRequest, ReadResponse,
    Resource, UpdateRequest,
};
use tfplugin::schema::{timeouts_block, Attribute, Block, Schema, TimeoutOp};
use tfplugin::{Diagnostics, Type, Value};

use crate::adopt::vanished;
use crate::marker::{block_entry, creation_token, outcome_is_known, Markers, MARKER_KEY};
use crate::provider::ProviderData;
use crate::support::{record_create, record_delete, record_read, state_id, wait};

/// The `cloudcontrol_public_ip_block` resource type.
pub struct PublicIpBlockResource;

const TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The resource's schema: every attribute and its rules.
fn schema() -> Schema {
    Schema::new(
        Block::new()
            .description(
                "A block of public IPv4 addresses reserved for a network domain (for NAT rules).",
            )
            .attribute(Attribute::id())
            .attribute(
                Attribute::string("network_domain_id")
                    .required()
                    .requires_replace()
                    .description("Id of the network domain the block is added to."),
            )
            .attribute(
                Attribute::string("base_ip")
                    .computed()
                    .use_state_for_unknown()
                    .description("First address of the block."),
            )
            .attribute(
                Attribute::number("size")
                    .computed()
                    .use_state_for_unknown()
                    .description("Number of addresses in the block."),
            )
            .block(timeouts_block(&[TimeoutOp::Create, TimeoutOp::Delete])),
    )
}

/// The resource's value type, for writing models into state.
static PUBLIC_IP_BLOCK_TYPE: LazyLock<Type> = LazyLock::new(|| schema().block.implied_type());

/// A `cloudcontrol_public_ip_block` as Terraform sees it: the schema's attributes by name
/// (`timeouts` is left to the value it is written over).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct PublicIpBlockModel {
    /// Computed: the block's id.
    id: Option<String>,
    network_domain_id: String,
    base_ip: Option<String>,
    size: Option<u32>,
}

impl PublicIpBlockModel {
    /// Reads a plan or state that has every required attribute.
    fn read(value: &Value) -> Result<PublicIpBlockModel, ModelError> {
        from_value(value)
    }

    /// The model of `block` as the API reports it.
    fn of_block(block: &PublicIpBlock) -> PublicIpBlockModel {
        PublicIpBlockModel {
            id: Some(block.id.clone()),
            network_domain_id: block.network_domain_id.clone(),
            base_ip: Some(block.base_ip.clone()),
            size: Some(block.size),
        }
    }

    /// This model written over `base` (which keeps the timeouts).
    fn to_state(&self, base: &Value) -> Value {
        let mut state = base.clone();
        // The model's fields are the schema's attributes: a mismatch is a provider bug that
        // the unit tests catch.
        write_into(self, &mut state, &PUBLIC_IP_BLOCK_TYPE)
            .unwrap_or_else(|e| panic!("the public IP block model does not fit its schema: {e}"));
        state
    }
}

#[async_trait]
impl Resource<ProviderData> for PublicIpBlockResource {
    fn type_name(&self) -> &str {
        "cloudcontrol_public_ip_block"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn create(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: CreateRequest,
        response: &mut ApplyResponse,
    ) {
        let domain = match PublicIpBlockModel::read(&request.planned) {
            Ok(model) => model.network_domain_id,
            Err(e) => {
                response.state = Value::Null;
                response
                    .diagnostics
                    .push(e.to_diagnostic("Invalid public IP block plan"));
                return;
            }
        };
        let client = &ctx.data.client;
        let markers = &ctx.data.markers;
        let options = wait(ctx, TIMEOUT);
        let _one_at_a_time = markers.lock_blocks(&domain).await;
        let result = async {
            markers.ensure_keys(client).await?;
            let Some(token) = markers.claim_left_over_block(client, &domain).await? else {
                return add_marked(client, markers, &domain, &creation_token(), &options).await;
            };
            match left_over_block(client, markers, &domain, &token).await? {
                None => add_marked(client, markers, &domain, &token, &options).await,
                Some(block) => {
                    tracing::info!(
                        id = block.id,
                        "taking over the public IP block an interrupted apply left"
                    );
                    let marker = [TagValue {
                        tag_key_name: MARKER_KEY.into(),
                        value: token.clone(),
                    }];
                    client
                        .apply_tags(TagAssetType::PublicIpBlock, &block.id, &marker, &options)
                        .await?;
                    let result = client
                        .settled_public_ip_block(&block.id, &options)
                        .await
                        .and_then(|b| b.ok_or_else(|| vanished("public IP block", &block.id)));
                    if outcome_is_known(&result) {
                        markers.finish(&domain, &block_entry(&token)).await;
                    }
                    result
                }
            }
        };
        record_create(
            "add the public IP block",
            result.await,
            |block| to_state(block, &request.planned),
            response,
        );
    }

    async fn read(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: ReadRequest,
        response: &mut ReadResponse,
    ) {
        let Some(id) = state_id(&request.state) else {
            return;
        };
        let client = &ctx.data.client;
        let result = client.get_public_ip_block(&id).await;
        if let Ok(Some(block)) = &result {
            forget_recorded_block(client, &ctx.data.markers, block).await;
        }
        record_read(
            "read the public IP block",
            result,
            |block| to_state(block, &request.state),
            response,
        );
    }

    async fn update(
        &self,
        _ctx: &OperationContext<'_, ProviderData>,
        _request: UpdateRequest,
        _response: &mut ApplyResponse,
    ) {
        // Every argument forces replacement; only `timeouts` can change in place, and it
        // lives in state alone (the response already holds the planned state).
    }

    async fn delete(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: DeleteRequest,
    ) -> Diagnostics {
        let Some(id) = state_id(&request.prior) else {
            return Diagnostics::new();
        };
        let result = ctx
            .data
            .client
            .remove_public_ip_block(&id, &wait(ctx, TIMEOUT))
            .await;
        record_delete("remove the public IP block", result)
    }
}

/// Adds a block marked with creation token `token`, its journal entry written first.
async fn add_marked(
    client: &Client,
    markers: &Markers,
    domain: &str,
    token: &str,
    options: &WaitOptions,
) -> cloudcontrol::Result<PublicIpBlock> {
    let entry = block_entry(token);
    markers.begin(client, domain, &entry).await?;
    let marker = [TagValue {
        tag_key_name: MARKER_KEY.into(),
        value: token.to_owned(),
    }];
    let result = client.add_public_ip_block(domain, &marker, options).await;
    if outcome_is_known(&result) {
        markers.finish(domain, &entry).await;
    }
    result
}

/// The block a create with token `token` left behind, if it can be told: the block tagged
/// with the token, or else an untagged block, provided there are no more untagged blocks in
/// the domain than journal entries of block creates whose block carries no tag (each such
/// create may have added its block and stopped before tagging it; more untagged blocks than
/// that means some belong to someone else, and none is taken).
async fn left_over_block(
    client: &Client,
    markers: &Markers,
    domain: &str,
    token: &str,
) -> cloudcontrol::Result<Option<PublicIpBlock>> {
    let blocks = client.list_public_ip_blocks(domain).await?;
    let tags = client
        .list_tags_with_key(TagAssetType::PublicIpBlock, MARKER_KEY)
        .await?;
    let token_of = |block: &PublicIpBlock| {
        tags.iter()
            .find(|t| t.asset_id == block.id)
            .map(|t| t.value.clone())
    };
    if let Some(block) = blocks
        .iter()
        .find(|b| token_of(b).as_deref() == Some(token))
    {
        return Ok(Some(block.clone()));
    }
    let tagged: Vec<String> = blocks.iter().filter_map(token_of).collect();
    let untagged: Vec<&PublicIpBlock> = blocks.iter().filter(|b| token_of(b).is_none()).collect();
    let unresolved = markers
        .block_tokens(client, domain)
        .await?
        .into_iter()
        .filter(|t| !tagged.contains(t))
        .count();
    Ok((untagged.len() <= unresolved)
        .then(|| untagged.first().map(|b| (*b).clone()))
        .flatten())
}

/// Clears the creation-journal entry an earlier provider process left for `block`, which a
/// refresh just found in Terraform's state (so a later create cannot take it for its own).
async fn forget_recorded_block(client: &Client, markers: &Markers, block: &PublicIpBlock) {
    let domain = &block.network_domain_id;
    if !markers
        .has_left_over_blocks(client, domain)
        .await
        .unwrap_or(false)
    {
        return;
    }
    match markers
        .marker_of(client, TagAssetType::PublicIpBlock, &block.id)
        .await
    {
        Ok(Some(token)) => {
            markers
                .forget_recorded(client, domain, &block_entry(&token))
                .await
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(id = block.id, "could not read the block's marker: {e}"),
    }
}

/// The state of `block`, keeping what the API does not report (timeouts) from `base`.
fn to_state(block: &PublicIpBlock, base: &Value) -> Value {
    PublicIpBlockModel::of_block(block).to_state(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::AttributePath;

    fn block() -> PublicIpBlock {
        serde_json::from_value(serde_json::json!({
            "id": "b-1", "networkDomainId": "nd-1", "baseIp": "168.128.4.18", "size": 2,
            "datacenterId": "NA9", "createTime": "", "state": "NORMAL",
        }))
        .unwrap()
    }

    #[test]
    fn the_model_fits_the_schema() {
        let timeouts = Value::object([("create", Value::from("30m")), ("delete", Value::Null)]);
        let base = Value::object([("timeouts", timeouts.clone())]);
        let state = to_state(&block(), &base);
        state
            .check_conforms(&schema().block.implied_type())
            .unwrap();
        assert_eq!(state.attr("timeouts"), &timeouts);
        assert_eq!(state.attr("size").as_i64(), Some(2));
        assert_eq!(
            PublicIpBlockModel::read(&state).unwrap(),
            PublicIpBlockModel::of_block(&block())
        );
    }

    #[test]
    fn a_required_attribute_without_a_value_is_an_error_not_a_default() {
        let mut missing = to_state(&block(), &Value::Null);
        missing.set_attr("network_domain_id", Value::Null);
        let err = PublicIpBlockModel::read(&missing).unwrap_err();
        assert_eq!(err.path, AttributePath::attribute("network_domain_id"));
        assert!(err.message.starts_with("is required"), "{err}");
        // A plan has the computed attributes unknown, which reads as none.
        let mut planned = to_state(&block(), &Value::Null);
        for name in ["id", "base_ip", "size"] {
            planned.set_attr(name, Value::Unknown);
        }
        let model = PublicIpBlockModel::read(&planned).unwrap();
        assert_eq!((model.id, model.size), (None, None));
    }
}
