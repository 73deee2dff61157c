//! Per-host log files of every remote command, with secrets redacted.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::secret::{redact, Secret};

/// An append-only log of the commands run on one host.
pub struct HostLog {
    file: Option<Mutex<std::fs::File>>,
    path: PathBuf,
    secrets: Vec<Secret>,
}

impl std::fmt::Debug for HostLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostLog").field("path", &self.path).finish()
    }
}

impl HostLog {
    /// Opens (creates) `<dir>/<host>.log`. Every secret given is replaced by `<redacted>`.
    pub fn open(dir: &Path, host: &str, secrets: Vec<Secret>) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{host}.log"));
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&path)?;
        Ok(HostLog {
            file: Some(Mutex::new(file)),
            path,
            secrets,
        })
    }

    /// A log that writes nothing (for tests).
    pub fn disabled() -> Self {
        HostLog {
            file: None,
            path: PathBuf::new(),
            secrets: Vec::new(),
        }
    }

    /// Where the log is written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a free-form line.
    pub fn note(&self, text: &str) {
        self.write(&format!("# {}\n", text));
    }

    /// Records one command with its result.
    pub fn command(
        &self,
        user: &str,
        script: &str,
        stdin_len: Option<usize>,
        status: &str,
        stdout: &str,
        stderr: &str,
    ) {
        let mut text = format!("$ [{user}] {script}\n");
        if let Some(n) = stdin_len {
            text.push_str(&format!("  (stdin: {n} bytes, not logged)\n"));
        }
        text.push_str(&format!("  exit: {status}\n"));
        for (label, body) in [("stdout", stdout), ("stderr", stderr)] {
            if !body.is_empty() {
                text.push_str(&format!("  {label}:\n"));
                for line in body.lines() {
                    text.push_str(&format!("    {line}\n"));
                }
            }
        }
        self.write(&text);
    }

    fn write(&self, text: &str) {
        let Some(file) = &self.file else { return };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let stamp = utc_timestamp(now.as_secs(), now.subsec_millis());
        let clean = redact(text, &self.secrets);
        if let Ok(mut f) = file.lock() {
            let _ = write!(f, "[{stamp}] {clean}");
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for a Unix time (proleptic Gregorian calendar, UTC).
pub fn utc_timestamp(secs: u64, millis: u32) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(utc_timestamp(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(utc_timestamp(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(
            utc_timestamp(1_795_478_434, 247),
            "2026-11-24T00:00:34.247Z"
        );
    }

    #[test]
    fn commands_are_logged_with_secrets_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let log = HostLog::open(dir.path(), "m1", vec![Secret::new("TopSecret")]).unwrap();
        log.command("root", "echo TopSecret", Some(10), "0", "TopSecret\nx", "");
        let text = std::fs::read_to_string(dir.path().join("m1.log")).unwrap();
        assert!(!text.contains("TopSecret"), "{text}");
        assert!(text.contains("echo <redacted>"));
        assert!(text.contains("(stdin: 10 bytes, not logged)"));
        assert!(text.contains("    x\n"));
    }
}
