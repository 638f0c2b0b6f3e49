//! API: the Bestandsaufnahme. Surveys (create from the default questionnaire
//! or an import, open, close), participation links and codes, anonymous
//! results (closed surveys only, with small groups suppressed) and
//! answering by token.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use journey::survey::{self, Completeness};
use serde::{Deserialize, Serialize};
use store::survey::{SubmitRefusal, Survey};
use utoipa::ToSchema;

use super::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::pages::survey::{
    check_min_group_size, compute_results, import_report_of, new_survey, participation_url,
    prepare_questionnaire, questionnaire_of, Source, MAX_CODES,
};
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct SurveyDto {
    pub id: i64,
    pub title: String,
    /// `draft`, `open` or `closed`.
    pub status: String,
    pub min_group_size: i64,
    pub responses: i64,
    /// Unix time in seconds.
    pub created_at: i64,
    pub opened_at: Option<i64>,
    pub closed_at: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SurveyDetailDto {
    pub survey: SurveyDto,
    /// The questionnaire (schema `questionnaire.schema.json`); resolved
    /// against the profile once the survey is open.
    #[schema(value_type = Object)]
    pub questionnaire: serde_json::Value,
    /// What an import changed or could not take over; absent for the default.
    #[schema(value_type = Option<Object>)]
    pub import_report: Option<serde_json::Value>,
}

async fn dto(state: &AppState, s: &Survey) -> Result<SurveyDto, ApiError> {
    let p = state.store.participation(s).await?;
    Ok(SurveyDto {
        id: s.id,
        title: s.title.clone(),
        status: s.status.as_str().to_string(),
        min_group_size: s.min_group_size,
        responses: p.responses,
        created_at: s.created_at,
        opened_at: s.opened_at,
        closed_at: s.closed_at,
    })
}

async fn detail(state: &AppState, s: &Survey) -> Result<SurveyDetailDto, ApiError> {
    let q = questionnaire_of(s)?;
    Ok(SurveyDetailDto {
        survey: dto(state, s).await?,
        questionnaire: serde_json::to_value(&q).unwrap_or_default(),
        import_report: import_report_of(s).and_then(|r| serde_json::to_value(r).ok()),
    })
}

/// All surveys, newest first.
#[utoipa::path(get, path = "/api/v1/surveys", tag = "Bestandsaufnahme",
    responses((status = 200, body = [SurveyDto]), (status = 403, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<SurveyDto>>, ApiError> {
    let mut out = Vec::new();
    for s in state.store.surveys().await? {
        out.push(dto(&state, &s).await?);
    }
    Ok(Json(out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSurveyDto {
    /// Defaults to the questionnaire's title.
    #[serde(default)]
    pub title: String,
    /// A questionnaire in our format; without it (and without `lss`) the
    /// default questionnaire is used.
    #[schema(value_type = Option<Object>)]
    pub questionnaire: Option<serde_json::Value>,
    /// A LimeSurvey `.lss` export as text.
    pub lss: Option<String>,
    /// k: figures from fewer answers are hidden (at least 3; default 5).
    pub min_group_size: Option<i64>,
}

/// Creates a survey in preparation (`draft`).
#[utoipa::path(post, path = "/api/v1/surveys", tag = "Bestandsaufnahme", request_body = NewSurveyDto,
    responses((status = 201, body = SurveyDetailDto), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<NewSurveyDto>,
) -> Result<(StatusCode, Json<SurveyDetailDto>), ApiError> {
    let k = check_min_group_size(body.min_group_size.unwrap_or(5))?;
    let json_text;
    let source = match (&body.questionnaire, &body.lss) {
        (Some(_), Some(_)) => {
            return Err(AppError::invalid(
                "questionnaire",
                "Bitte entweder „questionnaire“ oder „lss“ senden, nicht beides.",
            )
            .into())
        }
        (Some(q), None) => {
            json_text = q.to_string();
            Source::Import(&json_text)
        }
        (None, Some(lss)) => Source::Import(lss),
        (None, None) => Source::Default,
    };
    let (q, report) = prepare_questionnaire(source).map_err(|e| match e {
        AppError::Invalid { message, .. } => AppError::Invalid {
            field: Some(
                if body.lss.is_some() {
                    "lss"
                } else {
                    "questionnaire"
                }
                .to_string(),
            ),
            message,
        },
        other => other,
    })?;
    let survey = state
        .store
        .create_survey(
            &cu.actor(),
            &new_survey(&body.title, &q, report.as_ref(), k),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(detail(&state, &survey).await?)))
}

/// One survey with its questionnaire.
#[utoipa::path(get, path = "/api/v1/surveys/{id}", tag = "Bestandsaufnahme",
    params(("id" = i64, Path, description = "Survey id")),
    responses((status = 200, body = SurveyDetailDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<SurveyDetailDto>, ApiError> {
    let survey = state.store.survey(id).await?;
    Ok(Json(detail(&state, &survey).await?))
}

/// Starts a survey: the questionnaire is resolved against the profile.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/open", tag = "Bestandsaufnahme",
    params(("id" = i64, Path, description = "Survey id")),
    responses((status = 200, body = SurveyDto), (status = 409, body = ErrorBody)))]
pub async fn open(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<SurveyDto>, ApiError> {
    let survey = state.store.survey(id).await?;
    let survey = crate::pages::survey::open(&state, &cu, &survey).await?;
    Ok(Json(dto(&state, &survey).await?))
}

/// Closes a survey for good; unused links and codes stop working.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/close", tag = "Bestandsaufnahme",
    params(("id" = i64, Path, description = "Survey id")),
    responses((status = 200, body = SurveyDto), (status = 409, body = ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<SurveyDto>, ApiError> {
    let survey = state.store.close_survey(&cu.actor(), id).await?;
    Ok(Json(dto(&state, &survey).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokensRequestDto {
    /// Accounts to make personal links for (those who answered get none).
    #[serde(default)]
    pub user_ids: Vec<i64>,
    /// How many printable one-time codes to make.
    #[serde(default)]
    pub codes: usize,
}

#[derive(Serialize, ToSchema)]
pub struct PersonalLinkDto {
    pub user_id: i64,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokensDto {
    /// Shown once; only hashes are stored.
    pub links: Vec<PersonalLinkDto>,
    pub codes: Vec<String>,
}

/// Personal one-time links and printable codes for an open survey.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/tokens", tag = "Bestandsaufnahme",
    params(("id" = i64, Path, description = "Survey id")), request_body = TokensRequestDto,
    responses((status = 200, body = TokensDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn tokens(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<TokensRequestDto>,
) -> Result<Json<TokensDto>, ApiError> {
    let survey = state.store.survey(id).await?;
    if survey.status != store::survey::SurveyStatus::Open {
        return Err(AppError::Conflict("Die Umfrage läuft nicht.".into()).into());
    }
    if body.codes > MAX_CODES {
        return Err(
            AppError::invalid("codes", format!("Höchstens {MAX_CODES} Codes auf einmal.")).into(),
        );
    }
    let known: std::collections::HashSet<i64> = state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| u.id)
        .collect();
    if let Some(bad) = body.user_ids.iter().find(|id| !known.contains(id)) {
        return Err(AppError::invalid(
            "user_ids",
            format!("Kein aktives Konto mit der Nummer {bad}."),
        )
        .into());
    }
    let links = state
        .store
        .create_personal_tokens(&cu.actor(), id, &body.user_ids)
        .await?
        .into_iter()
        .map(|t| PersonalLinkDto {
            user_id: t.user_id,
            url: participation_url(&state, &t.token),
        })
        .collect();
    let codes = if body.codes > 0 {
        state
            .store
            .create_survey_codes(&cu.actor(), id, body.codes)
            .await?
    } else {
        Vec::new()
    };
    Ok(Json(TokensDto { links, codes }))
}

#[derive(Serialize, ToSchema)]
pub struct ResultsDto {
    /// Schema `survey-results.schema.json`; hidden figures are `null`.
    #[schema(value_type = Object)]
    pub results: serde_json::Value,
    /// Self-assessed competency levels against role targets, per department.
    #[schema(value_type = Option<Object>)]
    pub competency_gaps: Option<serde_json::Value>,
}

/// Anonymous results of a closed survey, by department.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/results", tag = "Bestandsaufnahme",
    params(("id" = i64, Path, description = "Survey id")),
    responses((status = 200, body = ResultsDto), (status = 409, body = ErrorBody)))]
pub async fn results(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<ResultsDto>, ApiError> {
    let survey = state.store.survey(id).await?;
    let c = compute_results(&state, &survey).await?;
    Ok(Json(ResultsDto {
        results: serde_json::to_value(&c.results).unwrap_or_default(),
        competency_gaps: c.gaps.and_then(|g| serde_json::to_value(g).ok()),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct AnswerErrorDto {
    pub field: String,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct AnswerRejectedDto {
    pub error: crate::error::ErrorDetail,
    /// Every problem, per field.
    pub errors: Vec<AnswerErrorDto>,
}

/// Answers with a personal link's token or a code: answers by question id
/// (`{"frage": "option"}`, arrays for multiple choice, objects for a
/// matrix). Nothing is stored unless all answers are valid; a token answers
/// once.
#[utoipa::path(post, path = "/api/v1/participation/{token}", tag = "Bestandsaufnahme",
    params(("token" = String, Path, description = "Token of a personal link, or a code")),
    responses((status = 201, description = "Gespeichert, ohne Verbindung zum Token"), (status = 400, body = AnswerRejectedDto), (status = 409, body = ErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ApiJson(input): ApiJson<BTreeMap<String, serde_json::Value>>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let refused = || {
        AppError::Conflict(
            "Dieser Link oder Code ist nicht gültig oder wurde schon benutzt; jede Person kann nur einmal teilnehmen."
                .into(),
        )
    };
    let survey = state
        .store
        .survey_for_token(&token)
        .await?
        .ok_or_else(refused)?;
    if let Some(text) = crate::pages::survey::outside_period(&survey) {
        return Err(AppError::Conflict(text).into());
    }
    let q = questionnaire_of(&survey)?;
    match survey::validate_response(&q, &input, Completeness::Complete) {
        Ok(response) => {
            let json =
                serde_json::to_string(&response).map_err(|e| AppError::Internal(e.to_string()))?;
            match state
                .store
                .submit_response(survey.id, &token, &json)
                .await?
            {
                Ok(()) => Ok(StatusCode::CREATED.into_response()),
                Err(SubmitRefusal::TokenUnknownOrUsed | SubmitRefusal::NotOpen) => {
                    Err(refused().into())
                }
            }
        }
        Err(errors) => {
            let first = errors.first();
            let body = AnswerRejectedDto {
                error: crate::error::ErrorDetail {
                    code: "invalid".into(),
                    message: first.map_or_else(String::new, |e| e.message.clone()),
                    field: first.map(|e| e.field.clone()),
                },
                errors: errors
                    .into_iter()
                    .map(|e| AnswerErrorDto {
                        field: e.field,
                        message: e.message,
                    })
                    .collect(),
            };
            Ok((StatusCode::BAD_REQUEST, Json(body)).into_response())
        }
    }
}
