//! API twins of the training and credential pages' actions: add a
//! session, cancel an enrolment, issue a credential. Each is an adapter
//! over the operation the page uses.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use journey::qualification::training::Session;
use serde::{Deserialize, Serialize};
use store::qualification::{CredentialRecord, SessionRecord};
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::qualification::api::acting_for;
use crate::qualification::credentials_page::issue;
use crate::qualification::training_page::{create, new_session_id};
use crate::AppState;

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionInputDto {
    /// The offer (`GET /api/v1/qualification/offers`); not archived.
    #[schema(min_length = 1)]
    pub offer: String,
    #[schema(min_length = 1, pattern = "\\S")]
    pub title: String,
    /// Local time in Europe/Berlin, `YYYY-MM-DDTHH:MM`.
    #[schema(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$")]
    pub starts_at: String,
    /// After the start, same form.
    #[schema(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$")]
    pub ends_at: String,
    /// Room and address; may be empty for an online session.
    #[serde(default)]
    pub place: String,
    /// Link for online participation, http(s); a place or a link is needed.
    #[serde(default)]
    #[schema(pattern = "^https?://[^\\s/?#]+[^\\s]*$")]
    pub online_url: Option<String>,
    #[serde(default)]
    pub trainer: String,
    #[schema(minimum = 1)]
    pub capacity: u32,
}

#[derive(Serialize, ToSchema)]
pub struct SessionDto {
    pub id: String,
    #[serde(flatten)]
    pub session: SessionInputDto,
    pub seats_taken: i64,
    /// People on the waiting list.
    pub waiting: i64,
    pub version: i64,
}

impl From<SessionRecord> for SessionDto {
    fn from(r: SessionRecord) -> Self {
        let s = r.session;
        SessionDto {
            id: s.id,
            session: SessionInputDto {
                offer: s.offer,
                title: s.title,
                starts_at: s.starts_at,
                ends_at: s.ends_at,
                place: s.place,
                online_url: s.online_url,
                trainer: s.trainer,
                capacity: s.capacity,
            },
            seats_taken: r.seats_taken,
            waiting: r.waiting,
            version: r.version,
        }
    }
}

/// Adds a training session to an offer of the catalogue.
#[utoipa::path(post, path = "/api/v1/qualification/sessions", tag = "Qualifizierung",
    request_body = SessionInputDto,
    responses((status = 201, body = SessionDto), (status = 422, body = ErrorBody)))]
pub async fn create_session(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<SessionInputDto>,
) -> Result<(StatusCode, Json<SessionDto>), ApiError> {
    let text = |s: &str| s.trim().to_string();
    let session = Session {
        id: new_session_id(),
        offer: text(&body.offer),
        title: text(&body.title),
        starts_at: text(&body.starts_at),
        ends_at: text(&body.ends_at),
        place: text(&body.place),
        online_url: body.online_url.as_deref().map(text),
        trainer: text(&body.trainer),
        capacity: body.capacity,
    };
    create(&state, &cu, &session).await?;
    let record = state.store.training(&session.id).await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

#[derive(Serialize, ToSchema)]
pub struct CancelledDto {
    /// The first person of the waiting list, who now has the seat.
    pub promoted_user_id: Option<i64>,
}

/// Cancels an enrolment (one's own; anyone's for the project team); the
/// first person of the waiting list moves up.
#[utoipa::path(delete, path = "/api/v1/qualification/sessions/{id}/enrolments/{user_id}", tag = "Qualifizierung",
    params(("id" = String, Path, description = "Kennung des Termins"),
        ("user_id" = i64, Path, description = "Kennung der Person (eigene: GET /api/v1/me)")),
    responses((status = 200, body = CancelledDto), (status = 404, body = ErrorBody, description = "Termin oder Anmeldung nicht gefunden")))]
pub async fn cancel_enrolment(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path((id, user_id)): Path<(String, i64)>,
) -> Result<Json<CancelledDto>, ApiError> {
    let user = acting_for(&cu, Some(user_id))?;
    let promoted = state.store.cancel_enrolment(&cu.actor(), &id, user).await?;
    Ok(Json(CancelledDto {
        promoted_user_id: promoted,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueDto {
    /// An active person who completed every step of the path.
    pub user_id: i64,
    /// The learning path (`GET /api/v1/qualification/paths`).
    #[schema(min_length = 1)]
    pub path: String,
}

#[derive(Serialize, ToSchema)]
pub struct CredentialDto {
    pub id: String,
    pub user_id: i64,
    pub path_id: String,
    pub title: String,
    /// Unix time in seconds.
    pub issued_at: i64,
    /// The signed Open Badge (OpenBadgeCredential).
    #[schema(value_type = Object)]
    pub badge: serde_json::Value,
}

impl TryFrom<CredentialRecord> for CredentialDto {
    type Error = AppError;
    fn try_from(r: CredentialRecord) -> Result<Self, AppError> {
        let badge = serde_json::from_str(&r.document)
            .map_err(|e| AppError::internal("read a stored credential", e))?;
        Ok(CredentialDto {
            id: r.id,
            user_id: r.user_id,
            path_id: r.path_id,
            title: r.title,
            issued_at: r.issued_at,
            badge,
        })
    }
}

/// Issues an Open Badge for a completed learning path, signed with the
/// instance key; refused, naming the open steps, while the path is not done.
#[utoipa::path(post, path = "/api/v1/qualification/credentials", tag = "Qualifizierung",
    request_body = IssueDto,
    responses((status = 201, body = CredentialDto), (status = 422, body = ErrorBody)))]
pub async fn issue_credential(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<IssueDto>,
) -> Result<(StatusCode, Json<CredentialDto>), ApiError> {
    let record = issue(&state, &cu, body.user_id, body.path.trim()).await?;
    Ok((StatusCode::CREATED, Json(record.try_into()?)))
}
