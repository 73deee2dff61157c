//! The examples folder in the scaffolding layout: `provider/provider.tf`,
//! `resources/<type>/resource.tf` + `import.sh` (+ `interrupted.md`, this project's addition),
//! `data-sources/<type>/data-source.tf`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Read access to an examples folder.
#[derive(Debug, Clone)]
pub struct Examples {
    root: PathBuf,
}

impl Examples {
    /// Examples under `root` (which need not exist: every lookup then finds nothing).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `provider/provider.tf`.
    pub fn provider(&self) -> Result<Option<String>> {
        read_optional(&self.root.join("provider/provider.tf"))
    }

    /// `resources/<type>/resource.tf`.
    pub fn resource(&self, type_name: &str) -> Result<Option<String>> {
        read_optional(
            &self
                .root
                .join("resources")
                .join(type_name)
                .join("resource.tf"),
        )
    }

    /// `resources/<type>/import.sh`.
    pub fn import(&self, type_name: &str) -> Result<Option<String>> {
        read_optional(
            &self
                .root
                .join("resources")
                .join(type_name)
                .join("import.sh"),
        )
    }

    /// `resources/<type>/interrupted.md`: what a create does when it finds the asset an
    /// interrupted apply left behind (Markdown).
    pub fn interrupted(&self, type_name: &str) -> Result<Option<String>> {
        read_optional(
            &self
                .root
                .join("resources")
                .join(type_name)
                .join("interrupted.md"),
        )
    }

    /// `data-sources/<type>/data-source.tf`.
    pub fn data_source(&self, type_name: &str) -> Result<Option<String>> {
        read_optional(
            &self
                .root
                .join("data-sources")
                .join(type_name)
                .join("data-source.tf"),
        )
    }

    /// Folder names under `resources/` or `data-sources/` (`kind`), sorted; used to warn about
    /// examples for types the provider does not have.
    pub fn type_folders(&self, kind: &str) -> Result<Vec<String>> {
        let dir = self.root.join(kind);
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        let mut names = Vec::new();
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))?
        {
            let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
            if entry.path().is_dir() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        Ok(names)
    }
}

/// The file's text with trailing whitespace trimmed, or `None` if it does not exist.
fn read_optional(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text.trim_end().to_owned())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("reading example {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_scaffolding_layout_and_tolerates_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let vlan = dir.path().join("resources/cloudcontrol_vlan");
        std::fs::create_dir_all(&vlan).unwrap();
        std::fs::write(vlan.join("resource.tf"), "resource \"x\" \"y\" {}\n\n").unwrap();
        let examples = Examples::new(dir.path());
        assert_eq!(
            examples.resource("cloudcontrol_vlan").unwrap().as_deref(),
            Some("resource \"x\" \"y\" {}")
        );
        assert_eq!(examples.import("cloudcontrol_vlan").unwrap(), None);
        assert_eq!(examples.provider().unwrap(), None);
        assert_eq!(
            examples.type_folders("resources").unwrap(),
            vec!["cloudcontrol_vlan".to_owned()]
        );
        assert!(examples.type_folders("data-sources").unwrap().is_empty());
    }
}
