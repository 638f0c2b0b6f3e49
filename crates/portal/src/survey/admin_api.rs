//! API: the Bestandsaufnahme, for the project team. Surveys (create from
//! the default questionnaire or an import, copy, edit the questionnaire of
//! a draft with version checks like the browser editor, open, close), the
//! answering period, participation links and codes, and who has not
//! answered yet. Answers and results are in [`super::answers_api`].

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use journey::survey::{self, Questionnaire};
use serde::{Deserialize, Serialize};
use store::survey::Survey;
use utoipa::ToSchema;

use super::answering::{checked_period, participation_url, MAX_CODES};
use super::questionnaire::{
    check_min_group_size, copy_survey, draft_survey, import_report_of, new_survey, open_draft,
    prepare_questionnaire, questionnaire_of, save_questionnaire, Source,
};
use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct SurveyDto {
    pub id: i64,
    pub title: String,
    /// `draft`, `open` or `closed`.
    pub status: String,
    pub min_group_size: i64,
    pub responses: i64,
    /// Personal links made, and how many of them were used (0 once closed:
    /// the links are deleted then).
    pub invited: i64,
    pub invited_answered: i64,
    /// Printed codes made, and how many of them were used.
    pub codes_issued: i64,
    pub codes_used: i64,
    /// First and last day answers are taken (`YYYY-MM-DD`), if limited.
    pub answer_from: Option<String>,
    pub answer_until: Option<String>,
    /// Send this back when changing the questionnaire; it changes with
    /// every change of the survey.
    pub version: i64,
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
        invited: p.invited,
        invited_answered: p.invited_answered,
        codes_issued: p.codes_issued,
        codes_used: p.codes_used,
        answer_from: s.answer_from.clone(),
        answer_until: s.answer_until.clone(),
        version: s.version,
        created_at: s.created_at,
        opened_at: s.opened_at,
        closed_at: s.closed_at,
    })
}

async fn detail(state: &AppState, s: &Survey) -> Result<SurveyDetailDto, ApiError> {
    let q = questionnaire_of(s)?;
    Ok(SurveyDetailDto {
        survey: dto(state, s).await?,
        questionnaire: serde_json::to_value(&q)
            .map_err(|e| AppError::internal("serialise the questionnaire", e))?,
        import_report: import_report_of(s)
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| AppError::internal("serialise the import report", e))?,
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
    #[schema(minimum = 3, maximum = 1000)]
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
            &new_survey(&body.title, &q, report.as_ref(), k)?,
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

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CopyDto {
    /// Defaults to „Kopie von …“.
    pub title: String,
}

/// A new draft with the questionnaire and group size of this survey (of
/// any status), ready to edit.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/copy", tag = "Bestandsaufnahme",
    params(("id" = i64, Path, description = "Survey id")), request_body = CopyDto,
    responses((status = 201, body = SurveyDetailDto), (status = 404, body = ErrorBody)))]
pub async fn copy(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<CopyDto>,
) -> Result<(StatusCode, Json<SurveyDetailDto>), ApiError> {
    let copy = copy_survey(&state, &cu, id, Some(&body.title)).await?;
    Ok((StatusCode::CREATED, Json(detail(&state, &copy).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionnaireUpdateDto {
    /// The whole questionnaire (schema `questionnaire.schema.json`).
    #[schema(value_type = Object)]
    pub questionnaire: serde_json::Value,
    /// The survey's `version` the change starts from; if the survey changed
    /// since, the answer is 409 and nothing is stored.
    pub version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ProblemDto {
    /// `questionnaire`, or `questionnaire.<question id>` where one question
    /// is to blame.
    pub field: String,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct QuestionnaireRejectedDto {
    pub error: crate::error::ErrorDetail,
    /// Every problem found; absent where the body itself could not be
    /// read (then `error` alone says why).
    #[serde(default)]
    pub errors: Vec<ProblemDto>,
}

/// 422 with every problem of a questionnaire, the first as the error.
fn questionnaire_problems(problems: Vec<ProblemDto>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let first = problems.first();
    let body = QuestionnaireRejectedDto {
        error: crate::error::ErrorDetail {
            code: "invalid".into(),
            message: first.map_or_else(String::new, |p| p.message.clone()),
            field: first.map(|p| p.field.clone()),
            link: None,
        },
        errors: problems,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// Replaces the questionnaire of a survey in preparation, like the editor's
/// „Speichern“: checked as a whole, stored only without problems.
#[utoipa::path(put, path = "/api/v1/surveys/{id}/questionnaire", tag = "Bestandsaufnahme",
    params(("id" = i64, Path, description = "Survey id")), request_body = QuestionnaireUpdateDto,
    responses((status = 200, body = SurveyDetailDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = QuestionnaireRejectedDto)))]
pub async fn update_questionnaire(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<QuestionnaireUpdateDto>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    draft_survey(&state, id).await?;
    let q: Questionnaire = match serde_json::from_value(body.questionnaire) {
        Ok(q) => q,
        Err(e) => {
            return Ok(questionnaire_problems(vec![ProblemDto {
                field: "questionnaire".into(),
                message: format!("Der Fragebogen ist nicht lesbar: {e}"),
            }]))
        }
    };
    let issues = survey::validate_questionnaire(&q);
    if !issues.is_empty() {
        return Ok(questionnaire_problems(
            issues
                .into_iter()
                .map(|i| ProblemDto {
                    field: i
                        .question
                        .map_or_else(|| "questionnaire".into(), |q| format!("questionnaire.{q}")),
                    message: i.message,
                })
                .collect(),
        ));
    }
    let saved = save_questionnaire(&state, &cu, id, body.version, &q).await?;
    Ok(Json(detail(&state, &saved).await?).into_response())
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PeriodDto {
    /// First day answers are taken, `YYYY-MM-DD`; absent or empty: no limit.
    #[schema(schema_with = crate::api::date_or_none)]
    pub answer_from: Option<String>,
    /// Last day answers are taken (inclusive), not before the first.
    #[schema(schema_with = crate::api::date_or_none)]
    pub answer_until: Option<String>,
}

/// Sets the days on which answers are taken (not for closed surveys).
#[utoipa::path(put, path = "/api/v1/surveys/{id}/period", tag = "Bestandsaufnahme",
    params(("id" = i64, Path, description = "Survey id")), request_body = PeriodDto,
    responses((status = 200, body = SurveyDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_period(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<PeriodDto>,
) -> Result<Json<SurveyDto>, ApiError> {
    let (from, until) = checked_period(
        body.answer_from.as_deref().unwrap_or(""),
        body.answer_until.as_deref().unwrap_or(""),
    )?;
    let survey = state
        .store
        .set_survey_period(&cu.actor(), id, from.as_deref(), until.as_deref())
        .await?;
    Ok(Json(dto(&state, &survey).await?))
}

#[derive(Serialize, ToSchema)]
pub struct PendingPersonDto {
    pub user_id: i64,
    pub name: String,
    pub email: String,
}

/// Who got a personal link and has not answered yet, for reminders. Only
/// while the survey runs; what anyone answered is never known.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/reminders", tag = "Bestandsaufnahme",
    params(("id" = i64, Path, description = "Survey id")),
    responses((status = 200, body = [PendingPersonDto]), (status = 409, body = ErrorBody)))]
pub async fn reminders(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<PendingPersonDto>>, ApiError> {
    let survey = state.store.survey(id).await?;
    if survey.status != store::survey::SurveyStatus::Open {
        return Err(AppError::Conflict(
            "Erinnerungen gibt es nur für eine laufende Umfrage.".into(),
        )
        .into());
    }
    let users: HashMap<i64, store::users::User> = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    Ok(Json(
        state
            .store
            .survey_pending_user_ids(id)
            .await?
            .into_iter()
            .filter_map(|id| users.get(&id))
            .map(|u| PendingPersonDto {
                user_id: u.id,
                name: u.name.clone(),
                email: u.email.clone(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMailBody {
    /// `invitation`: every active account that has not taken part;
    /// `reminder`: only those invited whose link is still unused.
    #[schema(pattern = "^(invitation|reminder)$")]
    pub kind: String,
}

#[derive(Serialize, ToSchema)]
pub struct MailQueuedDto {
    /// Messages queued now (none twice for a person whose message of this
    /// kind is still waiting).
    pub queued: usize,
    pub message: String,
}

/// Queues survey invitations or reminders by e-mail; a background job
/// sends them in batches (progress and failures: `GET /api/v1/mail`).
#[utoipa::path(post, path = "/api/v1/surveys/{id}/mail", tag = "Bestandsaufnahme",
    params(("id" = i64, Path, description = "Survey id")),
    request_body = SendMailBody,
    responses((status = 202, body = MailQueuedDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn send_mail(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<SendMailBody>,
) -> Result<(StatusCode, Json<MailQueuedDto>), ApiError> {
    let which = super::mailing::SurveyMail::parse(&body.kind)
        .ok_or_else(|| AppError::invalid("kind", "Bitte „invitation“ oder „reminder“ angeben."))?;
    let survey = state.store.survey(id).await?;
    let queued = super::mailing::queue(&state, &cu, &survey, which).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(MailQueuedDto {
            queued,
            message: super::mailing::queued_message(which, queued),
        }),
    ))
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
    let survey = open_draft(&state, &cu, &survey).await?;
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
    /// How many printable one-time codes to make (at most 2000).
    #[serde(default)]
    #[schema(maximum = 2000)]
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
