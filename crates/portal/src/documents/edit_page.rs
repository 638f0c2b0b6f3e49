//! Editing a document's Markdown (with a preview), comparing any two
//! versions, and comments per section.
//!
//! Two people may edit the same version: the second save finds a newer
//! version and gets both texts side by side, with their own text still in
//! the editor, so nothing typed is lost.

use crate::text_input::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use store::StoreError;

use crate::auth::CurrentUser;
use crate::documents::editing::{check_comment, check_edit, edit_note};
use crate::documents::page::NAV;
use crate::documents::review_page::{self, ReviewInput};
use crate::documents::versions::visible_version;
use crate::error::{AppError, PageError};
use crate::form::FieldErrors;
use crate::view::render;
use crate::view::{format_time, Layout};
use crate::AppState;

#[derive(askama::Template)]
#[template(path = "documents/edit.html")]
struct EditPage {
    layout: Layout,
    id: i64,
    title: String,
    base: i64,
    markdown: String,
    note: String,
    preview: String,
    errors: FieldErrors,
    form_error: String,
    /// On a conflict: the newer version someone else saved.
    theirs: Option<Theirs>,
}

struct Theirs {
    number: i64,
    author: String,
    at: String,
    markdown: String,
    diff: String,
}

pub async fn edit_form(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let doc = state.store.document(id).await?;
    let latest = state.store.document_version(id, doc.latest_version).await?;
    render(&EditPage {
        layout: Layout::for_user(&state, &cu, &format!("Bearbeiten: {}", doc.title), NAV).await,
        id,
        title: doc.title,
        base: latest.number,
        preview: documents::markdown::to_html_fragment(&latest.markdown),
        markdown: latest.markdown,
        note: String::new(),
        errors: FieldErrors::new(),
        form_error: String::new(),
        theirs: None,
    })
}

#[derive(Deserialize)]
pub struct EditForm {
    base: i64,
    markdown: String,
    #[serde(default)]
    note: String,
}

pub async fn save(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<EditForm>,
) -> Result<Response, PageError> {
    let doc = state.store.document(id).await?;
    let errors = check_edit(&form.markdown, &form.note);
    let mut page = EditPage {
        layout: Layout::for_user(&state, &cu, &format!("Bearbeiten: {}", doc.title), NAV).await,
        id,
        title: doc.title.clone(),
        base: form.base,
        preview: documents::markdown::to_html_fragment(&form.markdown),
        markdown: form.markdown.clone(),
        note: form.note.clone(),
        errors,
        form_error: String::new(),
        theirs: None,
    };
    if !page.errors.is_empty() {
        page.form_error =
            "Bitte prüfen Sie die markierten Felder. Nichts wurde gespeichert.".into();
        let mut response = render(&page)?;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    }
    let note = edit_note(&form.note);
    match state
        .store
        .save_document_version(&cu.actor(), id, form.base, &form.markdown, None, note)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/dokumente/{id}")).into_response()),
        Err(StoreError::Conflict) => {
            let current = state.store.document(id).await?;
            let theirs = state
                .store
                .document_version(id, current.latest_version)
                .await?;
            page.form_error = format!(
                "Inzwischen hat {} Version {} gespeichert. Ihr Text ist unten erhalten; \
                 übernehmen Sie, was fehlt, und speichern Sie erneut.",
                theirs.created_by_name, theirs.number
            );
            page.base = theirs.number;
            page.theirs = Some(Theirs {
                number: theirs.number,
                author: theirs.created_by_name,
                at: format_time(theirs.created_at),
                diff: documents::diff::diff(&theirs.markdown, &form.markdown).to_html(),
                markdown: theirs.markdown,
            });
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::CONFLICT;
            Ok(response)
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

#[derive(Deserialize)]
pub struct PreviewForm {
    markdown: String,
}

/// The sanitised HTML of the text being edited (htmx swaps it in).
pub async fn preview(Form(form): Form<PreviewForm>) -> Response {
    Html(documents::markdown::to_html_fragment(&form.markdown)).into_response()
}

#[derive(askama::Template)]
#[template(path = "documents/diff.html")]
struct DiffPage {
    layout: Layout,
    id: i64,
    title: String,
    from: i64,
    to: i64,
    numbers: Vec<i64>,
    diff: String,
    /// "1 Zeile geändert (2 Wörter), …".
    summary: String,
}

#[derive(Deserialize)]
pub struct DiffQuery {
    von: Option<i64>,
    bis: Option<i64>,
}

pub async fn compare(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<DiffQuery>,
) -> Result<Response, PageError> {
    let doc = state.store.document(id).await?;
    let to = q.bis.unwrap_or(doc.latest_version);
    let from = q.von.unwrap_or((to - 1).max(1));
    let (_, old) = visible_version(&state, &cu, id, Some(from)).await?;
    let (_, new) = visible_version(&state, &cu, id, Some(to)).await?;
    let diff = documents::diff::diff(&old.markdown, &new.markdown);
    let stats = diff.stats();
    render(&DiffPage {
        layout: Layout::for_user(&state, &cu, &format!("Vergleich: {}", doc.title), NAV).await,
        id,
        title: doc.title,
        from,
        to,
        numbers: (1..=doc.latest_version).rev().collect(),
        diff: diff.to_html(),
        summary: stats.summary(),
    })
}

#[derive(Deserialize)]
pub struct CommentForm {
    version: i64,
    anchor: String,
    body: String,
}

pub async fn comment(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<CommentForm>,
) -> Result<Response, PageError> {
    let (_, version) = visible_version(&state, &cu, id, Some(form.version)).await?;
    if let Err((field, message)) = check_comment(&version.markdown, &form.anchor, &form.body) {
        if field == "anchor" {
            return Err(AppError::invalid("anchor", message).into());
        }
        let mut input = ReviewInput {
            comment_anchor: form.anchor,
            comment_body: form.body,
            ..ReviewInput::default()
        };
        input.errors.insert("comment_body", message);
        return review_page::refused(&state, &cu, id, version.number, input).await;
    }
    state
        .store
        .add_comment(
            &cu.actor(),
            id,
            version.number,
            &form.anchor,
            form.body.trim(),
        )
        .await?;
    Ok(Redirect::to(&format!(
        "/dokumente/{id}?version={}#{}",
        version.number, form.anchor
    ))
    .into_response())
}
