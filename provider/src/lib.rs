//! The CloudControl Terraform provider: provider configuration, resources and data sources.
//!
//! Every resource lives in its own file under [`resources`] and every data source under
//! [`data_sources`], each shaped the same way: schema, plan-time validation, then the
//! operations. Local rules shared by several of them live in [`rules`].

mod adopt;
pub mod data_sources;
mod import_id;
pub mod marker;
mod provider;
pub mod resources;
pub mod rules;
mod support;

pub use provider::{CloudControlProvider, ProviderData};
