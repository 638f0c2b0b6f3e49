//! Choosing the local chat and embedding models: one operation for the
//! settings page and the API. Only a file the data folder's `models/`
//! lists can be chosen. A chosen chat model is loaded at once and takes
//! new requests (answers under way end on the old one), unless the
//! operator fixed the model at start (`--model`, config file); the
//! embedding model is loaded at the next start.

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
    let previous = state.store.local_model().await?;
    let switch = state.gateway().filter(|gw| {
        switchable(gw) && (previous.as_deref() != model || gw.local_model_id().is_none())
    });
    // Loaded before anything is stored: a file that does not load leaves
    // the choice and the running model as they were.
    let loaded = match (switch, model) {
        (Some(gw), Some(file)) => Some(load(state, gw, file).await?),
        _ => None,
    };
    let actor = cu.actor();
    state.store.set_local_model(&actor, model).await?;
    if let Some(gw) = switch {
        gw.switch_local(loaded);
        tracing::info!(model = model.unwrap_or("-"), "local chat model switched");
    }
    if let Some(file) = embedding {
        state.store.set_local_embedding_model(&actor, file).await?;
    }
    Ok(())
}

/// Whether the portal's choice decides the running chat model: not when
/// the operator fixed it at start (`--model` or the config file).
pub fn switchable(gw: &gateway::Gateway) -> bool {
    let local = &gw.config().local;
    local.model.is_none() || local.chosen_in_portal
}

/// Maps `file` from `models/` and starts the engine on it, off the async
/// workers (a large file takes a moment to map and check).
async fn load(
    state: &AppState,
    gw: &gateway::Gateway,
    file: &str,
) -> Result<gateway::LocalBackend, AppError> {
    let path = super::model_files::chosen(&state.config.data_dir.join("models"), file)
        .ok_or_else(|| AppError::invalid("model", UNKNOWN_FILE))?;
    let config = gw.config().local.clone();
    let catalogue = super::catalogue::load_from(&state.config.data_dir).ok();
    tokio::task::spawn_blocking(move || gateway::local::load(&path, &config, catalogue.as_ref()))
        .await
        .map_err(|e| AppError::Internal(format!("loading the model: {e}")))?
        .map_err(|e| AppError::invalid("model", e.message))
}
