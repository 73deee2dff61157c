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
        let want = hosts::apply_block(&current, &ctx.cluster);
        Ok(if want == current {
            Check::InSync(format!("{} nodes listed", ctx.cluster.len()))
        } else {
            Check::Drift {
                summary: format!("write the block for {} nodes", ctx.cluster.len()),
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
        let want = hosts::apply_block(content, &ctx.cluster);
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
        for d in lvm::unused_disks(&ctx.run_ok(lvm::LSBLK).await?, explicit)
            .map_err(anyhow::Error::msg)?
        {
            let pv = ctx
                .run(&format!("pvs {} >/dev/null 2>&1", sh_quote(&d)))
                .await?;
            if !pv.success() && ctx.run(&lvm::no_signature(&d)).await?.success() {
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
