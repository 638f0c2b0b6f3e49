//! API: use cases (Anwendungsfälle) — list, submit, read, update the canvas
//! (optimistic concurrency: a stale version answers 409) and classify under
//! the EU AI Act with the shipped decision tree.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use journey::usecase::canvas::{Canvas, Intake};
use journey::usecase::model::{Origin, UseCase};
use serde::{Deserialize, Serialize};
use store::usecases::UseCaseRecord;
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::form::key;
use crate::usecases::assessment::apply_classification;
use crate::usecases::content::decision_tree;
use crate::usecases::edit_api::{edit_use_case, invalid_in};
use crate::usecases::intake::new_id;
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct UseCaseSummaryDto {
    pub id: String,
    pub title: String,
    /// `idea`, `assessed`, `approved`, `pilot`, `evaluated`, `operating` or `stopped`.
    pub status: String,
    pub status_label: String,
    pub department: Option<String>,
    /// The risk class of the classification (`minimal`, `high_risk`, …), if any.
    pub risk: Option<String>,
    /// Unix time in seconds.
    pub updated_at: i64,
    pub version: i64,
}

impl From<&UseCaseRecord> for UseCaseSummaryDto {
    fn from(r: &UseCaseRecord) -> Self {
        let uc = &r.use_case;
        UseCaseSummaryDto {
            id: uc.id.clone(),
            title: uc.intake.title.clone(),
            status: key(uc.status),
            status_label: uc.status.label().to_owned(),
            department: uc.intake.department.clone(),
            risk: uc.classification.as_ref().map(|c| key(c.risk)),
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UseCaseDto {
    pub id: String,
    /// Send this back when changing the use case.
    pub version: i64,
    /// Unix time in seconds.
    pub updated_at: i64,
    /// The use case as in the exchange format (`schemas/usecase.schema.json`,
    /// the `use_case` member).
    #[schema(value_type = Object)]
    pub use_case: UseCase,
    /// Canvas fields still empty, in German.
    pub missing_fields: Vec<String>,
    /// The entry for the public AI register, once written.
    #[schema(value_type = Option<Object>)]
    pub register: Option<journey::usecase::register::RegisterEntry>,
}

impl From<UseCaseRecord> for UseCaseDto {
    fn from(r: UseCaseRecord) -> Self {
        UseCaseDto {
            id: r.use_case.id.clone(),
            version: r.version,
            updated_at: r.updated_at,
            missing_fields: r
                .use_case
                .canvas
                .missing_fields()
                .iter()
                .map(ToString::to_string)
                .collect(),
            use_case: r.use_case,
            register: r.register,
        }
    }
}

/// All use cases, most recently changed first.
#[utoipa::path(get, path = "/api/v1/usecases", tag = "Anwendungsfälle",
    responses((status = 200, body = [UseCaseSummaryDto]), (status = 401, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<UseCaseSummaryDto>>, ApiError> {
    let records = state.store.use_cases().await?;
    Ok(Json(records.iter().map(UseCaseSummaryDto::from).collect()))
}

/// The department as given (trimmed; blank is none), refused naming
/// `department` unless the municipality's profile has it.
pub async fn known_department(
    state: &AppState,
    department: Option<&str>,
) -> Result<Option<String>, AppError> {
    let Some(d) = department.map(str::trim).filter(|d| !d.is_empty()) else {
        return Ok(None);
    };
    let known = state
        .store
        .profile()
        .await?
        .is_some_and(|(p, _)| p.departments.iter().any(|x| x.name == d));
    if known {
        Ok(Some(d.to_owned()))
    } else {
        Err(AppError::invalid(
            "department",
            format!("Den Fachbereich „{d}“ gibt es im Profil der Kommune nicht."),
        ))
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeDto {
    #[schema(pattern = "\\S")]
    pub title: String,
    #[schema(pattern = "\\S")]
    pub problem: String,
    #[serde(default)]
    pub current_process: String,
    #[serde(default)]
    pub affected: String,
    #[serde(default)]
    pub data: String,
    #[serde(default)]
    pub expected_benefit: String,
    #[serde(default)]
    pub volume: String,
    #[serde(default)]
    // u32 is documented as int32 by default, which caps it at 2^31 - 1.
    #[schema(format = Int64, minimum = 0, maximum = 4294967295_u64)]
    pub cases_per_year: Option<u32>,
    /// One of the municipality's departments.
    #[serde(default)]
    pub department: Option<String>,
}

/// Submits an idea.
#[utoipa::path(post, path = "/api/v1/usecases", tag = "Anwendungsfälle", request_body = IntakeDto,
    responses((status = 201, body = UseCaseDto), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<IntakeDto>,
) -> Result<(StatusCode, Json<UseCaseDto>), ApiError> {
    let department = known_department(&state, body.department.as_deref()).await?;
    let intake = Intake {
        title: body.title.trim().to_owned(),
        problem: body.problem.trim().to_owned(),
        current_process: body.current_process.trim().to_owned(),
        affected: body.affected.trim().to_owned(),
        data: body.data.trim().to_owned(),
        expected_benefit: body.expected_benefit.trim().to_owned(),
        volume: body.volume.trim().to_owned(),
        cases_per_year: body.cases_per_year,
        department,
    };
    let field = if intake.title.is_empty() {
        "title"
    } else {
        "problem"
    };
    let uc = UseCase::new(&new_id(), intake, Origin::Own)
        .map_err(|e| AppError::invalid(field, e.to_string()))?;
    let record = state.store.create_use_case(&cu.actor(), &uc).await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// One use case with everything recorded about it.
#[utoipa::path(get, path = "/api/v1/usecases/{id}", tag = "Anwendungsfälle",
    params(("id" = String, Path, description = "Kennung des Anwendungsfalls")),
    responses((status = 200, body = UseCaseDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<UseCaseDto>, ApiError> {
    Ok(Json(state.store.use_case(&id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CanvasUpdateDto {
    /// The canvas as in the exchange format.
    #[schema(value_type = Object)]
    pub canvas: serde_json::Value,
    /// The version last seen; a different current version answers 409.
    pub version: i64,
}

/// Replaces the canvas of a use case.
#[utoipa::path(put, path = "/api/v1/usecases/{id}/canvas", tag = "Anwendungsfälle",
    params(("id" = String, Path, description = "Kennung des Anwendungsfalls")),
    request_body = CanvasUpdateDto,
    responses((status = 200, body = UseCaseDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_canvas(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CanvasUpdateDto>,
) -> Result<Json<UseCaseDto>, ApiError> {
    let saved = edit_use_case(&state, &cu, &id, body.version, |uc| {
        let canvas: Canvas = serde_json::from_value(body.canvas).map_err(|e| {
            AppError::invalid("canvas", format!("Der Canvas ist nicht lesbar: {e}"))
        })?;
        canvas.validate().map_err(invalid_in("canvas"))?;
        uc.canvas = canvas;
        Ok("Canvas gespeichert".to_owned())
    })
    .await?;
    Ok(Json(saved.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyDto {
    /// Question id → answer id, from the decision tree
    /// (`content/de/ai-act/entscheidungsbaum.yaml`).
    pub answers: BTreeMap<String, String>,
    /// The version last seen; a different current version answers 409.
    pub version: i64,
}

/// Classifies a use case under the EU AI Act and stores the answers as the
/// audit trail. Answers that do not reach a conclusion answer 422 naming the
/// open question.
#[utoipa::path(post, path = "/api/v1/usecases/{id}/classification", tag = "Anwendungsfälle",
    params(("id" = String, Path, description = "Kennung des Anwendungsfalls")),
    request_body = ClassifyDto,
    responses((status = 200, body = UseCaseDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn classify(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ClassifyDto>,
) -> Result<Json<UseCaseDto>, ApiError> {
    let tree = decision_tree()?;
    let saved = edit_use_case(&state, &cu, &id, body.version, |uc| {
        apply_classification(tree, uc, &body.answers).map_err(invalid_in("answers"))
    })
    .await?;
    Ok(Json(saved.into()))
}
