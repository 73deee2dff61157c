//! The provider-author API: a [`Provider`] configures a client once per process and lists
//! its [`Resource`]s and [`DataSource`]s. Schema, planning and applying are separate
//! concerns, as in terraform-plugin-framework: the schema declares attribute behaviours
//! (defaults, RequiresReplace, UseStateForUnknown, validators), the runtime's planning
//! engine applies them, and resource code only creates, reads, updates and deletes.

mod private;
mod requests;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value as Json;

pub use private::PrivateState;
pub use requests::{
    ApplyResponse, ConfigureRequest, CreateRequest, DeleteRequest, ImportResponse, ModifyPlan,
    OperationContext, ReadDataRequest, ReadRequest, ReadResponse, UpdateRequest,
};

use crate::diag::{Diagnostic, Diagnostics};
use crate::schema::Schema;
use crate::value::Value;

/// A Terraform provider.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What [`Provider::configure`] produces and every resource operation receives,
    /// typically an API client.
    type Data: Send + Sync + 'static;

    /// The provider type name, the prefix of every resource type (`tftest` for `tftest_thing`).
    fn type_name(&self) -> &str;

    /// Schema of the `provider` block.
    fn schema(&self) -> Schema;

    /// Extra checks on the `provider` block beyond the schema's validators. The config
    /// may contain unknown values.
    async fn validate_config(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Builds the provider data from the `provider` block. Called once per process.
    async fn configure(&self, request: ConfigureRequest) -> Result<Self::Data, Diagnostics>;

    /// The managed resource types.
    fn resources(&self) -> Vec<Arc<dyn Resource<Self::Data>>>;

    /// The data source types.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Self::Data>>>;

    /// Called once when Terraform asks the process to exit (`GRPCController.Shutdown`),
    /// after its last RPC was answered, when the provider was configured. Terraform has
    /// recorded every result by then. The work is bounded by
    /// [`crate::transport::serve::SHUTDOWN_HOOK_BUDGET`]; the process exits afterwards.
    async fn shutdown(&self, _data: &Self::Data) {}
}

/// A managed resource type. `D` is the provider's configured data.
#[async_trait]
pub trait Resource<D>: Send + Sync + 'static {
    /// The full type name, e.g. `tftest_thing`.
    fn type_name(&self) -> &str;

    /// The resource schema (with its version, for state upgrades).
    fn schema(&self) -> Schema;

    /// Extra static checks beyond the schema's validators. The config may hold unknowns.
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Adjusts the plan after the runtime applied the schema's attribute behaviours. The
    /// result still goes through Terraform's consistency rules before it is returned.
    async fn modify_plan(&self, _ctx: &OperationContext<'_, D>, _plan: &mut ModifyPlan) {}

    /// Creates the remote object. `response.state` starts as the planned state; replace
    /// every unknown in it with the real value.
    async fn create(
        &self,
        ctx: &OperationContext<'_, D>,
        request: CreateRequest,
        response: &mut ApplyResponse,
    );

    /// Refreshes `request.state`; set `response.state` to null when the object is gone.
    async fn read(
        &self,
        ctx: &OperationContext<'_, D>,
        request: ReadRequest,
        response: &mut ReadResponse,
    );

    /// Updates the remote object in place. `response.state` starts as the planned state.
    async fn update(
        &self,
        ctx: &OperationContext<'_, D>,
        request: UpdateRequest,
        response: &mut ApplyResponse,
    );

    /// Deletes the remote object. A missing object is not an error.
    async fn delete(&self, ctx: &OperationContext<'_, D>, request: DeleteRequest) -> Diagnostics;

    /// Turns an import id into a state that [`Resource::read`] can complete. The default
    /// is import by id: every attribute null except `id`.
    async fn import(
        &self,
        _ctx: &OperationContext<'_, D>,
        id: &str,
        response: &mut ImportResponse,
    ) {
        let block = self.schema().block;
        if block.get_attribute("id").is_none() {
            response.diagnostics.error(
                "Import not supported",
                format!(
                    "{} has no `id` attribute, so it cannot be imported by id.",
                    self.type_name()
                ),
            );
            return;
        }
        response.state = block.normalize(&Value::object([("id", Value::string(id))]));
    }

    /// Migrates a stored state (JSON) written with schema `version` to the current schema
    /// version. Only called when `version` is older than the current one; the result is
    /// then decoded against the current schema.
    async fn upgrade_state(&self, version: i64, _state: Json) -> Result<Json, Diagnostics> {
        Err(Diagnostic::error(
            "Unsupported state version",
            format!(
                "{} has no upgrade from schema version {version} to {}.",
                self.type_name(),
                self.schema().version
            ),
        )
        .into())
    }
}

/// A data source type. `D` is the provider's configured data.
#[async_trait]
pub trait DataSource<D>: Send + Sync + 'static {
    /// The full type name, e.g. `tftest_echo`.
    fn type_name(&self) -> &str;

    /// The data source schema.
    fn schema(&self) -> Schema;

    /// Extra static checks beyond the schema's validators. The config may hold unknowns.
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Reads the data. `response.state` starts as the config; fill every computed attribute.
    async fn read(
        &self,
        ctx: &OperationContext<'_, D>,
        request: ReadDataRequest,
        response: &mut ReadResponse,
    );
}
