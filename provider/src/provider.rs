//! The `provider "cloudcontrol"` block: where the API is and who we are.

use std::sync::Arc;

use async_trait::async_trait;
use cloudcontrol::{Client, Endpoint, Secret};
use tfplugin::provider::{ConfigureRequest, DataSource, Provider, Resource};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use crate::{data_sources, resources};

/// What every resource and data source operation receives: the API client and the
/// creation-marker bookkeeping.
pub struct ProviderData {
    /// The CloudControl client built from the provider block.
    pub client: Client,
    /// Which tag keys exist and the network domains' creation journals.
    pub markers: crate::marker::Markers,
}

/// The CloudControl provider (source address `registry.terraform.io/cloudcontrol/cloudcontrol`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CloudControlProvider;

/// A setting from the provider block, or its environment fallback.
fn setting(config: &Value, name: &str, env: &str) -> Option<String> {
    config
        .attr(name)
        .as_str()
        .map(str::to_owned)
        .or_else(|| std::env::var(env).ok())
        .filter(|s| !s.trim().is_empty())
}

fn missing(name: &str, env: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Missing {name}"),
        format!("Set `{name}` in the provider block or the {env} environment variable."),
    )
    .at(AttributePath::attribute(name))
}

#[async_trait]
impl Provider for CloudControlProvider {
    type Data = ProviderData;

    fn type_name(&self) -> &str {
        "cloudcontrol"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .description("Manages Dimension Data CloudControl (MCP 2.0) networks and servers.")
                .attribute(Attribute::string("endpoint").optional().description(
                    "Base URL of the CloudControl API, e.g. https://api-eu.dimensiondata.com or a local emulator. Conflicts with `region`. Environment: CLOUDCONTROL_ENDPOINT.",
                ))
                .attribute(Attribute::string("region").optional().description(
                    "CloudControl region (na, eu, au, af, ap, latam, canada, ...). Environment: CLOUDCONTROL_REGION.",
                ))
                .attribute(Attribute::string("username").optional().description(
                    "CloudControl user name. Environment: CLOUDCONTROL_USERNAME.",
                ))
                .attribute(Attribute::string("password").optional().sensitive().description(
                    "CloudControl password. Environment: CLOUDCONTROL_PASSWORD.",
                )),
        )
    }

    async fn validate_config(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let endpoint = config.attr("endpoint");
        let region = config.attr("region");
        if !endpoint.is_null() && !region.is_null() {
            diags.error_at(
                AttributePath::attribute("region"),
                "Conflicting settings",
                "Set either `endpoint` or `region`, not both.",
            );
        }
        if let Some(url) = endpoint.as_str() {
            if let Err(e) = Endpoint::url(url) {
                diags.error_at(
                    AttributePath::attribute("endpoint"),
                    "Invalid endpoint",
                    e.to_string(),
                );
            }
        }
        if let Some(name) = region.as_str() {
            if let Err(e) = Endpoint::region(name) {
                diags.error_at(
                    AttributePath::attribute("region"),
                    "Invalid region",
                    e.to_string(),
                );
            }
        }
        diags
    }

    async fn configure(&self, request: ConfigureRequest) -> Result<ProviderData, Diagnostics> {
        let config = &request.config;
        let endpoint = match (
            setting(config, "endpoint", "CLOUDCONTROL_ENDPOINT"),
            setting(config, "region", "CLOUDCONTROL_REGION"),
        ) {
            (Some(url), _) => Endpoint::url(&url).map_err(|e| {
                Diagnostic::error("Invalid endpoint", e.to_string()).at(AttributePath::attribute("endpoint"))
            }),
            (None, Some(region)) => Endpoint::region(&region).map_err(|e| {
                Diagnostic::error("Invalid region", e.to_string()).at(AttributePath::attribute("region"))
            }),
            (None, None) => Err(Diagnostic::error(
                "Missing endpoint or region",
                "Set `endpoint` or `region` in the provider block, or CLOUDCONTROL_ENDPOINT or CLOUDCONTROL_REGION.",
            )),
        }?;
        let username = setting(config, "username", "CLOUDCONTROL_USERNAME")
            .ok_or_else(|| missing("username", "CLOUDCONTROL_USERNAME"))?;
        let password = setting(config, "password", "CLOUDCONTROL_PASSWORD")
            .ok_or_else(|| missing("password", "CLOUDCONTROL_PASSWORD"))?;
        let client = Client::builder(endpoint, username, Secret::new(password))
            .user_agent(format!(
                "terraform-provider-cloudcontrol/{} terraform/{}",
                env!("CARGO_PKG_VERSION"),
                request.terraform_version
            ))
            .build()
            .map_err(|e| {
                Diagnostic::error("Could not create the CloudControl client", e.to_string())
            })?;
        Ok(ProviderData {
            client,
            markers: Default::default(),
        })
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<ProviderData>>> {
        resources::all()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<ProviderData>>> {
        data_sources::all()
    }

    /// Terraform has recorded every result: the creation-journal entries of the creates this
    /// process finished can go.
    async fn shutdown(&self, data: &ProviderData) {
        data.markers.flush(&data.client).await;
    }
}
