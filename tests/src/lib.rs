//! Shared harness for the workspace-level end-to-end tests.

pub mod node_backing;
pub mod nodes;
pub mod real_mesos;
pub mod standins;
pub mod terraform;
