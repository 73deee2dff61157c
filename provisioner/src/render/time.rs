//! Time synchronisation: chrony everywhere except EL 7, which keeps ntpd.

use crate::facts::Family;

/// Package, service and configuration file of the time daemon on a family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeDaemon {
    /// Package to install.
    pub package: &'static str,
    /// systemd unit.
    pub service: &'static str,
    /// Configuration file.
    pub config: &'static str,
}

/// The time daemon used on a family.
pub fn daemon(family: Family) -> TimeDaemon {
    match family {
        Family::El7 => TimeDaemon {
            package: "ntp",
            service: "ntpd",
            config: "/etc/ntp.conf",
        },
        Family::El8 | Family::El9 => TimeDaemon {
            package: "chrony",
            service: "chronyd",
            config: "/etc/chrony.conf",
        },
        _ => TimeDaemon {
            package: "chrony",
            service: "chrony",
            config: "/etc/chrony/chrony.conf",
        },
    }
}

/// Time settings from the inventory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeSettings {
    /// Upstream servers (used with `iburst`).
    pub servers: Vec<String>,
    /// Networks allowed to query this node (chrony `allow` / ntp `restrict`).
    pub allow: Vec<String>,
    /// Serve local time at this stratum when no source is reachable.
    pub local_stratum: Option<u8>,
}

/// The full configuration file for the family's daemon.
pub fn render(family: Family, settings: &TimeSettings) -> String {
    let mut out = format!("{}\n", super::MANAGED);
    if family == Family::El7 {
        out.push_str("driftfile /var/lib/ntp/drift\nrestrict default nomodify notrap nopeer noquery\nrestrict 127.0.0.1\nrestrict ::1\n");
        for s in &settings.servers {
            out.push_str(&format!("server {s} iburst\n"));
        }
        for net in &settings.allow {
            let (addr, mask) = ipv4_net_and_mask(net);
            out.push_str(&format!("restrict {addr} mask {mask} nomodify notrap\n"));
        }
        if let Some(stratum) = settings.local_stratum {
            out.push_str(&format!(
                "server 127.127.1.0\nfudge 127.127.1.0 stratum {stratum}\n"
            ));
        }
        out.push_str("disable monitor\n");
        return out;
    }
    for s in &settings.servers {
        out.push_str(&format!("server {s} iburst\n"));
    }
    let (drift, keys, logdir) = if family.is_el() {
        (
            "/var/lib/chrony/drift",
            "/etc/chrony.keys",
            "/var/log/chrony",
        )
    } else {
        (
            "/var/lib/chrony/chrony.drift",
            "/etc/chrony/chrony.keys",
            "/var/log/chrony",
        )
    };
    out.push_str(&format!(
        "driftfile {drift}\nkeyfile {keys}\nlogdir {logdir}\nmakestep 1.0 3\nrtcsync\nmaxupdateskew 100.0\n"
    ));
    for net in &settings.allow {
        out.push_str(&format!("allow {net}\n"));
    }
    if let Some(stratum) = settings.local_stratum {
        out.push_str(&format!("local stratum {stratum}\n"));
    }
    out
}

/// `10.0.0.0/24` → (`10.0.0.0`, `255.255.255.0`); an address without prefix is a /32.
fn ipv4_net_and_mask(net: &str) -> (String, String) {
    let (addr, prefix) = net.split_once('/').unwrap_or((net, "32"));
    let bits: u32 = prefix.parse().unwrap_or(32).min(32);
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    (addr.to_string(), std::net::Ipv4Addr::from(mask).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> TimeSettings {
        TimeSettings {
            servers: vec!["10.77.0.11".into()],
            allow: vec!["10.77.0.0/24".into()],
            local_stratum: Some(8),
        }
    }

    #[test]
    fn el7_uses_ntpd() {
        assert_eq!(daemon(Family::El7).service, "ntpd");
        let conf = render(Family::El7, &settings());
        assert!(conf.contains("server 10.77.0.11 iburst\n"));
        assert!(conf.contains("restrict 10.77.0.0 mask 255.255.255.0 nomodify notrap\n"));
        assert!(conf.contains("fudge 127.127.1.0 stratum 8\n"));
    }

    #[test]
    fn el8_el9_use_chronyd() {
        for fam in [Family::El8, Family::El9] {
            let d = daemon(fam);
            assert_eq!((d.service, d.config), ("chronyd", "/etc/chrony.conf"));
            let conf = render(fam, &settings());
            assert!(conf.contains("driftfile /var/lib/chrony/drift\n"));
            assert!(conf.contains("allow 10.77.0.0/24\nlocal stratum 8\n"));
        }
    }

    #[test]
    fn debian_ubuntu_use_chrony() {
        for fam in [Family::Debian12, Family::Ubuntu2204, Family::Ubuntu2404] {
            let d = daemon(fam);
            assert_eq!((d.service, d.config), ("chrony", "/etc/chrony/chrony.conf"));
            let conf = render(fam, &TimeSettings::default());
            assert!(conf.contains("driftfile /var/lib/chrony/chrony.drift\n"));
            assert!(!conf.contains("server "));
        }
    }

    #[test]
    fn masks() {
        assert_eq!(ipv4_net_and_mask("10.0.0.0/8").1, "255.0.0.0");
        assert_eq!(ipv4_net_and_mask("10.0.0.5").1, "255.255.255.255");
    }
}
