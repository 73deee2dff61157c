//! `cloudcontrol_port_list`: a named, nestable set of ports and port ranges of a network
//! domain, for firewall rules' `port_list_id`.
//!
//! The schema, the typed model that reads plans and writes state, plan-time validation, then
//! create, read, update and delete.

use std::sync::LazyLock;

use async_trait::async_trait;
use cloudcontrol::{Client, WaitOptions};
use cloudcontrol::{CreatePortList, EditPortList, PortList, PortListEntry};
use serde::{Deserialize, Serialize};
use tfplugin::model::{from_value, write_into, ModelError};
use tfplugin::schema::{timeouts_block, Attribute, Block, NestedBlock, Schema, TimeoutOp};
use tfplugin::{AttributePath, Diagnostics, Type, Value};

use super::list_support::{check_entry_count, ListKind, ListResource};
use crate::marker::port_list_entry;
use crate::rules::{check_port_range, ListNameRule};

/// The resource's schema: every attribute and its rules.
fn schema() -> Schema {
    Schema::new(
        Block::new()
            .description("A port list of a network domain: ports, port ranges and other port lists, for firewall rules' `port_list_id` (TCP and UDP rules).")
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
                    .description("Name, unique among the domain's port lists: letters, digits, `_`, `.` and `-`, starting with a letter."),
            )
            .attribute(
                Attribute::string("description")
                    .default("")
                    .description("Description; changed in place."),
            )
            .attribute(
                Attribute::list("child_list_ids", Type::String)
                    .optional()
                    .description("Ids of port lists of the same domain included in this one; changed in place. A list cannot include itself, directly or through others."),
            )
            .block(NestedBlock::list(
                "port",
                Block::new()
                    .description("A port, or a range from `begin` to `end`; changed in place. A list needs at least one `port` or `child_list_ids` entry.")
                    .attribute(Attribute::number("begin").required().description(
                        "The port, or the first port of a range (1 to 65535).",
                    ))
                    .attribute(Attribute::number("end").optional().description(
                        "The last port of a range, above `begin`.",
                    )),
            ))
            .block(timeouts_block(&[TimeoutOp::Create, TimeoutOp::Update, TimeoutOp::Delete])),
    )
}

/// The resource's value type, for writing models into state.
static PORT_LIST_TYPE: LazyLock<Type> = LazyLock::new(|| schema().block.implied_type());

/// One `port` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PortBlock {
    begin: i64,
    end: Option<i64>,
}

/// A `cloudcontrol_port_list` as Terraform sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortListModel {
    /// Computed: the list's id.
    id: Option<String>,
    network_domain_id: String,
    name: String,
    description: String,
    child_list_ids: Option<Vec<String>>,
    #[serde(default)]
    port: Vec<PortBlock>,
}

impl PortListModel {
    /// Reads a plan or state that has every required attribute.
    fn read(value: &Value) -> Result<PortListModel, ModelError> {
        from_value(value)
    }

    /// The model of `list` (in `network_domain_id`) as the API reports it; `child_list_ids`
    /// stays unset when the list has no children and the prior state left it unset.
    fn of_list(list: &PortList, network_domain_id: &str, prior: &Value) -> PortListModel {
        let children = list.child_ids();
        let unset = prior.attr("child_list_ids").is_null() && children.is_empty();
        PortListModel {
            id: Some(list.id.clone()),
            network_domain_id: network_domain_id.to_owned(),
            name: list.name.clone(),
            description: list.description.clone(),
            child_list_ids: (!unset).then_some(children),
            port: list
                .port
                .iter()
                .map(|e| PortBlock {
                    begin: i64::from(e.begin),
                    end: e.end.map(i64::from),
                })
                .collect(),
        }
    }

    /// This model written over `base` (which keeps the timeouts).
    fn to_state(&self, base: &Value) -> Value {
        let mut state = base.clone();
        // The model's fields are the schema's attributes: a mismatch is a provider bug that
        // the unit tests catch.
        write_into(self, &mut state, &PORT_LIST_TYPE)
            .unwrap_or_else(|e| panic!("the port list model does not fit its schema: {e}"));
        state
    }

    fn entries(&self) -> Vec<PortListEntry> {
        self.port
            .iter()
            .map(|p| PortListEntry {
                begin: p.begin as u16,
                end: p.end.map(|e| e as u16),
            })
            .collect()
    }

    fn create_request(&self) -> CreatePortList {
        CreatePortList {
            network_domain_id: self.network_domain_id.clone(),
            name: self.name.clone(),
            description: Some(self.description.clone()).filter(|d| !d.is_empty()),
            port: self.entries(),
            child_port_list_id: self.child_list_ids.clone().unwrap_or_default(),
        }
    }

    fn content(&self) -> EditPortList {
        EditPortList {
            description: self.description.clone(),
            port: self.entries(),
            child_port_list_id: self.child_list_ids.clone().unwrap_or_default(),
        }
    }
}

/// Checks the `port` blocks of a configuration: ports 1 to 65535, a range that ends above
/// where it begins.
fn validate_ports(config: &Value, diags: &mut Diagnostics) {
    for (i, block) in config.attr("port").elements().iter().enumerate() {
        let Some(begin) = block.attr("begin").as_i64() else {
            continue;
        };
        let end = block.attr("end").as_i64();
        if let Err(rule) = check_port_range(begin, end) {
            let name = if rule.starts_with("port_end") {
                "end"
            } else {
                "begin"
            };
            diags.error_at(
                AttributePath::attribute("port").index(i as i64).attr(name),
                "Invalid port range",
                format!(
                    "port[{i}]: {}",
                    rule.replace("port_end", "end").replace("port ", "begin ")
                ),
            );
        }
    }
}

/// The API calls and Terraform side of `cloudcontrol_port_list`; create, read, update and delete are
/// [`ListResource`]'s.
pub struct PortListKind;

/// The `cloudcontrol_port_list` resource type.
pub type PortListResource = ListResource<PortListKind>;

#[async_trait]
impl ListKind for PortListKind {
    type Api = PortList;
    type Model = PortListModel;
    type Content = EditPortList;

    const TYPE_NAME: &'static str = "cloudcontrol_port_list";
    const KIND: &'static str = "port list";

    fn schema() -> Schema {
        schema()
    }

    fn validate(config: &Value, diags: &mut Diagnostics) {
        validate_ports(config, diags);
        check_entry_count(config, "port", "child_list_ids", diags);
    }

    fn journal_entry(name: &str) -> String {
        port_list_entry(name)
    }

    fn read(value: &Value) -> Result<PortListModel, ModelError> {
        PortListModel::read(value)
    }

    fn of_list(list: &PortList, network_domain_id: &str, prior: &Value) -> PortListModel {
        PortListModel::of_list(list, network_domain_id, prior)
    }

    fn to_state(model: &PortListModel, base: &Value) -> Value {
        model.to_state(base)
    }

    fn content(model: &PortListModel) -> EditPortList {
        model.content()
    }

    fn identity(model: &PortListModel) -> (&str, &str) {
        (&model.network_domain_id, &model.name)
    }

    fn model_id(model: &PortListModel) -> Option<&str> {
        model.id.as_deref()
    }

    fn api_identity(list: &PortList) -> (&str, &str) {
        (&list.id, &list.name)
    }

    async fn find(
        client: &Client,
        domain: &str,
        name: &str,
    ) -> cloudcontrol::Result<Option<PortList>> {
        client.find_port_list(domain, name).await
    }

    async fn create(
        client: &Client,
        model: &PortListModel,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<PortList> {
        client.create_port_list(&model.create_request(), wait).await
    }

    async fn get(client: &Client, id: &str) -> cloudcontrol::Result<Option<PortList>> {
        client.get_port_list(id).await
    }

    async fn settled(
        client: &Client,
        id: &str,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<Option<PortList>> {
        client.settled_port_list(id, wait).await
    }

    async fn domain_of(client: &Client, id: &str) -> cloudcontrol::Result<Option<String>> {
        client.port_list_domain(id).await
    }

    async fn edit(
        client: &Client,
        id: &str,
        model: &PortListModel,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<PortList> {
        client.edit_port_list(id, &model.content(), wait).await
    }

    async fn delete(client: &Client, id: &str, wait: &WaitOptions) -> cloudcontrol::Result<()> {
        client.delete_port_list(id, wait).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state with no timeouts set.
    fn base() -> Value {
        Value::object([("timeouts", Value::Null)])
    }

    fn list() -> PortList {
        serde_json::from_value(serde_json::json!({
            "id": "p-1", "name": "masters", "description": "", "port": [{"begin": 5050}, {"begin": 8080, "end": 8081}],
            "childPortList": [{"id": "p-2", "name": "ssh"}], "state": "NORMAL", "createTime": ""
        }))
        .unwrap()
    }

    #[test]
    fn the_model_fits_the_schema_and_reads_back() {
        let state = PortListModel::of_list(&list(), "nd-1", &Value::Null).to_state(&base());
        state
            .check_conforms(&schema().block.implied_type())
            .unwrap();
        let model = PortListModel::read(&state).unwrap();
        assert_eq!(model.child_list_ids, Some(vec!["p-2".to_owned()]));
        assert_eq!(model.content().port, list().port);
    }

    fn validated(ports: serde_json::Value) -> Vec<String> {
        let mut config = PortListModel::of_list(&list(), "nd-1", &Value::Null).to_state(&base());
        let ty = PORT_LIST_TYPE.attribute_type("port").unwrap();
        config.set_attr(
            "port",
            Value::from_json(ports.to_string().as_bytes(), ty).unwrap(),
        );
        let mut diags = Diagnostics::new();
        validate_ports(&config, &mut diags);
        diags.iter().map(|d| d.detail.clone()).collect()
    }

    #[test]
    fn bad_ports_are_reported_at_their_block() {
        assert_eq!(
            validated(serde_json::json!([{"begin": 22, "end": null}])).len(),
            0
        );
        assert_eq!(
            validated(serde_json::json!([{"begin": 0, "end": null}])).len(),
            1
        );
        assert_eq!(
            validated(serde_json::json!([{"begin": 80, "end": 70}])).len(),
            1
        );
        assert_eq!(
            validated(serde_json::json!([{"begin": 80, "end": 80}])).len(),
            1
        );
    }
}
