//! The test provider's "remote API": a JSON file of things keyed by id, read and rewritten
//! whole under a lock on every call.

use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::{json, Map, Value as Json};
use tfplugin::{Diagnostic, Diagnostics};

/// The backend file and a lock serialising read-modify-write cycles within this process.
pub struct Backend {
    path: PathBuf,
    lock: Mutex<()>,
}

/// The file's content: `{"next_id": N, "things": {"thing-1": {...}, ...}}`.
pub struct Store {
    /// The last id number handed out.
    pub next_id: u64,
    /// Things keyed by id; each is a JSON object of attributes.
    pub things: Map<String, Json>,
}

impl Backend {
    /// A backend stored at `path` (created on first write).
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            lock: Mutex::new(()),
        }
    }

    /// Runs `change` on the current content and writes the result back.
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut Store) -> Result<T, Diagnostic>,
    ) -> Result<T, Diagnostics> {
        let _guard = self
            .lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut store = self.load()?;
        let result = change(&mut store)?;
        let text = json!({"next_id": store.next_id, "things": store.things});
        let pretty = serde_json::to_string_pretty(&text).expect("JSON always serializes");
        std::fs::write(&self.path, pretty)
            .map_err(|error| self.io_error("writing", &error).into())
            .map(|()| result)
    }

    /// The current content.
    pub fn read(&self) -> Result<Store, Diagnostics> {
        let _guard = self
            .lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.load()
    }

    fn load(&self) -> Result<Store, Diagnostics> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Store {
                    next_id: 0,
                    things: Map::new(),
                })
            }
            Err(error) => return Err(self.io_error("reading", &error).into()),
        };
        let parsed: Json = serde_json::from_str(&text).map_err(|error| {
            Diagnostic::error(
                "Corrupt backend file",
                format!("{} is not JSON: {error}", self.path.display()),
            )
        })?;
        Ok(Store {
            next_id: parsed["next_id"].as_u64().unwrap_or(0),
            things: parsed["things"].as_object().cloned().unwrap_or_default(),
        })
    }

    fn io_error(&self, doing: &str, error: &std::io::Error) -> Diagnostic {
        Diagnostic::error(
            "Backend file error",
            format!("{doing} {}: {error}", self.path.display()),
        )
    }
}
