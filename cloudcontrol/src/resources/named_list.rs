//! What IP address lists and port lists share: named, nestable lists of a network domain under
//! `network/<collection>`, whose writes are synchronous and whose edit replaces the content.
//! The calls are written once here, over [`NamedList`]; each list type's module has its types
//! and thin public methods.

use super::{at_most_one, created_id, IdName};
use crate::client::{Acted, Client};
use crate::error::Result;
use crate::wait::{Stateful, WaitOptions};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// A kind of named list: its names in the API and what every list document has.
pub(crate) trait NamedList: DeserializeOwned + Stateful {
    /// The kind in words, for messages (`IP address list`).
    const KIND: &'static str;
    /// The collection under `network/` and the list key of its pages (`ipAddressList`).
    const COLLECTION: &'static str;
    /// The operation infix (`IpAddressList` in `createIpAddressList`, `IP_ADDRESS_LIST` in
    /// `CREATE_IP_ADDRESS_LIST`).
    const OPERATION: (&'static str, &'static str);

    /// The list's id.
    fn id(&self) -> &str;
    /// The list's name.
    fn name(&self) -> &str;
}

/// The ids of included lists, as a list document names them.
pub(crate) fn ids_of(children: &[IdName]) -> Vec<String> {
    children.iter().map(|c| c.id.clone()).collect()
}

/// An empty JSON array becomes `[{"nil": true}]`, the element that clears a list's collection
/// on edit (omitting the collection would keep it).
pub(crate) fn or_nil(collection: Value) -> Value {
    match collection.as_array() {
        Some(items) if items.is_empty() => json!([{"nil": true}]),
        _ => collection,
    }
}

impl Client {
    pub(crate) async fn get_named_list<L: NamedList>(&self, id: &str) -> Result<Option<L>> {
        let operation = format!("GET network/{}/{{id}}", L::COLLECTION);
        self.get_one(&operation, &["network", L::COLLECTION, id])
            .await
    }

    pub(crate) async fn list_named_lists<L: NamedList>(
        &self,
        network_domain_id: &str,
    ) -> Result<Vec<L>> {
        let operation = format!("GET network/{}", L::COLLECTION);
        self.list_all(
            &operation,
            &["network", L::COLLECTION],
            &[("networkDomainId", network_domain_id)],
            L::COLLECTION,
        )
        .await
    }

    pub(crate) async fn find_named_list<L: NamedList>(
        &self,
        network_domain_id: &str,
        name: &str,
    ) -> Result<Option<L>> {
        let found: Vec<L> = self
            .list_named_lists::<L>(network_domain_id)
            .await?
            .into_iter()
            .filter(|l| l.name() == name && !l.state().is_leaving())
            .collect();
        at_most_one(L::KIND, found, || {
            format!("name {name:?} in network domain {network_domain_id}")
        })
    }

    /// The network domain holding list `id` (its own document does not say), found by looking
    /// through every domain's lists.
    pub(crate) async fn named_list_domain<L: NamedList>(&self, id: &str) -> Result<Option<String>> {
        for domain in self
            .list_network_domains(&crate::NetworkDomainFilter::default())
            .await?
        {
            let lists = self.list_named_lists::<L>(&domain.id).await?;
            if lists.iter().any(|l| l.id() == id) {
                return Ok(Some(domain.id));
            }
        }
        Ok(None)
    }

    /// Creates a list from `request` (which names the domain and the name) and returns it;
    /// an unanswered request is resolved by looking the name up.
    pub(crate) async fn create_named_list<L: NamedList, R: Serialize>(
        &self,
        request: &R,
        network_domain_id: &str,
        name: &str,
        wait: &WaitOptions,
    ) -> Result<L> {
        let (infix, upper) = L::OPERATION;
        let op = format!("CREATE_{upper}");
        let path = format!("create{infix}");
        let info = format!("{}Id", L::COLLECTION);
        let deadline = wait.start();
        let acted = self
            .act(&op, &["network", &path], request, &deadline, || async {
                Ok(self
                    .find_named_list::<L>(network_domain_id, name)
                    .await?
                    .map(|l| l.id().to_owned()))
            })
            .await?;
        let id = match acted {
            Acted::Answered(envelope) => created_id(&op, &envelope, &info)?,
            Acted::Observed(id) => id,
        };
        self.poll(&deadline, &op, L::KIND, &id)
            .until_normal(|_| true, || self.get_named_list::<L>(&id))
            .await
    }

    /// Sends the edit `body` to list `id` and returns the list once `holds` it.
    pub(crate) async fn edit_named_list<L: NamedList>(
        &self,
        id: &str,
        body: &Value,
        holds: impl Fn(&L) -> bool,
        wait: &WaitOptions,
    ) -> Result<L> {
        let (infix, upper) = L::OPERATION;
        let op = format!("EDIT_{upper}");
        let path = format!("edit{infix}");
        let deadline = wait.start();
        self.act(&op, &["network", &path], body, &deadline, || async {
            Ok(self
                .get_named_list::<L>(id)
                .await?
                .filter(|l| holds(l))
                .map(|_| ()))
        })
        .await?;
        self.poll(&deadline, &op, L::KIND, id)
            .until_normal(&holds, || self.get_named_list::<L>(id))
            .await
    }

    pub(crate) async fn settled_named_list<L: NamedList>(
        &self,
        id: &str,
        wait: &WaitOptions,
    ) -> Result<Option<L>> {
        let op = format!("WAIT_FOR_{}", L::OPERATION.1);
        self.settled_asset(&op, L::KIND, id, wait, || self.get_named_list::<L>(id))
            .await
    }

    pub(crate) async fn delete_named_list<L: NamedList>(
        &self,
        id: &str,
        wait: &WaitOptions,
    ) -> Result<()> {
        let (infix, upper) = L::OPERATION;
        let op = format!("DELETE_{upper}");
        let path = format!("delete{infix}");
        let deadline = wait.start();
        self.delete_asset(&op, L::KIND, &["network", &path], id, &deadline, || {
            self.get_named_list::<L>(id)
        })
        .await
    }
}
