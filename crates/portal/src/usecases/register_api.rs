//! API: a use case beyond this municipality. Its entry in the public AI
//! register (fields after the Dutch algorithm register standard, each of
//! which can be kept internal), and the exchange format: export one use
//! case, import another municipality's with its classification answers.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use journey::usecase::register::RegisterField;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::usecases::api::UseCaseDto;
use crate::usecases::intake::import_use_case;
use crate::usecases::register::{register_entry, register_problems, save_register_entry};
use crate::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterUpdateDto {
    /// Under 100 characters.
    pub name: String,
    /// Plain language, under 350 characters.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub contact: String,
    /// Whether the entry appears on `/ki-register` and in its exports.
    #[serde(default)]
    pub published: bool,
    /// Fields never shown publicly: `description`, `purpose`, `department`,
    /// `ai_kind`, `risk_class`, `human_oversight`, `data_sources`,
    /// `contact`, `status` (the name is always public).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub internal: BTreeSet<RegisterField>,
    /// Legal basis of the processing.
    #[serde(default)]
    pub legal_basis: String,
    /// Data-protection impact assessment: done, when, link.
    #[serde(default)]
    pub dpia: String,
    /// Fundamental-rights impact assessment (Art. 27 KI-VO): done, when, link.
    #[serde(default)]
    pub fria: String,
    #[serde(default)]
    pub supplier: String,
    /// Risks and their mitigations.
    #[serde(default)]
    pub risks: String,
    /// How the system is checked for discrimination.
    #[serde(default)]
    pub non_discrimination: String,
    /// How to object or appeal.
    #[serde(default)]
    pub objection: String,
    /// `2027-01-14` or `14.01.2027`; empty: none.
    #[serde(default)]
    pub start_date: String,
    #[serde(default)]
    pub end_date: String,
    #[serde(default)]
    pub monitoring: String,
    /// http(s) addresses: more information, source code.
    #[serde(default)]
    pub links: Vec<String>,
    /// The version last seen; a different current version answers 409.
    pub version: i64,
}

impl RegisterUpdateDto {
    fn written(&self) -> Vec<(RegisterField, String)> {
        use RegisterField as F;
        vec![
            (F::LegalBasis, self.legal_basis.clone()),
            (F::Dpia, self.dpia.clone()),
            (F::Fria, self.fria.clone()),
            (F::Supplier, self.supplier.clone()),
            (F::Risks, self.risks.clone()),
            (F::NonDiscrimination, self.non_discrimination.clone()),
            (F::Objection, self.objection.clone()),
            (F::StartDate, self.start_date.clone()),
            (F::EndDate, self.end_date.clone()),
            (F::Monitoring, self.monitoring.clone()),
            (F::Links, self.links.join("\n")),
        ]
    }
}

/// Writes the register entry of a use case; purpose, department, kind of
/// AI, risk class, oversight, data sources and status follow from the use
/// case itself. The `register` member of the answer is the entry.
#[utoipa::path(put, path = "/api/v1/usecases/{id}/register", tag = "Anwendungsfälle",
    params(("id" = String, Path, description = "Kennung des Anwendungsfalls")),
    request_body = RegisterUpdateDto,
    responses((status = 200, body = UseCaseDto), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RegisterUpdateDto>,
) -> Result<Json<UseCaseDto>, ApiError> {
    let record = state.store.use_case(&id).await?;
    let entry = register_entry(
        &record.use_case,
        &body.name,
        &body.description,
        &body.contact,
        body.published,
        body.internal.clone(),
        &body.written(),
    );
    if let Some((field, message)) = register_problems(&entry).into_iter().next() {
        return Err(AppError::invalid(field, message).into());
    }
    let saved = save_register_entry(&state, &cu, &record.use_case, &entry, body.version).await?;
    Ok(Json(saved.into()))
}

/// One use case in the exchange format (`schemas/usecase.schema.json`),
/// for another municipality to import.
#[utoipa::path(get, path = "/api/v1/usecases/{id}/export", tag = "Anwendungsfälle",
    params(("id" = String, Path, description = "Kennung des Anwendungsfalls")),
    responses((status = 200, content_type = "application/json", body = Object),
        (status = 404, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let record = state.store.use_case(&id).await?;
    let json = record
        .use_case
        .export_json()
        .map_err(|e| AppError::internal("export a use case as JSON", e))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportDto {
    /// What `GET …/export` gave on the other instance.
    #[schema(value_type = Object)]
    pub export: serde_json::Value,
    /// Where it comes from, e.g. „Stadt Halle (Saale)“.
    #[serde(default)]
    pub from: String,
}

/// Imports another municipality's use case as a new idea, marked as
/// imported; its classification answers are kept and walked through this
/// instance's decision tree again.
#[utoipa::path(post, path = "/api/v1/usecases/import", tag = "Anwendungsfälle",
    request_body = ImportDto,
    responses((status = 201, body = UseCaseDto), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<ImportDto>,
) -> Result<(StatusCode, Json<UseCaseDto>), ApiError> {
    let saved = import_use_case(&state, &cu, &body.export.to_string(), &body.from)
        .await
        .map_err(|e| match e {
            AppError::Invalid { message, .. } => AppError::invalid("export", message),
            other => other,
        })?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}
