//! `cloudcontrol_datacenter`: a datacenter's location, disk speeds and sizing limits.

use async_trait::async_trait;
use tfplugin::provider::{DataSource, OperationContext, ReadDataRequest, ReadResponse};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::{AttributePath, Type, Value};

use crate::provider::ProviderData;
use crate::support::{api_error, string};

/// The `cloudcontrol_datacenter` data source type.
pub struct DatacenterDataSource;

#[async_trait]
impl DataSource<ProviderData> for DatacenterDataSource {
    fn type_name(&self) -> &str {
        "cloudcontrol_datacenter"
    }

    fn schema(&self) -> Schema {
        let number = |name: &str, text: &str| {
            Attribute::number(name)
                .computed()
                .description(text.to_owned())
        };
        Schema::new(
            Block::new()
                .description("Looks up a datacenter by id.")
                .attribute(
                    Attribute::string("id")
                        .required()
                        .description("Datacenter id, e.g. NA9."),
                )
                .attribute(
                    Attribute::string("display_name")
                        .computed()
                        .description("Display name."),
                )
                .attribute(Attribute::string("city").computed().description("City."))
                .attribute(
                    Attribute::string("country")
                        .computed()
                        .description("Country code."),
                )
                .attribute(
                    Attribute::list("disk_speeds", Type::String)
                        .computed()
                        .description("Disk speeds offered."),
                )
                .attribute(number("min_disk_gb", "Smallest disk in GB."))
                .attribute(number("max_disk_gb", "Largest disk in GB."))
                .attribute(number("max_cpu_count", "Most CPUs per server."))
                .attribute(number("min_memory_gb", "Least memory per server in GB."))
                .attribute(number("max_memory_gb", "Most memory per server in GB.")),
        )
    }

    async fn read(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: ReadDataRequest,
        response: &mut ReadResponse,
    ) {
        let id = string(&request.config, "id").unwrap_or_default();
        let dc = match ctx.data.client.get_datacenter(&id).await {
            Ok(Some(dc)) => dc,
            Ok(None) => {
                let known = ctx
                    .data
                    .client
                    .list_datacenters()
                    .await
                    .map(|all| all.into_iter().map(|d| d.id).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default();
                response.diagnostics.error_at(
                    AttributePath::attribute("id"),
                    "Datacenter not found",
                    format!("There is no datacenter {id:?}. Known datacenters: {known}."),
                );
                return;
            }
            Err(e) => {
                response
                    .diagnostics
                    .push(api_error("look up the datacenter", &e));
                return;
            }
        };
        let state = &mut response.state;
        state.set_attr("display_name", dc.display_name.as_str());
        state.set_attr("city", dc.city.as_str());
        state.set_attr("country", dc.country.as_str());
        state.set_attr(
            "disk_speeds",
            Value::list(
                dc.hypervisor
                    .disk_speed
                    .iter()
                    .filter(|s| s.available)
                    .map(|s| Value::from(s.id.as_str())),
            ),
        );
        for (attr, property) in [
            ("min_disk_gb", "MIN_DISK_SIZE_GB"),
            ("max_disk_gb", "MAX_DISK_SIZE_GB"),
            ("max_cpu_count", "MAX_CPU_COUNT"),
            ("min_memory_gb", "MIN_MEMORY_GB"),
            ("max_memory_gb", "MAX_MEMORY_GB"),
        ] {
            state.set_attr(
                attr,
                dc.limit(property).map(Value::from).unwrap_or(Value::Null),
            );
        }
    }
}
