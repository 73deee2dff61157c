//! `cloudcontrol_vip_health_monitor` (data source): a default health monitor of a network
//! domain (`CCDEFAULT.Http`, `CCDEFAULT.Icmp`, ...) looked up by name, for VIP nodes and pools.

use async_trait::async_trait;
use tfplugin::provider::{DataSource, OperationContext, ReadDataRequest, ReadResponse};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::AttributePath;

use crate::provider::ProviderData;
use crate::support::{api_error, string};

/// The `cloudcontrol_vip_health_monitor` data source type.
pub struct VipHealthMonitorDataSource;

#[async_trait]
impl DataSource<ProviderData> for VipHealthMonitorDataSource {
    fn type_name(&self) -> &str {
        "cloudcontrol_vip_health_monitor"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .description("Looks up a default load-balancer health monitor of a network domain by name, for `cloudcontrol_vip_node` (node-compatible monitors) and `cloudcontrol_vip_pool` (pool-compatible ones).")
                .attribute(
                    Attribute::string("network_domain_id")
                        .required()
                        .description("Id of the network domain."),
                )
                .attribute(
                    Attribute::string("name")
                        .required()
                        .description("Exact name: `CCDEFAULT.Http`, `CCDEFAULT.Https`, `CCDEFAULT.Icmp`, `CCDEFAULT.Tcp`, `CCDEFAULT.TcpHalfOpen` or `CCDEFAULT.Udp`."),
                )
                .attribute(Attribute::string("id").computed().description("The monitor's id."))
                .attribute(
                    Attribute::bool("node_compatible")
                        .computed()
                        .description("Whether a node may use it (`health_monitor_id`)."),
                )
                .attribute(
                    Attribute::bool("pool_compatible")
                        .computed()
                        .description("Whether a pool may use it (`health_monitor_ids`)."),
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
        let catalog = match ctx.data.client.list_default_health_monitors(&domain).await {
            Ok(catalog) => catalog,
            Err(e) => {
                let what = format!("list the default health monitors of network domain {domain}");
                response.diagnostics.push(api_error(&what, &e));
                return;
            }
        };
        let Some(monitor) = catalog.iter().find(|m| m.name == name) else {
            let names: Vec<&str> = catalog.iter().map(|m| m.name.as_str()).collect();
            response.diagnostics.error_at(
                AttributePath::attribute("name"),
                "Health monitor not found",
                format!(
                    "network domain {domain} has no default health monitor named {name:?}; it has {}",
                    names.join(", ")
                ),
            );
            return;
        };
        let state = &mut response.state;
        state.set_attr("id", monitor.id.as_str());
        state.set_attr("node_compatible", monitor.node_compatible);
        state.set_attr("pool_compatible", monitor.pool_compatible);
    }
}
