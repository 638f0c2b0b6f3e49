//! Page action and API twin of [`super::invitations`]: invite a session's
//! target group by e-mail.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::invitations::{invite, progress_of, queued_message};
use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody, PageError};
use crate::form::Fields;
use crate::AppState;

/// `POST /qualifizierung/termine/{id}/einladen` with `department` (empty:
/// all); the session page again with the outcome.
pub async fn page(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::new(pairs);
    let department = fields.get("department");
    let flash = match invite(&state, &cu, &id, Some(department)).await {
        Ok(n) => ("ok", queued_message(n)),
        Err(AppError::NotFound) => return Err(AppError::NotFound.into()),
        Err(e) => ("error", e.to_string()),
    };
    super::training_page::session_page(&state, &cu, &id, Some(flash)).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationRequest {
    /// A department of the profile; missing or `null` invites every
    /// department.
    #[serde(default)]
    pub department: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct InvitationResponse {
    /// Invitations queued now (none for those enrolled or with one still
    /// waiting).
    pub queued: usize,
    pub message: String,
    /// How far the sending of this session's invitations is, in German
    /// (details per message: `GET /api/v1/mail`).
    pub progress: String,
}

/// Invites the session's target group by e-mail, with the calendar file;
/// a background job sends in batches.
#[utoipa::path(post, path = "/api/v1/qualification/sessions/{id}/invitations", tag = "Qualifizierung",
    params(("id" = String, Path, description = "Kennung des Termins")),
    request_body = InvitationRequest,
    responses((status = 202, body = InvitationResponse), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody, description = "Kein E-Mail-Server eingerichtet")))]
pub async fn api(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<InvitationRequest>,
) -> Result<(StatusCode, Json<InvitationResponse>), ApiError> {
    let queued = invite(&state, &cu, &id, body.department.as_deref()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(InvitationResponse {
            queued,
            message: queued_message(queued),
            progress: progress_of(&state, &id).await?,
        }),
    ))
}
