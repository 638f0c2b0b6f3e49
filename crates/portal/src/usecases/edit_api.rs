//! The frame every change of a use case over the API shares: load the
//! record, refuse a stale version (409) before looking at the input, let
//! the handler change a copy (its refusals name the field, and nothing is
//! stored then), and save it against that version with a note for the
//! audit log. The store checks the version again when saving, so a change
//! that raced in between still answers 409.

use journey::usecase::model::UseCase;
use journey::usecase::UseCaseError;
use store::usecases::UseCaseRecord;
use store::StoreError;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::usecases::assessment::save;
use crate::AppState;

/// Loads use case `id`, refuses a `version` other than the stored one, and
/// stores what `change` makes of a copy; `change` returns the audit note.
pub async fn edit_use_case(
    state: &AppState,
    cu: &CurrentUser,
    id: &str,
    version: i64,
    change: impl FnOnce(&mut UseCase) -> Result<String, AppError>,
) -> Result<UseCaseRecord, AppError> {
    let record = state.store.use_case(id).await?;
    check_version(&record, version)?;
    let mut uc = record.use_case.clone();
    let note = change(&mut uc)?;
    Ok(save(state, cu, &record, &uc, version, &note).await?)
}

/// A stale `version` as the conflict the store would report.
pub fn check_version(record: &UseCaseRecord, version: i64) -> Result<(), AppError> {
    if record.version == version {
        Ok(())
    } else {
        Err(StoreError::Conflict.into())
    }
}

/// Turns a refusal of the domain into a 422 naming `field`.
pub fn invalid_in(field: &str) -> impl FnOnce(UseCaseError) -> AppError + '_ {
    move |e| AppError::invalid(field, e.to_string())
}
