//! CSRF protection: every state-changing request made with a session cookie
//! carries the session's token, as the `X-CSRF-Token` header (htmx, API) or
//! as the `_csrf` field of a form. Requests with an API key need none, since
//! a browser never adds that header by itself.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Method};
use http_body_util::BodyExt;

use super::Identity;
use crate::error::AppError;

/// Upper bound for a form body read here; larger uploads are refused before
/// any handler sees them.
pub const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

pub fn needs_check(method: &Method, identity: &Identity) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) && !identity.via_api_key
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks the token and hands the request (with its body restored) back.
pub async fn verify(request: Request, identity: &Identity) -> Result<Request, AppError> {
    let Some(session) = &identity.session else {
        return Err(AppError::Csrf);
    };
    let expected = session.csrf.as_bytes();
    if let Some(header) = request.headers().get("x-csrf-token") {
        return if constant_time_eq(header.as_bytes(), expected) {
            Ok(request)
        } else {
            Err(AppError::Csrf)
        };
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(AppError::Csrf);
    }
    let (parts, body) = request.into_parts();
    let bytes = http_body_util::Limited::new(body, MAX_FORM_BYTES)
        .collect()
        .await
        .map_err(|_| {
            AppError::invalid(
                "_csrf",
                "Die gesendeten Daten sind zu groß (höchstens 2 MB).",
            )
        })?
        .to_bytes();
    let token = form_urlencoded_value(&bytes, "_csrf");
    match token {
        Some(t) if constant_time_eq(t.as_bytes(), expected) => {
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        _ => Err(AppError::Csrf),
    }
}

fn form_urlencoded_value(body: &[u8], key: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csrf_field_is_found_among_other_form_fields() {
        let body = b"name=A%26B&_csrf=abc123&x=1";
        assert_eq!(
            form_urlencoded_value(body, "_csrf").as_deref(),
            Some("abc123")
        );
        assert_eq!(form_urlencoded_value(b"name=x", "_csrf"), None);
    }

    #[test]
    fn comparison_needs_equal_length_and_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
