//! A directory the provisioner owns completely: exactly these files (and the subdirectories they
//! need), nothing else. Made for the Mesos flag directories, where the init wrapper turns every
//! file into a flag, so a leftover `work_dir.dpkg-dist` or `quorum.bak` stops the daemon.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use base64::Engine;

use super::{unified_diff, Check, Handler, HostCtx, Step};
use crate::remote::sh_quote;

/// Mode of every file the step writes.
const FILE_MODE: &str = "644";
/// Mode of every directory the step makes.
const DIR_MODE: &str = "755";
const OWNER: &str = "root:root";

/// Ensures `dir` holds exactly `files` (relative path -> content), mode 644, root-owned.
#[derive(Debug)]
pub struct FlagDirStep {
    /// Step name.
    pub name: String,
    /// The directory.
    pub dir: String,
    /// Desired files by relative path (`resources/cpus`).
    pub files: BTreeMap<String, String>,
    /// Handlers notified when anything changes.
    pub notify: Vec<Handler>,
    /// Relative paths (a trailing `/` covers a subdirectory) whose change notifies
    /// `identity_notify` instead of `notify`.
    pub identity: Vec<String>,
    /// Handlers for an identity change (e.g. stop, reset the checkpoint, start).
    pub identity_notify: Vec<Handler>,
    identity_changed: AtomicBool,
}

impl FlagDirStep {
    /// A step owning `dir` with these files, notifying `notify` on change.
    pub fn new(
        name: &str,
        dir: &str,
        files: BTreeMap<String, String>,
        notify: Vec<Handler>,
    ) -> Self {
        FlagDirStep {
            name: name.to_string(),
            dir: dir.trim_end_matches('/').to_string(),
            files,
            notify,
            identity: Vec::new(),
            identity_notify: Vec::new(),
            identity_changed: AtomicBool::new(false),
        }
    }

    /// Changes to `paths` notify `handlers` instead of the plain handlers.
    pub fn with_identity(mut self, paths: &[&str], handlers: Vec<Handler>) -> Self {
        self.identity = paths.iter().map(|p| p.to_string()).collect();
        self.identity_notify = handlers;
        self
    }

    fn listing_script(&self) -> String {
        let d = sh_quote(&self.dir);
        format!(
            "if [ ! -d {d} ]; then echo __ABSENT__; exit 0; fi; cd {d} && find . -mindepth 1 -printf '%y %m %u:%g %P\\n' && echo __CONTENT__ && find . -mindepth 1 -type f -printf '%P\\n' | LC_ALL=C sort | while IFS= read -r f; do printf '%s\\t%s\\n' \"$f\" \"$(base64 -w0 < \"$f\")\"; done"
        )
    }

    async fn read(&self, ctx: &HostCtx) -> anyhow::Result<Option<Listing>> {
        let out = ctx.run_ok(&self.listing_script()).await?;
        Listing::parse(&out)
    }

    fn is_identity(&self, rel: &str) -> bool {
        self.identity.iter().any(|p| match p.strip_suffix('/') {
            Some(dir) => rel == dir || rel.starts_with(p.as_str()),
            None => rel == p,
        })
    }
}

/// What a flag directory holds now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// Relative path -> (kind `f`/`d`/`l`/..., mode, owner).
    pub entries: BTreeMap<String, (char, String, String)>,
    /// Regular files' contents.
    pub contents: BTreeMap<String, String>,
}

impl Listing {
    /// Parses the listing script's output; `None` when the directory does not exist.
    pub fn parse(out: &str) -> anyhow::Result<Option<Listing>> {
        if out.trim() == "__ABSENT__" {
            return Ok(None);
        }
        let (head, body) = out
            .split_once("__CONTENT__\n")
            .or_else(|| out.split_once("__CONTENT__"))
            .ok_or_else(|| anyhow::anyhow!("unexpected directory listing: {out}"))?;
        let mut l = Listing::default();
        for line in head.lines().filter(|l| !l.is_empty()) {
            let mut parts = line.splitn(4, ' ');
            let (Some(kind), Some(mode), Some(owner), Some(rel)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                anyhow::bail!("unexpected listing line `{line}`");
            };
            l.entries.insert(
                rel.to_string(),
                (
                    kind.chars().next().unwrap_or('?'),
                    mode.to_string(),
                    owner.to_string(),
                ),
            );
        }
        for line in body.lines().filter(|l| !l.is_empty()) {
            let (rel, b64) = line.split_once('\t').unwrap_or((line, ""));
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| anyhow::anyhow!("content of {rel}: {e}"))?;
            l.contents.insert(
                rel.to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            );
        }
        Ok(Some(l))
    }
}

/// What has to change in the directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirPlan {
    /// Entries to remove (not ours, or of the wrong kind).
    pub remove: Vec<String>,
    /// Files to create.
    pub create: Vec<String>,
    /// Files whose content differs.
    pub update: Vec<String>,
    /// Files or directories whose mode or owner differs.
    pub fix: Vec<String>,
    /// Subdirectories to make.
    pub mkdir: Vec<String>,
}

impl DirPlan {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.remove.is_empty()
            && self.create.is_empty()
            && self.update.is_empty()
            && self.fix.is_empty()
            && self.mkdir.is_empty()
    }

    /// Every relative path the plan touches.
    pub fn touched(&self) -> impl Iterator<Item = &String> {
        self.remove
            .iter()
            .chain(&self.create)
            .chain(&self.update)
            .chain(&self.fix)
    }
}

/// Plans the changes from `actual` (`None`: no directory) to exactly `files`.
pub fn plan(actual: Option<&Listing>, files: &BTreeMap<String, String>) -> DirPlan {
    let dirs: BTreeSet<String> = files
        .keys()
        .filter_map(|rel| rel.rsplit_once('/').map(|(d, _)| d.to_string()))
        .collect();
    let empty = Listing::default();
    let actual = actual.unwrap_or(&empty);
    let mut p = DirPlan::default();
    for (rel, (kind, mode, owner)) in &actual.entries {
        let wanted = match kind {
            'f' => files.contains_key(rel),
            'd' => dirs.contains(rel),
            _ => false,
        };
        // Entries inside a directory that is removed go with it.
        let parent_removed = p.remove.iter().any(|r| rel.starts_with(&format!("{r}/")));
        if !wanted {
            if !parent_removed {
                p.remove.push(rel.clone());
            }
            continue;
        }
        let want_mode = if *kind == 'd' { DIR_MODE } else { FILE_MODE };
        if mode.trim_start_matches('0') != want_mode || owner != OWNER {
            p.fix.push(rel.clone());
        }
    }
    for d in &dirs {
        if !matches!(actual.entries.get(d), Some(('d', ..))) {
            p.mkdir.push(d.clone());
        }
    }
    for (rel, content) in files {
        match (actual.entries.get(rel), actual.contents.get(rel)) {
            (Some(('f', ..)), Some(have)) if have == content => {}
            (Some(('f', ..)), _) => p.update.push(rel.clone()),
            _ => p.create.push(rel.clone()),
        }
    }
    p
}

fn summary(dir: &str, p: &DirPlan, absent: bool) -> String {
    let mut parts = Vec::new();
    if absent {
        parts.push(format!("create {dir}"));
    }
    for (verb, list) in [
        ("create", &p.create),
        ("update", &p.update),
        ("remove", &p.remove),
        ("fix mode/owner of", &p.fix),
    ] {
        if !list.is_empty() {
            parts.push(format!("{verb} {}", list.join(", ")));
        }
    }
    parts.join("; ")
}

#[async_trait]
impl Step for FlagDirStep {
    fn name(&self) -> String {
        self.name.clone()
    }

    async fn check(&self, ctx: &HostCtx) -> anyhow::Result<Check> {
        let actual = self.read(ctx).await?;
        let p = plan(actual.as_ref(), &self.files);
        if p.is_empty() && actual.is_some() {
            return Ok(Check::InSync(format!(
                "{}: {} flag file(s), nothing else",
                self.dir,
                self.files.len()
            )));
        }
        let mut diff = String::new();
        let empty = Listing::default();
        let have = actual.as_ref().unwrap_or(&empty);
        for rel in p.create.iter().chain(&p.update) {
            let old = have.contents.get(rel).map(String::as_str).unwrap_or("");
            diff.push_str(&unified_diff(
                &format!("{}/{rel}", self.dir),
                old,
                &self.files[rel],
            ));
        }
        for rel in &p.remove {
            diff.push_str(&format!("removed: {}/{rel}\n", self.dir));
        }
        Ok(Check::Drift {
            summary: summary(&self.dir, &p, actual.is_none()),
            diff: (!diff.is_empty()).then_some(diff),
        })
    }

    async fn apply(&self, ctx: &HostCtx) -> anyhow::Result<()> {
        let actual = self.read(ctx).await?;
        let p = plan(actual.as_ref(), &self.files);
        // A directory that did not exist had no daemon reading it yet: nothing was
        // checkpointed under another identity.
        if actual.is_some() && p.touched().any(|rel| self.is_identity(rel)) {
            self.identity_changed.store(true, Ordering::SeqCst);
        }
        let d = sh_quote(&self.dir);
        let mut script = format!("set -e; install -d -m {DIR_MODE} -o root -g root {d}");
        for rel in &p.remove {
            script.push_str(&format!(
                "; rm -rf -- {}",
                sh_quote(&format!("{}/{rel}", self.dir))
            ));
        }
        for rel in &p.mkdir {
            script.push_str(&format!(
                "; install -d -m {DIR_MODE} -o root -g root {}",
                sh_quote(&format!("{}/{rel}", self.dir))
            ));
        }
        for rel in &p.fix {
            let path = sh_quote(&format!("{}/{rel}", self.dir));
            let mode = if self.files.contains_key(rel) {
                FILE_MODE
            } else {
                DIR_MODE
            };
            script.push_str(&format!("; chown {OWNER} {path}; chmod {mode} {path}"));
        }
        ctx.run_ok(&script).await?;
        // Written through a staging directory: a temporary file inside the flag directory
        // would itself be read as a flag by a daemon starting at that moment.
        for rel in p.create.iter().chain(&p.update) {
            ctx.write_file_staged(
                &format!("{}/{rel}", self.dir),
                &self.files[rel],
                FILE_MODE,
                OWNER,
            )
            .await?;
        }
        Ok(())
    }

    fn notifies(&self) -> Vec<Handler> {
        if self.identity_changed.load(Ordering::SeqCst) {
            self.identity_notify.clone()
        } else {
            self.notify.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::facts::Family;
    use crate::steps::testkit::{ctx, FakeHost};

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn files() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("hostname".to_string(), "s1\n".to_string()),
            ("resources/cpus".to_string(), "2\n".to_string()),
            ("work_dir".to_string(), "/var/lib/mesos\n".to_string()),
        ])
    }

    fn listing(extra: &str, hostname: &str) -> String {
        format!(
            "f 644 root:root hostname\nd 755 root:root resources\nf 644 root:root resources/cpus\nf 644 root:root work_dir\n{extra}__CONTENT__\nhostname\t{}\nresources/cpus\t{}\nwork_dir\t{}\n",
            b64(hostname),
            b64("2\n"),
            b64("/var/lib/mesos\n")
        )
    }

    #[test]
    fn plan_purges_foreign_files_and_backups() {
        let out = listing(
            "f 644 root:root work_dir.dpkg-dist\nd 755 root:root old\nf 644 root:root old/x\nl 777 root:root quorum\n",
            "s1\n",
        );
        let l = Listing::parse(&out).unwrap().unwrap();
        let p = plan(Some(&l), &files());
        assert_eq!(p.remove, vec!["old", "quorum", "work_dir.dpkg-dist"]);
        assert!(p.create.is_empty() && p.update.is_empty() && p.fix.is_empty());
    }

    #[test]
    fn plan_for_an_absent_directory_creates_everything() {
        let p = plan(None, &files());
        assert_eq!(p.mkdir, vec!["resources"]);
        assert_eq!(p.create, vec!["hostname", "resources/cpus", "work_dir"]);
    }

    #[tokio::test]
    async fn in_sync_when_exactly_our_files() {
        let fake = FakeHost::default().on("find . -mindepth 1", 0, &listing("", "s1\n"));
        let c = ctx(Arc::new(fake), Family::Debian12, false);
        let step = FlagDirStep::new("agent flags", "/etc/mesos-slave", files(), vec![]);
        assert!(matches!(step.check(&c).await.unwrap(), Check::InSync(_)));
    }

    #[tokio::test]
    async fn an_identity_change_notifies_the_reset_chain() {
        let fake = Arc::new(
            FakeHost::default()
                .on(
                    "find . -mindepth 1",
                    0,
                    &listing("f 600 root:root x.bak\n", "old\n"),
                )
                .on("install -d -m 755", 0, "")
                .on("mesos-provisioner/staging", 0, ""),
        );
        let c = ctx(fake.clone(), Family::Debian12, false);
        let restart = Handler::systemctl("restart", "mesos-slave");
        let stop = Handler::systemctl("stop", "mesos-slave");
        let step = FlagDirStep::new(
            "agent flags",
            "/etc/mesos-slave",
            files(),
            vec![restart.clone()],
        )
        .with_identity(&["hostname", "resources/"], vec![stop.clone()]);
        let Check::Drift { summary, diff } = step.check(&c).await.unwrap() else {
            panic!("expected drift")
        };
        assert_eq!(summary, "update hostname; remove x.bak");
        assert!(diff.unwrap().contains("removed: /etc/mesos-slave/x.bak"));
        assert_eq!(step.notifies(), vec![restart]);
        step.apply(&c).await.unwrap();
        assert_eq!(step.notifies(), vec![stop]);
        let scripts = fake.scripts();
        assert!(scripts
            .iter()
            .any(|s| s.contains("rm -rf -- /etc/mesos-slave/x.bak")));
        let calls = fake.calls.lock().unwrap();
        let (script, stdin) = calls.last().unwrap();
        assert!(
            script.contains("mv -f \"$tmp\" /etc/mesos-slave/hostname"),
            "{script}"
        );
        assert_eq!(stdin.as_deref(), Some("s1\n"));
    }

    #[tokio::test]
    async fn a_new_directory_needs_no_identity_reset() {
        let fake = Arc::new(
            FakeHost::default()
                .on("find . -mindepth 1", 0, "__ABSENT__\n")
                .on("install -d -m 755", 0, "")
                .on("mesos-provisioner/staging", 0, ""),
        );
        let c = ctx(fake, Family::Debian12, false);
        let restart = Handler::systemctl("restart", "mesos-slave");
        let step = FlagDirStep::new(
            "agent flags",
            "/etc/mesos-slave",
            files(),
            vec![restart.clone()],
        )
        .with_identity(
            &["hostname"],
            vec![Handler::systemctl("stop", "mesos-slave")],
        );
        step.apply(&c).await.unwrap();
        assert_eq!(step.notifies(), vec![restart]);
    }

    /// The listing script run by a real shell on a real directory (read-only, no root needed).
    #[test]
    fn the_listing_script_reads_a_real_directory() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("mesos-slave");
        std::fs::create_dir_all(d.join("resources")).unwrap();
        std::fs::write(d.join("hostname"), "s1\n").unwrap();
        std::fs::write(d.join("resources/cpus"), "2\n").unwrap();
        std::fs::write(d.join("?no-hostname_lookup"), "").unwrap();
        std::fs::write(d.join("work_dir.dpkg-dist"), "/var/lib/mesos\n").unwrap();
        let step = FlagDirStep::new("x", d.to_str().unwrap(), BTreeMap::new(), vec![]);
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(step.listing_script())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let l = Listing::parse(&String::from_utf8_lossy(&out.stdout))
            .unwrap()
            .unwrap();
        let kinds: Vec<(&str, char)> = l.entries.iter().map(|(k, v)| (k.as_str(), v.0)).collect();
        assert_eq!(
            kinds,
            vec![
                ("?no-hostname_lookup", 'f'),
                ("hostname", 'f'),
                ("resources", 'd'),
                ("resources/cpus", 'f'),
                ("work_dir.dpkg-dist", 'f')
            ]
        );
        assert_eq!(l.contents["resources/cpus"], "2\n");
        assert_eq!(l.contents["?no-hostname_lookup"], "");
        let want = BTreeMap::from([
            ("hostname".to_string(), "s1\n".to_string()),
            ("resources/cpus".to_string(), "2\n".to_string()),
        ]);
        let p = plan(Some(&l), &want);
        assert_eq!(p.remove, vec!["?no-hostname_lookup", "work_dir.dpkg-dist"]);
        assert!(p.create.is_empty() && p.update.is_empty());
        let gone = FlagDirStep::new(
            "x",
            d.join("nope").to_str().unwrap(),
            BTreeMap::new(),
            vec![],
        );
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(gone.listing_script())
            .output()
            .unwrap();
        assert_eq!(
            Listing::parse(&String::from_utf8_lossy(&out.stdout)).unwrap(),
            None
        );
    }

    #[test]
    fn identity_patterns() {
        let step = FlagDirStep::new("x", "/d", BTreeMap::new(), vec![])
            .with_identity(&["hostname", "resources/"], vec![]);
        assert!(step.is_identity("resources/cpus"));
        assert!(step.is_identity("resources"));
        assert!(step.is_identity("hostname"));
        assert!(!step.is_identity("hostname_lookup"));
        assert!(!step.is_identity("ip"));
    }
}
