//! Errors of the portal. A page error renders a German page; an API error
//! renders `{"error": {"code", "message", "field"}}` with the right status.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("Bitte melden Sie sich an.")]
    Unauthenticated,
    #[error("Der API-Schlüssel ist ungültig oder widerrufen.")]
    InvalidApiKey,
    #[error("Dafür fehlt Ihnen die Berechtigung.")]
    Forbidden,
    #[error("Die Seite wurde nicht gefunden.")]
    NotFound,
    /// The route exists, but not for this HTTP method; the list is the
    /// `Allow` header's value.
    #[error("Diese Adresse nimmt die Methode nicht an; erlaubt: {0}.")]
    MethodNotAllowed(String),
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    /// A tool the KI-Richtlinie puts behind the KI-Pass (403); the message
    /// names the missing training, `next_session` is the page of the next
    /// session with a free seat.
    #[error("{message}")]
    KiPassRequired {
        message: String,
        next_session: Option<String>,
    },
    #[error("Das Formular ist abgelaufen oder wurde nicht von dieser Seite gesendet. Bitte laden Sie die Seite neu und senden Sie es erneut.")]
    Csrf,
    #[error("{0}")]
    TooManyRequests(String),
    /// A body above the route's limit (413).
    #[error("{0}")]
    TooLarge(String),
    /// A feature needs something the server does not have (e.g. LibreOffice).
    #[error("{0}")]
    Unavailable(String),
    #[error("Interner Fehler. Bitte versuchen Sie es später erneut; die Administration findet die Einzelheiten im Server-Protokoll.")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid {
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    /// An unexpected failure (500), with what the portal was doing when it
    /// failed; the detail goes to the server log, never to the user.
    pub fn internal(context: &str, e: impl std::fmt::Display) -> AppError {
        AppError::Internal(format!("{context}: {e}"))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated | AppError::InvalidApiKey => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf | AppError::KiPassRequired { .. } => {
                StatusCode::FORBIDDEN
            }
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::InvalidApiKey => "invalid_api_key",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::MethodNotAllowed(_) => "method_not_allowed",
            AppError::Invalid { .. } => "invalid",
            AppError::Conflict(_) => "conflict",
            AppError::KiPassRequired { .. } => "ki_pass_required",
            AppError::Csrf => "csrf",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::TooLarge(_) => "too_large",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    fn log(&self) {
        if let AppError::Internal(detail) = self {
            tracing::error!(%detail, "internal error");
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict => AppError::Conflict(e.to_string()),
            StoreError::Duplicate(msg) | StoreError::Refused(msg) => AppError::Conflict(msg),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> AppError {
        AppError::Internal(format!("template: {e}"))
    }
}

/// Renders an error as a German HTML page.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0.log();
        let status = self.0.status();
        if matches!(self.0, AppError::Unauthenticated) {
            return axum::response::Redirect::to("/anmelden").into_response();
        }
        let heading = match status {
            StatusCode::NOT_FOUND => "Seite nicht gefunden",
            StatusCode::FORBIDDEN => "Kein Zugriff",
            StatusCode::CONFLICT => "Konflikt beim Speichern",
            StatusCode::TOO_MANY_REQUESTS => "Zu viele Versuche",
            StatusCode::INTERNAL_SERVER_ERROR => "Ein Fehler ist aufgetreten",
            _ => "Eingabe nicht möglich",
        };
        let message = self.0.to_string();
        let link = match &self.0 {
            AppError::KiPassRequired { next_session, .. } => next_session.clone(),
            _ => None,
        };
        let body = crate::view::render_error_page_with(heading, &message, link.as_deref());
        let mut response = (status, Html(body)).into_response();
        response.extensions_mut().insert(crate::view::ErrorText {
            heading,
            message,
            link,
        });
        response
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable code, e.g. `invalid`, `forbidden`, `conflict`.
    pub code: String,
    /// What went wrong, in German, for people.
    pub message: String,
    /// The offending field, where one is to blame.
    pub field: Option<String>,
    /// A page that helps, e.g. the next training session with free seats
    /// when the KI-Pass is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// Renders an error as JSON for `/api/v1`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let field = match &self.0 {
            AppError::Invalid { field, .. } => field.clone(),
            _ => None,
        };
        let link = match &self.0 {
            AppError::KiPassRequired { next_session, .. } => next_session.clone(),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.0.code().to_string(),
                message: self.0.to_string(),
                field,
                link,
            },
        };
        (self.0.status(), axum::Json(body)).into_response()
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        PageError(self).into_response()
    }
}
