//! API keys for the Vergleichstest's targets, kept write-only in the portal:
//! a spec written in the portal names no key and no environment variable;
//! the run takes the key stored under the target's name, and only when the
//! spec's address is the one stored with it. The page shows "hinterlegt",
//! never the key.

use crate::text_input::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::keys::save_key;
use super::page::list_page;
use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::view::render;
use crate::AppState;

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
