//! Datacenters: `GET infrastructure/datacenter[?id=NA9]`.

use super::Ctx;
use crate::catalog::DATACENTERS;
use crate::envelope::{ApiError, Reply};
use crate::paging::{self, FilterSpec};

const FILTERS: &[FilterSpec] = &[("id", &["/id"])];

/// Lists the datacenters (filter `id`).
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = DATACENTERS.iter().map(|d| d.to_json()).collect();
    paging::page(items, "datacenter", &ctx.call.query, FILTERS).map(Reply::Document)
}
