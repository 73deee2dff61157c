//! The provider's schemas and the resource and data source types they belong to, collected
//! from the [`Provider`] once, on the first RPC that needs them.
//!
//! Nothing in the go-plugin handshake needs a schema, so building them waits for the first
//! request: the handshake line goes out sooner, and the code and memory that build every
//! resource's schema are not part of the process until Terraform asks.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::provider::{DataSource, Provider, Resource};
use crate::schema::Schema;
use crate::value::Type;

/// A resource type with its schema computed once.
pub(super) struct ResourceEntry<D> {
    pub(super) resource: Arc<dyn Resource<D>>,
    pub(super) schema: Schema,
    pub(super) ty: Type,
}

/// A data source type with its schema computed once.
pub(super) struct DataSourceEntry<D> {
    pub(super) data_source: Arc<dyn DataSource<D>>,
    pub(super) schema: Schema,
    pub(super) ty: Type,
}

/// Every schema the provider serves, keyed by type name.
pub(super) struct Catalog<D> {
    pub(super) provider_schema: Schema,
    pub(super) provider_ty: Type,
    pub(super) resources: BTreeMap<String, ResourceEntry<D>>,
    pub(super) data_sources: BTreeMap<String, DataSourceEntry<D>>,
}

impl<D> Catalog<D> {
    /// Asks `provider` for its schema and its resource and data source types.
    pub(super) fn collect<P>(provider: &P) -> Self
    where
        P: Provider<Data = D>,
        D: Send + Sync + 'static,
    {
        let provider_schema = provider.schema();
        let provider_ty = provider_schema.block.implied_type();
        let resources = provider
            .resources()
            .into_iter()
            .map(|resource| {
                let schema = resource.schema();
                let ty = schema.block.implied_type();
                let name = resource.type_name().to_owned();
                let entry = ResourceEntry {
                    resource,
                    schema,
                    ty,
                };
                (name, entry)
            })
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|data_source| {
                let schema = data_source.schema();
                let ty = schema.block.implied_type();
                let name = data_source.type_name().to_owned();
                let entry = DataSourceEntry {
                    data_source,
                    schema,
                    ty,
                };
                (name, entry)
            })
            .collect();
        Self {
            provider_schema,
            provider_ty,
            resources,
            data_sources,
        }
    }
}
