//! API: answers and results of the Bestandsaufnahme. Staff (or a program
//! acting for them) read the questionnaire behind a link or code, keep
//! unfinished answers and submit once; the project team types in paper
//! forms and reads anonymous results; administrators export the anonymised
//! answers.
//!
//! A bad answer is refused with 400 and every problem by field, nothing
//! stored. Answering is the hot path of a survey (a whole department
//! follows the same mail): one query finds the survey behind the token,
//! the questionnaire comes parsed from [`super::questionnaire::questionnaire_for`],
//! and the store commits answers that arrive together at once.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use journey::survey::filter::Filter;
use journey::survey::response::{input_from_form, AnswerError, ResponseInput};
use serde::{Deserialize, Serialize};
use store::survey::SurveyStatus;
use utoipa::{IntoParams, ToSchema};

use super::answering::{self, open_ballot, privacy_notice, Ballot, Outcome, Refusal};
use super::results::{anonymised_answers, compute_results_for};
use crate::auth::CurrentUser;
use crate::download::download;
use crate::error::{ApiError, AppError, ErrorBody, ErrorDetail};
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
    /// Every problem, per field; absent where the body itself could not
    /// be read (then `error` alone says why).
    #[serde(default)]
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
            link: None,
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

/// The ballot behind a token, open and inside its period; otherwise 409
/// with the reason.
async fn answerable(state: &AppState, token: &str) -> Result<Ballot, AppError> {
    open_ballot(state, token).await?.map_err(refusal)
}

fn refusal(refusal: Refusal) -> AppError {
    match refusal {
        Refusal::UnknownOrUsed => AppError::Conflict(REFUSED.into()),
        Refusal::OutsidePeriod(text) => AppError::Conflict(text),
    }
}

/// The API's answer to how storing answers ended.
fn outcome(outcome: Outcome, stored: StatusCode) -> Result<Response, ApiError> {
    match outcome {
        Outcome::Stored => Ok(stored.into_response()),
        Outcome::Invalid(errors) => Ok(answer_errors(errors)),
        Outcome::Refused(r) => Err(refusal(r).into()),
    }
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
    security(()),
    params(("token" = String, Path, description = "Token of a personal link, or a code")),
    responses((status = 200, body = ParticipationDto), (status = 409, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<ParticipationDto>, ApiError> {
    let ballot = answerable(&state, &token).await?;
    let q = &ballot.questionnaire;
    let survey = state.store.survey(ballot.survey_id).await?;
    let draft = match answering::kept_draft(&state, &token).await? {
        Some(pairs) => Some(
            serde_json::to_value(input_from_form(q, &pairs))
                .map_err(|e| AppError::internal("serialise a kept draft", e))?,
        ),
        None => None,
    };
    Ok(Json(ParticipationDto {
        title: q.title.clone(),
        privacy_notice: privacy_notice(&state, survey.min_group_size)
            .await?
            .into_iter()
            .map(|(heading, text)| if heading { format!("# {text}") } else { text })
            .collect(),
        questionnaire: serde_json::to_value(&**q)
            .map_err(|e| AppError::internal("serialise the questionnaire", e))?,
        draft,
    }))
}

/// Answers with a personal link's token or a code: answers by question id
/// (`{"frage": "option"}`, arrays for multiple choice, objects for a
/// matrix). Nothing is stored unless all answers are valid; a token answers
/// once. 201 means the answer is stored durably.
#[utoipa::path(post, path = "/api/v1/participation/{token}", tag = "Bestandsaufnahme",
    security(()),
    params(("token" = String, Path, description = "Token of a personal link, or a code")),
    request_body(content = Object, description = "Answers by question id"),
    responses((status = 201, description = "Gespeichert, ohne Verbindung zum Token"),
        (status = 400, body = AnswerRejectedDto), (status = 409, body = ErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let ballot = answerable(&state, &token).await?;
    let input = match answers_of(&body) {
        Ok(input) => input,
        Err(problem) => return Ok(rejected(vec![problem])),
    };
    outcome(
        answering::submit(&state, &token, &ballot, &input).await?,
        StatusCode::CREATED,
    )
}

/// Keeps unfinished answers under the token, to continue later (personal
/// links and codes alike); replaces what was kept before. Required
/// questions may stay open, wrong answers are refused.
#[utoipa::path(put, path = "/api/v1/participation/{token}/draft", tag = "Bestandsaufnahme",
    security(()),
    params(("token" = String, Path, description = "Token of a personal link, or a code")),
    request_body(content = Object, description = "Answers by question id, possibly incomplete"),
    responses((status = 204, description = "Zwischengespeichert"),
        (status = 400, body = AnswerRejectedDto), (status = 409, body = ErrorBody)))]
pub async fn save_draft(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let ballot = answerable(&state, &token).await?;
    let input = match answers_of(&body) {
        Ok(input) => input,
        Err(problem) => return Ok(rejected(vec![problem])),
    };
    outcome(
        answering::keep_draft(&state, &token, &ballot, &input, None).await?,
        StatusCode::NO_CONTENT,
    )
}

/// Stores the answers of one returned paper form. Checked like the answer
/// page checks them, except that required questions may be empty (what is
/// on paper counts). The audit log notes the entry, never its content.
#[derive(Serialize, ToSchema)]
pub struct OwnLinkDto {
    /// The personal token: answer with `GET`/`POST /api/v1/participation/{token}`.
    pub token: String,
    /// The same as a page in the browser.
    pub url: String,
}

/// The caller takes part: a fresh personal link (an older unused one stops
/// working). 409 outside an open survey and once the caller has answered.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/participation", tag = "Bestandsaufnahme",
    params(("id" = i64, Path, description = "Nummer der Umfrage")),
    responses((status = 201, body = OwnLinkDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn own_link(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<OwnLinkDto>), ApiError> {
    let token = answering::own_token(&state, &cu, id).await?;
    let url = format!(
        "{}/teilnahme/{token}",
        state.config.public_url.trim_end_matches('/')
    );
    Ok((StatusCode::CREATED, Json(OwnLinkDto { token, url })))
}

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
    let survey = answering::paper_survey(&state, id).await?;
    let input = match answers_of(&body) {
        Ok(input) => input,
        Err(problem) => return Ok(rejected(vec![problem])),
    };
    match answering::submit_paper(&state, &cu, &survey, &input).await? {
        Outcome::Refused(_) => Err(AppError::Conflict(answering::PAPER_NOT_OPEN.into()).into()),
        other => outcome(other, StatusCode::CREATED),
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
        results: serde_json::to_value(&c.results)
            .map_err(|e| AppError::internal("serialise survey results", e))?,
        competency_gaps: c
            .gaps
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| AppError::internal("serialise competency gaps", e))?,
    }))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct AnswersParams {
    /// `true` (or `1`) adds the free texts (they may identify people; off
    /// by default); anything but `true`, `false`, `1`, `0` or nothing is
    /// refused (422).
    #[param(pattern = "^(true|false|1|0)?$")]
    pub free_texts: String,
}

/// The anonymised answers of a closed survey as CSV (UTF-8, RFC 4180), one
/// row per answer in content order, with department and kind of role
/// coarsened until every combination occurs at least k times
/// (administrators only).
#[utoipa::path(get, path = "/api/v1/surveys/{id}/answers", tag = "Bestandsaufnahme",
    params(("id" = i64, Path, description = "Survey id"), AnswersParams),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
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
    let export = anonymised_answers(&state, &cu, id, include_free_texts).await?;
    Ok(download(
        "text/csv; charset=utf-8",
        export.file_name,
        export.csv,
    ))
}
