//! Fault injection (seeded, reproducible), the request log and the inventory view.

mod common;

use common::{assert_error, emulator};
use serde_json::{json, Value};

async fn codes(extra: &[&str]) -> Vec<String> {
    let emu = emulator(extra).await;
    let mut out = Vec::new();
    for i in 0..40 {
        let (_, v) = emu
            .post("tag/createTagKey", json!({"name": format!("k{i}")}))
            .await;
        out.push(v["responseCode"].as_str().unwrap().to_string());
    }
    out
}

#[tokio::test]
async fn seeded_faults_are_reproducible() {
    let a = codes(&["--faults", "busy=0.3,unexpected=0.2,seed=7"]).await;
    let b = codes(&["--faults", "busy=0.3,unexpected=0.2,seed=7"]).await;
    assert_eq!(a, b);
    assert!(a.iter().any(|c| c == "RESOURCE_BUSY"));
    assert!(a.iter().any(|c| c == "UNEXPECTED_ERROR"));
    assert!(a.iter().any(|c| c == "OK"));
    let c = codes(&["--faults", "busy=0.3,unexpected=0.2,seed=8"]).await;
    assert_ne!(a, c);
}

#[tokio::test]
async fn http_5xx_drop_and_failed_add() {
    let emu = emulator(&["--faults", "5xx=1"]).await;
    let r = emu.get("network/networkDomain").await;
    assert_error(&r, 500, "UNEXPECTED_ERROR");

    let emu = emulator(&["--faults", "drop=1"]).await;
    let r = emu
        .client
        .get(emu.url(9, "network/networkDomain"))
        .basic_auth("demo", Some("demo"))
        .send()
        .await;
    assert!(r.is_err(), "a dropped connection must fail the request");

    let emu = emulator(&["--faults", "failed_add=1"]).await;
    let nd = emu.domain("f", "NA9").await;
    let (_, v) = emu.get(&format!("network/networkDomain/{nd}")).await;
    assert_eq!(v["state"], "FAILED_ADD");
}

#[tokio::test]
async fn slow_responses_are_delayed() {
    let emu = emulator(&["--faults", "slow=1,slow_ms=300"]).await;
    let t = std::time::Instant::now();
    let (status, _) = emu.get("network/networkDomain").await;
    assert_eq!(status, 200);
    assert!(t.elapsed() >= std::time::Duration::from_millis(300));
}

#[tokio::test]
async fn request_log_and_inventory() {
    let emu = emulator(&[]).await;
    let nd = emu.domain("inv", "NA9").await;
    let _ = emu
        .get("network/networkDomain/11111111-2222-4333-8444-555555555555")
        .await;
    let log = emu.admin("requests").await;
    let entries = log["request"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["method"], "POST");
    assert_eq!(entries[0]["responseCode"], "IN_PROGRESS");
    assert_eq!(entries[1]["responseCode"], "RESOURCE_NOT_FOUND");
    assert_eq!(entries[1]["status"], 400);
    assert!(entries[0]["durationMs"].as_f64().is_some());
    assert!(entries[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("/network/deployNetworkDomain"));

    let inv_url = format!("{}/_emulator/inventory/{}", emu.running.base_url, emu.org);
    let inv = emu.inventory().await;
    assert_eq!(inv["totalAssets"], 1);
    assert_eq!(inv["networkDomain"][0]["id"], nd.as_str());
    assert_eq!(inv["defaultFirewallRuleCount"], 5);
    emu.ok("network/deleteNetworkDomain", json!({"id": nd}))
        .await;
    let inv = emu.inventory().await;
    assert_eq!(inv["totalAssets"], 0, "nothing orphaned: {inv}");
    assert_eq!(inv["defaultFirewallRuleCount"], 0);
    let r = emu.client.get(&inv_url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

/// The request log of `emu`, oldest first.
async fn request_log(emu: &common::Emu) -> Vec<Value> {
    let log = emu.admin("requests").await;
    log["request"].as_array().cloned().unwrap_or_default()
}

/// A lost response: the write takes effect, but the connection closes before its answer.
#[tokio::test]
async fn lost_response_applies_the_request_and_closes_the_connection() {
    let emu = emulator(&["--faults", "lost_response=1"]).await;
    let sent = emu
        .client
        .post(emu.url(9, "tag/createTagKey"))
        .basic_auth("demo", Some("demo"))
        .json(&json!({"name": "written"}))
        .send()
        .await;
    assert!(sent.is_err(), "the answer must be lost: {sent:?}");
    let (status, keys) = emu.get("tag/tagKey?name=written").await;
    assert_eq!(status, 200);
    assert_eq!(keys["tagKey"].as_array().map(Vec::len), Some(1), "{keys}");
    let log = request_log(&emu).await;
    assert_eq!(log[0]["status"], 0);
    assert_eq!(log[0]["responseCode"], "LOST_RESPONSE:OK");
    // Reads never lose a response (there is nothing to apply).
    assert_eq!(log[1]["status"], 200);
}

/// `ops=` limits faults to the named operations; reads of other collections are untouched.
#[tokio::test]
async fn faults_can_be_limited_to_one_operation() {
    let emu = emulator(&["--faults", "5xx=1,ops=deployNetworkDomain"]).await;
    let r = emu
        .post(
            "network/deployNetworkDomain",
            json!({"name": "n", "type": "ESSENTIALS", "datacenterId": "NA9"}),
        )
        .await;
    assert_error(&r, 500, "UNEXPECTED_ERROR");
    let (status, _) = emu.get("network/networkDomain").await;
    assert_eq!(status, 200);
    let key = emu.ok("tag/createTagKey", json!({"name": "k"})).await;
    assert!(!key.is_empty());

    let emu = emulator(&["--faults", "5xx=1,methods=GET"]).await;
    assert_error(
        &emu.get("network/networkDomain").await,
        500,
        "UNEXPECTED_ERROR",
    );
    emu.ok("tag/createTagKey", json!({"name": "k"})).await;
}

#[tokio::test]
async fn a_bad_fault_specification_names_the_fault() {
    for (spec, named) in [
        ("lost_response=2", "lost_response"),
        ("ops=", "ops"),
        ("methods=DELETE", "methods"),
        ("lost=0.1", "lost"),
    ] {
        let err = spec.parse::<cloudcontrol_emulator::faults::FaultConfig>();
        let err = err.expect_err(spec);
        assert!(err.contains(&format!("`{named}`")), "{spec}: {err}");
    }
}
