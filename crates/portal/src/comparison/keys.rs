//! The keys and URLs of comparison targets, kept by the server: a spec
//! names a target, never a key or a file. Write-only for users.

use std::collections::BTreeMap;

use crate::auth::CurrentUser;
use crate::error::AppError;
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
    let authority = base_url
        .split_once("://")
        .map_or("", |(_, rest)| rest.split('/').next().unwrap_or(""));
    if !super::allowed_hosts::is_written_host(authority) {
        return Err(AppError::invalid(
            "base_url",
            "Der Rechnername der Adresse besteht aus Buchstaben, Ziffern, Bindestrichen und Punkten, oder er ist eine IP-Adresse (z. B. https://vllm.intern/v1 oder http://127.0.0.1:8080/v1).",
        ));
    }
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
