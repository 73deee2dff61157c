//! What the SSL offload resources (domain certificates, certificate chains, offload profiles)
//! share: the operations and their API version, routing, and reading the PEM certificates and
//! RSA keys clients import (expiry, key length, whether a key belongs to a certificate).
//!
//! Only what the API reports is kept of an import (name, description, expiry): the certificate
//! text and the private key are checked and then dropped, so no key material reaches the state
//! file.

use super::vip_common as common;
use super::{check_id, new_id, ssl_certificate_chain, ssl_domain_certificate, ssl_offload_profile};
use super::{Ctx, IdBody};
use crate::clock;
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::State;
use crate::paging::{self, FilterSpec};
use crate::resources::ssl_offload_profile::SslOffloadProfile;
use crate::store::Org;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use x509_parser::der_parser::{self, ber::BerObject};
use x509_parser::pem::Pem;
use x509_parser::public_key::PublicKey;

/// First API minor version with SSL offload (go-dd-cloud-compute calls every SSL operation at
/// 2.6, the version that brought virtual listeners).
pub const SINCE_MINOR: u32 = 6;

/// The SSL operations and collections of the `networkDomainVip` area.
pub const OPS: &[&str] = &[
    "importSslDomainCertificate",
    "sslDomainCertificate",
    "deleteSslDomainCertificate",
    "importSslCertificateChain",
    "sslCertificateChain",
    "deleteSslCertificateChain",
    "createSslOffloadProfile",
    "editSslOffloadProfile",
    "sslOffloadProfile",
    "deleteSslOffloadProfile",
];

/// RSA key lengths the load balancers accept (the recorded refusal lists them).
pub const KEY_LENGTHS: &[usize] = &[512, 1024, 2048];

/// The cipher string a profile gets when it is created without one (libcloud's documented
/// default).
pub const DEFAULT_CIPHERS: &str = "MEDIUM:HIGH:!EXPORT:!ADH:!MD5:!RC4:!SSLv2:!SSLv3:!ECDHE+AES-GCM:!ECDHE+AES:!ECDHE+3DES:!ECDHE_ECDSA:!ECDH_RSA:!ECDH_ECDSA:@SPEED";

/// Longest cipher string accepted (unpublished; our reading).
pub const MAX_CIPHERS_LEN: usize = 1024;

/// Routes an SSL operation (`op` is one of [`OPS`]).
pub fn dispatch(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let has_id = ctx.call.id.is_some();
    match (ctx.call.post, ctx.call.op.as_str()) {
        (true, "importSslDomainCertificate") => ssl_domain_certificate::import(ctx),
        (false, "sslDomainCertificate") if has_id => ssl_domain_certificate::get(ctx),
        (false, "sslDomainCertificate") => ssl_domain_certificate::list(ctx),
        (true, "deleteSslDomainCertificate") => ssl_domain_certificate::delete(ctx),
        (true, "importSslCertificateChain") => ssl_certificate_chain::import(ctx),
        (false, "sslCertificateChain") if has_id => ssl_certificate_chain::get(ctx),
        (false, "sslCertificateChain") => ssl_certificate_chain::list(ctx),
        (true, "deleteSslCertificateChain") => ssl_certificate_chain::delete(ctx),
        (true, "createSslOffloadProfile") => ssl_offload_profile::create(ctx),
        (true, "editSslOffloadProfile") => ssl_offload_profile::edit(ctx),
        (false, "sslOffloadProfile") if has_id => ssl_offload_profile::get(ctx),
        (false, "sslOffloadProfile") => ssl_offload_profile::list(ctx),
        (true, "deleteSslOffloadProfile") => ssl_offload_profile::delete(ctx),
        _ => Err(ApiError::new(
            Code::OperationNotSupported,
            format!(
                "{} networkDomainVip/{} is not an operation of the CloudControl API",
                if ctx.call.post { "POST" } else { "GET" },
                ctx.call.op
            ),
        )
        .with_status(axum::http::StatusCode::NOT_FOUND)),
    }
}

/// Number of SSL objects (certificates, chains, profiles) left in a network domain.
pub fn objects_in(org: &Org, domain: &str) -> usize {
    org.ssl_domain_certificates
        .values()
        .filter(|c| c.network_domain_id == domain)
        .count()
        + org
            .ssl_certificate_chains
            .values()
            .filter(|c| c.network_domain_id == domain)
            .count()
        + org
            .ssl_offload_profiles
            .values()
            .filter(|p| p.network_domain_id == domain)
            .count()
}

/// What is kept of an imported domain certificate or certificate chain. The API reports the
/// same fields for both kinds, so one record serves both; what differs is checked on import.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Imported {
    /// Id.
    pub id: String,
    /// Network domain id.
    pub network_domain_id: String,
    /// Datacenter id.
    pub datacenter_id: String,
    /// Name, unique among the domain's imports of the same kind.
    pub name: String,
    /// Description (empty when none was given).
    pub description: String,
    /// Import time (ms).
    pub create_time_ms: u64,
    /// End of validity (ms): the certificate's, or the earliest of a chain's certificates.
    pub expiry_time_ms: u64,
    /// State (always NORMAL: the writes are synchronous).
    pub state: State,
}

impl Imported {
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

/// List filters of both import kinds (the .NET client's and libcloud's).
const IMPORT_FILTERS: &[FilterSpec] = &[
    ("id", &["/id"]),
    ("networkDomainId", &["/networkDomainId"]),
    ("datacenterId", &["/datacenterId"]),
    ("name", &["/name"]),
    ("state", &["/state"]),
    ("createTime", &["/createTime"]),
    ("expiryTime", &["/expiryTime"]),
];

/// One kind of import (domain certificate or certificate chain): how the API names it and
/// where the organisation keeps it. Get, list, the end of an import and delete are the same
/// for both kinds; each kind's module checks its own certificate text and says which profiles
/// use a record.
pub struct ImportKind {
    /// The kind as messages name it, e.g. `SSL Domain Certificate`.
    pub what: &'static str,
    /// Its list collection, e.g. `sslDomainCertificate`.
    pub collection: &'static str,
    /// The import operation, e.g. `IMPORT_SSL_DOMAIN_CERTIFICATE`.
    pub import_op: &'static str,
    /// The delete operation, e.g. `DELETE_SSL_DOMAIN_CERTIFICATE`.
    pub delete_op: &'static str,
    /// The `info` name under which an import returns the new id.
    pub id_info: &'static str,
    /// The organisation's records of this kind.
    pub records: fn(&Org) -> &BTreeMap<String, Imported>,
    /// The same records, to change.
    pub records_mut: fn(&mut Org) -> &mut BTreeMap<String, Imported>,
    /// Whether a profile uses the record with the given id.
    pub used_by: fn(&SslOffloadProfile, &str) -> bool,
}

/// The name, description and domain every import body carries.
pub struct ImportHead<'a> {
    /// Network domain id as given.
    pub network_domain_id: &'a str,
    /// Name.
    pub name: String,
    /// Description, if given.
    pub description: Option<String>,
}

impl ImportKind {
    /// The record `id`, or RESOURCE_NOT_FOUND naming `field`.
    pub fn find<'a>(&self, org: &'a Org, field: &str, id: &str) -> Result<&'a Imported, ApiError> {
        check_id(field, id)?;
        (self.records)(org)
            .get(id)
            .ok_or_else(|| ApiError::not_found(self.what, id))
    }

    /// `GET networkDomainVip/{collection}/{id}`.
    pub fn get(&self, ctx: &mut Ctx) -> Result<Reply, ApiError> {
        let id = ctx.call.id.as_deref().unwrap_or_default();
        Ok(Reply::Document(self.find(ctx.org, "id", id)?.to_json()))
    }

    /// `GET networkDomainVip/{collection}?…`.
    pub fn list(&self, ctx: &mut Ctx) -> Result<Reply, ApiError> {
        let items = (self.records)(ctx.org)
            .values()
            .map(Imported::to_json)
            .collect();
        paging::page(items, self.collection, &ctx.call.query, IMPORT_FILTERS).map(Reply::Document)
    }

    /// The first checks of an import: the domain (returned with its datacenter), then name and
    /// description. The kind's own certificate checks come after these.
    pub fn open(&self, ctx: &Ctx, head: &ImportHead) -> Result<(String, String), ApiError> {
        let found = common::domain(ctx, head.network_domain_id)?;
        common::check_texts(&head.name, head.description.as_deref())?;
        Ok(found)
    }

    /// The end of an import whose certificate text passed: the name must be free in the domain,
    /// then the record is kept and its id returned (synchronous `OK`).
    pub fn store(
        &self,
        ctx: &mut Ctx,
        head: ImportHead,
        (nd_id, dc): (String, String),
        expiry_time_ms: u64,
    ) -> Result<Reply, ApiError> {
        common::unique_name(
            (self.records)(ctx.org)
                .values()
                .any(|c| c.network_domain_id == nd_id && c.name == head.name),
            self.what,
            &head.name,
            &nd_id,
        )?;
        let id = new_id();
        let record = Imported {
            id: id.clone(),
            network_domain_id: nd_id,
            datacenter_id: dc,
            name: head.name,
            description: head.description.unwrap_or_default(),
            create_time_ms: ctx.call.now_ms,
            expiry_time_ms,
            state: State::Normal,
        };
        (self.records_mut)(ctx.org).insert(id.clone(), record);
        Ok(Reply::Action(
            Action::ok(self.import_op, format!("{} has been imported.", self.what))
                .info(self.id_info, id),
        ))
    }

    /// `POST networkDomainVip/delete…` (synchronous): refused while an SSL offload profile uses
    /// the record.
    pub fn delete(&self, ctx: &mut Ctx) -> Result<Reply, ApiError> {
        let body: IdBody = ctx.body()?;
        let record = self.find(ctx.org, "id", &body.id)?;
        let users = ctx
            .org
            .ssl_offload_profiles
            .values()
            .filter(|p| (self.used_by)(p, &record.id))
            .map(|p| p.name.as_str());
        in_use(
            self.what,
            &record.name,
            "SSL Offload Profile(s)",
            users,
            "delete or edit them first",
        )?;
        (self.records_mut)(ctx.org).remove(&body.id);
        Ok(Reply::Action(Action::ok(
            self.delete_op,
            format!("{} has been deleted.", self.what),
        )))
    }
}

/// The HAS_DEPENDENCY refusal of deleting the `what` named `name` while `users` (names of
/// `users_kind`) still refer to it; `Ok` when there are none. Certificates, chains and profiles
/// all refuse with this one message shape.
pub fn in_use<'a>(
    what: &str,
    name: &str,
    users_kind: &str,
    users: impl Iterator<Item = &'a str>,
    advice: &str,
) -> Result<(), ApiError> {
    let users: Vec<String> = users.map(|u| format!("'{u}'")).collect();
    if users.is_empty() {
        return Ok(());
    }
    Err(ApiError::new(
        Code::HasDependency,
        format!(
            "id: {what} '{name}' is used by {users_kind} {}; {advice}.",
            users.join(", ")
        ),
    ))
}

/// An RSA public key: modulus and public exponent, big-endian without leading zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaKey {
    /// Modulus.
    pub modulus: Vec<u8>,
    /// Public exponent.
    pub exponent: Vec<u8>,
}

impl RsaKey {
    fn new(modulus: &[u8], exponent: &[u8]) -> RsaKey {
        RsaKey {
            modulus: strip_zeros(modulus).to_vec(),
            exponent: strip_zeros(exponent).to_vec(),
        }
    }

    /// Key length in bits (bit length of the modulus).
    pub fn bits(&self) -> usize {
        match self.modulus.first() {
            Some(first) => (self.modulus.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
            None => 0,
        }
    }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// What the emulator reads of one imported certificate.
#[derive(Debug, Clone)]
pub struct CertificateFacts {
    /// End of validity (ms since the epoch).
    pub not_after_ms: u64,
    /// Its RSA public key, if the key is RSA.
    pub rsa: Option<RsaKey>,
}

/// The PEM blocks of `text`, or the rule it breaks.
fn pem_blocks(text: &str) -> Result<Vec<Pem>, String> {
    let blocks = Pem::iter_from_buffer(text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("is not valid PEM ({e})"))?;
    if blocks.is_empty() {
        return Err("holds no PEM block (-----BEGIN …-----)".into());
    }
    Ok(blocks)
}

/// Reads the PEM certificates of `text` (every block must be a `CERTIFICATE` that parses as
/// X.509), naming `field` in the refusal.
pub fn certificates(field: &str, text: &str) -> Result<Vec<CertificateFacts>, ApiError> {
    let mut out = Vec::new();
    let blocks = pem_blocks(text).map_err(|rule| ApiError::invalid(field, rule))?;
    for (i, block) in blocks.iter().enumerate() {
        if block.label != "CERTIFICATE" {
            return Err(ApiError::invalid(
                field,
                format!(
                    "PEM block {} is a `{}`, not a CERTIFICATE",
                    i + 1,
                    block.label
                ),
            ));
        }
        let cert = block.parse_x509().map_err(|e| {
            ApiError::invalid(
                field,
                format!("PEM block {} is not an X.509 certificate ({e})", i + 1),
            )
        })?;
        let rsa = match cert.public_key().parsed() {
            Ok(PublicKey::RSA(k)) => Some(RsaKey::new(k.modulus, k.exponent)),
            _ => None,
        };
        let not_after = cert.validity().not_after.timestamp().max(0) as u64;
        out.push(CertificateFacts {
            not_after_ms: not_after * 1000,
            rsa,
        });
    }
    Ok(out)
}

/// Why a private key cannot be used.
#[derive(Debug)]
pub enum KeyProblem {
    /// Not PEM, not a private key, or malformed.
    Unreadable(String),
    /// A private key, but not RSA.
    NotRsa(String),
}

const RSA_ENCRYPTION_OID: &str = "1.2.840.113549.1.1.1";

/// The RSA public key of a PEM private key (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`).
pub fn private_key(text: &str) -> Result<RsaKey, KeyProblem> {
    let blocks = pem_blocks(text).map_err(KeyProblem::Unreadable)?;
    let [block] = blocks.as_slice() else {
        return Err(KeyProblem::Unreadable(format!(
            "holds {} PEM blocks; exactly one private key is expected",
            blocks.len()
        )));
    };
    let unreadable = |what: &str| KeyProblem::Unreadable(format!("is not a valid {what}"));
    match block.label.as_str() {
        "RSA PRIVATE KEY" => {
            rsa_private_key(&block.contents).ok_or_else(|| unreadable("PKCS#1 RSA private key"))
        }
        "PRIVATE KEY" => {
            let (_, info) = der_parser::parse_der(&block.contents)
                .map_err(|_| unreadable("PKCS#8 private key"))?;
            let fields = info
                .as_sequence()
                .map_err(|_| unreadable("PKCS#8 private key"))?;
            let algorithm = fields
                .get(1)
                .and_then(|a| a.as_sequence().ok())
                .and_then(|a| a.first())
                .and_then(|oid| oid.as_oid().ok())
                .map(|oid| oid.to_id_string())
                .ok_or_else(|| unreadable("PKCS#8 private key"))?;
            if algorithm != RSA_ENCRYPTION_OID {
                return Err(KeyProblem::NotRsa(format!(
                    "is not an RSA key (algorithm {algorithm}); only RSA keys are supported"
                )));
            }
            let inner = fields
                .get(2)
                .and_then(|k| k.as_slice().ok())
                .ok_or_else(|| unreadable("PKCS#8 private key"))?;
            rsa_private_key(inner).ok_or_else(|| unreadable("PKCS#8 RSA private key"))
        }
        "EC PRIVATE KEY" | "DSA PRIVATE KEY" => Err(KeyProblem::NotRsa(format!(
            "is a `{}`; only RSA keys are supported",
            block.label
        ))),
        "ENCRYPTED PRIVATE KEY" => Err(KeyProblem::Unreadable(
            "is encrypted; import the key without a passphrase".into(),
        )),
        other => Err(KeyProblem::Unreadable(format!(
            "is a `{other}`, not a private key"
        ))),
    }
}

/// Modulus and public exponent of a PKCS#1 `RSAPrivateKey` (version, n, e, …).
fn rsa_private_key(der: &[u8]) -> Option<RsaKey> {
    let (_, key) = der_parser::parse_der(der).ok()?;
    let fields: &Vec<BerObject> = key.as_sequence().ok()?;
    if fields.len() < 9 {
        return None;
    }
    let modulus = fields[1].as_slice().ok()?;
    let exponent = fields[2].as_slice().ok()?;
    Some(RsaKey::new(modulus, exponent))
}

/// The refusal of a key whose length the load balancers do not take (the recorded code and
/// message).
pub fn key_length_refusal(datacenter: &str) -> ApiError {
    let lengths: Vec<String> = KEY_LENGTHS.iter().map(|n| n.to_string()).collect();
    ApiError::new(
        Code::ConfigurationNotSupported,
        format!(
            "Data Center {datacenter} requires key length must be one of {}.",
            lengths.join(", ")
        ),
    )
}

/// The `{id, name, expiryTime}` a profile reports of its certificate or chain.
pub fn summary(id: &str, name: &str, expiry_ms: u64) -> serde_json::Value {
    serde_json::json!({"id": id, "name": name, "expiryTime": crate::clock::iso8601(expiry_ms)})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_length_counts_significant_bits() {
        assert_eq!(RsaKey::new(&[0, 0x80, 0, 0], &[1, 0, 1]).bits(), 24);
        assert_eq!(RsaKey::new(&[0x01, 0xff], &[3]).bits(), 9);
        assert_eq!(RsaKey::new(&[], &[3]).bits(), 0);
    }

    #[test]
    fn garbage_is_not_pem() {
        assert!(certificates("certificate", "hello").is_err());
        let e = certificates(
            "certificate",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap_err();
        assert_eq!(e.code, Code::InvalidInputData);
        assert!(e.message.starts_with("certificate:"), "{}", e.message);
        assert!(matches!(
            private_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
            Err(KeyProblem::Unreadable(_))
        ));
        assert!(matches!(
            private_key("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"),
            Err(KeyProblem::NotRsa(_))
        ));
    }

    #[test]
    fn pkcs1_and_pkcs8_keys_give_the_certificate_public_key() {
        use base64::Engine;
        let key =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .unwrap();
        let cert = rcgen::CertificateParams::new(vec!["example.com".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let facts = certificates("certificate", &cert.pem()).unwrap();
        let from_cert = facts[0].rsa.clone().unwrap();
        assert_eq!(from_cert.bits(), 2048);
        let pkcs8 = private_key(&key.serialize_pem()).unwrap();
        assert_eq!(pkcs8, from_cert);
        // The same key as PKCS#1: the octet string inside the PKCS#8 structure.
        let der = key.serialize_der();
        let (_, info) = der_parser::parse_der(&der).unwrap();
        let inner = info.as_sequence().unwrap()[2].as_slice().unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(inner);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let pem = format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
            lines.join("\n")
        );
        assert_eq!(private_key(&pem).unwrap(), from_cert);
        // Not RSA: an ECDSA key in PKCS#8.
        let ec = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        assert!(matches!(
            private_key(&ec.serialize_pem()),
            Err(KeyProblem::NotRsa(_))
        ));
    }

    #[test]
    fn the_refusal_lists_the_lengths() {
        let e = key_length_refusal("EU6");
        assert_eq!(e.code, Code::ConfigurationNotSupported);
        assert_eq!(
            e.message,
            "Data Center EU6 requires key length must be one of 512, 1024, 2048."
        );
    }
}
