//! The network domain's load balancer on real nodes: the node-backed emulator (every server a
//! Debian node behind its domain's router, `tests/node-backing`) serves a virtual listener with
//! HAProxy in the router. Two nodes answer HTTP with their names; through the API, a pool of
//! both with the default HTTP health monitor and a listener on a public address:
//!
//! 1. with a firewall rule for it, the listener answers from both nodes;
//! 2. without, the connection is dropped, as at the domain's edge for NAT addresses;
//! 3. with one node powered off, every request is answered by the other;
//! 4. a disabled pool member gets no traffic;
//! 5. with the listener deleted, its address answers no more.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context as _, Result};
use e2e::node_backing::{self, NodeBackedCloud};
use serde_json::{json, Value};

/// 100x faster than the real API: a deploy is about a node's boot.
const TIME_SCALE: &str = "0.01";
/// The servers' administrator password (policy: upper, lower, digit, symbol).
const PASSWORD: &str = "Balanced-Nodes-5k!";
const VIP: &str = "networkDomainVip";
/// How long one request through the listener may take (a dropped one times out: curl's 28).
const REQUEST_SECS: u32 = 3;
/// A one-connection-at-a-time HTTP server answering its first argument (perl-base has
/// everything it needs; the nodes have no other language).
const WEB: &str = r#"use IO::Socket::INET;
my $s = IO::Socket::INET->new(LocalPort => 8080, Listen => 16, ReuseAddr => 1) or die "listen: $!";
while (my $c = $s->accept) {
  while (defined(my $l = <$c>)) { last if $l eq "\r\n" || $l eq "\n" }
  print $c "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n$ARGV[0]\n";
  close $c;
}"#;

/// Waits up to `within` for `count` answers in a row that all satisfy `good`.
fn until_answers(
    cloud: &NodeBackedCloud,
    url: &str,
    count: usize,
    within: Duration,
    good: impl Fn(&str) -> bool,
) -> Result<Vec<String>> {
    let started = Instant::now();
    loop {
        let got: Vec<Result<String, i32>> = (0..count)
            .map(|_| cloud.fetch(url, REQUEST_SECS))
            .collect::<Result<_>>()?;
        if got.iter().all(|a| a.as_deref().is_ok_and(&good)) {
            return Ok(got.into_iter().flatten().collect());
        }
        if started.elapsed() > within {
            bail!("{url}: not {count} good answers in a row after {within:?}; last: {got:?}");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn catalog_id(cloud: &NodeBackedCloud, nd: &str, catalog: &str, name: &str) -> Result<String> {
    let list = cloud.api(&format!("{VIP}/{catalog}?networkDomainId={nd}"), None)?;
    list[catalog]
        .as_array()
        .and_then(|all| all.iter().find(|e| e["name"] == name))
        .and_then(|e| e["id"].as_str())
        .map(str::to_owned)
        .with_context(|| format!("no {name} in {list}"))
}

#[test]
fn a_virtual_listener_balances_over_live_nodes_behind_the_firewall() -> Result<()> {
    let Some(cloud) = node_backing::acquire(TIME_SCALE) else {
        return Ok(());
    };
    let boot = Duration::from_secs(240);

    let nd = cloud.api_ok(
        "network/deployNetworkDomain",
        &json!({"name": "balanced", "type": "ADVANCED", "datacenterId": "NA9"}),
    )?;
    cloud.api_wait(&format!("network/networkDomain/{nd}"), "NORMAL", boot)?;
    let vlan = cloud.api_ok(
        "network/deployVlan",
        &json!({"networkDomainId": nd, "name": "web", "privateIpv4NetworkAddress": "10.0.0.0",
                "privateIpv4PrefixSize": 24, "attachedVlan": {"gatewayAddressing": "LOW"}}),
    )?;
    cloud.api_wait(&format!("network/vlan/{vlan}"), "NORMAL", boot)?;
    cloud.api_ok("network/addPublicIpBlock", &json!({"networkDomainId": nd}))?;
    let images = cloud.api(
        "image/osImage?name=Rocky%20Linux%208%2064-bit%202%20CPU&datacenterId=NA9",
        None,
    )?;
    let image = images["osImage"][0]["id"]
        .as_str()
        .with_context(|| format!("no image: {images}"))?
        .to_owned();

    // Two web nodes.
    let mut servers = Vec::new();
    for (name, ip) in [("web1", "10.0.0.11"), ("web2", "10.0.0.12")] {
        let id = cloud.api_ok(
            "server/deployServer",
            &json!({"name": name, "imageId": image, "start": true, "administratorPassword": PASSWORD,
                    "cpu": {"count": 1, "coresPerSocket": 1, "speed": "STANDARD"}, "memoryGb": 1,
                    "networkInfo": {"networkDomainId": nd, "primaryNic": {"privateIpv4": ip}}}),
        )?;
        servers.push((name, ip, id));
    }
    for (name, _, id) in &servers {
        cloud.api_wait(&format!("server/server/{id}"), "NORMAL", boot)?;
        let out = cloud.exec(
            name,
            &["systemd-run", "--unit=web", "perl", "-e", WEB, name],
        );
        ensure!(
            out.status.success(),
            "starting the web server on {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // The load balancer: a node per server, a pool with the HTTP monitor, a public listener.
    let http = catalog_id(&cloud, &nd, "defaultHealthMonitor", "CCDEFAULT.Http")?;
    let pool = cloud.api_ok(
        &format!("{VIP}/createPool"),
        &json!({"networkDomainId": nd, "name": "web", "loadBalanceMethod": "ROUND_ROBIN",
                "healthMonitorId": [http], "serviceDownAction": "RESELECT", "slowRampTime": 10}),
    )?;
    let mut members = Vec::new();
    for (name, ip, _) in &servers {
        let node = cloud.api_ok(
            &format!("{VIP}/createNode"),
            &json!({"networkDomainId": nd, "name": name, "ipv4Address": ip, "status": "ENABLED",
                    "connectionLimit": 20000, "connectionRateLimit": 2000}),
        )?;
        members.push(cloud.api_ok(
            &format!("{VIP}/addPoolMember"),
            &json!({"poolId": pool, "nodeId": node, "port": 8080, "status": "ENABLED"}),
        )?);
    }
    let listener = cloud.api_ok(
        &format!("{VIP}/createVirtualListener"),
        &json!({"networkDomainId": nd, "name": "web.vip", "type": "STANDARD", "protocol": "TCP",
                "optimizationProfile": "TCP", "port": 80, "enabled": true, "poolId": pool,
                "connectionLimit": 20000, "connectionRateLimit": 2000,
                "sourcePortPreservation": "PRESERVE"}),
    )?;
    let address = cloud.api(&format!("{VIP}/virtualListener/{listener}"), None)?
        ["listenerIpAddress"]
        .as_str()
        .context("the listener's address")?
        .to_owned();
    let url = format!("http://{address}/");

    // 1. With a firewall rule for it, both nodes answer once their health checks pass.
    let rule = json!({"networkDomainId": nd, "name": "web_in", "action": "ACCEPT_DECISIVELY",
                      "ipVersion": "IPV4", "protocol": "TCP", "source": {"ip": {"address": "ANY"}},
                      "destination": {"ip": {"address": address}, "port": {"begin": 80}},
                      "placement": {"position": "FIRST"}});
    let rule_id = cloud.api_ok("network/createFirewallRule", &rule)?;
    let both: BTreeSet<String> = until_answers(&cloud, &url, 6, boot, |_| true)?
        .into_iter()
        .collect();
    ensure!(
        both == BTreeSet::from(["web1".to_owned(), "web2".to_owned()]),
        "round robin over both nodes, got {both:?}"
    );

    // 2. Without the rule, the connection is dropped: no answer, not even a refusal.
    cloud.api_ok("network/deleteFirewallRule", &json!({"id": rule_id}))?;
    let dropped = cloud.fetch(&url, REQUEST_SECS)?;
    ensure!(
        dropped == Err(28),
        "{url} with no firewall rule: {dropped:?}, not a timeout"
    );
    cloud.api_ok("network/createFirewallRule", &rule)?;
    until_answers(&cloud, &url, 2, boot, |_| true)?;

    // 3. web1 powered off: web2 answers everything.
    let web1 = &servers[0].2;
    cloud.api_ok("server/powerOffServer", &json!({"id": web1}))?;
    let stopped = cloud.api_wait(&format!("server/server/{web1}"), "NORMAL", boot)?;
    ensure!(stopped["started"] == false, "web1 still started: {stopped}");
    let took = Instant::now();
    until_answers(&cloud, &url, 10, Duration::from_secs(30), |a| a == "web2")?;
    eprintln!(
        "MEASURED listener answered only from web2 {:.1} s after web1's power-off completed",
        took.elapsed().as_secs_f64()
    );

    // 4. web1 back, web2's member disabled: web1 answers everything.
    cloud.api_ok("server/startServer", &json!({"id": web1}))?;
    cloud.api_wait(&format!("server/server/{web1}"), "NORMAL", boot)?;
    let out = cloud.exec(
        "web1",
        &["systemd-run", "--unit=web", "perl", "-e", WEB, "web1"],
    );
    ensure!(out.status.success(), "restarting web1's server");
    cloud.api_ok(
        &format!("{VIP}/editPoolMember"),
        &json!({"id": members[1], "status": "DISABLED"}),
    )?;
    until_answers(&cloud, &url, 10, Duration::from_secs(30), |a| a == "web1")?;

    // 5. The listener deleted: its address is gone.
    cloud.api_ok(
        &format!("{VIP}/deleteVirtualListener"),
        &json!({"id": listener}),
    )?;
    let gone = cloud.fetch(&url, REQUEST_SECS)?;
    ensure!(
        gone.is_err(),
        "{url} still answers after the listener was deleted: {gone:?}"
    );
    let failed: Vec<Value> = cloud
        .backing_events()?
        .into_iter()
        .filter(|e| e["state"] == "failed")
        .collect();
    ensure!(failed.is_empty(), "node backing failures: {failed:?}");
    Ok(())
}
