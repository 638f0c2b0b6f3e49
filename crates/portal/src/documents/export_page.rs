//! Downloads of a document version (Markdown, HTML, ODT, PDF) and the
//! template sets (Musterversionen) that one municipality publishes and
//! another imports.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::documents::page::NAV;
use crate::documents::templates::{import_set, templates, SetRefusal};
use crate::documents::versions::{meta, visible_version};
use crate::error::{AppError, PageError};
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

#[derive(Deserialize)]
pub struct VersionQuery {
    version: Option<i64>,
}

/// A file name from the title: letters, digits and dashes only, so that no
/// browser or file system trips over it.
pub fn file_stem(title: &str) -> String {
    let mut stem = String::new();
    for c in title.chars() {
        match c {
            'ä' => stem.push_str("ae"),
            'ö' => stem.push_str("oe"),
            'ü' => stem.push_str("ue"),
            'Ä' => stem.push_str("Ae"),
            'Ö' => stem.push_str("Oe"),
            'Ü' => stem.push_str("Ue"),
            'ß' => stem.push_str("ss"),
            c if c.is_ascii_alphanumeric() => stem.push(c),
            _ if !stem.ends_with('-') => stem.push('-'),
            _ => {}
        }
    }
    let stem = stem.trim_matches('-');
    if stem.is_empty() {
        "dokument".to_owned()
    } else {
        stem.chars().take(80).collect()
    }
}

pub fn download(bytes: Vec<u8>, media_type: &str, file_name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, media_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

pub async fn export(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path((id, format)): Path<(i64, String)>,
    Query(q): Query<VersionQuery>,
) -> Result<Response, PageError> {
    Ok(export_file(&state, &cu, id, &format, q.version).await?)
}

/// A version the caller may see as a file in `format` (`md`, `html`, `odt`,
/// `pdf`); page and API download the same file.
pub async fn export_file(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    format: &str,
    requested: Option<i64>,
) -> Result<Response, AppError> {
    let (doc, version) = visible_version(state, cu, id, requested).await?;
    let municipality = state.store.profile().await?.map(|(p, _)| p.name);
    let template = crate::documents::templates::template(state, &doc.template_id)
        .await
        .ok();
    let meta = meta(municipality, &doc, &version, template.as_ref());
    let stem = format!("{}-v{}", file_stem(&doc.title), version.number);
    Ok(match format {
        "md" => download(
            version.markdown.into_bytes(),
            "text/markdown; charset=utf-8",
            &format!("{stem}.md"),
        ),
        "html" => download(
            documents::html::document(&version.markdown, &meta).into_bytes(),
            "text/html; charset=utf-8",
            &format!("{stem}.html"),
        ),
        "odt" => download(
            documents::odt::to_odt(&version.markdown, &meta),
            "application/vnd.oasis.opendocument.text",
            &format!("{stem}.odt"),
        ),
        "pdf" => {
            let markdown = version.markdown.clone();
            let pdf = tokio::task::spawn_blocking(move || documents::pdf::to_pdf(&markdown, &meta))
                .await
                .map_err(|e| AppError::internal("join the PDF conversion", e))?;
            match pdf {
                Ok(bytes) => download(bytes, "application/pdf", &format!("{stem}.pdf")),
                Err(e @ documents::pdf::PdfError::LibreOfficeMissing) => {
                    return Err(AppError::Unavailable(e.to_string()))
                }
                Err(e) => return Err(AppError::internal("convert a document to PDF", e)),
            }
        }
        _ => return Err(AppError::NotFound),
    })
}

// ---------------------------------------------------------------------------
// Template sets.

struct TemplateRow {
    id: String,
    title: String,
    kind: &'static str,
    version: String,
    origin: String,
}

struct ProblemRow {
    place: String,
    message: String,
}

#[derive(askama::Template)]
#[template(path = "documents/templates.html")]
struct TemplatesPage {
    layout: Layout,
    rows: Vec<TemplateRow>,
    problems: Vec<ProblemRow>,
    imported: Vec<String>,
    form_error: String,
}

async fn templates_page(state: &AppState, cu: &CurrentUser) -> Result<TemplatesPage, AppError> {
    Ok(TemplatesPage {
        layout: Layout::for_user(state, cu, "Mustervorlagen", NAV).await,
        rows: templates(state)
            .await?
            .into_iter()
            .map(|(t, origin)| TemplateRow {
                kind: t.kind.label(),
                id: t.id,
                title: t.title,
                version: t.version,
                origin,
            })
            .collect(),
        problems: Vec::new(),
        imported: Vec::new(),
        form_error: String::new(),
    })
}

pub async fn templates_list(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Response, PageError> {
    render(&templates_page(&state, &cu).await?)
}

pub async fn templates_export(State(state): State<AppState>) -> Result<Response, PageError> {
    let set: Vec<documents::Template> = templates(&state)
        .await?
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    Ok(download(
        documents::template_set::export(&set),
        "application/zip",
        "ki-reise-mustervorlagen.zip",
    ))
}

pub async fn templates_import(
    State(state): State<AppState>,
    cu: CurrentUser,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let mut page = templates_page(&state, &cu).await?;
    let refuse = |mut page: TemplatesPage, message: String| -> Result<Response, PageError> {
        page.form_error = message;
        let mut response = render(&page)?;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        Ok(response)
    };
    // The parser's own words are English and technical; the person needs
    // to know only that the file did not arrive whole.
    let incomplete = || {
        "Die Datei ist nicht vollständig angekommen (Verbindung unterbrochen oder Datei zu groß). \
         Bitte wählen Sie sie erneut."
            .to_owned()
    };
    let mut upload: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return refuse(page, incomplete()),
        };
        if field.name() == Some("set") {
            let name = field.file_name().unwrap_or("upload.zip").to_owned();
            let Ok(bytes) = field.bytes().await else {
                return refuse(page, incomplete());
            };
            upload = Some((name, bytes.to_vec()));
        }
    }
    let (name, bytes) = upload.unwrap_or_else(|| ("upload.zip".to_owned(), Vec::new()));
    match import_set(&state, &cu, &name, &bytes).await? {
        Ok(set) => {
            let mut page = templates_page(&state, &cu).await?;
            page.imported = set
                .into_iter()
                .map(|t| format!("{} ({})", t.title, t.version))
                .collect();
            render(&page)
        }
        Err(SetRefusal::Problems(report)) => {
            page.problems = report
                .problems
                .into_iter()
                .map(|p| ProblemRow {
                    place: match (p.line, p.column) {
                        (Some(l), Some(c)) => format!("{}, Zeile {l}, Spalte {c}", p.file),
                        (Some(l), None) => format!("{}, Zeile {l}", p.file),
                        _ => p.file,
                    },
                    message: p.message,
                })
                .collect();
            refuse(
                page,
                "Der Vorlagensatz wurde nicht importiert. Nichts wurde gespeichert; die Liste unten nennt jedes Problem.".into(),
            )
        }
        Err(refusal) => refuse(page, refusal.message()),
    }
}
