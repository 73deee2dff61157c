//! Cloud Backup of a server, through the v1 XML API that clients use for it
//! (`/oec/0.9/{org}/server/{id}/backup`, as go-dd-cloud-compute calls it):
//!
//! * `POST …/backup` with `<NewBackup servicePlan="…"/>` enables backup (`REASON_550` if it is
//!   already enabled);
//! * `POST …/backup/modify` with `<ModifyBackup servicePlan="…"/>` changes the plan;
//! * `GET …/backup` answers `BackupDetails` (`assetId`, `servicePlan`, `state`);
//! * `GET …/backup?disable` disables it.
//!
//! Without backup every one of them but the enabling answers `REASON_543` ("not provisioned for
//! backup"), which clients read as "no backup". An enabled server's 2.x document carries
//! `backup {assetId, servicePlan, state}`, as the recorded servers do. Enabling is immediate
//! (the real API's short enablement, `REASON_544`, is not modelled); a change on a server with a
//! pending operation answers `REASON_392` ("operation in progress"); no backup clients are
//! installed, so `backupClient` children never appear.

use super::{check_id, Ctx};
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::xml::escape;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The area v1 backup calls are dispatched under (not a 2.x area: no `/caas/` path reaches it).
pub const AREA: &str = "oec/backup";

/// Namespace of the v1 backup documents.
const BACKUP_NS: &str = "http://oec.api.opsource.net/schemas/backup";

/// The service plans Cloud Backup offers (the recordings show all three).
const PLANS: &[&str] = &["Essentials", "Advanced", "Enterprise"];

/// Cloud Backup enabled on a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backup {
    /// The backup asset's own id (not the server's).
    pub asset_id: String,
    /// `Essentials`, `Advanced` or `Enterprise`.
    pub service_plan: String,
}

impl Backup {
    /// The `backup` element of a server document.
    pub fn to_json(&self) -> Value {
        json!({"assetId": self.asset_id, "servicePlan": self.service_plan, "state": "NORMAL"})
    }
}

/// What a v1 backup call asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `GET …/backup`.
    Details,
    /// `GET …/backup?disable`.
    Disable,
    /// `POST …/backup`.
    Enable,
    /// `POST …/backup/modify`.
    Modify,
}

impl Op {
    /// The operation a v1 call names: `op` is `backup` or `modify`, `disable` is whether the
    /// query has `disable`.
    pub fn of(post: bool, op: &str, disable: bool) -> Option<Op> {
        match (post, op, disable) {
            (false, "backup", false) => Some(Op::Details),
            (false, "backup", true) => Some(Op::Disable),
            (true, "backup", _) => Some(Op::Enable),
            (true, "modify", _) => Some(Op::Modify),
            _ => None,
        }
    }

    /// The v1 `operation` text of the answer.
    pub fn title(self) -> &'static str {
        match self {
            Op::Details => "Get Backup Details",
            Op::Disable => "Disable Backup for Server",
            Op::Enable => "Enable Backup for Server",
            Op::Modify => "Modify Backup for Server",
        }
    }
}

/// The v1 `resultCode` of a backup-related error.
pub fn result_code(e: &ApiError) -> &'static str {
    match e.code {
        // The server has no backup (or is not the caller's): what clients read as "no backup".
        Code::ResourceNotFound => "REASON_543",
        Code::NameNotUnique => "REASON_550",
        Code::ResourceBusy => "REASON_392",
        // Not recorded: a plan or body the API would reject; no client reads the code.
        _ => "REASON_1",
    }
}

/// Handles one v1 backup call on the server `ctx.call.id`.
pub fn handle(ctx: &mut Ctx, op: Op) -> Result<Reply, ApiError> {
    let id = ctx.call.id.clone().unwrap_or_default();
    let not_provisioned = || {
        ApiError::new(
            Code::ResourceNotFound,
            format!("Server {id} is not provisioned for backup"),
        )
    };
    check_id("serverId", &id).map_err(|_| not_provisioned())?;
    let plan = match op {
        Op::Enable | Op::Modify => Some(service_plan(&ctx.call.body)?),
        Op::Details | Op::Disable => None,
    };
    let server = ctx.org.servers.get_mut(&id).ok_or_else(not_provisioned)?;
    if op != Op::Details {
        // A change waits for the server's pending operation (v1 REASON_392, as recorded for
        // other v1 operations on a busy server).
        server.check_idle()?;
    }
    match (op, &mut server.backup) {
        (Op::Details, Some(b)) => Ok(Reply::Document(b.to_json())),
        (Op::Enable, Some(_)) => Err(ApiError::new(
            Code::NameNotUnique,
            format!("Backup is already enabled for Server {id}"),
        )),
        (Op::Enable, None) => {
            server.backup = Some(Backup {
                asset_id: super::new_id(),
                service_plan: plan.unwrap_or_default(),
            });
            Ok(Reply::Action(Action::ok(
                "ENABLE_BACKUP",
                "Backup enabled for Server.",
            )))
        }
        (Op::Modify, Some(b)) => {
            b.service_plan = plan.unwrap_or_default();
            Ok(Reply::Action(Action::ok(
                "MODIFY_BACKUP",
                "Backup service plan changed for Server.",
            )))
        }
        (Op::Disable, Some(_)) => {
            server.backup = None;
            Ok(Reply::Action(Action::ok(
                "DISABLE_BACKUP",
                "Backup disabled for Server.",
            )))
        }
        (Op::Details | Op::Modify | Op::Disable, None) => Err(not_provisioned()),
    }
}

/// Reads `servicePlan` from a `<NewBackup>` or `<ModifyBackup>` body.
fn service_plan(body: &[u8]) -> Result<String, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| ApiError::invalid("body", format!("the XML body is not UTF-8: {e}")))?;
    let doc = roxmltree::Document::parse(text)
        .map_err(|e| ApiError::invalid("body", format!("malformed XML: {e}")))?;
    let root = doc.root_element();
    if !(root.has_tag_name((BACKUP_NS, "NewBackup"))
        || root.has_tag_name((BACKUP_NS, "ModifyBackup")))
    {
        return Err(ApiError::invalid(
            "body",
            format!("expected NewBackup or ModifyBackup in namespace {BACKUP_NS}"),
        ));
    }
    let plan = root
        .attribute("servicePlan")
        .ok_or_else(|| ApiError::invalid("servicePlan", "is required"))?;
    if !PLANS.contains(&plan) {
        return Err(ApiError::invalid(
            "servicePlan",
            format!("`{plan}` is not one of {}", PLANS.join(", ")),
        ));
    }
    Ok(plan.to_string())
}

/// The v1 XML answer to a backup call: `BackupDetails`, or a `Status` of success or error.
pub fn v1_xml(op: Op, result: &Result<Reply, ApiError>) -> String {
    match result {
        Ok(Reply::Document(d)) => format!(
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
                r#"<BackupDetails xmlns="{ns}" assetId="{a}" servicePlan="{p}" state="{s}"/>"#
            ),
            ns = BACKUP_NS,
            a = escape(d["assetId"].as_str().unwrap_or_default()),
            p = escape(d["servicePlan"].as_str().unwrap_or_default()),
            s = escape(d["state"].as_str().unwrap_or_default()),
        ),
        Ok(Reply::Action(a)) => status_xml(op.title(), "SUCCESS", &a.message, "REASON_0"),
        Err(e) => status_xml(op.title(), "ERROR", &e.message, result_code(e)),
    }
}

/// A v1 `Status` document (also the answer of the v1 network calls).
pub fn status_xml(operation: &str, result: &str, detail: &str, code: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
            r#"<ns6:Status xmlns:ns6="http://oec.api.opsource.net/schemas/general">"#,
            "<ns6:operation>{op}</ns6:operation><ns6:result>{result}</ns6:result>",
            "<ns6:resultDetail>{detail}</ns6:resultDetail>",
            "<ns6:resultCode>{code}</ns6:resultCode></ns6:Status>"
        ),
        op = escape(operation),
        result = result,
        detail = escape(detail),
        code = code,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_comes_from_the_backup_namespace() {
        let ok = format!(r#"<NewBackup xmlns="{BACKUP_NS}" servicePlan="Advanced"/>"#);
        assert_eq!(service_plan(ok.as_bytes()).unwrap(), "Advanced");
        let modify = format!(r#"<ModifyBackup xmlns="{BACKUP_NS}" servicePlan="Enterprise"/>"#);
        assert_eq!(service_plan(modify.as_bytes()).unwrap(), "Enterprise");
        let bad_plan = format!(r#"<NewBackup xmlns="{BACKUP_NS}" servicePlan="Gold"/>"#);
        assert!(service_plan(bad_plan.as_bytes())
            .unwrap_err()
            .message
            .contains("Gold"));
        assert!(service_plan(br#"<NewBackup servicePlan="Advanced"/>"#)
            .unwrap_err()
            .message
            .contains("namespace"));
    }

    #[test]
    fn errors_map_to_the_v1_reason_codes() {
        let e = ApiError::new(Code::ResourceNotFound, "x");
        assert_eq!(result_code(&e), "REASON_543");
        let busy = ApiError::new(Code::ResourceBusy, "busy");
        assert_eq!(result_code(&busy), "REASON_392");
        let xml = v1_xml(Op::Details, &Err(e));
        assert!(
            xml.contains("<ns6:resultCode>REASON_543</ns6:resultCode>"),
            "{xml}"
        );
        let details = Reply::Document(
            Backup {
                asset_id: "a".into(),
                service_plan: "Advanced".into(),
            }
            .to_json(),
        );
        let xml = v1_xml(Op::Details, &Ok(details));
        assert!(
            xml.contains(r#"assetId="a" servicePlan="Advanced" state="NORMAL""#),
            "{xml}"
        );
        assert_eq!(Op::of(false, "backup", true), Some(Op::Disable));
        assert_eq!(Op::of(true, "modify", false), Some(Op::Modify));
    }
}
