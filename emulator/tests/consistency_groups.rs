//! DRS consistency groups: the lifecycle in JSON and in XML (create, list with filters, get,
//! snapshots, expand journal, preview, failover, delete), the server document's `drsEligible` /
//! `consistencyGroup`, every refusal, and persistence across a restart.

mod common;

use common::{assert_error, emulator, Emu};
use serde_json::{json, Value};

const NS: &str = "urn:didata.com:api:cloud:types";

/// A CentOS server in `dc`, on a fresh domain and VLAN; returns (server, domain).
async fn server_in(emu: &Emu, dc: &str, name: &str, start: bool) -> (String, String) {
    let nd = emu.domain(&format!("{name}-nd"), dc).await;
    let vlan = emu.vlan(&nd, &format!("{name}-v"), "10.0.1.0", 24).await;
    let image = emu.image("CentOS 7 64-bit 2 CPU", dc).await;
    let s = emu
        .ok(
            "server/deployServer",
            json!({"name": name, "imageId": image, "start": start, "administratorPassword": "Passw0rd!",
                   "networkInfo": {"networkDomainId": nd, "primaryNic": {"vlanId": vlan}}}),
        )
        .await;
    (s, nd)
}

async fn eligible(emu: &Emu, server: &str) {
    emu.ok(
        "server/editServerMetadata",
        json!({"id": server, "drsEligible": true}),
    )
    .await;
}

async fn server_doc(emu: &Emu, minor: u32, id: &str) -> Value {
    let (s, v) = emu.get_v(minor, &format!("server/server/{id}")).await;
    assert_eq!(s, 200, "{v}");
    v
}

fn create_body(name: &str, source: &str, target: &str, journal: u32) -> Value {
    json!({"name": name, "description": "a test group", "journalSizeGb": journal,
           "serverPair": [{"sourceServerId": source, "targetServerId": target}]})
}

async fn group(emu: &Emu, id: &str) -> Value {
    let (s, v) = emu
        .get_v(7, &format!("consistencyGroup/consistencyGroup/{id}"))
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

#[tokio::test]
async fn json_lifecycle_create_list_expand_preview_failover() {
    let emu = emulator(&[]).await;
    let (source, snd) = server_in(&emu, "AU9", "src", true).await;
    let (target, tnd) = server_in(&emu, "AU10", "tgt", false).await;
    assert!(server_doc(&emu, 4, &source)
        .await
        .get("drsEligible")
        .is_none());
    eligible(&emu, &source).await;
    eligible(&emu, &target).await;
    assert_eq!(server_doc(&emu, 4, &source).await["drsEligible"], json!({}));

    let (s, v) = emu
        .post_v(
            7,
            "consistencyGroup/createConsistencyGroup",
            create_body("cg1", &source, &target, 100),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["operation"], "CREATE_CONSISTENCY_GROUP");
    assert_eq!(v["responseCode"], "IN_PROGRESS");
    assert_eq!(v["info"][0]["name"], "consistencyGroupId");
    let id = v["info"][0]["value"].as_str().unwrap().to_string();

    let g = group(&emu, &id).await;
    assert_eq!(g["state"], "NORMAL", "{g}");
    assert_eq!(g["operationStatus"], "DRS_MODE");
    assert_eq!(g["name"], "cg1");
    assert_eq!(g["description"], "a test group");
    assert_eq!(g["journal"], json!({"sizeGb": 100, "extentCount": 1}));
    assert_eq!(g["source"]["datacenterId"], "AU9");
    assert_eq!(g["source"]["networkDomainId"], snd.as_str());
    assert_eq!(g["source"]["networkDomainName"], "src-nd");
    assert_eq!(g["target"]["datacenterId"], "AU10");
    assert_eq!(g["target"]["networkDomainId"], tnd.as_str());
    assert_eq!(g["drsInfrastructure"]["status"], "ACTIVE");
    assert_eq!(g["drsStatusCheckFailureCount"], 0);
    let pair = &g["serverPair"][0];
    assert_eq!(pair["state"], "NORMAL");
    assert_eq!(pair["sourceServer"]["id"], source.as_str());
    assert_eq!(pair["sourceServer"]["name"], "src");
    assert_eq!(pair["targetServer"]["name"], "tgt");
    assert!(pair["targetServer"]["primaryNicIpv4"]
        .as_str()
        .unwrap()
        .starts_with("10.0.1."));

    // Member servers name their group and role (every version); the flag gives way to it.
    for (server, role) in [(&source, "SOURCE"), (&target, "TARGET")] {
        for minor in [3, 4, 10] {
            let doc = server_doc(&emu, minor, server).await;
            assert_eq!(
                doc["consistencyGroup"],
                json!({"id": id, "name": "cg1", "status": "DRS_MODE", "serverRole": role}),
                "{doc}"
            );
            assert!(doc.get("drsEligible").is_none());
        }
    }

    // The list and its filters.
    for (query, count) in [
        ("", 1),
        (&*format!("?sourceServerId={source}"), 1),
        (&*format!("?targetServerId={source}"), 0),
        ("?targetDatacenterId=AU10&sourceDatacenterId=AU9", 1),
        (
            &*format!("?sourceNetworkDomainId={snd}&targetNetworkDomainId={tnd}"),
            1,
        ),
        (
            "?name=cg1&state=NORMAL&operationStatus=DRS_MODE&drsInfrastructureStatus=ACTIVE",
            1,
        ),
        ("?name=other", 0),
        (&*format!("?id={id}"), 1),
    ] {
        let (s, v) = emu
            .get_v(7, &format!("consistencyGroup/consistencyGroup{query}"))
            .await;
        assert_eq!(s, 200, "{query}: {v}");
        assert_eq!(v["totalCount"], count, "{query}: {v}");
    }
    let r = emu
        .get_v(7, "consistencyGroup/consistencyGroup?colour=red")
        .await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("colour"));

    // Replication has started: one snapshot, with the journal's figures.
    let (s, snaps) = emu
        .get_v(
            7,
            &format!("consistencyGroup/snapshot?consistencyGroupId={id}"),
        )
        .await;
    assert_eq!(s, 200, "{snaps}");
    assert_eq!(snaps["totalCount"], 1, "{snaps}");
    assert!(snaps["journalUsageGb"].is_number());
    assert!(snaps["protectionWindow"]
        .as_str()
        .unwrap()
        .starts_with("P0Y0M0DT"));
    assert!(snaps["predictedProtectionWindow"]
        .as_str()
        .unwrap()
        .starts_with('P'));
    let snapshot = snaps["snapshot"][0]["id"].as_u64().unwrap();
    let (_, future) = emu
        .get_v(
            7,
            &format!("consistencyGroup/snapshot?consistencyGroupId={id}&createTime.MIN=2999-01-01T00:00:00.000Z"),
        )
        .await;
    assert_eq!(future["totalCount"], 0, "{future}");
    let (_, past) = emu
        .get_v(
            7,
            &format!("consistencyGroup/snapshot?consistencyGroupId={id}&createTime.MIN=2018-11-28T00:00:00.000-05:00&createTime.MAX=2999-01-01T00:00:00Z"),
        )
        .await;
    assert_eq!(past["totalCount"], 1, "{past}");

    // Expand the journal by two extents.
    let (s, v) = emu
        .post_v(
            7,
            "consistencyGroup/expandJournal",
            json!({"id": id, "sizeGb": 200}),
        )
        .await;
    assert_eq!((s, &v["operation"]), (200, &json!("EXPAND_JOURNAL")), "{v}");
    assert_eq!(
        group(&emu, &id).await["journal"],
        json!({"sizeGb": 300, "extentCount": 3})
    );

    // Preview: the target runs the snapshot; stop: back to DRS_MODE, the target stopped.
    let (s, v) = emu
        .post_v(
            7,
            "consistencyGroup/startPreviewSnapshot",
            json!({"consistencyGroupId": id, "snapshotId": snapshot}),
        )
        .await;
    assert_eq!(
        (s, &v["operation"]),
        (200, &json!("START_PREVIEW_SNAPSHOT")),
        "{v}"
    );
    assert_eq!(
        group(&emu, &id).await["operationStatus"],
        "PREVIEWING_SNAPSHOT"
    );
    let t = server_doc(&emu, 4, &target).await;
    assert_eq!(t["started"], true);
    assert_eq!(t["consistencyGroup"]["status"], "PREVIEWING_SNAPSHOT");
    let r = emu
        .post_v(
            7,
            "consistencyGroup/deleteConsistencyGroup",
            json!({"id": id}),
        )
        .await;
    assert_error(&r, 400, "INVALID_STATUS");
    let (s, v) = emu
        .post_v(
            7,
            "consistencyGroup/stopPreviewSnapshot",
            json!({"consistencyGroupId": id}),
        )
        .await;
    assert_eq!(
        (s, &v["operation"]),
        (200, &json!("STOP_PREVIEW_SNAPSHOT")),
        "{v}"
    );
    assert_eq!(group(&emu, &id).await["operationStatus"], "DRS_MODE");
    assert_eq!(server_doc(&emu, 4, &target).await["started"], false);

    // Failover: from a preview only; the group goes, the target keeps running.
    emu.ok(
        "consistencyGroup/startPreviewSnapshot",
        json!({"consistencyGroupId": id, "snapshotId": snapshot}),
    )
    .await;
    let (s, v) = emu
        .post_v(
            7,
            "consistencyGroup/initiateFailover",
            json!({"consistencyGroupId": id}),
        )
        .await;
    assert_eq!(
        (s, &v["operation"]),
        (200, &json!("INITIATE_FAILOVER")),
        "{v}"
    );
    let r = emu
        .get_v(7, &format!("consistencyGroup/consistencyGroup/{id}"))
        .await;
    assert_error(&r, 400, "RESOURCE_NOT_FOUND");
    let t = server_doc(&emu, 4, &target).await;
    assert_eq!(t["started"], true);
    assert!(t.get("consistencyGroup").is_none());
    assert_eq!(t["drsEligible"], json!({}));

    // A new group of the same servers (target stopped again), then deleted: the servers are
    // free and can be deleted.
    emu.ok("server/powerOffServer", json!({"id": target})).await;
    let id2 = emu
        .ok(
            "consistencyGroup/createConsistencyGroup",
            create_body("cg2", &source, &target, 100),
        )
        .await;
    let (s, v) = emu
        .post_v(
            7,
            "consistencyGroup/deleteConsistencyGroup",
            json!({"id": id2}),
        )
        .await;
    assert_eq!(
        (s, &v["operation"]),
        (200, &json!("DELETE_CONSISTENCY_GROUP")),
        "{v}"
    );
    let (_, list) = emu.get_v(7, "consistencyGroup/consistencyGroup").await;
    assert_eq!(list["totalCount"], 0, "{list}");
    assert!(server_doc(&emu, 4, &source)
        .await
        .get("consistencyGroup")
        .is_none());
    emu.ok("server/powerOffServer", json!({"id": source})).await;
    emu.ok("server/deleteServer", json!({"id": source})).await;
    emu.ok("server/deleteServer", json!({"id": target})).await;
}

/// An XML request as libcloud sends it.
async fn xml(emu: &Emu, path: &str, body: Option<String>) -> (u16, String) {
    let url = emu.url(7, path);
    let req = match body {
        Some(b) => emu.client.post(url).body(b),
        None => emu.client.get(url),
    };
    let r = req
        .basic_auth(&emu.user, Some(&emu.password))
        .header("Content-Type", "application/xml")
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

async fn xml_post(emu: &Emu, op: &str, inner: &str) -> String {
    let (s, t) = xml(
        emu,
        &format!("consistencyGroup/{op}"),
        Some(format!("<{op} xmlns=\"{NS}\"{inner}</{op}>")),
    )
    .await;
    assert_eq!(s, 200, "{op}: {t}");
    t
}

/// The child element `name` of `n`.
fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> roxmltree::Node<'a, 'i> {
    n.children()
        .find(|c| c.has_tag_name((NS, name)))
        .unwrap_or_else(|| panic!("no <{name}> in <{}>", n.tag_name().name()))
}

#[tokio::test]
async fn xml_lifecycle_in_libcloud_shapes() {
    let emu = emulator(&[]).await;
    let (source, _) = server_in(&emu, "EU6", "src", true).await;
    let (target, _) = server_in(&emu, "EU8", "tgt", false).await;
    for s in [&source, &target] {
        let (st, t) = xml(
            &emu,
            "server/editServerMetadata",
            Some(format!(
                "<editServerMetadata xmlns=\"{NS}\" id=\"{s}\"><drsEligible>true</drsEligible></editServerMetadata>"
            )),
        )
        .await;
        assert_eq!(st, 200, "{t}");
    }
    let (_, doc) = xml(&emu, &format!("server/server/{target}"), None).await;
    assert!(doc.contains("<drsEligible/>"), "{doc}");

    let t = xml_post(&emu, "createConsistencyGroup", &format!("><name>sdk_cg</name><description>A test consistency group</description><journalSizeGb>100</journalSizeGb><serverPair><sourceServerId>{source}</sourceServerId><targetServerId>{target}</targetServerId></serverPair>")).await;
    let d = roxmltree::Document::parse(&t).unwrap();
    let id = d
        .descendants()
        .find(|n| n.has_tag_name((NS, "info")))
        .and_then(|n| n.attribute("value"))
        .unwrap()
        .to_string();

    let (s, list) = xml(&emu, "consistencyGroup/consistencyGroup", None).await;
    assert_eq!(s, 200, "{list}");
    let d = roxmltree::Document::parse(&list).unwrap();
    let root = d.root_element();
    assert_eq!(root.tag_name().name(), "consistencyGroups");
    assert_eq!(root.attribute("totalCount"), Some("1"));
    let cg = root.first_element_child().unwrap();
    assert_eq!(cg.attribute("id"), Some(id.as_str()));
    assert_eq!(child(cg, "name").text(), Some("sdk_cg"));
    assert_eq!(child(cg, "operationStatus").text(), Some("DRS_MODE"));
    assert_eq!(child(cg, "journal").attribute("sizeGb"), Some("100"));
    assert_eq!(child(cg, "journal").attribute("extentCount"), Some("1"));
    let src = child(cg, "source");
    assert_eq!(src.attribute("datacenterId"), Some("EU6"));
    assert_eq!(child(src, "networkDomainName").text(), Some("src-nd"));
    let pair = child(cg, "serverPair");
    assert_eq!(pair.attribute("state"), Some("NORMAL"));
    let ts = child(pair, "targetServer");
    assert_eq!(ts.attribute("id"), Some(target.as_str()));
    assert!(ts.attribute("primaryNicIpv6").is_some());
    assert_eq!(child(ts, "name").text(), Some("tgt"));
    assert_eq!(
        child(cg, "drsInfrastructure").attribute("enabled"),
        Some("true")
    );

    let (_, one) = xml(
        &emu,
        &format!("consistencyGroup/consistencyGroup/{id}"),
        None,
    )
    .await;
    let d = roxmltree::Document::parse(&one).unwrap();
    assert_eq!(d.root_element().tag_name().name(), "consistencyGroup");
    assert_eq!(d.root_element().attribute("id"), Some(id.as_str()));

    let (_, doc) = xml(&emu, &format!("server/server/{source}"), None).await;
    let d = roxmltree::Document::parse(&doc).unwrap();
    let member = d
        .descendants()
        .find(|n| n.has_tag_name((NS, "consistencyGroup")))
        .expect("the server names its group");
    assert_eq!(member.attribute("id"), Some(id.as_str()));
    assert_eq!(member.attribute("serverRole"), Some("SOURCE"));
    assert_eq!(member.attribute("status"), Some("DRS_MODE"));

    let (s, snaps) = xml(
        &emu,
        &format!("consistencyGroup/snapshot?consistencyGroupId={id}"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{snaps}");
    let d = roxmltree::Document::parse(&snaps).unwrap();
    let root = d.root_element();
    assert_eq!(root.tag_name().name(), "consistencyGroupSnapshots");
    assert_eq!(root.attribute("totalCount"), Some("1"));
    assert!(root.attribute("protectionWindow").is_some());
    let snap = root.first_element_child().unwrap();
    assert_eq!(snap.tag_name().name(), "snapshot");
    let snapshot = snap.attribute("id").unwrap().to_string();
    assert!(snap.attribute("createTime").is_some() && snap.attribute("sizeKb").is_some());

    let t = xml_post(
        &emu,
        "expandJournal",
        &format!(" id=\"{id}\"><sizeGb>100</sizeGb>"),
    )
    .await;
    assert!(t.contains("<operation>EXPAND_JOURNAL</operation>"), "{t}");
    let t = xml_post(
        &emu,
        "startPreviewSnapshot",
        &format!(" consistencyGroupId=\"{id}\"><snapshotId>{snapshot}</snapshotId>"),
    )
    .await;
    assert!(t.contains("START_PREVIEW_SNAPSHOT"), "{t}");
    let t = xml_post(
        &emu,
        "stopPreviewSnapshot",
        &format!(" consistencyGroupId=\"{id}\">"),
    )
    .await;
    assert!(t.contains("STOP_PREVIEW_SNAPSHOT"), "{t}");
    let (s, t) = xml(
        &emu,
        "consistencyGroup/initiateFailover",
        Some(format!(
            "<initiateFailover xmlns=\"{NS}\" consistencyGroupId=\"{id}\"/>"
        )),
    )
    .await;
    assert_eq!(s, 400, "{t}");
    assert!(
        t.contains("<responseCode>INVALID_STATUS</responseCode>"),
        "{t}"
    );
    assert!(t.contains(&format!("You cannot Initiate Failover because Consistency Group with id {id} is not in PREVIEWING_SNAPSHOT Operation Status.")), "{t}");
    let t = xml_post(&emu, "deleteConsistencyGroup", &format!(" id=\"{id}\">")).await;
    assert!(t.contains("DELETE_CONSISTENCY_GROUP"), "{t}");
    let (_, list) = xml(&emu, "consistencyGroup/consistencyGroup", None).await;
    assert!(list.contains("totalCount=\"0\""), "{list}");
}

#[tokio::test]
async fn every_refusal_names_its_field_and_changes_nothing() {
    let emu = emulator(&[]).await;
    let (source, _) = server_in(&emu, "AU9", "src", true).await;
    let (target, _) = server_in(&emu, "AU10", "tgt", false).await;
    let create = |name: &str, s: &str, t: &str, journal: u32| {
        let body = create_body(name, s, t, journal);
        let emu = &emu;
        async move {
            emu.post_v(7, "consistencyGroup/createConsistencyGroup", body)
                .await
        }
    };

    // Not DRS eligible (the recorded message), source then target.
    let m = assert_error(
        &create("cg", &source, &target, 100).await,
        400,
        "INCOMPATIBLE_OPERATION",
    );
    assert_eq!(
        m,
        format!("The drsEligible flag for source Server {source} must be set.")
    );
    eligible(&emu, &source).await;
    let m = assert_error(
        &create("cg", &source, &target, 100).await,
        400,
        "INCOMPATIBLE_OPERATION",
    );
    assert_eq!(
        m,
        format!("The drsEligible flag for target Server {target} must be set.")
    );
    eligible(&emu, &target).await;

    // Datacenters that are not paired (the recorded message).
    let (na9, _) = server_in(&emu, "NA9", "na9", true).await;
    let (na12, _) = server_in(&emu, "NA12", "na12", false).await;
    eligible(&emu, &na9).await;
    eligible(&emu, &na12).await;
    let m = assert_error(
        &create("cg", &na9, &na12, 100).await,
        400,
        "OPERATION_NOT_SUPPORTED",
    );
    assert_eq!(
        m,
        "DRS is not supported between source Data Center NA9 and target Data Center NA12."
    );

    // A running target.
    emu.ok("server/startServer", json!({"id": target})).await;
    let m = assert_error(
        &create("cg", &source, &target, 100).await,
        400,
        "SERVER_STARTED",
    );
    assert!(m.starts_with("serverPair[0].targetServerId:"), "{m}");
    emu.ok("server/powerOffServer", json!({"id": target})).await;

    // Journal sizes, the pair list, ids, the same server twice.
    let m = assert_error(
        &create("cg", &source, &target, 150).await,
        400,
        "INVALID_INPUT_DATA",
    );
    assert!(m.starts_with("journalSizeGb:"), "{m}");
    let m = assert_error(
        &create("cg", &source, &target, 20_000).await,
        400,
        "EXCEEDS_LIMIT",
    );
    assert!(m.starts_with("journalSizeGb:"), "{m}");
    let r = emu
        .post_v(
            7,
            "consistencyGroup/createConsistencyGroup",
            json!({"name": "cg", "journalSizeGb": 100, "serverPair": []}),
        )
        .await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("serverPair:"));
    let m = assert_error(
        &create("cg", &source, "not-an-id", 100).await,
        400,
        "INVALID_INPUT_DATA",
    );
    assert!(m.starts_with("serverPair[0].targetServerId:"), "{m}");
    let m = assert_error(
        &create("cg", &source, &source, 100).await,
        400,
        "INVALID_INPUT_DATA",
    );
    assert!(m.starts_with("serverPair[0].targetServerId:"), "{m}");
    let r = emu
        .post_v(
            7,
            "consistencyGroup/createConsistencyGroup",
            json!({"name": "cg", "journalSizeGb": 100, "serverPair": [{"sourceServerId": source}]}),
        )
        .await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").contains("targetServerId"));
    let (_, v) = emu.get_v(7, "consistencyGroup/consistencyGroup").await;
    assert_eq!(v["totalCount"], 0, "refusals created nothing: {v}");

    // A target whose disks do not cover the source's.
    let (small, _) = server_in(&emu, "AU10", "small", false).await;
    eligible(&emu, &small).await;
    emu.ok("server/powerOffServer", json!({"id": source})).await;
    emu.ok(
        "server/addDisk",
        json!({"serverId": source, "sizeGb": 20, "speed": "STANDARD"}),
    )
    .await;
    emu.ok(
        "server/addDisk",
        json!({"serverId": target, "sizeGb": 20, "speed": "STANDARD"}),
    )
    .await;
    let m = assert_error(
        &create("cg", &source, &small, 100).await,
        400,
        "INCOMPATIBLE_OPERATION",
    );
    assert!(m.starts_with("serverPair[0].targetServerId:"), "{m}");

    // A group, then what it forbids.
    let id = emu
        .ok(
            "consistencyGroup/createConsistencyGroup",
            create_body("cg", &source, &target, 100),
        )
        .await;
    let m = assert_error(
        &create("cg", &na9, &na12, 100).await,
        400,
        "NAME_NOT_UNIQUE",
    );
    assert_eq!(m, "Another Consistency Group named 'cg' already exists.");
    let m = assert_error(
        &create("cg-2", &source, &small, 100).await,
        400,
        "INCOMPATIBLE_OPERATION",
    );
    assert!(
        m.contains(&format!("already in Consistency Group {id}")),
        "{m}"
    );
    for s in [&source, &target] {
        let r = emu.post("server/deleteServer", json!({"id": s})).await;
        assert!(assert_error(&r, 400, "HAS_DEPENDENCY").contains(&id));
    }
    for op in ["startServer", "reconfigureServer"] {
        let body = match op {
            "reconfigureServer" => json!({"id": target, "memoryGb": 8}),
            _ => json!({"id": target}),
        };
        let r = emu.post(&format!("server/{op}"), body).await;
        assert!(assert_error(&r, 400, "OPERATION_NOT_SUPPORTED").contains(op));
    }
    // Disks and NICs of every member, power and reconfiguration of targets only.
    let r = emu
        .post(
            "server/addDisk",
            json!({"serverId": source, "sizeGb": 20, "speed": "STANDARD"}),
        )
        .await;
    assert!(assert_error(&r, 400, "OPERATION_NOT_SUPPORTED").contains("addDisk"));
    let vlan = server_doc(&emu, 9, &target).await["networkInfo"]["primaryNic"]["vlanId"]
        .as_str()
        .unwrap()
        .to_string();
    let r = emu
        .post(
            "server/addNic",
            json!({"serverId": target, "nic": {"vlanId": vlan}}),
        )
        .await;
    assert!(assert_error(&r, 400, "OPERATION_NOT_SUPPORTED").contains("addNic"));
    emu.ok("server/startServer", json!({"id": source})).await;
    let r = emu
        .post(
            "server/editServerMetadata",
            json!({"id": target, "drsEligible": false}),
        )
        .await;
    assert!(assert_error(&r, 400, "INCOMPATIBLE_OPERATION").starts_with("drsEligible:"));

    // Operations outside their operation status (the recorded message for failover).
    let r = emu
        .post_v(
            7,
            "consistencyGroup/initiateFailover",
            json!({"consistencyGroupId": id}),
        )
        .await;
    assert_eq!(
        assert_error(&r, 400, "INVALID_STATUS"),
        format!("You cannot Initiate Failover because Consistency Group with id {id} is not in PREVIEWING_SNAPSHOT Operation Status.")
    );
    assert_eq!(r.1["operation"], "INITIATE_FAILOVER");
    let r = emu
        .post_v(
            7,
            "consistencyGroup/stopPreviewSnapshot",
            json!({"consistencyGroupId": id}),
        )
        .await;
    assert_error(&r, 400, "INVALID_STATUS");
    let r = emu
        .post_v(
            7,
            "consistencyGroup/startPreviewSnapshot",
            json!({"consistencyGroupId": id, "snapshotId": 999_999}),
        )
        .await;
    assert!(assert_error(&r, 400, "RESOURCE_NOT_FOUND").starts_with("snapshotId:"));
    let r = emu
        .post_v(
            7,
            "consistencyGroup/expandJournal",
            json!({"id": id, "sizeGb": 50}),
        )
        .await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("sizeGb:"));
    let r = emu
        .post_v(
            7,
            "consistencyGroup/expandJournal",
            json!({"id": id, "sizeGb": 9_950 + 50}),
        )
        .await;
    assert!(assert_error(&r, 400, "EXCEEDS_LIMIT").starts_with("sizeGb:"));
    assert_eq!(group(&emu, &id).await["journal"]["sizeGb"], 100);

    // Unknown groups, missing or malformed snapshot filters, unknown operations.
    let gone = "0b2bbd9e-5b6a-4bb4-a1a6-b3a4ee7f3f6a";
    let r = emu
        .post_v(
            7,
            "consistencyGroup/deleteConsistencyGroup",
            json!({"id": gone}),
        )
        .await;
    assert_error(&r, 400, "RESOURCE_NOT_FOUND");
    let r = emu.get_v(7, "consistencyGroup/snapshot").await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("consistencyGroupId:"));
    let r = emu
        .get_v(
            7,
            &format!("consistencyGroup/snapshot?consistencyGroupId={id}&createTime.MIN=yesterday"),
        )
        .await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").starts_with("createTime.MIN:"));
    let r = emu
        .post_v(7, "consistencyGroup/renameConsistencyGroup", json!({}))
        .await;
    assert_error(&r, 404, "OPERATION_NOT_SUPPORTED");
}

#[tokio::test]
async fn a_busy_group_refuses_and_shows_its_progress() {
    // The servers are deployed instantly (time scale 0) into a state file, which an emulator at
    // real durations (time scale 1) then serves: its initial replication keeps the group
    // PENDING_ADD for minutes.
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let state = state.to_str().unwrap().to_string();
    let fast = emulator(&["--state", &state]).await;
    let (source, _) = server_in(&fast, "AU9", "src", true).await;
    let (target, _) = server_in(&fast, "AU10", "tgt", false).await;
    eligible(&fast, &source).await;
    eligible(&fast, &target).await;
    drop(fast);

    let emu = emulator(&["--state", &state, "--time-scale", "1"]).await;
    let id = emu
        .ok(
            "consistencyGroup/createConsistencyGroup",
            create_body("cg", &source, &target, 100),
        )
        .await;
    let g = group(&emu, &id).await;
    assert_eq!(g["state"], "PENDING_ADD", "{g}");
    assert_eq!(g["serverPair"][0]["state"], "PENDING_ADD");
    assert_eq!(g["progress"]["action"], "CREATE_CONSISTENCY_GROUP");
    assert_eq!(g["progress"]["userName"], "demo");
    for (op, body) in [
        ("expandJournal", json!({"id": id, "sizeGb": 100})),
        ("deleteConsistencyGroup", json!({"id": id})),
    ] {
        let r = emu.post_v(7, &format!("consistencyGroup/{op}"), body).await;
        assert_error(&r, 400, "RESOURCE_BUSY");
    }
    let (_, snaps) = emu
        .get_v(
            7,
            &format!("consistencyGroup/snapshot?consistencyGroupId={id}"),
        )
        .await;
    assert_eq!(
        snaps["totalCount"], 0,
        "no snapshot before replication: {snaps}"
    );
    // Already a member while pending.
    let r = emu.post("server/deleteServer", json!({"id": target})).await;
    assert_error(&r, 400, "HAS_DEPENDENCY");
}

#[tokio::test]
async fn groups_and_flags_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let state = state.to_str().unwrap().to_string();
    let emu = emulator(&["--state", &state]).await;
    let (source, _) = server_in(&emu, "AU9", "src", true).await;
    let (target, _) = server_in(&emu, "AU10", "tgt", false).await;
    let (spare, _) = server_in(&emu, "AU10", "spare", false).await;
    for s in [&source, &target, &spare] {
        eligible(&emu, s).await;
    }
    let id = emu
        .ok(
            "consistencyGroup/createConsistencyGroup",
            create_body("kept", &source, &target, 100),
        )
        .await;
    emu.ok(
        "consistencyGroup/expandJournal",
        json!({"id": id, "sizeGb": 100}),
    )
    .await;
    let before = group(&emu, &id).await;
    drop(emu);

    let emu = emulator(&["--state", &state]).await;
    let after = group(&emu, &id).await;
    assert_eq!(after, before);
    assert_eq!(after["journal"]["sizeGb"], 200);
    assert_eq!(
        server_doc(&emu, 4, &target).await["consistencyGroup"]["serverRole"],
        "TARGET"
    );
    assert_eq!(server_doc(&emu, 4, &spare).await["drsEligible"], json!({}));
    let r = emu.post("server/deleteServer", json!({"id": target})).await;
    assert_error(&r, 400, "HAS_DEPENDENCY");
}
