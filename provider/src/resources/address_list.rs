//! `cloudcontrol_address_list`: a named, nestable set of IPv4 or IPv6 addresses, ranges and
//! networks of a network domain, for firewall rules' `address_list_id`.
//!
//! The schema, the typed model that reads plans and writes state, plan-time validation, then
//! create, read, update and delete.

use std::net::IpAddr;
use std::sync::LazyLock;

use async_trait::async_trait;
use cloudcontrol::{AddressList, AddressListEntry, CreateAddressList, EditAddressList};
use cloudcontrol::{Client, WaitOptions};
use serde::{Deserialize, Serialize};
use tfplugin::model::{from_value, write_into, ModelError};
use tfplugin::schema::validators::one_of;
use tfplugin::schema::{timeouts_block, Attribute, Block, NestedBlock, Schema, TimeoutOp};
use tfplugin::{AttributePath, Diagnostics, Type, Value};

use super::list_support::{check_entry_count, ListKind, ListResource};
use crate::marker::address_list_entry;
use crate::rules::ListNameRule;

/// The resource's schema: every attribute and its rules.
fn schema() -> Schema {
    Schema::new(
        Block::new()
            .description("An IP address list of a network domain: addresses, ranges, networks and other lists of one IP version, for firewall rules' `address_list_id`.")
            .attribute(Attribute::id())
            .attribute(
                Attribute::string("network_domain_id")
                    .required()
                    .requires_replace()
                    .description("Id of the network domain."),
            )
            .attribute(
                Attribute::string("name")
                    .required()
                    .requires_replace()
                    .validator(ListNameRule)
                    .description("Name, unique among the domain's IP address lists: letters, digits, `_`, `.` and `-`, starting with a letter."),
            )
            .attribute(
                Attribute::string("description")
                    .default("")
                    .description("Description; changed in place."),
            )
            .attribute(
                Attribute::string("ip_version")
                    .default("IPV4")
                    .requires_replace()
                    .validator(one_of(["IPV4", "IPV6"]))
                    .description("IPV4 or IPV6: every entry and included list is of this version."),
            )
            .attribute(
                Attribute::list("child_list_ids", Type::String)
                    .optional()
                    .description("Ids of IP address lists of the same domain and version included in this one; changed in place. A list cannot include itself, directly or through others."),
            )
            .block(NestedBlock::list(
                "address",
                Block::new()
                    .description("An address, a range (`begin` to `end`) or a network (`begin` with `prefix_size`); changed in place. A list needs at least one `address` or `child_list_ids` entry.")
                    .attribute(Attribute::string("begin").required().description(
                        "The address, the first address of a range, or the network address.",
                    ))
                    .attribute(Attribute::string("end").optional().description(
                        "The last address of a range.",
                    ))
                    .attribute(Attribute::number("prefix_size").optional().description(
                        "The prefix size of a network.",
                    )),
            ))
            .block(timeouts_block(&[TimeoutOp::Create, TimeoutOp::Update, TimeoutOp::Delete])),
    )
}

/// The resource's value type, for writing models into state.
static ADDRESS_LIST_TYPE: LazyLock<Type> = LazyLock::new(|| schema().block.implied_type());

/// One `address` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AddressBlock {
    begin: String,
    end: Option<String>,
    prefix_size: Option<i64>,
}

/// A `cloudcontrol_address_list` as Terraform sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddressListModel {
    /// Computed: the list's id.
    id: Option<String>,
    network_domain_id: String,
    name: String,
    description: String,
    ip_version: String,
    child_list_ids: Option<Vec<String>>,
    #[serde(default)]
    address: Vec<AddressBlock>,
}

impl AddressListModel {
    /// Reads a plan or state that has every required attribute.
    fn read(value: &Value) -> Result<AddressListModel, ModelError> {
        from_value(value)
    }

    /// The model of `list` (in `network_domain_id`) as the API reports it; `child_list_ids`
    /// stays unset when the list has no children and the prior state left it unset.
    fn of_list(list: &AddressList, network_domain_id: &str, prior: &Value) -> AddressListModel {
        let children = list.child_ids();
        let unset = prior.attr("child_list_ids").is_null() && children.is_empty();
        AddressListModel {
            id: Some(list.id.clone()),
            network_domain_id: network_domain_id.to_owned(),
            name: list.name.clone(),
            description: list.description.clone(),
            ip_version: list.ip_version.to_ascii_uppercase(),
            child_list_ids: (!unset).then_some(children),
            address: list
                .ip_address
                .iter()
                .map(|e| AddressBlock {
                    begin: e.begin.clone(),
                    end: e.end.clone(),
                    prefix_size: e.prefix_size.map(i64::from),
                })
                .collect(),
        }
    }

    /// This model written over `base` (which keeps the timeouts).
    fn to_state(&self, base: &Value) -> Value {
        let mut state = base.clone();
        // The model's fields are the schema's attributes: a mismatch is a provider bug that
        // the unit tests catch.
        write_into(self, &mut state, &ADDRESS_LIST_TYPE)
            .unwrap_or_else(|e| panic!("the address list model does not fit its schema: {e}"));
        state
    }

    fn entries(&self) -> Vec<AddressListEntry> {
        self.address
            .iter()
            .map(|a| AddressListEntry {
                begin: a.begin.clone(),
                end: a.end.clone(),
                prefix_size: a.prefix_size.map(|p| p as u8),
            })
            .collect()
    }

    fn create_request(&self) -> CreateAddressList {
        CreateAddressList {
            network_domain_id: self.network_domain_id.clone(),
            name: self.name.clone(),
            description: Some(self.description.clone()).filter(|d| !d.is_empty()),
            ip_version: self.ip_version.clone(),
            ip_address: self.entries(),
            child_ip_address_list_id: self.child_list_ids.clone().unwrap_or_default(),
        }
    }

    fn content(&self) -> EditAddressList {
        EditAddressList {
            description: self.description.clone(),
            ip_address: self.entries(),
            child_ip_address_list_id: self.child_list_ids.clone().unwrap_or_default(),
        }
    }
}

/// Checks the `address` blocks of a configuration: each of the list's IP version, `end` and
/// `prefix_size` not both, a range that ends above where it begins, a prefix that fits.
fn validate_addresses(config: &Value, diags: &mut Diagnostics) {
    let ipv6 = config.attr("ip_version").as_str() == Some("IPV6");
    let (family, max_prefix) = if ipv6 { ("IPv6", 128) } else { ("IPv4", 32) };
    let blocks = config.attr("address").elements();
    let at = |i: usize, name: &str| {
        AttributePath::attribute("address")
            .index(i as i64)
            .attr(name)
    };
    let parse = |i: usize, name: &str, value: &Value, diags: &mut Diagnostics| {
        let text = value.as_str()?;
        match text.parse::<IpAddr>() {
            Ok(ip) if ip.is_ipv6() == ipv6 => Some(ip),
            _ => {
                diags.error_at(
                    at(i, name),
                    "Invalid attribute value",
                    format!("address[{i}].{name} must be an {family} address (ip_version), got {text:?}"),
                );
                None
            }
        }
    };
    for (i, block) in blocks.iter().enumerate() {
        let begin = parse(i, "begin", block.attr("begin"), diags);
        let end = parse(i, "end", block.attr("end"), diags);
        if !block.attr("end").is_null() && !block.attr("prefix_size").is_null() {
            diags.error_at(
                at(i, "prefix_size"),
                "Conflicting attributes",
                format!("address[{i}] is a range (end) or a network (prefix_size), not both"),
            );
        }
        if let (Some(begin), Some(end)) = (begin, end) {
            if end <= begin {
                diags.error_at(
                    at(i, "end"),
                    "Invalid address range",
                    format!("address[{i}].end {end} must be above begin {begin}"),
                );
            }
        }
        if let Some(prefix) = block.attr("prefix_size").as_i64() {
            if !(1..=max_prefix).contains(&prefix) {
                diags.error_at(
                    at(i, "prefix_size"),
                    "Invalid attribute value",
                    format!(
                        "address[{i}].prefix_size must be between 1 and {max_prefix}, got {prefix}"
                    ),
                );
            }
        }
    }
}

/// The API calls and Terraform side of `cloudcontrol_address_list`; create, read, update and delete are
/// [`ListResource`]'s.
pub struct AddressListKind;

/// The `cloudcontrol_address_list` resource type.
pub type AddressListResource = ListResource<AddressListKind>;

#[async_trait]
impl ListKind for AddressListKind {
    type Api = AddressList;
    type Model = AddressListModel;
    type Content = (EditAddressList, String);

    const TYPE_NAME: &'static str = "cloudcontrol_address_list";
    const KIND: &'static str = "IP address list";

    fn schema() -> Schema {
        schema()
    }

    fn validate(config: &Value, diags: &mut Diagnostics) {
        validate_addresses(config, diags);
        check_entry_count(config, "address", "child_list_ids", diags);
    }

    fn journal_entry(name: &str) -> String {
        address_list_entry(name)
    }

    fn read(value: &Value) -> Result<AddressListModel, ModelError> {
        AddressListModel::read(value)
    }

    fn of_list(list: &AddressList, network_domain_id: &str, prior: &Value) -> AddressListModel {
        AddressListModel::of_list(list, network_domain_id, prior)
    }

    fn to_state(model: &AddressListModel, base: &Value) -> Value {
        model.to_state(base)
    }

    fn content(model: &AddressListModel) -> (EditAddressList, String) {
        (model.content(), model.ip_version.clone())
    }

    fn identity(model: &AddressListModel) -> (&str, &str) {
        (&model.network_domain_id, &model.name)
    }

    fn model_id(model: &AddressListModel) -> Option<&str> {
        model.id.as_deref()
    }

    fn api_identity(list: &AddressList) -> (&str, &str) {
        (&list.id, &list.name)
    }

    async fn find(
        client: &Client,
        domain: &str,
        name: &str,
    ) -> cloudcontrol::Result<Option<AddressList>> {
        client.find_address_list(domain, name).await
    }

    async fn create(
        client: &Client,
        model: &AddressListModel,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<AddressList> {
        client
            .create_address_list(&model.create_request(), wait)
            .await
    }

    async fn get(client: &Client, id: &str) -> cloudcontrol::Result<Option<AddressList>> {
        client.get_address_list(id).await
    }

    async fn settled(
        client: &Client,
        id: &str,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<Option<AddressList>> {
        client.settled_address_list(id, wait).await
    }

    async fn domain_of(client: &Client, id: &str) -> cloudcontrol::Result<Option<String>> {
        client.address_list_domain(id).await
    }

    async fn edit(
        client: &Client,
        id: &str,
        model: &AddressListModel,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<AddressList> {
        client.edit_address_list(id, &model.content(), wait).await
    }

    async fn delete(client: &Client, id: &str, wait: &WaitOptions) -> cloudcontrol::Result<()> {
        client.delete_address_list(id, wait).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state with no timeouts set.
    fn base() -> Value {
        Value::object([("timeouts", Value::Null)])
    }

    fn list() -> AddressList {
        serde_json::from_value(serde_json::json!({
            "id": "l-1", "name": "admins", "description": "", "ipVersion": "IPV4",
            "ipAddress": [{"begin": "10.0.0.0", "prefixSize": 24}, {"begin": "10.1.0.1", "end": "10.1.0.9"}],
            "childIpAddressList": [], "state": "NORMAL", "createTime": ""
        }))
        .unwrap()
    }

    #[test]
    fn the_model_fits_the_schema_and_reads_back() {
        let state = AddressListModel::of_list(&list(), "nd-1", &Value::Null).to_state(&base());
        state
            .check_conforms(&schema().block.implied_type())
            .unwrap();
        assert!(
            state.attr("child_list_ids").is_null(),
            "no children, none declared"
        );
        let model = AddressListModel::read(&state).unwrap();
        assert_eq!(model.address[1].end.as_deref(), Some("10.1.0.9"));
        assert_eq!(model.content().ip_address, list().ip_address);
    }

    fn validated(config: serde_json::Value) -> Vec<String> {
        let mut base = AddressListModel::of_list(&list(), "nd-1", &Value::Null).to_state(&base());
        for (key, value) in config.as_object().unwrap() {
            let ty = ADDRESS_LIST_TYPE.attribute_type(key).unwrap();
            base.set_attr(
                key,
                Value::from_json(value.to_string().as_bytes(), ty).unwrap(),
            );
        }
        let mut diags = Diagnostics::new();
        validate_addresses(&base, &mut diags);
        check_entry_count(&base, "address", "child_list_ids", &mut diags);
        diags.iter().map(|d| d.detail.clone()).collect()
    }

    #[test]
    fn bad_addresses_are_reported_at_their_block() {
        let problems = validated(serde_json::json!({
            "ip_version": "IPV6",
            "address": [{"begin": "10.0.0.1", "end": null, "prefix_size": null}],
        }));
        assert_eq!(
            problems,
            ["address[0].begin must be an IPv6 address (ip_version), got \"10.0.0.1\""]
        );
        let problems = validated(serde_json::json!({
            "address": [{"begin": "10.0.0.9", "end": "10.0.0.1", "prefix_size": 24}],
        }));
        assert_eq!(problems.len(), 2, "{problems:?}");
        let problems = validated(serde_json::json!({"address": [], "child_list_ids": null}));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("at least one"), "{problems:?}");
    }
}
