//! A reusable harness around the real Terraform CLI (1.0.3, installed by
//! `scripts/install-tools terraform`): a temporary working directory, a filesystem-mirror
//! install of a provider binary under a source address, a CLI configuration that forbids
//! network installs, and one method per Terraform command with captured output.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use tempfile::TempDir;

/// Where `scripts/install-tools terraform` puts the Terraform 1.0.3 binary.
pub fn terraform_binary() -> Result<PathBuf> {
    let path = workspace_root().join(".tools/bin/terraform");
    if !path.is_file() {
        bail!(
            "Terraform 1.0.3 is not installed at {}: run `scripts/install-tools terraform` first \
             (these tests drive the real Terraform CLI and cannot pass without it)",
            path.display()
        );
    }
    Ok(path)
}

/// The workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("terraform-cli lives inside the workspace")
        .to_path_buf()
}

/// A provider binary and the source address Terraform should find it under.
#[derive(Debug, Clone)]
pub struct ProviderPackage {
    /// Registry host of the source address, e.g. `registry.terraform.io`.
    pub hostname: String,
    /// Namespace of the source address, e.g. `example`.
    pub namespace: String,
    /// Provider type, e.g. `tftest`.
    pub name: String,
    /// Version, e.g. `0.1.0`.
    pub version: String,
    /// The built provider executable.
    pub binary: PathBuf,
}

impl ProviderPackage {
    /// A provider at `registry.terraform.io/<namespace>/<name>` version `version`.
    pub fn new(namespace: &str, name: &str, version: &str, binary: impl Into<PathBuf>) -> Self {
        Self {
            hostname: "registry.terraform.io".into(),
            namespace: namespace.into(),
            name: name.into(),
            version: version.into(),
            binary: binary.into(),
        }
    }

    /// The hashicorp/null provider 2.1.2 that `scripts/install-tools null` puts into the
    /// filesystem mirror `.tools/providers` (examples/mesos-cluster provisions with it).
    pub fn null() -> Result<Self> {
        let binary = workspace_root().join(
            ".tools/providers/registry.terraform.io/hashicorp/null/2.1.2/linux_amd64/terraform-provider-null_v2.1.2_x4",
        );
        if !binary.is_file() {
            bail!(
                "the null provider is not installed at {}: run `scripts/install-tools null` first",
                binary.display()
            );
        }
        Ok(Self::new("hashicorp", "null", "2.1.2", binary))
    }

    /// `namespace/name`, as written in `required_providers`.
    pub fn source(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// The `terraform { required_providers { ... } }` block for this package.
    pub fn required_providers_block(&self) -> String {
        format!(
            "terraform {{\n  required_providers {{\n    {} = {{\n      source  = \"{}\"\n      version = \"{}\"\n    }}\n  }}\n}}\n",
            self.name,
            self.source(),
            self.version
        )
    }
}

/// The captured result of one Terraform command.
#[derive(Debug, Clone)]
pub struct TfOutput {
    /// The command line after `terraform`.
    pub args: Vec<String>,
    /// Exit code (`-1` if killed by a signal).
    pub code: i32,
    /// Captured standard output.
    pub stdout: String,
    /// Captured standard error.
    pub stderr: String,
}

impl TfOutput {
    /// Standard output and error together, for searching messages.
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Fails with the full output unless the command exited 0.
    pub fn ensure_success(self) -> Result<Self> {
        if self.code != 0 {
            bail!("{self}");
        }
        Ok(self)
    }
}

impl fmt::Display for TfOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "terraform {} exited {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }
}

/// What `terraform plan -detailed-exitcode` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanOutcome {
    /// Exit code 0: nothing to do.
    NoChanges,
    /// Exit code 2: the plan has changes.
    Changes,
}

/// A Terraform working directory with a provider installed from a private filesystem
/// mirror. Everything lives in one temporary directory removed on drop.
pub struct Workspace {
    root: TempDir,
    terraform: PathBuf,
    extra_env: BTreeMap<String, String>,
    wrapper: Vec<std::ffi::OsString>,
}

impl Workspace {
    /// Creates the mirror, the CLI configuration and an empty working directory.
    pub fn new(provider: &ProviderPackage) -> Result<Self> {
        Self::with_providers(std::slice::from_ref(provider))
    }

    /// Like [`Workspace::new`] with several providers in the mirror (e.g. ours and
    /// [`ProviderPackage::null`]); nothing else can be installed.
    pub fn with_providers(providers: &[ProviderPackage]) -> Result<Self> {
        let terraform = terraform_binary()?;
        let root = tempfile::Builder::new()
            .prefix("tf-e2e-")
            .tempdir()
            .context("creating the Terraform test directory")?;
        let mirror = root.path().join("mirror");
        let mut patterns = Vec::new();
        for provider in providers {
            let platform_dir = mirror
                .join(&provider.hostname)
                .join(&provider.namespace)
                .join(&provider.name)
                .join(&provider.version)
                .join("linux_amd64");
            std::fs::create_dir_all(&platform_dir)
                .with_context(|| format!("creating {}", platform_dir.display()))?;
            let installed = platform_dir.join(format!(
                "terraform-provider-{}_v{}",
                provider.name, provider.version
            ));
            if std::fs::hard_link(&provider.binary, &installed).is_err() {
                std::fs::copy(&provider.binary, &installed).with_context(|| {
                    format!(
                        "copying {} into the mirror at {}",
                        provider.binary.display(),
                        installed.display()
                    )
                })?;
            }
            patterns.push(format!(
                "\"{}/{}/{}\"",
                provider.hostname, provider.namespace, provider.name
            ));
        }
        let cli_config = format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [{}]\n  }}\n}}\n",
            mirror.display(),
            patterns.join(", ")
        );
        std::fs::write(root.path().join("cli.tfrc"), cli_config)
            .context("writing the Terraform CLI configuration")?;
        for dir in ["work", "home"] {
            std::fs::create_dir_all(root.path().join(dir))
                .with_context(|| format!("creating the {dir} directory"))?;
        }
        Ok(Self {
            root,
            terraform,
            extra_env: BTreeMap::new(),
            wrapper: Vec::new(),
        })
    }

    /// The Terraform working directory (where `main.tf` and the state live).
    pub fn work_dir(&self) -> PathBuf {
        self.root.path().join("work")
    }

    /// A scratch path inside the temporary directory, outside the working directory.
    pub fn scratch_path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// Sets an extra environment variable for every later command (e.g. `TF_LOG`).
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.extra_env.insert(key.into(), value.into());
    }

    /// Runs every later command through `wrapper` (e.g. `nsenter --net=/run/netns/NS`, so
    /// Terraform and what it starts live in another network namespace).
    pub fn set_wrapper<S: AsRef<std::ffi::OsStr>>(&mut self, wrapper: &[S]) {
        self.wrapper = wrapper.iter().map(|w| w.as_ref().to_owned()).collect();
    }

    /// Replaces `main.tf`.
    pub fn write_main_tf(&self, content: &str) -> Result<()> {
        let path = self.work_dir().join("main.tf");
        std::fs::write(&path, content).with_context(|| format!("writing {}", path.display()))
    }

    /// Runs `terraform <args>` in the working directory with no network installs,
    /// no checkpoint calls, no plugin cache and a private HOME.
    pub fn run(&self, args: &[&str]) -> Result<TfOutput> {
        let output = self
            .command(args)
            .output()
            .with_context(|| format!("running {} {}", self.terraform.display(), args.join(" ")))?;
        Ok(TfOutput {
            args: args.iter().map(|a| a.to_string()).collect(),
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    /// Starts `terraform <args>` like [`Workspace::run`] without waiting for it, its output
    /// piped, so a test can act while it runs. It leads a process group of its own, as a
    /// terminal's foreground job does: Ctrl-C is SIGINT to that whole group.
    pub fn spawn(&self, args: &[&str]) -> Result<std::process::Child> {
        use std::os::unix::process::CommandExt;
        self.command(args)
            .process_group(0)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {} {}", self.terraform.display(), args.join(" ")))
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = match self.wrapper.split_first() {
            Some((program, rest)) => {
                let mut c = Command::new(program);
                c.args(rest).arg(&self.terraform);
                c
            }
            None => Command::new(&self.terraform),
        };
        command
            .args(args)
            .current_dir(self.work_dir())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.root.path().join("home"))
            .env("TF_CLI_CONFIG_FILE", self.root.path().join("cli.tfrc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0");
        for (key, value) in &self.extra_env {
            command.env(key, value);
        }
        command
    }

    /// `terraform init`, which must install the provider from the mirror.
    pub fn init(&self) -> Result<TfOutput> {
        self.run(&["init", "-input=false", "-no-color"])?
            .ensure_success()
    }

    /// `terraform validate` (not required to succeed; check the output).
    pub fn validate(&self) -> Result<TfOutput> {
        self.run(&["validate", "-no-color"])
    }

    /// `terraform plan -detailed-exitcode`; exit code 1 is an error.
    pub fn plan(&self, extra: &[&str]) -> Result<(PlanOutcome, TfOutput)> {
        let mut args = vec!["plan", "-input=false", "-no-color", "-detailed-exitcode"];
        args.extend_from_slice(extra);
        let output = self.run(&args)?;
        match output.code {
            0 => Ok((PlanOutcome::NoChanges, output)),
            2 => Ok((PlanOutcome::Changes, output)),
            _ => bail!("plan failed: {output}"),
        }
    }

    /// `terraform apply -auto-approve`, captured whatever its exit code.
    pub fn try_apply(&self, extra: &[&str]) -> Result<TfOutput> {
        let mut args = vec!["apply", "-input=false", "-no-color", "-auto-approve"];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// `terraform apply -auto-approve`, which must succeed.
    pub fn apply(&self, extra: &[&str]) -> Result<TfOutput> {
        self.try_apply(extra)?.ensure_success()
    }

    /// `terraform import ADDRESS ID`, which must succeed.
    pub fn import(&self, address: &str, id: &str) -> Result<TfOutput> {
        self.run(&["import", "-input=false", "-no-color", address, id])?
            .ensure_success()
    }

    /// `terraform destroy -auto-approve`, which must succeed.
    pub fn destroy(&self) -> Result<TfOutput> {
        self.run(&["destroy", "-input=false", "-no-color", "-auto-approve"])?
            .ensure_success()
    }

    /// `terraform show -json`, parsed.
    pub fn show_json(&self) -> Result<serde_json::Value> {
        let output = self
            .run(&["show", "-json", "-no-color"])?
            .ensure_success()?;
        serde_json::from_str(&output.stdout)
            .with_context(|| format!("parsing `terraform show -json` output: {}", output.stdout))
    }

    /// The `values` of the root-module resource at `address` in `terraform show -json`.
    pub fn resource_values(&self, address: &str) -> Result<Option<serde_json::Value>> {
        let shown = self.show_json()?;
        let resources = shown["values"]["root_module"]["resources"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        Ok(resources
            .into_iter()
            .find(|r| r["address"] == address)
            .map(|r| r["values"].clone()))
    }
}
