//! `cloudcontrol_server`: a cloud server deployed from an OS image, with its primary NIC,
//! disks, CPU, memory, power state and monitoring plan.
//!
//! `schema` holds the attributes, `model` the typed view of them, `disks` and `cpu` the rules
//! for each, `plan_checks` what plan time works out; this file is create, read, update, delete
//! and import.

mod cpu;
mod disks;
mod model;
mod plan_checks;
mod schema;

use std::time::Duration;

use async_trait::async_trait;
use cloudcontrol::{
    CpuRequest, DeployDisk, DeployNetworkInfo, DeployServer, EditServerMetadata, Image, ImageKind,
    NicRequest, Secret, Server, TagAssetType, WaitOptions,
};
use tfplugin::provider::{
    ApplyResponse, CreateRequest, DeleteRequest, ImportResponse, ModifyPlan, OperationContext,
    ReadRequest, ReadResponse, Resource, UpdateRequest,
};
use tfplugin::schema::Schema;
use tfplugin::{AttributePath, Diagnostics, Value};

use crate::adopt::{differences, vanished, Found, MarkerPlace};
use crate::import_id::{import_state, EnvSecret, ImportOptions};
use crate::marker::new_marker;
use crate::provider::ProviderData;
use crate::rules::MAX_ADDITIONAL_STORAGE_GB;
use crate::support::{api_error, record_delete, state_id, wait};
use cpu::{Compute, CpuProblem};
use disks::{
    apply_disks, declared_as_found, declared_for_import, disk_path, disks_need_stop, image_disks,
    image_scsi_ids, plan_disks, server_disks, Origin, ServerDisk,
};
use model::{DeclaredDisk, Remembered, ServerModel};

/// The `cloudcontrol_server` resource type.
pub struct ServerResource;

const DEPLOY_TIMEOUT: Duration = Duration::from_secs(30 * 60);
const UPDATE_TIMEOUT: Duration = Duration::from_secs(20 * 60);
const DELETE_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// The image's operating-system disk.
const OS_DISK_SCSI_ID: u8 = 0;

#[async_trait]
impl Resource<ProviderData> for ServerResource {
    fn type_name(&self) -> &str {
        "cloudcontrol_server"
    }

    fn schema(&self) -> Schema {
        schema::server_schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let mut seen = std::collections::BTreeSet::new();
        let mut additional = 0;
        for (i, d) in config.blocks("disk").enumerate() {
            if let Some(id) = d.attr("scsi_id").as_i64() {
                if !seen.insert(id) {
                    diags.error_at(
                        disk_path(i, "scsi_id"),
                        "Duplicate disk",
                        format!("disk[{i}].scsi_id {id} is declared twice"),
                    );
                }
                if id != i64::from(OS_DISK_SCSI_ID) {
                    additional += d.attr("size_gb").as_i64().unwrap_or(0);
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
        let (count, cores) = (config.attr("cpu_count"), config.attr("cores_per_socket"));
        if let (Some(count), Some(cores)) = (count.as_i64(), cores.as_i64()) {
            // Zero and negative counts are the schema validators' to report.
            if cores > 0 && !cpu::cores_divide(count, cores) {
                let problem = CpuProblem::cores_do_not_divide("cores_per_socket", count, cores, "");
                diags.error_at(problem.path, problem.summary, problem.detail);
            }
        }
        diags
    }

    async fn modify_plan(&self, ctx: &OperationContext<'_, ProviderData>, plan: &mut ModifyPlan) {
        plan_checks::modify_plan(ctx, plan).await;
    }

    async fn create(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: CreateRequest,
        response: &mut ApplyResponse,
    ) {
        let planned = match ServerModel::read(&request.planned) {
            Ok(model) => model,
            Err(e) => {
                response.state = Value::Null;
                response
                    .diagnostics
                    .push(e.to_diagnostic("Invalid server plan"));
                return;
            }
        };
        let client = &ctx.data.client;
        let options = wait(ctx, DEPLOY_TIMEOUT);
        let image = match client.get_image(ImageKind::Os, &planned.image_id).await {
            Ok(Some(image)) => image,
            Ok(None) => {
                response.state = Value::Null;
                response.diagnostics.error_at(
                    AttributePath::attribute("image_id"),
                    "Image not found",
                    format!("There is no OS image with id {}.", planned.image_id),
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
        let from_image = image_disks(&image);
        let target = plan_disks(&from_image, &planned.disk, Origin::Image).target;
        // Disks can only be added or grown on a stopped server: start once they are in place.
        let disks_later = target.iter().any(|t| {
            from_image
                .iter()
                .find(|i| i.scsi_id == t.scsi_id)
                .is_none_or(|i| i.size_gb < t.size_gb)
        });
        let deploy = deploy_request(&planned, &image, &target, disks_later);
        let made = match self.find_interrupted(ctx, &deploy, &planned).await {
            Err(refusal) => {
                response.state = Value::Null;
                response.diagnostics.append(refusal);
                return;
            }
            Ok(None) => client.deploy_server(&deploy, &options).await,
            Ok(Some(found)) => take_over(client, &found, &options).await,
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
            if disks_need_stop(&server, &target) && server.started {
                server = power_down(client, &server, &options).await?;
            }
            server = apply_disks(client, &server, &target, &options).await?;
            server = set_monitoring(
                client,
                &server,
                planned.monitoring_plan.as_deref(),
                &options,
            )
            .await?;
            if planned.started && !server.started {
                server = client.start_server(&server.id, &options).await?;
            }
            Ok::<_, cloudcontrol::Error>(())
        };
        if let Err(e) = steps.await {
            response
                .diagnostics
                .push(api_error("finish setting up the server", &e));
        }
        let image_ids = image_scsi_ids(&from_image);
        response.state = state_of(&server, &request.planned, &planned.disk, &image_ids);
    }

    async fn read(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: ReadRequest,
        response: &mut ReadResponse,
    ) {
        let remembered = Remembered::of(&request.state);
        let Some(id) = remembered.id.clone() else {
            return;
        };
        let client = &ctx.data.client;
        let server = match client.get_server(&id).await {
            Ok(Some(server)) => server,
            Ok(None) => {
                response.state = Value::Null;
                return;
            }
            Err(e) => {
                response.diagnostics.push(api_error("read the server", &e));
                return;
            }
        };
        let (image_ids, declared) = match &remembered.all_disks {
            Some(all) => (image_scsi_ids(all), remembered.disk.clone()),
            // Imported (or recorded before all_disks existed): the image tells which disks it
            // brought, and an import declares the rest.
            None => {
                let image = match server.image_id() {
                    Some(image_id) => client
                        .get_image(ImageKind::Os, image_id)
                        .await
                        .ok()
                        .flatten(),
                    None => None,
                };
                let image_disks = image.as_ref().map(image_disks).unwrap_or_default();
                let image_ids = if image.is_some() {
                    image_scsi_ids(&image_disks)
                } else {
                    vec![OS_DISK_SCSI_ID]
                };
                let declared = if remembered.disk.is_empty() {
                    declared_for_import(&server_disks(&server, &image_ids), &image_disks)
                } else {
                    remembered.disk.clone()
                };
                (image_ids, declared)
            }
        };
        response.state = state_of(&server, &request.state, &declared, &image_ids);
    }

    async fn update(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: UpdateRequest,
        response: &mut ApplyResponse,
    ) {
        let (prior, planned) = match (
            ServerModel::read(&request.prior),
            ServerModel::read(&request.planned),
        ) {
            (Ok(prior), Ok(planned)) => (prior, planned),
            (Err(e), _) | (_, Err(e)) => {
                response.state = request.prior.clone();
                response
                    .diagnostics
                    .push(e.to_diagnostic("Invalid server plan"));
                return;
            }
        };
        let client = &ctx.data.client;
        let options = wait(ctx, UPDATE_TIMEOUT);
        let id = prior.id.clone().unwrap_or_default();
        let image_ids = prior
            .all_disks
            .as_deref()
            .map(image_scsi_ids)
            .unwrap_or_else(|| vec![OS_DISK_SCSI_ID]);
        let result = async {
            let mut server = fresh(client, &id).await?;
            let now = Compute::of_server(&server);
            let wanted = now.overridden_by(&planned.compute);
            let current = server_disks(&server, &image_ids);
            let target: Vec<ServerDisk> = match &planned.all_disks {
                Some(target) => target.clone(),
                None => plan_disks(&current, &planned.disk, Origin::Server).target,
            };
            let edit = EditServerMetadata {
                id: id.clone(),
                name: (planned.name != server.name).then(|| planned.name.clone()),
                description: (planned.description != server.description)
                    .then(|| planned.description.clone()),
            };
            if edit.name.is_some() || edit.description.is_some() {
                client.edit_server_metadata(&edit, &options).await?;
            }
            // One power cycle covers every change that needs the server off.
            let stop = now.needs_stop(&wanted).is_some() || disks_need_stop(&server, &target);
            if stop && server.started {
                server = power_down(client, &server, &options).await?;
            }
            if let Some(reconfigure) = now.reconfigure(&id, &wanted) {
                server = client.reconfigure_server(&reconfigure, &options).await?;
            }
            if target != current {
                server = apply_disks(client, &server, &target, &options).await?;
            }
            if let Some(ip) = &planned.primary_nic.private_ipv4 {
                let nic = &server.network_info.primary_nic;
                if nic.private_ipv4.as_deref() != Some(ip.as_str()) {
                    let nic_id = nic.id.clone();
                    server = client
                        .notify_nic_ip_change(&id, &nic_id, ip, &options)
                        .await?;
                }
            }
            server = set_monitoring(
                client,
                &server,
                planned.monitoring_plan.as_deref(),
                &options,
            )
            .await?;
            if planned.started && !server.started {
                server = client.start_server(&id, &options).await?;
            } else if !planned.started && server.started {
                server = client.shutdown_server(&id, &options).await?;
            }
            Ok::<_, cloudcontrol::Error>(server)
        };
        match result.await {
            Ok(server) => {
                response.state = state_of(&server, &request.planned, &planned.disk, &image_ids)
            }
            Err(e) => {
                response
                    .diagnostics
                    .push(api_error("update the server", &e));
                response.state = match client.get_server(&id).await {
                    Ok(Some(server)) => state_of(&server, &request.prior, &prior.disk, &image_ids),
                    _ => request.prior.clone(),
                };
            }
        }
    }

    async fn delete(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: DeleteRequest,
    ) -> Diagnostics {
        let client = &ctx.data.client;
        let options = wait(ctx, DELETE_TIMEOUT);
        let Some(id) = state_id(&request.prior) else {
            return Diagnostics::new();
        };
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
        record_delete("delete the server", result.await)
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

impl ServerResource {
    /// A server an interrupted apply left with this configuration's identity (name and network
    /// domain): `Ok(Some)` to take over, `Ok(None)` to deploy, `Err` when one exists that this
    /// configuration must not adopt (or the lookup failed).
    async fn find_interrupted(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        deploy: &DeployServer,
        planned: &ServerModel,
    ) -> Result<Option<Server>, Diagnostics> {
        let client = &ctx.data.client;
        let found = ctx.data.markers.find_tagged(
            client,
            TagAssetType::Server,
            client.find_server(&deploy.network_info.network_domain_id, &deploy.name),
            |a| &a.id,
        );
        let (found, marked) = match found.await {
            Ok(None) => return Ok(None),
            Ok(Some(found)) => found,
            Err(e) => {
                let mut diags = Diagnostics::new();
                diags.push(api_error("deploy the server", &e));
                return Err(diags);
            }
        };
        let nic = &found.network_info.primary_nic;
        let cpu = deploy.cpu.as_ref();
        let verdict = Found {
            kind: "server",
            resource_type: self.type_name(),
            identity: format!(
                "named {:?} in network domain {}",
                found.name, found.network_info.network_domain_id
            ),
            id: &found.id,
            import_id: if planned.allow_reboot {
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
                    cpu.map(|c| c.count.to_string()),
                ),
                (
                    "cores_per_socket",
                    found.cpu.cores_per_socket.to_string(),
                    cpu.map(|c| c.cores_per_socket.to_string()),
                ),
                (
                    "cpu_speed",
                    model::cpu_speed_of(&found),
                    cpu.map(|c| c.speed.clone()),
                ),
                (
                    "memory_gb",
                    found.memory_gb.to_string(),
                    deploy.memory_gb.map(|m| m.to_string()),
                ),
            ]),
        }
        .verdict();
        match verdict {
            Ok(()) => {
                tracing::info!(
                    id = found.id,
                    "taking over the server an interrupted apply left"
                );
                Ok(Some(found))
            }
            Err(refusal) => {
                let mut diags = Diagnostics::new();
                diags.push(refusal);
                Err(diags)
            }
        }
    }
}

/// The deploy request for `planned` from `image`, with the image's disks at their planned
/// speeds; the server starts at once unless disks must be added or grown first.
fn deploy_request(
    planned: &ServerModel,
    image: &Image,
    target: &[ServerDisk],
    disks_later: bool,
) -> DeployServer {
    let compute = Compute::of_image(image).overridden_by(&planned.compute);
    let password = planned.admin_password.clone();
    DeployServer {
        name: planned.name.clone(),
        description: planned.description.clone(),
        image_id: planned.image_id.clone(),
        start: planned.started && !disks_later,
        guest_customization: password.is_some(),
        administrator_password: password.map(Secret::new),
        cpu: Some(CpuRequest {
            count: compute.cpu_count,
            cores_per_socket: compute.cores_per_socket,
            speed: compute.cpu_speed,
        }),
        memory_gb: Some(compute.memory_gb),
        primary_dns: None,
        secondary_dns: None,
        network_info: DeployNetworkInfo {
            network_domain_id: planned.network_domain_id.clone(),
            primary_nic: NicRequest {
                vlan_id: planned.primary_nic.vlan_id.clone(),
                private_ipv4: planned.primary_nic.private_ipv4.clone(),
                network_adapter: None,
            },
            additional_nic: Vec::new(),
        },
        disk: image
            .disks()
            .into_iter()
            .filter(|i| i.bus_number == 0)
            .filter_map(|i| {
                let wanted = target.iter().find(|t| t.scsi_id == i.disk.scsi_id)?;
                Some(DeployDisk {
                    scsi_id: i.disk.scsi_id,
                    id: Some(i.disk.id.clone()),
                    speed: wanted.speed.clone(),
                })
            })
            .collect(),
        tags: vec![new_marker()],
    }
}

/// Waits for a server an interrupted apply left to settle; whatever goes wrong, it exists, so
/// the error carries its id and it stays in state.
async fn take_over(
    client: &cloudcontrol::Client,
    found: &Server,
    options: &WaitOptions,
) -> cloudcontrol::Result<Server> {
    client
        .settled_server(&found.id, options)
        .await
        .and_then(|s| s.ok_or_else(|| vanished("server", &found.id)))
        .map_err(|e| match e.resource_id() {
            Some(_) => e,
            None => cloudcontrol::Error::Timeout {
                operation: "TAKE_OVER".into(),
                kind: "server",
                id: found.id.clone(),
                waited: Duration::ZERO,
                last_state: e.to_string(),
            },
        })
}

/// The server as it is now; gone is the client's own error for a server that disappeared.
async fn fresh(client: &cloudcontrol::Client, id: &str) -> cloudcontrol::Result<Server> {
    client
        .get_server(id)
        .await?
        .ok_or_else(|| cloudcontrol::Error::Vanished {
            operation: "UPDATE_SERVER".into(),
            kind: "server",
            id: id.to_owned(),
        })
}

/// Shuts a running server down, or powers it off when the guest does not shut down.
async fn power_down(
    client: &cloudcontrol::Client,
    server: &Server,
    options: &WaitOptions,
) -> cloudcontrol::Result<Server> {
    match client.shutdown_server(&server.id, options).await {
        Ok(s) => Ok(s),
        Err(_) => client.power_off_server(&server.id, options).await,
    }
}

/// Brings the monitoring plan to `wanted` (`None`: monitoring off).
async fn set_monitoring(
    client: &cloudcontrol::Client,
    server: &Server,
    wanted: Option<&str>,
    options: &WaitOptions,
) -> cloudcontrol::Result<Server> {
    let now = server.monitoring_plan().map(str::to_owned);
    match (now.as_deref(), wanted) {
        (None, Some(plan)) => {
            client
                .enable_server_monitoring(&server.id, plan, options)
                .await
        }
        (Some(now), Some(plan)) if !now.eq_ignore_ascii_case(plan) => {
            client
                .change_server_monitoring_plan(&server.id, plan, options)
                .await
        }
        (Some(_), None) => client.disable_server_monitoring(&server.id, options).await,
        _ => Ok(server.clone()),
    }
}

/// The state of `server` over `base` (which keeps the password, the reboot permission and the
/// timeouts): the declared disks as found, and every disk with its origin.
fn state_of(server: &Server, base: &Value, declared: &[DeclaredDisk], image_ids: &[u8]) -> Value {
    let remembered = Remembered::of(base);
    let disks = server_disks(server, image_ids);
    let declared = declared_as_found(declared, &disks);
    ServerModel::of_server(server, &remembered, declared, disks).to_state(base)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_fits_the_schema() {
        // Every field the model writes must be an attribute: to_state panics otherwise.
        let model: ServerModel = serde_json::from_value(serde_json::json!({
            "id": "s-1", "name": "web", "description": "", "network_domain_id": "nd",
            "image_id": "img", "admin_password": null, "cpu_count": 2, "cores_per_socket": 1,
            "cpu_speed": "STANDARD", "memory_gb": 4, "started": true, "allow_reboot": false,
            "monitoring_plan": null, "datacenter": "NA9", "primary_ipv4": "10.0.0.5",
            "primary_ipv6": null, "primary_nic": {"vlan_id": "v", "private_ipv4": null},
            "disk": [{"scsi_id": 1, "size_gb": 50, "speed": "STANDARD"}],
            "all_disks": [{"scsi_id": 0, "size_gb": 10, "speed": "STANDARD", "from_image": true}],
        }))
        .unwrap();
        let base = Value::object([
            ("admin_password", Value::from("kept")),
            ("timeouts", Value::Null),
        ]);
        let state = model.to_state(&base);
        assert_eq!(state.attr("admin_password").as_str(), Some("kept"));
        assert_eq!(state.attr("cores_per_socket").as_i64(), Some(1));
        assert_eq!(
            state.attr("all_disks").elements()[0]
                .attr("from_image")
                .as_bool(),
            Some(true)
        );
        state
            .check_conforms(&schema::server_schema().block.implied_type())
            .unwrap();
        let back = ServerModel::read(&state).unwrap();
        assert_eq!(back.disk, model.disk);
        assert_eq!(back.compute, model.compute);
    }

    #[test]
    fn a_required_attribute_without_a_value_is_an_error_not_a_default() {
        let state = ServerModel {
            name: "web".into(),
            ..serde_json::from_value(serde_json::json!({
                "id": null, "name": "x", "description": "", "network_domain_id": "nd",
                "image_id": "img", "started": true, "allow_reboot": false,
                "primary_nic": {"vlan_id": "v", "private_ipv4": null}, "disk": [],
            }))
            .unwrap()
        }
        .to_state(&Value::Null);
        let mut missing = state.clone();
        missing.set_attr("network_domain_id", Value::Null);
        let err = ServerModel::read(&missing).unwrap_err();
        assert_eq!(err.path, AttributePath::attribute("network_domain_id"));
    }
}
