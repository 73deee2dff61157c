//! Customer images: an organisation's own server images, made by cloning a stopped server
//! (`POST server/cloneServer`, as jclouds and libcloud call it), listed and read under
//! `image/customerImage[/{id}]` and removed with `image/deleteCustomerImage`.
//!
//! A clone copies the server's hardware (CPU, memory, disks, NIC adapters), guest OS and software
//! labels into an image in the server's datacenter and cluster; its `source` is
//! `{type: CLONE, artifact: [{type: SERVER_ID, value: <server id>}]}` as recorded. While it runs
//! the image is PENDING_ADD and the server PENDING_CHANGE, both with progress `CLONE_SERVER`; an
//! injected deployment failure leaves the image FAILED_ADD with the recorded failure reason.
//! Imported (`IMPORT`, from OVF packages on the datacenter's FTPS host) and copied (`COPY`)
//! images are not emulated.

use super::server::{find, find_mut, Progress};
use super::{check_id, check_name, new_id, tag, Ctx};
use crate::catalog;
use crate::clock;
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::{schedule, OpKind, Outcome, Pending, State};
use crate::paging::{self, FilterSpec};
use crate::store::Org;
use crate::versions;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The failure reason the real API records for a failed clone.
const CLONE_FAILED: &str = "Clone failed, please try again.";

/// One disk of an image.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageDisk {
    /// Id.
    pub id: String,
    /// SCSI unit.
    pub scsi_id: u8,
    /// Size in GB.
    pub size_gb: u32,
    /// Speed.
    pub speed: String,
}

/// A stored customer image.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomerImage {
    /// Id.
    pub id: String,
    /// Name (unique among the organisation's images in the datacenter).
    pub name: String,
    /// Description.
    pub description: String,
    /// Datacenter id.
    pub datacenter_id: String,
    /// VMware cluster id.
    pub cluster_id: String,
    /// CPU count, cores per socket and speed.
    pub cpu: (u32, u32, String),
    /// Memory in GB.
    pub memory_gb: u32,
    /// Id of the SCSI controller holding the disks.
    pub controller_id: String,
    /// Disks.
    pub disks: Vec<ImageDisk>,
    /// NICs as (adapter, key).
    pub nics: Vec<(String, u32)>,
    /// Licensed software.
    pub software_labels: Vec<String>,
    /// Guest OS as (id, display name, family).
    pub os: (String, String, String),
    /// Deployments from the image run guest customisation.
    pub os_customization: bool,
    /// The cloned server.
    pub source_server_id: String,
    /// Creation time (ms).
    pub create_time_ms: u64,
    /// State.
    pub state: State,
    /// The transition in progress.
    pub pending: Option<Pending>,
    /// The clone request (shown while PENDING_ADD or after FAILED_ADD).
    pub progress: Progress,
}

impl CustomerImage {
    /// The image in the current shape (see [`crate::versions::os_image`] for older ones).
    pub fn to_json(&self, org: &Org) -> Value {
        let disks: Vec<Value> = self
            .disks
            .iter()
            .map(
                |d| json!({"id": d.id, "scsiId": d.scsi_id, "sizeGb": d.size_gb, "speed": d.speed}),
            )
            .collect();
        let nics: Vec<Value> = self
            .nics
            .iter()
            .map(|(adapter, key)| json!({"networkAdapter": adapter, "key": key}))
            .collect();
        let mut v = json!({
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "datacenterId": self.datacenter_id,
            "cluster": {"id": self.cluster_id, "name": self.cluster_id},
            "cpu": {"count": self.cpu.0, "speed": self.cpu.2, "coresPerSocket": self.cpu.1},
            "memoryGb": self.memory_gb,
            "scsiController": [{
                "id": self.controller_id, "adapterType": "LSI_LOGIC_PARALLEL", "key": 1000,
                "busNumber": 0, "disk": disks,
            }],
            "sataController": [],
            "floppy": [],
            "nic": nics,
            "softwareLabel": self.software_labels,
            "createTime": clock::iso8601(self.create_time_ms),
            "state": self.state.as_str(),
            "guest": {
                "operatingSystem": {"id": self.os.0, "displayName": self.os.1, "family": self.os.2},
                "vmTools": {"type": "VMWARE_TOOLS", "versionStatus": "CURRENT", "runningStatus": "NOT_RUNNING", "apiVersion": 10336},
                "osCustomization": self.os_customization,
            },
            "virtualHardware": {"version": "vmx-13", "upToDate": true},
            "source": {
                "artifact": [{"type": "SERVER_ID", "value": self.source_server_id}],
                "type": "CLONE",
            },
            "tag": tag::of_asset(org, "CUSTOMER_IMAGE", &self.id),
        });
        let p = &self.progress;
        if self.state.is_pending() {
            v["progress"] = json!({"action": p.action, "requestTime": clock::iso8601(p.request_time_ms), "userName": p.user});
        } else if self.state == State::FailedAdd {
            v["progress"] = json!({"action": p.action, "requestTime": clock::iso8601(p.request_time_ms),
                                   "userName": p.user, "failureReason": CLONE_FAILED});
        }
        v
    }
}

const FILTERS: &[FilterSpec] = &[
    ("id", &["/id"]),
    ("name", &["/name"]),
    ("datacenterId", &["/datacenterId"]),
    ("state", &["/state"]),
];

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        Code::ResourceNotFound,
        format!("Server Image {id} not found."),
    )
}

/// `GET image/customerImage/{id}`.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.as_deref().unwrap_or_default();
    check_id("id", id)?;
    let image = ctx
        .org
        .customer_images
        .get(id)
        .ok_or_else(|| not_found(id).in_operation("GET_CUSTOMER_IMAGE"))?;
    Ok(Reply::Document(versions::os_image(
        image.to_json(ctx.org),
        ctx.call.minor,
    )))
}

/// `GET image/customerImage` (filters `id`, `name`, `datacenterId`, `state`).
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = ctx
        .org
        .customer_images
        .values()
        .map(|i| i.to_json(ctx.org))
        .collect();
    let doc = paging::page(items, "customerImage", &ctx.call.query, FILTERS)?;
    let minor = ctx.call.minor;
    Ok(Reply::Document(versions::each_item(
        doc,
        "customerImage",
        |i| versions::os_image(i, minor),
    )))
}

/// Body of `server/cloneServer`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CloneBody {
    id: String,
    image_name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    cluster_id: Option<String>,
    #[serde(default)]
    guest_os_customization: Option<bool>,
}

/// `POST server/cloneServer`: makes a customer image of a stopped server.
pub fn clone_server(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: CloneBody = ctx.body()?;
    check_name("imageName", &body.image_name, 75)?;
    let s = find(ctx.org, "id", &body.id)?;
    s.check_idle()?;
    s.check_stopped()?;
    let cluster = catalog::cluster_id(&s.datacenter_id);
    if let Some(c) = body.cluster_id.as_deref().filter(|c| *c != cluster) {
        return Err(ApiError::invalid(
            "clusterId",
            format!(
                "`{c}` is not a cluster of datacenter {} (its cluster is {cluster})",
                s.datacenter_id
            ),
        ));
    }
    if ctx
        .org
        .customer_images
        .values()
        .any(|i| i.datacenter_id == s.datacenter_id && i.name == body.image_name)
    {
        return Err(ApiError::new(
            Code::NameNotUnique,
            format!(
                "imageName: a customer image named {} already exists in {}.",
                body.image_name, s.datacenter_id
            ),
        ));
    }
    let os = catalog::image(&s.image_id)
        .map(|i| i.template)
        .map(|t| {
            (
                t.os_id.to_string(),
                t.os_display.to_string(),
                t.family.to_string(),
            )
        })
        .unwrap_or_default();
    let labels = catalog::image(&s.image_id)
        .map(|i| {
            i.template
                .software_labels
                .iter()
                .map(|l| l.to_string())
                .collect()
        })
        .unwrap_or_default();
    let call = ctx.call;
    let outcome = if call.failed_add {
        Outcome::FailedAdd
    } else {
        Outcome::Normal
    };
    let pending = schedule(OpKind::CloneServer, outcome, call.now_ms, call.time_scale);
    let progress = Progress {
        action: "CLONE_SERVER".into(),
        request_time_ms: call.now_ms,
        user: call.user.clone(),
    };
    let image = CustomerImage {
        id: new_id(),
        name: body.image_name.clone(),
        description: body.description.unwrap_or_default(),
        datacenter_id: s.datacenter_id.clone(),
        cluster_id: cluster.clone(),
        cpu: (s.cpu_count, s.cores_per_socket, s.cpu_speed.clone()),
        memory_gb: s.memory_gb,
        controller_id: new_id(),
        disks: s
            .disks
            .iter()
            .map(|d| ImageDisk {
                id: new_id(),
                scsi_id: d.scsi_id,
                size_gb: d.size_gb,
                speed: d.speed.clone(),
            })
            .collect(),
        nics: s.nics().map(|n| (n.adapter.clone(), n.key)).collect(),
        software_labels: labels,
        os,
        os_customization: body.guest_os_customization.unwrap_or(s.os_customization),
        source_server_id: s.id.clone(),
        create_time_ms: call.now_ms,
        state: State::PendingAdd,
        pending: Some(pending),
        progress,
    };
    let image_id = image.id.clone();
    ctx.org.customer_images.insert(image_id.clone(), image);
    let server = find_mut(ctx.org, &body.id)?;
    server.begin(OpKind::CloneServer, "CLONE_SERVER", call, None);
    Ok(Reply::Action(
        Action::in_progress(
            "CLONE_SERVER",
            format!("Request to Clone Server '{}' has been accepted", body.id),
        )
        .info("imageId", image_id)
        .info("clusterId", cluster),
    ))
}

/// Body of `image/deleteCustomerImage`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdBody {
    id: String,
}

/// `POST image/deleteCustomerImage`.
pub fn delete(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    check_id("id", &body.id)?;
    let image = ctx
        .org
        .customer_images
        .get_mut(&body.id)
        .ok_or_else(|| not_found(&body.id))?;
    if image.state.is_pending() {
        return Err(ApiError::busy(
            "Customer Image",
            &body.id,
            image.state.as_str(),
        ));
    }
    let call = ctx.call;
    image.state = State::PendingDelete;
    image.pending = Some(schedule(
        OpKind::CloneServer,
        Outcome::Remove,
        call.now_ms,
        call.time_scale,
    ));
    image.progress = Progress {
        action: "DELETE_SERVER_IMAGE".into(),
        request_time_ms: call.now_ms,
        user: call.user.clone(),
    };
    Ok(Reply::Action(Action::in_progress(
        "DELETE_CUSTOMER_IMAGE",
        format!(
            "Request to Delete Customer Image (Id: {}) has been accepted and is being processed.",
            body.id
        ),
    )))
}
