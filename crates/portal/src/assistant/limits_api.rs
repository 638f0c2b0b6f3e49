//! API twins of the page "Kontingente und Schlüssel": token quotas per
//! person, team or department, and each API key's gateway settings.
//! Adapters over [`super::limits`].

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use store::usage::{QuotaPeriod, QuotaScope};
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::assistant::limits::{self, KeyLimits};
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::AppState;

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaInputDto {
    /// `user`, `team` or `department`.
    #[schema(pattern = "^(user|team|department)$")]
    pub scope: String,
    /// The person's account number (as text), the team's name or the
    /// department's name.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub subject: String,
    /// `day` or `month`.
    #[schema(pattern = "^(day|month)$")]
    pub period: String,
    /// Tokens per period; 0 closes the gateway for the subject.
    #[schema(minimum = 0)]
    pub max_tokens: i64,
}

#[derive(Serialize, ToSchema)]
pub struct QuotaDto {
    pub id: i64,
    #[serde(flatten)]
    pub quota: QuotaInputDto,
}

/// The quotas in force.
#[utoipa::path(get, path = "/api/v1/gateway/quotas", tag = "Assistent",
    responses((status = 200, body = [QuotaDto])))]
pub async fn quotas(State(state): State<AppState>) -> Result<Json<Vec<QuotaDto>>, ApiError> {
    let quotas = state.store.quotas().await?;
    Ok(Json(
        quotas
            .into_iter()
            .map(|q| QuotaDto {
                id: q.id,
                quota: QuotaInputDto {
                    scope: q.scope.slug().to_string(),
                    subject: q.subject,
                    period: q.period.slug().to_string(),
                    max_tokens: q.max_tokens,
                },
            })
            .collect(),
    ))
}

/// Sets a quota, replacing the one for the same subject and period.
#[utoipa::path(put, path = "/api/v1/gateway/quotas", tag = "Assistent",
    request_body = QuotaInputDto,
    responses((status = 200, body = [QuotaDto], description = "Die Kontingente danach"),
        (status = 422, body = ErrorBody)))]
pub async fn set_quota(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<QuotaInputDto>,
) -> Result<Json<Vec<QuotaDto>>, ApiError> {
    let scope = QuotaScope::parse(&body.scope).ok_or_else(|| {
        AppError::invalid(
            "scope",
            "Unbekannte Art des Kontingents; erlaubt: user, team, department.",
        )
    })?;
    let period = QuotaPeriod::parse(&body.period)
        .ok_or_else(|| AppError::invalid("period", "Bitte „day“ oder „month“ angeben."))?;
    limits::set_quota(&state, &cu, scope, &body.subject, period, body.max_tokens).await?;
    quotas(State(state)).await
}

/// Deletes a quota.
#[utoipa::path(delete, path = "/api/v1/gateway/quotas/{id}", tag = "Assistent",
    params(("id" = i64, Path, description = "Nummer des Kontingents")),
    responses((status = 204, description = "Gelöscht"), (status = 404, body = ErrorBody)))]
pub async fn delete_quota(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    limits::delete_quota(&state, &cu, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyLimitsDto {
    /// Default data class of the key's requests: `public`, `internal`,
    /// `confidential`, `personal` or `special_categories`; null: the rule
    /// set's default.
    #[serde(default)]
    #[schema(pattern = "^(public|internal|confidential|personal|special_categories)$")]
    pub data_class: Option<String>,
    /// The team whose quota the key counts against; empty: none.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub team: String,
    /// Requests per minute; null: the gateway's default.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100000)]
    pub requests_per_minute: Option<i64>,
}

/// Sets an API key's default data class, team and rate limit (any key;
/// the key itself is never shown).
#[utoipa::path(put, path = "/api/v1/gateway/keys/{id}", tag = "Assistent",
    params(("id" = i64, Path, description = "Nummer des API-Schlüssels")),
    request_body = KeyLimitsDto,
    responses((status = 204, description = "Gespeichert"), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_key_limits(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<KeyLimitsDto>,
) -> Result<StatusCode, ApiError> {
    let per_minute = body
        .requests_per_minute
        .map(|n| n.to_string())
        .unwrap_or_default();
    let sent = KeyLimits {
        class: body.data_class.as_deref().unwrap_or_default(),
        team: &body.team,
        per_minute: &per_minute,
    };
    limits::set_key_limits(&state, &cu, id, &sent)
        .await
        .map_err(|e| match e {
            // The API's names of the two fields.
            AppError::Invalid {
                field: Some(f),
                message,
            } if f == "class" || f == "per_minute" => AppError::invalid(
                if f == "class" {
                    "data_class"
                } else {
                    "requests_per_minute"
                },
                message,
            ),
            e => e,
        })?;
    Ok(StatusCode::NO_CONTENT)
}
