//! The server's typed model: what the configuration, plan and state say, read and written
//! through the schema's attribute names in one place.

use std::sync::LazyLock;

use cloudcontrol::Server;
use serde::{Deserialize, Serialize};
use tfplugin::model::{from_value, null_as_empty, write_into, ModelError};
use tfplugin::{Type, Value};

use super::cpu::{Compute, ComputeSettings};
use super::disks::ServerDisk;

/// The resource's value type, for writing models into state.
pub static SERVER_TYPE: LazyLock<Type> =
    LazyLock::new(|| super::schema::server_schema().block.implied_type());

/// A `cloudcontrol_server` as Terraform sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerModel {
    /// Computed: the server's id.
    pub id: Option<String>,
    pub name: String,
    pub description: String,
    pub network_domain_id: String,
    pub image_id: String,
    /// Write-only: used at deployment and never reported back, so state keeps what it had.
    #[serde(skip_serializing)]
    pub admin_password: Option<String>,
    /// `cpu_count`, `cores_per_socket`, `cpu_speed` and `memory_gb`.
    #[serde(flatten)]
    pub compute: ComputeSettings,
    pub started: bool,
    pub allow_reboot: bool,
    pub monitoring_plan: Option<String>,
    pub datacenter: Option<String>,
    pub primary_ipv4: Option<String>,
    pub primary_ipv6: Option<String>,
    pub primary_nic: Nic,
    /// The disks the configuration declares (image disks it resizes, disks it adds).
    #[serde(deserialize_with = "null_as_empty")]
    pub disk: Vec<DeclaredDisk>,
    /// Computed: every disk the server has.
    pub all_disks: Option<Vec<ServerDisk>>,
}

/// The `primary_nic` block.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Nic {
    pub vlan_id: Option<String>,
    pub private_ipv4: Option<String>,
}

/// A `disk` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredDisk {
    pub scsi_id: u8,
    pub size_gb: u32,
    pub speed: String,
}

/// What a refresh keeps from the prior state: the API reports neither the reboot permission
/// nor which disks the configuration declared. An imported state has only the id (and maybe
/// `allow_reboot`), so everything here may be missing.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Remembered {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub image_id: Option<String>,
    #[serde(default)]
    pub allow_reboot: Option<bool>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub disk: Vec<DeclaredDisk>,
    #[serde(default)]
    pub all_disks: Option<Vec<ServerDisk>>,
}

impl ServerModel {
    /// Reads a plan or state that has every required attribute.
    pub fn read(value: &Value) -> Result<ServerModel, ModelError> {
        from_value(value)
    }

    /// The model of `server` as the API reports it, with what the API cannot report taken
    /// from `remembered`; `declared` are the configuration's disk blocks and `disks` every
    /// disk with its origin.
    pub fn of_server(
        server: &Server,
        remembered: &Remembered,
        declared: Vec<DeclaredDisk>,
        disks: Vec<ServerDisk>,
    ) -> ServerModel {
        let nic = &server.network_info.primary_nic;
        let non_empty = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_owned);
        ServerModel {
            id: Some(server.id.clone()),
            name: server.name.clone(),
            description: server.description.clone(),
            network_domain_id: server.network_info.network_domain_id.clone(),
            // Some API versions do not say which image a server came from.
            image_id: server
                .image_id()
                .map(str::to_owned)
                .or_else(|| remembered.image_id.clone())
                .unwrap_or_default(),
            admin_password: None,
            compute: Compute::of_server(server).settings(),
            started: server.started,
            allow_reboot: remembered.allow_reboot.unwrap_or(false),
            monitoring_plan: non_empty(server.monitoring_plan()),
            datacenter: Some(server.datacenter_id.clone()),
            primary_ipv4: non_empty(nic.private_ipv4.as_deref()),
            primary_ipv6: non_empty(nic.ipv6.as_deref()),
            primary_nic: Nic {
                vlan_id: non_empty(nic.vlan_id.as_deref()),
                private_ipv4: non_empty(nic.private_ipv4.as_deref()),
            },
            disk: declared,
            all_disks: Some(disks),
        }
    }

    /// This model written over `base` (which keeps the password and timeouts).
    pub fn to_state(&self, base: &Value) -> Value {
        let mut state = base.clone();
        // The model's fields are the schema's attributes: a mismatch is a provider bug that
        // the unit tests catch.
        write_into(self, &mut state, &SERVER_TYPE)
            .unwrap_or_else(|e| panic!("the server model does not fit its schema: {e}"));
        state
    }
}

impl Remembered {
    /// What `value` (a prior or imported state) says; nothing when it cannot be read.
    pub fn of(value: &Value) -> Remembered {
        from_value(value).unwrap_or_default()
    }
}

/// The server's CPU speed class; an API that leaves it out means the standard class.
pub fn cpu_speed_of(server: &Server) -> String {
    if server.cpu.speed.is_empty() {
        "STANDARD".into()
    } else {
        server.cpu.speed.to_ascii_uppercase()
    }
}
