//! Paper and time: the printable paper form, the project team typing in
//! the answers of returned paper forms, and the answering period.
//!
//! A paper answer goes straight into the anonymous answers (the paper was
//! the one-time form); it is checked like a draft, since on paper a
//! required question can stay empty and what is on paper is what counts.

use crate::text_input::Form;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::answer_page::{answer_page, answer_problems, form_view, Filled, SectionForm};
use super::answering::{checked_period, paper_survey, privacy_notice, submit_paper, Outcome};
use super::questionnaire::questionnaire_of;
use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::FieldErrors;
use crate::view::{render, Layout};
use crate::AppState;

#[derive(Template)]
#[template(path = "survey/paper.html")]
struct PaperPage {
    layout: Layout,
    id: i64,
    title: String,
    description: String,
    notice: Vec<(bool, String)>,
    sections: Vec<SectionForm>,
}

/// The whole questionnaire on one page, for printing (print CSS hides the
/// portal around it).
pub async fn print_form(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let survey = state.store.survey(id).await?;
    let q = questionnaire_of(&survey)?;
    render(&PaperPage {
        layout: Layout::for_user(&state, &cu, "Papierfragebogen", "/umfrage").await,
        id,
        title: q.title.clone(),
        description: q.description.clone().unwrap_or_default(),
        notice: privacy_notice(&state, survey.min_group_size).await?,
        sections: form_view(&q, &[], &FieldErrors::new()),
    })
}

fn entry_action(id: i64) -> String {
    format!("/umfrage/{id}/papier/erfassen")
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EntryQuery {
    /// Set after a paper answer was stored (redirect after POST).
    gespeichert: String,
}

/// The empty entry form; after a stored paper answer it says so, with the
/// survey's count of answers.
pub async fn entry_form(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<EntryQuery>,
) -> Result<Response, PageError> {
    let survey = paper_survey(&state, id).await?;
    let mut layout = Layout::for_user(&state, &cu, "Papierantwort erfassen", "/umfrage").await;
    if !q.gespeichert.is_empty() {
        let count = state.store.participation(&survey).await?.responses;
        layout = layout.with_flash(
            "ok",
            format!("Papierantwort gespeichert. Die Umfrage hat jetzt {count} Antworten. Das Formular ist leer für den nächsten Bogen."),
        );
    }
    answer_page(
        &state,
        layout,
        &survey,
        entry_action(id),
        true,
        Filled::with(&[]),
    )
    .await
}

/// Stores one paper answer and leads to the empty form again (redirect
/// after POST: reloading never stores the same sheet twice).
pub async fn entry_submit(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let survey = paper_survey(&state, id).await?;
    let q = questionnaire_of(&survey)?;
    let input = journey::survey::response::input_from_form(&q, &pairs);
    let layout = Layout::for_user(&state, &cu, "Papierantwort erfassen", "/umfrage").await;
    match submit_paper(&state, &cu, &survey, &input).await? {
        Outcome::Stored => {
            Ok(Redirect::to(&format!("{}?gespeichert=1", entry_action(id))).into_response())
        }
        Outcome::Refused(_) => {
            Err(AppError::Conflict("Die Umfrage läuft nicht mehr.".into()).into())
        }
        Outcome::Invalid(errs) => {
            let (errors, summary) = answer_problems(&q, errs);
            let mut response = answer_page(
                &state,
                layout,
                &survey,
                entry_action(id),
                true,
                Filled {
                    pairs: &pairs,
                    errors: &errors,
                    summary,
                },
            )
            .await?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PeriodForm {
    answer_from: String,
    answer_until: String,
}

/// Sets the days on which answers are taken; empty fields lift a limit.
pub async fn set_period(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<PeriodForm>,
) -> Result<Response, PageError> {
    let (from, until) = match checked_period(&form.answer_from, &form.answer_until) {
        Ok(period) => period,
        Err(AppError::Invalid { message, .. }) => {
            // Said beside the dates, with the dates as typed.
            let survey = state.store.survey(id).await?;
            let shown = super::admin_page::Shown {
                period: Some((form.answer_from, form.answer_until)),
                period_error: message,
                ..Default::default()
            };
            let mut response =
                super::admin_page::detail_page_with(&state, &cu, &survey, shown).await?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(response);
        }
        Err(e) => return Err(e.into()),
    };
    state
        .store
        .set_survey_period(&cu.actor(), id, from.as_deref(), until.as_deref())
        .await?;
    Ok(super::admin_page::done(id, "zeitraum"))
}
