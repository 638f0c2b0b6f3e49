//! API twin of "Vorlagensatz importieren": a template set (the zip that
//! `/dokumente/vorlagen/export` gives) replaces the templates with the same
//! ids, all or none.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::CurrentUser;
use crate::documents::templates::{import_set, SetRefusal};
use crate::error::{ApiError, AppError, ErrorBody};
use crate::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SetParams {
    /// The file's name, kept as the templates' origin.
    #[param(min_length = 1, max_length = 255)]
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct ImportedTemplateDto {
    pub id: String,
    pub title: String,
    pub version: String,
}

/// Imports a template set; the body is the zip (at most 2 MB). Every
/// problem of its files is named in the 422 answer's message.
#[utoipa::path(post, path = "/api/v1/document-templates/import", tag = "Dokumente",
    params(SetParams),
    request_body(content = Vec<u8>, content_type = "application/zip",
        description = "Der Vorlagensatz als ZIP-Datei"),
    responses((status = 201, body = [ImportedTemplateDto]), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn import_templates(
    State(state): State<AppState>,
    cu: CurrentUser,
    Query(params): Query<SetParams>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Vec<ImportedTemplateDto>>), ApiError> {
    let body = body.map_err(|e| {
        AppError::invalid("set", format!("Die Datei kam nicht vollständig an: {e}"))
    })?;
    let name = params.name.trim();
    if name.is_empty() || name.chars().count() > 255 {
        return Err(AppError::invalid(
            "name",
            "Bitte den Dateinamen angeben (höchstens 255 Zeichen).",
        )
        .into());
    }
    match import_set(&state, &cu, name, &body).await? {
        Ok(set) => Ok((
            StatusCode::CREATED,
            Json(
                set.into_iter()
                    .map(|t| ImportedTemplateDto {
                        id: t.id,
                        title: t.title,
                        version: t.version,
                    })
                    .collect(),
            ),
        )),
        Err(SetRefusal::TooLarge) => Err(AppError::TooLarge(SetRefusal::TooLarge.message()).into()),
        Err(refusal) => Err(AppError::invalid("set", refusal.message()).into()),
    }
}
