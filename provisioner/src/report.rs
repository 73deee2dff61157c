//! Step results, the recap, exit codes, and human or JSON-lines output.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// Outcome of one step on one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Already converged.
    Ok,
    /// Changed (or, in check mode, would change).
    Changed,
    /// Failed.
    Failed,
    /// Did not apply.
    Skipped,
    /// Host could not be reached.
    Unreachable,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Changed => "changed",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
            Outcome::Unreachable => "unreachable",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    /// Node name.
    pub host: String,
    /// Phase.
    pub phase: String,
    /// Step name.
    pub step: String,
    /// Outcome.
    pub outcome: Outcome,
    /// Human message.
    pub message: String,
    /// Diff (only with `--diff`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// Wall time.
    pub duration_ms: u64,
}

/// Per-host counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// ok
    pub ok: usize,
    /// changed
    pub changed: usize,
    /// failed
    pub failed: usize,
    /// skipped
    pub skipped: usize,
    /// unreachable
    pub unreachable: usize,
}

/// The recap over all hosts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Recap {
    /// Counts per host.
    pub hosts: BTreeMap<String, Counts>,
}

impl Recap {
    /// Builds the recap from all results.
    pub fn from_results(results: &[StepResult]) -> Self {
        let mut hosts: BTreeMap<String, Counts> = BTreeMap::new();
        for r in results {
            let c = hosts.entry(r.host.clone()).or_default();
            match r.outcome {
                Outcome::Ok => c.ok += 1,
                Outcome::Changed => c.changed += 1,
                Outcome::Failed => c.failed += 1,
                Outcome::Skipped => c.skipped += 1,
                Outcome::Unreachable => c.unreachable += 1,
            }
        }
        Recap { hosts }
    }

    /// 1 if anything failed, else 3 if a host was unreachable, else 2 if anything changed,
    /// else 0.
    pub fn exit_code(&self) -> i32 {
        let any = |f: fn(&Counts) -> usize| self.hosts.values().any(|c| f(c) > 0);
        if any(|c| c.failed) {
            1
        } else if any(|c| c.unreachable) {
            3
        } else if any(|c| c.changed) {
            2
        } else {
            0
        }
    }

    /// The recap as a text table.
    pub fn table(&self) -> String {
        let width = self.hosts.keys().map(String::len).max().unwrap_or(4).max(4);
        let mut out = format!(
            "{:<width$}  {:>4} {:>7} {:>6} {:>7} {:>11}\n",
            "host", "ok", "changed", "failed", "skipped", "unreachable"
        );
        for (host, c) in &self.hosts {
            out.push_str(&format!(
                "{host:<width$}  {:>4} {:>7} {:>6} {:>7} {:>11}\n",
                c.ok, c.changed, c.failed, c.skipped, c.unreachable
            ));
        }
        out
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum OutputMode {
    /// Lines for people, a live progress display on a terminal.
    #[default]
    Human,
    /// One JSON object per line on stdout.
    Json,
}

/// Collects and prints results as they arrive.
pub struct Reporter {
    mode: OutputMode,
    show_diff: bool,
    check_mode: bool,
    progress: Option<ProgressBar>,
    results: Mutex<Vec<StepResult>>,
}

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reporter")
            .field("mode", &self.mode)
            .finish()
    }
}

impl Reporter {
    /// A reporter; the progress display appears only for human output on a terminal.
    pub fn new(mode: OutputMode, show_diff: bool, check_mode: bool) -> Self {
        let progress = (mode == OutputMode::Human && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Reporter {
            mode,
            show_diff,
            check_mode,
            progress,
            results: Mutex::new(Vec::new()),
        }
    }

    /// Adds `n` units of expected work to the progress display.
    pub fn expect_work(&self, n: u64) {
        if let Some(bar) = &self.progress {
            bar.inc_length(n);
        }
    }

    /// Removes `n` units of expected work (a host dropped out of the run).
    pub fn drop_work(&self, n: u64) {
        if let Some(bar) = &self.progress {
            let len = bar.length().unwrap_or(0);
            bar.set_length(len.saturating_sub(n));
        }
    }

    /// Marks one unit of work done, with a status message.
    pub fn work_done(&self, msg: &str) {
        if let Some(bar) = &self.progress {
            bar.inc(1);
            bar.set_message(msg.to_string());
        }
    }

    /// Records and prints one result.
    pub fn report(&self, mut result: StepResult) {
        if !self.show_diff {
            result.diff = None;
        }
        let line = match self.mode {
            OutputMode::Json => {
                let mut value = serde_json::to_value(&result).unwrap_or_default();
                if let Some(obj) = value.as_object_mut() {
                    obj.insert("type".into(), "step".into());
                }
                value.to_string()
            }
            OutputMode::Human => {
                let label = if self.check_mode && result.outcome == Outcome::Changed {
                    "would change"
                } else {
                    result.outcome.label()
                };
                let mut text = format!(
                    "{:<11} {:<12} {:<28} {}",
                    label, result.host, result.step, result.message
                );
                if let Some(diff) = &result.diff {
                    for l in diff.lines() {
                        text.push_str(&format!("\n    {l}"));
                    }
                }
                text
            }
        };
        self.print(&line);
        if let Ok(mut all) = self.results.lock() {
            all.push(result);
        }
    }

    fn print(&self, line: &str) {
        match &self.progress {
            Some(bar) => bar.println(line),
            None => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
            }
        }
    }

    /// Ends the run: prints the recap and returns it.
    pub fn finish(&self, log_dir: &std::path::Path) -> Recap {
        if let Some(bar) = &self.progress {
            bar.finish_and_clear();
        }
        let results = self.results.lock().map(|r| r.clone()).unwrap_or_default();
        let recap = Recap::from_results(&results);
        match self.mode {
            OutputMode::Json => {
                let line = serde_json::json!({
                    "type": "recap",
                    "hosts": recap.hosts,
                    "check": self.check_mode,
                    "exit_code": recap.exit_code(),
                    "log_dir": log_dir.display().to_string(),
                });
                println!("{line}");
            }
            OutputMode::Human => {
                println!(
                    "\nRECAP{}",
                    if self.check_mode {
                        " (check mode: nothing was changed)"
                    } else {
                        ""
                    }
                );
                print!("{}", recap.table());
                println!("per-host logs: {}", log_dir.display());
            }
        }
        recap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(host: &str, outcome: Outcome) -> StepResult {
        StepResult {
            host: host.into(),
            phase: "base".into(),
            step: "s".into(),
            outcome,
            message: String::new(),
            diff: None,
            duration_ms: 0,
        }
    }

    #[test]
    fn exit_codes_follow_precedence() {
        let code = |v: Vec<StepResult>| Recap::from_results(&v).exit_code();
        assert_eq!(code(vec![r("a", Outcome::Ok), r("a", Outcome::Skipped)]), 0);
        assert_eq!(code(vec![r("a", Outcome::Ok), r("b", Outcome::Changed)]), 2);
        assert_eq!(
            code(vec![r("a", Outcome::Changed), r("b", Outcome::Unreachable)]),
            3
        );
        assert_eq!(
            code(vec![r("a", Outcome::Failed), r("b", Outcome::Unreachable)]),
            1
        );
    }

    #[test]
    fn table_lists_each_host() {
        let recap =
            Recap::from_results(&[r("master1", Outcome::Ok), r("master1", Outcome::Changed)]);
        let t = recap.table();
        assert!(t.starts_with("host "));
        assert!(
            t.contains("master1     1       1      0       0           0"),
            "{t}"
        );
    }

    #[test]
    fn json_result_shape() {
        let v = serde_json::to_value(r("h", Outcome::Unreachable)).unwrap();
        assert_eq!(v["outcome"], "unreachable");
        assert!(v.get("diff").is_none());
    }
}
