//! The CloudControl 2.x resources: one file per resource, all shaped the same way
//! (stored struct, `to_json` view, then one function per API operation).

pub mod account;
pub mod address_list;
pub mod anti_affinity;
pub mod backup;
pub mod consistency_group;
pub mod customer_image;
pub mod datacenter;
pub mod firewall_rule;
pub mod image;
pub mod list_nesting;
pub mod mcp1_network;
pub mod nat_rule;
pub mod network_domain;
pub mod ovf_package;
pub mod port_list;
pub mod public_ip_block;
pub mod reserved_ip;
pub mod server;
pub mod server_disk;
pub mod server_nic;
pub mod ssl_certificate_chain;
pub mod ssl_common;
pub mod ssl_domain_certificate;
pub mod ssl_offload_profile;
pub mod tag;
pub mod vip_common;
pub mod vip_default;
pub mod vip_node;
pub mod vip_pool;
pub mod vip_pool_member;
pub mod virtual_listener;
pub mod vlan;

use crate::envelope::{ApiError, Code, Reply};
use crate::paging::Query;
use crate::store::{Counters, Org};
use crate::xml::Format;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// The body of the many operations that name one asset and nothing else (`{"id": …}`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdBody {
    /// The asset's id.
    pub id: String,
}

/// One API call after routing and authentication.
#[derive(Debug, Clone)]
pub struct Call {
    /// True for POST, false for GET.
    pub post: bool,
    /// Minor API version (`N` of `/caas/2.N/`).
    pub minor: u32,
    /// Area: `network`, `server`, `image`, `infrastructure`, `tag`.
    pub area: String,
    /// Operation or resource collection, e.g. `deployVlan` or `vlan`.
    pub op: String,
    /// Asset id from the path (`…/vlan/{id}`).
    pub id: Option<String>,
    /// Query parameters.
    pub query: Query,
    /// Raw request body.
    pub body: Vec<u8>,
    /// The body's format, from its `Content-Type`.
    pub body_format: Format,
    /// Authenticated user name.
    pub user: String,
    /// The caller's organisation id.
    pub org_id: String,
    /// Request time, ms since the epoch.
    pub now_ms: u64,
    /// Lifecycle time scale.
    pub time_scale: f64,
    /// A deployment started by this call ends in FAILED_ADD (fault injection).
    pub failed_add: bool,
    /// Enforce the public-IP-per-server ratio.
    pub public_ip_ratio: bool,
}

impl Call {
    /// Whether the call may change state: every POST, the v1 `GET …/backup?disable` and the
    /// v1 `GET …/network/{id}?delete`.
    pub fn mutates(&self) -> bool {
        let flag = |name: &str| self.query.iter().any(|(k, _)| k == name);
        self.post
            || (self.area == backup::AREA && flag("disable"))
            || (self.area == mcp1_network::AREA && flag("delete"))
    }
}

/// What a handler may touch: the caller's organisation and the global counters.
pub struct Ctx<'a> {
    /// The caller's organisation.
    pub org: &'a mut Org,
    /// Global allocation counters.
    pub counters: &'a mut Counters,
    /// The call.
    pub call: &'a Call,
    /// Where public and IPv6 addresses come from.
    pub addressing: &'a crate::backing::addressing::Addressing,
}

impl Ctx<'_> {
    /// Parses the body (JSON, or XML whose root is the operation's element) strictly: unknown
    /// fields are rejected and errors name the offending field path.
    pub fn body<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        match self.call.body_format {
            Format::Json => parse_body(&self.call.body),
            Format::Xml => crate::xml::parse_body(&self.call.body, &self.call.op),
        }
    }
}

/// Parses a JSON request body strictly, naming the offending field path in the error.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ApiError::invalid("body", "a JSON request body is required"));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." || path == "?" || path.is_empty() {
            "body".to_string()
        } else {
            path
        };
        ApiError::invalid(&field, e.inner().to_string())
    })
}

/// Validates that `value` is a UUID, naming `field`.
pub fn check_id(field: &str, value: &str) -> Result<(), ApiError> {
    uuid::Uuid::parse_str(value)
        .map(|_| ())
        .map_err(|_| ApiError::invalid(field, format!("`{value}` is not a valid id (UUID)")))
}

/// A fresh asset id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Validates a required, non-blank name of at most `max` characters.
pub fn check_name(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.trim().is_empty() {
        return Err(ApiError::invalid(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

/// Routes a call to its resource handler.
pub fn dispatch(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let call = ctx.call;
    let has_id = call.id.is_some();
    if call.area == backup::AREA {
        // v1 Cloud Backup: the server id is in the path of a POST too.
        let disable = call.query.iter().any(|(k, _)| k == "disable");
        return match backup::Op::of(call.post, &call.op, disable) {
            Some(op) => backup::handle(ctx, op),
            None => Err(unknown(call)),
        };
    }
    if call.area == mcp1_network::AREA {
        // v1 MCP 1.0 networks: the network (or location) is in the path of a POST too.
        return mcp1_network::handle(ctx);
    }
    if call.post && has_id {
        return Err(unknown(call));
    }
    match (call.post, call.area.as_str(), call.op.as_str()) {
        (false, "infrastructure", "datacenter") if !has_id => datacenter::list(ctx),
        (false, "image", "osImage") => match has_id {
            true => image::get(ctx),
            false => image::list(ctx),
        },
        (false, "image", "customerImage") => match has_id {
            true => customer_image::get(ctx),
            false => customer_image::list(ctx),
        },
        (true, "image", "deleteCustomerImage") => customer_image::delete(ctx),
        (false, "image", "ovfPackage") if !has_id => ovf_package::list(ctx),
        (true, "image", "importImage") => customer_image::import_image(ctx),
        (true, "image", "moveCustomerImage") => customer_image::move_image(ctx),
        (true, "server", "cloneServer") => customer_image::clone_server(ctx),
        (false, "network", "networkDomain") => match has_id {
            true => network_domain::get(ctx),
            false => network_domain::list(ctx),
        },
        (true, "network", "deployNetworkDomain") => network_domain::deploy(ctx),
        (true, "network", "editNetworkDomain") => network_domain::edit(ctx),
        (true, "network", "deleteNetworkDomain") => network_domain::delete(ctx),
        (false, "network", "vlan") => match has_id {
            true => vlan::get(ctx),
            false => vlan::list(ctx),
        },
        (true, "network", "deployVlan") => vlan::deploy(ctx),
        (true, "network", "editVlan") => vlan::edit(ctx),
        (true, "network", "expandVlan") => vlan::expand(ctx),
        (true, "network", "deleteVlan") => vlan::delete(ctx),
        (false, "server", "server") => match has_id {
            true => server::get(ctx),
            false => server::list(ctx),
        },
        (true, "server", "deployServer") => server::deploy(ctx, true),
        (true, "server", "deployUncustomizedServer") => server::deploy(ctx, false),
        (true, "server", "deleteServer") => server::delete(ctx),
        (false, "server", "antiAffinityRule") if !has_id => anti_affinity::list(ctx),
        (true, "server", "createAntiAffinityRule") => anti_affinity::create(ctx),
        (true, "server", "deleteAntiAffinityRule") => anti_affinity::delete(ctx),
        (true, "server", "cleanServer") => server::clean(ctx),
        (
            true,
            "server",
            op @ ("startServer" | "shutdownServer" | "powerOffServer" | "rebootServer"
            | "resetServer"),
        ) => server::power(ctx, op),
        (true, "server", "reconfigureServer") => server::reconfigure(ctx),
        (true, "server", "editServerMetadata") => server::edit_metadata(ctx),
        (
            true,
            "server",
            op @ ("enableServerMonitoring"
            | "changeServerMonitoringPlan"
            | "disableServerMonitoring"),
        ) => server::monitoring(ctx, op),
        (true, "server", "addDisk") => server_disk::add(ctx),
        (true, "server", "expandDisk") => server_disk::expand(ctx),
        (true, "server", "changeDiskSpeed") => server_disk::change_speed(ctx),
        (true, "server", "removeDisk") => server_disk::remove(ctx),
        (true, "server", "changeDiskIops") => server_disk::change_iops(ctx),
        (true, "server", "addNic") => server_nic::add(ctx),
        (true, "server", "removeNic") => server_nic::remove(ctx),
        (true, "server", "notifyNicIpChange") => server_nic::notify_ip_change(ctx),
        (true, "server", "changeNetworkAdapter") => server_nic::change_adapter(ctx),
        (false, "network", "publicIpBlock") => match has_id {
            true => public_ip_block::get(ctx),
            false => public_ip_block::list(ctx),
        },
        (false, "network", "reservedPublicIpv4Address") if !has_id => {
            public_ip_block::list_reserved(ctx)
        }
        (false, "network", "reservedPrivateIpv4Address") if !has_id => reserved_ip::list(ctx),
        (true, "network", "reservePrivateIpv4Address") => reserved_ip::reserve(ctx),
        (true, "network", "unreservePrivateIpv4Address") => reserved_ip::unreserve(ctx),
        (true, "network", "addPublicIpBlock") => public_ip_block::add(ctx),
        (true, "network", "removePublicIpBlock") => public_ip_block::remove(ctx),
        (false, "network", "natRule") => match has_id {
            true => nat_rule::get(ctx),
            false => nat_rule::list(ctx),
        },
        (true, "network", "createNatRule") => nat_rule::create(ctx),
        (true, "network", "deleteNatRule") => nat_rule::delete(ctx),
        (false, "network", "firewallRule") => match has_id {
            true => firewall_rule::get(ctx),
            false => firewall_rule::list(ctx),
        },
        (true, "network", "createFirewallRule") => firewall_rule::create(ctx),
        (true, "network", "editFirewallRule") => firewall_rule::edit(ctx),
        (true, "network", "deleteFirewallRule") => firewall_rule::delete(ctx),
        (false, "network", "ipAddressList") => match has_id {
            true => address_list::get(ctx),
            false => address_list::list(ctx),
        },
        (true, "network", "createIpAddressList") => address_list::create(ctx),
        (true, "network", "editIpAddressList") => address_list::edit(ctx),
        (true, "network", "deleteIpAddressList") => address_list::delete(ctx),
        (false, "network", "portList") => match has_id {
            true => port_list::get(ctx),
            false => port_list::list(ctx),
        },
        (true, "network", "createPortList") => port_list::create(ctx),
        (true, "network", "editPortList") => port_list::edit(ctx),
        (true, "network", "deletePortList") => port_list::delete(ctx),
        (false, "tag", "tagKey") => match has_id {
            true => tag::get_key(ctx),
            false => tag::list_keys(ctx),
        },
        (true, "tag", "createTagKey") => tag::create_key(ctx),
        (true, "tag", "deleteTagKey") => tag::delete_key(ctx),
        (false, "tag", "tag") if !has_id => tag::list(ctx),
        (true, "tag", "applyTags") => tag::apply(ctx),
        (true, "tag", "removeTags") => tag::remove(ctx),
        (false, vip_common::AREA, "node") => match has_id {
            true => vip_node::get(ctx),
            false => vip_node::list(ctx),
        },
        (true, vip_common::AREA, "createNode") => vip_node::create(ctx),
        (true, vip_common::AREA, "editNode") => vip_node::edit(ctx),
        (true, vip_common::AREA, "deleteNode") => vip_node::delete(ctx),
        (false, vip_common::AREA, "pool") => match has_id {
            true => vip_pool::get(ctx),
            false => vip_pool::list(ctx),
        },
        (true, vip_common::AREA, "createPool") => vip_pool::create(ctx),
        (true, vip_common::AREA, "editPool") => vip_pool::edit(ctx),
        (true, vip_common::AREA, "deletePool") => vip_pool::delete(ctx),
        (false, vip_common::AREA, "poolMember") => match has_id {
            true => vip_pool_member::get(ctx),
            false => vip_pool_member::list(ctx),
        },
        (true, vip_common::AREA, "addPoolMember") => vip_pool_member::add(ctx),
        (true, vip_common::AREA, "editPoolMember") => vip_pool_member::edit(ctx),
        (true, vip_common::AREA, "removePoolMember") => vip_pool_member::remove(ctx),
        // Virtual listeners came with 2.6; earlier paths get the unknown-endpoint answer.
        (_, vip_common::AREA, op)
            if call.minor < virtual_listener::SINCE_MINOR
                && matches!(
                    op,
                    "virtualListener"
                        | "createVirtualListener"
                        | "editVirtualListener"
                        | "deleteVirtualListener"
                ) =>
        {
            Err(unknown(call))
        }
        (false, vip_common::AREA, "virtualListener") => match has_id {
            true => virtual_listener::get(ctx),
            false => virtual_listener::list(ctx),
        },
        (true, vip_common::AREA, "createVirtualListener") => virtual_listener::create(ctx),
        (true, vip_common::AREA, "editVirtualListener") => virtual_listener::edit(ctx),
        (true, vip_common::AREA, "deleteVirtualListener") => virtual_listener::delete(ctx),
        (false, vip_common::AREA, "defaultHealthMonitor") if !has_id => {
            vip_default::health_monitors(ctx)
        }
        (false, vip_common::AREA, "defaultPersistenceProfile") if !has_id => {
            vip_default::persistence_profiles(ctx)
        }
        (false, vip_common::AREA, "defaultIrule") if !has_id => vip_default::irules(ctx),
        // SSL offload came with 2.6 too.
        (_, vip_common::AREA, op) if ssl_common::OPS.contains(&op) => {
            if call.minor < ssl_common::SINCE_MINOR {
                Err(unknown(call))
            } else {
                ssl_common::dispatch(ctx)
            }
        }
        (false, consistency_group::AREA, "consistencyGroup") => match has_id {
            true => consistency_group::get(ctx),
            false => consistency_group::list(ctx),
        },
        (false, consistency_group::AREA, "snapshot") if !has_id => {
            consistency_group::snapshots(ctx)
        }
        (true, consistency_group::AREA, op) => match op {
            "createConsistencyGroup" => consistency_group::create(ctx),
            "deleteConsistencyGroup" => consistency_group::delete(ctx),
            "expandJournal" => consistency_group::expand_journal(ctx),
            "startPreviewSnapshot" => consistency_group::start_preview(ctx),
            "stopPreviewSnapshot" => consistency_group::stop_preview(ctx),
            "initiateFailover" => consistency_group::initiate_failover(ctx),
            _ => Err(unknown(call)),
        },
        _ => Err(unknown(call)),
    }
}

fn unknown(call: &Call) -> ApiError {
    let method = if call.post { "POST" } else { "GET" };
    let id = call
        .id
        .as_deref()
        .map(|i| format!("/{i}"))
        .unwrap_or_default();
    ApiError::new(
        Code::OperationNotSupported,
        format!(
            "{method} {}/{}{id} is not an operation of the CloudControl API",
            call.area, call.op
        ),
    )
    .with_status(axum::http::StatusCode::NOT_FOUND)
}
