//! How long the staff chat's texts may stay on the server: the page and the
//! API ask the same question, and both are bound by the adopted
//! KI-Richtlinie's `prompt_retention_days` (0 there means no storage at
//! all). Before any adoption only the technical limit applies.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use store::chat_history::MAX_RETENTION_DAYS;

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::AppState;

/// The most days the adopted policy allows; `None` before adoption.
pub async fn policy_limit(state: &AppState) -> Result<Option<u32>, AppError> {
    let (rules, adopted) = crate::documents::rules::current_rules(state).await?;
    Ok(adopted.then_some(rules.prompt_retention_days))
}

/// Checks a wished retention (`None`: no storage) against the technical
/// limit and the policy; the error is the German sentence for the field.
pub fn check(days: Option<i64>, policy: Option<u32>) -> Result<Option<i64>, String> {
    let Some(d) = days else { return Ok(None) };
    if !(1..=MAX_RETENTION_DAYS).contains(&d) {
        return Err(format!(
            "Bitte eine Aufbewahrungsfrist von 1 bis {MAX_RETENTION_DAYS} Tagen angeben."
        ));
    }
    match policy {
        Some(0) => Err("Die beschlossene KI-Richtlinie sieht keine Speicherung von Eingaben und Antworten vor (Speicherdauer 0 Tage). Bitte lassen Sie die Speicherung aus oder ändern Sie zuerst die Richtlinie.".into()),
        Some(max) if d > i64::from(max) => Err(format!(
            "Die beschlossene KI-Richtlinie erlaubt, Eingaben und Antworten höchstens {max} Tage zu speichern; {d} Tage sind zu lang."
        )),
        _ => Ok(Some(d)),
    }
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
pub struct Retention {
    /// Days chat texts are kept on the server; `null` turns storage off
    /// (and deletes what was stored).
    #[schema(minimum = 1, maximum = 730)]
    pub days: Option<i64>,
}

/// Sets how long chat texts are kept; refused (422, field `days`) above
/// the adopted KI-Richtlinie's retention.
#[utoipa::path(put, path = "/api/v1/gateway/retention", tag = "KI-Gateway",
    request_body = Retention,
    responses((status = 200, body = Retention), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<Retention>,
) -> Result<Response, ApiError> {
    let policy = policy_limit(&state).await?;
    let days = check(body.days, policy).map_err(|m| AppError::invalid("days", m))?;
    state.store.set_chat_retention(&cu.actor(), days).await?;
    Ok(Json(Retention { days }).into_response())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RetentionState {
    pub days: Option<i64>,
    /// The adopted KI-Richtlinie's limit; `null` before adoption.
    pub policy_max_days: Option<u32>,
}

/// How long chat texts are kept now, and what the policy allows.
#[utoipa::path(get, path = "/api/v1/gateway/retention", tag = "KI-Gateway",
    responses((status = 200, body = RetentionState), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn get(State(state): State<AppState>) -> Result<Response, ApiError> {
    let days = state.store.chat_retention_days().await?;
    Ok(Json(RetentionState {
        days,
        policy_max_days: policy_limit(&state).await?,
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_caps_the_retention() {
        assert_eq!(check(None, Some(0)), Ok(None));
        assert_eq!(check(Some(30), None), Ok(Some(30)));
        assert!(check(Some(0), None).is_err());
        assert!(check(Some(5), Some(0))
            .unwrap_err()
            .contains("keine Speicherung"));
        assert_eq!(check(Some(14), Some(14)), Ok(Some(14)));
        assert!(check(Some(15), Some(14))
            .unwrap_err()
            .contains("höchstens 14 Tage"));
    }
}
