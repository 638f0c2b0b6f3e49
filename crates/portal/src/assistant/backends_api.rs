//! API twin of "Backends" on the gateway's settings page: the remote
//! OpenAI-compatible backends kept in the portal. Keys are write-only.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use journey::policy::Reach;
use serde::{Deserialize, Serialize};
use store::gateway_backends::StoredBackend;
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::assistant::backends::{self, BackendDraft};
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BackendInputDto {
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: String,
    /// Base addresses up to `/v1`, http(s), e.g. `https://vllm.intern/v1`;
    /// more than one are used in turn.
    #[schema(min_items = 1)]
    pub urls: Vec<String>,
    /// The models as the backend names them.
    #[schema(min_items = 1)]
    pub models: Vec<String>,
    /// Longest wait for an answer, 1 to 3600 seconds.
    #[schema(minimum = 1, maximum = 3600)]
    pub timeout_secs: i64,
    /// Where it runs: `local`, `private-cloud` or `public-cloud`; decides
    /// which data classes may go there.
    #[schema(pattern = "^(local|private-cloud|public-cloud)$")]
    pub reach: String,
    /// The bearer key for the backend. On a change: left out or null keeps
    /// the stored key, "" removes it.
    #[serde(default)]
    pub api_key: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BackendDto {
    pub id: i64,
    pub name: String,
    pub urls: Vec<String>,
    pub models: Vec<String>,
    pub timeout_secs: i64,
    pub reach: String,
    /// Whether a key is stored (it is never shown).
    pub has_key: bool,
}

impl From<StoredBackend> for BackendDto {
    fn from(b: StoredBackend) -> Self {
        BackendDto {
            id: b.id,
            name: b.name,
            urls: b.urls,
            models: b.models,
            timeout_secs: b.timeout_secs,
            reach: b.reach,
            has_key: b.api_key.is_some_and(|k| !k.is_empty()),
        }
    }
}

/// The backends kept in the portal (those of the config file are not
/// listed and their names are taken).
#[utoipa::path(get, path = "/api/v1/gateway/backends", tag = "Assistent",
    responses((status = 200, body = [BackendDto])))]
pub async fn list_backends(
    State(state): State<AppState>,
) -> Result<Json<Vec<BackendDto>>, ApiError> {
    let list = state.store.gateway_backends().await?;
    Ok(Json(list.into_iter().map(BackendDto::from).collect()))
}

async fn saved(
    state: &AppState,
    cu: &CurrentUser,
    id: Option<i64>,
    body: &BackendInputDto,
) -> Result<BackendDto, ApiError> {
    let trimmed = |list: &[String]| -> Vec<String> {
        list.iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let (urls, models) = (trimmed(&body.urls), trimmed(&body.models));
    let draft = BackendDraft {
        name: &body.name,
        urls: &urls,
        models: &models,
        timeout_secs: Some(body.timeout_secs),
        reach: body.reach.parse::<Reach>().ok(),
        api_key: body.api_key.as_deref().map(str::trim),
    };
    backends::save(state, cu, id, &draft)
        .await
        .map_err(|e| match e {
            // The API's name of the field.
            AppError::Invalid {
                field: Some(f),
                message,
            } if f == "timeout" => AppError::invalid("timeout_secs", message),
            e => e,
        })?;
    let name = body.name.trim();
    let list = state.store.gateway_backends().await?;
    let stored = list
        .into_iter()
        .find(|b| b.name == name)
        .ok_or(AppError::NotFound)?;
    Ok(stored.into())
}

/// Adds a backend; it takes requests from the next one on.
#[utoipa::path(post, path = "/api/v1/gateway/backends", tag = "Assistent",
    request_body = BackendInputDto,
    responses((status = 201, body = BackendDto), (status = 422, body = ErrorBody)))]
pub async fn create_backend(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<BackendInputDto>,
) -> Result<(StatusCode, Json<BackendDto>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(saved(&state, &cu, None, &body).await?),
    ))
}

/// Changes a backend.
#[utoipa::path(put, path = "/api/v1/gateway/backends/{id}", tag = "Assistent",
    params(("id" = i64, Path, description = "Nummer des Backends")),
    request_body = BackendInputDto,
    responses((status = 200, body = BackendDto), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_backend(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<BackendInputDto>,
) -> Result<Json<BackendDto>, ApiError> {
    if !state
        .store
        .gateway_backends()
        .await?
        .iter()
        .any(|b| b.id == id)
    {
        return Err(AppError::NotFound.into());
    }
    Ok(Json(saved(&state, &cu, Some(id), &body).await?))
}

/// Deletes a backend.
#[utoipa::path(delete, path = "/api/v1/gateway/backends/{id}", tag = "Assistent",
    params(("id" = i64, Path, description = "Nummer des Backends")),
    responses((status = 204, description = "Gelöscht"), (status = 404, body = ErrorBody)))]
pub async fn delete_backend(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    backends::delete(&state, &cu, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
