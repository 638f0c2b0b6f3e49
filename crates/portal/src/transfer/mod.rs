//! Nachnutzung: exporting this instance's content as a bundle for other
//! municipalities and importing theirs (check first, then take over).

pub mod api;
pub mod import;
pub mod page;
pub mod upload;

use crate::access::{route, Route};

/// The routes of this module; see [`crate::access::ROUTES`].
pub const ROUTES: &[Route] = &[
    route!(GET "/nachnutzung", ViewAuditLog, page::show),
    route!(GET "/nachnutzung/export", ViewAuditLog, page::export),
    route!(POST upload::UPLOAD_PATH, ViewAuditLog, router: axum::routing::post(page::import_check).layer(axum::extract::DefaultBodyLimit::max(upload::MAX_UPLOAD_BYTES))),
    route!(POST "/nachnutzung/uebernehmen", ViewAuditLog, page::import_apply),
    route!(POST upload::API_UPLOAD_PATH, ViewAuditLog, router: axum::routing::post(api::check).layer(axum::extract::DefaultBodyLimit::max(upload::MAX_UPLOAD_BYTES))),
    route!(POST "/api/v1/transfer/apply", ViewAuditLog, api::apply),
];
