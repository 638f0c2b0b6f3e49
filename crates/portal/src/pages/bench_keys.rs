//! API keys for the Vergleichstest's targets, kept write-only in the portal:
//! a spec written in the portal names no key and no environment variable;
//! the run takes the key stored under the target's name, and only when the
//! spec's address is the one stored with it. The page shows "hinterlegt",
//! never the key.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::bench_runs::list_page;
use super::render;
use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::AppState;

/// A stored key as the page lists it.
pub struct KeyRow {
    pub target: String,
    pub base_url: String,
}

pub async fn key_rows(state: &AppState) -> Vec<KeyRow> {
    state
        .store
        .bench_key_entries()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|e| KeyRow {
            target: e.target,
            base_url: e.base_url,
        })
        .collect()
}

/// The stored keys by target name, for [`bench::RunPlan::from_portal`].
pub async fn stored_keys(
    state: &AppState,
) -> Result<BTreeMap<String, bench::StoredTargetKey>, AppError> {
    Ok(state
        .store
        .bench_keys()
        .await?
        .into_iter()
        .map(|k| {
            (
                k.target,
                bench::StoredTargetKey {
                    base_url: k.base_url,
                    api_key: k.api_key,
                },
            )
        })
        .collect())
}

/// Checks and stores a key; page and API share it.
pub async fn save_key(
    state: &AppState,
    cu: &CurrentUser,
    target: &str,
    base_url: &str,
    api_key: &str,
) -> Result<(), AppError> {
    let (target, base_url, api_key) = (target.trim(), base_url.trim(), api_key.trim());
    if target.is_empty() || target.chars().count() > 100 || target.contains('\0') {
        return Err(AppError::invalid(
            "target",
            "Bitte den Namen des Ziels angeben, wie er in der Testbeschreibung steht (höchstens 100 Zeichen).",
        ));
    }
    gateway::check_backend_url(base_url).map_err(|r| AppError::invalid("base_url", r))?;
    if api_key.is_empty() || api_key.len() > 4096 || api_key.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "api_key",
            "Bitte den API-Schlüssel angeben (ohne Zeilenumbrüche, höchstens 4096 Zeichen).",
        ));
    }
    state
        .store
        .save_bench_key(&cu.actor(), target, base_url, api_key)
        .await?;
    Ok(())
}

#[derive(Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    target: String,
    #[serde(default)]
    base_url: String,
    #[serde(default)]
    api_key: String,
}

pub async fn save(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<KeyForm>,
) -> Result<Response, PageError> {
    match save_key(&state, &cu, &form.target, &form.base_url, &form.api_key).await {
        Ok(()) => Ok(Redirect::to("/vergleichstest#schluessel").into_response()),
        Err(AppError::Invalid { field, message }) => {
            let mut page = list_page(&state, &cu, bench::PORTAL_EXAMPLE_SPEC.to_owned()).await;
            page.key_target = form.target;
            page.key_base_url = form.base_url;
            page.errors
                .insert(format!("key_{}", field.unwrap_or_default()), message);
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    target: String,
}

pub async fn delete(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<DeleteForm>,
) -> Result<Response, PageError> {
    if !state
        .store
        .delete_bench_key(&cu.actor(), &form.target)
        .await?
    {
        return Err(AppError::NotFound.into());
    }
    Ok(Redirect::to("/vergleichstest#schluessel").into_response())
}
