//! `cargo xtask`: project automation that needs more than a shell one-liner.
//!
//! * `cargo xtask docs [--check]` renders registry-style provider documentation into `docs/`
//!   from the schema the real Terraform CLI reports for the freshly built provider.
//! * `cargo xtask release [--version V]` builds the provider in release mode and packages it the
//!   way the Terraform registry expects (zip, SHA256SUMS, registry manifest) into `dist/`.
//! * `cargo xtask soak [--release] [--cycles N] [--provider-kills N] [--emulator-kills N]` runs the
//!   reliability soak and prints its table (see the README's "Reliability" section).

mod cargo;
mod docs;
mod release;
mod schema;
mod soak;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// The provider's package and binary name.
pub const PROVIDER_PACKAGE: &str = "terraform-provider-cloudcontrol";

/// Project automation for the CloudControl provider.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate registry-style documentation into docs/ (or check that it is up to date).
    Docs {
        /// Do not write anything; exit non-zero and name every file that differs.
        #[arg(long)]
        check: bool,
        /// Use this already built provider binary instead of running `cargo build`.
        #[arg(long, value_name = "PATH")]
        provider_binary: Option<PathBuf>,
        /// Documentation folder (default: docs/ in the workspace).
        #[arg(long, value_name = "DIR")]
        docs_dir: Option<PathBuf>,
        /// Examples folder (default: examples/ in the workspace).
        #[arg(long, value_name = "DIR")]
        examples_dir: Option<PathBuf>,
    },
    /// Build the provider in release mode and package it for the registry into dist/.
    Release {
        /// Version to release, semantic version without a leading `v`
        /// (default: the provider package's version).
        #[arg(long, value_name = "V")]
        version: Option<String>,
        /// Cargo target directory for the release build.
        #[arg(long, value_name = "DIR")]
        target_dir: Option<PathBuf>,
        /// Where the archives go (default: dist/ in the workspace).
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
        /// Package this already built binary instead of building one (e.g. a CI artefact).
        #[arg(long, value_name = "PATH", conflicts_with = "target_dir")]
        prebuilt: Option<PathBuf>,
    },
    /// Run the reliability soak against the emulator and print its table (`cargo xtask soak
    /// --help-soak` lists the soak's own options: cycles, kills, seed, time scale, --short).
    Soak {
        /// Build the binaries in release mode.
        #[arg(long)]
        release: bool,
        /// Print the soak's own options.
        #[arg(long)]
        help_soak: bool,
        /// The soak's options, passed on (e.g. `--cycles 20 --provider-kills 30 --seed 7`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let root = terraform_cli::workspace_root();
    match cli.command {
        Command::Docs {
            check,
            provider_binary,
            docs_dir,
            examples_dir,
        } => {
            let options = docs::DocsOptions {
                docs_dir: docs_dir.unwrap_or_else(|| root.join("docs")),
                examples_dir: examples_dir.unwrap_or_else(|| root.join("examples")),
                provider_binary,
            };
            if check {
                let stale = docs::check(&options)?;
                if stale.is_empty() {
                    println!("{} is up to date", options.docs_dir.display());
                    return Ok(ExitCode::SUCCESS);
                }
                eprintln!(
                    "{} is out of date with the provider schema or examples:",
                    options.docs_dir.display()
                );
                for difference in &stale {
                    eprintln!("  {difference}");
                }
                eprintln!("run `cargo xtask docs` and commit the result");
                Ok(ExitCode::FAILURE)
            } else {
                let written = docs::generate(&options)?;
                println!(
                    "wrote {} pages into {}",
                    written,
                    options.docs_dir.display()
                );
                Ok(ExitCode::SUCCESS)
            }
        }
        Command::Release {
            version,
            target_dir,
            out_dir,
            prebuilt,
        } => {
            let version = match version {
                Some(version) => version,
                None => cargo::package_version(PROVIDER_PACKAGE)?,
            };
            let binary = match prebuilt {
                Some(path) => path,
                None => cargo::build_provider(true, target_dir.as_deref())?,
            };
            let artefacts = release::package(&release::ReleaseInput {
                version,
                platform: release::Platform::host()?,
                binary,
                manifest: root.join("terraform-registry-manifest.json"),
                out_dir: out_dir.unwrap_or_else(|| root.join("dist")),
            })?;
            for path in artefacts {
                println!("{}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Soak {
            release,
            help_soak,
            mut args,
        } => {
            if help_soak {
                args = vec!["--help".into()];
            }
            soak::run(release, &args)
        }
    }
}
