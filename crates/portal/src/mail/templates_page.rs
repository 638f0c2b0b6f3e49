//! Editing the German mail templates: subject and body per kind, with the
//! placeholders the kind offers; a refused text stays in the form with the
//! reason beside it. "Zurücksetzen" returns to the built-in default.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::templates::{self, Kind};
use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::text_input::Form;
use crate::view::{render, Layout};
use crate::AppState;

struct TemplateView {
    slug: &'static str,
    label: &'static str,
    placeholders: Vec<(String, &'static str)>,
    subject: String,
    body: String,
    edited: bool,
    error: String,
}

#[derive(Template)]
#[template(path = "mail/templates.html")]
struct TemplatesPage {
    layout: Layout,
    kinds: Vec<TemplateView>,
}

async fn views(state: &AppState) -> Result<Vec<TemplateView>, AppError> {
    let mut out = Vec::new();
    for kind in templates::KINDS {
        let text = templates::text(&state.store, *kind).await?;
        out.push(view(*kind, text.subject, text.body, text.edited));
    }
    Ok(out)
}

fn view(kind: Kind, subject: String, body: String, edited: bool) -> TemplateView {
    TemplateView {
        slug: kind.slug,
        label: kind.label,
        placeholders: kind
            .placeholders
            .iter()
            .map(|(p, what)| (format!("{{{p}}}"), *what))
            .collect(),
        subject,
        body,
        edited,
        error: String::new(),
    }
}

pub async fn page(State(state): State<AppState>, cu: CurrentUser) -> Result<Response, PageError> {
    render(&TemplatesPage {
        layout: Layout::for_user(&state, &cu, "E-Mail-Vorlagen", "/umfrage").await,
        kinds: views(&state).await?,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TemplateForm {
    subject: String,
    body: String,
    /// `zuruecksetzen`: back to the default.
    action: String,
}

pub async fn save(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(slug): Path<String>,
    Form(form): Form<TemplateForm>,
) -> Result<Response, PageError> {
    let kind = templates::kind(&slug).ok_or(AppError::NotFound)?;
    if form.action == "zuruecksetzen" {
        state
            .store
            .set_mail_template(&cu.actor(), kind.slug, None)
            .await?;
        return Ok(Redirect::to("/e-mail/vorlagen").into_response());
    }
    let saved = templates::save(&state.store, &cu.actor(), kind, &form.subject, &form.body).await?;
    if let Err((_, error)) = saved {
        let subject = form.subject.trim().to_string();
        let body = form.body.replace("\r\n", "\n");
        let mut kinds = views(&state).await?;
        for v in kinds.iter_mut().filter(|v| v.slug == kind.slug) {
            *v = TemplateView {
                error: error.clone(),
                ..view(kind, subject.clone(), body.clone(), v.edited)
            };
        }
        let layout = Layout::for_user(&state, &cu, "E-Mail-Vorlagen", "/umfrage")
            .await
            .with_flash("error", "Die Vorlage wurde nicht gespeichert.");
        let mut response = render(&TemplatesPage { layout, kinds })?;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    }
    Ok(Redirect::to("/e-mail/vorlagen").into_response())
}
