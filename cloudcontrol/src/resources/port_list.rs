//! Port lists (`network/portList`): named, nestable sets of ports and port ranges in a network
//! domain, for firewall rules. Their writes are synchronous; an edit replaces the whole content.

use super::named_list::{ids_of, or_nil, NamedList};
use super::IdName;
use crate::client::Client;
use crate::error::Result;
use crate::state::ResourceState;
use crate::wait::{Stateful, WaitOptions};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One entry: a port (`begin`) or a range (`begin`-`end`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortListEntry {
    /// The port, or the first of a range.
    pub begin: u16,
    /// The last port of a range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<u16>,
}

/// A port list. Its document does not name its network domain.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortList {
    /// Id.
    pub id: String,
    /// Name, unique in the network domain.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Entries.
    #[serde(default)]
    pub port: Vec<PortListEntry>,
    /// Lists included in this one.
    #[serde(default)]
    pub child_port_list: Vec<IdName>,
    /// Lifecycle state.
    pub state: ResourceState,
}

impl Stateful for PortList {
    fn state(&self) -> &ResourceState {
        &self.state
    }
}

impl PortList {
    /// The ids of the included lists.
    pub fn child_ids(&self) -> Vec<String> {
        ids_of(&self.child_port_list)
    }
}

/// Request to create a port list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePortList {
    /// The network domain.
    pub network_domain_id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Entries (at least one entry or child list).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub port: Vec<PortListEntry>,
    /// Ids of lists to include.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub child_port_list_id: Vec<String>,
}

/// The new content of a port list: it replaces entries and child lists entirely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditPortList {
    /// Description.
    pub description: String,
    /// Entries.
    pub port: Vec<PortListEntry>,
    /// Ids of lists to include.
    pub child_port_list_id: Vec<String>,
}

impl EditPortList {
    /// The request body: an empty collection is sent as the API's clearing element.
    fn body(&self, id: &str) -> Value {
        json!({
            "id": id,
            "description": self.description,
            "port": or_nil(serde_json::to_value(&self.port).unwrap_or_default()),
            "childPortListId": or_nil(json!(self.child_port_list_id)),
        })
    }

    /// Whether `list` already holds this content.
    fn is_held_by(&self, list: &PortList) -> bool {
        list.description == self.description
            && list.port == self.port
            && list.child_ids() == self.child_port_list_id
    }
}

impl NamedList for PortList {
    const KIND: &'static str = "port list";
    const COLLECTION: &'static str = "portList";
    const OPERATION: (&'static str, &'static str) = ("PortList", "PORT_LIST");

    fn id(&self) -> &str {
        &self.id
    }

    fn name(&self) -> &str {
        &self.name
    }
}

impl Client {
    /// One port list, or `None` when it does not exist.
    pub async fn get_port_list(&self, id: &str) -> Result<Option<PortList>> {
        self.get_named_list(id).await
    }

    /// Every port list of a network domain.
    pub async fn list_port_lists(&self, network_domain_id: &str) -> Result<Vec<PortList>> {
        self.list_named_lists(network_domain_id).await
    }

    /// The port list of a network domain named `name`, if there is one.
    pub async fn find_port_list(
        &self,
        network_domain_id: &str,
        name: &str,
    ) -> Result<Option<PortList>> {
        self.find_named_list(network_domain_id, name).await
    }

    /// The network domain holding port list `id` (its own document does not say), found by
    /// looking through every domain's lists; `None` when no domain holds it.
    pub async fn port_list_domain(&self, id: &str) -> Result<Option<String>> {
        self.named_list_domain::<PortList>(id).await
    }

    /// Creates a port list and returns it.
    ///
    /// Call it only when the domain has no list of that name ([`Client::find_port_list`]):
    /// when the request gets no answer, the list found under that name is taken as this one.
    pub async fn create_port_list(
        &self,
        request: &CreatePortList,
        wait: &WaitOptions,
    ) -> Result<PortList> {
        self.create_named_list(request, &request.network_domain_id, &request.name, wait)
            .await
    }

    /// Replaces a port list's content and returns the list once it holds it.
    pub async fn edit_port_list(
        &self,
        id: &str,
        content: &EditPortList,
        wait: &WaitOptions,
    ) -> Result<PortList> {
        self.edit_named_list(id, &content.body(id), |l| content.is_held_by(l), wait)
            .await
    }

    /// The port list once no operation is running on it, or `None` when it does not exist.
    pub async fn settled_port_list(
        &self,
        id: &str,
        wait: &WaitOptions,
    ) -> Result<Option<PortList>> {
        self.settled_named_list(id, wait).await
    }

    /// Deletes a port list (a list already gone is fine).
    pub async fn delete_port_list(&self, id: &str, wait: &WaitOptions) -> Result<()> {
        self.delete_named_list::<PortList>(id, wait).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_list_in_the_recorded_shape() {
        // The keys and value types of libcloud's recorded portList document.
        let body = r#"{"id":"p-1","name":"MyPortList","description":"Production Servers",
            "port":[{"begin":8000,"end":9600},{"begin":25},{"begin":443}],
            "childPortList":[{"id":"p-2","name":"tomcatPorts"},{"id":"p-3","name":"mySqlPorts"}],
            "state":"NORMAL","createTime":"2015-06-21T18:54:42.000Z"}"#;
        let list: PortList = serde_json::from_str(body).unwrap();
        assert_eq!(
            list.port[0],
            PortListEntry {
                begin: 8000,
                end: Some(9600)
            }
        );
        assert_eq!(list.child_ids(), ["p-2", "p-3"]);
    }

    #[test]
    fn an_edit_sends_every_collection_and_clears_empty_ones() {
        let edit = EditPortList {
            description: "d".into(),
            port: Vec::new(),
            child_port_list_id: vec!["p-2".into()],
        };
        assert_eq!(
            edit.body("p-1"),
            json!({"id": "p-1", "description": "d", "port": [{"nil": true}], "childPortListId": ["p-2"]})
        );
    }
}
