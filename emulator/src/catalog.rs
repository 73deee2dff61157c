//! The fixed catalogue: MCP 2.0 and MCP 1.0 datacenters (with limits, disk speeds and CPU speeds)
//! and OS images (with their CPU shape, memory and OS disk).
//!
//! Image, controller and disk ids are UUIDv5 values derived from the datacenter and image key, so
//! they are stable across restarts and across emulator instances.

use crate::clock;
use serde_json::{json, Value};
use uuid::Uuid;

/// Sizing limits of a datacenter (the NA9 hypervisor properties).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Smallest disk in GB.
    pub min_disk_gb: u32,
    /// Largest disk in GB.
    pub max_disk_gb: u32,
    /// Largest sum of additional (non-OS) disks per server in GB.
    pub max_total_additional_storage_gb: u32,
    /// Most CPUs per server.
    pub max_cpu_count: u32,
    /// Least memory in GB.
    pub min_memory_gb: u32,
    /// Most memory in GB.
    pub max_memory_gb: u32,
}

/// The limits every emulated MCP 2.0 datacenter uses.
pub const LIMITS: Limits = Limits {
    min_disk_gb: 10,
    max_disk_gb: 1000,
    max_total_additional_storage_gb: 14_000,
    max_cpu_count: 32,
    min_memory_gb: 1,
    max_memory_gb: 256,
};

/// The limits of the MCP 1.0 datacenters NA3 and NA5, as recorded (jclouds `datacenters-page1`
/// and libcloud `infrastructure_datacenter.xml`: 16 CPUs, 128 GB, 10 000 GB additional storage).
pub const MCP1_LIMITS: Limits = Limits {
    max_total_additional_storage_gb: 10_000,
    max_cpu_count: 16,
    max_memory_gb: 128,
    ..LIMITS
};

/// The limits of NA1, the smallest recorded MCP 1.0 datacenter (8 CPUs, 64 GB).
pub const NA1_LIMITS: Limits = Limits {
    max_cpu_count: 8,
    max_memory_gb: 64,
    ..MCP1_LIMITS
};

/// One datacenter (MCP 2.0, or MCP 1.0 when [`Datacenter::mcp1`] is set).
#[derive(Debug, Clone, Copy)]
pub struct Datacenter {
    /// Id such as `NA9`.
    pub id: &'static str,
    /// Geographic region (the scope of the ND/VLAN deploy lock).
    pub region: &'static str,
    /// Display name.
    pub display_name: &'static str,
    /// City.
    pub city: &'static str,
    /// State or province.
    pub state: &'static str,
    /// ISO country code.
    pub country: &'static str,
    /// Whether the PROVISIONEDIOPS disk speed is offered.
    pub provisioned_iops: bool,
    /// Whether the HIGHPERFORMANCE CPU speed is offered (STANDARD always is). Every public MCP 2.0
    /// location offers it, so every catalogue datacenter does; the field exists so that the
    /// datacenter's `hypervisor.cpuSpeed` list and the deploy/reconfigure check share one source.
    pub high_performance_cpu: bool,
    /// An MCP 1.0 location: networks (`networkWithLocation`) instead of network domains and
    /// VLANs, STANDARD CPU speed only (see [`crate::resources::mcp1_network`]).
    pub mcp1: bool,
    /// Whether HIGHPERFORMANCE and ECONOMY disks are offered (NA1 offers STANDARD only).
    pub tiered_disks: bool,
    /// Sizing limits.
    pub limits: Limits,
}

/// All emulated datacenters (MCP 2.0 ids of the real regions).
///
/// CPU speeds: the CloudControl documentation ("Overview of CPU Speeds") says STANDARD is offered
/// everywhere, HIGHPERFORMANCE "in all Public MCP 2.0 locations" and MCP 1.0 locations offer only
/// STANDARD. All of these are public MCP 2.0 locations, so all of them offer both.
pub const DATACENTERS: &[Datacenter] = &[
    dc(
        "NA9",
        "NA",
        "US - East 3 - MCP 2.0",
        "Ashburn",
        "Virginia",
        "US",
        true,
    ),
    dc(
        "NA12",
        "NA",
        "US - West - MCP 2.0",
        "Santa Clara",
        "California",
        "US",
        false,
    ),
    dc(
        "EU6",
        "EU",
        "Europe (Germany) - MCP 2.0",
        "Frankfurt",
        "Hesse",
        "DE",
        true,
    ),
    dc(
        "EU7",
        "EU",
        "Europe (Netherlands) - MCP 2.0",
        "Amsterdam",
        "North Holland",
        "NL",
        false,
    ),
    dc(
        "EU8",
        "EU",
        "Europe (UK) - MCP 2.0",
        "London",
        "Greater London",
        "GB",
        false,
    ),
    dc(
        "AU9",
        "AU",
        "Australia - Sydney - MCP 2.0",
        "Sydney",
        "New South Wales",
        "AU",
        false,
    ),
    dc(
        "AU10",
        "AU",
        "Australia - Melbourne - MCP 2.0",
        "Melbourne",
        "Victoria",
        "AU",
        true,
    ),
    dc(
        "AU11",
        "AU",
        "New Zealand - Hamilton - MCP 2.0",
        "Hamilton",
        "Waikato",
        "NZ",
        false,
    ),
    dc(
        "AF3",
        "AF",
        "Africa - Johannesburg - MCP 2.0",
        "Johannesburg",
        "Gauteng",
        "ZA",
        false,
    ),
    dc(
        "AP4",
        "AP",
        "Asia Pacific - Tokyo - MCP 2.0",
        "Tokyo",
        "Tokyo",
        "JP",
        false,
    ),
    dc(
        "AP5",
        "AP",
        "Asia Pacific - Hong Kong - MCP 2.0",
        "Hong Kong",
        "Hong Kong",
        "HK",
        false,
    ),
    dc(
        "CA2",
        "CA",
        "Canada - Toronto - MCP 2.0",
        "Toronto",
        "Ontario",
        "CA",
        false,
    ),
    // MCP 1.0 locations, as the recorded datacenter lists show them (after the MCP 2.0 ones, so
    // that the address pools carved by catalogue index stay where they were).
    Datacenter {
        tiered_disks: false,
        limits: NA1_LIMITS,
        ..mcp1("NA1", "US - East", "Ashburn", "Virginia")
    },
    mcp1("NA3", "US - West", "Santa Clara", "California"),
    mcp1("NA5", "US - East 2", "Ashburn", "Virginia"),
];

/// An MCP 1.0 datacenter of the NA region: STANDARD CPU speed only (the CloudControl
/// documentation: HIGHPERFORMANCE is offered in MCP 2.0 locations), no PROVISIONEDIOPS.
const fn mcp1(
    id: &'static str,
    display_name: &'static str,
    city: &'static str,
    state: &'static str,
) -> Datacenter {
    Datacenter {
        mcp1: true,
        high_performance_cpu: false,
        limits: MCP1_LIMITS,
        ..dc(id, "NA", display_name, city, state, "US", false)
    }
}

const fn dc(
    id: &'static str,
    region: &'static str,
    display_name: &'static str,
    city: &'static str,
    state: &'static str,
    country: &'static str,
    provisioned_iops: bool,
) -> Datacenter {
    Datacenter {
        id,
        region,
        display_name,
        city,
        state,
        country,
        provisioned_iops,
        high_performance_cpu: true,
        mcp1: false,
        tiered_disks: true,
        limits: LIMITS,
    }
}

/// Looks a datacenter up by id (case-sensitive, as the API is).
pub fn datacenter(id: &str) -> Option<&'static Datacenter> {
    DATACENTERS.iter().find(|d| d.id == id)
}

/// Index of a datacenter in the catalogue (used to carve address pools).
pub fn datacenter_index(id: &str) -> u8 {
    DATACENTERS.iter().position(|d| d.id == id).unwrap_or(0) as u8
}

/// Disk speeds: (id, display name, abbreviation, description).
const DISK_SPEEDS: &[(&str, &str, &str, &str)] = &[
    ("STANDARD", "Standard", "STD", "Standard disk speed"),
    (
        "HIGHPERFORMANCE",
        "High Performance",
        "HPF",
        "Faster than Standard, uses SSD",
    ),
    (
        "ECONOMY",
        "Economy",
        "ECO",
        "Slower than Standard, for low-I/O workloads",
    ),
    (
        "PROVISIONEDIOPS",
        "Provisioned IOPS",
        "PIO",
        "Guaranteed IOPS per disk",
    ),
];

/// CPU speeds: (id, display name, description). STANDARD is the default.
const CPU_SPEEDS: &[(&str, &str, &str)] = &[
    ("STANDARD", "Standard", "Standard CPU speed"),
    (
        "HIGHPERFORMANCE",
        "High Performance",
        "More consistent vCPU performance and a higher burst ceiling",
    ),
];

impl Datacenter {
    /// Whether `speed` is an available CPU speed here (listed in `hypervisor.cpuSpeed` with
    /// `available: true`).
    pub fn cpu_speed_available(&self, speed: &str) -> bool {
        match speed {
            "STANDARD" => true,
            "HIGHPERFORMANCE" => self.high_performance_cpu,
            _ => false,
        }
    }

    /// The CPU speeds available here, in catalogue order (for error messages).
    pub fn available_cpu_speeds(&self) -> Vec<&'static str> {
        CPU_SPEEDS
            .iter()
            .map(|(id, _, _)| *id)
            .filter(|id| self.cpu_speed_available(id))
            .collect()
    }

    /// Whether `speed` is an available disk speed here.
    pub fn disk_speed_available(&self, speed: &str) -> bool {
        match speed {
            "STANDARD" => true,
            "HIGHPERFORMANCE" | "ECONOMY" => self.tiered_disks,
            "PROVISIONEDIOPS" => self.provisioned_iops,
            _ => false,
        }
    }

    /// The datacenter in the API's JSON shape.
    pub fn to_json(&self) -> Value {
        let lower = self.id.to_ascii_lowercase();
        let disk_speeds: Vec<Value> = DISK_SPEEDS
            .iter()
            .map(|(id, name, abbr, desc)| {
                json!({"id": id, "displayName": name, "abbreviation": abbr, "description": desc,
                       "available": self.disk_speed_available(id), "default": *id == "STANDARD"})
            })
            .collect();
        let cpu_speeds: Vec<Value> = CPU_SPEEDS
            .iter()
            .map(|(id, name, desc)| {
                json!({"id": id, "displayName": name, "description": desc,
                       "available": self.cpu_speed_available(id), "default": *id == "STANDARD"})
            })
            .collect();
        let prop = |name: &str, value: String| json!({"name": name, "value": value});
        let limits = self.limits;
        // MCP 1.0 networking is type "1" with one property (the recorded NA1/NA3/NA5).
        let (kind, networking_type, networking_properties) = if self.mcp1 {
            (
                "MCP 1.0",
                "1",
                vec![prop("MAX_SERVER_TO_VIP_CONNECTIONS", "20".into())],
            )
        } else {
            (
                "MCP 2.0",
                "2",
                vec![
                    prop("MAX_SERVER_TO_VIP_CONNECTIONS", "20".into()),
                    prop("VIP_HEALTH_MONITORS", "true".into()),
                ],
            )
        };
        json!({
            "id": self.id,
            "type": kind,
            "displayName": self.display_name,
            "city": self.city,
            "state": self.state,
            "country": self.country,
            "vpnUrl": format!("https://{lower}.cloud-vpn.net"),
            "ftpsHost": format!("ftps-{lower}.cloud-vpn.net"),
            "networking": {
                "type": networking_type,
                "maintenanceStatus": "NORMAL",
                "property": networking_properties,
            },
            "hypervisor": {
                "type": "VMWARE",
                "maintenanceStatus": "NORMAL",
                "diskSpeed": disk_speeds,
                "cpuSpeed": cpu_speeds,
                "property": [
                    prop("MIN_DISK_SIZE_GB", limits.min_disk_gb.to_string()),
                    prop("MAX_DISK_SIZE_GB", limits.max_disk_gb.to_string()),
                    prop("MAX_TOTAL_ADDITIONAL_STORAGE_GB", limits.max_total_additional_storage_gb.to_string()),
                    prop("MAX_TOTAL_IMAGE_STORAGE_GB", "2600".into()),
                    prop("MAX_CPU_COUNT", limits.max_cpu_count.to_string()),
                    prop("MIN_MEMORY_GB", limits.min_memory_gb.to_string()),
                    prop("MAX_MEMORY_GB", limits.max_memory_gb.to_string()),
                    prop("VMWARE_HARDWARE_VERSION", "vmx-13".into()),
                ],
            },
            "backup": {"type": "COMMVAULT", "maintenanceStatus": "NORMAL", "property": []},
            "consoleAccess": {"maintenanceStatus": "NORMAL", "property": []},
            "monitoring": {"maintenanceStatus": "NORMAL", "property": []},
        })
    }
}

/// One OS image template (the same set is offered in every datacenter).
#[derive(Debug, Clone, Copy)]
pub struct ImageTemplate {
    /// Catalogue name, e.g. `CentOS 7 64-bit 2 CPU`.
    pub name: &'static str,
    /// Description.
    pub description: &'static str,
    /// Image key, e.g. `T-CENT-7-64-2-4-10`.
    pub key: &'static str,
    /// Guest OS id, e.g. `CENTOS764`.
    pub os_id: &'static str,
    /// Guest OS display name, e.g. `CENTOS7/64`.
    pub os_display: &'static str,
    /// `UNIX` or `WINDOWS`.
    pub family: &'static str,
    /// OS units group, e.g. `CENTOS`.
    pub units_group: &'static str,
    /// CPU count.
    pub cpu: u32,
    /// Cores per socket (divides `cpu`).
    pub cores_per_socket: u32,
    /// CPU speed, e.g. `STANDARD` (offered in every datacenter).
    pub cpu_speed: &'static str,
    /// Memory in GB.
    pub memory_gb: u32,
    /// OS disk size in GB.
    pub disk_gb: u32,
    /// Sort order in the catalogue.
    pub sort_order: u32,
    /// Licensed software the image carries (`softwareLabel[]`, e.g. `MSSQL2012S`); servers
    /// deployed from the image report the same labels.
    pub software_labels: &'static [&'static str],
}

impl ImageTemplate {
    /// The same template with licensed software installed (its `softwareLabel[]`).
    const fn licensed(self, software_labels: &'static [&'static str]) -> Self {
        ImageTemplate {
            software_labels,
            ..self
        }
    }
}

#[allow(clippy::too_many_arguments)] // a table row constructor: one argument per column
const fn img(
    name: &'static str,
    description: &'static str,
    key: &'static str,
    os: (&'static str, &'static str, &'static str, &'static str),
    cpu: (u32, u32, &'static str),
    memory_gb: u32,
    disk_gb: u32,
    sort_order: u32,
) -> ImageTemplate {
    ImageTemplate {
        name,
        description,
        key,
        os_id: os.0,
        os_display: os.1,
        family: os.2,
        units_group: os.3,
        cpu: cpu.0,
        cores_per_socket: cpu.1,
        cpu_speed: cpu.2,
        memory_gb,
        disk_gb,
        sort_order,
        software_labels: &[],
    }
}

/// The OS image catalogue. A row's CPU is (count, cores per socket, speed).
pub const IMAGES: &[ImageTemplate] = &[
    img(
        "CentOS 7 64-bit 2 CPU",
        "CentOS Release 7.9 64-bit",
        "T-CENT-7-64-2-4-10",
        ("CENTOS764", "CENTOS7/64", "UNIX", "CENTOS"),
        (2, 1, "STANDARD"),
        4,
        10,
        10,
    ),
    img(
        "RedHat 7 64-bit 2 CPU",
        "RedHat 7.9 Enterprise (Maipo) 64-bit",
        "T-RHEL-7-64-2-4-10",
        ("REDHAT764", "REDHAT7/64", "UNIX", "REDHAT"),
        (2, 1, "STANDARD"),
        4,
        10,
        20,
    ),
    img(
        "RedHat 8 64-bit 4 CPU",
        "RedHat 8.10 Enterprise (Ootpa) 64-bit",
        "T-RHEL-8-64-4-8-10",
        ("REDHAT864", "REDHAT8/64", "UNIX", "REDHAT"),
        (4, 2, "STANDARD"),
        8,
        10,
        21,
    ),
    img(
        "Rocky Linux 8 64-bit 2 CPU",
        "Rocky Linux 8.10 64-bit",
        "T-ROCK-8-64-2-4-10",
        ("ROCKY864", "ROCKY8/64", "UNIX", "ROCKY"),
        (2, 1, "STANDARD"),
        4,
        10,
        30,
    ),
    img(
        "Rocky Linux 9 64-bit 2 CPU",
        "Rocky Linux 9.4 64-bit",
        "T-ROCK-9-64-2-4-10",
        ("ROCKY964", "ROCKY9/64", "UNIX", "ROCKY"),
        (2, 1, "STANDARD"),
        4,
        10,
        31,
    ),
    img(
        "AlmaLinux 8 64-bit 2 CPU",
        "AlmaLinux 8.10 64-bit",
        "T-ALMA-8-64-2-4-10",
        ("ALMALINUX864", "ALMALINUX8/64", "UNIX", "ALMALINUX"),
        (2, 1, "STANDARD"),
        4,
        10,
        40,
    ),
    img(
        "AlmaLinux 9 64-bit 2 CPU",
        "AlmaLinux 9.4 64-bit",
        "T-ALMA-9-64-2-4-10",
        ("ALMALINUX964", "ALMALINUX9/64", "UNIX", "ALMALINUX"),
        (2, 1, "STANDARD"),
        4,
        10,
        41,
    ),
    img(
        "Ubuntu 22.04 64-bit 2 CPU",
        "Ubuntu 22.04 LTS (Jammy Jellyfish) 64-bit",
        "T-UBUN-22-64-2-4-10",
        ("UBUNTU2264", "UBUNTU22/64", "UNIX", "UBUNTU"),
        (2, 1, "STANDARD"),
        4,
        10,
        50,
    ),
    img(
        "Ubuntu 24.04 64-bit 2 CPU",
        "Ubuntu 24.04 LTS (Noble Numbat) 64-bit",
        "T-UBUN-24-64-2-4-10",
        ("UBUNTU2464", "UBUNTU24/64", "UNIX", "UBUNTU"),
        (2, 1, "STANDARD"),
        4,
        10,
        51,
    ),
    img(
        "Win2019 DC 64-bit 2 CPU",
        "Windows 2019 Datacenter 64-bit",
        "T-WIN-2019-DC-64-2-8-50",
        ("WIN2019DC/64", "WIN2019DC/64", "WINDOWS", "WINDOWS"),
        (2, 1, "STANDARD"),
        8,
        50,
        60,
    ),
    // A licensed image: the real catalogue offers Windows with SQL Server preinstalled, labelled
    // `MSSQL<version><edition>` (recorded: MSSQL2008R2S, MSSQL2008R2E, MSSQL2012S).
    img(
        "Win2019 DC 64-bit 4 CPU SQL 2019 Std",
        "Windows 2019 Datacenter 64-bit installed with Microsoft SQL Server 2019 Standard Edition",
        "T-WIN-2019-DC-64-4-16-100-MSSQL2019S",
        ("WIN2019DC/64", "WIN2019DC/64", "WINDOWS", "WINDOWS"),
        (4, 1, "STANDARD"),
        16,
        100,
        61,
    )
    .licensed(&["MSSQL2019S"]),
];

/// A concrete OS image: a template offered in one datacenter.
#[derive(Debug, Clone, Copy)]
pub struct OsImage {
    /// The template.
    pub template: &'static ImageTemplate,
    /// The datacenter.
    pub datacenter: &'static Datacenter,
}

fn stable_id(parts: &[&str]) -> String {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, parts.join("/").as_bytes()).to_string()
}

/// The id (and name) of a datacenter's first VMware cluster, `<datacenterId>-01` (the real
/// naming); new images and servers go there unless a request names another cluster.
pub fn cluster_id(datacenter_id: &str) -> String {
    format!("{datacenter_id}-01")
}

/// Every VMware cluster of a datacenter: each emulated datacenter has two, `<id>-01` and
/// `<id>-02`, like the recorded datacenter whose images sit in `…-01` and `…-02` (jclouds'
/// customer image list), so that images can be moved between clusters.
pub fn cluster_ids(datacenter_id: &str) -> Vec<String> {
    ["01", "02"]
        .iter()
        .map(|n| format!("{datacenter_id}-{n}"))
        .collect()
}

/// Fixed creation time of the catalogue images.
const CATALOGUE_TIME_MS: u64 = 1_577_836_800_000;

impl OsImage {
    /// Stable image id.
    pub fn id(&self) -> String {
        stable_id(&["osImage", self.datacenter.id, self.template.key])
    }

    /// Stable id of the image's SCSI controller.
    pub fn controller_id(&self) -> String {
        stable_id(&["osImage", self.datacenter.id, self.template.key, "scsi0"])
    }

    /// Stable id of the image's OS disk.
    pub fn disk_id(&self) -> String {
        stable_id(&["osImage", self.datacenter.id, self.template.key, "disk0"])
    }

    /// The VMware cluster the image lives in: the datacenter's first (`NA9-01`, the real naming
    /// `<datacenterId>-01`).
    pub fn cluster_id(&self) -> String {
        cluster_id(self.datacenter.id)
    }

    /// The image in the API's current JSON shape (see [`crate::versions`] for older ones).
    pub fn to_json(&self) -> Value {
        let t = self.template;
        json!({
            "name": t.name,
            "description": t.description,
            "cpu": {"count": t.cpu, "speed": t.cpu_speed, "coresPerSocket": t.cores_per_socket},
            "memoryGb": t.memory_gb,
            "scsiController": [{
                "id": self.controller_id(),
                "adapterType": "LSI_LOGIC_PARALLEL",
                "key": 1000,
                "busNumber": 0,
                "disk": [{"id": self.disk_id(), "scsiId": 0, "sizeGb": t.disk_gb, "speed": "STANDARD"}],
            }],
            "sataController": [],
            "floppy": [],
            // Servers deployed from the image get its NIC's adapter by default.
            "nic": [{"networkAdapter": "VMXNET3", "key": 4000}],
            "cluster": {"id": self.cluster_id(), "name": self.cluster_id()},
            "softwareLabel": t.software_labels,
            "createTime": clock::iso8601(CATALOGUE_TIME_MS),
            "id": self.id(),
            "datacenterId": self.datacenter.id,
            "osImageKey": t.key,
            "sortOrder": t.sort_order,
            "guest": {
                "operatingSystem": {"id": t.os_id, "displayName": t.os_display, "family": t.family},
                "osCustomization": true,
            },
        })
    }
}

/// Every image in every datacenter, in catalogue order.
pub fn all_images() -> impl Iterator<Item = OsImage> {
    DATACENTERS.iter().flat_map(|d| {
        IMAGES.iter().map(move |t| OsImage {
            template: t,
            datacenter: d,
        })
    })
}

/// Looks an image up by id.
pub fn image(id: &str) -> Option<OsImage> {
    all_images().find(|i| i.id() == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_ids_are_stable_and_unique() {
        let ids: std::collections::BTreeSet<String> = all_images().map(|i| i.id()).collect();
        assert_eq!(ids.len(), DATACENTERS.len() * IMAGES.len());
        let first = all_images().next().unwrap();
        assert_eq!(
            image(&first.id()).unwrap().template.name,
            first.template.name
        );
    }

    #[test]
    fn disk_speeds_follow_the_datacenter() {
        assert!(datacenter("NA9")
            .unwrap()
            .disk_speed_available("PROVISIONEDIOPS"));
        assert!(!datacenter("NA12")
            .unwrap()
            .disk_speed_available("PROVISIONEDIOPS"));
        assert!(!datacenter("NA9").unwrap().disk_speed_available("FAST"));
    }

    /// A datacenter like NA12 but without the HIGHPERFORMANCE CPU speed (an MCP 1.0-like offer).
    const STANDARD_CPU_ONLY: Datacenter = Datacenter {
        high_performance_cpu: false,
        ..dc(
            "XX1",
            "NA",
            "Test - Standard CPU only",
            "Nowhere",
            "-",
            "US",
            false,
        )
    };

    #[test]
    fn mcp1_locations_offer_what_the_recordings_show() {
        let ids: Vec<&str> = DATACENTERS
            .iter()
            .filter(|d| d.mcp1)
            .map(|d| d.id)
            .collect();
        assert_eq!(ids, ["NA1", "NA3", "NA5"]);
        let na1 = datacenter("NA1").unwrap();
        let v = na1.to_json();
        assert_eq!(v["type"], "MCP 1.0");
        assert_eq!(v["displayName"], "US - East");
        assert_eq!(v["networking"]["type"], "1");
        assert_eq!(na1.available_cpu_speeds(), ["STANDARD"]);
        assert!(na1.disk_speed_available("STANDARD"));
        assert!(!na1.disk_speed_available("ECONOMY"));
        let max_cpu = v["hypervisor"]["property"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "MAX_CPU_COUNT")
            .unwrap()["value"]
            .clone();
        assert_eq!(max_cpu, "8");
        let na3 = datacenter("NA3").unwrap();
        assert!(na3.disk_speed_available("HIGHPERFORMANCE"));
        assert!(!na3.disk_speed_available("PROVISIONEDIOPS"));
        assert_eq!(na3.limits.max_memory_gb, 128);
        assert_eq!(datacenter_index("NA9"), 0, "MCP 2.0 indices unchanged");
    }

    #[test]
    fn cpu_speeds_follow_the_datacenter() {
        for d in DATACENTERS.iter().filter(|d| !d.mcp1) {
            assert_eq!(d.available_cpu_speeds(), ["STANDARD", "HIGHPERFORMANCE"]);
            let listed = d.to_json()["hypervisor"]["cpuSpeed"].clone();
            assert_eq!(listed[1]["id"], "HIGHPERFORMANCE");
            assert_eq!(listed[1]["available"], true);
        }
        let d = STANDARD_CPU_ONLY;
        assert!(d.cpu_speed_available("STANDARD"));
        assert!(!d.cpu_speed_available("HIGHPERFORMANCE"));
        assert!(!d.cpu_speed_available("TURBO"));
        assert_eq!(d.available_cpu_speeds(), ["STANDARD"]);
        let listed = d.to_json()["hypervisor"]["cpuSpeed"].clone();
        assert_eq!(
            listed,
            json!([
                {"id": "STANDARD", "displayName": "Standard", "description": "Standard CPU speed",
                 "available": true, "default": true},
                {"id": "HIGHPERFORMANCE", "displayName": "High Performance",
                 "description": "More consistent vCPU performance and a higher burst ceiling",
                 "available": false, "default": false},
            ])
        );
    }

    #[test]
    fn every_image_has_a_deployable_cpu_shape() {
        for t in IMAGES {
            assert!(
                (1..=LIMITS.max_cpu_count).contains(&t.cpu),
                "{}: cpu {}",
                t.name,
                t.cpu
            );
            assert!(
                t.cores_per_socket >= 1 && t.cpu.is_multiple_of(t.cores_per_socket),
                "{}: {} cores per socket do not divide {} CPUs",
                t.name,
                t.cores_per_socket,
                t.cpu
            );
            for d in DATACENTERS {
                assert!(d.cpu_speed_available(t.cpu_speed), "{} in {}", t.name, d.id);
            }
        }
    }

    #[test]
    fn image_json_carries_the_template_cpu_shape() {
        let find = |name: &str| {
            all_images()
                .find(|i| i.template.name == name && i.datacenter.id == "NA9")
                .unwrap()
                .to_json()
        };
        assert_eq!(
            find("RedHat 8 64-bit 4 CPU")["cpu"],
            json!({"count": 4, "speed": "STANDARD", "coresPerSocket": 2})
        );
        // Images other crates' tests use keep one core per socket.
        for name in [
            "CentOS 7 64-bit 2 CPU",
            "Rocky Linux 8 64-bit 2 CPU",
            "Rocky Linux 9 64-bit 2 CPU",
            "Ubuntu 22.04 64-bit 2 CPU",
            "Ubuntu 24.04 64-bit 2 CPU",
            "Win2019 DC 64-bit 2 CPU",
        ] {
            assert_eq!(
                find(name)["cpu"],
                json!({"count": 2, "speed": "STANDARD", "coresPerSocket": 1}),
                "{name}"
            );
        }
    }
}
