//! What the network-domain load balancer's objects (nodes, pools, pool members, and the
//! virtual listeners of another module) share: the `networkDomainVip` area, the admin
//! statuses, and their get, list, create, edit and delete written once over [`VipObject`].
//!
//! Every recorded VIP write answers `OK` at once; the calls still read the object back until
//! it is `NORMAL` and holds what was asked, so a platform that answers `IN_PROGRESS` works too.

use super::created_id;
use crate::client::{Acted, Client};
use crate::error::Result;
use crate::wait::{Stateful, WaitOptions};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// The API area of every load-balancer operation and collection.
pub const VIP_AREA: &str = "networkDomainVip";

/// The admin statuses of nodes and pool members: `ENABLED`, `DISABLED`, `FORCED_OFFLINE`.
pub const VIP_STATUSES: &[&str] = &["ENABLED", "DISABLED", "FORCED_OFFLINE"];

/// One write operation: its path under [`VIP_AREA`] and its `operation` name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VipWrite {
    /// `createNode`.
    pub path: &'static str,
    /// `CREATE_NODE`.
    pub operation: &'static str,
}

/// A kind of load-balancer object: its names in the API.
pub(crate) trait VipObject: DeserializeOwned + Stateful {
    /// The kind in words, for messages (`VIP node`).
    const KIND: &'static str;
    /// The collection under [`VIP_AREA`] and the list key of its pages (`node`).
    const COLLECTION: &'static str;
    /// The create (or add) operation and the `info` entry naming the new id.
    const CREATE: (VipWrite, &'static str);
    /// The edit operation.
    const EDIT: VipWrite;
    /// The delete (or remove) operation.
    const DELETE: VipWrite;

    /// The object's id.
    fn id(&self) -> &str;
}

/// `{"nil": true}`: the value that clears a nullable field on edit (an absent or `null` field
/// leaves it as it is).
pub(crate) fn nil() -> Value {
    json!({"nil": true})
}

impl Client {
    pub(crate) async fn get_vip<T: VipObject>(&self, id: &str) -> Result<Option<T>> {
        let operation = format!("GET {VIP_AREA}/{}/{{id}}", T::COLLECTION);
        self.get_one(&operation, &[VIP_AREA, T::COLLECTION, id])
            .await
    }

    pub(crate) async fn list_vip<T: VipObject>(&self, filters: &[(&str, &str)]) -> Result<Vec<T>> {
        let operation = format!("GET {VIP_AREA}/{}", T::COLLECTION);
        self.list_all(
            &operation,
            &[VIP_AREA, T::COLLECTION],
            filters,
            T::COLLECTION,
        )
        .await
    }

    /// Creates an object from `request` and returns it once `NORMAL`; an unanswered request is
    /// resolved with `find`, which looks the object up by its identity.
    pub(crate) async fn create_vip<T, R, F, Fut>(
        &self,
        request: &R,
        find: F,
        wait: &WaitOptions,
    ) -> Result<T>
    where
        T: VipObject,
        R: Serialize,
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>>>,
    {
        let (write, info) = T::CREATE;
        let deadline = wait.start();
        let acted = self
            .act(
                write.operation,
                &[VIP_AREA, write.path],
                request,
                &deadline,
                || async { Ok(find().await?.map(|o| o.id().to_owned())) },
            )
            .await?;
        let id = match acted {
            Acted::Answered(envelope) => created_id(write.operation, &envelope, info)?,
            Acted::Observed(id) => id,
        };
        self.poll(&deadline, write.operation, T::KIND, &id)
            .until_normal(|_| true, || self.get_vip::<T>(&id))
            .await
    }

    /// Sends the edit `body` to object `id` and returns the object once it `holds` the edit.
    pub(crate) async fn edit_vip<T: VipObject>(
        &self,
        id: &str,
        body: &Value,
        holds: impl Fn(&T) -> bool,
        wait: &WaitOptions,
    ) -> Result<T> {
        let write = T::EDIT;
        let deadline = wait.start();
        self.act(
            write.operation,
            &[VIP_AREA, write.path],
            body,
            &deadline,
            || async {
                Ok(self
                    .get_vip::<T>(id)
                    .await?
                    .filter(|o| holds(o))
                    .map(|_| ()))
            },
        )
        .await?;
        self.poll(&deadline, write.operation, T::KIND, id)
            .until_normal(&holds, || self.get_vip::<T>(id))
            .await
    }

    pub(crate) async fn settled_vip<T: VipObject>(
        &self,
        id: &str,
        wait: &WaitOptions,
    ) -> Result<Option<T>> {
        let operation = format!("WAIT_FOR_{}", T::EDIT.operation.trim_start_matches("EDIT_"));
        self.settled_asset(&operation, T::KIND, id, wait, || self.get_vip::<T>(id))
            .await
    }

    /// Deletes object `id` and waits until it is gone (one already gone is fine).
    pub(crate) async fn delete_vip<T: VipObject>(
        &self,
        id: &str,
        wait: &WaitOptions,
    ) -> Result<()> {
        let write = T::DELETE;
        let deadline = wait.start();
        self.delete_asset(
            write.operation,
            T::KIND,
            &[VIP_AREA, write.path],
            id,
            &deadline,
            || self.get_vip::<T>(id),
        )
        .await
    }
}
