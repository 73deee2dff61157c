//! The plugin process lifecycle: environment checks, loopback listener, AutoMTLS,
//! handshake line, the gRPC server with its side services, SIGINT handling, the
//! panic hook and a prompt exit when Terraform calls `GRPCController.Shutdown`.

use std::future::Future;
use std::io::Write as _;
use std::net::SocketAddr;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tokio_util::sync::CancellationToken;
use tonic::transport::server::{Connected, Router};
use tonic::transport::Server;

use super::handshake::{bind_loopback, handshake_line, HandshakeError, PluginEnv};
use super::side_services::{Controller, HealthService, Stdio};
use super::tls::{client_cert_from_pem, server_config, ServerIdentity, TlsError};
use crate::proto::go_plugin::grpc_controller_server::GrpcControllerServer;
use crate::proto::go_plugin::grpc_stdio_server::GrpcStdioServer;
use crate::proto::health::health_server::HealthServer;
use crate::proto::tfplugin6::provider_server::{Provider as ProviderRpc, ProviderServer};

/// Largest gRPC message accepted or sent, matching Go providers (tonic's default is 4 MiB).
pub const MAX_MESSAGE_BYTES: usize = 256 << 20;
/// How long a TLS handshake may take before the connection is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Upper bound on the async runtime's worker threads (see `worker_threads`).
pub const MAX_WORKER_THREADS: usize = 4;
/// Grace period for in-flight requests after Shutdown before the process exits anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);
/// How long the provider's own shutdown work may take: go-plugin kills the process 2 s after
/// Shutdown, and the grace period comes first.
pub const SHUTDOWN_HOOK_BUDGET: Duration = Duration::from_millis(1200);

/// Work the provider does once Terraform has asked the process to exit, after the last RPC
/// (see [`SHUTDOWN_HOOK_BUDGET`]).
pub type ShutdownHook = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// Why serving stopped with an error.
#[derive(Debug, Error)]
pub enum ServeError {
    /// The environment does not describe a usable plugin launch.
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// AutoMTLS could not be set up.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// Writing the handshake line or reading the listener address failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The gRPC server failed.
    #[error("gRPC server: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Runs `service` as a go-plugin provider process until Terraform shuts it down, and
/// returns the process exit code. `module` names the provider in log lines.
///
/// When started by hand (no magic cookie) it prints a human explanation on stderr and
/// returns 1. When Terraform offers no protocol 6 it prints one explanatory line on
/// stdout, which Terraform shows to the user verbatim, and returns 1.
pub fn serve_rpc<S: ProviderRpc>(service: S, module: &str) -> ExitCode {
    serve_rpc_with_hook(Arc::new(service), module, None)
}

/// Like [`serve_rpc`], running `hook` (bounded by [`SHUTDOWN_HOOK_BUDGET`]) when Terraform
/// shuts the process down.
pub fn serve_rpc_with_hook<S: ProviderRpc>(
    service: Arc<S>,
    module: &str,
    hook: Option<ShutdownHook>,
) -> ExitCode {
    install_panic_hook();
    super::logging::init(module);
    let env = match PluginEnv::from_process() {
        Ok(env) => env,
        Err(error @ HandshakeError::UnsupportedProtocol { .. }) => {
            // Terraform reads stdout for the handshake and prints anything else it finds there.
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{error}");
            let _ = stdout.flush();
            return ExitCode::from(1);
        }
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(1);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads())
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("starting the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(run_inner(env, service, print_handshake, hook));
    // Provider tasks stuck in blocking calls must not keep the process alive.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "provider server stopped");
            eprintln!("provider server failed: {error}");
            ExitCode::from(1)
        }
    }
}

/// Worker threads for the provider's runtime: one per CPU, at most [`MAX_WORKER_THREADS`].
/// Tokio starts them all before the handshake, and provider work waits on the network,
/// so dozens of workers on a large machine would only cost start-up time and memory.
fn worker_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |cpus| cpus.get())
        .min(MAX_WORKER_THREADS)
}

/// Serves an already parsed environment, printing the handshake on stdout; returns once
/// Terraform called Shutdown.
pub async fn run<S: ProviderRpc>(env: PluginEnv, service: S) -> Result<(), ServeError> {
    run_with_handshake(env, service, print_handshake).await
}

/// Like [`run`], but hands the handshake line to `announce` instead of printing it
/// (used to embed the server in tests).
pub async fn run_with_handshake<S, F>(
    env: PluginEnv,
    service: S,
    announce: F,
) -> Result<(), ServeError>
where
    S: ProviderRpc,
    F: FnOnce(&str) -> Result<(), ServeError>,
{
    run_inner(env, Arc::new(service), announce, None).await
}

async fn run_inner<S, F>(
    env: PluginEnv,
    service: Arc<S>,
    announce: F,
    hook: Option<ShutdownHook>,
) -> Result<(), ServeError>
where
    S: ProviderRpc,
    F: FnOnce(&str) -> Result<(), ServeError>,
{
    ignore_sigint();
    let listener = bind_loopback(env.min_port, env.max_port).await?;
    let addr = listener.local_addr().map_err(|source| ServeError::Io {
        context: "reading the listener address",
        source,
    })?;
    let shutdown = CancellationToken::new();
    let router = router(service, &shutdown);
    match env.client_cert_pem {
        Some(pem) => {
            let client_cert = client_cert_from_pem(&pem)?;
            let identity = ServerIdentity::generate()?;
            let acceptor = TlsAcceptor::from(server_config(&identity, client_cert)?);
            announce(&handshake_line(addr, Some(identity.cert_der.as_ref())))?;
            tracing::info!(%addr, "serving tfplugin6 with automatic mTLS");
            let incoming = tls_incoming(listener, acceptor, shutdown.clone());
            serve_until_shutdown(router, incoming, shutdown, hook).await
        }
        None => {
            announce(&handshake_line(addr, None))?;
            tracing::warn!(%addr, "serving tfplugin6 WITHOUT TLS: PLUGIN_CLIENT_CERT is not set");
            let incoming = TcpListenerStream::new(listener);
            serve_until_shutdown(router, incoming, shutdown, hook).await
        }
    }
}

fn router<S: ProviderRpc>(service: Arc<S>, shutdown: &CancellationToken) -> Router {
    let provider = ProviderServer::from_arc(service)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    Server::builder()
        .add_service(HealthServer::new(HealthService::new(shutdown.clone())))
        .add_service(GrpcControllerServer::new(Controller::new(shutdown.clone())))
        .add_service(GrpcStdioServer::new(Stdio::new(shutdown.clone())))
        .add_service(provider)
}

async fn serve_until_shutdown<I, IO, E>(
    router: Router,
    incoming: I,
    shutdown: CancellationToken,
    hook: Option<ShutdownHook>,
) -> Result<(), ServeError>
where
    I: tokio_stream::Stream<Item = Result<IO, E>> + Send + 'static,
    IO: AsyncRead + AsyncWrite + Connected + Unpin + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let server = router.serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned());
    let deadline = async {
        shutdown.cancelled().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    let served = tokio::select! {
        result = server => result.map_err(ServeError::from),
        () = deadline => {
            tracing::warn!("requests still running {SHUTDOWN_GRACE:?} after Shutdown; exiting anyway");
            Ok(())
        }
    };
    if let (true, Some(hook)) = (shutdown.is_cancelled(), hook) {
        if tokio::time::timeout(SHUTDOWN_HOOK_BUDGET, hook())
            .await
            .is_err()
        {
            tracing::warn!(
                "the provider's shutdown work took over {SHUTDOWN_HOOK_BUDGET:?}; exiting anyway"
            );
        }
    }
    served
}

/// Writes the handshake line as the first thing on stdout and flushes it.
fn print_handshake(line: &str) -> Result<(), ServeError> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .map_err(|source| ServeError::Io {
            context: "writing the handshake line to stdout",
            source,
        })
}

/// Accepts TCP connections and completes TLS handshakes off the accept loop, so one
/// slow or hostile client cannot block others. Failed handshakes are logged and dropped.
fn tls_incoming(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    shutdown: CancellationToken,
) -> ReceiverStream<Result<TlsConnection, std::io::Error>> {
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                () = shutdown.cancelled() => break,
                accepted = listener.accept() => accepted,
            };
            let (tcp, peer) = match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection");
                    continue;
                }
            };
            let acceptor = acceptor.clone();
            let sender = sender.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        let _ = sender.send(Ok(TlsConnection(Box::new(stream)))).await;
                    }
                    Ok(Err(error)) => {
                        tracing::warn!(%peer, %error, "TLS handshake refused");
                    }
                    Err(_) => tracing::warn!(%peer, "TLS handshake timed out"),
                }
            });
        }
    });
    ReceiverStream::new(receiver)
}

/// A server-side TLS connection handed to tonic.
pub struct TlsConnection(Box<TlsStream<TcpStream>>);

impl Connected for TlsConnection {
    type ConnectInfo = Option<SocketAddr>;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.0.get_ref().0.peer_addr().ok()
    }
}

impl AsyncRead for TlsConnection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConnection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

/// go-plugin servers ignore SIGINT: Ctrl-C reaches the whole process group, and
/// Terraform itself decides how to stop (StopProvider, then Shutdown).
fn ignore_sigint() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()) {
        Ok(mut interrupts) => {
            tokio::spawn(async move {
                while interrupts.recv().await.is_some() {
                    tracing::info!("ignoring SIGINT; waiting for Terraform to stop the provider");
                }
            });
        }
        Err(error) => tracing::warn!(%error, "cannot install the SIGINT handler"),
    }
}

/// Prints panics as `panic: ...` plus a backtrace on stderr, the shape Terraform turns
/// into "The terraform-provider-X plugin crashed!", then ends the process like a Go panic.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let backtrace = std::backtrace::Backtrace::force_capture();
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "panic: {info}\n\n{backtrace}");
        let _ = stderr.flush();
        std::process::exit(2);
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::go_plugin::grpc_controller_client::GrpcControllerClient;
    use crate::proto::go_plugin::Empty;
    use crate::testing::{parse_handshake_line, tls_client_config, ClientIdentity, HandshakeInfo};
    use rustls::pki_types::ServerName;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::task::JoinHandle;

    /// A provider service that answers every RPC with UNIMPLEMENTED: enough to test the
    /// transport around it.
    struct NoRpcs;

    #[tonic::async_trait]
    impl ProviderRpc for NoRpcs {}

    async fn start(
        client_cert_pem: Option<String>,
    ) -> (HandshakeInfo, JoinHandle<Result<(), ServeError>>) {
        let env = PluginEnv {
            min_port: 20000,
            max_port: 25000,
            client_cert_pem,
        };
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let server = tokio::spawn(run_with_handshake(env, NoRpcs, move |line: &str| {
            let _ = sender.send(line.to_owned());
            Ok(())
        }));
        let line = receiver.await.expect("the server announces its handshake");
        (parse_handshake_line(&line).unwrap(), server)
    }

    /// Connects with `client` and exchanges HTTP/2 prefaces; Ok only if the server's
    /// SETTINGS frame arrives over a TLS session that negotiated `h2`.
    async fn h2_over_tls(
        handshake: &HandshakeInfo,
        client: Option<&ClientIdentity>,
    ) -> Result<(), String> {
        let server_der = handshake
            .server_cert_der
            .as_ref()
            .ok_or("no server certificate")?;
        let config = tls_client_config(server_der, client).map_err(|e| e.to_string())?;
        let tcp = TcpStream::connect(handshake.tcp_addr().ok_or("not tcp")?)
            .await
            .map_err(|e| e.to_string())?;
        let name = ServerName::try_from("localhost").unwrap();
        let mut tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        if tls.get_ref().1.alpn_protocol() != Some(b"h2".as_slice()) {
            return Err("ALPN h2 not negotiated".into());
        }
        // Client preface followed by an empty SETTINGS frame.
        let mut preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        preface.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
        tls.write_all(&preface)
            .await
            .map_err(|e| format!("write: {e}"))?;
        let mut frame_header = [0u8; 9];
        tokio::time::timeout(Duration::from_secs(5), tls.read_exact(&mut frame_header))
            .await
            .map_err(|_| "timed out waiting for the server".to_string())?
            .map_err(|e| format!("read: {e}"))?;
        if frame_header[3] != 4 {
            return Err(format!(
                "first server frame has type {}, not SETTINGS",
                frame_header[3]
            ));
        }
        Ok(())
    }

    #[tokio::test]
    async fn pinned_terraform_certificate_completes_the_handshake() {
        let terraform = ClientIdentity::generate().unwrap();
        let (handshake, server) = start(Some(terraform.cert_pem.clone())).await;
        assert_eq!((handshake.core_version, handshake.protocol_version), (1, 6));
        assert!(handshake.tcp_addr().unwrap().ip().is_loopback());
        h2_over_tls(&handshake, Some(&terraform)).await.unwrap();
        server.abort();
    }

    #[tokio::test]
    async fn clients_without_the_pinned_certificate_are_refused() {
        let terraform = ClientIdentity::generate().unwrap();
        let stranger = ClientIdentity::generate().unwrap();
        let (handshake, server) = start(Some(terraform.cert_pem.clone())).await;
        let anonymous = h2_over_tls(&handshake, None).await;
        assert!(
            anonymous.is_err(),
            "a client without certificate got through"
        );
        let impostor = h2_over_tls(&handshake, Some(&stranger)).await;
        assert!(
            impostor.is_err(),
            "a client with another certificate got through"
        );
        // The server survives refused clients and still serves Terraform.
        h2_over_tls(&handshake, Some(&terraform)).await.unwrap();
        server.abort();
    }

    #[tokio::test]
    async fn controller_shutdown_stops_the_server_promptly() {
        let (handshake, server) = start(None).await;
        assert!(handshake.server_cert_der.is_none());
        let channel =
            tonic::transport::Endpoint::from_shared(format!("http://{}", handshake.address))
                .unwrap()
                .connect()
                .await
                .unwrap();
        GrpcControllerClient::new(channel)
            .shutdown(Empty {})
            .await
            .unwrap();
        let finished = tokio::time::timeout(Duration::from_secs(2), server)
            .await
            .expect("the server stops within 2 s of Shutdown");
        finished.unwrap().unwrap();
    }
}
