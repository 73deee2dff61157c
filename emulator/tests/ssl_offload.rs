//! SSL offload in the load balancer (`networkDomainVip`): domain certificates, certificate
//! chains and offload profiles through their whole life in JSON and XML, a virtual listener
//! terminating SSL with a profile, every refusal with its code (each changing nothing), the 2.6
//! boundary, and persistence across a `--state` restart.

mod common;

use common::ssl::{self, NOT_AFTER};
use common::{assert_error, emulator, Emu};
use serde_json::{json, Value};

const VIP: &str = "networkDomainVip";

async fn advanced(emu: &Emu, name: &str) -> String {
    emu.ok(
        "network/deployNetworkDomain",
        json!({"name": name, "type": "ADVANCED", "datacenterId": "NA9"}),
    )
    .await
}

fn import_body(nd: &str, name: &str, pair: &ssl::Pair) -> Value {
    json!({"networkDomainId": nd, "name": name, "description": "test cert",
           "certificate": pair.certificate, "key": pair.key})
}

async fn import_cert(emu: &Emu, nd: &str, name: &str) -> String {
    emu.ok(
        &format!("{VIP}/importSslDomainCertificate"),
        import_body(nd, name, ssl::rsa_2048()),
    )
    .await
}

async fn import_chain(emu: &Emu, nd: &str, name: &str) -> String {
    emu.ok(
        &format!("{VIP}/importSslCertificateChain"),
        json!({"networkDomainId": nd, "name": name, "certificateChain": ssl::chain()}),
    )
    .await
}

fn listener(nd: &str, name: &str, kind: (&str, &str), ip: &str, profile: &str) -> Value {
    let mut b = json!({"networkDomainId": nd, "name": name, "type": kind.0, "protocol": kind.1,
        "listenerIpAddress": ip, "port": 443, "enabled": true, "connectionLimit": 1000,
        "connectionRateLimit": 100, "sourcePortPreservation": "PRESERVE",
        "sslOffloadProfileId": profile});
    if kind.0 == "STANDARD" && matches!(kind.1, "TCP" | "HTTP") {
        b["optimizationProfile"] = json!("TCP");
    }
    b
}

/// Number of SSL objects of every kind in the organisation (refusals must not change it).
async fn counts(emu: &Emu) -> [u64; 4] {
    let mut out = [0; 4];
    for (i, c) in [
        "sslDomainCertificate",
        "sslCertificateChain",
        "sslOffloadProfile",
        "virtualListener",
    ]
    .iter()
    .enumerate()
    {
        let (status, doc) = emu.get(&format!("{VIP}/{c}")).await;
        assert_eq!(status, 200, "{doc}");
        out[i] = doc["totalCount"].as_u64().unwrap();
    }
    out
}

#[tokio::test]
async fn certificates_chains_profiles_and_a_listener_in_json() {
    let emu = emulator(&[]).await;
    let nd = advanced(&emu, "web").await;

    let (status, r) = emu
        .post(
            &format!("{VIP}/importSslDomainCertificate"),
            import_body(&nd, "alice", ssl::rsa_2048()),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["operation"], "IMPORT_SSL_DOMAIN_CERTIFICATE");
    assert_eq!(r["responseCode"], "OK");
    assert_eq!(r["info"][0]["name"], "sslDomainCertificateId");
    let cert = r["info"][0]["value"].as_str().unwrap().to_string();
    let (status, c) = emu.get(&format!("{VIP}/sslDomainCertificate/{cert}")).await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["name"], "alice");
    assert_eq!(c["description"], "test cert");
    assert_eq!(c["networkDomainId"], nd.as_str());
    assert_eq!(c["datacenterId"], "NA9");
    assert_eq!(c["state"], "NORMAL");
    assert_eq!(c["expiryTime"], NOT_AFTER);
    assert!(c.get("key").is_none() && c.get("certificate").is_none());
    let (_, list) = emu
        .get(&format!(
            "{VIP}/sslDomainCertificate?networkDomainId={nd}&name=alice"
        ))
        .await;
    assert_eq!(list["totalCount"], 1, "{list}");
    assert_eq!(list["sslDomainCertificate"][0]["id"], cert.as_str());

    let (status, r) = emu
        .post(
            &format!("{VIP}/importSslCertificateChain"),
            json!({"networkDomainId": nd, "name": "ted_carol", "description": "test cert chain",
                   "certificateChain": ssl::chain()}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["operation"], "IMPORT_SSL_CERTIFICATE_CHAIN");
    assert_eq!(r["info"][0]["name"], "sslCertificateChainId");
    let chain = r["info"][0]["value"].as_str().unwrap().to_string();
    let (_, ch) = emu.get(&format!("{VIP}/sslCertificateChain/{chain}")).await;
    assert_eq!(ch["name"], "ted_carol");
    assert_eq!(ch["expiryTime"], NOT_AFTER);

    // Without ciphers (go-dd-cloud-compute sends null) the profile gets the default string.
    let (status, r) = emu
        .post(
            &format!("{VIP}/createSslOffloadProfile"),
            json!({"networkDomainId": nd, "name": "offload", "description": "", "ciphers": null,
                   "sslDomainCertificateId": cert, "sslCertificateChainId": chain}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["operation"], "CREATE_SSL_OFFLOAD_PROFILE");
    assert_eq!(r["info"][0]["name"], "sslOffloadProfileId");
    let profile = r["info"][0]["value"].as_str().unwrap().to_string();
    let (_, p) = emu.get(&format!("{VIP}/sslOffloadProfile/{profile}")).await;
    assert_eq!(
        p["sslDomainCertificate"],
        json!({"id": cert, "name": "alice", "expiryTime": NOT_AFTER})
    );
    assert_eq!(
        p["sslCertificateChain"],
        json!({"id": chain, "name": "ted_carol", "expiryTime": NOT_AFTER})
    );
    assert!(p["ciphers"].as_str().unwrap().starts_with("MEDIUM:HIGH:"));
    let (_, by_cert) = emu
        .get(&format!(
            "{VIP}/sslOffloadProfile?sslDomainCertificateId={cert}&sslCertificateChainName=ted_carol"
        ))
        .await;
    assert_eq!(by_cert["totalCount"], 1, "{by_cert}");

    // A listener terminating SSL shows the profile as {id, name}.
    let vl = emu
        .ok(
            &format!("{VIP}/createVirtualListener"),
            listener(&nd, "https", ("STANDARD", "HTTP"), "10.20.0.1", &profile),
        )
        .await;
    let (_, l) = emu.get(&format!("{VIP}/virtualListener/{vl}")).await;
    assert_eq!(
        l["sslOffloadProfile"],
        json!({"id": profile, "name": "offload"})
    );

    // The admin inventory lists them too.
    let inv = emu.inventory().await;
    for kind in [
        "sslDomainCertificate",
        "sslCertificateChain",
        "sslOffloadProfile",
    ] {
        assert_eq!(inv[kind].as_array().map(Vec::len), Some(1), "{kind}: {inv}");
    }

    // Edit: rename, own ciphers, no chain; the listener shows the new name.
    let (status, r) = emu
        .post(
            &format!("{VIP}/editSslOffloadProfile"),
            json!({"id": profile, "name": "offload2", "ciphers": "!ECDHE+AES-GCM:",
                   "sslDomainCertificateId": cert, "sslCertificateChainId": {"nil": true}}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["operation"], "EDIT_SSL_OFFLOAD_PROFILE");
    let (_, p) = emu.get(&format!("{VIP}/sslOffloadProfile/{profile}")).await;
    assert_eq!(p["name"], "offload2");
    assert_eq!(p["ciphers"], "!ECDHE+AES-GCM:");
    assert!(p.get("sslCertificateChain").is_none(), "{p}");
    let (_, l) = emu.get(&format!("{VIP}/virtualListener/{vl}")).await;
    assert_eq!(l["sslOffloadProfile"]["name"], "offload2");

    // The listener lets go of the profile; then everything can be deleted, in order.
    emu.ok(
        &format!("{VIP}/editVirtualListener"),
        json!({"id": vl, "sslOffloadProfileId": {"nil": true}}),
    )
    .await;
    let (_, l) = emu.get(&format!("{VIP}/virtualListener/{vl}")).await;
    assert!(l.get("sslOffloadProfile").is_none(), "{l}");
    emu.ok(
        &format!("{VIP}/editVirtualListener"),
        json!({"id": vl, "sslOffloadProfileId": profile}),
    )
    .await;
    emu.ok(&format!("{VIP}/deleteVirtualListener"), json!({"id": vl}))
        .await;
    for (op, id, code) in [
        (
            "deleteSslOffloadProfile",
            &profile,
            "DELETE_SSL_OFFLOAD_PROFILE",
        ),
        (
            "deleteSslCertificateChain",
            &chain,
            "DELETE_SSL_CERTIFICATE_CHAIN",
        ),
        (
            "deleteSslDomainCertificate",
            &cert,
            "DELETE_SSL_DOMAIN_CERTIFICATE",
        ),
    ] {
        let (status, r) = emu.post(&format!("{VIP}/{op}"), json!({"id": id})).await;
        assert_eq!(status, 200, "{r}");
        assert_eq!(r["operation"], code);
    }
    for c in [
        "sslOffloadProfile",
        "sslCertificateChain",
        "sslDomainCertificate",
    ] {
        let id = match c {
            "sslOffloadProfile" => &profile,
            "sslCertificateChain" => &chain,
            _ => &cert,
        };
        let r = emu.get(&format!("{VIP}/{c}/{id}")).await;
        assert_error(&r, 400, "RESOURCE_NOT_FOUND");
    }
    // With nothing left the domain can go.
    emu.ok("network/deleteNetworkDomain", json!({"id": nd}))
        .await;
}

fn info(doc: &str, name: &str) -> String {
    let d = roxmltree::Document::parse(doc).unwrap();
    d.descendants()
        .find(|n| n.has_tag_name("info") && n.attribute("name") == Some(name))
        .and_then(|n| n.attribute("value"))
        .unwrap_or_else(|| panic!("no info {name} in {doc}"))
        .to_string()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

const NS: &str = "urn:didata.com:api:cloud:types";

#[tokio::test]
async fn the_same_life_in_xml() {
    let emu = emulator(&[]).await;
    let nd = advanced(&emu, "web").await;
    let pair = ssl::rsa_2048();
    let (status, r) = emu.xml(6, &format!("{VIP}/importSslDomainCertificate"),
        Some(format!(
            "<importSslDomainCertificate xmlns=\"{NS}\"><networkDomainId>{nd}</networkDomainId><name>alice</name><description>test cert</description><key>{}</key><certificate>{}</certificate></importSslDomainCertificate>",
            escape(&pair.key),
            escape(&pair.certificate)
        )),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert!(
        r.contains("<operation>IMPORT_SSL_DOMAIN_CERTIFICATE</operation>"),
        "{r}"
    );
    let cert = info(&r, "sslDomainCertificateId");
    let (status, r) = emu.xml(6, &format!("{VIP}/importSslCertificateChain"),
        Some(format!(
            "<importSslCertificateChain xmlns=\"{NS}\"><networkDomainId>{nd}</networkDomainId><name>ted_carol</name><certificateChain>{}</certificateChain></importSslCertificateChain>",
            escape(&ssl::chain())
        )),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    let chain = info(&r, "sslCertificateChainId");
    let (status, r) = emu.xml(6, &format!("{VIP}/createSslOffloadProfile"),
        Some(format!(
            "<createSslOffloadProfile xmlns=\"{NS}\"><networkDomainId>{nd}</networkDomainId><name>ssl_offload</name><ciphers>!ECDHE+AES-GCM:</ciphers><sslDomainCertificateId>{cert}</sslDomainCertificateId><sslCertificateChainId>{chain}</sslCertificateChainId></createSslOffloadProfile>"
        )),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    let profile = info(&r, "sslOffloadProfileId");

    let (status, doc) = emu
        .xml(6, &format!("{VIP}/sslOffloadProfile/{profile}"), None)
        .await;
    assert_eq!(status, 200, "{doc}");
    let d = roxmltree::Document::parse(&doc).unwrap();
    let root = d.root_element();
    assert_eq!(root.tag_name().name(), "sslOffloadProfile");
    assert_eq!(root.attribute("id"), Some(profile.as_str()));
    assert_eq!(root.attribute("datacenterId"), Some("NA9"));
    let c = root
        .children()
        .find(|n| n.has_tag_name("sslDomainCertificate"))
        .unwrap();
    assert_eq!(c.attribute("id"), Some(cert.as_str()));
    assert_eq!(c.attribute("expiryTime"), Some(NOT_AFTER));
    assert_eq!(
        c.children()
            .find(|n| n.has_tag_name("name"))
            .and_then(|n| n.text()),
        Some("alice")
    );
    let (_, list) = emu
        .xml(
            6,
            &format!("{VIP}/sslDomainCertificate?networkDomainId={nd}"),
            None,
        )
        .await;
    assert!(list.contains("<sslDomainCertificates "), "{list}");
    assert!(
        list.contains("<expiryTime>2031-05-17T00:00:00.000Z</expiryTime>"),
        "{list}"
    );

    let (status, r) = emu.xml(6, &format!("{VIP}/editSslOffloadProfile"),
        Some(format!(
            "<editSslOffloadProfile xmlns=\"{NS}\" id=\"{profile}\"><name>renamed</name><sslDomainCertificateId>{cert}</sslDomainCertificateId></editSslOffloadProfile>"
        )),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    let (_, doc) = emu
        .xml(6, &format!("{VIP}/sslOffloadProfile/{profile}"), None)
        .await;
    assert!(doc.contains("<name>renamed</name>"), "{doc}");
    assert!(
        doc.contains("<sslCertificateChain "),
        "the chain stays: {doc}"
    );
    // An xsi:nil element clears the chain and resets the ciphers.
    let (status, r) = emu.xml(6, &format!("{VIP}/editSslOffloadProfile"),
        Some(format!(
            "<editSslOffloadProfile xmlns=\"{NS}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" id=\"{profile}\"><name>renamed</name><ciphers xsi:nil=\"true\"/><sslDomainCertificateId>{cert}</sslDomainCertificateId><sslCertificateChainId xsi:nil=\"true\"/></editSslOffloadProfile>"
        )),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    let (_, doc) = emu
        .xml(6, &format!("{VIP}/sslOffloadProfile/{profile}"), None)
        .await;
    assert!(!doc.contains("<sslCertificateChain "), "{doc}");
    assert!(doc.contains("<ciphers>MEDIUM:HIGH:"), "{doc}");

    for (op, id) in [
        ("deleteSslOffloadProfile", &profile),
        ("deleteSslCertificateChain", &chain),
        ("deleteSslDomainCertificate", &cert),
    ] {
        let (status, r) = emu
            .xml(
                6,
                &format!("{VIP}/{op}"),
                Some(format!("<{op} xmlns=\"{NS}\" id=\"{id}\"/>")),
            )
            .await;
        assert_eq!(status, 200, "{r}");
        assert!(r.contains("<responseCode>OK</responseCode>"), "{r}");
    }
    assert_eq!(counts(&emu).await, [0, 0, 0, 0]);
}

#[tokio::test]
async fn bad_certificates_and_keys_are_refused() {
    let emu = emulator(&[]).await;
    let nd = advanced(&emu, "web").await;
    let import = |body: Value| {
        let emu = &emu;
        async move {
            emu.post(&format!("{VIP}/importSslDomainCertificate"), body)
                .await
        }
    };
    let good = ssl::rsa_2048();
    let mut bad = good.clone();
    bad.certificate = "-----BEGIN CERTIFICATE-----\nTUlJ\n-----END CERTIFICATE-----\n".into();
    let m = assert_error(
        &import(import_body(&nd, "a", &bad)).await,
        400,
        "INVALID_INPUT_DATA",
    );
    assert!(m.starts_with("certificate:"), "{m}");
    bad.certificate = "not a certificate".into();
    let m = assert_error(
        &import(import_body(&nd, "a", &bad)).await,
        400,
        "INVALID_INPUT_DATA",
    );
    assert!(m.starts_with("certificate:"), "{m}");
    // Two certificates: the intermediates belong in a chain.
    bad.certificate = format!("{}{}", good.certificate, ssl::other_rsa_2048().certificate);
    let m = assert_error(
        &import(import_body(&nd, "a", &bad)).await,
        400,
        "INVALID_INPUT_DATA",
    );
    assert!(m.starts_with("certificate:"), "{m}");
    let mut bad = good.clone();
    bad.key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".into();
    let m = assert_error(
        &import(import_body(&nd, "a", &bad)).await,
        400,
        "INVALID_INPUT_DATA",
    );
    assert!(m.starts_with("key:"), "{m}");
    // A key of another certificate.
    bad.key = ssl::other_rsa_2048().key.clone();
    let m = assert_error(
        &import(import_body(&nd, "a", &bad)).await,
        400,
        "INVALID_INPUT_DATA",
    );
    assert!(m.starts_with("key: does not match"), "{m}");
    // A 4096-bit key: the recorded refusal.
    let r = import(import_body(&nd, "a", ssl::rsa_4096())).await;
    let m = assert_error(&r, 400, "CONFIGURATION_NOT_SUPPORTED");
    assert_eq!(
        m,
        "Data Center NA9 requires key length must be one of 512, 1024, 2048."
    );
    assert_eq!(r.1["operation"], "IMPORT_SSL_DOMAIN_CERTIFICATE");
    // Not RSA.
    let m = assert_error(
        &import(import_body(&nd, "a", &ssl::ecdsa())).await,
        400,
        "CONFIGURATION_NOT_SUPPORTED",
    );
    assert!(m.starts_with("key:") && m.contains("RSA"), "{m}");
    // A chain that is not PEM.
    let r = emu
        .post(
            &format!("{VIP}/importSslCertificateChain"),
            json!({"networkDomainId": nd, "name": "c", "certificateChain": good.key}),
        )
        .await;
    let m = assert_error(&r, 400, "INVALID_INPUT_DATA");
    assert!(m.starts_with("certificateChain:"), "{m}");
    assert_eq!(counts(&emu).await, [0, 0, 0, 0]);
}

#[tokio::test]
async fn names_domains_dependencies_and_listener_kinds_are_enforced() {
    let emu = emulator(&[]).await;
    let nd = advanced(&emu, "web").await;
    let other = advanced(&emu, "other").await;
    let cert = import_cert(&emu, &nd, "alice").await;
    let chain = import_chain(&emu, &nd, "chain").await;
    let foreign_cert = import_cert(&emu, &other, "alice").await;
    let foreign_chain = import_chain(&emu, &other, "chain").await;
    let profile = emu
        .ok(
            &format!("{VIP}/createSslOffloadProfile"),
            json!({"networkDomainId": nd, "name": "p", "sslDomainCertificateId": cert,
                   "sslCertificateChainId": chain}),
        )
        .await;
    let before = counts(&emu).await;

    // Names are unique per domain and kind.
    let r = emu
        .post(
            &format!("{VIP}/importSslDomainCertificate"),
            import_body(&nd, "alice", ssl::rsa_2048()),
        )
        .await;
    assert_error(&r, 400, "NAME_NOT_UNIQUE");
    let r = emu
        .post(
            &format!("{VIP}/importSslCertificateChain"),
            json!({"networkDomainId": nd, "name": "chain", "certificateChain": ssl::chain()}),
        )
        .await;
    assert_error(&r, 400, "NAME_NOT_UNIQUE");
    let r = emu
        .post(
            &format!("{VIP}/createSslOffloadProfile"),
            json!({"networkDomainId": nd, "name": "p", "sslDomainCertificateId": cert}),
        )
        .await;
    assert_error(&r, 400, "NAME_NOT_UNIQUE");

    // A profile takes its certificate and chain from its own domain.
    let r = emu
        .post(
            &format!("{VIP}/createSslOffloadProfile"),
            json!({"networkDomainId": nd, "name": "q", "sslDomainCertificateId": foreign_cert}),
        )
        .await;
    let m = assert_error(&r, 400, "INVALID_INPUT_DATA");
    assert!(m.starts_with("sslDomainCertificateId:"), "{m}");
    let r = emu
        .post(
            &format!("{VIP}/createSslOffloadProfile"),
            json!({"networkDomainId": nd, "name": "q", "sslDomainCertificateId": cert,
                   "sslCertificateChainId": foreign_chain}),
        )
        .await;
    let m = assert_error(&r, 400, "INVALID_INPUT_DATA");
    assert!(m.starts_with("sslCertificateChainId:"), "{m}");
    let r = emu
        .post(
            &format!("{VIP}/editSslOffloadProfile"),
            json!({"id": profile, "name": "p", "sslDomainCertificateId": foreign_cert}),
        )
        .await;
    assert_error(&r, 400, "INVALID_INPUT_DATA");
    let r = emu
        .post(
            &format!("{VIP}/createSslOffloadProfile"),
            json!({"networkDomainId": nd, "name": "q", "sslDomainCertificateId": cert,
                   "ciphers": "HIGH MEDIUM"}),
        )
        .await;
    assert_error(&r, 400, "INVALID_INPUT_DATA");
    let r = emu
        .post(
            &format!("{VIP}/createSslOffloadProfile"),
            json!({"networkDomainId": nd, "name": "q",
                   "sslDomainCertificateId": "0c6d1a8e-3d5c-4e8e-9f4e-1b0d9a3c2b1a"}),
        )
        .await;
    assert_error(&r, 400, "RESOURCE_NOT_FOUND");

    // Certificates and chains in use by a profile stay.
    let r = emu
        .post(
            &format!("{VIP}/deleteSslDomainCertificate"),
            json!({"id": cert}),
        )
        .await;
    let m = assert_error(&r, 400, "HAS_DEPENDENCY");
    assert!(m.contains("'p'"), "{m}");
    let r = emu
        .post(
            &format!("{VIP}/deleteSslCertificateChain"),
            json!({"id": chain}),
        )
        .await;
    assert_error(&r, 400, "HAS_DEPENDENCY");

    // Only STANDARD TCP/HTTP listeners terminate SSL, with a profile of their own domain.
    for kind in [
        ("PERFORMANCE_LAYER_4", "HTTP"),
        ("STANDARD", "UDP"),
        ("STANDARD", "ANY"),
    ] {
        let r = emu
            .post(
                &format!("{VIP}/createVirtualListener"),
                listener(&nd, "l", kind, "10.20.0.1", &profile),
            )
            .await;
        let m = assert_error(&r, 400, "CONFIGURATION_NOT_SUPPORTED");
        assert!(m.starts_with("sslOffloadProfileId:"), "{kind:?}: {m}");
    }
    let r = emu
        .post(
            &format!("{VIP}/createVirtualListener"),
            listener(&other, "l", ("STANDARD", "TCP"), "10.20.0.1", &profile),
        )
        .await;
    let m = assert_error(&r, 400, "INVALID_INPUT_DATA");
    assert!(m.starts_with("sslOffloadProfileId:"), "{m}");
    assert_eq!(counts(&emu).await, before);

    let vl = emu
        .ok(
            &format!("{VIP}/createVirtualListener"),
            listener(&nd, "l", ("STANDARD", "TCP"), "10.20.0.1", &profile),
        )
        .await;
    let r = emu
        .post(
            &format!("{VIP}/deleteSslOffloadProfile"),
            json!({"id": profile}),
        )
        .await;
    let m = assert_error(&r, 400, "HAS_DEPENDENCY");
    assert!(m.contains("'l'"), "{m}");
    let (_, l) = emu.get(&format!("{VIP}/virtualListener/{vl}")).await;
    assert_eq!(l["sslOffloadProfile"]["id"], profile.as_str());

    // The network domain cannot go while SSL objects are left in it.
    emu.ok(&format!("{VIP}/deleteVirtualListener"), json!({"id": vl}))
        .await;
    let r = emu
        .post("network/deleteNetworkDomain", json!({"id": other}))
        .await;
    assert_error(&r, 400, "HAS_DEPENDENCY");
}

#[tokio::test]
async fn ssl_offload_starts_at_2_6_and_needs_an_advanced_domain() {
    let emu = emulator(&[]).await;
    let nd = advanced(&emu, "web").await;
    for path in [
        "sslDomainCertificate",
        "sslCertificateChain",
        "sslOffloadProfile",
    ] {
        let r = emu.get_v(5, &format!("{VIP}/{path}")).await;
        assert_error(&r, 404, "OPERATION_NOT_SUPPORTED");
        let (status, _) = emu.get_v(6, &format!("{VIP}/{path}")).await;
        assert_eq!(status, 200);
    }
    let r = emu
        .post_v(
            5,
            &format!("{VIP}/importSslDomainCertificate"),
            import_body(&nd, "a", ssl::rsa_2048()),
        )
        .await;
    assert_error(&r, 404, "OPERATION_NOT_SUPPORTED");
    let essentials = emu.domain("plain", "NA9").await;
    let r = emu
        .post(
            &format!("{VIP}/importSslDomainCertificate"),
            import_body(&essentials, "a", ssl::rsa_2048()),
        )
        .await;
    assert_error(&r, 400, "OPERATION_NOT_SUPPORTED");
    assert_eq!(counts(&emu).await, [0, 0, 0, 0]);
}

#[tokio::test]
async fn ssl_objects_survive_a_state_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let state_arg = state.to_str().unwrap();
    let (cert, chain, profile, vl) = {
        let emu = emulator(&["--state", state_arg]).await;
        let nd = advanced(&emu, "web").await;
        let cert = import_cert(&emu, &nd, "alice").await;
        let chain = import_chain(&emu, &nd, "chain").await;
        let profile = emu
            .ok(
                &format!("{VIP}/createSslOffloadProfile"),
                json!({"networkDomainId": nd, "name": "p", "ciphers": "HIGH",
                       "sslDomainCertificateId": cert, "sslCertificateChainId": chain}),
            )
            .await;
        let vl = emu
            .ok(
                &format!("{VIP}/createVirtualListener"),
                listener(&nd, "l", ("STANDARD", "HTTP"), "10.20.0.1", &profile),
            )
            .await;
        (cert, chain, profile, vl)
    };
    let text = std::fs::read_to_string(&state).unwrap();
    assert!(
        !text.contains("PRIVATE KEY"),
        "no key material is persisted"
    );
    let emu = emulator(&["--state", state_arg]).await;
    let (status, c) = emu.get(&format!("{VIP}/sslDomainCertificate/{cert}")).await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["expiryTime"], NOT_AFTER);
    let (_, p) = emu.get(&format!("{VIP}/sslOffloadProfile/{profile}")).await;
    assert_eq!(p["ciphers"], "HIGH");
    assert_eq!(p["sslCertificateChain"]["id"], chain.as_str());
    let (_, l) = emu.get(&format!("{VIP}/virtualListener/{vl}")).await;
    assert_eq!(l["sslOffloadProfile"], json!({"id": profile, "name": "p"}));
}
