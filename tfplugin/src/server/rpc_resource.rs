//! Managed resource RPCs: validate, upgrade, read, plan, apply, import.
//!
//! Calls into the schema (`Block::validate`, `Block::implied_type`) and the planning
//! engine (`plan::plan_resource`, `plan::check_plan`, `plan::check_apply`) written
//! alongside this module in `schema/` and `plan/`.

use std::time::Duration;

use serde_json::Value as Json;

use super::codec::{decode, encode};
use super::{diagnostics_to_proto, path_to_proto, ProviderService};
use crate::diag::{Diagnostic, Diagnostics};
use crate::proto::tfplugin6 as pb;
use crate::provider::{
    ApplyResponse, CreateRequest, DeleteRequest, ImportResponse, ModifyPlan, OperationContext,
    PrivateState, Provider, ReadRequest, ReadResponse, UpdateRequest,
};
use crate::schema::{TimeoutOp, Timeouts};
use crate::value::Value;

/// The operation's timeout from the `timeouts` block of `value`, when it has one. Invalid
/// durations were already reported by the block's validators in ValidateResourceConfig.
fn timeout_of(value: &Value, operation: TimeoutOp) -> Option<Duration> {
    let timeouts = Timeouts::from_resource(value)
        .inspect_err(|error| tracing::warn!(%error, "ignoring an invalid timeout"))
        .ok()?;
    match operation {
        TimeoutOp::Create => timeouts.create,
        TimeoutOp::Read => timeouts.read,
        TimeoutOp::Update => timeouts.update,
        TimeoutOp::Delete => timeouts.delete,
    }
}

/// `value` with every unknown replaced by null, for state stored next to an apply error.
fn unknown_as_null(value: Value) -> Value {
    match value {
        Value::Unknown => Value::Null,
        Value::List(items) => Value::List(items.into_iter().map(unknown_as_null).collect()),
        Value::Set(items) => Value::Set(items.into_iter().map(unknown_as_null).collect()),
        Value::Tuple(items) => Value::Tuple(items.into_iter().map(unknown_as_null).collect()),
        Value::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k, unknown_as_null(v)))
                .collect(),
        ),
        Value::Object(entries) => Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k, unknown_as_null(v)))
                .collect(),
        ),
        Value::Dynamic { ty, value } => Value::Dynamic {
            ty,
            value: Box::new(unknown_as_null(*value)),
        },
        known => known,
    }
}

/// How long after an operation's timeout the runtime cancels it. Resource code that honours
/// the timeout itself reports it first, naming what it waited for and keeping what it
/// created; the runtime's cancellation is the backstop for code that does not.
const TIMEOUT_GRACE: Duration = Duration::from_secs(5);

impl<P: Provider> ProviderService<P> {
    /// An operation context whose token fires on StopProvider, or [`TIMEOUT_GRACE`] after
    /// `timeout` expires.
    pub(super) fn context<'a>(
        &self,
        data: &'a P::Data,
        timeout: Option<Duration>,
    ) -> OperationContext<'a, P::Data> {
        let cancel = self.stop.child_token();
        if let Some(limit) = timeout {
            let expiry = cancel.clone();
            tokio::spawn(async move {
                tokio::select! {
                    () = tokio::time::sleep(limit + TIMEOUT_GRACE) => expiry.cancel(),
                    () = expiry.cancelled() => {}
                }
            });
        }
        OperationContext {
            data,
            cancel,
            timeout,
        }
    }
}

pub(super) async fn validate<P: Provider>(
    service: &ProviderService<P>,
    type_name: &str,
    config: Option<&pb::DynamicValue>,
) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let entry = match service.resource(type_name) {
        Ok(entry) => entry,
        Err(diagnostic) => return diagnostic.into(),
    };
    match decode(config, &entry.ty, "resource configuration") {
        Ok(config) => {
            diagnostics.append(entry.schema.block.validate_config(&config));
            diagnostics.append(entry.resource.validate(&config).await);
        }
        Err(diagnostic) => diagnostics.push(diagnostic),
    }
    diagnostics
}

pub(super) async fn upgrade<P: Provider>(
    service: &ProviderService<P>,
    request: pb::upgrade_resource_state::Request,
) -> pb::upgrade_resource_state::Response {
    let respond = |state: Option<pb::DynamicValue>, diagnostics: &Diagnostics| {
        pb::upgrade_resource_state::Response {
            upgraded_state: state,
            diagnostics: diagnostics_to_proto(diagnostics),
        }
    };
    let entry = match service.resource(&request.type_name) {
        Ok(entry) => entry,
        Err(diagnostic) => return respond(None, &diagnostic.into()),
    };
    let Some(raw) = request.raw_state else {
        return respond(None, &Diagnostics::new());
    };
    if raw.json.is_empty() {
        let diagnostic = if raw.flatmap.is_empty() {
            return respond(None, &Diagnostics::new());
        } else {
            Diagnostic::error(
                "Unsupported state format",
                format!(
                    "The state of this {} was written by Terraform 0.11 or older (flatmap). \
                     Upgrade it with Terraform 0.12 first.",
                    request.type_name
                ),
            )
        };
        return respond(None, &diagnostic.into());
    }
    let current = entry.schema.version;
    let json_bytes = if request.version == current {
        raw.json
    } else if request.version > current {
        let diagnostic = Diagnostic::error(
            "State written by a newer provider",
            format!(
                "The state of this {} has schema version {}, but this provider only knows \
                 versions up to {current}. Use the provider version that wrote it.",
                request.type_name, request.version
            ),
        );
        return respond(None, &diagnostic.into());
    } else {
        let parsed: Json = match serde_json::from_slice(&raw.json) {
            Ok(parsed) => parsed,
            Err(error) => {
                let diagnostic = Diagnostic::error(
                    "Unreadable stored state",
                    format!("The stored state is not valid JSON: {error}"),
                );
                return respond(None, &diagnostic.into());
            }
        };
        match entry.resource.upgrade_state(request.version, parsed).await {
            Ok(upgraded) => upgraded.to_string().into_bytes(),
            Err(diagnostics) => return respond(None, &diagnostics),
        }
    };
    // Attributes removed from the schema are dropped; new ones come back null.
    match Value::from_json_ignoring_extra(&json_bytes, &entry.ty) {
        Ok(value) => match encode(&value, &entry.ty, "upgraded state") {
            Ok(encoded) => respond(Some(encoded), &Diagnostics::new()),
            Err(diagnostic) => respond(None, &diagnostic.into()),
        },
        Err(error) => {
            let diagnostic = Diagnostic::error(
                "Stored state does not match the schema",
                format!(
                    "Upgrading the stored state of {} failed: {error}",
                    request.type_name
                ),
            );
            respond(None, &diagnostic.into())
        }
    }
}

pub(super) async fn read<P: Provider>(
    service: &ProviderService<P>,
    request: pb::read_resource::Request,
) -> pb::read_resource::Response {
    let fail = |diagnostics: Diagnostics, state: Option<pb::DynamicValue>, private: Vec<u8>| {
        pb::read_resource::Response {
            new_state: state,
            diagnostics: diagnostics_to_proto(&diagnostics),
            private,
        }
    };
    let entry = match service.resource(&request.type_name) {
        Ok(entry) => entry,
        Err(diagnostic) => return fail(diagnostic.into(), request.current_state, request.private),
    };
    let prepared = (|| {
        let state = decode(request.current_state.as_ref(), &entry.ty, "current state")?;
        let private = PrivateState::from_bytes(&request.private)?;
        let data = service.configured()?;
        Ok::<_, Diagnostic>((state, private, data))
    })();
    let (state, private, data) = match prepared {
        Ok(prepared) => prepared,
        Err(diagnostic) => return fail(diagnostic.into(), request.current_state, request.private),
    };
    let ctx = service.context(&data, timeout_of(&state, TimeoutOp::Read));
    let mut response = ReadResponse {
        state: state.clone(),
        private: private.clone(),
        diagnostics: Diagnostics::new(),
    };
    entry
        .resource
        .read(&ctx, ReadRequest { state, private }, &mut response)
        .await;
    match encode(&response.state, &entry.ty, "refreshed state") {
        Ok(encoded) => pb::read_resource::Response {
            new_state: Some(encoded),
            diagnostics: diagnostics_to_proto(&response.diagnostics),
            private: response.private.to_bytes(),
        },
        Err(diagnostic) => {
            let mut diagnostics = response.diagnostics;
            diagnostics.push(diagnostic);
            fail(diagnostics, request.current_state, request.private)
        }
    }
}

pub(super) async fn plan<P: Provider>(
    service: &ProviderService<P>,
    request: pb::plan_resource_change::Request,
) -> pb::plan_resource_change::Response {
    let fail = |diagnostics: Diagnostics| pb::plan_resource_change::Response {
        planned_state: None,
        requires_replace: Vec::new(),
        planned_private: Vec::new(),
        diagnostics: diagnostics_to_proto(&diagnostics),
        legacy_type_system: false,
    };
    let entry = match service.resource(&request.type_name) {
        Ok(entry) => entry,
        Err(diagnostic) => return fail(diagnostic.into()),
    };
    let decoded = (|| {
        let prior = decode(request.prior_state.as_ref(), &entry.ty, "prior state")?;
        let proposed = decode(
            request.proposed_new_state.as_ref(),
            &entry.ty,
            "proposed new state",
        )?;
        let config = decode(request.config.as_ref(), &entry.ty, "configuration")?;
        let private = PrivateState::from_bytes(&request.prior_private)?;
        Ok::<_, Diagnostic>((prior, proposed, config, private))
    })();
    let (prior, proposed, config, private) = match decoded {
        Ok(decoded) => decoded,
        Err(diagnostic) => return fail(diagnostic.into()),
    };
    if proposed.is_null() {
        // A destroy plan (only sent when plan_destroy is advertised): nothing to decide.
        return pb::plan_resource_change::Response {
            planned_state: request.proposed_new_state,
            requires_replace: Vec::new(),
            planned_private: request.prior_private,
            diagnostics: Vec::new(),
            legacy_type_system: false,
        };
    }
    let engine = crate::plan::plan_resource_change(&entry.schema.block, &prior, &config, &proposed);
    let mut plan = ModifyPlan {
        config,
        prior,
        planned: engine.planned,
        requires_replace: engine.requires_replace,
        private,
        diagnostics: Diagnostics::new(),
    };
    if !plan.diagnostics.has_errors() {
        match service.configured() {
            Ok(data) => {
                let ctx = service.context(&data, None);
                entry.resource.modify_plan(&ctx, &mut plan).await;
            }
            Err(diagnostic) => plan.diagnostics.push(diagnostic),
        }
    }
    if plan.diagnostics.has_errors() {
        return fail(plan.diagnostics);
    }
    // Terraform's own plan rules, checked here so a provider bug names the attribute.
    let violations = crate::plan::check_plan(
        &entry.schema.block,
        &plan.prior,
        &plan.config,
        &plan.planned,
        &plan.requires_replace,
    );
    if !violations.is_empty() {
        let mut diagnostics = plan.diagnostics;
        diagnostics.extend(
            violations
                .iter()
                .map(|v| v.plan_diagnostic(&request.type_name)),
        );
        return fail(diagnostics);
    }
    match encode(&plan.planned, &entry.ty, "planned state") {
        Ok(encoded) => pb::plan_resource_change::Response {
            planned_state: Some(encoded),
            requires_replace: plan.requires_replace.iter().map(path_to_proto).collect(),
            planned_private: plan.private.to_bytes(),
            diagnostics: diagnostics_to_proto(&plan.diagnostics),
            legacy_type_system: false,
        },
        Err(diagnostic) => {
            let mut diagnostics = plan.diagnostics;
            diagnostics.push(diagnostic);
            fail(diagnostics)
        }
    }
}

pub(super) async fn apply<P: Provider>(
    service: &ProviderService<P>,
    request: pb::apply_resource_change::Request,
) -> pb::apply_resource_change::Response {
    let respond = |state: Option<pb::DynamicValue>, private: Vec<u8>, diagnostics: &Diagnostics| {
        pb::apply_resource_change::Response {
            new_state: state,
            private,
            diagnostics: diagnostics_to_proto(diagnostics),
            legacy_type_system: false,
        }
    };
    let entry = match service.resource(&request.type_name) {
        Ok(entry) => entry,
        Err(diagnostic) => return respond(request.prior_state, Vec::new(), &diagnostic.into()),
    };
    let decoded = (|| {
        let prior = decode(request.prior_state.as_ref(), &entry.ty, "prior state")?;
        let planned = decode(request.planned_state.as_ref(), &entry.ty, "planned state")?;
        let config = decode(request.config.as_ref(), &entry.ty, "configuration")?;
        let private = PrivateState::from_bytes(&request.planned_private)?;
        let data = service.configured()?;
        Ok::<_, Diagnostic>((prior, planned, config, private, data))
    })();
    let (prior, planned, config, private, data) = match decoded {
        Ok(decoded) => decoded,
        Err(diagnostic) => {
            return respond(
                request.prior_state,
                request.planned_private,
                &diagnostic.into(),
            )
        }
    };

    if planned.is_null() {
        let ctx = service.context(&data, timeout_of(&prior, TimeoutOp::Delete));
        let diagnostics = entry
            .resource
            .delete(&ctx, DeleteRequest { prior, private })
            .await;
        return if diagnostics.has_errors() {
            // The object may still exist: keep it in state.
            respond(request.prior_state, request.planned_private, &diagnostics)
        } else {
            let null = encode(&Value::Null, &entry.ty, "new state").ok();
            respond(null, Vec::new(), &diagnostics)
        };
    }

    let mut response = ApplyResponse {
        state: planned.clone(),
        private: private.clone(),
        diagnostics: Diagnostics::new(),
    };
    if prior.is_null() {
        let ctx = service.context(&data, timeout_of(&planned, TimeoutOp::Create));
        let create = CreateRequest {
            config,
            planned: planned.clone(),
            private,
        };
        entry.resource.create(&ctx, create, &mut response).await;
    } else {
        let ctx = service.context(&data, timeout_of(&planned, TimeoutOp::Update));
        let update = UpdateRequest {
            config,
            prior,
            planned: planned.clone(),
            private,
        };
        entry.resource.update(&ctx, update, &mut response).await;
    }

    let mut diagnostics = response.diagnostics;
    let state = if diagnostics.has_errors() {
        // Terraform stores what we return next to the errors; unknowns cannot be stored.
        unknown_as_null(response.state)
    } else {
        let violations = crate::plan::check_apply(&entry.schema.block, &planned, &response.state);
        diagnostics.extend(
            violations
                .iter()
                .map(|v| v.apply_diagnostic(&request.type_name)),
        );
        response.state
    };
    match encode(&state, &entry.ty, "new state") {
        Ok(encoded) => respond(Some(encoded), response.private.to_bytes(), &diagnostics),
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            respond(request.prior_state, request.planned_private, &diagnostics)
        }
    }
}

pub(super) async fn import<P: Provider>(
    service: &ProviderService<P>,
    request: pb::import_resource_state::Request,
) -> pb::import_resource_state::Response {
    let fail = |diagnostics: &Diagnostics| pb::import_resource_state::Response {
        imported_resources: Vec::new(),
        diagnostics: diagnostics_to_proto(diagnostics),
    };
    let entry = match service.resource(&request.type_name) {
        Ok(entry) => entry,
        Err(diagnostic) => return fail(&diagnostic.into()),
    };
    let data = match service.configured() {
        Ok(data) => data,
        Err(diagnostic) => return fail(&diagnostic.into()),
    };
    let ctx = service.context(&data, None);
    let mut response = ImportResponse::default();
    entry
        .resource
        .import(&ctx, &request.id, &mut response)
        .await;
    if response.diagnostics.has_errors() {
        return fail(&response.diagnostics);
    }
    match encode(&response.state, &entry.ty, "imported state") {
        Ok(state) => pb::import_resource_state::Response {
            imported_resources: vec![pb::import_resource_state::ImportedResource {
                type_name: request.type_name,
                state: Some(state),
                private: response.private.to_bytes(),
            }],
            diagnostics: diagnostics_to_proto(&response.diagnostics),
        },
        Err(diagnostic) => {
            let mut diagnostics = response.diagnostics;
            diagnostics.push(diagnostic);
            fail(&diagnostics)
        }
    }
}
