//! API: a document's versions: list and read them, save an edited text or a
//! new interview as the next version, compare two, export one. The same
//! operations ([`editing`](crate::documents::editing)) and the same
//! visibility ([`versions`](crate::documents::versions)) as the pages.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use store::documents::DocumentVersion;
use store::StoreError;
use utoipa::{IntoParams, ToSchema};

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::documents::api::DocumentDto;
use crate::documents::editing::{check_edit, edit_note, render_interview};
use crate::documents::export_page::export_file;
use crate::documents::templates::{prefill, template};
use crate::documents::versions::{sees_drafts, visible_version};
use crate::error::{ApiError, AppError, ErrorBody};
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct VersionSummaryDto {
    pub number: i64,
    pub note: String,
    pub created_by: String,
    /// Unix time in seconds.
    pub created_at: i64,
}

impl From<&DocumentVersion> for VersionSummaryDto {
    fn from(v: &DocumentVersion) -> Self {
        VersionSummaryDto {
            number: v.number,
            note: v.note.clone(),
            created_by: v.created_by_name.clone(),
            created_at: v.created_at,
        }
    }
}

/// The versions the caller may see, newest first: every version for the
/// project team, the adopted one for everyone else.
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions", tag = "Dokumente",
    params(("id" = i64, Path, description = "Nummer des Dokuments")),
    responses((status = 200, body = [VersionSummaryDto]), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Vec<VersionSummaryDto>>, ApiError> {
    let doc = state.store.document(id).await?;
    let all = sees_drafts(cu.user.role);
    if !all && doc.adopted_version.is_none() {
        return Err(AppError::NotFound.into());
    }
    let mut versions: Vec<VersionSummaryDto> = state
        .store
        .document_versions(id)
        .await?
        .iter()
        .filter(|v| all || Some(v.number) == doc.adopted_version)
        .map(VersionSummaryDto::from)
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(v.number));
    Ok(Json(versions))
}

/// One version's text, if the caller may see it.
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions/{number}", tag = "Dokumente",
    params(("id" = i64, Path, description = "Nummer des Dokuments"),
        ("number" = i64, Path, description = "Nummer der Version")),
    responses((status = 200, body = DocumentDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path((id, number)): Path<(i64, i64)>,
) -> Result<Json<DocumentDto>, ApiError> {
    let (doc, version) = visible_version(&state, &cu, id, Some(number)).await?;
    Ok(Json(DocumentDto::of(&doc, version)?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditDto {
    /// The version the text was edited from; a newer version saved in the
    /// meantime answers 409 and nothing is stored.
    pub base: i64,
    /// Not empty.
    #[schema(min_length = 1, max_length = 400000, pattern = "\\S")]
    pub markdown: String,
    /// What changed, shown in the version list.
    #[serde(default)]
    #[schema(max_length = 300)]
    pub note: String,
}

/// Saves an edited text as the next version.
#[utoipa::path(post, path = "/api/v1/documents/{id}/versions", tag = "Dokumente",
    request_body = EditDto,
    params(("id" = i64, Path, description = "Nummer des Dokuments")),
    responses((status = 201, body = VersionSummaryDto), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<EditDto>,
) -> Result<(StatusCode, Json<VersionSummaryDto>), ApiError> {
    state.store.document(id).await?;
    if let Some((field, message)) = check_edit(&body.markdown, &body.note).first() {
        return Err(AppError::invalid(field, message).into());
    }
    let note = edit_note(&body.note);
    save(&state, &cu, id, body.base, &body.markdown, None, note).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewDto {
    /// The version the interview starts from (409 if a newer one exists).
    pub base: i64,
    /// Answers to the template's interview questions, by question name;
    /// missing answers are taken from the profile and the defaults.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
}

/// Renders the document's template again with new interview answers and
/// saves the text as the next version.
#[utoipa::path(post, path = "/api/v1/documents/{id}/interview", tag = "Dokumente",
    request_body = InterviewDto,
    params(("id" = i64, Path, description = "Nummer des Dokuments")),
    responses((status = 201, body = VersionSummaryDto), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn interview(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<InterviewDto>,
) -> Result<(StatusCode, Json<VersionSummaryDto>), ApiError> {
    let doc = state.store.document(id).await?;
    let template = template(&state, &doc.template_id).await?;
    let (markdown, resolved) = render_interview(&template, &body.answers, &prefill(&state).await?)?;
    let answers = Value::Object(resolved).to_string();
    let note = "Neu aus dem Interview erzeugt";
    save(&state, &cu, id, body.base, &markdown, Some(&answers), note).await
}

async fn save(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    base: i64,
    markdown: &str,
    answers: Option<&str>,
    note: &str,
) -> Result<(StatusCode, Json<VersionSummaryDto>), ApiError> {
    let saved = state
        .store
        .save_document_version(&cu.actor(), id, base, markdown, answers, note)
        .await;
    match saved {
        Ok(doc) => {
            let version = state.store.document_version(id, doc.latest_version).await?;
            Ok((StatusCode::CREATED, Json((&version).into())))
        }
        Err(StoreError::Conflict) => {
            let latest = state.store.document(id).await?.latest_version;
            Err(AppError::Conflict(format!(
                "Inzwischen gibt es Version {latest}; nichts wurde gespeichert. \
                 Bitte auf Version {latest} aufbauen (base = {latest})."
            ))
            .into())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComparisonQuery {
    /// The older version; default: the one before `to`.
    #[param(minimum = 1)]
    pub from: Option<i64>,
    /// The newer version; default: the latest.
    #[param(minimum = 1)]
    pub to: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ComparisonDto {
    pub from: i64,
    pub to: i64,
    /// "1 Zeile geändert (2 Wörter), …".
    pub summary: String,
    /// Every line: `change` (`unchanged`, `inserted`, `deleted`), its line
    /// numbers and its text in parts, `emphasized` marking changed words.
    #[schema(value_type = Vec<Object>)]
    pub lines: Vec<documents::diff::DiffLine>,
}

/// Compares two versions line by line and word by word.
#[utoipa::path(get, path = "/api/v1/documents/{id}/comparison", tag = "Dokumente",
    params(("id" = i64, Path, description = "Nummer des Dokuments"), ComparisonQuery),
    responses((status = 200, body = ComparisonDto), (status = 404, body = ErrorBody)))]
pub async fn comparison(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<ComparisonQuery>,
) -> Result<Json<ComparisonDto>, ApiError> {
    let doc = state.store.document(id).await?;
    let to = q.to.unwrap_or(doc.latest_version);
    let from = q.from.unwrap_or((to - 1).max(1));
    let (_, old) = visible_version(&state, &cu, id, Some(from)).await?;
    let (_, new) = visible_version(&state, &cu, id, Some(to)).await?;
    let diff = documents::diff::diff(&old.markdown, &new.markdown);
    Ok(Json(ComparisonDto {
        from,
        to,
        summary: diff.stats().summary(),
        lines: diff.lines,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The version; default: the one the caller sees.
    #[param(minimum = 1)]
    pub version: Option<i64>,
}

/// Downloads a version as Markdown, HTML, ODT or PDF (PDF needs
/// LibreOffice on the server, else 503).
#[utoipa::path(get, path = "/api/v1/documents/{id}/export/{format}", tag = "Dokumente",
    params(("id" = i64, Path, description = "Nummer des Dokuments"),
        ("format" = String, Path, description = "`md`, `html`, `odt` oder `pdf`",
            pattern = "^(md|html|odt|pdf)$"),
        ExportQuery),
    responses((status = 200, description = "Die Datei", content(
            (String = "text/markdown"), (String = "text/html"),
            (Vec<u8> = "application/vnd.oasis.opendocument.text"), (Vec<u8> = "application/pdf"))),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path((id, format)): Path<(i64, String)>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    Ok(export_file(&state, &cu, id, &format, q.version).await?)
}
