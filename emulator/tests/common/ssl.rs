//! Certificates and keys for the SSL offload tests, generated with rcgen: RSA keys are slow to
//! make, so each kind is made once per test binary.

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, IsCa, KeyPair, RsaKeySize,
    PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256,
};
use std::sync::OnceLock;

/// A PEM certificate and the PEM (PKCS#8) private key it was made for.
#[derive(Clone)]
pub struct Pair {
    pub certificate: String,
    pub key: String,
}

/// The end of validity of every generated certificate.
pub const NOT_AFTER: &str = "2031-05-17T00:00:00.000Z";

fn self_signed(key: KeyPair, ca: bool) -> Pair {
    let mut params = CertificateParams::new(vec!["www.example.com".to_string()]).unwrap();
    params.not_after = date_time_ymd(2031, 5, 17);
    if ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    }
    let cert = params.self_signed(&key).unwrap();
    Pair {
        certificate: cert.pem(),
        key: key.serialize_pem(),
    }
}

fn rsa(size: RsaKeySize) -> KeyPair {
    KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, size).unwrap()
}

/// A 2048-bit RSA certificate for `www.example.com`.
pub fn rsa_2048() -> &'static Pair {
    static PAIR: OnceLock<Pair> = OnceLock::new();
    PAIR.get_or_init(|| self_signed(rsa(RsaKeySize::_2048), false))
}

/// Another 2048-bit RSA certificate (its key does not fit [`rsa_2048`]'s certificate).
pub fn other_rsa_2048() -> &'static Pair {
    static PAIR: OnceLock<Pair> = OnceLock::new();
    PAIR.get_or_init(|| self_signed(rsa(RsaKeySize::_2048), false))
}

/// A 4096-bit RSA certificate (a key length the load balancers refuse).
pub fn rsa_4096() -> &'static Pair {
    static PAIR: OnceLock<Pair> = OnceLock::new();
    PAIR.get_or_init(|| self_signed(rsa(RsaKeySize::_4096), false))
}

/// An ECDSA P-256 certificate (not RSA).
pub fn ecdsa() -> Pair {
    self_signed(
        KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap(),
        false,
    )
}

/// A chain of two CA certificates (ECDSA: chains carry no private key).
pub fn chain() -> String {
    let a = self_signed(
        KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap(),
        true,
    );
    let b = self_signed(
        KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap(),
        true,
    );
    format!("{}{}", a.certificate, b.certificate)
}
