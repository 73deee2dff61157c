//! Shared harness for the workspace-level end-to-end tests.

pub mod nodes;
pub mod terraform;
