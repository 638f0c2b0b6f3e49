//! The way of a document from draft to adoption: submit for review, the
//! statements of data protection, IT security and staff council, withdrawal,
//! and adoption. Adopting a KI-Richtlinie also puts its rule set in force,
//! which the page for the rule set shows.

use crate::text_input::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use journey::policy::{DataClass, Reach, RuleSet};
use serde::Deserialize;
use serde_json::{Map, Value};
use store::documents::{Adoption, ReviewArea};

use crate::auth::CurrentUser;
use crate::documents::page::{document_page, NAV};
use crate::documents::rules::current_rules;
use crate::error::{AppError, PageError};
use crate::form::FieldErrors;
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

#[derive(Deserialize)]
pub struct VersionForm {
    version: i64,
}

pub async fn submit(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<VersionForm>,
) -> Result<Response, PageError> {
    state
        .store
        .submit_document(&cu.actor(), id, form.version)
        .await?;
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

pub async fn review(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<ReviewForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let area = ReviewArea::parse(&form.area);
    if area.is_none() {
        errors.insert("area", "Bitte wählen Sie, wer Stellung nimmt.");
    }
    let consent = match form.decision.as_str() {
        "zustimmung" => Some(true),
        "einwaende" => Some(false),
        _ => {
            errors.insert("decision", "Bitte wählen Sie Zustimmung oder Einwände.");
            None
        }
    };
    if consent == Some(false) && form.comment.trim().is_empty() {
        errors.insert(
            "comment",
            "Bitte begründen Sie die Einwände, damit sie bearbeitet werden können.",
        );
    }
    if form.comment.chars().count() > 4000 {
        errors.insert("comment", "Höchstens 4000 Zeichen.");
    }
    let (Some(area), Some(consent), true) = (area, consent, errors.is_empty()) else {
        let input = ReviewInput {
            area: form.area,
            decision: form.decision,
            comment: form.comment,
            errors,
            ..ReviewInput::default()
        };
        return refused(&state, &cu, id, form.version, input).await;
    };
    state
        .store
        .add_review(&cu.actor(), id, form.version, area, consent, &form.comment)
        .await?;
    Ok(Redirect::to(&format!("/dokumente/{id}#pruefung")).into_response())
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
    pub errors: FieldErrors,
}

/// The document page again, with the input and messages, as 422.
async fn refused(
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
    adopted_by: String,
}

/// The rule set a KI-Richtlinie's answers give, checked before adoption so
/// that a policy whose rules contradict each other is never put in force.
pub fn rules_of(answers_json: &str) -> Result<RuleSet, AppError> {
    let answers: Map<String, Value> = serde_json::from_str(answers_json)
        .map_err(|e| AppError::internal("read the stored interview answers", e))?;
    documents::rules::policy_rules(&answers)
        .map_err(|e| AppError::invalid("version", e.to_string()))
}

pub async fn adopt(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<AdoptForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    if !journey::date::is_iso_date(form.adopted_on.trim()) {
        errors.insert("adopted_on", "Bitte das Datum des Beschlusses angeben.");
    }
    let by = form.adopted_by.trim();
    if by.is_empty() || by.chars().count() > 200 {
        errors.insert(
            "adopted_by",
            "Bitte angeben, wer beschlossen hat (z. B. Oberbürgermeister, Stadtrat).",
        );
    }
    if !errors.is_empty() {
        let input = ReviewInput {
            adopted_on: form.adopted_on.trim().to_owned(),
            adopted_by: form.adopted_by.clone(),
            errors,
            ..ReviewInput::default()
        };
        return refused(&state, &cu, id, form.version, input).await;
    }
    let doc = state.store.document(id).await?;
    let rules = if doc.kind == "richtlinie" {
        let version = state.store.document_version(id, form.version).await?;
        let mut rules = rules_of(&version.answers)?;
        rules.source = Some(format!("{}, Version {}", doc.title, form.version));
        rules.adopted_on = Some(form.adopted_on.trim().to_owned());
        Some(rules)
    } else {
        None
    };
    let rules_json = rules.as_ref().map(RuleSet::to_json);
    state
        .store
        .adopt_document(
            &cu.actor(),
            id,
            &Adoption {
                version: form.version,
                adopted_on: form.adopted_on.trim(),
                adopted_by: by,
                policy_rules: rules_json.as_deref(),
            },
        )
        .await?;
    // From now on the gateway routes by the adopted policy.
    if let (Some(rules), Some(gw)) = (rules, state.gateway()) {
        gw.set_rules(rules);
    }
    Ok(Redirect::to(&format!("/dokumente/{id}")).into_response())
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
}

pub async fn rules_page(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Response, PageError> {
    let (rules, adopted) = current_rules(&state).await?;
    render(&RulesPage {
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
