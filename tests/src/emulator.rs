//! A running `cloudcontrol-emulator` for the end-to-end tests and the soak: started on a free
//! loopback port, reached with reqwest for its API and its emulator-only endpoints (request
//! log, inventory), and, when it keeps a state file, SIGKILLed and restarted on the same port
//! with everything it acknowledged.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// The emulator's built-in account, used unless an accounts file replaces it.
pub const DEMO_USER: &str = "demo";
const DEMO_PASSWORD: &str = "demo";

/// The user of an emulator started with [`Emulator::start_persistent`] (its password is random
/// per start).
pub const PERSISTENT_USER: &str = "reliability";

/// A running emulator, SIGKILLed on drop.
pub struct Emulator {
    binary: PathBuf,
    /// Everything after `--listen`.
    args: Vec<OsString>,
    /// Where its standard error goes (discarded when `None`).
    log: Option<PathBuf>,
    child: Option<Child>,
    addr: Option<SocketAddr>,
    user: String,
    password: String,
    http: reqwest::blocking::Client,
    org_id: OnceLock<String>,
}

impl Emulator {
    /// Starts the emulator with the demo account; asynchronous operations finish at once.
    pub fn start() -> Result<Self> {
        Self::start_scaled("0")
    }

    /// Starts the emulator with `--time-scale time_scale` (e.g. `"0.01"`: a server deploy takes
    /// 4.2 s), so concurrent operations overlap as they do against the real API.
    pub fn start_scaled(time_scale: &str) -> Result<Self> {
        Self::start_with(&["--time-scale", time_scale])
    }

    /// Starts the built emulator with the demo account and extra flags (e.g.
    /// `--faults busy=0.1,seed=7`).
    pub fn start_with(flags: &[&str]) -> Result<Self> {
        let mut emulator = Self::new(
            &crate::binary("cloudcontrol-emulator")?,
            flags.iter().map(OsString::from).collect(),
            None,
            DEMO_USER,
            DEMO_PASSWORD.to_owned(),
        )?;
        emulator.spawn()?;
        Ok(emulator)
    }

    /// Starts `binary` with its state, its own accounts file (one user, [`PERSISTENT_USER`],
    /// with a random password) and its log in `dir`, a request log large enough for a whole
    /// soak cycle, and the extra `flags` (e.g. `--faults ...`, `--time-scale 0.01`). It can be
    /// [`kill9`](Self::kill9)ed and [`restart`](Self::restart)ed.
    pub fn start_persistent(binary: &Path, dir: &Path, flags: &[String]) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let password = format!("Rel-{:016x}!", rand::random::<u64>());
        let accounts = dir.join("accounts");
        crate::write_private(&accounts, &format!("{PERSISTENT_USER}:{password}\n"))?;
        let mut args: Vec<OsString> = vec!["--state".into(), dir.join("state.json").into()];
        args.extend(["--accounts-file".into(), accounts.into()]);
        args.extend(["--request-log-size".into(), "1000000".into()]);
        args.extend(flags.iter().map(OsString::from));
        let mut emulator = Self::new(
            binary,
            args,
            Some(dir.join("emulator.log")),
            PERSISTENT_USER,
            password,
        )?;
        emulator.spawn()?;
        Ok(emulator)
    }

    fn new(
        binary: &Path,
        args: Vec<OsString>,
        log: Option<PathBuf>,
        user: &str,
        password: String,
    ) -> Result<Self> {
        // The workspace's reqwest carries no crypto provider and builds its TLS setup even
        // for plain HTTP.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            binary: binary.to_path_buf(),
            args,
            log,
            child: None,
            addr: None,
            user: user.to_owned(),
            password,
            http,
            org_id: OnceLock::new(),
        })
    }

    /// Starts the process on the remembered port (a free one the first time) and reads the
    /// base URL it prints first.
    fn spawn(&mut self) -> Result<()> {
        let listen = self
            .addr
            .map_or_else(|| "127.0.0.1:0".to_owned(), |a| a.to_string());
        let stderr = match &self.log {
            Some(path) => Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .with_context(|| format!("opening {}", path.display()))?,
            ),
            None => Stdio::null(),
        };
        let mut command = Command::new(&self.binary);
        command.args(["--listen", &listen]).args(&self.args);
        if self.log.is_some() {
            // Its own accounts file decides who may log in.
            command.env_remove("CLOUDCONTROL_EMULATOR_ACCOUNTS");
        } else {
            // Nobody reads its log: no time spent writing it (the bench measures throughput).
            command.env("RUST_LOG", "warn");
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting {}", self.binary.display()))?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("emulator stdout")?)
            .read_line(&mut line)
            .context("reading the emulator's base URL")?;
        let url = line.trim().trim_end_matches('/');
        let Some(addr) = url.strip_prefix("http://").and_then(|a| a.parse().ok()) else {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "the emulator did not start (first line {url:?}{})",
                self.log
                    .as_ref()
                    .map(|l| format!("; see {}", l.display()))
                    .unwrap_or_default()
            );
        };
        self.addr = Some(addr);
        self.child = Some(child);
        Ok(())
    }

    /// The base URL, e.g. `http://127.0.0.1:40123` (the same across restarts).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr.expect("the emulator was started"))
    }

    /// The account's user name.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The account's password (for the provider's environment, never a command line).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The emulator's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILLs the emulator (as an OOM kill or a lost machine would).
    pub fn kill9(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().context("killing the emulator")?;
            child.wait().context("reaping the emulator")?;
        }
        Ok(())
    }

    /// Starts the emulator again on the same port (from its state file, when it has one).
    pub fn restart(&mut self) -> Result<()> {
        self.kill9()?;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            match self.spawn() {
                Ok(()) => return Ok(()),
                // The old socket may linger for a moment; try again.
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(200))
                }
                Err(e) => return Err(e.context("restarting the emulator on its port")),
            }
        }
    }

    /// One request with the account's credentials and a JSON body; returns the status and the
    /// parsed JSON answer (`null` when the body is not JSON).
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value)> {
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .with_context(|| format!("HTTP method {method:?}"))?;
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base_url()))
            .basic_auth(&self.user, Some(&self.password))
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().with_context(|| format!("{method} {path}"))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .with_context(|| format!("{method} {path}: body"))?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// GETs `path` and fails unless it answers 2xx, trying again for ten seconds: readers go
    /// through the same injected faults (and restarts) as the provider.
    pub fn get(&self, path: &str) -> Result<Value> {
        let mut attempt = 0;
        loop {
            let outcome = self.request("GET", path, None).and_then(|(status, body)| {
                if (200..300).contains(&status) {
                    Ok(body)
                } else {
                    bail!("GET {path}: HTTP {status}: {body}")
                }
            });
            match outcome {
                Ok(body) => return Ok(body),
                Err(e) if attempt >= 40 => return Err(e),
                Err(_) => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(250));
                }
            }
        }
    }

    /// The account's organisation id.
    pub fn org_id(&self) -> Result<String> {
        if let Some(id) = self.org_id.get() {
            return Ok(id.clone());
        }
        let me = self.get("/caas/2.10/user/myUser")?;
        let id = me["organization"]["id"]
            .as_str()
            .map(str::to_owned)
            .context("myUser has no organization id")?;
        Ok(self.org_id.get_or_init(|| id).clone())
    }

    /// An API action as another client would make it (e.g. deleting behind Terraform's back).
    pub fn action(&self, area_op: &str, body: Value) -> Result<Value> {
        let path = format!("/caas/2.10/{}/{area_op}", self.org_id()?);
        let (status, reply) = self.request("POST", &path, Some(&body))?;
        if status != 200 {
            bail!("{area_op} failed with {status}: {reply}");
        }
        Ok(reply)
    }

    /// Everything the organisation owns (the emulator's admin view).
    pub fn inventory(&self) -> Result<Value> {
        self.get(&format!("/_emulator/inventory/{}", self.org_id()?))
    }

    /// Logged requests with a sequence number above `seq` (numbering restarts at 1 when the
    /// emulator does).
    pub fn requests_since(&self, seq: u64) -> Result<Vec<Value>> {
        let log = self.get(&format!("/_emulator/requests?since={seq}"))?;
        Ok(log["request"].as_array().cloned().unwrap_or_default())
    }

    /// The highest request-log sequence number so far.
    pub fn last_seq(&self) -> Result<u64> {
        Ok(self
            .requests_since(0)?
            .iter()
            .filter_map(|r| r["seq"].as_u64())
            .max()
            .unwrap_or(0))
    }

    /// Logged POSTs (the API's only mutating method) after `seq`, as `POST path` lines.
    pub fn mutations_since(&self, seq: u64) -> Result<Vec<String>> {
        Ok(self
            .requests_since(seq)?
            .iter()
            .filter(|r| r["method"] == "POST" && r["seq"].as_u64().unwrap_or(0) > seq)
            .map(|r| format!("POST {}", r["path"].as_str().unwrap_or("?")))
            .collect())
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.kill9();
    }
}
