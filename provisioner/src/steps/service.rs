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
        // Two commands: for a SysV script's generated unit (Debian's zookeeper) `disable` is
        // redirected to systemd-sysv-install and `--now` is silently dropped.
        let u = sh_quote(&self.unit);
        ctx.run_ok(&format!("systemctl disable {u} && systemctl stop {u}"))
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
        // Enable and start separately: for a SysV script's generated unit (Debian's zookeeper)
        // `enable` is redirected to systemd-sysv-install and `--now` is silently dropped.
        let script = if self.start {
            format!("systemctl enable {u} && systemctl start {u}")
        } else {
            format!("systemctl enable {u}")
        };
        ctx.run_ok(&script).await?;
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::facts::Family;
    use crate::steps::testkit::{ctx, FakeHost};

    #[tokio::test]
    async fn enabled_and_active_is_in_sync() {
        let c = ctx(
            Arc::new(FakeHost::default().on("is-enabled", 0, "enabled\nactive\n")),
            Family::El9,
            false,
        );
        let s = ServiceStep {
            unit: "chronyd".into(),
            start: true,
        };
        assert!(matches!(s.check(&c).await.unwrap(), Check::InSync(_)));
    }

    #[tokio::test]
    async fn disabled_unit_is_enabled_and_started() {
        let fake = Arc::new(
            FakeHost::default()
                .on("is-enabled", 0, "disabled\ninactive\n")
                .on("systemctl enable docker && systemctl start docker", 0, ""),
        );
        let c = ctx(fake.clone(), Family::Ubuntu2404, false);
        let s = ServiceStep {
            unit: "docker".into(),
            start: true,
        };
        let Check::Drift { summary, .. } = s.check(&c).await.unwrap() else {
            panic!("expected drift")
        };
        assert_eq!(summary, "docker: enable (is disabled), start (is inactive)");
        s.apply(&c).await.unwrap();
        assert!(fake
            .scripts()
            .contains(&"systemctl enable docker && systemctl start docker".to_string()));
    }

    #[tokio::test]
    async fn check_mode_says_when_the_unit_is_not_installed_yet() {
        let c = ctx(
            Arc::new(FakeHost::default().on("is-enabled", 0, "\ninactive\n")),
            Family::Debian12,
            true,
        );
        let s = ServiceStep {
            unit: "chrony".into(),
            start: true,
        };
        let Check::Drift { summary, .. } = s.check(&c).await.unwrap() else {
            panic!("expected drift")
        };
        assert!(summary.contains("not installed yet"));
    }

    #[tokio::test]
    async fn ntpd_hosts_turn_chronyd_off_only_when_it_is_on() {
        let on = Arc::new(
            FakeHost::default()
                .on("is-enabled", 0, "enabled\nactive\n")
                .on("systemctl disable chronyd", 0, ""),
        );
        let c = ctx(on.clone(), Family::El7, false);
        let s = ServiceOffStep {
            unit: "chronyd".into(),
        };
        assert!(matches!(s.check(&c).await.unwrap(), Check::Drift { .. }));
        s.apply(&c).await.unwrap();
        let absent = ctx(
            Arc::new(FakeHost::default().on("is-enabled", 0, "\nunknown\n")),
            Family::El7,
            false,
        );
        assert!(matches!(s.check(&absent).await.unwrap(), Check::InSync(_)));
    }
}
