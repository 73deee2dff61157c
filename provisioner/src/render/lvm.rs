//! Extending the root logical volume with an unused disk: parsing what `findmnt`, `lvs` and
//! `lsblk` report, and the commands that change things.

use serde::Deserialize;

use crate::remote::sh_quote;

/// Read-only command printing the root filesystem's source and type.
pub const FINDMNT_ROOT: &str = "findmnt -n -o SOURCE,FSTYPE /";
/// Read-only command listing block devices as JSON with their children.
pub const LSBLK: &str = "lsblk -J -p -o NAME,TYPE,FSTYPE,MOUNTPOINT,RO";

/// The root filesystem as `findmnt` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootFs {
    /// Device, e.g. `/dev/mapper/centos-root`.
    pub source: String,
    /// Filesystem type, e.g. `xfs`.
    pub fstype: String,
}

/// Parses [`FINDMNT_ROOT`] output.
pub fn parse_findmnt(output: &str) -> Option<RootFs> {
    let mut fields = output.split_whitespace();
    Some(RootFs {
        source: fields.next()?.to_string(),
        fstype: fields.next()?.to_string(),
    })
}

/// Read-only command printing `vg_name|lv_path|vg_free_bytes|vg_extent_bytes` for a device,
/// failing when the device is not a logical volume.
pub fn lvs_for(source: &str) -> String {
    format!(
        "lvs --noheadings --nosuffix --units b --separator '|' -o vg_name,lv_path,vg_free,vg_extent_size {}",
        sh_quote(source)
    )
}

/// The root volume as `lvs` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootLv {
    /// Volume group.
    pub vg: String,
    /// Logical volume path.
    pub lv_path: String,
    /// Free bytes in the volume group.
    pub vg_free: u64,
    /// Extent size in bytes.
    pub extent: u64,
}

/// Parses [`lvs_for`] output.
pub fn parse_lvs(output: &str) -> Option<RootLv> {
    let line = output.lines().find(|l| !l.trim().is_empty())?;
    let f: Vec<&str> = line.trim().split('|').map(str::trim).collect();
    if f.len() != 4 {
        return None;
    }
    Some(RootLv {
        vg: f[0].to_string(),
        lv_path: f[1].to_string(),
        vg_free: f[2].parse().ok()?,
        extent: f[3].parse().ok()?,
    })
}

#[derive(Debug, Deserialize)]
struct Lsblk {
    blockdevices: Vec<Device>,
}

#[derive(Debug, Deserialize)]
struct Device {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    fstype: Option<String>,
    mountpoint: Option<String>,
    #[serde(default)]
    ro: serde_json::Value,
    #[serde(default)]
    children: Vec<Device>,
}

/// Whole disks that are writable, unpartitioned, unmounted and carry no filesystem or PV
/// signature: candidates for extending the root volume group. `explicit` restricts to one.
pub fn unused_disks(lsblk_json: &str, explicit: Option<&str>) -> Result<Vec<String>, String> {
    let parsed: Lsblk =
        serde_json::from_str(lsblk_json).map_err(|e| format!("cannot parse lsblk JSON: {e}"))?;
    let read_only = |v: &serde_json::Value| matches!(v, serde_json::Value::Bool(true)) || v == "1";
    Ok(parsed
        .blockdevices
        .into_iter()
        .filter(|d| d.kind == "disk")
        .filter(|d| d.children.is_empty() && d.fstype.is_none() && d.mountpoint.is_none())
        .filter(|d| !read_only(&d.ro))
        .filter(|d| explicit.is_none_or(|e| e == d.name))
        .map(|d| d.name)
        .collect())
}

/// Read-only command that exits 0 when a device has no signature at all (`wipefs` lists none).
pub fn no_signature(device: &str) -> String {
    format!("test -z \"$(wipefs -n {} 2>/dev/null)\"", sh_quote(device))
}

/// Adds a disk to the volume group.
pub fn extend_vg(vg: &str, disk: &str) -> String {
    format!(
        "pvcreate {d} && vgextend {vg} {d}",
        d = sh_quote(disk),
        vg = sh_quote(vg)
    )
}

/// Grows the root LV over all free extents and the filesystem with it (`-r` runs fsadm:
/// `xfs_growfs` or `resize2fs`).
pub fn extend_lv(lv_path: &str) -> String {
    format!("lvextend -r -l +100%FREE {}", sh_quote(lv_path))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LSBLK_EL7: &str = r#"{"blockdevices": [
      {"name":"/dev/sda","type":"disk","fstype":null,"mountpoint":null,"ro":"0","children":[
        {"name":"/dev/sda1","type":"part","fstype":"xfs","mountpoint":"/boot","ro":"0"},
        {"name":"/dev/sda2","type":"part","fstype":"LVM2_member","mountpoint":null,"ro":"0","children":[
          {"name":"/dev/mapper/centos-root","type":"lvm","fstype":"xfs","mountpoint":"/","ro":"0"}]}]},
      {"name":"/dev/sdb","type":"disk","fstype":null,"mountpoint":null,"ro":"0"},
      {"name":"/dev/sdc","type":"disk","fstype":"LVM2_member","mountpoint":null,"ro":"0"},
      {"name":"/dev/sr0","type":"rom","fstype":null,"mountpoint":null,"ro":"1"}]}"#;

    const LSBLK_NEW: &str = r#"{"blockdevices": [
      {"name":"/dev/vda","type":"disk","fstype":null,"mountpoint":null,"ro":false,"children":[
        {"name":"/dev/vda1","type":"part","fstype":"ext4","mountpoint":"/","ro":false}]},
      {"name":"/dev/vdb","type":"disk","fstype":null,"mountpoint":null,"ro":false},
      {"name":"/dev/vdc","type":"disk","fstype":null,"mountpoint":null,"ro":true}]}"#;

    #[test]
    fn unused_disks_skip_partitioned_signed_and_readonly() {
        assert_eq!(unused_disks(LSBLK_EL7, None).unwrap(), vec!["/dev/sdb"]);
        assert_eq!(unused_disks(LSBLK_NEW, None).unwrap(), vec!["/dev/vdb"]);
        assert!(unused_disks(LSBLK_NEW, Some("/dev/vda"))
            .unwrap()
            .is_empty());
        assert!(unused_disks("not json", None).is_err());
    }

    #[test]
    fn root_parsing() {
        assert_eq!(
            parse_findmnt("/dev/mapper/rl-root xfs\n").unwrap(),
            RootFs {
                source: "/dev/mapper/rl-root".into(),
                fstype: "xfs".into()
            }
        );
        let lv = parse_lvs("  centos|/dev/centos/root|0|4194304\n").unwrap();
        assert_eq!(lv.vg, "centos");
        assert_eq!(lv.vg_free, 0);
        assert!(parse_lvs("garbage").is_none());
    }

    #[test]
    fn commands() {
        assert_eq!(
            extend_vg("ubuntu-vg", "/dev/sdb"),
            "pvcreate /dev/sdb && vgextend ubuntu-vg /dev/sdb"
        );
        assert_eq!(
            extend_lv("/dev/rl/root"),
            "lvextend -r -l +100%FREE /dev/rl/root"
        );
        assert!(lvs_for("/dev/mapper/almalinux-root").contains("vg_free"));
        assert!(no_signature("/dev/sdb").contains("wipefs -n /dev/sdb"));
    }
}
