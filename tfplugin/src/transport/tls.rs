//! AutoMTLS as go-plugin performs it: the provider presents its own self-signed
//! certificate for `localhost`, negotiates ALPN `h2`, and accepts exactly one client,
//! the certificate Terraform handed over in `PLUGIN_CLIENT_CERT`.
//!
//! Terraform's certificate is ECDSA P-521 / SHA-512 and marked CA:TRUE, which the stock
//! webpki client verifier rejects as an end entity, so the client is verified by a
//! pinned-DER verifier that still checks the handshake signature with aws-lc-rs.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{aws_lc_rs, CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};
use thiserror::Error;

/// Failures while setting up the provider's TLS side.
#[derive(Debug, Error)]
pub enum TlsError {
    /// `PLUGIN_CLIENT_CERT` holds no usable PEM certificate.
    #[error("PLUGIN_CLIENT_CERT does not contain a PEM certificate: {0}")]
    ClientCertPem(String),
    /// Key or certificate generation failed.
    #[error("generating the provider's TLS certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("building the TLS server configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// The provider's own certificate and private key for one process lifetime.
pub struct ServerIdentity {
    /// DER certificate, also printed in the handshake line.
    pub cert_der: CertificateDer<'static>,
    key_der: PrivatePkcs8KeyDer<'static>,
}

impl ServerIdentity {
    /// Generates a fresh P-256 key and a self-signed certificate valid for `localhost`.
    ///
    /// Like go-plugin's own certificate it is its own CA (basic constraints CA, key usage
    /// certSign), because Terraform installs it as the only trusted root.
    pub fn generate() -> Result<Self, TlsError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()])?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "tfplugin provider");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyEncipherment,
            rcgen::KeyUsagePurpose::KeyAgreement,
            rcgen::KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_der: cert.der().clone(),
            key_der: PrivatePkcs8KeyDer::from(key.serialize_der()),
        })
    }
}

/// Parses the first certificate of a PEM document such as `PLUGIN_CLIENT_CERT`.
pub fn client_cert_from_pem(pem: &str) -> Result<CertificateDer<'static>, TlsError> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| TlsError::ClientCertPem(e.to_string()))
}

/// The crypto provider for every TLS operation here: aws-lc-rs, because ring cannot
/// verify Terraform's P-521 signatures.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(aws_lc_rs::default_provider())
}

/// Builds the server configuration: our identity, ALPN `h2`, TLS 1.2+ and a mandatory
/// client certificate pinned to `client_cert`.
pub fn server_config(
    identity: &ServerIdentity,
    client_cert: CertificateDer<'static>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = crypto_provider();
    let verifier = PinnedClientCert::new(client_cert, provider.signature_verification_algorithms);
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(
            vec![identity.cert_der.clone()],
            PrivateKeyDer::Pkcs8(identity.key_der.clone_key()),
        )?;
    // grpc-go 1.67+ (Terraform 1.12+) refuses TLS servers that negotiate no ALPN.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// Accepts exactly one client certificate, byte for byte, and checks that the peer
/// holds its private key.
#[derive(Debug)]
pub struct PinnedClientCert {
    pinned: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCert {
    /// A verifier pinned to `pinned`, checking signatures with `algorithms`.
    pub fn new(pinned: CertificateDer<'static>, algorithms: WebPkiSupportedAlgorithms) -> Self {
        Self { pinned, algorithms }
    }
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_a_localhost_certificate_with_h2() {
        let identity = ServerIdentity::generate().unwrap();
        assert!(!identity.cert_der.is_empty());
        let other = ServerIdentity::generate().unwrap();
        let config = server_config(&identity, other.cert_der.clone()).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec()]);
    }

    #[test]
    fn verifier_accepts_only_the_pinned_der() {
        let pinned = ServerIdentity::generate().unwrap().cert_der;
        let stranger = ServerIdentity::generate().unwrap().cert_der;
        let verifier = PinnedClientCert::new(
            pinned.clone(),
            crypto_provider().signature_verification_algorithms,
        );
        assert!(verifier.client_auth_mandatory());
        assert!(verifier
            .verify_client_cert(&pinned, &[], UnixTime::now())
            .is_ok());
        assert!(verifier
            .verify_client_cert(&stranger, &[], UnixTime::now())
            .is_err());
    }

    #[test]
    fn p521_sha512_is_a_supported_client_scheme() {
        let verifier = PinnedClientCert::new(
            CertificateDer::from(vec![0u8]),
            crypto_provider().signature_verification_algorithms,
        );
        assert!(verifier
            .supported_verify_schemes()
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
    }

    #[test]
    fn pem_parsing_reports_garbage() {
        assert!(client_cert_from_pem("not a certificate").is_err());
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        assert_eq!(
            client_cert_from_pem(&cert.pem()).unwrap().as_ref(),
            cert.der().as_ref()
        );
    }
}
