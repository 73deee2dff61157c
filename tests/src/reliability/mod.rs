//! The reliability harness: `examples/mesos-cluster` applied through the real Terraform CLI
//! against a `cloudcontrol-emulator` process that keeps its state in a file, with every fault
//! on, with the provider SIGKILLed at random points of the apply, or with the emulator SIGKILLed
//! and restarted from its state. After each run it counts what the API holds against what
//! Terraform recorded. `tests/tests/reliability.rs` runs short versions in CI; `cargo xtask
//! soak` runs the full counts and prints the table of the README's "Reliability" section.

mod census;
mod faults;
mod kill;
mod runs;
mod table;

pub use census::Census;

pub use faults::{FaultCounts, FaultRates};
pub use kill::{descendants_named, kill_providers};
pub use runs::{
    emulator_kill, error_lines, fault_cycle, provider_kill_runs, provider_kills, Binaries,
    RunOutcome, Settings, FULL_PROGRESS,
};
pub use table::{render, Row};
