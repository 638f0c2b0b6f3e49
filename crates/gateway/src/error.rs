//! The gateway's one error type. It knows its HTTP status and renders
//! itself in OpenAI's shape `{"error":{"message","type","param","code"}}`,
//! with German messages, so clients see the same structure as from OpenAI
//! and staff can read what went wrong.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// OpenAI's `type`.
    pub kind: &'static str,
    pub param: Option<String>,
    pub code: Option<&'static str>,
    /// Seconds for `Retry-After` on 429 and 503.
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    param: Option<&'a str>,
    code: Option<&'a str>,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            kind,
            param: None,
            code: None,
            retry_after: None,
        }
    }

    pub fn with_code(mut self, code: &'static str) -> ApiError {
        self.code = Some(code);
        self
    }

    pub fn with_param(mut self, param: impl Into<String>) -> ApiError {
        self.param = Some(param.into());
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    /// 400 about one field of the request.
    pub fn invalid(param: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
            .with_param(param)
            .with_code("invalid_value")
    }

    pub fn malformed_json(detail: &str) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            format!("Der Anfragetext ist kein gültiges JSON: {detail}"),
        )
        .with_code("invalid_json")
    }

    pub fn unknown_model(model: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            format!(
                "Das Modell „{model}“ gibt es hier nicht. Die verfügbaren Modelle nennt GET /v1/models."
            ),
        )
        .with_param("model")
        .with_code("model_not_found")
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "Kein gültiger API-Schlüssel. Senden Sie ihn als „Authorization: Bearer kr_…“; Schlüssel erstellen Sie im Portal unter „Konto“.",
        )
        .with_code("invalid_api_key")
    }

    pub fn body_too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            format!(
                "Der Anfragetext ist größer als {} KB. Kürzen Sie die Eingabe.",
                limit / 1024
            ),
        )
        .with_code("request_too_large")
    }

    pub fn queue_full(retry_after: u64) -> ApiError {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            "Das lokale Modell ist ausgelastet und die Warteschlange ist voll. Bitte versuchen Sie es gleich noch einmal.",
        )
        .with_code("queue_full")
        .with_retry_after(retry_after)
    }

    pub fn rate_limited(per_minute: i64, retry_after: u64) -> ApiError {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            format!("Zu viele Anfragen mit diesem API-Schlüssel (höchstens {per_minute} pro Minute). Bitte warten Sie kurz."),
        )
        .with_code("rate_limit_exceeded")
        .with_retry_after(retry_after)
    }

    pub fn quota_exhausted(what: &str, retry_after: u64) -> ApiError {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "insufficient_quota",
            format!("Das Token-Kontingent {what} ist aufgebraucht. Wenden Sie sich an das KI-Projektteam, wenn Sie mehr brauchen."),
        )
        .with_code("insufficient_quota")
        .with_retry_after(retry_after)
    }

    /// 403: the key's role may not use the assistant (e.g. a viewer).
    pub fn not_permitted(role: &str) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "permission_error",
            format!("Mit der Rolle „{role}“ darf der KI-Assistent nicht genutzt werden; das gilt im Portal und über die Schnittstelle gleichermaßen."),
        )
        .with_code("permission_denied")
    }

    pub fn policy_violation(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "invalid_request_error", message)
            .with_param("X-Datenklasse")
            .with_code("policy_violation")
    }

    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "server_error", message)
            .with_code("backend_unavailable")
            .with_retry_after(5)
    }

    /// 503: every replica of a remote backend is at its concurrency limit
    /// and the queue is full or the wait ran out.
    pub fn overloaded(message: impl Into<String>, retry_after: u64) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "server_error", message)
            .with_code("backend_overloaded")
            .with_retry_after(retry_after)
    }

    /// A stream cut at shutdown, after the drain deadline.
    pub fn shutting_down() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            "Der Server wird beendet; die Antwort wurde nach Ablauf der Frist abgebrochen. Bitte senden Sie die Anfrage erneut.",
        )
        .with_code("server_shutting_down")
        .with_retry_after(5)
    }

    pub fn backend(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_GATEWAY, "server_error", message).with_code("backend_error")
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", message)
    }

    /// The JSON body, also sent as the data of an error event in a stream.
    pub fn body(&self) -> String {
        serde_json::to_string(&Body {
            error: Inner {
                message: &self.message,
                kind: self.kind,
                param: self.param.as_deref(),
                code: self.code,
            },
        })
        .unwrap_or_default()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            self.body(),
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> ApiError {
        tracing::error!(error = %e, "store error in the gateway");
        ApiError::internal(
            "Die Datenbank ist gerade nicht erreichbar. Bitte versuchen Sie es später noch einmal.",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_has_openais_four_fields() {
        let e = ApiError::invalid("temperature", "zu hoch");
        let v: serde_json::Value = serde_json::from_str(&e.body()).unwrap();
        assert_eq!(v["error"]["message"], "zu hoch");
        assert_eq!(v["error"]["type"], "invalid_request_error");
        assert_eq!(v["error"]["param"], "temperature");
        assert_eq!(v["error"]["code"], "invalid_value");
    }

    #[test]
    fn a_full_queue_says_when_to_retry() {
        let r = ApiError::queue_full(3).into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "3");
    }
}
