//! IP address lists and port lists: create, read, nest, edit (replace, clear), use in firewall
//! rules, delete; and what the API refuses about them, with its codes, changing nothing.

mod common;

use common::{assert_error, emulator};
use serde_json::{json, Value};

fn rule(nd: &str, name: &str, source: Value, destination: Value) -> Value {
    json!({"networkDomainId": nd, "name": name, "action": "ACCEPT_DECISIVELY", "enabled": true,
           "placement": {"position": "LAST"}, "ipVersion": "IPV4", "protocol": "TCP",
           "source": source, "destination": destination})
}

#[tokio::test]
async fn lists_nest_edit_serve_firewall_rules_and_refuse_what_the_api_refuses() {
    let emu = emulator(&[]).await;
    let nd = emu.domain("lists", "NA9").await;
    let other = emu.domain("elsewhere", "NA9").await;

    let admins = emu
        .ok(
            "network/createIpAddressList",
            json!({"networkDomainId": nd, "name": "admins", "ipVersion": "IPV4",
                   "ipAddress": [{"begin": "198.51.100.7"}, {"begin": "203.0.113.0", "prefixSize": 24}]}),
        )
        .await;
    let sources = emu
        .ok(
            "network/createIpAddressList",
            json!({"networkDomainId": nd, "name": "sources", "description": "who may reach the masters", "ipVersion": "ipv4",
                   "ipAddress": [{"begin": "192.0.2.10", "end": "192.0.2.19"}],
                   "childIpAddressListId": [admins]}),
        )
        .await;
    let (status, doc) = emu.get(&format!("network/ipAddressList/{sources}")).await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["ipVersion"], "IPV4");
    assert_eq!(
        doc["ipAddress"],
        json!([{"begin": "192.0.2.10", "end": "192.0.2.19"}])
    );
    assert_eq!(
        doc["childIpAddressList"],
        json!([{"id": admins, "name": "admins"}])
    );
    assert_eq!(doc["state"], "NORMAL");
    // The keys libcloud's recorded list documents carry (no network domain among them).
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "childIpAddressList",
            "createTime",
            "description",
            "id",
            "ipAddress",
            "ipVersion",
            "name",
            "state"
        ]
    );
    let (_, page) = emu
        .get(&format!(
            "network/ipAddressList?networkDomainId={nd}&name=admins"
        ))
        .await;
    assert_eq!(page["totalCount"], 1, "{page}");

    let web = emu
        .ok(
            "network/createPortList",
            json!({"networkDomainId": nd, "name": "ssh", "port": [{"begin": 22}]}),
        )
        .await;
    let masters = emu
        .ok(
            "network/createPortList",
            json!({"networkDomainId": nd, "name": "masters", "port": [{"begin": 5050}, {"begin": 8080, "end": 8081}],
                   "childPortListId": [web]}),
        )
        .await;
    let (_, doc) = emu.get(&format!("network/portList/{masters}")).await;
    assert_eq!(
        doc["port"],
        json!([{"begin": 5050}, {"begin": 8080, "end": 8081}])
    );
    assert_eq!(doc["childPortList"], json!([{"id": web, "name": "ssh"}]));
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "childPortList",
            "createTime",
            "description",
            "id",
            "name",
            "port",
            "state"
        ]
    );

    // A rule on both lists reports them by id and name.
    let rule_id = emu
        .ok(
            "network/createFirewallRule",
            rule(
                &nd,
                "masters.in",
                json!({"ipAddressListId": sources}),
                json!({"ip": {"address": "ANY"}, "portListId": masters}),
            ),
        )
        .await;
    let (_, doc) = emu.get(&format!("network/firewallRule/{rule_id}")).await;
    assert_eq!(
        doc["source"],
        json!({"ipAddressList": {"id": sources, "name": "sources"}})
    );
    assert_eq!(
        doc["destination"],
        json!({"ip": {"address": "ANY"}, "portList": {"id": masters, "name": "masters"}})
    );

    // Edit replaces the content; {"nil": true} clears a collection.
    emu.ok(
        "network/editIpAddressList",
        json!({"id": sources, "ipAddress": [{"begin": "192.0.2.50"}], "childIpAddressListId": [{"nil": true}]}),
    )
    .await;
    let (_, doc) = emu.get(&format!("network/ipAddressList/{sources}")).await;
    assert_eq!(doc["ipAddress"], json!([{"begin": "192.0.2.50"}]));
    assert_eq!(doc["childIpAddressList"], json!([]));
    assert_eq!(doc["description"], "who may reach the masters");

    let before = emu.inventory().await;
    let refusals = [
        // A port list that includes itself, directly or through another list.
        (
            "network/editPortList",
            json!({"id": web, "childPortListId": [web]}),
            "INVALID_INPUT_DATA",
            "childPortListId",
        ),
        (
            "network/editPortList",
            json!({"id": web, "childPortListId": [masters]}),
            "INVALID_INPUT_DATA",
            "childPortListId",
        ),
        // An IPv4 entry in an IPv6 list, and an IPv6 list as child of an IPv4 one.
        (
            "network/createIpAddressList",
            json!({"networkDomainId": nd, "name": "v6", "ipVersion": "IPV6", "ipAddress": [{"begin": "10.0.0.1"}]}),
            "INVALID_INPUT_DATA",
            "ipAddress[0].begin",
        ),
        (
            "network/createIpAddressList",
            json!({"networkDomainId": nd, "name": "x", "ipVersion": "IPV4", "ipAddress": [{"begin": "10.0.0.1", "end": "10.0.0.9", "prefixSize": 24}]}),
            "INVALID_INPUT_DATA",
            "ipAddress[0]",
        ),
        (
            "network/createIpAddressList",
            json!({"networkDomainId": nd, "name": "x", "ipVersion": "IPV4", "ipAddress": [{"begin": "10.0.0.9", "end": "10.0.0.1"}]}),
            "INVALID_INPUT_DATA",
            "ipAddress[0].end",
        ),
        (
            "network/createIpAddressList",
            json!({"networkDomainId": nd, "name": "x", "ipVersion": "IPV4"}),
            "INVALID_INPUT_DATA",
            "ipAddress",
        ),
        (
            "network/createIpAddressList",
            json!({"networkDomainId": nd, "name": "admins", "ipVersion": "IPV4", "ipAddress": [{"begin": "10.0.0.1"}]}),
            "NAME_NOT_UNIQUE",
            "name",
        ),
        (
            "network/createIpAddressList",
            json!({"networkDomainId": other, "name": "x", "ipVersion": "IPV4", "childIpAddressListId": [admins]}),
            "INVALID_INPUT_DATA",
            "childIpAddressListId[0]",
        ),
        (
            "network/createPortList",
            json!({"networkDomainId": nd, "name": "p", "port": [{"begin": 0}]}),
            "INVALID_INPUT_DATA",
            "port[0].begin",
        ),
        (
            "network/createPortList",
            json!({"networkDomainId": nd, "name": "p", "port": [{"begin": 80, "end": 80}]}),
            "INVALID_INPUT_DATA",
            "port[0].end",
        ),
        (
            "network/createPortList",
            json!({"networkDomainId": nd, "name": "p", "port": [{"begin": 70000}]}),
            "INVALID_INPUT_DATA",
            "port[0].begin",
        ),
        // Lists in use, or of another domain or version, for rules.
        (
            "network/deleteIpAddressList",
            json!({"id": sources}),
            "HAS_DEPENDENCY",
            "id",
        ),
        (
            "network/deletePortList",
            json!({"id": web}),
            "HAS_DEPENDENCY",
            "id",
        ),
        (
            "network/deletePortList",
            json!({"id": masters}),
            "HAS_DEPENDENCY",
            "id",
        ),
        (
            "network/createFirewallRule",
            rule(
                &other,
                "r",
                json!({"ipAddressListId": admins}),
                json!({"ip": {"address": "ANY"}}),
            ),
            "INVALID_INPUT_DATA",
            "source.ipAddressListId",
        ),
        (
            "network/createFirewallRule",
            rule(
                &nd,
                "r",
                json!({"ip": {"address": "ANY"}, "ipAddressListId": admins}),
                json!({"ip": {"address": "ANY"}}),
            ),
            "INVALID_INPUT_DATA",
            "source",
        ),
        (
            "network/createFirewallRule",
            rule(
                &nd,
                "r",
                json!({"ip": {"address": "ANY"}}),
                json!({"ip": {"address": "ANY"}, "port": {"begin": 1}, "portListId": web}),
            ),
            "INVALID_INPUT_DATA",
            "destination",
        ),
        (
            "network/deleteNetworkDomain",
            json!({"id": nd}),
            "HAS_DEPENDENCY",
            "id",
        ),
    ];
    for (path, body, code, field) in refusals {
        let resp = emu.post(path, body.clone()).await;
        let message = assert_error(&resp, 400, code);
        assert!(message.starts_with(field), "{path} {body}: {message}");
    }
    assert_eq!(
        emu.inventory().await,
        before,
        "a refused request changed something"
    );

    // Taken down in dependency order, the domain is left with nothing.
    emu.ok("network/deleteFirewallRule", json!({"id": rule_id}))
        .await;
    emu.ok("network/deleteIpAddressList", json!({"id": sources}))
        .await;
    emu.ok("network/deleteIpAddressList", json!({"id": admins}))
        .await;
    emu.ok("network/deletePortList", json!({"id": masters}))
        .await;
    emu.ok("network/deletePortList", json!({"id": web})).await;
    let after = emu.inventory().await;
    assert_eq!(after["ipAddressList"], json!([]));
    assert_eq!(after["portList"], json!([]));
    emu.ok("network/deleteNetworkDomain", json!({"id": nd}))
        .await;
}
