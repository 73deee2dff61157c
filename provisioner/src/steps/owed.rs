//! Handlers a host is owed, kept on the host itself.
//!
//! A handler (a restart) runs at the end of a phase for the changes made in it. If the run dies
//! between a change and its handler (killed, the laptop's lid closed, the connection lost), the
//! next run finds every file already as wanted and would never restart the daemon, which then
//! runs the old configuration until something else restarts it. So before a change is applied,
//! the handlers it notifies are written to [`OWED_PATH`] on the host; they leave it only once
//! they have run. A run starts each phase by queueing what that phase is still owed.

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::{Handler, HostCtx};

/// The ledger on the host: one JSON object per line (`phase`, `name`, `script`).
pub const OWED_PATH: &str = "/var/lib/mesos-provisioner/owed-handlers";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    phase: String,
    name: String,
    script: String,
}

impl Entry {
    fn new(phase: &str, h: &Handler) -> Self {
        Entry {
            phase: phase.to_string(),
            name: h.name.clone(),
            script: h.script.clone(),
        }
    }

    fn handler(&self) -> Handler {
        Handler {
            name: self.name.clone(),
            script: self.script.clone(),
        }
    }
}

/// The host's ledger, read once per run (on first use) and written through on every change.
#[derive(Debug, Default)]
pub struct OwedHandlers {
    entries: Mutex<Option<Vec<Entry>>>,
}

impl OwedHandlers {
    /// The handlers `phase` is still owed from an earlier run, in the order they were recorded.
    pub async fn for_phase(&self, ctx: &HostCtx, phase: &str) -> Result<Vec<Handler>> {
        let mut entries = self.entries.lock().await;
        let entries = load(ctx, &mut entries).await?;
        Ok(entries
            .iter()
            .filter(|e| e.phase == phase)
            .map(Entry::handler)
            .collect())
    }

    /// Records, before a change is applied, the handlers it will owe (those not owed yet).
    pub async fn record(&self, ctx: &HostCtx, phase: &str, handlers: &[Handler]) -> Result<()> {
        let mut guard = self.entries.lock().await;
        let entries = load(ctx, &mut guard).await?;
        let before = entries.len();
        for h in handlers {
            let e = Entry::new(phase, h);
            if !entries.contains(&e) {
                entries.push(e);
            }
        }
        if entries.len() == before {
            return Ok(());
        }
        store(ctx, entries).await
    }

    /// Clears the handlers of `phase` that have run.
    pub async fn settle(&self, ctx: &HostCtx, phase: &str, ran: &[Handler]) -> Result<()> {
        let mut guard = self.entries.lock().await;
        let entries = load(ctx, &mut guard).await?;
        let before = entries.len();
        entries.retain(|e| !(e.phase == phase && ran.contains(&e.handler())));
        if entries.len() == before {
            return Ok(());
        }
        store(ctx, entries).await
    }
}

async fn load<'a>(ctx: &HostCtx, cache: &'a mut Option<Vec<Entry>>) -> Result<&'a mut Vec<Entry>> {
    if cache.is_none() {
        let file = ctx
            .read_file(OWED_PATH)
            .await
            .with_context(|| format!("reading {OWED_PATH}"))?;
        *cache = Some(match file {
            Some(f) => parse(&f.content)?,
            None => Vec::new(),
        });
    }
    Ok(cache.as_mut().expect("loaded above"))
}

async fn store(ctx: &HostCtx, entries: &[Entry]) -> Result<()> {
    if entries.is_empty() {
        ctx.run_ok(&format!("rm -f {OWED_PATH}"))
            .await
            .with_context(|| format!("removing {OWED_PATH}"))?;
        return Ok(());
    }
    ctx.write_file_staged(OWED_PATH, &render(entries), "600", "root:root")
        .await
        .with_context(|| format!("writing {OWED_PATH}"))?;
    Ok(())
}

fn render(entries: &[Entry]) -> String {
    entries
        .iter()
        .map(|e| serde_json::to_string(e).expect("plain strings serialise") + "\n")
        .collect()
}

fn parse(content: &str) -> Result<Vec<Entry>> {
    content
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| {
                format!(
                    "{OWED_PATH} line {}: not a handler record (remove the file after restarting \
                     the cluster's services by hand)",
                    i + 1
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::facts::Family;
    use crate::steps::testkit::{ctx, FakeHost};

    #[test]
    fn ledger_lines_round_trip_and_a_bad_line_names_the_file_and_line() {
        let entries = vec![
            Entry::new("mesos-agent", &Handler::systemctl("restart", "mesos-slave")),
            Entry::new("base", &Handler::reload_if_active("ssh")),
        ];
        assert_eq!(parse(&render(&entries)).unwrap(), entries);
        let err = parse("{\"phase\":\"base\"}\n").unwrap_err();
        assert!(
            format!("{err:#}").contains("owed-handlers line 1"),
            "{err:#}"
        );
    }

    #[tokio::test]
    async fn recorded_handlers_are_owed_until_settled_and_written_only_on_change() {
        // The host already owes a restart from a killed run.
        let owed_line = render(&[Entry::new(
            "mesos-agent",
            &Handler::systemctl("restart", "mesos-slave"),
        )]);
        let fake = Arc::new(
            FakeHost::default()
                .on("if [ -f", 0, &format!("600 root:root\n{owed_line}"))
                .on("cat >", 0, "")
                .on("rm -f", 0, ""),
        );
        let c = ctx(fake.clone(), Family::Debian12, false);
        let restart = Handler::systemctl("restart", "mesos-slave");
        let docker = Handler::systemctl("restart", "docker");

        assert_eq!(
            c.owed.for_phase(&c, "mesos-agent").await.unwrap(),
            vec![restart.clone()]
        );
        assert!(c.owed.for_phase(&c, "base").await.unwrap().is_empty());
        // Already owed: nothing written.
        c.owed
            .record(&c, "mesos-agent", std::slice::from_ref(&restart))
            .await
            .unwrap();
        assert_eq!(fake.scripts().len(), 1, "{:?}", fake.scripts());
        // A new one is written through, after the old one.
        c.owed
            .record(&c, "mesos-agent", std::slice::from_ref(&docker))
            .await
            .unwrap();
        let written = fake
            .calls
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .1
            .clone()
            .unwrap();
        assert_eq!(parse(&written).unwrap().len(), 2);
        // Settling what ran leaves the rest owed; settling everything removes the file.
        c.owed
            .settle(&c, "mesos-agent", std::slice::from_ref(&restart))
            .await
            .unwrap();
        let written = fake
            .calls
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .1
            .clone()
            .unwrap();
        assert_eq!(parse(&written).unwrap()[0].handler(), docker);
        c.owed
            .settle(&c, "mesos-agent", std::slice::from_ref(&docker))
            .await
            .unwrap();
        assert!(fake.scripts().last().unwrap().starts_with("rm -f"));
        assert_eq!(fake.scripts().len(), 4, "one read, three writes");
    }
}
