//! The send log's and the templates' actions for programs, over the same
//! operations as the pages: queue a failed message again
//! (`/e-mail/{id}/erneut`), read, change and reset the German templates
//! (`/e-mail/vorlagen`).

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::log_page::{requeue_op, MailLogDto};
use super::templates::{self, Kind};
use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::AppState;

/// Queues a failed message again, due now (e.g. after an interrupted send,
/// once it is clear that it did not arrive). Only a message with status
/// `fehlgeschlagen` (409 otherwise).
#[utoipa::path(post, path = "/api/v1/mail/{id}/requeue", tag = "E-Mail",
    params(("id" = String, Path, description = "Id of the message in the send log")),
    responses((status = 200, body = MailLogDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn requeue(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<MailLogDto>, ApiError> {
    requeue_op(&state, &cu, &id).await?;
    let mail = state.store.mail(&id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(MailLogDto::from(mail)))
}

#[derive(Serialize, ToSchema)]
pub struct PlaceholderDto {
    /// Written `{name}` in subject and body.
    pub name: String,
    pub description: String,
    /// The body must contain it.
    pub required: bool,
}

#[derive(Serialize, ToSchema)]
pub struct MailTemplateDto {
    /// e.g. `umfrage_einladung`, `pflichten_erinnerung`.
    pub kind: String,
    pub label: String,
    pub subject: String,
    pub body: String,
    /// Whether the municipality changed it (else the built-in default).
    pub edited: bool,
    pub placeholders: Vec<PlaceholderDto>,
}

async fn dto(state: &AppState, kind: Kind) -> Result<MailTemplateDto, AppError> {
    let text = templates::text(&state.store, kind).await?;
    Ok(MailTemplateDto {
        kind: kind.slug.into(),
        label: kind.label.into(),
        subject: text.subject,
        body: text.body,
        edited: text.edited,
        placeholders: kind
            .placeholders
            .iter()
            .map(|(name, description)| PlaceholderDto {
                name: (*name).into(),
                description: (*description).into(),
                required: kind.required.contains(name),
            })
            .collect(),
    })
}

fn kind_of(slug: &str) -> Result<Kind, AppError> {
    templates::kind(slug).ok_or(AppError::NotFound)
}

/// The German templates of the mails sent to many, as they are sent now.
#[utoipa::path(get, path = "/api/v1/mail/templates", tag = "E-Mail",
    responses((status = 200, body = [MailTemplateDto])))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<MailTemplateDto>>, ApiError> {
    let mut out = Vec::new();
    for kind in templates::KINDS {
        out.push(dto(&state, *kind).await?);
    }
    Ok(Json(out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailTemplateBody {
    /// One line, at most 200 characters.
    pub subject: String,
    /// At most 10,000 characters; only the kind's placeholders.
    pub body: String,
}

/// Changes a template; a placeholder the kind does not offer, or a missing
/// required one, is refused (422 naming `subject` or `body`).
#[utoipa::path(put, path = "/api/v1/mail/templates/{kind}", tag = "E-Mail",
    params(("kind" = String, Path, description = "Kind of mail, e.g. umfrage_einladung")),
    request_body = MailTemplateBody,
    responses((status = 200, body = MailTemplateDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(kind): Path<String>,
    ApiJson(body): ApiJson<MailTemplateBody>,
) -> Result<Json<MailTemplateDto>, ApiError> {
    let kind = kind_of(&kind)?;
    templates::save(&state.store, &cu.actor(), kind, &body.subject, &body.body)
        .await?
        .map_err(|(field, message)| AppError::invalid(field, message))?;
    Ok(Json(dto(&state, kind).await?))
}

/// Returns a template to the built-in default.
#[utoipa::path(delete, path = "/api/v1/mail/templates/{kind}", tag = "E-Mail",
    params(("kind" = String, Path, description = "Kind of mail, e.g. umfrage_einladung")),
    responses((status = 200, body = MailTemplateDto), (status = 404, body = ErrorBody)))]
pub async fn reset(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(kind): Path<String>,
) -> Result<Json<MailTemplateDto>, ApiError> {
    let kind = kind_of(&kind)?;
    state
        .store
        .set_mail_template(&cu.actor(), kind.slug, None)
        .await?;
    Ok(Json(dto(&state, kind).await?))
}
