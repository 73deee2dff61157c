//! The reliability table: one row per case, summed over its runs.

use std::fmt::Write as _;

use super::faults::FaultCounts;
use super::runs::RunOutcome;

/// One case's runs.
#[derive(Debug, Clone)]
pub struct Row {
    /// What the case does.
    pub case: String,
    /// Its runs.
    pub runs: Vec<RunOutcome>,
    /// Whether its runs inject faults (else they kill processes).
    pub faults: bool,
}

impl Row {
    fn fault_counts(&self) -> FaultCounts {
        let mut total = FaultCounts::default();
        for run in &self.runs {
            total.add(&run.faults);
        }
        total
    }

    /// The `faults / kills` cell.
    pub fn faults_or_kills(&self) -> String {
        if self.faults {
            let counts = self.fault_counts();
            let shares: Vec<String> = counts
                .shares()
                .into_iter()
                .map(|(name, n, pct)| format!("{name} {n} ({pct:.1} %)"))
                .collect();
            format!(
                "{} faults in {} requests: {}",
                counts.total(),
                counts.requests,
                shares.join(", ")
            )
        } else {
            format!("{} kills", self.runs.iter().map(|r| r.kills).sum::<usize>())
        }
    }

    /// Runs that converged.
    pub fn converged(&self) -> usize {
        self.runs.iter().filter(|r| r.converged).count()
    }

    /// Re-runs of apply or destroy after an error, over all runs.
    pub fn reruns(&self) -> usize {
        self.runs.iter().map(|r| r.reruns).sum()
    }
}

/// The Markdown table `| case | runs | faults / kills | converged | duplicated | orphaned | lost |`.
pub fn render(rows: &[Row]) -> String {
    let mut out = String::from(
        "| case | runs | faults / kills | converged | duplicated | orphaned | lost |\n|---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let sum = |f: fn(&RunOutcome) -> usize| row.runs.iter().map(f).sum::<usize>();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {}/{} ({} re-run{} after an error) | {} | {} | {} |",
            row.case,
            row.runs.len(),
            row.faults_or_kills(),
            row.converged(),
            row.runs.len(),
            row.reruns(),
            if row.reruns() == 1 { "" } else { "s" },
            sum(|r| r.duplicated),
            sum(|r| r.orphaned),
            sum(|r| r.lost),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_one_line_per_case_with_sums() {
        let converged = RunOutcome {
            converged: true,
            kills: 10,
            ..RunOutcome::default()
        };
        let failed = RunOutcome {
            kills: 3,
            orphaned: 1,
            reruns: 1,
            ..RunOutcome::default()
        };
        let table = render(&[Row {
            case: "provider SIGKILL".into(),
            runs: vec![converged, failed],
            faults: false,
        }]);
        assert_eq!(
            table.lines().nth(2),
            Some("| provider SIGKILL | 2 | 13 kills | 1/2 (1 re-run after an error) | 0 | 1 | 0 |")
        );
    }
}
