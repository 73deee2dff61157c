//! `cloudcontrol_network_domain` (data source): a network domain looked up by name in a datacenter.

use async_trait::async_trait;
use cloudcontrol::NetworkDomainFilter;
use tfplugin::provider::{DataSource, OperationContext, ReadDataRequest, ReadResponse};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::AttributePath;

use crate::provider::ProviderData;
use crate::support::{api_error, opt_string, string};

/// The `cloudcontrol_network_domain` data source type.
pub struct NetworkDomainDataSource;

#[async_trait]
impl DataSource<ProviderData> for NetworkDomainDataSource {
    fn type_name(&self) -> &str {
        "cloudcontrol_network_domain"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .description("Looks up a network domain by name in a datacenter.")
                .attribute(
                    Attribute::string("name")
                        .required()
                        .description("Exact name of the network domain."),
                )
                .attribute(
                    Attribute::string("datacenter")
                        .required()
                        .description("Datacenter id, e.g. NA9."),
                )
                .attribute(
                    Attribute::string("id")
                        .computed()
                        .description("Network domain id."),
                )
                .attribute(
                    Attribute::string("description")
                        .computed()
                        .description("Description."),
                )
                .attribute(
                    Attribute::string("type")
                        .computed()
                        .description("Service plan."),
                )
                .attribute(
                    Attribute::string("nat_ipv4_address")
                        .computed()
                        .description("Outbound NAT IPv4 address."),
                ),
        )
    }

    async fn read(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: ReadDataRequest,
        response: &mut ReadResponse,
    ) {
        let name = string(&request.config, "name").unwrap_or_default();
        let datacenter = string(&request.config, "datacenter").unwrap_or_default();
        let filter = NetworkDomainFilter {
            name: Some(name.clone()),
            datacenter_id: Some(datacenter.clone()),
        };
        let found = match ctx.data.client.list_network_domains(&filter).await {
            Ok(all) => all
                .into_iter()
                .filter(|d| d.name == name)
                .collect::<Vec<_>>(),
            Err(e) => {
                response
                    .diagnostics
                    .push(api_error("look up the network domain", &e));
                return;
            }
        };
        let domain = match found.as_slice() {
            [one] => one,
            [] => {
                response.diagnostics.error_at(
                    AttributePath::attribute("name"),
                    "Network domain not found",
                    format!("No network domain is named {name:?} in {datacenter}."),
                );
                return;
            }
            many => {
                response.diagnostics.error_at(AttributePath::attribute("name"), "Ambiguous network domain name", format!("{} network domains are named {name:?} in {datacenter}; use the id instead.", many.len()));
                return;
            }
        };
        let state = &mut response.state;
        state.set_attr("id", domain.id.as_str());
        state.set_attr("description", domain.description.as_str());
        state.set_attr("type", domain.kind.as_str());
        state.set_attr(
            "nat_ipv4_address",
            opt_string(domain.snat_ipv4_address.as_deref()),
        );
    }
}
