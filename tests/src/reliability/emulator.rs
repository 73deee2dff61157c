//! A `cloudcontrol-emulator` process that keeps its state in a file, so it can be SIGKILLed
//! and restarted on the same port with everything it acknowledged.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// The user the harness's emulator knows (its password is random per run).
pub const USER: &str = "reliability";

/// A running emulator with `--state`, its own account and a request log large enough for a
/// whole soak cycle.
pub struct EmulatorProcess {
    binary: PathBuf,
    dir: PathBuf,
    flags: Vec<String>,
    child: Option<Child>,
    addr: Option<SocketAddr>,
    password: String,
    http: reqwest::blocking::Client,
    org_id: std::sync::OnceLock<String>,
}

impl EmulatorProcess {
    /// Starts `binary` on a free loopback port with its state, accounts file and log in `dir`
    /// and the extra `flags` (e.g. `--faults ...`, `--time-scale 0.01`).
    pub fn start(binary: &Path, dir: &Path, flags: &[String]) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let password = format!("Rel-{:016x}!", rand::random::<u64>());
        let accounts = dir.join("accounts");
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&accounts)
            .with_context(|| format!("writing {}", accounts.display()))?;
        use std::io::Write;
        writeln!(file, "{USER}:{password}")?;
        // The workspace's reqwest carries no crypto provider and builds its TLS setup even
        // for plain HTTP.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .context("building the HTTP client")?;
        let mut emulator = Self {
            binary: binary.to_path_buf(),
            dir: dir.to_path_buf(),
            flags: flags.to_vec(),
            child: None,
            addr: None,
            password,
            http,
            org_id: std::sync::OnceLock::new(),
        };
        emulator.spawn()?;
        Ok(emulator)
    }

    fn spawn(&mut self) -> Result<()> {
        let listen = self
            .addr
            .map_or_else(|| "127.0.0.1:0".to_owned(), |a| a.to_string());
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("emulator.log"))
            .context("opening the emulator log")?;
        let mut child = Command::new(&self.binary)
            .args(["--listen", &listen, "--state"])
            .arg(self.dir.join("state.json"))
            .arg("--accounts-file")
            .arg(self.dir.join("accounts"))
            .args(["--request-log-size", "1000000"])
            .args(&self.flags)
            .env_remove("CLOUDCONTROL_EMULATOR_ACCOUNTS")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", self.binary.display()))?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("emulator stdout")?)
            .read_line(&mut line)
            .context("reading the emulator's base URL")?;
        let url = line.trim();
        let Some(addr) = url.strip_prefix("http://").and_then(|a| a.parse().ok()) else {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "the emulator did not start (first line {url:?}; see {}/emulator.log)",
                self.dir.display()
            );
        };
        self.addr = Some(addr);
        self.child = Some(child);
        Ok(())
    }

    /// The base URL, e.g. `http://127.0.0.1:40123` (the same across restarts).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr.expect("started"))
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

    /// Starts the emulator again on the same port from its state file.
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

    /// GETs `path`, trying again for a while: the harness reads through the same faults
    /// (and restarts) as the provider.
    fn get(&self, path: &str) -> Result<Value> {
        let mut attempt = 0;
        loop {
            match self.get_once(path) {
                Ok(body) => return Ok(body),
                Err(e) if attempt >= 40 => return Err(e),
                Err(_) => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(250));
                }
            }
        }
    }

    fn get_once(&self, path: &str) -> Result<Value> {
        let url = format!("{}{path}", self.base_url());
        let response = self
            .http
            .get(&url)
            .basic_auth(USER, Some(&self.password))
            .send()
            .with_context(|| format!("GET {path}"))?;
        let status = response.status();
        let body: Value = response
            .json()
            .with_context(|| format!("GET {path}: body"))?;
        if !status.is_success() {
            bail!("GET {path}: HTTP {status}: {body}");
        }
        Ok(body)
    }

    /// The organisation id of the harness's account.
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

    /// Everything the organisation owns (the emulator's admin view).
    pub fn inventory(&self) -> Result<Value> {
        self.get(&format!("/_emulator/inventory/{}", self.org_id()?))
    }

    /// The request log after sequence number `seq` (it restarts at 1 when the emulator does).
    pub fn requests_since(&self, seq: u64) -> Result<Vec<Value>> {
        let log = self.get(&format!("/_emulator/requests?since={seq}"))?;
        Ok(log["request"].as_array().cloned().unwrap_or_default())
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.kill9();
    }
}
