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

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
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
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let boundary = multipart_boundary(&content_type);
    if !content_type.starts_with("application/x-www-form-urlencoded") && boundary.is_none() {
        return Err(AppError::Csrf);
    }
    let (parts, body) = request.into_parts();
    if let Some(boundary) = &boundary {
        return verify_multipart(parts, body, boundary, expected).await;
    }
    let bytes = http_body_util::Limited::new(body, MAX_FORM_BYTES)
        .collect()
        .await
        .map_err(|_| too_large())?
        .to_bytes();
    match form_urlencoded_value(&bytes, "_csrf") {
        Some(t) if constant_time_eq(t.as_bytes(), expected) => {
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        _ => Err(AppError::Csrf),
    }
}

fn too_large() -> AppError {
    AppError::invalid(
        "_csrf",
        "Die gesendeten Daten sind zu groß (höchstens 2 MB).",
    )
}

/// A file upload is read only up to its `_csrf` field (forms put it first),
/// then handed on with that beginning put back in front of the rest, so an
/// upload larger than [`MAX_FORM_BYTES`] streams on to its handler.
async fn verify_multipart(
    parts: axum::http::request::Parts,
    mut body: Body,
    boundary: &str,
    expected: &[u8],
) -> Result<Request, AppError> {
    let mut head = Vec::new();
    let token = loop {
        if let Some(t) = complete_multipart_value(&head, boundary, "_csrf") {
            break Some(t);
        }
        if head.len() > MAX_FORM_BYTES {
            return Err(too_large());
        }
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    head.extend_from_slice(&data);
                }
            }
            Some(Err(_)) => return Err(too_large()),
            None => break multipart_value(&head, boundary, "_csrf"),
        }
    };
    match token {
        Some(t) if constant_time_eq(t.as_bytes(), expected) => {
            let head = futures_util::stream::once(async move {
                Ok::<_, axum::Error>(axum::body::Bytes::from(head))
            });
            let rest = body.into_data_stream();
            let body = Body::from_stream(futures_util::StreamExt::chain(head, rest));
            Ok(Request::from_parts(parts, body))
        }
        _ => Err(AppError::Csrf),
    }
}

/// The boundary of a `multipart/form-data` body (file uploads).
fn multipart_boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim_matches('"').to_owned())
            .filter(|b| !b.is_empty())
    })
}

/// A small text field of a multipart body: the part whose headers name it,
/// up to the next boundary. Only the CSRF token is read this way; the handler
/// parses the whole body with a real multipart parser.
fn multipart_value(body: &[u8], boundary: &str, key: &str) -> Option<String> {
    let delimiter = format!("--{boundary}");
    let text = String::from_utf8_lossy(body);
    let wanted = format!("name=\"{key}\"");
    text.split(delimiter.as_str()).find_map(|part| {
        let (headers, value) = part.split_once("\r\n\r\n")?;
        let disposition = headers
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
        let names_key = disposition.split(';').any(|p| p.trim() == wanted);
        names_key.then(|| value.trim_end_matches("\r\n").to_owned())
    })
}

/// Like [`multipart_value`] on the beginning of a body: only a part that a
/// following boundary closes counts, so a token cut off mid-way is not read.
fn complete_multipart_value(head: &[u8], boundary: &str, key: &str) -> Option<String> {
    let delimiter = format!("--{boundary}").into_bytes();
    let last = head
        .windows(delimiter.len())
        .rposition(|w| w == delimiter.as_slice())?;
    multipart_value(&head[..last], boundary, key)
}

fn form_urlencoded_value(body: &[u8], key: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csrf_field_is_found_in_a_file_upload() {
        let ct = "multipart/form-data; boundary=----x1";
        let boundary = multipart_boundary(ct).unwrap();
        let body = b"------x1\r\nContent-Disposition: form-data; name=\"set\"; filename=\"a.zip\"\r\n\r\nPK\x03\x04 name=\"_csrf\"\r\n------x1\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntok123\r\n------x1--\r\n";
        assert_eq!(
            multipart_value(body, &boundary, "_csrf").as_deref(),
            Some("tok123")
        );
        assert_eq!(multipart_value(body, &boundary, "other"), None);
        assert_eq!(multipart_boundary("text/plain"), None);
    }

    #[test]
    fn a_token_is_read_from_the_beginning_of_an_upload_only_when_complete() {
        let head = b"------x1\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntok123\r\n------x1\r\nContent-Disposition: form-data; name=\"paket\"; filename=\"a.zip\"\r\n\r\nPK\x03";
        assert_eq!(
            complete_multipart_value(head, "----x1", "_csrf").as_deref(),
            Some("tok123")
        );
        // Cut off inside the token: not read (it would not match).
        assert_eq!(
            complete_multipart_value(&head[..60], "----x1", "_csrf"),
            None
        );
    }

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
