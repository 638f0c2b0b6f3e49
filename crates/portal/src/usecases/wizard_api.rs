//! API: the EU AI Act classification of a use case one question at a time,
//! as the page wizard asks it. Like the page, it keeps no state on the
//! server while the questions are answered: the client sends the answers
//! so far with each call and gets the next question (with where each of
//! its answers leads), or the conclusion with its obligations. The answer
//! that reaches a conclusion stores the classification with the use case
//! as its audit trail, exactly as the page's „Speichern“ does.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use journey::usecase::ai_act::{DecisionTree, Walk, WalkState};
use journey::usecase::UseCaseError;
use serde::{Deserialize, Serialize};
use store::usecases::UseCaseRecord;
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::form::key;
use crate::usecases::assessment::{apply_classification, step_back};
use crate::usecases::content::decision_tree;
use crate::usecases::edit_api::{check_version, edit_use_case, invalid_in};
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct AnsweredDto {
    pub question: String,
    pub question_text: String,
    pub answer: String,
    pub answer_label: String,
}

#[derive(Serialize, ToSchema)]
pub struct LeadsToDto {
    /// `question` or `conclusion`.
    pub kind: String,
    pub id: String,
    /// The question's text or the conclusion's label.
    pub text: String,
}

#[derive(Serialize, ToSchema)]
pub struct AnswerOptionDto {
    pub id: String,
    pub label: String,
    /// Where this answer leads after the answers so far.
    pub leads_to: LeadsToDto,
}

#[derive(Serialize, ToSchema)]
pub struct WizardQuestionDto {
    pub id: String,
    /// 1 for the first question.
    pub number: usize,
    /// At most this many questions remain, this one included.
    pub remaining_at_most: usize,
    pub text: String,
    pub help: String,
    pub articles: Vec<String>,
    pub answers: Vec<AnswerOptionDto>,
    /// The answer given before (when stepping back) or by the stored
    /// classification, to confirm on a review.
    pub preset: Option<String>,
}

/// Named apart from the duties module's `ObligationDto` in the OpenAPI
/// document: two schemas of one name would make one of them wrong.
#[derive(Serialize, ToSchema)]
#[schema(as = WizardObligationDto)]
pub struct ObligationDto {
    pub id: String,
    pub title: String,
    pub articles: Vec<String>,
    pub description: String,
    /// `YYYY-MM-DD`.
    pub applies_from: String,
    pub applies_from_label: String,
}

#[derive(Serialize, ToSchema)]
pub struct ConclusionDto {
    pub id: String,
    pub label: String,
    /// `prohibited`, `high_risk`, `transparency`, `minimal`, …
    pub risk: String,
    pub risk_label: String,
    /// `provider` or `deployer`, where the conclusion says.
    pub role: Option<String>,
    pub summary: String,
    pub obligations: Vec<ObligationDto>,
}

#[derive(Serialize, ToSchema)]
pub struct StoredClassificationDto {
    pub conclusion: String,
    pub conclusion_label: String,
    pub tree_version: String,
    /// The decision tree changed since; the classification is to be
    /// confirmed again.
    pub needs_review: bool,
    pub answers: BTreeMap<String, String>,
}

#[derive(Serialize, ToSchema)]
pub struct WizardDto {
    pub id: String,
    /// Send this back with the answer that reaches the conclusion.
    pub version: i64,
    pub tree_version: String,
    /// The answers on the path so far (question id → answer id); send them
    /// with the next call.
    pub answers: BTreeMap<String, String>,
    pub path: Vec<AnsweredDto>,
    /// The next question, until a conclusion is reached.
    pub question: Option<WizardQuestionDto>,
    /// The conclusion, once reached.
    pub conclusion: Option<ConclusionDto>,
    /// Whether this call stored the classification.
    pub saved: bool,
    /// The classification stored with the use case, if any.
    pub stored: Option<StoredClassificationDto>,
}

/// Where answering `answer` to the question asked at `walk` leads.
fn leads_to(
    tree: &DecisionTree,
    walk: &Walk<'_>,
    question: &str,
    answer: &str,
) -> Result<LeadsToDto, AppError> {
    let mut answers = path_answers(walk);
    answers.insert(question.to_owned(), answer.to_owned());
    let next = tree
        .walk(&answers)
        .map_err(|e| AppError::internal("walk the decision tree", e))?;
    Ok(match next.state {
        WalkState::Ask(q) => LeadsToDto {
            kind: "question".into(),
            id: q.id.clone(),
            text: q.text.clone(),
        },
        WalkState::Concluded(o) => LeadsToDto {
            kind: "conclusion".into(),
            id: o.conclusion.id.clone(),
            text: o.conclusion.label.clone(),
        },
    })
}

fn path_answers(walk: &Walk<'_>) -> BTreeMap<String, String> {
    walk.path
        .iter()
        .map(|s| (s.question.id.clone(), s.answer.id.clone()))
        .collect()
}

/// Walks `answers` through the tree; a question the tree lacks, or an
/// answer it does not offer, is refused naming `{prefix}{question}`.
fn walk_answers<'t>(
    tree: &'t DecisionTree,
    answers: &BTreeMap<String, String>,
    prefix: &str,
) -> Result<Walk<'t>, AppError> {
    if let Some(unknown) = answers.keys().find(|q| tree.question(q).is_none()) {
        return Err(AppError::invalid(
            &format!("{prefix}{unknown}"),
            format!("Eine Frage „{unknown}“ hat der Entscheidungsbaum nicht."),
        ));
    }
    tree.walk(answers).map_err(|e| match &e {
        UseCaseError::UnknownAnswer { question, .. } => {
            AppError::invalid(&format!("{prefix}{question}"), e.to_string())
        }
        _ => AppError::internal("classify the use case", e),
    })
}

/// The answers to preset: those of the stored classification, overridden
/// by `given` (the answers just stepped back from).
fn presets(record: &UseCaseRecord, given: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut preset = record
        .use_case
        .classification
        .as_ref()
        .map(|c| c.answers.clone())
        .unwrap_or_default();
    preset.extend(given.iter().map(|(q, a)| (q.clone(), a.clone())));
    preset
}

fn wizard_dto(
    tree: &DecisionTree,
    record: &UseCaseRecord,
    walk: &Walk<'_>,
    given: &BTreeMap<String, String>,
    saved: bool,
) -> Result<WizardDto, AppError> {
    let stored = record.use_case.classification.as_ref();
    let preset = presets(record, given);
    let question = match &walk.state {
        WalkState::Ask(q) => Some(WizardQuestionDto {
            id: q.id.clone(),
            number: walk.path.len() + 1,
            remaining_at_most: tree.questions_remaining_at_most(&q.id).unwrap_or(1),
            text: q.text.clone(),
            help: q.help.clone(),
            articles: q.articles.clone(),
            answers: q
                .answers
                .iter()
                .map(|a| {
                    Ok(AnswerOptionDto {
                        id: a.id.clone(),
                        label: a.label.clone(),
                        leads_to: leads_to(tree, walk, &q.id, &a.id)?,
                    })
                })
                .collect::<Result<_, AppError>>()?,
            preset: preset.get(&q.id).cloned(),
        }),
        WalkState::Concluded(_) => None,
    };
    let conclusion = walk.outcome().map(|o| ConclusionDto {
        id: o.conclusion.id.clone(),
        label: o.conclusion.label.clone(),
        risk: key(o.conclusion.risk),
        risk_label: o.conclusion.risk.label().to_owned(),
        role: o.conclusion.role.map(key),
        summary: o.summary(),
        obligations: o
            .obligations
            .iter()
            .map(|d| ObligationDto {
                id: d.obligation.id.clone(),
                title: d.obligation.title.clone(),
                articles: d.obligation.articles.clone(),
                description: d.obligation.description.clone(),
                applies_from: d.applies_from.date.clone(),
                applies_from_label: d.applies_from.label.clone(),
            })
            .collect(),
    });
    Ok(WizardDto {
        id: record.use_case.id.clone(),
        version: record.version,
        tree_version: tree.version.clone(),
        answers: path_answers(walk),
        path: walk
            .path
            .iter()
            .map(|s| AnsweredDto {
                question: s.question.id.clone(),
                question_text: s.question.text.clone(),
                answer: s.answer.id.clone(),
                answer_label: s.answer.label.clone(),
            })
            .collect(),
        question,
        conclusion,
        saved,
        stored: stored.map(|c| StoredClassificationDto {
            conclusion: c.conclusion.clone(),
            conclusion_label: c.conclusion_label.clone(),
            tree_version: c.tree_version.clone(),
            needs_review: c.needs_review(tree),
            answers: c.answers.clone(),
        }),
    })
}

/// The wizard after the answers so far, given as query parameters named by
/// question (`?ki-system=ja&rolle=betreiber`); without any, the first
/// question. An answer the tree does not offer answers 422 naming the
/// question.
#[utoipa::path(get, path = "/api/v1/usecases/{id}/classification/wizard", tag = "Anwendungsfälle",
    params(("id" = String, Path, description = "Kennung des Anwendungsfalls"),
        ("answers" = Option<BTreeMap<String, String>>, Query, style = Form, explode,
            description = "Die bisherigen Antworten: Frage-Id = Antwort-Id")),
    responses((status = 200, body = WizardDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(answers): Query<BTreeMap<String, String>>,
) -> Result<Json<WizardDto>, ApiError> {
    let record = state.store.use_case(&id).await?;
    let tree = decision_tree()?;
    let walk = walk_answers(tree, &answers, "")?;
    Ok(Json(wizard_dto(
        tree,
        &record,
        &walk,
        &BTreeMap::new(),
        false,
    )?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WizardAnswerDto {
    /// The answers so far, as the last answer of the wizard gave them.
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
    /// The question answered: the one the wizard asks next.
    pub question: String,
    /// One of that question's answers.
    pub answer: String,
    /// The version of the use case last seen; a different current version
    /// answers 409.
    pub version: i64,
}

/// Answers the next question. An answer that reaches a conclusion stores
/// the classification (the answers on the path, the conclusion, its
/// obligations and the tree's version) with the use case.
#[utoipa::path(post, path = "/api/v1/usecases/{id}/classification/wizard/answer", tag = "Anwendungsfälle",
    params(("id" = String, Path, description = "Kennung des Anwendungsfalls")),
    request_body = WizardAnswerDto,
    responses((status = 200, body = WizardDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WizardAnswerDto>,
) -> Result<Json<WizardDto>, ApiError> {
    let record = state.store.use_case(&id).await?;
    check_version(&record, body.version)?;
    let tree = decision_tree()?;
    let before = walk_answers(tree, &body.answers, "answers.")?;
    let asked = match &before.state {
        WalkState::Concluded(o) => {
            return Err(AppError::invalid(
                "question",
                format!(
                    "Die Antworten führen schon zum Ergebnis „{}“; es ist keine Frage mehr offen.",
                    o.conclusion.label
                ),
            )
            .into())
        }
        WalkState::Ask(q) => q,
    };
    if asked.id != body.question {
        return Err(AppError::invalid(
            "question",
            format!(
                "Als Nächstes ist die Frage „{}“ zu beantworten, nicht „{}“.",
                asked.id, body.question
            ),
        )
        .into());
    }
    if !asked.answers.iter().any(|a| a.id == body.answer) {
        return Err(AppError::invalid(
            "answer",
            format!(
                "„{}“ ist keine Antwort auf die Frage „{}“; möglich sind: {}.",
                body.answer,
                asked.id,
                asked
                    .answers
                    .iter()
                    .map(|a| a.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .into());
    }
    let mut answers = path_answers(&before);
    answers.insert(body.question, body.answer);
    let after = walk_answers(tree, &answers, "answers.")?;
    if after.outcome().is_none() {
        return Ok(Json(wizard_dto(
            tree,
            &record,
            &after,
            &BTreeMap::new(),
            false,
        )?));
    }
    let saved = edit_use_case(&state, &cu, &id, body.version, |uc| {
        apply_classification(tree, uc, &answers).map_err(invalid_in("answers"))
    })
    .await?;
    Ok(Json(wizard_dto(
        tree,
        &saved,
        &after,
        &BTreeMap::new(),
        true,
    )?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WizardBackDto {
    /// The answers so far.
    pub answers: BTreeMap<String, String>,
}

/// One step back: the wizard without the last answer on the path (the
/// question it answered is asked again, the stored answer preset).
/// Nothing is stored.
#[utoipa::path(post, path = "/api/v1/usecases/{id}/classification/wizard/back", tag = "Anwendungsfälle",
    params(("id" = String, Path, description = "Kennung des Anwendungsfalls")),
    request_body = WizardBackDto,
    responses((status = 200, body = WizardDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn back(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WizardBackDto>,
) -> Result<Json<WizardDto>, ApiError> {
    let record = state.store.use_case(&id).await?;
    let tree = decision_tree()?;
    walk_answers(tree, &body.answers, "answers.")?;
    let answers = step_back(tree, &body.answers).map_err(invalid_in("answers"))?;
    let walk = walk_answers(tree, &answers, "answers.")?;
    Ok(Json(wizard_dto(
        tree,
        &record,
        &walk,
        &body.answers,
        false,
    )?))
}
