//! Deleting an accidental draft: a confirmation page (no JavaScript needed),
//! then the deletion, refused once the document is or was in review.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use store::documents::DocumentStatus;
use store::StoreError;

use crate::auth::CurrentUser;
use crate::documents::page::NAV;
use crate::error::{AppError, PageError};
use crate::view::{render, Layout};
use crate::AppState;

#[derive(askama::Template)]
#[template(path = "documents/delete.html")]
struct DeletePage {
    layout: Layout,
    id: i64,
    title: String,
    versions: i64,
    /// Why this document cannot be deleted; empty: it can.
    error: String,
}

const NOT_A_DRAFT: &str = "Nur ein Entwurf, der noch nie in Prüfung war, lässt sich löschen. Dieses Dokument bleibt erhalten.";

async fn page(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    error: String,
) -> Result<Response, PageError> {
    let doc = state.store.document(id).await?;
    let refused = !error.is_empty();
    let mut response = render(&DeletePage {
        layout: Layout::for_user(state, cu, &format!("Entwurf löschen: {}", doc.title), NAV).await,
        id,
        title: doc.title,
        versions: doc.latest_version,
        error,
    })?;
    if refused {
        *response.status_mut() = StatusCode::CONFLICT;
    }
    Ok(response)
}

/// Asks before deleting; says at once when the document is no draft.
pub async fn confirm_form(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let doc = state.store.document(id).await?;
    let error = if doc.status == DocumentStatus::Draft && doc.adopted_version.is_none() {
        String::new()
    } else {
        NOT_A_DRAFT.to_owned()
    };
    page(&state, &cu, id, error).await
}

pub async fn delete(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    match state.store.delete_draft_document(&cu.actor(), id).await {
        Ok(()) => Ok(Redirect::to("/dokumente?geloescht=1").into_response()),
        Err(StoreError::Refused(message)) => page(&state, &cu, id, message).await,
        Err(e) => Err(AppError::from(e).into()),
    }
}
