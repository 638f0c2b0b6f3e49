//! The public AI register (KI-Register): the use cases the municipality has
//! chosen to publish, as a page without login and as JSON and CSV. Fields
//! marked internal never leave the portal here.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use journey::usecase::register::{register_csv, register_json, RegisterEntry};

use crate::auth::Identity;
use crate::error::{AppError, PageError};
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

pub struct EntryView {
    pub name: String,
    pub fields: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "usecases/ai_register.html")]
struct RegisterPage {
    layout: Layout,
    municipality: String,
    entries: Vec<EntryView>,
}

async fn entries(state: &AppState) -> Result<Vec<RegisterEntry>, AppError> {
    Ok(state.store.published_register().await?)
}

pub async fn show(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Response, PageError> {
    let municipality = state
        .store
        .profile()
        .await?
        .map(|(p, _)| p.name)
        .unwrap_or_default();
    let entries = entries(&state)
        .await?
        .iter()
        .map(|e| EntryView {
            name: e.name.clone(),
            fields: e
                .public_fields()
                .into_iter()
                .filter(|(f, text)| {
                    *f != journey::usecase::register::RegisterField::Name && !text.is_empty()
                })
                .map(|(f, text)| (f.label(), text))
                .collect(),
        })
        .collect();
    let csrf = identity
        .session
        .as_ref()
        .map(|s| s.csrf.clone())
        .unwrap_or_default();
    render(&RegisterPage {
        layout: Layout::anonymous("KI-Register", csrf),
        municipality,
        entries,
    })
}

fn download(content_type: &'static str, name: &'static str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_DISPOSITION,
                if name.ends_with(".csv") {
                    "attachment; filename=\"ki-register.csv\""
                } else {
                    "inline; filename=\"ki-register.json\""
                },
            ),
        ],
        body,
    )
        .into_response()
}

pub async fn json(State(state): State<AppState>) -> Result<Response, PageError> {
    let body = register_json(&entries(&state).await?)
        .map_err(|e| AppError::internal("write the AI register as JSON", e))?;
    Ok(download("application/json", "ki-register.json", body))
}

pub async fn csv(State(state): State<AppState>) -> Result<Response, PageError> {
    let body = register_csv(&entries(&state).await?)
        .map_err(|e| AppError::internal("write the AI register as CSV", e))?;
    Ok(download("text/csv; charset=utf-8", "ki-register.csv", body))
}
