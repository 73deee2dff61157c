//! Access steps: the operator user and key, proof of key login, sshd hardening.

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;

use super::{unified_diff, Check, Handler, HostCtx, Step};
use crate::remote::{sh_quote, Exec, Remote};
use crate::render::sshd;
use crate::ssh::{Credentials, Session};

/// The operator user exists, with a shell and a usable (non-locked, password-less) account.
#[derive(Debug, Clone)]
pub struct UserStep {
    /// User name.
    pub user: String,
}

#[async_trait]
impl Step for UserStep {
    fn name(&self) -> String {
        format!("operator user {}", self.user)
    }

    async fn check(&self, ctx: &HostCtx) -> anyhow::Result<Check> {
        let u = sh_quote(&self.user);
        let out = ctx
            .run(&format!(
                "getent passwd {u} >/dev/null && getent shadow {u} | cut -d: -f2"
            ))
            .await?;
        if !out.success() {
            return Ok(Check::Drift {
                summary: format!("create user {}", self.user),
                diff: None,
            });
        }
        // A password field starting with '!' locks the account, which sshd may refuse.
        let pw = out.stdout_text();
        Ok(if pw.trim().starts_with('!') {
            Check::Drift {
                summary: format!(
                    "unlock {} for key-only login (password field '*')",
                    self.user
                ),
                diff: None,
            }
        } else {
            Check::InSync(format!("user {} exists", self.user))
        })
    }

    async fn apply(&self, ctx: &HostCtx) -> anyhow::Result<()> {
        let u = sh_quote(&self.user);
        // A system group may already carry the operator's name (Debian ships `operator`):
        // useradd then refuses to create the user's own group, so the user joins the
        // distribution's default group instead of a privileged system group.
        ctx.run_ok(&format!(
            "if ! getent passwd {u} >/dev/null; then \
               if getent group {u} >/dev/null; then useradd -m -s /bin/bash -N {u}; \
               else useradd -m -s /bin/bash {u}; fi; \
             fi && usermod -p '*' {u}"
        ))
        .await?;
        Ok(())
    }
}

/// The operator's public key is in `~user/.ssh/authorized_keys` with safe permissions.
#[derive(Debug, Clone)]
pub struct AuthorizedKeyStep {
    /// User name.
    pub user: String,
    /// `type base64 [comment]` line.
    pub key_line: String,
}

impl AuthorizedKeyStep {
    fn key_body(&self) -> String {
        self.key_line
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[async_trait]
impl Step for AuthorizedKeyStep {
    fn name(&self) -> String {
        format!("authorized key for {}", self.user)
    }

    async fn check(&self, ctx: &HostCtx) -> anyhow::Result<Check> {
        let u = sh_quote(&self.user);
        let out = ctx
            .run(&format!(
                "h=$(getent passwd {u} | cut -d: -f6) && [ -n \"$h\" ] && f=\"$h/.ssh/authorized_keys\" && stat -c '%a %U' \"$h/.ssh\" \"$f\" && awk '{{print $1\" \"$2}}' \"$f\""
            ))
            .await?;
        let text = out.stdout_text();
        let mut lines = text.lines();
        let dir = lines.next().unwrap_or("");
        let file = lines.next().unwrap_or("");
        let present = lines.any(|l| l.trim() == self.key_body());
        if !out.success() || !present {
            return Ok(Check::Drift {
                summary: format!(
                    "add key {} to ~{}/.ssh/authorized_keys",
                    short(&self.key_body()),
                    self.user
                ),
                diff: None,
            });
        }
        if dir != format!("700 {}", self.user) || file != format!("600 {}", self.user) {
            return Ok(Check::Drift {
                summary: format!("fix ~/.ssh permissions ({dir}; {file})"),
                diff: None,
            });
        }
        Ok(Check::InSync("key present".to_string()))
    }

    async fn apply(&self, ctx: &HostCtx) -> anyhow::Result<()> {
        let u = sh_quote(&self.user);
        let script = format!(
            "set -e; h=$(getent passwd {u} | cut -d: -f6); g=$(id -gn {u}); install -d -m 700 -o {u} -g \"$g\" \"$h/.ssh\"; f=\"$h/.ssh/authorized_keys\"; touch \"$f\"; line=$(cat); awk '{{print $1\" \"$2}}' \"$f\" | grep -qxF \"$(echo \"$line\" | awk '{{print $1\" \"$2}}')\" || printf '%s\\n' \"$line\" >> \"$f\"; chown {u}:\"$g\" \"$f\"; chmod 600 \"$f\""
        );
        ctx.run_with_stdin(&script, self.key_line.trim().as_bytes())
            .await?;
        Ok(())
    }
}

fn short(key: &str) -> String {
    let tail: String = key
        .chars()
        .rev()
        .take(12)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("...{tail}")
}

/// Proves that the operator can log in with the key and use `sudo -n`, on a second
/// connection, before anything disables password or root logins.
#[derive(Debug, Clone)]
pub struct ProveKeyLoginStep {
    /// Operator user.
    pub user: String,
    /// The operator's private key.
    pub key: Arc<russh::keys::PrivateKey>,
}

#[async_trait]
impl Step for ProveKeyLoginStep {
    fn name(&self) -> String {
        format!("key login as {}", self.user)
    }

    async fn check(&self, ctx: &HostCtx) -> anyhow::Result<Check> {
        Ok(if ctx.key_proven() {
            Check::InSync(format!("logged in as {} with the key", self.user))
        } else {
            Check::Drift {
                summary: format!(
                    "prove key login and sudo as {} on a second connection",
                    self.user
                ),
                diff: None,
            }
        })
    }

    async fn apply(&self, ctx: &HostCtx) -> anyhow::Result<()> {
        let creds = Credentials::Key {
            user: self.user.clone(),
            key: self.key.clone(),
        };
        let session = Session::connect(&ctx.target, &creds)
            .await
            .with_context(|| format!("second connection as {} with the key", self.user))?;
        let log = ctx.remote().log();
        let remote = Remote::new(&ctx.node.name, session, None, log).await?;
        let who = remote.run_ok("id -un", None).await?;
        anyhow::ensure!(
            who.trim() == "root",
            "sudo -n as {} gives `{}`, not root",
            self.user,
            who.trim()
        );
        ctx.set_operator_remote(Arc::new(remote));
        Ok(())
    }

    async fn verify(&self, ctx: &HostCtx) -> anyhow::Result<()> {
        anyhow::ensure!(ctx.key_proven(), "key login as {} not proven", self.user);
        Ok(())
    }
}

/// sshd hardening: our drop-in first in order, the main config including drop-ins, `sshd -t`
/// before it can take effect, reload as a handler, and `sshd -T` as proof.
#[derive(Debug, Clone)]
pub struct SshdHardeningStep {
    /// Reloads the family's sshd unit.
    pub reload: Handler,
}

#[async_trait]
impl Step for SshdHardeningStep {
    fn name(&self) -> String {
        "sshd hardening".to_string()
    }

    async fn check(&self, ctx: &HostCtx) -> anyhow::Result<Check> {
        let want = sshd::render_dropin(ctx.facts.family);
        let dropin = ctx.read_file(sshd::DROPIN).await?;
        let main = ctx
            .read_file(sshd::MAIN)
            .await?
            .map(|f| f.content)
            .unwrap_or_default();
        let mut todo = Vec::new();
        let mut diff = String::new();
        let current = dropin.as_ref().map(|f| f.content.as_str()).unwrap_or("");
        if current != want {
            todo.push(format!("write {}", sshd::DROPIN));
            diff.push_str(&unified_diff(sshd::DROPIN, current, &want));
        }
        if let Some(new_main) = sshd::ensure_include(&main) {
            todo.push(format!("add `{}` to {}", sshd::INCLUDE, sshd::MAIN));
            diff.push_str(&unified_diff(sshd::MAIN, &main, &new_main));
        }
        if todo.is_empty() {
            let effective = ctx.run_ok(&sshd::effective_command()).await?;
            let wrong = sshd::effective_mismatches(ctx.facts.family, &effective);
            if !wrong.is_empty() {
                todo.push(format!("effective settings differ: {}", wrong.join(", ")));
            }
        }
        Ok(if todo.is_empty() {
            Check::InSync("password and root logins disabled".to_string())
        } else {
            Check::Drift {
                summary: todo.join("; "),
                diff: (!diff.is_empty()).then_some(diff),
            }
        })
    }

    async fn apply(&self, ctx: &HostCtx) -> anyhow::Result<()> {
        anyhow::ensure!(
            ctx.key_proven(),
            "refusing to disable password and root logins: key login as the operator is not proven"
        );
        let backup = "/var/lib/mesos-provisioner/backup";
        // Keep copies outside /etc/ssh so a failed `sshd -t` can restore them.
        ctx.run_ok(&format!(
            "set -e; install -d -m 700 {backup}; cp -p {main} {backup}/sshd_config; if [ -f {d} ]; then cp -p {d} {backup}/dropin; else rm -f {backup}/dropin; fi; install -d -m 755 {dir}",
            main = sshd::MAIN,
            d = sshd::DROPIN,
            dir = sshd::DROPIN_DIR
        ))
        .await?;
        let main = ctx
            .read_file(sshd::MAIN)
            .await?
            .context("reading sshd_config")?;
        if let Some(new_main) = sshd::ensure_include(&main.content) {
            ctx.write_file(sshd::MAIN, &new_main, &main.mode, &main.owner, None, false)
                .await?;
        }
        let want = sshd::render_dropin(ctx.facts.family);
        ctx.write_file(sshd::DROPIN, &want, "600", "root:root", None, false)
            .await?;
        let test = ctx.run("sshd -t 2>&1 || /usr/sbin/sshd -t 2>&1").await?;
        if !test.success() {
            ctx.run_ok(&format!(
                "cp -p {backup}/sshd_config {main}; if [ -f {backup}/dropin ]; then cp -p {backup}/dropin {d}; else rm -f {d}; fi",
                main = sshd::MAIN,
                d = sshd::DROPIN
            ))
            .await?;
            anyhow::bail!(
                "sshd -t rejected the new configuration (restored the previous files): {}",
                test.stdout_text().trim()
            );
        }
        Ok(())
    }

    async fn verify(&self, ctx: &HostCtx) -> anyhow::Result<()> {
        let effective = ctx.run_ok(&sshd::effective_command()).await?;
        let wrong = sshd::effective_mismatches(ctx.facts.family, &effective);
        anyhow::ensure!(wrong.is_empty(), "sshd -T shows {}", wrong.join(", "));
        Ok(())
    }

    fn notifies(&self) -> Vec<Handler> {
        vec![self.reload.clone()]
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::facts::Family;
    use crate::steps::testkit::{ctx, ctx_with, FakeHost};

    fn hardening() -> SshdHardeningStep {
        SshdHardeningStep {
            reload: Handler::systemctl("reload", "ssh"),
        }
    }

    #[tokio::test]
    async fn hardening_never_applies_before_key_login_is_proven() {
        let fake = Arc::new(FakeHost::default());
        let c = ctx_with(fake.clone(), Family::Debian12, false, true);
        let err = hardening().apply(&c).await.unwrap_err();
        assert!(err.to_string().contains("not proven"));
        assert!(
            fake.scripts().is_empty(),
            "nothing may run: {:?}",
            fake.scripts()
        );
    }

    #[tokio::test]
    async fn hardening_in_sync_needs_file_include_and_effective_settings() {
        let dropin = sshd::render_dropin(Family::El7);
        let effective = "passwordauthentication no\npermitrootlogin no\nchallengeresponseauthentication no\npubkeyauthentication yes\npermitemptypasswords no\nallowtcpforwarding local\n";
        let fake = FakeHost::default()
            .on(
                "[ -f /etc/ssh/sshd_config.d/00",
                0,
                &format!("600 root:root\n{dropin}"),
            )
            .on(
                "[ -f /etc/ssh/sshd_config ]",
                0,
                "600 root:root\nInclude /etc/ssh/sshd_config.d/*.conf\n",
            )
            .on("sshd -T", 0, effective);
        let c = ctx(Arc::new(fake), Family::El7, false);
        assert!(matches!(
            hardening().check(&c).await.unwrap(),
            Check::InSync(_)
        ));
    }

    #[tokio::test]
    async fn hardening_restores_the_old_files_when_sshd_t_fails() {
        let fake = Arc::new(
            FakeHost::default()
                .on("install -d -m 700", 0, "")
                .on("[ -f /etc/ssh/sshd_config ]", 0, "600 root:root\nPort 22\n")
                .on("mktemp", 0, "")
                .on("sshd -t", 255, "line 3: Bad configuration option\n")
                .on("cp -p /var/lib/mesos-provisioner/backup/sshd_config", 0, ""),
        );
        let c = ctx(fake.clone(), Family::El8, false);
        let err = hardening().apply(&c).await.unwrap_err();
        assert!(err.to_string().contains("restored"), "{err}");
        assert!(fake
            .scripts()
            .last()
            .unwrap()
            .starts_with("cp -p /var/lib/mesos-provisioner/backup/sshd_config"));
    }

    #[tokio::test]
    async fn authorized_key_present_with_safe_modes_is_in_sync() {
        let fake = FakeHost::default().on(
            "getent passwd ops",
            0,
            "700 ops\n600 ops\nssh-ed25519 AAAA\n",
        );
        let c = ctx(Arc::new(fake), Family::Debian12, false);
        let step = AuthorizedKeyStep {
            user: "ops".into(),
            key_line: "ssh-ed25519 AAAA ops@laptop".into(),
        };
        assert!(matches!(step.check(&c).await.unwrap(), Check::InSync(_)));
        let loose = FakeHost::default().on(
            "getent passwd ops",
            0,
            "755 ops\n644 ops\nssh-ed25519 AAAA\n",
        );
        let c = ctx(Arc::new(loose), Family::Debian12, false);
        assert!(matches!(step.check(&c).await.unwrap(), Check::Drift { .. }));
    }
}
