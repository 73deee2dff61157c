//! Every JSON response recorded from the real API in go-dd-cloud-compute and jclouds-labs
//! (`tests/recorded/{go,jclouds,jclouds-vip}/`, see `tests/recorded/README.md`) for an endpoint the emulator
//! serves, compared with the emulator's answer to the same request at the recording's API version:
//! every key, at every depth, must be present with the same JSON type, except the few documented
//! in `EXCEPTIONS` (and two documented tolerances for jclouds quirks, `QUOTED_SCALAR_FILES` and
//! `OBJECT_AS_ITEM`). The raw share of recorded keys present (exceptions counted as misses) is
//! printed (`MEASURED …`) and held to `RAW_FLOOR`.

mod common;

use common::{emulator, Emu};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every key path of a document with its JSON type; array items are `[]` in the path.
fn keys(v: &Value) -> BTreeSet<(String, &'static str)> {
    fn walk(v: &Value, path: &str, out: &mut BTreeSet<(String, &'static str)>) {
        match v {
            Value::Object(map) => {
                for (k, x) in map {
                    let p = format!("{path}.{k}");
                    out.insert((p.clone(), type_name(x)));
                    walk(x, &p, out);
                }
            }
            Value::Array(items) => {
                for x in items {
                    let p = format!("{path}[]");
                    out.insert((p.clone(), type_name(x)));
                    walk(x, &p, out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(v, "", &mut out);
    out
}

/// Recorded keys the emulator does not produce: `(recording prefix, key path, reason)`. They
/// count as misses in the raw coverage.
const EXCEPTIONS: &[(&str, &str, &str)] = &[
    ("go/getServerTestResponse", ".operatingSystem", "hand-assembled recording: 2.3 keys next to 2.5 scsiController (go's Server struct still declares them); the emulator serves 2.5 with guest.operatingSystem"),
    ("go/getServerTestResponse", ".vmwareTools", "same hand-assembled recording (2.3 key at 2.5)"),
    ("jclouds/portLists", ".portList", "the one-item list is written as an object, not the array every other recorded list is (the keys inside are compared, see OBJECT_AS_ITEM)"),
];

/// jclouds' list recordings quote some numbers and booleans (`"sortOrder": "10"`,
/// `"osCustomization": "false"`, a NIC `"key": "4040"`) that its single-asset recordings, go's
/// recordings and libcloud's XML schema give as numbers and booleans; jclouds' Gson reads both. In
/// these files a recorded string whose text is a JSON number or boolean matches the emulator's
/// number or boolean at the same path (the emulator follows the typed recordings). The matches
/// are counted and printed (`QUOTED …`).
const QUOTED_SCALAR_FILES: &[&str] = &[
    "jclouds/osImages",
    "jclouds/osImages_page1",
    "jclouds/osImages_page2",
    "jclouds/servers",
];

/// jclouds' `portLists.json` writes its one-item list as an object (`"portList": {…}`) where
/// every other recorded list, one-item lists included (`customerImages.json`), is an array. The
/// keys inside that object are compared with the emulator's list item (`.portList[].id` for
/// `.portList.id`) and counted (`AS ITEM …`); the object itself stays a miss (an exception).
const OBJECT_AS_ITEM: &[(&str, &str)] = &[("jclouds/portLists", ".portList")];

/// The emulator's path for a recorded key inside a list written as an object, if `path` is one.
fn as_item_path(recording: &str, path: &str) -> Option<String> {
    OBJECT_AS_ITEM.iter().find_map(|(r, list)| {
        let rest = path.strip_prefix(list)?;
        (*r == recording && rest.starts_with('.')).then(|| format!("{list}[]{rest}"))
    })
}

/// Whether the recorded value at `path` is a quoted scalar the emulator gives typed (see
/// [`QUOTED_SCALAR_FILES`]).
fn quoted_scalar(
    recording: &str,
    recorded: &Value,
    path: &str,
    have: &BTreeSet<(String, &'static str)>,
) -> bool {
    if !QUOTED_SCALAR_FILES.contains(&recording) {
        return false;
    }
    let texts = strings_at(recorded, path);
    let typed: Vec<&str> = texts
        .iter()
        .filter_map(|t| serde_json::from_str::<Value>(t).ok())
        .map(|v| type_name(&v))
        .filter(|t| *t == "number" || *t == "boolean")
        .collect();
    !texts.is_empty()
        && typed.len() == texts.len()
        && typed.iter().all(|t| have.contains(&(path.to_string(), *t)))
}

/// Every string value at a key path (`.a[].b`) of a document.
fn strings_at<'a>(v: &'a Value, path: &str) -> Vec<&'a str> {
    fn walk<'a>(v: &'a Value, rest: &str, out: &mut Vec<&'a str>) {
        if rest.is_empty() {
            if let Some(s) = v.as_str() {
                out.push(s);
            }
            return;
        }
        if let Some(after) = rest.strip_prefix("[]") {
            for x in v.as_array().into_iter().flatten() {
                walk(x, after, out);
            }
            return;
        }
        let rest = rest.strip_prefix('.').unwrap_or(rest);
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        if let Some(x) = v.get(&rest[..end]) {
            walk(x, &rest[end..], out);
        }
    }
    let mut out = Vec::new();
    walk(v, path, &mut out);
    out
}

fn excepted(recording: &str, path: &str) -> bool {
    EXCEPTIONS.iter().any(|(r, p, _)| {
        recording.starts_with(r)
            && (path == *p
                || path.starts_with(&format!("{p}."))
                || path.starts_with(&format!("{p}[")))
    })
}

async fn wait(emu: &Emu, path: &str, state: Option<&str>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, v) = emu.get(path).await;
        match state {
            Some(s) if v["state"] == s => return,
            None if status == 400 && v["responseCode"] == "RESOURCE_NOT_FOUND" => return,
            _ => {}
        }
        assert!(
            Instant::now() < deadline,
            "{path} never reached {state:?}: {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// POST at a version that must be accepted; returns the envelope.
async fn ok(emu: &Emu, minor: u32, path: &str, body: Value) -> Value {
    let (status, v) = emu.post_v(minor, path, body).await;
    assert_eq!(status, 200, "POST {path}: {v}");
    v
}

/// Creates an MCP 1.0 network through the v1 XML API and returns its id.
async fn mcp1_network(emu: &Emu, name: &str, location: &str) -> String {
    let r = emu
        .client
        .post(format!(
            "{}/oec/0.9/{}/networkWithLocation",
            emu.running.base_url, emu.org
        ))
        .basic_auth(&emu.user, Some(&emu.password))
        .header("Content-Type", "application/xml")
        .body(format!(
            r#"<NewNetworkWithLocation xmlns="http://oec.api.opsource.net/schemas/network"><name>{name}</name><location>{location}</location></NewNetworkWithLocation>"#
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    text.split("Network ID: ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .unwrap_or_else(|| panic!("no network id in {text}"))
        .to_string()
}

fn info(envelope: &Value, name: &str) -> String {
    envelope["info"]
        .as_array()
        .and_then(|i| i.iter().find(|x| x["name"] == name))
        .and_then(|x| x["value"].as_str())
        .unwrap_or_else(|| panic!("no info {name}: {envelope}"))
        .to_string()
}

#[tokio::test]
async fn json_matches_the_go_and_jclouds_recordings() {
    let emu = emulator(&[
        // Pending states last long enough (a reboot 0.6 s, a reconfigure 1.2 s) for the
        // requests that must meet them even on a loaded machine.
        "--time-scale",
        "0.02",
        "--public-ip-ratio",
        "off",
        "--faults",
        // The failed deployment and the failed clone the recordings show.
        "failed_add=1,ops=deployUncustomizedServer+cloneServer,seed=1",
    ])
    .await;
    // recording (folder/name without .json) → the emulator's answer.
    let mut answers: BTreeMap<String, Value> = BTreeMap::new();
    let mut put = |names: &[&str], v: &Value| {
        for n in names {
            answers.insert(n.to_string(), v.clone());
        }
    };
    let get = |minor: u32, path: String| {
        let emu = &emu;
        async move {
            let (status, v) = emu.get_v(minor, &path).await;
            assert_eq!(status, 200, "GET 2.{minor} {path}: {v}");
            v
        }
    };

    put(&["jclouds/account"], &my_user(&emu).await);
    vip_recordings(&emu, &mut put).await;
    let dcs = get(4, "infrastructure/datacenter".into()).await;
    put(
        &[
            "jclouds/datacenters",
            "jclouds/datacenters-page1",
            "jclouds/datacenters-page2",
        ],
        &dcs,
    );
    let images = get(4, "image/osImage?datacenterId=NA9".into()).await;
    put(
        &[
            "jclouds/osImages",
            "jclouds/osImages_page1",
            "jclouds/osImages_page2",
        ],
        &images,
    );
    let image = images["osImage"][0]["id"].as_str().unwrap().to_string();
    // The recorded single image and the recorded 2.5 server carry software labels: compare them
    // with the catalogue's licensed (SQL Server) image and a server deployed from it.
    let licensed = images["osImage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["softwareLabel"].as_array().is_some_and(|l| !l.is_empty()))
        .and_then(|i| i["id"].as_str())
        .expect("a licensed image in NA9")
        .to_string();
    put(
        &["jclouds/osImage"],
        &get(4, format!("image/osImage/{licensed}")).await,
    );
    put(
        &["go/findOSImageTestResponse"],
        &get(
            9,
            "image/osImage?name=CentOS%207%2064-bit%202%20CPU&datacenterId=NA9".into(),
        )
        .await,
    );

    let e = ok(&emu, 4, "network/deployNetworkDomain", json!({"name": "rec", "description": "recorded", "type": "ESSENTIALS", "datacenterId": "NA9"})).await;
    let nd = info(&e, "networkDomainId");
    put(&["go/deployNetworkDomainTestResponse"], &e);
    wait(&emu, &format!("network/networkDomain/{nd}"), Some("NORMAL")).await;
    let e = ok(
        &emu,
        4,
        "network/editNetworkDomain",
        json!({"id": nd, "description": "edited"}),
    )
    .await;
    put(&["go/editNetworkDomainTestResponse"], &e);
    let one = get(4, format!("network/networkDomain/{nd}")).await;
    put(
        &["jclouds/networkDomain", "go/networkDomainTestResponse"],
        &one,
    );
    let list = get(4, "network/networkDomain".into()).await;
    put(
        &[
            "jclouds/networkDomains",
            "jclouds/networkDomains-page1",
            "jclouds/networkDomains-page2",
            "go/listNetworkDomainsTestResponse",
        ],
        &list,
    );

    let e = ok(&emu, 4, "network/deployVlan", json!({"networkDomainId": nd, "name": "v", "description": "d", "privateIpv4BaseAddress": "10.0.4.0", "privateIpv4PrefixSize": 24})).await;
    let vlan = info(&e, "vlanId");
    put(&["go/deployVLANTestResponse"], &e);
    wait(&emu, &format!("network/vlan/{vlan}"), Some("NORMAL")).await;
    let e = ok(
        &emu,
        9,
        "network/editVlan",
        json!({"id": vlan, "description": "edited"}),
    )
    .await;
    put(&["go/editVLANTestResponse"], &e);
    put(
        &["jclouds/vlan"],
        &get(4, format!("network/vlan/{vlan}")).await,
    );
    put(
        &["go/getVLANTestResponse"],
        &get(9, format!("network/vlan/{vlan}")).await,
    );
    let vlans4 = get(4, format!("network/vlan?networkDomainId={nd}")).await;
    put(
        &[
            "jclouds/vlans",
            "jclouds/vlans-page1",
            "jclouds/vlans-page2",
        ],
        &vlans4,
    );
    put(
        &["go/listVLANsTestResponse"],
        &get(9, format!("network/vlan?networkDomainId={nd}")).await,
    );
    let e = ok(&emu, 4, "network/deployVlan", json!({"networkDomainId": nd, "name": "v2", "privateIpv4BaseAddress": "10.0.5.0", "privateIpv4PrefixSize": 24})).await;
    let vlan2 = info(&e, "vlanId");
    wait(&emu, &format!("network/vlan/{vlan2}"), Some("NORMAL")).await;

    let e = ok(&emu, 10, "server/deployServer", json!({"name": "web", "description": "w", "imageId": licensed, "start": false,
        "administratorPassword": "Passw0rd!", "networkInfo": {"networkDomainId": nd, "primaryNic": {"vlanId": vlan}}})).await;
    let server = info(&e, "serverId");
    put(
        &[
            "go/deployServerTestResponse",
            "jclouds/deployServerResponse",
        ],
        &e,
    );
    let e = ok(
        &emu,
        5,
        "server/deployUncustomizedServer",
        json!({"name": "raw", "imageId": image, "start": false,
        "networkInfo": {"networkDomainId": nd, "primaryNic": {"vlanId": vlan}}}),
    )
    .await;
    let failed = info(&e, "serverId");
    put(&["go/deployUncustomizedServerTestResponse"], &e);
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;
    wait(&emu, &format!("server/server/{failed}"), Some("FAILED_ADD")).await;
    let e = ok(&emu, 4, "server/cleanServer", json!({"id": failed})).await;
    put(&["jclouds/cleanServer"], &e);

    let e = ok(
        &emu,
        9,
        "server/addNic",
        json!({"serverId": server, "nic": {"vlanId": vlan2}}),
    )
    .await;
    put(&["go/addNicToServerTestResponse"], &e);
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;
    let e = ok(
        &emu,
        10,
        "server/addDisk",
        json!({"serverId": server, "sizeGb": 20, "speed": "STANDARD"}),
    )
    .await;
    let disk = info(&e, "diskId");
    put(
        &[
            "go/addDiskToServerTestResponse",
            "go/addDiskToServerTestResponseV2",
            "jclouds/response",
        ],
        &e,
    );
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;
    let e = ok(
        &emu,
        10,
        "server/changeDiskSpeed",
        json!({"id": disk, "speed": "HIGHPERFORMANCE"}),
    )
    .await;
    put(&["go/changeServerDiskSpeedTestResponse"], &e);
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;
    ok(
        &emu,
        4,
        "server/enableServerMonitoring",
        json!({"id": server, "servicePlan": "ESSENTIALS"}),
    )
    .await;
    // The 2.5 recording is of a server with Cloud Backup (enabled through the v1 API).
    let (status, text) = emu
        .backup_v1(
            &server,
            "",
            Some(r#"<NewBackup xmlns="http://oec.api.opsource.net/schemas/backup" servicePlan="Advanced"/>"#),
        )
        .await;
    assert_eq!(status, 200, "enable backup: {text}");

    // The 2.5 recording is of a server in PENDING_CHANGE with `progress`.
    let e = ok(
        &emu,
        4,
        "server/reconfigureServer",
        json!({"id": server, "memoryGb": 8}),
    )
    .await;
    put(&["jclouds/reconfigureServer"], &e);
    put(
        &["go/getServerTestResponse"],
        &get(5, format!("server/server/{server}")).await,
    );
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;
    ok(&emu, 4, "server/startServer", json!({"id": server})).await;
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;

    let e = ok(&emu, 4, "tag/createTagKey", json!({"name": "env", "description": "environment", "valueRequired": true, "displayOnReport": true})).await;
    let key = info(&e, "tagKeyId");
    put(&["jclouds/createTagKeyResponse"], &e);
    ok(&emu, 4, "tag/applyTags", json!({"assetType": "SERVER", "assetId": server, "tag": [{"tagKeyName": "env", "value": "prod"}]})).await;
    put(
        &["jclouds/tagkey"],
        &get(4, format!("tag/tagKey/{key}")).await,
    );
    let keys_doc = get(4, "tag/tagKey".into()).await;
    put(
        &[
            "jclouds/tagkeys",
            "jclouds/tagkeys-page1",
            "jclouds/tagkeys-page2",
        ],
        &keys_doc,
    );
    let tags = get(4, "tag/tag".into()).await;
    put(
        &["jclouds/tags", "jclouds/tags-page1", "jclouds/tags-page2"],
        &tags,
    );
    // Servers list the tags applied to them.
    put(
        &["jclouds/server"],
        &get(4, format!("server/server/{server}")).await,
    );
    // jclouds' server list has a member of a DRS consistency group: a source in AU9 and a target
    // in AU10 (a DRS pair) join one, and the list holds every server of the organisation.
    let mut drs = Vec::new();
    for (dc, role) in [("AU9", "source"), ("AU10", "target")] {
        let e = ok(
            &emu,
            4,
            "network/deployNetworkDomain",
            json!({"name": format!("drs-{role}"), "type": "ESSENTIALS", "datacenterId": dc}),
        )
        .await;
        let dnd = info(&e, "networkDomainId");
        wait(
            &emu,
            &format!("network/networkDomain/{dnd}"),
            Some("NORMAL"),
        )
        .await;
        let e = ok(&emu, 4, "network/deployVlan", json!({"networkDomainId": dnd, "name": "drs", "privateIpv4BaseAddress": "10.0.6.0", "privateIpv4PrefixSize": 24})).await;
        let dvlan = info(&e, "vlanId");
        wait(&emu, &format!("network/vlan/{dvlan}"), Some("NORMAL")).await;
        let (_, imgs) = emu
            .get_v(4, &format!("image/osImage?datacenterId={dc}&pageSize=1"))
            .await;
        let img = imgs["osImage"][0]["id"].as_str().unwrap().to_string();
        let e = ok(&emu, 4, "server/deployServer", json!({"name": format!("drs-{role}"), "imageId": img, "start": false,
            "administratorPassword": "Passw0rd!", "networkInfo": {"networkDomainId": dnd, "primaryNic": {"vlanId": dvlan}}})).await;
        drs.push(info(&e, "serverId"));
    }
    for s in &drs {
        wait(&emu, &format!("server/server/{s}"), Some("NORMAL")).await;
        ok(
            &emu,
            4,
            "server/editServerMetadata",
            json!({"id": s, "drsEligible": true}),
        )
        .await;
    }
    // Members show their group from the moment it is accepted.
    ok(
        &emu,
        7,
        "consistencyGroup/createConsistencyGroup",
        json!({"name": "drs", "journalSizeGb": 100,
        "serverPair": [{"sourceServerId": drs[0], "targetServerId": drs[1]}]}),
    )
    .await;
    put(&["jclouds/servers"], &get(4, "server/server".into()).await);
    put(
        &["go/getServerTestResponseV2"],
        &get(10, format!("server/server/{server}")).await,
    );

    let e = ok(
        &emu,
        13,
        "network/addPublicIpBlock",
        json!({"networkDomainId": nd}),
    )
    .await;
    let block = info(&e, "ipBlockId");
    put(&["go/addPublicIPBlockResponse"], &e);
    wait(
        &emu,
        &format!("network/publicIpBlock/{block}"),
        Some("NORMAL"),
    )
    .await;
    put(
        &["go/getPublicIPBlockResponse"],
        &get(13, format!("network/publicIpBlock/{block}")).await,
    );
    put(
        &["jclouds/publicIpBlock"],
        &get(4, format!("network/publicIpBlock/{block}")).await,
    );
    let blocks = get(4, format!("network/publicIpBlock?networkDomainId={nd}")).await;
    put(
        &[
            "jclouds/publicIpBlocks",
            "jclouds/publicIpBlocks-page1",
            "jclouds/publicIpBlocks-page2",
        ],
        &blocks,
    );
    let base_ip = blocks["publicIpBlock"][0]["baseIp"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, s) = emu.get_v(10, &format!("server/server/{server}")).await;
    let private_ip = s["networkInfo"]["primaryNic"]["privateIpv4"]
        .as_str()
        .unwrap()
        .to_string();
    let e = ok(
        &emu,
        4,
        "network/createNatRule",
        json!({"networkDomainId": nd, "internalIp": private_ip, "externalIp": base_ip}),
    )
    .await;
    let nat = info(&e, "natRuleId");
    put(
        &["jclouds/natRule"],
        &get(4, format!("network/natRule/{nat}")).await,
    );
    let nats = get(4, format!("network/natRule?networkDomainId={nd}")).await;
    put(
        &[
            "jclouds/natRules",
            "jclouds/natRules-page1",
            "jclouds/natRules-page2",
        ],
        &nats,
    );
    put(
        &["go/listReservedPublicIPAddressesResponse"],
        &get(
            13,
            format!("network/reservedPublicIpv4Address?networkDomainId={nd}"),
        )
        .await,
    );
    let e = ok(&emu, 4, "network/createFirewallRule", json!({"networkDomainId": nd, "name": "ssh", "action": "ACCEPT_DECISIVELY",
        "ipVersion": "IPV4", "protocol": "TCP", "source": {"ip": {"address": "ANY"}},
        "destination": {"ip": {"address": base_ip}, "port": {"begin": 22}}, "enabled": true, "placement": {"position": "LAST"}})).await;
    let rule = info(&e, "firewallRuleId");
    put(
        &["jclouds/firewallRule"],
        &get(4, format!("network/firewallRule/{rule}")).await,
    );
    let rules = get(4, format!("network/firewallRule?networkDomainId={nd}")).await;
    put(
        &[
            "jclouds/firewallRules",
            "jclouds/firewallRules-page1",
            "jclouds/firewallRules-page2",
        ],
        &rules,
    );
    ok(
        &emu,
        9,
        "network/reservePrivateIpv4Address",
        json!({"vlanId": vlan, "ipAddress": "10.0.4.200", "description": "kept free"}),
    )
    .await;
    // go's recording mixes VLAN reservations with MCP 1.0 ones (`networkId`): the
    // organisation's whole list holds one of each, the second on an MCP 1.0 network.
    let network = mcp1_network(&emu, "reserved", "NA1").await;
    ok(
        &emu,
        9,
        "network/reservePrivateIpv4Address",
        json!({"networkId": network, "ipAddress": "10.160.0.20", "description": "kept free"}),
    )
    .await;
    put(
        &["go/listReservedPrivateIPv4AddressesInVLANTestResponse"],
        &get(9, "network/reservedPrivateIpv4Address".into()).await,
    );

    let e = ok(&emu, 4, "server/rebootServer", json!({"id": server})).await;
    put(&["jclouds/rebootServer"], &e);
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;
    let e = ok(&emu, 4, "server/powerOffServer", json!({"id": server})).await;
    put(&["jclouds/powerOffServer"], &e);
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;
    // An image imported from an OVF package (the recorded list holds one, with dated artifacts).
    emu.upload_package("NA9", &common::ovf_package("imported", &[10, 20]))
        .await;
    let imported = info(
        &ok(
            &emu,
            4,
            "image/importImage",
            json!({"ovfPackage": "imported.mf", "name": "imported", "description": "test",
                   "clusterId": "NA9-01", "guestOsCustomization": false}),
        )
        .await,
        "imageId",
    );
    // A customer image cloned from the stopped server. The recorded single image (and one of the
    // listed ones) is a failed clone, FAILED_ADD with its failure reason: the injected failure.
    let e = ok(
        &emu,
        4,
        "server/cloneServer",
        json!({"id": server, "imageName": "web-image", "description": "cloned",
        "clusterId": "NA9-01", "guestOsCustomization": true}),
    )
    .await;
    let customer_image = info(&e, "imageId");
    put(&["jclouds/cloneServerResponse"], &e);
    ok(
        &emu,
        4,
        "tag/applyTags",
        json!({"assetType": "CUSTOMER_IMAGE", "assetId": customer_image,
        "tag": [{"tagKeyName": "env", "value": "prod"}]}),
    )
    .await;
    wait(
        &emu,
        &format!("image/customerImage/{customer_image}"),
        Some("FAILED_ADD"),
    )
    .await;
    put(
        &["jclouds/customerImage"],
        &get(4, format!("image/customerImage/{customer_image}")).await,
    );
    // The imported image moving to the datacenter's second cluster: the recorded list shows a
    // MOVE_CUSTOMER_IMAGE progress with its steps (2.4 s at this time scale).
    wait(
        &emu,
        &format!("image/customerImage/{imported}"),
        Some("NORMAL"),
    )
    .await;
    ok(
        &emu,
        4,
        "image/moveCustomerImage",
        json!({"id": imported, "targetClusterId": "NA9-02"}),
    )
    .await;
    let images = get(4, "image/customerImage?datacenterId=NA9".into()).await;
    assert!(
        images["customerImage"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["state"] == "PENDING_CHANGE"),
        "the move ended before the list was read: {images}"
    );
    put(
        &[
            "jclouds/customerImages",
            "jclouds/customerImages_page1",
            "jclouds/customerImages_page2",
        ],
        &images,
    );
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;
    ok(
        &emu,
        4,
        "image/deleteCustomerImage",
        json!({"id": customer_image}),
    )
    .await;
    let (_, s) = emu.get_v(10, &format!("server/server/{server}")).await;
    let nic = s["networkInfo"]["additionalNic"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let e = ok(&emu, 9, "server/removeNic", json!({"id": nic})).await;
    put(&["go/removeNicFromServerTestResponse"], &e);
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;
    // A port list with a child list, as recorded.
    let e = ok(
        &emu,
        4,
        "network/createPortList",
        json!({"networkDomainId": nd, "name": "tomcatPorts",
        "port": [{"begin": 8080}]}),
    )
    .await;
    let child_ports = info(&e, "portListId");
    let e = ok(
        &emu,
        4,
        "network/createPortList",
        json!({"networkDomainId": nd, "name": "name", "description": "description",
        "port": [{"begin": 100, "end": 2000}, {"begin": 443}], "childPortListId": [child_ports]}),
    )
    .await;
    let ports = info(&e, "portListId");
    put(
        &["jclouds/portList"],
        &get(4, format!("network/portList/{ports}")).await,
    );
    put(
        &["jclouds/portLists"],
        &get(4, format!("network/portList?networkDomainId={nd}")).await,
    );
    for id in [&ports, &child_ports] {
        ok(&emu, 4, "network/deletePortList", json!({"id": id})).await;
    }
    let (status, text) = emu.backup_v1(&server, "?disable", None).await;
    assert_eq!(status, 200, "disable backup: {text}");
    ok(&emu, 4, "network/deleteNatRule", json!({"id": nat})).await;
    ok(&emu, 4, "network/deleteFirewallRule", json!({"id": rule})).await;
    let e = ok(&emu, 4, "server/deleteServer", json!({"id": server})).await;
    put(&["go/deleteServerTestResponse", "jclouds/deleteServer"], &e);
    wait(&emu, &format!("server/server/{server}"), None).await;
    ok(&emu, 4, "network/removePublicIpBlock", json!({"id": block})).await;
    for v in [&vlan2, &vlan] {
        let e = ok(&emu, 9, "network/deleteVlan", json!({"id": v})).await;
        put(&["go/deleteVLANTestResponse"], &e);
        wait(&emu, &format!("network/vlan/{v}"), None).await;
    }
    let e = ok(&emu, 4, "network/deleteNetworkDomain", json!({"id": nd})).await;
    put(&["go/deleteNetworkDomainTestResponse"], &e);

    // Compare.
    let dir = format!("{}/tests/recorded", env!("CARGO_MANIFEST_DIR"));
    let mut kept = BTreeSet::new();
    for folder in ["go", "jclouds", "jclouds-vip"] {
        for entry in std::fs::read_dir(format!("{dir}/{folder}")).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if let Some(stem) = name.strip_suffix(".json") {
                kept.insert(format!("{folder}/{stem}"));
            }
        }
    }
    let compared: BTreeSet<String> = answers.keys().cloned().collect();
    assert_eq!(
        compared, kept,
        "every kept recording is compared, and only those"
    );
    let (mut total, mut present, mut quoted, mut as_item, mut excepted_count) =
        (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for (name, answer) in &answers {
        let text = std::fs::read_to_string(format!("{dir}/{name}.json")).unwrap();
        let recorded: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let have = keys(answer);
        let have_paths: BTreeSet<&str> = have.iter().map(|(p, _)| p.as_str()).collect();
        for (path, ty) in keys(&recorded) {
            total += 1;
            let found = if ty == "null" {
                have_paths.contains(path.as_str())
            } else {
                have.contains(&(path.clone(), ty))
            };
            if found {
                present += 1;
            } else if let Some(item) =
                as_item_path(name, &path).filter(|item| have.contains(&(item.clone(), ty)))
            {
                present += 1;
                as_item += 1;
                println!("AS ITEM {name}: {path} as {item}");
            } else if ty == "string" && quoted_scalar(name, &recorded, &path, &have) {
                present += 1;
                quoted += 1;
                println!("QUOTED {name}: {path}");
            } else if excepted(name, &path) {
                excepted_count += 1;
                println!("EXCEPTED {name}: {path}");
            } else {
                let actual: Vec<&str> = have
                    .iter()
                    .filter(|(p, _)| *p == path)
                    .map(|(_, t)| *t)
                    .collect();
                failures.push(format!("{name}: {path} ({ty}) — emulator: {actual:?}"));
            }
        }
    }
    // Raw coverage: every recorded key counts, the excepted ones as misses.
    let raw = 100.0 * present as f64 / total as f64;
    println!(
        "MEASURED recorded JSON (go-dd-cloud-compute + jclouds): {} responses, {present} of {total} recorded keys present with the right type at the recording's version (raw {raw:.1} %; {quoted} of them quoted scalars in jclouds list files, {as_item} inside a list jclouds wrote as an object); {excepted_count} documented exceptions (misses)",
        answers.len()
    );
    assert!(
        failures.is_empty(),
        "keys missing or of another type:\n{}",
        failures.join("\n")
    );
    // Raw share measured when this floor was set; fewer present means a regression or a new
    // exception, which must be argued for in EXCEPTIONS.
    assert!(
        raw >= RAW_FLOOR,
        "only {raw:.1} % of the recorded keys are present (floor {RAW_FLOOR} %)"
    );
}

/// The load balancer's JSON recordings (jclouds' `vip-api2` branch, kept in `jclouds-vip/`): a
/// node with its monitor, a member's add answer, and a STANDARD TCP listener with both pools,
/// two persistence profiles, an optimization profile and an iRule (at 2.6, its first version).
async fn vip_recordings(emu: &Emu, put: &mut impl FnMut(&[&str], &Value)) {
    let nd = ok(
        emu,
        4,
        "network/deployNetworkDomain",
        json!({"name": "lb", "type": "ADVANCED", "datacenterId": "NA9"}),
    )
    .await;
    let nd = info(&nd, "networkDomainId");
    wait(emu, &format!("network/networkDomain/{nd}"), Some("NORMAL")).await;
    let catalog = |doc: &Value, key: &str, name: &str| {
        doc[key]
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
    };
    let (_, monitors) = emu
        .get_v(
            4,
            &format!("networkDomainVip/defaultHealthMonitor?networkDomainId={nd}"),
        )
        .await;
    let (_, profiles) = emu
        .get_v(
            4,
            &format!("networkDomainVip/defaultPersistenceProfile?networkDomainId={nd}"),
        )
        .await;
    let (_, irules) = emu
        .get_v(
            4,
            &format!("networkDomainVip/defaultIrule?networkDomainId={nd}"),
        )
        .await;
    let created = ok(
        emu,
        4,
        "networkDomainVip/createNode",
        json!({"networkDomainId": nd, "name": "n", "description": "d", "ipv4Address": "10.10.10.101",
               "status": "ENABLED", "healthMonitorId": catalog(&monitors, "defaultHealthMonitor", "CCDEFAULT.Icmp"),
               "connectionLimit": 10000, "connectionRateLimit": 2000}),
    )
    .await;
    let node = info(&created, "nodeId");
    let (_, doc) = emu.get_v(4, &format!("networkDomainVip/node/{node}")).await;
    put(&["jclouds-vip/node"], &doc);
    let http = catalog(&monitors, "defaultHealthMonitor", "CCDEFAULT.Http");
    let mut pools = Vec::new();
    for name in ["a", "b"] {
        let e = ok(
            emu,
            4,
            "networkDomainVip/createPool",
            json!({"networkDomainId": nd, "name": name, "loadBalanceMethod": "ROUND_ROBIN",
                   "healthMonitorId": [http], "serviceDownAction": "RESELECT", "slowRampTime": 200}),
        )
        .await;
        pools.push(info(&e, "poolId"));
    }
    let added = ok(
        emu,
        4,
        "networkDomainVip/addPoolMember",
        json!({"poolId": pools[0], "nodeId": node, "port": 9888, "status": "ENABLED"}),
    )
    .await;
    put(&["jclouds-vip/addPoolMemberResponse"], &added);
    // The listener terminates SSL: a domain certificate and an offload profile on it.
    let pair = common::ssl::rsa_2048();
    let cert = ok(
        emu,
        6,
        "networkDomainVip/importSslDomainCertificate",
        json!({"networkDomainId": nd, "name": "c", "certificate": pair.certificate, "key": pair.key}),
    )
    .await;
    let profile = ok(
        emu,
        6,
        "networkDomainVip/createSslOffloadProfile",
        json!({"networkDomainId": nd, "name": "mySslProfile",
               "sslDomainCertificateId": info(&cert, "sslDomainCertificateId")}),
    )
    .await;
    let e = ok(
        emu,
        6,
        "networkDomainVip/createVirtualListener",
        json!({"networkDomainId": nd, "name": "l", "description": "d", "type": "STANDARD",
               "protocol": "TCP", "listenerIpAddress": "10.20.0.1", "port": 80, "enabled": true,
               "connectionLimit": 2000, "connectionRateLimit": 200, "sourcePortPreservation": "PRESERVE",
               "poolId": pools[0], "clientClonePoolId": pools[1],
               "persistenceProfileId": catalog(&profiles, "defaultPersistenceProfile", "CCDEFAULT.SourceAddress"),
               "fallbackPersistenceProfileId": catalog(&profiles, "defaultPersistenceProfile", "CCDEFAULT.DestinationAddress"),
               "optimizationProfile": "TCP",
               "sslOffloadProfileId": info(&profile, "sslOffloadProfileId"),
               "iruleId": [catalog(&irules, "defaultIrule", "CCDEFAULT.Ips")]}),
    )
    .await;
    let vl = info(&e, "virtualListenerId");
    let (_, doc) = emu
        .get_v(6, &format!("networkDomainVip/virtualListener/{vl}"))
        .await;
    put(&["jclouds-vip/virtualListener"], &doc);
}

/// The raw JSON coverage (all recorded keys, exceptions counted as misses) last measured.
const RAW_FLOOR: f64 = 99.4;

/// `GET /caas/2.4/user/myUser` (not under the organisation).
async fn my_user(emu: &Emu) -> Value {
    let r = emu
        .client
        .get(format!("{}/caas/2.4/user/myUser", emu.running.base_url))
        .basic_auth(&emu.user, Some(&emu.password))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}
