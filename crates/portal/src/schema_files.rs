//! `GET /schemas/{file}`: the JSON Schemas that ki-reise's exchange files
//! name, served by every instance, so a municipality hosts the identifiers
//! it hands on with its files. The file must be one of the schemas compiled
//! into the binary (`bundle::schemas::ALL`); a name never becomes a path.
//! The `$id` becomes this instance's address (the configured `public_url`,
//! never the request's Host header), so the schemas' relative `$ref`s
//! resolve to the same instance.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::AppState;

pub async fn serve(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    match hosted(&state.config.public_url, &file) {
        Some(body) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/schema+json"),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                ),
            ],
            body,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "Kein Schema dieses Namens. Die Schemas stehen unter /schemas/<name>.schema.json.",
        )
            .into_response(),
    }
}

type Hosted = HashMap<&'static str, Bytes>;

/// The schema `file` with its `$id` at `public_url`, or `None` for a name
/// that is not one of the compiled-in schemas.
fn hosted(public_url: &str, file: &str) -> Option<Bytes> {
    hosted_at(public_url).get(file).cloned()
}

/// Every schema rewritten for `public_url`, built once per address: the
/// result depends on nothing else, and an instance has one address (tests
/// in one process may have several).
fn hosted_at(public_url: &str) -> Arc<Hosted> {
    static BUILT: Mutex<Vec<(String, Arc<Hosted>)>> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, all)) = built.iter().find(|(url, _)| url == public_url) {
        return all.clone();
    }
    let base = public_url.trim_end_matches('/');
    let all: Hosted = bundle::schemas::ALL
        .iter()
        .filter_map(|(name, text)| {
            let mut schema: serde_json::Value = serde_json::from_str(text).ok()?;
            schema["$id"] = format!("{base}/schemas/{name}").into();
            let body = serde_json::to_string_pretty(&schema).ok()?;
            Some((*name, Bytes::from(body)))
        })
        .collect();
    let all = Arc::new(all);
    built.push((public_url.to_owned(), all.clone()));
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_compiled_schema_is_served_with_this_instances_id() {
        for (name, _) in bundle::schemas::ALL {
            let body = hosted("https://ki.musterstadt.de/", name).unwrap();
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(
                v["$id"],
                format!("https://ki.musterstadt.de/schemas/{name}"),
                "{name}"
            );
        }
    }

    #[test]
    fn names_outside_the_list_are_not_found() {
        for name in [
            "../Cargo.toml",
            "..%2Fsecrets",
            "usecase.schema.json/",
            "",
            "USECASE.SCHEMA.JSON",
        ] {
            assert!(hosted("https://x", name).is_none(), "{name}");
        }
    }
}
