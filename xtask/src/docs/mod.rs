//! `cargo xtask docs`: registry-style documentation (the tfplugindocs layout) generated from
//! the provider schema and the examples folder, written into `docs/` or checked against it.

mod examples;
mod pages;
mod schema_md;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::schema::{self, ProviderSchema};
use crate::{cargo, PROVIDER_PACKAGE};
pub use examples::Examples;
use pages::{PageInput, PageKind};

/// Where documentation is read from and written to.
#[derive(Debug, Clone)]
pub struct DocsOptions {
    /// The `docs/` folder.
    pub docs_dir: PathBuf,
    /// The `examples/` folder.
    pub examples_dir: PathBuf,
    /// An already built provider; `None` builds one with Cargo.
    pub provider_binary: Option<PathBuf>,
}

/// Generated pages by path relative to the docs folder (sorted, so output is deterministic).
pub type Pages = BTreeMap<PathBuf, String>;

/// Builds the provider if needed and asks Terraform for its schema.
fn provider_schema(options: &DocsOptions) -> Result<ProviderSchema> {
    let binary = match &options.provider_binary {
        Some(path) => path.clone(),
        None => cargo::build_provider(false, None)?,
    };
    let version = cargo::package_version(PROVIDER_PACKAGE)?;
    schema::fetch(&binary, &version)
        .with_context(|| format!("obtaining the schema of {}", binary.display()))
}

/// Renders every page for `schema` with examples from `examples`.
pub fn render_all(schema: &ProviderSchema, examples: &Examples) -> Result<Pages> {
    let mut pages = Pages::new();
    let provider_example = examples.provider()?;
    pages.insert(
        PathBuf::from("index.md"),
        pages::render(
            &PageInput {
                kind: PageKind::Provider,
                name: schema::PROVIDER_NAME,
                block: &schema.provider.block,
                example: provider_example.as_deref(),
                import: None,
                interrupted: None,
            },
            PROVIDER_PACKAGE,
        ),
    );
    for (name, entry) in &schema.resource_schemas {
        let example = examples.resource(name)?;
        let import = examples.import(name)?;
        let interrupted = examples.interrupted(name)?;
        pages.insert(
            Path::new("resources").join(format!("{}.md", short_name(name))),
            pages::render(
                &PageInput {
                    kind: PageKind::Resource,
                    name,
                    block: &entry.block,
                    example: example.as_deref(),
                    import: import.as_deref(),
                    interrupted: interrupted.as_deref(),
                },
                PROVIDER_PACKAGE,
            ),
        );
    }
    for (name, entry) in &schema.data_source_schemas {
        let example = examples.data_source(name)?;
        pages.insert(
            Path::new("data-sources").join(format!("{}.md", short_name(name))),
            pages::render(
                &PageInput {
                    kind: PageKind::DataSource,
                    name,
                    block: &entry.block,
                    example: example.as_deref(),
                    import: None,
                    interrupted: None,
                },
                PROVIDER_PACKAGE,
            ),
        );
    }
    Ok(pages)
}

/// `cloudcontrol_vlan` → `vlan`: registry page files drop the provider prefix.
fn short_name(type_name: &str) -> &str {
    type_name
        .strip_prefix(schema::PROVIDER_NAME)
        .and_then(|rest| rest.strip_prefix('_'))
        .unwrap_or(type_name)
}

/// Example folders naming types the provider does not have (likely typos), as warnings.
fn orphan_examples(schema: &ProviderSchema, examples: &Examples) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    for (kind, known) in [
        ("resources", &schema.resource_schemas),
        ("data-sources", &schema.data_source_schemas),
    ] {
        for folder in examples.type_folders(kind)? {
            if !known.contains_key(&folder) {
                warnings.push(format!(
                    "examples/{kind}/{folder} matches no {kind} type of the provider"
                ));
            }
        }
    }
    Ok(warnings)
}

/// Generated pages plus warnings, from the real provider schema.
fn render_from_provider(options: &DocsOptions) -> Result<Pages> {
    let schema = provider_schema(options)?;
    let examples = Examples::new(&options.examples_dir);
    for warning in orphan_examples(&schema, &examples)? {
        eprintln!("warning: {warning}");
    }
    render_all(&schema, &examples)
}

/// Writes every page into the docs folder and removes pages of types that no longer exist.
/// Returns the number of pages.
pub fn generate(options: &DocsOptions) -> Result<usize> {
    let pages = render_from_provider(options)?;
    write_pages(&options.docs_dir, &pages)?;
    Ok(pages.len())
}

/// Compares the docs folder with freshly generated pages; returns one line per difference.
pub fn check(options: &DocsOptions) -> Result<Vec<String>> {
    let pages = render_from_provider(options)?;
    compare(&options.docs_dir, &pages)
}

/// The generated Markdown files currently in `docs_dir` (relative paths).
fn existing_pages(docs_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for sub in ["", "resources", "data-sources"] {
        let dir = docs_dir.join(sub);
        if !dir.is_dir() {
            continue;
        }
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))?
        {
            let path = entry
                .with_context(|| format!("listing {}", dir.display()))?
                .path();
            if path.is_file() && path.extension().is_some_and(|e| e == "md") {
                let relative = path
                    .strip_prefix(docs_dir)
                    .expect("listed under the docs folder")
                    .to_path_buf();
                found.push(relative);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Writes `pages` under `docs_dir`, deleting Markdown pages that are no longer generated.
pub fn write_pages(docs_dir: &Path, pages: &Pages) -> Result<()> {
    for stale in existing_pages(docs_dir)? {
        if !pages.contains_key(&stale) {
            let path = docs_dir.join(&stale);
            std::fs::remove_file(&path)
                .with_context(|| format!("removing stale page {}", path.display()))?;
        }
    }
    for (relative, content) in pages {
        let path = docs_dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, content).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// One line per page that is missing, different or no longer generated.
pub fn compare(docs_dir: &Path, pages: &Pages) -> Result<Vec<String>> {
    let mut differences = Vec::new();
    for (relative, content) in pages {
        let path = docs_dir.join(relative);
        match std::fs::read_to_string(&path) {
            Ok(existing) if &existing == content => {}
            Ok(existing) => differences.push(format!(
                "{} differs{}",
                path.display(),
                first_difference(&existing, content)
            )),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                differences.push(format!("{} is missing", path.display()))
            }
            Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
        }
    }
    for existing in existing_pages(docs_dir)? {
        if !pages.contains_key(&existing) {
            differences.push(format!(
                "{} is no longer generated (its type is gone)",
                docs_dir.join(existing).display()
            ));
        }
    }
    Ok(differences)
}

/// ` (line N: expected "...", found "...")` for the first differing line.
fn first_difference(existing: &str, expected: &str) -> String {
    let mut existing_lines = existing.lines();
    let mut expected_lines = expected.lines();
    let mut number = 1;
    loop {
        match (existing_lines.next(), expected_lines.next()) {
            (Some(a), Some(b)) if a == b => number += 1,
            (None, None) => return String::from(" (line endings)"),
            (found, wanted) => {
                return format!(
                    " (line {number}: expected {:?}, found {:?})",
                    wanted.unwrap_or("<end of file>"),
                    found.unwrap_or("<end of file>")
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> ProviderSchema {
        crate::schema::parse(
            r#"{"format_version":"0.2","provider_schemas":{
              "registry.terraform.io/cloudcontrol/cloudcontrol":{
                "provider":{"version":0,"block":{"description":"CloudControl."}},
                "resource_schemas":{"cloudcontrol_vlan":{"version":0,"block":{
                  "attributes":{"id":{"type":"string","computed":true}}}}},
                "data_source_schemas":{"cloudcontrol_image":{"version":0,"block":{
                  "attributes":{"name":{"type":"string","required":true}}}}}}}}"#,
        )
        .unwrap()
    }

    #[test]
    fn lays_pages_out_like_the_registry() {
        let examples_dir = tempfile::tempdir().unwrap();
        let vlan = examples_dir.path().join("resources/cloudcontrol_vlan");
        std::fs::create_dir_all(&vlan).unwrap();
        std::fs::write(
            vlan.join("import.sh"),
            "terraform import cloudcontrol_vlan.a b\n",
        )
        .unwrap();
        let typo = examples_dir.path().join("resources/cloudcontrol_vlna");
        std::fs::create_dir_all(typo).unwrap();
        let examples = Examples::new(examples_dir.path());
        let pages = render_all(&schema(), &examples).unwrap();
        let paths: Vec<_> = pages.keys().map(|p| p.display().to_string()).collect();
        assert_eq!(
            paths,
            ["data-sources/image.md", "index.md", "resources/vlan.md"]
        );
        assert!(pages[Path::new("resources/vlan.md")].contains("## Import"));
        assert!(pages[Path::new("index.md")].contains("# cloudcontrol Provider"));
        assert_eq!(
            orphan_examples(&schema(), &examples).unwrap(),
            ["examples/resources/cloudcontrol_vlna matches no resources type of the provider"]
        );
    }

    #[test]
    fn check_names_changed_missing_and_stale_files_and_write_fixes_them() {
        let docs = tempfile::tempdir().unwrap();
        let pages = render_all(&schema(), &Examples::new("/nonexistent")).unwrap();
        write_pages(docs.path(), &pages).unwrap();
        assert!(compare(docs.path(), &pages).unwrap().is_empty());

        std::fs::write(docs.path().join("resources/vlan.md"), "old\n").unwrap();
        std::fs::remove_file(docs.path().join("data-sources/image.md")).unwrap();
        std::fs::write(docs.path().join("resources/gone.md"), "x").unwrap();
        let differences = compare(docs.path(), &pages).unwrap();
        assert_eq!(differences.len(), 3, "{differences:#?}");
        assert!(differences[0].contains("image.md is missing"));
        assert!(
            differences[1].contains("vlan.md differs (line 1: expected \"---\", found \"old\")")
        );
        assert!(differences[2].contains("gone.md is no longer generated"));

        write_pages(docs.path(), &pages).unwrap();
        assert!(compare(docs.path(), &pages).unwrap().is_empty());
        assert!(!docs.path().join("resources/gone.md").exists());
    }
}
