//! `cloudcontrol_vip_persistence_profile` (data source): a default persistence profile of a
//! network domain's load balancer, looked up by name (`CCDEFAULT.SourceAddress`), for a
//! virtual listener's `persistence_profile_id` or `fallback_persistence_profile_id`.

use async_trait::async_trait;
use tfplugin::provider::{DataSource, OperationContext, ReadDataRequest, ReadResponse};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::{AttributePath, Value};

use super::vip_catalog::{compatibility_type, compatibility_value, one_named};
use crate::provider::ProviderData;
use crate::support::{api_error, string};

/// The `cloudcontrol_vip_persistence_profile` data source type.
pub struct VipPersistenceProfileDataSource;

#[async_trait]
impl DataSource<ProviderData> for VipPersistenceProfileDataSource {
    fn type_name(&self) -> &str {
        "cloudcontrol_vip_persistence_profile"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .description("Looks up a default load balancer persistence profile of a network domain by name, e.g. `CCDEFAULT.SourceAddress`, `CCDEFAULT.DestinationAddress`, `CCDEFAULT.Cookie` or `CCDEFAULT.Sip`.")
                .attribute(
                    Attribute::string("network_domain_id")
                        .required()
                        .description("Id of the network domain."),
                )
                .attribute(
                    Attribute::string("name")
                        .required()
                        .description("Exact name of the profile."),
                )
                .attribute(Attribute::string("id").computed().description("Profile id."))
                .attribute(
                    Attribute::bool("fallback_compatible")
                        .computed()
                        .description("Whether it may be a listener's fallback persistence profile."),
                )
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
        let catalog = match ctx
            .data
            .client
            .list_default_persistence_profiles(&domain)
            .await
        {
            Ok(all) => all,
            Err(e) => {
                response
                    .diagnostics
                    .push(api_error("list the default persistence profiles", &e));
                return;
            }
        };
        let names: Vec<&str> = catalog.iter().map(|p| p.name.as_str()).collect();
        let profile = match one_named("persistence profile", &names, &name, &domain) {
            Ok(i) => &catalog[i],
            Err(d) => {
                response
                    .diagnostics
                    .push(d.at(AttributePath::attribute("name")));
                return;
            }
        };
        let state = &mut response.state;
        state.set_attr("id", profile.id.as_str());
        state.set_attr("fallback_compatible", profile.fallback_compatible);
        state.set_attr(
            "compatible_listeners",
            Value::list(
                profile
                    .virtual_listener_compatibility
                    .iter()
                    .map(compatibility_value),
            ),
        );
    }
}
