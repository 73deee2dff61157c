//! Helpers shared by the xtask integration tests: the built binaries and running xtask.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `target/<profile>/<name>`, built by `cargo build --workspace --bins` before the tests
/// (the same convention as the workspace's end-to-end tests).
pub fn built_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("locating the test binary");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary is in target/<profile>/deps");
    let bin = dir.join(name);
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build --workspace --bins` (same profile and target dir) first",
        bin.display()
    );
    bin
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Runs the xtask binary with `args`.
pub fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(workspace_root())
        .output()
        .expect("running xtask")
}

/// Standard output and error of `output`, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
