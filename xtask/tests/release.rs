//! `cargo xtask release` on the real built provider: archive contents, checksums, manifest.

mod common;

use std::io::Read as _;
use std::process::Command;

use common::{built_binary, describe, workspace_root, xtask};
use sha2::{Digest, Sha256};

const PROVIDER: &str = "terraform-provider-cloudcontrol";

#[test]
fn release_packages_the_built_provider_for_the_registry() {
    let binary = built_binary(PROVIDER);
    let out = tempfile::tempdir().unwrap();
    let output = xtask(&[
        "release",
        "--version",
        "0.1.0-rc.1",
        "--prebuilt",
        binary.to_str().unwrap(),
        "--out-dir",
        out.path().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", describe(&output));

    let mut files: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let zip_name = format!("{PROVIDER}_0.1.0-rc.1_linux_amd64.zip");
    let sums_name = format!("{PROVIDER}_0.1.0-rc.1_SHA256SUMS");
    let manifest_name = format!("{PROVIDER}_0.1.0-rc.1_manifest.json");
    assert_eq!(
        files,
        [sums_name.clone(), zip_name.clone(), manifest_name.clone()]
    );

    // The archive holds exactly the provider binary, executable, under Terraform's name.
    let archive = std::fs::read(out.path().join(&zip_name)).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&archive)).unwrap();
    assert_eq!(zip.len(), 1);
    let mut entry = zip.by_index(0).unwrap();
    assert_eq!(entry.name(), format!("{PROVIDER}_v0.1.0-rc.1"));
    assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o755));
    let mut unpacked = Vec::new();
    entry.read_to_end(&mut unpacked).unwrap();
    assert!(
        unpacked == std::fs::read(&binary).unwrap(),
        "the archived binary differs from {}",
        binary.display()
    );

    // The manifest is the repository's.
    assert_eq!(
        std::fs::read_to_string(out.path().join(&manifest_name)).unwrap(),
        std::fs::read_to_string(workspace_root().join("terraform-registry-manifest.json")).unwrap()
    );

    // The checksums match, recomputed here ...
    let sums = std::fs::read_to_string(out.path().join(&sums_name)).unwrap();
    let lines: Vec<&str> = sums.lines().collect();
    assert_eq!(lines.len(), 2, "{sums}");
    for (line, name) in lines.iter().zip([&zip_name, &manifest_name]) {
        let bytes = std::fs::read(out.path().join(name)).unwrap();
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(*line, format!("{digest}  {name}"));
    }
    // ... and by coreutils, which is how users verify a download.
    if let Ok(check) = Command::new("sha256sum")
        .args(["--check", "--strict", &sums_name])
        .current_dir(out.path())
        .output()
    {
        assert!(
            check.status.success(),
            "sha256sum --check: {}",
            String::from_utf8_lossy(&check.stdout)
        );
    }
}

#[test]
fn release_refuses_a_version_with_a_leading_v_and_writes_nothing() {
    let binary = built_binary(PROVIDER);
    let out = tempfile::tempdir().unwrap();
    let output = xtask(&[
        "release",
        "--version",
        "v0.1.0",
        "--prebuilt",
        binary.to_str().unwrap(),
        "--out-dir",
        out.path().to_str().unwrap(),
    ]);
    assert!(!output.status.success(), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("without the leading `v`"),
        "{}",
        describe(&output)
    );
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}
