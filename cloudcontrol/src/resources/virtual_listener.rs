//! Virtual listeners (`networkDomainVip/virtualListener`, API 2.6 and later): the address and
//! port a network domain's load balancer answers on, and where it sends what arrives (a pool,
//! persistence profiles, iRules). Their writes are synchronous (`OK`); an edit sends the whole
//! editable content, so what the request leaves out is cleared rather than kept.

use super::vip_common::VIP_AREA;
use super::{at_most_one, created_id, IdName};
use crate::client::{Acted, Client};
use crate::error::Result;
use crate::state::ResourceState;
use crate::wait::{Stateful, WaitOptions};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::fmt;

/// Declares a string-valued API enumeration that keeps values this client does not know
/// (`Other`), so a listener a later API version made still reads.
macro_rules! api_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this client does not know.
            Other(String),
        }

        impl $name {
            /// Every value this client knows, in the API's spelling.
            pub const KNOWN: &'static [&'static str] = &[$($text),+];

            /// The API's spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(s) => s,
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match value.as_str() {
                    $($text => Self::$variant,)+
                    _ => Self::Other(value),
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::from(value.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.as_str().to_owned()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

api_enum! {
    /// How a listener handles traffic.
    ListenerType {
        /// A full proxy that can look into the protocol.
        Standard = "STANDARD",
        /// Layer-4 forwarding in hardware.
        PerformanceLayer4 = "PERFORMANCE_LAYER_4",
    }
}

api_enum! {
    /// The protocol a listener serves.
    ListenerProtocol {
        /// Any IP protocol.
        Any = "ANY",
        /// TCP.
        Tcp = "TCP",
        /// UDP.
        Udp = "UDP",
        /// HTTP.
        Http = "HTTP",
        /// FTP.
        Ftp = "FTP",
        /// SMTP.
        Smtp = "SMTP",
    }
}

api_enum! {
    /// Whether the load balancer keeps the client's source port towards the pool.
    SourcePortPreservation {
        /// Keep it when it can.
        Preserve = "PRESERVE",
        /// Always keep it.
        PreserveStrict = "PRESERVE_STRICT",
        /// Always change it.
        Change = "CHANGE",
    }
}

/// The TCP and UDP optimization profiles a listener may name (JC's set; the API publishes no
/// list, and a listener reports what it has as a plain string).
pub const OPTIMIZATION_PROFILES: &[&str] = &[
    "TCP",
    "LAN_OPT",
    "WAN_OPT",
    "MOBILE_OPT",
    "TCP_LEGACY",
    "SMTP",
    "SIP",
];

impl ListenerType {
    /// The protocols a listener of this type accepts. Sources disagree for `STANDARD`; this is
    /// the reading of go-dd-cloud-compute, the ddcloud provider and the NTT collection (libcloud
    /// lists only ANY, TCP and UDP).
    pub fn protocols(&self) -> &'static [ListenerProtocol] {
        use ListenerProtocol::*;
        match self {
            ListenerType::Standard => &[Any, Tcp, Udp, Http, Ftp, Smtp],
            ListenerType::PerformanceLayer4 => &[Any, Tcp, Udp, Http],
            ListenerType::Other(_) => &[],
        }
    }

    /// Whether a listener of this type and `protocol` must name an optimization profile (the
    /// API answers `CONFIGURATION_NOT_SUPPORTED` without one).
    pub fn needs_optimization_profile(&self, protocol: &ListenerProtocol) -> bool {
        *self == ListenerType::Standard
            && matches!(protocol, ListenerProtocol::Tcp | ListenerProtocol::Http)
    }
}

/// A (type, protocol) pair a default persistence profile or iRule can be used with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerCompatibility {
    /// Listener type.
    #[serde(rename = "type")]
    pub listener_type: ListenerType,
    /// Listener protocol.
    pub protocol: ListenerProtocol,
}

/// A virtual listener.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualListener {
    /// Id.
    pub id: String,
    /// The network domain.
    pub network_domain_id: String,
    /// Datacenter id.
    #[serde(default)]
    pub datacenter_id: String,
    /// Name, unique among the domain's listeners.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Type.
    #[serde(rename = "type")]
    pub listener_type: ListenerType,
    /// Protocol.
    pub protocol: ListenerProtocol,
    /// The address it answers on.
    pub listener_ip_address: String,
    /// Where that address comes from: `PUBLIC_IP_BLOCK`, `PRIVATE_RFC1918`, `PRIVATE_NON_RFC1918`.
    #[serde(default)]
    pub listener_ip_addressability: String,
    /// The port; `None` is every port.
    #[serde(default)]
    pub port: Option<u16>,
    /// Whether it accepts traffic.
    pub enabled: bool,
    /// Most concurrent connections.
    pub connection_limit: u32,
    /// Most new connections per second.
    pub connection_rate_limit: u32,
    /// Source port handling.
    pub source_port_preservation: SourcePortPreservation,
    /// The pool it sends traffic to.
    #[serde(default)]
    pub pool: Option<IdName>,
    /// The pool that receives a copy of the traffic.
    #[serde(default)]
    pub client_clone_pool: Option<IdName>,
    /// The persistence profile.
    #[serde(default)]
    pub persistence_profile: Option<IdName>,
    /// The persistence profile used when the first does not apply.
    #[serde(default)]
    pub fallback_persistence_profile: Option<IdName>,
    /// The optimization profile.
    #[serde(default)]
    pub optimization_profile: Option<String>,
    /// The SSL offload profile.
    #[serde(default)]
    pub ssl_offload_profile: Option<IdName>,
    /// The iRules, in order.
    #[serde(default)]
    pub irule: Vec<IdName>,
    /// Creation time.
    #[serde(default)]
    pub create_time: String,
    /// Lifecycle state.
    pub state: ResourceState,
}

impl Stateful for VirtualListener {
    fn state(&self) -> &ResourceState {
        &self.state
    }
}

fn id_of(reference: &Option<IdName>) -> Option<String> {
    reference.as_ref().map(|r| r.id.clone())
}

impl VirtualListener {
    /// The ids of its iRules, in order.
    pub fn irule_ids(&self) -> Vec<String> {
        self.irule.iter().map(|r| r.id.clone()).collect()
    }

    /// What an edit can change, as the listener has it now.
    pub fn editable(&self) -> EditVirtualListener {
        EditVirtualListener {
            description: self.description.clone(),
            enabled: self.enabled,
            connection_limit: self.connection_limit,
            connection_rate_limit: self.connection_rate_limit,
            source_port_preservation: self.source_port_preservation.clone(),
            pool_id: id_of(&self.pool),
            client_clone_pool_id: id_of(&self.client_clone_pool),
            persistence_profile_id: id_of(&self.persistence_profile),
            fallback_persistence_profile_id: id_of(&self.fallback_persistence_profile),
            optimization_profile: self.optimization_profile.clone(),
            irule_ids: self.irule_ids(),
        }
    }
}

/// Request to create a virtual listener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateVirtualListener {
    /// The network domain.
    pub network_domain_id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Type.
    #[serde(rename = "type")]
    pub listener_type: ListenerType,
    /// Protocol.
    pub protocol: ListenerProtocol,
    /// The address; `None` takes the first free address of the domain's public IP blocks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listener_ip_address: Option<String>,
    /// The port; `None` is every port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Whether it accepts traffic.
    pub enabled: bool,
    /// Most concurrent connections (1 to 100 000).
    pub connection_limit: u32,
    /// Most new connections per second (1 to 4 000).
    pub connection_rate_limit: u32,
    /// Source port handling.
    pub source_port_preservation: SourcePortPreservation,
    /// The pool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_id: Option<String>,
    /// The clone pool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_clone_pool_id: Option<String>,
    /// The persistence profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persistence_profile_id: Option<String>,
    /// The fallback persistence profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_persistence_profile_id: Option<String>,
    /// The optimization profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optimization_profile: Option<String>,
    /// The iRules, in order.
    #[serde(rename = "iruleId", skip_serializing_if = "Vec::is_empty")]
    pub irule_ids: Vec<String>,
}

/// Everything `editVirtualListener` can change; an edit sends all of it, so a reference left
/// `None` (or no iRules) is cleared. Name, type, protocol, address and port cannot change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditVirtualListener {
    /// Description (empty clears it).
    pub description: String,
    /// Whether it accepts traffic.
    pub enabled: bool,
    /// Most concurrent connections.
    pub connection_limit: u32,
    /// Most new connections per second.
    pub connection_rate_limit: u32,
    /// Source port handling.
    pub source_port_preservation: SourcePortPreservation,
    /// The pool.
    pub pool_id: Option<String>,
    /// The clone pool.
    pub client_clone_pool_id: Option<String>,
    /// The persistence profile.
    pub persistence_profile_id: Option<String>,
    /// The fallback persistence profile.
    pub fallback_persistence_profile_id: Option<String>,
    /// The optimization profile.
    pub optimization_profile: Option<String>,
    /// The iRules, in order.
    pub irule_ids: Vec<String>,
}

/// A nullable edit field: its value, or the API's `{"nil": true}` that clears it (leaving the
/// field out would keep the old value).
fn value_or_nil<T: Serialize>(value: Option<T>) -> Value {
    value.map_or_else(|| json!({"nil": true}), |v| json!(v))
}

impl EditVirtualListener {
    /// The request body.
    fn body(&self, id: &str) -> Value {
        let description = Some(&self.description).filter(|d| !d.is_empty());
        let irules = Some(&self.irule_ids).filter(|r| !r.is_empty());
        json!({
            "id": id,
            "description": value_or_nil(description),
            "enabled": self.enabled,
            "connectionLimit": self.connection_limit,
            "connectionRateLimit": self.connection_rate_limit,
            "sourcePortPreservation": self.source_port_preservation,
            "poolId": value_or_nil(self.pool_id.as_ref()),
            "clientClonePoolId": value_or_nil(self.client_clone_pool_id.as_ref()),
            "persistenceProfileId": value_or_nil(self.persistence_profile_id.as_ref()),
            "fallbackPersistenceProfileId": value_or_nil(self.fallback_persistence_profile_id.as_ref()),
            "optimizationProfile": value_or_nil(self.optimization_profile.as_ref()),
            "iruleId": value_or_nil(irules),
        })
    }
}

const KIND: &str = "virtual listener";

impl Client {
    /// One virtual listener, or `None` when it does not exist.
    pub async fn get_virtual_listener(&self, id: &str) -> Result<Option<VirtualListener>> {
        self.get_one(
            "GET networkDomainVip/virtualListener/{id}",
            &[VIP_AREA, "virtualListener", id],
        )
        .await
    }

    /// Every virtual listener of a network domain.
    pub async fn list_virtual_listeners(
        &self,
        network_domain_id: &str,
    ) -> Result<Vec<VirtualListener>> {
        self.list_all(
            "GET networkDomainVip/virtualListener",
            &[VIP_AREA, "virtualListener"],
            &[("networkDomainId", network_domain_id)],
            "virtualListener",
        )
        .await
    }

    /// The virtual listener of a network domain named `name`, if there is one.
    pub async fn find_virtual_listener(
        &self,
        network_domain_id: &str,
        name: &str,
    ) -> Result<Option<VirtualListener>> {
        let found: Vec<VirtualListener> = self
            .list_all(
                "GET networkDomainVip/virtualListener",
                &[VIP_AREA, "virtualListener"],
                &[("networkDomainId", network_domain_id), ("name", name)],
                "virtualListener",
            )
            .await?
            .into_iter()
            .filter(|l: &VirtualListener| l.name == name && !l.state.is_leaving())
            .collect();
        at_most_one(KIND, found, || {
            format!("name {name:?} in network domain {network_domain_id}")
        })
    }

    /// Creates a virtual listener and returns it.
    ///
    /// Call it only when the domain has no listener of that name
    /// ([`Client::find_virtual_listener`]): when the request gets no answer, the listener found
    /// under that name is taken as this one.
    pub async fn create_virtual_listener(
        &self,
        request: &CreateVirtualListener,
        wait: &WaitOptions,
    ) -> Result<VirtualListener> {
        const OP: &str = "CREATE_VIRTUAL_LISTENER";
        let deadline = wait.start();
        let acted = self
            .act(
                OP,
                &[VIP_AREA, "createVirtualListener"],
                request,
                &deadline,
                || async {
                    Ok(self
                        .find_virtual_listener(&request.network_domain_id, &request.name)
                        .await?
                        .map(|l| l.id))
                },
            )
            .await?;
        let id = match acted {
            Acted::Answered(envelope) => created_id(OP, &envelope, "virtualListenerId")?,
            Acted::Observed(id) => id,
        };
        self.poll(&deadline, OP, KIND, &id)
            .until_normal(|_| true, || self.get_virtual_listener(&id))
            .await
    }

    /// Replaces what an edit can change on listener `id`, and returns the listener once it
    /// holds it.
    pub async fn edit_virtual_listener(
        &self,
        id: &str,
        content: &EditVirtualListener,
        wait: &WaitOptions,
    ) -> Result<VirtualListener> {
        const OP: &str = "EDIT_VIRTUAL_LISTENER";
        let deadline = wait.start();
        let holds = |l: &VirtualListener| l.editable() == *content;
        self.act(
            OP,
            &[VIP_AREA, "editVirtualListener"],
            &content.body(id),
            &deadline,
            || async {
                Ok(self
                    .get_virtual_listener(id)
                    .await?
                    .filter(holds)
                    .map(|_| ()))
            },
        )
        .await?;
        self.poll(&deadline, OP, KIND, id)
            .until_normal(holds, || self.get_virtual_listener(id))
            .await
    }

    /// The virtual listener once no operation is running on it, or `None` when it does not
    /// exist; one in a failed state is an error naming it.
    pub async fn settled_virtual_listener(
        &self,
        id: &str,
        wait: &WaitOptions,
    ) -> Result<Option<VirtualListener>> {
        self.settled_asset("WAIT_FOR_VIRTUAL_LISTENER", KIND, id, wait, || {
            self.get_virtual_listener(id)
        })
        .await
    }

    /// Deletes a virtual listener (one already gone is fine); its address is free again.
    pub async fn delete_virtual_listener(&self, id: &str, wait: &WaitOptions) -> Result<()> {
        let deadline = wait.start();
        self.delete_asset(
            "DELETE_VIRTUAL_LISTENER",
            KIND,
            &[VIP_AREA, "deleteVirtualListener"],
            id,
            &deadline,
            || self.get_virtual_listener(id),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listener() -> VirtualListener {
        // The keys and value types of the recorded virtualListener documents (GO test, JC).
        serde_json::from_value(json!({
            "id": "vl-1", "datacenterId": "NA9", "networkDomainId": "nd-1", "name": "web",
            "description": "", "state": "NORMAL", "type": "STANDARD", "protocol": "TCP",
            "listenerIpAddress": "168.128.4.18", "listenerIpAddressability": "PUBLIC_IP_BLOCK",
            "port": 8080, "enabled": true, "connectionLimit": 20000, "connectionRateLimit": 2000,
            "sourcePortPreservation": "PRESERVE",
            "pool": {"id": "p-1", "name": "web", "loadBalanceMethod": "ROUND_ROBIN",
                     "serviceDownAction": "NONE", "slowRampTime": 10, "healthMonitor": []},
            "persistenceProfile": {"id": "pp-1", "name": "CCDEFAULT.SourceAddress"},
            "optimizationProfile": "TCP",
            "irule": [{"id": "ir-1", "name": "CCDEFAULT.Ips"}],
            "createTime": "2024-03-04T05:06:07.000Z"
        }))
        .unwrap()
    }

    #[test]
    fn parses_a_listener_and_reports_what_an_edit_can_change() {
        let l = listener();
        assert_eq!(l.listener_type, ListenerType::Standard);
        assert_eq!(l.port, Some(8080));
        let edit = l.editable();
        assert_eq!(edit.pool_id.as_deref(), Some("p-1"));
        assert_eq!(edit.persistence_profile_id.as_deref(), Some("pp-1"));
        assert_eq!(edit.irule_ids, ["ir-1"]);
        assert_eq!(edit.fallback_persistence_profile_id, None);
    }

    #[test]
    fn unknown_enumeration_values_are_kept() {
        let p: ListenerProtocol = serde_json::from_str("\"QUIC\"").unwrap();
        assert_eq!(p, ListenerProtocol::Other("QUIC".into()));
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"QUIC\"");
        assert!(ListenerType::KNOWN.contains(&"PERFORMANCE_LAYER_4"));
    }

    #[test]
    fn protocol_rules_per_type() {
        let standard = ListenerType::Standard;
        assert!(standard.protocols().contains(&ListenerProtocol::Smtp));
        assert!(!ListenerType::PerformanceLayer4
            .protocols()
            .contains(&ListenerProtocol::Ftp));
        assert!(standard.needs_optimization_profile(&ListenerProtocol::Http));
        assert!(!standard.needs_optimization_profile(&ListenerProtocol::Udp));
        assert!(!ListenerType::PerformanceLayer4.needs_optimization_profile(&ListenerProtocol::Tcp));
    }

    #[test]
    fn create_omits_what_is_unset() {
        let request = CreateVirtualListener {
            network_domain_id: "nd-1".into(),
            name: "web".into(),
            description: None,
            listener_type: ListenerType::PerformanceLayer4,
            protocol: ListenerProtocol::Tcp,
            listener_ip_address: None,
            port: None,
            enabled: true,
            connection_limit: 20000,
            connection_rate_limit: 2000,
            source_port_preservation: SourcePortPreservation::Preserve,
            pool_id: None,
            client_clone_pool_id: None,
            persistence_profile_id: None,
            fallback_persistence_profile_id: None,
            optimization_profile: None,
            irule_ids: vec!["ir-1".into()],
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({"networkDomainId": "nd-1", "name": "web", "type": "PERFORMANCE_LAYER_4",
                   "protocol": "TCP", "enabled": true, "connectionLimit": 20000,
                   "connectionRateLimit": 2000, "sourcePortPreservation": "PRESERVE",
                   "iruleId": ["ir-1"]})
        );
    }

    #[test]
    fn an_edit_sends_everything_and_clears_what_is_unset() {
        let mut edit = listener().editable();
        edit.pool_id = None;
        edit.irule_ids.clear();
        let body = edit.body("vl-1");
        assert_eq!(body["poolId"], json!({"nil": true}));
        assert_eq!(body["iruleId"], json!({"nil": true}));
        assert_eq!(body["description"], json!({"nil": true}));
        assert_eq!(body["persistenceProfileId"], "pp-1");
        assert_eq!(body["sourcePortPreservation"], "PRESERVE");
        assert_eq!(body["connectionLimit"], 20000);
    }
}
