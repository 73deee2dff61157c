//! `cargo xtask docs --check`: the committed docs/ match the provider schema (through the real
//! Terraform CLI) and the examples, and a stale page is reported by name.

mod common;

use std::path::Path;

use common::{built_binary, describe, workspace_root, xtask};

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn committed_docs_are_up_to_date() {
    let binary = built_binary("terraform-provider-cloudcontrol");
    let output = xtask(&[
        "docs",
        "--check",
        "--provider-binary",
        binary.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "docs/ is stale: run `cargo xtask docs` and commit the result\n{}",
        describe(&output)
    );
}

#[test]
fn check_names_the_stale_page_and_generation_repairs_it() {
    let binary = built_binary("terraform-provider-cloudcontrol");
    let docs = tempfile::tempdir().unwrap();
    copy_tree(&workspace_root().join("docs"), docs.path());
    let page = docs.path().join("resources/vlan.md");
    let edited = std::fs::read_to_string(&page)
        .unwrap()
        .replace("## Schema", "## Schema (edited by hand)");
    std::fs::write(&page, edited).unwrap();
    let docs_dir = docs.path().to_str().unwrap();
    let args = [
        "docs",
        "--check",
        "--provider-binary",
        binary.to_str().unwrap(),
        "--docs-dir",
        docs_dir,
    ];

    let output = xtask(&args);
    assert!(!output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("resources/vlan.md differs") && stderr.contains("cargo xtask docs"),
        "{}",
        describe(&output)
    );

    let generate = xtask(
        &args[..1]
            .iter()
            .chain(&args[2..])
            .copied()
            .collect::<Vec<_>>(),
    );
    assert!(generate.status.success(), "{}", describe(&generate));
    let recheck = xtask(&args);
    assert!(recheck.status.success(), "{}", describe(&recheck));
}
