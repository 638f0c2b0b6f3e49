//! API: answers and results of the Bestandsaufnahme. Staff (or a program
//! acting for them) read the questionnaire behind a link or code, keep
//! unfinished answers and submit once; the project team types in paper
//! forms and reads anonymous results; administrators export the anonymised
//! answers.
//!
//! A bad answer is refused with 400 and every problem by field, nothing
//! stored. Answering is the hot path of a survey (a whole department
//! follows the same mail): one query finds the survey behind the token,
//! the questionnaire comes parsed from [`crate::pages::survey::questionnaire_for`],
//! and the store commits answers that arrive together at once.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use journey::survey::anonymise::{anonymised_answers_csv, AnswerExportOptions};
use journey::survey::filter::Filter;
use journey::survey::response::{input_from_form, AnswerError, ResponseInput};
use journey::survey::{self, Completeness, Questionnaire};
use serde::{Deserialize, Serialize};
use store::survey::{SubmitRefusal, SurveyStatus};
use utoipa::{IntoParams, ToSchema};

use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody, ErrorDetail};
use crate::pages::survey::{
    compute_results_for, download, outside_days, privacy_notice, questionnaire_for,
    questionnaire_of, stored_responses,
};
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct AnswerErrorDto {
    /// The question id, or `frage.item` for a row of a matrix.
    pub field: String,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct AnswerRejectedDto {
    pub error: ErrorDetail,
    /// Every problem, per field.
    pub errors: Vec<AnswerErrorDto>,
}

/// 400 with every problem; the first is also the error.
fn rejected(errors: Vec<AnswerErrorDto>) -> Response {
    let first = errors.first();
    let body = AnswerRejectedDto {
        error: ErrorDetail {
            code: "invalid".into(),
            message: first.map_or_else(String::new, |e| e.message.clone()),
            field: first.map(|e| e.field.clone()),
        },
        errors,
    };
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

fn answer_errors(errors: Vec<AnswerError>) -> Response {
    rejected(
        errors
            .into_iter()
            .map(|e| AnswerErrorDto {
                field: e.field,
                message: e.message,
            })
            .collect(),
    )
}

/// The answers of a request body: a JSON object by question id. Anything
/// else is refused (400) in the same shape as a wrong answer.
fn answers_of(body: &[u8]) -> Result<ResponseInput, AnswerErrorDto> {
    let problem = |message: String| AnswerErrorDto {
        field: "answers".into(),
        message,
    };
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => Ok(map.into_iter().collect()),
        Ok(_) => Err(problem(
            "Die Antworten müssen ein JSON-Objekt sein: {\"frage\": \"antwort\", …}.".into(),
        )),
        Err(e) => Err(problem(format!("Das JSON ist nicht lesbar: {e}"))),
    }
}

const REFUSED: &str = "Dieser Link oder Code ist nicht gültig oder wurde schon benutzt; jede Person kann nur einmal teilnehmen.";

/// The survey behind a token, open and inside its period, with its
/// questionnaire; otherwise 409 with the reason.
async fn answerable(
    state: &AppState,
    token: &str,
) -> Result<(i64, std::sync::Arc<Questionnaire>), AppError> {
    let gate = state
        .store
        .answer_gate(token)
        .await?
        .ok_or_else(|| AppError::Conflict(REFUSED.into()))?;
    if let Some(text) = outside_days(gate.answer_from.as_deref(), gate.answer_until.as_deref()) {
        return Err(AppError::Conflict(text));
    }
    Ok((gate.id, questionnaire_for(state, &gate).await?))
}

#[derive(Serialize, ToSchema)]
pub struct ParticipationDto {
    pub title: String,
    /// The privacy notice (GDPR Art. 13) to show first, as paragraphs;
    /// headings start with `# `.
    pub privacy_notice: Vec<String>,
    /// The questionnaire to answer (schema `questionnaire.schema.json`).
    #[schema(value_type = Object)]
    pub questionnaire: serde_json::Value,
    /// Answers kept with `PUT …/draft`, in the form they are sent.
    #[schema(value_type = Option<Object>)]
    pub draft: Option<serde_json::Value>,
}

/// What a link or code opens: the privacy notice, the questionnaire and
/// unfinished answers kept earlier. Uses up nothing.
#[utoipa::path(get, path = "/api/v1/participation/{token}", tag = "Bestandsaufnahme",
    params(("token" = String, Path, description = "Token of a personal link, or a code")),
    responses((status = 200, body = ParticipationDto), (status = 409, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<ParticipationDto>, ApiError> {
    let (id, q) = answerable(&state, &token).await?;
    let survey = state.store.survey(id).await?;
    let draft = match state.store.survey_draft(&token).await? {
        Some(json) => {
            let pairs: Vec<(String, String)> = serde_json::from_str(&json).unwrap_or_default();
            Some(serde_json::to_value(input_from_form(&q, &pairs)).unwrap_or_default())
        }
        None => None,
    };
    Ok(Json(ParticipationDto {
        title: q.title.clone(),
        privacy_notice: privacy_notice(&state, survey.min_group_size)
            .await?
            .into_iter()
            .map(|(heading, text)| if heading { format!("# {text}") } else { text })
            .collect(),
        questionnaire: serde_json::to_value(&*q).unwrap_or_default(),
        draft,
    }))
}

/// Answers with a personal link's token or a code: answers by question id
/// (`{"frage": "option"}`, arrays for multiple choice, objects for a
/// matrix). Nothing is stored unless all answers are valid; a token answers
/// once. 201 means the answer is stored durably.
#[utoipa::path(post, path = "/api/v1/participation/{token}", tag = "Bestandsaufnahme",
    params(("token" = String, Path, description = "Token of a personal link, or a code")),
    request_body(content = Object, description = "Answers by question id"),
    responses((status = 201, description = "Gespeichert, ohne Verbindung zum Token"),
        (status = 400, body = AnswerRejectedDto), (status = 409, body = ErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (id, q) = answerable(&state, &token).await?;
    let input = match answers_of(&body) {
        Ok(input) => input,
        Err(problem) => return Ok(rejected(vec![problem])),
    };
    let response = match survey::validate_response(&q, &input, Completeness::Complete) {
        Ok(r) => r,
        Err(errors) => return Ok(answer_errors(errors)),
    };
    let json = serde_json::to_string(&response).map_err(|e| AppError::Internal(e.to_string()))?;
    match state.store.submit_response(id, &token, &json).await? {
        Ok(()) => Ok(StatusCode::CREATED.into_response()),
        Err(SubmitRefusal::TokenUnknownOrUsed | SubmitRefusal::NotOpen) => {
            Err(AppError::Conflict(REFUSED.into()).into())
        }
    }
}

/// Keeps unfinished answers under the token, to continue later (personal
/// links and codes alike); replaces what was kept before. Required
/// questions may stay open, wrong answers are refused.
#[utoipa::path(put, path = "/api/v1/participation/{token}/draft", tag = "Bestandsaufnahme",
    params(("token" = String, Path, description = "Token of a personal link, or a code")),
    request_body(content = Object, description = "Answers by question id, possibly incomplete"),
    responses((status = 204, description = "Zwischengespeichert"),
        (status = 400, body = AnswerRejectedDto), (status = 409, body = ErrorBody)))]
pub async fn save_draft(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (_, q) = answerable(&state, &token).await?;
    let input = match answers_of(&body) {
        Ok(input) => input,
        Err(problem) => return Ok(rejected(vec![problem])),
    };
    let response = match survey::validate_response(&q, &input, Completeness::Draft) {
        Ok(r) => r,
        Err(errors) => return Ok(answer_errors(errors)),
    };
    // Kept as form pairs, the way the answer page keeps drafts, so either
    // can continue what the other saved.
    let json = serde_json::to_string(&response.form_pairs())
        .map_err(|e| AppError::Internal(e.to_string()))?;
    if !state.store.save_survey_draft(&token, &json).await? {
        return Err(AppError::Conflict(REFUSED.into()).into());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Stores the answers of one returned paper form. Checked like the answer
/// page checks them, except that required questions may be empty (what is
/// on paper counts). The audit log notes the entry, never its content.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/paper-answers", tag = "Bestandsaufnahme",
    params(("id" = i64, Path, description = "Survey id")),
    request_body(content = Object, description = "Answers by question id"),
    responses((status = 201, description = "Gespeichert"), (status = 400, body = AnswerRejectedDto),
        (status = 409, body = ErrorBody)))]
pub async fn paper_answer(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let survey = state.store.survey(id).await?;
    let not_open = || {
        AppError::Conflict(
            "Papierantworten lassen sich nur erfassen, solange die Umfrage läuft.".into(),
        )
    };
    if survey.status != SurveyStatus::Open {
        return Err(not_open().into());
    }
    let input = match answers_of(&body) {
        Ok(input) => input,
        Err(problem) => return Ok(rejected(vec![problem])),
    };
    let q = questionnaire_of(&survey)?;
    let response = match survey::validate_response(&q, &input, Completeness::Draft) {
        Ok(r) => r,
        Err(errors) => return Ok(answer_errors(errors)),
    };
    let json = serde_json::to_string(&response).map_err(|e| AppError::Internal(e.to_string()))?;
    match state
        .store
        .submit_paper_response(&cu.actor(), id, &json)
        .await?
    {
        Ok(()) => Ok(StatusCode::CREATED.into_response()),
        Err(_) => Err(not_open().into()),
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct ResultsParams {
    /// Only answers of this department (option id of the department question).
    pub department: String,
    /// Only answers of this kind of role (option id of the role question).
    pub role: String,
}

#[derive(Serialize, ToSchema)]
pub struct ResultsDto {
    /// Schema `survey-results.schema.json`; hidden figures are `null`.
    #[schema(value_type = Object)]
    pub results: serde_json::Value,
    /// Self-assessed competency levels against role targets, per
    /// department (whole survey only).
    #[schema(value_type = Option<Object>)]
    pub competency_gaps: Option<serde_json::Value>,
}

/// Anonymous results of a closed survey, by department; optionally of one
/// department or kind of role only. A filter that would single out a small
/// group is refused (422, naming the filter).
#[utoipa::path(get, path = "/api/v1/surveys/{id}/results", tag = "Bestandsaufnahme",
    params(("id" = i64, Path, description = "Survey id"), ResultsParams),
    responses((status = 200, body = ResultsDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn results(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(params): Query<ResultsParams>,
) -> Result<Json<ResultsDto>, ApiError> {
    let survey = state.store.survey(id).await?;
    let non_empty = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let filter = Filter {
        department: non_empty(&params.department),
        role: non_empty(&params.role),
    };
    let c = match compute_results_for(&state, &survey, &filter).await {
        Err(AppError::Conflict(reason))
            if survey.status == SurveyStatus::Closed && !filter.is_empty() =>
        {
            let field = if filter.department.is_some() {
                "department"
            } else {
                "role"
            };
            return Err(AppError::invalid(field, reason).into());
        }
        other => other?,
    };
    Ok(Json(ResultsDto {
        results: serde_json::to_value(&c.results).unwrap_or_default(),
        competency_gaps: c.gaps.and_then(|g| serde_json::to_value(g).ok()),
    }))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct AnswersParams {
    /// `true` adds the free texts (they may identify people; off by default).
    pub free_texts: String,
}

/// The anonymised answers of a closed survey as CSV (UTF-8, RFC 4180), one
/// row per answer in content order, with department and kind of role
/// coarsened until every combination occurs at least k times
/// (administrators only).
#[utoipa::path(get, path = "/api/v1/surveys/{id}/answers", tag = "Bestandsaufnahme",
    params(("id" = i64, Path, description = "Survey id"), AnswersParams),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 409, body = ErrorBody)))]
pub async fn answers_csv(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Query(params): Query<AnswersParams>,
) -> Result<Response, ApiError> {
    let include_free_texts = match params.free_texts.trim() {
        "" | "false" | "0" => false,
        "true" | "1" => true,
        other => {
            return Err(AppError::invalid(
                "free_texts",
                format!("„{other}“ ist kein Wahrheitswert; bitte true oder false."),
            )
            .into())
        }
    };
    Ok(anonymised_export(&state, &cu, id, include_free_texts).await?)
}

/// The anonymised answer-level CSV of a closed survey, as a download; the
/// export is recorded in the audit log.
pub async fn anonymised_export(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    include_free_texts: bool,
) -> Result<Response, AppError> {
    let survey = state.store.survey(id).await?;
    if survey.status != SurveyStatus::Closed {
        return Err(AppError::Conflict(
            "Antworten gibt es erst, wenn die Umfrage abgeschlossen ist.".into(),
        ));
    }
    let q = questionnaire_of(&survey)?;
    let responses = stored_responses(state, &survey).await?;
    let options = AnswerExportOptions {
        min_group_size: u32::try_from(survey.min_group_size).unwrap_or(5),
        include_free_texts,
    };
    let export = anonymised_answers_csv(&q, &responses, &options)
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    state
        .store
        .record_event(
            &cu.actor(),
            "Anonymisierte Antworten exportiert",
            &format!("Umfrage {id}"),
            &format!("{} Zeilen", export.rows),
        )
        .await?;
    Ok(download(
        "text/csv; charset=utf-8",
        format!("bestandsaufnahme-{id}-antworten.csv"),
        export.csv,
    ))
}
