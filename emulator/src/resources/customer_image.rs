//! Customer images: an organisation's own server images, made by cloning a stopped server
//! (`POST server/cloneServer`, as jclouds and libcloud call it), listed and read under
//! `image/customerImage[/{id}]` and removed with `image/deleteCustomerImage`.
//!
//! A clone copies the server's hardware (CPU, memory, disks, NIC adapters), guest OS and software
//! labels into an image in the server's datacenter and cluster; its `source` is
//! `{type: CLONE, artifact: [{type: SERVER_ID, value: <server id>}]}` as recorded. While it runs
//! the image is PENDING_ADD and the server PENDING_CHANGE, both with progress `CLONE_SERVER`; an
//! injected deployment failure leaves the image FAILED_ADD with the recorded failure reason.
//!
//! `image/importImage` makes an image of an OVF package on the datacenter's FTPS host (checked by
//! [`super::ovf_package`]); its `source` is `{type: IMPORT, artifact: [{type: MF|OVF|VMDK, value,
//! date}]}` as recorded, and it is PENDING_ADD with progress `IMPORT_IMAGE` while the import runs.
//! `image/moveCustomerImage` moves an image to another cluster of its datacenter: PENDING_CHANGE
//! with progress `MOVE_CUSTOMER_IMAGE` that reports its steps (`numberOfSteps`, `updateTime`,
//! `step {name, number, percentComplete}`), computed from the clock. Copied (`COPY`) images are
//! not emulated.

use super::server::{find, find_mut, Progress};
use super::{check_id, check_name, new_id, ovf_package, tag, Ctx, IdBody};
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

/// The failure reason of a failed import (our reading, worded like the recorded clone failure).
const IMPORT_FAILED: &str = "Import failed, please try again.";

/// The steps of a move, in order. Only the last is recorded (`WAIT_FOR_RELOCATE_VM`, step 4 of
/// 4, in jclouds' customer image list); the first three names are our reading.
pub const MOVE_STEPS: [&str; 4] = [
    "VALIDATE_TARGET_CLUSTER",
    "RESERVE_TARGET_STORAGE",
    "RELOCATE_VM",
    "WAIT_FOR_RELOCATE_VM",
];

/// One artifact of an imported image: `(type, file name, upload time ms)`.
pub type Artifact = (String, String, u64);

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
    /// The cloned server (empty for an imported image).
    pub source_server_id: String,
    /// The package files of an imported image (`MF`, `OVF`, `VMDK`), empty for a clone.
    #[serde(default)]
    pub imported_from: Vec<Artifact>,
    /// The cluster a move in progress goes to.
    #[serde(default)]
    pub move_target: Option<String>,
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
    /// The image in the current shape at `now_ms` (see [`crate::versions::os_image`] for older
    /// ones).
    pub fn to_json(&self, org: &Org, now_ms: u64) -> Value {
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
            "source": self.source(),
            "tag": tag::of_asset(org, "CUSTOMER_IMAGE", &self.id),
        });
        let p = &self.progress;
        if self.state.is_pending() {
            v["progress"] = json!({"action": p.action, "requestTime": clock::iso8601(p.request_time_ms), "userName": p.user});
            if let (Some(_), Some(pending)) = (&self.move_target, self.pending) {
                let (number, percent) = move_step(pending.started_ms, pending.due_ms, now_ms);
                v["progress"]["numberOfSteps"] = json!(MOVE_STEPS.len());
                v["progress"]["updateTime"] = json!(clock::iso8601(now_ms.min(pending.due_ms)));
                v["progress"]["step"] = json!({"name": MOVE_STEPS[number - 1], "number": number,
                                               "percentComplete": percent});
            }
        } else if self.state == State::FailedAdd {
            let reason = if self.imported_from.is_empty() {
                CLONE_FAILED
            } else {
                IMPORT_FAILED
            };
            v["progress"] = json!({"action": p.action, "requestTime": clock::iso8601(p.request_time_ms),
                                   "userName": p.user, "failureReason": reason});
        }
        v
    }

    /// `source`: the cloned server, or the imported package's dated files.
    fn source(&self) -> Value {
        if self.imported_from.is_empty() {
            return json!({
                "artifact": [{"type": "SERVER_ID", "value": self.source_server_id}],
                "type": "CLONE",
            });
        }
        let artifacts: Vec<Value> = self
            .imported_from
            .iter()
            .map(|(kind, file, ms)| json!({"type": kind, "value": file, "date": clock::iso8601(*ms)}))
            .collect();
        json!({"artifact": artifacts, "type": "IMPORT"})
    }

    /// Completes a move that is due: the image now lives in the target cluster. The state change
    /// itself is the common lifecycle's.
    pub fn finish_move_if_due(&mut self, now_ms: u64) {
        if self.pending.is_some_and(|p| p.is_due(now_ms)) {
            if let Some(target) = self.move_target.take() {
                self.cluster_id = target;
            }
        }
    }
}

/// The step of a move at `now_ms` and its completion in percent: the move's time is split evenly
/// between the steps.
pub fn move_step(started_ms: u64, due_ms: u64, now_ms: u64) -> (usize, u32) {
    let steps = MOVE_STEPS.len() as u64;
    let total = due_ms.saturating_sub(started_ms).max(1);
    let elapsed = now_ms.saturating_sub(started_ms).min(total - 1);
    // Position in hundredths of a step.
    let position = elapsed * steps * 100 / total;
    ((position / 100 + 1) as usize, (position % 100) as u32)
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

/// The image `id` to change (delete, move), or RESOURCE_NOT_FOUND.
fn image_mut<'a>(org: &'a mut Org, id: &str) -> Result<&'a mut CustomerImage, ApiError> {
    check_id("id", id)?;
    org.customer_images.get_mut(id).ok_or_else(|| not_found(id))
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
        image.to_json(ctx.org, ctx.call.now_ms),
        ctx.call.minor,
    )))
}

/// `GET image/customerImage` (filters `id`, `name`, `datacenterId`, `state`).
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = ctx
        .org
        .customer_images
        .values()
        .map(|i| i.to_json(ctx.org, ctx.call.now_ms))
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
    let cluster = match body.cluster_id.as_deref() {
        Some(c) => check_cluster("clusterId", &s.datacenter_id, c)?,
        None => catalog::cluster_id(&s.datacenter_id),
    };
    check_unique(ctx.org, "imageName", &s.datacenter_id, &body.image_name)?;
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
        imported_from: Vec::new(),
        move_target: None,
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

/// `POST image/deleteCustomerImage`.
pub fn delete(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    let image = image_mut(ctx.org, &body.id)?;
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

/// Checks that `cluster` is one of `datacenter_id`'s clusters, naming `field`.
fn check_cluster(field: &str, datacenter_id: &str, cluster: &str) -> Result<String, ApiError> {
    let clusters = catalog::cluster_ids(datacenter_id);
    if clusters.iter().any(|c| c == cluster) {
        return Ok(cluster.to_string());
    }
    Err(ApiError::invalid(
        field,
        format!(
            "`{cluster}` is not a cluster of datacenter {datacenter_id} (its clusters: {})",
            clusters.join(", ")
        ),
    ))
}

/// Image names are unique among the organisation's images in a datacenter.
fn check_unique(org: &Org, field: &str, datacenter_id: &str, name: &str) -> Result<(), ApiError> {
    if org
        .customer_images
        .values()
        .any(|i| i.datacenter_id == datacenter_id && i.name == name)
    {
        return Err(ApiError::new(
            Code::NameNotUnique,
            format!("{field}: a customer image named {name} already exists in {datacenter_id}."),
        ));
    }
    Ok(())
}

/// Body of `image/importImage` (libcloud, the .NET client's `ImportImageType`, go and the NTT
/// collection send these fields).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ImportBody {
    ovf_package: String,
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    cluster_id: Option<String>,
    #[serde(default)]
    datacenter_id: Option<String>,
    #[serde(default)]
    guest_os_customization: Option<bool>,
    #[serde(default)]
    tag: Vec<tag::TagBody>,
}

/// `POST image/importImage`: makes a customer image of an OVF package on the FTPS host of the
/// target datacenter (given as `datacenterId`, or as `clusterId`, never both).
pub fn import_image(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: ImportBody = ctx.body()?;
    check_name("name", &body.name, 75)?;
    let (datacenter_id, cluster) = match (body.datacenter_id.as_deref(), body.cluster_id.as_deref())
    {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "clusterId",
                "give either datacenterId or clusterId, not both",
            ))
        }
        (None, None) => {
            return Err(ApiError::invalid(
                "datacenterId",
                "either datacenterId or clusterId is required",
            ))
        }
        (Some(dc), None) => {
            let dc = catalog::datacenter(dc).ok_or_else(|| {
                ApiError::invalid(
                    "datacenterId",
                    format!("`{dc}` is not an MCP 2.0 datacenter"),
                )
            })?;
            (dc.id.to_string(), catalog::cluster_id(dc.id))
        }
        (None, Some(c)) => {
            let dc = catalog::datacenter(c.rsplit_once('-').map(|(d, _)| d).unwrap_or(""))
                .filter(|d| catalog::cluster_ids(d.id).iter().any(|x| x == c))
                .ok_or_else(|| {
                    ApiError::invalid(
                        "clusterId",
                        format!("`{c}` is not a cluster of an MCP 2.0 datacenter"),
                    )
                })?;
            (dc.id.to_string(), c.to_string())
        }
    };
    check_unique(ctx.org, "name", &datacenter_id, &body.name)?;
    tag::check_keys(ctx.org, &body.tag, "tag")?;
    let call = ctx.call;
    let package = ovf_package::check(ctx.org, &datacenter_id, &body.ovf_package, call.now_ms)?;
    let d = package.descriptor;
    let outcome = if call.failed_add {
        Outcome::FailedAdd
    } else {
        Outcome::Normal
    };
    let image = CustomerImage {
        id: new_id(),
        name: body.name.clone(),
        description: body.description.unwrap_or_default(),
        datacenter_id: datacenter_id.clone(),
        cluster_id: cluster,
        cpu: (d.cpu_count, d.cores_per_socket, "STANDARD".into()),
        memory_gb: d.memory_gb,
        controller_id: new_id(),
        disks: d
            .disks_gb
            .iter()
            .enumerate()
            .map(|(i, gb)| ImageDisk {
                id: new_id(),
                scsi_id: i as u8,
                size_gb: *gb,
                speed: "STANDARD".into(),
            })
            .collect(),
        nics: d
            .nics
            .iter()
            .enumerate()
            .map(|(i, a)| (a.clone(), 4000 + i as u32))
            .collect(),
        software_labels: Vec::new(),
        os: d.os,
        os_customization: body.guest_os_customization.unwrap_or(true),
        source_server_id: String::new(),
        imported_from: package.artifacts,
        move_target: None,
        create_time_ms: call.now_ms,
        state: State::PendingAdd,
        pending: Some(schedule(
            OpKind::ImportImage,
            outcome,
            call.now_ms,
            call.time_scale,
        )),
        progress: Progress {
            action: "IMPORT_IMAGE".into(),
            request_time_ms: call.now_ms,
            user: call.user.clone(),
        },
    };
    let image_id = image.id.clone();
    tag::apply_checked(
        ctx.org,
        "CUSTOMER_IMAGE",
        &image_id,
        &body.name,
        &datacenter_id,
        &body.tag,
    );
    ctx.org.customer_images.insert(image_id.clone(), image);
    Ok(Reply::Action(
        Action::in_progress(
            "IMPORT_IMAGE",
            "Request to import image has been accepted and is being processed.",
        )
        .info("imageId", image_id),
    ))
}

/// Body of `image/moveCustomerImage` (the .NET client's `MoveCustomerImageType`: `id` attribute
/// and `targetClusterId` element).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MoveBody {
    id: String,
    target_cluster_id: String,
}

/// `POST image/moveCustomerImage`: moves a NORMAL image to another cluster of its datacenter.
pub fn move_image(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: MoveBody = ctx.body()?;
    let image = image_mut(ctx.org, &body.id)?;
    if image.state != State::Normal {
        return Err(ApiError::busy(
            "Customer Image",
            &body.id,
            image.state.as_str(),
        ));
    }
    let target = check_cluster(
        "targetClusterId",
        &image.datacenter_id,
        &body.target_cluster_id,
    )?;
    if target == image.cluster_id {
        return Err(ApiError::invalid(
            "targetClusterId",
            format!("Customer Image {} is already in cluster {target}", body.id),
        ));
    }
    let call = ctx.call;
    image.state = State::PendingChange;
    image.pending = Some(schedule(
        OpKind::MoveCustomerImage,
        Outcome::Normal,
        call.now_ms,
        call.time_scale,
    ));
    image.progress = Progress {
        action: "MOVE_CUSTOMER_IMAGE".into(),
        request_time_ms: call.now_ms,
        user: call.user.clone(),
    };
    image.move_target = Some(target.clone());
    Ok(Reply::Action(
        Action::in_progress(
            "MOVE_CUSTOMER_IMAGE",
            format!(
                "Request to move Customer Image (Id: {}) to cluster {target} has been accepted and is being processed.",
                body.id
            ),
        )
        .info("imageId", body.id.clone())
        .info("clusterId", target),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_walks_its_steps_with_the_clock() {
        assert_eq!(move_step(0, 400, 0), (1, 0));
        assert_eq!(move_step(0, 400, 150), (2, 50));
        assert_eq!(move_step(0, 400, 399), (4, 99));
        // Past the due time (not yet advanced) it stays in the last step.
        assert_eq!(move_step(0, 400, 900), (4, 99));
        // An instant move (time scale 0).
        assert_eq!(move_step(5, 5, 5), (1, 0));
    }
}
