//! API: knowledge spaces for programs. A space the key's person may not
//! read answers 404, as if it did not exist, and is missing from the list.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use journey::access::Role;
use journey::policy::DataClass;
use journey::spaces::Readers;
use serde::{Deserialize, Serialize};
use store::spaces::{Space, SpaceDocument};
use utoipa::{IntoParams, ToSchema};

use super::operations::{self, Hit, SpaceInput};
use super::upload::receive;
use crate::api::{ApiJson, DataClassName};
use crate::auth::CurrentUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::AppState;

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadersDto {
    /// `everyone`, `departments` or `roles`; administration and project
    /// team read every space.
    #[schema(pattern = "^(everyone|departments|roles)$")]
    pub kind: String,
    /// Department names (as in the profile) or role slugs (`admin`,
    /// `project-team`, `staff`, `viewer`); empty for `everyone`.
    #[serde(default)]
    pub names: Vec<String>,
}

impl From<&Readers> for ReadersDto {
    fn from(r: &Readers) -> Self {
        ReadersDto {
            kind: r.slug().to_owned(),
            names: r.names(),
        }
    }
}

impl ReadersDto {
    fn parse(self) -> Result<Readers, AppError> {
        match self.kind.as_str() {
            "roles" => self
                .names
                .iter()
                .map(|n| {
                    Role::parse(n).ok_or_else(|| {
                        AppError::invalid("readers", format!("Die Rolle „{n}“ gibt es nicht."))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Readers::Roles),
            "departments" => Ok(Readers::Departments(self.names)),
            "everyone" => Ok(Readers::Everyone),
            other => Err(AppError::invalid(
                "readers",
                format!("„{other}“ ist keine Leserschaft; erlaubt sind everyone, departments und roles."),
            )),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SpaceDto {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub readers: ReadersDto,
    /// The data class of the contents, a floor for requests that use them.
    #[schema(value_type = DataClassName)]
    pub data_class: String,
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
}

impl From<Space> for SpaceDto {
    fn from(s: Space) -> Self {
        SpaceDto {
            id: s.id,
            readers: (&s.readers).into(),
            data_class: s.data_class.slug().to_owned(),
            name: s.name,
            description: s.description,
            created_by: s.created_by_name,
            created_at: s.created_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSpaceDto {
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
    #[schema(schema_with = readers_input)]
    pub readers: ReadersDto,
    /// `public`, `internal`, `confidential`, `personal` or `special_categories`.
    #[schema(value_type = DataClassName)]
    pub data_class: String,
}

/// The readers a request may name, one schema per kind. The departments
/// kind lists the profile's departments in the document as served
/// (`openapi_instance`); `names` are ignored for `everyone`.
fn readers_input() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{
        AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, Type,
    };
    let kind = |name: &str, names: ArrayBuilder| {
        let object = ObjectBuilder::new()
            .property(
                "kind",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([name])),
            )
            .property("names", names)
            .required("kind")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        // Roles and departments need at least one name.
        if name == "everyone" {
            object
        } else {
            object.required("names")
        }
    };
    let string = || ObjectBuilder::new().schema_type(Type::String);
    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    OneOfBuilder::new()
        .description(Some(
            "Wer den Wissensraum liest: everyone; roles mit Rollen; departments mit Fachbereichen des Profils.",
        ))
        .item(kind("everyone", ArrayBuilder::new().items(string())))
        .item(kind(
            "roles",
            ArrayBuilder::new()
                .min_items(Some(1))
                .items(string().enum_values(Some(roles))),
        ))
        .item(kind(
            "departments",
            ArrayBuilder::new().min_items(Some(1)).items(string()),
        ))
        .build()
        .into()
}

/// Named apart from the documents module's `DocumentDto` in the OpenAPI
/// document: two schemas of one name would make one of them wrong.
#[derive(Serialize, ToSchema)]
#[schema(as = SpaceDocumentDto)]
pub struct DocumentDto {
    pub id: i64,
    pub title: String,
    pub file_name: String,
    /// `pdf`, `docx`, `odt`, `txt`, `md` or `html`.
    pub kind: String,
    pub bytes: i64,
    /// Pages of a PDF.
    pub pages: Option<i64>,
    /// Passages the search can find.
    pub passages: i64,
    pub sha256: String,
    pub added_by: String,
    /// Unix seconds.
    pub added_at: i64,
}

impl From<SpaceDocument> for DocumentDto {
    fn from(d: SpaceDocument) -> Self {
        DocumentDto {
            id: d.id,
            title: d.title,
            file_name: d.file_name,
            kind: d.kind,
            bytes: d.bytes,
            pages: d.pages,
            passages: d.passages,
            sha256: d.sha256,
            added_by: d.added_by_name,
            added_at: d.added_at,
        }
    }
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The document (PDF with text layer, DOCX, ODT, TXT, Markdown, HTML, e-mail `.eml`;
    /// at most 20 MB). Its ending must match its content.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Title for citations; else the first heading or the file name.
    title: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct SearchParams {
    /// The question or search words (at most 500 characters).
    #[param(min_length = 1, max_length = 500, pattern = "\\S")]
    pub q: String,
    /// How many passages, 1 to 20 (default 5).
    #[param(minimum = 1, maximum = 20)]
    pub k: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct HitDto {
    pub passage_id: i64,
    pub document_id: i64,
    pub document_title: String,
    /// The PDF page the passage stands on.
    pub page: Option<i64>,
    /// The headings above the passage, outermost first.
    pub section: String,
    pub text: String,
    /// BM25 score; higher is better, comparable within one search only.
    pub score: f64,
}

impl From<Hit> for HitDto {
    fn from(h: Hit) -> Self {
        HitDto {
            passage_id: h.passage.id,
            document_id: h.passage.document_id,
            document_title: h.passage.title,
            page: h.passage.page,
            section: h.passage.section,
            text: h.passage.text,
            score: h.score,
        }
    }
}

/// The knowledge spaces the caller may read.
#[utoipa::path(get, path = "/api/v1/spaces", tag = "Wissensräume",
    responses((status = 200, body = [SpaceDto])))]
pub async fn list(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Json<Vec<SpaceDto>>, ApiError> {
    let spaces = operations::visible(&state, &cu).await?;
    Ok(Json(spaces.into_iter().map(Into::into).collect()))
}

/// Creates a knowledge space (administration and project team).
#[utoipa::path(post, path = "/api/v1/spaces", tag = "Wissensräume",
    request_body = CreateSpaceDto,
    responses((status = 201, body = SpaceDto), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    cu: CurrentUser,
    ApiJson(body): ApiJson<CreateSpaceDto>,
) -> Result<(StatusCode, Json<SpaceDto>), ApiError> {
    let data_class = DataClass::parse(&body.data_class)
        .map_err(|e| AppError::invalid("data_class", e.to_string()))?;
    let input = SpaceInput {
        name: body.name,
        description: body.description,
        readers: body.readers.parse()?,
        data_class,
    };
    let space = operations::create(&state, &cu, input).await?;
    Ok((StatusCode::CREATED, Json(space.into())))
}

/// The documents of a space, newest first.
#[utoipa::path(get, path = "/api/v1/spaces/{id}/documents", tag = "Wissensräume",
    params(("id" = i64, Path, description = "Kennung des Wissensraums")),
    responses((status = 200, body = [DocumentDto])))]
pub async fn documents(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Vec<DocumentDto>>, ApiError> {
    let (_, documents) = operations::documents(&state, &cu, id).await?;
    Ok(Json(documents.into_iter().map(Into::into).collect()))
}

/// Adds a document (multipart/form-data, field `file`, optional `title`).
/// Its text is read, cut into passages along its headings, paragraphs and
/// § and indexed in one step; on any error nothing is kept.
#[utoipa::path(post, path = "/api/v1/spaces/{id}/documents", tag = "Wissensräume",
    params(("id" = i64, Path, description = "Kennung des Wissensraums")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = DocumentDto), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<DocumentDto>), ApiError> {
    operations::readable(&state, &cu, id).await?;
    let received = receive(&mut multipart).await?;
    let document = operations::add_document(&state, &cu, id, received).await?;
    Ok((StatusCode::CREATED, Json(document.into())))
}

/// Removes a document with every passage of it.
#[utoipa::path(delete, path = "/api/v1/spaces/{id}/documents/{doc}", tag = "Wissensräume",
    params(("id" = i64, Path, description = "Kennung des Wissensraums"),
        ("doc" = i64, Path, description = "Kennung des Dokuments")),
    responses((status = 204, description = "Entfernt")))]
pub async fn remove(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path((id, doc)): Path<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    operations::remove_document(&state, &cu, id, doc).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The passages of the space that answer the question best (BM25 with
/// German stemming), with document title, page or section and score; an
/// empty list when nothing in the space matches.
#[utoipa::path(get, path = "/api/v1/spaces/{id}/search", tag = "Wissensräume",
    params(("id" = i64, Path, description = "Kennung des Wissensraums"), SearchParams),
    responses((status = 200, body = [HitDto]), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Query(params): Query<SearchParams>,
) -> Result<Json<Vec<HitDto>>, ApiError> {
    let (_, hits) = operations::search(&state, &cu, id, &params.q, params.k).await?;
    Ok(Json(hits.into_iter().map(Into::into).collect()))
}
