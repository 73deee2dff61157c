//! What the load balancer's resources (`cloudcontrol_vip_node`, `_vip_pool`, `_vip_pool_member`)
//! share: their journal entries, the plan-time checks that need the API (the domain's type, a
//! health monitor's compatibility), an IPv6 validator, and their create, read, update and
//! delete, written once over [`VipKind`]. Each resource's own file has its schema, model,
//! validation and API calls.

use std::marker::PhantomData;
use std::net::Ipv6Addr;
use std::time::Duration;

use async_trait::async_trait;
use cloudcontrol::{Client, WaitOptions};
use tfplugin::model::ModelError;
use tfplugin::provider::{
    ApplyResponse, CreateRequest, DeleteRequest, ModifyPlan, OperationContext, ReadRequest,
    ReadResponse, Resource, UpdateRequest,
};
use tfplugin::schema::{Schema, Validator};
use tfplugin::{AttributePath, Diagnostics, Value};

use crate::adopt::{Difference, Found, MarkerPlace};
use crate::marker::Journaled;
use crate::provider::ProviderData;
use crate::support::{
    api_error, record_create, record_delete, record_read, refuse, state_id, wait,
};

const TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The journal entry of the create of VIP node `name`.
pub fn node_entry(name: &str) -> String {
    format!("vipnode:{name}")
}

/// The journal entry of the create of VIP pool `name`.
pub fn pool_entry(name: &str) -> String {
    format!("vippool:{name}")
}

/// The journal entry of adding node `node_id` to pool `pool_id` on `port` (`None`: any port).
pub fn member_entry(pool_id: &str, node_id: &str, port: Option<u16>) -> String {
    let port = port.map_or("any".to_owned(), |p| p.to_string());
    format!("vipmember:{pool_id}+{node_id}:{port}")
}

/// Where an object's create is journaled: its network domain and its entry.
pub struct JournalPlace {
    /// The network domain whose journal holds the entry.
    pub domain: String,
    /// The entry.
    pub entry: String,
}

/// One kind of load-balancer object: its Terraform side (schema, model, checks) and its API
/// calls.
#[async_trait]
pub trait VipKind: Send + Sync + 'static {
    /// The object as the API reports it.
    type Api: Send + Sync;
    /// The resource's typed model.
    type Model: Send + Sync;

    /// The resource type (`cloudcontrol_vip_node`).
    const TYPE_NAME: &'static str;
    /// The kind in words (`VIP node`).
    const KIND: &'static str;

    /// The resource's schema.
    fn schema() -> Schema;
    /// The checks of a configuration beyond the schema's.
    fn validate(config: &Value, diags: &mut Diagnostics);
    /// The checks of a plan that need the API (only what it can tell now).
    async fn check_plan(ctx: &OperationContext<'_, ProviderData>, plan: &mut ModifyPlan);

    /// Reads a plan or state that has every required attribute.
    fn read(value: &Value) -> Result<Self::Model, ModelError>;
    /// The model of `object`, `prior` saying how unset optional attributes were.
    fn of_api(object: &Self::Api, prior: &Value) -> Self::Model;
    /// `model` written over `base` (which keeps the timeouts).
    fn to_state(model: &Self::Model, base: &Value) -> Value;
    /// The id of the object the model describes, once created.
    fn model_id(model: &Self::Model) -> Option<&str>;
    /// The id of an API object.
    fn api_id(object: &Self::Api) -> &str;
    /// How the object is found by identity, for messages (`named "web" in network domain x`).
    fn identity(model: &Self::Model) -> String;
    /// Where the planned object's create is journaled (a member reads its pool for it);
    /// `None` when that cannot be known (a pool that does not exist), so the create goes to
    /// the API unjournaled and the API says what is wrong.
    async fn journal_place(
        client: &Client,
        model: &Self::Model,
    ) -> cloudcontrol::Result<Option<JournalPlace>>;
    /// Where an existing object's create was journaled.
    fn journal_place_of(object: &Self::Api) -> JournalPlace;
    /// Where an object found under the planned identity differs from the plan.
    fn differences(found: &Self::Api, planned: &Self::Model) -> Vec<Difference>;

    /// The object with the planned identity, if there is one.
    async fn find(client: &Client, model: &Self::Model) -> cloudcontrol::Result<Option<Self::Api>>;
    /// Creates the object `model` describes.
    async fn create(
        client: &Client,
        model: &Self::Model,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<Self::Api>;
    /// One object.
    async fn get(client: &Client, id: &str) -> cloudcontrol::Result<Option<Self::Api>>;
    /// The object once settled.
    async fn settled(
        client: &Client,
        id: &str,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<Option<Self::Api>>;
    /// Gives object `id` what `model` says, in place.
    async fn edit(
        client: &Client,
        id: &str,
        model: &Self::Model,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<Self::Api>;
    /// Deletes object `id`.
    async fn delete(client: &Client, id: &str, wait: &WaitOptions) -> cloudcontrol::Result<()>;
}

/// The resource of one [`VipKind`].
pub struct VipResource<K>(PhantomData<K>);

impl<K> VipResource<K> {
    /// The resource.
    pub const fn new() -> Self {
        VipResource(PhantomData)
    }
}

impl<K> Default for VipResource<K> {
    fn default() -> Self {
        Self::new()
    }
}

/// A known string attribute of a plan that is being created or changed (`None` when it is
/// unknown, null, or the same as before, so it was checked already).
pub fn new_string<'a>(plan: &'a ModifyPlan, name: &str) -> Option<&'a str> {
    let planned = plan.planned.attr(name).as_str()?;
    (plan.prior.attr(name).as_str() != Some(planned)).then_some(planned)
}

/// Refuses, at `path`, a network domain the load balancer cannot use: an ESSENTIALS one. A
/// domain that cannot be read now is left to the API at apply.
pub async fn check_domain(
    client: &Client,
    domain_id: &str,
    path: AttributePath,
    diags: &mut Diagnostics,
) {
    if let Ok(Some(domain)) = client.get_network_domain(domain_id).await {
        if domain.kind.eq_ignore_ascii_case("ESSENTIALS") {
            diags.error_at(
                path,
                "The load balancer needs an ADVANCED network domain",
                format!(
                    "network domain {} ({}) is ESSENTIALS; load-balancer objects need an ADVANCED or ENTERPRISE network domain",
                    domain.name, domain.id
                ),
            );
        }
    }
}

/// What a health monitor is set on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonitorUse {
    /// A node.
    Node,
    /// A pool.
    Pool,
}

/// Refuses, each at its path, health monitors of `domain_id`'s catalog that cannot be used
/// for `usage`, or that are not in the catalog. A catalog that cannot be read now is left to
/// the API at apply.
pub async fn check_monitors(
    client: &Client,
    domain_id: &str,
    monitors: &[(AttributePath, &str)],
    usage: MonitorUse,
    diags: &mut Diagnostics,
) {
    if monitors.is_empty() {
        return;
    }
    let Ok(catalog) = client.list_default_health_monitors(domain_id).await else {
        return;
    };
    for (path, id) in monitors {
        let Some(monitor) = catalog.iter().find(|m| m.id == *id) else {
            diags.error_at(
                path.clone(),
                "Unknown health monitor",
                format!(
                    "{id} is not one of network domain {domain_id}'s default health monitors; look one up with the cloudcontrol_vip_health_monitor data source"
                ),
            );
            continue;
        };
        let (fits, what, which) = match usage {
            MonitorUse::Node => (monitor.node_compatible, "a node", "node-compatible"),
            MonitorUse::Pool => (monitor.pool_compatible, "a pool", "pool-compatible"),
        };
        if !fits {
            let usable: Vec<&str> = catalog
                .iter()
                .filter(|m| match usage {
                    MonitorUse::Node => m.node_compatible,
                    MonitorUse::Pool => m.pool_compatible,
                })
                .map(|m| m.name.as_str())
                .collect();
            diags.error_at(
                path.clone(),
                "Health monitor not usable here",
                format!(
                    "{} cannot monitor {what}; the {which} ones are {}",
                    monitor.name,
                    usable.join(", ")
                ),
            );
        }
    }
}

/// A textual IPv6 address such as `2001:db8::10`.
#[derive(Debug, Clone, Copy)]
pub struct Ipv6Address;

impl Validator for Ipv6Address {
    fn description(&self) -> String {
        "an IPv6 address".into()
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(text) = value.as_str() else {
            return;
        };
        if text.parse::<Ipv6Addr>().is_err() {
            diags.error_at(
                path.clone(),
                "Invalid attribute value",
                format!("{path} must be an IPv6 address such as 2001:db8::10, got {text:?}"),
            );
        }
    }
}

#[async_trait]
impl<K: VipKind> Resource<ProviderData> for VipResource<K> {
    fn type_name(&self) -> &str {
        K::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        K::schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        K::validate(config, &mut diags);
        diags
    }

    async fn modify_plan(&self, ctx: &OperationContext<'_, ProviderData>, plan: &mut ModifyPlan) {
        if plan.planned.is_null() {
            return;
        }
        // Values that were unknown when the configuration was validated (references to
        // other resources and data sources) may be known now.
        K::validate(&plan.config, &mut plan.diagnostics);
        if !plan.diagnostics.has_errors() {
            K::check_plan(ctx, plan).await;
        }
    }

    async fn create(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: CreateRequest,
        response: &mut ApplyResponse,
    ) {
        let planned = match K::read(&request.planned) {
            Ok(model) => model,
            Err(e) => {
                return refuse(
                    response,
                    e.to_diagnostic(&format!("Invalid {} plan", K::KIND)),
                )
            }
        };
        let client = &ctx.data.client;
        let options = wait(ctx, TIMEOUT);
        let place = match K::journal_place(client, &planned).await {
            Ok(Some(place)) => place,
            Ok(None) => {
                let result = K::create(client, &planned, &options).await;
                return record_create(
                    &format!("create the {}", K::KIND),
                    result,
                    |object| K::to_state(&K::of_api(object, &request.planned), &request.planned),
                    response,
                );
            }
            Err(e) => return refuse(response, api_error(&format!("create the {}", K::KIND), &e)),
        };
        let markers = &ctx.data.markers;
        let journaled = markers
            .journaled_create(
                client,
                &place.domain,
                &place.entry,
                K::find(client, &planned),
                || K::create(client, &planned, &options),
            )
            .await;
        let result = match journaled {
            Err(e) => Err(e),
            Ok(Journaled::Created(result)) => result,
            Ok(Journaled::Found { asset, marked }) => {
                let id = K::api_id(&asset);
                let verdict = Found {
                    kind: K::KIND,
                    resource_type: K::TYPE_NAME,
                    identity: K::identity(&planned),
                    id,
                    import_id: id.to_owned(),
                    marked,
                    marker_place: MarkerPlace::Journal,
                    differences: K::differences(&asset, &planned),
                }
                .verdict();
                if let Err(refusal) = verdict {
                    return refuse(response, refusal);
                }
                markers
                    .take_over_journaled(
                        &place.domain,
                        &place.entry,
                        K::KIND,
                        id,
                        K::settled(client, id, &options),
                    )
                    .await
            }
        };
        record_create(
            &format!("create the {}", K::KIND),
            result,
            |object| K::to_state(&K::of_api(object, &request.planned), &request.planned),
            response,
        );
    }

    async fn read(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: ReadRequest,
        response: &mut ReadResponse,
    ) {
        let Some(id) = state_id(&request.state) else {
            return;
        };
        let client = &ctx.data.client;
        let result = K::get(client, &id).await;
        if let Ok(Some(object)) = &result {
            let place = K::journal_place_of(object);
            ctx.data
                .markers
                .forget_recorded(client, &place.domain, &place.entry)
                .await;
        }
        record_read(
            &format!("read the {}", K::KIND),
            result,
            |object| K::to_state(&K::of_api(object, &request.state), &request.state),
            response,
        );
    }

    async fn update(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: UpdateRequest,
        response: &mut ApplyResponse,
    ) {
        let planned = match K::read(&request.planned) {
            Ok(model) => model,
            Err(e) => {
                response.state = request.prior.clone();
                response
                    .diagnostics
                    .push(e.to_diagnostic(&format!("Invalid {} plan", K::KIND)));
                return;
            }
        };
        let id = K::model_id(&planned).unwrap_or_default().to_owned();
        match K::edit(&ctx.data.client, &id, &planned, &wait(ctx, TIMEOUT)).await {
            Ok(object) => {
                response.state =
                    K::to_state(&K::of_api(&object, &request.planned), &request.planned)
            }
            Err(e) => {
                response.state = request.prior.clone();
                response
                    .diagnostics
                    .push(api_error(&format!("update the {}", K::KIND), &e));
            }
        }
    }

    async fn delete(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: DeleteRequest,
    ) -> Diagnostics {
        let Some(id) = state_id(&request.prior) else {
            return Diagnostics::new();
        };
        let result = K::delete(&ctx.data.client, &id, &wait(ctx, TIMEOUT)).await;
        record_delete(&format!("delete the {}", K::KIND), result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_entries_tell_any_port_from_a_port() {
        assert_eq!(member_entry("p", "n", None), "vipmember:p+n:any");
        assert_eq!(member_entry("p", "n", Some(80)), "vipmember:p+n:80");
        assert_ne!(node_entry("web"), pool_entry("web"));
    }

    #[test]
    fn ipv6_addresses_are_checked() {
        let mut diags = Diagnostics::new();
        let path = AttributePath::attribute("ipv6_address");
        Ipv6Address.validate(&Value::from("2001:db8::10"), &path, &mut diags);
        assert!(diags.is_empty());
        Ipv6Address.validate(&Value::from("10.0.0.1"), &path, &mut diags);
        assert_eq!(diags.iter().count(), 1);
    }
}
