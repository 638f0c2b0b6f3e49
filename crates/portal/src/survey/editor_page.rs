//! The questionnaire editor: the project team copies the default or an
//! existing questionnaire and edits sections and questions in one form that
//! works without JavaScript (every button sends the whole form back, so
//! nothing typed is lost); with htmx a preview beside it follows each
//! change. Only drafts are editable: once a survey runs, its questionnaire
//! is what answers refer to. Also here: importing a questionnaire by file
//! upload.

use crate::text_input::Form;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use journey::survey::edit::{
    EditAction, QuestionDraft, QuestionnaireDraft, OPTION_SOURCES, QUESTION_TYPES,
};
use journey::survey::{Issue, Questionnaire};
use store::survey::Survey;

use super::answer_page::preview_html;
use super::questionnaire::{
    check_min_group_size, copy_survey, draft_survey, new_survey, prepare_questionnaire,
    questionnaire_of, save_questionnaire, Source,
};
use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::FieldErrors;
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

struct QuestionEdit {
    /// Form field prefix, `s0.q1.`.
    prefix: String,
    /// DOM id of the fieldset, `e-s0-q1`.
    dom: String,
    section: usize,
    index: usize,
    number: usize,
    d: QuestionDraft,
    errors: Vec<String>,
    /// Earlier questions a condition may refer to: (id, text).
    earlier: Vec<(String, String)>,
    /// The condition names a question that is not among `earlier`.
    if_unknown: bool,
}

struct SectionEdit {
    index: usize,
    dom: String,
    id: String,
    title: String,
    description: String,
    errors: Vec<String>,
    questions: Vec<QuestionEdit>,
}

#[derive(Template)]
#[template(path = "survey/edit.html")]
struct EditPage {
    layout: Layout,
    survey_id: i64,
    store_version: i64,
    q_id: String,
    q_version: String,
    title: String,
    description: String,
    general_errors: Vec<String>,
    summary: Vec<(String, String)>,
    sections: Vec<SectionEdit>,
    types: &'static [(&'static str, &'static str)],
    sources: &'static [(&'static str, &'static str)],
    preview: String,
    form_error: String,
}

fn short(text: &str) -> String {
    let t: String = text.chars().take(60).collect();
    if t.chars().count() < text.chars().count() {
        format!("{t} …")
    } else {
        t
    }
}

fn issue_messages(issues: &[Issue]) -> Vec<String> {
    issues.iter().map(|i| i.message.clone()).collect()
}

fn edit_page(
    layout: Layout,
    survey: &Survey,
    draft: &QuestionnaireDraft,
    issues: &[Issue],
    preview: String,
) -> EditPage {
    let about = |id: &str| -> Vec<String> {
        issues
            .iter()
            .filter(|i| i.question.as_deref() == Some(id.trim()))
            .map(|i| i.message.clone())
            .collect()
    };
    let mut summary = Vec::new();
    let mut known: Vec<&str> = Vec::new();
    let mut earlier: Vec<(String, String)> = Vec::new();
    let mut sections = Vec::new();
    for (si, s) in draft.sections.iter().enumerate() {
        let dom = format!("e-s{si}");
        let errors = about(&s.id);
        summary.extend(errors.iter().map(|e| (dom.clone(), e.clone())));
        known.push(s.id.trim());
        let mut questions = Vec::new();
        for (qi, q) in s.questions.iter().enumerate() {
            let dom = format!("e-s{si}-q{qi}");
            // A repeated id gets its messages once, at its first question.
            let errors = if known.contains(&q.id.trim()) {
                Vec::new()
            } else {
                about(&q.id)
            };
            known.push(q.id.trim());
            summary.extend(errors.iter().map(|e| (dom.clone(), e.clone())));
            questions.push(QuestionEdit {
                prefix: format!("s{si}.q{qi}."),
                dom,
                section: si,
                index: qi,
                number: qi + 1,
                d: q.clone(),
                errors,
                if_unknown: !q.if_question.is_empty()
                    && !earlier.iter().any(|(id, _)| id == &q.if_question),
                earlier: earlier.clone(),
            });
            earlier.push((q.id.clone(), short(&q.text)));
        }
        sections.push(SectionEdit {
            index: si,
            dom,
            id: s.id.clone(),
            title: s.title.clone(),
            description: s.description.clone(),
            errors,
            questions,
        });
    }
    let general_errors = issues
        .iter()
        .filter(|i| match i.question.as_deref() {
            None => true,
            Some(id) => !known.contains(&id),
        })
        .map(|i| i.message.clone())
        .collect();
    EditPage {
        layout,
        survey_id: survey.id,
        store_version: survey.version,
        q_id: draft.id.clone(),
        q_version: draft.version.clone(),
        title: draft.title.clone(),
        description: draft.description.clone(),
        general_errors,
        summary,
        sections,
        types: &QUESTION_TYPES,
        sources: &OPTION_SOURCES,
        preview,
        form_error: String::new(),
    }
}

fn preview_of(result: &Result<Questionnaire, Vec<Issue>>) -> Result<String, AppError> {
    Ok(match result {
        Ok(q) => preview_html(Ok(q))?,
        Err(issues) => preview_html(Err(issue_messages(issues)))?,
    })
}

pub async fn edit_form(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let survey = draft_survey(&state, id).await?;
    let q = questionnaire_of(&survey)?;
    let draft = QuestionnaireDraft::from_questionnaire(&q);
    let layout = Layout::for_user(&state, &cu, "Fragebogen bearbeiten", "/umfrage").await;
    let preview = preview_of(&Ok(q))?;
    render(&edit_page(layout, &survey, &draft, &[], preview))
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Every button sends the whole form: `action` says which one. Saving
/// stores the questionnaire only when it is valid; every other button
/// changes the form and shows it again, unsaved.
pub async fn edit_submit(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let survey = draft_survey(&state, id).await?;
    let mut draft = QuestionnaireDraft::from_form(&pairs);
    let action = field(&pairs, "action").to_string();
    let action = match action.strip_prefix("add-question:") {
        // The type comes from the section's select beside the button.
        Some(section) if !section.contains(':') => {
            format!(
                "{action}:{}",
                field(&pairs, &format!("s{section}.new_type"))
            )
        }
        _ => action,
    };
    let layout = Layout::for_user(&state, &cu, "Fragebogen bearbeiten", "/umfrage").await;
    if let Some(step) = EditAction::parse(&action) {
        draft.apply(&step);
        let preview = preview_of(&draft.to_questionnaire())?;
        return render(&edit_page(layout, &survey, &draft, &[], preview));
    }
    let checked = draft.to_questionnaire();
    let preview = preview_of(&checked)?;
    match (action.as_str(), checked) {
        ("save", Ok(q)) => {
            let version = field(&pairs, "store_version").parse::<i64>().unwrap_or(-1);
            let saved = save_questionnaire(&state, &cu, id, version, &q).await?;
            let layout = layout.with_flash("ok", "Der Fragebogen ist gespeichert.".to_string());
            render(&edit_page(layout, &saved, &draft, &[], preview))
        }
        ("save", Err(issues)) => {
            let mut page = edit_page(layout, &survey, &draft, &issues, preview);
            page.form_error = format!(
                "Nicht gespeichert: {} Angaben sind zu prüfen. Ihre Eingaben sind erhalten.",
                issues.len()
            );
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        (_, checked) => {
            let issues = checked.err().unwrap_or_default();
            render(&edit_page(layout, &survey, &draft, &issues, preview))
        }
    }
}

/// Stores a checked questionnaire in a draft, if the draft is still at
/// `version` (the one the editor started from): two editors never
/// overwrite each other unnoticed.
/// The live preview (htmx): the form as it is now, not saved.
pub async fn preview(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    state.store.survey(id).await?;
    let draft = QuestionnaireDraft::from_form(&pairs);
    Ok(Html(preview_of(&draft.to_questionnaire())?).into_response())
}

/// A new draft with the questionnaire of any survey (running and closed
/// ones included), ready to edit.
pub async fn copy(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let copy = copy_survey(&state, &cu, id, None).await?;
    Ok(Redirect::to(&format!("/umfrage/{}/bearbeiten", copy.id)).into_response())
}

/// A new survey from an uploaded file (our JSON or a LimeSurvey `.lss`);
/// the detail page then shows the import report. Any problem comes back
/// on the same form, beside its field, in German.
pub async fn upload(
    State(state): State<AppState>,
    cu: CurrentUser,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let mut title = String::new();
    let mut k = "5".to_string();
    let mut file: Option<Vec<u8>> = None;
    let mut errors = FieldErrors::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                errors.insert(
                    "file",
                    "Der Upload kam nicht vollständig an. Bitte wählen Sie die Datei erneut.",
                );
                break;
            }
        };
        let read = match field.name() {
            Some("title") => field.text().await.map(|t| title = t),
            Some("min_group_size") => field.text().await.map(|t| k = t),
            Some("file") => field.bytes().await.map(|b| file = Some(b.to_vec())),
            _ => Ok(()),
        };
        if read.is_err() {
            errors.insert(
                "file",
                "Der Upload kam nicht vollständig an. Bitte wählen Sie die Datei erneut.",
            );
            break;
        }
    }
    let title = crate::text_input::normalise_line_breaks(&title);
    if title.chars().count() > 200 {
        errors.insert("title", "Der Titel darf höchstens 200 Zeichen lang sein.");
    }
    let group_size = match k.trim().parse::<i64>() {
        Ok(n) => check_min_group_size(n)
            .map_err(|e| errors.insert("min_group_size", e.to_string()))
            .ok(),
        Err(_) => {
            errors.insert("min_group_size", "Bitte eine ganze Zahl angeben, z. B. 5.");
            None
        }
    };
    let text = match file.filter(|b| !b.is_empty()) {
        _ if errors.contains_key("file") => None,
        None => {
            errors.insert("file", "Bitte wählen Sie eine Datei (JSON oder LimeSurvey-Export .lss).");
            None
        }
        Some(bytes) if bytes.len() > journey::survey::MAX_IMPORT_BYTES => {
            errors.insert(
                "file",
                format!(
                    "Die Datei ist zu groß ({} Bytes, erlaubt sind höchstens {} Bytes).",
                    bytes.len(),
                    journey::survey::MAX_IMPORT_BYTES
                ),
            );
            None
        }
        Some(bytes) => String::from_utf8(bytes)
            .map_err(|_| {
                errors.insert(
                    "file",
                    "Die Datei ist nicht in UTF-8 kodiert. Speichern Sie sie als UTF-8 und versuchen Sie es erneut.",
                )
            })
            .ok(),
    };
    let prepared = match &text {
        Some(text) => prepare_questionnaire(Source::Import(text))
            .map_err(|e| errors.insert("file", e.to_string()))
            .ok(),
        None => None,
    };
    match (prepared, group_size) {
        (Some((q, report)), Some(k)) if errors.is_empty() => {
            let survey = state
                .store
                .create_survey(&cu.actor(), &new_survey(&title, &q, report.as_ref(), k)?)
                .await?;
            Ok(Redirect::to(&format!("/umfrage/{}", survey.id)).into_response())
        }
        _ => super::admin_page::upload_refused(&state, &cu, title, k, errors).await,
    }
}
