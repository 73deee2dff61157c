//! Plan time: the values a new server gets from its image, what an update will do to disks,
//! CPU and memory, and every refusal the API would give that can be known before apply.

use std::net::Ipv4Addr;

use cloudcontrol::{Datacenter, Image, ImageKind};
use serde::Deserialize;
use tfplugin::model::{from_value, write_into};
use tfplugin::provider::{ModifyPlan, OperationContext};
use tfplugin::{AttributePath, Value};

use super::cpu::{Compute, ComputeSettings};
use super::disks::{disk_path, image_disks, plan_disks, DiskPlan, Origin, ServerDisk};
use super::model::{DeclaredDisk, ServerModel, SERVER_TYPE};
use crate::provider::ProviderData;
use crate::rules::check_ip_in_vlan;

/// What plan time reads of the configuration: any of it may still be unknown (read as `None`).
#[derive(Debug, Default, Deserialize)]
struct ConfigView {
    image_id: Option<String>,
    cores_per_socket: Option<u32>,
    primary_nic: Option<NicView>,
}

#[derive(Debug, Default, Deserialize)]
struct NicView {
    vlan_id: Option<String>,
    private_ipv4: Option<String>,
}

/// The plan's disk blocks, when all of them are known.
#[derive(Debug, Deserialize)]
struct DeclaredView {
    disk: Vec<DeclaredDisk>,
}

/// The plan-time entry point of the resource.
pub async fn modify_plan(ctx: &OperationContext<'_, ProviderData>, plan: &mut ModifyPlan) {
    let config: ConfigView = from_value(&plan.config).unwrap_or_default();
    mirror_primary_ipv4(plan);
    check_ip_against_vlan(ctx, &config, plan).await;
    if plan.prior.is_null() {
        plan_new_server(ctx, &config, plan).await;
    } else if let Ok(prior) = ServerModel::read(&plan.prior) {
        plan_server_change(ctx, &config, &prior, plan).await;
    }
}

/// `primary_ipv4` is the primary NIC's address, known at plan time when configured.
fn mirror_primary_ipv4(plan: &mut ModifyPlan) {
    let nic_ip = plan
        .planned
        .attr("primary_nic")
        .attr("private_ipv4")
        .clone();
    plan.planned.set_attr("primary_ipv4", nic_ip);
}

/// A new server: CPU, memory and disks from the image where the configuration is silent, so
/// the plan shows what the server will get; every check that needs the image.
async fn plan_new_server(
    ctx: &OperationContext<'_, ProviderData>,
    config: &ConfigView,
    plan: &mut ModifyPlan,
) {
    let Some(image) = planned_image(ctx, config, plan).await else {
        return;
    };
    let datacenter = read_datacenter(ctx, &image.datacenter_id).await;
    // Values still unknown (set from other resources) are checked at apply by the API.
    if let Ok(settings) = from_value::<ComputeSettings>(&plan.planned) {
        let compute = Compute::of_image(&image).overridden_by(&settings);
        // Only values the configuration leaves unset (unknown in the plan) take the image's.
        fill_unknown_compute(plan, &compute);
        report_cpu(
            plan,
            &compute,
            datacenter.as_ref(),
            config.cores_per_socket.is_some(),
        );
    }
    let Some(declared) = declared_disks(&plan.planned) else {
        return;
    };
    let disk_plan = plan_disks(&image_disks(&image), &declared, Origin::Image);
    check_disk_speeds(
        plan,
        &disk_plan,
        &image_disks(&image),
        &declared,
        datacenter.as_ref(),
    );
    report_disks(plan, disk_plan);
}

/// An existing server: what the change does to disks and CPU, and whether it needs a stop the
/// configuration does not allow.
async fn plan_server_change(
    ctx: &OperationContext<'_, ProviderData>,
    config: &ConfigView,
    prior: &ServerModel,
    plan: &mut ModifyPlan,
) {
    let vlan = |v: &Value| v.attr("primary_nic").attr("vlan_id").clone();
    if vlan(&plan.prior) != vlan(&plan.planned) {
        plan.requires_replace
            .push(AttributePath::attribute("primary_nic").attr("vlan_id"));
        return;
    }
    let Ok(planned) = ServerModel::read(&plan.planned) else {
        return;
    };
    let before = Compute::of_settings(&prior.compute);
    let after = Compute::of_settings(&planned.compute);
    let current_disks = prior.all_disks.clone().unwrap_or_default();
    let declared = declared_disks(&plan.planned);
    let disk_plan = declared
        .as_ref()
        .map(|declared| plan_disks(&current_disks, declared, Origin::Server));
    let new_speeds = disk_plan.as_ref().is_some_and(|p| {
        p.target
            .iter()
            .any(|t| !current_disks.contains(t) && t.speed != "STANDARD")
    });
    let compute_changed = before != after;
    // The datacenter is read only when something it rules on changes.
    let datacenter = match (&prior.datacenter, compute_changed || new_speeds) {
        (Some(id), true) => read_datacenter(ctx, id).await,
        _ => None,
    };
    let mut needs_stop = None;
    if let (Some(before), Some(after)) = (&before, &after) {
        if compute_changed {
            report_cpu(
                plan,
                after,
                datacenter.as_ref(),
                config.cores_per_socket.is_some(),
            );
            needs_stop = before.needs_stop(after);
        }
    }
    if let (Some(disk_plan), Some(declared)) = (disk_plan, declared) {
        check_disk_speeds(
            plan,
            &disk_plan,
            &current_disks,
            &declared,
            datacenter.as_ref(),
        );
        if needs_stop.is_none() {
            needs_stop = disk_plan.needs_stop.clone();
        }
        report_disks(plan, disk_plan);
    }
    let reboot_ok = planned.allow_reboot || !planned.started;
    if let (Some((path, change)), true, false) = (needs_stop, prior.started, reboot_ok) {
        plan.diagnostics.error_at(
            path,
            "Change needs a reboot",
            format!("{change} needs the server to be powered off, and it is running. Set allow_reboot = true to let the provider shut it down and start it again, or set started = false."),
        );
    }
}

/// Sets the CPU and memory attributes the plan has unknown, and the configuration unset, to
/// `compute`'s.
fn fill_unknown_compute(plan: &mut ModifyPlan, compute: &Compute) {
    let mut filled = Value::Null;
    if write_into(&compute.settings(), &mut filled, &SERVER_TYPE).is_err() {
        return;
    }
    for (name, value) in filled.entries().into_iter().flatten() {
        if plan.planned.attr(name).is_unknown() && plan.config.attr(name).is_null() {
            plan.planned.set_attr(name.clone(), value.clone());
        }
    }
}

fn report_cpu(
    plan: &mut ModifyPlan,
    compute: &Compute,
    datacenter: Option<&Datacenter>,
    cores_configured: bool,
) {
    for problem in compute.problems(datacenter, cores_configured) {
        plan.diagnostics
            .error_at(problem.path, problem.summary, problem.detail);
    }
}

/// Records the disk plan: its refusals, and `all_disks` as the server will have them.
fn report_disks(plan: &mut ModifyPlan, disk_plan: DiskPlan) {
    for problem in disk_plan.problems {
        plan.diagnostics
            .error_at(problem.path, problem.summary, problem.detail);
    }
    #[derive(serde::Serialize)]
    struct AllDisks {
        all_disks: Vec<ServerDisk>,
    }
    let all_disks = AllDisks {
        all_disks: disk_plan.target,
    };
    // The struct's one field is a schema attribute, so this cannot fail.
    let _ = write_into(&all_disks, &mut plan.planned, &SERVER_TYPE);
}

/// The plan's disk blocks, or `None` while any of them is unknown.
fn declared_disks(planned: &Value) -> Option<Vec<DeclaredDisk>> {
    if !planned.attr("disk").is_wholly_known() {
        return None;
    }
    from_value::<DeclaredView>(planned).ok().map(|v| v.disk)
}

/// Every new or re-speeded disk must ask for a speed the datacenter offers: the API would
/// refuse it only after the server is deployed or powered off.
fn check_disk_speeds(
    plan: &mut ModifyPlan,
    disk_plan: &DiskPlan,
    current: &[ServerDisk],
    declared: &[DeclaredDisk],
    datacenter: Option<&Datacenter>,
) {
    let Some(datacenter) = datacenter else {
        return;
    };
    let offered: Vec<&str> = datacenter
        .hypervisor
        .disk_speed
        .iter()
        .filter(|s| s.available)
        .map(|s| s.id.as_str())
        .collect();
    for target in &disk_plan.target {
        let unchanged = current
            .iter()
            .any(|c| c.scsi_id == target.scsi_id && c.speed.eq_ignore_ascii_case(&target.speed));
        if unchanged || datacenter.offers_disk_speed(&target.speed) {
            continue;
        }
        let Some(i) = declared.iter().position(|d| d.scsi_id == target.scsi_id) else {
            continue;
        };
        plan.diagnostics.error_at(
            disk_path(i, "speed"),
            "Disk speed not offered",
            format!(
                "disk[{i}].speed {} is not offered in datacenter {}; it offers {}",
                target.speed,
                datacenter.id,
                offered.join(", ")
            ),
        );
    }
}

async fn read_datacenter(ctx: &OperationContext<'_, ProviderData>, id: &str) -> Option<Datacenter> {
    ctx.data.client.get_datacenter(id).await.ok().flatten()
}

/// The configured OS image of a new server; `None` (with a diagnostic when it does not exist)
/// when it cannot be read. A failed read is left for apply to report.
async fn planned_image(
    ctx: &OperationContext<'_, ProviderData>,
    config: &ConfigView,
    plan: &mut ModifyPlan,
) -> Option<Image> {
    let image_id = config.image_id.as_deref()?;
    match ctx.data.client.get_image(ImageKind::Os, image_id).await {
        Ok(Some(image)) => Some(image),
        Ok(None) => {
            plan.diagnostics.error_at(
                AttributePath::attribute("image_id"),
                "Image not found",
                format!("There is no OS image with id {image_id}; look one up with the cloudcontrol_image data source."),
            );
            None
        }
        Err(_) => None,
    }
}

/// A configured private IPv4 must lie in the (already existing) VLAN. Only reads: a VLAN
/// created in the same plan has an unknown id and is checked by the API.
async fn check_ip_against_vlan(
    ctx: &OperationContext<'_, ProviderData>,
    config: &ConfigView,
    plan: &mut ModifyPlan,
) {
    let Some(NicView {
        vlan_id: Some(vlan_id),
        private_ipv4: Some(ip),
    }) = &config.primary_nic
    else {
        return;
    };
    // A server already on this address in this VLAN was accepted by the API: no need to read
    // the VLAN on every plan (a refresh reads each resource once).
    let prior_nic = plan.prior.attr("primary_nic");
    if prior_nic.attr("vlan_id").as_str() == Some(vlan_id.as_str())
        && prior_nic.attr("private_ipv4").as_str() == Some(ip.as_str())
    {
        return;
    }
    let Ok(ip) = ip.parse::<Ipv4Addr>() else {
        return;
    };
    let Ok(Some(vlan)) = ctx.data.client.get_vlan(vlan_id).await else {
        return;
    };
    let Ok(base) = vlan.private_ipv4_range.address.parse::<Ipv4Addr>() else {
        return;
    };
    let gateway = vlan.gateway_addressing().unwrap_or("LOW").to_owned();
    if let Err(rule) = check_ip_in_vlan(ip, base, vlan.private_ipv4_range.prefix_size, &gateway) {
        plan.diagnostics.error_at(
            AttributePath::attribute("primary_nic").attr("private_ipv4"),
            "Address not usable in the VLAN",
            format!("primary_nic.private_ipv4: {rule} (VLAN {})", vlan.name),
        );
    }
}
