//! API: the caller's own conversations kept on the server (only while an
//! administrator has turned storage on), as on the KI-Assistent page.
//! Deleting stays open without the KI-Pass: a person keeps control of
//! their stored data.

use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;

/// Deletes one of the caller's stored conversations with all its turns;
/// anyone else's answers 404.
#[utoipa::path(delete, path = "/api/v1/assistant/conversations/{id}", tag = "Assistent",
    params(("id" = i64, Path, description = "Nummer des Gesprächs")),
    responses((status = 204, description = "Gelöscht"), (status = 404, body = ErrorBody)))]
pub async fn delete_conversation(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.store.delete_chat_conversation(cu.user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
