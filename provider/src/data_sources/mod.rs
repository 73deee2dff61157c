//! Data sources, one file each, every file shaped the same way: the type and its schema,
//! then the read that fills the computed attributes.

pub mod datacenter;
pub mod image;
pub mod network_domain;
mod vip_catalog;
pub mod vip_health_monitor;
pub mod vip_irule;
pub mod vip_persistence_profile;
pub mod vlan;

use std::sync::Arc;

use tfplugin::provider::DataSource;

use crate::provider::ProviderData;

/// Every data source type the provider serves.
pub fn all() -> Vec<Arc<dyn DataSource<ProviderData>>> {
    vec![
        Arc::new(image::ImageDataSource),
        Arc::new(datacenter::DatacenterDataSource),
        Arc::new(network_domain::NetworkDomainDataSource),
        Arc::new(vlan::VlanDataSource),
        Arc::new(vip_health_monitor::VipHealthMonitorDataSource),
        Arc::new(vip_persistence_profile::VipPersistenceProfileDataSource),
        Arc::new(vip_irule::VipIruleDataSource),
    ]
}
