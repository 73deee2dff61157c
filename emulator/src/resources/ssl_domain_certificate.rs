//! SSL domain certificates (`networkDomainVip/…SslDomainCertificate`, API 2.6 on): an X.509
//! certificate and its RSA private key, imported into a network domain for SSL offload
//! profiles. Import and delete are synchronous (`OK`); there is no edit (clients delete and
//! import again).

use super::ssl_common::{self as ssl, ImportHead, ImportKind, Imported, KeyProblem};
use super::Ctx;
use crate::envelope::{ApiError, Code, Reply};
use crate::store::Org;
use serde::Deserialize;

/// A stored domain certificate (what the API reports of it; the certificate and key text are
/// not kept).
pub type SslDomainCertificate = Imported;

/// Domain certificates as one [`ImportKind`].
pub const KIND: ImportKind = ImportKind {
    what: "SSL Domain Certificate",
    collection: "sslDomainCertificate",
    import_op: "IMPORT_SSL_DOMAIN_CERTIFICATE",
    delete_op: "DELETE_SSL_DOMAIN_CERTIFICATE",
    id_info: "sslDomainCertificateId",
    records: |org| &org.ssl_domain_certificates,
    records_mut: |org| &mut org.ssl_domain_certificates,
    used_by: |profile, id| profile.certificate_id == id,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ImportBody {
    network_domain_id: String,
    name: String,
    #[serde(default)]
    description: Option<String>,
    key: String,
    certificate: String,
}

/// The certificate `id`, or RESOURCE_NOT_FOUND naming `field`.
pub fn find<'a>(org: &'a Org, field: &str, id: &str) -> Result<&'a SslDomainCertificate, ApiError> {
    KIND.find(org, field, id)
}

/// `GET networkDomainVip/sslDomainCertificate/{id}`.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    KIND.get(ctx)
}

/// `GET networkDomainVip/sslDomainCertificate?networkDomainId=…&name=…`.
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    KIND.list(ctx)
}

/// Checks a certificate and its key as the load balancers would: one X.509 certificate, an
/// unencrypted RSA private key of an accepted length that belongs to it. Returns the
/// certificate's end of validity (ms).
pub fn check_pair(datacenter: &str, certificate: &str, key: &str) -> Result<u64, ApiError> {
    let certs = ssl::certificates("certificate", certificate)?;
    let [cert] = certs.as_slice() else {
        return Err(ApiError::invalid(
            "certificate",
            format!(
                "holds {} certificates; a domain certificate is exactly one (import the intermediates as an SSL Certificate Chain)",
                certs.len()
            ),
        ));
    };
    let private = match ssl::private_key(key) {
        Ok(k) => k,
        Err(KeyProblem::Unreadable(rule)) => return Err(ApiError::invalid("key", rule)),
        Err(KeyProblem::NotRsa(rule)) => {
            return Err(ApiError::new(
                Code::ConfigurationNotSupported,
                format!("key: {rule}"),
            ))
        }
    };
    if !ssl::KEY_LENGTHS.contains(&private.bits()) {
        return Err(ssl::key_length_refusal(datacenter));
    }
    if cert.rsa.as_ref() != Some(&private) {
        return Err(ApiError::invalid(
            "key",
            "does not match the certificate (its public key is not the certificate's)",
        ));
    }
    Ok(cert.not_after_ms)
}

/// `POST networkDomainVip/importSslDomainCertificate` (synchronous; info
/// `sslDomainCertificateId`).
pub fn import(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: ImportBody = ctx.body()?;
    let head = ImportHead {
        network_domain_id: &body.network_domain_id,
        name: body.name,
        description: body.description,
    };
    let domain = KIND.open(ctx, &head)?;
    let expiry = check_pair(&domain.1, &body.certificate, &body.key)?;
    KIND.store(ctx, head, domain, expiry)
}

/// `POST networkDomainVip/deleteSslDomainCertificate` (synchronous): refused while an SSL offload
/// profile uses the certificate.
pub fn delete(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    KIND.delete(ctx)
}
