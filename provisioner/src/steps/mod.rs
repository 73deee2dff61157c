//! The step model: every step checks (read-only), reports a diff, applies only when something
//! differs, and verifies afterwards. Handlers are deferred restarts notified by changed steps.

pub mod access;
pub mod base;
pub mod context;
pub mod file;
pub mod flagdir;
pub mod owed;
pub mod packages;
pub mod service;
#[cfg(test)]
pub mod testkit;

use async_trait::async_trait;

pub use context::HostCtx;

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Already converged.
    InSync(String),
    /// Differs from the desired state.
    Drift {
        /// One-line summary of what would change.
        summary: String,
        /// Detailed (unified) diff, shown with `--diff`.
        diff: Option<String>,
    },
    /// Does not apply to this host, with the reason.
    Skip(String),
}

/// A deferred action, run at most once per host at the end of a phase.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handler {
    /// Name shown in the report, e.g. `reload ssh`.
    pub name: String,
    /// Script run as root.
    pub script: String,
}

impl Handler {
    /// `systemctl <verb> <unit>`.
    pub fn systemctl(verb: &str, unit: &str) -> Self {
        Handler {
            name: format!("{verb} {unit}"),
            script: format!("systemctl {verb} {}", crate::remote::sh_quote(unit)),
        }
    }

    /// Reloads a unit only if it is running. With socket activation (Ubuntu 24.04's
    /// `ssh.socket`) an inactive service starts on the next connection with the new settings;
    /// `try-reload-or-restart` would do the same but needs systemd 229 (EL 7 has 219).
    pub fn reload_if_active(unit: &str) -> Self {
        let u = crate::remote::sh_quote(unit);
        Handler {
            name: format!("reload {unit}"),
            script: format!("if systemctl is-active --quiet {u}; then systemctl reload {u}; fi"),
        }
    }
}

/// One idempotent unit of work on a host.
#[async_trait]
pub trait Step: Send + Sync {
    /// Name shown in reports.
    fn name(&self) -> String;

    /// Reads the actual state; never changes anything.
    async fn check(&self, ctx: &HostCtx) -> anyhow::Result<Check>;

    /// Changes the host towards the desired state. Called only after a `Drift` check.
    async fn apply(&self, ctx: &HostCtx) -> anyhow::Result<()>;

    /// Confirms the change took. By default the check must now be in sync.
    async fn verify(&self, ctx: &HostCtx) -> anyhow::Result<()> {
        match self.check(ctx).await? {
            Check::InSync(_) | Check::Skip(_) => Ok(()),
            Check::Drift { summary, .. } => {
                anyhow::bail!("still differs after apply: {summary}")
            }
        }
    }

    /// A remark added to the report after a change (e.g. "reboot required").
    async fn note_after_change(&self, _ctx: &HostCtx) -> Option<String> {
        None
    }

    /// Handlers to run at the end of the phase when this step changed something.
    fn notifies(&self) -> Vec<Handler> {
        Vec::new()
    }
}

/// A unified diff of two texts, labelled with a path.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .header(&format!("{path} (current)"), &format!("{path} (desired)"))
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn handler_scripts() {
        assert_eq!(
            super::Handler::systemctl("restart", "chronyd").script,
            "systemctl restart chronyd"
        );
        let h = super::Handler::reload_if_active("ssh");
        assert_eq!(h.name, "reload ssh");
        assert_eq!(
            h.script,
            "if systemctl is-active --quiet ssh; then systemctl reload ssh; fi"
        );
    }

    #[test]
    fn diff_shows_changed_lines() {
        let d = super::unified_diff("/etc/x", "a\nb\n", "a\nc\n");
        assert!(d.contains("-b\n") && d.contains("+c\n"), "{d}");
        assert!(d.contains("/etc/x (desired)"));
    }
}
