//! Contract tests: for every endpoint the client and provider use, the emulator's JSON has exactly
//! the field names, nesting and types recorded in `tests/contracts/*.json`.

mod common;

use common::emulator;
use serde_json::{json, Value};

fn contract(name: &str) -> Value {
    let path = format!("{}/tests/contracts/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn type_matches(ty: &str, v: &Value) -> bool {
    ty.split('|').any(|t| match t {
        "any" => true,
        "string" => v.is_string(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        other => panic!("unknown type `{other}` in a contract"),
    })
}

/// Compares `actual` against `shape`, collecting every mismatch with its path.
fn compare(shape: &Value, actual: &Value, path: &str, errors: &mut Vec<String>) {
    match shape {
        Value::String(ty) => {
            if !type_matches(ty, actual) {
                errors.push(format!("{path}: expected {ty}, got {actual}"));
            }
        }
        Value::Array(item) => match actual {
            Value::Array(items) => {
                for (i, a) in items.iter().enumerate() {
                    compare(&item[0], a, &format!("{path}[{i}]"), errors);
                }
            }
            other => errors.push(format!("{path}: expected an array, got {other}")),
        },
        Value::Object(fields) => {
            let Value::Object(obj) = actual else {
                errors.push(format!("{path}: expected an object, got {actual}"));
                return;
            };
            for (key, sub) in fields {
                let (name, optional) = match key.strip_suffix('?') {
                    Some(n) => (n, true),
                    None => (key.as_str(), false),
                };
                match obj.get(name) {
                    Some(v) => compare(sub, v, &format!("{path}.{name}"), errors),
                    None if optional => {}
                    None => errors.push(format!("{path}.{name}: missing")),
                }
            }
            for key in obj.keys() {
                if !fields.contains_key(key) && !fields.contains_key(&format!("{key}?")) {
                    errors.push(format!("{path}.{key}: not in the real API"));
                }
            }
        }
        other => panic!("bad contract node {other}"),
    }
}

fn check(name: &str, actual: &Value) {
    let c = contract(name);
    let mut errors = Vec::new();
    compare(&c["shape"], actual, name, &mut errors);
    assert!(
        errors.is_empty(),
        "contract {name} violated:\n{}\nactual: {actual}",
        errors.join("\n")
    );
}

fn check_list(name: &str, actual: &Value) {
    let c = contract(name);
    let key = c["listKey"].as_str().expect("listKey");
    let shape = json!({key: [c["shape"].clone()], "pageNumber": "number", "pageCount": "number", "totalCount": "number", "pageSize": "number"});
    let mut errors = Vec::new();
    compare(&shape, actual, name, &mut errors);
    assert!(
        errors.is_empty(),
        "list contract {name} violated:\n{}",
        errors.join("\n")
    );
    assert!(
        actual[key].as_array().is_some_and(|a| !a.is_empty()),
        "{name}: list is empty, nothing was checked"
    );
}

#[test]
fn the_matcher_catches_mismatches() {
    let shape = json!({"a": "string", "b?": {"c": ["number"]}});
    let mut e = Vec::new();
    compare(&shape, &json!({"a": "x", "b": {"c": [1, 2]}}), "t", &mut e);
    assert!(e.is_empty(), "{e:?}");
    compare(&shape, &json!({"a": "x"}), "t", &mut e);
    assert!(e.is_empty(), "optional key may be absent");
    for bad in [
        json!({"a": 1}),
        json!({}),
        json!({"a": "x", "z": 1}),
        json!({"a": "x", "b": {"c": ["1"]}}),
        json!({"a": "x", "b": []}),
    ] {
        let mut e = Vec::new();
        compare(&shape, &bad, "t", &mut e);
        assert!(!e.is_empty(), "{bad} should not match");
    }
}

#[tokio::test]
async fn every_used_endpoint_matches_its_recorded_shape() {
    let emu = emulator(&["--public-ip-ratio", "off"]).await;
    let base = emu.running.base_url.clone();

    // Account.
    let my_user: Value = emu
        .client
        .get(format!("{base}/caas/2.4/user/myUser"))
        .basic_auth("demo", Some("demo"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    check("myUser", &my_user);

    // Action envelope (async and sync) and error envelope.
    let (_, deploy) = emu
        .post(
            "network/deployNetworkDomain",
            json!({"name": "c", "type": "ESSENTIALS", "datacenterId": "NA9"}),
        )
        .await;
    check("envelope", &deploy);
    let nd = deploy["info"][0]["value"].as_str().unwrap().to_string();
    let (_, err) = emu
        .get("network/networkDomain/11111111-2222-4333-8444-555555555555")
        .await;
    check("envelope", &err);

    // Catalogue.
    let (_, dcs) = emu.get("infrastructure/datacenter").await;
    check_list("datacenter", &dcs);
    let (_, images) = emu.get("image/osImage?datacenterId=NA9").await;
    check_list("osImage", &images);
    let image = images["osImage"][0]["id"].as_str().unwrap().to_string();
    let (_, one) = emu.get(&format!("image/osImage/{image}")).await;
    check("osImage", &one);

    // Network domain and VLANs (attached and detached).
    let (_, v) = emu.get(&format!("network/networkDomain/{nd}")).await;
    check("networkDomain", &v);
    check_list("networkDomain", &emu.get("network/networkDomain").await.1);
    let vlan = emu.vlan(&nd, "v", "10.0.3.0", 24).await;
    emu.ok(
        "network/deployVlan",
        json!({"networkDomainId": nd, "name": "d", "privateIpv4NetworkAddress": "10.0.4.0",
        "privateIpv4PrefixSize": 24, "detachedVlan": {"ipv4GatewayAddress": "10.0.4.1"}}),
    )
    .await;
    check("vlan", &emu.get(&format!("network/vlan/{vlan}")).await.1);
    check_list(
        "vlan",
        &emu.get(&format!("network/vlan?networkDomainId={nd}"))
            .await
            .1,
    );

    // Server: normal, with extra disk/NIC/monitoring, and pending with progress.
    let server = emu.server(&nd, &vlan, "s", false).await;
    emu.ok(
        "server/addDisk",
        json!({"serverId": server, "sizeGb": 20, "speed": "STANDARD"}),
    )
    .await;
    emu.ok(
        "server/addNic",
        json!({"serverId": server, "nic": {"vlanId": vlan}}),
    )
    .await;
    emu.ok(
        "server/enableServerMonitoring",
        json!({"id": server, "servicePlan": "ESSENTIALS"}),
    )
    .await;
    check(
        "server",
        // The server contract is the 2.10 recording (`source`, `osUnitsGroupId`).
        &emu.get_v(10, &format!("server/server/{server}")).await.1,
    );
    check_list(
        "server",
        &emu.get_v(10, &format!("server/server?networkDomainId={nd}"))
            .await
            .1,
    );
    let slow = emulator(&["--time-scale", "1"]).await;
    let snd = slow.domain("p", "NA9").await;
    let (_, pending) = slow.get(&format!("network/networkDomain/{snd}")).await;
    check("networkDomain", &pending);
    assert_eq!(pending["state"], "PENDING_ADD");
    // A deploying server carries `progress`; 420 s x 0.01 leaves seconds to look at it.
    let busy = emulator(&["--time-scale", "0.01"]).await;
    let bnd = busy.domain("b", "NA9").await;
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let bvlan = busy.vlan(&bnd, "v", "10.0.0.0", 24).await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let bs = busy.server(&bnd, &bvlan, "s", true).await;
    let (_, deploying) = busy.get_v(10, &format!("server/server/{bs}")).await;
    assert_eq!(deploying["progress"]["action"], "DEPLOY_SERVER");
    check("server", &deploying);

    // Public IPs, NAT, firewall.
    let block = emu
        .ok("network/addPublicIpBlock", json!({"networkDomainId": nd}))
        .await;
    check(
        "publicIpBlock",
        &emu.get(&format!("network/publicIpBlock/{block}")).await.1,
    );
    check_list(
        "publicIpBlock",
        &emu.get(&format!("network/publicIpBlock?networkDomainId={nd}"))
            .await
            .1,
    );
    let (_, nat) = emu
        .post(
            "network/createNatRule",
            json!({"networkDomainId": nd, "internalIp": "10.0.3.4"}),
        )
        .await;
    check("envelope", &nat);
    let nat = nat["info"][0]["value"].as_str().unwrap().to_string();
    check(
        "natRule",
        &emu.get(&format!("network/natRule/{nat}")).await.1,
    );
    check_list(
        "natRule",
        &emu.get(&format!("network/natRule?networkDomainId={nd}"))
            .await
            .1,
    );
    check_list(
        "reservedPublicIpv4Address",
        &emu.get(&format!(
            "network/reservedPublicIpv4Address?networkDomainId={nd}"
        ))
        .await
        .1,
    );
    let rule = emu.ok("network/createFirewallRule", json!({"networkDomainId": nd, "name": "web", "action": "ACCEPT_DECISIVELY",
        "enabled": true, "placement": {"position": "FIRST"}, "ipVersion": "IPV4", "protocol": "TCP",
        "source": {"ip": {"address": "10.0.0.0", "prefixSize": 8}}, "destination": {"ip": {"address": "ANY"}, "port": {"begin": 8000, "end": 9000}}})).await;
    check(
        "firewallRule",
        &emu.get(&format!("network/firewallRule/{rule}")).await.1,
    );
    check_list(
        "firewallRule",
        &emu.get(&format!("network/firewallRule?networkDomainId={nd}"))
            .await
            .1,
    );

    // Tags.
    emu.ok("tag/createTagKey", json!({"name": "role"})).await;
    emu.ok("tag/applyTags", json!({"assetType": "SERVER", "assetId": server, "tag": [{"tagKeyName": "role", "value": "agent"}]})).await;
    check_list(
        "tag",
        &emu.get(&format!("tag/tag?assetId={server}&assetType=SERVER"))
            .await
            .1,
    );
    check_list("tagKey", &emu.get("tag/tagKey").await.1);
}
