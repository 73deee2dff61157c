//! Customer images: `server/cloneServer` makes one of a stopped server; it is listed and read
//! under `image/customerImage`, can be tagged, and goes with `image/deleteCustomerImage`.

mod common;

use common::{assert_error, emulator};
use serde_json::json;

#[tokio::test]
async fn a_stopped_server_clones_into_a_customer_image() {
    let emu = emulator(&[]).await;
    let nd = emu.domain("ci", "NA9").await;
    let vlan = emu.vlan(&nd, "v", "10.0.0.0", 24).await;
    let running = emu.server(&nd, &vlan, "running", true).await;
    let r = emu
        .post(
            "server/cloneServer",
            json!({"id": running, "imageName": "img"}),
        )
        .await;
    assert_error(&r, 400, "SERVER_STARTED");

    let server = emu.server(&nd, &vlan, "web", false).await;
    let (_, s) = emu.get(&format!("server/server/{server}")).await;
    let r = emu
        .post(
            "server/cloneServer",
            json!({"id": server, "imageName": "img", "clusterId": "EU6-01"}),
        )
        .await;
    assert!(assert_error(&r, 400, "INVALID_INPUT_DATA").contains("clusterId"));
    let (status, e) = emu
        .post(
            "server/cloneServer",
            json!({"id": server, "imageName": "img", "description": "golden", "guestOsCustomization": false}),
        )
        .await;
    assert_eq!(status, 200, "{e}");
    assert_eq!(e["operation"], "CLONE_SERVER");
    assert_eq!(e["responseCode"], "IN_PROGRESS");
    let image = e["info"][0]["value"].as_str().unwrap().to_string();
    assert_eq!(
        e["info"][1],
        json!({"name": "clusterId", "value": "NA9-01"})
    );
    let r = emu
        .post(
            "server/cloneServer",
            json!({"id": server, "imageName": "img"}),
        )
        .await;
    assert_error(&r, 400, "NAME_NOT_UNIQUE");

    let (status, i) = emu.get(&format!("image/customerImage/{image}")).await;
    assert_eq!(status, 200, "{i}");
    assert_eq!(i["name"], "img");
    assert_eq!(i["description"], "golden");
    assert_eq!(i["state"], "NORMAL");
    assert_eq!(i["datacenterId"], "NA9");
    assert_eq!(i["cpu"], s["cpu"]);
    assert_eq!(i["memoryGb"], s["memoryGb"]);
    assert_eq!(
        i["scsiController"][0]["disk"][0]["sizeGb"],
        s["scsiController"][0]["disk"][0]["sizeGb"]
    );
    assert_eq!(
        i["guest"]["operatingSystem"]["id"],
        s["guest"]["operatingSystem"]["id"]
    );
    assert_eq!(i["guest"]["osCustomization"], false);
    assert_eq!(
        i["source"],
        json!({"type": "CLONE", "artifact": [{"type": "SERVER_ID", "value": server}]})
    );
    assert!(i.get("progress").is_none(), "{i}");
    // 2.4 lists disks at the top level, 2.3 also the OS.
    let (_, old) = emu.get_v(3, &format!("image/customerImage/{image}")).await;
    assert_eq!(old["operatingSystem"]["family"], "UNIX", "{old}");
    assert!(old["disk"].is_array(), "{old}");

    emu.ok("tag/createTagKey", json!({"name": "role"})).await;
    emu.ok("tag/applyTags", json!({"assetType": "CUSTOMER_IMAGE", "assetId": image, "tag": [{"tagKeyName": "role", "value": "web"}]}))
        .await;
    let (_, l) = emu.get("image/customerImage?datacenterId=NA9").await;
    assert_eq!(l["totalCount"], 1, "{l}");
    assert_eq!(l["customerImage"][0]["tag"][0]["value"], "web", "{l}");
    let (_, l) = emu.get("image/customerImage?datacenterId=EU6").await;
    assert_eq!(l["totalCount"], 0, "{l}");

    emu.ok("image/deleteCustomerImage", json!({"id": image}))
        .await;
    let r = emu.get(&format!("image/customerImage/{image}")).await;
    assert!(assert_error(&r, 400, "RESOURCE_NOT_FOUND").contains("Server Image"));
    let (_, tags) = emu.get(&format!("tag/tag?assetId={image}")).await;
    assert_eq!(tags["totalCount"], 0, "{tags}");
}
