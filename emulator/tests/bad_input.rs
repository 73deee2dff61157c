//! Requests with wrong types, out-of-range values and unknown fields, across the operations the
//! provider uses: each is answered with the real error envelope (HTTP 400, INVALID_INPUT_DATA
//! or the API's own code for a broken rule) whose message starts with, or names, the offending
//! field, and nothing is created.

mod common;

use common::{assert_error, emulator};
use serde_json::json;

#[tokio::test]
async fn every_bad_request_names_its_field_and_changes_nothing() {
    let emu = emulator(&[]).await;
    let nd = emu.domain("bad-input", "NA9").await;
    let vlan = emu.vlan(&nd, "v", "10.0.1.0", 24).await;
    let image = emu.image("CentOS 7 64-bit 2 CPU", "NA9").await;
    let server = emu.server(&nd, &vlan, "s", false).await;
    let nic = json!({"networkDomainId": nd, "primaryNic": {"vlanId": vlan}});
    let cases = [
        // Wrong types.
        (
            "network/deployNetworkDomain",
            json!({"name": ["x"], "datacenterId": "NA9"}),
            "name",
            "INVALID_INPUT_DATA",
        ),
        (
            "network/deployVlan",
            json!({"networkDomainId": nd, "name": "w", "privateIpv4NetworkAddress": "10.0.2.0", "privateIpv4PrefixSize": "24", "attachedVlan": {"gatewayAddressing": "LOW"}}),
            "privateIpv4PrefixSize",
            "INVALID_INPUT_DATA",
        ),
        (
            "server/deployServer",
            json!({"name": "t", "imageId": image, "start": "yes", "administratorPassword": "Passw0rd!", "networkInfo": nic}),
            "start",
            "INVALID_INPUT_DATA",
        ),
        (
            "server/deployServer",
            json!({"name": "t", "imageId": image, "start": true, "administratorPassword": "Passw0rd!", "memoryGb": -4, "networkInfo": nic}),
            "memoryGb",
            "INVALID_INPUT_DATA",
        ),
        (
            "network/createNatRule",
            json!({"networkDomainId": nd, "internalIp": 10}),
            "internalIp",
            "INVALID_INPUT_DATA",
        ),
        (
            "network/createFirewallRule",
            json!({"networkDomainId": nd, "name": "r", "action": "ACCEPT_DECISIVELY", "enabled": "true", "placement": {"position": "LAST"}, "ipVersion": "IPV4", "protocol": "TCP", "source": {"ip": {"address": "ANY"}}, "destination": {"ip": {"address": "ANY"}}}),
            "enabled",
            "INVALID_INPUT_DATA",
        ),
        (
            "tag/applyTags",
            json!({"assetType": "SERVER", "assetId": server, "tag": {"tagKeyName": "k"}}),
            "tag",
            "INVALID_INPUT_DATA",
        ),
        // Out of range.
        (
            "network/deployVlan",
            json!({"networkDomainId": nd, "name": "w", "privateIpv4NetworkAddress": "10.0.2.0", "privateIpv4PrefixSize": 300, "attachedVlan": {"gatewayAddressing": "LOW"}}),
            "privateIpv4PrefixSize",
            "INVALID_INPUT_DATA",
        ),
        (
            "network/deployVlan",
            json!({"networkDomainId": nd, "name": "w", "privateIpv4NetworkAddress": "10.0.2.0", "privateIpv4PrefixSize": 12, "attachedVlan": {"gatewayAddressing": "LOW"}}),
            "privateIpv4PrefixSize",
            "INVALID_INPUT_DATA",
        ),
        (
            "network/deployVlan",
            json!({"networkDomainId": nd, "name": "w", "privateIpv4NetworkAddress": "10.0.2.300", "privateIpv4PrefixSize": 24, "attachedVlan": {"gatewayAddressing": "LOW"}}),
            "privateIpv4NetworkAddress",
            "INVALID_INPUT_DATA",
        ),
        (
            "server/deployServer",
            json!({"name": "t", "imageId": image, "start": true, "administratorPassword": "Passw0rd!", "cpu": {"count": 99, "coresPerSocket": 1, "speed": "STANDARD"}, "networkInfo": nic}),
            "cpu",
            "EXCEEDS_LIMIT",
        ),
        (
            "server/deployServer",
            json!({"name": "t", "imageId": image, "start": true, "administratorPassword": "Passw0rd!", "cpu": {"speed": "TURBO"}, "networkInfo": nic}),
            "cpu.speed",
            "INVALID_INPUT_DATA",
        ),
        (
            "server/reconfigureServer",
            json!({"id": server, "cpuCount": 3, "coresPerSocket": 2}),
            "coresPerSocket",
            "INVALID_INPUT_DATA",
        ),
        (
            "server/reconfigureServer",
            json!({"id": server, "cpuSpeed": "FAST"}),
            "cpuSpeed",
            "INVALID_INPUT_DATA",
        ),
        (
            "server/deployServer",
            json!({"name": "t", "imageId": image, "start": true, "administratorPassword": "Passw0rd!", "memoryGb": 999, "networkInfo": nic}),
            "memoryGb",
            "EXCEEDS_LIMIT",
        ),
        (
            "server/addDisk",
            json!({"serverId": server, "sizeGb": 5000, "speed": "STANDARD"}),
            "sizeGb",
            "EXCEEDS_LIMIT",
        ),
        (
            "network/createFirewallRule",
            json!({"networkDomainId": nd, "name": "r", "action": "ACCEPT_DECISIVELY", "enabled": true, "placement": {"position": "LAST"}, "ipVersion": "IPV4", "protocol": "TCP", "source": {"ip": {"address": "ANY"}}, "destination": {"ip": {"address": "ANY"}, "port": {"begin": 70000}}}),
            "destination.port.begin",
            "INVALID_INPUT_DATA",
        ),
        (
            "network/createNatRule",
            json!({"networkDomainId": nd, "internalIp": "10.0.1.256"}),
            "internalIp",
            "INVALID_INPUT_DATA",
        ),
        // Unknown fields.
        (
            "network/deployVlan",
            json!({"networkDomainId": nd, "name": "w", "privateIpv4NetworkAddress": "10.0.2.0", "privateIpv4PrefixSize": 24, "attachedVlan": {"gatewayAddressing": "LOW"}, "colour": "blue"}),
            "colour",
            "INVALID_INPUT_DATA",
        ),
        (
            "server/deployServer",
            json!({"name": "t", "imageId": image, "start": true, "administratorPassword": "Passw0rd!", "networkInfo": {"networkDomainId": nd, "primaryNic": {"vlanId": vlan, "speed": 10}}}),
            "speed",
            "INVALID_INPUT_DATA",
        ),
        (
            "network/createNatRule",
            json!({"networkDomainId": nd, "internalIp": "10.0.1.20", "protocol": "TCP"}),
            "protocol",
            "INVALID_INPUT_DATA",
        ),
        (
            "tag/createTagKey",
            json!({"name": "k", "colour": "red"}),
            "colour",
            "INVALID_INPUT_DATA",
        ),
    ];
    let before = emu
        .get(&format!("network/vlan?networkDomainId={nd}"))
        .await
        .1;
    for (op, body, field, code) in cases {
        let r = emu.post(op, body.clone()).await;
        let message = assert_error(&r, 400, code);
        assert!(
            message.contains(field),
            "{op} {body}: the message does not name {field}: {message}"
        );
    }
    // Nothing was created by any of them.
    assert_eq!(
        emu.get(&format!("network/vlan?networkDomainId={nd}"))
            .await
            .1,
        before
    );
    let (_, servers) = emu.get("server/server").await;
    assert_eq!(servers["totalCount"], 1, "{servers}");
    let (_, nat) = emu
        .get(&format!("network/natRule?networkDomainId={nd}"))
        .await;
    assert_eq!(nat["totalCount"], 0, "{nat}");
    let (_, keys) = emu.get("tag/tagKey").await;
    assert_eq!(keys["totalCount"], 0, "{keys}");
}
