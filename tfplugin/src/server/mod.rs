//! The tfplugin6 `Provider` gRPC service on top of a [`Provider`] implementation.
//!
//! Every RPC answers with diagnostics, never a gRPC error status. Plans go through the
//! schema's attribute behaviours, the resource's own `modify_plan` and then Terraform's
//! plan validity rules; apply results are checked for compatibility with the plan, so a
//! provider bug is reported as a clear diagnostic naming the attribute.

mod catalog;
mod codec;
mod convert;
mod rpc_data;
mod rpc_resource;
mod schema_proto;

use std::sync::{Arc, OnceLock};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::diag::{Diagnostic, Diagnostics};
use crate::proto::tfplugin6 as pb;
use crate::provider::{ConfigureRequest, Provider};

use catalog::{Catalog, DataSourceEntry, ResourceEntry};
pub use convert::{diagnostics_to_proto, path_from_proto, path_to_proto};

/// Serves one [`Provider`] over tfplugin6.
pub struct ProviderService<P: Provider> {
    provider: P,
    catalog: OnceLock<Catalog<P::Data>>,
    data: OnceLock<Arc<P::Data>>,
    stop: CancellationToken,
}

impl<P: Provider> ProviderService<P> {
    /// Wraps `provider`; its schemas are collected once, on the first RPC that needs them,
    /// and served from then on.
    pub fn new(provider: P) -> Self {
        Self {
            provider,
            catalog: OnceLock::new(),
            data: OnceLock::new(),
            stop: CancellationToken::new(),
        }
    }

    /// The provider's schemas, collected on first use.
    fn catalog(&self) -> &Catalog<P::Data> {
        self.catalog
            .get_or_init(|| Catalog::collect(&self.provider))
    }

    fn resource(&self, type_name: &str) -> Result<&ResourceEntry<P::Data>, Diagnostic> {
        self.catalog().resources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown resource type",
                format!(
                    "The provider {} has no resource type {type_name:?}.",
                    self.provider.type_name()
                ),
            )
        })
    }

    fn data_source(&self, type_name: &str) -> Result<&DataSourceEntry<P::Data>, Diagnostic> {
        self.catalog().data_sources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown data source type",
                format!(
                    "The provider {} has no data source type {type_name:?}.",
                    self.provider.type_name()
                ),
            )
        })
    }

    /// The configured provider data, or a diagnostic when ConfigureProvider has not run
    /// (or failed).
    fn configured(&self) -> Result<Arc<P::Data>, Diagnostic> {
        self.data.get().cloned().ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                "The provider was asked to manage resources before ConfigureProvider succeeded. \
                 Check the provider block for errors reported earlier.",
            )
        })
    }
}

impl<P: Provider> ProviderService<P> {
    /// Runs the provider's [`Provider::shutdown`] with its configured data, if it was
    /// configured.
    pub async fn shutdown(&self) {
        if let Some(data) = self.data.get() {
            self.provider.shutdown(data).await;
        }
    }
}

/// Answers with diagnostics only.
fn diags_only(diagnostics: &Diagnostics) -> Vec<pb::Diagnostic> {
    diagnostics_to_proto(diagnostics)
}

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        let catalog = self.catalog();
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(server_capabilities()),
            diagnostics: Vec::new(),
            data_sources: catalog
                .data_sources
                .keys()
                .map(|name| pb::get_metadata::DataSourceMetadata {
                    type_name: name.clone(),
                })
                .collect(),
            resources: catalog
                .resources
                .keys()
                .map(|name| pb::get_metadata::ResourceMetadata {
                    type_name: name.clone(),
                })
                .collect(),
            functions: Vec::new(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        let catalog = self.catalog();
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(schema_proto::schema_to_proto(&catalog.provider_schema)),
            resource_schemas: catalog
                .resources
                .iter()
                .map(|(name, entry)| (name.clone(), schema_proto::schema_to_proto(&entry.schema)))
                .collect(),
            data_source_schemas: catalog
                .data_sources
                .iter()
                .map(|(name, entry)| (name.clone(), schema_proto::schema_to_proto(&entry.schema)))
                .collect(),
            diagnostics: Vec::new(),
            provider_meta: None,
            server_capabilities: Some(server_capabilities()),
            functions: Default::default(),
        }))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let request = request.into_inner();
        let mut diagnostics = Diagnostics::new();
        match codec::decode(
            request.config.as_ref(),
            &self.catalog().provider_ty,
            "provider configuration",
        ) {
            Ok(config) => {
                diagnostics.append(
                    self.catalog()
                        .provider_schema
                        .block
                        .validate_config(&config),
                );
                diagnostics.append(self.provider.validate_config(&config).await);
            }
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: diags_only(&diagnostics),
        }))
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let request = request.into_inner();
        let diagnostics =
            rpc_resource::validate(self, &request.type_name, request.config.as_ref()).await;
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: diags_only(&diagnostics),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let request = request.into_inner();
        let diagnostics =
            rpc_data::validate(self, &request.type_name, request.config.as_ref()).await;
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: diags_only(&diagnostics),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        Ok(Response::new(
            rpc_resource::upgrade(self, request.into_inner()).await,
        ))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let request = request.into_inner();
        let mut diagnostics = Diagnostics::new();
        match codec::decode(
            request.config.as_ref(),
            &self.catalog().provider_ty,
            "provider configuration",
        ) {
            Ok(config) => {
                let configure = ConfigureRequest {
                    terraform_version: request.terraform_version,
                    config,
                };
                match self.provider.configure(configure).await {
                    Ok(data) => {
                        if self.data.set(Arc::new(data)).is_err() {
                            diagnostics.warning(
                                "Provider configured twice",
                                "ConfigureProvider was called more than once; the first configuration stays in effect.",
                            );
                        }
                    }
                    Err(errors) => diagnostics.append(errors),
                }
            }
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: diags_only(&diagnostics),
        }))
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        Ok(Response::new(
            rpc_resource::read(self, request.into_inner()).await,
        ))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        Ok(Response::new(
            rpc_resource::plan(self, request.into_inner()).await,
        ))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        Ok(Response::new(
            rpc_resource::apply(self, request.into_inner()).await,
        ))
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        Ok(Response::new(
            rpc_resource::import(self, request.into_inner()).await,
        ))
    }

    async fn move_resource_state(
        &self,
        request: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        let request = request.into_inner();
        // Not advertised in server_capabilities, so Terraform only gets here on a
        // cross-type `moved` block, which it then reports with this diagnostic.
        let diagnostic = Diagnostic::error(
            "Move not supported",
            format!(
                "{} cannot take over state from {} ({}).",
                request.target_type_name, request.source_type_name, request.source_provider_address
            ),
        );
        Ok(Response::new(pb::move_resource_state::Response {
            target_state: None,
            diagnostics: diags_only(&diagnostic.into()),
            target_private: Vec::new(),
        }))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        Ok(Response::new(
            rpc_data::read(self, request.into_inner()).await,
        ))
    }

    async fn get_functions(
        &self,
        _request: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        // The provider defines no functions.
        Ok(Response::new(pb::get_functions::Response::default()))
    }

    async fn call_function(
        &self,
        request: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        let name = request.into_inner().name;
        Ok(Response::new(pb::call_function::Response {
            result: None,
            error: Some(pb::FunctionError {
                text: format!("this provider defines no function named {name:?}"),
                function_argument: None,
            }),
        }))
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        tracing::info!("StopProvider: cancelling in-flight operations");
        self.stop.cancel();
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}

/// Nothing optional is advertised: no plan-on-destroy, no cached schemas, no moves.
fn server_capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: false,
        move_resource_state: false,
    }
}

/// Runs `provider` as a Terraform plugin process: checks the environment, sets up
/// AutoMTLS, prints the handshake and serves until Terraform shuts it down. Use it as the
/// whole body of `main`.
pub fn serve<P: Provider>(provider: P) -> std::process::ExitCode {
    let module = format!("provider.terraform-provider-{}", provider.type_name());
    let service = Arc::new(ProviderService::new(provider));
    let stopping = Arc::clone(&service);
    crate::transport::serve::serve_rpc_with_hook(
        service,
        &module,
        Some(Box::new(move || {
            Box::pin(async move { stopping.shutdown().await })
        })),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, Block, Schema};
    use pb::provider_server::Provider as _;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A provider with no resources that counts how often its schema is asked for.
    struct Counting {
        schema_calls: Arc<AtomicUsize>,
    }

    #[async_trait::async_trait]
    impl Provider for Counting {
        type Data = ();

        fn type_name(&self) -> &str {
            "counting"
        }

        fn schema(&self) -> Schema {
            self.schema_calls.fetch_add(1, Ordering::SeqCst);
            Schema::new(Block::new().attribute(Attribute::string("region").optional()))
        }

        async fn configure(&self, _request: ConfigureRequest) -> Result<(), Diagnostics> {
            Ok(())
        }

        fn resources(&self) -> Vec<Arc<dyn crate::provider::Resource<()>>> {
            Vec::new()
        }

        fn data_sources(&self) -> Vec<Arc<dyn crate::provider::DataSource<()>>> {
            Vec::new()
        }
    }

    #[tokio::test]
    async fn schemas_are_collected_on_the_first_rpc_and_only_once() {
        let schema_calls = Arc::new(AtomicUsize::new(0));
        let service = ProviderService::new(Counting {
            schema_calls: schema_calls.clone(),
        });
        assert_eq!(
            schema_calls.load(Ordering::SeqCst),
            0,
            "built before any RPC"
        );
        for _ in 0..2 {
            let response = service
                .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
                .await
                .unwrap()
                .into_inner();
            let block = response.provider.unwrap().block.unwrap();
            assert_eq!(block.attributes[0].name, "region");
        }
        service
            .get_metadata(Request::new(pb::get_metadata::Request {}))
            .await
            .unwrap();
        assert_eq!(schema_calls.load(Ordering::SeqCst), 1);
    }
}
