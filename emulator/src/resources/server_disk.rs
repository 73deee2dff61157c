//! Server disks: addDisk, expandDisk, changeDiskSpeed, removeDisk (all async on the server).
//! Adding, expanding and removing need a stopped server (SERVER_STARTED otherwise, as since CaaS 2.7).

use super::server::{check_speed, find as find_server, find_mut as find_server_mut, Disk, Server};
use super::{check_id, new_id, Ctx, IdBody};
use crate::catalog::{self, LIMITS};
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::{OpKind, State};
use crate::store::Org;
use serde::Deserialize;

/// SCSI unit 7 is the controller itself.
const RESERVED_SCSI_ID: u8 = 7;
/// Highest SCSI unit id on a controller.
const MAX_SCSI_ID: u8 = 15;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ControllerTarget {
    controller_id: String,
    #[serde(default)]
    scsi_id: Option<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AddBody {
    #[serde(default)]
    server_id: Option<String>,
    /// 2.2-style server id.
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    scsi_controller: Option<ControllerTarget>,
    size_gb: u32,
    #[serde(default)]
    speed: Option<String>,
    #[serde(default)]
    iops: Option<u32>,
    #[serde(default)]
    scsi_id: Option<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ExpandBody {
    id: String,
    new_size_gb: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SpeedBody {
    id: String,
    speed: String,
    #[serde(default)]
    iops: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IopsBody {
    id: String,
    iops: u32,
}

fn check_size(field: &str, gb: u32) -> Result<(), ApiError> {
    if !(LIMITS.min_disk_gb..=LIMITS.max_disk_gb).contains(&gb) {
        return Err(ApiError::new(
            Code::ExceedsLimit,
            format!(
                "{field}: {gb} GB must be between {} and {} GB",
                LIMITS.min_disk_gb, LIMITS.max_disk_gb
            ),
        ));
    }
    Ok(())
}

fn server_of_disk<'a>(org: &'a Org, disk_id: &str) -> Result<&'a Server, ApiError> {
    check_id("id", disk_id)?;
    org.servers
        .values()
        .find(|s| s.disks.iter().any(|d| d.id == disk_id))
        .ok_or_else(|| ApiError::not_found("Disk", disk_id))
}

fn dc_of(s: &Server) -> &'static catalog::Datacenter {
    catalog::datacenter(&s.datacenter_id).unwrap_or(&catalog::DATACENTERS[0])
}

/// `POST server/addDisk` (2.10 `serverId` / `scsiController` bodies, or the 2.2 `id` body).
pub fn add(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: AddBody = ctx.body()?;
    let (server_id, scsi_field, wanted_scsi) =
        match (&body.server_id, &body.id, &body.scsi_controller) {
            (Some(s), None, None) => (s.clone(), "scsiId", body.scsi_id),
            (None, Some(s), None) => (s.clone(), "scsiId", body.scsi_id),
            (None, None, Some(c)) => {
                check_id("scsiController.controllerId", &c.controller_id)?;
                let s = ctx
                    .org
                    .servers
                    .values()
                    .find(|s| s.controller_id == c.controller_id)
                    .ok_or_else(|| ApiError::not_found("SCSI controller", &c.controller_id))?;
                (s.id.clone(), "scsiController.scsiId", c.scsi_id)
            }
            _ => {
                return Err(ApiError::invalid(
                    "serverId",
                    "give exactly one of serverId, id or scsiController",
                ))
            }
        };
    let s = find_server(ctx.org, "serverId", &server_id)?;
    s.check_idle()?;
    super::consistency_group::check_server_change(ctx.org, &s.id, "addDisk")?;
    s.check_stopped()?;
    check_size("sizeGb", body.size_gb)?;
    let speed = body.speed.clone().unwrap_or_else(|| "STANDARD".into());
    check_speed(dc_of(s), &speed, "speed")?;
    let max_additional = dc_of(s).limits.max_total_additional_storage_gb;
    if s.additional_storage_gb() + body.size_gb > max_additional {
        return Err(ApiError::new(
            Code::ExceedsLimit,
            format!(
                "sizeGb: additional storage would be {} GB, at most {max_additional} GB per server",
                s.additional_storage_gb() + body.size_gb,
            ),
        ));
    }
    let used: Vec<u8> = s.disks.iter().map(|d| d.scsi_id).collect();
    let scsi_id = match wanted_scsi {
        Some(id) if id == RESERVED_SCSI_ID || id > MAX_SCSI_ID => {
            return Err(ApiError::invalid(
                scsi_field,
                format!("{id} is not usable (0–{MAX_SCSI_ID}, 7 is reserved)"),
            ))
        }
        Some(id) if used.contains(&id) => {
            return Err(ApiError::invalid(
                scsi_field,
                format!("SCSI id {id} is already used by another disk"),
            ))
        }
        Some(id) => id,
        None => (0..=MAX_SCSI_ID)
            .find(|i| *i != RESERVED_SCSI_ID && !used.contains(i))
            .ok_or_else(|| {
                ApiError::new(
                    Code::ExceedsLimit,
                    format!("serverId: Server {server_id} has no free SCSI id (at most 14 disks)"),
                )
            })?,
    };
    let controller_id = s.controller_id.clone();
    let disk_id = new_id();
    let s = find_server_mut(ctx.org, &server_id)?;
    s.begin(OpKind::DiskChange, "ADD_DISK", ctx.call, None);
    s.disks.push(Disk {
        id: disk_id.clone(),
        scsi_id,
        size_gb: body.size_gb,
        speed: speed.clone(),
        iops: body.iops,
        state: State::PendingAdd,
    });
    s.disks.sort_by_key(|d| d.scsi_id);
    Ok(Reply::Action(
        Action::in_progress("ADD_DISK", format!("Request to add disk to Server (Id: {server_id}) has been accepted and is being processed."))
            .info("diskId", disk_id)
            .info("scsiId", scsi_id.to_string())
            .info("scsiControllerId", controller_id)
            .info("busNumber", "0")
            .info("speed", speed),
    ))
}

/// `POST server/expandDisk`: grow only.
pub fn expand(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: ExpandBody = ctx.body()?;
    let s = server_of_disk(ctx.org, &body.id)?;
    s.check_idle()?;
    super::consistency_group::check_server_change(ctx.org, &s.id, "expandDisk")?;
    s.check_stopped()?;
    let disk = s
        .disks
        .iter()
        .find(|d| d.id == body.id)
        .ok_or_else(|| ApiError::not_found("Disk", &body.id))?;
    if body.new_size_gb <= disk.size_gb {
        return Err(ApiError::invalid(
            "newSizeGb",
            format!(
                "{} GB must be larger than the current {} GB (disks only grow)",
                body.new_size_gb, disk.size_gb
            ),
        ));
    }
    check_size("newSizeGb", body.new_size_gb)?;
    let max_additional = dc_of(s).limits.max_total_additional_storage_gb;
    if disk.scsi_id != 0
        && s.additional_storage_gb() - disk.size_gb + body.new_size_gb > max_additional
    {
        return Err(ApiError::new(
            Code::ExceedsLimit,
            format!("newSizeGb: additional storage would exceed {max_additional} GB per server"),
        ));
    }
    let sid = s.id.clone();
    let s = find_server_mut(ctx.org, &sid)?;
    s.begin(OpKind::DiskChange, "EXPAND_DISK", ctx.call, None);
    if let Some(d) = s.disks.iter_mut().find(|d| d.id == body.id) {
        d.size_gb = body.new_size_gb;
        d.state = State::PendingChange;
    }
    Ok(Reply::Action(Action::in_progress(
        "EXPAND_DISK",
        format!(
            "Request to expand Disk (Id: {}) has been accepted and is being processed.",
            body.id
        ),
    )))
}

/// `POST server/changeDiskSpeed`.
pub fn change_speed(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: SpeedBody = ctx.body()?;
    let s = server_of_disk(ctx.org, &body.id)?;
    s.check_idle()?;
    super::consistency_group::check_server_change(ctx.org, &s.id, "changeDiskSpeed")?;
    check_speed(dc_of(s), &body.speed, "speed")?;
    let sid = s.id.clone();
    let s = find_server_mut(ctx.org, &sid)?;
    s.begin(OpKind::DiskChange, "CHANGE_DISK_SPEED", ctx.call, None);
    if let Some(d) = s.disks.iter_mut().find(|d| d.id == body.id) {
        d.speed = body.speed.clone();
        d.iops = body.iops;
        d.state = State::PendingChange;
    }
    Ok(Reply::Action(Action::in_progress("CHANGE_DISK_SPEED", format!("Request to change the speed of Disk (Id: {}) has been accepted and is being processed.", body.id))))
}

/// `POST server/changeDiskIops`: only for PROVISIONEDIOPS disks.
pub fn change_iops(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IopsBody = ctx.body()?;
    let s = server_of_disk(ctx.org, &body.id)?;
    s.check_idle()?;
    let disk = s
        .disks
        .iter()
        .find(|d| d.id == body.id)
        .ok_or_else(|| ApiError::not_found("Disk", &body.id))?;
    if disk.speed != "PROVISIONEDIOPS" {
        return Err(ApiError::new(
            Code::OperationNotSupported,
            format!(
                "id: Disk {} has speed {}; IOPS apply only to PROVISIONEDIOPS disks.",
                body.id, disk.speed
            ),
        ));
    }
    if body.iops == 0 {
        return Err(ApiError::invalid("iops", "must be positive"));
    }
    let sid = s.id.clone();
    let s = find_server_mut(ctx.org, &sid)?;
    s.begin(OpKind::DiskChange, "CHANGE_DISK_IOPS", ctx.call, None);
    if let Some(d) = s.disks.iter_mut().find(|d| d.id == body.id) {
        d.iops = Some(body.iops);
        d.state = State::PendingChange;
    }
    Ok(Reply::Action(Action::in_progress(
        "CHANGE_DISK_IOPS",
        format!(
            "Request to change the IOPS of Disk (Id: {}) has been accepted and is being processed.",
            body.id
        ),
    )))
}

/// `POST server/removeDisk`: not the OS disk.
pub fn remove(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    let s = server_of_disk(ctx.org, &body.id)?;
    s.check_idle()?;
    super::consistency_group::check_server_change(ctx.org, &s.id, "removeDisk")?;
    s.check_stopped()?;
    if s.disks.iter().any(|d| d.id == body.id && d.scsi_id == 0) {
        return Err(ApiError::new(
            Code::OperationNotSupported,
            format!(
                "id: Disk {} is the OS disk (SCSI 0) and cannot be removed.",
                body.id
            ),
        ));
    }
    let sid = s.id.clone();
    let s = find_server_mut(ctx.org, &sid)?;
    s.begin(OpKind::DiskChange, "REMOVE_DISK", ctx.call, None);
    if let Some(d) = s.disks.iter_mut().find(|d| d.id == body.id) {
        d.state = State::PendingDelete;
    }
    Ok(Reply::Action(Action::in_progress(
        "REMOVE_DISK",
        format!(
            "Request to remove Disk (Id: {}) has been accepted and is being processed.",
            body.id
        ),
    )))
}
