//! SSL offload profiles (`networkDomainVip/…SslOffloadProfile`, API 2.6 on): a domain
//! certificate, an optional certificate chain and a cipher string that a virtual listener uses
//! to terminate SSL. Create, edit, delete: all synchronous (`OK`).

use super::ssl_common as ssl;
use super::vip_common::{self as common, Nullable};
use super::{check_id, new_id, ssl_certificate_chain, ssl_domain_certificate, Ctx, IdBody};
use crate::clock;
use crate::envelope::{Action, ApiError, Reply};
use crate::lifecycle::State;
use crate::paging::{self, FilterSpec};
use crate::store::Org;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A stored SSL offload profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SslOffloadProfile {
    /// Id.
    pub id: String,
    /// Network domain id.
    pub network_domain_id: String,
    /// Datacenter id.
    pub datacenter_id: String,
    /// Name, unique among the domain's profiles.
    pub name: String,
    /// Description (empty when none was given).
    pub description: String,
    /// The domain certificate.
    pub certificate_id: String,
    /// The certificate chain, if any.
    pub chain_id: Option<String>,
    /// Cipher string.
    pub ciphers: String,
    /// Creation time (ms).
    pub create_time_ms: u64,
    /// State (always NORMAL: the writes are synchronous).
    pub state: State,
}

impl SslOffloadProfile {
    /// The API's JSON shape: the certificate and chain as `{id, name, expiryTime}`.
    pub fn to_json(&self, org: &Org) -> Value {
        let mut v = json!({
            "id": self.id,
            "datacenterId": self.datacenter_id,
            "networkDomainId": self.network_domain_id,
            "name": self.name,
            "ciphers": self.ciphers,
            "state": self.state.as_str(),
            "createTime": clock::iso8601(self.create_time_ms),
        });
        if !self.description.is_empty() {
            v["description"] = json!(self.description);
        }
        if let Some(c) = org.ssl_domain_certificates.get(&self.certificate_id) {
            v["sslDomainCertificate"] = ssl::summary(&c.id, &c.name, c.expiry_time_ms);
        }
        if let Some(c) = self
            .chain_id
            .as_ref()
            .and_then(|id| org.ssl_certificate_chains.get(id))
        {
            v["sslCertificateChain"] = ssl::summary(&c.id, &c.name, c.expiry_time_ms);
        }
        v
    }

    /// What a virtual listener reports of its profile.
    pub fn summary(&self) -> Value {
        json!({"id": self.id, "name": self.name})
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
    ("sslDomainCertificateId", &["/sslDomainCertificate/id"]),
    ("sslDomainCertificateName", &["/sslDomainCertificate/name"]),
    ("sslCertificateChainId", &["/sslCertificateChain/id"]),
    ("sslCertificateChainName", &["/sslCertificateChain/name"]),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateBody {
    network_domain_id: String,
    name: String,
    #[serde(default)]
    description: Option<String>,
    /// go-dd-cloud-compute sends `null` for "the default".
    #[serde(default)]
    ciphers: Option<String>,
    ssl_domain_certificate_id: String,
    #[serde(default)]
    ssl_certificate_chain_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EditBody {
    id: String,
    name: String,
    #[serde(default)]
    description: Option<Nullable<String>>,
    #[serde(default)]
    ciphers: Option<Nullable<String>>,
    ssl_domain_certificate_id: String,
    #[serde(default)]
    ssl_certificate_chain_id: Option<Nullable<String>>,
    /// go-dd-cloud-compute sends the profile's domain along; it cannot change.
    #[serde(default)]
    network_domain_id: Option<String>,
}

/// The profile `id`, or RESOURCE_NOT_FOUND naming `field`.
pub fn find<'a>(org: &'a Org, field: &str, id: &str) -> Result<&'a SslOffloadProfile, ApiError> {
    check_id(field, id)?;
    org.ssl_offload_profiles
        .get(id)
        .ok_or_else(|| ApiError::not_found("SSL Offload Profile", id))
}

/// A cipher string: non-blank, printable, at most [`ssl::MAX_CIPHERS_LEN`] characters.
fn check_ciphers(ciphers: &str) -> Result<(), ApiError> {
    if ciphers.trim().is_empty() {
        return Err(ApiError::invalid(
            "ciphers",
            "must not be empty (leave it out for the default)",
        ));
    }
    if ciphers.chars().count() > ssl::MAX_CIPHERS_LEN {
        return Err(ApiError::invalid(
            "ciphers",
            format!("must be at most {} characters", ssl::MAX_CIPHERS_LEN),
        ));
    }
    if ciphers.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ApiError::invalid(
            "ciphers",
            "must not contain spaces or control characters",
        ));
    }
    Ok(())
}

/// The certificate and chain of a profile in `domain`: both must exist and be in that domain.
fn check_refs(
    org: &Org,
    domain: &str,
    certificate: &str,
    chain: Option<&str>,
) -> Result<(), ApiError> {
    let cert = ssl_domain_certificate::find(org, "sslDomainCertificateId", certificate)?;
    if cert.network_domain_id != domain {
        return Err(ApiError::invalid(
            "sslDomainCertificateId",
            format!(
                "SSL Domain Certificate '{}' is in another Network Domain.",
                cert.name
            ),
        ));
    }
    if let Some(chain) = chain {
        let chain = ssl_certificate_chain::find(org, "sslCertificateChainId", chain)?;
        if chain.network_domain_id != domain {
            return Err(ApiError::invalid(
                "sslCertificateChainId",
                format!(
                    "SSL Certificate Chain '{}' is in another Network Domain.",
                    chain.name
                ),
            ));
        }
    }
    Ok(())
}

fn name_taken(org: &Org, domain: &str, name: &str, except: Option<&str>) -> bool {
    org.ssl_offload_profiles
        .values()
        .any(|p| p.network_domain_id == domain && p.name == name && Some(p.id.as_str()) != except)
}

/// `GET networkDomainVip/sslOffloadProfile/{id}`.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.as_deref().unwrap_or_default();
    Ok(Reply::Document(find(ctx.org, "id", id)?.to_json(ctx.org)))
}

/// `GET networkDomainVip/sslOffloadProfile?networkDomainId=…&sslDomainCertificateId=…`.
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = ctx
        .org
        .ssl_offload_profiles
        .values()
        .map(|p| p.to_json(ctx.org))
        .collect();
    paging::page(items, "sslOffloadProfile", &ctx.call.query, FILTERS).map(Reply::Document)
}

/// `POST networkDomainVip/createSslOffloadProfile` (synchronous; info `sslOffloadProfileId`).
pub fn create(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: CreateBody = ctx.body()?;
    let (nd_id, dc) = common::domain(ctx, &body.network_domain_id)?;
    common::check_texts(&body.name, body.description.as_deref())?;
    if let Some(c) = &body.ciphers {
        check_ciphers(c)?;
    }
    check_refs(
        ctx.org,
        &nd_id,
        &body.ssl_domain_certificate_id,
        body.ssl_certificate_chain_id.as_deref(),
    )?;
    common::unique_name(
        name_taken(ctx.org, &nd_id, &body.name, None),
        "SSL Offload Profile",
        &body.name,
        &nd_id,
    )?;
    let id = new_id();
    let profile = SslOffloadProfile {
        id: id.clone(),
        network_domain_id: nd_id,
        datacenter_id: dc,
        name: body.name,
        description: body.description.unwrap_or_default(),
        certificate_id: body.ssl_domain_certificate_id,
        chain_id: body.ssl_certificate_chain_id,
        ciphers: body
            .ciphers
            .unwrap_or_else(|| ssl::DEFAULT_CIPHERS.to_string()),
        create_time_ms: ctx.call.now_ms,
        state: State::Normal,
    };
    ctx.org.ssl_offload_profiles.insert(id.clone(), profile);
    Ok(Reply::Action(
        Action::ok(
            "CREATE_SSL_OFFLOAD_PROFILE",
            "SSL Offload Profile has been created.",
        )
        .info("sslOffloadProfileId", id),
    ))
}

/// An empty value of a nillable edit field clears it, like `{"nil": true}`: an XML
/// `xsi:nil="true"` element (the .NET contract's way) reads as empty text.
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// `POST networkDomainVip/editSslOffloadProfile` (synchronous): name and certificate are always
/// given; description, ciphers and chain change when given, `{"nil": true}` clears them (the
/// ciphers back to the default).
pub fn edit(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: EditBody = ctx.body()?;
    let profile = find(ctx.org, "id", &body.id)?;
    let domain = profile.network_domain_id.clone();
    if let Some(nd) = &body.network_domain_id {
        if *nd != domain {
            return Err(ApiError::invalid(
                "networkDomainId",
                format!("an SSL Offload Profile cannot move to another Network Domain (it is in {domain})"),
            ));
        }
    }
    let description = body
        .description
        .map(|d| d.into_option("description"))
        .transpose()?;
    common::check_texts(&body.name, description.as_ref().and_then(|d| d.as_deref()))?;
    let ciphers = body
        .ciphers
        .map(|c| c.into_option("ciphers").map(non_empty))
        .transpose()?;
    if let Some(Some(c)) = &ciphers {
        check_ciphers(c)?;
    }
    let chain = match body.ssl_certificate_chain_id {
        Some(c) => non_empty(c.into_option("sslCertificateChainId")?),
        None => profile.chain_id.clone(),
    };
    check_refs(
        ctx.org,
        &domain,
        &body.ssl_domain_certificate_id,
        chain.as_deref(),
    )?;
    common::unique_name(
        name_taken(ctx.org, &domain, &body.name, Some(&body.id)),
        "SSL Offload Profile",
        &body.name,
        &domain,
    )?;
    let profile = ctx
        .org
        .ssl_offload_profiles
        .get_mut(&body.id)
        .ok_or_else(|| ApiError::not_found("SSL Offload Profile", &body.id))?;
    profile.name = body.name;
    if let Some(d) = description {
        profile.description = d.unwrap_or_default();
    }
    if let Some(c) = ciphers {
        profile.ciphers = c.unwrap_or_else(|| ssl::DEFAULT_CIPHERS.to_string());
    }
    profile.certificate_id = body.ssl_domain_certificate_id;
    profile.chain_id = chain;
    Ok(Reply::Action(Action::ok(
        "EDIT_SSL_OFFLOAD_PROFILE",
        "SSL Offload Profile has been edited.",
    )))
}

/// `POST networkDomainVip/deleteSslOffloadProfile` (synchronous): refused while a virtual
/// listener uses the profile.
pub fn delete(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    let profile = find(ctx.org, "id", &body.id)?;
    let users = ctx
        .org
        .virtual_listeners
        .values()
        .filter(|l| l.ssl_offload_profile_id.as_deref() == Some(profile.id.as_str()))
        .map(|l| l.name.as_str());
    ssl::in_use(
        "SSL Offload Profile",
        &profile.name,
        "Virtual Listener(s)",
        users,
        "edit or delete them first",
    )?;
    ctx.org.ssl_offload_profiles.remove(&body.id);
    Ok(Reply::Action(Action::ok(
        "DELETE_SSL_OFFLOAD_PROFILE",
        "SSL Offload Profile has been deleted.",
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::Code;

    #[test]
    fn ciphers_are_one_non_blank_word() {
        assert!(check_ciphers(ssl::DEFAULT_CIPHERS).is_ok());
        assert!(check_ciphers("!ECDHE+AES-GCM:").is_ok());
        assert!(check_ciphers("  ").is_err());
        assert!(check_ciphers("HIGH MEDIUM").is_err());
        assert!(check_ciphers(&"A".repeat(ssl::MAX_CIPHERS_LEN + 1)).is_err());
    }

    #[test]
    fn unknown_references_are_not_found() {
        let org = Org::default();
        let e = check_refs(&org, "d", "8a8f6abc-2745-4d8a-9cbc-8dabe5a7d0e4", None).unwrap_err();
        assert_eq!(e.code, Code::ResourceNotFound);
        let e = check_refs(&org, "d", "not-an-id", None).unwrap_err();
        assert_eq!(e.code, Code::InvalidInputData);
    }
}
