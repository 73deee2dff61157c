//! A bounded in-memory log of API requests (method, path, responseCode, duration).

use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Mutex;

/// One logged request.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Sequence number (1-based, never reused).
    pub seq: u64,
    /// Request time, ISO 8601.
    pub time: String,
    /// HTTP method.
    pub method: String,
    /// Path without query.
    pub path: String,
    /// HTTP status; 0 when the connection was dropped by fault injection.
    pub status: u16,
    /// The envelope's `responseCode`, or `-` for documents.
    pub response_code: String,
    /// Handling time in milliseconds.
    pub duration_ms: f64,
}

/// The log: the newest `capacity` entries.
#[derive(Debug)]
pub struct RequestLog {
    capacity: usize,
    inner: Mutex<(u64, VecDeque<Entry>)>,
}

impl RequestLog {
    /// An empty log keeping at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        RequestLog {
            capacity: capacity.max(1),
            inner: Mutex::new((0, VecDeque::new())),
        }
    }

    /// Appends an entry (its `seq` is assigned here).
    pub fn push(&self, mut entry: Entry) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.0 += 1;
        entry.seq = g.0;
        if g.1.len() == self.capacity {
            g.1.pop_front();
        }
        g.1.push_back(entry);
    }

    /// Entries with `seq > since`, oldest first.
    pub fn since(&self, since: u64) -> Vec<Entry> {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.1.iter().filter(|e| e.seq > since).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(path: &str) -> Entry {
        Entry {
            seq: 0,
            time: String::new(),
            method: "GET".into(),
            path: path.into(),
            status: 200,
            response_code: "-".into(),
            duration_ms: 0.1,
        }
    }

    #[test]
    fn bounded_and_sequenced() {
        let log = RequestLog::new(2);
        log.push(e("/a"));
        log.push(e("/b"));
        log.push(e("/c"));
        let all = log.since(0);
        assert_eq!(
            all.iter().map(|x| x.path.as_str()).collect::<Vec<_>>(),
            ["/b", "/c"]
        );
        assert_eq!(all[1].seq, 3);
        assert_eq!(log.since(2).len(), 1);
    }
}
