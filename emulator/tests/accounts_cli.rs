//! The real binary takes accounts from an owner-only file or the environment, never from argv:
//! the account authenticates, and no password appears in `/proc/<pid>/cmdline`.

mod common;

use common::private_file;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Output, Stdio};

const ALICE_ORG: &str = "11111111-2222-4333-8444-555555555555";
const PASSWORD: &str = "correct-horse-battery-staple";

/// A running emulator binary, killed on drop.
struct Process {
    child: Child,
    base: String,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cloudcontrol-emulator"));
    cmd.args(["--listen", "127.0.0.1:0", "--time-scale", "0"])
        .env_remove(cloudcontrol_emulator::ACCOUNTS_ENV)
        .stdin(Stdio::null());
    cmd
}

/// Starts the command and waits for the base-URL line.
fn spawn(mut cmd: Command) -> Process {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("emulator binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("base URL line");
    if !line.starts_with("http://127.0.0.1:") {
        let mut stderr = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
        panic!("first stdout line: {line:?}; stderr: {stderr}");
    }
    Process {
        child,
        base: line.trim().to_string(),
    }
}

/// Runs a command that must refuse to start; returns its stderr.
fn refused(mut cmd: Command) -> String {
    let Output { status, stderr, .. } = cmd.output().expect("emulator binary runs");
    assert!(!status.success(), "the emulator must refuse to start");
    String::from_utf8_lossy(&stderr).into_owned()
}

/// `GET /caas/2.4/user/myUser` as `user:password`; returns the status and the organisation id.
async fn my_user(base: &str, user: &str, password: &str) -> (u16, Option<String>) {
    let r = common::client()
        .get(format!("{base}/caas/2.4/user/myUser"))
        .basic_auth(user, Some(password))
        .send()
        .await
        .expect("request sent");
    let status = r.status().as_u16();
    let org = if status == 200 {
        let v: serde_json::Value = r.json().await.expect("JSON body");
        v["organization"]["id"].as_str().map(String::from)
    } else {
        None
    };
    (status, org)
}

fn cmdline(process: &Process) -> String {
    let raw = std::fs::read(format!("/proc/{}/cmdline", process.child.id())).expect("cmdline");
    String::from_utf8_lossy(&raw).replace('\0', " ")
}

#[tokio::test]
async fn accounts_file_account_authenticates_and_argv_holds_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let file = private_file(
        dir.path(),
        "accounts",
        &format!("# test operators\nalice:{PASSWORD}:{ALICE_ORG}\n"),
    );
    let mut cmd = command();
    cmd.arg("--accounts-file").arg(&file);
    let emu = spawn(cmd);

    assert_eq!(
        my_user(&emu.base, "alice", PASSWORD).await,
        (200, Some(ALICE_ORG.to_string()))
    );
    assert_eq!(my_user(&emu.base, "alice", "wrong").await.0, 401);
    // Configured accounts replace the default demo account.
    assert_eq!(my_user(&emu.base, "demo", "demo").await.0, 401);

    let argv = cmdline(&emu);
    assert!(argv.contains("--accounts-file"), "{argv}");
    assert!(!argv.contains(PASSWORD), "password in cmdline: {argv}");
}

#[tokio::test]
async fn environment_accounts_authenticate() {
    let mut cmd = command();
    cmd.env(
        cloudcontrol_emulator::ACCOUNTS_ENV,
        format!("alice:{PASSWORD}:{ALICE_ORG};bob:pw"),
    );
    let emu = spawn(cmd);
    assert_eq!(
        my_user(&emu.base, "alice", PASSWORD).await,
        (200, Some(ALICE_ORG.to_string()))
    );
    assert_eq!(my_user(&emu.base, "bob", "pw").await.0, 200);
    assert!(!cmdline(&emu).contains(PASSWORD));
}

#[tokio::test]
async fn without_accounts_the_demo_account_works() {
    let emu = spawn(command());
    let (status, org) = my_user(&emu.base, "demo", "demo").await;
    assert_eq!(status, 200);
    assert_eq!(org.as_deref(), Some(cloudcontrol_emulator::DEMO_ORG_ID));
}

#[test]
fn password_on_the_command_line_is_refused_without_echoing_it() {
    let mut cmd = command();
    cmd.args(["--account", &format!("alice:{PASSWORD}")]);
    let stderr = refused(cmd);
    assert!(stderr.contains("--accounts-file"), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "password echoed: {stderr}");
}

#[test]
fn accounts_file_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = private_file(dir.path(), "accounts", &format!("alice:{PASSWORD}\n"));
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut cmd = command();
    cmd.arg("--accounts-file").arg(&file);
    let stderr = refused(cmd);
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert!(stderr.contains("mode 0644"), "{stderr}");
    assert!(stderr.contains("chmod 600"), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
}

#[test]
fn bad_line_is_reported_with_its_number() {
    let dir = tempfile::tempdir().unwrap();
    let file = private_file(dir.path(), "accounts", "alice:pw\n\nbob:pw:not-a-uuid\n");
    let mut cmd = command();
    cmd.arg("--accounts-file").arg(&file);
    let stderr = refused(cmd);
    let location = format!("{}:3: orgId `not-a-uuid`", file.display());
    assert!(stderr.contains(&location), "{stderr}");
}
