//! One error shape for everything under `/api/`: answers that axum's own
//! extractors and layers make (a path parameter or query that does not
//! parse, an unsupported media type, a timeout) are plain English text; this
//! layer turns each of them into `{"error": {"code", "message", "field"}}`
//! with a German message, once for every route, so no handler can forget.
//! Answers that already are JSON (our [`ApiError`]s) pass unchanged.

use axum::extract::rejection::JsonRejection;
use axum::extract::{MatchedPath, Request};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, AppError};

/// Longest plain-text body read to find the field (axum's texts are short).
const MAX_TEXT_BYTES: usize = 16 * 1024;

/// The layer: rewrites every non-JSON error answer of an `/api/` route.
pub async fn json_errors(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let template = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_TEXT_BYTES)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let error = match parts.headers.get(header::ALLOW) {
        Some(allow) if status == StatusCode::METHOD_NOT_ALLOWED => {
            AppError::MethodNotAllowed(allow.to_str().unwrap_or_default().to_string())
        }
        _ => translate(status, &text, template.as_deref()),
    };
    let mut json = ApiError(error).into_response();
    // The status axum chose stays (400 for a URL that does not parse, 413,
    // 415, …); so do headers such as `Allow` and `Retry-After`.
    *json.status_mut() = status;
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(value) = parts.headers.get(&name) {
            json.headers_mut().insert(name, value.clone());
        }
    }
    json
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// The German error for axum's answer `text` with `status`.
fn translate(status: StatusCode, text: &str, template: Option<&str>) -> AppError {
    if let Some(error) = path_error(text, template) {
        return error;
    }
    if let Some(rest) = text.strip_prefix("Failed to deserialize query string") {
        let field = rest
            .strip_prefix(": ")
            .and_then(|r| r.split_once(": "))
            .map(|(field, _)| field)
            .filter(|f| !f.is_empty() && !f.contains(' '));
        let message = match field {
            Some(f) => format!("Der Parameter „{f}“ in der Adresse hat einen ungültigen Wert."),
            None => "Die Parameter in der Adresse sind nicht lesbar.".to_string(),
        };
        return AppError::Invalid {
            field: field.map(str::to_string),
            message,
        };
    }
    match status {
        StatusCode::NOT_FOUND => AppError::NotFound,
        StatusCode::PAYLOAD_TOO_LARGE => too_large(crate::router::MAX_BODY_BYTES),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::Invalid {
            field: None,
            message: "Bitte JSON senden (Content-Type: application/json).".to_string(),
        },
        StatusCode::REQUEST_TIMEOUT => AppError::Unavailable(
            "Die Anfrage hat zu lange gedauert und wurde abgebrochen.".to_string(),
        ),
        StatusCode::UNAUTHORIZED => AppError::Unauthenticated,
        StatusCode::FORBIDDEN => AppError::Forbidden,
        s if s.is_server_error() => AppError::internal("plain-text answer", text),
        _ => AppError::Invalid {
            field: None,
            message: "Die Anfrage ist nicht lesbar.".to_string(),
        },
    }
}

/// The German error for a JSON body the API cannot read, naming the field
/// where serde names one.
pub fn json_rejection(rejection: &JsonRejection) -> AppError {
    // A body cut off at the limit (sent in chunks, without a length that
    // the limit layer could refuse at once) is too large, not invalid.
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large(crate::router::MAX_BODY_BYTES);
    }
    let text = rejection.body_text();
    let named = text.split('`').nth(1).filter(|_| text.contains("field"));
    // axum puts the path of the value that failed in front of serde's
    // message ("…target type: weights.a: invalid type…"), so a wrong type
    // deep inside names its field too.
    let path = match rejection {
        JsonRejection::JsonDataError(_) => text
            .split_once("target type: ")
            .and_then(|(_, rest)| rest.split_once(": "))
            .map(|(path, _)| path)
            .filter(|path| !path.is_empty() && !path.contains(' ')),
        _ => None,
    };
    let field = match (path, named) {
        (Some(p), Some(n)) if text.contains("missing field") => Some(format!("{p}.{n}")),
        (Some(p), _) => Some(p.to_string()),
        (None, n) if text.contains("missing field") || text.contains("unknown field") => {
            n.map(str::to_string)
        }
        (None, _) => None,
    };
    let message = match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "Bitte JSON senden (Content-Type: application/json).".to_string()
        }
        JsonRejection::JsonSyntaxError(_) => {
            format!("Das JSON ist nicht lesbar{}.", position(&text))
        }
        JsonRejection::JsonDataError(_) => match &field {
            Some(f) if text.contains("missing field") => format!("Das Feld „{f}“ fehlt."),
            Some(f) if text.contains("unknown field") => {
                format!("Das Feld „{f}“ gibt es hier nicht{}.", expected(&text))
            }
            Some(f) => format!(
                "Das Feld „{f}“ hat den falschen Typ oder Wert{}.",
                expected(&text)
            ),
            None => format!(
                "Der Inhalt hat nicht die erwartete Form{}.",
                expected(&text)
            ),
        },
        _ => "Die Anfrage ist nicht lesbar.".to_string(),
    };
    AppError::Invalid { field, message }
}

/// " (Zeile 3, Spalte 7)" from serde's "… at line 3 column 7".
fn position(text: &str) -> String {
    let Some((_, at)) = text.rsplit_once(" at line ") else {
        return String::new();
    };
    match at.split_once(" column ") {
        Some((line, column)) => format!(" (Zeile {line}, Spalte {})", column.trim()),
        None => String::new(),
    }
}

/// What serde expected, in German where it is one of the usual kinds.
fn expected(text: &str) -> String {
    if let Some((_, variants)) = text.split_once("expected one of ") {
        let allowed = variants
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .replace('`', "");
        return format!("; erlaubt: {allowed}");
    }
    let Some((_, what)) = text.split_once("expected ") else {
        return String::new();
    };
    let what = what.split(" at line ").next().unwrap_or_default();
    let german = match what {
        "a string" => "Text",
        "a boolean" => "true oder false",
        "a sequence" => "eine Liste",
        "a map" => "ein Objekt",
        w if w.starts_with("struct ") => "ein Objekt",
        w if w.starts_with('i') || w.starts_with('u') || w.contains("integer") => "eine ganze Zahl",
        w if w.starts_with('f') || w.contains("float") => "eine Zahl",
        _ => return String::new(),
    };
    format!(" (erwartet: {german})")
}

/// The error for a body above `limit` bytes.
pub fn too_large(limit: usize) -> AppError {
    AppError::TooLarge(format!(
        "Die gesendeten Daten sind zu groß (höchstens {} MB).",
        limit >> 20
    ))
}

/// A path parameter that did not parse, named by its place in the route
/// template when axum's text does not name it.
fn path_error(text: &str, template: Option<&str>) -> Option<AppError> {
    let detail = text.strip_prefix("Invalid URL: ").unwrap_or(text);
    if !detail.starts_with("Cannot parse ") {
        return None;
    }
    let quoted: Vec<&str> = detail.split('`').skip(1).step_by(2).collect();
    let names = template.map(param_names).unwrap_or_default();
    let (field, value) = if let Some(rest) = detail.strip_prefix("Cannot parse value at index ") {
        let index: usize = rest.split(' ').next()?.parse().ok()?;
        (names.get(index).cloned(), quoted.first().copied())
    } else if detail.contains("` with value `") {
        (
            quoted.first().map(|s| s.to_string()),
            quoted.get(1).copied(),
        )
    } else {
        // "Cannot parse `abc` to a `i64`": a single parameter.
        (
            (names.len() == 1).then(|| names[0].clone()),
            quoted.first().copied(),
        )
    };
    let expected = if detail.contains("to a `i") || detail.contains("to a `u") {
        " (erwartet wird eine ganze Zahl)"
    } else {
        ""
    };
    let value = value.unwrap_or("");
    let message = match &field {
        Some(f) => format!("Der Wert „{value}“ für „{f}“ in der Adresse ist ungültig{expected}."),
        None => format!("Der Wert „{value}“ in der Adresse ist ungültig{expected}."),
    };
    Some(AppError::Invalid { field, message })
}

/// `{id}` and `{user_id}` of `/api/v1/x/{id}/y/{user_id}`, in order.
fn param_names(template: &str) -> Vec<String> {
    template
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(|s| s.trim_start_matches('*').to_string())
        .collect()
}

/// For the `limit_body` layer: refuses in the answer's kind.
pub fn refuse(api: bool, error: AppError) -> Response {
    if api {
        ApiError(error).into_response()
    } else {
        crate::error::PageError(error).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_and_message(e: AppError) -> (Option<String>, String) {
        match e {
            AppError::Invalid { field, message } => (field, message),
            other => panic!("not invalid: {other:?}"),
        }
    }

    #[test]
    fn path_texts_name_their_parameter() {
        let (field, message) = field_and_message(translate(
            StatusCode::BAD_REQUEST,
            "Invalid URL: Cannot parse `abc` to a `i64`",
            Some("/api/v1/documents/{id}"),
        ));
        assert_eq!(field.as_deref(), Some("id"));
        assert!(
            message.contains("„abc“") && message.contains("ganze Zahl"),
            "{message}"
        );
        let (field, _) = field_and_message(translate(
            StatusCode::BAD_REQUEST,
            "Invalid URL: Cannot parse value at index 1 with value `x` to a `i64`",
            Some("/api/v1/qualification/sessions/{id}/enrolments/{user_id}"),
        ));
        assert_eq!(field.as_deref(), Some("user_id"));
    }

    #[test]
    fn query_texts_name_their_parameter() {
        let (field, message) = field_and_message(translate(
            StatusCode::BAD_REQUEST,
            "Failed to deserialize query string: offset: invalid digit found in string",
            None,
        ));
        assert_eq!(field.as_deref(), Some("offset"));
        assert!(message.contains("„offset“"), "{message}");
    }
}
