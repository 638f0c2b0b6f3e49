//! The way of a document from draft to adoption: submit for review, the
//! statements of the function holders (data protection, IT security, staff
//! council, Gleichstellung), withdrawal, and adoption ([`decisions`]). Adopting a KI-Richtlinie also puts its rule set in force,
//! which the page for the rule set shows.

use crate::text_input::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use journey::policy::{DataClass, Reach};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::documents::decisions::{self, give_statement, Refusal, Statement};
use crate::documents::page::{document_page, NAV};
use crate::documents::review_status::notify_reviewers;
use crate::documents::rules::current_rules;
use crate::error::PageError;
use crate::form::FieldErrors;
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

#[derive(Deserialize)]
pub struct VersionForm {
    version: i64,
}

/// Hands the document to the reviewing bodies and e-mails each holder of a
/// reviewing function.
pub async fn submit(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<VersionForm>,
) -> Result<Response, PageError> {
    let doc = state
        .store
        .submit_document(&cu.actor(), id, form.version)
        .await?;
    notify_reviewers(&state, &doc).await?;
    Ok(Redirect::to(&format!("/dokumente/{id}")).into_response())
}

pub async fn withdraw(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<VersionForm>,
) -> Result<Response, PageError> {
    state
        .store
        .withdraw_document(&cu.actor(), id, form.version)
        .await?;
    Ok(Redirect::to(&format!("/dokumente/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct ReviewForm {
    version: i64,
    area: String,
    decision: String,
    #[serde(default)]
    comment: String,
}

/// The statement of the function the caller holds (403 for anyone else).
pub async fn review(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<ReviewForm>,
) -> Result<Response, PageError> {
    let statement = Statement {
        version: form.version,
        area: &form.area,
        decision: &form.decision,
        comment: &form.comment,
    };
    match give_statement(&state, &cu, id, &statement).await {
        Ok(()) => Ok(Redirect::to(&format!("/dokumente/{id}#pruefung")).into_response()),
        Err(Refusal::Error(e)) => Err(e.into()),
        Err(Refusal::Fields(errors)) => {
            let input = ReviewInput {
                area: form.area,
                decision: form.decision,
                comment: form.comment,
                errors,
                ..ReviewInput::default()
            };
            refused(&state, &cu, id, form.version, input).await
        }
    }
}

/// What was typed into the review and adoption forms of the document page,
/// shown again with the messages beside the fields when it was refused.
#[derive(Default)]
pub struct ReviewInput {
    pub area: String,
    pub decision: String,
    pub comment: String,
    pub adopted_on: String,
    pub adopted_by: String,
    /// A refused comment: the section it was for and what was typed.
    pub comment_anchor: String,
    pub comment_body: String,
    pub errors: FieldErrors,
}

/// The document page again, with the input and messages, as 422.
pub(crate) async fn refused(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    version: i64,
    input: ReviewInput,
) -> Result<Response, PageError> {
    let mut response = document_page(state, cu, id, Some(version), input).await?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

#[derive(Deserialize)]
pub struct AdoptForm {
    version: i64,
    adopted_on: String,
    #[serde(default)]
    adopted_by: String,
}

/// The adoption by the Bürgermeister/in (else the administration).
pub async fn adopt(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<AdoptForm>,
) -> Result<Response, PageError> {
    match decisions::adopt(
        &state,
        &cu,
        id,
        form.version,
        &form.adopted_on,
        &form.adopted_by,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/dokumente/{id}")).into_response()),
        Err(Refusal::Error(e)) => Err(e.into()),
        Err(Refusal::Fields(errors)) => {
            let input = ReviewInput {
                adopted_on: form.adopted_on.trim().to_owned(),
                adopted_by: form.adopted_by,
                errors,
                ..ReviewInput::default()
            };
            refused(&state, &cu, id, form.version, input).await
        }
    }
}

struct ClassRow {
    label: &'static str,
    slug: &'static str,
    reaches: Vec<(&'static str, bool)>,
    note: String,
}

#[derive(askama::Template)]
#[template(path = "documents/policy_rules.html")]
struct RulesPage {
    layout: Layout,
    adopted: bool,
    source: String,
    default_class: &'static str,
    labelling: bool,
    retention_days: u32,
    reach_labels: Vec<&'static str>,
    rows: Vec<ClassRow>,
    checked: Vec<super::rule_checks::RuleCheck>,
    organisational: Vec<super::rule_checks::RuleCheck>,
}

pub async fn rules_page(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Response, PageError> {
    let (rules, adopted) = current_rules(&state).await?;
    let (checked, organisational) = super::rule_checks::rule_checks(&rules);
    render(&RulesPage {
        checked,
        organisational,
        layout: Layout::for_user(&state, &cu, "Regelwerk der KI-Richtlinie", NAV).await,
        adopted,
        source: rules.source.clone().unwrap_or_default(),
        default_class: rules.default_class.label(),
        labelling: rules.labelling_required,
        retention_days: rules.prompt_retention_days,
        reach_labels: Reach::ALL.into_iter().map(Reach::label).collect(),
        rows: DataClass::ALL
            .into_iter()
            .map(|c| ClassRow {
                label: c.label(),
                slug: c.slug(),
                reaches: Reach::ALL
                    .into_iter()
                    .map(|r| (r.label(), rules.allows(c, r)))
                    .collect(),
                note: rules.note(c).to_owned(),
            })
            .collect(),
    })
}
