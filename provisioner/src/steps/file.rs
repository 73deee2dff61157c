//! A file with exact content, mode and owner.

use async_trait::async_trait;

use super::{unified_diff, Check, Handler, HostCtx, Step};

/// Ensures a file has exactly this content, mode and owner.
#[derive(Debug, Clone)]
pub struct FileStep {
    /// Step name.
    pub name: String,
    /// Remote path.
    pub path: String,
    /// Desired content.
    pub content: String,
    /// Octal mode, e.g. `644`.
    pub mode: String,
    /// `user:group`.
    pub owner: String,
    /// Validation run on the temp file before it replaces the real one (`{}` = temp path).
    pub validate: Option<String>,
    /// Handlers notified on change.
    pub notify: Vec<Handler>,
    /// Run right after a write, before the verify (e.g. `systemctl daemon-reload` for a unit
    /// drop-in, which must take effect before a later step starts the unit).
    pub post: Option<String>,
}

impl FileStep {
    /// A root-owned file.
    pub fn root(name: &str, path: &str, content: String, mode: &str) -> Self {
        FileStep {
            name: name.to_string(),
            path: path.to_string(),
            content,
            mode: mode.to_string(),
            owner: "root:root".to_string(),
            validate: None,
            notify: Vec::new(),
            post: None,
        }
    }

    /// Notifies `handlers` on change.
    pub fn notifying(mut self, handlers: Vec<Handler>) -> Self {
        self.notify = handlers;
        self
    }
}

#[async_trait]
impl Step for FileStep {
    fn name(&self) -> String {
        self.name.clone()
    }

    async fn check(&self, ctx: &HostCtx) -> anyhow::Result<Check> {
        let want_mode = self.mode.trim_start_matches('0');
        Ok(match ctx.read_file(&self.path).await? {
            None => Check::Drift {
                summary: format!("create {}", self.path),
                diff: Some(unified_diff(&self.path, "", &self.content)),
            },
            Some(f) if f.content != self.content => Check::Drift {
                summary: format!("update {}", self.path),
                diff: Some(unified_diff(&self.path, &f.content, &self.content)),
            },
            Some(f) if f.mode != want_mode || f.owner != self.owner => Check::Drift {
                summary: format!(
                    "{}: mode/owner {} {} -> {} {}",
                    self.path, f.mode, f.owner, want_mode, self.owner
                ),
                diff: None,
            },
            Some(_) => Check::InSync(format!("{} up to date", self.path)),
        })
    }

    async fn apply(&self, ctx: &HostCtx) -> anyhow::Result<()> {
        ctx.write_file(
            &self.path,
            &self.content,
            &self.mode,
            &self.owner,
            self.validate.as_deref(),
            false,
        )
        .await?;
        if let Some(post) = &self.post {
            ctx.run_ok(post).await?;
        }
        Ok(())
    }

    fn notifies(&self) -> Vec<Handler> {
        self.notify.clone()
    }
}

/// A file that must not exist (e.g. a drop-in of another role).
#[derive(Debug, Clone)]
pub struct AbsentStep {
    /// Step name.
    pub name: String,
    /// Path.
    pub path: String,
    /// Run right after the removal (e.g. `systemctl daemon-reload`).
    pub post: Option<String>,
}

#[async_trait]
impl Step for AbsentStep {
    fn name(&self) -> String {
        self.name.clone()
    }

    async fn check(&self, ctx: &HostCtx) -> anyhow::Result<Check> {
        let p = crate::remote::sh_quote(&self.path);
        let out = ctx
            .run_ok(&format!(
                "if [ -e {p} ] || [ -L {p} ]; then echo present; else echo absent; fi"
            ))
            .await?;
        Ok(if out.trim() == "absent" {
            Check::InSync(format!("{} absent", self.path))
        } else {
            Check::Drift {
                summary: format!("remove {}", self.path),
                diff: None,
            }
        })
    }

    async fn apply(&self, ctx: &HostCtx) -> anyhow::Result<()> {
        ctx.run_ok(&format!("rm -f -- {}", crate::remote::sh_quote(&self.path)))
            .await?;
        if let Some(post) = &self.post {
            ctx.run_ok(post).await?;
        }
        Ok(())
    }
}

/// A directory that exists, optionally with an owner (`user:group`); its mode is set when it is
/// made and left alone afterwards.
#[derive(Debug, Clone)]
pub struct DirectoryStep {
    /// Step name.
    pub name: String,
    /// Path.
    pub path: String,
    /// `user:group` it must belong to (`None`: whoever owns it).
    pub owner: Option<String>,
    /// Mode given when it is made.
    pub mode: String,
}

#[async_trait]
impl Step for DirectoryStep {
    fn name(&self) -> String {
        self.name.clone()
    }

    async fn check(&self, ctx: &HostCtx) -> anyhow::Result<Check> {
        let p = crate::remote::sh_quote(&self.path);
        let out = ctx
            .run_ok(&format!(
                "if [ -d {p} ]; then stat -c '%U:%G' {p}; else echo __ABSENT__; fi"
            ))
            .await?;
        let owner = out.trim();
        Ok(if owner == "__ABSENT__" {
            Check::Drift {
                summary: format!("create {}", self.path),
                diff: None,
            }
        } else if self.owner.as_deref().is_some_and(|want| want != owner) {
            Check::Drift {
                summary: format!(
                    "{}: owner {owner} -> {}",
                    self.path,
                    self.owner.as_deref().unwrap_or_default()
                ),
                diff: None,
            }
        } else {
            Check::InSync(format!("{} exists ({owner})", self.path))
        })
    }

    async fn apply(&self, ctx: &HostCtx) -> anyhow::Result<()> {
        let p = crate::remote::sh_quote(&self.path);
        let mut script = format!(
            "[ -d {p} ] || install -d -m {} {p}",
            crate::remote::sh_quote(&self.mode)
        );
        if let Some(owner) = &self.owner {
            script.push_str(&format!("; chown {} {p}", crate::remote::sh_quote(owner)));
        }
        ctx.run_ok(&script).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::facts::Family;
    use crate::steps::testkit::{ctx, FakeHost};

    fn step() -> FileStep {
        let mut s = FileStep::root("sudo drop-in", "/etc/sudoers.d/x", "a\n".into(), "0440");
        s.validate = Some("visudo -cf {}".into());
        s
    }

    #[tokio::test]
    async fn absent_file_is_created_atomically_after_validation() {
        let fake = Arc::new(
            FakeHost::default()
                .on("__ABSENT__", 0, "__ABSENT__\n")
                .on("mktemp", 0, ""),
        );
        let c = ctx(fake.clone(), Family::El8, false);
        let Check::Drift { summary, diff } = step().check(&c).await.unwrap() else {
            panic!("expected drift")
        };
        assert_eq!(summary, "create /etc/sudoers.d/x");
        assert!(diff.unwrap().contains("+a"));
        step().apply(&c).await.unwrap();
        let calls = fake.calls.lock().unwrap();
        let (script, stdin) = calls.last().unwrap();
        assert!(script.contains("visudo -cf \"$tmp\" && mv -f \"$tmp\" /etc/sudoers.d/x"));
        assert!(script.contains("chmod 0440 \"$tmp\""));
        assert_eq!(stdin.as_deref(), Some("a\n"));
    }

    #[tokio::test]
    async fn a_directory_is_made_then_owned() {
        let fake = Arc::new(
            FakeHost::default()
                .on("if [ -d /var/lib/zookeeper ]", 0, "root:root\n")
                .on("chown", 0, ""),
        );
        let c = ctx(fake.clone(), Family::Debian12, false);
        let step = DirectoryStep {
            name: "zookeeper dataDir".into(),
            path: "/var/lib/zookeeper".into(),
            owner: Some("zookeeper:zookeeper".into()),
            mode: "755".into(),
        };
        let Check::Drift { summary, .. } = step.check(&c).await.unwrap() else {
            panic!("expected drift")
        };
        assert_eq!(
            summary,
            "/var/lib/zookeeper: owner root:root -> zookeeper:zookeeper"
        );
        step.apply(&c).await.unwrap();
        assert_eq!(
            fake.scripts().last().unwrap(),
            "[ -d /var/lib/zookeeper ] || install -d -m 755 /var/lib/zookeeper; chown zookeeper:zookeeper /var/lib/zookeeper"
        );
    }

    #[tokio::test]
    async fn same_content_but_wrong_mode_drifts_and_right_mode_is_in_sync() {
        let wrong = FakeHost::default().on("stat -c", 0, "644 root:root\na\n");
        let c = ctx(Arc::new(wrong), Family::Debian12, false);
        let Check::Drift { summary, .. } = step().check(&c).await.unwrap() else {
            panic!("expected drift")
        };
        assert!(
            summary.contains("644 root:root -> 440 root:root"),
            "{summary}"
        );
        let right = FakeHost::default().on("stat -c", 0, "440 root:root\na\n");
        let c = ctx(Arc::new(right), Family::Debian12, false);
        assert!(matches!(step().check(&c).await.unwrap(), Check::InSync(_)));
    }
}
