//! The machine a run measured on: CPUs, memory, CPU model, and the load average sampled while
//! the run goes on (absolute times on a shared machine mean little without it).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// `2 CPUs, 23.4 GiB, Intel(R) Xeon(R) ...`.
pub fn describe() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<f64>()
                        .ok()
                })
        })
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    format!("{cpus} CPUs (nproc), {mem_gib:.1} GiB memory, {model}")
}

/// The 1-minute load average now.
pub fn load_now() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Samples the 1-minute load average every few seconds until stopped.
pub struct LoadSampler {
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<f64>>>,
    thread: Option<JoinHandle<()>>,
}

impl LoadSampler {
    /// Starts sampling (one sample at once, then every 5 s).
    pub fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(Mutex::new(Vec::new()));
        let (stop_in, samples_in) = (Arc::clone(&stop), Arc::clone(&samples));
        let thread = std::thread::spawn(move || {
            let mut ticks = 0u32;
            while !stop_in.load(Ordering::Relaxed) {
                if ticks.is_multiple_of(50) {
                    if let Some(load) = load_now() {
                        samples_in
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(load);
                    }
                }
                ticks += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        LoadSampler {
            stop,
            samples,
            thread: Some(thread),
        }
    }

    /// Stops sampling and summarises: `min 0.5, mean 1.9, max 3.1 (40 samples)`.
    pub fn finish(mut self) -> String {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(load) = load_now() {
            self.samples
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(load);
        }
        summarise(&self.samples.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

fn summarise(samples: &[f64]) -> String {
    if samples.is_empty() {
        return "unknown".into();
    }
    let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
    let max = samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    format!(
        "min {min:.2}, mean {mean:.2}, max {max:.2} ({} samples)",
        samples.len()
    )
}

/// A `kB` field of a `/proc` file, such as `VmRSS:    6100 kB` in `/proc/PID/status` or
/// `Pss:   8 kB` in `smaps_rollup`.
pub fn kib_field(text: &str, field: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kib_fields_are_read() {
        assert_eq!(kib_field("Rss: 10 kB\nPss:   8 kB\n", "Pss:"), Some(8));
        assert_eq!(kib_field("VmRSS:\t 6100 kB\n", "VmRSS:"), Some(6100));
        let status = "Name:\tx\nVmHWM:\t    6400 kB\nVmRSS:\t    6100 kB\n";
        assert_eq!(kib_field(status, "VmRSS:"), Some(6100));
        assert_eq!(kib_field(status, "VmHWM:"), Some(6400));
        assert_eq!(kib_field(status, "VmSwap:"), None);
    }

    #[test]
    fn summary_of_samples() {
        assert_eq!(
            summarise(&[1.0, 3.0, 2.0]),
            "min 1.00, mean 2.00, max 3.00 (3 samples)"
        );
        assert_eq!(summarise(&[]), "unknown");
    }

    #[test]
    fn describes_this_machine() {
        assert!(describe().contains("CPUs (nproc)"));
    }
}
