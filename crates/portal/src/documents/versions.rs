//! Which document version a user may see, and what an export writes about
//! it.

use documents::Template;
use journey::access::{Permission, Role};
use store::documents::{Document, DocumentStatus, DocumentVersion};

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;

/// Whether a role sees drafts and documents under review. Everyone else sees
/// only what has been adopted: a draft policy is not yet a rule.
pub fn sees_drafts(role: Role) -> bool {
    role.can(Permission::EditDocuments)
}

/// Whether the caller holds a function (a reviewing body or
/// Bürgermeister/in) or adopts as the administration: they read the version
/// under review, whatever their role.
async fn reviews_or_adopts(state: &AppState, cu: &CurrentUser) -> Result<bool, AppError> {
    Ok(!state.store.functions_of(cu.user.id).await?.is_empty()
        || crate::documents::decisions::caller_adopts(state, cu).await?)
}

/// The document and the version a user may see: `requested`, else the latest
/// for editors and the adopted one for everyone else.
pub async fn visible_version(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    requested: Option<i64>,
) -> Result<(Document, DocumentVersion), AppError> {
    let doc = state.store.document(id).await?;
    let number = if sees_drafts(cu.user.role) {
        requested.unwrap_or(doc.latest_version)
    } else if doc.status == DocumentStatus::Review
        && requested.is_none_or(|n| n == doc.latest_version)
        && reviews_or_adopts(state, cu).await?
    {
        // Whoever states or adopts reads the version under review.
        doc.latest_version
    } else {
        match (doc.adopted_version, requested) {
            (Some(adopted), None) => adopted,
            (Some(adopted), Some(n)) if n == adopted => adopted,
            _ => return Err(AppError::NotFound),
        }
    };
    let version = state.store.document_version(id, number).await?;
    Ok((doc, version))
}

/// The metadata the exports write into the file.
pub fn meta(
    state_name: Option<String>,
    doc: &Document,
    version: &DocumentVersion,
    template: Option<&Template>,
) -> documents::DocMeta {
    let mut meta = documents::DocMeta::new(doc.title.clone());
    meta.date = Some(journey::date::from_unix(version.created_at));
    if doc.adopted_version == Some(version.number) {
        if let (Some(on), Some(by)) = (&doc.adopted_on, &doc.adopted_by) {
            // The header shows the day it was adopted, not the day it was typed.
            meta.date = Some(on.clone());
            meta.adoption = Some(documents::Adoption {
                on: on.clone(),
                by: by.clone(),
                place: state_name
                    .as_deref()
                    .map(journey::german::place_name)
                    .unwrap_or_default(),
            });
        }
    }
    meta.author = state_name;
    meta.version = Some(version.number.to_string());
    meta.status = Some(if doc.adopted_version == Some(version.number) {
        match doc.status {
            DocumentStatus::Superseded => "abgelöst".to_owned(),
            _ => "beschlossen".to_owned(),
        }
    } else if version.number == doc.latest_version {
        doc.status.label().to_owned()
    } else {
        "frühere Fassung".to_owned()
    });
    if let Some(t) = template {
        meta.sources.clone_from(&t.sources);
    }
    meta
}
