//! AutoMTLS of the running `terraform-provider-tftest` and `terraform-provider-cloudcontrol`
//! binaries: launched the way Terraform launches them (magic cookie, protocol 6, a P-521 client
//! certificate in `PLUGIN_CLIENT_CERT`), they must complete TLS and HTTP/2 only with the client
//! holding that certificate; a client without a certificate or with another self-signed one is
//! refused.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rustls::pki_types::ServerName;
use rustls::{ClientConnection, StreamOwned};
use tfplugin::testing::{launch, tls_client_config, ClientIdentity, HandshakeInfo};

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_terraform-provider-tftest"))
}

/// Connects with `client`, sends the HTTP/2 client preface and an empty SETTINGS frame, and
/// returns Ok only when the server's first frame (a SETTINGS frame) arrives over a session
/// that negotiated ALPN `h2`.
fn h2_over_tls(handshake: &HandshakeInfo, client: Option<&ClientIdentity>) -> Result<()> {
    let server_der = handshake
        .server_cert_der
        .as_ref()
        .context("the provider announced no certificate")?;
    let config = tls_client_config(server_der, client)?;
    let address = handshake.tcp_addr().context("the provider is not on TCP")?;
    let tcp = TcpStream::connect(address).with_context(|| format!("connecting to {address}"))?;
    tcp.set_read_timeout(Some(Duration::from_secs(5)))?;
    let name = ServerName::try_from("localhost").expect("valid name");
    let connection = ClientConnection::new(config, name)?;
    let mut tls = StreamOwned::new(connection, tcp);
    let mut preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    preface.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    tls.write_all(&preface)
        .context("sending the HTTP/2 preface")?;
    tls.flush()?;
    let mut header = [0u8; 9];
    tls.read_exact(&mut header)
        .context("reading the server's first HTTP/2 frame")?;
    if tls.conn.alpn_protocol() != Some(b"h2".as_slice()) {
        bail!("ALPN h2 was not negotiated");
    }
    if header[3] != 4 {
        bail!("the first frame is of type {}, not SETTINGS", header[3]);
    }
    Ok(())
}

/// `terraform-provider-cloudcontrol`, built into the same target directory as this test.
fn cloudcontrol_provider() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .context("the test binary is not in target/<profile>/deps")?;
    let bin = dir.join("terraform-provider-cloudcontrol");
    if !bin.is_file() {
        bail!(
            "{} is missing: run `cargo build --workspace --bins` first",
            bin.display()
        );
    }
    Ok(bin)
}

#[test]
fn only_the_pinned_client_certificate_completes_a_handshake() -> Result<()> {
    only_the_pinned_client_gets_through(binary())
}

#[test]
fn the_cloudcontrol_provider_refuses_any_client_but_terraform() -> Result<()> {
    only_the_pinned_client_gets_through(&cloudcontrol_provider()?)
}

fn only_the_pinned_client_gets_through(binary: &Path) -> Result<()> {
    let terraform = ClientIdentity::generate()?;
    let plugin = launch(binary, Some(&terraform), "6")?;
    let handshake = &plugin.handshake;
    assert_eq!(handshake.protocol_version, 6, "{handshake:?}");
    let address = handshake
        .tcp_addr()
        .context("the provider must listen on TCP")?;
    assert!(
        address.ip().is_loopback(),
        "listening on {address}, not loopback"
    );

    h2_over_tls(handshake, Some(&terraform)).context("the pinned client is refused")?;

    let anonymous = h2_over_tls(handshake, None);
    assert!(
        anonymous.is_err(),
        "a client without certificate got through"
    );
    let stranger = ClientIdentity::generate()?;
    let foreign = h2_over_tls(handshake, Some(&stranger));
    assert!(
        foreign.is_err(),
        "a client with a foreign certificate got through"
    );

    // The provider still serves its real client after refusing the others.
    h2_over_tls(handshake, Some(&terraform)).context("the pinned client after refusals")?;
    Ok(())
}
