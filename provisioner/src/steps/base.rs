//! Base role steps that are not plain files, packages or services.

use async_trait::async_trait;

use super::{unified_diff, Check, HostCtx, Step};
use crate::inventory::LvmDisk;
use crate::remote::sh_quote;
use crate::render::{hosts, lvm, packages};

/// OS package updates (security only, all, or off).
#[derive(Debug, Clone)]
pub struct OsUpdateStep {
    /// Mode.
    pub mode: packages::UpdateMode,
}

impl OsUpdateStep {
    async fn pending(&self, ctx: &HostCtx, refresh: bool) -> anyhow::Result<Vec<String>> {
        let pm = ctx.facts.family.package_manager();
        if refresh {
            ctx.run_ok(packages::refresh(pm)).await?;
        }
        let out = ctx
            .run_ok(&packages::pending_updates(pm, self.mode))
            .await?;
        Ok(packages::parse_pending(pm, self.mode, &out))
    }
}

#[async_trait]
impl Step for OsUpdateStep {
    fn name(&self) -> String {
        "os update".to_string()
    }

    async fn check(&self, ctx: &HostCtx) -> anyhow::Result<Check> {
        if self.mode == packages::UpdateMode::Off {
            return Ok(Check::Skip("base.os_update = off".to_string()));
        }
        // Refreshing the package index changes no installed state.
        let pending = self.pending(ctx, true).await?;
        Ok(if pending.is_empty() {
            Check::InSync(format!("no pending {:?} updates", self.mode).to_lowercase())
        } else {
            Check::Drift {
                summary: format!("{} update(s): {}", pending.len(), pending.join(" ")),
                diff: None,
            }
        })
    }

    async fn apply(&self, ctx: &HostCtx) -> anyhow::Result<()> {
        let pm = ctx.facts.family.package_manager();
        let pending = self.pending(ctx, false).await?;
        ctx.run_ok(&packages::apply_updates(pm, self.mode, &pending))
            .await?;
        Ok(())
    }

    async fn verify(&self, ctx: &HostCtx) -> anyhow::Result<()> {
        let left = self.pending(ctx, false).await?;
        anyhow::ensure!(left.is_empty(), "still pending: {}", left.join(" "));
        Ok(())
    }

    async fn note_after_change(&self, ctx: &HostCtx) -> Option<String> {
        let pm = ctx.facts.family.package_manager();
        let needed = ctx.run(packages::reboot_required(pm)).await.ok()?;
        needed
            .success()
            .then(|| "reboot required to activate the updates (not rebooted)".to_string())
    }
}

/// The host name (kernel and `/etc/hostname`), kept by cloud-init where it is installed.
#[derive(Debug, Clone)]
pub struct HostnameStep;

const CLOUD_CFG: &str = "/etc/cloud/cloud.cfg.d/99-mesos-provisioner.cfg";

#[async_trait]
impl Step for HostnameStep {
    fn name(&self) -> String {
        "hostname".to_string()
    }

    async fn check(&self, ctx: &HostCtx) -> anyhow::Result<Check> {
        let name = &ctx.node.name;
        let out = ctx
            .run_ok(&format!(
                "hostname; cat /etc/hostname 2>/dev/null | head -n1; echo; if [ -d /etc/cloud ]; then grep -qx 'preserve_hostname: true' {CLOUD_CFG} 2>/dev/null && echo cloud-ok || echo cloud-missing; else echo cloud-ok; fi"
            ))
            .await?;
        let mut lines = out.lines();
        let kernel = lines.next().unwrap_or("").trim().to_string();
        let file = lines.next().unwrap_or("").trim().to_string();
        let cloud_ok = out.contains("cloud-ok");
        if &kernel == name && &file == name && cloud_ok {
            return Ok(Check::InSync(format!("hostname {name}")));
        }
        Ok(Check::Drift {
            summary: format!("hostname {kernel} (file {file}) -> {name}"),
            diff: None,
        })
    }

    async fn apply(&self, ctx: &HostCtx) -> anyhow::Result<()> {
        let n = sh_quote(&ctx.node.name);
        ctx.run_ok(&format!(
            "hostnamectl set-hostname {n} 2>/dev/null || {{ echo {n} > /etc/hostname && hostname {n}; }}; if [ -d /etc/cloud ]; then mkdir -p /etc/cloud/cloud.cfg.d && echo 'preserve_hostname: true' > {CLOUD_CFG}; fi"
        ))
        .await?;
        Ok(())
    }
}

/// The managed `/etc/hosts` block listing every node's IPv6 and private IPv4 address.
#[derive(Debug, Clone)]
pub struct HostsFileStep;

#[async_trait]
impl Step for HostsFileStep {
    fn name(&self) -> String {
        "/etc/hosts block".to_string()
    }

    async fn check(&self, ctx: &HostCtx) -> anyhow::Result<Check> {
        let current = ctx
            .read_file("/etc/hosts")
            .await?
            .map(|f| f.content)
            .unwrap_or_default();
        let want = hosts::apply_block(&current, &ctx.cluster.hosts());
        Ok(if want == current {
            Check::InSync(format!("{} nodes listed", ctx.cluster.nodes.len()))
        } else {
            Check::Drift {
                summary: format!("write the block for {} nodes", ctx.cluster.nodes.len()),
                diff: Some(unified_diff("/etc/hosts", &current, &want)),
            }
        })
    }

    async fn apply(&self, ctx: &HostCtx) -> anyhow::Result<()> {
        let current = ctx.read_file("/etc/hosts").await?;
        let (content, mode, owner) = match &current {
            Some(f) => (f.content.as_str(), f.mode.as_str(), f.owner.as_str()),
            None => ("", "644", "root:root"),
        };
        let want = hosts::apply_block(content, &ctx.cluster.hosts());
        // In place: /etc/hosts is a bind mount in some containers.
        ctx.write_file("/etc/hosts", &want, mode, owner, None, true)
            .await?;
        Ok(())
    }
}

/// Extends the root logical volume (and its filesystem) with an unused disk.
#[derive(Debug, Clone)]
pub struct LvmExtendStep {
    /// Disk selection.
    pub disk: LvmDisk,
}

enum LvmPlan {
    Skip(String),
    Nothing(String),
    Extend {
        vg: String,
        lv: String,
        disk: Option<String>,
        free: u64,
    },
}

impl LvmExtendStep {
    async fn plan(&self, ctx: &HostCtx) -> anyhow::Result<LvmPlan> {
        let explicit = match &self.disk {
            LvmDisk::Off => return Ok(LvmPlan::Skip("base.lvm_disk = off".to_string())),
            LvmDisk::Auto => None,
            LvmDisk::Device(d) => Some(d.as_str()),
        };
        let root = lvm::parse_findmnt(&ctx.run_ok(lvm::FINDMNT_ROOT).await?)
            .ok_or_else(|| anyhow::anyhow!("cannot read the root filesystem from findmnt"))?;
        let lvs = ctx
            .run(&format!("{} 2>/dev/null", lvm::lvs_for(&root.source)))
            .await?;
        let Some(lv) = lvs
            .success()
            .then(|| lvm::parse_lvs(&lvs.stdout_text()))
            .flatten()
        else {
            return Ok(LvmPlan::Skip(format!(
                "root filesystem {} ({}) is not on LVM",
                root.source, root.fstype
            )));
        };
        let mut disks = Vec::new();
        for d in lvm::candidate_disks(&ctx.run_ok(lvm::LSBLK_DISKS).await?, explicit) {
            if ctx.run(&lvm::unused_check(&d)).await?.success() {
                disks.push(d);
            }
        }
        if disks.len() > 1 {
            anyhow::bail!(
                "several unused disks ({}); name one in base.lvm_disk",
                disks.join(", ")
            );
        }
        let disk = disks.pop();
        if disk.is_none() && lv.vg_free < lv.extent {
            let msg = match explicit {
                Some(d) => format!(
                    "{d} is not an unused disk; VG {} has no free extents",
                    lv.vg
                ),
                None => format!("no unused disk; VG {} has no free extents", lv.vg),
            };
            return Ok(LvmPlan::Nothing(msg));
        }
        Ok(LvmPlan::Extend {
            vg: lv.vg,
            lv: lv.lv_path,
            disk,
            free: lv.vg_free,
        })
    }
}

#[async_trait]
impl Step for LvmExtendStep {
    fn name(&self) -> String {
        "lvm root extension".to_string()
    }

    async fn check(&self, ctx: &HostCtx) -> anyhow::Result<Check> {
        Ok(match self.plan(ctx).await? {
            LvmPlan::Skip(reason) => Check::Skip(reason),
            LvmPlan::Nothing(reason) => Check::InSync(reason),
            LvmPlan::Extend { vg, lv, disk, free } => Check::Drift {
                summary: match disk {
                    Some(d) => format!("add {d} to VG {vg} and grow {lv} over all free space"),
                    None => format!("grow {lv} over {free} free bytes of VG {vg}"),
                },
                diff: None,
            },
        })
    }

    async fn apply(&self, ctx: &HostCtx) -> anyhow::Result<()> {
        if let LvmPlan::Extend { vg, lv, disk, .. } = self.plan(ctx).await? {
            if let Some(d) = disk {
                ctx.run_ok(&lvm::extend_vg(&vg, &d)).await?;
            }
            ctx.run_ok(&lvm::extend_lv(&lv)).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::facts::Family;
    use crate::steps::testkit::{ctx, FakeHost};

    const LSBLK: &str = "NAME=\"sda\" TYPE=\"disk\" FSTYPE=\"\" MOUNTPOINT=\"\" RO=\"0\"\nNAME=\"sdb\" TYPE=\"disk\" FSTYPE=\"\" MOUNTPOINT=\"\" RO=\"0\"\n";

    /// `sdb_unused`: exit status of the unused check for /dev/sdb (sda is always partitioned).
    fn el7_lvm(sdb_unused: u32, vg_free: u64) -> FakeHost {
        FakeHost::default()
            .on("findmnt", 0, "/dev/mapper/centos-root xfs\n")
            .on(
                "lvs --noheadings",
                0,
                &format!("  centos|/dev/centos/root|{vg_free}|4194304\n"),
            )
            .on("lsblk -d -n -P", 0, LSBLK)
            .on("NAME /dev/sda", 1, "")
            .on("NAME /dev/sdb", sdb_unused, "")
            .on("pvcreate", 0, "")
            .on("lvextend", 0, "")
    }

    #[tokio::test]
    async fn lvm_adds_the_unused_disk_then_grows_the_root_lv() {
        let fake = Arc::new(el7_lvm(0, 0));
        let c = ctx(fake.clone(), Family::El7, false);
        let step = LvmExtendStep {
            disk: LvmDisk::Auto,
        };
        let Check::Drift { summary, .. } = step.check(&c).await.unwrap() else {
            panic!("expected drift")
        };
        assert_eq!(
            summary,
            "add /dev/sdb to VG centos and grow /dev/centos/root over all free space"
        );
        step.apply(&c).await.unwrap();
        let scripts = fake.scripts();
        assert!(scripts
            .iter()
            .any(|s| s == "pvcreate /dev/sdb && vgextend centos /dev/sdb"));
        assert!(scripts
            .iter()
            .any(|s| s == "lvextend -r -l +100%FREE /dev/centos/root"));
    }

    #[tokio::test]
    async fn lvm_is_in_sync_once_the_disk_is_a_pv_and_no_space_is_free() {
        let c = ctx(Arc::new(el7_lvm(1, 0)), Family::El8, false);
        let step = LvmExtendStep {
            disk: LvmDisk::Auto,
        };
        assert!(matches!(step.check(&c).await.unwrap(), Check::InSync(_)));
    }

    #[tokio::test]
    async fn lvm_grows_into_free_extents_without_a_new_disk() {
        let c = ctx(Arc::new(el7_lvm(1, 8 << 30)), Family::El9, false);
        let step = LvmExtendStep {
            disk: LvmDisk::Auto,
        };
        let Check::Drift { summary, .. } = step.check(&c).await.unwrap() else {
            panic!("expected drift")
        };
        assert!(summary.starts_with("grow /dev/centos/root over 8589934592 free bytes"));
    }

    #[tokio::test]
    async fn lvm_skips_when_root_is_not_on_lvm_or_disabled() {
        let fake =
            FakeHost::default()
                .on("findmnt", 0, "/dev/sda1 ext4\n")
                .on("lvs --noheadings", 5, "");
        let c = ctx(Arc::new(fake), Family::Debian12, false);
        let step = LvmExtendStep {
            disk: LvmDisk::Auto,
        };
        assert_eq!(
            step.check(&c).await.unwrap(),
            Check::Skip("root filesystem /dev/sda1 (ext4) is not on LVM".into())
        );
        let off = LvmExtendStep { disk: LvmDisk::Off };
        assert!(matches!(off.check(&c).await.unwrap(), Check::Skip(_)));
    }

    #[tokio::test]
    async fn lvm_refuses_to_guess_between_two_unused_disks() {
        let two =
            format!("{LSBLK}NAME=\"sdc\" TYPE=\"disk\" FSTYPE=\"\" MOUNTPOINT=\"\" RO=\"0\"\n");
        let fake = FakeHost::default()
            .on("findmnt", 0, "/dev/mapper/ubuntu--vg-ubuntu--lv ext4\n")
            .on(
                "lvs --noheadings",
                0,
                "ubuntu-vg|/dev/ubuntu-vg/ubuntu-lv|0|4194304\n",
            )
            .on("lsblk -d -n -P", 0, &two)
            .on("NAME /dev/sda", 1, "")
            .on("NAME /dev/sd", 0, "");
        let c = ctx(Arc::new(fake), Family::Ubuntu2204, false);
        let err = LvmExtendStep {
            disk: LvmDisk::Auto,
        }
        .check(&c)
        .await
        .unwrap_err();
        assert!(err
            .to_string()
            .contains("several unused disks (/dev/sdb, /dev/sdc)"));
    }

    #[tokio::test]
    async fn hosts_block_is_written_in_place() {
        let fake = Arc::new(
            FakeHost::default()
                .on("stat -c", 0, "644 root:root\n127.0.0.1 localhost\n")
                .on("cat \"$tmp\" > /etc/hosts", 0, ""),
        );
        let c = ctx(fake.clone(), Family::Debian12, false);
        let Check::Drift { diff, .. } = HostsFileStep.check(&c).await.unwrap() else {
            panic!("expected drift")
        };
        assert!(diff.unwrap().contains("+fd00::1 n1"));
        HostsFileStep.apply(&c).await.unwrap();
        let calls = fake.calls.lock().unwrap();
        let (_, stdin) = calls.last().unwrap();
        assert!(stdin.as_deref().unwrap().contains("10.0.0.1 n1\n"));
    }

    #[tokio::test]
    async fn os_update_lists_pending_security_updates() {
        let fake = FakeHost::default().on("apt-get update", 0, "").on(
            "apt-get -s",
            0,
            "Inst libssl3 [1] (2 Debian-Security:12/stable-security [amd64])\n",
        );
        let c = ctx(Arc::new(fake), Family::Debian12, true);
        let step = OsUpdateStep {
            mode: packages::UpdateMode::Security,
        };
        let Check::Drift { summary, .. } = step.check(&c).await.unwrap() else {
            panic!("expected drift")
        };
        assert_eq!(summary, "1 update(s): libssl3");
    }

    #[tokio::test]
    async fn os_update_notes_a_pending_reboot() {
        let fake = FakeHost::default().on("reboot-required", 0, "");
        let c = ctx(Arc::new(fake), Family::Ubuntu2204, false);
        let step = OsUpdateStep {
            mode: packages::UpdateMode::All,
        };
        assert!(step
            .note_after_change(&c)
            .await
            .unwrap()
            .contains("reboot required"));
        let none = FakeHost::default().on("needs-restarting", 1, "");
        let c = ctx(Arc::new(none), Family::El8, false);
        assert_eq!(step.note_after_change(&c).await, None);
    }

    #[tokio::test]
    async fn hostname_in_sync_only_when_kernel_file_and_cloud_init_agree() {
        let ok = FakeHost::default().on("hostname;", 0, "n1\nn1\n\ncloud-ok\n");
        let c = ctx(Arc::new(ok), Family::El9, false);
        assert!(matches!(
            HostnameStep.check(&c).await.unwrap(),
            Check::InSync(_)
        ));
        let stale = FakeHost::default().on("hostname;", 0, "localhost\nn1\n\ncloud-missing\n");
        let c = ctx(Arc::new(stale), Family::El9, false);
        assert!(matches!(
            HostnameStep.check(&c).await.unwrap(),
            Check::Drift { .. }
        ));
    }
}
