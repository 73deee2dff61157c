//! Cloud Backup through the v1 API (`/oec/0.9/{org}/server/{id}/backup`): enabling it puts
//! `backup {assetId, servicePlan, state}` on the server's 2.x document; without it every call but
//! the enabling answers REASON_543, which clients read as "no backup".

mod common;

use common::emulator;

const NEW: &str =
    r#"<NewBackup xmlns="http://oec.api.opsource.net/schemas/backup" servicePlan="Advanced"/>"#;
const MODIFY: &str = r#"<ModifyBackup xmlns="http://oec.api.opsource.net/schemas/backup" servicePlan="Enterprise"/>"#;

#[tokio::test]
async fn backup_is_enabled_changed_and_disabled_through_v1() {
    let emu = emulator(&[]).await;
    let nd = emu.domain("b", "NA9").await;
    let vlan = emu.vlan(&nd, "v", "10.0.0.0", 24).await;
    let server = emu.server(&nd, &vlan, "s", false).await;

    let (status, text) = emu.backup_v1(&server, "", None).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("REASON_543"), "{text}");
    let (_, doc) = emu.get(&format!("server/server/{server}")).await;
    assert!(doc.get("backup").is_none(), "{doc}");

    let (status, text) = emu.backup_v1(&server, "", Some(NEW)).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("<ns6:result>SUCCESS</ns6:result>"), "{text}");
    let (status, text) = emu.backup_v1(&server, "", Some(NEW)).await;
    assert_eq!(status, 400, "enabled twice: {text}");
    assert!(text.contains("REASON_550"), "{text}");

    let (status, details) = emu.backup_v1(&server, "", None).await;
    assert_eq!(status, 200, "{details}");
    let (_, doc) = emu.get(&format!("server/server/{server}")).await;
    let backup = &doc["backup"];
    assert_eq!(backup["servicePlan"], "Advanced", "{doc}");
    assert_eq!(backup["state"], "NORMAL", "{doc}");
    let asset = backup["assetId"].as_str().unwrap();
    assert_ne!(asset, server, "the backup asset has its own id");
    assert!(
        details.contains(&format!(r#"assetId="{asset}""#)),
        "{details}"
    );

    let (status, text) = emu.backup_v1(&server, "/modify", Some(MODIFY)).await;
    assert_eq!(status, 200, "{text}");
    let (_, doc) = emu.get(&format!("server/server/{server}")).await;
    assert_eq!(doc["backup"]["servicePlan"], "Enterprise", "{doc}");
    assert_eq!(doc["backup"]["assetId"], asset, "{doc}");

    let bad = NEW.replace("Advanced", "Gold");
    let (status, text) = emu.backup_v1(&server, "/modify", Some(&bad)).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("Gold"), "{text}");

    let refused = emu
        .post("server/deleteServer", serde_json::json!({"id": server}))
        .await;
    common::assert_error(&refused, 400, "HAS_DEPENDENCY");
    let (status, text) = emu.backup_v1(&server, "?disable", None).await;
    assert_eq!(status, 200, "{text}");
    let (_, doc) = emu.get(&format!("server/server/{server}")).await;
    assert!(doc.get("backup").is_none(), "{doc}");
    let (status, text) = emu.backup_v1(&server, "?disable", None).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("REASON_543"), "{text}");
    emu.ok("server/deleteServer", serde_json::json!({"id": server}))
        .await;
}
