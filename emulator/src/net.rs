//! IPv4/IPv6 address arithmetic for VLAN ranges, gateways and address pools.

use std::net::{Ipv4Addr, Ipv6Addr};

/// An IPv4 network `address/prefix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Net {
    /// Network address.
    pub address: Ipv4Addr,
    /// Prefix length.
    pub prefix: u8,
}

impl Ipv4Net {
    /// Network mask as an integer.
    pub fn mask(&self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix))
        }
    }

    /// First address (the network address) as an integer.
    pub fn first(&self) -> u32 {
        u32::from(self.address) & self.mask()
    }

    /// Last address (broadcast) as an integer.
    pub fn last(&self) -> u32 {
        self.first() | !self.mask()
    }

    /// True when `address` is the network address for the prefix.
    pub fn is_aligned(&self) -> bool {
        u32::from(self.address) == self.first()
    }

    /// True when `ip` lies inside the network.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let v = u32::from(ip);
        v >= self.first() && v <= self.last()
    }

    /// True when the two networks share any address.
    pub fn overlaps(&self, other: &Ipv4Net) -> bool {
        self.first() <= other.last() && other.first() <= self.last()
    }
}

/// Parses a dotted-quad IPv4 address, naming `field` in the error.
pub fn parse_ipv4(field: &str, value: &str) -> Result<Ipv4Addr, String> {
    value
        .parse::<Ipv4Addr>()
        .map_err(|_| format!("{field}: `{value}` is not a valid IPv4 address"))
}

/// Adds `n` to an IPv4 address.
pub fn add(ip: Ipv4Addr, n: u32) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(ip).wrapping_add(n))
}

/// True for RFC 1918 private addresses.
pub fn is_rfc1918(ip: Ipv4Addr) -> bool {
    ip.is_private()
}

/// The `/64` prefix of the `n`-th VLAN of a datacenter: `2607:f480:<dc>:<n>::/64`.
pub fn ipv6_vlan_prefix(dc_index: u8, n: u32) -> Ipv6Addr {
    Ipv6Addr::new(
        0x2607,
        0xf480,
        0x1000 | u16::from(dc_index),
        (n & 0xffff) as u16,
        0,
        0,
        0,
        0,
    )
}

/// An address inside a `/64`: the prefix with the given 64-bit host part.
pub fn ipv6_host(prefix: Ipv6Addr, host: u64) -> Ipv6Addr {
    let p = u128::from(prefix) & !(u128::from(u64::MAX));
    Ipv6Addr::from(p | u128::from(host))
}

/// Formats an IPv6 address the way CloudControl does (all eight groups, no `::`).
pub fn ipv6_full(ip: Ipv6Addr) -> String {
    ip.segments()
        .iter()
        .map(|s| format!("{s:x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_math() {
        let n = Ipv4Net {
            address: "10.0.3.0".parse().unwrap(),
            prefix: 24,
        };
        assert!(n.is_aligned());
        assert_eq!(Ipv4Addr::from(n.last()), Ipv4Addr::new(10, 0, 3, 255));
        assert!(n.contains("10.0.3.17".parse().unwrap()));
        assert!(!n.contains("10.0.4.1".parse().unwrap()));
        let m = Ipv4Net {
            address: "10.0.2.0".parse().unwrap(),
            prefix: 23,
        };
        assert!(n.overlaps(&m) && m.overlaps(&n));
        assert!(!Ipv4Net {
            address: "10.0.3.1".parse().unwrap(),
            prefix: 24
        }
        .is_aligned());
    }

    #[test]
    fn ipv6_formatting() {
        let p = ipv6_vlan_prefix(0, 0x1153);
        assert_eq!(ipv6_full(p), "2607:f480:1000:1153:0:0:0:0");
        assert_eq!(ipv6_full(ipv6_host(p, 1)), "2607:f480:1000:1153:0:0:0:1");
    }
}
