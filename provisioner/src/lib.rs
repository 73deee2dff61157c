//! `mesos-provisioner`: converges nodes over SSH to a hardened base and the Mesos roles.
//!
//! The binary (`src/main.rs`) is a thin CLI; everything else lives in these modules so that
//! unit and end-to-end tests can reach it.

#![warn(missing_docs)]

pub mod apps;
pub mod barrier;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod engine;
pub mod facts;
pub mod fleet;
pub mod health;
pub mod hostlog;
pub mod inventory;
pub mod remote;
pub mod render;
pub mod report;
pub mod roles;
pub mod secret;
pub mod ssh;
pub mod steps;
