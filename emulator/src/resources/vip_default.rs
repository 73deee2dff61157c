//! The read-only VIP catalogs of a network domain: default health monitors, persistence
//! profiles and iRules (`GET networkDomainVip/default…?networkDomainId=`). Every domain offers
//! the same built-in `CCDEFAULT.*` entries, with fixed ids (our reading: the real ids differ per
//! region and are not published).

use super::{check_id, network_domain, Ctx};
use crate::envelope::{ApiError, Reply};
use crate::paging::{self, FilterSpec};
use serde_json::{json, Value};

/// A default health monitor.
#[derive(Debug, Clone, Copy)]
pub struct HealthMonitor {
    /// Id.
    pub id: &'static str,
    /// Name.
    pub name: &'static str,
    /// May be set on a node.
    pub node_compatible: bool,
    /// May be set on a pool.
    pub pool_compatible: bool,
}

/// A listener `(type, protocol)` pair a profile or iRule may be used with.
pub type Compatibility = (&'static str, &'static str);

/// A default persistence profile.
#[derive(Debug, Clone, Copy)]
pub struct PersistenceProfile {
    /// Id.
    pub id: &'static str,
    /// Name.
    pub name: &'static str,
    /// May be a listener's fallback profile.
    pub fallback_compatible: bool,
    /// Listener kinds it may be used with.
    pub compatibility: &'static [Compatibility],
}

/// A default iRule.
#[derive(Debug, Clone, Copy)]
pub struct Irule {
    /// Id.
    pub id: &'static str,
    /// Name.
    pub name: &'static str,
    /// Listener kinds it may be used with.
    pub compatibility: &'static [Compatibility],
}

/// The layer-4 kinds every default profile and iRule supports (as the recorded catalogs list).
const LAYER4: &[Compatibility] = &[
    ("STANDARD", "TCP"),
    ("STANDARD", "UDP"),
    ("STANDARD", "ANY"),
    ("PERFORMANCE_LAYER_4", "HTTP"),
    ("PERFORMANCE_LAYER_4", "TCP"),
    ("PERFORMANCE_LAYER_4", "UDP"),
    ("PERFORMANCE_LAYER_4", "ANY"),
];

/// HTTP-aware entries: layer-4 HTTP listeners only (as the recorded HTTP iRules list; the same
/// for the cookie profile is our reading).
const HTTP: &[Compatibility] = &[("PERFORMANCE_LAYER_4", "HTTP")];

/// SIP persistence: standard UDP listeners only (our reading).
const SIP: &[Compatibility] = &[("STANDARD", "UDP")];

/// The default health monitors.
pub const HEALTH_MONITORS: &[HealthMonitor] = &[
    monitor(
        "0a3a5d22-6a38-4a7e-9d0a-000000000001",
        "CCDEFAULT.Http",
        false,
        true,
    ),
    monitor(
        "0a3a5d22-6a38-4a7e-9d0a-000000000002",
        "CCDEFAULT.Https",
        false,
        true,
    ),
    monitor(
        "0a3a5d22-6a38-4a7e-9d0a-000000000003",
        "CCDEFAULT.Icmp",
        true,
        false,
    ),
    monitor(
        "0a3a5d22-6a38-4a7e-9d0a-000000000004",
        "CCDEFAULT.Tcp",
        false,
        true,
    ),
    monitor(
        "0a3a5d22-6a38-4a7e-9d0a-000000000005",
        "CCDEFAULT.TcpHalfOpen",
        false,
        true,
    ),
    monitor(
        "0a3a5d22-6a38-4a7e-9d0a-000000000006",
        "CCDEFAULT.Udp",
        false,
        true,
    ),
];

const fn monitor(id: &'static str, name: &'static str, node: bool, pool: bool) -> HealthMonitor {
    HealthMonitor {
        id,
        name,
        node_compatible: node,
        pool_compatible: pool,
    }
}

/// The default persistence profiles.
pub const PERSISTENCE_PROFILES: &[PersistenceProfile] = &[
    PersistenceProfile {
        id: "0a3a5d22-6a38-4a7e-9d0b-000000000001",
        name: "CCDEFAULT.Cookie",
        fallback_compatible: false,
        compatibility: HTTP,
    },
    PersistenceProfile {
        id: "0a3a5d22-6a38-4a7e-9d0b-000000000002",
        name: "CCDEFAULT.DestinationAddress",
        fallback_compatible: true,
        compatibility: LAYER4,
    },
    PersistenceProfile {
        id: "0a3a5d22-6a38-4a7e-9d0b-000000000003",
        name: "CCDEFAULT.Sip",
        fallback_compatible: false,
        compatibility: SIP,
    },
    PersistenceProfile {
        id: "0a3a5d22-6a38-4a7e-9d0b-000000000004",
        name: "CCDEFAULT.SourceAddress",
        fallback_compatible: true,
        compatibility: LAYER4,
    },
];

/// The default iRules.
pub const IRULES: &[Irule] = &[
    Irule {
        id: "0a3a5d22-6a38-4a7e-9d0c-000000000001",
        name: "CCDEFAULT.HttpsRedirect",
        compatibility: HTTP,
    },
    Irule {
        id: "0a3a5d22-6a38-4a7e-9d0c-000000000002",
        name: "CCDEFAULT.IpProtocolTimers",
        compatibility: LAYER4,
    },
    Irule {
        id: "0a3a5d22-6a38-4a7e-9d0c-000000000003",
        name: "CCDEFAULT.Ips",
        compatibility: LAYER4,
    },
    Irule {
        id: "0a3a5d22-6a38-4a7e-9d0c-000000000004",
        name: "CCDEFAULT.IpsHttp",
        compatibility: HTTP,
    },
];

fn compatibility_json(pairs: &[Compatibility]) -> Vec<Value> {
    pairs
        .iter()
        .map(|(t, p)| json!({"type": t, "protocol": p}))
        .collect()
}

impl HealthMonitor {
    /// The catalog's JSON shape.
    pub fn to_json(&self) -> Value {
        json!({"id": self.id, "name": self.name,
               "nodeCompatible": self.node_compatible, "poolCompatible": self.pool_compatible})
    }
}

impl PersistenceProfile {
    /// The catalog's JSON shape.
    pub fn to_json(&self) -> Value {
        json!({"id": self.id, "name": self.name, "fallbackCompatible": self.fallback_compatible,
               "virtualListenerCompatibility": compatibility_json(self.compatibility)})
    }
}

impl Irule {
    /// The catalog's JSON shape (the iRule is nested, as the XML contract has it).
    pub fn to_json(&self) -> Value {
        json!({"irule": {"id": self.id, "name": self.name},
               "virtualListenerCompatibility": compatibility_json(self.compatibility)})
    }
}

/// The health monitor `id`, or RESOURCE_NOT_FOUND naming `field`.
pub fn health_monitor(field: &str, id: &str) -> Result<&'static HealthMonitor, ApiError> {
    check_id(field, id)?;
    HEALTH_MONITORS
        .iter()
        .find(|m| m.id == id)
        .ok_or_else(|| ApiError::not_found("Health Monitor", id))
}

/// The persistence profile `id`, or RESOURCE_NOT_FOUND.
pub fn persistence_profile(field: &str, id: &str) -> Result<&'static PersistenceProfile, ApiError> {
    check_id(field, id)?;
    PERSISTENCE_PROFILES
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| ApiError::not_found("Persistence Profile", id))
}

/// The iRule `id`, or RESOURCE_NOT_FOUND.
pub fn irule(field: &str, id: &str) -> Result<&'static Irule, ApiError> {
    check_id(field, id)?;
    IRULES
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| ApiError::not_found("iRule", id))
}

/// The name of health monitor `id`, if it is one.
pub fn monitor_name(id: &str) -> Option<&'static str> {
    HEALTH_MONITORS.iter().find(|m| m.id == id).map(|m| m.name)
}

/// The name of persistence profile `id`, if it is one.
pub fn profile_name(id: &str) -> Option<&'static str> {
    PERSISTENCE_PROFILES
        .iter()
        .find(|p| p.id == id)
        .map(|p| p.name)
}

/// `{id, name}` of a health monitor, as objects that use it report it.
pub fn monitor_ref(id: &str) -> Value {
    json!({"id": id, "name": monitor_name(id).unwrap_or_default()})
}

/// The catalog query: `networkDomainId` is required and must name one of the caller's domains.
fn checked_query(ctx: &Ctx) -> Result<crate::paging::Query, ApiError> {
    let domain = ctx
        .call
        .query
        .iter()
        .find(|(k, _)| k == "networkDomainId")
        .map(|(_, v)| v.clone())
        .ok_or_else(|| ApiError::invalid("networkDomainId", "is required"))?;
    network_domain::find(ctx.org, "networkDomainId", &domain)?;
    Ok(ctx
        .call
        .query
        .iter()
        .filter(|(k, _)| k != "networkDomainId")
        .cloned()
        .collect())
}

const FILTERS: &[FilterSpec] = &[("id", &["/id"]), ("name", &["/name"])];
const IRULE_FILTERS: &[FilterSpec] = &[("id", &["/irule/id"]), ("name", &["/irule/name"])];

/// `GET networkDomainVip/defaultHealthMonitor?networkDomainId=…`.
pub fn health_monitors(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let query = checked_query(ctx)?;
    let items = HEALTH_MONITORS.iter().map(HealthMonitor::to_json).collect();
    paging::page(items, "defaultHealthMonitor", &query, FILTERS).map(Reply::Document)
}

/// `GET networkDomainVip/defaultPersistenceProfile?networkDomainId=…`.
pub fn persistence_profiles(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let query = checked_query(ctx)?;
    let items = PERSISTENCE_PROFILES
        .iter()
        .map(PersistenceProfile::to_json)
        .collect();
    paging::page(items, "defaultPersistenceProfile", &query, FILTERS).map(Reply::Document)
}

/// `GET networkDomainVip/defaultIrule?networkDomainId=…`.
pub fn irules(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let query = checked_query(ctx)?;
    let items = IRULES.iter().map(Irule::to_json).collect();
    paging::page(items, "defaultIrule", &query, IRULE_FILTERS).map(Reply::Document)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_uuids_and_only_icmp_fits_nodes() {
        let ids: Vec<&str> = HEALTH_MONITORS
            .iter()
            .map(|m| m.id)
            .chain(PERSISTENCE_PROFILES.iter().map(|p| p.id))
            .chain(IRULES.iter().map(|r| r.id))
            .collect();
        for (i, id) in ids.iter().enumerate() {
            assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
            assert!(!ids[..i].contains(id), "{id} twice");
        }
        let node: Vec<&str> = HEALTH_MONITORS
            .iter()
            .filter(|m| m.node_compatible)
            .map(|m| m.name)
            .collect();
        assert_eq!(node, ["CCDEFAULT.Icmp"]);
    }

    #[test]
    fn lookups_name_unknown_ids() {
        assert!(health_monitor("h", HEALTH_MONITORS[0].id).is_ok());
        assert!(persistence_profile("p", "not-a-uuid").is_err());
        assert!(irule("i", "0a3a5d22-6a38-4a7e-9d0c-0000000000ff").is_err());
        assert_eq!(monitor_ref(HEALTH_MONITORS[2].id)["name"], "CCDEFAULT.Icmp");
    }
}
