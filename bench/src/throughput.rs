//! Row 6: the emulator's throughput on loopback, in requests per second, in memory and with
//! `--state` (every acknowledged write fsynced before its answer), for a read mix and a
//! deploy, poll and delete mix. There is no target: each figure is compared with the same figure
//! of the previous run of the same kind (`--quick` or full) kept in the output folder, so a
//! regression shows.

use crate::previous::Previous;
use crate::table::{Figure, Verdict};
use anyhow::{Context, Result};
use e2e::emulator::Emulator;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A figure below this fraction of the previous run's is a regression.
const REGRESSION: f64 = 0.8;

/// Ids of what the mixes work on, created before the clock starts.
#[derive(Clone)]
struct Assets {
    /// The API root of the emulator's organisation, `http://127.0.0.1:PORT/caas/2.9/{org}/`.
    base: String,
    domain: String,
    vlan: String,
    server: String,
    image: String,
}

/// Measures both mixes against an in-memory and a persisting emulator.
pub fn run(quick: bool, previous: &Previous) -> Result<Vec<Figure>> {
    let seconds = if quick { 2 } else { 6 };
    let clients = 8;
    let dir = tempfile::tempdir().context("a folder for the state file")?;
    let state = dir.path().join("state.json");
    let state_arg = state.to_string_lossy().into_owned();
    let memory = Emulator::start_with(&["--time-scale", "0"])?;
    let persisted = Emulator::start_with(&["--time-scale", "0", "--state", &state_arg])?;
    let memory_assets = prepare(&memory)?;
    let persisted_assets = prepare(&persisted)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("a Tokio runtime")?;
    let window = Duration::from_secs(seconds);
    let mut figures = Vec::new();
    let cases: [(&str, &str, &Assets, bool); 4] = [
        ("6.get.memory", "GET mix, in memory", &memory_assets, false),
        ("6.get.state", "GET mix, --state", &persisted_assets, false),
        (
            "6.deploy.memory",
            "deploy+poll+delete mix, in memory",
            &memory_assets,
            true,
        ),
        (
            "6.deploy.state",
            "deploy+poll+delete mix, --state",
            &persisted_assets,
            true,
        ),
    ];
    for (id, what, assets, writes) in cases {
        let rate = runtime.block_on(measure(assets.clone(), clients, window, writes))?;
        figures.push(judge(id, what, rate, previous, clients, seconds));
    }
    drop((memory, persisted));
    Ok(figures)
}

fn judge(
    id: &str,
    what: &str,
    rate: f64,
    previous: &Previous,
    clients: usize,
    seconds: u64,
) -> Figure {
    let label = format!("emulator throughput: {what}");
    let measured = format!("{rate:.0} req/s");
    let base = format!("{clients} clients, {seconds} s, loopback");
    match previous.value(id) {
        Some(before) if before > 0.0 => {
            let ratio = rate / before;
            Figure::new(
                id,
                6,
                &label,
                measured,
                &format!(">= {REGRESSION}x last run"),
            )
            .judged(rate, Verdict::of(ratio >= REGRESSION))
            .note(format!(
                "{base}; last run {before:.0} req/s, now {ratio:.2}x"
            ))
        }
        _ => Figure::new(
            id,
            6,
            &label,
            measured,
            "recorded (no earlier run of this kind)",
        )
        .judged(rate, Verdict::Recorded)
        .note(base),
    }
}

/// Creates a network domain, a VLAN and a server to read, and finds an image to deploy.
fn prepare(emulator: &Emulator) -> Result<Assets> {
    let id = |reply: Value| -> Result<String> {
        reply["info"][0]["value"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("no id in {reply}"))
    };
    let domain = id(emulator.action(
        "network/deployNetworkDomain",
        json!({"name": "bench", "type": "ESSENTIALS", "datacenterId": "NA9"}),
    )?)?;
    let vlan = id(emulator.action(
        "network/deployVlan",
        json!({"networkDomainId": domain, "name": "bench", "privateIpv4NetworkAddress": "10.0.0.0",
                "privateIpv4PrefixSize": 16, "attachedVlan": {"gatewayAddressing": "LOW"}}),
    )?)?;
    let prefix = format!("/caas/2.9/{}/", emulator.org_id()?);
    let images = emulator.get(&format!(
        "{prefix}image/osImage?name=Rocky%20Linux%208%2064-bit%202%20CPU&datacenterId=NA9"
    ))?;
    let image = images["osImage"][0]["id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no Rocky Linux 8 image: {images}"))?;
    let server = id(emulator.action(
        "server/deployServer",
        deploy_body("reader", &image, &domain, &vlan),
    )?)?;
    Ok(Assets {
        base: format!("{}{prefix}", emulator.base_url()),
        domain,
        vlan,
        server,
        image,
    })
}

fn deploy_body(name: &str, image: &str, domain: &str, vlan: &str) -> Value {
    json!({"name": name, "imageId": image, "start": false, "administratorPassword": "Bench-Passw0rd!",
           "networkInfo": {"networkDomainId": domain, "primaryNic": {"vlanId": vlan}}})
}

/// Runs `clients` loops of one mix for `window`; returns answered requests per second.
async fn measure(assets: Assets, clients: usize, window: Duration, writes: bool) -> Result<f64> {
    let answered = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + window;
    let mut workers = Vec::new();
    for worker in 0..clients {
        let (assets, answered) = (assets.clone(), Arc::clone(&answered));
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut round = 0u64;
            while Instant::now() < deadline {
                let done = if writes {
                    deploy_poll_delete(&client, &assets, &format!("w{worker}-{round}")).await?
                } else {
                    read_round(&client, &assets).await?
                };
                answered.fetch_add(done, Ordering::Relaxed);
                round += 1;
            }
            anyhow::Ok(())
        }));
    }
    for worker in workers {
        worker.await.context("a client task")??;
    }
    Ok(answered.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

async fn call(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Value> {
    let url = format!("{base}{path}");
    let request = match body {
        Some(body) => client.post(url).json(body),
        None => client.get(url),
    };
    let response = request
        .basic_auth("demo", Some("demo"))
        .send()
        .await
        .with_context(|| path.to_owned())?;
    let status = response.status();
    let value: Value = response
        .json()
        .await
        .with_context(|| format!("{path}: body"))?;
    anyhow::ensure!(status.is_success(), "{path} answered {status}: {value}");
    Ok(value)
}

/// Four reads: the domain, the VLAN, the server and the domain's server list.
async fn read_round(client: &reqwest::Client, a: &Assets) -> Result<u64> {
    call(
        client,
        &a.base,
        &format!("network/networkDomain/{}", a.domain),
        None,
    )
    .await?;
    call(client, &a.base, &format!("network/vlan/{}", a.vlan), None).await?;
    call(
        client,
        &a.base,
        &format!("server/server/{}", a.server),
        None,
    )
    .await?;
    call(
        client,
        &a.base,
        &format!("server/server?networkDomainId={}&pageSize=50", a.domain),
        None,
    )
    .await?;
    Ok(4)
}

/// A deploy, reads until the server is NORMAL, then its delete.
async fn deploy_poll_delete(client: &reqwest::Client, a: &Assets, name: &str) -> Result<u64> {
    let body = deploy_body(name, &a.image, &a.domain, &a.vlan);
    let reply = call(client, &a.base, "server/deployServer", Some(&body)).await?;
    let id = reply["info"][0]["value"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no server id in {reply}"))?;
    let mut requests = 1;
    loop {
        requests += 1;
        let server = call(client, &a.base, &format!("server/server/{id}"), None).await?;
        if server["state"] == "NORMAL" {
            break;
        }
    }
    call(
        client,
        &a.base,
        "server/deleteServer",
        Some(&json!({"id": id})),
    )
    .await?;
    Ok(requests + 1)
}
