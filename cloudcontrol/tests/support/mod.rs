//! Runs the real `cloudcontrol-emulator` binary for integration tests.
//!
//! The binary is not a dependency of this crate (the two must share no code);
//! build it first with `cargo build -p cloudcontrol-emulator`. It is looked up
//! in `$CARGO_TARGET_DIR/debug` or the workspace's `target/debug`.

use cloudcontrol::{Client, Endpoint, PollSchedule, Secret, WaitOptions};
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running emulator, killed when dropped.
pub struct Emulator {
    child: Child,
    /// The base URL it printed.
    pub url: String,
}

fn binary() -> PathBuf {
    let name = format!("cloudcontrol-emulator{}", std::env::consts::EXE_SUFFIX);
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        let dir = if dir.is_absolute() {
            dir
        } else {
            workspace.join(dir)
        };
        candidates.push(dir.join("debug").join(&name));
    }
    candidates.push(workspace.join("target").join("debug").join(&name));
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
            "the emulator binary was not found (looked at {candidates:?}); build it first with \
             `cargo build -p cloudcontrol-emulator` using the same CARGO_TARGET_DIR"
        )
        })
}

impl Emulator {
    /// Starts an emulator with instant lifecycles and `extra` arguments.
    pub fn start(extra: &[&str]) -> Self {
        Self::start_with(&["--time-scale", "0"], extra)
    }

    /// Starts an emulator with `base` then `extra` arguments.
    pub fn start_with(base: &[&str], extra: &[&str]) -> Self {
        let mut child = Command::new(binary())
            .args(["--listen", "127.0.0.1:0"])
            .args(base)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start cloudcontrol-emulator");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut url = String::new();
        stdout
            .read_line(&mut url)
            .expect("read the emulator's base URL");
        let url = url.trim().to_owned();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "unexpected first line from the emulator: {url:?}"
        );
        // Keep draining stdout so the emulator never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = stdout.read_to_end(&mut sink);
        });
        Self { child, url }
    }

    /// A client logged in as the default `demo` account, polling fast.
    pub fn client(&self) -> Client {
        self.client_as("demo", "demo")
    }

    /// A client with the given credentials.
    pub fn client_as(&self, user: &str, password: &str) -> Client {
        Client::builder(
            Endpoint::url(&self.url).unwrap(),
            user,
            Secret::new(password),
        )
        .poll_schedule(PollSchedule {
            initial: Duration::from_millis(20),
            factor: 1.5,
            max: Duration::from_millis(500),
            jitter: 0.2,
        })
        .build()
        .unwrap()
    }
}

impl Emulator {
    /// The emulator's request log as `(method, path, responseCode)` triples
    /// (an emulator-only diagnostic endpoint).
    pub async fn requests(&self) -> Vec<(String, String, String)> {
        // The workspace's reqwest carries no crypto provider of its own (the client library
        // configures aws-lc-rs itself); this plain test client needs the process default.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let log: serde_json::Value = reqwest::Client::new()
            .get(format!(
                "{}/_emulator/requests",
                self.url.trim_end_matches('/')
            ))
            .basic_auth("demo", Some("demo"))
            .send()
            .await
            .expect("read the request log")
            .json()
            .await
            .expect("request log JSON");
        log["request"]
            .as_array()
            .expect("request log entries")
            .iter()
            .map(|e| {
                let field = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
                (field("method"), field("path"), field("responseCode"))
            })
            .collect()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Generous wait options for emulator operations.
pub fn wait() -> WaitOptions {
    WaitOptions::new(Duration::from_secs(60))
}
