//! The managed block of `/etc/hosts` binding every node's addresses to its name.

use std::net::{Ipv4Addr, Ipv6Addr};

/// First line of the managed block.
pub const BEGIN: &str = "# BEGIN mesos-provisioner cluster nodes";
/// Last line of the managed block.
pub const END: &str = "# END mesos-provisioner cluster nodes";

/// One node's entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostEntry {
    /// Host name.
    pub name: String,
    /// Private IPv4 address.
    pub ipv4: Option<Ipv4Addr>,
    /// IPv6 address.
    pub ipv6: Option<Ipv6Addr>,
}

/// Orders names naturally (`agent2` before `agent10`), so the block does not depend on the order
/// the cluster was described in (an inventory, or a bootstrap's own node and `--peer`s).
fn natural_key(name: &str) -> (&str, u64, &str) {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (stem, number) = name.split_at(name.len() - digits);
    (stem, number.parse().unwrap_or(0), name)
}

/// Renders the block (markers included, trailing newline), IPv6 lines first, names in natural
/// order.
pub fn render_block(entries: &[HostEntry]) -> String {
    let mut entries: Vec<&HostEntry> = entries.iter().collect();
    entries.sort_by(|a, b| natural_key(&a.name).cmp(&natural_key(&b.name)));
    let mut out = format!("{BEGIN}\n");
    for e in &entries {
        if let Some(v6) = e.ipv6 {
            out.push_str(&format!("{v6} {}\n", e.name));
        }
    }
    for e in &entries {
        if let Some(v4) = e.ipv4 {
            out.push_str(&format!("{v4} {}\n", e.name));
        }
    }
    out.push_str(END);
    out.push('\n');
    out
}

/// Returns `existing` with the managed block replaced (or appended when absent). Lines outside
/// the block that bind one of our names to another address are dropped, so that lookups of a
/// node name give only the managed addresses (Debian's `127.0.1.1 <name>` line is one).
pub fn apply_block(existing: &str, entries: &[HostEntry]) -> String {
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    let mut kept = String::new();
    let mut inside = false;
    for line in existing.lines() {
        let trimmed = line.trim();
        if trimmed == BEGIN {
            inside = true;
            continue;
        }
        if trimmed == END {
            inside = false;
            continue;
        }
        if inside {
            continue;
        }
        let mut fields = trimmed.split_whitespace();
        let is_comment = trimmed.starts_with('#');
        let addr = fields.next();
        let aliases: Vec<&str> = fields.take_while(|f| !f.starts_with('#')).collect();
        let binds_ours = !is_comment && addr.is_some() && aliases.iter().any(|a| names.contains(a));
        if binds_ours {
            let addr = addr.unwrap_or_default();
            let rest: Vec<&str> = aliases
                .iter()
                .copied()
                .filter(|a| !names.contains(a))
                .collect();
            if !rest.is_empty() {
                kept.push_str(&format!("{addr} {}\n", rest.join(" ")));
            }
            continue;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    kept.push_str(&render_block(entries));
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> Vec<HostEntry> {
        vec![
            HostEntry {
                name: "master1".into(),
                ipv4: Some("10.77.0.11".parse().unwrap()),
                ipv6: Some("fd77::11".parse().unwrap()),
            },
            HostEntry {
                name: "node1".into(),
                ipv4: Some("10.77.0.21".parse().unwrap()),
                ipv6: None,
            },
        ]
    }

    #[test]
    fn block_lists_ipv6_then_ipv4() {
        assert_eq!(
            render_block(&entries()),
            format!("{BEGIN}\nfd77::11 master1\n10.77.0.11 master1\n10.77.0.21 node1\n{END}\n")
        );
    }

    #[test]
    fn apply_is_idempotent_and_keeps_foreign_lines() {
        let debian = "127.0.0.1\tlocalhost\n127.0.1.1\tmaster1\n::1 localhost ip6-localhost\n";
        let once = apply_block(debian, &entries());
        assert!(once.starts_with("127.0.0.1\tlocalhost\n::1 localhost ip6-localhost\n"));
        assert!(!once.contains("127.0.1.1"));
        assert_eq!(apply_block(&once, &entries()), once);
    }

    #[test]
    fn apply_replaces_an_outdated_block_and_strips_only_our_aliases() {
        let old = format!("{BEGIN}\n10.0.0.9 master1\n{END}\n10.1.1.1 node1 other\n");
        let new = apply_block(&old, &entries());
        assert!(!new.contains("10.0.0.9"));
        assert!(new.contains("10.1.1.1 other\n"));
        assert_eq!(new.matches(BEGIN).count(), 1);
    }

    #[test]
    fn the_block_does_not_depend_on_the_order_nodes_were_given_in() {
        let e = |n: &str, o: u8| HostEntry {
            name: n.into(),
            ipv4: Some(std::net::Ipv4Addr::new(10, 0, 0, o)),
            ipv6: None,
        };
        let a = render_block(&[e("agent10", 30), e("master1", 11), e("agent2", 22)]);
        let b = render_block(&[e("master1", 11), e("agent2", 22), e("agent10", 30)]);
        assert_eq!(a, b);
        assert!(
            a.find("agent2").unwrap() < a.find("agent10").unwrap(),
            "{a}"
        );
    }
}
