//! `cloudcontrol_vlan` (data source): a VLAN looked up by name in a network domain.

use async_trait::async_trait;
use cloudcontrol::VlanFilter;
use tfplugin::provider::{DataSource, OperationContext, ReadDataRequest, ReadResponse};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::AttributePath;

use crate::provider::ProviderData;
use crate::support::{api_error, opt_string, string};

/// The `cloudcontrol_vlan` data source type.
pub struct VlanDataSource;

#[async_trait]
impl DataSource<ProviderData> for VlanDataSource {
    fn type_name(&self) -> &str {
        "cloudcontrol_vlan"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .description("Looks up a VLAN by name in a network domain.")
                .attribute(
                    Attribute::string("name")
                        .required()
                        .description("Exact name of the VLAN."),
                )
                .attribute(
                    Attribute::string("network_domain_id")
                        .required()
                        .description("Id of the network domain."),
                )
                .attribute(Attribute::string("id").computed().description("VLAN id."))
                .attribute(
                    Attribute::string("description")
                        .computed()
                        .description("Description."),
                )
                .attribute(
                    Attribute::string("ipv4_base_address")
                        .computed()
                        .description("IPv4 network address."),
                )
                .attribute(
                    Attribute::number("ipv4_prefix_size")
                        .computed()
                        .description("IPv4 prefix size."),
                )
                .attribute(
                    Attribute::string("ipv4_gateway")
                        .computed()
                        .description("IPv4 gateway address."),
                )
                .attribute(
                    Attribute::string("ipv6_base_address")
                        .computed()
                        .description("IPv6 network address."),
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
        let domain = string(&request.config, "network_domain_id").unwrap_or_default();
        let filter = VlanFilter {
            network_domain_id: Some(domain.clone()),
            name: Some(name.clone()),
        };
        let found = match ctx.data.client.list_vlans(&filter).await {
            Ok(all) => all
                .into_iter()
                .filter(|v| v.name == name)
                .collect::<Vec<_>>(),
            Err(e) => {
                response.diagnostics.push(api_error("look up the VLAN", &e));
                return;
            }
        };
        let vlan = match found.as_slice() {
            [one] => one,
            [] => {
                response.diagnostics.error_at(
                    AttributePath::attribute("name"),
                    "VLAN not found",
                    format!("No VLAN is named {name:?} in network domain {domain}."),
                );
                return;
            }
            many => {
                response.diagnostics.error_at(AttributePath::attribute("name"), "Ambiguous VLAN name", format!("{} VLANs are named {name:?} in network domain {domain}; use the id instead.", many.len()));
                return;
            }
        };
        let state = &mut response.state;
        state.set_attr("id", vlan.id.as_str());
        state.set_attr("description", vlan.description.as_str());
        state.set_attr(
            "ipv4_base_address",
            vlan.private_ipv4_range.address.as_str(),
        );
        state.set_attr(
            "ipv4_prefix_size",
            i64::from(vlan.private_ipv4_range.prefix_size),
        );
        state.set_attr(
            "ipv4_gateway",
            opt_string(vlan.ipv4_gateway_address.as_deref()),
        );
        state.set_attr(
            "ipv6_base_address",
            opt_string(vlan.ipv6_range.as_ref().map(|r| r.address.as_str())),
        );
    }
}
