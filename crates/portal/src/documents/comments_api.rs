//! API: comments on the sections of a document version, as the review page
//! shows and takes them.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use store::documents::Comment;
use utoipa::{IntoParams, ToSchema};

use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::documents::editing::check_comment;
use crate::documents::versions::visible_version;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct CommentDto {
    pub id: i64,
    pub version: i64,
    /// The section's anchor, as in the document's headings.
    pub anchor: String,
    pub body: String,
    pub author: String,
    /// Unix time in seconds.
    pub created_at: i64,
}

impl From<Comment> for CommentDto {
    fn from(c: Comment) -> Self {
        CommentDto {
            id: c.id,
            version: c.version_number,
            anchor: c.anchor,
            body: c.body,
            author: c.author_name,
            created_at: c.created_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommentsQuery {
    /// The version; default: the one the caller sees.
    #[param(minimum = 1)]
    pub version: Option<i64>,
}

/// The comments on a version, in the order they were written.
#[utoipa::path(get, path = "/api/v1/documents/{id}/comments", tag = "Dokumente",
    params(("id" = i64, Path, description = "Nummer des Dokuments"), CommentsQuery),
    responses((status = 200, body = [CommentDto]), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<CommentsQuery>,
) -> Result<Json<Vec<CommentDto>>, ApiError> {
    let (_, version) = visible_version(&state, &cu, id, q.version).await?;
    let comments = state.store.comments(id, version.number).await?;
    Ok(Json(comments.into_iter().map(CommentDto::from).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCommentDto {
    pub version: i64,
    /// A section's anchor in that version.
    pub anchor: String,
    #[schema(min_length = 1, max_length = 4000, pattern = "\\S")]
    pub body: String,
}

/// Comments on one section of a version.
#[utoipa::path(post, path = "/api/v1/documents/{id}/comments", tag = "Dokumente",
    request_body = NewCommentDto,
    params(("id" = i64, Path, description = "Nummer des Dokuments")),
    responses((status = 201, body = CommentDto), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NewCommentDto>,
) -> Result<(StatusCode, Json<CommentDto>), ApiError> {
    let (_, version) = visible_version(&state, &cu, id, Some(body.version)).await?;
    check_comment(&version.markdown, &body.anchor, &body.body)
        .map_err(|(field, message)| AppError::invalid(field, message))?;
    let created = state
        .store
        .add_comment(&cu.actor(), id, version.number, &body.anchor, &body.body)
        .await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}
