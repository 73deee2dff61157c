//! Servers: deploy (customised and uncustomised), get, list, power operations, reconfigure,
//! metadata, monitoring, delete and clean. Disks and NICs live in `server_disk` / `server_nic`.

use super::server_nic::{self, Nic, NicBody};
use super::{check_id, check_name, network_domain, new_id, tag, Ctx, IdBody};
use crate::catalog;
use crate::clock;
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::{schedule, OpKind, Outcome, Pending, State};
use crate::paging::{self, FilterSpec};
use crate::resources::Call;
use crate::store::Org;
use crate::versions;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// A disk on the server's SCSI controller 0.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Disk {
    /// Id.
    pub id: String,
    /// SCSI unit id (0–15, 7 reserved).
    pub scsi_id: u8,
    /// Size in GB.
    pub size_gb: u32,
    /// Speed, e.g. STANDARD.
    pub speed: String,
    /// Provisioned IOPS, when any.
    pub iops: Option<u32>,
    /// State.
    pub state: State,
}

/// The operation a server is busy with (the API's `progress` object).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Progress {
    /// Action, e.g. DEPLOY_SERVER.
    pub action: String,
    /// Request time (ms).
    pub request_time_ms: u64,
    /// Requesting user.
    pub user: String,
}

/// A stored server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Server {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Datacenter id.
    pub datacenter_id: String,
    /// Network domain id.
    pub network_domain_id: String,
    /// Source OS image id.
    pub image_id: String,
    /// CPU count.
    pub cpu_count: u32,
    /// Cores per socket.
    pub cores_per_socket: u32,
    /// CPU speed.
    pub cpu_speed: String,
    /// Memory in GB.
    pub memory_gb: u32,
    /// SCSI controller 0 id.
    pub controller_id: String,
    /// Disks, by SCSI id.
    pub disks: Vec<Disk>,
    /// Primary NIC.
    pub primary_nic: Nic,
    /// Additional NICs.
    pub additional_nics: Vec<Nic>,
    /// Powered on.
    pub started: bool,
    /// Deployment finished.
    pub deployed: bool,
    /// State.
    pub state: State,
    /// Pending operation.
    pub pending: Option<Pending>,
    /// Value of `started` once the pending operation completes.
    pub started_after: Option<bool>,
    /// The pending operation's progress.
    pub progress: Option<Progress>,
    /// Monitoring service plan, when enabled.
    pub monitoring: Option<String>,
    /// Guest customisation was applied.
    pub os_customization: bool,
    /// Creation time (ms).
    pub create_time_ms: u64,
    /// Why the deployment failed, when node backing could not deploy the machine.
    #[serde(default)]
    pub failure_reason: Option<String>,
    /// Cloud Backup, when enabled through the v1 backup API.
    #[serde(default)]
    pub backup: Option<super::backup::Backup>,
    /// The DRS flag `editServerMetadata` sets: the server may join a consistency group.
    #[serde(default)]
    pub drs_eligible: bool,
}

/// A server's CPU and memory: what `reconfigureServer` changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sizing {
    /// CPU count.
    pub cpu_count: u32,
    /// Cores per socket.
    pub cores_per_socket: u32,
    /// CPU speed.
    pub cpu_speed: String,
    /// Memory in GB.
    pub memory_gb: u32,
}

impl Sizing {
    /// The changes from `self` to `to` that a running server cannot take, each naming its request
    /// field. More CPUs and more memory are hot-added; fewer CPUs, less memory, other cores per
    /// socket and another CPU speed need a stopped server. Equal values are no change.
    pub fn cold_changes(&self, to: &Sizing) -> Vec<String> {
        let mut cold = Vec::new();
        if to.cpu_count < self.cpu_count {
            cold.push(format!(
                "lowering cpuCount from {} to {}",
                self.cpu_count, to.cpu_count
            ));
        }
        if to.memory_gb < self.memory_gb {
            cold.push(format!(
                "lowering memoryGb from {} to {}",
                self.memory_gb, to.memory_gb
            ));
        }
        if to.cores_per_socket != self.cores_per_socket {
            cold.push(format!(
                "changing coresPerSocket from {} to {}",
                self.cores_per_socket, to.cores_per_socket
            ));
        }
        if to.cpu_speed != self.cpu_speed {
            cold.push(format!(
                "changing cpuSpeed from {} to {}",
                self.cpu_speed, to.cpu_speed
            ));
        }
        cold
    }
}

const FILTERS: &[FilterSpec] = &[
    ("id", &["/id"]),
    ("networkDomainId", &["/networkInfo/networkDomainId"]),
    ("datacenterId", &["/datacenterId"]),
    ("name", &["/name"]),
    ("state", &["/state"]),
    ("started", &["/started"]),
    ("deployed", &["/deployed"]),
    (
        "vlanId",
        &[
            "/networkInfo/primaryNic/vlanId",
            "/networkInfo/additionalNic/*/vlanId",
        ],
    ),
    ("sourceImageId", &["/source/value"]),
    ("networkId", &["/nic/networkId"]),
    (
        "privateIpv4",
        &[
            "/networkInfo/primaryNic/privateIpv4",
            "/networkInfo/additionalNic/*/privateIpv4",
        ],
    ),
    (
        "ipv6",
        &[
            "/networkInfo/primaryNic/ipv6",
            "/networkInfo/additionalNic/*/ipv6",
        ],
    ),
];

const MONITORING_PLANS: &[&str] = &["ESSENTIALS", "ADVANCED"];

impl Server {
    /// Whether the server is in an MCP 1.0 location, so in an MCP 1.0 network: no network
    /// domain, and `primary_nic.vlan_id` holds the network id (see [`super::mcp1_network`]).
    /// Deploys enforce that the datacenter's kind and the server's network model agree.
    pub fn is_mcp1(&self) -> bool {
        catalog::datacenter(&self.datacenter_id).is_some_and(|d| d.mcp1)
    }

    /// All NICs, primary first.
    pub fn nics(&self) -> impl Iterator<Item = &Nic> {
        std::iter::once(&self.primary_nic).chain(self.additional_nics.iter())
    }

    /// True when `id` is one of the server's disks or NICs.
    pub fn owns_part(&self, id: &str) -> bool {
        self.disks.iter().any(|d| d.id == id) || self.nics().any(|n| n.id == id)
    }

    /// Applies a due pending operation; returns false when the server is gone.
    pub fn advance(&mut self, now_ms: u64) -> bool {
        let Some(p) = self.pending.filter(|p| p.is_due(now_ms)) else {
            return true;
        };
        self.pending = None;
        self.progress = None;
        match p.outcome {
            Outcome::Remove => return false,
            Outcome::FailedAdd => {
                self.state = State::FailedAdd;
                self.deployed = false;
                self.started = false;
            }
            Outcome::Normal => {
                self.state = State::Normal;
                self.deployed = true;
                if let Some(s) = self.started_after.take() {
                    self.started = s;
                }
            }
        }
        self.started_after = None;
        self.disks.retain(|d| d.state != State::PendingDelete);
        self.additional_nics
            .retain(|n| n.state != State::PendingDelete);
        for d in &mut self.disks {
            d.state = State::Normal;
        }
        self.primary_nic.state = State::Normal;
        for n in &mut self.additional_nics {
            n.state = State::Normal;
        }
        true
    }

    /// RESOURCE_BUSY unless the server has no pending operation.
    pub fn check_idle(&self) -> Result<(), ApiError> {
        if self.state.is_pending() {
            return Err(ApiError::new(
                Code::ResourceBusy,
                format!(
                    "Server {} is already busy ({}); the operation did not work, server is busy.",
                    self.id,
                    self.progress
                        .as_ref()
                        .map(|p| p.action.as_str())
                        .unwrap_or(self.state.as_str())
                ),
            ));
        }
        if self.state == State::FailedAdd {
            return Err(ApiError::new(
                Code::OperationNotSupported,
                format!("Server {} failed to deploy (FAILED_ADD); only cleanServer or deleteServer apply.", self.id),
            ));
        }
        Ok(())
    }

    /// SERVER_STARTED unless the server is stopped.
    pub fn check_stopped(&self) -> Result<(), ApiError> {
        if self.started {
            return Err(self.started_error(None));
        }
        Ok(())
    }

    /// The SERVER_STARTED error (the real API's message for addDisk on a running server), with
    /// what the request would have changed when `detail` is given.
    fn started_error(&self, detail: Option<&str>) -> ApiError {
        let detail = detail.map(|d| format!(" ({d})")).unwrap_or_default();
        ApiError::new(
            Code::ServerStarted,
            format!("Server with id {} is started but must be stopped to perform this operation{detail}. Please Power Off or Shutdown the Server (as appropriate) and try again.", self.id),
        )
    }

    /// The server's CPU and memory.
    pub fn sizing(&self) -> Sizing {
        Sizing {
            cpu_count: self.cpu_count,
            cores_per_socket: self.cores_per_socket,
            cpu_speed: self.cpu_speed.clone(),
            memory_gb: self.memory_gb,
        }
    }

    /// The power rule of `reconfigureServer`: a stopped server takes any change; a running one
    /// takes a change only when [`Sizing::cold_changes`] finds nothing in it, and otherwise the
    /// answer is SERVER_STARTED naming each such change.
    pub fn check_reconfigure_power(&self, to: &Sizing) -> Result<(), ApiError> {
        if !self.started {
            return Ok(());
        }
        let cold = self.sizing().cold_changes(to);
        if cold.is_empty() {
            Ok(())
        } else {
            Err(self.started_error(Some(&cold.join(", "))))
        }
    }

    /// Starts an asynchronous operation on the server.
    pub fn begin(&mut self, kind: OpKind, action: &str, call: &Call, started_after: Option<bool>) {
        self.state = State::PendingChange;
        self.pending = Some(schedule(
            kind,
            Outcome::Normal,
            call.now_ms,
            call.time_scale,
        ));
        self.started_after = started_after;
        self.progress = Some(Progress {
            action: action.into(),
            request_time_ms: call.now_ms,
            user: call.user.clone(),
        });
    }

    /// Sum of the additional (non-OS) disks in GB.
    pub fn additional_storage_gb(&self) -> u32 {
        self.disks
            .iter()
            .filter(|d| d.scsi_id != 0)
            .map(|d| d.size_gb)
            .sum()
    }

    /// The API's JSON shape (2.10 with `scsiController[]`).
    pub fn to_json(&self, org: &Org) -> Value {
        let image = catalog::image(&self.image_id);
        let t = image.map(|i| i.template);
        let disks: Vec<Value> = self
            .disks
            .iter()
            .map(|d| {
                let mut v = json!({"id": d.id, "scsiId": d.scsi_id, "sizeGb": d.size_gb, "speed": d.speed, "state": d.state.as_str()});
                if let Some(iops) = d.iops {
                    v["iops"] = json!(iops);
                }
                v
            })
            .collect();
        let mut v = json!({
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "datacenterId": self.datacenter_id,
            "cpu": {"count": self.cpu_count, "speed": self.cpu_speed, "coresPerSocket": self.cores_per_socket},
            "memoryGb": self.memory_gb,
            "cluster": {"id": catalog::cluster_id(&self.datacenter_id), "name": catalog::cluster_id(&self.datacenter_id)},
            "scsiController": [{
                "id": self.controller_id, "adapterType": "LSI_LOGIC_PARALLEL", "key": 1000,
                "busNumber": 0, "state": "NORMAL", "disk": disks,
            }],
            "sataController": [],
            "ideController": [],
            "floppy": [],
            "networkInfo": {
                "networkDomainId": self.network_domain_id,
                "primaryNic": self.primary_nic.to_json(org),
                "additionalNic": self.additional_nics.iter().map(|n| n.to_json(org)).collect::<Vec<_>>(),
            },
            "source": {"type": "IMAGE_ID", "value": self.image_id},
            "createTime": clock::iso8601(self.create_time_ms),
            "deployed": self.deployed,
            "started": self.started,
            "state": self.state.as_str(),
            "guest": {
                "operatingSystem": {
                    "id": t.map(|t| t.os_id).unwrap_or_default(),
                    "displayName": t.map(|t| t.os_display).unwrap_or_default(),
                    "family": t.map(|t| t.family).unwrap_or_default(),
                    "osUnitsGroupId": t.map(|t| t.units_group).unwrap_or_default(),
                },
                "osCustomization": self.os_customization,
                "vmTools": {"type": "VMWARE_TOOLS", "versionStatus": "CURRENT", "runningStatus": if self.started { "RUNNING" } else { "NOT_RUNNING" }, "apiVersion": 10336},
            },
            "virtualHardware": {"version": "vmx-13", "upToDate": true},
            "tag": tag::of_asset(org, "SERVER", &self.id),
            // The image's licensed software; dropped at 2.10 (see `versions::server`).
            "softwareLabel": t.map(|t| t.software_labels).unwrap_or_default(),
        });
        if self.is_mcp1() {
            super::mcp1_network::server_view(self, org, &mut v);
        }
        if let Some(b) = &self.backup {
            v["backup"] = b.to_json();
        }
        super::consistency_group::decorate_server(org, self, &mut v);
        if let Some(plan) = &self.monitoring {
            v["monitoring"] =
                json!({"monitoringId": self.id, "servicePlan": plan, "state": "NORMAL"});
        }
        if let Some(p) = &self.progress {
            v["progress"] = json!({"action": p.action, "requestTime": clock::iso8601(p.request_time_ms), "userName": p.user});
        } else if let (State::FailedAdd, Some(reason)) = (self.state, &self.failure_reason) {
            v["progress"] = json!({"action": "DEPLOY_SERVER", "failureReason": reason});
        }
        v
    }
}

/// Finds a server of the organisation, naming `field` when the id is malformed.
pub fn find<'a>(org: &'a Org, field: &str, id: &str) -> Result<&'a Server, ApiError> {
    check_id(field, id)?;
    org.servers
        .get(id)
        .ok_or_else(|| ApiError::not_found("Server", id))
}

/// Mutable lookup of a server already known to exist.
pub fn find_mut<'a>(org: &'a mut Org, id: &str) -> Result<&'a mut Server, ApiError> {
    org.servers
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("Server", id))
}

/// Validates a CPU shape: the count against the datacenter limits (EXCEEDS_LIMIT), the cores per
/// socket against the count and the speed against the speeds `dc` offers (INVALID_INPUT_DATA
/// naming the field). `fields` names the three request fields (they differ between deploy and
/// reconfigure bodies); `cores_from` says whose cores per socket were taken when the request gave
/// none (e.g. "the image's"), so that the message tells the client to give them.
pub fn check_cpu(
    dc: &catalog::Datacenter,
    count: u32,
    cores: u32,
    speed: &str,
    fields: [&str; 3],
    cores_from: Option<&str>,
) -> Result<(), ApiError> {
    let [count_field, cores_field, speed_field] = fields;
    if count == 0 || count > dc.limits.max_cpu_count {
        return Err(ApiError::new(
            Code::ExceedsLimit,
            format!(
                "{count_field}: {count} must be between 1 and {}",
                dc.limits.max_cpu_count
            ),
        ));
    }
    if cores == 0 || !count.is_multiple_of(cores) {
        let rule = match cores_from {
            None => format!("{cores} must divide the CPU count {count}"),
            Some(from) => format!(
                "{from} {cores} cores per socket do not divide {count_field} {count}; give {cores_field} as well"
            ),
        };
        return Err(ApiError::invalid(cores_field, rule));
    }
    if !dc.cpu_speed_available(speed) {
        return Err(ApiError::invalid(
            speed_field,
            format!(
                "CPU speed `{speed}` is not available in {}; available: {}",
                dc.id,
                dc.available_cpu_speeds().join(", ")
            ),
        ));
    }
    Ok(())
}

/// Validates memory against the datacenter limits.
pub fn check_memory(dc: &catalog::Datacenter, gb: u32) -> Result<(), ApiError> {
    let limits = dc.limits;
    if !(limits.min_memory_gb..=limits.max_memory_gb).contains(&gb) {
        return Err(ApiError::new(
            Code::ExceedsLimit,
            format!(
                "memoryGb: {gb} must be between {} and {}",
                limits.min_memory_gb, limits.max_memory_gb
            ),
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CpuBody {
    #[serde(default)]
    count: Option<u32>,
    #[serde(default)]
    cores_per_socket: Option<u32>,
    #[serde(default)]
    speed: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NetworkInfoBody {
    network_domain_id: String,
    primary_nic: NicBody,
    #[serde(default)]
    additional_nic: Option<Vec<NicBody>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DiskBody {
    #[serde(default)]
    scsi_id: Option<u8>,
    #[serde(default)]
    id: Option<String>,
    speed: String,
    #[serde(default)]
    iops: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ControllerDiskBody {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    scsi_id: Option<u8>,
    #[serde(default)]
    size_gb: Option<u32>,
    #[serde(default)]
    speed: Option<String>,
    #[serde(default)]
    iops: Option<u32>,
    #[serde(default)]
    state: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ControllerBody {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    adapter_type: Option<String>,
    #[serde(default)]
    key: Option<u32>,
    #[serde(default)]
    bus_number: Option<u8>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    disk: Vec<ControllerDiskBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DeployBody {
    name: String,
    #[serde(default)]
    description: Option<String>,
    image_id: String,
    start: bool,
    #[serde(default)]
    administrator_password: Option<String>,
    #[serde(default)]
    cpu: Option<CpuBody>,
    #[serde(default)]
    memory_gb: Option<u32>,
    #[serde(default)]
    primary_dns: Option<String>,
    #[serde(default)]
    secondary_dns: Option<String>,
    #[serde(default)]
    ipv4_gateway: Option<String>,
    #[serde(default)]
    microsoft_time_zone: Option<String>,
    #[serde(default)]
    cluster_id: Option<String>,
    #[serde(default)]
    network_info: Option<NetworkInfoBody>,
    /// MCP 1.0: the network instead of `networkInfo`.
    #[serde(default)]
    network: Option<super::mcp1_network::NetworkBody>,
    #[serde(default)]
    disk: Option<Vec<DiskBody>>,
    #[serde(default)]
    scsi_controller: Option<Vec<ControllerBody>>,
    #[serde(default)]
    tag: Option<Vec<tag::TagBody>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ReconfigureBody {
    id: String,
    #[serde(default)]
    memory_gb: Option<u32>,
    #[serde(default)]
    cpu_count: Option<u32>,
    #[serde(default)]
    cores_per_socket: Option<u32>,
    #[serde(default)]
    cpu_speed: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MetadataBody {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    drs_eligible: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MonitoringBody {
    id: String,
    #[serde(default)]
    service_plan: Option<String>,
}

/// `GET server/server/{id}`.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.as_deref().unwrap_or_default();
    let doc = find(ctx.org, "id", id)?.to_json(ctx.org);
    Ok(Reply::Document(versions::server(doc, ctx.call.minor)))
}

/// `GET server/server`.
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = ctx
        .org
        .servers
        .values()
        .map(|s| s.to_json(ctx.org))
        .collect();
    // Filters see the current shape; the page is then shown in the requested version's.
    let doc = paging::page(items, "server", &ctx.call.query, FILTERS)?;
    let minor = ctx.call.minor;
    Ok(Reply::Document(versions::each_item(doc, "server", |s| {
        versions::server(s, minor)
    })))
}

fn check_password(password: Option<&str>) -> Result<(), ApiError> {
    let Some(p) = password else {
        return Err(ApiError::invalid(
            "administratorPassword",
            "is required for an image with guest OS customisation",
        ));
    };
    if p.chars().count() < 8 {
        return Err(ApiError::invalid(
            "administratorPassword",
            "must be at least 8 characters long",
        ));
    }
    Ok(())
}

/// `POST server/deployServer` (`customized`) or `server/deployUncustomizedServer`.
pub fn deploy(ctx: &mut Ctx, customized: bool) -> Result<Reply, ApiError> {
    let body: DeployBody = ctx.body()?;
    check_name("name", &body.name, 75)?;
    if customized {
        check_password(body.administrator_password.as_deref())?;
    } else if body.administrator_password.is_some() {
        return Err(ApiError::invalid(
            "administratorPassword",
            "is not accepted by deployUncustomizedServer (no guest customisation)",
        ));
    }
    for (field, value) in [
        ("primaryDns", &body.primary_dns),
        ("secondaryDns", &body.secondary_dns),
        ("ipv4Gateway", &body.ipv4_gateway),
    ] {
        if let Some(v) = value {
            crate::net::parse_ipv4(field, v)
                .map_err(|m| ApiError::new(Code::InvalidInputData, m))?;
        }
    }
    let _ = (&body.microsoft_time_zone, &body.cluster_id);
    // MCP 2.0 places the server with `networkInfo` (a network domain), MCP 1.0 with `network`.
    let (network_info, mcp1_place) = match (&body.network_info, &body.network) {
        (Some(info), None) => (Some(info), None),
        (None, Some(n)) => (None, Some(super::mcp1_network::placement(ctx.org, n)?)),
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "network",
                "give networkInfo (MCP 2.0) or network (MCP 1.0), not both",
            ))
        }
        (None, None) => {
            return Err(ApiError::invalid(
                "networkInfo",
                "is required (network in an MCP 1.0 datacenter)",
            ))
        }
    };
    let (nd_id, dc_id) = match (network_info, &mcp1_place) {
        (Some(info), _) => {
            let nd = network_domain::find(
                ctx.org,
                "networkInfo.networkDomainId",
                &info.network_domain_id,
            )?;
            if nd.state != State::Normal {
                return Err(ApiError::new(
                    Code::ResourceBusy,
                    format!(
                        "networkInfo.networkDomainId: Network Domain {} is {}.",
                        nd.id,
                        nd.state.as_str()
                    ),
                ));
            }
            (nd.id.clone(), nd.datacenter_id.clone())
        }
        (None, place) => (
            String::new(),
            place
                .as_ref()
                .map(|p| p.datacenter_id.clone())
                .unwrap_or_default(),
        ),
    };
    check_id("imageId", &body.image_id)?;
    let image = catalog::image(&body.image_id)
        .ok_or_else(|| ApiError::not_found("OS Image", &body.image_id))?;
    super::mcp1_network::check_network_model(image.datacenter, mcp1_place.is_some())?;
    if image.datacenter.id != dc_id {
        return Err(ApiError::invalid(
            "imageId",
            format!(
                "image {} is in {}, the {} is in {dc_id}",
                body.image_id,
                image.datacenter.id,
                if mcp1_place.is_some() {
                    "network"
                } else {
                    "network domain"
                }
            ),
        ));
    }
    let t = image.template;
    // What the request leaves out of `cpu` (or all of it) comes from the image.
    let cpu = body.cpu.as_ref();
    let count = cpu.and_then(|c| c.count).unwrap_or(t.cpu);
    let given_cores = cpu.and_then(|c| c.cores_per_socket);
    let cores = given_cores.unwrap_or(t.cores_per_socket);
    let speed = cpu
        .and_then(|c| c.speed.clone())
        .unwrap_or_else(|| t.cpu_speed.to_string());
    check_cpu(
        image.datacenter,
        count,
        cores,
        &speed,
        ["cpu.count", "cpu.coresPerSocket", "cpu.speed"],
        given_cores.is_none().then_some("the image's"),
    )?;
    let memory_gb = body.memory_gb.unwrap_or(t.memory_gb);
    check_memory(image.datacenter, memory_gb)?;

    let mut os_speed = "STANDARD".to_string();
    let mut os_iops = None;
    for (i, d) in body.disk.iter().flatten().enumerate() {
        let field = format!("disk[{i}]");
        let targets_os = d.scsi_id == Some(0) || d.id.as_deref() == Some(image.disk_id().as_str());
        if !targets_os {
            return Err(ApiError::invalid(
                &field,
                "refers to no disk of the image (the image has one disk, scsiId 0)",
            ));
        }
        check_speed(image.datacenter, &d.speed, &format!("{field}.speed"))?;
        os_speed = d.speed.clone();
        os_iops = d.iops;
    }
    for (i, c) in body.scsi_controller.iter().flatten().enumerate() {
        let _ = (&c.id, &c.adapter_type, c.key, c.bus_number, &c.state);
        for (j, d) in c.disk.iter().enumerate() {
            let field = format!("scsiController[{i}].disk[{j}]");
            let _ = (&d.id, d.size_gb, &d.state);
            if d.scsi_id.unwrap_or(0) != 0 {
                return Err(ApiError::invalid(
                    &field,
                    "refers to no disk of the image (the image has one disk, scsiId 0)",
                ));
            }
            if let Some(s) = &d.speed {
                check_speed(image.datacenter, s, &format!("{field}.speed"))?;
                os_speed = s.clone();
                os_iops = d.iops;
            }
        }
    }

    let mut nic_bodies = Vec::new();
    if let Some(info) = network_info {
        nic_bodies.push(("networkInfo.primaryNic".to_string(), &info.primary_nic));
    }
    for (i, n) in network_info
        .and_then(|info| info.additional_nic.as_ref())
        .iter()
        .copied()
        .flatten()
        .enumerate()
    {
        nic_bodies.push((format!("networkInfo.additionalNic[{i}]"), n));
    }
    if nic_bodies.len() > 10 {
        return Err(ApiError::new(
            Code::ExceedsLimit,
            format!(
                "networkInfo.additionalNic: {} NICs requested, a server has at most 10",
                nic_bodies.len()
            ),
        ));
    }
    let mut taken = BTreeSet::new();
    let mut nics = Vec::new();
    if let Some(place) = &mcp1_place {
        nics.push(super::mcp1_network::build_nic(
            ctx.org,
            ctx.counters,
            place,
        )?);
    }
    for (i, (field, nb)) in nic_bodies.iter().enumerate() {
        let nic = server_nic::build(ctx.org, ctx.counters, &nd_id, field, nb, &taken, i as u32)?;
        taken.insert(nic.private_ipv4);
        nics.push(nic);
    }
    let id = new_id();
    if let Some(tags) = &body.tag {
        tag::check_keys(ctx.org, tags, "tag")?;
    }

    let outcome = if ctx.call.failed_add {
        Outcome::FailedAdd
    } else {
        Outcome::Normal
    };
    let mut nics = nics.into_iter();
    let primary = nics
        .next()
        .ok_or_else(|| ApiError::invalid("networkInfo.primaryNic", "is required"))?;
    let server = Server {
        id: id.clone(),
        name: body.name.clone(),
        description: body.description.unwrap_or_default(),
        datacenter_id: dc_id.clone(),
        network_domain_id: nd_id,
        image_id: body.image_id.clone(),
        cpu_count: count,
        cores_per_socket: cores,
        cpu_speed: speed,
        memory_gb,
        controller_id: new_id(),
        disks: vec![Disk {
            id: new_id(),
            scsi_id: 0,
            size_gb: t.disk_gb,
            speed: os_speed,
            iops: os_iops,
            state: State::PendingAdd,
        }],
        primary_nic: primary,
        additional_nics: nics.collect(),
        started: false,
        deployed: false,
        state: State::PendingAdd,
        pending: Some(schedule(
            OpKind::DeployServer,
            outcome,
            ctx.call.now_ms,
            ctx.call.time_scale,
        )),
        started_after: Some(body.start),
        progress: Some(Progress {
            action: "DEPLOY_SERVER".into(),
            request_time_ms: ctx.call.now_ms,
            user: ctx.call.user.clone(),
        }),
        monitoring: None,
        os_customization: customized,
        create_time_ms: ctx.call.now_ms,
        failure_reason: None,
        backup: None,
        drs_eligible: false,
    };
    ctx.org.servers.insert(id.clone(), server);
    if let Some(tags) = &body.tag {
        tag::apply_checked(ctx.org, "SERVER", &id, &body.name, &dc_id, tags);
    }
    let operation = if customized {
        "DEPLOY_SERVER"
    } else {
        "DEPLOY_UNCUSTOMIZED_SERVER"
    };
    Ok(Reply::Action(
        Action::in_progress(
            operation,
            format!(
                "Request to deploy Server '{}' has been accepted and is being processed.",
                body.name
            ),
        )
        .info("serverId", id),
    ))
}

/// Validates a disk speed for the datacenter.
pub fn check_speed(dc: &catalog::Datacenter, speed: &str, field: &str) -> Result<(), ApiError> {
    if dc.disk_speed_available(speed) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            format!("disk speed `{speed}` is not available in {}", dc.id),
        ))
    }
}

/// `POST server/deleteServer`: the server must be stopped and idle.
pub fn delete(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    let s = find(ctx.org, "id", &body.id)?;
    if s.state.is_pending() {
        s.check_idle()?;
    }
    s.check_stopped()?;
    if let Some(rule) = super::anti_affinity::rule_of(ctx.org, &body.id) {
        return Err(ApiError::new(
            Code::HasDependency,
            format!(
                "id: Server {} is in anti-affinity rule {}; delete the rule first.",
                body.id, rule.id
            ),
        ));
    }
    super::consistency_group::check_server_delete(ctx.org, &body.id)?;
    if s.backup.is_some() {
        // The documented deletion prerequisites include "no backup" (the real code is not
        // recorded; HAS_DEPENDENCY as for the anti-affinity rule).
        return Err(ApiError::new(
            Code::HasDependency,
            format!(
                "id: Server {} has Cloud Backup enabled; disable backup first.",
                body.id
            ),
        ));
    }
    let s = find_mut(ctx.org, &body.id)?;
    s.begin(OpKind::DeleteServer, "DELETE_SERVER", ctx.call, None);
    s.state = State::PendingDelete;
    s.pending = Some(schedule(
        OpKind::DeleteServer,
        Outcome::Remove,
        ctx.call.now_ms,
        ctx.call.time_scale,
    ));
    Ok(Reply::Action(Action::in_progress(
        "DELETE_SERVER",
        format!(
            "Request to Delete Server (Id: {}) has been accepted and is being processed.",
            body.id
        ),
    )))
}

/// `POST server/cleanServer`: removes a server whose deployment failed.
pub fn clean(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    let s = find(ctx.org, "id", &body.id)?;
    if s.state != State::FailedAdd {
        return Err(ApiError::new(
            Code::OperationNotSupported,
            format!(
                "id: Server {} is {}; only FAILED_ADD servers can be cleaned.",
                s.id,
                s.state.as_str()
            ),
        ));
    }
    let s = find_mut(ctx.org, &body.id)?;
    s.begin(OpKind::DeleteServer, "CLEAN_SERVER", ctx.call, None);
    s.state = State::PendingDelete;
    s.pending = Some(schedule(
        OpKind::DeleteServer,
        Outcome::Remove,
        ctx.call.now_ms,
        ctx.call.time_scale,
    ));
    Ok(Reply::Action(Action::in_progress(
        "CLEAN_SERVER",
        format!(
            "Request to Clean Server (Id: {}) has been accepted and is being processed.",
            body.id
        ),
    )))
}

/// `POST server/{start,shutdown,powerOff,reboot,reset}Server`.
pub fn power(ctx: &mut Ctx, op: &str) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    let s = find(ctx.org, "id", &body.id)?;
    super::consistency_group::check_server_change(ctx.org, &body.id, op)?;
    s.check_idle()?;
    let (operation, verb, wants_started, after) = match op {
        "startServer" => ("START_SERVER", "Start", false, true),
        "shutdownServer" => ("SHUTDOWN_SERVER", "Shutdown", true, false),
        "powerOffServer" => ("POWER_OFF_SERVER", "Power Off", true, false),
        "rebootServer" => ("REBOOT_SERVER", "Reboot", true, true),
        _ => ("RESET_SERVER", "Reset", true, true),
    };
    if wants_started && !s.started {
        return Err(ApiError::new(
            Code::InvalidInputData,
            format!(
                "id: Server {} is stopped; {verb} needs a running server.",
                s.id
            ),
        ));
    }
    if !wants_started && s.started {
        return Err(ApiError::new(
            Code::ServerStarted,
            format!("id: Server {} is already started.", s.id),
        ));
    }
    let s = find_mut(ctx.org, &body.id)?;
    s.begin(OpKind::PowerServer, operation, ctx.call, Some(after));
    Ok(Reply::Action(Action::in_progress(
        operation,
        format!(
            "Request to {verb} Server (Id: {}) has been accepted and is being processed.",
            body.id
        ),
    )))
}

/// `POST server/reconfigureServer`: CPU and memory. What the body leaves out stays as it is (the
/// cores per socket too when only `cpuCount` is given: they must then divide the new count). The
/// values are checked first, then the power rule ([`Server::check_reconfigure_power`]).
pub fn reconfigure(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: ReconfigureBody = ctx.body()?;
    let s = find(ctx.org, "id", &body.id)?;
    super::consistency_group::check_server_change(ctx.org, &body.id, "reconfigureServer")?;
    s.check_idle()?;
    let dc = catalog::datacenter(&s.datacenter_id).unwrap_or(&catalog::DATACENTERS[0]);
    let count = body.cpu_count.unwrap_or(s.cpu_count);
    let cores = body.cores_per_socket.unwrap_or(s.cores_per_socket);
    let speed = body
        .cpu_speed
        .clone()
        .unwrap_or_else(|| s.cpu_speed.clone());
    check_cpu(
        dc,
        count,
        cores,
        &speed,
        ["cpuCount", "coresPerSocket", "cpuSpeed"],
        body.cores_per_socket
            .is_none()
            .then_some("the server's current"),
    )?;
    let memory = body.memory_gb.unwrap_or(s.memory_gb);
    check_memory(dc, memory)?;
    let to = Sizing {
        cpu_count: count,
        cores_per_socket: cores,
        cpu_speed: speed,
        memory_gb: memory,
    };
    s.check_reconfigure_power(&to)?;
    let s = find_mut(ctx.org, &body.id)?;
    s.cpu_count = to.cpu_count;
    s.cores_per_socket = to.cores_per_socket;
    s.cpu_speed = to.cpu_speed;
    s.memory_gb = to.memory_gb;
    s.begin(
        OpKind::ReconfigureServer,
        "RECONFIGURE_SERVER",
        ctx.call,
        None,
    );
    Ok(Reply::Action(Action::in_progress(
        "RECONFIGURE_SERVER",
        format!(
            "Request to Reconfigure Server (Id: {}) has been accepted and is being processed.",
            body.id
        ),
    )))
}

/// `POST server/editServerMetadata` (synchronous).
pub fn edit_metadata(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: MetadataBody = ctx.body()?;
    find(ctx.org, "id", &body.id)?;
    if let Some(n) = &body.name {
        check_name("name", n, 75)?;
    }
    if let Some(eligible) = body.drs_eligible {
        super::consistency_group::check_drs_eligible(ctx.org, &body.id, eligible)?;
    }
    let s = find_mut(ctx.org, &body.id)?;
    if let Some(eligible) = body.drs_eligible {
        s.drs_eligible = eligible;
    }
    if let Some(n) = body.name {
        s.name = n;
    }
    if let Some(d) = body.description {
        s.description = d;
    }
    Ok(Reply::Action(Action::ok(
        "EDIT_SERVER_METADATA",
        format!("Server '{}' metadata was updated.", s.name),
    )))
}

/// `POST server/{enable,disable}ServerMonitoring`, `server/changeServerMonitoringPlan` (synchronous).
pub fn monitoring(ctx: &mut Ctx, op: &str) -> Result<Reply, ApiError> {
    let body: MonitoringBody = ctx.body()?;
    let s = find(ctx.org, "id", &body.id)?;
    s.check_idle()?;
    let plan = match (op, &body.service_plan) {
        ("disableServerMonitoring", Some(_)) => {
            return Err(ApiError::invalid(
                "servicePlan",
                "is not accepted by disableServerMonitoring",
            ))
        }
        ("disableServerMonitoring", None) => None,
        (_, None) => return Err(ApiError::invalid("servicePlan", "is required")),
        (_, Some(p)) if !MONITORING_PLANS.contains(&p.as_str()) => {
            return Err(ApiError::invalid(
                "servicePlan",
                format!("`{p}` must be one of {}", MONITORING_PLANS.join(", ")),
            ))
        }
        (_, Some(p)) => Some(p.clone()),
    };
    let enabled = s.monitoring.is_some();
    let operation = match op {
        "enableServerMonitoring" if enabled => {
            return Err(ApiError::new(
                Code::OperationNotSupported,
                format!("id: monitoring is already enabled on Server {}.", s.id),
            ))
        }
        "enableServerMonitoring" => "ENABLE_SERVER_MONITORING",
        _ if !enabled => {
            return Err(ApiError::new(
                Code::OperationNotSupported,
                format!("id: monitoring is not enabled on Server {}.", s.id),
            ))
        }
        "changeServerMonitoringPlan" => "CHANGE_SERVER_MONITORING_PLAN",
        _ => "DISABLE_SERVER_MONITORING",
    };
    let s = find_mut(ctx.org, &body.id)?;
    s.monitoring = plan;
    Ok(Reply::Action(Action::ok(
        operation,
        format!("Monitoring of Server (Id: {}) was updated.", body.id),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: [&str; 3] = ["cpu.count", "cpu.coresPerSocket", "cpu.speed"];

    fn na9() -> &'static catalog::Datacenter {
        catalog::datacenter("NA9").unwrap()
    }

    fn message(r: Result<(), ApiError>) -> (String, String) {
        let body = r.unwrap_err().body("test");
        (
            body["responseCode"].as_str().unwrap().to_string(),
            body["message"].as_str().unwrap().to_string(),
        )
    }

    #[test]
    fn cpu_shape_rules() {
        assert!(check_cpu(na9(), 4, 2, "HIGHPERFORMANCE", FIELDS, None).is_ok());
        let (code, msg) = message(check_cpu(na9(), 33, 1, "STANDARD", FIELDS, None));
        assert_eq!(
            (code.as_str(), msg.as_str()),
            ("EXCEEDS_LIMIT", "cpu.count: 33 must be between 1 and 32")
        );
        let (code, msg) = message(check_cpu(na9(), 6, 4, "STANDARD", FIELDS, None));
        assert_eq!(code, "INVALID_INPUT_DATA");
        assert_eq!(msg, "cpu.coresPerSocket: 4 must divide the CPU count 6");
        let (_, msg) = message(check_cpu(
            na9(),
            3,
            2,
            "STANDARD",
            FIELDS,
            Some("the image's"),
        ));
        assert_eq!(
            msg,
            "cpu.coresPerSocket: the image's 2 cores per socket do not divide cpu.count 3; give cpu.coresPerSocket as well"
        );
    }

    #[test]
    fn cpu_speed_must_be_offered_by_the_datacenter() {
        let (code, msg) = message(check_cpu(na9(), 2, 1, "TURBO", FIELDS, None));
        assert_eq!(code, "INVALID_INPUT_DATA");
        assert_eq!(
            msg,
            "cpu.speed: CPU speed `TURBO` is not available in NA9; available: STANDARD, HIGHPERFORMANCE"
        );
        let standard_only = catalog::Datacenter {
            id: "XX1",
            high_performance_cpu: false,
            ..catalog::DATACENTERS[0]
        };
        assert!(check_cpu(&standard_only, 2, 1, "STANDARD", FIELDS, None).is_ok());
        let (code, msg) = message(check_cpu(
            &standard_only,
            2,
            1,
            "HIGHPERFORMANCE",
            ["cpuCount", "coresPerSocket", "cpuSpeed"],
            None,
        ));
        assert_eq!(code, "INVALID_INPUT_DATA");
        assert_eq!(
            msg,
            "cpuSpeed: CPU speed `HIGHPERFORMANCE` is not available in XX1; available: STANDARD"
        );
    }

    fn sizing(cpu_count: u32, cores_per_socket: u32, cpu_speed: &str, memory_gb: u32) -> Sizing {
        Sizing {
            cpu_count,
            cores_per_socket,
            cpu_speed: cpu_speed.into(),
            memory_gb,
        }
    }

    #[test]
    fn a_running_server_takes_only_hot_adds() {
        let now = sizing(4, 2, "STANDARD", 8);
        assert!(
            now.cold_changes(&now).is_empty(),
            "equal values are no change"
        );
        assert!(now.cold_changes(&sizing(8, 2, "STANDARD", 16)).is_empty());
        assert_eq!(
            now.cold_changes(&sizing(2, 2, "STANDARD", 8)),
            ["lowering cpuCount from 4 to 2"]
        );
        assert_eq!(
            now.cold_changes(&sizing(4, 2, "STANDARD", 4)),
            ["lowering memoryGb from 8 to 4"]
        );
        assert_eq!(
            now.cold_changes(&sizing(8, 4, "HIGHPERFORMANCE", 8)),
            [
                "changing coresPerSocket from 2 to 4",
                "changing cpuSpeed from STANDARD to HIGHPERFORMANCE"
            ]
        );
    }
}
