//! `cloudcontrol_server`: a cloud server deployed from an OS image, with its primary NIC,
//! disks, power state and monitoring plan.

use std::net::Ipv4Addr;
use std::time::Duration;

use async_trait::async_trait;
use cloudcontrol::{
    AddDisk, CpuRequest, DeployDisk, DeployNetworkInfo, DeployServer, EditServerMetadata,
    ImageKind, NicRequest, ReconfigureServer, Secret, Server, TagAssetType, WaitOptions,
};
use tfplugin::provider::{
    ApplyResponse, CreateRequest, DeleteRequest, ImportResponse, ModifyPlan, OperationContext,
    ReadRequest, ReadResponse, Resource, UpdateRequest,
};
use tfplugin::schema::validators::{int_between, one_of, string_length, Ipv4Address};
use tfplugin::schema::{timeouts_block, Attribute, Block, NestedBlock, Schema, TimeoutOp};
use tfplugin::{AttributePath, Diagnostics, Value};

use crate::adopt::{differences, vanished, Found, MarkerPlace};
use crate::import_id::{import_state, EnvSecret, ImportOptions};
use crate::marker::new_marker;
use crate::provider::ProviderData;
use crate::rules::{
    check_ip_in_vlan, NameRule, PasswordRule, ScsiIdRule, CPU_RANGE, DISK_GB_RANGE,
    MAX_ADDITIONAL_STORAGE_GB, MAX_NAME_LEN, MEMORY_GB_RANGE,
};
use crate::support::{api_error, boolean, int, opt_string, record_read, string, wait};

/// The `cloudcontrol_server` resource type.
pub struct ServerResource;

const DEPLOY_TIMEOUT: Duration = Duration::from_secs(30 * 60);
const UPDATE_TIMEOUT: Duration = Duration::from_secs(20 * 60);
const DELETE_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// The image's operating-system disk, which the API never removes.
const OS_DISK_SCSI_ID: u8 = 0;
const DISK_SPEEDS: [&str; 4] = ["STANDARD", "HIGHPERFORMANCE", "ECONOMY", "PROVISIONEDIOPS"];

/// A disk as configured: SCSI id, size and speed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DiskSpec {
    scsi_id: u8,
    size_gb: u32,
    speed: String,
}

fn disks_of(value: &Value) -> Vec<DiskSpec> {
    value
        .blocks("disk")
        .filter_map(|d| {
            Some(DiskSpec {
                scsi_id: int(d, "scsi_id")? as u8,
                size_gb: int(d, "size_gb")? as u32,
                speed: string(d, "speed").unwrap_or_else(|| "STANDARD".into()),
            })
        })
        .collect()
}

fn disk_path(index: usize, name: &str) -> AttributePath {
    AttributePath::attribute("disk")
        .index(index as i64)
        .attr(name)
}

#[async_trait]
impl Resource<ProviderData> for ServerResource {
    fn type_name(&self) -> &str {
        "cloudcontrol_server"
    }

    fn schema(&self) -> Schema {
        let nic = Block::new()
            .description("The primary network adapter.")
            .attribute(Attribute::string("vlan_id").required().description(
                "Id of the VLAN the adapter is on. Changing it replaces the server.",
            ))
            .attribute(
                Attribute::string("private_ipv4")
                    .optional_computed()
                    .use_state_for_unknown()
                    .validator(Ipv4Address)
                    .description("Private IPv4 address; when unset, the first free address of the VLAN. Changed in place."),
            );
        let disk = Block::new()
            .description("A disk: the image's disks (declare them with at least their image size) and added ones.")
            .attribute(Attribute::number("scsi_id").required().validator(ScsiIdRule).description("SCSI id of the disk (0 is the image's OS disk; 7 is reserved)."))
            .attribute(
                Attribute::number("size_gb")
                    .required()
                    .validator(int_between(DISK_GB_RANGE.0, DISK_GB_RANGE.1))
                    .description("Size in GB. Disks only grow; growing, adding and removing a disk power-cycle a running server, which needs allow_reboot = true. Removing a disk block removes the disk in place; the OS disk (scsi_id 0) cannot be removed."),
            )
            .attribute(
                Attribute::string("speed")
                    .default("STANDARD")
                    .validator(one_of(DISK_SPEEDS))
                    .description("Disk speed: STANDARD, HIGHPERFORMANCE, ECONOMY or PROVISIONEDIOPS, one the datacenter offers (checked at plan time). Changed in place on a running server (no reboot)."),
            );
        Schema::new(
            Block::new()
                .description("A cloud server deployed from an OS image.")
                .attribute(Attribute::id())
                .attribute(Attribute::string("name").required().validator(NameRule(MAX_NAME_LEN)).description("Server name."))
                .attribute(Attribute::string("description").default("").validator(string_length(0, 255)).description("Server description."))
                .attribute(Attribute::string("network_domain_id").required().requires_replace().description("Id of the network domain."))
                .attribute(Attribute::string("image_id").required().requires_replace().description("Id of the OS image to deploy (see the cloudcontrol_image data source)."))
                .attribute(
                    Attribute::string("admin_password")
                        .optional()
                        .sensitive()
                        .validator(PasswordRule)
                        .description("Administrator (root) password set by guest OS customisation at deployment. Without it the image is deployed uncustomised. Only used at deployment."),
                )
                .attribute(Attribute::number("cpu_count").optional_computed().use_state_for_unknown().validator(int_between(CPU_RANGE.0, CPU_RANGE.1)).description("Number of CPUs (default: the image's). Changed in place."))
                .attribute(Attribute::number("memory_gb").optional_computed().use_state_for_unknown().validator(int_between(MEMORY_GB_RANGE.0, MEMORY_GB_RANGE.1)).description("Memory in GB (default: the image's). Changed in place."))
                .attribute(Attribute::bool("started").default(true).description("Whether the server is running."))
                .attribute(
                    Attribute::bool("allow_reboot")
                        .default(false)
                        .description("Allow the provider to shut a running server down and start it again for changes the API only makes on a stopped server (adding, growing or removing disks)."),
                )
                .attribute(Attribute::string("monitoring_plan").optional().validator(one_of(["ESSENTIALS", "ADVANCED"])).description("Monitoring service plan: ESSENTIALS, ADVANCED or unset for none."))
                .attribute(Attribute::string("datacenter").computed().use_state_for_unknown().description("Datacenter the server is in."))
                .attribute(Attribute::string("primary_ipv4").computed().use_state_for_unknown().description("Private IPv4 address of the primary NIC."))
                .attribute(Attribute::string("primary_ipv6").computed().use_state_for_unknown().description("IPv6 address of the primary NIC."))
                .block(NestedBlock::single("primary_nic", nic).min_items(1).max_items(1))
                .block(NestedBlock::list("disk", disk))
                .block(timeouts_block(&[TimeoutOp::Create, TimeoutOp::Update, TimeoutOp::Delete])),
        )
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let mut seen = std::collections::BTreeSet::new();
        let mut additional = 0;
        for (i, d) in config.blocks("disk").enumerate() {
            if let Some(id) = int(d, "scsi_id") {
                if !seen.insert(id) {
                    diags.error_at(
                        disk_path(i, "scsi_id"),
                        "Duplicate disk",
                        format!("disk[{i}].scsi_id {id} is declared twice"),
                    );
                }
                if id != 0 {
                    additional += int(d, "size_gb").unwrap_or(0);
                }
            }
        }
        if additional > MAX_ADDITIONAL_STORAGE_GB {
            diags.error_at(
                AttributePath::attribute("disk"),
                "Too much storage",
                format!("the additional disks add up to {additional} GB; a server can have at most {MAX_ADDITIONAL_STORAGE_GB} GB besides its OS disk"),
            );
        }
        diags
    }

    async fn modify_plan(&self, ctx: &OperationContext<'_, ProviderData>, plan: &mut ModifyPlan) {
        let nic_ip = plan
            .planned
            .attr("primary_nic")
            .attr("private_ipv4")
            .clone();
        plan.planned.set_attr("primary_ipv4", nic_ip);
        check_ip_against_vlan(ctx, plan).await;
        // A new server's image, read once: it gives the datacenter and the disks to check.
        let image = if plan.prior.is_null() {
            planned_image(ctx, plan).await
        } else {
            None
        };
        let datacenter = string(&plan.prior, "datacenter")
            .or_else(|| image.as_ref().map(|i| i.datacenter_id.clone()));
        if let Some(datacenter) = datacenter {
            check_disk_speeds(ctx, plan, &datacenter).await;
        }
        if plan.prior.is_null() {
            if let Some(image) = &image {
                check_image_disks(image, plan);
            }
            return;
        }
        let vlan = |v: &Value| v.attr("primary_nic").attr("vlan_id").clone();
        if vlan(&plan.prior) != vlan(&plan.planned) {
            plan.requires_replace
                .push(AttributePath::attribute("primary_nic").attr("vlan_id"));
            return;
        }
        let prior = disks_of(&plan.prior);
        let mut needs_stop = None;
        for (i, disk) in disks_of(&plan.planned).iter().enumerate() {
            match prior.iter().find(|p| p.scsi_id == disk.scsi_id) {
                Some(old) if disk.size_gb < old.size_gb => plan.diagnostics.error_at(
                    disk_path(i, "size_gb"),
                    "Disks cannot shrink",
                    format!("disk[{i}] (scsi_id {}) is {} GB; CloudControl can only grow disks, not shrink them to {} GB", disk.scsi_id, old.size_gb, disk.size_gb),
                ),
                Some(old) if disk.size_gb > old.size_gb => {
                    needs_stop.get_or_insert((disk_path(i, "size_gb"), format!("growing disk[{i}] from {} to {} GB", old.size_gb, disk.size_gb)));
                }
                Some(_) => {}
                None => {
                    needs_stop.get_or_insert((disk_path(i, "scsi_id"), format!("adding disk[{i}] (scsi_id {})", disk.scsi_id)));
                }
            }
        }
        let planned_ids: Vec<u8> = disks_of(&plan.planned).iter().map(|d| d.scsi_id).collect();
        for removed in prior.iter().filter(|p| !planned_ids.contains(&p.scsi_id)) {
            if removed.scsi_id == OS_DISK_SCSI_ID {
                plan.diagnostics.error_at(
                    AttributePath::attribute("disk"),
                    "The OS disk cannot be removed",
                    format!("the disk at scsi_id {OS_DISK_SCSI_ID} holds the image's operating system and CloudControl cannot remove it; declare it again: disk {{ scsi_id = {OS_DISK_SCSI_ID} size_gb = {} }}", removed.size_gb),
                );
                continue;
            }
            needs_stop.get_or_insert((
                AttributePath::attribute("disk"),
                format!("removing the disk at scsi_id {}", removed.scsi_id),
            ));
        }
        let running = boolean(&plan.prior, "started") == Some(true);
        let reboot_ok = boolean(&plan.planned, "allow_reboot") == Some(true)
            || plan.planned.attr("started").as_bool() == Some(false);
        if let (Some((path, change)), true, false) = (needs_stop, running, reboot_ok) {
            plan.diagnostics.error_at(
                path,
                "Change needs a reboot",
                format!("{change} needs the server to be powered off, and it is running. Set allow_reboot = true to let the provider shut it down and start it again, or set started = false."),
            );
        }
    }

    async fn create(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: CreateRequest,
        response: &mut ApplyResponse,
    ) {
        let planned = &request.planned;
        let client = &ctx.data.client;
        let options = wait(ctx, DEPLOY_TIMEOUT);
        let image_id = string(planned, "image_id").unwrap_or_default();
        let image = match client.get_image(ImageKind::Os, &image_id).await {
            Ok(Some(image)) => image,
            Ok(None) => {
                response.state = Value::Null;
                response.diagnostics.error_at(
                    AttributePath::attribute("image_id"),
                    "Image not found",
                    format!("There is no OS image with id {image_id}."),
                );
                return;
            }
            Err(e) => {
                response.state = Value::Null;
                response
                    .diagnostics
                    .push(api_error("read the server's image", &e));
                return;
            }
        };
        let wanted = disks_of(planned);
        let image_disks: Vec<_> = image.disks().into_iter().map(|d| d.disk).collect();
        let later: Vec<&DiskSpec> = wanted
            .iter()
            .filter(|d| {
                image_disks
                    .iter()
                    .all(|i| i.scsi_id != d.scsi_id || i.size_gb < d.size_gb)
            })
            .collect();
        let started = boolean(planned, "started").unwrap_or(true);
        let password = string(planned, "admin_password");
        let nic = planned.attr("primary_nic");
        let deploy = DeployServer {
            name: string(planned, "name").unwrap_or_default(),
            description: string(planned, "description").unwrap_or_default(),
            image_id,
            // Disks can only be added or grown on a stopped server: start once they are in place.
            start: started && later.is_empty(),
            guest_customization: password.is_some(),
            administrator_password: password.map(Secret::new),
            cpu: int(planned, "cpu_count").map(|count| CpuRequest {
                count: count as u32,
                cores_per_socket: 1,
                speed: "STANDARD".into(),
            }),
            memory_gb: int(planned, "memory_gb").map(|m| m as u32),
            primary_dns: None,
            secondary_dns: None,
            network_info: DeployNetworkInfo {
                network_domain_id: string(planned, "network_domain_id").unwrap_or_default(),
                primary_nic: NicRequest {
                    vlan_id: string(nic, "vlan_id"),
                    private_ipv4: string(nic, "private_ipv4"),
                    network_adapter: None,
                },
                additional_nic: Vec::new(),
            },
            disk: image_disks
                .iter()
                .filter_map(|i| {
                    wanted
                        .iter()
                        .find(|d| d.scsi_id == i.scsi_id)
                        .map(|d| DeployDisk {
                            scsi_id: i.scsi_id,
                            id: Some(i.id.clone()),
                            speed: d.speed.clone(),
                        })
                })
                .collect(),
            tags: vec![new_marker()],
        };
        let found = ctx.data.markers.find_tagged(
            client,
            TagAssetType::Server,
            client.find_server(&deploy.network_info.network_domain_id, &deploy.name),
            |a| &a.id,
        );
        let made = match found.await {
            Err(e) => Err(e),
            Ok(None) => client.deploy_server(&deploy, &options).await,
            Ok(Some((found, marked))) => {
                let nic = &found.network_info.primary_nic;
                let verdict = Found {
                    kind: "server",
                    resource_type: self.type_name(),
                    identity: format!(
                        "named {:?} in network domain {}",
                        found.name, found.network_info.network_domain_id
                    ),
                    id: &found.id,
                    import_id: if boolean(planned, "allow_reboot") == Some(true) {
                        format!("{},allow_reboot=true", found.id)
                    } else {
                        found.id.clone()
                    },
                    marked,
                    marker_place: MarkerPlace::Tag,
                    differences: differences([
                        (
                            "description",
                            found.description.clone(),
                            Some(deploy.description.clone()),
                        ),
                        (
                            "image_id",
                            found.image_id().unwrap_or_default().to_owned(),
                            Some(deploy.image_id.clone()),
                        ),
                        (
                            "primary_nic.vlan_id",
                            nic.vlan_id.clone().unwrap_or_default(),
                            deploy.network_info.primary_nic.vlan_id.clone(),
                        ),
                        (
                            "primary_nic.private_ipv4",
                            nic.private_ipv4.clone().unwrap_or_default(),
                            deploy.network_info.primary_nic.private_ipv4.clone(),
                        ),
                        (
                            "cpu_count",
                            found.cpu.count.to_string(),
                            deploy.cpu.as_ref().map(|c| c.count.to_string()),
                        ),
                        (
                            "memory_gb",
                            found.memory_gb.to_string(),
                            deploy.memory_gb.map(|m| m.to_string()),
                        ),
                    ]),
                }
                .verdict();
                if let Err(refusal) = verdict {
                    response.state = Value::Null;
                    response.diagnostics.push(refusal);
                    return;
                }
                tracing::info!(
                    id = found.id,
                    "taking over the server an interrupted apply left"
                );
                client
                    .settled_server(&found.id, &options)
                    .await
                    .and_then(|s| s.ok_or_else(|| vanished("server", &found.id)))
                    .map_err(|e| match e.resource_id() {
                        Some(_) => e,
                        // Whatever went wrong, the server exists: keep it in state.
                        None => cloudcontrol::Error::Timeout {
                            operation: "TAKE_OVER".into(),
                            kind: "server",
                            id: found.id.clone(),
                            waited: Duration::ZERO,
                            last_state: e.to_string(),
                        },
                    })
            }
        };
        let mut server = match made {
            Ok(server) => server,
            Err(e) => {
                if let Some(id) = e.resource_id() {
                    response.state.set_attr("id", id);
                } else {
                    response.state = Value::Null;
                }
                response
                    .diagnostics
                    .push(api_error("deploy the server", &e));
                return;
            }
        };
        response.state.set_attr("id", server.id.as_str());
        let steps = async {
            server = apply_disks(client, &server, &wanted, started, &options).await?;
            if started && !server.started {
                server = client.start_server(&server.id, &options).await?;
            }
            let plan = string(planned, "monitoring_plan");
            match (server.monitoring_plan().map(str::to_owned), plan) {
                (None, Some(plan)) => {
                    server = client
                        .enable_server_monitoring(&server.id, &plan, &options)
                        .await?
                }
                (Some(now), Some(plan)) if !now.eq_ignore_ascii_case(&plan) => {
                    server = client
                        .change_server_monitoring_plan(&server.id, &plan, &options)
                        .await?
                }
                _ => {}
            }
            Ok::<_, cloudcontrol::Error>(())
        };
        if let Err(e) = steps.await {
            response
                .diagnostics
                .push(api_error("finish setting up the server", &e));
        }
        response.state = to_state(&server, planned);
    }

    async fn read(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: ReadRequest,
        response: &mut ReadResponse,
    ) {
        let Some(id) = string(&request.state, "id") else {
            return;
        };
        record_read(
            "read the server",
            ctx.data.client.get_server(&id).await,
            |server| to_state(server, &request.state),
            response,
        );
    }

    async fn update(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: UpdateRequest,
        response: &mut ApplyResponse,
    ) {
        let (prior, planned) = (&request.prior, &request.planned);
        let client = &ctx.data.client;
        let options = wait(ctx, UPDATE_TIMEOUT);
        let id = string(prior, "id").unwrap_or_default();
        let result = async {
            let changed = |name: &str| {
                let new = string(planned, name);
                (new != string(prior, name)).then_some(new).flatten()
            };
            let edit = EditServerMetadata {
                id: id.clone(),
                name: changed("name"),
                description: changed("description"),
            };
            if edit.name.is_some() || edit.description.is_some() {
                client.edit_server_metadata(&edit, &options).await?;
            }
            let cpu = int(planned, "cpu_count").filter(|c| Some(*c) != int(prior, "cpu_count"));
            let memory = int(planned, "memory_gb").filter(|m| Some(*m) != int(prior, "memory_gb"));
            if cpu.is_some() || memory.is_some() {
                let reconfigure = ReconfigureServer {
                    id: id.clone(),
                    cpu_count: cpu.map(|c| c as u32),
                    memory_gb: memory.map(|m| m as u32),
                    ..Default::default()
                };
                client.reconfigure_server(&reconfigure, &options).await?;
            }
            let mut server = client.get_server(&id).await?.ok_or_else(|| gone(&id))?;
            let wanted = disks_of(planned);
            let started = boolean(planned, "started").unwrap_or(true);
            if wanted != disks_of(prior) {
                server = apply_disks(client, &server, &wanted, started, &options).await?;
            }
            let nic = planned.attr("primary_nic");
            if let Some(ip) = string(nic, "private_ipv4") {
                let current = &server.network_info.primary_nic;
                if current.private_ipv4.as_deref() != Some(ip.as_str()) {
                    server = client
                        .notify_nic_ip_change(&id, &current.id.clone(), &ip, &options)
                        .await?;
                }
            }
            let plan_now = server.monitoring_plan().map(str::to_owned);
            match (plan_now.as_deref(), string(planned, "monitoring_plan")) {
                (None, Some(plan)) => {
                    server = client
                        .enable_server_monitoring(&id, &plan, &options)
                        .await?
                }
                (Some(now), Some(plan)) if now != plan => {
                    server = client
                        .change_server_monitoring_plan(&id, &plan, &options)
                        .await?
                }
                (Some(_), None) => server = client.disable_server_monitoring(&id, &options).await?,
                _ => {}
            }
            if started && !server.started {
                server = client.start_server(&id, &options).await?;
            } else if !started && server.started {
                server = client.shutdown_server(&id, &options).await?;
            }
            Ok::<_, cloudcontrol::Error>(server)
        };
        match result.await {
            Ok(server) => response.state = to_state(&server, planned),
            Err(e) => {
                response
                    .diagnostics
                    .push(api_error("update the server", &e));
                response.state = match client.get_server(&id).await {
                    Ok(Some(server)) => to_state(&server, prior),
                    _ => prior.clone(),
                };
            }
        }
    }

    async fn delete(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: DeleteRequest,
    ) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let client = &ctx.data.client;
        let options = wait(ctx, DELETE_TIMEOUT);
        let id = string(&request.prior, "id").unwrap_or_default();
        let result = async {
            // A server still deploying (an interrupted or timed-out create) is left to finish:
            // whether it must be powered off is known only then.
            let Some(server) = client.settled_server(&id, &options).await? else {
                return Ok(());
            };
            // The API deletes only stopped servers without monitoring.
            if server.monitoring_plan().is_some() {
                client.disable_server_monitoring(&id, &options).await?;
            }
            if server.started {
                client.power_off_server(&id, &options).await?;
            }
            client.delete_server(&id, &options).await
        };
        if let Err(e) = result.await {
            if !e.is_not_found() {
                diags.push(api_error("delete the server", &e));
            }
        }
        diags
    }

    async fn import(
        &self,
        _ctx: &OperationContext<'_, ProviderData>,
        id: &str,
        response: &mut ImportResponse,
    ) {
        match import_state(&self.schema().block, id, &IMPORT_OPTIONS) {
            Ok(state) => response.state = state,
            Err(diags) => response.diagnostics.append(diags),
        }
    }
}

/// The API reports neither the deployment password nor the reboot permission: an import id may
/// carry `allow_reboot`, and the password comes from the environment.
const IMPORT_OPTIONS: ImportOptions = ImportOptions {
    settable: &["allow_reboot"],
    secrets: &[EnvSecret {
        attribute: "admin_password",
        variable: "CLOUDCONTROL_IMPORT_ADMIN_PASSWORD",
    }],
};

fn gone(id: &str) -> cloudcontrol::Error {
    cloudcontrol::Error::UnexpectedResponse {
        operation: "GET server/server/{id}".into(),
        http_status: 400,
        detail: format!("server {id} disappeared during the update"),
    }
}

/// Brings the server's disks on SCSI bus 0 to `wanted`: removes, grows, adds and re-speeds
/// disks, powering a running server off first when the API needs that (plan time made sure it
/// is allowed) and starting it again after if `keep_running`. Speed changes alone need no stop.
async fn apply_disks(
    client: &cloudcontrol::Client,
    server: &Server,
    wanted: &[DiskSpec],
    keep_running: bool,
    options: &WaitOptions,
) -> cloudcontrol::Result<Server> {
    let current: Vec<_> = server
        .disks()
        .into_iter()
        .filter(|d| d.bus_number == 0)
        .collect();
    let find = |scsi: u8| current.iter().find(|d| d.disk.scsi_id == scsi);
    let removals: Vec<_> = current
        .iter()
        .filter(|d| wanted.iter().all(|w| w.scsi_id != d.disk.scsi_id))
        .collect();
    let stop_needed = !removals.is_empty()
        || wanted
            .iter()
            .any(|w| find(w.scsi_id).is_none_or(|d| d.disk.size_gb < w.size_gb));
    let mut latest = server.clone();
    let was_running = server.started;
    if stop_needed && was_running {
        latest = match client.shutdown_server(&server.id, options).await {
            Ok(s) => s,
            Err(_) => client.power_off_server(&server.id, options).await?,
        };
    }
    for disk in removals {
        latest = client
            .remove_disk(&server.id, &disk.disk.id, options)
            .await?;
    }
    let controller = server.scsi_controller.first().map(|c| c.id.clone());
    for w in wanted {
        match find(w.scsi_id) {
            Some(d) => {
                if d.disk.size_gb < w.size_gb {
                    latest = client
                        .expand_disk(&server.id, &d.disk.id, w.size_gb, options)
                        .await?;
                }
                if !d.disk.speed.eq_ignore_ascii_case(&w.speed) {
                    latest = client
                        .change_disk_speed(&server.id, &d.disk.id, &w.speed, options)
                        .await?;
                }
            }
            None => {
                let add = AddDisk {
                    server_id: server.id.clone(),
                    size_gb: w.size_gb,
                    speed: w.speed.clone(),
                    position: controller.clone().map(|c| (c, w.scsi_id)),
                };
                latest = client.add_disk(&add, options).await?.1;
            }
        }
    }
    if stop_needed && was_running && keep_running {
        latest = client.start_server(&server.id, options).await?;
    }
    Ok(latest)
}

/// Plan-time check that a configured private IPv4 lies in the (already existing) VLAN.
/// Only reads: a VLAN created in the same plan has an unknown id and is checked by the API.
async fn check_ip_against_vlan(ctx: &OperationContext<'_, ProviderData>, plan: &mut ModifyPlan) {
    let nic = plan.config.attr("primary_nic");
    let (Some(ip), Some(vlan_id)) = (string(nic, "private_ipv4"), string(nic, "vlan_id")) else {
        return;
    };
    let Ok(ip) = ip.parse::<Ipv4Addr>() else {
        return;
    };
    if let Ok(Some(vlan)) = ctx.data.client.get_vlan(&vlan_id).await {
        let Ok(base) = vlan.private_ipv4_range.address.parse::<Ipv4Addr>() else {
            return;
        };
        let gateway = vlan.gateway_addressing().unwrap_or("LOW").to_owned();
        if let Err(rule) = check_ip_in_vlan(ip, base, vlan.private_ipv4_range.prefix_size, &gateway)
        {
            plan.diagnostics.error_at(
                AttributePath::attribute("primary_nic").attr("private_ipv4"),
                "Address not usable in the VLAN",
                format!("primary_nic.private_ipv4: {rule} (VLAN {})", vlan.name),
            );
        }
    }
}

/// Plan-time check that every new or re-speeded disk asks for a speed the server's datacenter
/// (`datacenter_id`) offers: the API would refuse it only after the server is deployed or
/// powered off.
async fn check_disk_speeds(
    ctx: &OperationContext<'_, ProviderData>,
    plan: &mut ModifyPlan,
    datacenter_id: &str,
) {
    let prior = disks_of(&plan.prior);
    let changed: Vec<(usize, DiskSpec)> = disks_of(&plan.planned)
        .into_iter()
        .enumerate()
        .filter(|(_, d)| {
            prior
                .iter()
                .all(|p| p.scsi_id != d.scsi_id || !p.speed.eq_ignore_ascii_case(&d.speed))
        })
        .collect();
    if changed.is_empty() {
        return;
    }
    let Ok(Some(datacenter)) = ctx.data.client.get_datacenter(datacenter_id).await else {
        return;
    };
    let offered: Vec<&str> = datacenter
        .hypervisor
        .disk_speed
        .iter()
        .filter(|s| s.available)
        .map(|s| s.id.as_str())
        .collect();
    for (i, disk) in changed {
        if !datacenter.offers_disk_speed(&disk.speed) {
            plan.diagnostics.error_at(
                disk_path(i, "speed"),
                "Disk speed not offered",
                format!(
                    "disk[{i}].speed {} is not offered in datacenter {datacenter_id}; it offers {}",
                    disk.speed,
                    offered.join(", ")
                ),
            );
        }
    }
}

/// The configured OS image of a new server; `None` (with a diagnostic when it does not exist)
/// when it cannot be read. A failed read is left for apply to report.
async fn planned_image(
    ctx: &OperationContext<'_, ProviderData>,
    plan: &mut ModifyPlan,
) -> Option<cloudcontrol::Image> {
    let image_id = string(&plan.config, "image_id")?;
    match ctx.data.client.get_image(ImageKind::Os, &image_id).await {
        Ok(Some(image)) => Some(image),
        Ok(None) => {
            plan.diagnostics.error_at(AttributePath::attribute("image_id"), "Image not found", format!("There is no OS image with id {image_id}; look one up with the cloudcontrol_image data source."));
            None
        }
        Err(_) => None,
    }
}

/// Plan-time check that the configuration declares every disk of the image, at least at
/// its image size (the image's disks always exist; leaving one out would never converge).
fn check_image_disks(image: &cloudcontrol::Image, plan: &mut ModifyPlan) {
    let configured = disks_of(&plan.config);
    for d in image.disks() {
        let d = d.disk;
        match configured.iter().position(|c| c.scsi_id == d.scsi_id) {
            None => plan.diagnostics.error_at(
                AttributePath::attribute("disk"),
                "Image disk not declared",
                format!("image {} has a {} GB disk at scsi_id {}; declare it: disk {{ scsi_id = {} size_gb = {} }}", image.name, d.size_gb, d.scsi_id, d.scsi_id, d.size_gb),
            ),
            Some(i) if (configured[i].size_gb) < d.size_gb => plan.diagnostics.error_at(
                disk_path(i, "size_gb"),
                "Disk smaller than the image's",
                format!("disk[{i}] (scsi_id {}) is the image's {} GB disk; it cannot be smaller than that, got {} GB", d.scsi_id, d.size_gb, configured[i].size_gb),
            ),
            Some(_) => {}
        }
    }
}

/// The state of `server`, keeping what the API does not report (password, allow_reboot,
/// timeouts) and the configuration's disk order from `base`.
fn to_state(server: &Server, base: &Value) -> Value {
    let mut state = base.clone();
    state.set_attr("id", server.id.as_str());
    state.set_attr("name", server.name.as_str());
    state.set_attr("description", server.description.as_str());
    state.set_attr(
        "network_domain_id",
        server.network_info.network_domain_id.as_str(),
    );
    if let Some(image) = server.image_id() {
        state.set_attr("image_id", image);
    }
    state.set_attr("cpu_count", i64::from(server.cpu.count));
    state.set_attr("memory_gb", i64::from(server.memory_gb));
    state.set_attr("started", server.started);
    if base.attr("allow_reboot").is_null() {
        state.set_attr("allow_reboot", false);
    }
    state.set_attr("monitoring_plan", opt_string(server.monitoring_plan()));
    state.set_attr("datacenter", server.datacenter_id.as_str());
    let nic = &server.network_info.primary_nic;
    state.set_attr("primary_ipv4", opt_string(nic.private_ipv4.as_deref()));
    state.set_attr("primary_ipv6", opt_string(nic.ipv6.as_deref()));
    state.set_attr(
        "primary_nic",
        Value::object([
            ("vlan_id", opt_string(nic.vlan_id.as_deref())),
            ("private_ipv4", opt_string(nic.private_ipv4.as_deref())),
        ]),
    );
    let order: Vec<i64> = base
        .blocks("disk")
        .filter_map(|d| int(d, "scsi_id"))
        .collect();
    let mut disks: Vec<_> = server
        .disks()
        .into_iter()
        .filter(|d| d.bus_number == 0)
        .map(|d| d.disk)
        .collect();
    disks.sort_by_key(|d| {
        (
            order
                .iter()
                .position(|o| *o == i64::from(d.scsi_id))
                .unwrap_or(usize::MAX),
            d.scsi_id,
        )
    });
    state.set_attr(
        "disk",
        Value::list(disks.iter().map(|d| {
            Value::object([
                ("scsi_id", Value::from(i64::from(d.scsi_id))),
                ("size_gb", Value::from(i64::from(d.size_gb))),
                (
                    "speed",
                    Value::from(if d.speed.is_empty() {
                        "STANDARD"
                    } else {
                        d.speed.as_str()
                    }),
                ),
            ])
        })),
    );
    state
}
