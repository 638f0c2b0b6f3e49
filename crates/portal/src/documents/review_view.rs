//! The review section of the document page: per area the holder and the
//! statement (or "ausstehend"), whose statement is missing, whom the
//! adoption waits for, and the forms the caller may use.

use store::documents::{Document, DocumentStatus};

use crate::access::may_give_statement;
use crate::auth::CurrentUser;
use crate::documents::decisions::caller_adopts;
use crate::documents::review_status::ReviewStatus;
use crate::error::AppError;
use crate::AppState;

pub struct ReviewRow {
    pub area: &'static str,
    pub holder: String,
    pub state: String,
    pub state_key: &'static str,
    pub comment: String,
}

pub struct ReviewPanel {
    pub rows: Vec<ReviewRow>,
    /// The areas whose statement the caller gives (key, label): the form's
    /// choice. Empty: no statement form.
    pub statement_areas: Vec<(&'static str, &'static str)>,
    pub can_adopt: bool,
    /// "Datenschutz (Dana Datenschutz), …" while statements are missing.
    pub missing: String,
    /// "Wartet auf den Beschluss durch …" once all have consented.
    pub waiting: String,
}

/// The panel for one version; forms only on the version under review.
pub async fn review_panel(
    state: &AppState,
    cu: &CurrentUser,
    doc: &Document,
    number: i64,
) -> Result<ReviewPanel, AppError> {
    let status = ReviewStatus::load(state, doc.id, number).await?;
    let open = doc.status == DocumentStatus::Review && number == doc.latest_version;
    let held = state.store.functions_of(cu.user.id).await?;
    let statement_areas = if open {
        status
            .areas
            .iter()
            .filter(|a| may_give_statement(&held, a.area))
            .map(|a| (a.area.as_str(), a.area.label()))
            .collect()
    } else {
        Vec::new()
    };
    Ok(ReviewPanel {
        rows: status
            .areas
            .iter()
            .map(|a| ReviewRow {
                area: a.area.label(),
                holder: a.holder_name(),
                state: a.state_text(),
                state_key: a.state_key(),
                comment: a
                    .statement
                    .as_ref()
                    .map(|r| r.comment.clone())
                    .unwrap_or_default(),
            })
            .collect(),
        statement_areas,
        can_adopt: open && caller_adopts(state, cu).await?,
        missing: if open {
            status.missing().join(", ")
        } else {
            String::new()
        },
        waiting: if open {
            status.waiting().unwrap_or_default()
        } else {
            String::new()
        },
    })
}
