//! The load balancer (`networkDomainVip`): nodes, pools, pool members and virtual listeners
//! through their whole life, the default catalogs, paging, XML, the 2.6 boundary of virtual
//! listeners, persistence across a `--state` restart, and every refusal with its code, each
//! changing nothing.

mod common;

use common::{assert_error, emulator, Emu};
use serde_json::{json, Value};

const VIP: &str = "networkDomainVip";

async fn advanced(emu: &Emu, name: &str) -> String {
    emu.ok(
        "network/deployNetworkDomain",
        json!({"name": name, "type": "ADVANCED", "datacenterId": "NA9"}),
    )
    .await
}

/// The id of a catalog entry by name.
async fn catalog_id(emu: &Emu, nd: &str, catalog: &str, name: &str) -> String {
    let (status, doc) = emu
        .get(&format!("{VIP}/{catalog}?networkDomainId={nd}"))
        .await;
    assert_eq!(status, 200, "{doc}");
    doc[catalog]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name || e["irule"]["name"] == name)
        .map(|e| {
            e.get("irule").unwrap_or(e)["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .unwrap_or_else(|| panic!("{name} not in {doc}"))
}

fn node(nd: &str, name: &str, ip: &str) -> Value {
    json!({"networkDomainId": nd, "name": name, "ipv4Address": ip, "status": "ENABLED",
           "connectionLimit": 20000, "connectionRateLimit": 2000})
}

fn pool(nd: &str, name: &str) -> Value {
    json!({"networkDomainId": nd, "name": name, "loadBalanceMethod": "ROUND_ROBIN",
           "serviceDownAction": "NONE", "slowRampTime": 10})
}

fn listener(nd: &str, name: &str) -> Value {
    json!({"networkDomainId": nd, "name": name, "type": "STANDARD", "protocol": "TCP",
           "optimizationProfile": "TCP", "port": 443, "enabled": true,
           "connectionLimit": 20000, "connectionRateLimit": 2000,
           "sourcePortPreservation": "PRESERVE"})
}

#[tokio::test]
async fn node_pool_member_and_listener_live_and_die_in_order() {
    let emu = emulator(&[]).await;
    let nd = advanced(&emu, "lb").await;
    let block = emu
        .ok("network/addPublicIpBlock", json!({"networkDomainId": nd}))
        .await;
    let (_, b) = emu.get(&format!("network/publicIpBlock/{block}")).await;
    let base_ip = b["baseIp"].as_str().unwrap().to_string();

    // Catalogs.
    let icmp = catalog_id(&emu, &nd, "defaultHealthMonitor", "CCDEFAULT.Icmp").await;
    let http = catalog_id(&emu, &nd, "defaultHealthMonitor", "CCDEFAULT.Http").await;
    let tcp = catalog_id(&emu, &nd, "defaultHealthMonitor", "CCDEFAULT.Tcp").await;
    let source = catalog_id(
        &emu,
        &nd,
        "defaultPersistenceProfile",
        "CCDEFAULT.SourceAddress",
    )
    .await;
    let ips = catalog_id(&emu, &nd, "defaultIrule", "CCDEFAULT.Ips").await;
    let (_, monitors) = emu
        .get(&format!("{VIP}/defaultHealthMonitor?networkDomainId={nd}"))
        .await;
    assert_eq!(monitors["totalCount"], 6, "{monitors}");
    let icmp_doc = monitors["defaultHealthMonitor"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == icmp.as_str())
        .unwrap();
    assert_eq!(icmp_doc["nodeCompatible"], true);
    assert_eq!(icmp_doc["poolCompatible"], false);

    // Node.
    let mut body = node(&nd, "web01", "10.0.1.21");
    body["healthMonitorId"] = json!(icmp);
    body["description"] = json!("web 01");
    let (status, answer) = emu.post(&format!("{VIP}/createNode"), body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["responseCode"], "OK");
    assert_eq!(answer["operation"], "CREATE_NODE");
    assert_eq!(answer["info"][0]["name"], "nodeId");
    assert_eq!(answer["info"][1], json!({"name": "name", "value": "web01"}));
    let node_id = answer["info"][0]["value"].as_str().unwrap().to_string();
    let (_, n) = emu.get(&format!("{VIP}/node/{node_id}")).await;
    assert_eq!(n["ipv4Address"], "10.0.1.21");
    assert_eq!(n["state"], "NORMAL");
    assert_eq!(n["status"], "ENABLED");
    assert_eq!(n["networkDomainId"], nd.as_str());
    assert_eq!(
        n["healthMonitor"],
        json!({"id": icmp, "name": "CCDEFAULT.Icmp"})
    );
    let (_, answer) = emu
        .post(
            &format!("{VIP}/editNode"),
            json!({"id": node_id, "status": "DISABLED", "healthMonitorId": {"nil": true},
                   "connectionLimit": 100}),
        )
        .await;
    assert_eq!(answer["operation"], "EDIT_NODE", "{answer}");
    assert_eq!(answer["info"][0]["value"], node_id.as_str());
    let (_, n) = emu.get(&format!("{VIP}/node/{node_id}")).await;
    assert_eq!(n["status"], "DISABLED");
    assert_eq!(n["connectionLimit"], 100);
    assert_eq!(n["description"], "web 01");
    assert!(n.get("healthMonitor").is_none(), "{n}");

    // Pool.
    let mut body = pool(&nd, "web.pool");
    body["healthMonitorId"] = json!([http, tcp]);
    let (_, answer) = emu.post(&format!("{VIP}/createPool"), body).await;
    assert_eq!(answer["operation"], "CREATE_POOL", "{answer}");
    assert_eq!(answer["info"][0]["name"], "poolId");
    let pool_id = answer["info"][0]["value"].as_str().unwrap().to_string();
    let (_, answer) = emu
        .post(
            &format!("{VIP}/editPool"),
            json!({"id": pool_id, "loadBalanceMethod": "LEAST_CONNECTIONS_MEMBER",
                   "serviceDownAction": null, "slowRampTime": null,
                   "healthMonitorId": [http]}),
        )
        .await;
    assert_eq!(answer["operation"], "EDIT_POOL", "{answer}");
    let (_, p) = emu.get(&format!("{VIP}/pool/{pool_id}")).await;
    assert_eq!(p["loadBalanceMethod"], "LEAST_CONNECTIONS_MEMBER");
    assert_eq!(p["serviceDownAction"], "NONE");
    assert_eq!(p["slowRampTime"], 10);
    assert_eq!(
        p["healthMonitor"],
        json!([{"id": http, "name": "CCDEFAULT.Http"}])
    );

    // Member, on a port and on any port.
    let (_, answer) = emu
        .post(
            &format!("{VIP}/addPoolMember"),
            json!({"poolId": pool_id, "nodeId": node_id, "port": 8080, "status": "ENABLED"}),
        )
        .await;
    assert_eq!(answer["operation"], "ADD_POOL_MEMBER", "{answer}");
    assert_eq!(
        answer["info"][1],
        json!({"name": "nodeName", "value": "web01"})
    );
    let member = answer["info"][0]["value"].as_str().unwrap().to_string();
    let any_port = emu
        .ok(
            &format!("{VIP}/addPoolMember"),
            json!({"poolId": pool_id, "nodeId": node_id, "status": "ENABLED"}),
        )
        .await;
    let (_, m) = emu.get(&format!("{VIP}/poolMember/{member}")).await;
    assert_eq!(m["port"], 8080);
    assert_eq!(m["pool"], json!({"id": pool_id, "name": "web.pool"}));
    assert_eq!(m["node"]["ipAddress"], "10.0.1.21");
    assert_eq!(m["node"]["status"], "DISABLED");
    let (_, m) = emu.get(&format!("{VIP}/poolMember/{any_port}")).await;
    assert!(m.get("port").is_none(), "{m}");
    let (_, answer) = emu
        .post(
            &format!("{VIP}/editPoolMember"),
            json!({"id": member, "status": "FORCED_OFFLINE"}),
        )
        .await;
    assert_eq!(answer["operation"], "EDIT_POOL_MEMBER", "{answer}");
    let (_, members) = emu
        .get(&format!(
            "{VIP}/poolMember?poolId={pool_id}&status=FORCED_OFFLINE"
        ))
        .await;
    assert_eq!(members["totalCount"], 1, "{members}");

    // Listener: the address comes from the domain's public block.
    let mut body = listener(&nd, "web.vip");
    body["poolId"] = json!(pool_id);
    body["persistenceProfileId"] = json!(source);
    body["iruleId"] = json!([ips]);
    let (_, answer) = emu
        .post(&format!("{VIP}/createVirtualListener"), body)
        .await;
    assert_eq!(answer["responseCode"], "OK", "{answer}");
    assert_eq!(answer["operation"], "CREATE_VIRTUAL_LISTENER");
    assert_eq!(answer["info"][0]["name"], "virtualListenerId");
    assert_eq!(
        answer["info"][2],
        json!({"name": "listenerIpAddress", "value": base_ip})
    );
    let vl = answer["info"][0]["value"].as_str().unwrap().to_string();
    let (_, l) = emu.get(&format!("{VIP}/virtualListener/{vl}")).await;
    assert_eq!(l["listenerIpAddressability"], "PUBLIC_IP_BLOCK");
    assert_eq!(l["pool"]["name"], "web.pool");
    assert_eq!(l["pool"]["loadBalanceMethod"], "LEAST_CONNECTIONS_MEMBER");
    assert_eq!(l["persistenceProfile"]["name"], "CCDEFAULT.SourceAddress");
    assert_eq!(l["irule"], json!([{"id": ips, "name": "CCDEFAULT.Ips"}]));
    let (_, answer) = emu
        .post(
            &format!("{VIP}/editVirtualListener"),
            json!({"id": vl, "enabled": false, "poolId": {"nil": true}, "iruleId": {"nil": true},
                   "description": "off"}),
        )
        .await;
    assert_eq!(answer["operation"], "EDIT_VIRTUAL_LISTENER", "{answer}");
    let (_, l) = emu.get(&format!("{VIP}/virtualListener/{vl}")).await;
    assert_eq!(l["enabled"], false);
    assert!(l.get("pool").is_none(), "{l}");
    assert_eq!(l["irule"], json!([]));
    assert_eq!(l["description"], "off");
    // A second listener takes the block's next address; a third finds none free.
    let second = emu
        .ok(
            &format!("{VIP}/createVirtualListener"),
            listener(&nd, "second"),
        )
        .await;
    let third = emu
        .post(
            &format!("{VIP}/createVirtualListener"),
            listener(&nd, "third"),
        )
        .await;
    assert_error(&third, 400, "NO_IP_ADDRESS_AVAILABLE");
    // Both addresses are reserved, as NAT rules' are.
    let (_, reserved) = emu
        .get(&format!(
            "network/reservedPublicIpv4Address?networkDomainId={nd}"
        ))
        .await;
    assert_eq!(reserved["totalCount"], 2, "{reserved}");
    // The block cannot go while listeners use it.
    let r = emu
        .post("network/removePublicIpBlock", json!({"id": block}))
        .await;
    assert_error(&r, 400, "HAS_DEPENDENCY");

    let inv = emu.inventory().await;
    assert_eq!(inv["vipNode"].as_array().unwrap().len(), 1);
    assert_eq!(inv["virtualListener"].as_array().unwrap().len(), 2);
    let r = emu
        .post("network/deleteNetworkDomain", json!({"id": nd}))
        .await;
    assert_error(&r, 400, "HAS_DEPENDENCY");

    // Delete in reverse order.
    for (op, id, operation) in [
        ("deleteVirtualListener", &vl, "DELETE_VIRTUAL_LISTENER"),
        ("deleteVirtualListener", &second, "DELETE_VIRTUAL_LISTENER"),
        ("removePoolMember", &member, "REMOVE_POOL_MEMBER"),
        ("removePoolMember", &any_port, "REMOVE_POOL_MEMBER"),
        ("deletePool", &pool_id, "DELETE_POOL"),
        ("deleteNode", &node_id, "DELETE_NODE"),
    ] {
        let (status, answer) = emu.post(&format!("{VIP}/{op}"), json!({"id": id})).await;
        assert_eq!(status, 200, "{op}: {answer}");
        assert_eq!(answer["operation"], operation);
        assert_eq!(answer["responseCode"], "OK");
    }
    let r = emu.get(&format!("{VIP}/node/{node_id}")).await;
    assert_error(&r, 400, "RESOURCE_NOT_FOUND");
    emu.ok("network/removePublicIpBlock", json!({"id": block}))
        .await;
    emu.ok("network/deleteNetworkDomain", json!({"id": nd}))
        .await;
    let inv = emu.inventory().await;
    assert_eq!(inv["totalAssets"], 0, "{inv}");
}

#[tokio::test]
async fn refusals_carry_the_apis_codes_and_change_nothing() {
    let emu = emulator(&[]).await;
    let nd = advanced(&emu, "lb").await;
    let other = advanced(&emu, "other").await;
    let essentials = emu.domain("small", "NA9").await;
    // 10.0.1.0/24 is a VLAN of the domain: no private listener address there.
    emu.vlan(&nd, "v", "10.0.1.0", 24).await;
    let http = catalog_id(&emu, &nd, "defaultHealthMonitor", "CCDEFAULT.Http").await;
    let icmp = catalog_id(&emu, &nd, "defaultHealthMonitor", "CCDEFAULT.Icmp").await;
    let cookie = catalog_id(&emu, &nd, "defaultPersistenceProfile", "CCDEFAULT.Cookie").await;

    let node_id = emu
        .ok(
            &format!("{VIP}/createNode"),
            node(&nd, "web01", "10.0.1.21"),
        )
        .await;
    let pool_id = emu.ok(&format!("{VIP}/createPool"), pool(&nd, "p")).await;
    let far_node = emu
        .ok(
            &format!("{VIP}/createNode"),
            node(&other, "far", "10.0.9.9"),
        )
        .await;
    let before = emu.inventory().await;

    let post = |op: &str, body: Value| {
        let path = format!("{VIP}/{op}");
        let emu = &emu;
        async move { emu.post(&path, body).await }
    };
    let mut cases: Vec<(&str, Value, &str)> = vec![
        (
            "createNode",
            node(&essentials, "n", "10.0.0.1"),
            "OPERATION_NOT_SUPPORTED",
        ),
        (
            "createNode",
            node(&nd, "web01", "10.0.1.22"),
            "NAME_NOT_UNIQUE",
        ),
        (
            "createNode",
            node(&nd, "web02", "10.0.1.21"),
            "IP_ADDRESS_NOT_UNIQUE",
        ),
        (
            "createNode",
            node(&nd, "web02", "10.0.1.300"),
            "INVALID_INPUT_DATA",
        ),
        (
            "createNode",
            node(&nd, "web02", "2001:db8::1"),
            "INVALID_INPUT_DATA",
        ),
        ("createPool", pool(&nd, "p"), "NAME_NOT_UNIQUE"),
        (
            "deleteNode",
            json!({"id": "1e1e1e1e-0000-4000-8000-000000000000"}),
            "RESOURCE_NOT_FOUND",
        ),
        (
            "addPoolMember",
            json!({"poolId": pool_id, "nodeId": far_node, "status": "ENABLED"}),
            "INVALID_INPUT_DATA",
        ),
        (
            "addPoolMember",
            json!({"poolId": pool_id, "nodeId": node_id, "port": 70000, "status": "ENABLED"}),
            "INVALID_INPUT_DATA",
        ),
        (
            "addPoolMember",
            json!({"poolId": pool_id, "nodeId": node_id, "status": "UP"}),
            "INVALID_INPUT_DATA",
        ),
        (
            "createVirtualListener",
            listener(&nd, "l"),
            "NO_IP_ADDRESS_AVAILABLE",
        ),
    ];
    let mut b = node(&nd, "web03", "10.0.1.23");
    b["healthMonitorId"] = json!(http);
    cases.push(("createNode", b, "INVALID_INPUT_DATA"));
    let mut b = node(&nd, "web03", "10.0.1.23");
    b["connectionLimit"] = json!(0);
    cases.push(("createNode", b, "INVALID_INPUT_DATA"));
    let mut b = pool(&nd, "p2");
    b["healthMonitorId"] = json!([icmp]);
    cases.push(("createPool", b, "INVALID_INPUT_DATA"));
    let mut b = pool(&nd, "p2");
    b["loadBalanceMethod"] = json!("PERSISTENT_IP");
    cases.push(("createPool", b, "INVALID_INPUT_DATA"));
    let mut b = listener(&nd, "l");
    b.as_object_mut().unwrap().remove("optimizationProfile");
    cases.push(("createVirtualListener", b, "CONFIGURATION_NOT_SUPPORTED"));
    let mut b = listener(&nd, "l");
    b["listenerIpAddress"] = json!("198.51.100.77");
    cases.push(("createVirtualListener", b, "IP_ADDRESS_OUT_OF_RANGE"));
    let mut b = listener(&nd, "l");
    b["listenerIpAddress"] = json!("10.0.1.50");
    cases.push(("createVirtualListener", b, "IP_ADDRESS_OUT_OF_RANGE"));
    let mut b = listener(&nd, "l");
    b["listenerIpAddress"] = json!("10.0.1.21");
    cases.push(("createVirtualListener", b, "IP_ADDRESS_OUT_OF_RANGE"));
    let mut b = listener(&nd, "l");
    b["type"] = json!("PERFORMANCE_LAYER_4");
    b["protocol"] = json!("SMTP");
    cases.push(("createVirtualListener", b, "INVALID_INPUT_DATA"));
    let mut b = listener(&nd, "l");
    b["listenerIpAddress"] = json!("10.5.0.1");
    b["persistenceProfileId"] = json!(cookie);
    cases.push(("createVirtualListener", b, "CONFIGURATION_NOT_SUPPORTED"));
    let mut b = listener(&other, "l");
    b["listenerIpAddress"] = json!("10.5.0.1");
    b["poolId"] = json!(pool_id);
    cases.push(("createVirtualListener", b, "INVALID_INPUT_DATA"));
    for (op, body, code) in cases {
        let r = post(op, body.clone()).await;
        assert_eq!(r.1["responseCode"], code, "{op} {body}: {}", r.1);
        assert_error(&r, 400, code);
        assert_eq!(
            emu.inventory().await,
            before,
            "{op} {body} changed something"
        );
    }

    // A private listener address outside the VLANs; a node may not then take it.
    let mut b = listener(&nd, "private");
    b["listenerIpAddress"] = json!("10.5.0.1");
    let vl = emu.ok(&format!("{VIP}/createVirtualListener"), b).await;
    let (_, l) = emu.get(&format!("{VIP}/virtualListener/{vl}")).await;
    assert_eq!(l["listenerIpAddressability"], "PRIVATE_RFC1918");
    let mut b = listener(&nd, "same-port");
    b["listenerIpAddress"] = json!("10.5.0.1");
    assert_error(
        &emu.post(&format!("{VIP}/createVirtualListener"), b).await,
        400,
        "IP_ADDRESS_NOT_UNIQUE",
    );
    let mut b = listener(&nd, "private-listener-80");
    b["listenerIpAddress"] = json!("10.5.0.1");
    b["port"] = json!(80);
    emu.ok(&format!("{VIP}/createVirtualListener"), b).await;
    let mut b = listener(&nd, "p-uses");
    b["listenerIpAddress"] = json!("10.5.0.2");
    b["poolId"] = json!(pool_id);
    emu.ok(&format!("{VIP}/createVirtualListener"), b).await;

    // Dependencies: a node in a pool, a pool with members or listeners.
    emu.ok(
        &format!("{VIP}/addPoolMember"),
        json!({"poolId": pool_id, "nodeId": node_id, "port": 80, "status": "ENABLED"}),
    )
    .await;
    let before = emu.inventory().await;
    let dup = emu
        .post(
            &format!("{VIP}/addPoolMember"),
            json!({"poolId": pool_id, "nodeId": node_id, "port": 80, "status": "ENABLED"}),
        )
        .await;
    assert_error(&dup, 400, "INVALID_INPUT_DATA");
    for (op, id) in [("deleteNode", &node_id), ("deletePool", &pool_id)] {
        let r = emu.post(&format!("{VIP}/{op}"), json!({"id": id})).await;
        assert_error(&r, 400, "HAS_DEPENDENCY");
    }
    let r = emu
        .post("network/deleteNetworkDomain", json!({"id": other}))
        .await;
    assert_error(&r, 400, "HAS_DEPENDENCY");
    let r = emu
        .post(
            &format!("{VIP}/editVirtualListener"),
            json!({"id": vl, "optimizationProfile": {"nil": true}}),
        )
        .await;
    assert_error(&r, 400, "CONFIGURATION_NOT_SUPPORTED");
    let r = emu
        .post(
            &format!("{VIP}/editNode"),
            json!({"id": node_id, "name": "renamed"}),
        )
        .await;
    assert_error(&r, 400, "INVALID_INPUT_DATA");
    assert_eq!(emu.inventory().await, before);

    // Catalogs need a domain of the caller's.
    let r = emu.get(&format!("{VIP}/defaultHealthMonitor")).await;
    assert_error(&r, 400, "INVALID_INPUT_DATA");
    let r = emu
        .get(&format!(
            "{VIP}/defaultIrule?networkDomainId=1e1e1e1e-0000-4000-8000-000000000000"
        ))
        .await;
    assert_error(&r, 400, "RESOURCE_NOT_FOUND");
}

#[tokio::test]
async fn lists_page_and_filter_and_listeners_start_at_2_6() {
    let emu = emulator(&[]).await;
    let nd = advanced(&emu, "lb").await;
    let other = advanced(&emu, "other").await;
    for i in 0..5 {
        emu.ok(
            &format!("{VIP}/createNode"),
            node(&nd, &format!("n{i}"), &format!("10.0.0.{}", i + 1)),
        )
        .await;
    }
    emu.ok(&format!("{VIP}/createNode"), node(&other, "x", "10.0.0.1"))
        .await;
    let (_, page) = emu
        .get(&format!(
            "{VIP}/node?networkDomainId={nd}&pageSize=2&pageNumber=3"
        ))
        .await;
    assert_eq!(page["totalCount"], 5, "{page}");
    assert_eq!(page["pageCount"], 1);
    assert_eq!(page["pageNumber"], 3);
    assert_eq!(page["pageSize"], 2);
    assert_eq!(page["node"].as_array().unwrap().len(), 1);
    let (_, found) = emu
        .get(&format!(
            "{VIP}/node?ipv4Address=10.0.0.1&networkDomainId={other}"
        ))
        .await;
    assert_eq!(found["totalCount"], 1);
    assert_eq!(found["node"][0]["name"], "x");
    let r = emu.get(&format!("{VIP}/node?colour=blue")).await;
    assert_error(&r, 400, "INVALID_INPUT_DATA");

    // Version boundary: listeners are unknown below 2.6; nodes are there at 2.2.
    let (status, _) = emu.get_v(2, &format!("{VIP}/node")).await;
    assert_eq!(status, 200);
    let r = emu.get_v(5, &format!("{VIP}/virtualListener")).await;
    assert_error(&r, 404, "OPERATION_NOT_SUPPORTED");
    let r = emu
        .post_v(
            5,
            &format!("{VIP}/createVirtualListener"),
            listener(&nd, "l"),
        )
        .await;
    assert_error(&r, 404, "OPERATION_NOT_SUPPORTED");
    let (status, _) = emu.get_v(6, &format!("{VIP}/virtualListener")).await;
    assert_eq!(status, 200);
}

/// GETs a path as XML.
async fn xml(emu: &Emu, path: &str) -> String {
    let r = emu
        .client
        .get(emu.url(6, path))
        .basic_auth(&emu.user, Some(&emu.password))
        .header("Accept", "application/xml")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

#[tokio::test]
async fn every_vip_document_renders_as_xml() {
    let emu = emulator(&[]).await;
    let nd = advanced(&emu, "lb").await;
    let node_id = emu
        .ok(
            &format!("{VIP}/createNode"),
            node(&nd, "web01", "10.0.1.21"),
        )
        .await;
    let pool_id = emu.ok(&format!("{VIP}/createPool"), pool(&nd, "p")).await;
    let member = emu
        .ok(
            &format!("{VIP}/addPoolMember"),
            json!({"poolId": pool_id, "nodeId": node_id, "port": 80, "status": "ENABLED"}),
        )
        .await;
    let mut b = listener(&nd, "l");
    b["listenerIpAddress"] = json!("10.5.0.1");
    b["poolId"] = json!(pool_id);
    let vl = emu.ok(&format!("{VIP}/createVirtualListener"), b).await;

    let doc = xml(&emu, &format!("{VIP}/node/{node_id}")).await;
    assert!(
        doc.contains(&format!(
            "<node xmlns=\"urn:didata.com:api:cloud:types\" id=\"{node_id}\""
        )),
        "{doc}"
    );
    assert!(
        doc.contains("<ipv4Address>10.0.1.21</ipv4Address>"),
        "{doc}"
    );
    let doc = xml(&emu, &format!("{VIP}/pool?networkDomainId={nd}")).await;
    assert!(
        doc.contains("<pools xmlns=\"urn:didata.com:api:cloud:types\""),
        "{doc}"
    );
    assert!(
        doc.contains("<loadBalanceMethod>ROUND_ROBIN</loadBalanceMethod>"),
        "{doc}"
    );
    let doc = xml(&emu, &format!("{VIP}/poolMember/{member}")).await;
    assert!(
        doc.contains(&format!("<pool id=\"{pool_id}\" name=\"p\"/>")),
        "{doc}"
    );
    assert!(doc.contains("<port>80</port>"), "{doc}");
    let doc = xml(&emu, &format!("{VIP}/virtualListener?networkDomainId={nd}")).await;
    assert!(doc.contains("<virtualListeners "), "{doc}");
    assert!(
        doc.contains("<listenerIpAddress>10.5.0.1</listenerIpAddress>"),
        "{doc}"
    );
    let doc = xml(&emu, &format!("{VIP}/virtualListener/{vl}")).await;
    assert!(
        doc.contains(&format!(
            "<virtualListener xmlns=\"urn:didata.com:api:cloud:types\" id=\"{vl}\""
        )),
        "{doc}"
    );
    // The pool as libcloud's recorded listener shows it: identity attributes, settings inside.
    assert!(
        doc.contains(&format!(
            "<pool id=\"{pool_id}\" name=\"p\"><loadBalanceMethod>ROUND_ROBIN</loadBalanceMethod>"
        )),
        "{doc}"
    );
    let doc = xml(
        &emu,
        &format!("{VIP}/defaultHealthMonitor?networkDomainId={nd}"),
    )
    .await;
    assert!(doc.contains("<defaultHealthMonitors "), "{doc}");
    assert!(
        doc.contains("<nodeCompatible>true</nodeCompatible>"),
        "{doc}"
    );
    let doc = xml(
        &emu,
        &format!("{VIP}/defaultPersistenceProfile?networkDomainId={nd}"),
    )
    .await;
    assert!(
        doc.contains("<virtualListenerCompatibility protocol=\"TCP\" type=\"STANDARD\"/>"),
        "{doc}"
    );
    let doc = xml(&emu, &format!("{VIP}/defaultIrule?networkDomainId={nd}")).await;
    assert!(doc.contains("<irule id="), "{doc}");

    // An XML body creates a node as JSON does.
    let body = format!(
        "<createNode xmlns=\"urn:didata.com:api:cloud:types\"><networkDomainId>{nd}</networkDomainId><name>web02</name><ipv4Address>10.0.1.22</ipv4Address><status>ENABLED</status><connectionLimit>100</connectionLimit><connectionRateLimit>10</connectionRateLimit></createNode>"
    );
    let r = emu
        .client
        .post(emu.url(4, &format!("{VIP}/createNode")))
        .basic_auth(&emu.user, Some(&emu.password))
        .header("Content-Type", "application/xml")
        .body(body)
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    assert!(
        text.contains("<operation>CREATE_NODE</operation>"),
        "{text}"
    );
    assert!(text.contains("<responseCode>OK</responseCode>"), "{text}");
    assert!(text.contains("name=\"nodeId\""), "{text}");
}

#[tokio::test]
async fn vip_objects_survive_a_state_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let state_arg = state.to_str().unwrap();
    let (nd, node_id, vl) = {
        let emu = emulator(&["--state", state_arg]).await;
        let nd = advanced(&emu, "lb").await;
        let node_id = emu
            .ok(
                &format!("{VIP}/createNode"),
                node(&nd, "web01", "10.0.1.21"),
            )
            .await;
        let pool_id = emu.ok(&format!("{VIP}/createPool"), pool(&nd, "p")).await;
        emu.ok(
            &format!("{VIP}/addPoolMember"),
            json!({"poolId": pool_id, "nodeId": node_id, "status": "ENABLED"}),
        )
        .await;
        let mut b = listener(&nd, "l");
        b["listenerIpAddress"] = json!("10.5.0.1");
        b["poolId"] = json!(pool_id);
        let vl = emu.ok(&format!("{VIP}/createVirtualListener"), b).await;
        (nd, node_id, vl)
    };
    let emu = emulator(&["--state", state_arg]).await;
    let (status, n) = emu.get(&format!("{VIP}/node/{node_id}")).await;
    assert_eq!(status, 200, "{n}");
    assert_eq!(n["name"], "web01");
    let (_, l) = emu.get(&format!("{VIP}/virtualListener/{vl}")).await;
    assert_eq!(l["pool"]["name"], "p");
    let (_, members) = emu
        .get(&format!("{VIP}/poolMember?networkDomainId={nd}"))
        .await;
    assert_eq!(members["totalCount"], 1);
}
