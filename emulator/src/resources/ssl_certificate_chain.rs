//! SSL certificate chains (`networkDomainVip/…SslCertificateChain`, API 2.6 on): the
//! intermediate certificates between a domain certificate and a trusted authority, imported as
//! one PEM text into a network domain for SSL offload profiles. Import and delete are
//! synchronous (`OK`); there is no edit. What chains share with domain certificates lives in
//! [`ssl_common`](super::ssl_common); this file keeps what is a chain's own.

use super::ssl_common::{self as ssl, ImportHead, ImportKind, Imported};
use super::Ctx;
use crate::envelope::{ApiError, Reply};
use crate::store::Org;
use serde::Deserialize;

/// A stored certificate chain (what the API reports of it; the certificate text is not kept).
pub type SslCertificateChain = Imported;

/// Certificate chains as one [`ImportKind`].
pub const KIND: ImportKind = ImportKind {
    what: "SSL Certificate Chain",
    collection: "sslCertificateChain",
    import_op: "IMPORT_SSL_CERTIFICATE_CHAIN",
    delete_op: "DELETE_SSL_CERTIFICATE_CHAIN",
    id_info: "sslCertificateChainId",
    records: |org| &org.ssl_certificate_chains,
    records_mut: |org| &mut org.ssl_certificate_chains,
    used_by: |profile, id| profile.chain_id.as_deref() == Some(id),
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ImportBody {
    network_domain_id: String,
    name: String,
    #[serde(default)]
    description: Option<String>,
    certificate_chain: String,
}

/// The chain `id`, or RESOURCE_NOT_FOUND naming `field`.
pub fn find<'a>(org: &'a Org, field: &str, id: &str) -> Result<&'a SslCertificateChain, ApiError> {
    KIND.find(org, field, id)
}

/// `GET networkDomainVip/sslCertificateChain/{id}`.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    KIND.get(ctx)
}

/// `GET networkDomainVip/sslCertificateChain?networkDomainId=…&name=…`.
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    KIND.list(ctx)
}

/// `POST networkDomainVip/importSslCertificateChain` (synchronous; info
/// `sslCertificateChainId`). A chain expires with its first certificate to expire.
pub fn import(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: ImportBody = ctx.body()?;
    let head = ImportHead {
        network_domain_id: &body.network_domain_id,
        name: body.name,
        description: body.description,
    };
    let domain = KIND.open(ctx, &head)?;
    let expiry = ssl::certificates("certificateChain", &body.certificate_chain)?
        .iter()
        .map(|c| c.not_after_ms)
        .min()
        .unwrap_or_default();
    KIND.store(ctx, head, domain, expiry)
}

/// `POST networkDomainVip/deleteSslCertificateChain` (synchronous): refused while an SSL offload
/// profile uses the chain.
pub fn delete(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    KIND.delete(ctx)
}
