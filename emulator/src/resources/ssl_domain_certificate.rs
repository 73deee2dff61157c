//! SSL domain certificates (`networkDomainVip/…SslDomainCertificate`, API 2.6 on): an X.509
//! certificate and its RSA private key, imported into a network domain for SSL offload
//! profiles. Import and delete are synchronous (`OK`); there is no edit (clients delete and
//! import again).

use super::ssl_common::{self as ssl, KeyProblem};
use super::vip_common as common;
use super::{check_id, new_id, Ctx};
use crate::clock;
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::State;
use crate::paging::{self, FilterSpec};
use crate::store::Org;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A stored domain certificate (what the API reports of it; the certificate and key text are
/// not kept).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SslDomainCertificate {
    /// Id.
    pub id: String,
    /// Network domain id.
    pub network_domain_id: String,
    /// Datacenter id.
    pub datacenter_id: String,
    /// Name, unique among the domain's certificates.
    pub name: String,
    /// Description (empty when none was given).
    pub description: String,
    /// Import time (ms).
    pub create_time_ms: u64,
    /// The certificate's end of validity (ms).
    pub expiry_time_ms: u64,
    /// State (always NORMAL: the writes are synchronous).
    pub state: State,
}

impl SslDomainCertificate {
    /// The API's JSON shape.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "datacenterId": self.datacenter_id,
            "networkDomainId": self.network_domain_id,
            "name": self.name,
            "state": self.state.as_str(),
            "createTime": clock::iso8601(self.create_time_ms),
            "expiryTime": clock::iso8601(self.expiry_time_ms),
        });
        if !self.description.is_empty() {
            v["description"] = json!(self.description);
        }
        v
    }
}

/// List filters (the .NET client's and libcloud's).
const FILTERS: &[FilterSpec] = &[
    ("id", &["/id"]),
    ("networkDomainId", &["/networkDomainId"]),
    ("datacenterId", &["/datacenterId"]),
    ("name", &["/name"]),
    ("state", &["/state"]),
    ("createTime", &["/createTime"]),
    ("expiryTime", &["/expiryTime"]),
];

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdBody {
    id: String,
}

/// The certificate `id`, or RESOURCE_NOT_FOUND naming `field`.
pub fn find<'a>(org: &'a Org, field: &str, id: &str) -> Result<&'a SslDomainCertificate, ApiError> {
    check_id(field, id)?;
    org.ssl_domain_certificates
        .get(id)
        .ok_or_else(|| ApiError::not_found("SSL Domain Certificate", id))
}

/// `GET networkDomainVip/sslDomainCertificate/{id}`.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.as_deref().unwrap_or_default();
    Ok(Reply::Document(find(ctx.org, "id", id)?.to_json()))
}

/// `GET networkDomainVip/sslDomainCertificate?networkDomainId=…&name=…`.
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = ctx
        .org
        .ssl_domain_certificates
        .values()
        .map(SslDomainCertificate::to_json)
        .collect();
    paging::page(items, "sslDomainCertificate", &ctx.call.query, FILTERS).map(Reply::Document)
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
    let (nd_id, dc) = common::domain(ctx, &body.network_domain_id)?;
    common::check_texts(&body.name, body.description.as_deref())?;
    let expiry = check_pair(&dc, &body.certificate, &body.key)?;
    common::unique_name(
        ctx.org
            .ssl_domain_certificates
            .values()
            .any(|c| c.network_domain_id == nd_id && c.name == body.name),
        "SSL Domain Certificate",
        &body.name,
        &nd_id,
    )?;
    let id = new_id();
    let cert = SslDomainCertificate {
        id: id.clone(),
        network_domain_id: nd_id,
        datacenter_id: dc,
        name: body.name,
        description: body.description.unwrap_or_default(),
        create_time_ms: ctx.call.now_ms,
        expiry_time_ms: expiry,
        state: State::Normal,
    };
    ctx.org.ssl_domain_certificates.insert(id.clone(), cert);
    Ok(Reply::Action(
        Action::ok(
            "IMPORT_SSL_DOMAIN_CERTIFICATE",
            "SSL Domain Certificate has been imported.",
        )
        .info("sslDomainCertificateId", id),
    ))
}

/// `POST networkDomainVip/deleteSslDomainCertificate` (synchronous): refused while an SSL offload
/// profile uses the certificate.
pub fn delete(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    let cert = find(ctx.org, "id", &body.id)?;
    let users: Vec<String> = ctx
        .org
        .ssl_offload_profiles
        .values()
        .filter(|p| p.certificate_id == cert.id)
        .map(|p| format!("'{}'", p.name))
        .collect();
    if !users.is_empty() {
        return Err(ApiError::new(
            Code::HasDependency,
            format!(
                "id: SSL Domain Certificate '{}' is used by SSL Offload Profile(s) {}; delete or edit them first.",
                cert.name,
                users.join(", ")
            ),
        ));
    }
    ctx.org.ssl_domain_certificates.remove(&body.id);
    Ok(Reply::Action(Action::ok(
        "DELETE_SSL_DOMAIN_CERTIFICATE",
        "SSL Domain Certificate has been deleted.",
    )))
}
