//! The shared assistants of the KI-Assistent, kept by the project team.

use crate::text_input::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use journey::policy::DataClass;
use serde::Deserialize;

use crate::assistant::assistants::{save as save_assistant, Draft};
use crate::assistant::page::{assistants, NAV};
use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::FieldErrors;
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

struct Row {
    id: i64,
    name: String,
    description: String,
    system_prompt: String,
    class: String,
}

#[derive(askama::Template)]
#[template(path = "assistant/assistants.html")]
struct Page {
    layout: Layout,
    rows: Vec<Row>,
    classes: Vec<(&'static str, &'static str)>,
    errors: FieldErrors,
    form_error: String,
    draft_name: String,
    draft_description: String,
    draft_prompt: String,
}

async fn page(state: &AppState, cu: &CurrentUser) -> Result<Page, AppError> {
    Ok(Page {
        layout: Layout::for_user(state, cu, "Assistenten verwalten", NAV).await,
        rows: assistants(state)
            .await?
            .into_iter()
            .map(|a| Row {
                id: a.id,
                name: a.name,
                description: a.description,
                system_prompt: a.system_prompt,
                class: a.data_class.unwrap_or_default(),
            })
            .collect(),
        classes: DataClass::ALL
            .into_iter()
            .map(|c| (c.slug(), c.label()))
            .collect(),
        errors: FieldErrors::new(),
        form_error: String::new(),
        draft_name: String::new(),
        draft_description: String::new(),
        draft_prompt: String::new(),
    })
}

pub async fn list(State(state): State<AppState>, cu: CurrentUser) -> Result<Response, PageError> {
    render(&page(&state, &cu).await?)
}

#[derive(Deserialize)]
pub struct AssistantForm {
    #[serde(default)]
    id: String,
    name: String,
    #[serde(default)]
    description: String,
    system_prompt: String,
    #[serde(default)]
    class: String,
    #[serde(default)]
    delete: String,
}

pub async fn save(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<AssistantForm>,
) -> Result<Response, PageError> {
    let id = form.id.trim().parse::<i64>().ok();
    if let (Some(id), false) = (id, form.delete.is_empty()) {
        state.store.delete_assistant(&cu.actor(), id).await?;
        return Ok(Redirect::to("/assistent/assistenten?geloescht=1").into_response());
    }
    let draft = Draft {
        name: &form.name,
        description: &form.description,
        system_prompt: &form.system_prompt,
        class: &form.class,
    };
    let refusal = match save_assistant(&state, &cu, id, &draft).await? {
        Ok(_) => return Ok(Redirect::to("/assistent/assistenten?gespeichert=1").into_response()),
        Err(refusal) => refusal,
    };
    let mut errors = FieldErrors::new();
    for (field, message) in refusal.fields() {
        match id {
            Some(id) => errors.insert(format!("{field}-{id}"), message),
            None => errors.insert(field, message),
        }
    }
    let mut p = page(&state, &cu).await?;
    if id.is_none() {
        p.draft_name = form.name;
        p.draft_description = form.description;
        p.draft_prompt = form.system_prompt;
    }
    p.errors = errors;
    p.form_error = "Bitte prüfen Sie die markierten Felder. Nichts wurde gespeichert.".into();
    let mut response = render(&p)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}
