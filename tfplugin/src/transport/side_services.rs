//! The go-plugin side services next to the provider: `plugin.GRPCController` (Terraform
//! asks the process to exit), `plugin.GRPCStdio` (an empty stream kept open until
//! shutdown; Terraform discards its data anyway) and `grpc.health.v1.Health`.

use std::pin::Pin;

use tokio_stream::Stream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::proto::go_plugin::grpc_controller_server::GrpcController;
use crate::proto::go_plugin::grpc_stdio_server::GrpcStdio;
use crate::proto::go_plugin::{Empty, StdioData};
use crate::proto::health::health_check_response::ServingStatus;
use crate::proto::health::health_server::Health;
use crate::proto::health::{HealthCheckRequest, HealthCheckResponse};

/// A boxed server stream, as tonic expects for streaming responses.
pub type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// The service name go-plugin registers as serving.
pub const HEALTH_SERVICE_NAME: &str = "plugin";

/// `plugin.GRPCController`: `Shutdown` fires the server's shutdown token.
pub struct Controller {
    shutdown: CancellationToken,
}

impl Controller {
    /// A controller that cancels `shutdown` when Terraform asks the plugin to exit.
    pub fn new(shutdown: CancellationToken) -> Self {
        Self { shutdown }
    }
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("plugin shutdown requested by Terraform");
        self.shutdown.cancel();
        Ok(Response::new(Empty {}))
    }
}

/// `plugin.GRPCStdio`: a stream that yields nothing and ends at shutdown, so the
/// graceful server stop is not held up by it.
pub struct Stdio {
    shutdown: CancellationToken,
}

impl Stdio {
    /// A stdio service whose streams end when `shutdown` is cancelled.
    pub fn new(shutdown: CancellationToken) -> Self {
        Self { shutdown }
    }
}

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    async fn stream_stdio(
        &self,
        _request: Request<Empty>,
    ) -> Result<Response<BoxStream<StdioData>>, Status> {
        let shutdown = self.shutdown.clone();
        let stream = futures_stream_until(shutdown);
        Ok(Response::new(stream))
    }
}

fn futures_stream_until<T: Send + 'static>(shutdown: CancellationToken) -> BoxStream<T> {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<T, Status>>(1);
    tokio::spawn(async move {
        // Holding the sender keeps the stream open; dropping it ends the stream.
        shutdown.cancelled().await;
        drop(sender);
    });
    Box::pin(tokio_stream::wrappers::ReceiverStream::new(receiver))
}

/// `grpc.health.v1.Health`: the `plugin` service (and the server as a whole) is serving.
pub struct HealthService {
    shutdown: CancellationToken,
}

impl HealthService {
    /// A health service whose watch streams end when `shutdown` is cancelled.
    pub fn new(shutdown: CancellationToken) -> Self {
        Self { shutdown }
    }
}

fn status_of(service: &str) -> ServingStatus {
    if service.is_empty() || service == HEALTH_SERVICE_NAME {
        ServingStatus::Serving
    } else {
        ServingStatus::ServiceUnknown
    }
}

#[tonic::async_trait]
impl Health for HealthService {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let service = request.into_inner().service;
        match status_of(&service) {
            ServingStatus::ServiceUnknown => {
                Err(Status::not_found(format!("unknown service {service:?}")))
            }
            status => Ok(Response::new(HealthCheckResponse {
                status: status as i32,
            })),
        }
    }

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<BoxStream<HealthCheckResponse>>, Status> {
        let status = status_of(&request.into_inner().service);
        let (sender, receiver) = tokio::sync::mpsc::channel(1);
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            let first = HealthCheckResponse {
                status: status as i32,
            };
            if sender.send(Ok(first)).await.is_ok() {
                shutdown.cancelled().await;
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(receiver),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_stream::StreamExt;

    #[tokio::test]
    async fn shutdown_cancels_the_token_and_ends_stdio() {
        let token = CancellationToken::new();
        let stdio = Stdio::new(token.clone());
        let mut stream = stdio
            .stream_stdio(Request::new(Empty {}))
            .await
            .unwrap()
            .into_inner();
        Controller::new(token.clone())
            .shutdown(Request::new(Empty {}))
            .await
            .unwrap();
        assert!(token.is_cancelled());
        assert!(stream.next().await.is_none());
    }

    #[tokio::test]
    async fn health_reports_plugin_serving() {
        let health = HealthService::new(CancellationToken::new());
        let ok = health
            .check(Request::new(HealthCheckRequest {
                service: "plugin".into(),
            }))
            .await
            .unwrap();
        assert_eq!(ok.into_inner().status, ServingStatus::Serving as i32);
        let unknown = health
            .check(Request::new(HealthCheckRequest {
                service: "other".into(),
            }))
            .await;
        assert_eq!(unknown.unwrap_err().code(), tonic::Code::NotFound);
    }
}
