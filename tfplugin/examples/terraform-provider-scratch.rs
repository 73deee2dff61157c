//! A small but complete provider built on tfplugin, used as the runtime's start-up
//! benchmark subject and as a template for provider authors.
//!
//! `scratch_token` creates a random hexadecimal token (like the `random` provider's
//! resources): its state is self-contained, so plan, apply, refresh, import and destroy all
//! work without any remote system.
//!
//! Build: `cargo build --release -p tfplugin --example terraform-provider-scratch`.

use std::io::Read as _;
use std::process::ExitCode;
use std::sync::Arc;

use async_trait::async_trait;
use tfplugin::provider::{
    ApplyResponse, ConfigureRequest, CreateRequest, DataSource, DeleteRequest, OperationContext,
    Provider, ReadRequest, ReadResponse, Resource, UpdateRequest,
};
use tfplugin::schema::validators::int_between;
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::{Diagnostics, Type};

/// Token length in bytes when the configuration does not set one.
const DEFAULT_BYTES: i64 = 16;

/// The `scratch` provider: no configuration, one resource.
struct Scratch;

#[async_trait]
impl Provider for Scratch {
    type Data = ();

    fn type_name(&self) -> &str {
        "scratch"
    }

    fn schema(&self) -> Schema {
        Schema::new(Block::new().description("Random tokens that live only in Terraform state."))
    }

    async fn configure(&self, _request: ConfigureRequest) -> Result<(), Diagnostics> {
        Ok(())
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<()>>> {
        vec![Arc::new(Token)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<()>>> {
        Vec::new()
    }
}

/// `scratch_token`: `bytes` random bytes from the OS, hex-encoded into `id`.
struct Token;

#[async_trait]
impl Resource<()> for Token {
    fn type_name(&self) -> &str {
        "scratch_token"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .description("A random hexadecimal token, generated once and kept in state.")
                .attribute(Attribute::id())
                .attribute(
                    Attribute::number("bytes")
                        .default(DEFAULT_BYTES)
                        .requires_replace()
                        .validator(int_between(1, 64))
                        .description("Number of random bytes (1 to 64)."),
                )
                .attribute(
                    Attribute::map("keepers", Type::String)
                        .optional()
                        .requires_replace()
                        .description("Arbitrary values; changing any of them makes a new token."),
                ),
        )
    }

    async fn create(
        &self,
        _ctx: &OperationContext<'_, ()>,
        request: CreateRequest,
        response: &mut ApplyResponse,
    ) {
        let bytes = request
            .planned
            .attr("bytes")
            .as_i64()
            .unwrap_or(DEFAULT_BYTES);
        match random_hex(bytes as usize) {
            Ok(token) => {
                response.state.set_attr("id", token);
            }
            Err(error) => response.diagnostics.error(
                "Cannot read random bytes",
                format!("reading /dev/urandom: {error}"),
            ),
        }
    }

    async fn read(
        &self,
        _ctx: &OperationContext<'_, ()>,
        request: ReadRequest,
        response: &mut ReadResponse,
    ) {
        // An imported token has only its id: derive the length from it.
        let mut state = request.state;
        if state.attr("bytes").is_null() {
            let length = state.attr("id").as_str().map_or(0, str::len) / 2;
            state.set_attr("bytes", length as i64);
        }
        response.state = state;
    }

    async fn update(
        &self,
        _ctx: &OperationContext<'_, ()>,
        _request: UpdateRequest,
        _response: &mut ApplyResponse,
    ) {
        // Every configurable attribute requires replacement: the planned state is final.
    }

    async fn delete(
        &self,
        _ctx: &OperationContext<'_, ()>,
        _request: DeleteRequest,
    ) -> Diagnostics {
        Diagnostics::new()
    }
}

fn random_hex(len: usize) -> std::io::Result<String> {
    let mut buffer = vec![0u8; len];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buffer)?;
    Ok(buffer.iter().map(|byte| format!("{byte:02x}")).collect())
}

fn main() -> ExitCode {
    tfplugin::server::serve(Scratch)
}
