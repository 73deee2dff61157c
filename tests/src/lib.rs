//! Shared harness for the workspace-level end-to-end tests.

pub mod nodes;
pub mod real_mesos;
pub mod reliability;
pub mod terraform;
