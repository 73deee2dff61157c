//! Organisation-wide serialisation of network-domain and VLAN deploys/deletes.
//!
//! CloudControl allows only one such operation per organisation at a time and
//! answers `RESOURCE_BUSY` to the rest. Every client in this process that talks
//! to the same endpoint as the same organisation shares one async mutex, held
//! from the request until the operation reaches its end state, so concurrent
//! callers queue here instead of failing there.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// The lock guarding one organisation's network-domain/VLAN operations.
pub(crate) type OrgLock = Arc<AsyncMutex<()>>;

/// Proof that the holder may run a network-domain/VLAN deploy or delete.
pub(crate) type OrgGuard = OwnedMutexGuard<()>;

fn registry() -> &'static Mutex<HashMap<String, OrgLock>> {
    static LOCKS: OnceLock<Mutex<HashMap<String, OrgLock>>> = OnceLock::new();
    LOCKS.get_or_init(Default::default)
}

/// The shared lock for `org_id` at the API whose base URL is `base_url`.
pub(crate) fn lock_for(base_url: &str, org_id: &str) -> OrgLock {
    let key = format!("{base_url}\u{0}{org_id}");
    let mut locks = registry().lock().unwrap_or_else(|p| p.into_inner());
    locks.entry(key).or_default().clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_organisation_shares_one_lock() {
        let a = lock_for("https://api-eu.example/", "org-1");
        let b = lock_for("https://api-eu.example/", "org-1");
        let c = lock_for("https://api-eu.example/", "org-2");
        let d = lock_for("https://api-na.example/", "org-1");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        assert!(!Arc::ptr_eq(&a, &d));
    }

    #[tokio::test]
    async fn holders_queue_one_at_a_time() {
        let lock = lock_for("test://queue/", "org");
        let guard = lock.clone().lock_owned().await;
        assert!(lock.clone().try_lock_owned().is_err());
        drop(guard);
        assert!(lock.try_lock_owned().is_ok());
    }
}
