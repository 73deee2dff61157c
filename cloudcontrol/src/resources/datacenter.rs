//! Datacenters (`infrastructure/datacenter`) and their sizing limits.

use crate::client::Client;
use crate::envelope::NameValue;
use crate::error::Result;
use serde::Deserialize;

/// A speed option (disk or CPU) a datacenter offers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpeedOption {
    /// The id used in requests (`STANDARD`, `HIGHPERFORMANCE`, ...).
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// Whether it can be used.
    #[serde(default = "yes")]
    pub available: bool,
    /// Whether it is the default.
    #[serde(default)]
    pub default: bool,
}

fn yes() -> bool {
    true
}

/// A datacenter's hypervisor capabilities.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hypervisor {
    /// Hypervisor type (`VMWARE`).
    #[serde(default, rename = "type")]
    pub kind: String,
    /// Disk speeds.
    #[serde(default)]
    pub disk_speed: Vec<SpeedOption>,
    /// CPU speeds.
    #[serde(default)]
    pub cpu_speed: Vec<SpeedOption>,
    /// Limits such as `MAX_CPU_COUNT` or `MAX_DISK_SIZE_GB`.
    #[serde(default)]
    pub property: Vec<NameValue>,
}

/// A datacenter (location).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Datacenter {
    /// Id such as `NA9` or `EU6`.
    pub id: String,
    /// `MCP 2.0` (network domains exist only there) or `MCP 1.0`.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// State or province.
    #[serde(default)]
    pub state: String,
    /// Country.
    #[serde(default)]
    pub country: String,
    /// Hypervisor capabilities and limits.
    #[serde(default)]
    pub hypervisor: Hypervisor,
}

impl Datacenter {
    /// A numeric hypervisor property, such as `MAX_CPU_COUNT`.
    pub fn limit(&self, name: &str) -> Option<i64> {
        self.hypervisor
            .property
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.trim().parse().ok())
    }

    /// True when the datacenter offers `speed` for disks.
    pub fn offers_disk_speed(&self, speed: &str) -> bool {
        self.hypervisor
            .disk_speed
            .iter()
            .any(|s| s.available && s.id.eq_ignore_ascii_case(speed))
    }

    /// Whether servers here can run at CPU speed class `speed` (case-insensitive).
    pub fn offers_cpu_speed(&self, speed: &str) -> bool {
        self.hypervisor
            .cpu_speed
            .iter()
            .any(|s| s.available && s.id.eq_ignore_ascii_case(speed))
    }
}

impl Client {
    /// Every datacenter visible to the organisation.
    pub async fn list_datacenters(&self) -> Result<Vec<Datacenter>> {
        self.list_all(
            "GET infrastructure/datacenter",
            &["infrastructure", "datacenter"],
            &[],
            "datacenter",
        )
        .await
    }

    /// One datacenter by id, or `None`.
    pub async fn get_datacenter(&self, id: &str) -> Result<Option<Datacenter>> {
        let found: Vec<Datacenter> = self
            .list_all(
                "GET infrastructure/datacenter",
                &["infrastructure", "datacenter"],
                &[("id", id)],
                "datacenter",
            )
            .await?;
        Ok(found.into_iter().find(|dc| dc.id.eq_ignore_ascii_case(id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paging::Page;

    const LIST: &str = r#"{"datacenter":[{"id":"EU6","type":"MCP 2.0","displayName":"Europe - Frankfurt - MCP 2.0",
        "city":"Frankfurt","state":"Hesse","country":"DE","vpnUrl":"https://eu6.example","ftpsHost":"ftps-eu6.example",
        "networking":{"type":"2","maintenanceStatus":"NORMAL","property":[]},
        "hypervisor":{"type":"VMWARE","maintenanceStatus":"NORMAL",
          "diskSpeed":[{"id":"STANDARD","displayName":"Standard","abbreviation":"S","available":true,"default":true},
                       {"id":"ECONOMY","displayName":"Economy","abbreviation":"E","available":false,"default":false}],
          "cpuSpeed":[{"id":"STANDARD","displayName":"Standard","available":true,"default":true}],
          "property":[{"name":"MIN_DISK_SIZE_GB","value":"10"},{"name":"MAX_DISK_SIZE_GB","value":"1000"},
                      {"name":"MAX_CPU_COUNT","value":"32"},{"name":"VMWARE_HARDWARE_VERSION","value":"vmx-10"}]}},
        {"id":"NA1","type":"MCP 1.0","displayName":"US - West"}],
        "pageNumber":1,"pageCount":2,"totalCount":2,"pageSize":250}"#;

    #[test]
    fn parses_datacenters_and_their_limits() {
        let page: Page<Datacenter> = Page::parse(LIST.as_bytes(), "datacenter").unwrap();
        let eu6 = &page.items[0];
        assert_eq!(eu6.kind, "MCP 2.0");
        assert_eq!(eu6.limit("MAX_CPU_COUNT"), Some(32));
        assert_eq!(eu6.limit("MIN_DISK_SIZE_GB"), Some(10));
        assert_eq!(eu6.limit("VMWARE_HARDWARE_VERSION"), None);
        assert_eq!(eu6.limit("MISSING"), None);
        assert!(eu6.offers_disk_speed("standard"));
        assert!(!eu6.offers_disk_speed("ECONOMY"));
        let na1 = &page.items[1];
        assert!(na1.hypervisor.property.is_empty());
    }
}
