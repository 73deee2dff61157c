//! Emulator accounts: parsing `user:password[:orgId]` entries from an accounts file or from the
//! `CLOUDCONTROL_EMULATOR_ACCOUNTS` environment variable.
//!
//! Passwords are never taken from the command line (they would show in `ps` and
//! `/proc/<pid>/cmdline`), and no error message repeats a password.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The organisation id of the default `demo` account (stable so scripts can rely on it).
pub const DEMO_ORG_ID: &str = "8a8f6abc-2745-4d8a-9cbc-8dabe5a7d0e4";

/// Environment variable holding `;`-separated `user:password[:orgId]` entries.
pub const ACCOUNTS_ENV: &str = "CLOUDCONTROL_EMULATOR_ACCOUNTS";

/// A login and the organisation it belongs to: `user:password[:orgId]`.
#[derive(Clone, PartialEq, Eq)]
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

/// Debug output never shows the password (configurations get logged).
impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("org_id", &self.org_id)
            .finish()
    }
}

/// Why one `user:password[:orgId]` entry is malformed. Never contains the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// No `:` after the user name.
    #[error("expected `user:password[:orgId]`, found no `:` separator")]
    MissingPassword,
    /// The user name is empty.
    #[error("the user name is empty")]
    EmptyUser,
    /// The password is empty.
    #[error("the password of user `{0}` is empty")]
    EmptyPassword(String),
    /// The third field is not a UUID.
    #[error("orgId `{org}` of user `{user}` is not a UUID ({reason})")]
    BadOrgId {
        /// User the entry is for.
        user: String,
        /// The offending organisation id.
        org: String,
        /// What the UUID parser said.
        reason: String,
    },
}

impl FromStr for Account {
    type Err = EntryError;

    /// Parses `user:password[:orgId]`; the password cannot contain `:`. Without an orgId a stable
    /// UUID is derived from the user name, so restarts keep the same organisation.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.splitn(3, ':');
        let user = parts.next().unwrap_or_default();
        let password = parts.next().ok_or(EntryError::MissingPassword)?;
        if user.is_empty() {
            return Err(EntryError::EmptyUser);
        }
        if password.is_empty() {
            return Err(EntryError::EmptyPassword(user.into()));
        }
        let org_id = match parts.next() {
            Some(org) => uuid::Uuid::parse_str(org)
                .map_err(|e| EntryError::BadOrgId {
                    user: user.into(),
                    org: org.into(),
                    reason: e.to_string(),
                })?
                .to_string(),
            None => uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, user.as_bytes()).to_string(),
        };
        Ok(Account {
            user: user.into(),
            password: password.into(),
            org_id,
        })
    }
}

/// Where an entry came from, for error messages: `FILE:LINE` or the environment variable's entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Line `line` (1-based) of an accounts file.
    File {
        /// The accounts file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
    },
    /// Entry `entry` (1-based) of [`ACCOUNTS_ENV`].
    Env {
        /// 1-based entry number among the `;`-separated entries.
        entry: usize,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
            Origin::Env { entry } => write!(f, "{ACCOUNTS_ENV} entry {entry}"),
        }
    }
}

/// Why the accounts could not be loaded. Messages name the source and never contain a password.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// The accounts file could not be opened or read.
    #[error("reading accounts file {path}: {source}")]
    Read {
        /// The accounts file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The accounts file is not a regular file.
    #[error("accounts file {path} is not a regular file")]
    NotAFile {
        /// The offending path.
        path: PathBuf,
    },
    /// The accounts file grants group or other users some access.
    #[error(
        "accounts file {path} has mode {mode:04o}: an accounts file must not be accessible by \
         group or others (mode & 0077 must be 0); run `chmod 600 {path}`"
    )]
    TooOpen {
        /// The accounts file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The accounts file holds no account (only blank lines or comments).
    #[error("accounts file {path} defines no account (expected `user:password[:orgId]` lines)")]
    Empty {
        /// The accounts file.
        path: PathBuf,
    },
    /// The environment variable is not valid UTF-8.
    #[error("{ACCOUNTS_ENV} is not valid UTF-8")]
    EnvNotUtf8,
    /// One entry is malformed.
    #[error("{origin}: {reason}")]
    Entry {
        /// Where the entry is.
        origin: Origin,
        /// What is wrong with it.
        reason: EntryError,
    },
    /// The same user name is defined twice.
    #[error("{origin}: user `{user}` is already defined at {first}")]
    DuplicateUser {
        /// The user name.
        user: String,
        /// The second definition.
        origin: Origin,
        /// The first definition.
        first: Origin,
    },
    /// `--account` was given: passwords on the command line are refused.
    #[error(
        "--account is no longer accepted: a password on the command line is visible to every \
         local user in `ps` and /proc/<pid>/cmdline. Put `user:password[:orgId]` lines in a file \
         only you can read (`chmod 600`) and pass --accounts-file PATH, or set {ACCOUNTS_ENV}"
    )]
    PasswordOnCommandLine,
}

/// Accounts collected from one or more sources, refusing duplicate user names across all of them.
#[derive(Debug, Default)]
pub struct AccountSet {
    entries: Vec<(Account, Origin)>,
}

impl AccountSet {
    /// Adds one parsed entry, refusing a user name that is already defined.
    fn add(&mut self, text: &str, origin: Origin) -> Result<(), AccountsError> {
        let account: Account = text.parse().map_err(|reason| AccountsError::Entry {
            origin: origin.clone(),
            reason,
        })?;
        if let Some((_, first)) = self.entries.iter().find(|(a, _)| a.user == account.user) {
            return Err(AccountsError::DuplicateUser {
                user: account.user,
                origin,
                first: first.clone(),
            });
        }
        self.entries.push((account, origin));
        Ok(())
    }

    /// Adds the lines of an accounts file's text: one entry per line; blank lines and lines whose
    /// first non-blank character is `#` are skipped; whitespace around an entry is ignored.
    pub fn add_file_text(&mut self, path: &Path, text: &str) -> Result<(), AccountsError> {
        for (index, line) in text.lines().enumerate() {
            let entry = line.trim();
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            let origin = Origin::File {
                path: path.to_path_buf(),
                line: index + 1,
            };
            self.add(entry, origin)?;
        }
        Ok(())
    }

    /// Reads an accounts file, refusing it unless only its owner can access it (like ssh does
    /// for private keys). The mode is checked on the opened file, so it cannot be swapped between
    /// the check and the read.
    pub fn add_file(&mut self, path: &Path) -> Result<(), AccountsError> {
        let read_error = |source| AccountsError::Read {
            path: path.to_path_buf(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(read_error)?;
        let metadata = file.metadata().map_err(read_error)?;
        if !metadata.is_file() {
            return Err(AccountsError::NotAFile {
                path: path.to_path_buf(),
            });
        }
        check_private(path, &metadata)?;
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(read_error)?;
        self.add_file_text(path, &text)
    }

    /// Adds the value of [`ACCOUNTS_ENV`]: `;`-separated entries, empty entries skipped,
    /// whitespace around an entry ignored.
    pub fn add_env_text(&mut self, text: &str) -> Result<(), AccountsError> {
        let entries = text.split(';').map(str::trim).filter(|e| !e.is_empty());
        for (index, entry) in entries.enumerate() {
            self.add(entry, Origin::Env { entry: index + 1 })?;
        }
        Ok(())
    }

    /// The accounts in the order they were given.
    pub fn into_accounts(self) -> Vec<Account> {
        self.entries.into_iter().map(|(a, _)| a).collect()
    }
}

/// Refuses a file whose permission bits give group or others any access.
#[cfg(unix)]
fn check_private(path: &Path, metadata: &std::fs::Metadata) -> Result<(), AccountsError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(AccountsError::TooOpen {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

/// Permission bits are a Unix notion; elsewhere the file's ACLs are the operator's business.
#[cfg(not(unix))]
fn check_private(_path: &Path, _metadata: &std::fs::Metadata) -> Result<(), AccountsError> {
    Ok(())
}

/// The sources of accounts, in the order they are read.
#[derive(Debug, Default)]
pub struct AccountSources<'a> {
    /// `--accounts-file PATH`.
    pub file: Option<&'a Path>,
    /// The value of [`ACCOUNTS_ENV`], if set (`Err` when it is not UTF-8).
    pub env: Option<Result<String, std::ffi::OsString>>,
    /// How many `--account` values were given (each is refused).
    pub command_line: usize,
}

impl AccountSources<'_> {
    /// Loads every source; with none at all, the default `demo` / `demo` account. An empty or
    /// blank environment variable counts as unset (container templates often leave it empty).
    pub fn load(self) -> Result<Vec<Account>, AccountsError> {
        if self.command_line > 0 {
            return Err(AccountsError::PasswordOnCommandLine);
        }
        let mut set = AccountSet::default();
        if let Some(path) = self.file {
            set.add_file(path)?;
            if set.entries.is_empty() {
                // A file given on purpose but empty is a mistake, not a request for `demo`.
                return Err(AccountsError::Empty {
                    path: path.to_path_buf(),
                });
            }
        }
        match self.env {
            Some(Ok(text)) => set.add_env_text(&text)?,
            Some(Err(_)) => return Err(AccountsError::EnvNotUtf8),
            None => {}
        }
        let accounts = set.into_accounts();
        Ok(if accounts.is_empty() {
            vec![Account::demo()]
        } else {
            accounts
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const ALICE_ORG: &str = "11111111-2222-4333-8444-555555555555";

    fn parse_file(text: &str) -> Result<Vec<Account>, AccountsError> {
        let mut set = AccountSet::default();
        set.add_file_text(Path::new("/etc/emu/accounts"), text)?;
        Ok(set.into_accounts())
    }

    fn private_file(dir: &Path, text: &str, mode: u32) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("accounts");
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(text.as_bytes()).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn parses_entries_with_and_without_org() {
        let a: Account = format!("alice:s3cret:{ALICE_ORG}").parse().unwrap();
        assert_eq!(a.user, "alice");
        assert_eq!(a.password, "s3cret");
        assert_eq!(a.org_id, ALICE_ORG);
        let b: Account = "bob:pw".parse().unwrap();
        let b_again: Account = "bob:other".parse().unwrap();
        assert_eq!(
            b.org_id, b_again.org_id,
            "derived org id is stable per user"
        );
        assert_ne!(b.org_id, a.org_id);
        assert!(uuid::Uuid::parse_str(&b.org_id).is_ok());
    }

    #[test]
    fn malformed_entries_say_why() {
        assert_eq!("bob".parse::<Account>(), Err(EntryError::MissingPassword));
        assert_eq!(":pw".parse::<Account>(), Err(EntryError::EmptyUser));
        assert_eq!(
            "bob:".parse::<Account>(),
            Err(EntryError::EmptyPassword("bob".into()))
        );
        let err = "bob:pw:not-a-uuid".parse::<Account>().unwrap_err();
        assert!(matches!(&err, EntryError::BadOrgId { org, .. } if org == "not-a-uuid"));
        assert!(!err.to_string().contains("pw:"), "{err}");
    }

    #[test]
    fn file_skips_blank_lines_and_comments() {
        let text =
            format!("# operators\n\nalice:s3cret:{ALICE_ORG}\r\n   \n  # bob below\n  bob:pw  \n");
        let accounts = parse_file(&text).unwrap();
        let users: Vec<_> = accounts.iter().map(|a| a.user.as_str()).collect();
        assert_eq!(users, ["alice", "bob"]);
        assert_eq!(
            accounts[0].password, "s3cret",
            "CR of a CRLF line is not kept"
        );
        assert_eq!(accounts[1].password, "pw");
    }

    #[test]
    fn bad_line_is_reported_with_file_and_line_number() {
        let err = parse_file("# header\nalice:pw\n\nbob:pw:12345\n").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("/etc/emu/accounts:4: orgId `12345` of user `bob`"),
            "{msg}"
        );
        let err = parse_file("alice:pw\njust-a-password-by-mistake\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("/etc/emu/accounts:2: expected"), "{msg}");
        assert!(
            !msg.contains("just-a-password"),
            "line text not echoed: {msg}"
        );
    }

    #[test]
    fn duplicate_user_names_both_lines() {
        let err = parse_file("alice:one\nbob:pw\nalice:two\n").unwrap_err();
        assert!(matches!(err, AccountsError::DuplicateUser { .. }));
        assert_eq!(
            err.to_string(),
            "/etc/emu/accounts:3: user `alice` is already defined at /etc/emu/accounts:1"
        );
        assert!(!err.to_string().contains("two"));
    }

    #[test]
    fn env_entries_are_semicolon_separated() {
        let mut set = AccountSet::default();
        set.add_env_text(&format!(" alice:s3cret:{ALICE_ORG} ;bob:pw;; "))
            .unwrap();
        let users: Vec<_> = set.into_accounts().into_iter().map(|a| a.user).collect();
        assert_eq!(users, ["alice", "bob"]);

        let mut set = AccountSet::default();
        let err = set.add_env_text("alice:pw;bob").unwrap_err();
        assert_eq!(
            err.to_string(),
            "CLOUDCONTROL_EMULATOR_ACCOUNTS entry 2: expected `user:password[:orgId]`, found no `:` separator"
        );
    }

    #[test]
    fn duplicates_across_file_and_env_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = private_file(dir.path(), "alice:pw\n", 0o600);
        let err = AccountSources {
            file: Some(&path),
            env: Some(Ok("bob:pw;alice:other".into())),
            command_line: 0,
        }
        .load()
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with(
                "CLOUDCONTROL_EMULATOR_ACCOUNTS entry 2: user `alice` is already defined at "
            ),
            "{msg}"
        );
        assert!(msg.ends_with("accounts:1"), "{msg}");
    }

    #[test]
    fn private_file_is_read_and_merged_with_env() {
        let dir = tempfile::tempdir().unwrap();
        let path = private_file(dir.path(), &format!("alice:s3cret:{ALICE_ORG}\n"), 0o600);
        let accounts = AccountSources {
            file: Some(&path),
            env: Some(Ok("bob:pw".into())),
            command_line: 0,
        }
        .load()
        .unwrap();
        let users: Vec<_> = accounts.iter().map(|a| a.user.as_str()).collect();
        assert_eq!(users, ["alice", "bob"]);
        // Owner-only read access is also private.
        let path = private_file(dir.path(), "carol:pw\n", 0o400);
        let mut set = AccountSet::default();
        set.add_file(&path).unwrap();
        assert_eq!(set.into_accounts()[0].user, "carol");
    }

    #[test]
    fn file_readable_by_group_or_others_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for mode in [0o644, 0o640, 0o604, 0o620, 0o602, 0o610, 0o601] {
            let path = private_file(dir.path(), "alice:pw\n", mode);
            let err = AccountSet::default().add_file(&path).unwrap_err();
            assert!(
                matches!(err, AccountsError::TooOpen { mode: m, .. } if m == mode),
                "{mode:o}: {err}"
            );
            let msg = err.to_string();
            assert!(msg.contains(&path.display().to_string()), "{msg}");
            assert!(msg.contains(&format!("mode {mode:04o}")), "{msg}");
            assert!(msg.contains("chmod 600"), "{msg}");
        }
    }

    #[test]
    fn file_without_accounts_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = private_file(dir.path(), "# nobody yet\n\n", 0o600);
        let err = AccountSources {
            file: Some(&path),
            ..Default::default()
        }
        .load()
        .unwrap_err();
        assert!(matches!(err, AccountsError::Empty { .. }), "{err}");
        assert!(err.to_string().contains("defines no account"), "{err}");
    }

    #[test]
    fn missing_file_and_directory_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let err = AccountSet::default().add_file(&missing).unwrap_err();
        assert!(matches!(err, AccountsError::Read { .. }));
        assert!(err.to_string().contains("nope"), "{err}");
        let err = AccountSet::default().add_file(dir.path()).unwrap_err();
        assert!(matches!(err, AccountsError::NotAFile { .. }), "{err}");
    }

    #[test]
    fn command_line_accounts_are_refused_and_default_is_demo() {
        let err = AccountSources {
            command_line: 1,
            ..Default::default()
        }
        .load()
        .unwrap_err();
        assert!(err.to_string().contains("--accounts-file"), "{err}");
        assert!(matches!(
            AccountSources {
                env: Some(Err("\u{fffd}".into())),
                ..Default::default()
            }
            .load(),
            Err(AccountsError::EnvNotUtf8)
        ));
        assert_eq!(
            AccountSources::default().load().unwrap(),
            vec![Account::demo()]
        );
        // A blank environment variable counts as unset.
        assert_eq!(
            AccountSources {
                env: Some(Ok(" ; ".into())),
                ..Default::default()
            }
            .load()
            .unwrap(),
            vec![Account::demo()]
        );
    }

    #[test]
    fn debug_output_hides_the_password() {
        let a: Account = "alice:hunter2".parse().unwrap();
        let shown = format!("{a:?}");
        assert!(
            shown.contains("alice") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
