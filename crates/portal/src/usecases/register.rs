//! The public AI register entry of a use case: drafted from the use case,
//! completed by the project team, refreshed when the use case changes.

use std::collections::BTreeSet;

use journey::usecase::model::UseCase;
use journey::usecase::register::{RegisterEntry, RegisterField};
use store::usecases::UseCaseRecord;
use store::StoreError;

use crate::auth::CurrentUser;
use crate::AppState;

/// The register entry with the fields that follow from the use case brought
/// up to date; what the project team wrote (name, description, contact,
/// what is internal, whether it is published) stays.
pub fn refresh_register(entry: Option<&RegisterEntry>, uc: &UseCase) -> Option<RegisterEntry> {
    let old = entry?;
    let mut fresh = RegisterEntry::draft_from(uc);
    fresh.name.clone_from(&old.name);
    fresh.description.clone_from(&old.description);
    fresh.contact.clone_from(&old.contact);
    fresh.internal.clone_from(&old.internal);
    fresh.published = old.published;
    fresh.keep_written(old);
    Some(fresh)
}

/// The register entry of `uc` with what the project team writes (`written`:
/// the texts of [`RegisterField::WRITTEN`]); the other fields follow from
/// the use case.
pub fn register_entry(
    uc: &UseCase,
    name: &str,
    description: &str,
    contact: &str,
    published: bool,
    internal: BTreeSet<RegisterField>,
    written: &[(RegisterField, String)],
) -> RegisterEntry {
    let mut entry = RegisterEntry::draft_from(uc);
    for (field, text) in written {
        entry.set_written(*field, text);
    }
    entry.name = name.trim().to_owned();
    entry.description = description.trim().to_owned();
    entry.contact = contact.trim().to_owned();
    entry.published = published;
    entry.internal = internal;
    entry
}

/// What is wrong with an entry, as (field key, message): `name`,
/// `description` or the key of a written field.
pub fn register_problems(entry: &RegisterEntry) -> Vec<(&'static str, String)> {
    let written = entry.written_problems();
    let mut problems: Vec<(&'static str, String)> = entry
        .problems()
        .into_iter()
        .filter(|p| !written.iter().any(|(_, w)| w == p))
        .map(|problem| {
            let field = if problem.contains("Kurzbeschreibung") {
                "description"
            } else {
                "name"
            };
            (field, format!("Bitte korrigieren: {problem}."))
        })
        .collect();
    problems.extend(
        written
            .into_iter()
            .map(|(f, p)| (f.key(), format!("Bitte korrigieren: {p}."))),
    );
    problems
}

/// Stores the register entry of `uc`, noting in the audit log whether it
/// is published.
pub async fn save_register_entry(
    state: &AppState,
    cu: &CurrentUser,
    uc: &UseCase,
    entry: &RegisterEntry,
    expected_version: i64,
) -> Result<UseCaseRecord, StoreError> {
    let change = if entry.published {
        "Registereintrag gespeichert (veröffentlicht)"
    } else {
        "Registereintrag gespeichert (nicht veröffentlicht)"
    };
    state
        .store
        .save_use_case(&cu.actor(), uc, Some(entry), expected_version, change)
        .await
}
