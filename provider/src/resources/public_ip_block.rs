//! `cloudcontrol_public_ip_block`: a block of two public IPv4 addresses in a network domain.

use std::time::Duration;

use async_trait::async_trait;
use cloudcontrol::PublicIpBlock;
use tfplugin::provider::{
    ApplyResponse, CreateRequest, DeleteRequest, OperationContext, ReadRequest, ReadResponse,
    Resource, UpdateRequest,
};
use tfplugin::schema::{timeouts_block, Attribute, Block, Schema, TimeoutOp};
use tfplugin::{Diagnostics, Value};

use crate::provider::ProviderData;
use crate::support::{api_error, record_create, record_read, string, wait};

/// The `cloudcontrol_public_ip_block` resource type.
pub struct PublicIpBlockResource;

const TIMEOUT: Duration = Duration::from_secs(5 * 60);

#[async_trait]
impl Resource<ProviderData> for PublicIpBlockResource {
    fn type_name(&self) -> &str {
        "cloudcontrol_public_ip_block"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .description("A block of public IPv4 addresses reserved for a network domain (for NAT rules).")
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

    async fn create(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: CreateRequest,
        response: &mut ApplyResponse,
    ) {
        let domain = string(&request.planned, "network_domain_id").unwrap_or_default();
        record_create(
            "add the public IP block",
            ctx.data
                .client
                .add_public_ip_block(&domain, &wait(ctx, TIMEOUT))
                .await,
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
        let Some(id) = string(&request.state, "id") else {
            return;
        };
        record_read(
            "read the public IP block",
            ctx.data.client.get_public_ip_block(&id).await,
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
        let mut diags = Diagnostics::new();
        let id = string(&request.prior, "id").unwrap_or_default();
        if let Err(e) = ctx
            .data
            .client
            .remove_public_ip_block(&id, &wait(ctx, TIMEOUT))
            .await
        {
            if !e.is_not_found() {
                diags.push(api_error("remove the public IP block", &e));
            }
        }
        diags
    }
}

/// The state of `block`, keeping what the API does not report (timeouts) from `base`.
fn to_state(block: &PublicIpBlock, base: &Value) -> Value {
    let mut state = base.clone();
    state.set_attr("id", block.id.as_str());
    state.set_attr("network_domain_id", block.network_domain_id.as_str());
    state.set_attr("base_ip", block.base_ip.as_str());
    state.set_attr("size", i64::from(block.size));
    state
}
