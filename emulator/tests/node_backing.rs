//! `--node-backing PROGRAM` with a recording program: which events PROGRAM gets for each API
//! operation, what they carry, that operations waiting for machines stay PENDING_* until PROGRAM
//! is done, that a failed deploy ends in FAILED_ADD with PROGRAM's reason, and that the
//! administrator password reaches PROGRAM's stdin only.

mod common;

use common::emulator;
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const PASSWORD: &str = "Backed-Passw0rd!";

/// A backing program that appends every event to `events.jsonl`, takes `delay` seconds, and
/// fails deploys of servers named `broken` with a reason on its last stderr line.
fn recorder(dir: &Path, delay: &str) -> PathBuf {
    let program = dir.join("backing");
    let log = dir.join("events.jsonl");
    std::fs::write(
        &program,
        format!(
            "#!/bin/sh\nevent=$(cat)\nprintf '%s\\n' \"$event\" >> {log}\nsleep {delay}\n\
             case $event in *'\"name\":\"broken\"'*'\"event\":\"server.deploy\"'*|*'\"event\":\"server.deploy\"'*'\"name\":\"broken\"'*)\n\
             echo 'preparing broken' >&2; echo 'broken: no loop device left for disk 1' >&2; exit 1;; esac\nexit 0\n",
            log = log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    program
}

fn events(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("events.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

async fn wait_for(
    emu: &common::Emu,
    path: &str,
    state: &str,
    within: Duration,
) -> (Value, Duration) {
    let started = Instant::now();
    loop {
        let (_, v) = emu.get(path).await;
        if v["state"] == state {
            return (v, started.elapsed());
        }
        assert!(
            started.elapsed() < within,
            "{path} not {state} in {within:?}: {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn backing_records(emu: &common::Emu) -> Value {
    emu.client
        .get(format!("{}/_emulator/backing", emu.running.base_url))
        .basic_auth("demo", Some("demo"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_events_reach_the_program_and_hold_operations_until_it_is_done() {
    let dir = tempfile::tempdir().unwrap();
    let program = recorder(dir.path(), "0.4");
    let program = program.to_str().unwrap();
    let emu = emulator(&[
        "--node-backing",
        program,
        "--public-ipv4-pool",
        "100.99.0.0/16",
    ])
    .await;

    // the start check
    let all = events(dir.path());
    assert_eq!(all[0]["event"], "backing.start");
    assert_eq!(all[0]["publicIpv4Pool"], "100.99.0.0/16");

    // a network domain: held until the program is done (time scale 0 would be instant)
    let nd = emu.domain("backed", "NA9").await;
    let (domain, took) = wait_for(
        &emu,
        &format!("network/networkDomain/{nd}"),
        "NORMAL",
        Duration::from_secs(10),
    )
    .await;
    assert!(
        took >= Duration::from_millis(300),
        "NORMAL after {took:?}, before the program was done"
    );
    assert_eq!(domain["snatIpv4Address"], "100.99.1.0", "{domain}");
    let deploy = events(dir.path()).pop().unwrap();
    assert_eq!(deploy["event"], "networkDomain.deploy");
    assert_eq!(deploy["networkDomain"]["id"], nd.as_str());
    assert_eq!(
        deploy["rules"].as_array().unwrap().len(),
        5,
        "default rules: {deploy}"
    );

    let vlan = emu.vlan(&nd, "nodes", "10.0.0.0", 24).await;
    wait_for(
        &emu,
        &format!("network/vlan/{vlan}"),
        "NORMAL",
        Duration::from_secs(10),
    )
    .await;
    let v = events(dir.path()).pop().unwrap();
    assert_eq!(v["event"], "vlan.deploy");
    assert_eq!(
        v["vlan"]["ipv4"],
        json!({"network": "10.0.0.0", "prefixSize": 24, "gateway": "10.0.0.1"})
    );
    assert!(
        v["vlan"]["ipv6"]["network"]
            .as_str()
            .unwrap()
            .starts_with("fdcc:cc00:"),
        "{v}"
    );

    // a server: its deploy carries the password on stdin, nowhere else
    let image = emu.image("Rocky Linux 8 64-bit 2 CPU", "NA9").await;
    let deploy_server = |name: &str, ip: &str| {
        json!({"name": name, "imageId": image, "start": true, "administratorPassword": PASSWORD,
               "cpu": {"count": 2, "coresPerSocket": 1, "speed": "STANDARD"}, "memoryGb": 4,
               "networkInfo": {"networkDomainId": nd, "primaryNic": {"privateIpv4": ip}, "additionalNic": null}})
    };
    let server = emu
        .ok("server/deployServer", deploy_server("node1", "10.0.0.11"))
        .await;
    let (s, _) = wait_for(
        &emu,
        &format!("server/server/{server}"),
        "NORMAL",
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(s["started"], true);
    let e = events(dir.path()).pop().unwrap();
    assert_eq!(e["event"], "server.deploy");
    assert_eq!(e["adminPassword"], PASSWORD);
    assert_eq!(e["server"]["started"], true);
    assert_eq!(e["server"]["cpuCount"], 2);
    assert_eq!(e["server"]["image"]["name"], "Rocky Linux 8 64-bit 2 CPU");
    let nic = &e["server"]["nics"][0];
    assert_eq!(nic["privateIpv4"], "10.0.0.11");
    assert_eq!(nic["ipv4Gateway"], "10.0.0.1");
    assert_eq!(nic["ipv4PrefixSize"], 24);
    assert_eq!(e["networkDomain"]["snatIpv4"], "100.99.1.0");

    // a failed deploy: FAILED_ADD with the program's last stderr line
    let broken = emu
        .ok("server/deployServer", deploy_server("broken", "10.0.0.12"))
        .await;
    let (b, _) = wait_for(
        &emu,
        &format!("server/server/{broken}"),
        "FAILED_ADD",
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(
        b["progress"]["failureReason"], "broken: no loop device left for disk 1",
        "{b}"
    );

    // power operations and an extra disk
    emu.ok("server/shutdownServer", json!({"id": server})).await;
    wait_for(
        &emu,
        &format!("server/server/{server}"),
        "NORMAL",
        Duration::from_secs(10),
    )
    .await;
    emu.ok(
        "server/addDisk",
        json!({"serverId": server, "sizeGb": 20, "speed": "STANDARD"}),
    )
    .await;
    wait_for(
        &emu,
        &format!("server/server/{server}"),
        "NORMAL",
        Duration::from_secs(10),
    )
    .await;
    emu.ok("server/startServer", json!({"id": server})).await;
    wait_for(
        &emu,
        &format!("server/server/{server}"),
        "NORMAL",
        Duration::from_secs(10),
    )
    .await;
    let kinds: Vec<String> = events(dir.path())
        .iter()
        .filter(|e| e["server"]["id"] == server.as_str())
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "server.deploy",
            "server.shutdown",
            "server.update",
            "server.start"
        ]
    );
    let update = events(dir.path())
        .into_iter()
        .find(|e| e["event"] == "server.update")
        .unwrap();
    assert_eq!(
        update["server"]["disks"].as_array().unwrap().len(),
        2,
        "{update}"
    );
    assert_eq!(update["server"]["started"], false);
    assert!(update.get("adminPassword").is_none(), "{update}");

    // NAT and firewall
    emu.ok("network/addPublicIpBlock", json!({"networkDomainId": nd}))
        .await;
    emu.ok(
        "network/createNatRule",
        json!({"networkDomainId": nd, "internalIp": "10.0.0.11"}),
    )
    .await;
    emu.ok(
        "network/createFirewallRule",
        json!({"networkDomainId": nd, "name": "node1_ssh", "action": "ACCEPT_DECISIVELY", "ipVersion": "IPV4",
               "protocol": "TCP", "source": {"ip": {"address": "ANY"}},
               "destination": {"ip": {"address": "100.99.2.0"}, "port": {"begin": 22}},
               "placement": {"position": "FIRST"}}),
    )
    .await;
    // synchronous operations answer once the program is done with their events
    let records = backing_records(&emu).await;
    let fw_record = records["event"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|r| r["event"] == "firewall.update")
        .cloned()
        .expect("a firewall.update record");
    assert_eq!(fw_record["state"], "succeeded", "{records}");
    let all = events(dir.path());
    let nat = all.iter().find(|e| e["event"] == "natRule.create").unwrap();
    assert_eq!(nat["natRule"]["externalIpv4"], "100.99.2.0");
    assert_eq!(nat["natRule"]["internalIpv4"], "10.0.0.11");
    let fw = all
        .iter()
        .rev()
        .find(|e| e["event"] == "firewall.update")
        .unwrap();
    let rules = fw["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 6);
    assert_eq!(
        rules[0]["name"], "node1_ssh",
        "placement FIRST comes first: {fw}"
    );
    assert_eq!(
        rules[0]["destination"],
        json!({"addresses": ["100.99.2.0"], "ports": ["22"]})
    );
    assert_eq!(
        rules[0]["source"],
        json!({"addresses": null, "ports": null})
    );

    // Rules on lists reach the machines expanded, nested lists included, and follow list edits.
    let ops = emu
        .ok(
            "network/createIpAddressList",
            json!({"networkDomainId": nd, "name": "ops", "ipVersion": "IPV4",
                   "ipAddress": [{"begin": "192.0.2.0", "prefixSize": 28}]}),
        )
        .await;
    let admins = emu
        .ok(
            "network/createIpAddressList",
            json!({"networkDomainId": nd, "name": "admins", "ipVersion": "IPV4",
                   "ipAddress": [{"begin": "198.51.100.1", "end": "198.51.100.9"}],
                   "childIpAddressListId": [ops]}),
        )
        .await;
    let ports = emu
        .ok(
            "network/createPortList",
            json!({"networkDomainId": nd, "name": "masters",
                   "port": [{"begin": 5050}, {"begin": 8080, "end": 8081}]}),
        )
        .await;
    emu.ok(
        "network/createFirewallRule",
        json!({"networkDomainId": nd, "name": "masters_in", "action": "ACCEPT_DECISIVELY", "ipVersion": "IPV4",
               "protocol": "TCP", "source": {"ipAddressListId": admins},
               "destination": {"ip": {"address": "ANY"}, "portListId": ports},
               "placement": {"position": "LAST"}}),
    )
    .await;
    let masters_in = |events: &[Value]| {
        events
            .iter()
            .rev()
            .find(|e| e["event"] == "firewall.update")
            .and_then(|e| e["rules"].as_array().cloned())
            .and_then(|rules| rules.into_iter().find(|r| r["name"] == "masters_in"))
            .expect("masters_in in the last firewall.update")
    };
    let rule = masters_in(&events(dir.path()));
    assert_eq!(
        rule["source"]["addresses"],
        json!(["198.51.100.1-198.51.100.9", "192.0.2.0/28"])
    );
    assert_eq!(
        rule["destination"],
        json!({"addresses": null, "ports": ["5050", "8080-8081"]})
    );
    emu.ok(
        "network/editPortList",
        json!({"id": ports, "port": [{"begin": 5051}]}),
    )
    .await;
    let rule = masters_in(&events(dir.path()));
    assert_eq!(rule["destination"]["ports"], json!(["5051"]));

    // delete: held until the program has removed the node
    emu.ok("server/powerOffServer", json!({"id": server})).await;
    wait_for(
        &emu,
        &format!("server/server/{server}"),
        "NORMAL",
        Duration::from_secs(10),
    )
    .await;
    let (status, _) = emu.post("server/deleteServer", json!({"id": server})).await;
    assert_eq!(status, 200);
    let (_, pending) = emu.get(&format!("server/server/{server}")).await;
    assert_eq!(pending["state"], "PENDING_DELETE");

    // every event recorded, the failure with its reason, the password nowhere
    let records = backing_records(&emu).await;
    assert_eq!(records["nodeBacking"], true);
    let text = records.to_string();
    assert!(!text.contains(PASSWORD), "{text}");
    let failed: Vec<&Value> = records["event"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["state"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{records}");
    assert_eq!(failed[0]["assetName"], "broken");
    assert_eq!(
        failed[0]["reason"],
        "broken: no loop device left for disk 1"
    );
}

#[tokio::test]
async fn a_public_pool_outside_shared_address_space_is_refused() {
    let config = <cloudcontrol_emulator::Config as clap::Parser>::parse_from([
        "cloudcontrol-emulator",
        "--public-ipv4-pool",
        "165.180.0.0/16",
    ]);
    let err = cloudcontrol_emulator::start(config)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("outside 100.64.0.0/10"), "{err:#}");
}

/// The member of `update`'s first listener's pool on `address` (members come in no set order).
fn member_on(update: &Value, address: &str) -> Value {
    update["listeners"][0]["pool"]["members"]
        .as_array()
        .and_then(|members| members.iter().find(|m| m["address"] == address))
        .cloned()
        .unwrap_or_else(|| panic!("no member on {address} in {update}"))
}

/// The last `loadBalancer.update` the program got.
fn last_load_balancer(dir: &Path) -> Value {
    events(dir)
        .into_iter()
        .rev()
        .find(|e| e["event"] == "loadBalancer.update")
        .expect("a loadBalancer.update event")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_balancer_changes_reach_the_program_as_the_domains_whole_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let program = recorder(dir.path(), "0");
    let emu = emulator(&["--node-backing", program.to_str().unwrap()]).await;
    let vip = "networkDomainVip";
    let nd = emu
        .ok(
            "network/deployNetworkDomain",
            json!({"name": "lb", "type": "ADVANCED", "datacenterId": "NA9"}),
        )
        .await;
    wait_for(
        &emu,
        &format!("network/networkDomain/{nd}"),
        "NORMAL",
        Duration::from_secs(10),
    )
    .await;
    emu.ok("network/addPublicIpBlock", json!({"networkDomainId": nd}))
        .await;
    let (_, monitors) = emu
        .get(&format!("{vip}/defaultHealthMonitor?networkDomainId={nd}"))
        .await;
    let monitor = |name: &str| {
        monitors["defaultHealthMonitor"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap()["id"]
            .clone()
    };

    // Nodes and a pool alone change nothing the machines serve.
    let node = |name: &str, ip: &str| {
        json!({"networkDomainId": nd, "name": name, "ipv4Address": ip, "status": "ENABLED",
               "healthMonitorId": monitor("CCDEFAULT.Icmp"),
               "connectionLimit": 20000, "connectionRateLimit": 2000})
    };
    let first = emu
        .ok(&format!("{vip}/createNode"), node("master1", "10.0.0.11"))
        .await;
    let second = emu
        .ok(&format!("{vip}/createNode"), node("master2", "10.0.0.12"))
        .await;
    let pool = emu
        .ok(
            &format!("{vip}/createPool"),
            json!({"networkDomainId": nd, "name": "marathon", "loadBalanceMethod": "ROUND_ROBIN",
                   "healthMonitorId": [monitor("CCDEFAULT.Http")],
                   "serviceDownAction": "RESELECT", "slowRampTime": 10}),
        )
        .await;
    for node in [&first, &second] {
        emu.ok(
            &format!("{vip}/addPoolMember"),
            json!({"poolId": pool, "nodeId": node, "port": 8080, "status": "ENABLED"}),
        )
        .await;
    }
    assert!(
        !events(dir.path())
            .iter()
            .any(|e| e["event"] == "loadBalancer.update"),
        "no listener yet, nothing to serve"
    );

    // A listener on the pool: the whole configuration, members with their addresses.
    let listener = emu
        .ok(
            &format!("{vip}/createVirtualListener"),
            json!({"networkDomainId": nd, "name": "marathon.vip", "type": "STANDARD",
                   "protocol": "TCP", "optimizationProfile": "TCP", "port": 8080,
                   "enabled": true, "poolId": pool,
                   "connectionLimit": 20000, "connectionRateLimit": 2000,
                   "sourcePortPreservation": "PRESERVE"}),
        )
        .await;
    let (_, created) = emu.get(&format!("{vip}/virtualListener/{listener}")).await;
    let update = last_load_balancer(dir.path());
    assert_eq!(update["networkDomain"]["id"], nd.as_str());
    let listeners = update["listeners"].as_array().unwrap();
    assert_eq!(listeners.len(), 1, "{update}");
    let l = &listeners[0];
    assert_eq!(l["id"], listener.as_str());
    assert_eq!(l["ipv4"], created["listenerIpAddress"], "{update}");
    assert_eq!(l["port"], 8080);
    assert_eq!(l["protocol"], "TCP");
    assert_eq!(l["enabled"], true);
    assert_eq!(l["pool"]["loadBalanceMethod"], "ROUND_ROBIN");
    assert_eq!(l["pool"]["healthMonitors"], json!(["CCDEFAULT.Http"]));
    assert_eq!(
        l["pool"]["members"].as_array().unwrap().len(),
        2,
        "{update}"
    );
    let first = member_on(&update, "10.0.0.11");
    assert_eq!(first["port"], 8080);
    assert_eq!(first["enabled"], true);
    assert_eq!(first["nodeHealthMonitor"], "CCDEFAULT.Icmp");

    // A disabled node takes its members out of service.
    emu.ok(
        &format!("{vip}/editNode"),
        json!({"id": second, "status": "DISABLED"}),
    )
    .await;
    let update = last_load_balancer(dir.path());
    assert_eq!(
        member_on(&update, "10.0.0.12")["enabled"],
        false,
        "{update}"
    );
    assert_eq!(member_on(&update, "10.0.0.11")["enabled"], true, "{update}");

    // The listener gone: an update with none, so the machines stop serving its address.
    emu.ok(
        &format!("{vip}/deleteVirtualListener"),
        json!({"id": listener}),
    )
    .await;
    let update = last_load_balancer(dir.path());
    assert_eq!(update["listeners"], json!([]), "{update}");
}
