//! sshd hardening: a drop-in that sorts first, and the `Include` line old configs lack.

use crate::facts::Family;

/// Directory of sshd drop-ins.
pub const DROPIN_DIR: &str = "/etc/ssh/sshd_config.d";
/// Our drop-in. OpenSSH keeps the first value it reads for a keyword, so `00-` beats
/// cloud-init's `50-cloud-init.conf` and the test image's `10-...`.
pub const DROPIN: &str = "/etc/ssh/sshd_config.d/00-mesos-provisioner.conf";
/// Main configuration file.
pub const MAIN: &str = "/etc/ssh/sshd_config";
/// The include line put at the top of configs that lack one.
pub const INCLUDE: &str = "Include /etc/ssh/sshd_config.d/*.conf";

/// Expected `sshd -T` values (lower-case keyword, value) after hardening.
pub const EXPECTED: &[(&str, &str)] = &[
    ("passwordauthentication", "no"),
    ("permitrootlogin", "no"),
    ("kbdinteractiveauthentication", "no"),
    ("pubkeyauthentication", "yes"),
    ("permitemptypasswords", "no"),
    ("allowtcpforwarding", "local"),
];

/// The drop-in content. EL 7's OpenSSH 7.4 knows `ChallengeResponseAuthentication` rather
/// than `KbdInteractiveAuthentication`. Local TCP forwarding stays allowed (and remote
/// forwarding off): the health checks reach the daemons through `direct-tcpip` channels.
pub fn render_dropin(family: Family) -> String {
    // EL 8's OpenSSH 8.0 derives keyboard-interactive from ChallengeResponseAuthentication
    // unless set; state both there. 8.7+ treats the old name as an alias.
    let kbd = match family {
        Family::El7 => "ChallengeResponseAuthentication no",
        Family::El8 => "ChallengeResponseAuthentication no\nKbdInteractiveAuthentication no",
        _ => "KbdInteractiveAuthentication no",
    };
    format!(
        "{}\nPasswordAuthentication no\nPermitRootLogin no\n{kbd}\nPubkeyAuthentication yes\nPermitEmptyPasswords no\nAllowTcpForwarding local\n",
        super::MANAGED
    )
}

/// Whether the main config includes the drop-in directory before any `Match` block.
pub fn includes_dropins(main: &str) -> bool {
    for line in main.lines() {
        let mut words = line.split_whitespace();
        match words.next().map(str::to_ascii_lowercase).as_deref() {
            Some("match") => return false,
            Some("include")
                if words.any(|w| {
                    w == "/etc/ssh/sshd_config.d/*.conf" || w == "sshd_config.d/*.conf"
                }) =>
            {
                return true;
            }
            _ => {}
        }
    }
    false
}

/// The main config with the include line added at the very top (so it precedes any `Match`
/// block and any other setting), or `None` when it is already there.
pub fn ensure_include(main: &str) -> Option<String> {
    if includes_dropins(main) {
        return None;
    }
    Some(format!(
        "# Added by mesos-provisioner: read drop-ins first.\n{INCLUDE}\n{main}"
    ))
}

/// Prints the effective configuration for a root login from an arbitrary address, so `Match`
/// blocks that would re-enable password or root logins are evaluated too. The address is from
/// TEST-NET-1 (RFC 5737): it matches only catch-all `Match` rules.
pub fn effective_command() -> String {
    let spec = "-C user=root,host=mesos-provisioner-check,addr=192.0.2.1";
    format!("sshd -T {spec} 2>/dev/null || /usr/sbin/sshd -T {spec}")
}

/// Keywords of `sshd -T` output whose values differ from [`EXPECTED`] (EL 7 reports
/// `challengeresponseauthentication` instead of `kbdinteractiveauthentication`).
pub fn effective_mismatches(family: Family, sshd_t: &str) -> Vec<String> {
    let mut wrong = Vec::new();
    for (key, want) in EXPECTED {
        let key = if family == Family::El7 && *key == "kbdinteractiveauthentication" {
            "challengeresponseauthentication"
        } else {
            key
        };
        let got = sshd_t.lines().find_map(|l| {
            let (k, v) = l.split_once(' ')?;
            (k == key).then(|| v.trim())
        });
        if got != Some(want) {
            wrong.push(format!("{key}={} (want {want})", got.unwrap_or("<absent>")));
        }
    }
    wrong
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropin_per_family() {
        let el7 = render_dropin(Family::El7);
        assert!(el7.contains("ChallengeResponseAuthentication no"));
        assert!(!el7.contains("KbdInteractive"));
        for fam in [
            Family::El8,
            Family::El9,
            Family::Debian12,
            Family::Ubuntu2404,
        ] {
            let t = render_dropin(fam);
            assert!(t.contains("KbdInteractiveAuthentication no"));
            assert!(t.contains("PasswordAuthentication no\nPermitRootLogin no\n"));
        }
        assert!(DROPIN.starts_with(DROPIN_DIR));
    }

    #[test]
    fn include_detection_el7_el8_debian() {
        let el7 =
            "#\tPort 22\nPasswordAuthentication yes\nMatch User anoncvs\n\tX11Forwarding no\n";
        let fixed = ensure_include(el7).unwrap();
        assert!(fixed.lines().nth(1) == Some(INCLUDE));
        assert_eq!(ensure_include(&fixed), None);
        let debian = "Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\n";
        assert_eq!(ensure_include(debian), None);
        // An include after a Match block applies only inside the block.
        let late = "Match User x\nInclude /etc/ssh/sshd_config.d/*.conf\n";
        assert!(ensure_include(late).is_some());
    }

    #[test]
    fn effective_command_evaluates_match_blocks_for_root() {
        assert!(effective_command().starts_with("sshd -T -C user=root,"));
    }

    #[test]
    fn effective_settings_checked_per_family() {
        let good = "passwordauthentication no\npermitrootlogin no\nkbdinteractiveauthentication no\npubkeyauthentication yes\npermitemptypasswords no\nallowtcpforwarding local\n";
        assert!(effective_mismatches(Family::Debian12, good).is_empty());
        let el7 = good.replace("kbdinteractive", "challengeresponse");
        assert!(effective_mismatches(Family::El7, &el7).is_empty());
        let bad = good.replace("permitrootlogin no", "permitrootlogin yes");
        assert_eq!(
            effective_mismatches(Family::El9, &bad),
            vec!["permitrootlogin=yes (want no)".to_string()]
        );
    }
}
