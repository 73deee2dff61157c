//! `cargo xtask release`: the registry's release layout for one platform:
//! `terraform-provider-cloudcontrol_<version>_<os>_<arch>.zip` holding
//! `terraform-provider-cloudcontrol_v<version>`, the registry manifest copied as
//! `..._<version>_manifest.json`, and `..._<version>_SHA256SUMS` covering both.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

use crate::PROVIDER_PACKAGE;

/// A Go-style platform pair, as the registry names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// `linux`, `darwin`, `windows`, `freebsd`.
    pub os: String,
    /// `amd64`, `arm64`, `386`, `arm`.
    pub arch: String,
}

impl Platform {
    /// The platform this program runs on (and the provider was built for).
    pub fn host() -> Result<Self> {
        Self::from_rust(std::env::consts::OS, std::env::consts::ARCH)
    }

    /// Maps Rust's `std::env::consts` names to the registry's Go names.
    pub fn from_rust(os: &str, arch: &str) -> Result<Self> {
        let os = match os {
            "linux" | "windows" | "freebsd" | "openbsd" => os,
            "macos" => "darwin",
            other => bail!("no registry name for operating system {other}"),
        };
        let arch = match arch {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "arm" => "arm",
            other => bail!("no registry name for architecture {other}"),
        };
        Ok(Self {
            os: os.into(),
            arch: arch.into(),
        })
    }
}

/// The file names of one release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseNames {
    version: String,
}

impl ReleaseNames {
    /// Names for `version`, which must be a semantic version without a leading `v`.
    pub fn new(version: &str) -> Result<Self> {
        validate_version(version)?;
        Ok(Self {
            version: version.into(),
        })
    }

    /// `terraform-provider-cloudcontrol_<version>_<os>_<arch>.zip`
    pub fn archive(&self, platform: &Platform) -> String {
        format!(
            "{PROVIDER_PACKAGE}_{}_{}_{}.zip",
            self.version, platform.os, platform.arch
        )
    }

    /// `terraform-provider-cloudcontrol_v<version>` (with `.exe` on Windows): the file inside
    /// the archive, named the way Terraform expects an installed provider.
    pub fn executable(&self, platform: &Platform) -> String {
        let suffix = if platform.os == "windows" { ".exe" } else { "" };
        format!("{PROVIDER_PACKAGE}_v{}{suffix}", self.version)
    }

    /// `terraform-provider-cloudcontrol_<version>_SHA256SUMS`
    pub fn checksums(&self) -> String {
        format!("{PROVIDER_PACKAGE}_{}_SHA256SUMS", self.version)
    }

    /// `terraform-provider-cloudcontrol_<version>_manifest.json`
    pub fn manifest(&self) -> String {
        format!("{PROVIDER_PACKAGE}_{}_manifest.json", self.version)
    }
}

/// Accepts `MAJOR.MINOR.PATCH` with an optional `-prerelease` and `+build` (SemVer 2.0 shape).
pub fn validate_version(version: &str) -> Result<()> {
    if version.starts_with('v') {
        bail!("version {version:?}: write it without the leading `v` (e.g. 0.1.0)");
    }
    let (core, build) = match version.split_once('+') {
        Some((core, build)) => (core, Some(build)),
        None => (version, None),
    };
    let (core, pre) = match core.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (core, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    let numeric = |part: &&str| {
        !part.is_empty()
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part.len() == 1 || !part.starts_with('0'))
    };
    if numbers.len() != 3 || !numbers.iter().all(numeric) {
        bail!("version {version:?} is not a semantic version MAJOR.MINOR.PATCH (e.g. 0.1.0)");
    }
    let identifiers_ok = |text: &str| {
        text.split('.')
            .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    if pre.is_some_and(|p| !identifiers_ok(p)) || build.is_some_and(|b| !identifiers_ok(b)) {
        bail!("version {version:?}: pre-release and build parts are dot-separated [0-9A-Za-z-] identifiers");
    }
    Ok(())
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `sha256sum` format: `<hex>  <name>` lines sorted by name, as `sha256sum -c` reads them.
pub fn checksums_text(files: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted
        .into_iter()
        .map(|(name, digest)| format!("{digest}  {name}\n"))
        .collect()
}

/// A zip archive holding one executable (mode 0755, fixed timestamp so rebuilding the same
/// binary gives the same archive).
pub fn zip_executable(entry_name: &str, executable: &[u8]) -> Result<Vec<u8>> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755)
        .last_modified_time(zip::DateTime::default());
    writer
        .start_file(entry_name, options)
        .with_context(|| format!("adding {entry_name} to the archive"))?;
    writer
        .write_all(executable)
        .with_context(|| format!("compressing {entry_name}"))?;
    let cursor = writer.finish().context("finishing the zip archive")?;
    Ok(cursor.into_inner())
}

/// Checks the registry manifest is the JSON the registry reads (version 1, protocol versions).
pub fn validate_manifest(text: &str) -> Result<()> {
    let manifest: serde_json::Value =
        serde_json::from_str(text).context("the registry manifest is not valid JSON")?;
    if manifest["version"] != 1 {
        bail!("the registry manifest must have \"version\": 1");
    }
    let protocols = manifest["metadata"]["protocol_versions"]
        .as_array()
        .context("the registry manifest has no metadata.protocol_versions list")?;
    if protocols.is_empty() || !protocols.iter().all(|p| p.is_string()) {
        bail!("metadata.protocol_versions must list protocol versions such as \"6.0\"");
    }
    Ok(())
}

/// What to package.
#[derive(Debug, Clone)]
pub struct ReleaseInput {
    /// Version without a leading `v`.
    pub version: String,
    /// Platform the binary was built for.
    pub platform: Platform,
    /// The provider executable.
    pub binary: PathBuf,
    /// `terraform-registry-manifest.json`.
    pub manifest: PathBuf,
    /// Output folder (created if missing).
    pub out_dir: PathBuf,
}

/// Writes the archive, the manifest copy and the checksums; returns their paths.
pub fn package(input: &ReleaseInput) -> Result<Vec<PathBuf>> {
    let names = ReleaseNames::new(&input.version)?;
    let executable = std::fs::read(&input.binary)
        .with_context(|| format!("reading the provider binary {}", input.binary.display()))?;
    let manifest = std::fs::read_to_string(&input.manifest)
        .with_context(|| format!("reading {}", input.manifest.display()))?;
    validate_manifest(&manifest).with_context(|| format!("in {}", input.manifest.display()))?;

    let archive = zip_executable(&names.executable(&input.platform), &executable)?;
    let archive_name = names.archive(&input.platform);
    let manifest_name = names.manifest();
    let sums = checksums_text(&[
        (archive_name.clone(), sha256_hex(&archive)),
        (manifest_name.clone(), sha256_hex(manifest.as_bytes())),
    ]);

    std::fs::create_dir_all(&input.out_dir)
        .with_context(|| format!("creating {}", input.out_dir.display()))?;
    let outputs = [
        (archive_name, archive),
        (manifest_name, manifest.into_bytes()),
        (names.checksums(), sums.into_bytes()),
    ];
    let mut written = Vec::new();
    for (name, bytes) in outputs {
        let path = input.out_dir.join(name);
        write_file(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    fn linux() -> Platform {
        Platform::from_rust("linux", "x86_64").unwrap()
    }

    #[test]
    fn names_follow_the_registry_convention() {
        let names = ReleaseNames::new("0.1.0").unwrap();
        assert_eq!(
            names.archive(&linux()),
            "terraform-provider-cloudcontrol_0.1.0_linux_amd64.zip"
        );
        assert_eq!(
            names.executable(&linux()),
            "terraform-provider-cloudcontrol_v0.1.0"
        );
        assert_eq!(
            names.checksums(),
            "terraform-provider-cloudcontrol_0.1.0_SHA256SUMS"
        );
        assert_eq!(
            names.manifest(),
            "terraform-provider-cloudcontrol_0.1.0_manifest.json"
        );
        let mac = Platform::from_rust("macos", "aarch64").unwrap();
        assert_eq!(
            names.archive(&mac),
            "terraform-provider-cloudcontrol_0.1.0_darwin_arm64.zip"
        );
        let windows = Platform::from_rust("windows", "x86").unwrap();
        assert_eq!(
            names.executable(&windows),
            "terraform-provider-cloudcontrol_v0.1.0.exe"
        );
        assert!(Platform::from_rust("linux", "riscv64").is_err());
    }

    #[test]
    fn versions_must_be_semantic_without_v() {
        for good in ["0.1.0", "1.20.3", "1.0.0-rc.1", "1.0.0-beta-2+build.5"] {
            validate_version(good).unwrap();
        }
        for bad in [
            "v0.1.0",
            "0.1",
            "0.1.0.0",
            "01.0.0",
            "1.0.0-",
            "1.0.0-a..b",
            "1.x.0",
            "",
        ] {
            assert!(validate_version(bad).is_err(), "{bad} accepted");
        }
        let error = validate_version("v1.0.0").unwrap_err().to_string();
        assert!(error.contains("leading `v`"), "{error}");
    }

    #[test]
    fn checksum_file_is_sha256sum_format_sorted_by_name() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let text = checksums_text(&[
            ("b.zip".into(), sha256_hex(b"abc")),
            ("a.json".into(), sha256_hex(b"")),
        ]);
        assert_eq!(
            text,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a.json\n\
             ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  b.zip\n"
        );
    }

    #[test]
    fn archive_holds_the_executable_with_exec_permissions_reproducibly() {
        let data = b"\x7fELF pretend binary".repeat(100);
        let archive = zip_executable("terraform-provider-cloudcontrol_v0.1.0", &data).unwrap();
        assert_eq!(
            archive,
            zip_executable("terraform-provider-cloudcontrol_v0.1.0", &data).unwrap()
        );
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).unwrap();
        assert_eq!(zip.len(), 1);
        let mut entry = zip.by_index(0).unwrap();
        assert_eq!(entry.name(), "terraform-provider-cloudcontrol_v0.1.0");
        assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o755));
        let mut contents = Vec::new();
        entry.read_to_end(&mut contents).unwrap();
        assert_eq!(contents, data);
    }

    #[test]
    fn manifest_validation() {
        validate_manifest(r#"{"version":1,"metadata":{"protocol_versions":["6.0"]}}"#).unwrap();
        assert!(
            validate_manifest(r#"{"version":2,"metadata":{"protocol_versions":["6.0"]}}"#).is_err()
        );
        assert!(validate_manifest(r#"{"version":1,"metadata":{}}"#).is_err());
        assert!(validate_manifest("not json").is_err());
    }

    #[test]
    fn the_repository_manifest_is_valid() {
        let path = terraform_cli::workspace_root().join("terraform-registry-manifest.json");
        validate_manifest(&std::fs::read_to_string(path).unwrap()).unwrap();
    }
}
