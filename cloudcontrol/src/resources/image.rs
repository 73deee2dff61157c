//! OS images (`image/osImage`) and customer images (`image/customerImage`).

use super::hardware::{
    attached_disks, AttachedDisk, Cpu, Disk, Guest, OperatingSystem, ScsiController,
};
use crate::client::Client;
use crate::error::{Error, Result};
use serde::Deserialize;

/// A server image: a platform OS image or a customer's own image.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    /// Image id.
    pub id: String,
    /// Name, unique per datacenter (for example `CentOS 7 64-bit 2 CPU`).
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Datacenter it lives in.
    #[serde(default)]
    pub datacenter_id: String,
    /// Default CPU configuration.
    #[serde(default)]
    pub cpu: Cpu,
    /// Default memory in GB.
    #[serde(default)]
    pub memory_gb: u32,
    /// Disks, per controller (API 2.6+).
    #[serde(default)]
    pub scsi_controller: Vec<ScsiController>,
    /// Disks, flat (older APIs).
    #[serde(default)]
    pub disk: Vec<Disk>,
    /// Guest OS and customisation support.
    #[serde(default)]
    pub guest: Guest,
    /// Guest OS as older APIs report it.
    #[serde(default)]
    pub operating_system: Option<OperatingSystem>,
    /// Creation time.
    #[serde(default)]
    pub create_time: String,
    /// Platform image key (OS images only).
    #[serde(default)]
    pub os_image_key: Option<String>,
}

impl Image {
    /// The image's disks in bus/SCSI order, whichever layout the API used.
    pub fn disks(&self) -> Vec<AttachedDisk> {
        attached_disks(&self.scsi_controller, &self.disk)
    }

    /// The guest operating system, whichever layout the API used.
    pub fn operating_system(&self) -> &OperatingSystem {
        match &self.operating_system {
            Some(os) if self.guest.operating_system.id.is_empty() => os,
            _ => &self.guest.operating_system,
        }
    }
}

/// Which image catalogue to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// Platform-provided images (`image/osImage`).
    Os,
    /// The organisation's own images (`image/customerImage`).
    Customer,
}

impl ImageKind {
    fn segment(self) -> &'static str {
        match self {
            ImageKind::Os => "osImage",
            ImageKind::Customer => "customerImage",
        }
    }

    fn label(self) -> &'static str {
        match self {
            ImageKind::Os => "OS image",
            ImageKind::Customer => "customer image",
        }
    }
}

impl Client {
    /// One image by id, or `None`.
    pub async fn get_image(&self, kind: ImageKind, id: &str) -> Result<Option<Image>> {
        let operation = format!("GET image/{}/{{id}}", kind.segment());
        self.get_one(&operation, &["image", kind.segment(), id])
            .await
    }

    /// Every image of `kind` in a datacenter (all datacenters when `None`).
    pub async fn list_images(
        &self,
        kind: ImageKind,
        datacenter_id: Option<&str>,
    ) -> Result<Vec<Image>> {
        let operation = format!("GET image/{}", kind.segment());
        let filters: Vec<(&str, &str)> = datacenter_id
            .map(|dc| ("datacenterId", dc))
            .into_iter()
            .collect();
        self.list_all(
            &operation,
            &["image", kind.segment()],
            &filters,
            kind.segment(),
        )
        .await
    }

    /// The image of `kind` called exactly `name` in `datacenter_id`: `None` when
    /// there is none, [`Error::Ambiguous`] when several share the name.
    pub async fn find_image(
        &self,
        kind: ImageKind,
        name: &str,
        datacenter_id: &str,
    ) -> Result<Option<Image>> {
        let operation = format!("GET image/{}?name", kind.segment());
        let found: Vec<Image> = self
            .list_all(
                &operation,
                &["image", kind.segment()],
                &[("name", name), ("datacenterId", datacenter_id)],
                kind.segment(),
            )
            .await?;
        let mut exact: Vec<Image> = found
            .into_iter()
            .filter(|image| image.name == name)
            .collect();
        match exact.len() {
            0 => Ok(None),
            1 => Ok(exact.pop()),
            count => Err(Error::Ambiguous {
                kind: kind.label(),
                criteria: format!("name {name:?} in datacenter {datacenter_id}"),
                count,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paging::Page;

    const CURRENT: &str = r#"{"name":"Ubuntu 22.04 64-bit 2 CPU","description":"Ubuntu 22.04 LTS 64-bit",
        "cpu":{"count":2,"speed":"STANDARD","coresPerSocket":1},"memoryGb":4,
        "scsiController":[{"id":"c0","adapterType":"LSI_LOGIC_SAS","key":1000,"busNumber":0,
            "disk":[{"id":"d1","scsiId":1,"sizeGb":40,"speed":"STANDARD"},{"id":"d0","scsiId":0,"sizeGb":10,"speed":"STANDARD"}]}],
        "sataController":[],"floppy":[],"nic":[],"softwareLabel":[],"createTime":"2024-02-01T00:00:00.000Z",
        "id":"0a1b2c3d-0000-4000-8000-00000000000a","datacenterId":"EU6","osImageKey":"T-UBUNTU-22-64-2-4-10","sortOrder":5,
        "guest":{"operatingSystem":{"id":"UBUNTU2264","displayName":"UBUNTU22/64","family":"UNIX"},"osCustomization":true}}"#;

    const OLDER: &str = r#"{"id":"i-2","name":"Win2012 DC 2 CPU","datacenterId":"NA9","cpu":{"count":2,"speed":"STANDARD","coresPerSocket":1},
        "memoryGb":4,"disk":[{"id":"d9","scsiId":0,"sizeGb":50,"speed":"STANDARD"}],
        "operatingSystem":{"id":"WIN2012DC64","displayName":"WIN2012DC/64","family":"WINDOWS"},"createTime":"2015-01-01T00:00:00.000Z"}"#;

    #[test]
    fn parses_current_images_with_disks_in_scsi_order() {
        let image: Image = serde_json::from_str(CURRENT).unwrap();
        assert_eq!(image.name, "Ubuntu 22.04 64-bit 2 CPU");
        assert!(image.guest.os_customization);
        let disks = image.disks();
        assert_eq!(
            disks.iter().map(|d| d.disk.scsi_id).collect::<Vec<_>>(),
            vec![0, 1]
        );
        assert_eq!(disks[1].disk.size_gb, 40);
        assert_eq!(disks[0].controller_id.as_deref(), Some("c0"));
        assert_eq!(image.operating_system().family, "UNIX");
    }

    #[test]
    fn parses_older_flat_images() {
        let image: Image = serde_json::from_str(OLDER).unwrap();
        assert_eq!(image.disks()[0].disk.size_gb, 50);
        assert_eq!(image.disks()[0].controller_id, None);
        assert_eq!(image.operating_system().family, "WINDOWS");
        assert!(!image.guest.os_customization);
    }

    #[test]
    fn parses_an_image_list() {
        let body = format!(
            r#"{{"osImage":[{CURRENT},{OLDER}],"pageNumber":1,"pageCount":2,"totalCount":2,"pageSize":250}}"#
        );
        let page: Page<Image> = Page::parse(body.as_bytes(), "osImage").unwrap();
        assert_eq!(page.items.len(), 2);
    }
}
