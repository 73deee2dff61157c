//! HTTP plumbing shared by the stand-ins: serving, the responses real libprocess gives, and the
//! client for the stand-ins' private calls.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// A JSON response as libprocess sends it (`Content-Type: application/json`).
pub fn json(value: Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

/// libprocess's answer for a path nothing serves.
pub fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "404 Not Found.",
    )
        .into_response()
}

/// An empty 200, as `/health` answers.
pub fn empty_ok() -> Response {
    StatusCode::OK.into_response()
}

/// A refusal of a private call.
pub fn refuse(status: StatusCode, why: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "error": why.into() }).to_string(),
    )
        .into_response()
}

/// Binds `addr` and serves `app` until the process ends; errors name the address.
pub async fn serve(addr: SocketAddr, app: axum::Router) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("Failed to bind to {addr}: {e}"))?;
    axum::serve(listener, app)
        .await
        .map_err(|e| anyhow::anyhow!("serving {addr}: {e}"))
}

/// The client for private calls between stand-ins (short timeouts: peers are on the same LAN).
pub fn client() -> reqwest::Client {
    // The workspace builds reqwest with rustls but without a default crypto provider.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(15))
        .no_proxy()
        .build()
        .expect("building an HTTP client")
}

/// POSTs JSON and decodes the JSON answer, turning refusals into errors with their text.
pub async fn post<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    url: &str,
    body: &impl serde::Serialize,
) -> anyhow::Result<T> {
    let resp = client
        .post(url)
        .json(body)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("POST {url}: {e}"))?;
    let status = resp.status();
    let text = resp
        .text()
        .await
        .map_err(|e| anyhow::anyhow!("POST {url}: reading the answer: {e}"))?;
    if !status.is_success() {
        let why = serde_json::from_str::<crate::wire::Refusal>(&text)
            .map(|r| r.error)
            .unwrap_or(text);
        anyhow::bail!("POST {url}: {status}: {why}");
    }
    serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("POST {url}: bad answer: {e}"))
}
