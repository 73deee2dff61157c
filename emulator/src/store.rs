//! In-memory state of every organisation and its atomic persistence.
//!
//! Persistence writes the whole state to `FILE.tmp`, fsyncs it, renames it over `FILE` and fsyncs
//! the directory, all before the response of the acknowledged request is sent.

use crate::lifecycle::{Outcome, State};
use crate::resources::address_list::AddressList;
use crate::resources::anti_affinity::AntiAffinityRule;
use crate::resources::consistency_group::ConsistencyGroup;
use crate::resources::customer_image::CustomerImage;
use crate::resources::firewall_rule::FirewallRule;
use crate::resources::mcp1_network::Mcp1Network;
use crate::resources::nat_rule::NatRule;
use crate::resources::network_domain::NetworkDomain;
use crate::resources::ovf_package::UploadArea;
use crate::resources::port_list::PortList;
use crate::resources::public_ip_block::PublicIpBlock;
use crate::resources::reserved_ip::ReservedIpv4;
use crate::resources::server::Server;
use crate::resources::ssl_certificate_chain::SslCertificateChain;
use crate::resources::ssl_domain_certificate::SslDomainCertificate;
use crate::resources::ssl_offload_profile::SslOffloadProfile;
use crate::resources::tag::{Tag, TagKey};
use crate::resources::vip_node::VipNode;
use crate::resources::vip_pool::VipPool;
use crate::resources::vip_pool_member::VipPoolMember;
use crate::resources::virtual_listener::VirtualListener;
use crate::resources::vlan::Vlan;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Everything one organisation owns.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Org {
    /// Network domains by id.
    pub network_domains: BTreeMap<String, NetworkDomain>,
    /// VLANs by id.
    pub vlans: BTreeMap<String, Vlan>,
    /// Servers by id.
    pub servers: BTreeMap<String, Server>,
    /// Public IPv4 blocks by id.
    pub public_ip_blocks: BTreeMap<String, PublicIpBlock>,
    /// NAT rules by id.
    pub nat_rules: BTreeMap<String, NatRule>,
    /// Firewall rules in evaluation order (rules of all domains interleaved; order within a domain counts).
    pub firewall_rules: Vec<FirewallRule>,
    /// Tag keys by id.
    pub tag_keys: BTreeMap<String, TagKey>,
    /// Tags applied to assets.
    pub tags: Vec<Tag>,
    /// Private IPv4 reservations on VLANs.
    pub reserved_ipv4: Vec<ReservedIpv4>,
    /// IP address lists by id.
    pub address_lists: BTreeMap<String, AddressList>,
    /// Port lists by id.
    pub port_lists: BTreeMap<String, PortList>,
    /// Server anti-affinity rules by id.
    pub anti_affinity_rules: BTreeMap<String, AntiAffinityRule>,
    /// Customer images (cloned servers) by id.
    pub customer_images: BTreeMap<String, CustomerImage>,
    /// Load-balancer nodes by id.
    pub vip_nodes: BTreeMap<String, VipNode>,
    /// Load-balancer pools by id.
    pub vip_pools: BTreeMap<String, VipPool>,
    /// Load-balancer pool members by id.
    pub vip_pool_members: BTreeMap<String, VipPoolMember>,
    /// Virtual listeners by id.
    pub virtual_listeners: BTreeMap<String, VirtualListener>,
    /// SSL domain certificates by id.
    pub ssl_domain_certificates: BTreeMap<String, SslDomainCertificate>,
    /// SSL certificate chains by id.
    pub ssl_certificate_chains: BTreeMap<String, SslCertificateChain>,
    /// SSL offload profiles by id.
    pub ssl_offload_profiles: BTreeMap<String, SslOffloadProfile>,
    /// DRS consistency groups by id.
    pub consistency_groups: BTreeMap<String, ConsistencyGroup>,
    /// Files on the organisation's FTPS account, by datacenter (OVF packages to import).
    pub ovf_uploads: BTreeMap<String, UploadArea>,
    /// MCP 1.0 networks by id.
    pub mcp1_networks: BTreeMap<String, Mcp1Network>,
}

/// Allocation counters shared by all organisations (public addresses are globally unique).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Counters {
    /// Public IPv4 blocks handed out so far, per datacenter.
    pub public_blocks: BTreeMap<String, u32>,
    /// SNAT addresses handed out so far, per datacenter.
    pub snat_addresses: BTreeMap<String, u32>,
    /// Outside transit subnets handed out so far.
    pub transit_subnets: u32,
    /// IPv6 /64 prefixes handed out so far, per datacenter.
    pub ipv6_prefixes: BTreeMap<String, u32>,
    /// MAC addresses handed out so far.
    pub macs: u32,
}

/// The whole emulated cloud.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct World {
    /// Organisations by id.
    pub orgs: BTreeMap<String, Org>,
    /// Global allocation counters.
    pub counters: Counters,
    /// Number of acknowledged-write mutations so far (not persisted; orders saves).
    #[serde(skip)]
    pub version: u64,
}

impl World {
    /// The organisation that owns the asset `id`, if any.
    pub fn owner_of(&self, id: &str) -> Option<&str> {
        self.orgs.iter().find_map(|(org_id, org)| {
            let owns = org.network_domains.contains_key(id)
                || org.vlans.contains_key(id)
                || org.servers.contains_key(id)
                || org.public_ip_blocks.contains_key(id)
                || org.nat_rules.contains_key(id)
                || org.tag_keys.contains_key(id)
                || org.customer_images.contains_key(id)
                || org.vip_nodes.contains_key(id)
                || org.vip_pools.contains_key(id)
                || org.vip_pool_members.contains_key(id)
                || org.virtual_listeners.contains_key(id)
                || org.ssl_domain_certificates.contains_key(id)
                || org.ssl_certificate_chains.contains_key(id)
                || org.ssl_offload_profiles.contains_key(id)
                || org.consistency_groups.contains_key(id)
                || org.mcp1_networks.contains_key(id)
                || org.firewall_rules.iter().any(|r| r.id == id)
                || org.servers.values().any(|s| s.owns_part(id));
            owns.then_some(org_id.as_str())
        })
    }
}

impl Org {
    /// Applies every pending transition that is due at `now_ms`.
    pub fn advance(&mut self, now_ms: u64) {
        if let Some(log) = crate::oplog::installed() {
            let pendings = (self.network_domains.iter().map(|(id, a)| (id, a.pending)))
                .chain(self.vlans.iter().map(|(id, a)| (id, a.pending)))
                .chain(self.servers.iter().map(|(id, a)| (id, a.pending)));
            for (id, pending) in pendings {
                if let Some(p) = pending.filter(|p| p.is_due(now_ms)) {
                    log.finished(id, &p);
                }
            }
        }
        let mut removed: Vec<String> = Vec::new();

        self.network_domains
            .retain(|id, nd| keep_after(&mut nd.state, &mut nd.pending, now_ms, id, &mut removed));
        self.vlans
            .retain(|id, v| keep_after(&mut v.state, &mut v.pending, now_ms, id, &mut removed));
        self.anti_affinity_rules
            .retain(|id, r| keep_after(&mut r.state, &mut r.pending, now_ms, id, &mut removed));
        crate::resources::consistency_group::advance(self, now_ms);
        self.customer_images.retain(|id, i| {
            i.finish_move_if_due(now_ms);
            keep_after(&mut i.state, &mut i.pending, now_ms, id, &mut removed)
        });
        self.servers.retain(|id, s| {
            let keep = s.advance(now_ms);
            if !keep {
                removed.push(id.clone());
            }
            keep
        });

        if !removed.is_empty() {
            let gone = |id: &str| removed.iter().any(|r| r == id);
            self.firewall_rules.retain(|r| !gone(&r.network_domain_id));
            self.nat_rules.retain(|_, r| !gone(&r.network_domain_id));
            self.vip_pool_members
                .retain(|_, m| !gone(&m.network_domain_id));
            self.virtual_listeners
                .retain(|_, l| !gone(&l.network_domain_id));
            self.vip_pools.retain(|_, p| !gone(&p.network_domain_id));
            self.vip_nodes.retain(|_, n| !gone(&n.network_domain_id));
            // Blocks go with their domain, and every tag with its asset.
            let blocks: Vec<String> = self
                .public_ip_blocks
                .values()
                .filter(|b| gone(&b.network_domain_id))
                .map(|b| b.id.clone())
                .collect();
            self.public_ip_blocks
                .retain(|_, b| !gone(&b.network_domain_id));
            self.tags
                .retain(|t| !gone(&t.asset_id) && !blocks.contains(&t.asset_id));
            self.reserved_ipv4.retain(|r| !gone(&r.vlan_id));
        }
    }
}

/// Applies a due transition to a simple asset; returns false when the asset is gone.
fn keep_after(
    state: &mut State,
    pending: &mut Option<crate::lifecycle::Pending>,
    now_ms: u64,
    id: &str,
    removed: &mut Vec<String>,
) -> bool {
    match *pending {
        Some(p) if p.is_due(now_ms) => {
            *pending = None;
            match p.outcome {
                Outcome::Normal => *state = State::Normal,
                Outcome::FailedAdd => *state = State::FailedAdd,
                Outcome::Remove => {
                    removed.push(id.to_string());
                    return false;
                }
            }
            true
        }
        _ => true,
    }
}

/// Writes the state file atomically.
#[derive(Debug, Clone)]
pub struct Persister {
    path: PathBuf,
}

impl Persister {
    /// A persister for `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Persister { path: path.into() }
    }

    /// The state file path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads the state; a missing file is an empty world.
    pub fn load(&self) -> anyhow::Result<World> {
        match fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("state file {} is not valid", self.path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(World::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", self.path.display())),
        }
    }

    /// Saves the state: temp file, fsync, rename, fsync directory.
    pub fn save(&self, world: &World) -> anyhow::Result<()> {
        let bytes = serde_json::to_vec(world).context("serialising state")?;
        self.save_bytes(&bytes)
    }

    /// Saves already serialised state atomically.
    pub fn save_bytes(&self, bytes: &[u8]) -> anyhow::Result<()> {
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        {
            let mut f =
                File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
            f.write_all(bytes)
                .with_context(|| format!("writing {}", tmp.display()))?;
            f.sync_all()
                .with_context(|| format!("syncing {}", tmp.display()))?;
        }
        fs::rename(&tmp, &self.path)
            .with_context(|| format!("renaming {} to {}", tmp.display(), self.path.display()))?;
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        File::open(&dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("syncing directory {}", dir.display()))?;
        Ok(())
    }
}

/// Group commit: the first waiter becomes the writer and saves a snapshot that covers every write
/// made so far; the others wait for a save that covers their own write. After a failed save no
/// further write is accepted (memory and disk would disagree).
#[derive(Debug, Default)]
pub struct Durability {
    state: std::sync::Mutex<DurableState>,
    saved: std::sync::Condvar,
}

#[derive(Debug, Default)]
struct DurableState {
    durable_version: u64,
    writing: bool,
    failure: Option<String>,
}

impl Durability {
    fn lock(&self) -> std::sync::MutexGuard<'_, DurableState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Fails when an earlier save failed.
    pub fn check_healthy(&self) -> Result<(), crate::envelope::ApiError> {
        match &self.lock().failure {
            Some(f) => Err(storage_error(f)),
            None => Ok(()),
        }
    }

    /// Blocks until the write numbered `version` is on disk. `snapshot` serialises the current
    /// state and returns the version it covers.
    pub fn wait_durable(
        &self,
        version: u64,
        snapshot: impl Fn() -> (serde_json::Result<Vec<u8>>, u64),
        persister: &Persister,
    ) -> Result<(), crate::envelope::ApiError> {
        let mut g = self.lock();
        loop {
            if g.durable_version >= version {
                return Ok(());
            }
            if let Some(f) = &g.failure {
                return Err(storage_error(f));
            }
            if g.writing {
                g = self.saved.wait(g).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            g.writing = true;
            drop(g);
            let (bytes, covered) = snapshot();
            let outcome = bytes
                .context("serialising state")
                .and_then(|b| persister.save_bytes(&b));
            g = self.lock();
            g.writing = false;
            match outcome {
                Ok(()) => g.durable_version = g.durable_version.max(covered),
                Err(e) => {
                    tracing::error!(error = %format!("{e:#}"), "persisting state failed; writes are refused from now on");
                    g.failure = Some(format!("{e:#}"));
                }
            }
            self.saved.notify_all();
        }
    }
}

fn storage_error(detail: &str) -> crate::envelope::ApiError {
    crate::envelope::ApiError::new(
        crate::envelope::Code::UnexpectedError,
        format!(
            "The state file could not be written ({detail}); the request was not acknowledged."
        ),
    )
    .with_status(axum::http::StatusCode::INTERNAL_SERVER_ERROR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_then_load_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let p = Persister::new(dir.path().join("state.json"));
        assert!(p.load().unwrap().orgs.is_empty());
        let mut w = World::default();
        w.orgs.insert("org".into(), Org::default());
        w.counters.macs = 7;
        p.save(&w).unwrap();
        let back = p.load().unwrap();
        assert_eq!(back.counters.macs, 7);
        assert!(back.orgs.contains_key("org"));
    }

    #[test]
    fn group_commit_covers_every_version_and_fails_closed() {
        let dir = tempfile::tempdir().unwrap();
        let p = Persister::new(dir.path().join("state.json"));
        let d = Durability::default();
        d.wait_durable(3, || (Ok(b"{}".to_vec()), 3), &p).unwrap();
        // Already covered: no save needed (a failing snapshot would not be called).
        d.wait_durable(2, || panic!("no save expected"), &p)
            .unwrap();
        let bad = Persister::new(dir.path().join("missing-dir/state.json"));
        assert!(d.wait_durable(4, || (Ok(b"{}".to_vec()), 4), &bad).is_err());
        assert!(d.check_healthy().is_err());
    }

    #[test]
    fn an_older_state_file_without_vip_objects_loads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(
            &path,
            br#"{"orgs": {"org": {"network_domains": {}, "vlans": {}}}, "counters": {}}"#,
        )
        .unwrap();
        let world = Persister::new(path).load().unwrap();
        let org = &world.orgs["org"];
        assert!(org.vip_nodes.is_empty() && org.virtual_listeners.is_empty());
    }

    #[test]
    fn corrupt_state_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(&path, b"{not json").unwrap();
        assert!(Persister::new(path).load().is_err());
    }
}
