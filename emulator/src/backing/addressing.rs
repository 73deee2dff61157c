//! Where public IPv4 and VLAN IPv6 addresses come from.
//!
//! Without node backing the emulator hands out addresses shaped like the real platform's (public
//! blocks in 165.180.x.x, SNAT addresses in 168.128.x.x, VLAN /64s in 2607:f480::/32). Those are
//! real public ranges: fine for an API nobody routes, wrong once real nodes answer on them. With a
//! public IPv4 pool, SNAT addresses and public blocks come from that pool (shared address space,
//! 100.64.0.0/10, which no internet route ever carries and in which the API refuses VLANs) and VLAN
//! /64s from a unique local prefix (fd00::/8).

use crate::net::{self, Ipv4Net};
use crate::store::Counters;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The pool every public address must lie in: shared address space (RFC 6598).
pub const SHARED_ADDRESS_SPACE: Ipv4Net = Ipv4Net {
    address: Ipv4Addr::new(100, 64, 0, 0),
    prefix: 10,
};

/// The pool node backing uses when none is given.
pub const DEFAULT_NODE_POOL: &str = "100.96.0.0/16";

/// Addresses at the start of the pool kept for the test network itself (its clients, a registry).
pub const RESERVED_HOSTS: u32 = 256;
/// Addresses after the reserved ones kept for the network domains' SNAT addresses.
pub const SNAT_ADDRESSES: u32 = 256;

/// Counter key of the pool's allocations (one pool for every datacenter).
const POOL_KEY: &str = "public-ipv4-pool";

/// How the emulator picks public and IPv6 addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Addressing {
    /// The public IPv4 pool, when one is configured.
    pub pool: Option<Ipv4Net>,
}

/// Parses and checks a `--public-ipv4-pool` value: an aligned network of at most /22 (room for
/// the reserved hosts, the SNAT addresses and public blocks) inside 100.64.0.0/10.
pub fn parse_pool(text: &str) -> Result<Ipv4Net, String> {
    let (address, prefix) = text
        .split_once('/')
        .ok_or_else(|| format!("--public-ipv4-pool: `{text}` is not a network in CIDR notation (e.g. {DEFAULT_NODE_POOL})"))?;
    let address = net::parse_ipv4("--public-ipv4-pool", address)?;
    let prefix: u8 = prefix
        .parse()
        .ok()
        .filter(|p| *p <= 32)
        .ok_or_else(|| format!("--public-ipv4-pool: prefix length `{prefix}` is not 0-32"))?;
    let pool = Ipv4Net { address, prefix };
    if !pool.is_aligned() {
        return Err(format!(
            "--public-ipv4-pool: {text} is not a network address (the host bits must be 0)"
        ));
    }
    if pool.prefix < SHARED_ADDRESS_SPACE.prefix
        || !SHARED_ADDRESS_SPACE.contains(pool.address)
        || !SHARED_ADDRESS_SPACE.contains(Ipv4Addr::from(pool.last()))
    {
        return Err(format!(
            "--public-ipv4-pool: {text} is outside 100.64.0.0/10 (shared address space): node-backed \
             public addresses must never be a real public range, and the API keeps VLANs out of 100.64.0.0/10"
        ));
    }
    if pool.prefix > 22 {
        return Err(format!(
            "--public-ipv4-pool: {text} is too small: at least a /22 is needed ({RESERVED_HOSTS} addresses for the test network, {SNAT_ADDRESSES} SNAT addresses, then public blocks)"
        ));
    }
    Ok(pool)
}

impl Addressing {
    /// The `n`-th address of the pool.
    fn pool_host(pool: Ipv4Net, n: u32) -> Ipv4Addr {
        Ipv4Addr::from(pool.first() + n)
    }

    /// The SNAT address of a new network domain in datacenter `dc` (`dc_index` its catalogue
    /// index), counted in `counters`.
    pub fn next_snat(&self, counters: &mut Counters, dc: &str, dc_index: u8) -> Ipv4Addr {
        match self.pool {
            None => {
                let n = counters.snat_addresses.entry(dc.into()).or_default();
                let snat = net::add(Ipv4Addr::new(168, 128, dc_index, 0), 1 + *n);
                *n += 1;
                snat
            }
            Some(pool) => {
                let n = counters.snat_addresses.entry(POOL_KEY.into()).or_default();
                let snat = Self::pool_host(pool, RESERVED_HOSTS + (*n % SNAT_ADDRESSES));
                *n += 1;
                snat
            }
        }
    }

    /// The base address of a new public block of `size` addresses in datacenter `dc`, or `None`
    /// when the pool is used up.
    pub fn next_block(
        &self,
        counters: &mut Counters,
        dc: &str,
        dc_index: u8,
        size: u32,
    ) -> Option<Ipv4Addr> {
        match self.pool {
            None => {
                let n = counters.public_blocks.entry(dc.into()).or_default();
                let base = net::add(
                    Ipv4Addr::new(165, 180, dc_index.wrapping_mul(16), 0),
                    *n * size,
                );
                *n += 1;
                Some(base)
            }
            Some(pool) => {
                let n = counters.public_blocks.entry(POOL_KEY.into()).or_default();
                let offset = RESERVED_HOSTS + SNAT_ADDRESSES + *n * size;
                let last = pool.first().checked_add(offset + size - 1)?;
                if last >= pool.last() {
                    return None;
                }
                *n += 1;
                Some(Self::pool_host(pool, offset))
            }
        }
    }

    /// The `/64` of a new VLAN in datacenter `dc`: the platform's shape, or a unique local
    /// prefix (`fdcc:cc00:<dc>:<n>::/64`) when node backed.
    pub fn next_vlan_ipv6(&self, counters: &mut Counters, dc: &str, dc_index: u8) -> Ipv6Addr {
        let n = counters.ipv6_prefixes.entry(dc.into()).or_default();
        let prefix = match self.pool {
            None => net::ipv6_vlan_prefix(dc_index, *n),
            Some(_) => Ipv6Addr::new(
                0xfdcc,
                0xcc00,
                0x1000 | u16::from(dc_index),
                (*n & 0xffff) as u16,
                0,
                0,
                0,
                0,
            ),
        };
        *n += 1;
        prefix
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_outside_shared_address_space_are_refused() {
        assert!(parse_pool("100.96.0.0/16").is_ok());
        assert!(parse_pool("100.64.0.0/10").is_ok());
        for (text, why) in [
            ("165.180.0.0/16", "outside 100.64.0.0/10"),
            ("10.200.0.0/16", "outside 100.64.0.0/10"),
            ("100.0.0.0/8", "outside 100.64.0.0/10"),
            ("100.96.0.1/16", "not a network address"),
            ("100.96.0.0/24", "too small"),
            ("100.96.0.0", "CIDR"),
            ("100.96.0.0/40", "prefix length"),
        ] {
            let err = parse_pool(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
            assert!(err.starts_with("--public-ipv4-pool"), "{err}");
        }
    }

    #[test]
    fn pool_addresses_skip_the_reserved_hosts_and_never_leave_the_pool() {
        let a = Addressing {
            pool: Some(parse_pool("100.96.0.0/22").unwrap()),
        };
        let mut c = Counters::default();
        assert_eq!(a.next_snat(&mut c, "NA9", 0), Ipv4Addr::new(100, 96, 1, 0));
        assert_eq!(a.next_snat(&mut c, "EU6", 3), Ipv4Addr::new(100, 96, 1, 1));
        assert_eq!(
            a.next_block(&mut c, "NA9", 0, 2),
            Some(Ipv4Addr::new(100, 96, 2, 0))
        );
        assert_eq!(
            a.next_block(&mut c, "EU6", 3, 2),
            Some(Ipv4Addr::new(100, 96, 2, 2))
        );
        // 512 addresses left in a /22 after the reserved 512: 255 more blocks of 2 (the pool's
        // broadcast address is never handed out), then none.
        let mut blocks = 0;
        while let Some(base) = a.next_block(&mut c, "NA9", 0, 2) {
            assert!(u32::from(base) + 1 < u32::from(Ipv4Addr::new(100, 96, 3, 255)));
            blocks += 1;
        }
        assert_eq!(blocks, 253);
        let v6 = a.next_vlan_ipv6(&mut c, "NA9", 0);
        assert_eq!(net::ipv6_full(v6), "fdcc:cc00:1000:0:0:0:0:0");
    }

    #[test]
    fn without_a_pool_the_platform_shapes_stay() {
        let a = Addressing::default();
        let mut c = Counters::default();
        assert_eq!(a.next_snat(&mut c, "NA9", 0), Ipv4Addr::new(168, 128, 0, 1));
        assert_eq!(
            a.next_block(&mut c, "NA9", 0, 2),
            Some(Ipv4Addr::new(165, 180, 0, 0))
        );
        assert!(net::ipv6_full(a.next_vlan_ipv6(&mut c, "NA9", 0)).starts_with("2607:f480:"));
    }
}
