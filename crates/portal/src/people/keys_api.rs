//! API: the caller's own API keys, as on the page "Mein Konto": list them,
//! create one (its secret is shown once, in this answer), revoke one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use store::api_keys::ApiKey;
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct ApiKeyDto {
    pub id: i64,
    pub name: String,
    /// The first characters of the key, to tell keys apart.
    pub prefix: String,
    /// Unix time in seconds.
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked: bool,
}

impl From<ApiKey> for ApiKeyDto {
    fn from(k: ApiKey) -> Self {
        ApiKeyDto {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked: k.revoked,
        }
    }
}

/// The caller's keys, newest first; never their secrets.
#[utoipa::path(get, path = "/api/v1/me/keys", tag = "Konten",
    responses((status = 200, body = [ApiKeyDto])))]
pub async fn list(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Json<Vec<ApiKeyDto>>, ApiError> {
    let keys = state.store.api_keys_of(cu.user.id).await?;
    Ok(Json(keys.into_iter().map(ApiKeyDto::from).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKeyDto {
    /// At most 100 characters, no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedApiKeyDto {
    #[serde(flatten)]
    pub key: ApiKeyDto,
    /// The key itself: shown only in this answer, stored only as a hash.
    pub secret: String,
}

/// Creates a key for the caller.
#[utoipa::path(post, path = "/api/v1/me/keys", tag = "Konten", request_body = NewApiKeyDto,
    responses((status = 201, body = CreatedApiKeyDto), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<NewApiKeyDto>,
) -> Result<(StatusCode, Json<CreatedApiKeyDto>), ApiError> {
    let mut errors = Vec::new();
    journey::profile::check_text("name", &body.name, true, 100, &mut errors);
    if let Some(e) = errors.into_iter().next() {
        return Err(AppError::invalid(e.field, e.message).into());
    }
    let (key, secret) = state
        .store
        .create_api_key(&cu.actor(), &cu.user, &body.name)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKeyDto {
            key: key.into(),
            secret,
        }),
    ))
}

/// Revokes one of the caller's keys; it is refused from the next request on.
#[utoipa::path(delete, path = "/api/v1/me/keys/{id}", tag = "Konten",
    params(("id" = i64, Path, description = "Nummer des Schlüssels")),
    responses((status = 204, description = "Widerrufen"), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .revoke_api_key(&cu.actor(), &cu.user, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
