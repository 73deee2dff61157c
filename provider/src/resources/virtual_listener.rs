//! `cloudcontrol_virtual_listener`: the address and port a network domain's load balancer
//! answers on, and the pool, persistence profiles and iRules behind it.
//!
//! The schema, the typed model that reads plans and writes state, plan-time validation (the
//! type/protocol combinations and profile rules the API refuses, and, when they can be read, an
//! ESSENTIALS domain, a pool of another domain and the default catalogs' compatibility), then
//! create, read, update and delete. Name, type, protocol, address and port force a new
//! listener; the rest is edited in place.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use cloudcontrol::{
    CreateVirtualListener, EditVirtualListener, ListenerProtocol, ListenerType,
    SourcePortPreservation, VirtualListener, OPTIMIZATION_PROFILES,
};
use serde::{Deserialize, Serialize};
use tfplugin::model::{from_value, write_into, ModelError};
use tfplugin::provider::{
    ApplyResponse, CreateRequest, DeleteRequest, ModifyPlan, OperationContext, ReadRequest,
    ReadResponse, Resource, UpdateRequest,
};
use tfplugin::schema::validators::{int_between, one_of, string_length, Ipv4Address};
use tfplugin::schema::{timeouts_block, Attribute, Block, Schema, TimeoutOp};
use tfplugin::{AttributePath, Diagnostics, Type, Value};

use super::vip_support::{check_domain, new_string};
use crate::adopt::{differences, Found, MarkerPlace};
use crate::marker::Journaled;
use crate::provider::ProviderData;
use crate::rules::NameRule;
use crate::support::{
    api_error, record_create, record_delete, record_read, refuse, state_id, wait,
};

/// The `cloudcontrol_virtual_listener` resource type.
pub struct VirtualListenerResource;

const TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// Longest listener name (the API publishes none; the emulator's reading).
const MAX_NAME_LEN: usize = 255;
/// Connection limit range (NTT's documented bounds).
const CONNECTION_LIMIT: (i64, i64) = (1, 100_000);
/// Connection rate limit range (NTT's documented bounds).
const CONNECTION_RATE_LIMIT: (i64, i64) = (1, 4_000);

/// The journal entry of a listener create (see [`crate::marker`]).
fn journal_entry(name: &str) -> String {
    format!("vl:{name}")
}

/// The resource's schema: every attribute, its default and its rules.
fn schema() -> Schema {
    let all_protocols: Vec<&str> = ListenerProtocol::KNOWN.to_vec();
    Schema::new(
        Block::new()
            .description("A virtual listener of a network domain's load balancer (ADVANCED or ENTERPRISE domains): an IPv4 address and port that forward to a pool. Without `listener_ip_address` it takes the first free address of the domain's public IP blocks. Name, type, protocol, address and port force a new listener; everything else is edited in place. Our readings where the API's documentation is silent or sources disagree: a STANDARD listener accepts ANY, TCP, UDP, HTTP, FTP and SMTP (go-dd-cloud-compute, the ddcloud provider and NTT's collection; libcloud lists only ANY, TCP and UDP), a PERFORMANCE_LAYER_4 listener ANY, TCP, UDP and HTTP; type and protocol are not editable (the CS and GO contracts; NTT's 2.11 client sends them on edit), so changing them replaces the listener; the edit clears a reference with the API's `{\"nil\": true}` element; the default catalogs' items carry `virtualListenerCompatibility` pairs (the XML contract's shape).")
            .attribute(Attribute::id())
            .attribute(
                Attribute::string("network_domain_id")
                    .required()
                    .requires_replace()
                    .description("Id of the network domain (ADVANCED or ENTERPRISE)."),
            )
            .attribute(
                Attribute::string("name")
                    .required()
                    .requires_replace()
                    .validator(NameRule(MAX_NAME_LEN))
                    .description("Name, unique among the domain's virtual listeners."),
            )
            .attribute(
                Attribute::string("description")
                    .default("")
                    .validator(string_length(0, 255))
                    .description("Description, at most 255 characters; changed in place."),
            )
            .attribute(
                Attribute::string("type")
                    .default("STANDARD")
                    .requires_replace()
                    .validator(one_of(ListenerType::KNOWN.iter().copied()))
                    .description("STANDARD (a full proxy; the default) or PERFORMANCE_LAYER_4 (layer-4 forwarding)."),
            )
            .attribute(
                Attribute::string("protocol")
                    .required()
                    .requires_replace()
                    .validator(one_of(all_protocols))
                    .description("ANY, TCP, UDP, HTTP, FTP or SMTP for STANDARD listeners; ANY, TCP, UDP or HTTP for PERFORMANCE_LAYER_4 ones."),
            )
            .attribute(
                Attribute::string("listener_ip_address")
                    .optional_computed()
                    .use_state_for_unknown()
                    .requires_replace_if_configured()
                    .validator(Ipv4Address)
                    .description("The IPv4 address it answers on: an address of the domain's public IP blocks, or a private (RFC 1918) address outside the domain's VLANs. When unset, the first free address of the domain's public IP blocks is taken (the domain needs one)."),
            )
            .attribute(
                Attribute::string("listener_ip_addressability")
                    .computed()
                    .use_state_for_unknown()
                    .description("Where the address comes from: PUBLIC_IP_BLOCK, PRIVATE_RFC1918 or PRIVATE_NON_RFC1918."),
            )
            .attribute(
                Attribute::number("port")
                    .optional()
                    .requires_replace()
                    .validator(int_between(1, 65_535))
                    .description("The port (1 to 65535); unset, the listener answers on every port."),
            )
            .attribute(
                Attribute::bool("enabled")
                    .default(true)
                    .description("Whether it accepts traffic (default true); changed in place."),
            )
            .attribute(
                Attribute::number("connection_limit")
                    .default(20_000)
                    .validator(int_between(CONNECTION_LIMIT.0, CONNECTION_LIMIT.1))
                    .description("Most concurrent connections (1 to 100000, default 20000); changed in place."),
            )
            .attribute(
                Attribute::number("connection_rate_limit")
                    .default(2_000)
                    .validator(int_between(CONNECTION_RATE_LIMIT.0, CONNECTION_RATE_LIMIT.1))
                    .description("Most new connections per second (1 to 4000, default 2000); changed in place."),
            )
            .attribute(
                Attribute::string("source_port_preservation")
                    .default("PRESERVE")
                    .validator(one_of(SourcePortPreservation::KNOWN.iter().copied()))
                    .description("PRESERVE, PRESERVE_STRICT or CHANGE: whether the client's source port is kept towards the pool (default PRESERVE); changed in place."),
            )
            .attribute(
                Attribute::string("pool_id")
                    .optional()
                    .description("Id of the pool (of the same domain) that receives the traffic; changed in place."),
            )
            .attribute(
                Attribute::string("client_clone_pool_id")
                    .optional()
                    .description("Id of a pool that receives a copy of the traffic; changed in place."),
            )
            .attribute(
                Attribute::string("persistence_profile_id")
                    .optional()
                    .description("Id of a default persistence profile (see the `cloudcontrol_vip_persistence_profile` data source) compatible with the listener's type and protocol; changed in place."),
            )
            .attribute(
                Attribute::string("fallback_persistence_profile_id")
                    .optional()
                    .description("Id of a fallback-compatible persistence profile, other than `persistence_profile_id` (which it needs); changed in place."),
            )
            .attribute(
                Attribute::string("optimization_profile")
                    .optional()
                    .validator(one_of(OPTIMIZATION_PROFILES.iter().copied()))
                    .description("TCP, LAN_OPT, WAN_OPT, MOBILE_OPT, TCP_LEGACY, SMTP or SIP; required for STANDARD listeners with protocol TCP or HTTP. Changed in place."),
            )
            .attribute(
                Attribute::list("irule_ids", Type::String)
                    .optional()
                    .description("Ids of default iRules (see the `cloudcontrol_vip_irule` data source), in order, each once, each compatible with the listener's type and protocol; changed in place."),
            )
            .block(timeouts_block(&[TimeoutOp::Create, TimeoutOp::Update, TimeoutOp::Delete])),
    )
}

/// The resource's value type, for writing models into state.
static LISTENER_TYPE: LazyLock<Type> = LazyLock::new(|| schema().block.implied_type());

/// A `cloudcontrol_virtual_listener` as Terraform sees it: the schema's attributes by name
/// (`timeouts` is left to the value it is written over).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct VirtualListenerModel {
    /// Computed: the listener's id.
    id: Option<String>,
    network_domain_id: String,
    name: String,
    description: String,
    #[serde(rename = "type")]
    listener_type: String,
    protocol: String,
    /// Unknown in a plan that leaves the address to the API.
    listener_ip_address: Option<String>,
    listener_ip_addressability: Option<String>,
    port: Option<i64>,
    enabled: bool,
    connection_limit: i64,
    connection_rate_limit: i64,
    source_port_preservation: String,
    pool_id: Option<String>,
    client_clone_pool_id: Option<String>,
    persistence_profile_id: Option<String>,
    fallback_persistence_profile_id: Option<String>,
    optimization_profile: Option<String>,
    irule_ids: Option<Vec<String>>,
}

/// A whole number the schema bounds to `u32`; out-of-range values never pass validation.
fn to_u32(n: i64) -> u32 {
    u32::try_from(n).unwrap_or_default()
}

impl VirtualListenerModel {
    /// Reads a plan or state that has every required attribute.
    fn read(value: &Value) -> Result<VirtualListenerModel, ModelError> {
        from_value(value)
    }

    /// The model of `listener` as the API reports it; `irule_ids` stays unset when it has no
    /// iRules and `prior` left it unset.
    fn of_listener(listener: &VirtualListener, prior: &Value) -> VirtualListenerModel {
        let irules = listener.irule_ids();
        let unset = prior.attr("irule_ids").is_null() && irules.is_empty();
        let edit = listener.editable();
        VirtualListenerModel {
            id: Some(listener.id.clone()),
            network_domain_id: listener.network_domain_id.clone(),
            name: listener.name.clone(),
            description: listener.description.clone(),
            listener_type: listener.listener_type.to_string(),
            protocol: listener.protocol.to_string(),
            listener_ip_address: Some(listener.listener_ip_address.clone()),
            listener_ip_addressability: Some(listener.listener_ip_addressability.clone()),
            port: listener.port.map(i64::from),
            enabled: listener.enabled,
            connection_limit: i64::from(listener.connection_limit),
            connection_rate_limit: i64::from(listener.connection_rate_limit),
            source_port_preservation: listener.source_port_preservation.to_string(),
            pool_id: edit.pool_id,
            client_clone_pool_id: edit.client_clone_pool_id,
            persistence_profile_id: edit.persistence_profile_id,
            fallback_persistence_profile_id: edit.fallback_persistence_profile_id,
            optimization_profile: edit.optimization_profile,
            irule_ids: (!unset).then_some(irules),
        }
    }

    /// This model written over `base` (which keeps the timeouts).
    fn to_state(&self, base: &Value) -> Value {
        let mut state = base.clone();
        // The model's fields are the schema's attributes: a mismatch is a provider bug that
        // the unit tests catch.
        write_into(self, &mut state, &LISTENER_TYPE)
            .unwrap_or_else(|e| panic!("the virtual listener model does not fit its schema: {e}"));
        state
    }

    fn create_request(&self) -> CreateVirtualListener {
        CreateVirtualListener {
            network_domain_id: self.network_domain_id.clone(),
            name: self.name.clone(),
            description: Some(self.description.clone()).filter(|d| !d.is_empty()),
            listener_type: self.listener_type.as_str().into(),
            protocol: self.protocol.as_str().into(),
            listener_ip_address: self.listener_ip_address.clone(),
            port: self.port.and_then(|p| u16::try_from(p).ok()),
            enabled: self.enabled,
            connection_limit: to_u32(self.connection_limit),
            connection_rate_limit: to_u32(self.connection_rate_limit),
            source_port_preservation: self.source_port_preservation.as_str().into(),
            pool_id: self.pool_id.clone(),
            client_clone_pool_id: self.client_clone_pool_id.clone(),
            persistence_profile_id: self.persistence_profile_id.clone(),
            fallback_persistence_profile_id: self.fallback_persistence_profile_id.clone(),
            optimization_profile: self.optimization_profile.clone(),
            irule_ids: self.irule_ids.clone().unwrap_or_default(),
        }
    }

    /// What an edit sets: everything editable, as the plan has it.
    fn content(&self) -> EditVirtualListener {
        EditVirtualListener {
            description: self.description.clone(),
            enabled: self.enabled,
            connection_limit: to_u32(self.connection_limit),
            connection_rate_limit: to_u32(self.connection_rate_limit),
            source_port_preservation: self.source_port_preservation.as_str().into(),
            pool_id: self.pool_id.clone(),
            client_clone_pool_id: self.client_clone_pool_id.clone(),
            persistence_profile_id: self.persistence_profile_id.clone(),
            fallback_persistence_profile_id: self.fallback_persistence_profile_id.clone(),
            optimization_profile: self.optimization_profile.clone(),
            irule_ids: self.irule_ids.clone().unwrap_or_default(),
        }
    }
}

fn path(name: &str) -> AttributePath {
    AttributePath::attribute(name)
}

/// A known, non-null string attribute of a configuration or plan.
fn known_str<'a>(config: &'a Value, name: &str) -> Option<&'a str> {
    config.attr(name).as_str()
}

/// Whether a configuration sets `name` (to a value known or not yet known).
fn is_set(config: &Value, name: &str) -> bool {
    !config.attr(name).is_null()
}

/// The rules the API enforces that a configuration shows without asking it: the protocols a
/// type accepts, the optimization profile STANDARD TCP and HTTP listeners need, a fallback
/// profile that needs and differs from a primary one, iRules listed once.
fn validate_config(config: &Value, diags: &mut Diagnostics) {
    // `type` has a default, so an unset one is STANDARD.
    let listener_type = match config.attr("type") {
        v if v.is_null() => Some(ListenerType::Standard),
        v => v.as_str().map(ListenerType::from),
    };
    let protocol = known_str(config, "protocol").map(ListenerProtocol::from);
    if let (Some(t), Some(p)) = (&listener_type, &protocol) {
        let allowed = t.protocols();
        if !allowed.is_empty() && !allowed.contains(p) {
            let names: Vec<&str> = allowed.iter().map(ListenerProtocol::as_str).collect();
            diags.error_at(
                path("protocol"),
                "Protocol not supported for this listener type",
                format!(
                    "protocol {p} is not accepted for type {t}; a {t} listener takes {}",
                    names.join(", ")
                ),
            );
        }
        let optimization = config.attr("optimization_profile");
        if t.needs_optimization_profile(p) && optimization.is_null() {
            diags.error_at(
                path("optimization_profile"),
                "Missing optimization profile",
                format!("optimization_profile is required for type {t} and protocol {p} (the API answers CONFIGURATION_NOT_SUPPORTED without one)"),
            );
        }
    }
    if is_set(config, "fallback_persistence_profile_id") {
        if !is_set(config, "persistence_profile_id") {
            diags.error_at(
                path("fallback_persistence_profile_id"),
                "Fallback without a persistence profile",
                "fallback_persistence_profile_id needs persistence_profile_id to be set",
            );
        } else if let (Some(a), Some(b)) = (
            known_str(config, "persistence_profile_id"),
            known_str(config, "fallback_persistence_profile_id"),
        ) {
            if a == b {
                diags.error_at(
                    path("fallback_persistence_profile_id"),
                    "Fallback equals the persistence profile",
                    "fallback_persistence_profile_id must differ from persistence_profile_id",
                );
            }
        }
    }
    let irules = config.attr("irule_ids").elements();
    for (i, rule) in irules.iter().enumerate() {
        if rule.as_str().is_some() && irules[..i].contains(rule) {
            diags.error_at(
                path("irule_ids").index(i as i64),
                "Repeated iRule",
                format!("irule_ids[{i}] repeats an earlier entry; each iRule may be listed once"),
            );
        }
    }
}

/// The pools, when the plan names known ones that exist: each in the listener's network domain
/// (the API refuses a pool of another domain). A pool that cannot be read now is left to the API.
async fn check_pools(
    ctx: &OperationContext<'_, ProviderData>,
    planned: &Value,
    diags: &mut Diagnostics,
) {
    let Some(domain) = known_str(planned, "network_domain_id") else {
        return;
    };
    for name in ["pool_id", "client_clone_pool_id"] {
        let Some(id) = known_str(planned, name) else {
            continue;
        };
        if let Ok(Some(pool)) = ctx.data.client.get_vip_pool(id).await {
            if pool.network_domain_id != domain {
                diags.error_at(
                    path(name),
                    "Pool in another network domain",
                    format!(
                        "{name}: pool {} ({id}) is in network domain {}; a listener of network domain {domain} can only use its own domain's pools",
                        pool.name, pool.network_domain_id
                    ),
                );
            }
        }
    }
}

/// The catalog rules, checked against the domain's default catalogs when the plan names known
/// ids: each profile and iRule exists and suits the listener's type and protocol, and the
/// fallback profile is fallback-compatible. A catalog that cannot be read is left to the API.
async fn check_catalogs(
    ctx: &OperationContext<'_, ProviderData>,
    planned: &Value,
    diags: &mut Diagnostics,
) {
    let (Some(domain), Some(t), Some(p)) = (
        known_str(planned, "network_domain_id"),
        known_str(planned, "type"),
        known_str(planned, "protocol"),
    ) else {
        return;
    };
    let (t, p) = (ListenerType::from(t), ListenerProtocol::from(p));
    let client = &ctx.data.client;
    let profiles = ["persistence_profile_id", "fallback_persistence_profile_id"];
    if profiles.iter().any(|n| known_str(planned, n).is_some()) {
        if let Ok(catalog) = client.list_default_persistence_profiles(domain).await {
            for name in profiles {
                let Some(id) = known_str(planned, name) else {
                    continue;
                };
                match catalog.iter().find(|c| c.id == id) {
                    None => diags.error_at(
                        path(name),
                        "Unknown persistence profile",
                        format!("{name} {id} is not a default persistence profile of network domain {domain}"),
                    ),
                    Some(c) if !c.supports(&t, &p) => diags.error_at(
                        path(name),
                        "Persistence profile not compatible",
                        format!("{name}: {} cannot be used with a {t} {p} listener", c.name),
                    ),
                    Some(c) if name.starts_with("fallback") && !c.fallback_compatible => diags
                        .error_at(
                            path(name),
                            "Not a fallback profile",
                            format!("{name}: {} is not fallback-compatible", c.name),
                        ),
                    Some(_) => {}
                }
            }
        }
    }
    let irules = planned.attr("irule_ids").elements();
    if irules.iter().any(|r| r.as_str().is_some()) {
        if let Ok(catalog) = client.list_default_irules(domain).await {
            for (i, rule) in irules.iter().enumerate() {
                let Some(id) = rule.as_str() else { continue };
                let at = path("irule_ids").index(i as i64);
                match catalog.iter().find(|c| c.id() == id) {
                    None => diags.error_at(
                        at,
                        "Unknown iRule",
                        format!(
                            "irule_ids[{i}] {id} is not a default iRule of network domain {domain}"
                        ),
                    ),
                    Some(c) if !c.supports(&t, &p) => diags.error_at(
                        at,
                        "iRule not compatible",
                        format!(
                            "irule_ids[{i}]: {} cannot be used with a {t} {p} listener",
                            c.name()
                        ),
                    ),
                    Some(_) => {}
                }
            }
        }
    }
}

#[async_trait]
impl Resource<ProviderData> for VirtualListenerResource {
    fn type_name(&self) -> &str {
        "cloudcontrol_virtual_listener"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        validate_config(config, &mut diags);
        diags
    }

    async fn modify_plan(&self, ctx: &OperationContext<'_, ProviderData>, plan: &mut ModifyPlan) {
        if plan.planned.is_null() || plan.planned == plan.prior {
            return;
        }
        let client = &ctx.data.client;
        if let Some(domain) = new_string(plan, "network_domain_id") {
            let domain = domain.to_owned();
            check_domain(
                client,
                &domain,
                path("network_domain_id"),
                &mut plan.diagnostics,
            )
            .await;
        }
        let planned = plan.planned.clone();
        check_pools(ctx, &planned, &mut plan.diagnostics).await;
        check_catalogs(ctx, &planned, &mut plan.diagnostics).await;
    }

    async fn create(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: CreateRequest,
        response: &mut ApplyResponse,
    ) {
        let planned = match VirtualListenerModel::read(&request.planned) {
            Ok(model) => model,
            Err(e) => return refuse(response, e.to_diagnostic("Invalid virtual listener plan")),
        };
        let client = &ctx.data.client;
        let markers = &ctx.data.markers;
        let options = wait(ctx, TIMEOUT);
        let create = planned.create_request();
        let domain = &create.network_domain_id;
        let entry = journal_entry(&create.name);
        let journaled = markers
            .journaled_create(
                client,
                domain,
                &entry,
                client.find_virtual_listener(domain, &create.name),
                || client.create_virtual_listener(&create, &options),
            )
            .await;
        let result = match journaled {
            Err(e) => Err(e),
            Ok(Journaled::Created(result)) => result,
            Ok(Journaled::Found { asset, marked }) => {
                let found = VirtualListenerModel::of_listener(&asset, &request.planned);
                let verdict = Found {
                    kind: "virtual listener",
                    resource_type: self.type_name(),
                    identity: format!("named {:?} in network domain {domain}", asset.name),
                    id: &asset.id,
                    import_id: asset.id.clone(),
                    marked,
                    marker_place: MarkerPlace::Journal,
                    differences: differences([
                        (
                            "type",
                            found.listener_type,
                            Some(planned.listener_type.clone()),
                        ),
                        ("protocol", found.protocol, Some(planned.protocol.clone())),
                        (
                            "listener_ip_address",
                            found.listener_ip_address.unwrap_or_default(),
                            planned.listener_ip_address.clone(),
                        ),
                        (
                            "port",
                            found.port.map_or("any".into(), |p| p.to_string()),
                            Some(planned.port.map_or("any".into(), |p| p.to_string())),
                        ),
                    ]),
                }
                .verdict();
                if let Err(refusal) = verdict {
                    return refuse(response, refusal);
                }
                let taken = markers
                    .take_over_journaled(
                        domain,
                        &entry,
                        "virtual listener",
                        &asset.id,
                        client.settled_virtual_listener(&asset.id, &options),
                    )
                    .await;
                // What an edit can change is brought to the configuration.
                match taken {
                    Ok(l) if l.editable() != planned.content() => {
                        client
                            .edit_virtual_listener(&l.id, &planned.content(), &options)
                            .await
                    }
                    other => other,
                }
            }
        };
        record_create(
            "create the virtual listener",
            result,
            |l| to_state(l, &request.planned),
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
        let result = client.get_virtual_listener(&id).await;
        if let Ok(Some(l)) = &result {
            ctx.data
                .markers
                .forget_recorded(client, &l.network_domain_id, &journal_entry(&l.name))
                .await;
        }
        record_read(
            "read the virtual listener",
            result,
            |l| to_state(l, &request.state),
            response,
        );
    }

    async fn update(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: UpdateRequest,
        response: &mut ApplyResponse,
    ) {
        let (prior, planned) = match (
            VirtualListenerModel::read(&request.prior),
            VirtualListenerModel::read(&request.planned),
        ) {
            (Ok(prior), Ok(planned)) => (prior, planned),
            (Err(e), _) | (_, Err(e)) => {
                response.state = request.prior.clone();
                response
                    .diagnostics
                    .push(e.to_diagnostic("Invalid virtual listener plan"));
                return;
            }
        };
        // Only `timeouts` changed: it lives in state alone.
        if prior.content() == planned.content() {
            return;
        }
        let id = prior.id.clone().unwrap_or_default();
        let result = ctx
            .data
            .client
            .edit_virtual_listener(&id, &planned.content(), &wait(ctx, TIMEOUT))
            .await;
        match result {
            Ok(l) => response.state = to_state(&l, &request.planned),
            Err(e) => {
                response.state = request.prior.clone();
                response
                    .diagnostics
                    .push(api_error("update the virtual listener", &e));
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
        let result = ctx
            .data
            .client
            .delete_virtual_listener(&id, &wait(ctx, TIMEOUT))
            .await;
        record_delete("delete the virtual listener", result)
    }
}

/// The state of `listener`, keeping what the API does not report (timeouts) from `base`.
fn to_state(listener: &VirtualListener, base: &Value) -> Value {
    VirtualListenerModel::of_listener(listener, base).to_state(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listener() -> VirtualListener {
        serde_json::from_value(serde_json::json!({
            "id": "vl-1", "datacenterId": "NA9", "networkDomainId": "nd-1", "name": "web",
            "description": "", "state": "NORMAL", "type": "STANDARD", "protocol": "TCP",
            "listenerIpAddress": "168.128.4.18", "listenerIpAddressability": "PUBLIC_IP_BLOCK",
            "port": 8080, "enabled": true, "connectionLimit": 20000, "connectionRateLimit": 2000,
            "sourcePortPreservation": "PRESERVE", "optimizationProfile": "TCP",
            "persistenceProfile": {"id": "pp-1", "name": "CCDEFAULT.SourceAddress"},
            "irule": [], "createTime": ""
        }))
        .unwrap()
    }

    fn base() -> Value {
        Value::object([("timeouts", Value::Null)])
    }

    #[test]
    fn the_model_fits_the_schema_and_reads_back() {
        let state = to_state(&listener(), &base());
        state
            .check_conforms(&schema().block.implied_type())
            .unwrap();
        assert_eq!(state.attr("type").as_str(), Some("STANDARD"));
        assert!(state.attr("irule_ids").is_null());
        assert!(state.attr("pool_id").is_null());
        let model = VirtualListenerModel::read(&state).unwrap();
        assert_eq!(model.content(), listener().editable());
        assert_eq!(model.create_request().port, Some(8080));
    }

    fn diagnostics<R>(edit: impl FnOnce(&mut Value) -> R) -> Vec<(String, String)> {
        let mut config = to_state(&listener(), &base());
        edit(&mut config);
        let mut diags = Diagnostics::new();
        validate_config(&config, &mut diags);
        diags
            .iter()
            .map(|d| {
                (
                    d.attribute
                        .as_ref()
                        .map(|p| p.to_string())
                        .unwrap_or_default(),
                    d.detail.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn what_the_api_refuses_is_reported_on_the_attribute() {
        assert!(diagnostics(|_| {}).is_empty());
        let d = diagnostics(|c| {
            c.set_attr("type", "PERFORMANCE_LAYER_4");
            c.set_attr("protocol", "SMTP");
        });
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0]
            .1
            .contains("protocol SMTP is not accepted for type PERFORMANCE_LAYER_4"));
        let d = diagnostics(|c| c.set_attr("optimization_profile", Value::Null));
        assert!(
            d[0].1.starts_with("optimization_profile is required"),
            "{d:?}"
        );
        let d = diagnostics(|c| c.set_attr("fallback_persistence_profile_id", "pp-1"));
        assert!(d[0].1.contains("must differ"), "{d:?}");
        let d = diagnostics(|c| {
            c.set_attr("persistence_profile_id", Value::Null);
            c.set_attr("fallback_persistence_profile_id", "pp-2");
        });
        assert!(d[0].1.contains("needs persistence_profile_id"), "{d:?}");
        let d = diagnostics(|c| {
            c.set_attr(
                "irule_ids",
                Value::list([Value::from("a"), Value::from("b"), Value::from("a")]),
            )
        });
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].1.starts_with("irule_ids[2] repeats"), "{d:?}");
        // Unknown values are not judged.
        assert!(diagnostics(|c| c.set_attr("protocol", Value::Unknown)).is_empty());
    }
}
