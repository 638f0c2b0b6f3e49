//! The library of use cases seen in other municipalities, to adopt one.

use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::usecases::content::decision_tree;
use crate::usecases::content::library;
use crate::usecases::intake::adopt_from_library;
use crate::usecases::page::NAV;
use crate::view::render;
use crate::view::Layout;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

pub struct LibraryRow {
    pub id: String,
    pub title: String,
    pub problem: String,
    pub seen_at: String,
    pub expected: String,
}

#[derive(Template)]
#[template(path = "usecases/library.html")]
pub(super) struct LibraryPage {
    pub(super) layout: Layout,
    pub(super) entries: Vec<LibraryRow>,
}

pub async fn library_page(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Response, PageError> {
    let tree = decision_tree()?;
    let entries = library()?
        .entries
        .iter()
        .map(|e| LibraryRow {
            id: e.id.clone(),
            title: e.intake.title.clone(),
            problem: e.intake.problem.clone(),
            seen_at: e.seen_at.join(", "),
            expected: tree
                .conclusion(&e.classification.expected)
                .map_or_else(|| e.classification.expected.clone(), |c| c.label.clone()),
        })
        .collect();
    render(&LibraryPage {
        layout: Layout::for_user(&state, &cu, "Bibliothek der Anwendungsfälle", NAV).await,
        entries,
    })
}

pub async fn adopt(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(entry): Path<String>,
) -> Result<Response, PageError> {
    let record = adopt_from_library(&state, &cu, &entry).await?;
    Ok(Redirect::to(&format!(
        "/anwendungsfaelle/{}?gespeichert=1",
        record.use_case.id
    ))
    .into_response())
}
