//! API: use cases that start from something already there. The library of
//! about twenty use cases seen in German municipalities (shipped as data),
//! one of which can be adopted as a new use case with its canvas and
//! classification, and free-text answers of the survey, each of which the
//! project team can take over as an idea with one call.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use journey::usecase::canvas::Intake;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::form::key;
use crate::usecases::api::{known_department, UseCaseDto};
use crate::usecases::content::{decision_tree, library};
use crate::usecases::intake::{adopt_from_library, idea_from_survey};
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct LibraryEntryDto {
    /// Use it to adopt the entry.
    pub key: String,
    pub title: String,
    pub problem: String,
    /// Where it was seen, e.g. „MUCGPT (München)“.
    pub seen_at: Vec<String>,
    /// The intake as in the exchange format.
    #[schema(value_type = Object)]
    pub intake: Intake,
    /// The conclusion of the decision tree its preset answers reach.
    pub expected_conclusion: String,
    pub expected_conclusion_label: String,
    /// The risk class of that conclusion (`minimal`, `high_risk`, …).
    pub expected_risk: Option<String>,
    /// Why it is classified so.
    pub rationale: String,
}

/// The library of use cases seen in German municipalities, as shipped.
#[utoipa::path(get, path = "/api/v1/usecases/library", tag = "Anwendungsfälle",
    responses((status = 200, body = [LibraryEntryDto]), (status = 403, body = ErrorBody)))]
pub async fn library_list() -> Result<Json<Vec<LibraryEntryDto>>, ApiError> {
    let tree = decision_tree()?;
    Ok(Json(
        library()?
            .entries
            .iter()
            .map(|e| {
                let expected = &e.classification.expected;
                let conclusion = tree.conclusion(expected);
                LibraryEntryDto {
                    key: e.id.clone(),
                    title: e.intake.title.clone(),
                    problem: e.intake.problem.clone(),
                    seen_at: e.seen_at.clone(),
                    intake: e.intake.clone(),
                    expected_conclusion: expected.clone(),
                    expected_conclusion_label: conclusion
                        .map_or_else(|| expected.clone(), |c| c.label.clone()),
                    expected_risk: conclusion.map(|c| key(c.risk)),
                    rationale: e.classification.rationale.clone(),
                }
            })
            .collect(),
    ))
}

/// Adopts a library entry as a new use case (status idea, marked as from
/// the library): intake and canvas are copied, the preset answers are
/// classified with the current decision tree.
#[utoipa::path(post, path = "/api/v1/usecases/library/{id}/adopt", tag = "Anwendungsfälle",
    params(("id" = String, Path, description = "Schlüssel des Eintrags der Bibliothek (`key`)")),
    responses((status = 201, body = UseCaseDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn adopt(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(key): Path<String>,
) -> Result<(StatusCode, Json<UseCaseDto>), ApiError> {
    let record = adopt_from_library(&state, &cu, &key).await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyIdeaDto {
    /// The free-text answer, as the survey results show it (1 to 5000
    /// characters). Its first sentence becomes the title.
    #[schema(min_length = 1, max_length = 5000, pattern = "\\S")]
    pub text: String,
    /// One of the municipality's departments.
    #[serde(default)]
    pub department: Option<String>,
}

/// Takes a free-text answer of the survey over as a new idea, marked as
/// coming from the survey. The answer stays anonymous.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/ideas", tag = "Anwendungsfälle",
    params(("id" = i64, Path, description = "Kennung der Umfrage")),
    request_body = SurveyIdeaDto,
    responses((status = 201, body = UseCaseDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn survey_idea(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(survey): Path<i64>,
    ApiJson(body): ApiJson<SurveyIdeaDto>,
) -> Result<(StatusCode, Json<UseCaseDto>), ApiError> {
    let department = known_department(&state, body.department.as_deref()).await?;
    let record = idea_from_survey(&state, &cu, survey, &body.text, department.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}
