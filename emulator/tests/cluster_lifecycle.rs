//! The shape of the project's main job: a 3 + 9 node cluster deployed concurrently, exposed through
//! NAT and firewall rules, then torn down in dependency order with nothing orphaned.

mod common;

use common::emulator;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_node_cluster_up_and_down_leaves_nothing() {
    let emu = emulator(&["--time-scale", "0.0005"]).await;
    let nd = emu.domain("mesos", "NA9").await;
    wait_state(&emu, &format!("network/networkDomain/{nd}"), "NORMAL").await;
    let vlan = emu.vlan(&nd, "mesos", "10.10.0.0", 24).await;
    wait_state(&emu, &format!("network/vlan/{vlan}"), "NORMAL").await;
    let image = emu.image("Rocky Linux 9 64-bit 2 CPU", "NA9").await;

    // All twelve deploys in flight at once (server deploys are not serialised by the platform).
    let deploys: Vec<_> = (0..12)
        .map(|i| {
            let body = json!({"name": format!("node{i}"), "imageId": image, "start": true, "administratorPassword": "Passw0rd!",
                "cpu": {"count": 2, "coresPerSocket": 1, "speed": "STANDARD"}, "memoryGb": 4,
                "networkInfo": {"networkDomainId": nd, "primaryNic": {"privateIpv4": format!("10.10.0.{}", 10 + i)}, "additionalNic": null}});
            let (client, url) = (emu.client.clone(), emu.url(9, "server/deployServer"));
            tokio::spawn(async move {
                let v: Value = client.post(url).basic_auth("demo", Some("demo")).json(&body).send().await.unwrap().json().await.unwrap();
                assert_eq!(v["responseCode"], "IN_PROGRESS", "{v}");
                v["info"][0]["value"].as_str().unwrap().to_string()
            })
        })
        .collect();
    let mut servers = Vec::new();
    for d in deploys {
        servers.push(d.await.unwrap());
    }
    for s in &servers {
        wait_state(&emu, &format!("server/server/{s}"), "NORMAL").await;
    }

    // Three masters reachable from outside: NAT (adding blocks when needed) plus a firewall rule each.
    let mut nats = Vec::new();
    for i in 0..3 {
        let mut r = emu
            .post(
                "network/createNatRule",
                json!({"networkDomainId": nd, "internalIp": format!("10.10.0.{}", 10 + i)}),
            )
            .await;
        if r.1["responseCode"] == "NO_IP_ADDRESS_AVAILABLE" {
            emu.ok("network/addPublicIpBlock", json!({"networkDomainId": nd}))
                .await;
            r = emu
                .post(
                    "network/createNatRule",
                    json!({"networkDomainId": nd, "internalIp": format!("10.10.0.{}", 10 + i)}),
                )
                .await;
        }
        assert_eq!(r.1["responseCode"], "OK", "{}", r.1);
        let nat = r.1["info"][0]["value"].as_str().unwrap().to_string();
        let (_, rule) = emu.get(&format!("network/natRule/{nat}")).await;
        emu.ok("network/createFirewallRule", json!({"networkDomainId": nd, "name": format!("master{i}.Marathon"), "action": "ACCEPT_DECISIVELY",
            "enabled": true, "placement": {"position": "LAST"}, "ipVersion": "IPV4", "protocol": "TCP",
            "source": {"ip": {"address": "ANY"}}, "destination": {"ip": {"address": rule["externalIp"]}, "port": {"begin": 8080}}})).await;
        nats.push(nat);
    }
    let (_, blocks) = emu
        .get(&format!("network/publicIpBlock?networkDomainId={nd}"))
        .await;
    assert_eq!(blocks["totalCount"], 2);

    // Teardown in dependency order.
    let (_, rules) = emu
        .get(&format!("network/firewallRule?networkDomainId={nd}"))
        .await;
    for r in rules["firewallRule"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleType"] == "CLIENT_RULE")
    {
        emu.ok("network/deleteFirewallRule", json!({"id": r["id"]}))
            .await;
    }
    for n in &nats {
        emu.ok("network/deleteNatRule", json!({"id": n})).await;
    }
    for b in blocks["publicIpBlock"].as_array().unwrap() {
        emu.ok("network/removePublicIpBlock", json!({"id": b["id"]}))
            .await;
    }
    for s in &servers {
        emu.ok("server/powerOffServer", json!({"id": s})).await;
    }
    for s in &servers {
        wait_state(&emu, &format!("server/server/{s}"), "NORMAL").await;
        emu.ok("server/deleteServer", json!({"id": s})).await;
    }
    for s in &servers {
        wait_gone(&emu, &format!("server/server/{s}")).await;
    }
    emu.ok("network/deleteVlan", json!({"id": vlan})).await;
    wait_gone(&emu, &format!("network/vlan/{vlan}")).await;
    emu.ok("network/deleteNetworkDomain", json!({"id": nd}))
        .await;
    wait_gone(&emu, &format!("network/networkDomain/{nd}")).await;

    let inv = emu.inventory().await;
    assert_eq!(inv["totalAssets"], 0, "orphans: {inv}");
}

async fn wait_state(emu: &common::Emu, path: &str, wanted: &str) {
    for _ in 0..200 {
        let (_, v) = emu.get(path).await;
        if v["state"] == wanted {
            return;
        }
        assert!(
            v["state"]
                .as_str()
                .is_some_and(|s| s.starts_with("PENDING_")),
            "{path}: {v}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{path} never reached {wanted}");
}

async fn wait_gone(emu: &common::Emu, path: &str) {
    for _ in 0..200 {
        let (status, v) = emu.get(path).await;
        if status == 400 && v["responseCode"] == "RESOURCE_NOT_FOUND" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{path} never went away");
}
