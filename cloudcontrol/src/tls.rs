//! TLS settings for API connections: rustls with the aws-lc-rs crypto provider and the platform's
//! root certificates, so certificate verification works the same on every machine and no second
//! crypto library (ring) is linked in.

use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};

/// Builds the rustls configuration used for every API connection: the platform's trusted roots,
/// TLS 1.2 and 1.3, certificate and host name verification always on.
pub(crate) fn client_config() -> Result<ClientConfig, String> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        // A malformed certificate in the system store is skipped rather than failing every call.
        let _ = roots.add(cert);
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set TLS protocol versions: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_offers_http1_and_uses_aws_lc_rs() {
        let config = client_config().expect("TLS configuration builds");
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        // aws-lc-rs supports P-521 signatures; ring does not, so this tells the providers apart.
        let schemes = config
            .crypto_provider()
            .signature_verification_algorithms
            .supported_schemes();
        assert!(schemes.contains(&rustls::SignatureScheme::ECDSA_NISTP521_SHA512));
    }
}
