//! The remote OpenAI-compatible backends kept in the portal beside those
//! of the config file, as operations for the settings page and the API.
//! A changed list applies to the next request.

use journey::policy::Reach;
use store::gateway_backends::BackendInput;
use store::StoreError;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;

/// Longest wait for a backend that an administrator can set.
pub const MAX_TIMEOUT_SECS: i64 = 3600;

/// A backend as sent: URLs and models one each, the timeout in seconds,
/// where it runs; `api_key` `None` keeps a stored key, `Some("")` removes
/// it.
pub struct BackendDraft<'a> {
    pub name: &'a str,
    pub urls: &'a [String],
    pub models: &'a [String],
    pub timeout_secs: Option<i64>,
    pub reach: Option<Reach>,
    pub api_key: Option<&'a str>,
}

/// Every problem of `draft`, with its field (`name`, `urls`, `models`,
/// `timeout`, `reach`).
pub fn problems(state: &AppState, draft: &BackendDraft<'_>) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let name = draft.name.trim();
    let reserved = state
        .gateway()
        .map(|g| g.configured_backend_names())
        .unwrap_or_default();
    if name.is_empty() || name.chars().count() > 100 {
        out.push((
            "name",
            "Bitte einen Namen mit höchstens 100 Zeichen angeben.".to_string(),
        ));
    } else if reserved.iter().any(|r| r == name) {
        out.push((
            "name",
            format!("„{name}“ ist schon vergeben (lokales Modell oder Konfigurationsdatei)."),
        ));
    }
    if draft.urls.is_empty() {
        out.push((
            "urls",
            "Bitte mindestens eine Adresse angeben, eine je Zeile, mit http:// oder https:// und bis /v1, z. B. https://vllm.intern/v1.".to_string(),
        ));
    } else if let Some((url, reason)) = draft
        .urls
        .iter()
        .find_map(|u| gateway::check_backend_url(u).err().map(|r| (u, r)))
    {
        out.push(("urls", format!("{url}: {reason}")));
    }
    if draft.models.is_empty() {
        out.push((
            "models",
            "Bitte mindestens ein Modell angeben, eines je Zeile, so wie das Backend es nennt."
                .to_string(),
        ));
    }
    if draft
        .timeout_secs
        .is_none_or(|t| !(1..=MAX_TIMEOUT_SECS).contains(&t))
    {
        out.push((
            "timeout",
            format!("Bitte eine Wartezeit von 1 bis {MAX_TIMEOUT_SECS} Sekunden angeben."),
        ));
    }
    if draft.reach.is_none() {
        out.push(("reach", "Bitte wählen, wo das Backend läuft.".to_string()));
    }
    out
}

/// Adds a backend (`id` `None`) or changes one, and applies the list; the
/// first problem is named, a name in use too.
pub async fn save(
    state: &AppState,
    cu: &CurrentUser,
    id: Option<i64>,
    draft: &BackendDraft<'_>,
) -> Result<(), AppError> {
    if let Some((field, message)) = problems(state, draft).into_iter().next() {
        return Err(AppError::invalid(field, message));
    }
    let (Some(timeout_secs), Some(reach)) = (draft.timeout_secs, draft.reach) else {
        return Err(AppError::Internal(
            "checked backend without timeout or reach".into(),
        ));
    };
    let input = BackendInput {
        name: draft.name.trim(),
        urls: draft.urls,
        api_key: draft.api_key,
        models: draft.models,
        timeout_secs,
        reach: reach.slug(),
    };
    match state
        .store
        .save_gateway_backend(&cu.actor(), id, &input)
        .await
    {
        Ok(()) => {}
        Err(StoreError::Duplicate(msg)) => return Err(AppError::invalid("name", msg)),
        Err(e) => return Err(e.into()),
    }
    apply(state).await
}

/// Deletes a backend and applies the list.
pub async fn delete(state: &AppState, cu: &CurrentUser, id: i64) -> Result<(), AppError> {
    state.store.delete_gateway_backend(&cu.actor(), id).await?;
    apply(state).await
}

/// Hands the stored backends to the running gateway.
async fn apply(state: &AppState) -> Result<(), AppError> {
    match state.gateway() {
        Some(gw) => gw
            .reload_backends()
            .await
            .map_err(|e| AppError::Internal(e.message)),
        None => Ok(()),
    }
}
