//! Pure rendering of every file and command the roles write or run, per OS family.
//! Nothing here touches the network; everything is unit-tested.

pub mod docker;
pub mod hosts;
pub mod lvm;
pub mod marathon;
pub mod mesos;
pub mod packages;
pub mod repos;
pub mod sshd;
pub mod sudoers;
pub mod time;
pub mod vault;
pub mod zookeeper;

/// Marker comment placed in every file the provisioner owns.
pub const MANAGED: &str = "# Managed by mesos-provisioner; local changes are overwritten.";
