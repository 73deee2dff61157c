//! Server anti-affinity rules: created and deleted asynchronously, found by listing, in the
//! shape of the version asked for; and the platform's rules, refused with their codes and
//! changing nothing.

mod common;

use common::{assert_error, emulator};
use serde_json::json;

#[tokio::test]
async fn a_pair_of_servers_is_kept_apart_under_the_platforms_rules() {
    let emu = emulator(&[]).await;
    let advanced = |name: &str| json!({"name": name, "type": "ADVANCED", "datacenterId": "NA9"});
    let nd = emu.ok("network/deployNetworkDomain", advanced("aa")).await;
    let vlan = emu.vlan(&nd, "v", "10.0.1.0", 24).await;
    let (a, b, c) = (
        emu.server(&nd, &vlan, "a", false).await,
        emu.server(&nd, &vlan, "b", false).await,
        emu.server(&nd, &vlan, "c", false).await,
    );
    let other = emu
        .ok("network/deployNetworkDomain", advanced("other"))
        .await;
    let other_vlan = emu.vlan(&other, "v", "10.0.2.0", 24).await;
    let d = emu.server(&other, &other_vlan, "d", false).await;
    let essentials = emu.domain("essentials", "NA9").await;
    let e_vlan = emu.vlan(&essentials, "v", "10.0.3.0", 24).await;
    let (e1, e2) = (
        emu.server(&essentials, &e_vlan, "e1", false).await,
        emu.server(&essentials, &e_vlan, "e2", false).await,
    );

    let (status, answer) = emu
        .post("server/createAntiAffinityRule", json!({"serverId": [a, b]}))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["responseCode"], "IN_PROGRESS");
    assert_eq!(answer["operation"], "CREATE_ANTI_AFFINITY_RULE");
    let (_, page) = emu
        .get_v(4, &format!("server/antiAffinityRule?serverId={b}"))
        .await;
    assert_eq!(page["totalCount"], 1, "{page}");
    let rule = &page["antiAffinityRule"][0];
    assert_eq!(rule["state"], "NORMAL");
    assert!(rule["created"].is_string(), "{rule}");
    let ids: Vec<&str> = rule["serverSummary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [a.as_str(), b.as_str()]);
    assert_eq!(
        rule["serverSummary"][0]["networkingDetails"]["networkInfo"]["networkDomainId"],
        nd.as_str()
    );
    let rule_id = rule["id"].as_str().unwrap().to_owned();
    let (_, newer) = emu
        .get_v(11, &format!("server/antiAffinityRule?networkDomainId={nd}"))
        .await;
    assert!(
        newer["antiAffinityRule"][0]["server"].is_array()
            && newer["antiAffinityRule"][0]["createTime"].is_string(),
        "{newer}"
    );

    let refusals = [
        (json!({"serverId": [c]}), "INVALID_INPUT_DATA", "serverId"),
        (
            json!({"serverId": [c, c]}),
            "INVALID_INPUT_DATA",
            "serverId",
        ),
        (
            json!({"serverId": [a, c]}),
            "CONFIGURATION_NOT_SUPPORTED",
            "serverId[0]",
        ),
        (
            json!({"serverId": [c, d]}),
            "CONFIGURATION_NOT_SUPPORTED",
            "serverId",
        ),
        (
            json!({"serverId": [e1, e2]}),
            "CONFIGURATION_NOT_SUPPORTED",
            "serverId",
        ),
        (
            json!({"serverId": [c, "5e1d0b2c-0000-4000-8000-000000000001"]}),
            "RESOURCE_NOT_FOUND",
            "Server",
        ),
    ];
    for (body, code, start) in refusals {
        let resp = emu
            .post("server/createAntiAffinityRule", body.clone())
            .await;
        let message = assert_error(&resp, 400, code);
        assert!(message.starts_with(start), "{body}: {message}");
    }
    let resp = emu.post("server/deleteServer", json!({"id": a})).await;
    assert!(assert_error(&resp, 400, "HAS_DEPENDENCY").contains(&rule_id));
    let resp = emu
        .post(
            "server/deleteAntiAffinityRule",
            json!({"id": "5e1d0b2c-0000-4000-8000-000000000001"}),
        )
        .await;
    assert_error(&resp, 400, "RESOURCE_NOT_FOUND");
    let (_, page) = emu.get("server/antiAffinityRule").await;
    assert_eq!(
        page["totalCount"], 1,
        "a refused request created a rule: {page}"
    );

    let (status, answer) = emu
        .post("server/deleteAntiAffinityRule", json!({"id": rule_id}))
        .await;
    assert_eq!(
        (status, &answer["responseCode"]),
        (200, &json!("IN_PROGRESS"))
    );
    let (_, page) = emu.get("server/antiAffinityRule").await;
    assert_eq!(page["totalCount"], 0, "{page}");
    emu.ok("server/deleteServer", json!({"id": a})).await;
}
