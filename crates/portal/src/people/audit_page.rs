//! The audit log for administrators.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::view::render;
use crate::view::{format_time, Layout};
use crate::AppState;

pub const PAGE_SIZE: i64 = 50;

struct EntryView {
    at: String,
    actor: String,
    action: String,
    object: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "people/audit.html")]
struct AuditPage {
    layout: Layout,
    entries: Vec<EntryView>,
    total: i64,
    q: String,
    q_encoded: String,
    prev_page: Option<i64>,
    next_page: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    q: String,
    seite: i64,
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Query(query): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let page = query.seite.max(1);
    let (entries, total) = state
        .store
        .audit_entries(&query.q, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        .await?;
    let entries = entries
        .into_iter()
        .map(|e| EntryView {
            at: format_time(e.at),
            actor: e.actor_name,
            action: e.action,
            object: e.object,
            detail: e.detail,
        })
        .collect();
    render(&AuditPage {
        layout: Layout::for_user(&state, &cu, "Änderungsprotokoll", "/protokoll").await,
        entries,
        total,
        q_encoded: percent_encoding::utf8_percent_encode(
            &query.q,
            percent_encoding::NON_ALPHANUMERIC,
        )
        .to_string(),
        q: query.q,
        prev_page: (page > 1).then_some(page - 1),
        next_page: (page * PAGE_SIZE < total).then_some(page + 1),
    })
}
