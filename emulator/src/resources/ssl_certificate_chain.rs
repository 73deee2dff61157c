//! SSL certificate chains (`networkDomainVip/…SslCertificateChain`, API 2.6 on): the
//! intermediate certificates between a domain certificate and a trusted authority, imported as
//! one PEM text into a network domain for SSL offload profiles. Import and delete are
//! synchronous (`OK`); there is no edit.

use super::ssl_common as ssl;
use super::vip_common as common;
use super::{check_id, new_id, Ctx};
use crate::clock;
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::State;
use crate::paging::{self, FilterSpec};
use crate::store::Org;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A stored certificate chain (what the API reports of it; the certificate text is not kept).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SslCertificateChain {
    /// Id.
    pub id: String,
    /// Network domain id.
    pub network_domain_id: String,
    /// Datacenter id.
    pub datacenter_id: String,
    /// Name, unique among the domain's chains.
    pub name: String,
    /// Description (empty when none was given).
    pub description: String,
    /// Import time (ms).
    pub create_time_ms: u64,
    /// The earliest end of validity of the chain's certificates (ms).
    pub expiry_time_ms: u64,
    /// State (always NORMAL: the writes are synchronous).
    pub state: State,
}

impl SslCertificateChain {
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
    certificate_chain: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdBody {
    id: String,
}

/// The chain `id`, or RESOURCE_NOT_FOUND naming `field`.
pub fn find<'a>(org: &'a Org, field: &str, id: &str) -> Result<&'a SslCertificateChain, ApiError> {
    check_id(field, id)?;
    org.ssl_certificate_chains
        .get(id)
        .ok_or_else(|| ApiError::not_found("SSL Certificate Chain", id))
}

/// `GET networkDomainVip/sslCertificateChain/{id}`.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.as_deref().unwrap_or_default();
    Ok(Reply::Document(find(ctx.org, "id", id)?.to_json()))
}

/// `GET networkDomainVip/sslCertificateChain?networkDomainId=…&name=…`.
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = ctx
        .org
        .ssl_certificate_chains
        .values()
        .map(SslCertificateChain::to_json)
        .collect();
    paging::page(items, "sslCertificateChain", &ctx.call.query, FILTERS).map(Reply::Document)
}

/// `POST networkDomainVip/importSslCertificateChain` (synchronous; info
/// `sslCertificateChainId`).
pub fn import(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: ImportBody = ctx.body()?;
    let (nd_id, dc) = common::domain(ctx, &body.network_domain_id)?;
    common::check_texts(&body.name, body.description.as_deref())?;
    let expiry = ssl::certificates("certificateChain", &body.certificate_chain)?
        .iter()
        .map(|c| c.not_after_ms)
        .min()
        .unwrap_or_default();
    common::unique_name(
        ctx.org
            .ssl_certificate_chains
            .values()
            .any(|c| c.network_domain_id == nd_id && c.name == body.name),
        "SSL Certificate Chain",
        &body.name,
        &nd_id,
    )?;
    let id = new_id();
    let chain = SslCertificateChain {
        id: id.clone(),
        network_domain_id: nd_id,
        datacenter_id: dc,
        name: body.name,
        description: body.description.unwrap_or_default(),
        create_time_ms: ctx.call.now_ms,
        expiry_time_ms: expiry,
        state: State::Normal,
    };
    ctx.org.ssl_certificate_chains.insert(id.clone(), chain);
    Ok(Reply::Action(
        Action::ok(
            "IMPORT_SSL_CERTIFICATE_CHAIN",
            "SSL Certificate Chain has been imported.",
        )
        .info("sslCertificateChainId", id),
    ))
}

/// `POST networkDomainVip/deleteSslCertificateChain` (synchronous): refused while an SSL offload
/// profile uses the chain.
pub fn delete(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    let chain = find(ctx.org, "id", &body.id)?;
    let users: Vec<String> = ctx
        .org
        .ssl_offload_profiles
        .values()
        .filter(|p| p.chain_id.as_deref() == Some(chain.id.as_str()))
        .map(|p| format!("'{}'", p.name))
        .collect();
    if !users.is_empty() {
        return Err(ApiError::new(
            Code::HasDependency,
            format!(
                "id: SSL Certificate Chain '{}' is used by SSL Offload Profile(s) {}; delete or edit them first.",
                chain.name,
                users.join(", ")
            ),
        ));
    }
    ctx.org.ssl_certificate_chains.remove(&body.id);
    Ok(Reply::Action(Action::ok(
        "DELETE_SSL_CERTIFICATE_CHAIN",
        "SSL Certificate Chain has been deleted.",
    )))
}
