//! Kill -9 during a burst of writes, restart with the same `--state`: every acknowledged
//! resource is there.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

const ORG: &str = "8a8f6abc-2745-4d8a-9cbc-8dabe5a7d0e4";

fn spawn(state: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cloudcontrol-emulator"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--time-scale",
            "0",
            "--public-ip-ratio",
            "off",
            "--state",
        ])
        .arg(state)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("emulator binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("base URL line");
    assert!(
        line.starts_with("http://127.0.0.1:"),
        "first stdout line: {line:?}"
    );
    (child, line.trim().to_string())
}

async fn post(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    body: Value,
) -> Result<Value, reqwest::Error> {
    client
        .post(format!("{base}/caas/2.9/{ORG}/{path}"))
        .basic_auth("demo", Some("demo"))
        .json(&body)
        .send()
        .await?
        .json()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let (mut child, base) = spawn(&state);
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let client = reqwest::Client::new();
    let nd = post(
        &client,
        &base,
        "network/deployNetworkDomain",
        json!({"name": "p", "type": "ESSENTIALS", "datacenterId": "NA9"}),
    )
    .await
    .unwrap()["info"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();

    // Four writers create tag keys, firewall rules and public IP blocks until the process dies.
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let mut writers = Vec::new();
    for w in 0..4 {
        let (client, base, nd, acked) =
            (client.clone(), base.clone(), nd.clone(), Arc::clone(&acked));
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let (path, body, kind) = match i % 3 {
                    0 => ("tag/createTagKey", json!({"name": format!("k{w}_{i}")}), "tag/tagKey"),
                    1 => ("network/createFirewallRule", json!({"networkDomainId": nd, "name": format!("r{w}_{i}"), "action": "DROP",
                        "placement": {"position": "LAST"}, "ipVersion": "IPV4", "protocol": "IP",
                        "source": {"ip": {"address": "ANY"}}, "destination": {"ip": {"address": "ANY"}}}), "network/firewallRule"),
                    _ => ("network/addPublicIpBlock", json!({"networkDomainId": nd}), "network/publicIpBlock"),
                };
                match post(&client, &base, path, body).await {
                    Ok(v) if v["responseCode"] == "OK" => {
                        let id = v["info"][0]["value"].as_str().unwrap().to_string();
                        acked.lock().unwrap().push((kind.to_string(), id));
                    }
                    Ok(v) => panic!("unexpected rejection: {v}"),
                    Err(_) => break, // the process was killed
                }
            }
        }));
    }
    while acked.lock().unwrap().len() < 150 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().expect("SIGKILL"); // std's kill() sends SIGKILL on Unix
    child.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 150);

    let (mut child, base) = spawn(&state);
    for (kind, id) in &acked {
        let r = client
            .get(format!("{base}/caas/2.9/{ORG}/{kind}/{id}"))
            .basic_auth("demo", Some("demo"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            200,
            "acknowledged {kind} {id} lost after kill -9"
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();
}
