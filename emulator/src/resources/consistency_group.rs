//! DRS (Disaster Recovery Service) consistency groups: pairs of a source server and a target
//! server in a paired datacenter, whose disks are replicated continuously into DRS snapshots kept
//! in a journal. The `consistencyGroup` area: `createConsistencyGroup`, `consistencyGroup[/{id}]`,
//! `deleteConsistencyGroup`, `expandJournal`, `snapshot`, `startPreviewSnapshot`,
//! `stopPreviewSnapshot` and `initiateFailover`.
//!
//! Operation names, answers, document shape and the recorded refusals (`NAME_NOT_UNIQUE`,
//! `INCOMPATIBLE_OPERATION` for a server without the `drsEligible` flag, `OPERATION_NOT_SUPPORTED`
//! between NA9 and NA12, `INVALID_STATUS` for a failover outside a preview) are libcloud's nttcis
//! recordings (2.7); the list filters are the .NET client's. What no source shows is our reading,
//! listed in the emulator README ("DRS consistency groups").
//!
//! Everything here that touches a server document or the server operations is reached through
//! small hooks: [`decorate_server`] (the server's `drsEligible` / `consistencyGroup`),
//! [`check_drs_eligible`] (`editServerMetadata`), [`check_server_delete`] and
//! [`check_server_change`] (power, reconfigure, disk and NIC operations).

use super::{check_id, check_name, new_id, Ctx, IdBody};
use crate::clock;
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::{schedule, OpKind, Outcome, Pending, State};
use crate::paging::{self, FilterSpec};
use crate::store::Org;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The API area of every consistency-group operation.
pub const AREA: &str = "consistencyGroup";

/// Datacenter pairs between which DRS replicates (either direction). Our reading: the real
/// platform pairs particular locations of one geographic region (its recorded refusal names NA9
/// and NA12, which are not paired), and no public source lists the pairs.
pub const DRS_PAIRS: &[(&str, &str)] = &[("AU9", "AU10"), ("EU6", "EU8")];

/// A journal grows in extents of this many GB (libcloud: "in 100Gb increments"; the recorded
/// 100 GB journals have one extent).
pub const EXTENT_GB: u32 = 100;
/// Largest journal, in GB (our reading).
pub const MAX_JOURNAL_GB: u32 = 10_000;
/// DRS snapshots are taken at this interval (the recorded lists are ~26 minutes apart), in real
/// time: replication does not follow the time scale.
pub const SNAPSHOT_INTERVAL_MS: u64 = 26 * 60 * 1000;
/// At most this many snapshots are kept (libcloud: "the possible maximum of 1014").
pub const MAX_SNAPSHOTS: u64 = 1014;

/// Where a group stands in the DRS workflow (`operationStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OperationStatus {
    /// Replicating (`DRS_MODE`).
    DrsMode,
    /// The target servers run a snapshot (`PREVIEWING_SNAPSHOT`).
    PreviewingSnapshot,
}

impl OperationStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OperationStatus::DrsMode => "DRS_MODE",
            OperationStatus::PreviewingSnapshot => "PREVIEWING_SNAPSHOT",
        }
    }
}

/// What a pending operation does to the group when it completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Transition {
    /// Initial replication finished: DRS_MODE, snapshots start.
    Create,
    /// The journal grows by this many GB.
    ExpandJournal(u32),
    /// The target servers run this snapshot.
    StartPreview(u64),
    /// The target servers are stopped again, back to DRS_MODE.
    StopPreview,
    /// The targets keep running the previewed snapshot; the group is removed.
    Failover,
    /// The group is removed; the targets stay as they are.
    Delete,
}

/// One source/target pair.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerPair {
    /// Pair id.
    pub id: String,
    /// Source server id.
    pub source_server_id: String,
    /// Target server id.
    pub target_server_id: String,
}

/// A stored consistency group.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConsistencyGroup {
    /// Id.
    pub id: String,
    /// Name (unique in the organisation).
    pub name: String,
    /// Description.
    pub description: String,
    /// Journal size in GB (a multiple of [`EXTENT_GB`]).
    pub journal_size_gb: u32,
    /// Source datacenter.
    pub source_datacenter_id: String,
    /// Source network domain.
    pub source_network_domain_id: String,
    /// Target datacenter.
    pub target_datacenter_id: String,
    /// Target network domain.
    pub target_network_domain_id: String,
    /// The server pairs.
    pub pairs: Vec<ServerPair>,
    /// Creation time (ms).
    pub create_time_ms: u64,
    /// When replication started (the first snapshot), once the group is created.
    pub replication_start_ms: Option<u64>,
    /// DRS workflow status.
    pub operation_status: OperationStatus,
    /// The snapshot the targets run while previewing.
    pub preview_snapshot_id: Option<u64>,
    /// State.
    pub state: State,
    /// The pending operation.
    pub pending: Option<Pending>,
    /// What the pending operation does.
    pub transition: Option<Transition>,
    /// The pending operation's `progress` (action, request time, user).
    pub progress: Option<(String, u64, String)>,
}

/// One DRS snapshot (computed from the replication start, never stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// Id (increasing with time).
    pub id: u64,
    /// When it was taken (ms).
    pub create_time_ms: u64,
    /// Changed data it holds, in KB.
    pub size_kb: u64,
}

impl ConsistencyGroup {
    /// The snapshots kept at `now_ms`, newest first: one when replication starts and one every
    /// [`SNAPSHOT_INTERVAL_MS`] after, at most [`MAX_SNAPSHOTS`] (the oldest are dropped).
    pub fn snapshots(&self, now_ms: u64) -> Vec<Snapshot> {
        let Some(start) = self.replication_start_ms.filter(|s| *s <= now_ms) else {
            return Vec::new();
        };
        let last = (now_ms - start) / SNAPSHOT_INTERVAL_MS;
        let first = (last + 1).saturating_sub(MAX_SNAPSHOTS);
        (first..=last)
            .rev()
            .map(|i| Snapshot {
                id: i + 1,
                create_time_ms: start + i * SNAPSHOT_INTERVAL_MS,
                size_kb: snapshot_size_kb(&self.id, i),
            })
            .collect()
    }

    /// Whether `server_id` is one of the group's servers, and as which role.
    pub fn role_of(&self, server_id: &str) -> Option<&'static str> {
        self.pairs.iter().find_map(|p| {
            if p.source_server_id == server_id {
                Some("SOURCE")
            } else if p.target_server_id == server_id {
                Some("TARGET")
            } else {
                None
            }
        })
    }

    /// The API's shape (libcloud's recorded `consistencyGroup`).
    pub fn to_json(&self, org: &Org) -> Value {
        let domain = |dc: &str, nd: &str| {
            json!({
                "datacenterId": dc,
                "networkDomainId": nd,
                "networkDomainName": org.network_domains.get(nd).map(|d| d.name.clone()).unwrap_or_default(),
            })
        };
        let server = |id: &str| match org.servers.get(id) {
            Some(s) => json!({
                "id": s.id,
                "name": s.name,
                "primaryNicIpv4": s.primary_nic.private_ipv4.to_string(),
                "primaryNicIpv6": s.primary_nic.ipv6.to_string(),
            }),
            None => json!({ "id": id }),
        };
        let pairs: Vec<Value> = self
            .pairs
            .iter()
            .map(|p| {
                json!({
                    "id": p.id,
                    "state": self.state.as_str(),
                    "sourceServer": server(&p.source_server_id),
                    "targetServer": server(&p.target_server_id),
                })
            })
            .collect();
        let mut v = json!({
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "journal": {"sizeGb": self.journal_size_gb, "extentCount": self.journal_size_gb / EXTENT_GB},
            "source": domain(&self.source_datacenter_id, &self.source_network_domain_id),
            "target": domain(&self.target_datacenter_id, &self.target_network_domain_id),
            "serverPair": pairs,
            "createTime": clock::iso8601(self.create_time_ms),
            "operationStatus": self.operation_status.as_str(),
            "drsInfrastructure": {
                "enabled": true,
                "status": "ACTIVE",
                "updateTime": clock::iso8601(self.replication_start_ms.unwrap_or(self.create_time_ms)),
            },
            "drsStatusCheckFailureCount": 0,
            "state": self.state.as_str(),
        });
        if let Some((action, at, user)) = &self.progress {
            v["progress"] =
                json!({"action": action, "requestTime": clock::iso8601(*at), "userName": user});
        }
        v
    }
}

/// A snapshot's size: a stable pseudo-random amount of changed data (0–2999 KB) per group and
/// snapshot index, so repeated listings agree.
fn snapshot_size_kb(group_id: &str, index: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in group_id.bytes().chain(index.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h % 3000
}

/// Whether DRS replicates between the two datacenters.
pub fn paired(source_dc: &str, target_dc: &str) -> bool {
    DRS_PAIRS
        .iter()
        .any(|(a, b)| (*a == source_dc && *b == target_dc) || (*a == target_dc && *b == source_dc))
}

/// The group `server_id` belongs to, with the server's role.
pub fn group_of<'a>(org: &'a Org, server_id: &str) -> Option<(&'a ConsistencyGroup, &'static str)> {
    org.consistency_groups
        .values()
        .find_map(|g| g.role_of(server_id).map(|r| (g, r)))
}

/// Adds the DRS part of a server document: `consistencyGroup {id, name, status, serverRole}` for
/// a member, otherwise `drsEligible` (an empty element) when the flag is set (libcloud's server
/// template: "drsEligible or consistencyGroup or neither").
pub fn decorate_server(org: &Org, server: &super::server::Server, doc: &mut Value) {
    if let Some((g, role)) = group_of(org, &server.id) {
        doc["consistencyGroup"] = json!({
            "id": g.id,
            "name": g.name,
            "status": g.operation_status.as_str(),
            "serverRole": role,
        });
    } else if server.drs_eligible {
        doc["drsEligible"] = json!({});
    }
}

/// `editServerMetadata`'s `drsEligible`: whether the flag may take this value. A member of a
/// group keeps it (clearing it is refused, our reading).
pub fn check_drs_eligible(org: &Org, server_id: &str, eligible: bool) -> Result<(), ApiError> {
    if !eligible {
        if let Some((g, _)) = group_of(org, server_id) {
            return Err(ApiError::new(
                Code::IncompatibleOperation,
                format!("drsEligible: Server {server_id} is in Consistency Group {}; the flag cannot be cleared while it is.", g.id),
            ));
        }
    }
    Ok(())
}

/// The deletion prerequisite "no consistency group" (CloudControl's documentation; the code is
/// our reading, as for anti-affinity rules and backup).
pub fn check_server_delete(org: &Org, server_id: &str) -> Result<(), ApiError> {
    match group_of(org, server_id) {
        Some((g, role)) => Err(ApiError::new(
            Code::HasDependency,
            format!(
                "id: Server {server_id} is the {} server of Consistency Group {}; delete the Consistency Group first.",
                role.to_ascii_lowercase(),
                g.id
            ),
        )),
        None => Ok(()),
    }
}

/// Server operations CloudControl's documentation prohibits on every member of a group ("changes
/// applied to a Source Server": delete, add/remove disk, change disk size, add/remove NIC).
pub const PROHIBITED_ON_MEMBERS: &[&str] =
    &["addDisk", "removeDisk", "expandDisk", "addNic", "removeNic"];

/// And on targets besides: power operations, reconfiguration, NIC address changes and disk speed
/// ("changes applied to a Target Server").
pub const PROHIBITED_ON_TARGETS: &[&str] = &[
    "startServer",
    "shutdownServer",
    "powerOffServer",
    "rebootServer",
    "resetServer",
    "reconfigureServer",
    "notifyNicIpChange",
    "changeDiskSpeed",
];

/// Refuses `op` on a member server where the documentation prohibits it (the code is our
/// reading). Deletion has its own check, [`check_server_delete`].
pub fn check_server_change(org: &Org, server_id: &str, op: &str) -> Result<(), ApiError> {
    let Some((g, role)) = group_of(org, server_id) else {
        return Ok(());
    };
    let prohibited = PROHIBITED_ON_MEMBERS.contains(&op)
        || (role == "TARGET" && PROHIBITED_ON_TARGETS.contains(&op));
    if !prohibited {
        return Ok(());
    }
    Err(ApiError::new(
        Code::OperationNotSupported,
        format!(
            "id: Server {server_id} is the {} server of Consistency Group {}; {op} is not allowed on it until the group is deleted or failed over.",
            role.to_ascii_lowercase(),
            g.id
        ),
    ))
}

/// Applies due transitions; removes deleted and failed-over groups and the `drsEligible` flags
/// of servers that are gone.
pub fn advance(org: &mut Org, now_ms: u64) {
    let due: Vec<String> = org
        .consistency_groups
        .values()
        .filter(|g| g.pending.is_some_and(|p| p.is_due(now_ms)))
        .map(|g| g.id.clone())
        .collect();
    for id in due {
        let Some(mut g) = org.consistency_groups.remove(&id) else {
            continue;
        };
        let due_ms = g.pending.map(|p| p.due_ms).unwrap_or(now_ms);
        let transition = g.transition.take();
        g.pending = None;
        g.progress = None;
        g.state = State::Normal;
        let targets: Vec<String> = g.pairs.iter().map(|p| p.target_server_id.clone()).collect();
        let mut power_targets = |on: bool| {
            for t in &targets {
                if let Some(s) = org.servers.get_mut(t) {
                    s.started = on;
                }
            }
        };
        match transition {
            Some(Transition::Create) => g.replication_start_ms = Some(due_ms),
            Some(Transition::ExpandJournal(gb)) => g.journal_size_gb += gb,
            Some(Transition::StartPreview(snapshot)) => {
                g.operation_status = OperationStatus::PreviewingSnapshot;
                g.preview_snapshot_id = Some(snapshot);
                power_targets(true);
            }
            Some(Transition::StopPreview) => {
                g.operation_status = OperationStatus::DrsMode;
                g.preview_snapshot_id = None;
                power_targets(false);
            }
            Some(Transition::Failover) => {
                power_targets(true);
                continue;
            }
            Some(Transition::Delete) => continue,
            None => {}
        }
        org.consistency_groups.insert(id, g);
    }
}

const FILTERS: &[FilterSpec] = &[
    ("id", &["/id"]),
    ("name", &["/name"]),
    ("state", &["/state"]),
    ("operationStatus", &["/operationStatus"]),
    ("drsInfrastructureStatus", &["/drsInfrastructure/status"]),
    ("sourceDatacenterId", &["/source/datacenterId"]),
    ("targetDatacenterId", &["/target/datacenterId"]),
    ("sourceNetworkDomainId", &["/source/networkDomainId"]),
    ("targetNetworkDomainId", &["/target/networkDomainId"]),
    ("sourceServerId", &["/serverPair/*/sourceServer/id"]),
    ("targetServerId", &["/serverPair/*/targetServer/id"]),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateBody {
    name: String,
    #[serde(default)]
    description: Option<String>,
    journal_size_gb: u32,
    server_pair: Vec<PairBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PairBody {
    source_server_id: String,
    target_server_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ExpandBody {
    id: String,
    size_gb: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PreviewBody {
    consistency_group_id: String,
    snapshot_id: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GroupIdBody {
    consistency_group_id: String,
}

/// `GET consistencyGroup/consistencyGroup?…`.
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = ctx
        .org
        .consistency_groups
        .values()
        .map(|g| g.to_json(ctx.org))
        .collect();
    paging::page(items, "consistencyGroup", &ctx.call.query, FILTERS).map(Reply::Document)
}

/// `GET consistencyGroup/consistencyGroup/{id}`.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.clone().unwrap_or_default();
    let g = find(ctx.org, "id", &id)?;
    Ok(Reply::Document(g.to_json(ctx.org)))
}

fn find<'a>(org: &'a Org, field: &str, id: &str) -> Result<&'a ConsistencyGroup, ApiError> {
    check_id(field, id)?;
    org.consistency_groups
        .get(id)
        .ok_or_else(|| ApiError::not_found("Consistency Group", id))
}

/// Validates a journal size in GB (a positive multiple of [`EXTENT_GB`], at most
/// [`MAX_JOURNAL_GB`] once added to `current`).
fn check_journal(field: &str, size_gb: u32, current: u32) -> Result<(), ApiError> {
    if size_gb == 0 || !size_gb.is_multiple_of(EXTENT_GB) {
        return Err(ApiError::invalid(
            field,
            format!("{size_gb} must be a positive multiple of {EXTENT_GB} GB"),
        ));
    }
    if current + size_gb > MAX_JOURNAL_GB {
        return Err(ApiError::new(
            Code::ExceedsLimit,
            format!(
                "{field}: a journal of {} GB exceeds the maximum of {MAX_JOURNAL_GB} GB",
                current + size_gb
            ),
        ));
    }
    Ok(())
}

/// `POST consistencyGroup/createConsistencyGroup` (asynchronous: PENDING_ADD while the initial
/// replication runs; info `consistencyGroupId`).
pub fn create(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: CreateBody = ctx.body()?;
    check_name("name", &body.name, 255)?;
    if let Some(d) = &body.description {
        if d.chars().count() > 255 {
            return Err(ApiError::invalid(
                "description",
                "must be at most 255 characters",
            ));
        }
    }
    check_journal("journalSizeGb", body.journal_size_gb, 0)?;
    if body.server_pair.is_empty() {
        return Err(ApiError::invalid(
            "serverPair",
            "a consistency group needs at least one server pair",
        ));
    }
    let org = &*ctx.org;
    if org.consistency_groups.values().any(|g| g.name == body.name) {
        // The recorded message.
        return Err(ApiError::new(
            Code::NameNotUnique,
            format!(
                "Another Consistency Group named '{}' already exists.",
                body.name
            ),
        ));
    }
    let mut seen: Vec<&str> = Vec::new();
    let mut domains: Option<(String, String, String, String)> = None;
    for (i, pair) in body.server_pair.iter().enumerate() {
        let sf = format!("serverPair[{i}].sourceServerId");
        let tf = format!("serverPair[{i}].targetServerId");
        let source = super::server::find(org, &sf, &pair.source_server_id)?;
        let target = super::server::find(org, &tf, &pair.target_server_id)?;
        for (field, id) in [(&sf, &source.id), (&tf, &target.id)] {
            if seen.contains(&id.as_str()) {
                return Err(ApiError::invalid(
                    field,
                    format!("Server {id} appears more than once in the request"),
                ));
            }
            seen.push(id);
        }
        for (role, s) in [("source", source), ("target", target)] {
            if s.state != State::Normal {
                return Err(ApiError::busy("Server", &s.id, s.state.as_str()));
            }
            if !s.drs_eligible {
                // The recorded message.
                return Err(ApiError::new(
                    Code::IncompatibleOperation,
                    format!(
                        "The drsEligible flag for {role} Server {} must be set.",
                        s.id
                    ),
                ));
            }
            if let Some((g, _)) = group_of(org, &s.id) {
                return Err(ApiError::new(
                    Code::IncompatibleOperation,
                    format!(
                        "serverPair[{i}].{role}ServerId: Server {} is already in Consistency Group {}.",
                        s.id, g.id
                    ),
                ));
            }
        }
        if !paired(&source.datacenter_id, &target.datacenter_id) {
            // The recorded message.
            return Err(ApiError::new(
                Code::OperationNotSupported,
                format!(
                    "DRS is not supported between source Data Center {} and target Data Center {}.",
                    source.datacenter_id, target.datacenter_id
                ),
            ));
        }
        if target.started {
            return Err(ApiError::new(
                Code::ServerStarted,
                format!("{tf}: target Server {} is started but must be stopped to be added to a Consistency Group. Please Power Off or Shutdown the Server (as appropriate) and try again.", target.id),
            ));
        }
        // The target receives the source's disks: the same disks, each at least as large.
        let mismatch = source.disks.len() != target.disks.len()
            || source.disks.iter().any(|d| {
                !target
                    .disks
                    .iter()
                    .any(|t| t.scsi_id == d.scsi_id && t.size_gb >= d.size_gb)
            });
        if mismatch {
            return Err(ApiError::new(
                Code::IncompatibleOperation,
                format!("{tf}: target Server {} must have a disk at each SCSI id of source Server {}, each at least as large.", target.id, source.id),
            ));
        }
        let these = (
            source.datacenter_id.clone(),
            source.network_domain_id.clone(),
            target.datacenter_id.clone(),
            target.network_domain_id.clone(),
        );
        match &domains {
            Some(first) if *first != these => {
                return Err(ApiError::invalid(
                    &format!("serverPair[{i}]"),
                    "every source server must be in one network domain and every target server in one network domain",
                ))
            }
            _ => domains = Some(these),
        }
    }
    let (sdc, snd, tdc, tnd) = domains.expect("at least one pair");
    let group = ConsistencyGroup {
        id: new_id(),
        name: body.name.clone(),
        description: body.description.clone().unwrap_or_default(),
        journal_size_gb: body.journal_size_gb,
        source_datacenter_id: sdc,
        source_network_domain_id: snd,
        target_datacenter_id: tdc,
        target_network_domain_id: tnd,
        pairs: body
            .server_pair
            .iter()
            .map(|p| ServerPair {
                id: new_id(),
                source_server_id: p.source_server_id.clone(),
                target_server_id: p.target_server_id.clone(),
            })
            .collect(),
        create_time_ms: ctx.call.now_ms,
        replication_start_ms: None,
        operation_status: OperationStatus::DrsMode,
        preview_snapshot_id: None,
        state: State::PendingAdd,
        pending: Some(schedule(
            OpKind::CreateConsistencyGroup,
            Outcome::Normal,
            ctx.call.now_ms,
            ctx.call.time_scale,
        )),
        transition: Some(Transition::Create),
        progress: Some((
            "CREATE_CONSISTENCY_GROUP".into(),
            ctx.call.now_ms,
            ctx.call.user.clone(),
        )),
    };
    let id = group.id.clone();
    ctx.org.consistency_groups.insert(id.clone(), group);
    Ok(Reply::Action(
        Action::in_progress(
            "CREATE_CONSISTENCY_GROUP",
            "Request to Create Consistency Group has been accepted. Please use appropriate Get or List API for status.",
        )
        .info("consistencyGroupId", id),
    ))
}

/// Starts an asynchronous operation on an idle (NORMAL) group, after `check` accepts it.
fn begin(
    ctx: &mut Ctx,
    field: &str,
    id: &str,
    kind: OpKind,
    transition: Transition,
    action: &'static str,
    check: impl FnOnce(&ConsistencyGroup) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    let g = find(ctx.org, field, id)?;
    if g.state != State::Normal {
        return Err(ApiError::busy("Consistency Group", &g.id, g.state.as_str()));
    }
    check(g)?;
    let call = ctx.call;
    let g = ctx.org.consistency_groups.get_mut(id).expect("found above");
    g.state = match transition {
        Transition::Delete | Transition::Failover => State::PendingDelete,
        _ => State::PendingChange,
    };
    g.pending = Some(schedule(
        kind,
        Outcome::Normal,
        call.now_ms,
        call.time_scale,
    ));
    g.transition = Some(transition);
    g.progress = Some((action.into(), call.now_ms, call.user.clone()));
    Ok(())
}

/// The recorded INVALID_STATUS refusal: `what` is not possible outside `needed`.
fn invalid_status(what: &str, g: &ConsistencyGroup, needed: OperationStatus) -> ApiError {
    ApiError::new(
        Code::InvalidStatus,
        format!(
            "You cannot {what} because Consistency Group with id {} is not in {} Operation Status.",
            g.id,
            needed.as_str()
        ),
    )
}

fn require(
    what: &'static str,
    needed: OperationStatus,
) -> impl FnOnce(&ConsistencyGroup) -> Result<(), ApiError> {
    move |g| {
        if g.operation_status == needed {
            Ok(())
        } else {
            Err(invalid_status(what, g, needed))
        }
    }
}

/// `POST consistencyGroup/deleteConsistencyGroup` (asynchronous; the servers stay, the targets
/// as they are). Refused while previewing (stop the preview first; our reading).
pub fn delete(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    begin(
        ctx,
        "id",
        &body.id,
        OpKind::DeleteConsistencyGroup,
        Transition::Delete,
        "DELETE_CONSISTENCY_GROUP",
        require("Delete Consistency Group", OperationStatus::DrsMode),
    )?;
    Ok(Reply::Action(Action::in_progress(
        "DELETE_CONSISTENCY_GROUP",
        "Request to Delete Consistency Group has been accepted. Please use appropriate Get or List API for status.",
    )))
}

/// `POST consistencyGroup/expandJournal {id, sizeGb}`: adds `sizeGb` (whole extents) to the
/// journal (asynchronous).
pub fn expand_journal(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: ExpandBody = ctx.body()?;
    let current = find(ctx.org, "id", &body.id)?.journal_size_gb;
    check_journal("sizeGb", body.size_gb, current)?;
    begin(
        ctx,
        "id",
        &body.id,
        OpKind::ExpandJournal,
        Transition::ExpandJournal(body.size_gb),
        "EXPAND_JOURNAL",
        |_| Ok(()),
    )?;
    Ok(Reply::Action(Action::in_progress(
        "EXPAND_JOURNAL",
        "Request to Expand DRS Journal Space has been accepted. Please use appropriate Get or List API for status.",
    )))
}

/// `POST consistencyGroup/startPreviewSnapshot {consistencyGroupId, snapshotId}`: the target
/// servers start on the snapshot's disks (asynchronous; DRS_MODE only).
pub fn start_preview(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: PreviewBody = ctx.body()?;
    let now = ctx.call.now_ms;
    let snapshot = body.snapshot_id;
    begin(
        ctx,
        "consistencyGroupId",
        &body.consistency_group_id,
        OpKind::PreviewSnapshot,
        Transition::StartPreview(snapshot),
        "START_PREVIEW_SNAPSHOT",
        |g| {
            require("Start Preview Snapshot", OperationStatus::DrsMode)(g)?;
            if g.snapshots(now).iter().any(|s| s.id == snapshot) {
                Ok(())
            } else {
                Err(ApiError::new(
                    Code::ResourceNotFound,
                    format!(
                        "snapshotId: Snapshot {snapshot} of Consistency Group {} not found.",
                        g.id
                    ),
                ))
            }
        },
    )?;
    Ok(Reply::Action(Action::in_progress(
        "START_PREVIEW_SNAPSHOT",
        "Request to Start Preview Snapshot has been accepted. Please use appropriate Get or List API for status.",
    )))
}

/// `POST consistencyGroup/stopPreviewSnapshot {consistencyGroupId}`: the targets stop and the
/// group returns to DRS_MODE (asynchronous; PREVIEWING_SNAPSHOT only).
pub fn stop_preview(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: GroupIdBody = ctx.body()?;
    begin(
        ctx,
        "consistencyGroupId",
        &body.consistency_group_id,
        OpKind::PreviewSnapshot,
        Transition::StopPreview,
        "STOP_PREVIEW_SNAPSHOT",
        require("Stop Preview Snapshot", OperationStatus::PreviewingSnapshot),
    )?;
    Ok(Reply::Action(Action::in_progress(
        "STOP_PREVIEW_SNAPSHOT",
        "Request to Stop Preview Snapshot has been accepted. Please use appropriate Get or List API for status.",
    )))
}

/// `POST consistencyGroup/initiateFailover {consistencyGroupId}`: irreversible; the targets keep
/// running the previewed snapshot and the group is removed (PREVIEWING_SNAPSHOT only, recorded).
pub fn initiate_failover(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: GroupIdBody = ctx.body()?;
    begin(
        ctx,
        "consistencyGroupId",
        &body.consistency_group_id,
        OpKind::InitiateFailover,
        Transition::Failover,
        "INITIATE_FAILOVER",
        require("Initiate Failover", OperationStatus::PreviewingSnapshot),
    )?;
    Ok(Reply::Action(Action::in_progress(
        "INITIATE_FAILOVER",
        "Request to Initiate Failover has been accepted. Please use appropriate Get or List API for status.",
    )))
}

/// `GET consistencyGroup/snapshot?consistencyGroupId=…[&createTime.MIN=…][&createTime.MAX=…]`:
/// the group's DRS snapshots, newest first (both bounds inclusive), with the journal's usage and
/// protection windows. The root is `consistencyGroupSnapshots` (see [`xml_root`]).
pub fn snapshots(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let mut group_id = None;
    let (mut min, mut max) = (None, None);
    for (k, v) in &ctx.call.query {
        match k.as_str() {
            "consistencyGroupId" => group_id = Some(v.clone()),
            "createTime.MIN" => min = Some(parse_time(k, v)?),
            "createTime.MAX" => max = Some(parse_time(k, v)?),
            other => {
                return Err(ApiError::invalid(
                    other,
                    "unknown query parameter (here: consistencyGroupId, createTime.MIN, createTime.MAX)",
                ))
            }
        }
    }
    let group_id =
        group_id.ok_or_else(|| ApiError::invalid("consistencyGroupId", "is required"))?;
    let g = find(ctx.org, "consistencyGroupId", &group_id)?;
    let now = ctx.call.now_ms;
    let all = g.snapshots(now);
    let used_kb: u64 = all.iter().map(|s| s.size_kb).sum();
    let usage_gb = used_kb as f64 / (1024.0 * 1024.0);
    let window_ms = all.last().map(|s| now - s.create_time_ms).unwrap_or(0);
    // What the whole journal would cover at the current rate of change.
    let predicted_ms = if used_kb == 0 {
        0
    } else {
        let journal_kb = f64::from(g.journal_size_gb) * 1024.0 * 1024.0;
        (window_ms as f64 * journal_kb / used_kb as f64).min(1e15) as u64
    };
    let chosen: Vec<Value> = all
        .iter()
        .filter(|s| min.is_none_or(|m| s.create_time_ms >= m))
        .filter(|s| max.is_none_or(|m| s.create_time_ms <= m))
        .map(|s| json!({"id": s.id, "createTime": clock::iso8601(s.create_time_ms), "sizeKb": s.size_kb}))
        .collect();
    Ok(Reply::Document(json!({
        "snapshot": chosen,
        "totalCount": chosen.len(),
        "journalUsageGb": (usage_gb * 100.0).round() / 100.0,
        "protectionWindow": xsd_duration(window_ms),
        "predictedProtectionWindow": xsd_duration(predicted_ms),
    })))
}

/// Parses an XML Schema date-time (`2018-11-28T00:00:00.000Z`, or with an offset) into ms.
fn parse_time(field: &str, text: &str) -> Result<u64, ApiError> {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .and_then(|t| u64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok())
        .ok_or_else(|| {
            ApiError::invalid(
                field,
                format!("`{text}` is not an XML Schema date-time such as 2018-11-28T00:00:00.000Z"),
            )
        })
}

/// An XML Schema duration as the recordings write it (`P0Y0M16DT23H4M34.604S`), counting 365-day
/// years and 30-day months.
pub fn xsd_duration(ms: u64) -> String {
    let total_s = ms / 1000;
    let millis = ms % 1000;
    let (years, rest) = (total_s / (365 * 86_400), total_s % (365 * 86_400));
    let (months, rest) = (rest / (30 * 86_400), rest % (30 * 86_400));
    let (days, rest) = (rest / 86_400, rest % 86_400);
    let (hours, rest) = (rest / 3600, rest % 3600);
    let (minutes, seconds) = (rest / 60, rest % 60);
    format!("P{years}Y{months}M{days}DT{hours}H{minutes}M{seconds}.{millis:03}S")
}

/// The XML root of a document this area answers where it is not the collection's name: the
/// snapshot list is `consistencyGroupSnapshots`.
pub fn xml_root(area: &str, op: &str) -> Option<&'static str> {
    (area == AREA && op == "snapshot").then_some("consistencyGroupSnapshots")
}

/// XML attributes of the nested objects of a group document that keep child elements: a
/// group's `source`/`target` (`networkDomainName` is an element) and a pair's
/// `sourceServer`/`targetServer` (`name` is an element), as recorded.
pub fn xml_nested_attributes(
    element: &str,
    fields: &serde_json::Map<String, Value>,
) -> Option<&'static [&'static str]> {
    match element {
        "source" | "target" if fields.contains_key("networkDomainName") => {
            Some(&["datacenterId", "networkDomainId"])
        }
        "sourceServer" | "targetServer" => Some(&["id", "primaryNicIpv4", "primaryNicIpv6"]),
        _ => None,
    }
}

/// XML attributes of the snapshot list's root (all its scalars, as recorded).
pub const SNAPSHOTS_ATTRIBUTES: &[&str] = &[
    "totalCount",
    "journalUsageGb",
    "protectionWindow",
    "predictedProtectionWindow",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn group(start: Option<u64>) -> ConsistencyGroup {
        ConsistencyGroup {
            id: "g".into(),
            name: "n".into(),
            description: String::new(),
            journal_size_gb: 100,
            source_datacenter_id: "AU9".into(),
            source_network_domain_id: "s".into(),
            target_datacenter_id: "AU10".into(),
            target_network_domain_id: "t".into(),
            pairs: vec![ServerPair {
                id: "p".into(),
                source_server_id: "a".into(),
                target_server_id: "b".into(),
            }],
            create_time_ms: 0,
            replication_start_ms: start,
            operation_status: OperationStatus::DrsMode,
            preview_snapshot_id: None,
            state: State::Normal,
            pending: None,
            transition: None,
            progress: None,
        }
    }

    #[test]
    fn snapshots_come_at_the_interval_newest_first_and_are_capped() {
        assert!(group(None).snapshots(10).is_empty());
        let g = group(Some(1000));
        assert!(g.snapshots(999).is_empty());
        let s = g.snapshots(1000 + 2 * SNAPSHOT_INTERVAL_MS + 5);
        assert_eq!(s.iter().map(|s| s.id).collect::<Vec<_>>(), [3, 2, 1]);
        assert_eq!(s[2].create_time_ms, 1000);
        assert_eq!(s, g.snapshots(1000 + 2 * SNAPSHOT_INTERVAL_MS + 5));
        let s = g.snapshots(1000 + 2000 * SNAPSHOT_INTERVAL_MS);
        assert_eq!(s.len() as u64, MAX_SNAPSHOTS);
        assert_eq!(s[0].id, 2001);
        assert!(s.iter().all(|x| x.size_kb < 3000));
    }

    #[test]
    fn durations_are_written_like_the_recordings() {
        assert_eq!(xsd_duration(0), "P0Y0M0DT0H0M0.000S");
        let ms = ((16 * 86_400 + 23 * 3600 + 4 * 60 + 34) * 1000) + 604;
        assert_eq!(xsd_duration(ms), "P0Y0M16DT23H4M34.604S");
        assert_eq!(
            xsd_duration((365 * 86_400 + 31 * 86_400) * 1000),
            "P1Y1M1DT0H0M0.000S"
        );
    }

    #[test]
    fn pairs_go_both_ways_and_na9_na12_is_not_one() {
        assert!(paired("AU9", "AU10") && paired("AU10", "AU9"));
        assert!(!paired("NA9", "NA12") && !paired("AU9", "AU9"));
    }

    #[test]
    fn roles_and_times() {
        let g = group(Some(0));
        assert_eq!(g.role_of("a"), Some("SOURCE"));
        assert_eq!(g.role_of("b"), Some("TARGET"));
        assert_eq!(g.role_of("c"), None);
        assert_eq!(
            parse_time("t", "2018-11-28T00:00:00.000-05:00").unwrap(),
            1_543_381_200_000
        );
        assert!(parse_time("t", "yesterday").is_err());
    }
}
