//! Per-host context handed to every step: the node, the connection and the settings.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::cluster::ClusterView;
use crate::facts::OsFacts;
use crate::inventory::{Node, Settings};
use crate::remote::{sh_quote, Exec, RemoteError};
use crate::ssh::{Output, Target};

/// Where files written with [`HostCtx::write_file_staged`] wait before they are moved into place.
pub const STAGING_DIR: &str = "/var/lib/mesos-provisioner/staging";

/// Everything a step may use on one host.
#[derive(Debug)]
pub struct HostCtx {
    /// The node being converged.
    pub node: Node,
    /// Every node of the cluster: names, addresses, roles, ZooKeeper ids.
    pub cluster: Arc<ClusterView>,
    /// Settings.
    pub settings: Arc<Settings>,
    /// OS facts.
    pub facts: OsFacts,
    /// How the host was reached (for the second, key-login connection).
    pub target: Target,
    /// The operator's public key in OpenSSH format.
    pub operator_public_key: String,
    /// True when this run logged in as root with the administrator password.
    pub first_contact: bool,
    /// Dry run.
    pub check_mode: bool,
    /// The handlers this host is owed, kept on the host across runs.
    pub owed: super::owed::OwedHandlers,
    remote: Mutex<Arc<dyn Exec>>,
    key_proven: AtomicBool,
    operator_remote: Mutex<Option<Arc<dyn Exec>>>,
}

/// The result of reading a remote file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    /// Octal mode without leading zeros, e.g. `644`.
    pub mode: String,
    /// `user:group`.
    pub owner: String,
    /// Content.
    pub content: String,
}

impl HostCtx {
    /// Builds the context once the host is connected and its facts are known.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        node: Node,
        cluster: Arc<ClusterView>,
        settings: Arc<Settings>,
        facts: OsFacts,
        target: Target,
        operator_public_key: String,
        first_contact: bool,
        check_mode: bool,
        remote: Arc<dyn Exec>,
    ) -> Self {
        HostCtx {
            node,
            cluster,
            settings,
            facts,
            target,
            operator_public_key,
            first_contact,
            check_mode,
            owed: Default::default(),
            remote: Mutex::new(remote),
            key_proven: AtomicBool::new(!first_contact),
            operator_remote: Mutex::new(None),
        }
    }

    /// The current connection.
    pub fn remote(&self) -> Arc<dyn Exec> {
        self.remote.lock().expect("remote lock").clone()
    }

    /// Whether key login as the operator is proven (always true on non-first-contact runs).
    pub fn key_proven(&self) -> bool {
        self.key_proven.load(Ordering::SeqCst)
    }

    /// Records the proven operator connection; the engine switches to it after the phase.
    pub fn set_operator_remote(&self, remote: Arc<dyn Exec>) {
        self.key_proven.store(true, Ordering::SeqCst);
        *self.operator_remote.lock().expect("operator lock") = Some(remote);
    }

    /// Switches to the operator connection if one was proven; returns the old connection.
    pub fn switch_to_operator(&self) -> Option<Arc<dyn Exec>> {
        let next = self.operator_remote.lock().expect("operator lock").take()?;
        let mut current = self.remote.lock().expect("remote lock");
        Some(std::mem::replace(&mut *current, next))
    }

    /// Runs a script as root.
    pub async fn run(&self, script: &str) -> Result<Output, RemoteError> {
        self.remote().run(script, None).await
    }

    /// Runs a script as root, failing on a non-zero exit; returns stdout.
    pub async fn run_ok(&self, script: &str) -> Result<String, RemoteError> {
        self.remote().run_ok(script, None).await
    }

    /// Runs a script as root with data on stdin.
    pub async fn run_with_stdin(&self, script: &str, stdin: &[u8]) -> Result<String, RemoteError> {
        self.remote().run_ok(script, Some(stdin)).await
    }

    /// Reads a file with its mode and owner; `None` when it does not exist.
    pub async fn read_file(&self, path: &str) -> Result<Option<RemoteFile>, RemoteError> {
        let p = sh_quote(path);
        let out = self
            .run_ok(&format!(
                "if [ -f {p} ]; then stat -c '%a %U:%G' {p} && cat {p}; else echo __ABSENT__; fi"
            ))
            .await?;
        if out == "__ABSENT__\n" {
            return Ok(None);
        }
        let (meta, content) = out.split_once('\n').unwrap_or((out.as_str(), ""));
        let (mode, owner) = meta.split_once(' ').unwrap_or((meta, ""));
        Ok(Some(RemoteFile {
            mode: mode.trim_start_matches('0').to_string(),
            owner: owner.to_string(),
            content: content.to_string(),
        }))
    }

    /// Writes a file atomically (temp file in the same directory, then rename), with mode and
    /// owner set before it appears. `validate` may name the temp file as `{}`. With `in_place`
    /// the content is copied over the existing inode instead (for bind-mounted files such as
    /// `/etc/hosts` in containers).
    pub async fn write_file(
        &self,
        path: &str,
        content: &str,
        mode: &str,
        owner: &str,
        validate: Option<&str>,
        in_place: bool,
    ) -> Result<(), RemoteError> {
        let p = sh_quote(path);
        let check = validate
            .map(|v| format!("{} && ", v.replace("{}", "\"$tmp\"")))
            .unwrap_or_default();
        let install = if in_place {
            format!("cat \"$tmp\" > {p} && chmod {mode} {p} && chown {owner} {p}")
        } else {
            format!("mv -f \"$tmp\" {p}")
        };
        let script = format!(
            "set -e; d=$(dirname {p}); mkdir -p \"$d\"; tmp=$(mktemp \"$d/.mesos-provisioner.XXXXXX\"); trap 'rm -f \"$tmp\"' EXIT; cat > \"$tmp\"; chmod {mode} \"$tmp\"; chown {owner} \"$tmp\"; {check}{install}",
            mode = sh_quote(mode),
            owner = sh_quote(owner),
        );
        self.run_with_stdin(&script, content.as_bytes()).await?;
        Ok(())
    }

    /// Writes a file through a temporary file in [`STAGING_DIR`], never in the target's own
    /// directory: for directories where every file counts (the Mesos flag directories).
    pub async fn write_file_staged(
        &self,
        path: &str,
        content: &str,
        mode: &str,
        owner: &str,
    ) -> Result<(), RemoteError> {
        let p = sh_quote(path);
        let script = format!(
            "set -e; install -d -m 700 {STAGING_DIR}; tmp=$(mktemp {STAGING_DIR}/file.XXXXXX); trap 'rm -f \"$tmp\"' EXIT; cat > \"$tmp\"; chmod {mode} \"$tmp\"; chown {owner} \"$tmp\"; mkdir -p \"$(dirname {p})\"; mv -f \"$tmp\" {p}",
            mode = sh_quote(mode),
            owner = sh_quote(owner),
        );
        self.run_with_stdin(&script, content.as_bytes()).await?;
        Ok(())
    }
}
