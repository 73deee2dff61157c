//! IP address lists (`network/ipAddressList`): named, nestable sets of addresses, ranges and
//! networks of one IP version in a network domain, for firewall rules. Their writes are
//! synchronous; an edit replaces the whole content.

use super::named_list::{ids_of, or_nil, NamedList};
use super::IdName;
use crate::client::Client;
use crate::error::Result;
use crate::state::ResourceState;
use crate::wait::{Stateful, WaitOptions};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One entry: an address (`begin`), a range (`begin`-`end`) or a network (`begin`/`prefix_size`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressListEntry {
    /// The address, the first of a range, or the network address.
    pub begin: String,
    /// The last address of a range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// The prefix length of a network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_size: Option<u8>,
}

/// An IP address list. Its document does not name its network domain.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressList {
    /// Id.
    pub id: String,
    /// Name, unique in the network domain.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// `IPV4` or `IPV6`.
    pub ip_version: String,
    /// Entries.
    #[serde(default)]
    pub ip_address: Vec<AddressListEntry>,
    /// Lists included in this one.
    #[serde(default)]
    pub child_ip_address_list: Vec<IdName>,
    /// Lifecycle state.
    pub state: ResourceState,
}

impl Stateful for AddressList {
    fn state(&self) -> &ResourceState {
        &self.state
    }
}

impl AddressList {
    /// The ids of the included lists.
    pub fn child_ids(&self) -> Vec<String> {
        ids_of(&self.child_ip_address_list)
    }
}

/// Request to create an IP address list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAddressList {
    /// The network domain.
    pub network_domain_id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `IPV4` or `IPV6`.
    pub ip_version: String,
    /// Entries (at least one entry or child list).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ip_address: Vec<AddressListEntry>,
    /// Ids of lists to include.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub child_ip_address_list_id: Vec<String>,
}

/// The new content of an IP address list: it replaces entries and child lists entirely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditAddressList {
    /// Description.
    pub description: String,
    /// Entries.
    pub ip_address: Vec<AddressListEntry>,
    /// Ids of lists to include.
    pub child_ip_address_list_id: Vec<String>,
}

impl EditAddressList {
    /// The request body: an empty collection is sent as the API's clearing element.
    fn body(&self, id: &str) -> Value {
        json!({
            "id": id,
            "description": self.description,
            "ipAddress": or_nil(serde_json::to_value(&self.ip_address).unwrap_or_default()),
            "childIpAddressListId": or_nil(json!(self.child_ip_address_list_id)),
        })
    }

    /// Whether `list` already holds this content.
    fn is_held_by(&self, list: &AddressList) -> bool {
        list.description == self.description
            && list.ip_address == self.ip_address
            && list.child_ids() == self.child_ip_address_list_id
    }
}

impl NamedList for AddressList {
    const KIND: &'static str = "IP address list";
    const COLLECTION: &'static str = "ipAddressList";
    const OPERATION: (&'static str, &'static str) = ("IpAddressList", "IP_ADDRESS_LIST");

    fn id(&self) -> &str {
        &self.id
    }

    fn name(&self) -> &str {
        &self.name
    }
}

impl Client {
    /// One IP address list, or `None` when it does not exist.
    pub async fn get_address_list(&self, id: &str) -> Result<Option<AddressList>> {
        self.get_named_list(id).await
    }

    /// Every IP address list of a network domain.
    pub async fn list_address_lists(&self, network_domain_id: &str) -> Result<Vec<AddressList>> {
        self.list_named_lists(network_domain_id).await
    }

    /// The IP address list of a network domain named `name`, if there is one.
    pub async fn find_address_list(
        &self,
        network_domain_id: &str,
        name: &str,
    ) -> Result<Option<AddressList>> {
        self.find_named_list(network_domain_id, name).await
    }

    /// The network domain holding IP address list `id` (its own document does not say), found by
    /// looking through every domain's lists; `None` when no domain holds it.
    pub async fn address_list_domain(&self, id: &str) -> Result<Option<String>> {
        self.named_list_domain::<AddressList>(id).await
    }

    /// Creates an IP address list and returns it.
    ///
    /// Call it only when the domain has no list of that name ([`Client::find_address_list`]):
    /// when the request gets no answer, the list found under that name is taken as this one.
    pub async fn create_address_list(
        &self,
        request: &CreateAddressList,
        wait: &WaitOptions,
    ) -> Result<AddressList> {
        self.create_named_list(request, &request.network_domain_id, &request.name, wait)
            .await
    }

    /// Replaces an IP address list's content and returns the list once it holds it.
    pub async fn edit_address_list(
        &self,
        id: &str,
        content: &EditAddressList,
        wait: &WaitOptions,
    ) -> Result<AddressList> {
        self.edit_named_list(id, &content.body(id), |l| content.is_held_by(l), wait)
            .await
    }

    /// The IP address list once no operation is running on it, or `None` when it does not exist.
    pub async fn settled_address_list(
        &self,
        id: &str,
        wait: &WaitOptions,
    ) -> Result<Option<AddressList>> {
        self.settled_named_list(id, wait).await
    }

    /// Deletes an IP address list (a list already gone is fine).
    pub async fn delete_address_list(&self, id: &str, wait: &WaitOptions) -> Result<()> {
        self.delete_named_list::<AddressList>(id, wait).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_list_in_the_recorded_shape() {
        // The keys and value types of libcloud's recorded ipAddressList document.
        let body = r#"{"id":"l-1","name":"Test_IP_Address_List_3","description":"Test Description",
            "ipVersion":"IPV4","ipAddress":[{"begin":"190.2.2.0","prefixSize":24},{"begin":"190.2.2.100"},
            {"begin":"190.2.2.106","end":"190.2.2.108"}],
            "childIpAddressList":[{"id":"l-2","name":"TestIPList2"}],
            "state":"NORMAL","createTime":"2016-09-05T05:57:53.000Z"}"#;
        let list: AddressList = serde_json::from_str(body).unwrap();
        assert_eq!(list.ip_address[0].prefix_size, Some(24));
        assert_eq!(list.ip_address[2].end.as_deref(), Some("190.2.2.108"));
        assert_eq!(list.child_ids(), ["l-2"]);
    }

    #[test]
    fn an_edit_sends_every_collection_and_clears_empty_ones() {
        let edit = EditAddressList {
            description: String::new(),
            ip_address: vec![AddressListEntry {
                begin: "10.0.0.1".into(),
                end: None,
                prefix_size: None,
            }],
            child_ip_address_list_id: Vec::new(),
        };
        assert_eq!(
            edit.body("l-1"),
            json!({"id": "l-1", "description": "", "ipAddress": [{"begin": "10.0.0.1"}],
                   "childIpAddressListId": [{"nil": true}]})
        );
    }
}
