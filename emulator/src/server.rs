//! HTTP layer: version-agnostic routing of `/caas/2.N/…` and `/oec/0.9/…`, Basic auth, body limits,
//! fault injection, the request log and the emulator-only admin endpoints.

use crate::accounts::Account;
use crate::backing::addressing::Addressing;
use crate::backing::events::View;
use crate::backing::NodeBacking;
use crate::config::{Config, Switch};
use crate::envelope::{request_id, ApiError, Code, Reply};
use crate::faults::{Decision, Faults};
use crate::requestlog::{Entry, RequestLog};
use crate::resources::{self, Call, Ctx};
use crate::store::{Durability, Persister, World};
use crate::xml::{self, Format};
use crate::{clock, inventory};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use base64::Engine;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::Notify;

/// Signals the connection loop to close this request's connection without a response.
#[derive(Clone)]
pub struct ConnectionKill(pub Arc<Notify>);

/// Shared server state.
pub struct AppState {
    /// The emulated cloud.
    pub world: Mutex<World>,
    /// State file writer, when `--state` is given.
    pub persister: Option<Persister>,
    /// Group-commit bookkeeping for the state file.
    pub durability: Durability,
    /// Known accounts.
    pub accounts: Vec<Account>,
    /// Fault injector.
    pub faults: Faults,
    /// Request log.
    pub log: RequestLog,
    /// Lifecycle time scale.
    pub time_scale: f64,
    /// Public-IP ratio rule switch.
    pub public_ip_ratio: bool,
    /// Where public and IPv6 addresses come from.
    pub addressing: Addressing,
    /// Real machines behind the servers (`--node-backing`).
    pub backing: Option<Arc<NodeBacking>>,
}

impl AppState {
    /// Builds the state from the configuration, loading the state file if any.
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let persister = config.state.as_ref().map(Persister::new);
        let world = match &persister {
            Some(p) => p.load()?,
            None => World::default(),
        };
        Ok(AppState {
            world: Mutex::new(world),
            persister,
            durability: Durability::default(),
            accounts: config.effective_accounts()?,
            faults: Faults::new(config.faults.clone()),
            log: RequestLog::new(config.request_log_size),
            time_scale: config.time_scale,
            public_ip_ratio: config.public_ip_ratio == Switch::On,
            addressing: config.addressing()?,
            backing: None,
        })
    }

    /// Changes the world outside a request (node backing reporting back); `change` returns
    /// whether it changed anything. The change is on disk before this returns, like a write.
    pub fn change_world(&self, change: impl FnOnce(&mut World) -> bool) -> Result<(), ApiError> {
        let version = {
            let mut guard = self.world.lock().unwrap_or_else(|p| p.into_inner());
            if !change(&mut guard) {
                return Ok(());
            }
            guard.version += 1;
            guard.version
        };
        if let Some(p) = &self.persister {
            self.durability.check_healthy()?;
            self.durability.wait_durable(
                version,
                || {
                    let guard = self.world.lock().unwrap_or_else(|p| p.into_inner());
                    let bytes = serde_json::to_vec(&*guard);
                    (bytes, guard.version)
                },
                p,
            )?;
        }
        Ok(())
    }

    pub(crate) fn authenticate(&self, headers: &HeaderMap) -> Option<&Account> {
        let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let encoded = value
            .strip_prefix("Basic ")
            .or_else(|| value.strip_prefix("basic "))?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        self.accounts
            .iter()
            .find(|a| a.user == user && a.password == password)
    }

    /// Executes a routed call under the state lock. A successful write is on disk before this
    /// returns (group commit: writes that arrive while a save is running share the next save).
    pub fn execute(&self, call: &Call) -> Result<Reply, ApiError> {
        let persist = call.mutates() && self.persister.is_some();
        if persist {
            self.durability.check_healthy()?;
        }
        let (result, version) = {
            let mut guard = self.world.lock().unwrap_or_else(|p| p.into_inner());
            let world = &mut *guard;
            let org = world.orgs.entry(call.org_id.clone()).or_default();
            org.advance(call.now_ms);
            let before = match (&self.backing, call.post) {
                (Some(_), true) => Some(View::of(org)),
                _ => None,
            };
            let result = {
                let mut ctx = Ctx {
                    org: &mut *org,
                    counters: &mut world.counters,
                    call,
                    addressing: &self.addressing,
                };
                resources::dispatch(&mut ctx)
            };
            if let (Some(backing), Some(before), Ok(_)) = (&self.backing, &before, &result) {
                backing.after_write(before, org, &call.body);
            }
            let result = result.map_err(|e| {
                if e.code == Code::ResourceNotFound {
                    if let Some(owner) = foreign_owner(world, call) {
                        return ApiError::new(
                            Code::AuthorizationFailure,
                            format!("The asset belongs to another organization ({owner}); access is refused."),
                        );
                    }
                }
                e
            });
            if persist && result.is_ok() {
                world.version += 1;
            }
            (result, world.version)
        };
        if let (Ok(_), true, Some(p)) = (&result, persist, &self.persister) {
            self.durability.wait_durable(
                version,
                || {
                    let guard = self.world.lock().unwrap_or_else(|p| p.into_inner());
                    let bytes = serde_json::to_vec(&*guard);
                    (bytes, guard.version)
                },
                p,
            )?;
        }
        result
    }
}

/// The other organisation owning an id named by the call (path id or any UUID in the body).
fn foreign_owner(world: &World, call: &Call) -> Option<String> {
    let mut ids: Vec<String> = call.id.iter().cloned().collect();
    match call.body_format {
        Format::Json => {
            if let Ok(body) = serde_json::from_slice::<Value>(&call.body) {
                collect_strings(&body, &mut ids);
            }
        }
        Format::Xml => ids.extend(xml::strings(&call.body)),
    }
    ids.iter()
        .filter(|id| uuid::Uuid::parse_str(id).is_ok())
        .find_map(|id| {
            world
                .owner_of(id)
                .filter(|o| *o != call.org_id)
                .map(str::to_string)
        })
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

/// Where a request path leads.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    /// `GET /oec/0.9/myaccount`.
    MyAccount,
    /// `/oec/0.9/{org}/server/{id}/backup[/modify]` (v1 Cloud Backup).
    Backup {
        /// Organisation id.
        org: String,
        /// Server id.
        server: String,
        /// `backup` or `modify`.
        op: String,
    },
    /// `/oec/0.9/{org}/networkWithLocation[/{location}]` and `/oec/0.9/{org}/network/{id}` (v1
    /// MCP 1.0 networks).
    V1Network {
        /// Organisation id.
        org: String,
        /// `networkWithLocation` or `network`.
        collection: String,
        /// The location of a list, or the network of a delete or rename.
        id: Option<String>,
    },
    /// `GET /caas/2.N/user/myUser`.
    MyUser,
    /// `/caas/2.N/{org}/{area}/{op}[/{id}]`.
    Caas {
        /// Minor version.
        minor: u32,
        /// Organisation id.
        org: String,
        /// Area.
        area: String,
        /// Operation or collection.
        op: String,
        /// Asset id.
        id: Option<String>,
    },
}

impl Route {
    /// The operation or collection the request names (`deployServer`, `server`, `myUser`), as
    /// the fault filter matches it.
    pub fn operation(&self) -> &str {
        match self {
            Route::MyAccount => "myaccount",
            Route::Backup { op, .. } => op,
            Route::V1Network { collection, .. } => collection,
            Route::MyUser => "myUser",
            Route::Caas { op, .. } => op,
        }
    }
}

/// Parses a request path; `None` for paths that are not part of the API.
pub fn parse_route(path: &str) -> Option<Route> {
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    match segs.as_slice() {
        ["oec", "0.9", "myaccount"] => Some(Route::MyAccount),
        ["oec", "0.9", org, "server", id, "backup"] => Some(Route::Backup {
            org: org.to_string(),
            server: id.to_string(),
            op: "backup".into(),
        }),
        ["oec", "0.9", org, "server", id, "backup", "modify"] => Some(Route::Backup {
            org: org.to_string(),
            server: id.to_string(),
            op: "modify".into(),
        }),
        ["oec", "0.9", org, collection @ ("networkWithLocation" | "network"), rest @ ..]
            if rest.len() <= 1 && (*collection == "networkWithLocation" || rest.len() == 1) =>
        {
            Some(Route::V1Network {
                org: org.to_string(),
                collection: collection.to_string(),
                id: rest.first().map(|i| i.to_string()),
            })
        }
        ["caas", version, rest @ ..] => {
            let minor = version.strip_prefix("2.")?.parse::<u32>().ok()?;
            match rest {
                ["user", "myUser"] => Some(Route::MyUser),
                [org, area, op] => Some(Route::Caas {
                    minor,
                    org: org.to_string(),
                    area: area.to_string(),
                    op: op.to_string(),
                    id: None,
                }),
                [org, area, op, id] => Some(Route::Caas {
                    minor,
                    org: org.to_string(),
                    area: area.to_string(),
                    op: op.to_string(),
                    id: Some(id.to_string()),
                }),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Parses a query string into ordered pairs.
pub fn parse_query(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn region_hint(call_dc: &str) -> &str {
    if call_dc.is_empty() {
        "na9"
    } else {
        call_dc
    }
}

pub(crate) fn json_response(status: StatusCode, body: Value, code: &str) -> Response {
    let mut r = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_string(),
    )
        .into_response();
    r.extensions_mut().insert(LoggedCode(code.to_string()));
    r
}

fn xml_response(status: StatusCode, body: String, code: &str) -> Response {
    let mut r = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(Format::Xml.content_type()),
        )],
        body,
    )
        .into_response();
    r.extensions_mut().insert(LoggedCode(code.to_string()));
    r
}

fn error_response(e: &ApiError, now_ms: u64, format: Format) -> Response {
    answer(
        format,
        e.status,
        &e.body(&request_id(region_hint(""), now_ms)),
        ("response", ""),
        e.code.as_str(),
    )
}

/// A document or envelope in the format the client asked for; `roots` names the XML root of a
/// single document and of a paged list.
fn answer(
    format: Format,
    status: StatusCode,
    body: &Value,
    roots: (&str, &str),
    code: &str,
) -> Response {
    match format {
        Format::Json => json_response(status, body.clone(), code),
        Format::Xml => xml_response(status, xml::write(body, roots.0, roots.1), code),
    }
}

/// The `responseCode` of a response, for the request log.
#[derive(Clone)]
struct LoggedCode(String);

/// Builds the router.
pub fn router(state: Arc<AppState>, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/_emulator/inventory/{org_id}", get(inventory_handler))
        .route("/_emulator/requests", get(requests_handler))
        .route("/_emulator/backing", get(backing_handler))
        .route("/_emulator/ftps/{datacenter_id}", get(crate::ftps::list))
        .route(
            "/_emulator/ftps/{datacenter_id}/{file_name}",
            axum::routing::put(crate::ftps::upload).delete(crate::ftps::remove),
        )
        .fallback(api)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}

async fn inventory_handler(
    State(st): State<Arc<AppState>>,
    Path(org_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let now = clock::now_ms();
    if st.authenticate(&headers).is_none() {
        return unauthorized(now, Format::Json);
    }
    let mut guard = st.world.lock().unwrap_or_else(|p| p.into_inner());
    let body = match guard.orgs.get_mut(&org_id) {
        Some(org) => {
            org.advance(now);
            inventory::inventory(&org_id, org)
        }
        None => inventory::inventory(&org_id, &Default::default()),
    };
    json_response(StatusCode::OK, body, "-")
}

#[derive(serde::Deserialize)]
struct SinceQuery {
    #[serde(default)]
    since: u64,
}

async fn requests_handler(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<SinceQuery>,
) -> Response {
    let now = clock::now_ms();
    if st.authenticate(&headers).is_none() {
        return unauthorized(now, Format::Json);
    }
    let since = q.since;
    json_response(StatusCode::OK, json!({"request": st.log.since(since)}), "-")
}

/// `GET /_emulator/backing[?since=SEQ]`: the node backing's events, oldest first, with their
/// state (queued, running, succeeded, failed, superseded) and a failure's reason.
async fn backing_handler(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<SinceQuery>,
) -> Response {
    let now = clock::now_ms();
    if st.authenticate(&headers).is_none() {
        return unauthorized(now, Format::Json);
    }
    let events = st
        .backing
        .as_ref()
        .map(|b| b.records_since(q.since))
        .unwrap_or_default();
    json_response(
        StatusCode::OK,
        json!({"nodeBacking": st.backing.is_some(), "event": events}),
        "-",
    )
}

pub(crate) fn unauthorized(now_ms: u64, format: Format) -> Response {
    let e = ApiError::new(Code::AuthorizationFailure, "Invalid credentials.")
        .with_status(StatusCode::UNAUTHORIZED);
    let mut r = error_response(&e, now_ms, format);
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"CloudControl\""),
    );
    r
}

async fn api(
    State(st): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    kill: Option<Extension<ConnectionKill>>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let started = Instant::now();
    let now_ms = clock::now_ms();
    let path = uri.path().to_string();
    let decision = match parse_route(&path) {
        Some(route) => st.faults.decide(route.operation(), method == Method::POST),
        None => Decision::default(),
    };
    if decision.drop {
        if let Some(Extension(k)) = &kill {
            st.log
                .push(entry(&method, &path, now_ms, 0, "DROPPED", started));
            k.0.notify_one();
            std::future::pending::<()>().await;
        }
    }
    if decision.delay_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(decision.delay_ms)).await;
    }
    let lost = decision.lost_response;
    let response = respond(&st, &method, &uri, &headers, body, decision, now_ms).await;
    let code = response
        .extensions()
        .get::<LoggedCode>()
        .map(|c| c.0.clone())
        .unwrap_or_else(|| "-".into());
    if lost {
        if let Some(Extension(k)) = &kill {
            // The request took effect (and is on disk with --state); only its answer is lost.
            st.log.push(entry(
                &method,
                &path,
                now_ms,
                0,
                &format!("LOST_RESPONSE:{code}"),
                started,
            ));
            k.0.notify_one();
            std::future::pending::<()>().await;
        }
    }
    st.log.push(entry(
        &method,
        &path,
        now_ms,
        response.status().as_u16(),
        &code,
        started,
    ));
    response
}

fn entry(
    method: &Method,
    path: &str,
    now_ms: u64,
    status: u16,
    code: &str,
    started: Instant,
) -> Entry {
    Entry {
        seq: 0,
        time: clock::iso8601(now_ms),
        method: method.to_string(),
        path: path.to_string(),
        status,
        response_code: code.to_string(),
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
    }
}

async fn respond(
    st: &Arc<AppState>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
    decision: Decision,
    now_ms: u64,
) -> Response {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let body_format = Format::of_body(header(header::CONTENT_TYPE));
    let format = Format::of_answer(header(header::ACCEPT), header(header::CONTENT_TYPE));
    let Some(route) = parse_route(uri.path()) else {
        let e = ApiError::new(
            Code::OperationNotSupported,
            format!(
                "{} is not a CloudControl API path (expected /caas/2.N/{{orgId}}/… or /oec/0.9/…)",
                uri.path()
            ),
        )
        .with_status(StatusCode::NOT_FOUND);
        return error_response(&e, now_ms, format);
    };
    if decision.http_5xx {
        let e = ApiError::new(
            Code::UnexpectedError,
            "Injected fault: internal server error.",
        )
        .with_status(StatusCode::INTERNAL_SERVER_ERROR);
        return error_response(&e, now_ms, format);
    }
    let Some(account) = st.authenticate(headers).cloned() else {
        return unauthorized(now_ms, format);
    };
    if *method != Method::GET && *method != Method::POST {
        let e = ApiError::new(
            Code::OperationNotSupported,
            format!("method {method} is not supported; use GET or POST"),
        )
        .with_status(StatusCode::METHOD_NOT_ALLOWED);
        return error_response(&e, now_ms, format);
    }
    let post = *method == Method::POST;
    let (minor, org, area, op, id) = match route {
        Route::MyAccount => {
            return xml_response(
                StatusCode::OK,
                resources::account::my_account_xml(&account),
                "-",
            )
        }
        Route::MyUser => {
            return answer(
                format,
                StatusCode::OK,
                &resources::account::my_user(&account),
                ("user", "users"),
                "-",
            )
        }
        Route::Backup { org, server, op } => {
            if org != account.org_id {
                return forbidden(&org, now_ms, format);
            }
            let query = parse_query(uri.query());
            let disable = query.iter().any(|(k, _)| k == "disable");
            let Some(backup_op) = resources::backup::Op::of(post, &op, disable) else {
                let e = ApiError::new(
                    Code::OperationNotSupported,
                    format!(
                        "{method} {} is not an operation of the v1 backup API",
                        uri.path()
                    ),
                )
                .with_status(StatusCode::NOT_FOUND);
                return error_response(&e, now_ms, format);
            };
            let call = Call {
                area: resources::backup::AREA.into(),
                op,
                id: Some(server),
                query,
                body: body.map(|b| b.to_vec()).unwrap_or_default(),
                ..v1_call(st, &account, post, now_ms)
            };
            let result = run_v1(st, call, "backup").await;
            let (status, code) = match &result {
                Ok(_) => (StatusCode::OK, "REASON_0"),
                Err(e) => (StatusCode::BAD_REQUEST, resources::backup::result_code(e)),
            };
            return xml_response(status, resources::backup::v1_xml(backup_op, &result), code);
        }
        Route::V1Network {
            org,
            collection,
            id,
        } => {
            if org != account.org_id {
                return forbidden(&org, now_ms, format);
            }
            let query = parse_query(uri.query());
            let delete = query.iter().any(|(k, _)| k == "delete");
            let Some(op) = resources::mcp1_network::Op::of(post, &collection, id.is_some(), delete)
            else {
                // The v1 API answers in XML only.
                let message = format!(
                    "{method} {} is not an operation of the v1 network API",
                    uri.path()
                );
                return xml_response(
                    StatusCode::NOT_FOUND,
                    resources::backup::status_xml("Network", "ERROR", &message, "REASON_1"),
                    "REASON_1",
                );
            };
            let call = Call {
                area: resources::mcp1_network::AREA.into(),
                op: collection,
                id,
                query,
                body: body.map(|b| b.to_vec()).unwrap_or_default(),
                ..v1_call(st, &account, post, now_ms)
            };
            let result = run_v1(st, call, "network").await;
            let (status, code) = match &result {
                Ok(_) => (StatusCode::OK, "REASON_0"),
                Err(e) => (e.status, resources::mcp1_network::result_code(e)),
            };
            return xml_response(status, resources::mcp1_network::v1_xml(op, &result), code);
        }
        Route::Caas {
            minor,
            org,
            area,
            op,
            id,
        } => (minor, org, area, op, id),
    };
    if org != account.org_id {
        return forbidden(&org, now_ms, format);
    }
    let body = match body {
        Ok(b) => b,
        Err(rejection) => {
            let status = rejection.status();
            let e = ApiError::invalid(
                "body",
                format!("request body rejected: {}", rejection.body_text()),
            )
            .with_status(status);
            return error_response(&e, now_ms, format);
        }
    };
    if decision.busy {
        return error_response(
            &ApiError::new(
                Code::ResourceBusy,
                "Injected fault: the resource is busy. Please try again later.",
            ),
            now_ms,
            format,
        );
    }
    if decision.unexpected {
        return error_response(
            &ApiError::new(
                Code::UnexpectedError,
                "Injected fault: an unexpected error occurred.",
            ),
            now_ms,
            format,
        );
    }
    let call = Call {
        post,
        minor,
        area,
        op,
        id,
        query: parse_query(uri.query()),
        body: body.to_vec(),
        body_format,
        user: account.user.clone(),
        org_id: account.org_id.clone(),
        now_ms,
        time_scale: st.time_scale,
        failed_add: decision.failed_add,
        public_ip_ratio: st.public_ip_ratio,
    };
    let st2 = Arc::clone(st);
    let outcome = tokio::task::spawn_blocking(move || {
        let r = st2.execute(&call);
        (r, call)
    })
    .await;
    if let (Some(backing), true) = (&st.backing, post) {
        // a synchronous operation (NAT, firewall) answers once the machines follow it
        backing.settle().await;
    }
    match outcome {
        Ok((Ok(Reply::Document(doc)), call)) => {
            let list_root = xml::list_root(&call.op);
            let root =
                resources::consistency_group::xml_root(&call.area, &call.op).unwrap_or(&call.op);
            answer(format, StatusCode::OK, &doc, (root, &list_root), "-")
        }
        Ok((Ok(Reply::Action(a)), _)) => answer(
            format,
            StatusCode::OK,
            &a.body(&request_id(region_hint(""), now_ms)),
            ("response", ""),
            a.code.as_str(),
        ),
        Ok((Err(e), call)) => {
            error_response(&e.in_operation(&operation_name(&call)), now_ms, format)
        }
        Err(join) => {
            tracing::error!(error = %join, "request handler failed");
            let e = ApiError::new(
                Code::UnexpectedError,
                "internal error while handling the request",
            )
            .with_status(StatusCode::INTERNAL_SERVER_ERROR);
            error_response(&e, now_ms, format)
        }
    }
}

/// A v1 call (backup, MCP 1.0 network) of `account`, without its area, operation, id, query
/// and body: v1 calls have no API version, always carry XML and never fail an add by injection.
fn v1_call(st: &AppState, account: &Account, post: bool, now_ms: u64) -> Call {
    Call {
        post,
        minor: 0,
        area: String::new(),
        op: String::new(),
        id: None,
        query: Vec::new(),
        body: Vec::new(),
        body_format: Format::Xml,
        user: account.user.clone(),
        org_id: account.org_id.clone(),
        now_ms,
        time_scale: st.time_scale,
        failed_add: false,
        public_ip_ratio: st.public_ip_ratio,
    }
}

/// Runs a v1 call off the async workers (it may write the state file); a handler that panicked
/// answers UNEXPECTED_ERROR, logged under `api` (`backup`, `network`).
async fn run_v1(st: &Arc<AppState>, call: Call, api: &str) -> Result<Reply, ApiError> {
    let st2 = Arc::clone(st);
    tokio::task::spawn_blocking(move || st2.execute(&call))
        .await
        .unwrap_or_else(|join| {
            tracing::error!(error = %join, "{api} handler failed");
            Err(ApiError::new(Code::UnexpectedError, "internal error"))
        })
}

fn forbidden(org: &str, now_ms: u64, format: Format) -> Response {
    let e = ApiError::new(Code::AuthorizationFailure, format!("orgId: organization {org} is not the organization of the authenticated user; access is refused."))
        .with_status(StatusCode::FORBIDDEN);
    error_response(&e, now_ms, format)
}

/// An operation name for error envelopes: `deployVlan` → `DEPLOY_VLAN`, `GET vlan` → `GET_VLAN`.
fn operation_name(call: &Call) -> String {
    let mut out = String::new();
    if !call.post {
        out.push_str("GET_");
    }
    for (i, c) in call.op.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// Routes and executes one request without HTTP or authentication (as the `demo` org) and returns
/// the HTTP status and body. Used by the fuzz target and the parser robustness test.
pub fn process(state: &AppState, post: bool, path_and_query: &str, body: &[u8]) -> (u16, String) {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    let Some(Route::Caas {
        minor,
        area,
        op,
        id,
        ..
    }) = parse_route(path)
    else {
        return (404, String::new());
    };
    let account = state
        .accounts
        .first()
        .cloned()
        .unwrap_or_else(Account::demo);
    let call = Call {
        post,
        minor,
        area,
        op,
        id,
        query: parse_query(query),
        body: body.to_vec(),
        body_format: Format::Json,
        user: account.user,
        org_id: account.org_id,
        now_ms: clock::now_ms(),
        time_scale: state.time_scale,
        failed_add: false,
        public_ip_ratio: state.public_ip_ratio,
    };
    match state.execute(&call) {
        Ok(Reply::Document(d)) => (200, d.to_string()),
        Ok(Reply::Action(a)) => (200, a.body("fuzz").to_string()),
        Err(e) => (e.status.as_u16(), e.body("fuzz").to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(parse_route("/oec/0.9/myaccount"), Some(Route::MyAccount));
        assert_eq!(parse_route("/caas/2.13/user/myUser"), Some(Route::MyUser));
        assert!(matches!(
            parse_route("/oec/0.9/org/server/s/backup/modify"),
            Some(Route::Backup { op, .. }) if op == "modify"
        ));
        assert!(matches!(
            parse_route("/caas/2.4/org/network/vlan/abc"),
            Some(Route::Caas {
                minor: 4,
                id: Some(_),
                ..
            })
        ));
        assert!(matches!(
            parse_route("/oec/0.9/org/networkWithLocation/NA1"),
            Some(Route::V1Network { id: Some(l), .. }) if l == "NA1"
        ));
        assert!(matches!(
            parse_route("/oec/0.9/org/network/n1"),
            Some(Route::V1Network { collection, .. }) if collection == "network"
        ));
        assert_eq!(parse_route("/oec/0.9/org/network"), None);
        assert_eq!(parse_route("/oec/0.9/org/network/n1/natrule"), None);
        assert_eq!(parse_route("/caas/3.1/org/network/vlan"), None);
        assert_eq!(parse_route("/caas/2.x/org/network/vlan"), None);
        assert_eq!(parse_route("/nothing"), None);
    }

    /// Random and mutated bodies against every POST operation: never a panic, always an envelope.
    #[test]
    fn parsers_survive_garbage() {
        use rand::{rngs::StdRng, Rng, SeedableRng};
        let state = AppState::new(&Config::for_tests()).unwrap();
        let ops = [
            "network/deployNetworkDomain",
            "network/editNetworkDomain",
            "network/deleteNetworkDomain",
            "network/deployVlan",
            "network/expandVlan",
            "network/deleteVlan",
            "server/deployServer",
            "server/deployUncustomizedServer",
            "server/addDisk",
            "server/expandDisk",
            "server/addNic",
            "server/notifyNicIpChange",
            "server/reconfigureServer",
            "network/createFirewallRule",
            "network/createNatRule",
            "network/addPublicIpBlock",
            "tag/applyTags",
            "tag/createTagKey",
            "consistencyGroup/createConsistencyGroup",
            "consistencyGroup/startPreviewSnapshot",
        ];
        let seeds: [&[u8]; 6] = [
            b"{\"id\":\"11111111-2222-4333-8444-555555555555\"}",
            b"{\"name\":\"x\",\"datacenterId\":\"NA9\"}",
            b"{\"networkInfo\":{\"primaryNic\":{\"vlanId\":null}}}",
            b"[1,2,3]",
            b"null",
            b"{\"privateIpv4PrefixSize\":300}",
        ];
        let mut rng = StdRng::seed_from_u64(1);
        for i in 0..3000 {
            let op = ops[i % ops.len()];
            let mut body = seeds[rng.random_range(0..seeds.len())].to_vec();
            for _ in 0..rng.random_range(0..4) {
                if body.is_empty() {
                    break;
                }
                let at = rng.random_range(0..body.len());
                body[at] = rng.random();
            }
            let (status, text) = process(&state, true, &format!("/caas/2.9/o/{op}"), &body);
            assert!(
                status == 200 || status == 400 || status == 404,
                "{op}: status {status}"
            );
            let v: Value = serde_json::from_str(&text).expect("an envelope");
            assert!(v.get("responseCode").is_some());
        }
        let (status, _) = process(
            &state,
            false,
            "/caas/2.9/o/network/vlan?pageSize=%ff%fe&name=%00",
            b"",
        );
        assert!(status == 200 || status == 400);
    }

    fn call(post: bool, path: &str, body: Value, failed_add: bool) -> Call {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let (area, rest) = path.split_once('/').unwrap();
        let (op, id) = match rest.split_once('/') {
            Some((op, id)) => (op.to_string(), Some(id.to_string())),
            None => (rest.to_string(), None),
        };
        Call {
            post,
            minor: 9,
            area: area.into(),
            op,
            id,
            query: parse_query(Some(query)),
            body: body.to_string().into_bytes(),
            body_format: Format::Json,
            user: "demo".into(),
            org_id: "org".into(),
            now_ms: clock::now_ms(),
            time_scale: 0.0,
            failed_add,
            public_ip_ratio: true,
        }
    }

    fn info(reply: Reply) -> String {
        match reply {
            Reply::Action(a) => a.info[0].1.clone(),
            Reply::Document(d) => panic!("expected an action, got {d}"),
        }
    }

    fn doc(reply: Reply) -> Value {
        match reply {
            Reply::Document(d) => d,
            Reply::Action(a) => panic!("expected a document, got {:?}", a.operation),
        }
    }

    /// A server whose deployment fails ends FAILED_ADD, refuses other operations and can be cleaned.
    #[test]
    fn failed_server_deployments_are_cleaned() {
        let st = AppState::new(&Config::for_tests()).unwrap();
        let nd = info(
            st.execute(&call(
                true,
                "network/deployNetworkDomain",
                json!({"name": "n", "datacenterId": "NA9"}),
                false,
            ))
            .unwrap(),
        );
        let vlan = info(st.execute(&call(true, "network/deployVlan", json!({"networkDomainId": nd, "name": "v",
            "privateIpv4NetworkAddress": "10.0.0.0", "privateIpv4PrefixSize": 24, "attachedVlan": {"gatewayAddressing": "LOW"}}), false)).unwrap());
        let image = crate::catalog::all_images().next().unwrap().id();
        let server = info(st.execute(&call(true, "server/deployServer", json!({"name": "s", "imageId": image, "start": true,
            "administratorPassword": "Passw0rd!", "networkInfo": {"networkDomainId": nd, "primaryNic": {"vlanId": vlan}}}), true)).unwrap());
        let v = doc(st
            .execute(&call(
                false,
                &format!("server/server/{server}"),
                json!(null),
                false,
            ))
            .unwrap());
        assert_eq!(v["state"], "FAILED_ADD");
        assert_eq!(v["deployed"], false);
        let e = st
            .execute(&call(
                true,
                "server/startServer",
                json!({"id": server}),
                false,
            ))
            .unwrap_err();
        assert_eq!(e.code, Code::OperationNotSupported);
        let cleaned = st.execute(&call(
            true,
            "server/cleanServer",
            json!({"id": server}),
            false,
        ));
        assert!(
            matches!(cleaned, Ok(Reply::Action(ref a)) if a.operation == "CLEAN_SERVER"),
            "{cleaned:?}"
        );
        let e = st
            .execute(&call(
                false,
                &format!("server/server/{server}"),
                json!(null),
                false,
            ))
            .unwrap_err();
        assert_eq!(e.code, Code::ResourceNotFound);
    }

    #[test]
    fn operation_names() {
        let call = Call {
            post: true,
            minor: 9,
            area: "network".into(),
            op: "deployVlan".into(),
            id: None,
            query: vec![],
            body: vec![],
            body_format: Format::Json,
            user: "u".into(),
            org_id: "o".into(),
            now_ms: 0,
            time_scale: 0.0,
            failed_add: false,
            public_ip_ratio: true,
        };
        assert_eq!(operation_name(&call), "DEPLOY_VLAN");
    }
}
