//! Marathon's REST API (v2) over any [`Dialer`] stream: typed answers for `/v2/leader`,
//! `/v2/apps`, `/v2/deployments`, and the app calls `submit-apps` makes. During an election a
//! Marathon answers 503 ("Could not determine the current leader"); callers retry on
//! [`MarathonError::Transient`].

use hyper::{Method, StatusCode};
use serde::{Deserialize, Serialize};

use super::http::{self, HttpError, Response};
use super::transport::Dialer;

/// A Marathon call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarathonError {
    /// Worth retrying: no leader yet (404 on `/v2/leader`, 503 anywhere), or no connection.
    #[error("{0}")]
    Transient(String),
    /// The app is locked by running deployments (409).
    #[error("locked by deployment(s) {}", .0.join(", "))]
    Locked(Vec<String>),
    /// Marathon refused the request (400, 422, ...), with its message and details.
    #[error("{0}")]
    Refused(String),
}

impl From<HttpError> for MarathonError {
    fn from(e: HttpError) -> Self {
        match e {
            HttpError::Parse { .. } => MarathonError::Refused(e.to_string()),
            other => MarathonError::Transient(other.to_string()),
        }
    }
}

fn classify(what: &str, r: &Response) -> MarathonError {
    let text = r.body_excerpt();
    match r.status {
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT => {
            MarathonError::Transient(format!("{what}: HTTP {} {text}", r.status.as_u16()))
        }
        StatusCode::CONFLICT => {
            let ids = serde_json::from_slice::<serde_json::Value>(&r.body)
                .ok()
                .and_then(|v| {
                    v["deployments"].as_array().map(|d| {
                        d.iter()
                            .filter_map(|x| x["id"].as_str().map(str::to_string))
                            .collect()
                    })
                })
                .unwrap_or_default();
            MarathonError::Locked(ids)
        }
        s => MarathonError::Refused(format!("{what}: HTTP {} {text}", s.as_u16())),
    }
}

/// `/v2/leader`: `{"leader": "host:port"}`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Leader {
    /// `host:port` of the leading Marathon.
    pub leader: String,
}

/// The leading Marathon as seen from the instance at `host:port`; `Transient` while none.
pub async fn leader(dialer: &dyn Dialer, host: &str, port: u16) -> Result<String, MarathonError> {
    let r = http::get(dialer, host, port, "/v2/leader").await?;
    match r.status {
        StatusCode::OK => Ok(r.json::<Leader>()?.leader),
        StatusCode::NOT_FOUND => Err(MarathonError::Transient("no leader elected".into())),
        _ => Err(match classify("GET /v2/leader", &r) {
            MarathonError::Refused(m) => MarathonError::Transient(m),
            other => other,
        }),
    }
}

/// A deployment reference inside an app.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Serialize)]
pub struct DeploymentRef {
    /// Deployment id.
    pub id: String,
}

/// An app's status in `/v2/apps`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    /// App id (`/shell-hello`).
    pub id: String,
    /// Wanted instances.
    pub instances: u32,
    /// Running tasks.
    #[serde(default)]
    pub tasks_running: u32,
    /// Staged tasks.
    #[serde(default)]
    pub tasks_staged: u32,
    /// Healthy tasks (apps with health checks).
    #[serde(default)]
    pub tasks_healthy: u32,
    /// Unhealthy tasks.
    #[serde(default)]
    pub tasks_unhealthy: u32,
    /// Deployments in progress.
    #[serde(default)]
    pub deployments: Vec<DeploymentRef>,
}

#[derive(Debug, Deserialize)]
struct AppsList {
    apps: Vec<AppStatus>,
}

/// Every app.
pub async fn apps(
    dialer: &dyn Dialer,
    host: &str,
    port: u16,
) -> Result<Vec<AppStatus>, MarathonError> {
    let r = http::get(dialer, host, port, "/v2/apps").await?;
    if r.status != StatusCode::OK {
        return Err(classify("GET /v2/apps", &r));
    }
    Ok(r.json::<AppsList>()?.apps)
}

/// `/v2/apps/<id>` without the leading `/` of the id.
fn app_path(id: &str) -> String {
    format!("/v2/apps/{}", id.trim_start_matches('/'))
}

#[derive(Debug, Deserialize)]
struct AppEnvelope {
    app: serde_json::Value,
}

/// One app's full definition and status (`None` when it does not exist).
pub async fn app(
    dialer: &dyn Dialer,
    host: &str,
    port: u16,
    id: &str,
) -> Result<Option<serde_json::Value>, MarathonError> {
    let path = app_path(id);
    let r = http::get(dialer, host, port, &path).await?;
    match r.status {
        StatusCode::OK => Ok(Some(r.json::<AppEnvelope>()?.app)),
        StatusCode::NOT_FOUND => Ok(None),
        _ => Err(classify(&format!("GET {path}"), &r)),
    }
}

/// Why the app's last task failed (`lastTaskFailure`: message, agent host), if it did.
pub async fn last_task_failure(
    dialer: &dyn Dialer,
    host: &str,
    port: u16,
    id: &str,
) -> Option<String> {
    let path = format!("{}?embed=app.lastTaskFailure", app_path(id));
    let r = http::get(dialer, host, port, &path).await.ok()?;
    let app = r.json::<AppEnvelope>().ok()?.app;
    let f = &app["lastTaskFailure"];
    let message = f["message"].as_str()?;
    Some(match f["host"].as_str() {
        Some(h) => format!("{message} (on {h})"),
        None => message.to_string(),
    })
}

/// Creates or replaces an app; returns the deployment id.
pub async fn put_app(
    dialer: &dyn Dialer,
    host: &str,
    port: u16,
    id: &str,
    definition: &serde_json::Value,
) -> Result<String, MarathonError> {
    let path = app_path(id);
    let r = http::request(dialer, host, port, Method::PUT, &path, Some(definition)).await?;
    if !matches!(r.status, StatusCode::OK | StatusCode::CREATED) {
        return Err(classify(&format!("PUT {path}"), &r));
    }
    let header = r
        .headers
        .get("marathon-deployment-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body: serde_json::Value = r.json().unwrap_or_default();
    body["deploymentId"]
        .as_str()
        .map(str::to_string)
        .or_else(|| body["deployments"][0]["id"].as_str().map(str::to_string))
        .or(header)
        .ok_or_else(|| {
            MarathonError::Refused(format!("PUT {path}: no deployment id in the answer"))
        })
}

/// A running deployment.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// Deployment id.
    pub id: String,
    /// Apps it changes.
    #[serde(default)]
    pub affected_apps: Vec<String>,
}

/// Running deployments (a finished deployment leaves the list).
pub async fn deployments(
    dialer: &dyn Dialer,
    host: &str,
    port: u16,
) -> Result<Vec<Deployment>, MarathonError> {
    let r = http::get(dialer, host, port, "/v2/deployments").await?;
    if r.status != StatusCode::OK {
        return Err(classify("GET /v2/deployments", &r));
    }
    Ok(r.json()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::http::testserver::Server;
    use crate::health::transport::TcpDialer;

    /// `/v2/apps` as Marathon 1.x answers it (shape from the Marathon REST API documentation;
    /// fields the reader ignores trimmed).
    const APPS: &str = r#"{"apps":[{"id":"/shell-hello","cmd":"echo hello; sleep 10","instances":1,"cpus":0.1,"mem":16,"tasksStaged":0,"tasksRunning":1,"tasksHealthy":0,"tasksUnhealthy":0,"deployments":[]},{"id":"/docker-hello","instances":1,"tasksStaged":1,"tasksRunning":0,"deployments":[{"id":"5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43"}]}]}"#;

    #[tokio::test]
    async fn leader_apps_and_transient_answers() {
        let s = Server::default();
        s.route("GET /v2/leader", 200, r#"{"leader":"10.77.0.12:8080"}"#);
        s.route("GET /v2/apps", 200, APPS);
        s.route(
            "GET /v2/deployments",
            200,
            r#"[{"id":"d1","version":"2026-01-01T00:00:00.000Z","affectedApps":["/docker-hello"],"steps":[],"currentActions":[],"currentStep":1,"totalSteps":1}]"#,
        );
        let port = s.start().await;
        let d = TcpDialer;
        assert_eq!(
            leader(&d, "127.0.0.1", port).await.unwrap(),
            "10.77.0.12:8080"
        );
        let a = apps(&d, "127.0.0.1", port).await.unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].tasks_running, 1);
        assert_eq!(
            a[1].deployments[0].id,
            "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43"
        );
        let deps = deployments(&d, "127.0.0.1", port).await.unwrap();
        assert_eq!(deps[0].affected_apps, vec!["/docker-hello"]);

        let s = Server::default();
        s.route("GET /v2/leader", 404, r#"{"message":"There is no leader"}"#);
        s.route(
            "GET /v2/apps",
            503,
            r#"{"message":"Could not determine the current leader"}"#,
        );
        let port = s.start().await;
        assert!(matches!(
            leader(&d, "127.0.0.1", port).await,
            Err(MarathonError::Transient(m)) if m == "no leader elected"
        ));
        assert!(matches!(
            apps(&d, "127.0.0.1", port).await,
            Err(MarathonError::Transient(m)) if m.contains("503")
        ));
    }

    #[tokio::test]
    async fn app_get_put_and_refusals() {
        let s = Server::default();
        s.route(
            "GET /v2/apps/shell-hello",
            200,
            r#"{"app":{"id":"/shell-hello","instances":1}}"#,
        );
        s.route(
            "PUT /v2/apps/shell-hello",
            200,
            r#"{"deploymentId":"d-1","version":"2026-01-01T00:00:00.000Z"}"#,
        );
        s.route(
            "PUT /v2/apps/locked",
            409,
            r#"{"message":"App is locked by one or more deployments.","deployments":[{"id":"d-9"}]}"#,
        );
        s.route(
            "PUT /v2/apps/bad",
            422,
            r#"{"message":"Object is not valid","details":[{"path":"/cpus","errors":["error.min"]}]}"#,
        );
        let port = s.start().await;
        let d = TcpDialer;
        let app = app(&d, "127.0.0.1", port, "/shell-hello")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(app["instances"], 1);
        assert_eq!(
            super::app(&d, "127.0.0.1", port, "/nope").await.unwrap(),
            None
        );
        assert_eq!(
            last_task_failure(&d, "127.0.0.1", port, "/nope").await,
            None
        );
        let def = serde_json::json!({"id": "/shell-hello"});
        assert_eq!(
            put_app(&d, "127.0.0.1", port, "/shell-hello", &def)
                .await
                .unwrap(),
            "d-1"
        );
        assert_eq!(
            put_app(&d, "127.0.0.1", port, "locked", &def).await,
            Err(MarathonError::Locked(vec!["d-9".into()]))
        );
        let err = put_app(&d, "127.0.0.1", port, "bad", &def)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, MarathonError::Refused(m) if m.contains("422") && m.contains("error.min")),
            "{err}"
        );
    }
}
