//! Task sets for the Vergleichstest uploaded in the portal. The upload is
//! text, checked with the bench crate's own task-file parser (whose errors
//! name the place, never the content), bounded in size, and stored in the
//! database under the id the file declares; a spec then names it with
//! `task: <id>`. No user value ever becomes a path.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;

/// Largest task file accepted (the shipped ones are under 40 KB).
pub const MAX_TASK_SET_BYTES: usize = 512 * 1024;

/// An uploaded set as the page and the API list it.
pub struct TaskSetRow {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub items: i64,
    pub uploaded_by: String,
}

pub async fn rows(state: &AppState) -> Result<Vec<TaskSetRow>, AppError> {
    Ok(state
        .store
        .bench_task_set_entries()
        .await?
        .into_iter()
        .map(|e| TaskSetRow {
            id: e.id,
            title: e.title,
            kind: e.kind,
            items: e.items,
            uploaded_by: e.uploaded_by,
        })
        .collect())
}

/// An id that names a set in a spec and in a URL: short, plain.
fn plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 60
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Checks an uploaded task file and stores it; returns its id. Page and API
/// share it; every refusal is field `file` with a German reason that never
/// quotes the file.
pub async fn upload(state: &AppState, cu: &CurrentUser, bytes: &[u8]) -> Result<String, AppError> {
    let refuse = |m: String| AppError::invalid("file", m);
    if bytes.is_empty() {
        return Err(refuse("Bitte eine Aufgabendatei (YAML) wählen.".into()));
    }
    if bytes.len() > MAX_TASK_SET_BYTES {
        return Err(refuse(format!(
            "Die Datei ist zu groß ({} KB); erlaubt sind höchstens {} KB.",
            bytes.len().div_ceil(1024),
            MAX_TASK_SET_BYTES / 1024
        )));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| refuse("Die Datei ist nicht in UTF-8 kodiert.".into()))?;
    let set = bench::tasks::parse_tasks(text, "der hochgeladenen Datei")
        .map_err(|e| refuse(e.to_string()))?;
    if !plain_id(&set.id) {
        return Err(refuse(
            "Feld `id`: bitte nur Kleinbuchstaben, Ziffern, - und _ (höchstens 60 Zeichen).".into(),
        ));
    }
    if bench::tasks::builtin_ids().contains(&set.id.as_str()) {
        return Err(refuse(format!(
            "Feld `id`: „{}“ ist eine eingebaute Aufgabe; bitte eine eigene Kennung wählen.",
            set.id
        )));
    }
    let kind = serde_json::to_value(set.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    state
        .store
        .save_bench_task_set(
            &cu.actor(),
            &store::bench_task_sets::TaskSetInput {
                id: &set.id,
                title: &set.title,
                kind: &kind,
                items: set.items.len() as i64,
                yaml: text,
            },
        )
        .await?;
    Ok(set.id)
}

/// The uploaded sets parsed, by id, for [`bench::RunPlan::from_portal`]. A
/// stored set that no longer parses (a newer format rule) is left out, so a
/// spec naming it gets "unbekannte Aufgabe".
pub async fn parsed(
    state: &AppState,
) -> Result<BTreeMap<String, Arc<bench::tasks::TaskSet>>, AppError> {
    Ok(state
        .store
        .bench_task_set_texts()
        .await?
        .into_iter()
        .filter_map(|(id, yaml)| {
            let set = bench::tasks::parse_tasks(&yaml, &id).ok()?;
            (set.id == id).then(|| (id, Arc::new(set)))
        })
        .collect())
}
