//! The HTTP client: configuration, authentication, orgId discovery, requests,
//! error mapping, `RESOURCE_BUSY` retries and request logs.

use crate::endpoint::Endpoint;
use crate::envelope::{response_codes, ApiResponse};
use crate::error::{ApiError, Error, Result};
use crate::org_lock::{self, OrgGuard};
use crate::paging::{self, Page, MAX_PAGE_SIZE};
use crate::schedule::{BackoffPolicy, Jitter, PollSchedule, RandomJitter};
use crate::secret::Secret;
use crate::wait::{Deadline, Poll};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// The CaaS API version this client speaks (the minor is a path segment).
pub const API_VERSION: &str = "2.10";

/// Configures and builds a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    endpoint: Endpoint,
    username: String,
    password: Secret,
    poll: PollSchedule,
    busy: BackoffPolicy,
    jitter: Arc<dyn Jitter>,
    request_timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    page_size: u32,
}

impl ClientBuilder {
    /// Sets the page size of list requests (1 to 250, default 250; smaller pages
    /// only make sense for tests).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size.clamp(1, MAX_PAGE_SIZE);
        self
    }

    /// Sets how asynchronous operations are polled.
    pub fn poll_schedule(mut self, schedule: PollSchedule) -> Self {
        self.poll = schedule;
        self
    }

    /// Sets how `RESOURCE_BUSY` answers are retried.
    pub fn busy_backoff(mut self, policy: BackoffPolicy) -> Self {
        self.busy = policy;
        self
    }

    /// Sets the jitter source (inject a [`crate::SeededJitter`] for reproducible runs).
    pub fn jitter(mut self, jitter: Arc<dyn Jitter>) -> Self {
        self.jitter = jitter;
        self
    }

    /// Sets the timeout of each HTTP request (default 60 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets the User-Agent header (for example the provider's name and version).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Builds the client. No request is made until the first call.
    pub fn build(self) -> Result<Client> {
        let http = reqwest::Client::builder()
            .user_agent(self.user_agent)
            .timeout(self.request_timeout)
            .connect_timeout(self.connect_timeout)
            // Never follow redirects: credentials go only where they were configured to go.
            .redirect(reqwest::redirect::Policy::none())
            .use_preconfigured_tls(crate::tls::client_config().map_err(Error::TlsSetup)?)
            .build()
            .map_err(Error::ClientSetup)?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                endpoint: self.endpoint,
                username: self.username,
                password: self.password,
                org_id: OnceCell::new(),
                poll: self.poll,
                busy: self.busy,
                jitter: self.jitter,
                page_size: self.page_size,
            }),
        })
    }
}

/// A CloudControl API client. Cheap to clone; clones share connections and the
/// discovered organisation id.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    endpoint: Endpoint,
    username: String,
    password: Secret,
    org_id: OnceCell<String>,
    poll: PollSchedule,
    busy: BackoffPolicy,
    jitter: Arc<dyn Jitter>,
    page_size: u32,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint.base_url().as_str())
            .field("username", &self.inner.username)
            .field("password", &self.inner.password)
            .field("org_id", &self.inner.org_id.get())
            .finish()
    }
}

/// A response body with its HTTP status.
struct Answer {
    status: StatusCode,
    body: Vec<u8>,
}

impl Client {
    /// Starts configuring a client for `endpoint` with HTTP Basic credentials.
    pub fn builder(
        endpoint: Endpoint,
        username: impl Into<String>,
        password: Secret,
    ) -> ClientBuilder {
        ClientBuilder {
            endpoint,
            username: username.into(),
            password,
            poll: PollSchedule::default(),
            busy: BackoffPolicy::default(),
            jitter: Arc::new(RandomJitter),
            request_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(15),
            user_agent: format!("cloudcontrol-rs/{}", env!("CARGO_PKG_VERSION")),
            page_size: MAX_PAGE_SIZE,
        }
    }

    /// The endpoint this client talks to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The user name this client authenticates as.
    pub fn username(&self) -> &str {
        &self.inner.username
    }

    /// The organisation id, discovered with `GET /caas/2.N/user/myUser` on first
    /// use and cached for the client's lifetime.
    pub async fn org_id(&self) -> Result<String> {
        let id = self
            .inner
            .org_id
            .get_or_try_init(|| async { Ok::<_, Error>(self.my_user().await?.organization.id) })
            .await?;
        Ok(id.clone())
    }

    pub(crate) fn poll<'a>(
        &'a self,
        deadline: &'a Deadline,
        operation: &'a str,
        kind: &'static str,
        id: &'a str,
    ) -> Poll<'a> {
        Poll {
            schedule: &self.inner.poll,
            jitter: self.inner.jitter.as_ref(),
            deadline,
            operation,
            kind,
            id,
        }
    }

    /// Takes the organisation's network-domain/VLAN lock (see [`crate::org_lock`]).
    pub(crate) async fn org_lock(&self, deadline: &Deadline, operation: &str) -> Result<OrgGuard> {
        let org_id = self.org_id().await?;
        let lock = org_lock::lock_for(self.inner.endpoint.base_url().as_str(), &org_id);
        if let Ok(guard) = lock.clone().try_lock_owned() {
            return Ok(guard);
        }
        tracing::debug!(
            operation,
            "waiting for the organisation's network domain/VLAN lock"
        );
        deadline.acquire(operation, lock.lock_owned()).await
    }

    /// Takes a process-wide lock named `name` within the organisation, for operations that
    /// must not overlap (see [`crate::org_lock`]).
    pub(crate) async fn named_lock(
        &self,
        deadline: &Deadline,
        operation: &str,
        name: &str,
    ) -> Result<OrgGuard> {
        let org_id = self.org_id().await?;
        let lock = org_lock::lock_for(
            self.inner.endpoint.base_url().as_str(),
            &format!("{org_id}\u{0}{name}"),
        );
        deadline.acquire(operation, lock.lock_owned()).await
    }

    /// `GET /caas/{version}/{segments...}` without the organisation prefix.
    pub(crate) async fn get_unscoped<T: DeserializeOwned>(
        &self,
        operation: &str,
        segments: &[&str],
    ) -> Result<T> {
        let mut path = vec!["caas", API_VERSION];
        path.extend_from_slice(segments);
        let url = self.inner.endpoint.join(path);
        let answer = self.get(operation, url).await?;
        if answer.status != StatusCode::OK {
            return Err(self.failure(operation, answer));
        }
        decode(operation, &answer)
    }

    async fn org_url(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<Url> {
        let org_id = self.org_id().await?;
        let mut path = vec!["caas", API_VERSION, org_id.as_str()];
        path.extend_from_slice(segments);
        let mut url = self.inner.endpoint.join(path);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// GETs one organisation-scoped object; `None` when the API says
    /// `RESOURCE_NOT_FOUND` (HTTP 400 or 404).
    pub(crate) async fn get_one<T: DeserializeOwned>(
        &self,
        operation: &str,
        segments: &[&str],
    ) -> Result<Option<T>> {
        let url = self.org_url(segments, &[]).await?;
        let answer = self.get(operation, url).await?;
        if answer.status == StatusCode::OK {
            return decode(operation, &answer).map(Some);
        }
        if is_not_found(&answer) {
            return Ok(None);
        }
        Err(self.failure(operation, answer))
    }

    /// GETs every page of an organisation-scoped list whose items are under `key`.
    pub(crate) async fn list_all<T: DeserializeOwned>(
        &self,
        operation: &str,
        segments: &[&str],
        filters: &[(&str, &str)],
        key: &str,
    ) -> Result<Vec<T>> {
        paging::collect_all(operation, |page_number| async move {
            self.get_page(operation, segments, filters, key, page_number)
                .await
        })
        .await
    }

    async fn get_page<T: DeserializeOwned>(
        &self,
        operation: &str,
        segments: &[&str],
        filters: &[(&str, &str)],
        key: &str,
        page_number: u32,
    ) -> Result<Page<T>> {
        let page_number = page_number.to_string();
        let page_size = self.inner.page_size.to_string();
        let mut query: Vec<(&str, &str)> = filters.to_vec();
        query.push(("pageNumber", &page_number));
        query.push(("pageSize", &page_size));
        let url = self.org_url(segments, &query).await?;
        let answer = self.get(operation, url).await?;
        if answer.status != StatusCode::OK {
            return Err(self.failure(operation, answer));
        }
        Page::parse(&answer.body, key)
            .map_err(|e| unexpected(operation, &answer, &format!("cannot parse the list: {e}")))
    }

    /// POSTs an action and returns its accepted envelope (`OK` or `IN_PROGRESS`),
    /// retrying `RESOURCE_BUSY` with backoff while the deadline allows.
    pub(crate) async fn post<B: Serialize + ?Sized>(
        &self,
        operation: &str,
        segments: &[&str],
        body: &B,
        deadline: &Deadline,
    ) -> Result<ApiResponse> {
        let body = serde_json::to_vec(body).map_err(|e| Error::UnexpectedResponse {
            operation: operation.to_owned(),
            http_status: 0,
            detail: format!("cannot encode the request: {e}"),
        })?;
        let mut retry = 0;
        loop {
            if deadline.expired() && retry > 0 {
                return Err(Error::Timeout {
                    operation: operation.to_owned(),
                    kind: "request",
                    id: String::new(),
                    waited: deadline.elapsed(),
                    last_state: response_codes::RESOURCE_BUSY.into(),
                });
            }
            let error = match self.post_once(operation, segments, body.clone()).await {
                Err(error) if error.is_busy() || is_transient_post_failure(&error) => error,
                other => return other,
            };
            let Some(delay) = self.inner.busy.delay(retry, self.inner.jitter.sample()) else {
                return Err(error);
            };
            if delay > deadline.remaining() {
                return Err(error);
            }
            tracing::info!(
                operation,
                retry,
                delay_ms = delay.as_millis() as u64,
                "RESOURCE_BUSY; retrying"
            );
            deadline.sleep(delay, operation).await?;
            retry += 1;
        }
    }

    /// POSTs an action like [`Client::post`], and copes with a request that went out but got
    /// no answer (a dropped connection, a reset, a timeout): it may or may not have been
    /// applied, so it is never simply sent again. `observe` reads the API and returns `Some`
    /// when the action took effect (or is taking effect); only when it did not is the request
    /// sent again, at most [`UNANSWERED_RESENDS`] times within the deadline. A refusal that
    /// follows an unanswered attempt (say, a name the first attempt already took, visible only
    /// now) is checked with `observe` as well before it is returned.
    pub(crate) async fn act<B, T, F, Fut>(
        &self,
        operation: &str,
        segments: &[&str],
        body: &B,
        deadline: &Deadline,
        mut observe: F,
    ) -> Result<Acted<T>>
    where
        B: Serialize + ?Sized,
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>>>,
    {
        let mut unanswered = 0;
        loop {
            let error = match self.post(operation, segments, body, deadline).await {
                Ok(envelope) => return Ok(Acted::Answered(envelope)),
                Err(error) => error,
            };
            let unknown = error.is_outcome_unknown();
            if !unknown && unanswered == 0 {
                return Err(error);
            }
            if unknown {
                tracing::warn!(
                    operation,
                    unanswered = unanswered + 1,
                    "no answer to the request ({error}); reading the API to learn whether it took effect"
                );
            }
            // Give a request the platform may still be processing time to show.
            let delay = self
                .inner
                .busy
                .delay(unanswered, self.inner.jitter.sample())
                .unwrap_or(Duration::from_secs(1));
            deadline.sleep(delay, operation).await?;
            if let Some(seen) = deadline.read(operation, observe()).await? {
                tracing::info!(operation, "the unanswered request took effect; continuing");
                return Ok(Acted::Observed(seen));
            }
            if !unknown || unanswered >= UNANSWERED_RESENDS || deadline.expired() {
                return Err(error);
            }
            tracing::info!(
                operation,
                "the unanswered request did not take effect; sending it again"
            );
            unanswered += 1;
        }
    }

    async fn post_once(
        &self,
        operation: &str,
        segments: &[&str],
        body: Vec<u8>,
    ) -> Result<ApiResponse> {
        let url = self.org_url(segments, &[]).await?;
        let answer = self.send(Method::POST, operation, url, Some(body)).await?;
        if answer.status == StatusCode::OK {
            if let Some(envelope) = ApiResponse::parse(&answer.body) {
                if envelope.is_accepted() {
                    return Ok(envelope);
                }
                return Err(Error::Api(ApiError::from_envelope(
                    operation, 200, envelope,
                )));
            }
            return Err(unexpected(
                operation,
                &answer,
                "expected a response envelope",
            ));
        }
        Err(self.failure(operation, answer))
    }

    /// GETs `url`, retrying (reads are idempotent) after transport errors,
    /// HTTP 5xx and `UNEXPECTED_ERROR`, up to [`GET_RETRIES`] times.
    async fn get(&self, operation: &str, url: Url) -> Result<Answer> {
        let mut retry = 0;
        loop {
            let outcome = self.send(Method::GET, operation, url.clone(), None).await;
            let transient = match &outcome {
                Err(_) => true,
                Ok(answer) => is_transient_answer(answer),
            };
            if !transient || retry >= GET_RETRIES {
                return outcome;
            }
            let delay = self
                .inner
                .busy
                .delay(retry, self.inner.jitter.sample())
                .unwrap_or(Duration::from_secs(1));
            tracing::info!(
                operation,
                retry,
                delay_ms = delay.as_millis() as u64,
                "transient failure; retrying the read"
            );
            tokio::time::sleep(delay).await;
            retry += 1;
        }
    }

    /// Sends one request with credentials and logs it (never the credentials or bodies).
    async fn send(
        &self,
        method: Method,
        operation: &str,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<Answer> {
        let started = Instant::now();
        let path = url.path().to_owned();
        let mut request = self
            .inner
            .http
            .request(method.clone(), url)
            .basic_auth(&self.inner.username, Some(self.inner.password.expose()))
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let transport = |source: reqwest::Error| Error::Transport {
            operation: operation.to_owned(),
            source: source.without_url(),
        };
        let response = request.send().await.map_err(|e| {
            tracing::warn!(%method, path, duration_ms = started.elapsed().as_millis() as u64, "request failed: {e}");
            transport(e)
        })?;
        let status = response.status();
        let body = response.bytes().await.map_err(transport)?.to_vec();
        let envelope = if status == StatusCode::OK && method == Method::GET {
            None
        } else {
            ApiResponse::parse(&body)
        };
        tracing::debug!(
            %method,
            path,
            status = status.as_u16(),
            response_code = envelope.as_ref().map(|e| e.response_code.as_str()).unwrap_or(""),
            request_id = envelope.as_ref().and_then(|e| e.request_id.as_deref()).unwrap_or(""),
            duration_ms = started.elapsed().as_millis() as u64,
            "CloudControl request"
        );
        Ok(Answer { status, body })
    }

    /// Maps a non-success answer to an error.
    fn failure(&self, operation: &str, answer: Answer) -> Error {
        let envelope = ApiResponse::parse(&answer.body);
        let status = answer.status.as_u16();
        match (answer.status, envelope) {
            (StatusCode::UNAUTHORIZED, _) | (StatusCode::FORBIDDEN, None) => Error::Unauthorized {
                operation: operation.to_owned(),
                username: self.inner.username.clone(),
                http_status: status,
            },
            (_, Some(envelope)) => Error::Api(ApiError::from_envelope(operation, status, envelope)),
            (_, None) => unexpected(operation, &answer, "expected a response envelope"),
        }
    }
}

/// How often a read is retried after a transient failure.
const GET_RETRIES: u32 = 4;

/// How often an action whose request got no answer, and which a read shows did not take
/// effect, is sent again.
pub(crate) const UNANSWERED_RESENDS: u32 = 4;

/// How an action ended.
#[derive(Debug)]
pub(crate) enum Acted<T> {
    /// The API answered and accepted the request.
    Answered(ApiResponse),
    /// The answer was lost, and reading the API showed the action took effect; `T` is what the
    /// read found (the id of a created asset, for example).
    Observed(T),
}

/// A failure that says the platform did not act (server error, the API's
/// sporadic `UNEXPECTED_ERROR`) or the connection was never made, so sending
/// the same action again cannot apply it twice.
fn is_transient_post_failure(error: &Error) -> bool {
    match error {
        Error::Transport { source, .. } => source.is_connect(),
        Error::Api(api) => {
            api.http_status >= 500
                || api.response_code == response_codes::UNEXPECTED_ERROR
                || api.response_code == response_codes::RETRYABLE_SYSTEM_ERROR
        }
        _ => false,
    }
}

/// An answer worth asking again for: HTTP 5xx or `UNEXPECTED_ERROR`.
fn is_transient_answer(answer: &Answer) -> bool {
    answer.status.is_server_error()
        || (answer.status != StatusCode::OK
            && ApiResponse::parse(&answer.body).is_some_and(|e| {
                e.response_code == response_codes::UNEXPECTED_ERROR
                    || e.response_code == response_codes::RETRYABLE_SYSTEM_ERROR
            }))
}

/// A missing asset: `RESOURCE_NOT_FOUND` with HTTP 400 or 404. A bare 404 with
/// no envelope is *not* treated as gone: it means a wrong URL, and mistaking it
/// for "deleted" would make Terraform forget real resources.
fn is_not_found(answer: &Answer) -> bool {
    matches!(
        answer.status,
        StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND
    ) && ApiResponse::parse(&answer.body)
        .is_some_and(|e| e.response_code == response_codes::RESOURCE_NOT_FOUND)
}

fn decode<T: DeserializeOwned>(operation: &str, answer: &Answer) -> Result<T> {
    serde_json::from_slice(&answer.body).map_err(|e| {
        unexpected(
            operation,
            answer,
            &format!("cannot parse the response: {e}"),
        )
    })
}

fn unexpected(operation: &str, answer: &Answer, what: &str) -> Error {
    let text = String::from_utf8_lossy(&answer.body);
    let excerpt: String = text.chars().take(200).collect();
    Error::UnexpectedResponse {
        operation: operation.to_owned(),
        http_status: answer.status.as_u16(),
        detail: format!("{what}; body starts with: {excerpt:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn client() -> Client {
        Client::builder(
            Endpoint::url("http://127.0.0.1:9").unwrap(),
            "alice",
            Secret::new("s3cr3t-Pw!"),
        )
        .build()
        .unwrap()
    }

    #[test]
    fn not_found_needs_the_envelope_code() {
        let gone = r#"{"operation":"GET_VLAN","responseCode":"RESOURCE_NOT_FOUND","message":"VLAN x not found."}"#;
        assert!(is_not_found(&answer(400, gone)));
        assert!(is_not_found(&answer(404, gone)));
        assert!(!is_not_found(&answer(404, "Not Found")));
        assert!(!is_not_found(&answer(500, gone)));
        assert!(!is_not_found(&answer(
            400,
            r#"{"responseCode":"INVALID_INPUT_DATA"}"#
        )));
    }

    #[test]
    fn failures_map_to_typed_errors() {
        let c = client();
        let err = c.failure("GET x", answer(401, "Invalid credentials."));
        assert!(matches!(
            err,
            Error::Unauthorized {
                http_status: 401,
                ..
            }
        ));
        assert!(err.to_string().contains("alice"));
        assert!(!err.to_string().contains("s3cr3t"));
        let err = c.failure("POST network/deployVlan", answer(400, r#"{"operation":"DEPLOY_VLAN","responseCode":"RESOURCE_BUSY","message":"busy","requestId":"r1"}"#));
        assert!(err.is_busy());
        let err = c.failure("GET x", answer(502, "<html>bad gateway</html>"));
        assert!(
            matches!(&err, Error::UnexpectedResponse { http_status: 502, detail, .. } if detail.contains("bad gateway")),
            "{err}"
        );
        let err = c.failure(
            "GET x",
            answer(
                403,
                r#"{"responseCode":"AUTHORIZATION_FAILURE","message":"no"}"#,
            ),
        );
        assert_eq!(err.response_code(), Some("AUTHORIZATION_FAILURE"));
    }

    #[test]
    fn transient_failures_are_recognised() {
        assert!(is_transient_answer(&answer(
            500,
            r#"{"responseCode":"UNEXPECTED_ERROR","message":"x"}"#
        )));
        assert!(is_transient_answer(&answer(503, "Service Unavailable")));
        assert!(is_transient_answer(&answer(
            400,
            r#"{"responseCode":"UNEXPECTED_ERROR","message":"x"}"#
        )));
        assert!(!is_transient_answer(&answer(
            400,
            r#"{"responseCode":"RESOURCE_NOT_FOUND","message":"x"}"#
        )));
        assert!(!is_transient_answer(&answer(
            200,
            r#"{"responseCode":"UNEXPECTED_ERROR"}"#
        )));
        let c = client();
        let err = c.failure(
            "POST x",
            answer(
                400,
                r#"{"responseCode":"UNEXPECTED_ERROR","message":"glitch"}"#,
            ),
        );
        assert!(is_transient_post_failure(&err));
        let err = c.failure(
            "POST x",
            answer(
                400,
                r#"{"responseCode":"INVALID_INPUT_DATA","message":"bad"}"#,
            ),
        );
        assert!(!is_transient_post_failure(&err));
        let err = c.failure("POST x", answer(500, "oops"));
        assert!(
            !is_transient_post_failure(&err),
            "a bare 500 without an envelope is ambiguous"
        );
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let printed = format!("{:?}", client());
        assert!(printed.contains("alice"), "{printed}");
        assert!(!printed.contains("s3cr3t"), "{printed}");
    }
}
