//! API: documents built from templates and the rule set of the adopted
//! KI-Richtlinie (which the gateway enforces). Staff and viewers see only
//! adopted versions, as on the pages.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use store::documents::{Document, DocumentVersion};
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::documents::editing::render_interview;
use crate::documents::rules::current_rules;
use crate::documents::templates::{prefill, template, templates};
use crate::documents::versions::{sees_drafts, visible_version};
use crate::error::{ApiError, AppError, ErrorBody};
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct DocumentSummaryDto {
    pub id: i64,
    pub title: String,
    /// `strategie`, `richtlinie`, `dienstvereinbarung`, `schwellwertanalyse` or `information`.
    pub kind: String,
    pub template_id: String,
    /// `draft`, `review`, `adopted` or `superseded`.
    pub status: String,
    pub latest_version: i64,
    pub adopted_version: Option<i64>,
    /// ISO date of adoption.
    pub adopted_on: Option<String>,
    pub adopted_by: Option<String>,
    /// Unix time in seconds.
    pub updated_at: i64,
}

impl From<&Document> for DocumentSummaryDto {
    fn from(d: &Document) -> Self {
        DocumentSummaryDto {
            id: d.id,
            title: d.title.clone(),
            kind: d.kind.clone(),
            template_id: d.template_id.clone(),
            status: d.status.as_str().to_owned(),
            latest_version: d.latest_version,
            adopted_version: d.adopted_version,
            adopted_on: d.adopted_on.clone(),
            adopted_by: d.adopted_by.clone(),
            updated_at: d.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DocumentDto {
    #[serde(flatten)]
    pub summary: DocumentSummaryDto,
    /// The version shown: the latest for editors, the adopted one for others.
    pub version: i64,
    pub markdown: String,
    /// The interview answers the version was rendered from.
    #[schema(value_type = Object)]
    pub answers: Value,
}

impl DocumentDto {
    /// The document with one version's text and interview answers.
    pub fn of(doc: &Document, version: DocumentVersion) -> Result<DocumentDto, AppError> {
        Ok(DocumentDto {
            summary: doc.into(),
            version: version.number,
            answers: serde_json::from_str(&version.answers)
                .map_err(|e| AppError::internal("read the stored interview answers", e))?,
            markdown: version.markdown,
        })
    }
}

/// The documents the caller may see, most recently changed first.
#[utoipa::path(get, path = "/api/v1/documents", tag = "Dokumente",
    responses((status = 200, body = [DocumentSummaryDto]), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Json<Vec<DocumentSummaryDto>>, ApiError> {
    let drafts = sees_drafts(cu.user.role);
    Ok(Json(
        state
            .store
            .documents()
            .await?
            .iter()
            .filter(|d| drafts || d.adopted_version.is_some())
            .map(DocumentSummaryDto::from)
            .collect(),
    ))
}

/// One document with the text of the version the caller may see.
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "Dokumente",
    params(("id" = i64, Path, description = "Nummer des Dokuments")),
    responses((status = 200, body = DocumentDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<DocumentDto>, ApiError> {
    let (doc, version) = visible_version(&state, &cu, id, None).await?;
    Ok(Json(DocumentDto::of(&doc, version)?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDocumentDto {
    pub template_id: String,
    #[schema(max_length = 200, pattern = "\\S")]
    pub title: String,
    /// Answers to the template's interview questions, by question name;
    /// missing answers are taken from the profile and the defaults.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
}

/// Renders a template with the given answers into a new draft document.
#[utoipa::path(post, path = "/api/v1/documents", tag = "Dokumente", request_body = NewDocumentDto,
    responses((status = 201, body = DocumentDto), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<NewDocumentDto>,
) -> Result<(StatusCode, Json<DocumentDto>), ApiError> {
    let template = template(&state, &body.template_id).await?;
    let title = body.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(AppError::invalid(
            "title",
            "Bitte einen Titel mit höchstens 200 Zeichen angeben.",
        )
        .into());
    }
    let (markdown, resolved) = render_interview(&template, &body.answers, &prefill(&state).await?)?;
    let doc = state
        .store
        .create_document(
            &cu.actor(),
            &store::documents::NewDocument {
                template_id: &template.id,
                kind: &crate::form::key(template.kind),
                title,
                markdown: &markdown,
                answers: &Value::Object(resolved.clone()).to_string(),
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(DocumentDto {
            summary: (&doc).into(),
            version: 1,
            markdown,
            answers: Value::Object(resolved),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct TemplateDto {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub version: String,
    /// `mitgeliefert` or where it was imported from.
    pub origin: String,
    /// The interview: name, label, kind, options, required, default, prefill.
    #[schema(value_type = Vec<Object>)]
    pub questions: Vec<documents::Question>,
}

/// The templates on offer (shipped and imported) with their interview questions.
#[utoipa::path(get, path = "/api/v1/document-templates", tag = "Dokumente",
    responses((status = 200, body = [TemplateDto])))]
pub async fn list_templates(
    State(state): State<AppState>,
) -> Result<Json<Vec<TemplateDto>>, ApiError> {
    Ok(Json(
        templates(&state)
            .await?
            .into_iter()
            .map(|(t, origin)| TemplateDto {
                kind: crate::form::key(t.kind),
                id: t.id,
                title: t.title,
                version: t.version,
                origin,
                questions: t.questions,
            })
            .collect(),
    ))
}

/// The rule set in force (`schemas/policy-rules.schema.json`): that of the
/// adopted KI-Richtlinie, or the conservative default while none is adopted.
#[utoipa::path(get, path = "/api/v1/policy/rules", tag = "Dokumente",
    responses((status = 200, description = "Das Regelwerk", content_type = "application/json")))]
pub async fn rules(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let (rules, _) = current_rules(&state).await?;
    Ok(Json(serde_json::to_value(&rules).map_err(|e| {
        AppError::internal("serialise the rule set", e)
    })?))
}

/// Deletes an accidental draft; a document that is or was in review stays
/// (409).
#[utoipa::path(delete, path = "/api/v1/documents/{id}", tag = "Dokumente",
    params(("id" = i64, Path, description = "Nummer des Dokuments")),
    responses((status = 204, description = "Gelöscht"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.store.delete_draft_document(&cu.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
