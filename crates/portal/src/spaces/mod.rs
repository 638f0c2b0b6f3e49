//! Wissensräume (knowledge spaces): documents a group of readers may
//! search, with passages cited by document title and page or section.
//!
//! Operations: [`operations`] (spaces, documents, search; every read asks
//! `journey::spaces::may_read`), [`indexing`] (text, passages and terms of
//! an upload, off the async runtime), [`upload`] (the multipart file within
//! its own size limit). [`page`] and [`api`] are adapters over them.

pub mod api;
pub mod grounding;
pub mod indexing;
pub mod operations;
pub mod page;
pub mod upload;

use crate::access::{route, Route};

/// The routes of this module; see [`crate::access::ROUTES`].
pub const ROUTES: &[Route] = &[
    route!(GET "/wissensraeume", ViewSpaces, page::list),
    route!(POST "/wissensraeume", ManageSpaces, page::create),
    route!(GET "/wissensraeume/{id}", ViewSpaces, page::show),
    route!(POST "/wissensraeume/{id}/dokumente", ManageSpaces, router: axum::routing::post(page::upload).layer(axum::extract::DefaultBodyLimit::max(upload::REQUEST_LIMIT))),
    route!(POST "/wissensraeume/{id}/dokumente/{doc}/entfernen", ManageSpaces, page::remove),
    route!(GET "/api/v1/spaces", ViewSpaces, api::list),
    route!(POST "/api/v1/spaces", ManageSpaces, api::create),
    route!(GET "/api/v1/spaces/{id}/documents", ViewSpaces, api::documents),
    route!(POST "/api/v1/spaces/{id}/documents", ManageSpaces, router: axum::routing::post(api::upload).layer(axum::extract::DefaultBodyLimit::max(upload::REQUEST_LIMIT))),
    route!(DELETE "/api/v1/spaces/{id}/documents/{doc}", ManageSpaces, api::remove),
    route!(GET "/api/v1/spaces/{id}/search", ViewSpaces, api::search),
];
