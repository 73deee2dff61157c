//! `terraform-provider-tftest`: a small provider built on `tfplugin` so the end-to-end tests
//! can drive the plugin runtime with the real Terraform CLI before any CloudControl resource
//! exists. Its "remote API" is a JSON file named in the provider block, which lets a test
//! observe exactly what apply, import and destroy did.
//!
//! - `tftest_thing`: a resource exercising every schema behaviour the runtime offers
//!   (defaults, RequiresReplace, UseStateForUnknown, sensitive, validators, a nested list
//!   block, `timeouts`, private state, import by id);
//! - `tftest_things`: a data source listing the things in the backend.

mod backend;
mod thing;
mod things;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use async_trait::async_trait;
use tfplugin::provider::{ConfigureRequest, DataSource, Provider, Resource};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::{AttributePath, Diagnostic, Diagnostics};

use backend::Backend;

/// The provider: configuration names the backend file.
struct TestProvider;

#[async_trait]
impl Provider for TestProvider {
    type Data = Backend;

    fn type_name(&self) -> &str {
        "tftest"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .description("Test provider whose remote objects live in a JSON file.")
                .attribute(
                    Attribute::string("backend_file")
                        .required()
                        .description("Path of the JSON file holding the remote objects."),
                ),
        )
    }

    async fn configure(&self, request: ConfigureRequest) -> Result<Backend, Diagnostics> {
        let path = AttributePath::attribute("backend_file");
        match request.config.attr("backend_file").as_str() {
            Some(file) if !file.is_empty() => Ok(Backend::new(PathBuf::from(file))),
            Some(_) => Err(Diagnostic::error(
                "Invalid backend file",
                "backend_file must not be empty.",
            )
            .at(path)
            .into()),
            None => Err(Diagnostic::error(
                "Backend file not known",
                "backend_file must be known when the provider is configured.",
            )
            .at(path)
            .into()),
        }
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<Backend>>> {
        vec![Arc::new(thing::Thing)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Backend>>> {
        vec![Arc::new(things::Things)]
    }
}

fn main() -> ExitCode {
    tfplugin::server::serve(TestProvider)
}
