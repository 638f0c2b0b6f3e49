//! The AI Act duties of use cases as tracked tasks: kept in step with the
//! classification (on every read, so no path that changes a
//! classification or a pilot's start can forget it), changed by the
//! project team, with evidence files in the data folder under names the
//! server makes; and the overdue duties with their owners' addresses for
//! the reminder e-mail.

use std::path::PathBuf;

use journey::usecase::duties::evidence::MAX_EVIDENCE_BYTES;
use journey::usecase::duties::{
    derive, synchronise, DerivedDuty, DutyTask, DutyUpdate, EvidenceFile, EvidenceKind, StoredName,
};
use rand::RngCore;
use store::usecase_duties::OverdueDuty;
use store::usecases::UseCaseRecord;
use store::Actor;

use super::content::decision_tree;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;

/// The folder of the data directory that holds evidence files.
pub fn evidence_dir(state: &AppState) -> PathBuf {
    state.config.data_dir.join("nachweise")
}

/// The duties the use case's classification and pilot start give.
fn derived_of(record: &UseCaseRecord) -> Result<Vec<DerivedDuty>, AppError> {
    let uc = &record.use_case;
    Ok(derive(
        decision_tree()?,
        uc.classification.as_ref(),
        uc.pilot.as_ref().and_then(|p| p.start.as_deref()),
    ))
}

/// The duties of a use case as its classification and pilot give them
/// now, merged with what was entered (see `journey::usecase::duties::sync`);
/// stored when that changed anything.
pub async fn synced(state: &AppState, record: &UseCaseRecord) -> Result<Vec<DutyTask>, AppError> {
    let uc = &record.use_case;
    let derived = derived_of(record)?;
    let existing = state.store.duty_tasks(&uc.id).await?;
    let tasks = synchronise(&uc.id, &existing, &derived);
    // Only what changed (or moved) is written, so a person's change made
    // meanwhile to another duty is not overwritten with what was read.
    let changed: Vec<&str> = tasks
        .iter()
        .enumerate()
        .filter(|(i, t)| existing.get(*i) != Some(*t))
        .map(|(_, t)| t.duty.as_str())
        .collect();
    if !changed.is_empty() {
        state
            .store
            .save_duty_tasks(
                &Actor::system(),
                &uc.id,
                &tasks,
                Some(&changed),
                "Pflichten mit der Einstufung abgeglichen",
            )
            .await?;
    }
    Ok(tasks)
}

/// Every use case with its duties, in step with its classification.
pub async fn synced_all(state: &AppState) -> Result<Vec<(UseCaseRecord, Vec<DutyTask>)>, AppError> {
    let mut all = Vec::new();
    for record in state.store.use_cases().await? {
        let tasks = synced(state, &record).await?;
        all.push((record, tasks));
    }
    Ok(all)
}

/// The overdue duties on `today` (ISO; the caller passes the date so a
/// test can choose it) with their owners' names and e-mail addresses,
/// oldest first: what the reminder e-mail is sent from.
pub async fn overdue_reminders(
    state: &AppState,
    today: &str,
) -> Result<Vec<OverdueDuty>, AppError> {
    synced_all(state).await?;
    Ok(state.store.overdue_duties(today).await?)
}

/// The use case, its duties and where duty `duty` is among them.
async fn one(
    state: &AppState,
    id: &str,
    duty: &str,
) -> Result<(UseCaseRecord, Vec<DutyTask>, usize), AppError> {
    let record = state.store.use_case(id).await?;
    let tasks = synced(state, &record).await?;
    let at = tasks
        .iter()
        .position(|t| t.duty == duty)
        .ok_or(AppError::NotFound)?;
    Ok((record, tasks, at))
}

/// Stores `changed` (one of the use case's duties, at `at` in `tasks`),
/// its due date derived again where the change gave none. Only that duty
/// is written, so two people changing two duties do not undo each other.
async fn store_changed(
    state: &AppState,
    cu: &CurrentUser,
    record: &UseCaseRecord,
    mut tasks: Vec<DutyTask>,
    at: usize,
    changed: DutyTask,
    note: String,
) -> Result<DutyTask, AppError> {
    let duty = changed.duty.clone();
    tasks[at] = changed;
    let uc = &record.use_case;
    let tasks = synchronise(&uc.id, &tasks, &derived_of(record)?);
    state
        .store
        .save_duty_tasks(&cu.actor(), &uc.id, &tasks, Some(&[duty.as_str()]), &note)
        .await?;
    tasks
        .into_iter()
        .find(|t| t.duty == duty)
        .ok_or(AppError::NotFound)
}

/// Applies a person's change to duty `duty` of use case `id`. The owner
/// must be an active account; the rest is checked by
/// [`DutyUpdate::apply`], whose refusals name the field.
pub async fn update(
    state: &AppState,
    cu: &CurrentUser,
    id: &str,
    duty: &str,
    change: &DutyUpdate,
) -> Result<DutyTask, AppError> {
    if let Some(owner) = change.owner {
        let active = state.store.user(owner).await.is_ok_and(|u| u.active);
        if !active {
            return Err(AppError::invalid(
                "owner",
                format!("Es gibt kein aktives Konto mit der Nummer {owner}."),
            ));
        }
    }
    let (record, tasks, at) = one(state, id, duty).await?;
    let changed = change
        .apply(&tasks[at])
        .map_err(|p| AppError::invalid(p.field, p.message))?;
    let note = format!("Pflicht {duty}: {}", changed.status.label());
    store_changed(state, cu, &record, tasks, at, changed, note).await
}

/// Stores an uploaded evidence file for duty `duty` of use case `id`: at
/// most [`MAX_EVIDENCE_BYTES`], recognised by its content
/// ([`EvidenceKind::recognise`]), written under a name the server makes.
/// A file it replaces is removed once the new one is recorded.
pub async fn attach_evidence(
    state: &AppState,
    cu: &CurrentUser,
    id: &str,
    duty: &str,
    name: &str,
    declared_type: Option<&str>,
    bytes: &[u8],
) -> Result<DutyTask, AppError> {
    if bytes.len() > MAX_EVIDENCE_BYTES {
        return Err(too_large());
    }
    let (record, tasks, at) = one(state, id, duty).await?;
    let kind = EvidenceKind::recognise(name, declared_type, bytes)
        .map_err(|m| AppError::invalid("file", m))?;
    let mut random = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let stored = StoredName::new(random, kind);
    let dir = evidence_dir(state);
    let path = dir.join(stored.as_str());
    let write = async {
        tokio::fs::create_dir_all(&dir).await?;
        tokio::fs::write(&path, bytes).await
    };
    write
        .await
        .map_err(|e| AppError::internal("Nachweis speichern", e))?;
    let mut changed = tasks[at].clone();
    let replaced = changed.evidence_file.replace(EvidenceFile {
        stored,
        name: journey::usecase::duties::evidence::clean_file_name(name),
        kind,
        size: bytes.len() as u64,
    });
    let note = format!("Pflicht {duty}: Nachweis hochgeladen ({})", kind.label());
    match store_changed(state, cu, &record, tasks, at, changed, note).await {
        Ok(task) => {
            if let Some(old) = replaced {
                let _ = tokio::fs::remove_file(dir.join(old.stored.as_str())).await;
            }
            Ok(task)
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            Err(e)
        }
    }
}

/// The refusal of a file over [`MAX_EVIDENCE_BYTES`].
pub fn too_large() -> AppError {
    AppError::TooLarge(format!(
        "Der Nachweis ist größer als {} MB; bitte eine kleinere Datei hochladen oder einen Link angeben.",
        MAX_EVIDENCE_BYTES / (1024 * 1024)
    ))
}

/// The evidence file of a duty and its content, for download.
pub async fn evidence(
    state: &AppState,
    id: &str,
    duty: &str,
) -> Result<(EvidenceFile, Vec<u8>), AppError> {
    let (_, tasks, at) = one(state, id, duty).await?;
    let file = tasks[at].evidence_file.clone().ok_or(AppError::NotFound)?;
    let bytes = tokio::fs::read(evidence_dir(state).join(file.stored.as_str()))
        .await
        .map_err(|e| AppError::internal("Nachweis lesen", e))?;
    Ok((file, bytes))
}
