//! XML on `/caas/2.N/`: content negotiation, XML request bodies, XML error envelopes, and the
//! emulator's XML held to the responses libcloud recorded from the real API
//! (`tests/recorded/libcloud/`, see its README): every recorded element and attribute must be in
//! place unless documented in `EXCEPTIONS`; the raw share present (exceptions counted as misses)
//! is printed (`MEASURED …`) and held to `RAW_FLOOR`.

mod common;

use common::{emulator, Emu};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

const NS: &str = "urn:didata.com:api:cloud:types";

/// A request as libcloud sends it: `Content-Type: application/xml`, no `Accept` (reqwest sends
/// none unless told).
async fn xml(emu: &Emu, minor: u32, path: &str, body: Option<String>) -> (u16, String) {
    let url = emu.url(minor, path);
    let req = match body {
        Some(b) => emu.client.post(url).body(b),
        None => emu.client.get(url),
    };
    let r = req
        .basic_auth(&emu.user, Some(&emu.password))
        .header("Content-Type", "application/xml")
        .send()
        .await
        .expect("request sent");
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = r.text().await.expect("body");
    assert!(
        ct.starts_with("application/xml"),
        "content type {ct}: {text}"
    );
    (status, text)
}

/// POSTs an XML body (root element `op` in the CaaS namespace, `inner` inside it).
async fn post(emu: &Emu, minor: u32, area: &str, op: &str, inner: &str) -> (u16, String) {
    let body = format!("<{op} xmlns=\"{NS}\"{inner}</{op}>");
    xml(emu, minor, &format!("{area}/{op}"), Some(body)).await
}

fn parse(text: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("not XML ({e}): {text}"))
}

fn text_of(doc: &str, element: &str) -> String {
    let d = parse(doc);
    d.descendants()
        .find(|n| n.has_tag_name((NS, element)))
        .and_then(|n| n.text())
        .unwrap_or_else(|| panic!("no <{element}> in {doc}"))
        .to_string()
}

fn info(doc: &str, name: &str) -> String {
    let d = parse(doc);
    d.descendants()
        .find(|n| n.has_tag_name((NS, "info")) && n.attribute("name") == Some(name))
        .and_then(|n| n.attribute("value"))
        .unwrap_or_else(|| panic!("no info {name} in {doc}"))
        .to_string()
}

/// Polls (JSON) until the asset at `path` has `state`, or is gone when `state` is `None`.
async fn wait(emu: &Emu, path: &str, state: Option<&str>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, v) = emu.get(path).await;
        match state {
            Some(s) if v["state"] == s => return,
            None if status == 400 && v["responseCode"] == "RESOURCE_NOT_FOUND" => return,
            _ => {}
        }
        assert!(
            Instant::now() < deadline,
            "{path} never reached {state:?}: {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_format_follows_accept_then_content_type() {
    let emu = emulator(&[]).await;
    let url = emu.url(4, "infrastructure/datacenter");
    let cases: [(Option<&str>, Option<&str>, &str); 6] = [
        (None, None, "application/json"),
        (Some("*/*"), None, "application/json"),
        (None, Some("application/xml"), "application/xml"),
        (Some("*/*"), Some("text/xml"), "application/xml"),
        (Some("application/xml"), None, "application/xml"),
        (
            Some("application/json"),
            Some("application/xml"),
            "application/json",
        ),
    ];
    for (accept, content_type, expected) in cases {
        let mut req = emu
            .client
            .get(&url)
            .basic_auth(&emu.user, Some(&emu.password));
        if let Some(a) = accept {
            req = req.header("Accept", a);
        }
        if let Some(c) = content_type {
            req = req.header("Content-Type", c);
        }
        let r = req.send().await.unwrap();
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        let body = r.text().await.unwrap();
        assert!(
            ct.starts_with(expected),
            "Accept {accept:?}, Content-Type {content_type:?}: got {ct}"
        );
        if expected == "application/xml" {
            let d = parse(&body);
            assert!(d.root_element().has_tag_name((NS, "datacenters")), "{body}");
        } else {
            let v: Value = serde_json::from_str(&body).unwrap();
            assert!(v["datacenter"].is_array(), "{body}");
        }
    }
    // The v1 account document stays XML; wrong credentials answer in the asked format.
    let r = emu
        .client
        .get(emu.url(4, "network/networkDomain"))
        .basic_auth("demo", Some("wrong"))
        .header("Accept", "application/xml")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body = r.text().await.unwrap();
    assert_eq!(text_of(&body, "responseCode"), "AUTHORIZATION_FAILURE");
}

#[tokio::test]
async fn bad_xml_gets_invalid_input_data_naming_the_element_in_the_asked_format() {
    let emu = emulator(&[]).await;
    let deploy =
        |inner: &str| format!("<deployNetworkDomain xmlns=\"{NS}\">{inner}</deployNetworkDomain>");
    let good = "<datacenterId>NA9</datacenterId><name>x</name><type>ESSENTIALS</type>";
    let cases = [
        // (body, what the message must name)
        (
            deploy(good).replace("</deployNetworkDomain>", ""),
            "malformed XML",
        ),
        (
            "{\"name\": \"x\", \"datacenterId\": \"NA9\"}".to_string(),
            "body is JSON",
        ),
        (deploy(&format!("{good}<colour>red</colour>")), "colour"),
        (
            deploy("<datacenterId>NA9</datacenterId><type>ESSENTIALS</type>"),
            "name",
        ),
        (
            deploy(&format!("{good}<name>y</name>")),
            "<name> appears 2 times",
        ),
        (
            deploy(good)
                .replace("<deployNetworkDomain", "<deployVlan")
                .replace("</deployNetworkDomain>", "</deployVlan>"),
            "deployVlan",
        ),
        (
            deploy(good).replace(&format!(" xmlns=\"{NS}\""), ""),
            "namespace",
        ),
    ];
    for (body, named) in cases {
        // XML answer (libcloud's headers).
        let (status, text) = xml(&emu, 4, "network/deployNetworkDomain", Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {text}");
        assert_eq!(
            text_of(&text, "responseCode"),
            "INVALID_INPUT_DATA",
            "{text}"
        );
        assert_eq!(
            text_of(&text, "operation"),
            "DEPLOY_NETWORK_DOMAIN",
            "{text}"
        );
        let message = text_of(&text, "message");
        assert!(
            message.contains(named),
            "{body}: message {message:?} does not name {named}"
        );
        // JSON answer to the same XML body.
        let r = emu
            .client
            .post(emu.url(4, "network/deployNetworkDomain"))
            .basic_auth(&emu.user, Some(&emu.password))
            .header("Content-Type", "application/xml")
            .header("Accept", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["responseCode"], "INVALID_INPUT_DATA", "{v}");
        assert!(v["message"].as_str().unwrap().contains(named), "{v}");
    }
    let (_, v) = emu.get("network/networkDomain").await;
    assert_eq!(
        v["totalCount"], 0,
        "a rejected request created something: {v}"
    );
    // The JSON path is untouched: a JSON body with a JSON content type still works.
    emu.domain("json-still-works", "NA9").await;
}

#[tokio::test]
async fn xml_bodies_drive_the_same_operations_as_json() {
    let emu = emulator(&[]).await;
    let (status, text) = post(
        &emu,
        4,
        "network",
        "deployNetworkDomain",
        "><datacenterId>NA9</datacenterId><name>x-nd</name><description/><type>ADVANCED</type>",
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(text_of(&text, "responseCode"), "IN_PROGRESS");
    let nd = info(&text, "networkDomainId");
    let (_, v) = emu.get(&format!("network/networkDomain/{nd}")).await;
    assert_eq!(v["name"], "x-nd");
    assert_eq!(v["type"], "ADVANCED");
    // An attribute carries the id, as libcloud sends deletes.
    let (status, text) = post(&emu, 4, "network", "deployVlan", &format!("><networkDomainId>{nd}</networkDomainId><name>v</name><privateIpv4BaseAddress>10.1.0.0</privateIpv4BaseAddress><privateIpv4PrefixSize>24</privateIpv4PrefixSize>")).await;
    assert_eq!(status, 200, "{text}");
    let vlan = info(&text, "vlanId");
    let (_, v) = emu.get(&format!("network/vlan/{vlan}")).await;
    assert_eq!(v["privateIpv4Range"]["prefixSize"], 24, "{v}");
    let (status, text) = post(
        &emu,
        4,
        "network",
        "deleteVlan",
        &format!(" id=\"{vlan}\">"),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    wait(&emu, &format!("network/vlan/{vlan}"), None).await;
}

/// Every element path of a document with its attributes (`@name`) and child elements (`name`).
fn keys(text: &str) -> BTreeSet<(String, String)> {
    fn walk(node: roxmltree::Node, path: &str, out: &mut BTreeSet<(String, String)>) {
        let path = format!("{path}/{}", node.tag_name().name());
        for a in node.attributes() {
            out.insert((path.clone(), format!("@{}", a.name())));
        }
        for c in node.children().filter(|c| c.is_element()) {
            out.insert((path.clone(), c.tag_name().name().to_string()));
            walk(c, &path, out);
        }
    }
    let mut out = BTreeSet::new();
    let d = parse(text);
    out.insert((
        String::new(),
        d.root_element().tag_name().name().to_string(),
    ));
    walk(d.root_element(), "", &mut out);
    out
}

/// Recorded keys the emulator does not produce, each with its reason: `(fixture, path, key, why)`;
/// `*` matches any fixture. They count as misses in the raw coverage.
const EXCEPTIONS: &[(&str, &str, &str, &str)] = &[
    ("infrastructure_datacenter_NA9.xml", "/datacenters/datacenter/consoleAccess", "@maintenanceStatius", "a typo in the recording (the other recordings spell maintenanceStatus, which the emulator writes)"),
    ("2.4/image_customerImage.xml", "/customerImages/customerImage", "vmTools", "a one-off of this recording: its imported image repeats the tools at the top level next to guest/vmTools, while the 2.4 single-image recording of the same image, jclouds' 2.4 list (with an imported image) have them under guest only, as the emulator writes, and no 2.4 OS image recording has a top-level vmTools"),
    ("2.4/image_customerImage.xml", "/customerImages/customerImage/vmTools", "*", "same top-level vmTools"),
];

fn excepted(fixture: &str, path: &str, key: &str) -> bool {
    EXCEPTIONS.iter().any(|(f, p, k, _)| {
        (*f == "*" || *f == fixture)
            && (*p == "*" || *p == path || (p.starts_with('*') && path.ends_with(&p[1..])))
            && (*k == "*" || *k == key)
    })
}

#[tokio::test]
async fn xml_matches_the_libcloud_recordings() {
    let emu = emulator(&[
        // Pending states last long enough (a reboot 0.6 s, a reconfigure 1.2 s) for the
        // requests that must meet them even on a loaded machine.
        "--time-scale",
        "0.02",
        "--public-ip-ratio",
        "off",
        "--faults",
        "failed_add=1,ops=deployUncustomizedServer,seed=1",
    ])
    .await;
    // fixture file → the emulator's answer to the same request.
    let mut answers: BTreeMap<&str, String> = BTreeMap::new();
    // An operation that must be accepted; its envelope is the answer to `fixture`.
    async fn accepted(
        emu: &Emu,
        answers: &mut BTreeMap<&str, String>,
        fixture: &'static str,
        (area, op, inner): (&str, &str, &str),
    ) -> String {
        let (s, t) = post(emu, 4, area, op, inner).await;
        assert_eq!(s, 200, "{op}: {t}");
        answers.insert(fixture, t.clone());
        t
    }
    let get = |minor: u32, path: String| {
        let emu = &emu;
        async move {
            let (status, text) = xml(emu, minor, &path, None).await;
            assert_eq!(status, 200, "GET {path}: {text}");
            text
        }
    };

    answers.insert(
        "infrastructure_datacenter.xml",
        get(4, "infrastructure/datacenter".into()).await,
    );
    answers.insert(
        "infrastructure_datacenter_NA9.xml",
        get(4, "infrastructure/datacenter?id=NA9".into()).await,
    );
    answers.insert(
        "server_server_paginated_empty.xml",
        get(4, "server/server?name=nothing".into()).await,
    );
    let account = emu
        .client
        .get(format!("{}/oec/0.9/myaccount", emu.running.base_url))
        .basic_auth(&emu.user, Some(&emu.password))
        .send()
        .await
        .unwrap();
    answers.insert("oec_0_9_myaccount.xml", account.text().await.unwrap());
    vip_recordings(&emu, &mut answers).await;
    ssl_recordings(&emu, &mut answers).await;
    drs_recordings(&mut answers).await;
    let images = get(4, "image/osImage?datacenterId=NA9".into()).await;
    let image = parse(&images)
        .descendants()
        .find(|n| n.has_tag_name((NS, "osImage")))
        .and_then(|n| n.attribute("id"))
        .unwrap()
        .to_string();
    // The recorded servers carry a software label and Cloud Backup: the server here is deployed
    // from the catalogue's licensed (SQL Server) image and gets backup through the v1 API.
    let licensed = parse(&images)
        .descendants()
        .find(|n| {
            n.has_tag_name((NS, "osImage"))
                && n.children().any(|c| c.has_tag_name((NS, "softwareLabel")))
        })
        .and_then(|n| n.attribute("id"))
        .expect("a licensed image in NA9")
        .to_string();
    answers.insert(
        "image_osImage.xml",
        get(3, "image/osImage?datacenterId=NA9".into()).await,
    );
    answers.insert("2.4/image_osImage.xml", images.clone());
    answers.insert(
        "image_osImage_c14b1a46_2428_44c1_9c1a_b20e6418d08c.xml",
        get(3, format!("image/osImage/{image}")).await,
    );
    answers.insert(
        "2.4/image_osImage_c14b1a46_2428_44c1_9c1a_b20e6418d08c.xml",
        get(4, format!("image/osImage/{image}")).await,
    );
    let windows = parse(&images)
        .descendants()
        .find(|n| {
            n.has_tag_name((NS, "osImage"))
                && n.descendants()
                    .any(|c| c.attribute("family") == Some("WINDOWS"))
        })
        .and_then(|n| n.attribute("id"))
        .expect("a Windows image in NA9")
        .to_string();
    answers.insert(
        "image_osImage_6b4fb0c7_a57b_4f58_b59c_9958f94f971a.xml",
        get(3, format!("image/osImage/{windows}")).await,
    );
    answers.insert(
        "2.4/image_osImage_6b4fb0c7_a57b_4f58_b59c_9958f94f971a.xml",
        get(4, format!("image/osImage/{windows}")).await,
    );
    let (status, missing) = xml(
        &emu,
        4,
        "image/osImage/2ffa36c8-1848-49eb-b4fa-9d908775f68c",
        None,
    )
    .await;
    assert_eq!(status, 400);
    answers.insert("image_osImage_BAD_REQUEST.xml", missing);

    let (_, t) = post(&emu, 4, "network", "deployNetworkDomain", "><datacenterId>NA9</datacenterId><name>rec</name><description>recorded</description><type>ESSENTIALS</type>").await;
    let nd = info(&t, "networkDomainId");
    answers.insert("network_deployNetworkDomain.xml", t);
    wait(&emu, &format!("network/networkDomain/{nd}"), Some("NORMAL")).await;
    answers.insert(
        "network_networkDomain.xml",
        get(4, "network/networkDomain".into()).await,
    );
    answers.insert(
        "network_networkDomain_8cdfd607_f429_4df6_9352_162cfc0891be.xml",
        get(4, format!("network/networkDomain/{nd}")).await,
    );

    let (_, t) = post(&emu, 4, "network", "deployVlan", &format!("><networkDomainId>{nd}</networkDomainId><name>v</name><description>d</description><privateIpv4BaseAddress>10.0.4.0</privateIpv4BaseAddress><privateIpv4PrefixSize>24</privateIpv4PrefixSize>")).await;
    let vlan = info(&t, "vlanId");
    answers.insert("network_deployVlan.xml", t);
    wait(&emu, &format!("network/vlan/{vlan}"), Some("NORMAL")).await;
    answers.insert("network_vlan.xml", get(4, "network/vlan".into()).await);
    answers.insert(
        "network_vlan_0e56433f_d808_4669_821d_812769517ff8.xml",
        get(4, format!("network/vlan/{vlan}")).await,
    );

    let (_, t) = post(&emu, 4, "server", "deployServer", &format!("><name>web</name><description>w</description><imageId>{licensed}</imageId><start>true</start><administratorPassword>Passw0rd!</administratorPassword><networkInfo networkDomainId=\"{nd}\"><primaryNic><vlanId>{vlan}</vlanId></primaryNic></networkInfo>")).await;
    let server = info(&t, "serverId");
    answers.insert("server_deployServer.xml", t);
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;
    let (s, t) = post(
        &emu,
        4,
        "server",
        "enableServerMonitoring",
        &format!(" id=\"{server}\"><servicePlan>ESSENTIALS</servicePlan>"),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    answers.insert("server_enableServerMonitoring.xml", t);
    let (s, t) = emu
        .backup_v1(
            &server,
            "",
            Some(r#"<NewBackup xmlns="http://oec.api.opsource.net/schemas/backup" servicePlan="Enterprise"/>"#),
        )
        .await;
    assert_eq!(s, 200, "enable backup: {t}");
    let sid = format!(" id=\"{server}\">");
    let server_path = format!("server/server/{server}");
    accepted(
        &emu,
        &mut answers,
        "server_changeServerMonitoringPlan.xml",
        (
            "server",
            "changeServerMonitoringPlan",
            &format!(" id=\"{server}\"><servicePlan>ADVANCED</servicePlan>"),
        ),
    )
    .await;
    accepted(
        &emu,
        &mut answers,
        "server_rebootServer.xml",
        ("server", "rebootServer", &sid),
    )
    .await;
    let (s, t) = post(&emu, 4, "server", "rebootServer", &sid).await;
    assert_eq!(s, 400, "a second reboot while the first runs: {t}");
    answers.insert("server_rebootServer_RESOURCEBUSY.xml", t);
    for (op, fixture) in [
        ("powerOffServer", "server_powerOffServer_INPROGRESS.xml"),
        ("shutdownServer", "server_shutdownServer_INPROGRESS.xml"),
        ("startServer", "server_startServer_INPROGRESS.xml"),
    ] {
        // libcloud's `_INPROGRESS` recordings are RESOURCE_BUSY answers.
        let (s, t) = post(&emu, 4, "server", op, &sid).await;
        assert_eq!(s, 400, "{op} while rebooting: {t}");
        answers.insert(fixture, t);
    }
    wait(&emu, &server_path, Some("NORMAL")).await;
    accepted(
        &emu,
        &mut answers,
        "server_resetServer.xml",
        ("server", "resetServer", &sid),
    )
    .await;
    wait(&emu, &server_path, Some("NORMAL")).await;
    accepted(
        &emu,
        &mut answers,
        "server_shutdownServer.xml",
        ("server", "shutdownServer", &sid),
    )
    .await;
    wait(&emu, &server_path, Some("NORMAL")).await;
    accepted(
        &emu,
        &mut answers,
        "server_startServer.xml",
        ("server", "startServer", &sid),
    )
    .await;
    wait(&emu, &server_path, Some("NORMAL")).await;
    // A deployment that fails (injected) is cleaned.
    let (_, t) = post(&emu, 4, "server", "deployUncustomizedServer", &format!("><name>raw</name><imageId>{image}</imageId><start>false</start><networkInfo networkDomainId=\"{nd}\"><primaryNic><vlanId>{vlan}</vlanId></primaryNic></networkInfo>")).await;
    let failed = info(&t, "serverId");
    answers.insert("2.4/deploy_customised_server.xml", t);
    wait(&emu, &format!("server/server/{failed}"), Some("FAILED_ADD")).await;
    let t = accepted(
        &emu,
        &mut answers,
        "server_cleanServer.xml",
        ("server", "cleanServer", &format!(" id=\"{failed}\">")),
    )
    .await;
    answers.insert("2.4/server_cleanServer.xml", t);
    wait(&emu, &format!("server/server/{failed}"), None).await;

    let (_, t) = post(
        &emu,
        4,
        "network",
        "addPublicIpBlock",
        &format!("><networkDomainId>{nd}</networkDomainId>"),
    )
    .await;
    let block = info(&t, "ipBlockId");
    answers.insert("network_addPublicIpBlock.xml", t);
    wait(
        &emu,
        &format!("network/publicIpBlock/{block}"),
        Some("NORMAL"),
    )
    .await;
    answers.insert(
        "network_publicIpBlock.xml",
        get(4, "network/publicIpBlock".into()).await,
    );
    let block_doc = get(4, format!("network/publicIpBlock/{block}")).await;
    let base_ip = text_of(&block_doc, "baseIp");
    answers.insert(
        "network_publicIpBlock_9945dc4a_bdce_11e4_8c14_b8ca3a5d9ef8.xml",
        block_doc.clone(),
    );
    answers.insert(
        "network_publicIpBlock_4487241a_f0ca_11e3_9315_d4bed9b167ba.xml",
        block_doc,
    );

    let (_, server_json) = emu.get(&format!("server/server/{server}")).await;
    let private_ip = server_json["networkInfo"]["primaryNic"]["privateIpv4"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, t) = post(&emu, 4, "network", "createNatRule", &format!("><networkDomainId>{nd}</networkDomainId><internalIp>{private_ip}</internalIp><externalIp>{base_ip}</externalIp>")).await;
    let nat = info(&t, "natRuleId");
    answers.insert("network_createNatRule.xml", t);
    answers.insert(
        "network_natRule.xml",
        get(4, "network/natRule".into()).await,
    );
    answers.insert(
        "network_natRule_2187a636_7ebb_49a1_a2ff_5d617f496dce.xml",
        get(4, format!("network/natRule/{nat}")).await,
    );

    let (_, t) = post(&emu, 4, "network", "createFirewallRule", &format!("><networkDomainId>{nd}</networkDomainId><name>ssh</name><action>ACCEPT_DECISIVELY</action><ipVersion>IPV4</ipVersion><protocol>TCP</protocol><source><ip address=\"ANY\"/></source><destination><ip address=\"{base_ip}\"/><port begin=\"22\"/></destination><enabled>true</enabled><placement position=\"LAST\"/>")).await;
    let rule = info(&t, "firewallRuleId");
    answers.insert("network_createFirewallRule.xml", t);
    let rules = get(4, format!("network/firewallRule?networkDomainId={nd}")).await;
    let default_rule = parse(&rules)
        .descendants()
        .find(|n| n.attribute("ruleType") == Some("DEFAULT_RULE"))
        .and_then(|n| n.attribute("id"))
        .unwrap()
        .to_string();
    answers.insert("network_firewallRule.xml", rules);
    answers.insert(
        "network_firewallRule_d0a20f59_77b9_4f28_a63b_e58496b73a6c.xml",
        get(4, format!("network/firewallRule/{default_rule}")).await,
    );

    let (_, t) = post(&emu, 4, "tag", "createTagKey", "><name>LibcloudTest</name><description>d</description><valueRequired>true</valueRequired><displayOnReport>true</displayOnReport>").await;
    let key = info(&t, "tagKeyId");
    answers.insert("tag_createTagKey.xml", t);
    let (s, t) = post(&emu, 4, "tag", "createTagKey", "><name>LibcloudTest</name>").await;
    assert_eq!(s, 400, "{t}");
    answers.insert("tag_createTagKey_BADREQUEST.xml", t);
    let (s, t) = post(&emu, 4, "tag", "applyTags", &format!("><assetType>SERVER</assetType><assetId>{server}</assetId><tag><tagKeyName>ChangeNameTes</tagKeyName></tag>")).await;
    assert_eq!(s, 400, "{t}");
    answers.insert("tag_applyTags_BADREQUEST.xml", t);
    answers.insert(
        "tag_tagKey_list_SINGLE.xml",
        get(4, "tag/tagKey?name=LibcloudTest".into()).await,
    );
    let (s, t) = xml(
        &emu,
        4,
        "tag/tagKey/5ab77f5f-5aa9-426f-8459-4eab34e03d5f",
        None,
    )
    .await;
    assert_eq!(s, 400, "{t}");
    answers.insert(
        "tag_tagKey_5ab77f5f_5aa9_426f_8459_4eab34e03d54_BADREQUEST.xml",
        t,
    );
    let (_, t) = post(&emu, 4, "tag", "applyTags", &format!("><assetType>SERVER</assetType><assetId>{server}</assetId><tag><tagKeyName>LibcloudTest</tagKeyName><value>v</value></tag>")).await;
    answers.insert("tag_applyTags.xml", t);
    answers.insert("tag_tag_list.xml", get(4, "tag/tag".into()).await);
    answers.insert("tag_tagKey_list.xml", get(4, "tag/tagKey".into()).await);
    answers.insert(
        "tag_tagKey_5ab77f5f_5aa9_426f_8459_4eab34e03d54.xml",
        get(4, format!("tag/tagKey/{key}")).await,
    );

    // An MCP 1.0 network (v1 API) with a server in it: the recorded lists hold NA1 servers,
    // whose `nic` names their network.
    let v1 = |path: &str, body: Option<(&'static str, String)>| {
        let url = format!("{}/oec/0.9/{}/{path}", emu.running.base_url, emu.org);
        let req = match body {
            Some((ct, b)) => emu.client.post(url).header("Content-Type", ct).body(b),
            None => emu.client.get(url),
        };
        let req = req.basic_auth(&emu.user, Some(&emu.password));
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (s, t) = v1("networkWithLocation", Some(("application/xml", r#"<NewNetworkWithLocation xmlns="http://oec.api.opsource.net/schemas/network"><name>Test1</name><description>recorded</description><location>NA1</location></NewNetworkWithLocation>"#.into()))).await;
    assert_eq!(s, 200, "{t}");
    let mcp1_network = t
        .split("Network ID: ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .unwrap_or_else(|| panic!("no network id in {t}"))
        .to_string();
    let (s, t) = v1("networkWithLocation", None).await;
    assert_eq!(s, 200, "{t}");
    answers.insert(
        "oec_0_9_8a8f6abc_2745_4d8a_9cbc_8dabe5a7d0e4_networkWithLocation.xml",
        t,
    );
    let na1_image = parse(&get(4, "image/osImage?datacenterId=NA1".into()).await)
        .descendants()
        .find(|n| n.has_tag_name((NS, "osImage")))
        .and_then(|n| n.attribute("id"))
        .unwrap()
        .to_string();
    let (s, t) = post(&emu, 4, "server", "deployServer", &format!("><name>mcp1</name><imageId>{na1_image}</imageId><start>true</start><administratorPassword>Passw0rd!</administratorPassword><network><networkId>{mcp1_network}</networkId></network>")).await;
    assert_eq!(s, 200, "{t}");
    let mcp1_server = info(&t, "serverId");
    wait(
        &emu,
        &format!("server/server/{mcp1_server}"),
        Some("NORMAL"),
    )
    .await;

    // A server in PENDING_CHANGE carries `progress`, as the recorded lists do.
    let (s, t) = post(
        &emu,
        4,
        "server",
        "reconfigureServer",
        &format!(" id=\"{server}\"><memoryGb>24</memoryGb>"),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    answers.insert("server_server.xml", get(3, "server/server".into()).await);
    answers.insert(
        "server_server_paginated.xml",
        get(3, "server/server?pageSize=2".into()).await,
    );
    answers.insert(
        "2.4/server_server_paginated.xml",
        get(4, "server/server?pageSize=2".into()).await,
    );
    answers.insert(
        "2.4/server_server.xml",
        get(4, "server/server".into()).await,
    );
    answers.insert(
        "server_server_e75ead52_692f_4314_8725_c8a4f4d13a87.xml",
        get(3, format!("server/server/{server}")).await,
    );
    answers.insert(
        "2.4/server_server_e75ead52_692f_4314_8725_c8a4f4d13a87.xml",
        get(4, format!("server/server/{server}")).await,
    );
    let (s, t) = post(
        &emu,
        4,
        "server",
        "deleteServer",
        &format!(" id=\"{server}\">"),
    )
    .await;
    assert_eq!(s, 400, "{t}");
    answers.insert("server_deleteServer_RESOURCEBUSY.xml", t);
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;
    let (_, t) = post(
        &emu,
        4,
        "server",
        "powerOffServer",
        &format!(" id=\"{server}\">"),
    )
    .await;
    answers.insert("server_powerOffServer.xml", t);
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;
    // A customer image imported from an OVF package on NA9's FTPS area, as libcloud's
    // import_image asks for it (the recorded `ImportedCustomerImage` is one).
    emu.upload_package("NA9", &common::ovf_package("imported", &[12]))
        .await;
    let (s, t) = post(&emu, 4, "image", "importImage", "><ovfPackage>imported.mf</ovfPackage><name>ImportedCustomerImage</name><description>test</description><clusterId>NA9-01</clusterId><guestOsCustomization>true</guestOsCustomization>").await;
    assert_eq!(s, 200, "{t}");
    let imported_image = info(&t, "imageId");
    answers.insert("2.4/import_image_response.xml", t);
    // A customer image cloned from the stopped server, as libcloud asks for it.
    let (s, t) = post(&emu, 4, "server", "cloneServer", &format!(" id=\"{server}\"><imageName>web-image</imageName><description>cloned</description><clusterId>NA9-01</clusterId><guestOsCustomization>true</guestOsCustomization>")).await;
    assert_eq!(s, 200, "{t}");
    let customer_image = info(&t, "imageId");
    answers.insert("2.4/server_clone_response.xml", t);
    wait(
        &emu,
        &format!("image/customerImage/{customer_image}"),
        Some("NORMAL"),
    )
    .await;
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;
    wait(
        &emu,
        &format!("image/customerImage/{imported_image}"),
        Some("NORMAL"),
    )
    .await;
    answers.insert(
        "image_customerImage.xml",
        get(3, "image/customerImage".into()).await,
    );
    answers.insert(
        "2.4/image_customerImage.xml",
        get(4, "image/customerImage".into()).await,
    );
    // 2ffa36c8 is a clone (with priced software labels), 5234e5c7 an imported image.
    for (fixture, minor, image) in [
        (
            "image_customerImage_2ffa36c8_1848_49eb_b4fa_9d908775f68c.xml",
            3,
            &customer_image,
        ),
        (
            "image_customerImage_5234e5c7_01de_4411_8b6e_baeb8d91cf5d.xml",
            3,
            &imported_image,
        ),
        (
            "2.4/image_customerImage_2ffa36c8_1848_49eb_b4fa_9d908775f68c.xml",
            4,
            &customer_image,
        ),
        (
            "2.4/image_customerImage_5234e5c7_01de_4411_8b6e_baeb8d91cf5d.xml",
            4,
            &imported_image,
        ),
    ] {
        answers.insert(
            fixture,
            get(minor, format!("image/customerImage/{image}")).await,
        );
    }
    let (status, missing) = xml(
        &emu,
        4,
        "image/customerImage/2ffa36c8-1848-49eb-b4fa-9d908775f68c",
        None,
    )
    .await;
    assert_eq!(status, 400, "{missing}");
    answers.insert("image_customerImage_BAD_REQUEST.xml", missing);
    // Changes on the stopped server, its network and its tags.
    accepted(
        &emu,
        &mut answers,
        "network_editNetworkDomain.xml",
        (
            "network",
            "editNetworkDomain",
            &format!(" id=\"{nd}\"><name>renamed</name><type>ESSENTIALS</type>"),
        ),
    )
    .await;
    accepted(
        &emu,
        &mut answers,
        "network_editVlan.xml",
        (
            "network",
            "editVlan",
            &format!(" id=\"{vlan}\"><name>renamed</name>"),
        ),
    )
    .await;
    accepted(
        &emu,
        &mut answers,
        "network_expandVlan.xml",
        (
            "network",
            "expandVlan",
            &format!(" id=\"{vlan}\"><privateIpv4PrefixSize>23</privateIpv4PrefixSize>"),
        ),
    )
    .await;
    wait(&emu, &format!("network/vlan/{vlan}"), Some("NORMAL")).await;
    let t = accepted(
        &emu,
        &mut answers,
        "server_addDisk.xml",
        (
            "server",
            "addDisk",
            &format!(" id=\"{server}\"><sizeGb>20</sizeGb><speed>STANDARD</speed>"),
        ),
    )
    .await;
    let disk = info(&t, "diskId");
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;
    accepted(
        &emu,
        &mut answers,
        "server_removeDisk.xml",
        ("server", "removeDisk", &format!(" id=\"{disk}\">")),
    )
    .await;
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;
    let t = accepted(
        &emu,
        &mut answers,
        "server_addNic.xml",
        (
            "server",
            "addNic",
            &format!("><serverId>{server}</serverId><nic><vlanId>{vlan}</vlanId></nic>"),
        ),
    )
    .await;
    let nic = info(&t, "nicId");
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;
    accepted(
        &emu,
        &mut answers,
        "server_removeNic.xml",
        ("server", "removeNic", &format!(" id=\"{nic}\">")),
    )
    .await;
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;
    accepted(
        &emu,
        &mut answers,
        "server_reconfigureServer.xml",
        (
            "server",
            "reconfigureServer",
            &format!(" id=\"{server}\"><cpuCount>6</cpuCount>"),
        ),
    )
    .await;
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;
    accepted(
        &emu,
        &mut answers,
        "server_disableServerMonitoring.xml",
        (
            "server",
            "disableServerMonitoring",
            &format!(" id=\"{server}\">"),
        ),
    )
    .await;
    accepted(&emu, &mut answers, "tag_removeTag.xml", ("tag", "removeTags", &format!("><assetType>SERVER</assetType><assetId>{server}</assetId><tagKeyName>LibcloudTest</tagKeyName>"))).await;
    let (s, t) = post(&emu, 4, "tag", "removeTags", &format!("><assetType>SERVER</assetType><assetId>{server}</assetId><tagKeyName>AaronTestModified</tagKeyName>")).await;
    assert_eq!(s, 400, "an unknown key: {t}");
    answers.insert("tag_removeTag_BADREQUEST.xml", t);
    accepted(
        &emu,
        &mut answers,
        "tag_deleteTagKey.xml",
        ("tag", "deleteTagKey", &format!(" id=\"{key}\">")),
    )
    .await;
    let (s, t) = post(&emu, 4, "tag", "deleteTagKey", &format!(" id=\"{key}\">")).await;
    assert_eq!(s, 400, "deleted twice: {t}");
    answers.insert("tag_deleteTagKey_BADREQUEST.xml", t);
    // The server's NIC gets another adapter (the server is stopped).
    let (_, server_json) = emu.get(&format!("server/server/{server}")).await;
    let nic = server_json["networkInfo"]["primaryNic"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    accepted(
        &emu,
        &mut answers,
        "2.4/change_nic_networkadapter_response.xml",
        (
            "server",
            "changeNetworkAdapter",
            &format!("><nicId>{nic}</nicId><networkAdapter>E1000</networkAdapter>"),
        ),
    )
    .await;
    wait(&emu, &format!("server/server/{server}"), Some("NORMAL")).await;

    // IP address lists and port lists, each with a child list as recorded.
    let t = accepted(&emu, &mut answers, "ip_address_list_create.xml", ("network", "createIpAddressList", &format!("><networkDomainId>{nd}</networkDomainId><name>TestIPList2</name><description>web servers</description><ipVersion>IPV4</ipVersion><ipAddress begin=\"190.1.1.0\"/><ipAddress begin=\"190.1.1.10\" end=\"190.1.1.20\"/><ipAddress begin=\"190.1.2.0\" prefixSize=\"24\"/>"))).await;
    let child_list = info(&t, "ipAddressListId");
    let (s, t) = post(&emu, 4, "network", "createIpAddressList", &format!("><networkDomainId>{nd}</networkDomainId><name>TestIPList_sub_2</name><description>d</description><ipVersion>IPV4</ipVersion><ipAddress begin=\"190.2.3.0\" prefixSize=\"24\"/><ipAddress begin=\"190.2.2.100\"/><ipAddress begin=\"190.2.4.10\" end=\"190.2.4.20\"/><childIpAddressListId>{child_list}</childIpAddressListId>")).await;
    assert_eq!(s, 200, "{t}");
    let parent_list = info(&t, "ipAddressListId");
    accepted(
        &emu,
        &mut answers,
        "ip_address_list_edit.xml",
        (
            "network",
            "editIpAddressList",
            &format!(" id=\"{parent_list}\"><description>edited</description>"),
        ),
    )
    .await;
    answers.insert(
        "ip_address_lists.xml",
        get(4, format!("network/ipAddressList?networkDomainId={nd}")).await,
    );
    answers.insert(
        "ip_address_lists_FILTERBYNAME.xml",
        get(
            4,
            format!("network/ipAddressList?networkDomainId={nd}&name=TestIPList_sub_2"),
        )
        .await,
    );
    let t = accepted(&emu, &mut answers, "port_list_create.xml", ("network", "createPortList", &format!("><networkDomainId>{nd}</networkDomainId><name>tomcatPorts</name><description>d</description><port begin=\"8000\" end=\"9600\"/><port begin=\"443\"/>"))).await;
    let child_ports = info(&t, "portListId");
    let (s, t) = post(&emu, 4, "network", "createPortList", &format!("><networkDomainId>{nd}</networkDomainId><name>MyPortList</name><description>Production Servers</description><port begin=\"25\"/><port begin=\"9700\" end=\"9800\"/><childPortListId>{child_ports}</childPortListId>")).await;
    assert_eq!(s, 200, "{t}");
    let parent_ports = info(&t, "portListId");
    accepted(
        &emu,
        &mut answers,
        "port_list_edit.xml",
        (
            "network",
            "editPortList",
            &format!(" id=\"{parent_ports}\"><description>edited</description>"),
        ),
    )
    .await;
    answers.insert(
        "port_list_lists.xml",
        get(4, format!("network/portList?networkDomainId={nd}")).await,
    );
    answers.insert(
        "port_list_get.xml",
        get(4, format!("network/portList/{parent_ports}")).await,
    );
    accepted(
        &emu,
        &mut answers,
        "port_list_delete.xml",
        (
            "network",
            "deletePortList",
            &format!(" id=\"{parent_ports}\">"),
        ),
    )
    .await;
    accepted(
        &emu,
        &mut answers,
        "ip_address_list_delete.xml",
        (
            "network",
            "deleteIpAddressList",
            &format!(" id=\"{parent_list}\">"),
        ),
    )
    .await;
    accepted(
        &emu,
        &mut answers,
        "network_editFirewallRule.xml",
        (
            "network",
            "editFirewallRule",
            &format!(" id=\"{rule}\"><enabled>false</enabled>"),
        ),
    )
    .await;

    // An anti-affinity rule between the server and a peer (the domain becomes ADVANCED first,
    // as the rule requires).
    let (s, t) = post(
        &emu,
        4,
        "network",
        "editNetworkDomain",
        &format!(" id=\"{nd}\"><type>ADVANCED</type>"),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    let (s, t) = post(&emu, 4, "server", "deployServer", &format!("><name>peer</name><imageId>{image}</imageId><start>false</start><administratorPassword>Passw0rd!</administratorPassword><networkInfo networkDomainId=\"{nd}\"><primaryNic><vlanId>{vlan}</vlanId></primaryNic></networkInfo>")).await;
    assert_eq!(s, 200, "{t}");
    let peer = info(&t, "serverId");
    wait(&emu, &format!("server/server/{peer}"), Some("NORMAL")).await;
    let (s, t) = post(
        &emu,
        4,
        "server",
        "createAntiAffinityRule",
        &format!("><serverId>{server}</serverId><serverId>{peer}</serverId>"),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    let rules_path = format!("server/antiAffinityRule?networkDomainId={nd}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let rule_id = loop {
        let (_, v) = emu.get(&rules_path).await;
        if v["antiAffinityRule"][0]["state"] == "NORMAL" {
            break v["antiAffinityRule"][0]["id"].as_str().unwrap().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "the rule never became NORMAL: {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    answers.insert(
        "server_antiAffinityRule_list.xml",
        get(4, rules_path.clone()).await,
    );
    answers.insert(
        "server_antiAffinityRule_list_PAGINATED.xml",
        get(4, format!("{rules_path}&pageSize=2")).await,
    );
    let (s, t) = post(
        &emu,
        4,
        "server",
        "deleteAntiAffinityRule",
        &format!(" id=\"{rule_id}\">"),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while emu.get(&rules_path).await.1["totalCount"] != 0 {
        assert!(Instant::now() < deadline, "the rule was never deleted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (s, t) = post(
        &emu,
        4,
        "server",
        "deleteServer",
        &format!(" id=\"{peer}\">"),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    wait(&emu, &format!("server/server/{peer}"), None).await;

    for (op, id, fixture) in [
        (
            "deleteFirewallRule",
            &rule,
            "network_deleteFirewallRule.xml",
        ),
        ("deleteNatRule", &nat, "network_deleteNatRule.xml"),
        (
            "removePublicIpBlock",
            &block,
            "network_removePublicIpBlock.xml",
        ),
    ] {
        let (s, t) = post(&emu, 4, "network", op, &format!(" id=\"{id}\">")).await;
        assert_eq!(s, 200, "{op}: {t}");
        answers.insert(fixture, t);
    }
    // The MCP 1.0 server goes, then its network is renamed and deleted (libcloud answers both
    // with the recorded `Status`).
    for op in ["powerOffServer", "deleteServer"] {
        let (s, t) = post(&emu, 4, "server", op, &format!(" id=\"{mcp1_server}\">")).await;
        assert_eq!(s, 200, "{op}: {t}");
        wait(
            &emu,
            &format!("server/server/{mcp1_server}"),
            (op == "powerOffServer").then_some("NORMAL"),
        )
        .await;
    }
    let (s, t) = v1(
        &format!("network/{mcp1_network}"),
        Some(("application/x-www-form-urlencoded", "name=barry".into())),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    answers.insert(
        "oec_0_9_8a8f6abc_2745_4d8a_9cbc_8dabe5a7d0e4_network_4bba37be_506f_11e3_b29c_001517c4643e.xml",
        t,
    );
    let (s, t) = v1(&format!("network/{mcp1_network}?delete"), None).await;
    assert_eq!(s, 200, "{t}");
    let (s, t) = emu.backup_v1(&server, "?disable", None).await;
    assert_eq!(s, 200, "disable backup: {t}");
    let (s, t) = post(
        &emu,
        4,
        "server",
        "deleteServer",
        &format!(" id=\"{server}\">"),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    answers.insert("server_deleteServer.xml", t);
    wait(&emu, &format!("server/server/{server}"), None).await;
    let (_, t) = post(
        &emu,
        4,
        "network",
        "deleteVlan",
        &format!(" id=\"{vlan}\">"),
    )
    .await;
    answers.insert("network_deleteVlan.xml", t);
    wait(&emu, &format!("network/vlan/{vlan}"), None).await;
    let (_, t) = post(
        &emu,
        4,
        "network",
        "deleteNetworkDomain",
        &format!(" id=\"{nd}\">"),
    )
    .await;
    answers.insert("network_deleteNetworkDomain.xml", t);

    // Compare: every recorded (path, key) must be in the emulator's answer, in the same place
    // (attribute or element), unless excepted.
    let dir = format!("{}/tests/recorded/libcloud", env!("CARGO_MANIFEST_DIR"));
    let mut recorded_total = 0;
    let mut matched = 0;
    let mut failures = Vec::new();
    let mut excepted_keys = Vec::new();
    for (fixture, answer) in &answers {
        let recorded = std::fs::read_to_string(format!("{dir}/{fixture}"))
            .unwrap_or_else(|e| panic!("{fixture}: {e}"));
        let want = keys(&recorded);
        let have = keys(answer);
        for (path, key) in &want {
            recorded_total += 1;
            if have.contains(&(path.clone(), key.clone())) {
                matched += 1;
            } else if excepted(fixture, path, key) {
                excepted_keys.push(format!("{fixture}: {path} {key}"));
            } else {
                failures.push(format!("{fixture}: {path}: `{key}` missing"));
            }
        }
    }
    let recorded_files = std::fs::read_dir(&dir)
        .unwrap()
        .chain(std::fs::read_dir(format!("{dir}/2.4")).unwrap())
        .chain(std::fs::read_dir(format!("{dir}/loadbalancer")).unwrap())
        .chain(std::fs::read_dir(format!("{dir}/loadbalancer/nttcis")).unwrap())
        .chain(std::fs::read_dir(format!("{dir}/drs")).unwrap())
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "xml")
        })
        .count();
    for k in &excepted_keys {
        println!("EXCEPTED {k}");
    }
    // Raw coverage: every recorded key counts, the excepted ones as misses.
    let raw = 100.0 * matched as f64 / recorded_total as f64;
    println!(
        "MEASURED libcloud XML recordings: {} files compared (of {recorded_files} kept), {matched} of {recorded_total} recorded keys present in place (raw {raw:.1} %), {} documented exceptions (misses)",
        answers.len(),
        excepted_keys.len()
    );
    assert_eq!(
        answers.len(),
        recorded_files,
        "every kept recording is compared"
    );
    assert!(
        failures.is_empty(),
        "the emulator's XML differs from the recordings:\n{}",
        failures.join("\n")
    );
    assert!(
        raw >= RAW_FLOOR,
        "only {raw:.1} % of the recorded keys are present (floor {RAW_FLOOR} %)"
    );
}

/// The load balancer's recordings (libcloud's `loadbalancer` fixtures, kept in `loadbalancer/`):
/// an ADVANCED domain with a node, two pools (two monitors each), a member on a port, and a
/// layer-4 HTTP listener using both pools, two persistence profiles and two iRules.
async fn vip_recordings(emu: &Emu, answers: &mut BTreeMap<&'static str, String>) {
    let nd = emu
        .ok(
            "network/deployNetworkDomain",
            serde_json::json!({"name": "lb", "type": "ADVANCED", "datacenterId": "NA9"}),
        )
        .await;
    wait(emu, &format!("network/networkDomain/{nd}"), Some("NORMAL")).await;
    emu.ok(
        "network/addPublicIpBlock",
        serde_json::json!({"networkDomainId": nd}),
    )
    .await;
    let vip = |path: &str| format!("networkDomainVip/{path}");
    let catalog = |doc: &str, name: &str| {
        let d = parse(doc);
        d.descendants()
            .find(|n| {
                n.attribute("name") == Some(name) || n.children().any(|c| c.text() == Some(name))
            })
            .and_then(|n| n.attribute("id"))
            .unwrap_or_else(|| panic!("{name} not in {doc}"))
            .to_string()
    };
    let (_, monitors) = xml(
        emu,
        4,
        &vip(&format!("defaultHealthMonitor?networkDomainId={nd}")),
        None,
    )
    .await;
    let (http, https) = (
        catalog(&monitors, "CCDEFAULT.Http"),
        catalog(&monitors, "CCDEFAULT.Https"),
    );
    answers.insert(
        "loadbalancer/caas_2_1_8a8f6abc_2745_4d8a_9cbc_8dabe5a7d0e4_networkDomainVip_defaultHealthMonitor.xml",
        monitors,
    );
    let (_, irules) = xml(
        emu,
        4,
        &vip(&format!("defaultIrule?networkDomainId={nd}")),
        None,
    )
    .await;
    let (timers, ips) = (
        catalog(&irules, "CCDEFAULT.IpProtocolTimers"),
        catalog(&irules, "CCDEFAULT.Ips"),
    );
    answers.insert("loadbalancer/networkDomainVip_defaultIrule.xml", irules);
    let (_, profiles) = xml(
        emu,
        4,
        &vip(&format!("defaultPersistenceProfile?networkDomainId={nd}")),
        None,
    )
    .await;
    let (destination, source) = (
        catalog(&profiles, "CCDEFAULT.DestinationAddress"),
        catalog(&profiles, "CCDEFAULT.SourceAddress"),
    );
    let (status, created) = post(emu, 4, "networkDomainVip", "createNode", &format!("><networkDomainId>{nd}</networkDomainId><name>n1</name><ipv4Address>10.0.3.13</ipv4Address><status>ENABLED</status><connectionLimit>100</connectionLimit><connectionRateLimit>10</connectionRateLimit>")).await;
    assert_eq!(status, 200, "{created}");
    let node = info(&created, "nodeId");
    answers.insert(
        "loadbalancer/caas_2_1_8a8f6abc_2745_4d8a_9cbc_8dabe5a7d0e4_networkDomainVip_createNode.xml",
        created,
    );
    let mut pools = Vec::new();
    for name in ["production", "development"] {
        pools.push(
            emu.ok(
                &vip("createPool"),
                serde_json::json!({"networkDomainId": nd, "name": name, "description": "d",
                    "loadBalanceMethod": "ROUND_ROBIN", "healthMonitorId": [http, https],
                    "serviceDownAction": "RESELECT", "slowRampTime": 10}),
            )
            .await,
        );
    }
    let member = emu
        .ok(
            &vip("addPoolMember"),
            serde_json::json!({"poolId": pools[1], "nodeId": node, "port": 9889, "status": "ENABLED"}),
        )
        .await;
    emu.ok(
        &vip("createVirtualListener"),
        serde_json::json!({"networkDomainId": nd, "name": "l", "description": "d",
            "type": "PERFORMANCE_LAYER_4", "protocol": "HTTP", "port": 8899, "enabled": true,
            "connectionLimit": 10000, "connectionRateLimit": 400,
            "sourcePortPreservation": "PRESERVE", "poolId": pools[0],
            "clientClonePoolId": pools[1], "persistenceProfileId": destination,
            "fallbackPersistenceProfileId": source, "iruleId": [timers, ips]}),
    )
    .await;
    let get = |minor: u32, path: String| async move {
        let (status, text) = xml(emu, minor, &path, None).await;
        assert_eq!(status, 200, "GET {path}: {text}");
        text
    };
    answers.insert(
        "loadbalancer/caas_2_1_8a8f6abc_2745_4d8a_9cbc_8dabe5a7d0e4_networkDomainVip_pool_4d360b1f_bc2c_4ab7_9884_1f03ba2768f7.xml",
        get(4, vip(&format!("pool/{}", pools[1]))).await,
    );
    answers.insert(
        "loadbalancer/caas_2_0_8a8f6abc_2745_4d8a_9cbc_8dabe5a7d0e4_networkDomainVip_poolMember_3dd806a2_c2c8_4c0c_9a4f_5219ea9266c0.xml",
        get(4, vip(&format!("poolMember/{member}"))).await,
    );
    answers.insert(
        "loadbalancer/networkDomainVip_virtualListener.xml",
        get(6, vip(&format!("virtualListener?networkDomainId={nd}"))).await,
    );
}

/// SSL offload's recordings (libcloud's `nttcis` load-balancer fixtures, kept in
/// `loadbalancer/nttcis/`), at 2.7 (libcloud's nttcis version): two certificates `alice` and
/// `bob` and a chain imported, a profile on `alice` with its own ciphers, edited and listed,
/// then everything deleted; and the recorded refusal of a 4096-bit key.
async fn ssl_recordings(emu: &Emu, answers: &mut BTreeMap<&'static str, String>) {
    const MINOR: u32 = 7;
    let nd = emu
        .ok(
            "network/deployNetworkDomain",
            serde_json::json!({"name": "ssl", "type": "ADVANCED", "datacenterId": "EU6"}),
        )
        .await;
    wait(emu, &format!("network/networkDomain/{nd}"), Some("NORMAL")).await;
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let import = |name: &str, pair: &common::ssl::Pair| {
        format!(
            "><networkDomainId>{nd}</networkDomainId><name>{name}</name><description>test cert</description><key>{}</key><certificate>{}</certificate>",
            esc(&pair.key),
            esc(&pair.certificate)
        )
    };
    let vip = "networkDomainVip";
    let (status, refused) = post(
        emu,
        MINOR,
        vip,
        "importSslDomainCertificate",
        &import("carol", common::ssl::rsa_4096()),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    answers.insert("loadbalancer/nttcis/ssl_import_fail.xml", refused);
    let mut certs = Vec::new();
    for (name, pair) in [
        ("alice", common::ssl::rsa_2048()),
        ("bob", common::ssl::other_rsa_2048()),
    ] {
        let (status, imported) = post(
            emu,
            MINOR,
            vip,
            "importSslDomainCertificate",
            &import(name, pair),
        )
        .await;
        assert_eq!(status, 200, "{imported}");
        certs.push(info(&imported, "sslDomainCertificateId"));
        if name == "alice" {
            answers.insert("loadbalancer/nttcis/ssl_import_success.xml", imported);
        }
    }
    let (status, imported) = post(emu, MINOR, vip, "importSslCertificateChain", &format!(
        "><networkDomainId>{nd}</networkDomainId><name>ted_carol</name><description>test cert chain</description><certificateChain>{}</certificateChain>",
        esc(&common::ssl::chain())
    )).await;
    assert_eq!(status, 200, "{imported}");
    let chain = info(&imported, "sslCertificateChainId");
    answers.insert("loadbalancer/nttcis/ssl_import_cert_chain.xml", imported);
    let (status, created) = post(emu, MINOR, vip, "createSslOffloadProfile", &format!(
        "><networkDomainId>{nd}</networkDomainId><name>ssl_offload</name><ciphers>!ECDHE+AES-GCM:</ciphers><sslDomainCertificateId>{}</sslDomainCertificateId>",
        certs[0]
    )).await;
    assert_eq!(status, 200, "{created}");
    let profile = info(&created, "sslOffloadProfileId");
    answers.insert(
        "loadbalancer/nttcis/create_ssl_offload_profile.xml",
        created,
    );
    let get = |path: String| async move {
        let (status, text) = xml(emu, MINOR, &format!("{vip}/{path}"), None).await;
        assert_eq!(status, 200, "GET {path}: {text}");
        text
    };
    answers.insert(
        "loadbalancer/nttcis/get_ssl_offload_profile.xml",
        get(format!("sslOffloadProfile/{profile}")).await,
    );
    answers.insert(
        "loadbalancer/nttcis/list_ssl_offload_profiles.xml",
        get(format!("sslOffloadProfile?networkDomainId={nd}")).await,
    );
    answers.insert(
        "loadbalancer/nttcis/ssl_cert_list.xml",
        get(format!("sslDomainCertificate?networkDomainId={nd}")).await,
    );
    answers.insert(
        "loadbalancer/nttcis/ssl_cert_by_name.xml",
        get(format!(
            "sslDomainCertificate?networkDomainId={nd}&name=alice"
        ))
        .await,
    );
    answers.insert(
        "loadbalancer/nttcis/ssl_get_cert_chain.xml",
        get(format!("sslCertificateChain/{chain}")).await,
    );
    answers.insert(
        "loadbalancer/nttcis/ssl_list_cert_chain_by_name.xml",
        get(format!(
            "sslCertificateChain?networkDomainId={nd}&name=ted_carol"
        ))
        .await,
    );
    let (status, edited) = post(emu, MINOR, vip, "editSslOffloadProfile", &format!(
        " id=\"{profile}\"><name>ssl_offload</name><ciphers>!ECDHE+AES-GCM:</ciphers><sslDomainCertificateId>{}</sslDomainCertificateId>",
        certs[1]
    )).await;
    assert_eq!(status, 200, "{edited}");
    answers.insert("loadbalancer/nttcis/edit_ssl_offload_profile.xml", edited);
    for (op, id, fixture) in [
        (
            "deleteSslOffloadProfile",
            &profile,
            "loadbalancer/nttcis/delete_ssl_offload_profile.xml",
        ),
        (
            "deleteSslCertificateChain",
            &chain,
            "loadbalancer/nttcis/delete_ssl_certificate_chain.xml",
        ),
        (
            "deleteSslDomainCertificate",
            &certs[0],
            "loadbalancer/nttcis/delete_ssl_domain_certificate.xml",
        ),
    ] {
        let (status, deleted) = post(emu, MINOR, vip, op, &format!(" id=\"{id}\">")).await;
        assert_eq!(status, 200, "{deleted}");
        answers.insert(fixture, deleted);
    }
}

/// The raw XML coverage (all recorded keys, exceptions counted as misses) last measured; fewer
/// present means a regression or a new exception, which must be argued for in EXCEPTIONS.
const RAW_FLOOR: f64 = 99.7;

/// The DRS recordings (libcloud's nttcis `drs_*` fixtures and the group and snapshot lists, kept
/// in `drs/`, recorded at 2.7): every consistency-group answer and refusal, on an emulator of its
/// own at time scale 0 (the initial replication would otherwise take the longest of all here).
async fn drs_recordings(answers: &mut BTreeMap<&'static str, String>) {
    let emu = emulator(&[]).await;
    let mut servers = BTreeMap::new();
    for (dc, name, start) in [
        ("AU9", "src", true),
        ("AU10", "tgt", false),
        ("NA9", "na9", true),
        ("NA12", "na12", false),
    ] {
        let nd = emu.domain(&format!("{name}-nd"), dc).await;
        let vlan = emu.vlan(&nd, name, "10.0.2.0", 24).await;
        let image = emu.image("CentOS 7 64-bit 2 CPU", dc).await;
        let id = emu
            .ok(
                "server/deployServer",
                serde_json::json!({"name": name, "imageId": image, "start": start, "administratorPassword": "Passw0rd!",
                                   "networkInfo": {"networkDomainId": nd, "primaryNic": {"vlanId": vlan}}}),
            )
            .await;
        servers.insert(name, id);
    }
    let post = |op: &'static str, attrs: String, inner: String| {
        let emu = &emu;
        async move {
            let body = format!("<{op} xmlns=\"{NS}\"{attrs}>{inner}</{op}>");
            xml(emu, 7, &format!("consistencyGroup/{op}"), Some(body)).await
        }
    };
    let create = |name: &'static str, source: String, target: String| {
        post(
            "createConsistencyGroup",
            String::new(),
            format!("<name>{name}</name><description>A test consistency group</description><journalSizeGb>100</journalSizeGb><serverPair><sourceServerId>{source}</sourceServerId><targetServerId>{target}</targetServerId></serverPair>"),
        )
    };
    let eligible = |id: String| {
        let emu = &emu;
        async move {
            emu.ok(
                "server/editServerMetadata",
                serde_json::json!({"id": id, "drsEligible": true}),
            )
            .await;
        }
    };
    eligible(servers["src"].clone()).await;
    let (s, t) = create("cg", servers["src"].clone(), servers["tgt"].clone()).await;
    assert_eq!(s, 400, "{t}");
    answers.insert("drs/drs_fail_create_cg_ineligible.xml", t);
    for name in ["tgt", "na9", "na12"] {
        eligible(servers[name].clone()).await;
    }
    let (s, t) = create("cg", servers["na9"].clone(), servers["na12"].clone()).await;
    assert_eq!(s, 400, "{t}");
    answers.insert("drs/drs_fail_create_cg_not_supported.xml", t);
    let (s, t) = create("cg", servers["src"].clone(), servers["tgt"].clone()).await;
    assert_eq!(s, 200, "{t}");
    let id = info(&t, "consistencyGroupId");
    answers.insert("drs/drs_create_cg.xml", t);
    let (s, t) = create("cg", servers["na9"].clone(), servers["na12"].clone()).await;
    assert_eq!(s, 400, "{t}");
    answers.insert("drs/drs_fail_create_consistency_group.xml", t);

    let get = |path: String| {
        let emu = &emu;
        async move {
            let (status, text) = xml(emu, 7, &path, None).await;
            assert_eq!(status, 200, "GET {path}: {text}");
            text
        }
    };
    answers.insert(
        "drs/list_consistency_groups.xml",
        get("consistencyGroup/consistencyGroup".into()).await,
    );
    let snapshots = format!("consistencyGroup/snapshot?consistencyGroupId={id}");
    let list = get(snapshots.clone()).await;
    let snapshot = parse(&list)
        .descendants()
        .find(|n| n.has_tag_name((NS, "snapshot")))
        .and_then(|n| n.attribute("id"))
        .expect("a snapshot")
        .to_string();
    answers.insert("drs/list_drs_snapshots.xml", list);
    answers.insert(
        "drs/drs_snap_shots_by_min_max_time.xml",
        get(format!(
            "{snapshots}&createTime.MIN=2018-11-28T00:00:00.000Z&createTime.MAX=2999-01-01T00:00:00.000Z"
        ))
        .await,
    );
    answers.insert(
        "drs/drs_snapshots_by_min.xml",
        get(format!(
            "{snapshots}&createTime.MIN=2018-11-28T00:00:00.000Z"
        ))
        .await,
    );
    let (s, t) = post(
        "expandJournal",
        format!(" id=\"{id}\""),
        "<sizeGb>100</sizeGb>".into(),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    answers.insert("drs/drs_expand_journal.xml", t);
    let (s, t) = post(
        "initiateFailover",
        format!(" consistencyGroupId=\"{id}\""),
        String::new(),
    )
    .await;
    assert_eq!(s, 400, "{t}");
    answers.insert("drs/drs_invalid_status.xml", t);
    let preview = || {
        post(
            "startPreviewSnapshot",
            format!(" consistencyGroupId=\"{id}\""),
            format!("<snapshotId>{snapshot}</snapshotId>"),
        )
    };
    let (s, t) = preview().await;
    assert_eq!(s, 200, "{t}");
    answers.insert("drs/drs_start_failover_preview.xml", t);
    let (s, t) = post(
        "stopPreviewSnapshot",
        format!(" consistencyGroupId=\"{id}\""),
        String::new(),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    answers.insert("drs/drs_stop_failover_preview.xml", t);
    let (s, t) = preview().await;
    assert_eq!(s, 200, "{t}");
    let (s, t) = post(
        "initiateFailover",
        format!(" consistencyGroupId=\"{id}\""),
        String::new(),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    answers.insert("drs/drs_initiate_failover.xml", t);

    // A second group of the same servers (the failed-over target stopped again), deleted.
    emu.ok(
        "server/powerOffServer",
        serde_json::json!({"id": servers["tgt"]}),
    )
    .await;
    let (s, t) = create("cg2", servers["src"].clone(), servers["tgt"].clone()).await;
    assert_eq!(s, 200, "{t}");
    let id = info(&t, "consistencyGroupId");
    let (s, t) = post(
        "deleteConsistencyGroup",
        format!(" id=\"{id}\""),
        String::new(),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    answers.insert("drs/drs_delete_consistency_group.xml", t);
}
