//! Command-line configuration of the emulator.

use crate::accounts::{Account, AccountSources, AccountsError, ACCOUNTS_ENV};
use crate::backing::addressing::{parse_pool, Addressing, DEFAULT_NODE_POOL};
use crate::faults::FaultConfig;
use clap::{Parser, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Whether the "3 public IPs per deployed server" rule is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// Enforce the rule.
    On,
    /// Do not enforce the rule.
    Off,
}

/// `cloudcontrol-emulator` command line.
#[derive(Debug, Clone, Parser)]
#[command(name = "cloudcontrol-emulator", version, about)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port. The first stdout line is the base URL.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,

    /// State file; every acknowledged write is on disk before the response. Omit for in-memory.
    #[arg(long)]
    pub state: Option<PathBuf>,

    /// Multiplier for the realistic PENDING_* durations (0 = instant, 0.01 = 100x faster).
    #[arg(long, default_value_t = 0.05)]
    pub time_scale: f64,

    /// Fault injection, e.g. `5xx=0.05,busy=0.05,unexpected=0.05,drop=0.05,lost_response=0.05,slow=0.05,failed_add=0.01,seed=7`;
    /// `ops=deployServer+createNatRule` and `methods=GET|POST` limit where faults strike.
    #[arg(long, default_value = "")]
    pub faults: FaultConfig,

    /// File of accounts, one `user:password[:orgId]` per line (`#` comments and blank lines
    /// allowed); it must not be accessible by group or others (chmod 600). Accounts can also come
    /// from the CLOUDCONTROL_EMULATOR_ACCOUNTS environment variable (`;`-separated entries).
    /// Default when neither is given: `demo` / `demo`.
    #[arg(long, value_name = "PATH")]
    pub accounts_file: Option<PathBuf>,

    /// Refused: passwords on the command line show in `ps`. Kept only to explain the refusal.
    #[arg(long = "account", hide = true, value_name = "REFUSED")]
    pub refused_accounts: Vec<String>,

    /// Enforce at most 3 public IPv4 addresses per deployed server in a network domain.
    #[arg(long, value_enum, default_value_t = Switch::On)]
    pub public_ip_ratio: Switch,

    /// Largest accepted request body in bytes.
    #[arg(long, default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,

    /// How many entries the request log keeps (oldest dropped first).
    #[arg(long, default_value_t = 10_000)]
    pub request_log_size: usize,

    /// Back servers with real machines: PROGRAM gets every lifecycle event as one JSON document
    /// on stdin (see the README). Public addresses then come from --public-ipv4-pool.
    #[arg(long, value_name = "PROGRAM")]
    pub node_backing: Option<PathBuf>,

    /// Hand out SNAT addresses and public IPv4 blocks from this network inside 100.64.0.0/10
    /// instead of the platform's public ranges (default with --node-backing: 100.96.0.0/16).
    #[arg(long, value_name = "CIDR")]
    pub public_ipv4_pool: Option<String>,

    /// Append one JSON line per finished asynchronous operation (its asset, kind, start and
    /// finish) to this file, for benchmarks that compare an apply with its lower bound.
    #[arg(long, value_name = "FILE")]
    pub operations_log: Option<PathBuf>,

    /// Longest run of the node backing program for one event, in seconds.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    pub node_backing_timeout: u64,
}

impl Config {
    /// Where public and IPv6 addresses come from: the pool when one is given (or node backing
    /// is on), the platform's ranges otherwise.
    pub fn addressing(&self) -> anyhow::Result<Addressing> {
        let text = match (&self.public_ipv4_pool, &self.node_backing) {
            (Some(p), _) => p.as_str(),
            (None, Some(_)) => DEFAULT_NODE_POOL,
            (None, None) => return Ok(Addressing::default()),
        };
        let pool = parse_pool(text).map_err(anyhow::Error::msg)?;
        Ok(Addressing { pool: Some(pool) })
    }

    /// A configuration for tests: loopback, free port, instant lifecycle, default account.
    pub fn for_tests() -> Self {
        Config::parse_from(["cloudcontrol-emulator", "--time-scale", "0"])
    }

    /// The accounts from `--accounts-file` and the `CLOUDCONTROL_EMULATOR_ACCOUNTS` environment
    /// variable, or the default `demo` account when neither gives any. Any `--account` is refused.
    pub fn effective_accounts(&self) -> Result<Vec<Account>, AccountsError> {
        AccountSources {
            file: self.accounts_file.as_deref(),
            env: std::env::var_os(ACCOUNTS_ENV).map(|v| v.into_string()),
            command_line: self.refused_accounts.len(),
        }
        .load()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn for_tests_is_instant_with_no_accounts_configured() {
        let c = Config::for_tests();
        assert_eq!(c.accounts_file, None);
        assert!(c.refused_accounts.is_empty());
        assert_eq!(c.time_scale, 0.0);
    }

    #[test]
    fn accounts_file_flag_is_parsed_and_account_flag_is_refused() {
        let c = Config::parse_from(["cloudcontrol-emulator", "--accounts-file", "/run/accounts"]);
        assert_eq!(c.accounts_file, Some(PathBuf::from("/run/accounts")));
        let c = Config::parse_from(["cloudcontrol-emulator", "--account", "bob:hunter2"]);
        let err = c.effective_accounts().unwrap_err();
        assert!(matches!(err, AccountsError::PasswordOnCommandLine));
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
