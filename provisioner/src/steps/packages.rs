//! Packages installed (at a pinned version where given).

use async_trait::async_trait;

use super::{Check, HostCtx, Step};
use crate::render::packages::{self, PackageSpec};

/// Ensures packages are installed.
#[derive(Debug, Clone)]
pub struct PackagesStep {
    /// Step name.
    pub name: String,
    /// Packages.
    pub packages: Vec<PackageSpec>,
    /// Keep the packages' maintainer scripts from starting services (Debian's `policy-rc.d`),
    /// so a daemon never runs with the package's default configuration before the role's
    /// own is written. (RPM scriptlets have no such switch.)
    pub suppress_start: bool,
}

impl PackagesStep {
    /// Installs `packages`; services start as the packages decide.
    pub fn new(name: &str, packages: Vec<PackageSpec>) -> Self {
        PackagesStep {
            name: name.to_string(),
            packages,
            suppress_start: false,
        }
    }

    /// Installs `packages` without starting their services.
    pub fn without_start(name: &str, packages: Vec<PackageSpec>) -> Self {
        PackagesStep {
            suppress_start: true,
            ..PackagesStep::new(name, packages)
        }
    }
}

impl PackagesStep {
    async fn missing(&self, ctx: &HostCtx) -> anyhow::Result<Vec<PackageSpec>> {
        let pm = ctx.facts.family.package_manager();
        let out = ctx
            .run_ok(&packages::query_installed(pm, &self.packages))
            .await?;
        let installed = packages::parse_installed(&out);
        Ok(packages::missing(&self.packages, &installed)
            .into_iter()
            .cloned()
            .collect())
    }
}

fn describe(specs: &[PackageSpec]) -> String {
    specs
        .iter()
        .map(|s| match &s.version {
            Some(v) => format!("{}={v}", s.name),
            None => s.name.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[async_trait]
impl Step for PackagesStep {
    fn name(&self) -> String {
        self.name.clone()
    }

    async fn check(&self, ctx: &HostCtx) -> anyhow::Result<Check> {
        let missing = self.missing(ctx).await?;
        Ok(if missing.is_empty() {
            Check::InSync(format!("installed: {}", describe(&self.packages)))
        } else {
            Check::Drift {
                summary: format!("install {}", describe(&missing)),
                diff: None,
            }
        })
    }

    async fn apply(&self, ctx: &HostCtx) -> anyhow::Result<()> {
        let missing = self.missing(ctx).await?;
        if missing.is_empty() {
            return Ok(());
        }
        let pm = ctx.facts.family.package_manager();
        let refs: Vec<&PackageSpec> = missing.iter().collect();
        // The index may predate a repository added earlier in this run.
        ctx.run_ok(packages::refresh(pm)).await?;
        let install = packages::install(pm, &refs);
        let install = if self.suppress_start {
            packages::without_service_start(pm, &install)
        } else {
            install
        };
        ctx.run_ok(&install).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::facts::Family;
    use crate::steps::testkit::{ctx, FakeHost};

    #[tokio::test]
    async fn missing_packages_are_installed_after_a_refresh() {
        let fake = Arc::new(
            FakeHost::default()
                .on("rpm -q", 0, "chrony (none):4.5-1.el9\n")
                .on("makecache", 0, "")
                .on("dnf install", 0, ""),
        );
        let c = ctx(fake.clone(), Family::El9, false);
        let step = PackagesStep::new(
            "p",
            vec![
                PackageSpec::parse("chrony").unwrap(),
                PackageSpec::parse("docker-ce=3:27.1.1-1.el9").unwrap(),
            ],
        );
        let Check::Drift { summary, .. } = step.check(&c).await.unwrap() else {
            panic!("expected drift")
        };
        assert_eq!(summary, "install docker-ce=3:27.1.1-1.el9");
        step.apply(&c).await.unwrap();
        let scripts = fake.scripts();
        assert!(scripts.contains(&"dnf -q makecache".to_string()));
        assert!(scripts.contains(&"dnf install -y docker-ce-3:27.1.1-1.el9".to_string()));
    }
}
