//! go-plugin reads the provider's stdout and takes the first line as the handshake; any
//! other output before it breaks the launch. This test runs a real provider process (this
//! binary, re-executed in provider mode) and checks what reaches stdout and stderr in the
//! three start-up outcomes: served with AutoMTLS, refused protocol, started by hand.
//!
//! It has its own `main` (no libtest harness), because the harness itself prints to stdout.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tfplugin::provider::{ConfigureRequest, DataSource, Provider, Resource};
use tfplugin::schema::{Block, Schema};
use tfplugin::testing::{parse_handshake_line, ClientIdentity};
use tfplugin::transport::handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use tfplugin::Diagnostics;

/// Set in the environment of the re-executed child to make it act as a provider.
const CHILD_MARKER: &str = "TFPLUGIN_STDOUT_TEST_CHILD";

/// One start-up check: Ok, or what went wrong.
type Check = fn() -> Result<(), String>;

/// A provider with an empty schema: what it serves does not matter here, only how it starts.
struct Empty;

#[async_trait]
impl Provider for Empty {
    type Data = ();

    fn type_name(&self) -> &str {
        "stdouttest"
    }

    fn schema(&self) -> Schema {
        Schema::new(Block::new())
    }

    async fn configure(&self, _request: ConfigureRequest) -> Result<(), Diagnostics> {
        Ok(())
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<()>>> {
        Vec::new()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<()>>> {
        Vec::new()
    }
}

fn main() -> ExitCode {
    if std::env::var_os(CHILD_MARKER).is_some() {
        return tfplugin::server::serve(Empty);
    }
    let checks: [(&str, Check); 3] = [
        (
            "handshake line comes first on stdout, with trace logging on",
            handshake_is_first_line,
        ),
        (
            "protocol 5 only: one explanatory line on stdout, exit 1",
            protocol_five_only_is_one_line,
        ),
        (
            "started by hand: nothing on stdout, explanation on stderr, exit 1",
            started_by_hand_prints_nothing_on_stdout,
        ),
    ];
    let mut failed = 0;
    for (name, check) in checks {
        match check() {
            Ok(()) => println!("ok: {name}"),
            Err(reason) => {
                failed += 1;
                println!("FAILED: {name}: {reason}");
            }
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// This test binary as a provider child, with Terraform's cookie unless `cookie` is false.
fn child(cookie: bool, protocol_versions: &str) -> Result<Command, String> {
    let exe = std::env::current_exe().map_err(|e| format!("locating this binary: {e}"))?;
    let mut command = Command::new(exe);
    command
        .env(CHILD_MARKER, "1")
        .env("PLUGIN_PROTOCOL_VERSIONS", protocol_versions)
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env_remove("PLUGIN_CLIENT_CERT")
        .env_remove(MAGIC_COOKIE_KEY)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if cookie {
        command.env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE);
    }
    Ok(command)
}

fn handshake_is_first_line() -> Result<(), String> {
    let identity = ClientIdentity::generate().map_err(|e| format!("client identity: {e}"))?;
    let mut command = child(true, "5,6")?;
    // The most verbose logging must still go to stderr only.
    command
        .env("TF_LOG", "TRACE")
        .env("PLUGIN_CLIENT_CERT", &identity.cert_pem);
    let mut process = command.spawn().map_err(|e| format!("spawning: {e}"))?;
    let mut stdout = BufReader::new(process.stdout.take().expect("piped"));
    let mut first = String::new();
    let read = stdout.read_line(&mut first);
    let _ = process.kill();
    let _ = process.wait();
    read.map_err(|e| format!("reading stdout: {e}"))?;
    let handshake = parse_handshake_line(&first).map_err(|e| e.to_string())?;
    if (handshake.core_version, handshake.protocol_version) != (1, 6) {
        return Err(format!("expected versions 1|6 in {first:?}"));
    }
    let addr = handshake
        .tcp_addr()
        .ok_or_else(|| format!("not a TCP address in {first:?}"))?;
    if !addr.ip().is_loopback() {
        return Err(format!("{addr} is not a loopback address"));
    }
    if handshake.server_cert_der.is_none() {
        return Err(format!(
            "AutoMTLS requested but no certificate in {first:?}"
        ));
    }
    // Once killed, whatever the provider wrote before dying is readable: nothing else.
    let mut rest = String::new();
    stdout
        .read_to_string(&mut rest)
        .map_err(|e| format!("reading stdout: {e}"))?;
    if !rest.is_empty() {
        return Err(format!(
            "more output on stdout after the handshake: {rest:?}"
        ));
    }
    Ok(())
}

/// Runs `command` to completion (bounded), returning exit code, stdout and stderr.
fn finish(mut command: Command) -> Result<(Option<i32>, String, String), String> {
    let mut process = command.spawn().map_err(|e| format!("spawning: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = process.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = process.kill();
            let _ = process.wait();
            return Err("did not exit within 10 s".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut pipe) = process.stdout.take() {
        let _ = pipe.read_to_string(&mut stdout);
    }
    if let Some(mut pipe) = process.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    Ok((status.code(), stdout, stderr))
}

fn protocol_five_only_is_one_line() -> Result<(), String> {
    let (code, stdout, _) = finish(child(true, "5")?)?;
    if code != Some(1) {
        return Err(format!("exit code {code:?}, expected 1"));
    }
    let lines: Vec<&str> = stdout.lines().collect();
    if lines.len() != 1 || !lines[0].contains("protocol 6") {
        return Err(format!(
            "expected one line naming protocol 6, got {stdout:?}"
        ));
    }
    Ok(())
}

fn started_by_hand_prints_nothing_on_stdout() -> Result<(), String> {
    let (code, stdout, stderr) = finish(child(false, "")?)?;
    if code != Some(1) {
        return Err(format!("exit code {code:?}, expected 1"));
    }
    if !stdout.is_empty() {
        return Err(format!("stdout should be empty, got {stdout:?}"));
    }
    if !stderr.contains("not meant to be executed directly") {
        return Err(format!("stderr lacks the explanation: {stderr:?}"));
    }
    Ok(())
}
