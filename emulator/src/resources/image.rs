//! OS images: `GET image/osImage/{id}`, `GET image/osImage?name=…&datacenterId=…`.

use super::{check_id, Ctx};
use crate::catalog;
use crate::envelope::{ApiError, Code, Reply};
use crate::paging::{self, FilterSpec};
use crate::versions;

const FILTERS: &[FilterSpec] = &[
    ("id", &["/id"]),
    ("name", &["/name"]),
    ("datacenterId", &["/datacenterId"]),
    ("osImageKey", &["/osImageKey"]),
];

/// Returns one image.
pub fn get(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let id = ctx.call.id.as_deref().unwrap_or_default();
    check_id("id", id)?;
    catalog::image(id)
        .map(|i| Reply::Document(versions::os_image(i.to_json(), ctx.call.minor)))
        .ok_or_else(|| {
            ApiError::new(Code::ResourceNotFound, format!("OS Image {id} not found."))
                .in_operation("GET_OS_IMAGE")
        })
}

/// Lists images (filters `name`, `datacenterId`, `id`, `osImageKey`).
pub fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let items = catalog::all_images().map(|i| i.to_json()).collect();
    let doc = paging::page(items, "osImage", &ctx.call.query, FILTERS)?;
    let minor = ctx.call.minor;
    Ok(Reply::Document(versions::each_item(doc, "osImage", |i| {
        versions::os_image(i, minor)
    })))
}
