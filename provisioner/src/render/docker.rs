//! Docker engine repository files, from configuration only (no URL is built in).

use crate::facts::Family;

/// apt source file written when `[docker.apt].source` is set.
pub const APT_LIST: &str = "/etc/apt/sources.list.d/mesos-provisioner-docker.list";
/// Where `[docker.apt].key_file` is copied.
pub const APT_KEY: &str = "/etc/apt/keyrings/mesos-provisioner-docker.asc";
/// Docker daemon configuration written when `[docker].daemon_json` is set.
pub const DAEMON_JSON: &str = "/etc/docker/daemon.json";
/// yum/dnf repository file written when `[docker.yum]` is set.
pub const YUM_REPO: &str = "/etc/yum.repos.d/mesos-provisioner-docker.repo";

/// An apt repository: one `deb ...` line (e.g. `deb [trusted=yes] file:/srv/repo ./`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AptRepo {
    /// The source line.
    pub source: String,
}

/// A yum/dnf repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YumRepo {
    /// `baseurl` (may use `$releasever`/`$basearch`).
    pub baseurl: String,
    /// `gpgkey` URL or `file://` path.
    pub gpgkey: Option<String>,
    /// `gpgcheck`.
    pub gpgcheck: bool,
}

/// The apt list file content.
pub fn render_apt(repo: &AptRepo) -> String {
    format!("{}\n{}\n", super::MANAGED, repo.source.trim())
}

/// The yum repository file content. EL 7 keeps `$releasever` as `7`; nothing differs by
/// family except that EL 8/9 also honour `module_hotfixes` for the containerd module clash.
pub fn render_yum(family: Family, repo: &YumRepo) -> String {
    let mut out = format!(
        "{}\n[mesos-provisioner-docker]\nname=Docker engine (mesos-provisioner)\nbaseurl={}\nenabled=1\ngpgcheck={}\n",
        super::MANAGED,
        repo.baseurl,
        u8::from(repo.gpgcheck)
    );
    if let Some(key) = &repo.gpgkey {
        out.push_str(&format!("gpgkey={key}\n"));
    }
    if matches!(family, Family::El8 | Family::El9) {
        out.push_str("module_hotfixes=1\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apt_source_is_written_verbatim() {
        let r = AptRepo {
            source: "deb [trusted=yes] file:/var/local/mz-repo ./ ".into(),
        };
        assert!(render_apt(&r).ends_with("\ndeb [trusted=yes] file:/var/local/mz-repo ./\n"));
    }

    #[test]
    fn yum_repo_per_family() {
        let r = YumRepo {
            baseurl: "https://download.docker.com/linux/centos/$releasever/$basearch/stable".into(),
            gpgkey: Some("https://download.docker.com/linux/centos/gpg".into()),
            gpgcheck: true,
        };
        let el7 = render_yum(Family::El7, &r);
        assert!(el7.contains(
            "baseurl=https://download.docker.com/linux/centos/$releasever/$basearch/stable\n"
        ));
        assert!(el7.contains("gpgcheck=1\ngpgkey=https://download.docker.com/linux/centos/gpg\n"));
        assert!(!el7.contains("module_hotfixes"));
        assert!(render_yum(Family::El9, &r).ends_with("module_hotfixes=1\n"));
    }
}
