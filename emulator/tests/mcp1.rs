//! MCP 1.0 locations: networks through the v1 XML API (create, list, rename, delete and their
//! refusals), servers deployed in them through the 2.x API (`network` instead of `networkInfo`)
//! with the recorded `nic` shape, reserved addresses on networks, refusals of MCP 2.0-only
//! operations, and persistence across a restart.

mod common;

use common::{assert_error, emulator, Emu};
use serde_json::{json, Value};

const NETWORK_NS: &str = "http://oec.api.opsource.net/schemas/network";
const GENERAL_NS: &str = "http://oec.api.opsource.net/schemas/general";

/// A v1 call under `/oec/0.9/<org>/<path>`: POSTs `body` (with `content_type`) when given, else a
/// GET. Returns (status, XML text).
async fn v1(emu: &Emu, path: &str, body: Option<(&str, String)>) -> (u16, String) {
    let url = format!("{}/oec/0.9/{}/{path}", emu.running.base_url, emu.org);
    let req = match body {
        Some((content_type, b)) => emu
            .client
            .post(url)
            .header("Content-Type", content_type)
            .body(b),
        None => emu.client.get(url),
    };
    let r = req
        .basic_auth(&emu.user, Some(&emu.password))
        .send()
        .await
        .expect("request sent");
    let status = r.status().as_u16();
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    let text = r.text().await.expect("body");
    assert!(ct.starts_with("application/xml"), "{ct}: {text}");
    (status, text)
}

/// The `Status` fields (operation, result, resultDetail, resultCode) of a v1 answer.
fn status(text: &str) -> [String; 4] {
    let d = roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let root = d.root_element();
    assert!(root.has_tag_name((GENERAL_NS, "Status")), "{text}");
    ["operation", "result", "resultDetail", "resultCode"].map(|k| {
        root.children()
            .find(|c| c.has_tag_name((GENERAL_NS, k)))
            .and_then(|c| c.text())
            .unwrap_or_default()
            .to_string()
    })
}

async fn create_network(emu: &Emu, name: &str, location: &str) -> (u16, String) {
    let body = format!(
        r#"<NewNetworkWithLocation xmlns="{NETWORK_NS}"><name>{name}</name><description>d</description><location>{location}</location></NewNetworkWithLocation>"#
    );
    v1(emu, "networkWithLocation", Some(("application/xml", body))).await
}

/// (id, name, location, privateNet) of each listed network.
async fn networks(emu: &Emu, location: Option<&str>) -> Vec<[String; 4]> {
    let path = match location {
        Some(l) => format!("networkWithLocation/{l}"),
        None => "networkWithLocation".into(),
    };
    let (s, text) = v1(emu, &path, None).await;
    assert_eq!(s, 200, "{text}");
    let d = roxmltree::Document::parse(&text).unwrap();
    assert!(d
        .root_element()
        .has_tag_name((NETWORK_NS, "NetworkWithLocations")));
    d.root_element()
        .children()
        .filter(|c| c.has_tag_name((NETWORK_NS, "network")))
        .map(|n| {
            ["id", "name", "location", "privateNet"].map(|k| {
                n.children()
                    .find(|c| c.has_tag_name((NETWORK_NS, k)))
                    .and_then(|c| c.text())
                    .unwrap_or_default()
                    .to_string()
            })
        })
        .collect()
}

/// Creates a network and returns its id (from the recorded "Network ID: …" detail).
async fn network(emu: &Emu, name: &str, location: &str) -> String {
    let (s, text) = create_network(emu, name, location).await;
    assert_eq!(s, 200, "{text}");
    let [op, result, detail, code] = status(&text);
    assert_eq!(
        (op.as_str(), result.as_str(), code.as_str()),
        ("Add Network", "SUCCESS", "REASON_0")
    );
    let id = detail
        .strip_prefix("Network created successfully (Network ID: ")
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{detail}"))
        .to_string();
    id
}

fn mcp1_server(name: &str, image: &str, network: Value) -> Value {
    json!({"name": name, "imageId": image, "start": true, "administratorPassword": "Passw0rd!",
           "network": network})
}

#[tokio::test]
async fn networks_are_created_listed_renamed_and_deleted_through_v1() {
    let emu = emulator(&[]).await;
    let a = network(&emu, "web", "NA1").await;
    let b = network(&emu, "db", "NA3").await;
    let all = networks(&emu, None).await;
    assert_eq!(all.len(), 2);
    let web = all.iter().find(|n| n[0] == a).expect("listed");
    assert_eq!((web[1].as_str(), web[2].as_str()), ("web", "NA1"));
    // Each network is its own /24 from 10.x.
    let nets: Vec<&str> = all.iter().map(|n| n[3].as_str()).collect();
    assert!(
        nets.iter()
            .all(|n| n.starts_with("10.") && n.ends_with(".0")),
        "{nets:?}"
    );
    assert_ne!(nets[0], nets[1]);
    let only_na3 = networks(&emu, Some("NA3")).await;
    assert_eq!(only_na3.len(), 1);
    assert_eq!(only_na3[0][0], b);

    // The same name in another location is fine, not twice in one.
    network(&emu, "web", "NA5").await;
    let (s, text) = create_network(&emu, "web", "NA1").await;
    assert_eq!(s, 400, "{text}");
    let [_, result, detail, _] = status(&text);
    assert_eq!(result, "ERROR");
    assert!(detail.contains("web") && detail.contains("NA1"), "{detail}");

    // Rename (form body, as libcloud and the .NET client send it).
    let (s, text) = v1(
        &emu,
        &format!("network/{a}"),
        Some((
            "application/x-www-form-urlencoded",
            "name=frontend&description=renamed".into(),
        )),
    )
    .await;
    assert_eq!(s, 200, "{text}");
    assert_eq!(status(&text)[1], "SUCCESS");
    let renamed = networks(&emu, Some("NA1")).await;
    assert_eq!(renamed[0][1], "frontend");
    let (s, text) = v1(
        &emu,
        &format!("network/{a}"),
        Some(("application/x-www-form-urlencoded", "colour=red".into())),
    )
    .await;
    assert_eq!(s, 400, "{text}");
    assert!(status(&text)[2].starts_with("colour"), "{text}");

    // Delete.
    let (s, text) = v1(&emu, &format!("network/{b}?delete"), None).await;
    assert_eq!(s, 200, "{text}");
    assert_eq!(status(&text)[0], "Delete Network");
    assert!(networks(&emu, Some("NA3")).await.is_empty());
    let (s, text) = v1(&emu, &format!("network/{b}?delete"), None).await;
    assert_eq!(s, 400, "{text}");
    assert_eq!(status(&text)[1], "ERROR");
}

#[tokio::test]
async fn network_refusals() {
    let emu = emulator(&[]).await;
    // MCP 2.0 and unknown locations take no networks.
    for (location, named) in [("NA9", "MCP 2.0"), ("ZZ1", "not a datacenter")] {
        let (s, text) = create_network(&emu, "n", location).await;
        assert_eq!(s, 400, "{text}");
        let detail = &status(&text)[2];
        assert!(
            detail.starts_with("location") && detail.contains(named),
            "{detail}"
        );
    }
    // A body outside the network namespace, or without a name.
    let (s, text) = v1(
        &emu,
        "networkWithLocation",
        Some((
            "application/xml",
            "<NewNetworkWithLocation><name>n</name><location>NA1</location></NewNetworkWithLocation>"
                .into(),
        )),
    )
    .await;
    assert_eq!(s, 400);
    assert!(status(&text)[2].contains("namespace"), "{text}");
    let (s, text) = v1(
        &emu,
        "networkWithLocation",
        Some((
            "application/xml",
            format!(r#"<NewNetworkWithLocation xmlns="{NETWORK_NS}"><location>NA1</location></NewNetworkWithLocation>"#),
        )),
    )
    .await;
    assert_eq!(s, 400);
    assert!(status(&text)[2].starts_with("name"), "{text}");
    // A GET on a network without `?delete` is no v1 operation.
    let id = network(&emu, "n", "NA1").await;
    let (s, _) = v1(&emu, &format!("network/{id}"), None).await;
    assert_eq!(s, 404);
    // Another organisation's path.
    let url = format!(
        "{}/oec/0.9/11111111-2222-4333-8444-555555555555/networkWithLocation",
        emu.running.base_url
    );
    let r = emu
        .client
        .get(url)
        .basic_auth("demo", Some("demo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn servers_deploy_in_mcp1_networks_with_the_recorded_nic() {
    let emu = emulator(&[]).await;
    let net = network(&emu, "web", "NA1").await;
    let listed = networks(&emu, Some("NA1")).await;
    let private_net = listed[0][3].clone();
    let image = emu.image("CentOS 7 64-bit 2 CPU", "NA1").await;
    let server = emu
        .ok(
            "server/deployServer",
            mcp1_server("s1", &image, json!({"networkId": net})),
        )
        .await;
    for minor in [3, 4, 10] {
        let (s, v) = emu.get_v(minor, &format!("server/server/{server}")).await;
        assert_eq!(s, 200, "{v}");
        assert!(v.get("networkInfo").is_none(), "2.{minor}: {v}");
        let nic = &v["nic"];
        assert_eq!(nic["networkId"], net.as_str(), "2.{minor}: {v}");
        assert_eq!(nic["networkName"], "web");
        assert_eq!(nic["state"], "NORMAL");
        let ip = nic["privateIpv4"].as_str().unwrap();
        assert!(
            ip.starts_with(private_net.trim_end_matches('0')),
            "{ip} in {private_net}"
        );
        assert_eq!(v["datacenterId"], "NA1");
    }
    // A chosen address: the network follows from it.
    let prefix = private_net.trim_end_matches('0');
    let chosen = format!("{prefix}77");
    let second = emu
        .ok(
            "server/deployServer",
            mcp1_server("s2", &image, json!({"privateIpv4": chosen})),
        )
        .await;
    let (_, v) = emu.get(&format!("server/server/{second}")).await;
    assert_eq!(v["nic"]["privateIpv4"], chosen.as_str());
    assert_eq!(v["nic"]["networkId"], net.as_str());
    // Lists filter by network.
    let (_, l) = emu.get(&format!("server/server?networkId={net}")).await;
    assert_eq!(l["totalCount"], 2, "{l}");
    // Taken, outside and gateway addresses.
    for (ip, code) in [
        (chosen.clone(), "IP_ADDRESS_NOT_UNIQUE"),
        (format!("{prefix}1"), "IP_ADDRESS_OUT_OF_RANGE"),
        ("192.168.0.5".to_string(), "IP_ADDRESS_OUT_OF_RANGE"),
    ] {
        let r = emu
            .post(
                "server/deployServer",
                mcp1_server("x", &image, json!({"privateIpv4": ip})),
            )
            .await;
        assert!(
            assert_error(&r, 400, code).starts_with("network.privateIpv4"),
            "{ip}: {}",
            r.1
        );
    }
    // The network has servers: it stays.
    let (s, text) = v1(&emu, &format!("network/{net}?delete"), None).await;
    assert_eq!(s, 400, "{text}");
    assert!(status(&text)[2].contains("servers"), "{text}");
    // NIC operations do not apply to an MCP 1.0 server.
    let r = emu
        .post(
            "server/addNic",
            json!({"serverId": server, "nic": {"vlanId": net}}),
        )
        .await;
    assert!(assert_error(&r, 400, "OPERATION_NOT_SUPPORTED").contains("MCP 1.0"));
    let (_, v) = emu.get(&format!("server/server/{server}")).await;
    let nic = v["nic"]["id"].as_str().unwrap().to_string();
    let r = emu
        .post(
            "server/changeNetworkAdapter",
            json!({"nicId": nic, "networkAdapter": "E1000"}),
        )
        .await;
    assert_error(&r, 400, "OPERATION_NOT_SUPPORTED");
    // Power and delete work as for any server; then the network can go.
    for s in [&server, &second] {
        emu.ok("server/powerOffServer", json!({"id": s})).await;
        emu.ok("server/deleteServer", json!({"id": s})).await;
    }
    let (s, text) = v1(&emu, &format!("network/{net}?delete"), None).await;
    assert_eq!(s, 200, "{text}");
}

#[tokio::test]
async fn deploy_refuses_mixing_the_network_models() {
    let emu = emulator(&[]).await;
    let net = network(&emu, "web", "NA1").await;
    let na1_image = emu.image("CentOS 7 64-bit 2 CPU", "NA1").await;
    let na3_image = emu.image("CentOS 7 64-bit 2 CPU", "NA3").await;
    let na9_image = emu.image("CentOS 7 64-bit 2 CPU", "NA9").await;
    let nd = emu.domain("nd", "NA9").await;
    let vlan = emu.vlan(&nd, "v", "10.0.0.0", 24).await;
    let network_info = json!({"networkDomainId": nd, "primaryNic": {"vlanId": vlan}});

    // networkInfo for an image in an MCP 1.0 datacenter.
    let mut body = mcp1_server("x", &na1_image, Value::Null);
    body.as_object_mut().unwrap().remove("network");
    body["networkInfo"] = network_info.clone();
    let r = emu.post("server/deployServer", body).await;
    let m = assert_error(&r, 400, "INVALID_INPUT_DATA");
    assert!(m.starts_with("networkInfo") && m.contains("MCP 1.0"), "{m}");
    // network for an image in an MCP 2.0 datacenter.
    let r = emu
        .post(
            "server/deployServer",
            mcp1_server("x", &na9_image, json!({"networkId": net})),
        )
        .await;
    let m = assert_error(&r, 400, "INVALID_INPUT_DATA");
    assert!(m.starts_with("network") && m.contains("MCP 2.0"), "{m}");
    // The image in another MCP 1.0 datacenter than the network.
    let r = emu
        .post(
            "server/deployServer",
            mcp1_server("x", &na3_image, json!({"networkId": net})),
        )
        .await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("imageId"));
    // Both, neither, or both choices of network.
    let mut both = mcp1_server("x", &na1_image, json!({"networkId": net}));
    both["networkInfo"] = network_info;
    let r = emu.post("server/deployServer", both).await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("network"));
    let mut neither = mcp1_server("x", &na1_image, Value::Null);
    neither.as_object_mut().unwrap().remove("network");
    let r = emu.post("server/deployServer", neither).await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("networkInfo"));
    let r = emu
        .post(
            "server/deployServer",
            mcp1_server(
                "x",
                &na1_image,
                json!({"networkId": net, "privateIpv4": "10.160.0.20"}),
            ),
        )
        .await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("network"));
    // STANDARD CPU only and NA1's limits.
    let mut fast = mcp1_server("x", &na1_image, json!({"networkId": net}));
    fast["cpu"] = json!({"speed": "HIGHPERFORMANCE"});
    let r = emu.post("server/deployServer", fast).await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").contains("available: STANDARD"));
    let mut big = mcp1_server("x", &na1_image, json!({"networkId": net}));
    big["cpu"] = json!({"count": 12, "coresPerSocket": 1});
    let r = emu.post("server/deployServer", big).await;
    assert_eq!(
        assert_error(&r, 400, "EXCEEDS_LIMIT"),
        "cpu.count: 12 must be between 1 and 8"
    );
    let (_, l) = emu.get("server/server").await;
    assert_eq!(l["totalCount"], 0, "nothing was deployed: {l}");
}

#[tokio::test]
async fn network_domains_and_vlans_stay_out_of_mcp1_datacenters() {
    let emu = emulator(&[]).await;
    let r = emu
        .post(
            "network/deployNetworkDomain",
            json!({"name": "nd", "type": "ESSENTIALS", "datacenterId": "NA1"}),
        )
        .await;
    let m = assert_error(&r, 400, "INVALID_INPUT_DATA");
    assert!(
        m.starts_with("datacenterId") && m.contains("MCP 1.0"),
        "{m}"
    );
    // A VLAN needs a network domain; an MCP 1.0 network is none.
    let net = network(&emu, "web", "NA1").await;
    let r = emu
        .post(
            "network/deployVlan",
            json!({"networkDomainId": net, "name": "v", "privateIpv4NetworkAddress": "10.0.0.0",
                   "privateIpv4PrefixSize": 24, "attachedVlan": {"gatewayAddressing": "LOW"}}),
        )
        .await;
    assert_error(&r, 400, "RESOURCE_NOT_FOUND");
    // The catalogue shows what an MCP 1.0 location offers.
    let (_, v) = emu.get("infrastructure/datacenter?id=NA1").await;
    let dc = &v["datacenter"][0];
    assert_eq!(dc["type"], "MCP 1.0");
    assert_eq!(dc["networking"]["type"], "1");
    let available = |key: &str| -> Vec<String> {
        dc["hypervisor"][key]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["available"] == true)
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(available("cpuSpeed"), ["STANDARD"]);
    assert_eq!(available("diskSpeed"), ["STANDARD"]);
    let (_, all) = emu.get("infrastructure/datacenter").await;
    let mcp1: Vec<&str> = all["datacenter"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["type"] == "MCP 1.0")
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(mcp1, ["NA1", "NA3", "NA5"]);
}

#[tokio::test]
async fn addresses_are_reserved_on_mcp1_networks() {
    let emu = emulator(&[]).await;
    let net = network(&emu, "web", "NA3").await;
    let prefix = networks(&emu, None).await[0][3]
        .trim_end_matches('0')
        .to_string();
    let ip = format!("{prefix}11");
    emu.ok(
        "network/reservePrivateIpv4Address",
        json!({"networkId": net, "ipAddress": ip, "description": "kept"}),
    )
    .await;
    let (_, l) = emu
        .get(&format!(
            "network/reservedPrivateIpv4Address?networkId={net}"
        ))
        .await;
    assert_eq!(l["totalCount"], 1, "{l}");
    let item = &l["ipv4"][0];
    assert_eq!(item["networkId"], net.as_str());
    assert_eq!(item["datacenterid"], "NA3");
    assert!(item.get("vlanId").is_none(), "{item}");
    // Up to 2.8 the item is {value, datacenterId, networkId}.
    let (_, old) = emu
        .get_v(
            4,
            &format!("network/reservedPrivateIpv4Address?networkId={net}"),
        )
        .await;
    assert_eq!(
        old["ipv4"][0],
        json!({"value": ip, "datacenterId": "NA3", "networkId": net})
    );
    // The reserved address is skipped by allocation and refused when asked for.
    let image = emu.image("CentOS 7 64-bit 2 CPU", "NA3").await;
    let s = emu
        .ok(
            "server/deployServer",
            mcp1_server("s", &image, json!({"networkId": net})),
        )
        .await;
    let (_, v) = emu.get(&format!("server/server/{s}")).await;
    assert_eq!(v["nic"]["privateIpv4"], format!("{prefix}12"));
    let r = emu
        .post(
            "server/deployServer",
            mcp1_server("x", &image, json!({"privateIpv4": ip})),
        )
        .await;
    assert_error(&r, 400, "IP_ADDRESS_OUT_OF_RANGE");
    // Reserving a server's address, or both choices at once.
    let r = emu
        .post(
            "network/reservePrivateIpv4Address",
            json!({"networkId": net, "ipAddress": format!("{prefix}12")}),
        )
        .await;
    assert_error(&r, 400, "IP_ADDRESS_NOT_UNIQUE");
    let r = emu
        .post(
            "network/reservePrivateIpv4Address",
            json!({"networkId": net, "vlanId": net, "ipAddress": format!("{prefix}40")}),
        )
        .await;
    assert_error(&r, 400, "INVALID_INPUT_DATA");
    emu.ok(
        "network/unreservePrivateIpv4Address",
        json!({"networkId": net, "ipAddress": ip}),
    )
    .await;
    let r = emu
        .post(
            "network/unreservePrivateIpv4Address",
            json!({"networkId": net, "ipAddress": ip}),
        )
        .await;
    assert_error(&r, 400, "RESOURCE_NOT_FOUND");
}

#[tokio::test]
async fn networks_and_mcp1_servers_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let state_arg = state.to_str().unwrap();
    let (net, server) = {
        let emu = emulator(&["--state", state_arg]).await;
        let net = network(&emu, "kept", "NA5").await;
        let image = emu.image("CentOS 7 64-bit 2 CPU", "NA5").await;
        let server = emu
            .ok(
                "server/deployServer",
                mcp1_server("s", &image, json!({"networkId": net})),
            )
            .await;
        (net, server)
    };
    let emu = emulator(&["--state", state_arg]).await;
    let listed = networks(&emu, Some("NA5")).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0][0].as_str(), listed[0][1].as_str()),
        (net.as_str(), "kept")
    );
    let (s, v) = emu.get(&format!("server/server/{server}")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["nic"]["networkId"], net.as_str());
    assert_eq!(v["nic"]["networkName"], "kept");
    // A v1 delete is a write too: it is on disk after the restart.
    emu.ok("server/powerOffServer", json!({"id": server})).await;
    emu.ok("server/deleteServer", json!({"id": server})).await;
    let (s, text) = v1(&emu, &format!("network/{net}?delete"), None).await;
    assert_eq!(s, 200, "{text}");
    drop(emu);
    let emu = emulator(&["--state", state_arg]).await;
    assert!(networks(&emu, None).await.is_empty());
}
