//! A small HTTP/1.1 client over any [`Dialer`] stream (hyper's connection-level client: one
//! request per connection, which is all the health reader and `submit-apps` need).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde::de::DeserializeOwned;

use super::transport::{DialError, Dialer};

/// How long one request may take once connected.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// A response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status.
    pub status: StatusCode,
    /// `Location` header, if any.
    pub location: Option<String>,
    /// All headers.
    pub headers: hyper::HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl Response {
    /// The body as text (lossy), shortened for messages.
    pub fn body_excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        if text.chars().count() > 200 {
            format!("{}...", text.chars().take(200).collect::<String>())
        } else {
            text.to_string()
        }
    }

    /// Parses the body as JSON into `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        serde_json::from_slice(&self.body).map_err(|e| HttpError::Parse {
            what: std::any::type_name::<T>()
                .rsplit("::")
                .next()
                .unwrap_or("body")
                .to_string(),
            reason: e.to_string(),
        })
    }
}

/// A request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// No stream.
    #[error(transparent)]
    Dial(#[from] DialError),
    /// The exchange failed or timed out.
    #[error("{method} {url}: {reason}")]
    Exchange {
        /// Method.
        method: String,
        /// `http://host:port/path`.
        url: String,
        /// Why.
        reason: String,
    },
    /// The body is not what was expected.
    #[error("unexpected {what} JSON: {reason}")]
    Parse {
        /// The type expected.
        what: String,
        /// serde's message.
        reason: String,
    },
}

/// Sends one request to `host:port` through `dialer` and reads the whole response.
pub async fn request(
    dialer: &dyn Dialer,
    host: &str,
    port: u16,
    method: Method,
    path: &str,
    json_body: Option<&serde_json::Value>,
) -> Result<Response, HttpError> {
    let authority = crate::cluster::host_port(host, port);
    let url = format!("http://{authority}{path}");
    let fail = |reason: String| HttpError::Exchange {
        method: method.to_string(),
        url: url.clone(),
        reason,
    };
    let stream = dialer.dial(host, port).await?;
    let exchange = async {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| fail(e.to_string()))?;
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        let body = match json_body {
            Some(v) => Full::new(Bytes::from(v.to_string())),
            None => Full::new(Bytes::new()),
        };
        let mut req = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(hyper::header::HOST, &authority)
            .header(hyper::header::ACCEPT, "application/json")
            .header(hyper::header::CONNECTION, "close");
        if json_body.is_some() {
            req = req.header(hyper::header::CONTENT_TYPE, "application/json");
        }
        let req = req.body(body).map_err(|e| fail(e.to_string()))?;
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let status = resp.status();
        let location = resp
            .headers()
            .get(hyper::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| fail(e.to_string()))?
            .to_bytes();
        driver.abort();
        Ok(Response {
            status,
            location,
            headers,
            body,
        })
    };
    match tokio::time::timeout(REQUEST_TIMEOUT, exchange).await {
        Ok(r) => r,
        Err(_) => Err(fail(format!(
            "no complete answer within {}s",
            REQUEST_TIMEOUT.as_secs()
        ))),
    }
}

/// `GET` shorthand.
pub async fn get(
    dialer: &dyn Dialer,
    host: &str,
    port: u16,
    path: &str,
) -> Result<Response, HttpError> {
    request(dialer, host, port, Method::GET, path, None).await
}

#[cfg(test)]
pub(crate) mod testserver {
    //! A loopback HTTP server answering from a table of canned responses, for unit tests.

    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// One canned response.
    #[derive(Debug, Clone)]
    pub struct Canned {
        pub status: u16,
        pub headers: Vec<(String, String)>,
        pub body: String,
    }

    /// Routes `METHOD /path` to responses; records every request (method, path, body).
    #[derive(Debug, Clone, Default)]
    pub struct Server {
        pub routes: Arc<Mutex<HashMap<String, Canned>>>,
        pub seen: Arc<Mutex<Vec<(String, String, String)>>>,
    }

    impl Server {
        pub fn route(&self, method_path: &str, status: u16, body: &str) {
            self.routes.lock().unwrap().insert(
                method_path.to_string(),
                Canned {
                    status,
                    headers: Vec::new(),
                    body: body.to_string(),
                },
            );
        }

        pub fn route_with_header(&self, method_path: &str, status: u16, header: (&str, &str)) {
            self.routes.lock().unwrap().insert(
                method_path.to_string(),
                Canned {
                    status,
                    headers: vec![(header.0.to_string(), header.1.to_string())],
                    body: String::new(),
                },
            );
        }

        /// Serves on 127.0.0.1; returns the port.
        pub async fn start(&self) -> u16 {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let me = self.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((mut s, _)) = listener.accept().await else {
                        return;
                    };
                    let me = me.clone();
                    tokio::spawn(async move {
                        let mut buf = Vec::new();
                        let mut chunk = [0u8; 4096];
                        let (head, body) = loop {
                            let n = s.read(&mut chunk).await.unwrap_or(0);
                            if n == 0 {
                                return;
                            }
                            buf.extend_from_slice(&chunk[..n]);
                            let text = String::from_utf8_lossy(&buf).to_string();
                            if let Some((head, rest)) = text.split_once("\r\n\r\n") {
                                let len = head
                                    .lines()
                                    .find_map(|l| {
                                        let (k, v) = l.split_once(':')?;
                                        k.eq_ignore_ascii_case("content-length")
                                            .then(|| v.trim().parse::<usize>().ok())?
                                    })
                                    .unwrap_or(0);
                                if rest.len() >= len {
                                    break (head.to_string(), rest[..len].to_string());
                                }
                            }
                        };
                        let first = head.lines().next().unwrap_or("").to_string();
                        let mut parts = first.split_whitespace();
                        let method = parts.next().unwrap_or("").to_string();
                        let path = parts.next().unwrap_or("").to_string();
                        me.seen
                            .lock()
                            .unwrap()
                            .push((method.clone(), path.clone(), body));
                        let canned = me
                            .routes
                            .lock()
                            .unwrap()
                            .get(&format!("{method} {path}"))
                            .cloned()
                            .unwrap_or(Canned {
                                status: 404,
                                headers: Vec::new(),
                                body: "{\"message\":\"no route\"}".into(),
                            });
                        let mut resp = format!(
                            "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                            canned.status,
                            canned.body.len()
                        );
                        for (k, v) in &canned.headers {
                            resp.push_str(&format!("{k}: {v}\r\n"));
                        }
                        resp.push_str("\r\n");
                        resp.push_str(&canned.body);
                        let _ = s.write_all(resp.as_bytes()).await;
                    });
                }
            });
            port
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testserver::Server;
    use super::*;
    use crate::health::transport::TcpDialer;

    #[tokio::test]
    async fn get_put_and_headers_over_tcp() {
        let server = Server::default();
        server.route("GET /version", 200, "{\"version\":\"1.11.0\"}");
        server.route_with_header("GET /master/redirect", 307, ("Location", "//m2:5050"));
        server.route("PUT /v2/apps/x", 200, "{\"deploymentId\":\"d1\"}");
        let port = server.start().await;
        let r = get(&TcpDialer, "127.0.0.1", port, "/version")
            .await
            .unwrap();
        assert_eq!(r.status, StatusCode::OK);
        let v: serde_json::Value = r.json().unwrap();
        assert_eq!(v["version"], "1.11.0");
        let r = get(&TcpDialer, "127.0.0.1", port, "/master/redirect")
            .await
            .unwrap();
        assert_eq!(r.status.as_u16(), 307);
        assert_eq!(r.location.as_deref(), Some("//m2:5050"));
        let body = serde_json::json!({"id": "/x"});
        let r = request(
            &TcpDialer,
            "127.0.0.1",
            port,
            Method::PUT,
            "/v2/apps/x",
            Some(&body),
        )
        .await
        .unwrap();
        assert_eq!(r.status, StatusCode::OK);
        let seen = server.seen.lock().unwrap().clone();
        assert_eq!(seen.last().unwrap().2, "{\"id\":\"/x\"}");
        let missing = get(&TcpDialer, "127.0.0.1", port, "/nope").await.unwrap();
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert!(missing
            .json::<u32>()
            .unwrap_err()
            .to_string()
            .contains("unexpected u32 JSON"));
    }
}
