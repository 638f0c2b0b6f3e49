//! The EU AI Act classification wizard: one question of the decision tree at
//! a time, as a plain form. The answers given so far travel as hidden fields
//! (`a.<question>`), so the wizard works without JavaScript and without
//! server-side state; saving stores the answers on the use case as the audit
//! trail of the classification.

use std::collections::BTreeMap;

use crate::text_input::Form;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use journey::usecase::ai_act::{DecisionTree, WalkState};
use journey::usecase::UseCaseError;
use store::StoreError;

use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::{FieldErrors, Fields};
use crate::usecases::assessment::apply_classification;
use crate::usecases::assessment::save;
use crate::usecases::assessment::step_back;
use crate::usecases::content::decision_tree;
use crate::usecases::detail_page::{obligation_views, ObligationView};
use crate::usecases::page::Choice;
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

const PREFIX: &str = "a.";

pub struct QuestionView {
    pub id: String,
    pub field: String,
    pub number: usize,
    pub remaining: usize,
    pub text: String,
    pub help: String,
    pub articles: String,
    pub answers: Vec<Choice>,
}

pub struct OutcomeView {
    pub conclusion: String,
    pub risk: &'static str,
    pub summary: String,
    pub obligations: Vec<ObligationView>,
}

#[derive(Template)]
#[template(path = "usecases/classify.html")]
struct WizardPage {
    layout: Layout,
    id: String,
    title: String,
    version: i64,
    /// Hidden fields: the answers on the path so far.
    hidden: Vec<(String, String)>,
    answered: Vec<(String, String)>,
    question: Option<QuestionView>,
    outcome: Option<OutcomeView>,
    errors: FieldErrors,
}

/// The answers in a posted form.
fn answers_of(fields: &Fields) -> BTreeMap<String, String> {
    fields
        .pairs()
        .iter()
        .filter_map(|(k, v)| {
            let q = k.strip_prefix(PREFIX)?;
            (!v.trim().is_empty()).then(|| (q.to_owned(), v.trim().to_owned()))
        })
        .collect()
}

/// Renders the wizard for these answers: the next question (with the
/// `preset` answer preselected) or the conclusion.
#[expect(
    clippy::too_many_arguments,
    reason = "one page, its inputs spelled out"
)]
async fn wizard(
    state: &AppState,
    cu: &CurrentUser,
    tree: &DecisionTree,
    id: &str,
    title: &str,
    version: i64,
    answers: &BTreeMap<String, String>,
    preset: &BTreeMap<String, String>,
    errors: FieldErrors,
) -> Result<Response, PageError> {
    // The caller kept only answers the tree knows (see `known_answers`), so
    // a failure here is a broken tree, not the user's input.
    let walk = tree
        .walk(answers)
        .map_err(|e| AppError::internal("walk the AI Act decision tree", e))?;
    let hidden = walk
        .path
        .iter()
        .map(|s| (format!("{PREFIX}{}", s.question.id), s.answer.id.clone()))
        .collect();
    let answered = walk
        .path
        .iter()
        .map(|s| (s.question.text.clone(), s.answer.label.clone()))
        .collect();
    let (question, outcome) = match &walk.state {
        WalkState::Ask(q) => {
            let preset = preset.get(&q.id).map(String::as_str).unwrap_or_default();
            (
                Some(QuestionView {
                    id: q.id.clone(),
                    field: format!("{PREFIX}{}", q.id),
                    number: walk.path.len() + 1,
                    remaining: tree.questions_remaining_at_most(&q.id).unwrap_or(1),
                    text: q.text.clone(),
                    help: q.help.clone(),
                    articles: q.articles.join(", "),
                    answers: q
                        .answers
                        .iter()
                        .map(|a| Choice {
                            value: a.id.clone(),
                            label: a.label.clone(),
                            selected: a.id == preset,
                        })
                        .collect(),
                }),
                None,
            )
        }
        WalkState::Concluded(o) => {
            let ids: Vec<String> = o
                .obligations
                .iter()
                .map(|d| d.obligation.id.clone())
                .collect();
            (
                None,
                Some(OutcomeView {
                    conclusion: o.conclusion.label.clone(),
                    risk: o.conclusion.risk.label(),
                    summary: o.summary(),
                    obligations: obligation_views(tree, &ids),
                }),
            )
        }
    };
    let failed = !errors.is_empty();
    let mut response = render(&WizardPage {
        layout: Layout::for_user(
            state,
            cu,
            "Einstufung nach der KI-Verordnung",
            "/anwendungsfaelle",
        )
        .await,
        id: id.to_owned(),
        title: title.to_owned(),
        version,
        hidden,
        answered,
        question,
        outcome,
        errors,
    })?;
    if failed {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// The first question; earlier answers of a stored classification are
/// preselected so that a review is a matter of confirming them.
pub async fn start(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let record = state.store.use_case(&id).await?;
    let uc = &record.use_case;
    let preset = uc
        .classification
        .as_ref()
        .map(|c| c.answers.clone())
        .unwrap_or_default();
    wizard(
        &state,
        &cu,
        decision_tree()?,
        &uc.id,
        &uc.intake.title,
        record.version,
        &BTreeMap::new(),
        &preset,
        FieldErrors::new(),
    )
    .await
}

/// Drops answers the tree does not know (a page from before the tree
/// changed, or a hand-made request) and says beside each such question that
/// it is asked again.
fn known_answers(
    tree: &DecisionTree,
    answers: &mut BTreeMap<String, String>,
    errors: &mut FieldErrors,
) -> Result<(), AppError> {
    for _ in 0..=answers.len() {
        match tree.walk(answers) {
            Ok(_) => return Ok(()),
            Err(UseCaseError::UnknownAnswer { question, .. }) => {
                answers.remove(&question);
                errors.insert(
                    format!("{PREFIX}{question}"),
                    "Diese Antwort ist bei dieser Frage nicht vorgesehen. Bitte wählen Sie eine der Antworten.",
                );
            }
            Err(e) => return Err(AppError::internal("walk the AI Act decision tree", e)),
        }
    }
    Ok(())
}

/// One step: `current` names the question just shown; `back` drops the last
/// answer; `save` stores the classification.
pub async fn step(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let record = state.store.use_case(&id).await?;
    let tree = decision_tree()?;
    let fields = Fields::new(pairs);
    let mut answers = answers_of(&fields);
    let preset = record
        .use_case
        .classification
        .as_ref()
        .map(|c| c.answers.clone())
        .unwrap_or_default();
    let version = fields
        .get("version")
        .trim()
        .parse()
        .unwrap_or(record.version);
    let mut errors = FieldErrors::new();
    known_answers(tree, &mut answers, &mut errors)?;
    let mut preset = preset;
    if !errors.is_empty() {
        // The unknown answers' questions are asked again.
    } else if fields.has("back") {
        answers = step_back(tree, &answers)
            .map_err(|e| AppError::internal("walk the AI Act decision tree", e))?;
        // Going back shows the question with the answer that was given.
        preset.extend(answers_of(&fields));
    } else if fields.has("save") {
        let mut uc = record.use_case.clone();
        match apply_classification(tree, &mut uc, &answers) {
            Ok(change) => {
                return store_classification(&state, &cu, &record, &uc, version, &change).await
            }
            // Saved before the end (a hand-made request): the wizard asks
            // the open question, with the message beside it.
            Err(UseCaseError::ClassificationIncomplete { .. }) => {
                if let Ok(WalkState::Ask(q)) = tree.walk(&answers).map(|w| w.state) {
                    errors.insert(
                        format!("{PREFIX}{}", q.id),
                        "Bitte beantworten Sie erst diese Frage; gespeichert wird, wenn die Einstufung feststeht.",
                    );
                }
            }
            Err(e) => return Err(AppError::internal("classify a use case", e).into()),
        }
    } else {
        let current = fields.get("current").trim().to_owned();
        if !current.is_empty() && !answers.contains_key(&current) {
            errors.insert(
                format!("{PREFIX}{current}"),
                "Bitte wählen Sie eine Antwort.",
            );
        }
    }
    wizard(
        &state,
        &cu,
        tree,
        &id,
        &record.use_case.intake.title,
        version,
        &answers,
        &preset,
        errors,
    )
    .await
}

/// Stores the classification and leads to the use case.
async fn store_classification(
    state: &AppState,
    cu: &CurrentUser,
    record: &store::usecases::UseCaseRecord,
    uc: &journey::usecase::model::UseCase,
    version: i64,
    change: &str,
) -> Result<Response, PageError> {
    match save(state, cu, record, uc, version, change).await {
        Ok(saved) => Ok(Redirect::to(&format!(
            "/anwendungsfaelle/{}?gespeichert=1#einstufung",
            saved.use_case.id
        ))
        .into_response()),
        Err(StoreError::Conflict) => Err(AppError::Conflict(
            StoreError::Conflict.to_string()
                + " Die Antworten wurden nicht gespeichert; bitte stufen Sie erneut ein.",
        )
        .into()),
        Err(e) => Err(e.into()),
    }
}
