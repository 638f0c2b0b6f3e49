//! File downloads. Every export of the portal leaves through here, so type,
//! name and disposition are set one way; file names are always chosen by
//! the server (ids and slugs), never taken from a request.

use std::fmt::Display;

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A file the browser saves under `file_name`.
pub fn download(content_type: &str, file_name: impl Display, body: impl Into<Body>) -> Response {
    file(content_type, "attachment", file_name, body.into())
}

/// A file the browser shows itself (JSON, SVG), with a name for saving it.
pub fn inline(content_type: &str, file_name: impl Display, body: impl Into<Body>) -> Response {
    file(content_type, "inline", file_name, body.into())
}

fn file(content_type: &str, disposition: &str, file_name: impl Display, body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
        .into_response()
}
