//! Emulator-only admin surface standing in for the datacenters' FTPS hosts: it places files (OVF
//! packages: manifest, descriptor, disks) in the caller's organisation's upload area of a
//! datacenter, where `image/ovfPackage` lists them and `image/importImage` reads them. It is not
//! part of the CloudControl API (which takes uploads over FTPS only).
//!
//! * `PUT /_emulator/ftps/{datacenterId}/{fileName}`: the raw body becomes the file (replacing
//!   one of the same name; its upload time is now);
//! * `DELETE /_emulator/ftps/{datacenterId}/{fileName}`;
//! * `GET /_emulator/ftps/{datacenterId}`: `{datacenterId, file: [{name, sizeBytes, uploadTime}]}`.
//!
//! Every call needs the Basic credentials of an account; the files belong to its organisation.
//! Writes are saved with the state file like API writes.

use crate::catalog;
use crate::clock;
use crate::resources::ovf_package::{self, UploadedFile};
use crate::server::{json_response, unauthorized, AppState};
use crate::xml::Format;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;
use std::sync::Arc;

fn refused(status: StatusCode, message: String) -> Response {
    json_response(status, json!({"error": message}), "-")
}

/// The organisation of the caller, once its credentials and the place (datacenter, and file
/// name when one is given) are good; otherwise the refusal to send (naming the bad part).
/// Every FTPS admin call starts with these checks, in this order.
fn caller_at(
    st: &AppState,
    headers: &HeaderMap,
    now: u64,
    datacenter_id: &str,
    file_name: Option<&str>,
) -> Result<String, Box<Response>> {
    let Some(org_id) = st.authenticate(headers).map(|a| a.org_id.clone()) else {
        return Err(Box::new(unauthorized(now, Format::Json)));
    };
    if catalog::datacenter(datacenter_id).is_none() {
        return Err(Box::new(refused(
            StatusCode::NOT_FOUND,
            format!("datacenterId: `{datacenter_id}` is not an emulated datacenter"),
        )));
    }
    if let Some(name) = file_name.filter(|n| !ovf_package::valid_file_name(n)) {
        return Err(Box::new(refused(
            StatusCode::BAD_REQUEST,
            format!("fileName: `{name}` is not a file name"),
        )));
    }
    Ok(org_id)
}

/// `PUT /_emulator/ftps/{datacenterId}/{fileName}`.
pub async fn upload(
    State(st): State<Arc<AppState>>,
    Path((datacenter_id, file_name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = clock::now_ms();
    let org_id = match caller_at(&st, &headers, now, &datacenter_id, Some(&file_name)) {
        Ok(org_id) => org_id,
        Err(refusal) => return *refusal,
    };
    let size = body.len();
    let saved = st.change_world(|w| {
        w.orgs
            .entry(org_id)
            .or_default()
            .ovf_uploads
            .entry(datacenter_id.clone())
            .or_default()
            .insert(
                file_name.clone(),
                UploadedFile {
                    content: body.to_vec(),
                    uploaded_ms: now,
                },
            );
        true
    });
    match saved {
        Ok(()) => json_response(
            StatusCode::OK,
            json!({"datacenterId": datacenter_id, "name": file_name, "sizeBytes": size,
                   "uploadTime": clock::iso8601(now)}),
            "-",
        ),
        Err(e) => refused(e.status, e.message),
    }
}

/// `DELETE /_emulator/ftps/{datacenterId}/{fileName}`.
pub async fn remove(
    State(st): State<Arc<AppState>>,
    Path((datacenter_id, file_name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let now = clock::now_ms();
    let org_id = match caller_at(&st, &headers, now, &datacenter_id, Some(&file_name)) {
        Ok(org_id) => org_id,
        Err(refusal) => return *refusal,
    };
    let mut found = false;
    let saved = st.change_world(|w| {
        found = w
            .orgs
            .get_mut(&org_id)
            .and_then(|o| o.ovf_uploads.get_mut(&datacenter_id))
            .and_then(|a| a.remove(&file_name))
            .is_some();
        found
    });
    match saved {
        Ok(()) if found => json_response(StatusCode::OK, json!({"removed": file_name}), "-"),
        Ok(()) => refused(
            StatusCode::NOT_FOUND,
            format!("fileName: no file `{file_name}` on the FTPS host of {datacenter_id}"),
        ),
        Err(e) => refused(e.status, e.message),
    }
}

/// `GET /_emulator/ftps/{datacenterId}`.
pub async fn list(
    State(st): State<Arc<AppState>>,
    Path(datacenter_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let now = clock::now_ms();
    let org_id = match caller_at(&st, &headers, now, &datacenter_id, None) {
        Ok(org_id) => org_id,
        Err(refusal) => return *refusal,
    };
    let world = st.world.lock().unwrap_or_else(|p| p.into_inner());
    json_response(
        StatusCode::OK,
        ovf_package::admin_listing(world.orgs.get(&org_id), &datacenter_id),
        "-",
    )
}
