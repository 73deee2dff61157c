//! Extending the root logical volume with an unused disk: parsing what `findmnt`, `lvs` and
//! `lsblk` report, and the commands that change things.

use crate::remote::sh_quote;

/// Read-only command printing the root filesystem's source and type.
pub const FINDMNT_ROOT: &str = "findmnt -n -o SOURCE,FSTYPE /";
/// Read-only command listing whole disks as `KEY="value"` pairs. Pairs rather than JSON:
/// EL 7's util-linux 2.23 has no `lsblk -J`.
pub const LSBLK_DISKS: &str = "lsblk -d -n -P -o NAME,TYPE,FSTYPE,MOUNTPOINT,RO";

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

/// Parses one line of `lsblk -P` output into (key, value) pairs.
fn parse_pairs(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while let Some((key, after)) = rest.split_once("=\"") {
        let Some(end) = after.find('"') else { break };
        out.push((key.trim().to_string(), after[..end].to_string()));
        rest = &after[end + 1..];
    }
    out
}

/// Writable whole disks with no filesystem and not mounted, from [`LSBLK_DISKS`] output:
/// candidates for extending the root volume group (each still needs [`unused_check`]).
/// `explicit` restricts to one device.
pub fn candidate_disks(lsblk_pairs: &str, explicit: Option<&str>) -> Vec<String> {
    lsblk_pairs
        .lines()
        .filter_map(|line| {
            let pairs = parse_pairs(line);
            let get = |k: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or("")
            };
            let name = get("NAME");
            // zram/ram devices are memory (swap, tmp), never a disk to add to a volume group.
            let memory = name.starts_with("zram") || name.starts_with("ram");
            let usable = get("TYPE") == "disk"
                && !memory
                && get("FSTYPE").is_empty()
                && get("MOUNTPOINT").is_empty()
                && get("RO") == "0"
                && !name.is_empty();
            usable.then(|| {
                if name.starts_with("/dev/") {
                    name.to_string()
                } else {
                    format!("/dev/{name}")
                }
            })
        })
        .filter(|d| explicit.is_none_or(|e| e == d))
        .collect()
}

/// Read-only command that exits 0 when a disk has no partitions or holders, carries no
/// signature at all (`wipefs -n` succeeds and lists none, not even a partition table) and is
/// not a PV. A `wipefs` that cannot probe the device counts as "in use".
pub fn unused_check(device: &str) -> String {
    let d = sh_quote(device);
    format!(
        "test \"$(lsblk -n -o NAME {d} | wc -l)\" -eq 1 && sig=$(wipefs -n {d}) && test -z \"$sig\" && ! pvs {d} >/dev/null 2>&1"
    )
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

    const LSBLK_EL7: &str = "NAME=\"sda\" TYPE=\"disk\" FSTYPE=\"\" MOUNTPOINT=\"\" RO=\"0\"\nNAME=\"sdb\" TYPE=\"disk\" FSTYPE=\"\" MOUNTPOINT=\"\" RO=\"0\"\nNAME=\"sdc\" TYPE=\"disk\" FSTYPE=\"LVM2_member\" MOUNTPOINT=\"\" RO=\"0\"\nNAME=\"sr0\" TYPE=\"rom\" FSTYPE=\"\" MOUNTPOINT=\"\" RO=\"1\"\n";

    const LSBLK_NVME: &str = "NAME=\"nvme0n1\" TYPE=\"disk\" FSTYPE=\"\" MOUNTPOINT=\"\" RO=\"0\"\nNAME=\"nvme1n1\" TYPE=\"disk\" FSTYPE=\"xfs\" MOUNTPOINT=\"/data\" RO=\"0\"\nNAME=\"vdc\" TYPE=\"disk\" FSTYPE=\"\" MOUNTPOINT=\"\" RO=\"1\"\nNAME=\"zram0\" TYPE=\"disk\" FSTYPE=\"\" MOUNTPOINT=\"\" RO=\"0\"\n";

    #[test]
    fn candidates_skip_signed_mounted_readonly_and_non_disks() {
        // sda is partitioned: only the unused_check (lsblk child count, wipefs) can tell.
        assert_eq!(
            candidate_disks(LSBLK_EL7, None),
            vec!["/dev/sda", "/dev/sdb"]
        );
        assert_eq!(candidate_disks(LSBLK_NVME, None), vec!["/dev/nvme0n1"]);
        assert_eq!(
            candidate_disks(LSBLK_EL7, Some("/dev/sdb")),
            vec!["/dev/sdb"]
        );
        assert!(candidate_disks(LSBLK_EL7, Some("/dev/sdc")).is_empty());
        assert!(candidate_disks("garbage", None).is_empty());
    }

    #[test]
    fn pairs_parse_values_with_spaces() {
        assert_eq!(
            parse_pairs("NAME=\"sdb\" MOUNTPOINT=\"/mnt/a b\""),
            vec![
                ("NAME".to_string(), "sdb".to_string()),
                ("MOUNTPOINT".to_string(), "/mnt/a b".to_string())
            ]
        );
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
        let check = unused_check("/dev/sdb");
        assert!(check.contains("lsblk -n -o NAME /dev/sdb | wc -l"));
        assert!(check.contains("sig=$(wipefs -n /dev/sdb) && test -z \"$sig\""));
        assert!(check.ends_with("! pvs /dev/sdb >/dev/null 2>&1"));
    }
}
