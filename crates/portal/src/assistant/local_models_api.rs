//! API twin of "Lokale Modelle" on the gateway's settings page: the GGUF
//! files in the data folder and which of them `ki-reise serve` loads as
//! chat and embedding model at its next start.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::assistant::local_models;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalModelsDto {
    /// The chat model's file name, one of `files`; null: none.
    pub model: Option<String>,
    /// The embedding model's file name, one of `files`; null: none.
    pub embedding_model: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LocalModelsStateDto {
    #[serde(flatten)]
    pub chosen: LocalModelsDto,
    /// The GGUF files in the data folder's `models/`
    /// (`ki-reise model add` puts them there).
    pub files: Vec<String>,
}

async fn current(state: &AppState) -> Result<LocalModelsStateDto, ApiError> {
    Ok(LocalModelsStateDto {
        chosen: LocalModelsDto {
            model: state.store.local_model().await?,
            embedding_model: state.store.local_embedding_model().await?,
        },
        files: local_models::files(state),
    })
}

/// The local models chosen and the files to choose from.
#[utoipa::path(get, path = "/api/v1/gateway/local-models", tag = "Assistent",
    responses((status = 200, body = LocalModelsStateDto)))]
pub async fn get_local_models(
    State(state): State<AppState>,
) -> Result<Json<LocalModelsStateDto>, ApiError> {
    Ok(Json(current(&state).await?))
}

/// Chooses the local chat and embedding models (the same file may serve
/// both); they are loaded at the next start.
#[utoipa::path(put, path = "/api/v1/gateway/local-models", tag = "Assistent",
    request_body = LocalModelsDto,
    responses((status = 200, body = LocalModelsStateDto), (status = 422, body = ErrorBody)))]
pub async fn put_local_models(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<LocalModelsDto>,
) -> Result<Json<LocalModelsStateDto>, ApiError> {
    local_models::choose(
        &state,
        &cu,
        body.model.as_deref(),
        Some(body.embedding_model.as_deref()),
    )
    .await?;
    Ok(Json(current(&state).await?))
}
