//! API: Qualifizierung — catalogue offers and learning paths, evaluation of
//! offers, the planner, training sessions with enrolment, verification of
//! Open Badges and the Art. 4 report (scoped like the page: own record for
//! staff, the department for the project team, everything for admins).
//! Bodies use the exchange formats of `schemas/qualification-*.schema.json`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use journey::qualification::evidence::Art4Report;
use journey::qualification::offer::LearningOffer;
use journey::qualification::path::LearningPath;
use journey::qualification::planner::{plan, Cohort, Plan};
use journey::qualification::rubric::{Evaluation, OfferScore, Rubric};
use journey::qualification::training::EnrolmentStatus;
use serde::{Deserialize, Serialize};
use store::qualification::SessionRecord;
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::qualification::catalogue::{invalid, model, planning_catalogue};
use crate::qualification::evidence::build_report;
use crate::AppState;

#[utoipa::path(get, path = "/api/v1/qualification/offers", tag = "Qualifizierung",
    responses((status = 200, description = "Lernangebote des Katalogs (Format wie im Katalog-Schema)"), (status = 401, body = ErrorBody)))]
pub async fn offers(State(state): State<AppState>) -> Result<Json<Vec<LearningOffer>>, ApiError> {
    Ok(Json(
        state
            .store
            .offers()
            .await?
            .into_iter()
            .map(|r| r.offer)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/qualification/offers", tag = "Qualifizierung",
    request_body(content = Object, description = "Ein Lernangebot wie im Katalog-Schema"),
    responses((status = 201, description = "Angelegt"), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_offer(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(offer): ApiJson<LearningOffer>,
) -> Result<(StatusCode, Json<LearningOffer>), ApiError> {
    offer.validate(&model(&state).await?).map_err(invalid)?;
    let record = state.store.create_offer(&cu.actor(), &offer).await?;
    Ok((StatusCode::CREATED, Json(record.offer)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferUpdate {
    /// The offer as in the catalogue schema; its id must be the path's.
    #[schema(value_type = Object)]
    pub offer: LearningOffer,
    /// The version read before the change (`GET …/offers/{id}`); another
    /// change in between answers 409.
    pub version: i64,
    /// Archive (`true`) or take back (`false`); left out: unchanged.
    #[serde(default)]
    pub archived: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct OfferState {
    #[schema(value_type = Object)]
    pub offer: LearningOffer,
    pub version: i64,
    pub archived: bool,
}

impl From<store::qualification::OfferRecord> for OfferState {
    fn from(r: store::qualification::OfferRecord) -> OfferState {
        OfferState {
            offer: r.offer,
            version: r.version,
            archived: r.archived,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/qualification/offers/{id}", tag = "Qualifizierung",
    params(("id" = String, Path, description = "Kennung des Lernangebots")),
    responses((status = 200, body = OfferState), (status = 404, body = ErrorBody)))]
pub async fn offer(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<OfferState>, ApiError> {
    Ok(Json(state.store.offer(&id).await?.into()))
}

#[utoipa::path(put, path = "/api/v1/qualification/offers/{id}", tag = "Qualifizierung",
    params(("id" = String, Path, description = "Kennung des Lernangebots")), request_body = OfferUpdate,
    responses((status = 200, body = OfferState), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_offer(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<OfferUpdate>,
) -> Result<Json<OfferState>, ApiError> {
    if body.offer.id != id {
        return Err(AppError::invalid(
            "offer.id",
            "Die Kennung im Dokument weicht von der Adresse ab.",
        )
        .into());
    }
    body.offer
        .validate(&model(&state).await?)
        .map_err(invalid)?;
    let mut record = state
        .store
        .update_offer(&cu.actor(), &body.offer, body.version)
        .await?;
    if let Some(archived) = body.archived.filter(|a| *a != record.archived) {
        record = crate::qualification::offer_page::set_archived(
            &state,
            &cu,
            &id,
            archived,
            record.version,
        )
        .await?;
    }
    Ok(Json(record.into()))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct RubricState {
    /// The rubric as in `schemas/qualification-rubric.schema.json`.
    #[schema(value_type = Object)]
    pub rubric: Rubric,
    /// 0 while the shipped rubric applies; send it back unchanged to save.
    pub version: i64,
}

#[utoipa::path(get, path = "/api/v1/qualification/rubric", tag = "Qualifizierung",
    responses((status = 200, body = RubricState), (status = 403, body = ErrorBody)))]
pub async fn rubric(State(state): State<AppState>) -> Result<Json<RubricState>, ApiError> {
    let (rubric, version) = crate::qualification::rubric::current(&state).await?;
    Ok(Json(RubricState { rubric, version }))
}

#[utoipa::path(put, path = "/api/v1/qualification/rubric", tag = "Qualifizierung", request_body = RubricState,
    responses((status = 200, description = "Gespeichert; alle Bewertungen neu berechnet", body = RubricState), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_rubric(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<RubricState>,
) -> Result<Json<RubricState>, ApiError> {
    let mut rubric = body.rubric;
    rubric.validate().map_err(invalid)?;
    rubric.version = u32::try_from(body.version + 1).unwrap_or(u32::MAX);
    crate::qualification::rubric::store_rubric(&state, &cu, &rubric, body.version, "geändert")
        .await?;
    Ok(Json(RubricState {
        rubric,
        version: body.version + 1,
    }))
}

/// The person a request acts for: oneself, or anyone for the project team.
pub(super) fn acting_for(cu: &CurrentUser, user_id: Option<i64>) -> Result<i64, AppError> {
    let user = user_id.unwrap_or(cu.user.id);
    let manage = cu
        .user
        .role
        .can(journey::access::Permission::ManageQualification);
    if user != cu.user.id && !manage {
        return Err(AppError::Forbidden);
    }
    Ok(user)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompletionRequest {
    /// The offer completed outside any session.
    pub offer: String,
    /// `YYYY-MM-DD`, not in the future.
    pub completed_on: String,
    /// Another person (project team only); default: oneself.
    #[serde(default)]
    pub user_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CompletionResponse {
    pub message: String,
}

#[utoipa::path(post, path = "/api/v1/qualification/completions", tag = "Qualifizierung", request_body = CompletionRequest,
    responses((status = 201, body = CompletionResponse), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn complete(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<CompletionRequest>,
) -> Result<(StatusCode, Json<CompletionResponse>), ApiError> {
    let user = acting_for(&cu, body.user_id)?;
    match crate::qualification::evidence::complete(
        &state,
        &cu,
        user,
        &body.offer,
        &body.completed_on,
    )
    .await?
    {
        Ok(message) => Ok((StatusCode::CREATED, Json(CompletionResponse { message }))),
        Err(message) => Err(AppError::invalid("completed_on", message).into()),
    }
}

#[utoipa::path(get, path = "/api/v1/qualification/paths", tag = "Qualifizierung",
    responses((status = 200, description = "Lernpfade"), (status = 401, body = ErrorBody)))]
pub async fn paths(State(state): State<AppState>) -> Result<Json<Vec<LearningPath>>, ApiError> {
    Ok(Json(state.store.paths().await?))
}

#[utoipa::path(post, path = "/api/v1/qualification/paths", tag = "Qualifizierung",
    request_body(content = Object, description = "Ein Lernpfad wie im Katalog-Schema"),
    responses((status = 200, description = "Gespeichert"), (status = 422, body = ErrorBody)))]
pub async fn save_path(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(path): ApiJson<LearningPath>,
) -> Result<Json<LearningPath>, ApiError> {
    let catalogue = state.store.active_catalogue().await?;
    path.validate(&catalogue, &model(&state).await?)
        .map_err(invalid)?;
    state.store.save_path(&cu.actor(), &path).await?;
    Ok(Json(path))
}

#[utoipa::path(post, path = "/api/v1/qualification/evaluations", tag = "Qualifizierung",
    request_body(content = Object, description = "offer, ratings (Kriterium → 1–5), decision (aufnehmen/pruefen/ablehnen), reason"),
    responses((status = 200, description = "Punkte, Vorschlag und Entscheidung"), (status = 422, body = ErrorBody)))]
pub async fn evaluate(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(evaluation): ApiJson<Evaluation>,
) -> Result<Json<OfferScore>, ApiError> {
    let (rubric, _) = crate::qualification::rubric::current(&state).await?;
    let score = rubric.score(&evaluation).map_err(invalid)?;
    state
        .store
        .save_evaluation(&cu.actor(), &evaluation, &score)
        .await?;
    Ok(Json(score))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    /// Cohorts as in `schemas/qualification-plan-input.schema.json`; when
    /// left out, the input stored on the planner page is used.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub cohorts: Option<Vec<Cohort>>,
}

#[utoipa::path(post, path = "/api/v1/qualification/plan", tag = "Qualifizierung", request_body = PlanRequest,
    responses((status = 200, description = "Lücken, vorgeschlagene Wege, nicht abgedeckte Lücken, Stunden und Kosten"), (status = 422, body = ErrorBody)))]
pub async fn plan_request(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<PlanRequest>,
) -> Result<Json<Plan>, ApiError> {
    let cohorts = match body.cohorts {
        Some(c) => c,
        None => state.store.cohorts().await?,
    };
    let catalogue = planning_catalogue(&state).await?;
    Ok(Json(
        plan(&model(&state).await?, &catalogue, &cohorts).map_err(invalid)?,
    ))
}

#[utoipa::path(get, path = "/api/v1/qualification/sessions", tag = "Qualifizierung",
    responses((status = 200, description = "Schulungstermine mit belegten Plätzen und Warteliste"), (status = 401, body = ErrorBody)))]
pub async fn sessions(State(state): State<AppState>) -> Result<Json<Vec<SessionRecord>>, ApiError> {
    Ok(Json(state.store.trainings().await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// Another person (project team only); default: oneself.
    #[serde(default)]
    pub user_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct EnrolResponse {
    /// `enrolled` or `waiting_list`.
    pub status: String,
    pub status_label: String,
}

#[utoipa::path(post, path = "/api/v1/qualification/sessions/{id}/enrolments", tag = "Qualifizierung",
    params(("id" = String, Path, description = "Kennung des Termins")), request_body = EnrolRequest,
    responses((status = 200, body = EnrolResponse), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn enrol(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<EnrolRequest>,
) -> Result<Json<EnrolResponse>, ApiError> {
    let user = acting_for(&cu, body.user_id)?;
    let status: EnrolmentStatus = state.store.enrol(&cu.actor(), &id, user).await?;
    super::training_mail::confirm(&state, &cu.actor(), &id, user, status).await;
    Ok(Json(EnrolResponse {
        status: status.key().to_string(),
        status_label: status.label().to_string(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    /// `attended`, `no_show` or `completed`.
    #[schema(pattern = "^(attended|no_show|completed)$")]
    pub status: String,
}

#[utoipa::path(put, path = "/api/v1/qualification/sessions/{id}/enrolments/{user_id}", tag = "Qualifizierung",
    params(("id" = String, Path, description = "Kennung des Termins"), ("user_id" = i64, Path, description = "Kennung der Person")),
    request_body = StatusRequest,
    responses((status = 200, body = EnrolResponse), (status = 422, body = ErrorBody, description = "Der Wechsel ist (noch) nicht erlaubt, z. B. Abschluss vor dem Ende der Schulung")))]
pub async fn set_enrolment_status(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path((id, user_id)): Path<(String, i64)>,
    ApiJson(body): ApiJson<StatusRequest>,
) -> Result<Json<EnrolResponse>, ApiError> {
    let status = EnrolmentStatus::parse(body.status.trim()).ok_or_else(|| {
        AppError::invalid(
            "status",
            "Unbekannter Status; erlaubt: attended, no_show, completed.",
        )
    })?;
    match crate::qualification::training_page::record_status(&state, &cu, &id, user_id, status)
        .await?
    {
        Ok(()) => Ok(Json(EnrolResponse {
            status: status.key().to_string(),
            status_label: status.label().to_string(),
        })),
        Err(message) => Err(AppError::invalid("status", message).into()),
    }
}

#[derive(Serialize, ToSchema)]
pub struct VerifyResponse {
    pub valid: bool,
    /// What was found, or why the check failed.
    pub message: String,
}

/// Checks an Open Badge of this instance, as the public page
/// "Nachweis prüfen" does: open to every key, whatever its role (or to a
/// session with its CSRF token).
#[utoipa::path(post, path = "/api/v1/qualification/credentials/verify", tag = "Qualifizierung",
    request_body(content = Object, description = "Ein Open Badge (OpenBadgeCredential) dieser Instanz"),
    security(()),
    responses((status = 200, body = VerifyResponse)))]
pub async fn verify(
    State(state): State<AppState>,
    ApiJson(doc): ApiJson<serde_json::Value>,
) -> Result<Json<VerifyResponse>, ApiError> {
    let (valid, message) =
        crate::qualification::credentials_page::check_badge(&state, &doc).await?;
    Ok(Json(VerifyResponse { valid, message }))
}

#[utoipa::path(get, path = "/api/v1/qualification/report", tag = "Qualifizierung",
    responses((status = 200, description = "Nachweis nach Art. 4 KI-Verordnung, je nach Rolle eingeschränkt"), (status = 401, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Json<Art4Report>, ApiError> {
    Ok(Json(build_report(&state, &cu).await?))
}
