//! CentOS 7 is end of life: its mirrorlists are gone, so the base repositories are repointed
//! to the vault (the URL is configuration).

/// The repository file replaced on CentOS 7.
pub const PATH: &str = "/etc/yum.repos.d/CentOS-Base.repo";

/// Default vault location of the last CentOS 7 release.
pub const DEFAULT_URL: &str = "http://vault.centos.org/7.9.2009";

/// `CentOS-Base.repo` with every repository on `vault_url` and no mirrorlist.
pub fn render(vault_url: &str) -> String {
    let base = vault_url.trim_end_matches('/');
    let mut out = format!("{}\n", super::MANAGED);
    for (id, path, enabled) in [
        ("base", "os", 1),
        ("updates", "updates", 1),
        ("extras", "extras", 1),
        ("centosplus", "centosplus", 0),
    ] {
        out.push_str(&format!(
            "\n[{id}]\nname=CentOS-7 - {path} (vault)\nbaseurl={base}/{path}/$basearch/\ngpgcheck=1\nenabled={enabled}\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-7\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn el7_repos_point_at_the_vault() {
        let text = super::render("http://vault.example/7.9.2009/");
        assert!(!text.contains("mirrorlist"));
        assert!(text.contains("[base]\nname=CentOS-7 - os (vault)\nbaseurl=http://vault.example/7.9.2009/os/$basearch/\n"));
        assert!(text.contains("[updates]"));
        assert!(text.contains("[centosplus]"));
        assert_eq!(text.matches("enabled=1").count(), 3);
    }
}
