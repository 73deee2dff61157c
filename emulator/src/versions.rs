//! Version-true documents: the handlers build servers and OS images in the current (2.10) shape;
//! these functions turn them into the shape the requested minor version returned. The boundaries
//! come from the recorded responses and the public clients' version switches (see the emulator
//! README, "API versions"):
//!
//! * up to 2.3 the OS is a top-level `operatingSystem` (and a server's tools `vmwareTools`); from
//!   2.4 both sit under `guest` (libcloud reads `guest/operatingSystem` from 2.4 on);
//! * up to 2.4 disks are a top-level `disk[]`; from 2.5 they sit under `scsiController[]`
//!   (go-dd-cloud-compute moved `GetServer` from 2.4 to 2.5 in the commit that exposed disks under
//!   SCSI controllers);
//! * up to 2.9 a server names its image with `sourceImageId` and has `softwareLabel[]` (its
//!   image's licensed software; the handlers build it, 2.10 drops it); at 2.10
//!   (the recorded `getServerTestResponseV2`) it has `source {type, value}` instead, and the OS
//!   carries `osUnitsGroupId`.

use serde_json::{json, Map, Value};

/// Flattens `scsiController[].disk[]` into a top-level `disk[]` (the ≤ 2.4 shape).
fn disks_to_top_level(doc: &mut Map<String, Value>) {
    let disks: Vec<Value> = doc
        .remove("scsiController")
        .and_then(|c| match c {
            Value::Array(controllers) => Some(controllers),
            _ => None,
        })
        .unwrap_or_default()
        .into_iter()
        .flat_map(|mut c| match c.get_mut("disk").map(Value::take) {
            Some(Value::Array(d)) => d,
            _ => Vec::new(),
        })
        .collect();
    doc.insert("disk".into(), Value::Array(disks));
    for k in ["sataController", "ideController", "floppy"] {
        doc.remove(k);
    }
}

/// Moves `guest.operatingSystem` (and `guest.vmTools` as `vmwareTools`) to the top level and drops
/// `guest` (the ≤ 2.3 shape).
fn guest_to_top_level(doc: &mut Map<String, Value>) {
    let Some(Value::Object(mut guest)) = doc.remove("guest") else {
        return;
    };
    if let Some(os) = guest.remove("operatingSystem") {
        doc.insert("operatingSystem".into(), os);
    }
    if let Some(Value::Object(mut tools)) = guest.remove("vmTools") {
        tools.remove("type");
        doc.insert("vmwareTools".into(), Value::Object(tools));
    }
}

/// A server document (built in the 2.10 shape) as `/caas/2.{minor}/` returns it.
pub fn server(mut doc: Value, minor: u32) -> Value {
    let Some(d) = doc.as_object_mut() else {
        return doc;
    };
    if minor < 10 {
        if let Some(source) = d.remove("source") {
            d.insert("sourceImageId".into(), source["value"].clone());
        }
        d.entry("softwareLabel").or_insert_with(|| json!([]));
        if let Some(Value::Object(os)) = d
            .get_mut("guest")
            .and_then(|g| g.get_mut("operatingSystem"))
        {
            os.remove("osUnitsGroupId");
        }
    }
    if minor >= 10 {
        d.remove("softwareLabel");
    }
    if minor < 5 {
        disks_to_top_level(d);
        // NICs gained `connected` with the controller model (not in the 2.4 recordings).
        if let Some(Value::Object(info)) = d.get_mut("networkInfo") {
            if let Some(Value::Object(nic)) = info.get_mut("primaryNic") {
                nic.remove("connected");
            }
            if let Some(Value::Array(nics)) = info.get_mut("additionalNic") {
                for nic in nics.iter_mut().filter_map(Value::as_object_mut) {
                    nic.remove("connected");
                }
            }
        }
    }
    if minor < 4 {
        guest_to_top_level(d);
    }
    doc
}

/// An OS image document (built in the current shape) as `/caas/2.{minor}/` returns it.
pub fn os_image(mut doc: Value, minor: u32) -> Value {
    let Some(d) = doc.as_object_mut() else {
        return doc;
    };
    if minor < 5 {
        disks_to_top_level(d);
    }
    if minor < 4 {
        guest_to_top_level(d);
    }
    doc
}

/// Applies `f` to every item of a list document's `key` array.
pub fn each_item(mut doc: Value, key: &str, f: impl Fn(Value) -> Value) -> Value {
    if let Some(Value::Array(items)) = doc.get_mut(key) {
        for item in items.iter_mut() {
            *item = f(item.take());
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current_server() -> Value {
        json!({"id": "s", "scsiController": [{"id": "c", "disk": [{"id": "d0", "scsiId": 0}]},
                                            {"id": "c1", "disk": [{"id": "d1", "scsiId": 0}]}],
               "sataController": [], "ideController": [], "floppy": [],
               "networkInfo": {"primaryNic": {"id": "n", "connected": true}, "additionalNic": [{"id": "m", "connected": true}]},
               "source": {"type": "IMAGE_ID", "value": "img"},
               "guest": {"operatingSystem": {"id": "CENTOS764", "osUnitsGroupId": "CENTOS"}, "osCustomization": true,
                         "vmTools": {"type": "VMWARE_TOOLS", "versionStatus": "CURRENT"}}})
    }

    #[test]
    fn servers_take_the_shape_of_their_version() {
        let v10 = server(current_server(), 10);
        assert_eq!(v10, current_server());
        let mut labelled = current_server();
        labelled["softwareLabel"] = json!(["MSSQL2019S"]);
        assert!(server(labelled.clone(), 10).get("softwareLabel").is_none());
        assert_eq!(server(labelled, 9)["softwareLabel"], json!(["MSSQL2019S"]));
        let v9 = server(current_server(), 9);
        assert_eq!(v9["sourceImageId"], "img");
        assert!(v9.get("source").is_none());
        assert_eq!(v9["softwareLabel"], json!([]));
        assert!(v9["guest"]["operatingSystem"]
            .get("osUnitsGroupId")
            .is_none());
        assert!(v9["scsiController"].is_array());
        let v4 = server(current_server(), 4);
        assert_eq!(v4["disk"].as_array().unwrap().len(), 2);
        assert!(v4.get("scsiController").is_none() && v4.get("floppy").is_none());
        assert!(v4["networkInfo"]["primaryNic"].get("connected").is_none());
        assert!(v4["networkInfo"]["additionalNic"][0]
            .get("connected")
            .is_none());
        assert_eq!(v4["guest"]["vmTools"]["versionStatus"], "CURRENT");
        let v3 = server(current_server(), 3);
        assert!(v3.get("guest").is_none());
        assert_eq!(v3["operatingSystem"]["id"], "CENTOS764");
        assert_eq!(v3["vmwareTools"], json!({"versionStatus": "CURRENT"}));
    }

    #[test]
    fn images_take_the_shape_of_their_version() {
        let image = json!({"scsiController": [{"disk": [{"id": "d"}]}], "sataController": [], "floppy": [],
                           "guest": {"operatingSystem": {"id": "X"}, "osCustomization": true}});
        assert_eq!(os_image(image.clone(), 9), image);
        let v4 = os_image(image.clone(), 4);
        assert_eq!(v4["disk"], json!([{"id": "d"}]));
        assert!(v4["guest"].is_object());
        let v3 = os_image(image, 3);
        assert_eq!(v3["operatingSystem"]["id"], "X");
        assert!(v3.get("guest").is_none());
    }
}
