//! KI-Strategie, KI-Richtlinie and the other documents built from templates:
//! the list, the guided interview that renders a template, and the document
//! page with its sections, readability, comments and reviews.
//!
//! Editing, comparing, review and export live in the neighbouring
//! `document_*` modules; what they share is here.

use crate::text_input::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use documents::{QuestionKind, RenderError, Template};
use journey::access::Permission;
use serde::Deserialize;
use serde_json::{Map, Value};
use store::documents::Comment;

use crate::auth::CurrentUser;
use crate::documents::decisions::default_signature;
use crate::documents::review_page::ReviewInput;
use crate::documents::review_view::{review_panel, ReviewPanel};
use crate::documents::templates::prefill;
use crate::documents::templates::template;
use crate::documents::templates::templates;
use crate::documents::versions::sees_drafts;
use crate::documents::versions::visible_version;
use crate::error::{AppError, PageError};
use crate::form::FieldErrors;
use crate::view::render;
use crate::view::{format_time, Layout};
use crate::AppState;

pub const NAV: &str = "/dokumente";

// ---------------------------------------------------------------------------
// The list.

struct DocRow {
    id: i64,
    title: String,
    kind: String,
    status: &'static str,
    version: i64,
    updated: String,
}

struct TemplateCard {
    id: String,
    title: String,
    kind: &'static str,
    version: String,
    origin: String,
    questions: usize,
}

#[derive(askama::Template)]
#[template(path = "documents/documents.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<DocRow>,
    cards: Vec<TemplateCard>,
    can_edit: bool,
}

fn kind_label(kind: &str) -> &'static str {
    documents::TemplateKind::ALL
        .into_iter()
        .find(|k| {
            serde_json::to_value(k)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                == Some(kind.to_owned())
        })
        .map_or("Dokument", documents::TemplateKind::label)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    /// Set after a draft was deleted, to say so.
    geloescht: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    cu: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let drafts = sees_drafts(cu.user.role);
    let rows = state
        .store
        .documents()
        .await?
        .into_iter()
        .filter(|d| drafts || d.adopted_version.is_some())
        .map(|d| DocRow {
            id: d.id,
            kind: kind_label(&d.kind).to_owned(),
            status: d.status.label(),
            version: if drafts {
                d.latest_version
            } else {
                d.adopted_version.unwrap_or(d.latest_version)
            },
            updated: format_time(d.updated_at),
            title: d.title,
        })
        .collect();
    let cards = if drafts {
        templates(&state)
            .await?
            .into_iter()
            .map(|(t, origin)| TemplateCard {
                kind: t.kind.label(),
                questions: t.questions.len(),
                id: t.id,
                title: t.title,
                version: t.version,
                origin,
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut layout = Layout::for_user(&state, &cu, "KI-Strategie und KI-Richtlinie", NAV).await;
    if q.geloescht.is_some() {
        layout = layout.with_flash("ok", "Der Entwurf ist gelöscht.");
    }
    render(&ListPage {
        layout,
        rows,
        cards,
        can_edit: drafts,
    })
}

// ---------------------------------------------------------------------------
// The interview.

pub struct OptionView {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub struct QuestionView {
    pub name: String,
    pub label: String,
    pub help: String,
    /// `text`, `long_text`, `choice`, `multi`, `bool`, `number`, `date`.
    pub kind: &'static str,
    pub required: bool,
    pub value: String,
    pub options: Vec<OptionView>,
}

pub struct QuestionGroup {
    pub heading: String,
    pub questions: Vec<QuestionView>,
}

#[derive(askama::Template)]
#[template(path = "documents/interview.html")]
struct InterviewPage {
    layout: Layout,
    template_title: String,
    action: String,
    title_value: String,
    groups: Vec<QuestionGroup>,
    errors: FieldErrors,
    form_error: String,
    is_new: bool,
}

fn kind_name(kind: QuestionKind) -> &'static str {
    match kind {
        QuestionKind::Text => "text",
        QuestionKind::LongText => "long_text",
        QuestionKind::Choice => "choice",
        QuestionKind::Multi => "multi",
        QuestionKind::Bool => "bool",
        QuestionKind::Number => "number",
        QuestionKind::Date => "date",
    }
}

/// The form's questions grouped by section, showing `answers`.
fn question_groups(template: &Template, answers: &Map<String, Value>) -> Vec<QuestionGroup> {
    let mut groups: Vec<QuestionGroup> = Vec::new();
    for q in &template.questions {
        let heading = q.section.clone().unwrap_or_else(|| "Angaben".to_owned());
        let answer = answers.get(&q.name);
        let text = |v: Option<&Value>| match v {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let chosen: Vec<String> = match answer {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        };
        let view = QuestionView {
            name: q.name.clone(),
            label: q.label.clone(),
            help: q.help.clone(),
            kind: kind_name(q.kind),
            required: q.required,
            value: match (q.kind, answer) {
                (QuestionKind::Bool, Some(Value::Bool(true))) => "ja".to_owned(),
                (QuestionKind::Bool, _) => String::new(),
                _ => text(answer),
            },
            options: q
                .options
                .iter()
                .map(|o| OptionView {
                    checked: chosen.contains(&o.value),
                    value: o.value.clone(),
                    label: o.label.clone(),
                })
                .collect(),
        };
        match groups.iter_mut().find(|g| g.heading == heading) {
            Some(g) => g.questions.push(view),
            None => groups.push(QuestionGroup {
                heading,
                questions: vec![view],
            }),
        }
    }
    groups
}

/// Reads the interview form: every question gets a value, so that an
/// unticked box means "no" rather than "take the default".
fn answers_from_form(template: &Template, pairs: &[(String, String)]) -> Map<String, Value> {
    let mut answers = Map::new();
    for q in &template.questions {
        let values: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| *k == q.name)
            .map(|(_, v)| v.as_str())
            .collect();
        let value = match q.kind {
            QuestionKind::Multi => Value::Array(
                values
                    .iter()
                    .map(|v| Value::String((*v).to_owned()))
                    .collect(),
            ),
            QuestionKind::Bool => Value::Bool(values.contains(&"ja")),
            _ => Value::String(values.first().copied().unwrap_or("").to_owned()),
        };
        answers.insert(q.name.clone(), value);
    }
    answers
}

fn field(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

/// The messages of a failed render, by form field.
fn render_errors(e: &RenderError, errors: &mut FieldErrors) -> String {
    match e {
        RenderError::MissingAnswers(names) => {
            for n in names {
                errors.insert(n, "Bitte beantworten Sie diese Frage.");
            }
            format!(
                "Es fehlen Antworten ({}). Nichts wurde gespeichert.",
                names.len()
            )
        }
        RenderError::InvalidAnswers(list) => {
            for a in list {
                errors.insert(&a.name, &a.message);
            }
            "Einige Antworten passen nicht zur Frage. Nichts wurde gespeichert.".to_owned()
        }
        other => format!("Die Vorlage ist fehlerhaft: {other}"),
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(template_id): Path<String>,
) -> Result<Response, PageError> {
    let template = template(&state, &template_id).await?;
    let answers = template.initial_answers(&prefill(&state).await?);
    render(&InterviewPage {
        layout: Layout::for_user(&state, &cu, &format!("Interview: {}", template.title), NAV).await,
        action: format!("/dokumente/neu/{}", template.id),
        title_value: template.title.clone(),
        groups: question_groups(&template, &answers),
        template_title: template.title,
        errors: FieldErrors::new(),
        form_error: String::new(),
        is_new: true,
    })
}

pub async fn create(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(template_id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let template = template(&state, &template_id).await?;
    let answers = answers_from_form(&template, &pairs);
    let title = field(&pairs, "_title");
    let mut errors = FieldErrors::new();
    if title.is_empty() || title.chars().count() > 200 {
        errors.insert(
            "_title",
            "Bitte einen Titel mit höchstens 200 Zeichen angeben.",
        );
    }
    let prefill = prefill(&state).await?;
    let rendered = template.render(&answers, &prefill);
    let (markdown, resolved) = match (rendered, errors.is_empty()) {
        (Ok(md), true) => (
            md,
            template
                .resolve_answers(&answers, &prefill)
                .unwrap_or(answers.clone()),
        ),
        (result, _) => {
            let form_error = match result {
                Err(e) => render_errors(&e, &mut errors),
                Ok(_) => "Bitte prüfen Sie den Titel. Nichts wurde gespeichert.".to_owned(),
            };
            let page = InterviewPage {
                layout: Layout::for_user(
                    &state,
                    &cu,
                    &format!("Interview: {}", template.title),
                    NAV,
                )
                .await,
                action: format!("/dokumente/neu/{}", template.id),
                title_value: title,
                groups: question_groups(&template, &answers),
                template_title: template.title,
                errors,
                form_error,
                is_new: true,
            };
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(response);
        }
    };
    let doc = state
        .store
        .create_document(
            &cu.actor(),
            &store::documents::NewDocument {
                template_id: &template.id,
                kind: &crate::form::key(template.kind),
                title: &title,
                markdown: &markdown,
                answers: &Value::Object(resolved).to_string(),
            },
        )
        .await?;
    Ok(Redirect::to(&format!("/dokumente/{}", doc.id)).into_response())
}

/// The interview again, with the answers of the latest version; saving
/// renders a new version (the text edited by hand is replaced, which the
/// page says).
pub async fn reinterview_form(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let doc = state.store.document(id).await?;
    let template = template(&state, &doc.template_id).await?;
    let latest = state.store.document_version(id, doc.latest_version).await?;
    let answers: Map<String, Value> = serde_json::from_str(&latest.answers)
        .map_err(|e| AppError::internal("read the stored interview answers", e))?;
    render(&InterviewPage {
        layout: Layout::for_user(&state, &cu, &format!("Interview: {}", doc.title), NAV).await,
        action: format!("/dokumente/{id}/interview?basis={}", doc.latest_version),
        title_value: doc.title.clone(),
        groups: question_groups(&template, &answers),
        template_title: template.title,
        errors: FieldErrors::new(),
        form_error: String::new(),
        is_new: false,
    })
}

#[derive(Deserialize)]
pub struct BaseQuery {
    basis: i64,
}

pub async fn reinterview(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<BaseQuery>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let doc = state.store.document(id).await?;
    let template = template(&state, &doc.template_id).await?;
    let answers = answers_from_form(&template, &pairs);
    let prefill = prefill(&state).await?;
    match template.render(&answers, &prefill) {
        Ok(markdown) => {
            let resolved = template
                .resolve_answers(&answers, &prefill)
                .unwrap_or(answers);
            state
                .store
                .save_document_version(
                    &cu.actor(),
                    id,
                    q.basis,
                    &markdown,
                    Some(&Value::Object(resolved).to_string()),
                    "Neu aus dem Interview erzeugt",
                )
                .await?;
            Ok(Redirect::to(&format!("/dokumente/{id}")).into_response())
        }
        Err(e) => {
            let mut errors = FieldErrors::new();
            let form_error = render_errors(&e, &mut errors);
            let page = InterviewPage {
                layout: Layout::for_user(&state, &cu, &format!("Interview: {}", doc.title), NAV)
                    .await,
                action: format!("/dokumente/{id}/interview?basis={}", q.basis),
                title_value: doc.title.clone(),
                groups: question_groups(&template, &answers),
                template_title: template.title,
                errors,
                form_error,
                is_new: false,
            };
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

// ---------------------------------------------------------------------------
// The document page.

pub struct SectionView {
    pub anchor: String,
    pub heading: String,
    pub html: String,
    pub readability: Option<ReadabilityView>,
    pub comments: Vec<CommentView>,
}

pub struct ReadabilityView {
    pub flesch: String,
    pub flesch_verdict: &'static str,
    pub wstf: String,
    pub words: usize,
    pub long_sentences: Vec<String>,
}

pub struct CommentView {
    pub author: String,
    pub at: String,
    pub body: String,
}

pub struct VersionRow {
    pub number: i64,
    pub note: String,
    pub author: String,
    pub at: String,
    pub marker: &'static str,
}

#[derive(askama::Template)]
#[template(path = "documents/document.html")]
struct DocumentPage {
    layout: Layout,
    id: i64,
    title: String,
    kind: &'static str,
    status: &'static str,
    status_key: &'static str,
    number: i64,
    latest: i64,
    is_latest: bool,
    adopted: String,
    sections: Vec<SectionView>,
    versions: Vec<VersionRow>,
    review: ReviewPanel,
    can_edit: bool,
    can_comment: bool,
    is_richtlinie: bool,
    /// The review and adoption forms as typed, with the messages beside them.
    input: ReviewInput,
    errors: FieldErrors,
}

/// Flesch reading ease in words a reader understands (Amstad's bands).
fn flesch_verdict(score: f64) -> &'static str {
    match score {
        s if s >= 80.0 => "leicht",
        s if s >= 60.0 => "mittel",
        s if s >= 30.0 => "schwer",
        _ => "sehr schwer",
    }
}

fn section_views(markdown: &str, comments: &[Comment]) -> Vec<SectionView> {
    documents::sections(markdown)
        .into_iter()
        .map(|s| {
            let readability = s.readability().map(|r| ReadabilityView {
                flesch: journey::german::decimal(r.flesch_amstad, 0),
                flesch_verdict: flesch_verdict(r.flesch_amstad),
                wstf: journey::german::decimal(r.wstf[0], 1),
                words: r.words,
                long_sentences: r.long_sentences.clone(),
            });
            SectionView {
                html: documents::markdown::to_html_fragment(&s.markdown),
                comments: comments
                    .iter()
                    .filter(|c| c.anchor == s.anchor)
                    .map(|c| CommentView {
                        author: c.author_name.clone(),
                        at: format_time(c.created_at),
                        body: c.body.clone(),
                    })
                    .collect(),
                anchor: s.anchor,
                heading: s.heading,
                readability,
            }
        })
        .collect()
}

#[derive(Deserialize)]
pub struct VersionQuery {
    version: Option<i64>,
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<VersionQuery>,
) -> Result<Response, PageError> {
    document_page(&state, &cu, id, q.version, ReviewInput::default()).await
}

/// The document page; after a refused statement or adoption it shows the
/// forms again as they were typed, with the messages beside the fields.
pub async fn document_page(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    version: Option<i64>,
    mut input: ReviewInput,
) -> Result<Response, PageError> {
    let (doc, version) = visible_version(state, cu, id, version).await?;
    let drafts = sees_drafts(cu.user.role);
    let comments = if drafts {
        state.store.comments(id, version.number).await?
    } else {
        Vec::new()
    };
    let versions = if drafts {
        state
            .store
            .document_versions(id)
            .await?
            .into_iter()
            .map(|v| VersionRow {
                marker: if doc.adopted_version == Some(v.number) {
                    "beschlossen"
                } else if v.number == doc.latest_version {
                    "aktuell"
                } else {
                    ""
                },
                number: v.number,
                note: v.note,
                author: v.created_by_name,
                at: format_time(v.created_at),
            })
            .collect()
    } else {
        Vec::new()
    };
    let is_latest = version.number == doc.latest_version;
    let layout = Layout::for_user(state, cu, &doc.title, NAV).await;
    let review = review_panel(state, cu, &doc, version.number).await?;
    if input.adopted_on.is_empty() {
        input.adopted_on = journey::date::today();
    }
    if input.adopted_by.is_empty() && review.can_adopt {
        input.adopted_by = default_signature(state, cu).await?;
    }
    render(&DocumentPage {
        layout,
        id,
        kind: kind_label(&doc.kind),
        status: doc.status.label(),
        status_key: doc.status.as_str(),
        number: version.number,
        latest: doc.latest_version,
        is_latest,
        adopted: match (&doc.adopted_on, &doc.adopted_by, doc.adopted_version) {
            (Some(on), Some(by), Some(n)) => format!(
                "Version {n} beschlossen am {} durch {by}",
                journey::german::date(on)
            ),
            _ => String::new(),
        },
        sections: section_views(&version.markdown, &comments),
        versions,
        review,
        can_edit: drafts && is_latest,
        can_comment: cu.user.role.can(Permission::ReviewDocuments) && is_latest,
        is_richtlinie: doc.kind == "richtlinie",
        errors: std::mem::take(&mut input.errors),
        input,
        title: doc.title,
    })
}
