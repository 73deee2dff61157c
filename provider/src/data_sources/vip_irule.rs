//! `cloudcontrol_vip_irule` (data source): a default iRule of a network domain's load balancer,
//! looked up by name (`CCDEFAULT.Ips`), for a virtual listener's `irule_ids`.

use async_trait::async_trait;
use tfplugin::provider::{DataSource, OperationContext, ReadDataRequest, ReadResponse};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::{AttributePath, Value};

use super::vip_catalog::{compatibility_type, compatibility_value, one_named};
use crate::provider::ProviderData;
use crate::support::{api_error, string};

/// The `cloudcontrol_vip_irule` data source type.
pub struct VipIruleDataSource;

#[async_trait]
impl DataSource<ProviderData> for VipIruleDataSource {
    fn type_name(&self) -> &str {
        "cloudcontrol_vip_irule"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .description("Looks up a default load balancer iRule of a network domain by name, e.g. `CCDEFAULT.Ips`, `CCDEFAULT.IpProtocolTimers`, `CCDEFAULT.HttpsRedirect` or `CCDEFAULT.IpsHttp`.")
                .attribute(
                    Attribute::string("network_domain_id")
                        .required()
                        .description("Id of the network domain."),
                )
                .attribute(
                    Attribute::string("name")
                        .required()
                        .description("Exact name of the iRule."),
                )
                .attribute(Attribute::string("id").computed().description("iRule id."))
                .attribute(
                    Attribute::list("compatible_listeners", compatibility_type())
                        .computed()
                        .description("The listener kinds it can be used with: each a `type` and a `protocol`."),
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
        let catalog = match ctx.data.client.list_default_irules(&domain).await {
            Ok(all) => all,
            Err(e) => {
                response
                    .diagnostics
                    .push(api_error("list the default iRules", &e));
                return;
            }
        };
        let names: Vec<&str> = catalog.iter().map(|r| r.name()).collect();
        let rule = match one_named("iRule", &names, &name, &domain) {
            Ok(i) => &catalog[i],
            Err(d) => {
                response
                    .diagnostics
                    .push(d.at(AttributePath::attribute("name")));
                return;
            }
        };
        let state = &mut response.state;
        state.set_attr("id", rule.id());
        state.set_attr(
            "compatible_listeners",
            Value::list(
                rule.virtual_listener_compatibility
                    .iter()
                    .map(compatibility_value),
            ),
        );
    }
}
