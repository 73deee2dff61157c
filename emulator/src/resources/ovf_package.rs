//! OVF packages on the organisation's FTPS account, the source of imported customer images.
//!
//! The real platform takes uploads on each datacenter's FTPS host (`ftpsHost` of the datacenter
//! document) and lists the packages under `GET image/ovfPackage` (the .NET client's
//! `ovfPackages` contract: `ovfPackage[] {name, lastModifiedTime, expiryTime, status}`); a package
//! is named by its manifest (`<prefix>.mf`), which lists the package's files with their digests
//! (`SHA1(<file>)= <hex>` or `SHA256(<file>)= <hex>`, VMware's manifest format).
//!
//! The emulator has no FTPS host: files are placed through the emulator-only admin endpoint
//! `PUT /_emulator/ftps/{datacenterId}/{fileName}` (see the README), stored in the organisation's
//! state like every other asset, and checked when `image/importImage` uses them: the manifest
//! must parse, every file it names must be uploaded with the digest it states, it must name
//! exactly one OVF descriptor that references only files of the manifest, and the descriptor's
//! hardware becomes the image's.

use super::Ctx;
use crate::clock;
use crate::envelope::{ApiError, Code, Reply};
use crate::paging;
use crate::store::Org;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// How long an uploaded file stays on the FTPS host (our reading: the contract has an
/// `expiryTime`, no public source states the retention).
pub const RETENTION_MS: u64 = 30 * 24 * 3600 * 1000;

/// One uploaded file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadedFile {
    /// Content, base64 in the state file.
    #[serde(with = "b64")]
    pub content: Vec<u8>,
    /// Upload time (ms).
    pub uploaded_ms: u64,
}

mod b64 {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(serde::de::Error::custom)
    }
}

/// The organisation's files on one datacenter's FTPS host, by file name.
pub type UploadArea = BTreeMap<String, UploadedFile>;

/// Whether `name` may be a file name on the FTPS host (one path segment).
pub fn valid_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
}

/// Digest algorithms a manifest may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    Sha1,
    Sha256,
}

impl Algorithm {
    fn hex(self, bytes: &[u8]) -> String {
        use aws_lc_rs::digest;
        // SHA-1 is what older OVF manifests use; it only checks an upload, it secures nothing.
        let algorithm = match self {
            Algorithm::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Algorithm::Sha256 => &digest::SHA256,
        };
        digest::digest(algorithm, bytes)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// One manifest line: file name, algorithm and expected digest.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    file: String,
    algorithm: Algorithm,
    digest: String,
}

/// Parses a manifest; the error names the offending line.
fn parse_manifest(text: &str) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = || {
            format!("manifest line {} `{line}` is not `SHA1(<file>)= <digest>` or `SHA256(<file>)= <digest>`", n + 1)
        };
        let (head, digest) = line.split_once('=').ok_or_else(bad)?;
        let head = head.trim();
        let (algorithm, rest) = if let Some(rest) = head.strip_prefix("SHA256(") {
            (Algorithm::Sha256, rest)
        } else if let Some(rest) = head.strip_prefix("SHA1(") {
            (Algorithm::Sha1, rest)
        } else {
            return Err(bad());
        };
        let file = rest.strip_suffix(')').ok_or_else(bad)?;
        let digest = digest.trim().to_ascii_lowercase();
        let len = if algorithm == Algorithm::Sha1 { 40 } else { 64 };
        if !valid_file_name(file)
            || digest.len() != len
            || !digest.chars().all(|c| c.is_ascii_hexdigit())
        {
            return Err(bad());
        }
        if entries.iter().any(|e: &Entry| e.file == file) {
            return Err(format!("manifest names {file} twice"));
        }
        entries.push(Entry {
            file: file.to_string(),
            algorithm,
            digest,
        });
    }
    if entries.is_empty() {
        return Err("the manifest lists no file".into());
    }
    Ok(entries)
}

/// The hardware and guest an OVF descriptor describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    /// CPU count.
    pub cpu_count: u32,
    /// Cores per socket (1 unless the descriptor says otherwise).
    pub cores_per_socket: u32,
    /// Memory in GB (rounded up).
    pub memory_gb: u32,
    /// Disk sizes in GB (rounded up), in descriptor order.
    pub disks_gb: Vec<u32>,
    /// NIC adapters (API spelling), in descriptor order.
    pub nics: Vec<String>,
    /// Guest OS as (id, display name, family).
    pub os: (String, String, String),
}

/// A package that passed every check, ready to become an image.
#[derive(Debug, Clone)]
pub struct Package {
    /// Descriptor content.
    pub descriptor: Descriptor,
    /// `source.artifact[]` as (type, file name, upload time), manifest first.
    pub artifacts: Vec<(String, String, u64)>,
}

fn bad_package(rule: impl std::fmt::Display) -> ApiError {
    ApiError::invalid("ovfPackage", rule)
}

/// Finds the package `manifest` on `datacenter_id`'s FTPS host and checks it.
pub fn check(
    org: &Org,
    datacenter_id: &str,
    manifest: &str,
    now_ms: u64,
) -> Result<Package, ApiError> {
    if !manifest.ends_with(".mf") {
        return Err(bad_package(format!(
            "`{manifest}` must name the package's manifest (a .mf file)"
        )));
    }
    let area = org.ovf_uploads.get(datacenter_id);
    let live = |name: &str| {
        area.and_then(|a| a.get(name))
            .filter(|f| f.uploaded_ms.saturating_add(RETENTION_MS) > now_ms)
    };
    let mf = live(manifest).ok_or_else(|| {
        ApiError::new(
            Code::ResourceNotFound,
            format!(
                "ovfPackage: OVF package {manifest} not found on the FTPS host of {datacenter_id}."
            ),
        )
    })?;
    let text = std::str::from_utf8(&mf.content)
        .map_err(|_| bad_package(format!("manifest {manifest} is not text")))?;
    let entries = parse_manifest(text).map_err(bad_package)?;
    let mut artifacts = vec![("MF".to_string(), manifest.to_string(), mf.uploaded_ms)];
    let mut descriptor = None;
    for e in &entries {
        let file = live(&e.file).ok_or_else(|| {
            bad_package(format!(
                "{} listed in {manifest} is not on the FTPS host",
                e.file
            ))
        })?;
        if e.algorithm.hex(&file.content) != e.digest {
            return Err(bad_package(format!(
                "the checksum of {} does not match {manifest}",
                e.file
            )));
        }
        let kind = match e.file.rsplit_once('.').map(|(_, x)| x.to_ascii_lowercase()) {
            Some(x) if x == "ovf" => "OVF",
            Some(x) if x == "vmdk" => "VMDK",
            _ => {
                return Err(bad_package(format!(
                    "{} is neither an OVF descriptor nor a VMDK disk",
                    e.file
                )))
            }
        };
        if kind == "OVF" {
            if descriptor.is_some() {
                return Err(bad_package(format!(
                    "{manifest} lists more than one OVF descriptor"
                )));
            }
            descriptor = Some(&e.file);
        }
        artifacts.push((kind.to_string(), e.file.clone(), file.uploaded_ms));
    }
    let ovf =
        descriptor.ok_or_else(|| bad_package(format!("{manifest} lists no OVF descriptor")))?;
    let content = live(ovf).map(|f| f.content.clone()).unwrap_or_default();
    let listed: Vec<&str> = entries.iter().map(|e| e.file.as_str()).collect();
    let descriptor =
        parse_descriptor(&content, &listed).map_err(|r| bad_package(format!("{ovf}: {r}")))?;
    // The OVF first, then the manifest and the disks, as the recorded artifacts are grouped.
    artifacts.sort_by_key(|(kind, _, _)| match kind.as_str() {
        "MF" => 0,
        "OVF" => 1,
        _ => 2,
    });
    Ok(Package {
        descriptor,
        artifacts,
    })
}

/// The value of the attribute whose local name is `name` (OVF attributes are namespaced).
fn attr<'a>(n: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    n.attributes().find(|a| a.name() == name).map(|a| a.value())
}

fn child<'a>(n: roxmltree::Node<'a, 'a>, name: &str) -> Option<roxmltree::Node<'a, 'a>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn descendants<'a>(
    n: roxmltree::Node<'a, 'a>,
    name: &'a str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'a>> {
    n.descendants()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// Bytes per unit of an OVF allocation unit (`byte`, `byte * 2^20`, `MegaBytes`, …).
fn unit_bytes(unit: &str) -> Option<u64> {
    let unit = unit.replace(' ', "");
    match unit.as_str() {
        "" | "byte" | "bytes" => Some(1),
        "KiloBytes" | "KB" => Some(1 << 10),
        "MegaBytes" | "MB" => Some(1 << 20),
        "GigaBytes" | "GB" => Some(1 << 30),
        _ => {
            let exp = unit.strip_prefix("byte*2^")?.parse::<u32>().ok()?;
            (exp <= 50).then(|| 1u64 << exp)
        }
    }
}

fn gb_rounded_up(bytes: u64) -> u32 {
    bytes.div_ceil(1 << 30) as u32
}

/// The API's spelling of an OVF NIC subtype.
fn adapter(subtype: &str) -> Option<&'static str> {
    match subtype.to_ascii_uppercase().as_str() {
        "E1000" => Some("E1000"),
        "E1000E" => Some("E1000E"),
        "VMXNET3" => Some("VMXNET3"),
        "VMXNET2" => Some("VMXNET2"),
        "PCNET32" => Some("PCNET32"),
        _ => None,
    }
}

/// The guest OS of a VMware `osType` (`centos7_64Guest` → `CENTOS764`, `CENTOS7/64`, `UNIX`).
fn guest_os(os_type: &str) -> (String, String, String) {
    let base = os_type.strip_suffix("Guest").unwrap_or(os_type);
    let upper = base.to_ascii_uppercase();
    let (name, bits) = match upper.rsplit_once('_') {
        Some((n, b)) if b == "64" || b == "32" => (n.to_string(), b.to_string()),
        _ if upper.ends_with("64") => (upper.trim_end_matches("64").to_string(), "64".into()),
        _ => (upper.clone(), "32".into()),
    };
    let family = if upper.starts_with("WIN") {
        "WINDOWS"
    } else {
        "UNIX"
    };
    (
        format!("{name}{bits}"),
        format!("{name}/{bits}"),
        family.to_string(),
    )
}

/// Reads an OVF descriptor; `listed` are the manifest's files, which must cover every file the
/// descriptor references.
pub fn parse_descriptor(content: &[u8], listed: &[&str]) -> Result<Descriptor, String> {
    let text = std::str::from_utf8(content).map_err(|_| "not UTF-8 text".to_string())?;
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("malformed XML ({e})"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "Envelope" {
        return Err("the root element is not an OVF Envelope".into());
    }
    let mut files: BTreeMap<&str, &str> = BTreeMap::new();
    if let Some(refs) = child(root, "References") {
        for f in refs.children().filter(|c| c.is_element()) {
            let (Some(id), Some(href)) = (attr(f, "id"), attr(f, "href")) else {
                return Err("a References/File lacks ovf:id or ovf:href".into());
            };
            if !listed.contains(&href) {
                return Err(format!(
                    "references {href}, which the manifest does not list"
                ));
            }
            files.insert(id, href);
        }
    }
    let mut disks_gb = Vec::new();
    for d in descendants(root, "Disk") {
        let capacity: u64 = attr(d, "capacity")
            .and_then(|c| c.parse().ok())
            .ok_or("a Disk lacks a numeric ovf:capacity")?;
        let unit = unit_bytes(attr(d, "capacityAllocationUnits").unwrap_or("byte"))
            .ok_or("a Disk has an unknown ovf:capacityAllocationUnits")?;
        if let Some(r) = attr(d, "fileRef") {
            if !files.contains_key(r) {
                return Err(format!(
                    "a Disk refers to file `{r}`, which References does not declare"
                ));
            }
        }
        disks_gb.push(gb_rounded_up(capacity.saturating_mul(unit)).max(1));
    }
    if disks_gb.is_empty() {
        return Err("it describes no disk".into());
    }
    let system = descendants(root, "VirtualSystem")
        .next()
        .ok_or("it has no VirtualSystem")?;
    let os_type = descendants(system, "OperatingSystemSection")
        .next()
        .and_then(|s| attr(s, "osType"))
        .ok_or("its OperatingSystemSection gives no vmw:osType")?;
    let (mut cpu, mut cores, mut memory_mb, mut nics) = (None, 1u32, None, Vec::new());
    for item in descendants(system, "Item") {
        let field = |name: &str| child(item, name).and_then(|c| c.text()).map(str::trim);
        let quantity = field("VirtualQuantity").and_then(|q| q.parse::<u64>().ok());
        match field("ResourceType") {
            Some("3") => {
                cpu = Some(quantity.ok_or("the CPU item has no VirtualQuantity")?);
                if let Some(c) = field("CoresPerSocket").and_then(|c| c.parse().ok()) {
                    cores = c;
                }
            }
            Some("4") => {
                let unit = unit_bytes(field("AllocationUnits").unwrap_or("byte * 2^20"))
                    .ok_or("the memory item has unknown AllocationUnits")?;
                let q = quantity.ok_or("the memory item has no VirtualQuantity")?;
                memory_mb = Some(q.saturating_mul(unit) >> 20);
            }
            Some("10") => {
                let sub = field("ResourceSubType").unwrap_or("");
                nics.push(
                    adapter(sub)
                        .ok_or_else(|| format!("network adapter `{sub}` is not supported"))?
                        .to_string(),
                );
            }
            _ => {}
        }
    }
    let cpu_count = cpu.ok_or("it has no CPU item (ResourceType 3)")? as u32;
    let memory_mb = memory_mb.ok_or("it has no memory item (ResourceType 4)")?;
    if cores == 0 || !cpu_count.is_multiple_of(cores) {
        return Err(format!(
            "{cores} cores per socket do not divide {cpu_count} CPUs"
        ));
    }
    Ok(Descriptor {
        cpu_count,
        cores_per_socket: cores,
        memory_gb: memory_mb.div_ceil(1024).max(1) as u32,
        disks_gb,
        nics,
        os: guest_os(os_type),
    })
}

/// The `status` of a package: `AVAILABLE` when every file its manifest lists is uploaded,
/// `INCOMPLETE` otherwise (our reading of the contract's free-text `status`).
fn status(area: &UploadArea, manifest: &UploadedFile, now_ms: u64) -> &'static str {
    let complete = std::str::from_utf8(&manifest.content)
        .ok()
        .and_then(|t| parse_manifest(t).ok())
        .is_some_and(|entries| {
            entries.iter().all(|e| {
                area.get(&e.file)
                    .is_some_and(|f| f.uploaded_ms.saturating_add(RETENTION_MS) > now_ms)
            })
        });
    if complete {
        "AVAILABLE"
    } else {
        "INCOMPLETE"
    }
}

/// `GET image/ovfPackage`: every manifest on the organisation's FTPS accounts (no filters, as
/// the real list takes none).
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let now = ctx.call.now_ms;
    let mut items = Vec::new();
    for (dc, area) in &ctx.org.ovf_uploads {
        for (name, file) in area.iter().filter(|(n, _)| n.ends_with(".mf")) {
            let expiry = file.uploaded_ms.saturating_add(RETENTION_MS);
            if expiry <= now {
                continue;
            }
            items.push(json!({
                "name": name,
                "lastModifiedTime": clock::iso8601(file.uploaded_ms),
                "expiryTime": clock::iso8601(expiry),
                "status": status(area, file, now),
                "datacenterId": dc,
            }));
        }
    }
    Ok(Reply::Document(paging::page(
        items,
        "ovfPackage",
        &ctx.call.query,
        &[],
    )?))
}

/// The admin view of one datacenter's upload area: `{file: [{name, sizeBytes, uploadTime}]}`.
pub fn admin_listing(org: Option<&Org>, datacenter_id: &str) -> Value {
    let files: Vec<Value> = org
        .and_then(|o| o.ovf_uploads.get(datacenter_id))
        .map(|area| {
            area.iter()
                .map(|(name, f)| {
                    json!({"name": name, "sizeBytes": f.content.len(),
                           "uploadTime": clock::iso8601(f.uploaded_ms)})
                })
                .collect()
        })
        .unwrap_or_default();
    json!({"datacenterId": datacenter_id, "file": files})
}

#[cfg(test)]
mod tests {
    use super::*;

    const OVF: &str = r#"<?xml version="1.0"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
  xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References><File ovf:id="file1" ovf:href="img-disk1.vmdk"/></References>
  <DiskSection><Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="20" ovf:capacityAllocationUnits="byte * 2^30"/></DiskSection>
  <VirtualSystem ovf:id="img">
    <OperatingSystemSection ovf:id="107" vmw:osType="centos7_64Guest"/>
    <VirtualHardwareSection>
      <Item><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>4</rasd:VirtualQuantity><vmw:CoresPerSocket>2</vmw:CoresPerSocket></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>6144</rasd:VirtualQuantity></Item>
      <Item><rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>"#;

    #[test]
    fn a_descriptor_gives_the_hardware_and_guest() {
        let d = parse_descriptor(OVF.as_bytes(), &["img-disk1.vmdk"]).unwrap();
        assert_eq!((d.cpu_count, d.cores_per_socket, d.memory_gb), (4, 2, 6));
        assert_eq!(d.disks_gb, vec![20]);
        assert_eq!(d.nics, vec!["VMXNET3".to_string()]);
        assert_eq!(
            d.os,
            ("CENTOS764".into(), "CENTOS7/64".into(), "UNIX".into())
        );
        let err = parse_descriptor(OVF.as_bytes(), &[]).unwrap_err();
        assert!(err.contains("img-disk1.vmdk"), "{err}");
        let err = parse_descriptor(b"<Other/>", &[]).unwrap_err();
        assert!(err.contains("Envelope"), "{err}");
    }

    #[test]
    fn manifests_parse_and_reject_malformed_lines() {
        let sha1 = Algorithm::Sha1.hex(b"abc");
        assert_eq!(sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
        let entries = parse_manifest(&format!("SHA1(a.ovf)= {sha1}\n")).unwrap();
        assert_eq!(entries[0].file, "a.ovf");
        for bad in ["MD5(a.ovf)= 00", "SHA1 a.ovf", "SHA1(a.ovf)= xyz", ""] {
            assert!(parse_manifest(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn expired_files_are_gone() {
        let mut org = Org::default();
        let mut area = UploadArea::new();
        area.insert(
            "p.mf".into(),
            UploadedFile {
                content: b"SHA1(p.ovf)= a9993e364706816aba3e25717850c26c9cd0d89d".to_vec(),
                uploaded_ms: 0,
            },
        );
        org.ovf_uploads.insert("NA9".into(), area);
        let e = check(&org, "NA9", "p.mf", RETENTION_MS).unwrap_err();
        assert_eq!(e.code, Code::ResourceNotFound);
        let e = check(&org, "NA9", "p.mf", 1).unwrap_err();
        assert!(e.message.contains("not on the FTPS host"), "{}", e.message);
    }

    #[test]
    fn os_types_map_to_api_names() {
        assert_eq!(guest_os("windows9Server64Guest").2, "WINDOWS");
        assert_eq!(guest_os("ubuntu64Guest").0, "UBUNTU64");
        assert_eq!(guest_os("rhel8_64Guest").1, "RHEL8/64");
    }
}
