//! `bench`: every speed and memory claim of the workspace measured side by side in one run
//! (issue 12). It prints one table of figures with their targets and PASS/MISS, and writes the
//! same table as Markdown and JSON (`target/bench/bench.md`, `target/bench/bench.json`).
//! `scripts/bench [--quick]` builds the release binaries and runs it.
//!
//! Rows, in the numbering: (1) apply and destroy of `examples/mesos-cluster` against
//! their lower bound, (2) plan at 12, 100 and 300 servers, (3) the provider's process cost
//! against the Go SDK provider terraform-provider-lxd v1.5.0, (4) provisioning against Ansible,
//! (5) end to end on the node-backed emulator, (6) the emulator's throughput.

mod ansible;
mod apply_bound;
mod clock;
mod cluster;
mod end_to_end;
mod lower_bound;
mod machine;
mod plan_scale;
mod previous;
mod process_cost;
mod table;
mod throughput;

use anyhow::{Context, Result};
use clap::Parser;
use previous::Previous;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use table::{Figure, Table};

/// Command line of `bench`.
#[derive(Debug, Parser)]
#[command(
    name = "bench",
    about = "Measure every speed claim side by side and print one table"
)]
struct Options {
    /// Shorter measurements and a scaled-down emulator clock (each figure says what it used).
    #[arg(long)]
    quick: bool,
    /// Only these rows (comma-separated issue row numbers, e.g. `6,3`); all by default.
    #[arg(long, value_delimiter = ',')]
    rows: Vec<u8>,
    /// Where the Markdown and JSON tables go (default `target/bench` in the workspace).
    #[arg(long)]
    out: Option<PathBuf>,
}

fn main() -> ExitCode {
    let options = Options::parse();
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench failed: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this package).
fn workspace_root() -> PathBuf {
    e2e::terraform::workspace_root()
}

fn run(options: &Options) -> Result<()> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| workspace_root().join("target/bench"));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let json_path = out.join("bench.json");
    let previous = Previous::load(&json_path).same_mode(options.quick);
    let wanted = |row: u8| options.rows.is_empty() || options.rows.contains(&row);
    let root = is_root();
    let started = Instant::now();
    let started_at = clock::utc_now();
    let sampler = machine::LoadSampler::start();
    let provider_bin = e2e::binary("terraform-provider-cloudcontrol")?;

    let mut figures: Vec<Figure> = Vec::new();
    // Most valuable first, so an interrupted run still has them. A row that fails is reported
    // as a failed figure and the others still run.
    let rows: [(u8, &str, RowFn); 6] = [
        (
            6,
            "emulator throughput",
            &|o: &Options, p: &Previous, _: &Binaries| throughput::run(o.quick, p),
        ),
        (
            3,
            "provider process cost against terraform-provider-lxd v1.5.0",
            &|o, _, b| process_cost::run(&b.provider, o.quick),
        ),
        (
            1,
            "apply and destroy of examples/mesos-cluster against their lower bound",
            &|o, _, _| apply_bound::run(o.quick),
        ),
        (2, "plan at scale", &|o, _, _| plan_scale::run(o.quick)),
        (5, "end to end on the node-backed emulator", &|o, _, _| {
            end_to_end::run(o.quick)
        }),
        (4, "provisioning against Ansible", &|o, _, _| {
            ansible::run(o.quick)
        }),
    ];
    let binaries = Binaries {
        provider: provider_bin,
    };
    for (row, what, measure) in rows {
        if !wanted(row) {
            continue;
        }
        eprintln!("row {row}: {what}");
        let row_started = Instant::now();
        match measure(options, &previous, &binaries) {
            Ok(measured) => figures.extend(measured),
            Err(error) => figures.push(Figure::failed(row, what, &format!("{error:#}"))),
        }
        eprintln!("row {row}: {:.0} s", row_started.elapsed().as_secs_f64());
    }
    figures.sort_by_key(|f| f.row);

    let table = Table {
        context: table::Context {
            started: started_at,
            wall_s: started.elapsed().as_secs_f64(),
            quick: options.quick,
            machine: machine::describe(),
            load: sampler.finish(),
            root,
        },
        figures,
    };
    print!("\n{}", table.render_text());
    let misses: Vec<&Figure> = table.misses().collect();
    if !misses.is_empty() {
        println!(
            "\n{} target(s) missed: {}",
            misses.len(),
            misses
                .iter()
                .map(|f| f.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let md_path = out.join("bench.md");
    std::fs::write(&md_path, table.render_markdown())
        .with_context(|| format!("writing {}", md_path.display()))?;
    std::fs::write(&json_path, serde_json::to_string_pretty(&table)?)
        .with_context(|| format!("writing {}", json_path.display()))?;
    println!(
        "\nwritten: {} and {}",
        md_path.display(),
        json_path.display()
    );
    Ok(())
}

/// The binaries the rows measure directly (the others start theirs through `e2e`, which finds
/// them next to this program in `target/release`).
struct Binaries {
    provider: PathBuf,
}

/// One row's measurement.
type RowFn<'a> = &'a dyn Fn(&Options, &Previous, &Binaries) -> Result<Vec<Figure>>;

/// Whether this process runs as root (the node-based rows need it).
fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}
