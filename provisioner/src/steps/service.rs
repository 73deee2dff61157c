//! A systemd service enabled (and running).

use async_trait::async_trait;

use super::{Check, HostCtx, Step};
use crate::remote::sh_quote;

/// Ensures a unit is enabled and, when `start`, active.
#[derive(Debug, Clone)]
pub struct ServiceStep {
    /// systemd unit.
    pub unit: String,
    /// Also start it.
    pub start: bool,
}

/// Ensures a unit, if installed, is stopped and disabled (e.g. chronyd next to EL 7's ntpd).
#[derive(Debug, Clone)]
pub struct ServiceOffStep {
    /// systemd unit.
    pub unit: String,
}

#[async_trait]
impl Step for ServiceOffStep {
    fn name(&self) -> String {
        format!("service {} off", self.unit)
    }

    async fn check(&self, ctx: &HostCtx) -> anyhow::Result<Check> {
        let probe = ServiceStep {
            unit: self.unit.clone(),
            start: false,
        };
        let (enabled, active) = probe.state(ctx).await?;
        let installed = !matches!(enabled.as_str(), "" | "not-found");
        Ok(if !installed {
            Check::InSync(format!("{} not installed", self.unit))
        } else if enabled != "enabled" && active != "active" {
            Check::InSync(format!("{} {enabled}, {active}", self.unit))
        } else {
            Check::Drift {
                summary: format!("{}: stop and disable (is {enabled}, {active})", self.unit),
                diff: None,
            }
        })
    }

    async fn apply(&self, ctx: &HostCtx) -> anyhow::Result<()> {
        ctx.run_ok(&format!("systemctl disable --now {}", sh_quote(&self.unit)))
            .await?;
        Ok(())
    }
}

impl ServiceStep {
    async fn state(&self, ctx: &HostCtx) -> anyhow::Result<(String, String)> {
        let u = sh_quote(&self.unit);
        let out = ctx
            .run(&format!(
                "echo \"$(systemctl is-enabled {u} 2>/dev/null)\"; echo \"$(systemctl is-active {u} 2>/dev/null)\""
            ))
            .await?;
        let text = out.stdout_text();
        let mut lines = text.lines();
        let enabled = lines.next().unwrap_or("").trim().to_string();
        let active = lines.next().unwrap_or("").trim().to_string();
        Ok((enabled, active))
    }
}

#[async_trait]
impl Step for ServiceStep {
    fn name(&self) -> String {
        format!("service {}", self.unit)
    }

    async fn check(&self, ctx: &HostCtx) -> anyhow::Result<Check> {
        let (enabled, active) = self.state(ctx).await?;
        if ctx.check_mode && matches!(enabled.as_str(), "" | "not-found") {
            return Ok(Check::Drift {
                summary: format!(
                    "{}: unit not installed yet; result unknown until an earlier step installs it",
                    self.unit
                ),
                diff: None,
            });
        }
        // "static"/"indirect"/"alias" units cannot be enabled and need not be.
        let enabled_ok = matches!(
            enabled.as_str(),
            "enabled" | "static" | "indirect" | "alias"
        );
        let active_ok = !self.start || active == "active";
        Ok(if enabled_ok && active_ok {
            Check::InSync(format!("{} {enabled}, {active}", self.unit))
        } else {
            let mut todo = Vec::new();
            if !enabled_ok {
                todo.push(format!("enable (is {})", or_unknown(&enabled)));
            }
            if !active_ok {
                todo.push(format!("start (is {})", or_unknown(&active)));
            }
            Check::Drift {
                summary: format!("{}: {}", self.unit, todo.join(", ")),
                diff: None,
            }
        })
    }

    async fn apply(&self, ctx: &HostCtx) -> anyhow::Result<()> {
        let u = sh_quote(&self.unit);
        let verb = if self.start { "enable --now" } else { "enable" };
        ctx.run_ok(&format!("systemctl {verb} {u}")).await?;
        Ok(())
    }
}

fn or_unknown(state: &str) -> &str {
    if state.is_empty() {
        "unknown"
    } else {
        state
    }
}
