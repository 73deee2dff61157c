//! Loopback throughput of the emulator: requests/second for a GET mix and a deploy+poll mix,
//! in memory and with `--state` (fsync per acknowledged write), measured side by side in one run.
//!
//! Run with `cargo bench -p cloudcontrol-emulator` (env `BENCH_SECONDS`, default 3; `BENCH_CLIENTS`, default 8).

use clap::Parser;
use cloudcontrol_emulator::{start, Config, Running, DEMO_ORG_ID};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Setup {
    running: Running,
    nd: String,
    vlan: String,
    server: String,
    image: String,
}

fn url(base: &str, path: &str) -> String {
    format!("{base}/caas/2.9/{DEMO_ORG_ID}/{path}")
}

async fn post(c: &reqwest::Client, base: &str, path: &str, body: Value) -> Value {
    c.post(url(base, path))
        .basic_auth("demo", Some("demo"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn get(c: &reqwest::Client, base: &str, path: &str) -> Value {
    c.get(url(base, path))
        .basic_auth("demo", Some("demo"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn setup(extra: &[&str]) -> Setup {
    let mut args = vec!["cloudcontrol-emulator", "--time-scale", "0"];
    args.extend_from_slice(extra);
    let running = start(Config::parse_from(args)).await.unwrap();
    let c = reqwest::Client::new();
    let b = running.base_url.clone();
    let nd = post(
        &c,
        &b,
        "network/deployNetworkDomain",
        json!({"name": "bench", "type": "ESSENTIALS", "datacenterId": "NA9"}),
    )
    .await["info"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let vlan = post(&c, &b, "network/deployVlan", json!({"networkDomainId": nd, "name": "v", "privateIpv4NetworkAddress": "10.0.0.0", "privateIpv4PrefixSize": 16, "attachedVlan": {"gatewayAddressing": "LOW"}})).await["info"][0]["value"].as_str().unwrap().to_string();
    let image = get(
        &c,
        &b,
        "image/osImage?name=CentOS%207%2064-bit%202%20CPU&datacenterId=NA9",
    )
    .await["osImage"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let server = post(&c, &b, "server/deployServer", json!({"name": "s", "imageId": image, "start": true, "administratorPassword": "Passw0rd!", "networkInfo": {"networkDomainId": nd, "primaryNic": {"vlanId": vlan}}})).await["info"][0]["value"].as_str().unwrap().to_string();
    Setup {
        running,
        nd,
        vlan,
        server,
        image,
    }
}

async fn run<F, Fut>(clients: usize, seconds: u64, f: F) -> f64
where
    F: Fn(reqwest::Client, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = u64> + Send,
{
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..clients {
        let (f, count) = (f.clone(), Arc::clone(&count));
        tasks.push(tokio::spawn(async move {
            let c = reqwest::Client::new();
            while Instant::now() < deadline {
                count.fetch_add(f(c.clone(), i).await, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

async fn get_mix(s: &Setup, clients: usize, seconds: u64) -> f64 {
    let (b, nd, vlan, server) = (
        s.running.base_url.clone(),
        s.nd.clone(),
        s.vlan.clone(),
        s.server.clone(),
    );
    run(clients, seconds, move |c, _| {
        let (b, nd, vlan, server) = (b.clone(), nd.clone(), vlan.clone(), server.clone());
        async move {
            get(&c, &b, &format!("network/networkDomain/{nd}")).await;
            get(&c, &b, &format!("network/vlan/{vlan}")).await;
            get(&c, &b, &format!("server/server/{server}")).await;
            get(
                &c,
                &b,
                &format!("server/server?networkDomainId={nd}&pageSize=50"),
            )
            .await;
            4
        }
    })
    .await
}

async fn deploy_poll_mix(s: &Setup, clients: usize, seconds: u64) -> f64 {
    let (b, nd, vlan, image) = (
        s.running.base_url.clone(),
        s.nd.clone(),
        s.vlan.clone(),
        s.image.clone(),
    );
    run(clients, seconds, move |c, i| {
        let (b, nd, vlan, image) = (b.clone(), nd.clone(), vlan.clone(), image.clone());
        async move {
            let v = post(&c, &b, "server/deployServer", json!({"name": format!("w{i}"), "imageId": image, "start": false,
                "administratorPassword": "Passw0rd!", "networkInfo": {"networkDomainId": nd, "primaryNic": {"vlanId": vlan}}})).await;
            let id = v["info"][0]["value"].as_str().unwrap().to_string();
            let mut n = 1;
            loop {
                n += 1;
                if get(&c, &b, &format!("server/server/{id}")).await["state"] == "NORMAL" {
                    break;
                }
            }
            post(&c, &b, "server/deleteServer", json!({"id": id})).await;
            n + 1
        }
    })
    .await
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let clients: usize = std::env::var("BENCH_CLIENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("bench-state.json");
    let memory = setup(&[]).await;
    let persisted = setup(&["--state", state.to_str().unwrap()]).await;

    println!("cloudcontrol-emulator loopback throughput ({clients} clients, {seconds} s per row)");
    println!(
        "{:<28} {:>14} {:>14} {:>8}",
        "mix", "in-memory r/s", "--state r/s", "ratio"
    );
    let g_mem = get_mix(&memory, clients, seconds).await;
    let g_disk = get_mix(&persisted, clients, seconds).await;
    println!(
        "{:<28} {:>14.0} {:>14.0} {:>8.2}",
        "GET (ND, VLAN, server, list)",
        g_mem,
        g_disk,
        g_disk / g_mem
    );
    let d_mem = deploy_poll_mix(&memory, clients, seconds).await;
    let d_disk = deploy_poll_mix(&persisted, clients, seconds).await;
    println!(
        "{:<28} {:>14.0} {:>14.0} {:>8.2}",
        "deploy+poll+delete server",
        d_mem,
        d_disk,
        d_disk / d_mem
    );
}
