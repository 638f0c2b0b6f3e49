//! The public AI register (KI-Register): the use cases the municipality has
//! chosen to publish, as a page without login and as JSON and CSV. Fields
//! marked internal never leave the portal here.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use journey::usecase::register::{
    is_web_link, register_csv_with_duties, register_json_with_duties, PublicDuties, PublicDuty,
    RegisterEntry, RegisterField,
};

use crate::auth::Identity;
use crate::error::{AppError, PageError};
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

pub struct EntryView {
    pub name: String,
    pub fields: Vec<FieldView>,
    /// The duties the classification lists, with their status; never who
    /// owns them.
    pub duties: Vec<(String, &'static str)>,
}

/// One public field: its label, its text, and the web addresses in it,
/// which the page links (the links field is nothing but addresses).
pub struct FieldView {
    pub label: &'static str,
    pub text: String,
    pub links: Vec<String>,
}

#[derive(Template)]
#[template(path = "usecases/ai_register.html")]
struct RegisterPage {
    layout: Layout,
    municipality: String,
    /// When a published entry last changed, `14.01.2027`; empty: never.
    updated: String,
    entries: Vec<EntryView>,
}

/// A field as the public page shows it: dates in German, web addresses
/// that the text names listed as links.
fn field_view(field: RegisterField, text: String) -> FieldView {
    let dated = matches!(field, RegisterField::StartDate | RegisterField::EndDate);
    let text = if dated && journey::date::is_iso_date(&text) {
        journey::date::german(&text)
    } else {
        text
    };
    let links: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == ';' || c == ',')
        .map(|w| w.trim_end_matches(['.', ')']))
        .filter(|w| is_web_link(w))
        .map(str::to_owned)
        .collect();
    let text = if field == RegisterField::Links {
        String::new()
    } else {
        text
    };
    FieldView {
        label: field.label(),
        text,
        links,
    }
}

async fn entries(state: &AppState) -> Result<Vec<RegisterEntry>, AppError> {
    Ok(state.store.published_register().await?)
}

/// A published use case's duties as the public reads them: title and
/// status of each the classification lists.
async fn public_duties(
    state: &AppState,
    id: &str,
) -> Result<Vec<(String, &'static str)>, AppError> {
    let record = state.store.use_case(id).await?;
    Ok(crate::usecases::duties::synced(state, &record)
        .await?
        .into_iter()
        .filter(|t| t.current)
        .map(|t| (t.title, t.status.label()))
        .collect())
}

/// The duties of every published entry, for the register's files.
async fn duties_of(state: &AppState, entries: &[RegisterEntry]) -> Result<PublicDuties, AppError> {
    let mut all = PublicDuties::new();
    for e in entries.iter().filter(|e| e.published) {
        let duties = public_duties(state, &e.id)
            .await?
            .into_iter()
            .map(|(title, status)| PublicDuty {
                title,
                status: status.to_owned(),
            })
            .collect();
        all.insert(e.id.clone(), duties);
    }
    Ok(all)
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
    let (imprint_url, privacy_url) = state.store.public_links().await?;
    let updated = state
        .store
        .register_updated_at()
        .await?
        .map(|at| journey::date::german(&journey::date::from_unix(at)))
        .unwrap_or_default();
    let mut views = Vec::new();
    for e in entries(&state).await? {
        views.push(EntryView {
            name: e.name.clone(),
            fields: e
                .public_fields()
                .into_iter()
                .filter(|(f, text)| *f != RegisterField::Name && !text.is_empty())
                .map(|(f, text)| field_view(f, text))
                .collect(),
            duties: public_duties(&state, &e.id).await?,
        });
    }
    let entries = views;
    let csrf = identity
        .session
        .as_ref()
        .map(|s| s.csrf.clone())
        .unwrap_or_default();
    let mut layout = Layout::anonymous("KI-Register", csrf);
    if !municipality.is_empty() {
        layout.public_face = Some(crate::view::PublicFace {
            name: municipality.clone(),
            imprint_url,
            privacy_url,
        });
    }
    render(&RegisterPage {
        layout,
        municipality,
        updated,
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
    let entries = entries(&state).await?;
    let body = register_json_with_duties(&entries, &duties_of(&state, &entries).await?)
        .map_err(|e| AppError::internal("write the AI register as JSON", e))?;
    Ok(download("application/json", "ki-register.json", body))
}

pub async fn csv(State(state): State<AppState>) -> Result<Response, PageError> {
    let entries = entries(&state).await?;
    let body = register_csv_with_duties(&entries, &duties_of(&state, &entries).await?)
        .map_err(|e| AppError::internal("write the AI register as CSV", e))?;
    Ok(download("text/csv; charset=utf-8", "ki-register.csv", body))
}
