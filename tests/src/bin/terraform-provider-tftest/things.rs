//! `tftest_things`: lists the things in the backend, optionally in one zone.

use async_trait::async_trait;
use tfplugin::provider::{DataSource, OperationContext, ReadDataRequest, ReadResponse};
use tfplugin::schema::validators::one_of;
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::{Type, Value};

use crate::backend::Backend;

/// The `tftest_things` data source.
pub struct Things;

#[async_trait]
impl DataSource<Backend> for Things {
    fn type_name(&self) -> &str {
        "tftest_things"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .description("The things stored in the backend file.")
                .attribute(
                    Attribute::string("zone")
                        .optional()
                        .validator(one_of(["zone-a", "zone-b"]))
                        .description("Only list things in this zone."),
                )
                .attribute(
                    Attribute::list("ids", Type::String)
                        .computed()
                        .description("Ids of the matching things, sorted."),
                )
                .attribute(
                    Attribute::map("names", Type::String)
                        .computed()
                        .description("Name of each matching thing by id."),
                ),
        )
    }

    async fn read(
        &self,
        ctx: &OperationContext<'_, Backend>,
        request: ReadDataRequest,
        response: &mut ReadResponse,
    ) {
        let store = match ctx.data.read() {
            Ok(store) => store,
            Err(errors) => return response.diagnostics.append(errors),
        };
        let zone = request.config.attr("zone").as_str();
        let matching: Vec<(&String, &str)> = store
            .things
            .iter()
            .filter(|(_, thing)| zone.is_none() || thing["zone"].as_str() == zone)
            .map(|(id, thing)| (id, thing["name"].as_str().unwrap_or_default()))
            .collect();
        response.state.set_attr(
            "ids",
            Value::list(matching.iter().map(|(id, _)| Value::string(*id))),
        );
        response.state.set_attr(
            "names",
            Value::map(
                matching
                    .iter()
                    .map(|(id, name)| (id.as_str(), Value::string(*name))),
            ),
        );
    }
}
