//! Start-up benchmark: time from spawn to handshake line and resident memory right after
//! the handshake, for real provider binaries launched the way Terraform launches them
//! (AutoMTLS on with a fresh P-521 client certificate, magic cookie,
//! `PLUGIN_PROTOCOL_VERSIONS=5,6`), side by side with the Go SDK provider
//! `terraform-provider-lxd` v1.5.0 measured in the same run.
//!
//! Providers built on tfplugin, each measured when its binary exists:
//! * the binary named by `TFPLUGIN_BENCH_PROVIDER`;
//! * the product provider `terraform-provider-cloudcontrol`
//!   (`cargo build --release -p terraform-provider-cloudcontrol`);
//! * the workspace test provider `terraform-provider-tftest`
//!   (`cargo build --release -p e2e --bin terraform-provider-tftest`);
//! * the example provider `terraform-provider-scratch`
//!   (`cargo build --release -p tfplugin --example terraform-provider-scratch`).
//!
//! Candidates are launched interleaved, so load changes on a shared machine hit all of them
//! alike. Targets: at most 0.2x the Go provider's median time and 0.3x its median RSS.
//! Iterations: `TFPLUGIN_BENCH_ITERATIONS` (default 30). With `TFPLUGIN_BENCH_STRICT=1` a
//! missed target makes the benchmark exit with status 1.

#[path = "handshake/probe.rs"]
mod probe;
#[path = "handshake/stats.rs"]
mod stats;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use tfplugin::testing::{launch, ClientIdentity};

const TIME_TARGET: f64 = 0.2;
const RSS_TARGET: f64 = 0.3;
const GO_PROVIDER: &str = ".tools/bin/terraform-provider-lxd_v1.5.0";

/// One provider binary and its samples.
struct Candidate {
    label: String,
    binary: PathBuf,
    times: Vec<Duration>,
    rss_kib: Vec<u64>,
    cpu_ns: Vec<u64>,
}

/// Median and 90th percentile of one candidate's samples.
struct Summary {
    time: (Duration, Duration),
    rss_kib: (u64, u64),
    cpu: (Duration, Duration),
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) if std::env::var("TFPLUGIN_BENCH_STRICT").as_deref() == Ok("1") => {
            ExitCode::from(1)
        }
        Ok(false) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("benchmark failed: {message}");
            ExitCode::from(1)
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tfplugin lives in the workspace")
        .to_path_buf()
}

/// The profile directory this benchmark was built into (`<target>/release`): the
/// benchmark runs from `<target>/release/deps/`.
fn profile_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("locating this binary: {e}"))?;
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("{} has no profile directory", exe.display()))
}

/// The tfplugin providers to measure, in order of preference.
fn rust_candidates() -> Result<Vec<Candidate>, String> {
    let profile = profile_dir()?;
    let mut wanted = Vec::new();
    if let Some(path) = std::env::var_os("TFPLUGIN_BENCH_PROVIDER") {
        let path = PathBuf::from(path);
        if !path.is_file() {
            return Err(format!(
                "TFPLUGIN_BENCH_PROVIDER={} is not a file",
                path.display()
            ));
        }
        wanted.push(path);
    }
    wanted.push(profile.join("terraform-provider-cloudcontrol"));
    wanted.push(profile.join("terraform-provider-tftest"));
    wanted.push(profile.join("examples").join("terraform-provider-scratch"));
    let mut found: Vec<Candidate> = Vec::new();
    for path in wanted {
        if !path.is_file() {
            println!("not measured (not built): {}", path.display());
        } else if !found.iter().any(|c| c.binary == path) {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            found.push(Candidate::new(format!("{name} (tfplugin)"), path));
        }
    }
    if found.is_empty() {
        return Err(
            "no provider built on tfplugin found; run `cargo build --release -p tfplugin \
             --example terraform-provider-scratch` first"
                .into(),
        );
    }
    Ok(found)
}

fn run() -> Result<bool, String> {
    let iterations: usize = std::env::var("TFPLUGIN_BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(30);
    let go_binary = workspace_root().join(GO_PROVIDER);
    if !go_binary.is_file() {
        return Err(format!(
            "{} is missing: run `scripts/install-tools` to fetch the Go reference provider",
            go_binary.display()
        ));
    }
    let mut candidates = rust_candidates()?;
    candidates.push(Candidate::new(
        "terraform-provider-lxd v1.5.0 (Go SDK)".to_owned(),
        go_binary,
    ));

    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load_before = probe::load_average();
    // Warm the page cache once per binary, then interleave so drift affects all alike.
    for candidate in &mut candidates {
        candidate.measure_once()?;
        candidate.clear();
    }
    for _ in 0..iterations {
        for candidate in &mut candidates {
            candidate.measure_once()?;
        }
    }
    let load_after = probe::load_average();

    println!(
        "\nprovider start-up: spawn to handshake line and RSS right after it, AutoMTLS on \
         (P-521 client certificate), {iterations} interleaved launches each"
    );
    println!(
        "machine: {cpus} CPUs; load average (1/5/15 min) before {load_before}, after {load_after}\n"
    );
    println!(
        "{:<52} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "provider", "time med", "time p90", "CPU med", "CPU p90", "RSS med", "RSS p90"
    );
    println!(
        "{:<52} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "", "ms", "ms", "ms", "ms", "MiB", "MiB"
    );
    let summaries: Vec<Summary> = candidates.iter().map(Candidate::summary).collect();
    for (candidate, summary) in candidates.iter().zip(&summaries) {
        println!(
            "{:<52} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
            candidate.label,
            millis(summary.time.0),
            millis(summary.time.1),
            millis(summary.cpu.0),
            millis(summary.cpu.1),
            mib(summary.rss_kib.0),
            mib(summary.rss_kib.1),
        );
    }

    let (go, ours) = summaries.split_last().expect("the Go provider is measured");
    println!("\nratios to the Go provider (median / median):\n");
    println!(
        "{:<52} {:>8} {:>8} {:>6}   {:>8} {:>8} {:>6}   {:>8}",
        "provider", "time", "target", "", "RSS", "target", "", "CPU"
    );
    let mut all_pass = true;
    for (candidate, summary) in candidates.iter().zip(ours) {
        let time_ratio = summary.time.0.as_secs_f64() / go.time.0.as_secs_f64();
        let rss_ratio = summary.rss_kib.0 as f64 / go.rss_kib.0 as f64;
        let cpu_ratio = summary.cpu.0.as_secs_f64() / go.cpu.0.as_secs_f64();
        let time_pass = time_ratio <= TIME_TARGET;
        let rss_pass = rss_ratio <= RSS_TARGET;
        all_pass &= time_pass && rss_pass;
        println!(
            "{:<52} {:>7.3}x {:>7.2}x {:>6}   {:>7.3}x {:>7.2}x {:>6}   {:>7.3}x",
            candidate.label,
            time_ratio,
            TIME_TARGET,
            verdict(time_pass),
            rss_ratio,
            RSS_TARGET,
            verdict(rss_pass),
            cpu_ratio
        );
    }
    println!(
        "\n{}",
        if all_pass {
            "all targets met"
        } else {
            "targets MISSED (on a loaded machine wall-clock time is inflated by waiting for a \
             core; the CPU column shows the work itself)"
        }
    );
    Ok(all_pass)
}

fn verdict(pass: bool) -> &'static str {
    if pass {
        "PASS"
    } else {
        "MISS"
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

impl Candidate {
    fn new(label: String, binary: PathBuf) -> Self {
        Self {
            label,
            binary,
            times: Vec::new(),
            rss_kib: Vec::new(),
            cpu_ns: Vec::new(),
        }
    }

    fn clear(&mut self) {
        self.times.clear();
        self.rss_kib.clear();
        self.cpu_ns.clear();
    }

    fn measure_once(&mut self) -> Result<(), String> {
        // Terraform generates a fresh P-521 certificate per launch; so do we, outside the timing.
        let identity =
            ClientIdentity::generate().map_err(|e| format!("client certificate: {e}"))?;
        let plugin = launch(&self.binary, Some(&identity), "5,6")
            .map_err(|e| format!("{}: {e}", self.label))?;
        if plugin.handshake.server_cert_der.is_none() {
            return Err(format!("{} did not enable AutoMTLS", self.label));
        }
        let rss = plugin
            .rss_kib()
            .ok_or_else(|| format!("{}: no VmRSS in /proc/{}/status", self.label, plugin.pid()))?;
        let cpu = probe::cpu_time_ns(plugin.pid())
            .ok_or_else(|| format!("{}: no schedstat for {}", self.label, plugin.pid()))?;
        self.times.push(plugin.spawn_to_handshake);
        self.rss_kib.push(rss);
        self.cpu_ns.push(cpu);
        Ok(())
    }

    fn summary(&self) -> Summary {
        let both = |f: fn(&[Duration]) -> Option<Duration>, samples: &[Duration]| {
            f(samples).unwrap_or_default()
        };
        let cpu: Vec<Duration> = self
            .cpu_ns
            .iter()
            .map(|&ns| Duration::from_nanos(ns))
            .collect();
        Summary {
            time: (
                both(stats::median, &self.times),
                both(stats::p90, &self.times),
            ),
            rss_kib: (
                stats::median(&self.rss_kib).unwrap_or_default(),
                stats::p90(&self.rss_kib).unwrap_or_default(),
            ),
            cpu: (both(stats::median, &cpu), both(stats::p90, &cpu)),
        }
    }
}
