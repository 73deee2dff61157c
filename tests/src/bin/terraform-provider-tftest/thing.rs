//! `tftest_thing`: one remote object in the backend file, with an attribute for every schema
//! behaviour the runtime implements.

use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use serde_json::{json, Value as Json};
use tfplugin::provider::{
    ApplyResponse, CreateRequest, DeleteRequest, OperationContext, ReadRequest, ReadResponse,
    Resource, UpdateRequest,
};
use tfplugin::schema::validators::{int_between, matches_regex, one_of, string_length};
use tfplugin::schema::{timeouts_block, Attribute, Block, NestedBlock, Schema, TimeoutOp};
use tfplugin::{Diagnostic, Diagnostics, ObjectBuilder, Value};

use crate::backend::Backend;

/// Private-state key holding the backend revision this state was last synchronised with.
const REVISION_KEY: &str = "revision";

/// The `tftest_thing` resource.
pub struct Thing;

fn rule_block() -> NestedBlock {
    NestedBlock::list(
        "rule",
        Block::new()
            .description("A port rule.")
            .attribute(
                Attribute::number("port")
                    .required()
                    .validator(int_between(1, 65535)),
            )
            .attribute(
                Attribute::string("protocol")
                    .default("tcp")
                    .validator(one_of(["tcp", "udp"])),
            ),
    )
    .max_items(8)
}

#[async_trait]
impl Resource<Backend> for Thing {
    fn type_name(&self) -> &str {
        "tftest_thing"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .description("A thing stored in the backend file.")
                .attribute(Attribute::id())
                .attribute(
                    Attribute::string("created_at")
                        .computed()
                        .use_state_for_unknown()
                        .description("When the thing was created (seconds since the epoch)."),
                )
                .attribute(
                    Attribute::number("revision")
                        .computed()
                        .description("Backend revision, bumped by every update."),
                )
                .attribute(
                    Attribute::string("name")
                        .required()
                        .validator(string_length(1, 32))
                        .validator(matches_regex(
                            "^[a-z][a-z0-9-]*$",
                            "lower-case letters, digits and dashes, starting with a letter",
                        )),
                )
                .attribute(
                    Attribute::string("zone")
                        .default("zone-a")
                        .requires_replace()
                        .validator(one_of(["zone-a", "zone-b"])),
                )
                .attribute(
                    Attribute::number("size")
                        .default(1)
                        .validator(int_between(1, 64)),
                )
                .attribute(Attribute::string("description").optional())
                .attribute(Attribute::string("secret").optional().sensitive())
                .block(rule_block())
                .block(timeouts_block(&[TimeoutOp::Create, TimeoutOp::Delete])),
        )
    }

    async fn create(
        &self,
        ctx: &OperationContext<'_, Backend>,
        request: CreateRequest,
        response: &mut ApplyResponse,
    ) {
        let created_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
            .to_string();
        let mut remote = to_remote(&request.planned);
        remote["created_at"] = json!(created_at);
        remote["revision"] = json!(1);
        remote["create_timeout_seconds"] = json!(ctx.timeout.map(|t| t.as_secs()));
        let stored = ctx.data.update(|store| {
            store.next_id += 1;
            let id = format!("thing-{}", store.next_id);
            store.things.insert(id.clone(), remote);
            Ok(id)
        });
        match stored {
            Ok(id) => {
                response.state.set_attr("id", id);
                response.state.set_attr("created_at", created_at);
                response.state.set_attr("revision", 1);
                response.private.set(REVISION_KEY, json!(1));
            }
            Err(errors) => {
                response.state = Value::Null;
                response.diagnostics.append(errors);
            }
        }
    }

    async fn read(
        &self,
        ctx: &OperationContext<'_, Backend>,
        request: ReadRequest,
        response: &mut ReadResponse,
    ) {
        let Some(id) = request.state.attr("id").as_str().map(str::to_owned) else {
            response
                .diagnostics
                .error("Missing id", "The state of this thing has no id.");
            return;
        };
        let store = match ctx.data.read() {
            Ok(store) => store,
            Err(errors) => return response.diagnostics.append(errors),
        };
        let Some(remote) = store.things.get(&id) else {
            // Deleted outside Terraform: forget it so the next plan creates it again.
            response.state = Value::Null;
            response.private = Default::default();
            return;
        };
        // Timeouts are configuration only; keep whatever the state had.
        response.state = from_remote(&id, remote, request.state.attr("timeouts").clone());
        response
            .private
            .set(REVISION_KEY, remote["revision"].clone());
    }

    async fn update(
        &self,
        ctx: &OperationContext<'_, Backend>,
        request: UpdateRequest,
        response: &mut ApplyResponse,
    ) {
        let Some(id) = request.prior.attr("id").as_str().map(str::to_owned) else {
            response
                .diagnostics
                .error("Missing id", "The prior state of this thing has no id.");
            return;
        };
        let expected = request.private.get(REVISION_KEY).cloned();
        let planned = request.planned.clone();
        let stored = ctx.data.update(|store| {
            let Some(current) = store.things.get_mut(&id) else {
                return Err(Diagnostic::error(
                    "Thing vanished",
                    format!("{id} no longer exists in the backend."),
                ));
            };
            if expected.as_ref().is_some_and(|e| *e != current["revision"]) {
                return Err(Diagnostic::error(
                    "Thing changed outside Terraform",
                    format!("{id} was modified since it was last read; refresh and plan again."),
                ));
            }
            let revision = current["revision"].as_u64().unwrap_or(0) + 1;
            let mut remote = to_remote(&planned);
            remote["created_at"] = current["created_at"].clone();
            remote["create_timeout_seconds"] = current["create_timeout_seconds"].clone();
            remote["revision"] = json!(revision);
            *current = remote;
            Ok(revision)
        });
        match stored {
            Ok(revision) => {
                response.state.set_attr("revision", revision);
                response.private.set(REVISION_KEY, json!(revision));
            }
            Err(errors) => {
                response.state = request.prior;
                response.diagnostics.append(errors);
            }
        }
    }

    async fn delete(
        &self,
        ctx: &OperationContext<'_, Backend>,
        request: DeleteRequest,
    ) -> Diagnostics {
        let Some(id) = request.prior.attr("id").as_str().map(str::to_owned) else {
            return Diagnostics::new();
        };
        match ctx.data.update(|store| {
            store.things.remove(&id);
            Ok(())
        }) {
            Ok(()) => Diagnostics::new(),
            Err(errors) => errors,
        }
    }
}

/// The backend representation of the configurable attributes of `state`.
fn to_remote(state: &Value) -> Json {
    let rules: Vec<Json> = state
        .attr("rule")
        .elements()
        .iter()
        .map(|rule| {
            json!({
                "port": rule.attr("port").as_i64(),
                "protocol": rule.attr("protocol").as_str(),
            })
        })
        .collect();
    json!({
        "name": state.attr("name").as_str(),
        "zone": state.attr("zone").as_str(),
        "size": state.attr("size").as_i64(),
        "description": state.attr("description").as_str(),
        "secret": state.attr("secret").as_str(),
        "rules": rules,
    })
}

/// The state of thing `id` as stored in the backend.
fn from_remote(id: &str, remote: &Json, timeouts: Value) -> Value {
    let string = |key: &str| Value::from(remote[key].as_str());
    let number = |key: &str| Value::from(remote[key].as_i64());
    let rules = remote["rules"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|rule| {
            ObjectBuilder::new()
                .attr("port", Value::from(rule["port"].as_i64()))
                .attr("protocol", Value::from(rule["protocol"].as_str()))
                .build()
        });
    ObjectBuilder::new()
        .attr("id", id)
        .attr("created_at", string("created_at"))
        .attr("revision", number("revision"))
        .attr("name", string("name"))
        .attr("zone", string("zone"))
        .attr("size", number("size"))
        .attr("description", string("description"))
        .attr("secret", string("secret"))
        .attr("rule", Value::list(rules))
        .attr("timeouts", timeouts)
        .build()
}
