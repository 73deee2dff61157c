//! Scripted HTTP scenarios: each constraint of the reference's section C with its real error code.

mod common;

use common::{assert_error, emulator, emulator_with_accounts};
use serde_json::{json, Value};

#[tokio::test]
async fn auth_is_required_and_orgs_are_isolated() {
    let emu = emulator_with_accounts(
        "# two organisations\n\
         demo:demo:8a8f6abc-2745-4d8a-9cbc-8dabe5a7d0e4\n\
         bob:pw:11111111-2222-4333-8444-555555555555\n",
        &[],
    )
    .await;
    let r = emu
        .client
        .get(emu.url(4, "network/networkDomain"))
        .basic_auth("demo", Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = emu
        .client
        .get(emu.url(4, "network/networkDomain"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    let nd = emu.domain("mine", "NA9").await;
    // Bob uses his own org path but demo's asset id: refused, not found-as-gone.
    let bob = format!(
        "{}/caas/2.4/11111111-2222-4333-8444-555555555555/network/networkDomain/{nd}",
        emu.running.base_url
    );
    let r = emu
        .client
        .get(&bob)
        .basic_auth("bob", Some("pw"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["responseCode"], "AUTHORIZATION_FAILURE");
    // Bob on demo's org path: refused.
    let r = emu
        .client
        .get(emu.url(4, "network/networkDomain"))
        .basic_auth("bob", Some("pw"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // Bob sees none of demo's domains.
    let r = emu
        .client
        .get(format!(
            "{}/caas/2.4/11111111-2222-4333-8444-555555555555/network/networkDomain",
            emu.running.base_url
        ))
        .basic_auth("bob", Some("pw"))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["totalCount"], 0);
}

#[tokio::test]
async fn account_endpoints_give_the_org_id() {
    let emu = emulator(&[]).await;
    let r = emu
        .client
        .get(format!("{}/caas/2.13/user/myUser", emu.running.base_url))
        .basic_auth("demo", Some("demo"))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["organization"]["id"], emu.org.as_str());
    let r = emu
        .client
        .get(format!("{}/oec/0.9/myaccount", emu.running.base_url))
        .basic_auth("demo", Some("demo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let xml = r.text().await.unwrap();
    assert!(
        xml.contains(&format!("<ns3:orgId>{}</ns3:orgId>", emu.org)),
        "{xml}"
    );
}

#[tokio::test]
async fn network_domain_and_vlan_deploys_are_serialised_per_org_and_region() {
    // 120 s × 0.1 = 12 s pending: the lock is observed well within it, even on a loaded machine.
    let emu = emulator(&["--time-scale", "0.1"]).await;
    let nd = emu.domain("a", "NA9").await;
    let (_, v) = emu.get(&format!("network/networkDomain/{nd}")).await;
    assert_eq!(v["state"], "PENDING_ADD");
    let busy = emu
        .post(
            "network/deployNetworkDomain",
            json!({"name": "b", "type": "ESSENTIALS", "datacenterId": "NA12"}),
        )
        .await;
    let msg = assert_error(&busy, 400, "RESOURCE_BUSY");
    assert!(msg.contains(&emu.org), "{msg}");
    // Another region is not locked.
    emu.domain("c", "EU6").await;
    // A VLAN in the still-pending domain is refused too.
    let r = emu.post("network/deployVlan", json!({"networkDomainId": nd, "name": "v", "privateIpv4NetworkAddress": "10.0.0.0", "privateIpv4PrefixSize": 24, "attachedVlan": {"gatewayAddressing": "LOW"}})).await;
    assert_error(&r, 400, "RESOURCE_BUSY");
}

#[tokio::test]
async fn async_states_settle_and_deletes_become_not_found() {
    let emu = emulator(&["--time-scale", "0.002"]).await;
    let nd = emu.domain("a", "NA9").await;
    let mut state = String::new();
    for _ in 0..100 {
        let (_, v) = emu.get(&format!("network/networkDomain/{nd}")).await;
        state = v["state"].as_str().unwrap().to_string();
        if state == "NORMAL" {
            break;
        }
        assert_eq!(state, "PENDING_ADD");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(state, "NORMAL");
    emu.ok("network/deleteNetworkDomain", json!({"id": nd}))
        .await;
    let (_, v) = emu.get(&format!("network/networkDomain/{nd}")).await;
    assert_eq!(v["state"], "PENDING_DELETE");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let r = emu.get(&format!("network/networkDomain/{nd}")).await;
    assert_error(&r, 400, "RESOURCE_NOT_FOUND");
}

#[tokio::test]
async fn vlan_rules() {
    let emu = emulator(&[]).await;
    let nd = emu.domain("a", "NA9").await;
    // Since 2.8 a gateway choice is required.
    let r = emu.post("network/deployVlan", json!({"networkDomainId": nd, "name": "v", "privateIpv4NetworkAddress": "10.0.0.0", "privateIpv4PrefixSize": 24})).await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA")
        .contains("ipv4GatewayAddress must be provided."));
    // 2.4 style body: base address, no gateway choice, defaults to attached LOW.
    let (_, v) = emu.post_v(4, "network/deployVlan", json!({"networkDomainId": nd, "name": "old", "description": "", "privateIpv4BaseAddress": "10.0.1.0", "privateIpv4PrefixSize": 24})).await;
    let old = v["info"][0]["value"].as_str().unwrap().to_string();
    let (_, v) = emu.get(&format!("network/vlan/{old}")).await;
    assert_eq!(v["ipv4GatewayAddress"], "10.0.1.1");
    assert_eq!(v["ipv6Range"]["prefixSize"], 64);
    // HIGH gateway.
    let high = emu.ok("network/deployVlan", json!({"networkDomainId": nd, "name": "high", "privateIpv4NetworkAddress": "10.0.2.0", "privateIpv4PrefixSize": 24, "attachedVlan": {"gatewayAddressing": "HIGH"}})).await;
    let (_, v) = emu.get(&format!("network/vlan/{high}")).await;
    assert_eq!(v["ipv4GatewayAddress"], "10.0.2.254");
    // Detached gateway outside the range.
    let r = emu.post("network/deployVlan", json!({"networkDomainId": nd, "name": "d", "privateIpv4NetworkAddress": "10.0.5.0", "privateIpv4PrefixSize": 24, "detachedVlan": {"ipv4GatewayAddress": "10.0.6.1"}})).await;
    assert!(assert_error(&r, 400, "IP_ADDRESS_OUT_OF_RANGE")
        .contains("detachedVlan.ipv4GatewayAddress"));
    // Overlap, misalignment, prefix bounds.
    let r = emu.post("network/deployVlan", json!({"networkDomainId": nd, "name": "o", "privateIpv4NetworkAddress": "10.0.0.0", "privateIpv4PrefixSize": 22, "attachedVlan": {"gatewayAddressing": "LOW"}})).await;
    assert_error(&r, 400, "IP_ADDRESS_NOT_UNIQUE");
    let r = emu.post("network/deployVlan", json!({"networkDomainId": nd, "name": "m", "privateIpv4NetworkAddress": "10.0.9.1", "privateIpv4PrefixSize": 24, "attachedVlan": {"gatewayAddressing": "LOW"}})).await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").contains("privateIpv4NetworkAddress"));
    let r = emu.post("network/deployVlan", json!({"networkDomainId": nd, "name": "p", "privateIpv4NetworkAddress": "10.0.9.0", "privateIpv4PrefixSize": 31, "attachedVlan": {"gatewayAddressing": "LOW"}})).await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").contains("privateIpv4PrefixSize"));
    // Expand grows only.
    let r = emu
        .post(
            "network/expandVlan",
            json!({"id": old, "privateIpv4PrefixSize": 25}),
        )
        .await;
    assert_error(&r, 400, "INVALID_INPUT_DATA");
}

#[tokio::test]
async fn server_lifecycle_and_constraints() {
    let emu = emulator(&[]).await;
    let nd = emu.domain("a", "NA9").await;
    let vlan = emu.vlan(&nd, "v", "10.0.3.0", 24).await;
    let s = emu.server(&nd, &vlan, "web", true).await;
    let (_, v) = emu.get(&format!("server/server/{s}")).await;
    assert_eq!(v["state"], "NORMAL");
    assert_eq!(v["started"], true);
    assert_eq!(
        v["networkInfo"]["primaryNic"]["privateIpv4"], "10.0.3.4",
        "LOW reserves .1-.3"
    );

    // Disks and deletion need a stopped server.
    let r = emu
        .post(
            "server/addDisk",
            json!({"serverId": s, "sizeGb": 20, "speed": "STANDARD"}),
        )
        .await;
    assert!(assert_error(&r, 400, "SERVER_STARTED").contains("must be stopped"));
    let r = emu.post("server/deleteServer", json!({"id": s})).await;
    assert_error(&r, 400, "SERVER_STARTED");
    // VLAN and domain with dependants cannot go.
    let r = emu.post("network/deleteVlan", json!({"id": vlan})).await;
    assert_error(&r, 400, "HAS_DEPENDENCY");
    let r = emu
        .post("network/deleteNetworkDomain", json!({"id": nd}))
        .await;
    assert_error(&r, 400, "HAS_DEPENDENCY");

    emu.ok("server/shutdownServer", json!({"id": s})).await;
    let disk = emu
        .ok(
            "server/addDisk",
            json!({"serverId": s, "sizeGb": 20, "speed": "ECONOMY"}),
        )
        .await;
    let r = emu
        .post("server/expandDisk", json!({"id": disk, "newSizeGb": 10}))
        .await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").contains("newSizeGb"));
    emu.ok("server/expandDisk", json!({"id": disk, "newSizeGb": 50}))
        .await;
    let r = emu
        .post(
            "server/addDisk",
            json!({"serverId": s, "sizeGb": 5000, "speed": "STANDARD"}),
        )
        .await;
    assert!(assert_error(&r, 400, "EXCEEDS_LIMIT").contains("sizeGb"));
    let r = emu
        .post("server/reconfigureServer", json!({"id": s, "cpuCount": 64}))
        .await;
    assert_error(&r, 400, "EXCEEDS_LIMIT");
    emu.ok(
        "server/reconfigureServer",
        json!({"id": s, "cpuCount": 4, "memoryGb": 16}),
    )
    .await;
    let (_, v) = emu.get(&format!("server/server/{s}")).await;
    assert_eq!(v["cpu"]["count"], 4);
    assert_eq!(v["memoryGb"], 16);
    assert_eq!(v["scsiController"][0]["disk"][1]["sizeGb"], 50);
    emu.ok(
        "server/enableServerMonitoring",
        json!({"id": s, "servicePlan": "ESSENTIALS"}),
    )
    .await;
    emu.ok(
        "server/changeServerMonitoringPlan",
        json!({"id": s, "servicePlan": "ADVANCED"}),
    )
    .await;
    let (_, v) = emu.get(&format!("server/server/{s}")).await;
    assert_eq!(v["monitoring"]["servicePlan"], "ADVANCED");
    emu.ok("server/disableServerMonitoring", json!({"id": s}))
        .await;
    emu.ok("server/deleteServer", json!({"id": s})).await;
    let r = emu.get(&format!("server/server/{s}")).await;
    assert_error(&r, 400, "RESOURCE_NOT_FOUND");
    emu.ok("network/deleteVlan", json!({"id": vlan})).await;
    emu.ok("network/deleteNetworkDomain", json!({"id": nd}))
        .await;
}

#[tokio::test]
async fn one_pending_operation_per_server() {
    // Server deploy takes 420 s × 0.01 = 4.2 s; the start request follows immediately.
    let emu = emulator(&["--time-scale", "0.01"]).await;
    let nd = emu.domain("a", "NA9").await;
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let vlan = emu.vlan(&nd, "v", "10.0.3.0", 24).await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let s = emu.server(&nd, &vlan, "web", false).await;
    let r = emu.post("server/startServer", json!({"id": s})).await;
    assert!(assert_error(&r, 400, "RESOURCE_BUSY").contains("busy"));
    let (_, v) = emu.get(&format!("server/server/{s}")).await;
    assert_eq!(v["progress"]["action"], "DEPLOY_SERVER");
}

#[tokio::test]
async fn ip_address_rules() {
    let emu = emulator(&[]).await;
    let nd = emu.domain("a", "NA9").await;
    let vlan = emu.vlan(&nd, "v", "10.0.3.0", 29).await;
    let image = emu.image("CentOS 7 64-bit 2 CPU", "NA9").await;
    let deploy = |ip: &str| {
        json!({"name": "s", "imageId": image, "start": false, "administratorPassword": "Passw0rd!",
        "networkInfo": {"networkDomainId": nd, "primaryNic": {"privateIpv4": ip}}})
    };
    let r = emu.post("server/deployServer", deploy("10.0.9.5")).await;
    assert!(assert_error(&r, 400, "IP_ADDRESS_OUT_OF_RANGE")
        .contains("networkInfo.primaryNic.privateIpv4"));
    let r = emu.post("server/deployServer", deploy("10.0.3.2")).await;
    assert_error(&r, 400, "IP_ADDRESS_OUT_OF_RANGE");
    emu.ok("server/deployServer", deploy("10.0.3.5")).await;
    let r = emu.post("server/deployServer", deploy("10.0.3.5")).await;
    assert_error(&r, 400, "IP_ADDRESS_NOT_UNIQUE");
    // A /29 with LOW gateway has .4-.6 usable: .5 taken, two more by VLAN, then exhausted.
    emu.server(&nd, &vlan, "b", false).await;
    emu.server(&nd, &vlan, "c", false).await;
    let r = emu.post("server/deployServer", json!({"name": "d", "imageId": image, "start": false, "administratorPassword": "Passw0rd!",
        "networkInfo": {"networkDomainId": nd, "primaryNic": {"vlanId": vlan}}})).await;
    assert_error(&r, 400, "NO_IP_ADDRESS_AVAILABLE");
}

#[tokio::test]
async fn public_ips_nat_and_ratio() {
    let emu = emulator(&[]).await;
    let nd = emu.domain("a", "NA9").await;
    let r = emu
        .post(
            "network/createNatRule",
            json!({"networkDomainId": nd, "internalIp": "10.0.0.10"}),
        )
        .await;
    assert_error(&r, 400, "NO_IP_ADDRESS_AVAILABLE");
    let block = emu
        .ok("network/addPublicIpBlock", json!({"networkDomainId": nd}))
        .await;
    // Second block without servers breaks the 3-per-server ratio.
    let r = emu
        .post("network/addPublicIpBlock", json!({"networkDomainId": nd}))
        .await;
    assert_error(&r, 400, "EXCEEDS_LIMIT");
    let (_, b) = emu.get(&format!("network/publicIpBlock/{block}")).await;
    assert_eq!(b["size"], 2);
    let (_, v) = emu
        .post(
            "network/createNatRule",
            json!({"networkDomainId": nd, "internalIp": "10.0.0.10"}),
        )
        .await;
    assert_eq!(v["info"].as_array().unwrap().len(), 1);
    assert_eq!(v["info"][0]["name"], "natRuleId");
    let rule = v["info"][0]["value"].as_str().unwrap().to_string();
    let (_, r1) = emu.get(&format!("network/natRule/{rule}")).await;
    assert_eq!(r1["externalIp"], b["baseIp"]);
    let r = emu
        .post(
            "network/createNatRule",
            json!({"networkDomainId": nd, "internalIp": "10.0.0.10"}),
        )
        .await;
    assert_error(&r, 400, "IP_ADDRESS_NOT_UNIQUE");
    let (_, reserved) = emu
        .get(&format!(
            "network/reservedPublicIpv4Address?networkDomainId={nd}"
        ))
        .await;
    assert_eq!(reserved["totalCount"], 1);
    let r = emu
        .post("network/removePublicIpBlock", json!({"id": block}))
        .await;
    assert_error(&r, 400, "HAS_DEPENDENCY");
    emu.ok("network/deleteNatRule", json!({"id": rule})).await;
    emu.ok("network/removePublicIpBlock", json!({"id": block}))
        .await;

    let off = emulator(&["--public-ip-ratio", "off"]).await;
    let nd = off.domain("a", "NA9").await;
    off.ok("network/addPublicIpBlock", json!({"networkDomainId": nd}))
        .await;
    off.ok("network/addPublicIpBlock", json!({"networkDomainId": nd}))
        .await;
}

#[tokio::test]
async fn firewall_rules_placement_names_and_defaults() {
    let emu = emulator(&[]).await;
    let nd = emu.domain("a", "NA9").await;
    let (_, v) = emu
        .get(&format!("network/firewallRule?networkDomainId={nd}"))
        .await;
    assert_eq!(v["totalCount"], 5);
    let default_id = v["firewallRule"][0]["id"].as_str().unwrap().to_string();
    let rule = |name: &str, placement: serde_json::Value| {
        json!({"networkDomainId": nd, "name": name, "action": "ACCEPT_DECISIVELY",
        "enabled": true, "placement": placement, "ipVersion": "IPv4", "protocol": "TCP",
        "source": {"ip": {"address": "ANY"}}, "destination": {"ip": {"address": "10.0.0.5"}, "port": {"begin": 80, "end": null}}})
    };
    emu.ok(
        "network/createFirewallRule",
        rule("web.HTTP", json!({"position": "LAST"})),
    )
    .await;
    emu.ok(
        "network/createFirewallRule",
        rule("first_rule", json!({"position": "FIRST"})),
    )
    .await;
    emu.ok(
        "network/createFirewallRule",
        rule(
            "before_web",
            json!({"position": "BEFORE", "relativeToRule": "web.HTTP"}),
        ),
    )
    .await;
    let (_, v) = emu
        .get(&format!("network/firewallRule?networkDomainId={nd}"))
        .await;
    let names: Vec<&str> = v["firewallRule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "first_rule");
    assert_eq!(&names[names.len() - 2..], ["before_web", "web.HTTP"]);
    let r = emu
        .post(
            "network/createFirewallRule",
            rule("web.HTTP", json!({"position": "LAST"})),
        )
        .await;
    assert_error(&r, 400, "NAME_NOT_UNIQUE");
    for bad in ["1abc", "has space", "CCDEFAULT.Mine"] {
        let r = emu
            .post(
                "network/createFirewallRule",
                rule(bad, json!({"position": "LAST"})),
            )
            .await;
        assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("name"));
    }
    let r = emu
        .post(
            "network/createFirewallRule",
            rule("x", json!({"position": "AFTER", "relativeToRule": "nope"})),
        )
        .await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("placement.relativeToRule"));
    let r = emu
        .post("network/deleteFirewallRule", json!({"id": default_id}))
        .await;
    assert_error(&r, 400, "OPERATION_NOT_SUPPORTED");
    emu.ok(
        "network/editFirewallRule",
        json!({"id": default_id, "enabled": false}),
    )
    .await;
    let (_, v) = emu.get(&format!("network/firewallRule/{default_id}")).await;
    assert_eq!(v["enabled"], false);
}

#[tokio::test]
async fn tags_need_existing_keys() {
    let emu = emulator(&[]).await;
    let nd = emu.domain("a", "NA9").await;
    let r = emu.post("tag/applyTags", json!({"assetType": "NETWORK_DOMAIN", "assetId": nd, "tag": [{"tagKeyName": "role", "value": "x"}]})).await;
    assert!(assert_error(&r, 400, "RESOURCE_NOT_FOUND").contains("Tag Key(s) (role) not found."));
    emu.ok(
        "tag/createTagKey",
        json!({"name": "role", "description": "", "valueRequired": true, "displayOnReport": true}),
    )
    .await;
    let r = emu.post("tag/createTagKey", json!({"name": "role"})).await;
    assert_error(&r, 400, "NAME_NOT_UNIQUE");
    emu.ok("tag/applyTags", json!({"assetType": "NETWORK_DOMAIN", "assetId": nd, "tag": [{"tagKeyName": "role", "value": "master"}]})).await;
    let (_, v) = emu
        .get(&format!("tag/tag?assetId={nd}&assetType=NETWORK_DOMAIN"))
        .await;
    assert_eq!(v["tag"][0]["value"], "master");
    assert_eq!(v["tag"][0]["assetName"], "a");
    emu.ok(
        "tag/removeTags",
        json!({"assetType": "NETWORK_DOMAIN", "assetId": nd, "tagKeyName": ["role"]}),
    )
    .await;
    let (_, v) = emu.get(&format!("tag/tag?assetId={nd}&pageNumber=2")).await;
    assert_eq!(v["pageCount"], 0);
}

#[tokio::test]
async fn bad_input_gets_envelopes() {
    let emu = emulator(&["--max-body-bytes", "1024"]).await;
    let r = emu
        .post_raw(9, "network/deployNetworkDomain", "{not json".into())
        .await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("body"));
    let r = emu
        .post(
            "network/deployNetworkDomain",
            json!({"name": 5, "datacenterId": "NA9"}),
        )
        .await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("name"));
    let r = emu
        .post(
            "network/deployNetworkDomain",
            json!({"name": "x", "datacenterId": "NA9", "colour": "red"}),
        )
        .await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").contains("colour"));
    let r = emu
        .post(
            "network/deployNetworkDomain",
            json!({"name": "x", "datacenterId": "ZZ1"}),
        )
        .await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("datacenterId"));
    let r = emu
        .post_raw(
            9,
            "network/deployNetworkDomain",
            format!("{{\"name\":\"{}\"}}", "x".repeat(4096)),
        )
        .await;
    assert_error(&r, 413, "INVALID_INPUT_DATA");
    let r = emu.get("network/networkDomain/not-a-uuid").await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("id"));
    let r = emu
        .get("network/networkDomain/11111111-2222-4333-8444-555555555555")
        .await;
    assert_error(&r, 400, "RESOURCE_NOT_FOUND");
    let r = emu.get("network/noSuchThing").await;
    assert_error(&r, 404, "OPERATION_NOT_SUPPORTED");
    let r = emu.get("network/networkDomain?pageSize=abc").await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("pageSize"));
    let r = emu.post("server/deployServer", json!({"name": "s", "imageId": "x", "start": true, "networkInfo": {"networkDomainId": "y", "primaryNic": {"vlanId": 7}}})).await;
    assert!(
        assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("networkInfo.primaryNic.vlanId")
    );
}

#[tokio::test]
async fn paging_and_filters() {
    let emu = emulator(&[]).await;
    let (_, v) = emu
        .get("image/osImage?datacenterId=NA9&pageSize=5&pageNumber=1")
        .await;
    assert_eq!(v["pageCount"], 5);
    let total = v["totalCount"].as_u64().unwrap();
    assert!(total >= 8);
    let (_, v) = emu
        .get("image/osImage?datacenterId=NA9&pageSize=5&pageNumber=99")
        .await;
    assert_eq!(v["pageCount"], 0);
    assert_eq!(v["osImage"], json!([]));
    for name in [
        "Rocky Linux 9 64-bit 2 CPU",
        "AlmaLinux 8 64-bit 2 CPU",
        "Ubuntu 24.04 64-bit 2 CPU",
        "Ubuntu 22.04 64-bit 2 CPU",
    ] {
        for dc in ["NA9", "EU6", "AU10"] {
            emu.image(name, dc).await;
        }
    }
    let (_, v) = emu.get("infrastructure/datacenter?id=AU10").await;
    assert_eq!(v["pageCount"], 1);
}

#[tokio::test]
async fn nics_and_uncustomized_deploys() {
    let emu = emulator(&[]).await;
    let nd = emu.domain("a", "NA9").await;
    let v1 = emu.vlan(&nd, "v1", "10.0.1.0", 24).await;
    let v2 = emu.vlan(&nd, "v2", "10.0.2.0", 24).await;
    let image = emu.image("Ubuntu 24.04 64-bit 2 CPU", "NA9").await;
    let r = emu.post("server/deployUncustomizedServer", json!({"name": "u", "imageId": image, "start": false, "administratorPassword": "Passw0rd!",
        "networkInfo": {"networkDomainId": nd, "primaryNic": {"vlanId": v1}}})).await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("administratorPassword"));
    let r = emu
        .post(
            "server/deployServer",
            json!({"name": "u", "imageId": image, "start": false,
        "networkInfo": {"networkDomainId": nd, "primaryNic": {"vlanId": v1}}}),
        )
        .await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("administratorPassword"));
    let s = emu.ok("server/deployUncustomizedServer", json!({"name": "u", "imageId": image, "start": false,
        "cpu": {"count": 4, "coresPerSocket": 2, "speed": "HIGHPERFORMANCE"}, "memoryGb": 8,
        "networkInfo": {"networkDomainId": nd, "primaryNic": {"privateIpv4": "10.0.1.50", "networkAdapter": "E1000"},
                        "additionalNic": [{"vlanId": v2}]},
        "disk": [{"scsiId": 0, "speed": "HIGHPERFORMANCE"}]})).await;
    let (_, v) = emu.get(&format!("server/server/{s}")).await;
    assert_eq!(v["guest"]["osCustomization"], false);
    assert_eq!(
        v["networkInfo"]["primaryNic"]["vlanId"],
        v1.as_str(),
        "VLAN inferred from the IP"
    );
    assert_eq!(
        v["networkInfo"]["additionalNic"][0]["privateIpv4"],
        "10.0.2.4"
    );
    assert_eq!(
        v["scsiController"][0]["disk"][0]["speed"],
        "HIGHPERFORMANCE"
    );
    let primary = v["networkInfo"]["primaryNic"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let extra = v["networkInfo"]["additionalNic"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // No-op IP change is accepted; a change outside the VLAN is not.
    emu.ok(
        "server/notifyNicIpChange",
        json!({"nicId": primary, "privateIpv4": "10.0.1.50"}),
    )
    .await;
    let r = emu
        .post(
            "server/notifyNicIpChange",
            json!({"nicId": primary, "privateIpv4": "10.0.2.9"}),
        )
        .await;
    assert_error(&r, 400, "IP_ADDRESS_OUT_OF_RANGE");
    emu.ok(
        "server/notifyNicIpChange",
        json!({"nicId": primary, "privateIpv4": "10.0.1.60"}),
    )
    .await;
    emu.ok(
        "server/changeNetworkAdapter",
        json!({"nicId": primary, "networkAdapter": "VMXNET3"}),
    )
    .await;
    let r = emu
        .post(
            "server/changeNetworkAdapter",
            json!({"nicId": primary, "networkAdapter": "RTL8139"}),
        )
        .await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("networkAdapter"));
    let r = emu.post("server/removeNic", json!({"id": primary})).await;
    assert_error(&r, 400, "OPERATION_NOT_SUPPORTED");
    emu.ok("server/removeNic", json!({"id": extra})).await;
    let nic = emu
        .ok(
            "server/addNic",
            json!({"serverId": s, "nic": {"vlanId": v2, "networkAdapter": "E1000E"}}),
        )
        .await;
    let (_, v) = emu.get(&format!("server/server/{s}")).await;
    assert_eq!(v["networkInfo"]["primaryNic"]["privateIpv4"], "10.0.1.60");
    assert_eq!(v["networkInfo"]["primaryNic"]["networkAdapter"], "VMXNET3");
    assert_eq!(
        v["networkInfo"]["additionalNic"].as_array().unwrap().len(),
        1
    );
    assert_eq!(v["networkInfo"]["additionalNic"][0]["id"], nic.as_str());
    // Server list filters follow additional NICs too.
    let (_, l) = emu.get(&format!("server/server?vlanId={v2}")).await;
    assert_eq!(l["totalCount"], 1);
}

#[tokio::test]
async fn edits_are_synchronous() {
    let emu = emulator(&[]).await;
    let nd = emu.domain("a", "NA9").await;
    let (_, r) = emu
        .post(
            "network/editNetworkDomain",
            json!({"id": nd, "name": "b", "type": "ADVANCED"}),
        )
        .await;
    assert_eq!(r["responseCode"], "OK");
    let (_, v) = emu.get(&format!("network/networkDomain/{nd}")).await;
    assert_eq!(
        (v["name"].as_str(), v["type"].as_str()),
        (Some("b"), Some("ADVANCED"))
    );
    let r = emu
        .post(
            "network/editNetworkDomain",
            json!({"id": nd, "type": "PLATINUM"}),
        )
        .await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("type"));
    let vlan = emu.vlan(&nd, "v", "10.0.1.0", 24).await;
    let (_, r) = emu
        .post("network/editVlan", json!({"id": vlan, "description": "d"}))
        .await;
    assert_eq!(r["responseCode"], "OK");
    let s = emu.server(&nd, &vlan, "s", false).await;
    let (_, r) = emu
        .post(
            "server/editServerMetadata",
            json!({"id": s, "name": "renamed"}),
        )
        .await;
    assert_eq!(r["responseCode"], "OK");
    let (_, l) = emu.get("server/server?name=renamed").await;
    assert_eq!(l["totalCount"], 1);
    let (_, v) = emu
        .get(&format!("network/vlan?networkDomainId={nd}&name=v"))
        .await;
    assert_eq!(v["vlan"][0]["description"], "d");
}

#[tokio::test]
async fn failed_domains_can_be_deleted_and_only_failed_servers_cleaned() {
    let emu = emulator(&[]).await;
    let nd = emu.domain("a", "NA9").await;
    let vlan = emu.vlan(&nd, "v", "10.0.1.0", 24).await;
    let failing = emulator(&["--faults", "failed_add=1"]).await;
    // Same org id in both instances, but separate worlds: deploy the whole chain in the failing one.
    let fnd = failing.domain("f", "NA9").await;
    let (_, v) = failing.get(&format!("network/networkDomain/{fnd}")).await;
    assert_eq!(v["state"], "FAILED_ADD");
    let r = failing.post("network/deployVlan", json!({"networkDomainId": fnd, "name": "v", "privateIpv4NetworkAddress": "10.0.0.0", "privateIpv4PrefixSize": 24, "attachedVlan": {"gatewayAddressing": "LOW"}})).await;
    assert_error(&r, 400, "RESOURCE_BUSY");
    failing
        .ok("network/deleteNetworkDomain", json!({"id": fnd}))
        .await;
    // A normal server cannot be cleaned.
    let s = emu.server(&nd, &vlan, "s", false).await;
    let r = emu.post("server/cleanServer", json!({"id": s})).await;
    assert_error(&r, 400, "OPERATION_NOT_SUPPORTED");
}

#[tokio::test]
async fn reserved_private_addresses_customer_images_and_iops() {
    let emu = emulator(&[]).await;
    let nd = emu.domain("a", "NA9").await;
    let vlan = emu.vlan(&nd, "v", "10.0.3.0", 24).await;
    emu.ok(
        "network/reservePrivateIpv4Address",
        json!({"ipAddress": "10.0.3.4", "vlanId": vlan, "description": "vip"}),
    )
    .await;
    let r = emu
        .post(
            "network/reservePrivateIpv4Address",
            json!({"ipAddress": "10.0.3.4", "vlanId": vlan}),
        )
        .await;
    assert_error(&r, 400, "IP_ADDRESS_OUT_OF_RANGE");
    let (_, l) = emu
        .get(&format!("network/reservedPrivateIpv4Address?vlanId={vlan}"))
        .await;
    // 2.9 items (go's client reads these keys); 2.4 items name the address `value`.
    assert_eq!(l["ipv4"][0]["ipAddress"], "10.0.3.4");
    assert_eq!(l["ipv4"][0]["exclusive"], "true");
    assert_eq!(l["ipv4"][0]["datacenterid"], "NA9");
    assert_eq!(l["ipv4"][0]["description"], "vip");
    let (_, l) = emu
        .get_v(
            4,
            &format!("network/reservedPrivateIpv4Address?vlanId={vlan}&ipAddress=10.0.3.4"),
        )
        .await;
    assert_eq!(l["ipv4"][0]["value"], "10.0.3.4", "{l}");
    assert_eq!(l["ipv4"][0]["datacenterId"], "NA9");
    // Allocation skips the reservation; requesting it is refused.
    let s = emu.server(&nd, &vlan, "s", false).await;
    let (_, v) = emu.get(&format!("server/server/{s}")).await;
    assert_eq!(v["networkInfo"]["primaryNic"]["privateIpv4"], "10.0.3.5");
    let image = emu.image("CentOS 7 64-bit 2 CPU", "NA9").await;
    let r = emu.post("server/deployServer", json!({"name": "t", "imageId": image, "start": false, "administratorPassword": "Passw0rd!",
        "networkInfo": {"networkDomainId": nd, "primaryNic": {"privateIpv4": "10.0.3.4"}}})).await;
    assert_error(&r, 400, "IP_ADDRESS_OUT_OF_RANGE");
    emu.ok(
        "network/unreservePrivateIpv4Address",
        json!({"ipAddress": "10.0.3.4", "vlanId": vlan}),
    )
    .await;
    let r = emu
        .post(
            "network/unreservePrivateIpv4Address",
            json!({"ipAddress": "10.0.3.4", "vlanId": vlan}),
        )
        .await;
    assert_error(&r, 400, "RESOURCE_NOT_FOUND");

    let (_, l) = emu.get("image/customerImage?datacenterId=NA9").await;
    assert_eq!(l["pageCount"], 0);
    let r = emu
        .get("image/customerImage/11111111-2222-4333-8444-555555555555")
        .await;
    assert!(assert_error(&r, 400, "RESOURCE_NOT_FOUND").contains("Server Image"));

    let disk = v["scsiController"][0]["disk"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = emu
        .post("server/changeDiskIops", json!({"id": disk, "iops": 500}))
        .await;
    assert_error(&r, 400, "OPERATION_NOT_SUPPORTED");
    emu.ok(
        "server/changeDiskSpeed",
        json!({"id": disk, "speed": "PROVISIONEDIOPS", "iops": 300}),
    )
    .await;
    emu.ok("server/changeDiskIops", json!({"id": disk, "iops": 500}))
        .await;
    let (_, v) = emu.get(&format!("server/server/{s}")).await;
    assert_eq!(v["scsiController"][0]["disk"][0]["iops"], 500);
    let r = emu
        .post(
            "server/changeDiskSpeed",
            json!({"id": disk, "speed": "TURBO"}),
        )
        .await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("speed"));
}

#[tokio::test]
async fn tags_go_with_their_asset() {
    let emu = emulator(&[]).await;
    emu.ok(
        "tag/createTagKey",
        json!({"name": "owner", "valueRequired": false, "displayOnReport": false}),
    )
    .await;
    let nd = emu.domain("a", "NA9").await;
    let block = emu
        .ok("network/addPublicIpBlock", json!({"networkDomainId": nd}))
        .await;
    for (kind, id) in [("PUBLIC_IP_BLOCK", &block), ("NETWORK_DOMAIN", &nd)] {
        emu.ok("tag/applyTags", json!({"assetType": kind, "assetId": id, "tag": [{"tagKeyName": "owner", "value": "t"}]})).await;
    }
    let count = |v: &Value| v["totalCount"].as_u64().unwrap();
    let (_, v) = emu.get("tag/tag").await;
    assert_eq!(count(&v), 2, "{v}");

    let r = emu
        .post("network/deleteNetworkDomain", json!({"id": nd}))
        .await;
    assert_error(&r, 400, "HAS_DEPENDENCY");
    emu.ok("network/removePublicIpBlock", json!({"id": block}))
        .await;
    let (_, v) = emu.get(&format!("tag/tag?assetId={block}")).await;
    assert_eq!(count(&v), 0, "a removed block kept its tag: {v}");
    emu.ok("network/deleteNetworkDomain", json!({"id": nd}))
        .await;
    let (_, v) = emu.get("tag/tag").await;
    assert_eq!(count(&v), 0, "tags outlived their assets: {v}");
}
