//! The Vergleichstest page's forms for uploaded task sets (project team)
//! and the list of hosts targets may address (administrators). Errors are
//! shown beside the field on the list page, with what was typed kept.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::page::list_page;
use super::{allowed_hosts, task_sets};
use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::view::render;
use crate::AppState;

/// The list page with an error beside `field`, answered 422.
async fn refused(
    state: &AppState,
    cu: &CurrentUser,
    field: &str,
    message: String,
    hosts_text: Option<String>,
) -> Result<Response, PageError> {
    let mut page = list_page(state, cu, bench::PORTAL_EXAMPLE_SPEC.to_owned()).await;
    page.errors.insert(field, message);
    if let Some(text) = hosts_text {
        page.hosts_text = text;
    }
    let mut response = render(&page)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

pub async fn upload(
    State(state): State<AppState>,
    cu: CurrentUser,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let mut file: Option<Vec<u8>> = None;
    let incomplete = "Der Upload ist unvollständig; bitte erneut versuchen.".to_owned();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => match field.bytes().await {
                Ok(b) => file = Some(b.to_vec()),
                Err(_) => return refused(&state, &cu, "tasks_file", incomplete, None).await,
            },
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => return refused(&state, &cu, "tasks_file", incomplete, None).await,
        }
    }
    match task_sets::upload(&state, &cu, &file.unwrap_or_default()).await {
        Ok(_) => Ok(Redirect::to("/vergleichstest#aufgaben").into_response()),
        Err(AppError::Invalid { message, .. }) => {
            refused(&state, &cu, "tasks_file", message, None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    id: String,
}

pub async fn delete(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<DeleteForm>,
) -> Result<Response, PageError> {
    if !state
        .store
        .delete_bench_task_set(&cu.actor(), &form.id)
        .await?
    {
        return Err(AppError::NotFound.into());
    }
    Ok(Redirect::to("/vergleichstest#aufgaben").into_response())
}

#[derive(Deserialize)]
pub struct HostsForm {
    #[serde(default)]
    hosts: String,
    /// Set by the "Voreinstellung wiederherstellen" button.
    #[serde(default)]
    reset: String,
}

pub async fn save_hosts(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<HostsForm>,
) -> Result<Response, PageError> {
    if !form.reset.is_empty() {
        state
            .store
            .set_bench_allowed_hosts(&cu.actor(), None)
            .await?;
        return Ok(Redirect::to("/vergleichstest#erlaubte-ziele").into_response());
    }
    match allowed_hosts::parse_entries(&form.hosts) {
        Ok(hosts) => {
            state
                .store
                .set_bench_allowed_hosts(&cu.actor(), Some(&hosts))
                .await?;
            Ok(Redirect::to("/vergleichstest#erlaubte-ziele").into_response())
        }
        Err(message) => refused(&state, &cu, "hosts", message, Some(form.hosts)).await,
    }
}
