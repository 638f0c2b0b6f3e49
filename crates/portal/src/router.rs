//! The app router, built from [`crate::access::ROUTES`], and the middleware
//! around it; also the few routes that belong to no journey module.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::access::{route, Route};
use crate::api::openapi_json;
use crate::error::{AppError, PageError};
use crate::spaces::upload as spaces_upload;
use crate::transfer::upload as nachnutzung_upload;
use crate::{access, api_errors, auth, metrics, metrics_access, security, static_files, AppState};

/// Bodies above this are refused before any handler runs, except on the
/// bundle upload ([`nachnutzung_upload::MAX_UPLOAD_BYTES`]).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The routes that belong to no journey module.
pub const ROUTES: &[Route] = &[
    route!(GET "/healthz", public, health),
    route!(GET "/readyz", public, crate::readiness::ready),
    route!(GET "/metrics", public, metrics_text),
    route!(GET "/static/{file}", public, static_files::serve),
    route!(GET "/favicon.ico", public, static_files::favicon),
    route!(GET "/schemas/{file}", public, crate::schema_files::serve),
    route!(GET "/api/v1/openapi.json", public, openapi_json),
];

/// The app: every route of [`access::ROUTES`] with its handler, and the
/// middleware around them.
pub fn build(state: AppState) -> Router {
    access::ROUTES
        .iter()
        .fold(Router::new(), |router, r| {
            router.route(r.path, (r.handler)())
        })
        .fallback(not_found)
        .layer(from_fn_with_state(state.clone(), access::authorize))
        .layer(from_fn_with_state(state.clone(), auth::identify))
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(from_fn_with_state(state.clone(), metrics_access::guard))
        .layer(from_fn_with_state(state.clone(), security::headers))
        .layer(from_fn(limit_body))
        // axum's extractors have their own limit (2 MB); one limit for all.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(from_fn(api_errors::json_errors))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Refuses bodies above their route's limit: a declared length at once, a
/// streamed body when it gets there. The bundle upload checks its declared
/// length itself, to explain the limit on its page.
async fn limit_body(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let upload =
        path == nachnutzung_upload::UPLOAD_PATH || path == nachnutzung_upload::API_UPLOAD_PATH;
    let document = spaces_upload::request_limit(path);
    let limit = if upload {
        nachnutzung_upload::MAX_UPLOAD_BYTES
    } else if crate::usecases::is_evidence_upload(path) {
        crate::usecases::EVIDENCE_BODY_BYTES
    } else {
        document.unwrap_or(MAX_BODY_BYTES)
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if !upload && declared.is_some_and(|n| n > limit as u64) {
        let api = request.uri().path().starts_with("/api/");
        let error = match document {
            Some(_) => spaces_upload::too_large(),
            None => api_errors::too_large(limit),
        };
        return api_errors::refuse(api, error);
    }
    next.run(request.map(|body| Body::new(http_body_util::Limited::new(body, limit))))
        .await
}

async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        crate::error::ApiError(AppError::NotFound).into_response()
    } else {
        PageError(AppError::NotFound).into_response()
    }
}

async fn health(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(serde_json::json!({
            "status": "ok",
            "database": state.store.backend_name(),
            "version": crate::view::VERSION,
        }))
        .into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "error", "database": e.to_string()})),
        )
            .into_response(),
    }
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    let body = state.metrics.render(state.store.pool_stats());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
