//! API: the Vergleichstest. Starting a run takes the same checks as the
//! page (`pages::bench_runs::launch`); target keys are write-only here too.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::pages::{bench_keys, bench_runs};
use crate::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRunDto {
    /// The test description in YAML (`schemas/bench-spec.schema.json`). Keys
    /// come from `/api/v1/bench/target-keys`; `api_key`, `api_key_env`,
    /// `task_file` and `local_process` are refused.
    pub spec: String,
}

#[derive(Serialize, ToSchema)]
pub struct RunStartedDto {
    pub id: String,
    /// The run's page, with its progress and, when done, its report files.
    pub page: String,
}

/// Starts a comparison test in the background.
#[utoipa::path(post, path = "/api/v1/bench/runs", tag = "Vergleichstest",
    request_body = StartRunDto,
    responses((status = 202, body = RunStartedDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start_run(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<StartRunDto>,
) -> Result<(StatusCode, Json<RunStartedDto>), ApiError> {
    let id = bench_runs::launch(&state, &body.spec).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(RunStartedDto {
            page: format!("/vergleichstest/{id}"),
            id,
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct TargetKeyDto {
    pub target: String,
    pub base_url: String,
    /// Always true: the key itself is never returned.
    pub stored: bool,
}

/// The targets with a stored key (never the key).
#[utoipa::path(get, path = "/api/v1/bench/target-keys", tag = "Vergleichstest",
    responses((status = 200, body = [TargetKeyDto]), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn list_keys(State(state): State<AppState>) -> Json<Vec<TargetKeyDto>> {
    Json(
        bench_keys::key_rows(&state)
            .await
            .into_iter()
            .map(|k| TargetKeyDto {
                target: k.target,
                base_url: k.base_url,
                stored: true,
            })
            .collect(),
    )
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveTargetKeyDto {
    /// The target's name as in the spec.
    pub target: String,
    /// The only address the key is sent to (up to and including `/v1`).
    pub base_url: String,
    pub api_key: String,
}

/// Stores (or replaces) a target's key, bound to its address.
#[utoipa::path(post, path = "/api/v1/bench/target-keys", tag = "Vergleichstest",
    request_body = SaveTargetKeyDto,
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_key(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<SaveTargetKeyDto>,
) -> Result<StatusCode, ApiError> {
    bench_keys::save_key(&state, &cu, &body.target, &body.base_url, &body.api_key).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a target's key.
#[utoipa::path(delete, path = "/api/v1/bench/target-keys/{target}", tag = "Vergleichstest",
    params(("target" = String, Path, description = "Name des Ziels")),
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_key(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(target): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.store.delete_bench_key(&cu.actor(), &target).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound.into())
    }
}
