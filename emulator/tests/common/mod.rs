//! Test helpers: an in-process emulator on a free loopback port and a small JSON client.
#![allow(dead_code)]

pub mod ssl;

use clap::Parser;
use cloudcontrol_emulator::{start, Config, Running, DEMO_ORG_ID};
use serde_json::Value;

/// An emulator plus a client logged in as `demo`.
pub struct Emu {
    pub running: Running,
    pub client: reqwest::Client,
    pub user: String,
    pub password: String,
    pub org: String,
}

/// An HTTP client (installs the process-wide rustls crypto provider first).
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::new()
}

/// Starts an emulator with extra command-line flags (time scale 0 unless given).
pub async fn emulator(extra: &[&str]) -> Emu {
    let mut args = vec!["cloudcontrol-emulator"];
    if !extra.contains(&"--time-scale") {
        args.extend_from_slice(&["--time-scale", "0"]);
    }
    args.extend_from_slice(extra);
    let running = start(Config::parse_from(args))
        .await
        .expect("emulator starts");
    Emu {
        running,
        client: client(),
        user: "demo".into(),
        password: "demo".into(),
        org: DEMO_ORG_ID.into(),
    }
}

/// Starts an emulator whose accounts come from an owner-only (0600) accounts file holding `lines`.
/// The file is read at start, so its temporary directory is removed when this returns.
pub async fn emulator_with_accounts(lines: &str, extra: &[&str]) -> Emu {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = private_file(dir.path(), "accounts", lines);
    let path = path.to_str().expect("UTF-8 temp path");
    let mut args = vec!["--accounts-file", path];
    args.extend_from_slice(extra);
    emulator(&args).await
}

/// Writes `text` to `dir/name` with mode 0600 (created so, never readable by others).
pub fn private_file(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(name);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .expect("accounts file created");
    file.write_all(text.as_bytes())
        .expect("accounts file written");
    path
}

impl Emu {
    /// `/caas/2.<minor>/<org>/<path>`.
    pub fn url(&self, minor: u32, path: &str) -> String {
        format!(
            "{}/caas/2.{minor}/{}/{path}",
            self.running.base_url, self.org
        )
    }

    /// GET returning (status, JSON).
    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.get_v(9, path).await
    }

    /// GET at a given minor version.
    pub async fn get_v(&self, minor: u32, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(self.url(minor, path))
            .basic_auth(&self.user, Some(&self.password))
            .header("Accept", "application/json")
            .send()
            .await
            .expect("request sent");
        let status = r.status().as_u16();
        (status, r.json().await.expect("JSON body"))
    }

    /// POST JSON returning (status, JSON).
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.post_v(9, path, body).await
    }

    /// POST at a given minor version.
    pub async fn post_v(&self, minor: u32, path: &str, body: Value) -> (u16, Value) {
        self.post_raw(minor, path, body.to_string()).await
    }

    /// POST a raw body.
    pub async fn post_raw(&self, minor: u32, path: &str, body: String) -> (u16, Value) {
        let r = self
            .client
            .post(self.url(minor, path))
            .basic_auth(&self.user, Some(&self.password))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(body)
            .send()
            .await
            .expect("request sent");
        let status = r.status().as_u16();
        (status, r.json().await.expect("JSON body"))
    }

    /// Sends `req` as this account; returns (status, body text). The XML helpers end here.
    async fn send_for_text(&self, req: reqwest::RequestBuilder) -> (u16, String) {
        let r = req
            .basic_auth(&self.user, Some(&self.password))
            .send()
            .await
            .expect("request sent");
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    /// A v1 Cloud Backup call on a server: `/oec/0.9/<org>/server/<id>/backup<suffix>`, POSTing
    /// `body` (XML) when given, else a GET. Returns (status, XML text).
    pub async fn backup_v1(&self, server: &str, suffix: &str, body: Option<&str>) -> (u16, String) {
        let url = format!(
            "{}/oec/0.9/{}/server/{server}/backup{suffix}",
            self.running.base_url, self.org
        );
        let req = match body {
            Some(b) => self
                .client
                .post(url)
                .header("Content-Type", "application/xml")
                .body(b.to_string()),
            None => self.client.get(url),
        };
        self.send_for_text(req).await
    }

    /// An XML call on `/caas/2.<minor>/`: POSTs `body` as XML when given, else GETs asking for
    /// XML. Returns (status, XML text).
    pub async fn xml(&self, minor: u32, path: &str, body: Option<String>) -> (u16, String) {
        let url = self.url(minor, path);
        let req = match body {
            Some(b) => self
                .client
                .post(url)
                .header("Content-Type", "application/xml")
                .body(b),
            None => self.client.get(url).header("Accept", "application/xml"),
        };
        self.send_for_text(req).await
    }

    /// GET of an emulator admin document, `/_emulator/<path>`, as this account.
    pub async fn admin(&self, path: &str) -> Value {
        self.client
            .get(format!("{}/_emulator/{path}", self.running.base_url))
            .basic_auth(&self.user, Some(&self.password))
            .send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("JSON body")
    }

    /// The organisation's inventory (`/_emulator/inventory/<org>`).
    pub async fn inventory(&self) -> Value {
        self.admin(&format!("inventory/{}", self.org)).await
    }

    /// POST that must succeed; returns the first info value (the new id), if any.
    pub async fn ok(&self, path: &str, body: Value) -> String {
        let (status, v) = self.post(path, body).await;
        assert_eq!(status, 200, "POST {path} failed: {v}");
        let code = v["responseCode"].as_str().unwrap_or_default();
        assert!(code == "OK" || code == "IN_PROGRESS", "POST {path}: {v}");
        v["info"][0]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The id of the named image in a datacenter.
    pub async fn image(&self, name: &str, dc: &str) -> String {
        let (_, v) = self
            .get(&format!(
                "image/osImage?name={}&datacenterId={dc}",
                name.replace(' ', "%20")
            ))
            .await;
        assert_eq!(v["pageCount"], 1, "{v}");
        v["osImage"][0]["id"].as_str().unwrap().to_string()
    }

    /// Deploys a network domain in `dc` (state settles instantly at time scale 0).
    pub async fn domain(&self, name: &str, dc: &str) -> String {
        self.ok(
            "network/deployNetworkDomain",
            serde_json::json!({"name": name, "type": "ESSENTIALS", "datacenterId": dc}),
        )
        .await
    }

    /// Deploys an attached/LOW VLAN.
    pub async fn vlan(&self, nd: &str, name: &str, base: &str, prefix: u8) -> String {
        self.ok(
            "network/deployVlan",
            serde_json::json!({"networkDomainId": nd, "name": name, "privateIpv4NetworkAddress": base,
                               "privateIpv4PrefixSize": prefix, "attachedVlan": {"gatewayAddressing": "LOW"}}),
        )
        .await
    }

    /// Deploys a CentOS server on a VLAN.
    pub async fn server(&self, nd: &str, vlan: &str, name: &str, start: bool) -> String {
        let image = self.image("CentOS 7 64-bit 2 CPU", "NA9").await;
        self.ok(
            "server/deployServer",
            serde_json::json!({"name": name, "imageId": image, "start": start, "administratorPassword": "Passw0rd!",
                               "networkInfo": {"networkDomainId": nd, "primaryNic": {"vlanId": vlan}, "additionalNic": null}}),
        )
        .await
    }
}

/// Asserts an error envelope with the given HTTP status and responseCode, and returns the message.
pub fn assert_error(resp: &(u16, Value), status: u16, code: &str) -> String {
    assert_eq!(resp.0, status, "unexpected status: {}", resp.1);
    assert_eq!(resp.1["responseCode"], code, "unexpected code: {}", resp.1);
    for key in [
        "operation",
        "message",
        "info",
        "warning",
        "error",
        "requestId",
    ] {
        assert!(
            resp.1.get(key).is_some(),
            "envelope lacks {key}: {}",
            resp.1
        );
    }
    resp.1["message"].as_str().unwrap().to_string()
}

/// The files of an OVF package `prefix` (descriptor, one VMDK per disk, then the manifest with
/// their SHA-1 digests), as a client would upload them to the FTPS host: 2 CPUs, 4 GB, CentOS 7,
/// one E1000 NIC, disks of `disks_gb` GB.
pub fn ovf_package(prefix: &str, disks_gb: &[u32]) -> Vec<(String, Vec<u8>)> {
    let mut refs = String::new();
    let mut disks = String::new();
    let mut files = Vec::new();
    for (i, gb) in disks_gb.iter().enumerate() {
        let n = i + 1;
        let vmdk = format!("{prefix}-disk{n}.vmdk");
        refs.push_str(&format!("<File ovf:id=\"file{n}\" ovf:href=\"{vmdk}\"/>"));
        disks.push_str(&format!("<Disk ovf:diskId=\"vmdisk{n}\" ovf:fileRef=\"file{n}\" ovf:capacity=\"{gb}\" ovf:capacityAllocationUnits=\"byte * 2^30\"/>"));
        files.push((vmdk, format!("VMDK {prefix} disk {n}").into_bytes()));
    }
    let ovf = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf">
<References>{refs}</References><DiskSection>{disks}</DiskSection>
<VirtualSystem ovf:id="{prefix}"><OperatingSystemSection ovf:id="107" vmw:osType="centos7_64Guest"/>
<VirtualHardwareSection>
<Item><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
<Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>4096</rasd:VirtualQuantity></Item>
<Item><rasd:ResourceSubType>E1000</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
</VirtualHardwareSection></VirtualSystem></Envelope>"#
    );
    files.insert(0, (format!("{prefix}.ovf"), ovf.into_bytes()));
    let mf = manifest(&files);
    files.push((format!("{prefix}.mf"), mf));
    files
}

/// A manifest (`SHA1(<file>)= <hex>` lines) of `files`.
pub fn manifest(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    use aws_lc_rs::digest;
    files
        .iter()
        .map(|(name, content)| {
            let hex: String = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, content)
                .as_ref()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("SHA1({name})= {hex}\n")
        })
        .collect::<String>()
        .into_bytes()
}

impl Emu {
    /// Places a file on the organisation's FTPS area of `dc` (emulator admin endpoint).
    pub async fn ftps_put(&self, dc: &str, name: &str, content: &[u8]) -> (u16, Value) {
        let r = self
            .client
            .put(format!(
                "{}/_emulator/ftps/{dc}/{name}",
                self.running.base_url
            ))
            .basic_auth(&self.user, Some(&self.password))
            .body(content.to_vec())
            .send()
            .await
            .expect("request sent");
        let status = r.status().as_u16();
        (status, r.json().await.expect("JSON body"))
    }

    /// Uploads every file of a package to `dc`.
    pub async fn upload_package(&self, dc: &str, files: &[(String, Vec<u8>)]) {
        for (name, content) in files {
            let (status, v) = self.ftps_put(dc, name, content).await;
            assert_eq!(status, 200, "upload {name}: {v}");
        }
    }
}
