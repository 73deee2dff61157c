//! Cloud servers (`server/server`): deploy, read, power, reconfigure, disks,
//! monitoring, NIC addresses, delete.

use super::hardware::{
    attached_disks, AttachedDisk, Cpu, Disk, Guest, OperatingSystem, ScsiController,
};
use super::{at_most_one, created_id, IdBody, TagValue};
use crate::client::{Acted, Client};
use crate::error::Result;
use crate::secret::Secret;
use crate::state::ResourceState;
use crate::wait::{Stateful, WaitOptions};
use serde::{Deserialize, Serialize};

/// A network interface of a server.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Nic {
    /// NIC id.
    #[serde(default)]
    pub id: String,
    /// Private IPv4 address.
    #[serde(default)]
    pub private_ipv4: Option<String>,
    /// IPv6 address.
    #[serde(default)]
    pub ipv6: Option<String>,
    /// VLAN id.
    #[serde(default)]
    pub vlan_id: Option<String>,
    /// VLAN name.
    #[serde(default)]
    pub vlan_name: Option<String>,
    /// Adapter type (`E1000`, `VMXNET3`, ...).
    #[serde(default)]
    pub network_adapter: Option<String>,
    /// MAC address.
    #[serde(default)]
    pub mac_address: Option<String>,
    /// Lifecycle state.
    #[serde(default)]
    pub state: Option<ResourceState>,
}

/// A server's network attachment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInfo {
    /// The network domain.
    #[serde(default)]
    pub network_domain_id: String,
    /// The primary NIC.
    #[serde(default)]
    pub primary_nic: Nic,
    /// Further NICs.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub additional_nic: Vec<Nic>,
}

/// The source a server was deployed from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct ServerSource {
    /// Source type (`IMAGE_ID`, `CLONE`, ...).
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Source value (the image id for `IMAGE_ID`).
    #[serde(default)]
    pub value: String,
}

/// Monitoring settings of a server.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Monitoring {
    /// Monitoring id.
    #[serde(default)]
    pub monitoring_id: String,
    /// `ESSENTIALS` or `ADVANCED`.
    #[serde(default)]
    pub service_plan: String,
    /// Lifecycle state.
    #[serde(default)]
    pub state: Option<ResourceState>,
}

/// A cloud server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Server {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Datacenter id.
    #[serde(default)]
    pub datacenter_id: String,
    /// CPU configuration.
    #[serde(default)]
    pub cpu: Cpu,
    /// Memory in GB.
    #[serde(default)]
    pub memory_gb: u32,
    /// Disks per SCSI controller (API 2.6+).
    #[serde(default)]
    pub scsi_controller: Vec<ScsiController>,
    /// Disks, flat (older APIs).
    #[serde(default)]
    pub disk: Vec<Disk>,
    /// Network attachment.
    #[serde(default)]
    pub network_info: NetworkInfo,
    /// Deployment source (newer APIs).
    #[serde(default)]
    pub source: Option<ServerSource>,
    /// Source image id (older APIs).
    #[serde(default)]
    pub source_image_id: Option<String>,
    /// Guest OS.
    #[serde(default)]
    pub guest: Guest,
    /// Guest OS as older APIs report it.
    #[serde(default)]
    pub operating_system: Option<OperatingSystem>,
    /// Monitoring, when enabled.
    #[serde(default)]
    pub monitoring: Option<Monitoring>,
    /// Whether deployment has finished.
    #[serde(default)]
    pub deployed: bool,
    /// Whether the server is running.
    #[serde(default)]
    pub started: bool,
    /// Creation time.
    #[serde(default)]
    pub create_time: String,
    /// Lifecycle state.
    pub state: ResourceState,
    /// The running operation, when one is (shape varies between API versions).
    #[serde(default)]
    pub progress: Option<serde_json::Value>,
}

impl Server {
    /// The server's disks in bus/SCSI order, whichever layout the API used.
    pub fn disks(&self) -> Vec<AttachedDisk> {
        attached_disks(&self.scsi_controller, &self.disk)
    }

    /// The disk with `disk_id`, if attached.
    pub fn disk(&self, disk_id: &str) -> Option<Disk> {
        self.disks()
            .into_iter()
            .map(|d| d.disk)
            .find(|d| d.id == disk_id)
    }

    /// The image the server was deployed from.
    pub fn image_id(&self) -> Option<&str> {
        match &self.source {
            Some(source) if source.kind == "IMAGE_ID" && !source.value.is_empty() => {
                Some(&source.value)
            }
            _ => self.source_image_id.as_deref(),
        }
    }

    /// The monitoring plan, when monitoring is enabled.
    pub fn monitoring_plan(&self) -> Option<&str> {
        self.monitoring
            .as_ref()
            .map(|m| m.service_plan.as_str())
            .filter(|p| !p.is_empty())
    }

    /// Every NIC, primary first.
    pub fn nics(&self) -> impl Iterator<Item = &Nic> {
        std::iter::once(&self.network_info.primary_nic)
            .chain(self.network_info.additional_nic.iter())
    }
}

impl Stateful for Server {
    fn state(&self) -> &ResourceState {
        &self.state
    }
}

/// CPU settings for a deploy request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CpuRequest {
    /// Number of CPUs.
    pub count: u32,
    /// Cores per socket.
    pub cores_per_socket: u32,
    /// Speed class.
    pub speed: String,
}

/// A NIC in a deploy request: give the VLAN, the address (the VLAN follows
/// from it), or both.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NicRequest {
    /// The VLAN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan_id: Option<String>,
    /// The private IPv4 address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_ipv4: Option<String>,
    /// Adapter type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_adapter: Option<String>,
}

/// Network settings of a deploy request.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeployNetworkInfo {
    /// The network domain.
    pub network_domain_id: String,
    /// The primary NIC.
    pub primary_nic: NicRequest,
    /// Further NICs.
    pub additional_nic: Vec<NicRequest>,
}

/// Speed of one of the image's disks in a deploy request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeployDisk {
    /// SCSI unit id of the image disk.
    pub scsi_id: u8,
    /// The image disk's id (needed by uncustomised deploys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Speed class.
    pub speed: String,
}

/// Request to deploy a server from an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeployServer {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Image id.
    pub image_id: String,
    /// Start the server once deployed.
    pub start: bool,
    /// Use guest customisation (`deployServer`); `false` deploys the image
    /// untouched (`deployUncustomizedServer`) and sends no password or DNS.
    #[serde(skip)]
    pub guest_customization: bool,
    /// Administrator password (customised deploys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub administrator_password: Option<Secret>,
    /// CPU settings; the image's when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<CpuRequest>,
    /// Memory in GB; the image's when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_gb: Option<u32>,
    /// Primary DNS server (customised deploys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_dns: Option<String>,
    /// Secondary DNS server (customised deploys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary_dns: Option<String>,
    /// Network attachment.
    pub network_info: DeployNetworkInfo,
    /// Speeds of the image's disks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disk: Vec<DeployDisk>,
    /// Tags the server carries from the moment it exists (the keys must exist).
    #[serde(rename = "tag", skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<TagValue>,
}

/// Request to change CPU or memory; `None` leaves a field unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconfigureServer {
    /// Server id.
    pub id: String,
    /// New CPU count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_count: Option<u32>,
    /// New memory in GB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_gb: Option<u32>,
    /// New cores per socket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cores_per_socket: Option<u32>,
    /// New CPU speed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_speed: Option<String>,
}

/// Request to rename or re-describe a server; `None` leaves a field unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EditServerMetadata {
    /// Server id.
    pub id: String,
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Request to add a disk to a (stopped) server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddDisk {
    /// Server id.
    pub server_id: String,
    /// Size in GB.
    pub size_gb: u32,
    /// Speed class.
    pub speed: String,
    /// Where to put it: `(controller id, SCSI unit id)`; the platform picks when `None`.
    pub position: Option<(String, u8)>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AddDiskBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    server_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scsi_controller: Option<ScsiPosition<'a>>,
    size_gb: u32,
    speed: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScsiPosition<'a> {
    controller_id: &'a str,
    scsi_id: u8,
}

impl AddDisk {
    fn body(&self) -> AddDiskBody<'_> {
        match &self.position {
            Some((controller_id, scsi_id)) => AddDiskBody {
                server_id: None,
                scsi_controller: Some(ScsiPosition {
                    controller_id,
                    scsi_id: *scsi_id,
                }),
                size_gb: self.size_gb,
                speed: &self.speed,
            },
            None => AddDiskBody {
                server_id: Some(&self.server_id),
                scsi_controller: None,
                size_gb: self.size_gb,
                speed: &self.speed,
            },
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExpandDiskBody<'a> {
    id: &'a str,
    new_size_gb: u32,
}

#[derive(Serialize)]
struct DiskSpeedBody<'a> {
    id: &'a str,
    speed: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MonitoringBody<'a> {
    id: &'a str,
    service_plan: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NicIpBody<'a> {
    nic_id: &'a str,
    private_ipv4: &'a str,
}

/// Filters for listing servers (exact matches).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerFilter {
    /// Only servers in this network domain.
    pub network_domain_id: Option<String>,
    /// Only servers with this name.
    pub name: Option<String>,
    /// Only servers with a NIC on this VLAN.
    pub vlan_id: Option<String>,
}

const KIND: &str = "server";

fn null_as_empty<'de, D, T>(deserializer: D) -> std::result::Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

impl Client {
    /// One server, or `None` when it does not exist.
    pub async fn get_server(&self, id: &str) -> Result<Option<Server>> {
        self.get_one("GET server/server/{id}", &["server", "server", id])
            .await
    }

    /// Every server matching `filter`.
    pub async fn list_servers(&self, filter: &ServerFilter) -> Result<Vec<Server>> {
        let mut query = Vec::new();
        if let Some(domain) = &filter.network_domain_id {
            query.push(("networkDomainId", domain.as_str()));
        }
        if let Some(name) = &filter.name {
            query.push(("name", name.as_str()));
        }
        if let Some(vlan) = &filter.vlan_id {
            query.push(("vlanId", vlan.as_str()));
        }
        self.list_all("GET server/server", &["server", "server"], &query, "server")
            .await
    }

    /// The server called `name` in a network domain, if there is one (names are compared
    /// exactly; one being deleted does not count; more than one is an
    /// [`crate::Error::Ambiguous`]).
    pub async fn find_server(&self, network_domain_id: &str, name: &str) -> Result<Option<Server>> {
        let found: Vec<Server> = self
            .list_servers(&ServerFilter {
                network_domain_id: Some(network_domain_id.to_owned()),
                name: Some(name.to_owned()),
                vlan_id: None,
            })
            .await?
            .into_iter()
            .filter(|s| s.name == name && !s.state.is_leaving())
            .collect();
        at_most_one(KIND, found, || {
            format!("name {name:?} in network domain {network_domain_id}")
        })
    }

    /// Deploys a server and waits until it is deployed and `NORMAL`.
    ///
    /// Call it only when the domain has no server of that name ([`Client::find_server`]):
    /// when the request gets no answer, the server found under that name is taken as the one
    /// this request created.
    pub async fn deploy_server(
        &self,
        request: &DeployServer,
        wait: &WaitOptions,
    ) -> Result<Server> {
        let deadline = wait.start();
        let (operation, segment) = if request.guest_customization {
            ("DEPLOY_SERVER", "deployServer")
        } else {
            ("DEPLOY_UNCUSTOMIZED_SERVER", "deployUncustomizedServer")
        };
        let untouched;
        let body = if request.guest_customization {
            request
        } else {
            untouched = DeployServer {
                administrator_password: None,
                primary_dns: None,
                secondary_dns: None,
                ..request.clone()
            };
            &untouched
        };
        let acted = self
            .act(operation, &["server", segment], body, &deadline, || async {
                Ok(self
                    .find_server(&request.network_info.network_domain_id, &request.name)
                    .await?
                    .map(|s| s.id))
            })
            .await?;
        let id = match acted {
            Acted::Answered(envelope) => created_id("DEPLOY_SERVER", &envelope, "serverId")?,
            Acted::Observed(id) => id,
        };
        self.wait_server(&deadline, "DEPLOY_SERVER", &id, |s| {
            s.deployed && s.started == request.start
        })
        .await
    }

    /// Starts a server and waits until it runs.
    pub async fn start_server(&self, id: &str, wait: &WaitOptions) -> Result<Server> {
        self.power("START_SERVER", "startServer", id, true, wait)
            .await
    }

    /// Shuts a server down gracefully (needs guest tools) and waits until it is stopped.
    pub async fn shutdown_server(&self, id: &str, wait: &WaitOptions) -> Result<Server> {
        self.power("SHUTDOWN_SERVER", "shutdownServer", id, false, wait)
            .await
    }

    /// Powers a server off (hard) and waits until it is stopped.
    pub async fn power_off_server(&self, id: &str, wait: &WaitOptions) -> Result<Server> {
        self.power("POWER_OFF_SERVER", "powerOffServer", id, false, wait)
            .await
    }

    /// Reboots a server gracefully and waits until it runs again.
    pub async fn reboot_server(&self, id: &str, wait: &WaitOptions) -> Result<Server> {
        self.power("REBOOT_SERVER", "rebootServer", id, true, wait)
            .await
    }

    /// Resets a server (hard) and waits until it runs again.
    pub async fn reset_server(&self, id: &str, wait: &WaitOptions) -> Result<Server> {
        self.power("RESET_SERVER", "resetServer", id, true, wait)
            .await
    }

    async fn power(
        &self,
        operation: &str,
        segment: &str,
        id: &str,
        started: bool,
        wait: &WaitOptions,
    ) -> Result<Server> {
        let deadline = wait.start();
        let ready = |s: &Server| s.started == started;
        self.change_server(operation, segment, &IdBody { id }, id, &deadline, ready)
            .await?;
        self.wait_server(&deadline, operation, id, ready).await
    }

    /// Changes CPU and/or memory and waits until the server shows the new values.
    pub async fn reconfigure_server(
        &self,
        request: &ReconfigureServer,
        wait: &WaitOptions,
    ) -> Result<Server> {
        const OP: &str = "RECONFIGURE_SERVER";
        let deadline = wait.start();
        let ready = |s: &Server| {
            request.cpu_count.is_none_or(|n| s.cpu.count == n)
                && request.memory_gb.is_none_or(|n| s.memory_gb == n)
                && request
                    .cores_per_socket
                    .is_none_or(|n| s.cpu.cores_per_socket == n)
                && request
                    .cpu_speed
                    .as_deref()
                    .is_none_or(|v| s.cpu.speed.eq_ignore_ascii_case(v))
        };
        self.change_server(
            OP,
            "reconfigureServer",
            request,
            &request.id,
            &deadline,
            ready,
        )
        .await?;
        self.wait_server(&deadline, OP, &request.id, ready).await
    }

    /// Renames or re-describes a server (synchronous).
    pub async fn edit_server_metadata(
        &self,
        request: &EditServerMetadata,
        wait: &WaitOptions,
    ) -> Result<Server> {
        const OP: &str = "EDIT_SERVER_METADATA";
        let deadline = wait.start();
        let ready = |s: &Server| {
            request.name.as_ref().is_none_or(|n| *n == s.name)
                && request
                    .description
                    .as_ref()
                    .is_none_or(|d| *d == s.description)
        };
        self.change_server(
            OP,
            "editServerMetadata",
            request,
            &request.id,
            &deadline,
            ready,
        )
        .await?;
        self.wait_server(&deadline, OP, &request.id, ready).await
    }

    /// Adds a disk to a stopped server and waits until it is attached. Returns
    /// the new disk's id and the server.
    pub async fn add_disk(
        &self,
        request: &AddDisk,
        wait: &WaitOptions,
    ) -> Result<(String, Server)> {
        const OP: &str = "ADD_DISK";
        let deadline = wait.start();
        let before: Vec<String> = match self.get_server(&request.server_id).await? {
            Some(server) => server.disks().into_iter().map(|d| d.disk.id).collect(),
            None => Vec::new(),
        };
        let acted = self
            .act(
                OP,
                &["server", "addDisk"],
                &request.body(),
                &deadline,
                || async {
                    // The disk a lost request added is the one that was not there before.
                    let server = self
                        .wait_server(&deadline, OP, &request.server_id, |_| true)
                        .await?;
                    let added: Vec<String> = server
                        .disks()
                        .into_iter()
                        .map(|d| d.disk.id)
                        .filter(|id| !before.contains(id))
                        .collect();
                    at_most_one("disk", added, || {
                        format!(
                            "disks added to server {} while one add was unanswered",
                            request.server_id
                        )
                    })
                },
            )
            .await?;
        let disk_id = match acted {
            Acted::Answered(envelope) => created_id(OP, &envelope, "diskId")?,
            Acted::Observed(id) => id,
        };
        let server = self
            .wait_server(&deadline, OP, &request.server_id, |s| {
                s.disk(&disk_id).is_some()
            })
            .await?;
        Ok((disk_id, server))
    }

    /// Grows a disk of a stopped server and waits until the new size shows.
    pub async fn expand_disk(
        &self,
        server_id: &str,
        disk_id: &str,
        new_size_gb: u32,
        wait: &WaitOptions,
    ) -> Result<Server> {
        const OP: &str = "EXPAND_DISK";
        let deadline = wait.start();
        let ready = |s: &Server| s.disk(disk_id).is_some_and(|d| d.size_gb == new_size_gb);
        let body = ExpandDiskBody {
            id: disk_id,
            new_size_gb,
        };
        self.change_server(OP, "expandDisk", &body, server_id, &deadline, ready)
            .await?;
        self.wait_server(&deadline, OP, server_id, ready).await
    }

    /// Changes a disk's speed class and waits until it shows.
    pub async fn change_disk_speed(
        &self,
        server_id: &str,
        disk_id: &str,
        speed: &str,
        wait: &WaitOptions,
    ) -> Result<Server> {
        const OP: &str = "CHANGE_DISK_SPEED";
        let deadline = wait.start();
        let ready = |s: &Server| {
            s.disk(disk_id)
                .is_some_and(|d| d.speed.eq_ignore_ascii_case(speed))
        };
        let body = DiskSpeedBody { id: disk_id, speed };
        self.change_server(OP, "changeDiskSpeed", &body, server_id, &deadline, ready)
            .await?;
        self.wait_server(&deadline, OP, server_id, ready).await
    }

    /// Removes a disk from a stopped server and waits until it is gone.
    pub async fn remove_disk(
        &self,
        server_id: &str,
        disk_id: &str,
        wait: &WaitOptions,
    ) -> Result<Server> {
        const OP: &str = "REMOVE_DISK";
        let deadline = wait.start();
        let ready = |s: &Server| s.disk(disk_id).is_none();
        let body = IdBody { id: disk_id };
        self.change_server(OP, "removeDisk", &body, server_id, &deadline, ready)
            .await?;
        self.wait_server(&deadline, OP, server_id, ready).await
    }

    /// Enables monitoring with `plan` (`ESSENTIALS` or `ADVANCED`).
    pub async fn enable_server_monitoring(
        &self,
        id: &str,
        plan: &str,
        wait: &WaitOptions,
    ) -> Result<Server> {
        self.monitoring(
            "ENABLE_SERVER_MONITORING",
            "enableServerMonitoring",
            id,
            Some(plan),
            wait,
        )
        .await
    }

    /// Switches the monitoring plan.
    pub async fn change_server_monitoring_plan(
        &self,
        id: &str,
        plan: &str,
        wait: &WaitOptions,
    ) -> Result<Server> {
        self.monitoring(
            "CHANGE_SERVER_MONITORING_PLAN",
            "changeServerMonitoringPlan",
            id,
            Some(plan),
            wait,
        )
        .await
    }

    /// Disables monitoring.
    pub async fn disable_server_monitoring(&self, id: &str, wait: &WaitOptions) -> Result<Server> {
        self.monitoring(
            "DISABLE_SERVER_MONITORING",
            "disableServerMonitoring",
            id,
            None,
            wait,
        )
        .await
    }

    async fn monitoring(
        &self,
        operation: &str,
        segment: &str,
        id: &str,
        plan: Option<&str>,
        wait: &WaitOptions,
    ) -> Result<Server> {
        let deadline = wait.start();
        let ready = |s: &Server| {
            s.monitoring_plan().map(str::to_ascii_uppercase) == plan.map(str::to_ascii_uppercase)
        };
        match plan {
            Some(service_plan) => {
                let body = MonitoringBody { id, service_plan };
                self.change_server(operation, segment, &body, id, &deadline, ready)
                    .await?
            }
            None => {
                self.change_server(operation, segment, &IdBody { id }, id, &deadline, ready)
                    .await?
            }
        };
        self.wait_server(&deadline, operation, id, ready).await
    }

    /// Changes a NIC's private IPv4 address and waits until it shows.
    pub async fn notify_nic_ip_change(
        &self,
        server_id: &str,
        nic_id: &str,
        private_ipv4: &str,
        wait: &WaitOptions,
    ) -> Result<Server> {
        const OP: &str = "NOTIFY_NIC_IP_CHANGE";
        let deadline = wait.start();
        let ready = |s: &Server| {
            s.nics()
                .any(|n| n.id == nic_id && n.private_ipv4.as_deref() == Some(private_ipv4))
        };
        let body = NicIpBody {
            nic_id,
            private_ipv4,
        };
        self.change_server(OP, "notifyNicIpChange", &body, server_id, &deadline, ready)
            .await?;
        self.wait_server(&deadline, OP, server_id, ready).await
    }

    /// The server once no operation is running on it (waiting out a deployment or another
    /// change still in progress), or `None` when it does not exist. A server in a failed
    /// state is returned as it is, so a caller can still clean it up.
    pub async fn settled_server(&self, id: &str, wait: &WaitOptions) -> Result<Option<Server>> {
        match self.get_server(id).await? {
            Some(server) if server.state.is_pending() => {
                let deadline = wait.start();
                self.wait_server(&deadline, "WAIT_FOR_SERVER", id, |_| true)
                    .await
                    .map(Some)
            }
            other => Ok(other),
        }
    }

    /// Deletes a (stopped) server and waits until it is gone. A server already gone is fine,
    /// one already being deleted is waited for.
    pub async fn delete_server(&self, id: &str, wait: &WaitOptions) -> Result<()> {
        let deadline = wait.start();
        self.delete_asset(
            "DELETE_SERVER",
            KIND,
            &["server", "deleteServer"],
            id,
            &deadline,
            || self.get_server(id),
        )
        .await
    }

    /// Sends a change to server `id`. When the request gets no answer, the server is read: a
    /// change under way (a `PENDING_*` state) or already showing (`ready`) took effect;
    /// otherwise the request is sent again.
    async fn change_server<B: Serialize + ?Sized>(
        &self,
        operation: &str,
        segment: &str,
        body: &B,
        id: &str,
        deadline: &crate::wait::Deadline,
        ready: impl Fn(&Server) -> bool,
    ) -> Result<()> {
        self.act(operation, &["server", segment], body, deadline, || async {
            Ok(self
                .get_server(id)
                .await?
                .filter(|s| s.state.is_pending() || ready(s))
                .map(|_| ()))
        })
        .await
        .map(drop)
    }

    async fn wait_server(
        &self,
        deadline: &crate::wait::Deadline,
        operation: &str,
        id: &str,
        ready: impl Fn(&Server) -> bool,
    ) -> Result<Server> {
        self.poll(deadline, operation, KIND, id)
            .until_normal(ready, || self.get_server(id))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SERVER: &str = r#"{"id":"srv-1","name":"web-01","description":"Web node","datacenterId":"EU6",
        "cpu":{"count":2,"speed":"STANDARD","coresPerSocket":1},"memoryGb":4,
        "scsiController":[{"id":"ctl-0","adapterType":"LSI_LOGIC_PARALLEL","key":1000,"busNumber":0,"state":"NORMAL",
            "disk":[{"id":"dsk-1","scsiId":1,"sizeGb":50,"speed":"ECONOMY","state":"NORMAL"},
                    {"id":"dsk-0","scsiId":0,"sizeGb":10,"speed":"STANDARD","state":"NORMAL"}]}],
        "sataController":[],"ideController":[],"floppy":[],
        "networkInfo":{"networkDomainId":"nd-7","primaryNic":{"id":"nic-1","privateIpv4":"10.20.0.10",
            "ipv6":"2001:db8:40:12::10","vlanId":"vl-3","vlanName":"web","networkAdapter":"VMXNET3","connected":true,
            "macAddress":"00:50:56:aa:bb:cc","key":4000,"state":"NORMAL"},"additionalNic":null},
        "source":{"type":"IMAGE_ID","value":"img-9"},"createTime":"2024-03-04T05:06:07.000Z","deployed":true,"started":true,
        "state":"NORMAL","guest":{"operatingSystem":{"id":"UBUNTU2264","displayName":"UBUNTU22/64","family":"UNIX"},"osCustomization":true},
        "monitoring":{"monitoringId":"m-1","servicePlan":"ESSENTIALS","state":"NORMAL"},
        "progress":{"action":"DEPLOY_SERVER","requestTime":"2024-03-04T05:06:07.000Z","userName":"ops"},
        "virtualHardware":{"version":"vmx-13","upToDate":true},"tag":[]}"#;

    #[test]
    fn parses_a_server() {
        let server: Server = serde_json::from_str(SERVER).unwrap();
        assert_eq!(server.image_id(), Some("img-9"));
        assert_eq!(
            server
                .disks()
                .iter()
                .map(|d| d.disk.id.as_str())
                .collect::<Vec<_>>(),
            ["dsk-0", "dsk-1"]
        );
        assert_eq!(server.disk("dsk-1").unwrap().speed, "ECONOMY");
        assert_eq!(
            server.network_info.primary_nic.private_ipv4.as_deref(),
            Some("10.20.0.10")
        );
        assert!(server.network_info.additional_nic.is_empty());
        assert_eq!(server.monitoring_plan(), Some("ESSENTIALS"));
        assert!(server.started && server.deployed);
        assert_eq!(server.nics().count(), 1);
    }

    #[test]
    fn parses_the_older_flat_shape() {
        let body = r#"{"id":"srv-2","name":"db","cpu":{"count":4,"speed":"STANDARD","coresPerSocket":2},"memoryGb":8,
            "disk":[{"id":"d0","scsiId":0,"sizeGb":20,"speed":"STANDARD","state":"NORMAL"}],
            "networkInfo":{"networkDomainId":"nd-7","primaryNic":{"id":"n","privateIpv4":"10.0.0.5","vlanId":"v","state":"NORMAL"},
              "additionalNic":[{"id":"n2","privateIpv4":"10.1.0.5","vlanId":"v2","state":"NORMAL"}]},
            "sourceImageId":"img-1","deployed":false,"started":false,"state":"PENDING_ADD",
            "progress":"DEPLOY_SERVER"}"#;
        let server: Server = serde_json::from_str(body).unwrap();
        assert_eq!(server.image_id(), Some("img-1"));
        assert_eq!(server.disks()[0].controller_id, None);
        assert_eq!(server.monitoring_plan(), None);
        assert_eq!(server.nics().count(), 2);
        assert_eq!(server.state, ResourceState::PendingAdd);
    }

    fn deploy() -> DeployServer {
        DeployServer {
            name: "web-01".into(),
            description: String::new(),
            image_id: "img-9".into(),
            start: true,
            guest_customization: true,
            administrator_password: Some(Secret::new("Str0ng!Passw0rd")),
            cpu: Some(CpuRequest {
                count: 2,
                cores_per_socket: 1,
                speed: "STANDARD".into(),
            }),
            memory_gb: Some(4),
            primary_dns: None,
            secondary_dns: None,
            network_info: DeployNetworkInfo {
                network_domain_id: "nd-7".into(),
                primary_nic: NicRequest {
                    vlan_id: Some("vl-3".into()),
                    ..Default::default()
                },
                additional_nic: vec![],
            },
            disk: vec![DeployDisk {
                scsi_id: 0,
                id: None,
                speed: "STANDARD".into(),
            }],
            tags: vec![],
        }
    }

    #[test]
    fn deploy_body_has_the_api_shape_and_a_redacted_debug() {
        let request = deploy();
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({"name":"web-01","description":"","imageId":"img-9","start":true,"administratorPassword":"Str0ng!Passw0rd",
                   "cpu":{"count":2,"coresPerSocket":1,"speed":"STANDARD"},"memoryGb":4,
                   "networkInfo":{"networkDomainId":"nd-7","primaryNic":{"vlanId":"vl-3"},"additionalNic":[]},
                   "disk":[{"scsiId":0,"speed":"STANDARD"}]})
        );
        assert!(!format!("{request:?}").contains("Str0ng"));
    }

    #[test]
    fn add_disk_targets_a_controller_slot_or_the_server() {
        let mut request = AddDisk {
            server_id: "srv-1".into(),
            size_gb: 20,
            speed: "STANDARD".into(),
            position: None,
        };
        assert_eq!(
            serde_json::to_value(request.body()).unwrap(),
            json!({"serverId":"srv-1","sizeGb":20,"speed":"STANDARD"})
        );
        request.position = Some(("ctl-0".into(), 2));
        assert_eq!(
            serde_json::to_value(request.body()).unwrap(),
            json!({"scsiController":{"controllerId":"ctl-0","scsiId":2},"sizeGb":20,"speed":"STANDARD"})
        );
    }

    #[test]
    fn small_bodies_use_the_api_names() {
        assert_eq!(
            serde_json::to_value(ExpandDiskBody {
                id: "d",
                new_size_gb: 60
            })
            .unwrap(),
            json!({"id":"d","newSizeGb":60})
        );
        assert_eq!(
            serde_json::to_value(MonitoringBody {
                id: "s",
                service_plan: "ADVANCED"
            })
            .unwrap(),
            json!({"id":"s","servicePlan":"ADVANCED"})
        );
        assert_eq!(
            serde_json::to_value(NicIpBody {
                nic_id: "n",
                private_ipv4: "10.0.0.9"
            })
            .unwrap(),
            json!({"nicId":"n","privateIpv4":"10.0.0.9"})
        );
        let reconfigure = ReconfigureServer {
            id: "s".into(),
            cpu_count: Some(4),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&reconfigure).unwrap(),
            json!({"id":"s","cpuCount":4})
        );
    }
}
