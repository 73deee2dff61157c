//! The previous run's table (`bench.json` in the output folder), read before it is replaced, so
//! figures without a fixed target (the emulator's throughput) can show a regression.

use crate::table::Table;
use std::path::Path;

/// The figures of the previous run, if there was one.
#[derive(Debug, Default)]
pub struct Previous {
    table: Option<Table>,
}

impl Previous {
    /// Reads `path`; a missing or unreadable file means no previous run.
    pub fn load(path: &Path) -> Self {
        let table = std::fs::read_to_string(path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
        Previous { table }
    }

    /// Keeps the previous run only if it was of the same kind (`--quick` or full): their
    /// windows and time scales differ, so their figures are not comparable.
    pub fn same_mode(self, quick: bool) -> Self {
        Previous {
            table: self.table.filter(|t| t.context.quick == quick),
        }
    }

    /// The value of figure `id` in the previous run.
    pub fn value(&self, id: &str) -> Option<f64> {
        self.table
            .as_ref()?
            .figures
            .iter()
            .find(|f| f.id == id)?
            .value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{Context, Figure, Verdict};

    #[test]
    fn only_a_run_of_the_same_kind_is_compared() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bench.json");
        let table = Table {
            context: Context {
                started: "2026-12-07 15:55 UTC".into(),
                wall_s: 1.0,
                quick: true,
                machine: "2 CPUs".into(),
                load: "1".into(),
                root: false,
            },
            figures: vec![Figure::new("6.get.memory", 6, "GET", "1 req/s".into(), "-")
                .judged(8000.0, Verdict::Recorded)],
        };
        std::fs::write(&path, serde_json::to_string(&table).unwrap()).unwrap();
        assert_eq!(
            Previous::load(&path).same_mode(true).value("6.get.memory"),
            Some(8000.0)
        );
        assert_eq!(
            Previous::load(&path).same_mode(false).value("6.get.memory"),
            None
        );
        assert_eq!(
            Previous::load(&dir.path().join("none.json")).value("x"),
            None
        );
    }
}
