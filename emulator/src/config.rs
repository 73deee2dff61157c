//! Command-line configuration of the emulator.

use crate::faults::FaultConfig;
use clap::{Parser, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

/// The organisation id of the default `demo` account (stable so scripts can rely on it).
pub const DEMO_ORG_ID: &str = "8a8f6abc-2745-4d8a-9cbc-8dabe5a7d0e4";

/// A login and the organisation it belongs to: `user:password[:orgId]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Basic-auth user name.
    pub user: String,
    /// Basic-auth password.
    pub password: String,
    /// Organisation id (UUID) the user acts in.
    pub org_id: String,
}

impl Account {
    /// The documented default account `demo` / `demo`.
    pub fn demo() -> Self {
        Account {
            user: "demo".into(),
            password: "demo".into(),
            org_id: DEMO_ORG_ID.into(),
        }
    }
}

impl FromStr for Account {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.splitn(3, ':');
        let user = parts.next().unwrap_or_default();
        let password = parts.next().ok_or("expected user:password[:orgId]")?;
        if user.is_empty() || password.is_empty() {
            return Err("user and password must not be empty".into());
        }
        let org_id = match parts.next() {
            Some(org) => uuid::Uuid::parse_str(org)
                .map_err(|e| format!("orgId `{org}` is not a UUID: {e}"))?
                .to_string(),
            // A stable id derived from the user name, so restarts keep the same organisation.
            None => uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, user.as_bytes()).to_string(),
        };
        Ok(Account {
            user: user.into(),
            password: password.into(),
            org_id,
        })
    }
}

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

    /// Fault injection, e.g. `5xx=0.05,busy=0.05,unexpected=0.05,drop=0.05,slow=0.05,failed_add=0.01,seed=7`.
    #[arg(long, default_value = "")]
    pub faults: FaultConfig,

    /// Account `user:password[:orgId]`, repeatable. Default: `demo:demo`.
    #[arg(long = "account")]
    pub accounts: Vec<Account>,

    /// Enforce at most 3 public IPv4 addresses per deployed server in a network domain.
    #[arg(long, value_enum, default_value_t = Switch::On)]
    pub public_ip_ratio: Switch,

    /// Largest accepted request body in bytes.
    #[arg(long, default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,

    /// How many entries the request log keeps (oldest dropped first).
    #[arg(long, default_value_t = 10_000)]
    pub request_log_size: usize,
}

impl Config {
    /// A configuration for tests: loopback, free port, instant lifecycle, default account.
    pub fn for_tests() -> Self {
        Config::parse_from(["cloudcontrol-emulator", "--time-scale", "0"])
    }

    /// The configured accounts, or the default `demo` account when none are given.
    pub fn effective_accounts(&self) -> Vec<Account> {
        if self.accounts.is_empty() {
            vec![Account::demo()]
        } else {
            self.accounts.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_accounts() {
        let a: Account = "alice:s3cret:11111111-2222-4333-8444-555555555555"
            .parse()
            .unwrap();
        assert_eq!(a.user, "alice");
        assert_eq!(a.org_id, "11111111-2222-4333-8444-555555555555");
        let b: Account = "bob:pw".parse().unwrap();
        assert_eq!(b.org_id, "bob:pw".parse::<Account>().unwrap().org_id);
        assert!("bob".parse::<Account>().is_err());
        assert!("bob:pw:not-a-uuid".parse::<Account>().is_err());
    }

    #[test]
    fn default_account_is_demo() {
        let c = Config::for_tests();
        assert_eq!(c.effective_accounts(), vec![Account::demo()]);
        assert_eq!(c.time_scale, 0.0);
    }
}
