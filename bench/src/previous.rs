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
