//! The creation marker: how the provider tells an asset it created itself, and whose create
//! was cut short before Terraform recorded it, from an asset someone else made.
//!
//! Two tags carry it (the provider creates both tag keys in the organisation on first use):
//!
//! * [`MARKER_KEY`] on the asset itself, for assets whose create can be tagged at once: a
//!   server carries it in its deploy request; a network domain and a public IP block get it in
//!   the request right after the API accepts them (their create requests cannot carry tags).
//!   Its value is a random creation token.
//! * [`JOURNAL_KEY`] on a network domain: the creates inside it that Terraform may not have
//!   recorded yet. Before the provider asks the API to create a VLAN, a public IP block, a NAT
//!   rule or a firewall rule, it adds an entry (`vlan:<name>`, `ipblock:<token>`,
//!   `nat:<internal address>`, `fw:<name>`). NAT and firewall rules cannot carry tags at all,
//!   and VLANs and blocks cannot carry them in their create request, so this entry, written
//!   *before* the create, is what marks them. The value is a JSON array of entries.
//!
//! An entry stays after its create has finished: Terraform records the result only after the
//! provider answered, and a provider killed in between must leave the marker behind. Entries
//! go when Terraform shuts the provider down normally (it has recorded every answer by then),
//! or, after a provider was killed, when a later refresh finds the asset in Terraform's state.
//!
//! Entries this process added belong to creates running (or run) here and are never taken as
//! a leftover; entries found in the journal when it is first read were left by a provider
//! process that stopped before Terraform shut it down.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cloudcontrol::{Client, CreateTagKey, TagAssetType, TagValue, WaitOptions};
use tokio::sync::{Mutex as AsyncMutex, OnceCell};

/// The tag key marking an asset this provider created; its value is a creation token.
pub const MARKER_KEY: &str = "terraform-provider-cloudcontrol";

/// The tag key of a network domain's journal of creates in flight.
pub const JOURNAL_KEY: &str = "terraform-provider-cloudcontrol.creating";

/// How long one marker or journal request may take, retries included.
const TAG_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The provider's marker bookkeeping: whether the tag keys exist, and one journal per network
/// domain this process touched.
#[derive(Default)]
pub struct Markers {
    keys: OnceCell<()>,
    journals: Mutex<HashMap<String, Arc<Journal>>>,
    block_locks: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
}

/// A network domain's journal of creates in flight.
struct Journal {
    domain_id: String,
    state: AsyncMutex<JournalState>,
}

#[derive(Default)]
struct JournalState {
    loaded: bool,
    /// Every entry in the API's copy of the journal.
    entries: BTreeSet<String>,
    /// The entries of creates running (or run) in this process.
    ours: BTreeSet<String>,
    /// Those of `ours` whose create has finished, to remove at shutdown.
    finished: BTreeSet<String>,
}

/// The marker tag for a new asset, with a fresh creation token.
pub fn new_marker() -> TagValue {
    TagValue {
        tag_key_name: MARKER_KEY.into(),
        value: creation_token(),
    }
}

/// A random 16-hex-digit token.
pub fn creation_token() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// The journal entry of a VLAN create.
pub fn vlan_entry(name: &str) -> String {
    format!("vlan:{name}")
}

/// The journal entry of a NAT rule create.
pub fn nat_entry(internal_ipv4: &str) -> String {
    format!("nat:{internal_ipv4}")
}

/// The journal entry of a firewall rule create.
pub fn firewall_entry(name: &str) -> String {
    format!("fw:{name}")
}

/// The journal entry of an IP address list create.
pub fn address_list_entry(name: &str) -> String {
    format!("ipl:{name}")
}

/// The journal entry of a port list create.
pub fn port_list_entry(name: &str) -> String {
    format!("pl:{name}")
}

/// The journal entry of the create of an anti-affinity rule between servers `a` and `b`.
pub fn anti_affinity_entry(a: &str, b: &str) -> String {
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    format!("aa:{first}+{second}")
}

/// The journal entry of a public IP block create with creation token `token`.
pub fn block_entry(token: &str) -> String {
    format!("{BLOCK_PREFIX}{token}")
}

const BLOCK_PREFIX: &str = "ipblock:";

/// True when the outcome of a create is known for sure, so its journal entry can go once
/// Terraform has recorded it: it succeeded, or what it made is named (and Terraform records
/// it), or the API refused it. Anything else (no answer, a cancelled or timed-out request) may
/// have created something nobody recorded, and the entry stays to mark it.
pub fn outcome_is_known<T>(result: &Result<T, cloudcontrol::Error>) -> bool {
    match result {
        Ok(_) => true,
        Err(e) => e.resource_id().is_some() || e.api().is_some(),
    }
}

/// What a create recorded in the domain's journal ([`Markers::journaled_create`]) found or did.
pub enum Journaled<A, R> {
    /// Nothing had the asset's identity, so the create ran; its result.
    Created(cloudcontrol::Result<R>),
    /// An asset with the identity exists already; `marked` tells whether the journal names it
    /// as left over by an interrupted apply (see [`Markers::left_over`]).
    Found {
        /// The asset found.
        asset: A,
        /// Whether this provider's journal marks it.
        marked: bool,
    },
}

fn tag_wait() -> WaitOptions {
    WaitOptions::new(TAG_TIMEOUT)
}

impl Markers {
    /// Creates the two tag keys unless the organisation has them (once per process).
    pub async fn ensure_keys(&self, client: &Client) -> cloudcontrol::Result<()> {
        self.keys
            .get_or_try_init(|| async {
                for (name, description) in [
                    (MARKER_KEY, "Set by terraform-provider-cloudcontrol on assets it creates (value: a creation token), so an apply that was cut short can take them over."),
                    (JOURNAL_KEY, "Set by terraform-provider-cloudcontrol on network domains: the creates it is running inside the domain."),
                ] {
                    if client.find_tag_key(name).await?.is_some() {
                        continue;
                    }
                    let created = client
                        .create_tag_key(
                            &CreateTagKey {
                                name: name.into(),
                                description: description.into(),
                                value_required: false,
                                display_on_report: false,
                            },
                            &tag_wait(),
                        )
                        .await;
                    // Another provider process may have created it meanwhile.
                    if let Err(e) = created {
                        if client.find_tag_key(name).await?.is_none() {
                            return Err(e);
                        }
                    }
                }
                Ok(())
            })
            .await
            .map(|_| ())
    }

    /// The creation token of the marker on an asset, if it carries one.
    pub async fn marker_of(
        &self,
        client: &Client,
        asset_type: TagAssetType,
        id: &str,
    ) -> cloudcontrol::Result<Option<String>> {
        Ok(client
            .list_asset_tags(asset_type, id, Some(MARKER_KEY))
            .await?
            .into_iter()
            .find(|t| t.tag_key_name == MARKER_KEY)
            .map(|t| t.value))
    }

    fn journal(&self, domain_id: &str) -> Arc<Journal> {
        let mut journals = self.journals.lock().unwrap_or_else(|p| p.into_inner());
        journals
            .entry(domain_id.to_owned())
            .or_insert_with(|| {
                Arc::new(Journal {
                    domain_id: domain_id.to_owned(),
                    state: AsyncMutex::new(JournalState::default()),
                })
            })
            .clone()
    }

    /// Holds public IP block creates in one domain to one at a time in this process: a block
    /// has no name, so telling a block an interrupted create left from one a running create
    /// has just added needs them not to overlap.
    pub async fn lock_blocks(&self, domain_id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.block_locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.entry(domain_id.to_owned()).or_default().clone()
        };
        lock.lock_owned().await
    }

    /// Records in the domain's journal that this process is about to create `entry`. The
    /// create must not start unless this succeeded.
    pub async fn begin(
        &self,
        client: &Client,
        domain_id: &str,
        entry: &str,
    ) -> cloudcontrol::Result<()> {
        self.ensure_keys(client).await?;
        let journal = self.journal(domain_id);
        let mut state = journal.state.lock().await;
        journal.load(client, &mut state).await?;
        state.ours.insert(entry.to_owned());
        if state.entries.insert(entry.to_owned()) {
            journal.write(client, &state).await?;
        }
        Ok(())
    }

    /// Looks up, by identity (`find`), an asset that carries this provider's marker as a tag;
    /// returns it with whether it has the marker.
    pub async fn find_tagged<A>(
        &self,
        client: &Client,
        asset_type: TagAssetType,
        find: impl std::future::Future<Output = cloudcontrol::Result<Option<A>>>,
        id: impl Fn(&A) -> &str,
    ) -> cloudcontrol::Result<Option<(A, bool)>> {
        self.ensure_keys(client).await?;
        let Some(asset) = find.await? else {
            return Ok(None);
        };
        let marked = self
            .marker_of(client, asset_type, id(&asset))
            .await?
            .is_some();
        Ok(Some((asset, marked)))
    }

    /// A create under the domain's journal, for assets that cannot carry a tag when they are
    /// made: `find` looks the asset up by its identity first; when nothing has it, the journal
    /// entry is written, `create` runs, and the entry is finished once the outcome is known
    /// (an unanswered create leaves it, so the next apply can take the asset over).
    pub async fn journaled_create<A, R, F>(
        &self,
        client: &Client,
        domain_id: &str,
        entry: &str,
        find: impl std::future::Future<Output = cloudcontrol::Result<Option<A>>>,
        create: impl FnOnce() -> F,
    ) -> cloudcontrol::Result<Journaled<A, R>>
    where
        F: std::future::Future<Output = cloudcontrol::Result<R>>,
    {
        if let Some(asset) = find.await? {
            let marked = self.left_over(client, domain_id, entry).await?;
            return Ok(Journaled::Found { asset, marked });
        }
        self.begin(client, domain_id, entry).await?;
        let result = create().await;
        if outcome_is_known(&result) {
            self.finish(domain_id, entry).await;
        }
        Ok(Journaled::Created(result))
    }

    /// [`take_over`](crate::adopt::take_over) of an asset listed in `domain_id`'s creation
    /// journal under `entry`; the entry is cleared once the outcome is known.
    pub async fn take_over_journaled<A>(
        &self,
        domain_id: &str,
        entry: &str,
        kind: &'static str,
        id: &str,
        settled: impl std::future::Future<Output = cloudcontrol::Result<Option<A>>>,
    ) -> cloudcontrol::Result<A> {
        let result = crate::adopt::take_over(kind, id, settled).await;
        if outcome_is_known(&result) {
            self.finish(domain_id, entry).await;
        }
        result
    }

    /// Notes that the create of `entry` has finished (or been taken over), so its entry can go
    /// once Terraform has recorded the result: at [`Markers::flush`].
    pub async fn finish(&self, domain_id: &str, entry: &str) {
        let journal = self.journal(domain_id);
        let mut state = journal.state.lock().await;
        state.ours.insert(entry.to_owned());
        state.finished.insert(entry.to_owned());
    }

    /// Removes the entries of every finished create from the journals: Terraform shut the
    /// provider down, so it has recorded them. A failure only leaves stale entries behind (a
    /// later refresh removes them), so it is logged, not returned.
    pub async fn flush(&self, client: &Client) {
        let journals: Vec<Arc<Journal>> = {
            let journals = self.journals.lock().unwrap_or_else(|p| p.into_inner());
            journals.values().cloned().collect()
        };
        for journal in journals {
            let mut state = journal.state.lock().await;
            if state.finished.is_empty() {
                continue;
            }
            let finished = std::mem::take(&mut state.finished);
            let before = state.entries.len();
            state.entries.retain(|e| !finished.contains(e));
            state.ours.retain(|e| !finished.contains(e));
            if state.entries.len() != before {
                if let Err(e) = journal.write(client, &state).await {
                    tracing::warn!(
                        domain_id = journal.domain_id,
                        "could not clear the creation journal: {e}"
                    );
                }
            }
        }
    }

    /// Removes `entry`, left by an earlier provider process, from the domain's journal: a
    /// refresh found its asset in Terraform's state, so nothing needs marking. Only reads
    /// unless there is such an entry; a failure is logged, not returned.
    pub async fn forget_recorded(&self, client: &Client, domain_id: &str, entry: &str) {
        let journal = self.journal(domain_id);
        let mut state = journal.state.lock().await;
        if let Err(e) = journal.load(client, &mut state).await {
            tracing::warn!(domain_id, "could not read the creation journal: {e}");
            return;
        }
        if state.ours.contains(entry) || !state.entries.remove(entry) {
            return;
        }
        tracing::info!(
            domain_id,
            entry,
            "the asset is in Terraform's state; clearing its creation journal entry"
        );
        if let Err(e) = journal.write(client, &state).await {
            tracing::warn!(
                domain_id,
                entry,
                "could not update the creation journal: {e}"
            );
        }
    }

    /// True when the domain's journal holds public IP block entries left by an earlier
    /// provider process.
    pub async fn has_left_over_blocks(
        &self,
        client: &Client,
        domain_id: &str,
    ) -> cloudcontrol::Result<bool> {
        let journal = self.journal(domain_id);
        let mut state = journal.state.lock().await;
        journal.load(client, &mut state).await?;
        Ok(state
            .entries
            .iter()
            .any(|e| e.starts_with(BLOCK_PREFIX) && !state.ours.contains(e)))
    }

    /// True when the domain's journal holds `entry` from a provider process that stopped
    /// mid-create (not from a create running in this one).
    pub async fn left_over(
        &self,
        client: &Client,
        domain_id: &str,
        entry: &str,
    ) -> cloudcontrol::Result<bool> {
        let journal = self.journal(domain_id);
        let mut state = journal.state.lock().await;
        journal.load(client, &mut state).await?;
        Ok(state.entries.contains(entry) && !state.ours.contains(entry))
    }

    /// Claims a public IP block create left over in the domain's journal, if there is one:
    /// its entry becomes this process's (so no other create here claims it too) and its token
    /// is returned. The caller resolves it and then calls [`Markers::end`].
    pub async fn claim_left_over_block(
        &self,
        client: &Client,
        domain_id: &str,
    ) -> cloudcontrol::Result<Option<String>> {
        let journal = self.journal(domain_id);
        let mut state = journal.state.lock().await;
        journal.load(client, &mut state).await?;
        let claimed = state
            .entries
            .iter()
            .find(|e| e.starts_with(BLOCK_PREFIX) && !state.ours.contains(*e))
            .cloned();
        Ok(claimed.map(|entry| {
            state.ours.insert(entry.clone());
            entry[BLOCK_PREFIX.len()..].to_owned()
        }))
    }

    /// The tokens of the public IP block creates of the domain, left over or running.
    pub async fn block_tokens(
        &self,
        client: &Client,
        domain_id: &str,
    ) -> cloudcontrol::Result<BTreeSet<String>> {
        let journal = self.journal(domain_id);
        let mut state = journal.state.lock().await;
        journal.load(client, &mut state).await?;
        Ok(state
            .entries
            .iter()
            .filter_map(|e| e.strip_prefix(BLOCK_PREFIX).map(str::to_owned))
            .collect())
    }
}

impl Journal {
    async fn load(&self, client: &Client, state: &mut JournalState) -> cloudcontrol::Result<()> {
        if state.loaded {
            return Ok(());
        }
        let tags = client
            .list_asset_tags(
                TagAssetType::NetworkDomain,
                &self.domain_id,
                Some(JOURNAL_KEY),
            )
            .await?;
        if let Some(tag) = tags.iter().find(|t| t.tag_key_name == JOURNAL_KEY) {
            state.entries = parse_entries(&tag.value).unwrap_or_else(|| {
                tracing::warn!(
                    domain_id = self.domain_id,
                    "the creation journal {:?} is not a JSON array of strings; starting afresh",
                    tag.value
                );
                BTreeSet::new()
            });
        }
        state.loaded = true;
        Ok(())
    }

    async fn write(&self, client: &Client, state: &JournalState) -> cloudcontrol::Result<()> {
        if state.entries.is_empty() {
            client
                .remove_tags(
                    TagAssetType::NetworkDomain,
                    &self.domain_id,
                    &[JOURNAL_KEY.to_owned()],
                    &tag_wait(),
                )
                .await
        } else {
            let value = serde_json::to_string(&state.entries).unwrap_or_default();
            client
                .apply_tags(
                    TagAssetType::NetworkDomain,
                    &self.domain_id,
                    &[TagValue {
                        tag_key_name: JOURNAL_KEY.into(),
                        value,
                    }],
                    &tag_wait(),
                )
                .await
        }
    }
}

fn parse_entries(value: &str) -> Option<BTreeSet<String>> {
    if value.trim().is_empty() {
        return Some(BTreeSet::new());
    }
    serde_json::from_str::<BTreeSet<String>>(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_values_are_json_arrays_of_entries() {
        let entries = parse_entries(r#"["fw:ssh.in","nat:10.0.0.11","vlan:web tier"]"#).unwrap();
        assert!(entries.contains("vlan:web tier"));
        assert_eq!(entries.len(), 3);
        assert_eq!(parse_entries("").unwrap().len(), 0);
        assert!(parse_entries("fw:x").is_none());
        assert_eq!(
            serde_json::to_string(&entries).unwrap(),
            r#"["fw:ssh.in","nat:10.0.0.11","vlan:web tier"]"#
        );
    }

    #[test]
    fn tokens_are_sixteen_hex_digits_and_differ() {
        let (a, b) = (creation_token(), creation_token());
        assert_eq!(a.len(), 16);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(block_entry(&a).strip_prefix(BLOCK_PREFIX), Some(a.as_str()));
        assert_eq!(nat_entry("10.0.0.11"), "nat:10.0.0.11");
        assert_eq!(firewall_entry("ssh.in"), "fw:ssh.in");
        assert_eq!(vlan_entry("web"), "vlan:web");
    }
}
