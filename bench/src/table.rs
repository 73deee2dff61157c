//! The bench's one table: every figure with its measurement, target and verdict, printed for a
//! terminal and written as Markdown and JSON.

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// How a figure compares with its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// The target is met.
    Pass,
    /// The target is missed.
    Miss,
    /// Recorded for comparison with later runs; no earlier run to compare with.
    Recorded,
    /// Not measured in this run (the note says why).
    Skipped,
}

impl Verdict {
    /// `PASS` when `pass`, `MISS` otherwise.
    pub fn of(pass: bool) -> Self {
        if pass {
            Verdict::Pass
        } else {
            Verdict::Miss
        }
    }

    fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Miss => "MISS",
            Verdict::Recorded => "recorded",
            Verdict::Skipped => "skipped",
        }
    }
}

/// One line of the table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Figure {
    /// Stable key, e.g. `6.get.memory`, to find the same figure in an earlier run.
    pub id: String,
    /// The row number (1 to 6).
    pub row: u8,
    /// What is measured, in words.
    pub figure: String,
    /// The measurement as printed.
    pub measured: String,
    /// The number compared with the target (a ratio, a rate, seconds), when there is one.
    pub value: Option<f64>,
    /// The target as printed.
    pub target: String,
    /// PASS, MISS, recorded or skipped.
    pub verdict: Verdict,
    /// Context: the numbers behind a ratio, why a row was skipped.
    pub note: String,
}

impl Figure {
    /// A figure with a value, target and verdict; add context with [`Figure::note`].
    pub fn new(id: &str, row: u8, figure: &str, measured: String, target: &str) -> Self {
        Figure {
            id: id.to_owned(),
            row,
            figure: figure.to_owned(),
            measured,
            value: None,
            target: target.to_owned(),
            verdict: Verdict::Recorded,
            note: String::new(),
        }
    }

    /// Sets the compared value and the verdict.
    pub fn judged(mut self, value: f64, verdict: Verdict) -> Self {
        self.value = Some(value);
        self.verdict = verdict;
        self
    }

    /// Sets the note.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }

    /// A row that could not be measured here, with the reason.
    pub fn skipped(id: &str, row: u8, figure: &str, target: &str, why: &str) -> Self {
        Figure::new(id, row, figure, "-".into(), target)
            .note(why)
            .with_verdict(Verdict::Skipped)
    }

    /// A row whose measurement failed: a MISS with the error as its note.
    pub fn failed(row: u8, what: &str, error: &str) -> Self {
        Figure::new(&format!("{row}.failed"), row, what, "failed".into(), "-")
            .note(format!("the measurement failed: {error}"))
            .with_verdict(Verdict::Miss)
    }

    fn with_verdict(mut self, verdict: Verdict) -> Self {
        self.verdict = verdict;
        self
    }
}

/// Where and when the table was measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Context {
    /// UTC date and time the run started, e.g. `2026-12-07 15:40 UTC`.
    pub started: String,
    /// Wall time of the whole run, seconds.
    pub wall_s: f64,
    /// `--quick` or the full run.
    pub quick: bool,
    /// CPUs, memory and CPU model.
    pub machine: String,
    /// Load average (1 min) during the run: minimum, mean, maximum of the samples.
    pub load: String,
    /// Whether the run had root (the node-based rows need it).
    pub root: bool,
}

/// The whole result of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Table {
    /// Where and when.
    pub context: Context,
    /// Every figure, in row order.
    pub figures: Vec<Figure>,
}

impl Table {
    /// The table for a terminal: fixed-width columns, notes under their figure.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let c = &self.context;
        let _ = writeln!(
            out,
            "bench ({}), started {}, {:.0} s; machine: {}; load average during the run: {}",
            if c.quick { "quick" } else { "full" },
            c.started,
            c.wall_s,
            c.machine,
            c.load
        );
        let width = self
            .figures
            .iter()
            .map(|f| f.figure.chars().count())
            .max()
            .unwrap_or(10)
            .min(70);
        let [figure, measured, target] = ["figure", "measured", "target"];
        let _ = writeln!(
            out,
            "row {figure:<width$}  {measured:>28}  {target:>24}  verdict"
        );
        for f in &self.figures {
            let _ = writeln!(
                out,
                "{:<3} {:<width$}  {:>28}  {:>24}  {}",
                f.row,
                f.figure,
                f.measured,
                f.target,
                f.verdict.label()
            );
            if !f.note.is_empty() {
                let _ = writeln!(out, "      {}", f.note);
            }
        }
        out
    }

    /// The table as Markdown, with its context above it.
    pub fn render_markdown(&self) -> String {
        let mut out = String::new();
        let c = &self.context;
        let _ = writeln!(
            out,
            "Measured {} ({} run, {:.0} s of wall time{}) on {}; load average (1 min) during the run {}.\n",
            c.started,
            if c.quick { "`--quick`" } else { "full" },
            c.wall_s,
            if c.root { ", as root" } else { ", not root" },
            c.machine,
            c.load
        );
        out.push_str("| row | figure | measured | target | verdict | notes |\n");
        out.push_str("|---|---|---|---|---|---|\n");
        for f in &self.figures {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                f.row,
                cell(&f.figure),
                cell(&f.measured),
                cell(&f.target),
                f.verdict.label(),
                cell(&f.note)
            );
        }
        out
    }

    /// Figures that missed their target.
    pub fn misses(&self) -> impl Iterator<Item = &Figure> {
        self.figures.iter().filter(|f| f.verdict == Verdict::Miss)
    }
}

/// Escapes what would break a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            context: Context {
                started: "2026-12-07 15:40 UTC".into(),
                wall_s: 12.0,
                quick: true,
                machine: "2 CPUs".into(),
                load: "1.0".into(),
                root: false,
            },
            figures: vec![
                Figure::new("a", 3, "time | ratio", "0.1x".into(), "<= 0.2x")
                    .judged(0.1, Verdict::Pass),
                Figure::new("b", 3, "RSS", "0.4x".into(), "<= 0.3x").judged(0.4, Verdict::Miss),
                Figure::skipped("c", 4, "Ansible", "<= 0.5x", "needs root"),
            ],
        }
    }

    #[test]
    fn markdown_has_one_line_per_figure_and_escapes_bars() {
        let md = table().render_markdown();
        assert!(
            md.contains("| 3 | time \\| ratio | 0.1x | <= 0.2x | PASS |  |"),
            "{md}"
        );
        assert!(
            md.contains("| 4 | Ansible | - | <= 0.5x | skipped | needs root |"),
            "{md}"
        );
        assert!(md.contains("`--quick` run"), "{md}");
    }

    #[test]
    fn misses_are_only_the_missed_targets() {
        let t = table();
        let ids: Vec<&str> = t.misses().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["b"]);
    }

    #[test]
    fn json_round_trips() {
        let text = serde_json::to_string(&table()).unwrap();
        let back: Table = serde_json::from_str(&text).unwrap();
        assert_eq!(back.figures.len(), 3);
        assert_eq!(back.figures[2].verdict, Verdict::Skipped);
    }
}
