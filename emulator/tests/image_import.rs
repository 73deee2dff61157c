//! Imported and moved customer images: OVF packages placed on a datacenter's FTPS area (emulator
//! admin endpoint), listed under `image/ovfPackage` and imported with `image/importImage`; images
//! moved between clusters with `image/moveCustomerImage`, whose progress reports its steps. JSON
//! and XML, every refusal, and persistence across a restart.

mod common;

use common::{assert_error, emulator, manifest, ovf_package, Emu};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const NS: &str = "urn:didata.com:api:cloud:types";

/// Polls a customer image until `state` (or its absence with `None`).
async fn wait_state(emu: &Emu, id: &str, state: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, v) = emu.get(&format!("image/customerImage/{id}")).await;
        assert_eq!(status, 200, "{v}");
        if v["state"] == state {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "image {id} never became {state}: {v}"
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

/// Imports `package` (a manifest name) into NA9 and returns the new image id.
async fn import(emu: &Emu, name: &str, package: &str) -> String {
    emu.ok(
        "image/importImage",
        json!({"ovfPackage": package, "name": name, "datacenterId": "NA9"}),
    )
    .await
}

async fn image_count(emu: &Emu) -> u64 {
    let (_, v) = emu.get("image/customerImage").await;
    v["totalCount"].as_u64().unwrap()
}

/// The text of the first element named `name`.
fn text_of(xml: &str, name: &str) -> String {
    let doc = roxmltree::Document::parse(xml).expect("XML answer");
    doc.descendants()
        .find(|n| n.tag_name().name() == name)
        .and_then(|n| n.text())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn an_uploaded_ovf_package_is_listed_and_imported_into_a_customer_image() {
    let emu = emulator(&["--time-scale", "0.004"]).await;
    emu.ok("tag/createTagKey", json!({"name": "env"})).await;
    let files = ovf_package("golden", &[12, 40]);
    emu.upload_package("NA9", &files).await;

    let (status, list) = emu.get("image/ovfPackage").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        list["totalCount"], 1,
        "only the manifest names a package: {list}"
    );
    let p = &list["ovfPackage"][0];
    assert_eq!(p["name"], "golden.mf");
    assert_eq!(p["status"], "AVAILABLE");
    assert_eq!(p["datacenterId"], "NA9");
    assert!(p["lastModifiedTime"].as_str().unwrap() < p["expiryTime"].as_str().unwrap());
    let r = emu.get("image/ovfPackage?name=golden.mf").await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").contains("name"));

    let (status, e) = emu
        .post(
            "image/importImage",
            json!({"ovfPackage": "golden.mf", "name": "golden", "description": "from OVF",
                   "clusterId": "NA9-02", "guestOsCustomization": false,
                   "tag": [{"tagKeyName": "env", "value": "prod"}]}),
        )
        .await;
    assert_eq!(status, 200, "{e}");
    assert_eq!(e["operation"], "IMPORT_IMAGE");
    assert_eq!(e["responseCode"], "IN_PROGRESS");
    assert_eq!(e["info"][0]["name"], "imageId");
    let id = e["info"][0]["value"].as_str().unwrap().to_string();

    let (_, pending) = emu.get(&format!("image/customerImage/{id}")).await;
    assert_eq!(pending["state"], "PENDING_ADD", "{pending}");
    assert_eq!(pending["progress"]["action"], "IMPORT_IMAGE");
    assert_eq!(pending["progress"]["userName"], "demo");
    assert!(pending["progress"].get("step").is_none(), "{pending}");

    let i = wait_state(&emu, &id, "NORMAL").await;
    assert!(i.get("progress").is_none(), "{i}");
    assert_eq!(i["name"], "golden");
    assert_eq!(i["description"], "from OVF");
    assert_eq!(i["datacenterId"], "NA9");
    assert_eq!(i["cluster"]["id"], "NA9-02");
    assert_eq!(
        i["cpu"],
        json!({"count": 2, "speed": "STANDARD", "coresPerSocket": 1})
    );
    assert_eq!(i["memoryGb"], 4);
    let disks = &i["scsiController"][0]["disk"];
    assert_eq!(disks.as_array().unwrap().len(), 2, "{i}");
    assert_eq!(
        (disks[0]["sizeGb"].clone(), disks[1]["sizeGb"].clone()),
        (json!(12), json!(40))
    );
    assert_eq!(i["nic"], json!([{"networkAdapter": "E1000", "key": 4000}]));
    assert_eq!(
        i["guest"]["operatingSystem"],
        json!({"id": "CENTOS764", "displayName": "CENTOS7/64", "family": "UNIX"})
    );
    assert_eq!(i["guest"]["osCustomization"], false);
    assert_eq!(i["tag"][0]["tagKeyName"], "env");
    assert_eq!(i["tag"][0]["value"], "prod");
    let source = &i["source"];
    assert_eq!(source["type"], "IMPORT");
    let kinds: Vec<(&str, &str)> = source["artifact"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["type"].as_str().unwrap(), a["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("MF", "golden.mf"),
            ("OVF", "golden.ovf"),
            ("VMDK", "golden-disk1.vmdk"),
            ("VMDK", "golden-disk2.vmdk")
        ]
    );
    for a in source["artifact"].as_array().unwrap() {
        assert!(a["date"].as_str().unwrap().ends_with('Z'), "{a}");
    }
    // 2.4 shape: flat disks, guest block; the source is the same.
    let (_, v24) = emu.get_v(4, &format!("image/customerImage/{id}")).await;
    assert_eq!(v24["disk"].as_array().unwrap().len(), 2, "{v24}");
    assert_eq!(v24["source"], i["source"]);
    // The package stays on the FTPS host: a second import under another name works.
    let again = import(&emu, "golden-2", "golden.mf").await;
    wait_state(&emu, &again, "NORMAL").await;
}

#[tokio::test]
async fn imports_are_refused_as_the_api_refuses_them_and_change_nothing() {
    let emu = emulator(&[]).await;
    emu.upload_package("NA9", &ovf_package("good", &[10])).await;
    let done = import(&emu, "taken", "good.mf").await;
    wait_state(&emu, &done, "NORMAL").await;
    let before = image_count(&emu).await;
    let base = json!({"ovfPackage": "good.mf", "name": "fresh", "datacenterId": "NA9"});
    let with = |changes: Value| {
        let mut b = base.clone();
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                b.as_object_mut().unwrap().remove(k);
            } else {
                b[k] = v.clone();
            }
        }
        b
    };
    // (body, code, what the message names)
    let mut cases = vec![
        (
            with(json!({"ovfPackage": "missing.mf"})),
            "RESOURCE_NOT_FOUND",
            "missing.mf",
        ),
        (
            with(json!({"ovfPackage": "good.ovf"})),
            "INVALID_INPUT_DATA",
            "ovfPackage",
        ),
        (with(json!({"name": "taken"})), "NAME_NOT_UNIQUE", "taken"),
        (with(json!({"name": ""})), "INVALID_INPUT_DATA", "name"),
        (
            with(json!({"clusterId": "NA9-01"})),
            "INVALID_INPUT_DATA",
            "not both",
        ),
        (
            with(json!({"datacenterId": null})),
            "INVALID_INPUT_DATA",
            "datacenterId",
        ),
        (
            with(json!({"datacenterId": "XX1"})),
            "INVALID_INPUT_DATA",
            "XX1",
        ),
        (
            with(json!({"datacenterId": null, "clusterId": "NA9-07"})),
            "INVALID_INPUT_DATA",
            "clusterId",
        ),
        // The package sits on NA9's FTPS host, not EU6's.
        (
            with(json!({"datacenterId": "EU6"})),
            "RESOURCE_NOT_FOUND",
            "EU6",
        ),
        (
            with(json!({"tag": [{"tagKeyName": "nope"}]})),
            "RESOURCE_NOT_FOUND",
            "nope",
        ),
        (
            with(json!({"colour": "red"})),
            "INVALID_INPUT_DATA",
            "colour",
        ),
    ];

    // A VMDK whose content no longer matches the manifest.
    let mut tampered = ovf_package("tampered", &[10]);
    tampered[1].1 = b"changed after the manifest was written".to_vec();
    emu.upload_package("NA9", &tampered).await;
    cases.push((
        with(json!({"ovfPackage": "tampered.mf"})),
        "INVALID_INPUT_DATA",
        "checksum of tampered-disk1.vmdk",
    ));
    // A manifest naming a disk that was never uploaded.
    let partial = ovf_package("partial", &[10]);
    emu.upload_package("NA9", &[partial[0].clone(), partial[2].clone()])
        .await;
    cases.push((
        with(json!({"ovfPackage": "partial.mf"})),
        "INVALID_INPUT_DATA",
        "partial-disk1.vmdk",
    ));
    // A manifest line that is not `SHA1(file)= digest`.
    emu.ftps_put("NA9", "garbled.mf", b"MD5(x.ovf)= 00").await;
    cases.push((
        with(json!({"ovfPackage": "garbled.mf"})),
        "INVALID_INPUT_DATA",
        "manifest line 1",
    ));
    // A manifest without a descriptor.
    let disk = vec![("lonely.vmdk".to_string(), b"disk".to_vec())];
    emu.upload_package("NA9", &disk).await;
    emu.ftps_put("NA9", "nodesc.mf", &manifest(&disk)).await;
    cases.push((
        with(json!({"ovfPackage": "nodesc.mf"})),
        "INVALID_INPUT_DATA",
        "no OVF descriptor",
    ));
    // A descriptor referencing a disk file the manifest does not list.
    let full = ovf_package("short", &[10]);
    let listed = vec![full[0].clone()];
    emu.upload_package("NA9", &listed).await;
    emu.ftps_put("NA9", "short.mf", &manifest(&listed)).await;
    cases.push((
        with(json!({"ovfPackage": "short.mf"})),
        "INVALID_INPUT_DATA",
        "short-disk1.vmdk",
    ));
    // A descriptor that is not an OVF envelope.
    let junk = vec![("junk.ovf".to_string(), b"<Other/>".to_vec())];
    emu.upload_package("NA9", &junk).await;
    emu.ftps_put("NA9", "junk.mf", &manifest(&junk)).await;
    cases.push((
        with(json!({"ovfPackage": "junk.mf"})),
        "INVALID_INPUT_DATA",
        "Envelope",
    ));

    for (body, code, named) in cases {
        let r = emu.post("image/importImage", body.clone()).await;
        let message = assert_error(&r, 400, code);
        assert_eq!(r.1["operation"], "IMPORT_IMAGE", "{}", r.1);
        assert!(
            message.contains(named),
            "{body}: {message:?} does not name {named}"
        );
    }
    assert_eq!(
        image_count(&emu).await,
        before,
        "a refused import created an image"
    );
    let (_, list) = emu.get("image/ovfPackage").await;
    let partial = list["ovfPackage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "partial.mf")
        .unwrap()
        .clone();
    assert_eq!(partial["status"], "INCOMPLETE", "{list}");

    // The admin surface refuses unknown datacenters, bad names and strangers.
    let (status, v) = emu.ftps_put("XX1", "a.mf", b"x").await;
    assert_eq!(status, 404, "{v}");
    let (status, v) = emu.ftps_put("NA9", "..", b"x").await;
    assert!(status == 400 || status == 404, "{v}");
    let r = emu
        .client
        .put(format!("{}/_emulator/ftps/NA9/a.mf", emu.running.base_url))
        .basic_auth("demo", Some("wrong"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = emu
        .client
        .delete(format!(
            "{}/_emulator/ftps/NA9/good.mf",
            emu.running.base_url
        ))
        .basic_auth("demo", Some("demo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = emu.post("image/importImage", base.clone()).await;
    assert_error(&r, 400, "RESOURCE_NOT_FOUND");
    let r = emu
        .client
        .get(format!("{}/_emulator/ftps/NA9", emu.running.base_url))
        .basic_auth("demo", Some("demo"))
        .send()
        .await
        .unwrap();
    let listing: Value = r.json().await.unwrap();
    let names: Vec<&str> = listing["file"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        !names.contains(&"good.mf") && names.contains(&"good.ovf"),
        "{listing}"
    );
}

#[tokio::test]
async fn a_failed_import_ends_in_failed_add_with_its_reason() {
    let emu = emulator(&["--faults", "failed_add=1,ops=importImage,seed=3"]).await;
    emu.upload_package("NA9", &ovf_package("doomed", &[10]))
        .await;
    let id = import(&emu, "doomed", "doomed.mf").await;
    let i = wait_state(&emu, &id, "FAILED_ADD").await;
    assert_eq!(i["progress"]["action"], "IMPORT_IMAGE");
    assert_eq!(
        i["progress"]["failureReason"],
        "Import failed, please try again."
    );
    emu.ok("image/deleteCustomerImage", json!({"id": id})).await;
}

#[tokio::test]
async fn a_customer_image_moves_between_clusters_reporting_its_steps() {
    let emu = emulator(&["--time-scale", "0.02"]).await;
    emu.upload_package("NA9", &ovf_package("mover", &[10]))
        .await;
    let id = import(&emu, "mover", "mover.mf").await;
    // A pending image cannot move.
    let r = emu
        .post(
            "image/moveCustomerImage",
            json!({"id": id, "targetClusterId": "NA9-02"}),
        )
        .await;
    assert_error(&r, 400, "RESOURCE_BUSY");
    let i = wait_state(&emu, &id, "NORMAL").await;
    assert_eq!(i["cluster"]["id"], "NA9-01");

    for (body, code, named) in [
        (
            json!({"id": id, "targetClusterId": "NA9-01"}),
            "INVALID_INPUT_DATA",
            "already in cluster",
        ),
        (
            json!({"id": id, "targetClusterId": "EU6-02"}),
            "INVALID_INPUT_DATA",
            "targetClusterId",
        ),
        (
            json!({"id": "0e2b8a2c-4f36-4c1c-9d4b-1c8e6e4bb1f0", "targetClusterId": "NA9-02"}),
            "RESOURCE_NOT_FOUND",
            "0e2b8a2c",
        ),
        (
            json!({"id": "x", "targetClusterId": "NA9-02"}),
            "INVALID_INPUT_DATA",
            "id",
        ),
        (json!({"id": id}), "INVALID_INPUT_DATA", "targetClusterId"),
    ] {
        let r = emu.post("image/moveCustomerImage", body.clone()).await;
        let message = assert_error(&r, 400, code);
        assert_eq!(r.1["operation"], "MOVE_CUSTOMER_IMAGE");
        assert!(message.contains(named), "{body}: {message:?}");
    }

    let (status, e) = emu
        .post(
            "image/moveCustomerImage",
            json!({"id": id, "targetClusterId": "NA9-02"}),
        )
        .await;
    assert_eq!(status, 200, "{e}");
    assert_eq!(e["operation"], "MOVE_CUSTOMER_IMAGE");
    assert_eq!(e["responseCode"], "IN_PROGRESS");
    // The move takes 2.4 s at this scale: four steps of 0.6 s each.
    let (_, first) = emu.get(&format!("image/customerImage/{id}")).await;
    assert_eq!(first["state"], "PENDING_CHANGE", "{first}");
    let p = &first["progress"];
    assert_eq!(p["action"], "MOVE_CUSTOMER_IMAGE");
    assert_eq!(p["numberOfSteps"], 4);
    assert!(p["updateTime"].as_str().unwrap() >= p["requestTime"].as_str().unwrap());
    let first_step = p["step"]["number"].as_u64().unwrap();
    assert!(p["step"]["name"].is_string() && p["step"]["percentComplete"].as_u64().unwrap() < 100);
    // Busy while moving: no second move, no delete.
    let r = emu
        .post(
            "image/moveCustomerImage",
            json!({"id": id, "targetClusterId": "NA9-01"}),
        )
        .await;
    assert_error(&r, 400, "RESOURCE_BUSY");
    let r = emu
        .post("image/deleteCustomerImage", json!({"id": id}))
        .await;
    assert_error(&r, 400, "RESOURCE_BUSY");
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let (_, later) = emu.get(&format!("image/customerImage/{id}")).await;
    if later["state"] == "PENDING_CHANGE" {
        let later_step = later["progress"]["step"]["number"].as_u64().unwrap();
        assert!(later_step > first_step, "{first} then {later}");
    }
    let done = wait_state(&emu, &id, "NORMAL").await;
    assert_eq!(done["cluster"], json!({"id": "NA9-02", "name": "NA9-02"}));
    assert!(done.get("progress").is_none(), "{done}");
    // A clone may now name the second cluster too.
    let (_, listed) = emu.get("image/customerImage?datacenterId=NA9").await;
    assert_eq!(listed["customerImage"][0]["cluster"]["id"], "NA9-02");
}

#[tokio::test]
async fn import_and_move_speak_xml() {
    let emu = emulator(&["--time-scale", "0.02"]).await;
    emu.ok("tag/createTagKey", json!({"name": "tagkey1_name"}))
        .await;
    emu.upload_package("NA9", &ovf_package("xmlpkg", &[10]))
        .await;
    let (status, list) = emu.xml(4, "image/ovfPackage", None).await;
    assert_eq!(status, 200, "{list}");
    let doc = roxmltree::Document::parse(&list).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "ovfPackages");
    let p = doc
        .descendants()
        .find(|n| n.tag_name().name() == "ovfPackage")
        .unwrap();
    assert!(p.attribute("lastModifiedTime").is_some() && p.attribute("expiryTime").is_some());
    assert_eq!(p.attribute("status"), Some("AVAILABLE"));
    assert_eq!(text_of(&list, "name"), "xmlpkg.mf");

    // As libcloud's import_image writes it.
    let body = format!(
        "<urn:importImage xmlns:urn=\"{NS}\"><urn:ovfPackage>xmlpkg.mf</urn:ovfPackage><urn:name>Libcloud image</urn:name><urn:description>test</urn:description><urn:clusterId>NA9-01</urn:clusterId><urn:guestOsCustomization>false</urn:guestOsCustomization><urn:tag><urn:tagKeyName>tagkey1_name</urn:tagKeyName><urn:value>dev test</urn:value></urn:tag></urn:importImage>"
    );
    let (status, e) = emu.xml(4, "image/importImage", Some(body)).await;
    assert_eq!(status, 200, "{e}");
    assert_eq!(text_of(&e, "operation"), "IMPORT_IMAGE");
    assert_eq!(text_of(&e, "responseCode"), "IN_PROGRESS");
    let doc = roxmltree::Document::parse(&e).unwrap();
    let info = doc
        .descendants()
        .find(|n| n.tag_name().name() == "info")
        .unwrap();
    assert_eq!(info.attribute("name"), Some("imageId"));
    let id = info.attribute("value").unwrap().to_string();
    wait_state(&emu, &id, "NORMAL").await;
    let (_, image) = emu.xml(4, &format!("image/customerImage/{id}"), None).await;
    let doc = roxmltree::Document::parse(&image).unwrap();
    let source = doc
        .descendants()
        .find(|n| n.tag_name().name() == "source")
        .unwrap();
    assert_eq!(source.attribute("type"), Some("IMPORT"));
    let artifacts: Vec<_> = source.children().filter(|c| c.is_element()).collect();
    assert_eq!(artifacts.len(), 3, "{image}");
    assert!(
        artifacts.iter().all(|a| a.attribute("date").is_some()),
        "{image}"
    );
    assert_eq!(artifacts[0].attribute("type"), Some("MF"));

    // A refused import answers in XML too.
    let bad = format!("<importImage xmlns=\"{NS}\"><ovfPackage>nothere.mf</ovfPackage><name>n</name><datacenterId>NA9</datacenterId></importImage>");
    let (status, e) = emu.xml(4, "image/importImage", Some(bad)).await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(text_of(&e, "responseCode"), "RESOURCE_NOT_FOUND");

    // The .NET client's moveCustomerImage: `id` attribute, `targetClusterId` element.
    let body = format!("<moveCustomerImage xmlns=\"{NS}\" id=\"{id}\"><targetClusterId>NA9-02</targetClusterId></moveCustomerImage>");
    let (status, e) = emu.xml(4, "image/moveCustomerImage", Some(body)).await;
    assert_eq!(status, 200, "{e}");
    assert_eq!(text_of(&e, "operation"), "MOVE_CUSTOMER_IMAGE");
    let (_, moving) = emu.xml(4, &format!("image/customerImage/{id}"), None).await;
    assert_eq!(text_of(&moving, "state"), "PENDING_CHANGE", "{moving}");
    assert_eq!(text_of(&moving, "action"), "MOVE_CUSTOMER_IMAGE");
    assert_eq!(text_of(&moving, "numberOfSteps"), "4");
    let doc = roxmltree::Document::parse(&moving).unwrap();
    let step = doc
        .descendants()
        .find(|n| n.tag_name().name() == "step")
        .unwrap();
    let fields: Vec<&str> = step
        .children()
        .filter(|c| c.is_element())
        .map(|c| c.tag_name().name())
        .collect();
    for f in ["name", "number", "percentComplete"] {
        assert!(fields.contains(&f), "step lacks <{f}>: {moving}");
    }
    let done = wait_state(&emu, &id, "NORMAL").await;
    assert_eq!(done["cluster"]["id"], "NA9-02");
}

#[tokio::test]
async fn packages_imports_and_moves_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let state = state.to_str().unwrap();
    let (id, first_package) = {
        let emu = emulator(&["--state", state]).await;
        let files = ovf_package("kept", &[10]);
        emu.upload_package("NA9", &files).await;
        let id = import(&emu, "kept", "kept.mf").await;
        wait_state(&emu, &id, "NORMAL").await;
        let (_, list) = emu.get("image/ovfPackage").await;
        (id, list["ovfPackage"][0].clone())
    };
    // Restarted: the package and the imported image are still there; a move starts.
    {
        let emu = emulator(&["--state", state, "--time-scale", "1"]).await;
        let (_, list) = emu.get("image/ovfPackage").await;
        assert_eq!(list["ovfPackage"][0], first_package);
        let (_, i) = emu.get(&format!("image/customerImage/{id}")).await;
        assert_eq!(i["source"]["type"], "IMPORT", "{i}");
        assert_eq!(i["source"]["artifact"].as_array().unwrap().len(), 3);
        emu.ok(
            "image/moveCustomerImage",
            json!({"id": id, "targetClusterId": "NA9-02"}),
        )
        .await;
    }
    // Restarted mid-move: still moving, with its steps, towards the same cluster.
    let emu = emulator(&["--state", state, "--time-scale", "1"]).await;
    let (_, i) = emu.get(&format!("image/customerImage/{id}")).await;
    assert_eq!(i["state"], "PENDING_CHANGE", "{i}");
    assert_eq!(i["progress"]["action"], "MOVE_CUSTOMER_IMAGE");
    assert_eq!(i["progress"]["step"]["number"], 1);
    assert_eq!(i["cluster"]["id"], "NA9-01");
    // Another import from the kept package still verifies its files.
    let second = import(&emu, "kept-again", "kept.mf").await;
    let (_, s) = emu.get(&format!("image/customerImage/{second}")).await;
    assert_eq!(s["state"], "PENDING_ADD");
}
