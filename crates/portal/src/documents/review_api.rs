//! API: the review of a document: where it stands, the statement of a
//! function holder, the adoption. The same operations ([`decisions`]) and
//! the same permission decisions ([`crate::access`]) as the page.

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use store::documents::DocumentStatus;
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::documents::api::DocumentSummaryDto;
use crate::documents::decisions::{self, give_statement, Statement};
use crate::documents::review_status::{notify_reviewers, ReviewStatus};
use crate::error::{ApiError, ErrorBody};
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct AreaDto {
    /// `datenschutz`, `it-sicherheit`, `personalrat` or `gleichstellung`.
    pub area: String,
    pub label: String,
    /// The function whose holder states, e.g. `Personalrat`.
    pub function: String,
    /// The holder's name; null while nobody holds the function.
    pub holder: Option<String>,
    /// Whether adoption needs this area's consent.
    pub required: bool,
    /// `zustimmung`, `einwaende`, `ausstehend`, `keine-person` or `entfaellt`.
    pub state: String,
    /// What the page shows, e.g. "Zustimmung (Dana Datenschutz, …)".
    pub text: String,
    pub comment: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewDto {
    pub status: String,
    pub version: i64,
    pub areas: Vec<AreaDto>,
    /// The required areas without a statement, with their holder.
    pub missing: Vec<String>,
    /// Who adopts: the Bürgermeister/in's name, else "die Administration".
    pub adopter: String,
    /// Set once every required area has consented.
    pub waiting_for_adoption: Option<String>,
}

/// Where the review of the latest version stands (project team).
#[utoipa::path(get, path = "/api/v1/documents/{id}/review", tag = "Dokumente",
    params(("id" = i64, Path, description = "Nummer des Dokuments")),
    responses((status = 200, body = ReviewDto), (status = 404, body = ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<ReviewDto>, ApiError> {
    let doc = state.store.document(id).await?;
    let status = ReviewStatus::load(&state, id, doc.latest_version).await?;
    let open = doc.status == DocumentStatus::Review;
    Ok(Json(ReviewDto {
        status: doc.status.as_str().to_owned(),
        version: doc.latest_version,
        areas: status
            .areas
            .iter()
            .map(|a| AreaDto {
                area: a.area.as_str().to_owned(),
                label: a.area.label().to_owned(),
                function: a.area.function().label().to_owned(),
                holder: a.holder.as_ref().map(|h| h.name.clone()),
                required: a.required(),
                state: a.state_key().to_owned(),
                text: a.state_text(),
                comment: a.statement.as_ref().map(|r| r.comment.clone()),
            })
            .collect(),
        missing: status.missing(),
        adopter: status.adopter(),
        waiting_for_adoption: status.waiting().filter(|_| open),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatementDto {
    pub version: i64,
    /// `datenschutz`, `it-sicherheit`, `personalrat` or `gleichstellung`:
    /// only the holder of its function may state.
    #[schema(pattern = "^(datenschutz|it-sicherheit|personalrat|gleichstellung)$")]
    pub area: String,
    /// `zustimmung` or `einwaende` (with a reason in `comment`).
    #[schema(pattern = "^(zustimmung|einwaende)$")]
    pub decision: String,
    #[serde(default)]
    pub comment: String,
}

/// Gives the statement of the function the caller holds, signed with the
/// caller's name and function.
#[utoipa::path(post, path = "/api/v1/documents/{id}/statements", tag = "Dokumente",
    request_body = StatementDto,
    params(("id" = i64, Path, description = "Nummer des Dokuments")),
    responses((status = 200, body = ReviewDto), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn statement(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<StatementDto>,
) -> Result<Json<ReviewDto>, ApiError> {
    let s = Statement {
        version: body.version,
        area: &body.area,
        decision: &body.decision,
        comment: &body.comment,
    };
    give_statement(&state, &cu, id, &s)
        .await
        .map_err(|r| ApiError(r.into_app_error()))?;
    status(State(state), Path(id)).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdoptionDto {
    pub version: i64,
    /// ISO date of the decision.
    #[schema(format = Date)]
    pub adopted_on: String,
    /// Who signs; empty or absent: the caller's name and function.
    #[serde(default)]
    pub adopted_by: String,
}

/// Adopts the reviewed version (the Bürgermeister/in, else the
/// administration).
#[utoipa::path(post, path = "/api/v1/documents/{id}/adoption", tag = "Dokumente",
    request_body = AdoptionDto,
    params(("id" = i64, Path, description = "Nummer des Dokuments")),
    responses((status = 200, body = DocumentSummaryDto), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn adopt(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<AdoptionDto>,
) -> Result<Json<DocumentSummaryDto>, ApiError> {
    let doc = decisions::adopt(
        &state,
        &cu,
        id,
        body.version,
        &body.adopted_on,
        &body.adopted_by,
    )
    .await
    .map_err(|r| ApiError(r.into_app_error()))?;
    Ok(Json((&doc).into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionDto {
    /// The latest version, which goes to review.
    pub version: i64,
}

/// Submits the latest version for review; each holder of a reviewing
/// function is e-mailed.
#[utoipa::path(post, path = "/api/v1/documents/{id}/submission", tag = "Dokumente",
    request_body = SubmissionDto,
    params(("id" = i64, Path, description = "Nummer des Dokuments")),
    responses((status = 200, body = ReviewDto), (status = 409, body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<SubmissionDto>,
) -> Result<Json<ReviewDto>, ApiError> {
    let doc = state
        .store
        .submit_document(&cu.actor(), id, body.version)
        .await?;
    notify_reviewers(&state, &doc).await?;
    status(State(state), Path(id)).await
}

/// Takes the document back from review so that it can be changed again.
#[utoipa::path(post, path = "/api/v1/documents/{id}/withdrawal", tag = "Dokumente",
    request_body = SubmissionDto,
    params(("id" = i64, Path, description = "Nummer des Dokuments")),
    responses((status = 200, body = ReviewDto), (status = 409, body = ErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<SubmissionDto>,
) -> Result<Json<ReviewDto>, ApiError> {
    state
        .store
        .withdraw_document(&cu.actor(), id, body.version)
        .await?;
    status(State(state), Path(id)).await
}
