//! API: the Vergleichstest. Starting a run takes the same checks as the
//! page (`super::runs::launch`); target keys are write-only here too.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::runs::launch;
use super::{allowed_hosts, keys, task_sets};
use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
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
    let id = launch(&state, &body.spec).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(RunStartedDto {
            page: format!("/vergleichstest/{id}"),
            id,
        }),
    ))
}

/// Stops a run after the request in flight; its report is written as
/// partial. Runs started before the server's last start are not known.
#[utoipa::path(post, path = "/api/v1/bench/runs/{id}/cancel", tag = "Vergleichstest",
    params(("id" = String, Path, description = "Kennung des Laufs")),
    responses((status = 202, description = "Der Lauf hält an"), (status = 404, body = ErrorBody)))]
pub async fn cancel_run(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    super::runs::cancel(&state, &id)?;
    Ok(StatusCode::ACCEPTED)
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
        keys::key_rows(&state)
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
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub target: String,
    /// The only address the key is sent to (up to and including `/v1`):
    /// `http://` or `https://`, a host name or IPv4 address, an optional
    /// port and path; no credentials, query or fragment.
    #[schema(
        max_length = 2000,
        pattern = "^https?://(([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?|((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]))(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}|0))?(/[^\\s\\x00-\\x1F\\x7F-\\x9F?#\\\\]*)?$"
    )]
    pub base_url: String,
    /// At most 4096 bytes, no control characters or line breaks.
    #[schema(
        min_length = 1,
        max_length = 4096,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
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
    keys::save_key(&state, &cu, &body.target, &body.base_url, &body.api_key).await?;
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

#[derive(Serialize, ToSchema)]
pub struct TaskSetDto {
    /// The id a spec names in `task:`.
    pub id: String,
    pub title: String,
    /// routing, extraction, summary, plain_language or qa.
    pub kind: String,
    pub items: i64,
}

/// The task sets uploaded in the portal.
#[utoipa::path(get, path = "/api/v1/bench/task-sets", tag = "Vergleichstest",
    responses((status = 200, body = [TaskSetDto]), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn list_task_sets(
    State(state): State<AppState>,
) -> Result<Json<Vec<TaskSetDto>>, ApiError> {
    Ok(Json(
        task_sets::rows(&state)
            .await?
            .into_iter()
            .map(|r| TaskSetDto {
                id: r.id,
                title: r.title,
                kind: r.kind,
                items: r.items,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadTaskSetDto {
    /// The task file in YAML (`schemas/bench-tasks.schema.json`), at most
    /// 512 KB; stored under the `id` it declares (not a built-in id).
    pub content: String,
}

/// Uploads (or replaces) a task set; errors name the place in the file,
/// never its content.
#[utoipa::path(post, path = "/api/v1/bench/task-sets", tag = "Vergleichstest",
    request_body = UploadTaskSetDto,
    responses((status = 201, body = TaskSetDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_task_set(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<UploadTaskSetDto>,
) -> Result<(StatusCode, Json<TaskSetDto>), ApiError> {
    let id = task_sets::upload(&state, &cu, body.content.as_bytes()).await?;
    let row = task_sets::rows(&state)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(AppError::NotFound)?;
    Ok((
        StatusCode::CREATED,
        Json(TaskSetDto {
            id: row.id,
            title: row.title,
            kind: row.kind,
            items: row.items,
        }),
    ))
}

/// Deletes an uploaded task set.
#[utoipa::path(delete, path = "/api/v1/bench/task-sets/{id}", tag = "Vergleichstest",
    params(("id" = String, Path, description = "Kennung der Aufgaben")),
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_task_set(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.store.delete_bench_task_set(&cu.actor(), &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound.into())
    }
}

#[derive(Serialize, ToSchema)]
pub struct AllowedHostsDto {
    /// Hosts (`vllm.intern`) or hosts with port (`127.0.0.1:8000`) that a
    /// target's `base_url` may address; an empty list allows none.
    pub hosts: Vec<String>,
    /// In answers: true while the administrator has set no list and the
    /// default (the KI-Gateway's backends and ki-reise's own address)
    /// applies. Ignored in requests.
    pub is_default: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowedHostsInput {
    /// At most 100 hosts (`vllm.intern`, `10.0.0.5`) or hosts with port
    /// (`127.0.0.1:8000`), each at most 255 characters; an empty list allows
    /// none.
    #[schema(schema_with = host_entries)]
    pub hosts: Vec<String>,
    /// As in the answer; ignored.
    #[serde(default)]
    pub is_default: bool,
}

/// What `allowed_hosts::parse_entries` takes. IPv6 addresses in brackets
/// are taken too but not described: the pattern would have to state the
/// whole IPv6 grammar.
fn host_entries() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .max_items(Some(100))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(255))
                .pattern(Some(
                    "^(([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?|((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]))(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}|0))?$",
                )),
        )
        .build()
}

/// The hosts Vergleichstest targets may address.
#[utoipa::path(get, path = "/api/v1/bench/allowed-hosts", tag = "Vergleichstest",
    responses((status = 200, body = AllowedHostsDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn allowed_hosts(
    State(state): State<AppState>,
) -> Result<Json<AllowedHostsDto>, ApiError> {
    let list = allowed_hosts::in_force(&state).await?;
    Ok(Json(AllowedHostsDto {
        hosts: list.entries,
        is_default: list.is_default,
    }))
}

/// Sets the hosts Vergleichstest targets may address (administrators).
#[utoipa::path(put, path = "/api/v1/bench/allowed-hosts", tag = "Vergleichstest",
    request_body = AllowedHostsInput,
    responses((status = 200, body = AllowedHostsDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_allowed_hosts(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<AllowedHostsInput>,
) -> Result<Json<AllowedHostsDto>, ApiError> {
    // One entry per item: the page's one-a-line text would otherwise let
    // an item hold several entries or none.
    if let Some(bad) = body
        .hosts
        .iter()
        .find(|h| h.trim().is_empty() || h.contains(['\n', '\r']))
    {
        return Err(AppError::invalid(
            "hosts",
            format!("„{}“ ist kein Rechnername. Bitte je Eintrag einen Rechner angeben, z. B. vllm.intern oder 127.0.0.1:8000.", bad.trim()),
        )
        .into());
    }
    let hosts = allowed_hosts::parse_entries(&body.hosts.join("\n"))
        .map_err(|m| AppError::invalid("hosts", m))?;
    state
        .store
        .set_bench_allowed_hosts(&cu.actor(), Some(&hosts))
        .await?;
    Ok(Json(AllowedHostsDto {
        hosts,
        is_default: false,
    }))
}
