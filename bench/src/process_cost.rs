//! Row 3: what the provider process costs, measured interleaved with the Go SDK provider
//! terraform-provider-lxd v1.5.0 in the same run:
//!
//! * spawn to complete go-plugin handshake line, launched as Terraform launches providers
//!   (magic cookie, protocol versions 5 and 6, AutoMTLS with a fresh P-521 client certificate per
//!   launch, made outside the timing), and the process's resident memory right after it (`VmRSS`)
//!   and its peak so far (`VmHWM`);
//! * `terraform validate` and `terraform providers schema -json` (Terraform 1.0.3) of a one-resource
//!   configuration of each provider. Their wall time is mostly Terraform's own, so each is also run
//!   on a configuration with no provider at all, and the provider's part is the wall time minus
//!   that baseline.

use crate::machine::kib_field;
use crate::table::{Figure, Verdict};
use anyhow::{bail, Context, Result};
use e2e::terraform::{ProviderPackage, Workspace};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tfplugin::testing::{launch, ClientIdentity};

const TIME_TARGET: f64 = 0.2;
const RSS_TARGET: f64 = 0.3;

/// The Go SDK provider, installed by `scripts/install-tools lxd`.
fn go_provider() -> Result<PathBuf> {
    let path = e2e::terraform::workspace_root().join(".tools/bin/terraform-provider-lxd_v1.5.0");
    if !path.is_file() {
        bail!(
            "{} is missing: run `scripts/install-tools lxd` (scripts/bench does)",
            path.display()
        );
    }
    Ok(path)
}

/// Samples of one provider's launches.
#[derive(Default)]
struct Launches {
    times: Vec<Duration>,
    rss_kib: Vec<u64>,
    hwm_kib: Vec<u64>,
}

fn launch_once(binary: &Path, into: &mut Launches) -> Result<()> {
    let identity = ClientIdentity::generate().context("a client certificate")?;
    let plugin = launch(binary, Some(&identity), "5,6")
        .with_context(|| format!("launching {}", binary.display()))?;
    if plugin.handshake.server_cert_der.is_none() {
        bail!("{} did not turn AutoMTLS on", binary.display());
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", plugin.pid()))
        .context("reading the provider's /proc status")?;
    into.times.push(plugin.spawn_to_handshake);
    into.rss_kib
        .push(kib_field(&status, "VmRSS:").context("no VmRSS")?);
    into.hwm_kib
        .push(kib_field(&status, "VmHWM:").context("no VmHWM")?);
    Ok(())
}

/// The median (lower middle for an even count).
pub fn median<T: Copy + Ord>(samples: &[T]) -> Option<T> {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    sorted.get((sorted.len().max(1) - 1) / 2).copied()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs row 3 with the product provider at `ours`.
pub fn run(ours: &Path, quick: bool) -> Result<Vec<Figure>> {
    let go = go_provider()?;
    let launches = if quick { 10 } else { 30 };
    let mut rust = Launches::default();
    let mut golang = Launches::default();
    // Warm the page cache once, then interleave so load changes hit both alike.
    launch_once(ours, &mut Launches::default())?;
    launch_once(&go, &mut Launches::default())?;
    for _ in 0..launches {
        launch_once(ours, &mut rust)?;
        launch_once(&go, &mut golang)?;
    }
    let mut figures = Vec::new();
    let (t_ours, t_go) = (
        median(&rust.times).unwrap_or_default(),
        median(&golang.times).unwrap_or_default(),
    );
    let ratio = t_ours.as_secs_f64() / t_go.as_secs_f64();
    figures.push(
        Figure::new(
            "3.handshake.time",
            3,
            "provider start to handshake, vs Go SDK (lxd v1.5.0)",
            format!("{ratio:.3}x"),
            &format!("<= {TIME_TARGET}x"),
        )
        .judged(ratio, Verdict::of(ratio <= TIME_TARGET))
        .note(format!(
            "medians of {launches} interleaved AutoMTLS launches: {:.2} ms vs {:.2} ms",
            ms(t_ours),
            ms(t_go)
        )),
    );
    for (id, what, ours_kib, go_kib) in [
        (
            "3.handshake.rss",
            "provider RSS after handshake, vs Go SDK",
            median(&rust.rss_kib),
            median(&golang.rss_kib),
        ),
        (
            "3.handshake.peak_rss",
            "provider peak RSS (VmHWM) at handshake, vs Go SDK",
            median(&rust.hwm_kib),
            median(&golang.hwm_kib),
        ),
    ] {
        let (a, b) = (ours_kib.unwrap_or(0) as f64, go_kib.unwrap_or(1) as f64);
        let ratio = a / b;
        figures.push(
            Figure::new(
                id,
                3,
                what,
                format!("{ratio:.3}x"),
                &format!("<= {RSS_TARGET}x"),
            )
            .judged(ratio, Verdict::of(ratio <= RSS_TARGET))
            .note(format!(
                "medians: {:.2} MiB vs {:.2} MiB",
                a / 1024.0,
                b / 1024.0
            )),
        );
    }
    figures.extend(terraform_commands(ours, &go, if quick { 3 } else { 9 })?);
    Ok(figures)
}

/// The three workspaces: ours, the Go provider's, and Terraform alone.
fn terraform_commands(ours: &Path, go: &Path, rounds: usize) -> Result<Vec<Figure>> {
    let ours_pkg = ProviderPackage::new("cloudcontrol", "cloudcontrol", "0.1.0", ours);
    let go_pkg = ProviderPackage::new("terraform-lxd", "lxd", "1.5.0", go);
    let ours_ws = Workspace::new(&ours_pkg)?;
    ours_ws.write_main_tf(&format!(
        "{}\nresource \"cloudcontrol_network_domain\" \"bench\" {{\n  name       = \"bench\"\n  datacenter = \"NA9\"\n}}\n",
        ours_pkg.required_providers_block()
    ))?;
    let go_ws = Workspace::new(&go_pkg)?;
    go_ws.write_main_tf(&format!(
        "{}\nresource \"lxd_network\" \"bench\" {{\n  name = \"bench\"\n}}\n",
        go_pkg.required_providers_block()
    ))?;
    let bare_ws = Workspace::with_providers(&[])?;
    bare_ws.write_main_tf("locals {\n  bench = \"terraform alone\"\n}\n")?;
    for ws in [&ours_ws, &go_ws, &bare_ws] {
        ws.init()?;
    }
    let commands: [(&str, &str, &[&str]); 2] = [
        (
            "3.validate",
            "terraform validate",
            &["validate", "-no-color"],
        ),
        (
            "3.schema",
            "terraform providers schema -json",
            &["providers", "schema", "-json"],
        ),
    ];
    let mut figures = Vec::new();
    for (id, what, args) in commands {
        let mut walls: [Vec<Duration>; 3] = Default::default();
        for round in 0..=rounds {
            for (i, ws) in [&ours_ws, &go_ws, &bare_ws].into_iter().enumerate() {
                let started = Instant::now();
                ws.run(args)?.ensure_success()?;
                // round 0 warms the page cache
                if round > 0 {
                    walls[i].push(started.elapsed());
                }
            }
        }
        let [a, b, t] = walls.map(|w| median(&w).unwrap_or_default());
        let wall_ratio = a.as_secs_f64() / b.as_secs_f64();
        let part_ours = a.saturating_sub(t);
        let part_go = b.saturating_sub(t);
        let part_ratio = part_ours.as_secs_f64() / part_go.as_secs_f64().max(1e-6);
        figures.push(
            Figure::new(
                &format!("{id}.provider_part"),
                3,
                &format!("{what}: provider's part of the wall time, vs Go SDK"),
                format!("{part_ratio:.3}x"),
                &format!("<= {TIME_TARGET}x"),
            )
            .judged(part_ratio, Verdict::of(part_ratio <= TIME_TARGET))
            .note(format!(
                "medians of {rounds} interleaved runs: ours {:.0} ms, lxd {:.0} ms, Terraform with no provider {:.0} ms; provider's part {:.0} ms vs {:.0} ms; whole wall {wall_ratio:.3}x",
                ms(a), ms(b), ms(t), ms(part_ours), ms(part_go)
            )),
        );
    }
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_takes_the_lower_middle() {
        assert_eq!(median(&[3, 1, 2]), Some(2));
        assert_eq!(median(&[4, 1, 3, 2]), Some(2));
        assert_eq!(median::<u32>(&[]), None);
    }
}
