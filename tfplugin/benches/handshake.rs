//! Start-up benchmark: time from spawn to handshake line, and resident memory right after
//! the handshake, for providers launched the way Terraform launches them (AutoMTLS on with a
//! fresh P-521 client certificate, magic cookie, `PLUGIN_PROTOCOL_VERSIONS=5,6`).
//!
//! Compared side by side in one run:
//! * the tfplugin runtime: this benchmark binary re-executed in provider mode, serving the
//!   transport (handshake, AutoMTLS, side services) with a provider service that defines no
//!   resources;
//! * the test provider `terraform-provider-tftest` when a release build of it exists
//!   (`cargo build --release -p e2e`), or the binary named by `TFPLUGIN_BENCH_PROVIDER`;
//! * the Go SDK provider `.tools/bin/terraform-provider-lxd_v1.5.0` (the reference).
//!
//! Targets: at most 0.2x the Go provider's time and 0.3x its RSS.
//! Iterations: `TFPLUGIN_BENCH_ITERATIONS` (default 30).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use tfplugin::proto::tfplugin6::provider_server::Provider as ProviderRpc;
use tfplugin::testing::{launch, ClientIdentity};
use tfplugin::transport::handshake::MAGIC_COOKIE_KEY;

const TIME_TARGET: f64 = 0.2;
const RSS_TARGET: f64 = 0.3;

/// The provider service of the runtime-only candidate: no resources, every RPC
/// UNIMPLEMENTED. Only the transport is measured through it.
struct TransportOnly;

#[tonic::async_trait]
impl ProviderRpc for TransportOnly {}

struct Candidate {
    label: String,
    binary: PathBuf,
    times: Vec<Duration>,
    rss_kib: Vec<u64>,
}

fn main() -> ExitCode {
    if std::env::var_os(MAGIC_COOKIE_KEY).is_some() {
        return tfplugin::transport::serve::serve_rpc(TransportOnly, "provider.bench");
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
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

fn release_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("release")
}

fn run() -> Result<(), String> {
    let iterations: usize = std::env::var("TFPLUGIN_BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let go_binary = workspace_root().join(".tools/bin/terraform-provider-lxd_v1.5.0");
    if !go_binary.is_file() {
        return Err(format!(
            "{} is missing: run `scripts/install-tools` to fetch the Go reference provider",
            go_binary.display()
        ));
    }
    let own = std::env::current_exe().map_err(|e| format!("locating this binary: {e}"))?;
    let mut candidates = vec![Candidate::new("tfplugin runtime (transport only)", own)];
    let test_provider = std::env::var_os("TFPLUGIN_BENCH_PROVIDER")
        .map(PathBuf::from)
        .unwrap_or_else(|| release_dir().join("terraform-provider-tftest"));
    if test_provider.is_file() {
        candidates.push(Candidate::new(
            "terraform-provider-tftest (release)",
            test_provider,
        ));
    } else {
        println!(
            "note: {} not found; build it with `cargo build --release -p e2e` to include it",
            test_provider.display()
        );
    }
    candidates.push(Candidate::new(
        "terraform-provider-lxd v1.5.0 (Go SDK)",
        go_binary,
    ));

    // Warm the page cache, then interleave candidates so drift affects all alike.
    for candidate in &mut candidates {
        candidate.measure_once()?;
        candidate.times.clear();
        candidate.rss_kib.clear();
    }
    for _ in 0..iterations {
        for candidate in &mut candidates {
            candidate.measure_once()?;
        }
    }

    let reference = candidates
        .last()
        .expect("the Go provider is always measured");
    let (go_time, go_rss) = (reference.median_time(), reference.median_rss());
    println!(
        "\nstart-to-handshake and RSS after handshake, AutoMTLS on, median of {iterations} runs\n"
    );
    println!(
        "{:<42} {:>12} {:>10} {:>10} {:>10}",
        "provider", "time (ms)", "RSS (MiB)", "time ratio", "RSS ratio"
    );
    let mut all_met = true;
    for candidate in &candidates {
        let time = candidate.median_time();
        let rss = candidate.median_rss();
        let time_ratio = time.as_secs_f64() / go_time.as_secs_f64();
        let rss_ratio = rss as f64 / go_rss as f64;
        println!(
            "{:<42} {:>12.2} {:>10.2} {:>9.2}x {:>9.2}x",
            candidate.label,
            time.as_secs_f64() * 1000.0,
            rss as f64 / 1024.0,
            time_ratio,
            rss_ratio
        );
        if !std::ptr::eq(candidate, reference) {
            all_met &= time_ratio <= TIME_TARGET && rss_ratio <= RSS_TARGET;
        }
    }
    println!(
        "\ntargets: time <= {TIME_TARGET}x and RSS <= {RSS_TARGET}x of the Go provider: {}",
        if all_met { "met" } else { "NOT met" }
    );
    Ok(())
}

impl Candidate {
    fn new(label: &str, binary: PathBuf) -> Self {
        Self {
            label: label.to_owned(),
            binary,
            times: Vec::new(),
            rss_kib: Vec::new(),
        }
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
        self.times.push(plugin.spawn_to_handshake);
        self.rss_kib.push(rss);
        Ok(())
    }

    fn median_time(&self) -> Duration {
        let mut sorted = self.times.clone();
        sorted.sort();
        sorted[sorted.len() / 2]
    }

    fn median_rss(&self) -> u64 {
        let mut sorted = self.rss_kib.clone();
        sorted.sort_unstable();
        sorted[sorted.len() / 2]
    }
}
