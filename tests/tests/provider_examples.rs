//! The documentation examples under `examples/` are valid configurations: the provider
//! example with every per-resource example, and with every per-data-source example, each pass
//! `terraform validate` (Terraform 1.0.3, the provider's own validation included).

use std::path::Path;

use anyhow::{ensure, Context, Result};
use e2e::binary;
use e2e::terraform::{workspace_root, ProviderPackage, Workspace};

/// A workspace holding `examples/provider/provider.tf` and the `file` of every folder under
/// `examples/<kind>/`, each copied as `<folder>.tf`.
fn examples_workspace(kind: &str, file: &str) -> Result<(Workspace, usize)> {
    let package = ProviderPackage::new(
        "cloudcontrol",
        "cloudcontrol",
        "0.1.0",
        binary("terraform-provider-cloudcontrol")?,
    );
    let ws = Workspace::new(&package)?;
    let examples = workspace_root().join("examples");
    copy(
        &examples.join("provider/provider.tf"),
        &ws.work_dir().join("provider.tf"),
    )?;
    let mut copied = 0;
    let dir = examples.join(kind);
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let folder = entry?.path();
        let name = folder
            .file_name()
            .and_then(|n| n.to_str())
            .context("example folder name")?
            .to_owned();
        copy(
            &folder.join(file),
            &ws.work_dir().join(format!("{name}.tf")),
        )?;
        ensure!(
            kind != "resources" || folder.join("import.sh").is_file(),
            "{} has no import.sh",
            folder.display()
        );
        copied += 1;
    }
    ws.init()?;
    Ok((ws, copied))
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to)
        .map(drop)
        .with_context(|| format!("copying {}", from.display()))
}

#[test]
fn resource_examples_validate() -> Result<()> {
    let (ws, count) = examples_workspace("resources", "resource.tf")?;
    ensure!(
        count == 13,
        "{count} resource examples, expected one per resource type"
    );
    let validated = ws.validate()?;
    ensure!(validated.code == 0, "{validated}");
    Ok(())
}

#[test]
fn data_source_examples_validate() -> Result<()> {
    let (ws, count) = examples_workspace("data-sources", "data-source.tf")?;
    ensure!(
        count == 7,
        "{count} data source examples, expected one per data source"
    );
    let validated = ws.validate()?;
    ensure!(validated.code == 0, "{validated}");
    Ok(())
}
