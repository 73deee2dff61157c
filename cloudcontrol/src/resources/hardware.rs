//! Virtual hardware shared by OS images and servers: CPU, disks, guest OS.

use crate::state::ResourceState;
use serde::{Deserialize, Serialize};

/// CPU configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cpu {
    /// Number of virtual CPUs.
    pub count: u32,
    /// CPU speed class (`STANDARD`, `HIGHPERFORMANCE`).
    #[serde(default)]
    pub speed: String,
    /// Cores per socket.
    #[serde(default = "one")]
    pub cores_per_socket: u32,
}

fn one() -> u32 {
    1
}

/// A virtual disk.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Disk {
    /// Disk id (used to expand, re-speed or remove it).
    pub id: String,
    /// SCSI unit id on its controller (0 is the OS disk; 7 is reserved).
    pub scsi_id: u8,
    /// Size in GB.
    pub size_gb: u32,
    /// Speed class (`STANDARD`, `HIGHPERFORMANCE`, `ECONOMY`, ...).
    #[serde(default)]
    pub speed: String,
    /// Provisioned IOPS, for speeds that have them.
    #[serde(default)]
    pub iops: Option<u32>,
    /// Lifecycle state (absent on images).
    #[serde(default)]
    pub state: Option<ResourceState>,
}

/// A SCSI controller and its disks (API 2.6 and later).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScsiController {
    /// Controller id.
    pub id: String,
    /// Adapter type (`LSI_LOGIC_PARALLEL`, ...).
    #[serde(default)]
    pub adapter_type: String,
    /// SCSI bus number.
    #[serde(default)]
    pub bus_number: u8,
    /// The controller's disks.
    #[serde(default)]
    pub disk: Vec<Disk>,
}

/// A disk together with the controller it hangs off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedDisk {
    /// The controller id (`None` in the flat pre-2.6 shape).
    pub controller_id: Option<String>,
    /// The controller's bus number.
    pub bus_number: u8,
    /// The disk.
    pub disk: Disk,
}

/// Flattens both disk layouts (per-controller and the older flat list) into one
/// list sorted by bus and SCSI id.
pub(crate) fn attached_disks(controllers: &[ScsiController], flat: &[Disk]) -> Vec<AttachedDisk> {
    let mut disks: Vec<AttachedDisk> = controllers
        .iter()
        .flat_map(|c| {
            c.disk.iter().map(|d| AttachedDisk {
                controller_id: Some(c.id.clone()),
                bus_number: c.bus_number,
                disk: d.clone(),
            })
        })
        .chain(flat.iter().map(|d| AttachedDisk {
            controller_id: None,
            bus_number: 0,
            disk: d.clone(),
        }))
        .collect();
    disks.sort_by_key(|d| (d.bus_number, d.disk.scsi_id));
    disks
}

/// A guest operating system.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperatingSystem {
    /// Id such as `CENTOS764`.
    #[serde(default)]
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// `UNIX`, `WINDOWS` or `OTHERUNIX`.
    #[serde(default)]
    pub family: String,
}

/// Guest information.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Guest {
    /// The operating system.
    #[serde(default)]
    pub operating_system: OperatingSystem,
    /// Whether the image supports guest customisation (admin password, DNS).
    #[serde(default)]
    pub os_customization: bool,
}
