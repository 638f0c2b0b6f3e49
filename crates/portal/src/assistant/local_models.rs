//! Choosing the local chat and embedding models that `ki-reise serve`
//! loads at its next start: one operation for the settings page and the
//! API. Only a file the data folder's `models/` lists can be chosen.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::AppState;

pub const UNKNOWN_FILE: &str =
    "Diese Modelldatei gibt es im Datenordner nicht (mehr). Bitte eine aus der Liste wählen.";

/// The GGUF files in the data folder's `models/`, by name.
pub fn files(state: &AppState) -> Vec<String> {
    super::model_files::listed(&state.config.data_dir.join("models"))
}

/// The fields (`model`, `embedding_model`) naming a file that is not there.
pub fn unknown(
    state: &AppState,
    model: Option<&str>,
    embedding: Option<&str>,
) -> Vec<&'static str> {
    let files = files(state);
    [("model", model), ("embedding_model", embedding)]
        .into_iter()
        .filter(|(_, f)| f.is_some_and(|f| !files.iter().any(|l| l == f)))
        .map(|(field, _)| field)
        .collect()
}

/// Chooses the chat model (`None`: none) and, unless `embedding` is
/// `None`, the embedding model (`Some(None)`: none); the same file may
/// serve both. They are loaded at the next start.
pub async fn choose(
    state: &AppState,
    cu: &CurrentUser,
    model: Option<&str>,
    embedding: Option<Option<&str>>,
) -> Result<(), AppError> {
    if let Some(field) = unknown(state, model, embedding.flatten()).first() {
        return Err(AppError::invalid(field, UNKNOWN_FILE));
    }
    let actor = cu.actor();
    state.store.set_local_model(&actor, model).await?;
    if let Some(file) = embedding {
        state.store.set_local_embedding_model(&actor, file).await?;
    }
    Ok(())
}
