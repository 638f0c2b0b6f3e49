//! Settings of the KI-Gateway for administrators: whether the staff chat's
//! texts are stored on the server (off by default; on only with a retention
//! period, after which they are deleted), the local chat and embedding
//! models loaded at start (from the data folder's `models/`, where
//! `ki-reise model add` puts them),
//! and the remote OpenAI-compatible backends kept in the portal beside those
//! of the config file. A changed backend list applies to the next request.

use crate::text_input::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use journey::policy::Reach;
use serde::Deserialize;
use store::chat_history::MAX_RETENTION_DAYS;
use store::gateway_backends::{lines, BackendInput};
use store::StoreError;

use crate::assistant::page::NAV;
use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::FieldErrors;
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

const PATH: &str = "/assistent/einstellungen";

/// Longest wait for a backend that an administrator can set.
const MAX_TIMEOUT_SECS: i64 = 3600;

struct BackendRow {
    id: i64,
    name: String,
    urls: String,
    models: String,
    timeout: String,
    reach: String,
    has_key: bool,
    healthy: bool,
}

struct FileBackend {
    name: String,
    reach: &'static str,
    models: String,
}

/// What the form for a new backend shows again after an error.
#[derive(Default)]
struct Draft {
    name: String,
    urls: String,
    models: String,
    timeout: String,
    reach: String,
}

#[derive(askama::Template)]
#[template(path = "assistant/settings.html")]
struct Page {
    layout: Layout,
    /// GGUF files in `models/`, with the one chosen for the next start.
    model_files: Vec<(String, bool)>,
    /// The local model running now, if any.
    loaded_model: Option<String>,
    /// GGUF files in `models/`, with the one chosen as embedding model.
    embedding_files: Vec<(String, bool)>,
    /// The local embedding model running now, if any.
    loaded_embedding_model: Option<String>,
    models_dir: String,
    retention_days: Option<i64>,
    max_retention: i64,
    /// The adopted policy's limit, if a policy is adopted.
    policy_retention: Option<u32>,
    file_backends: Vec<FileBackend>,
    backends: Vec<BackendRow>,
    reaches: Vec<(&'static str, &'static str)>,
    draft: Draft,
    errors: FieldErrors,
    form_error: String,
    saved: bool,
}

async fn page(state: &AppState, cu: &CurrentUser, saved: bool) -> Result<Page, AppError> {
    let models = state.gateway().map(|g| g.models()).unwrap_or_default();
    let healthy = |name: &str| models.iter().any(|m| m.backend == name && m.healthy);
    let file_backends = state
        .gateway()
        .map(|g| {
            g.config()
                .backends
                .iter()
                .map(|b| FileBackend {
                    name: b.name.clone(),
                    reach: b.reach.label(),
                    models: b.models.join(", "),
                })
                .collect()
        })
        .unwrap_or_default();
    let backends = state
        .store
        .gateway_backends()
        .await?
        .into_iter()
        .map(|b| BackendRow {
            healthy: healthy(&b.name),
            id: b.id,
            name: b.name,
            urls: b.urls.join("\n"),
            models: b.models.join("\n"),
            timeout: b.timeout_secs.to_string(),
            reach: b.reach,
            has_key: b.api_key.is_some(),
        })
        .collect();
    let files = model_files(state);
    let marked = |chosen: Option<String>| -> Vec<(String, bool)> {
        files
            .iter()
            .map(|f| (f.clone(), chosen.as_deref() == Some(f.as_str())))
            .collect()
    };
    Ok(Page {
        layout: Layout::for_user(state, cu, "Einstellungen des KI-Gateways", NAV).await,
        model_files: marked(state.store.local_model().await?),
        embedding_files: marked(state.store.local_embedding_model().await?),
        loaded_model: models
            .iter()
            .find(|m| m.reach == Reach::Local && m.backend == "lokal")
            .map(|m| m.id.clone()),
        loaded_embedding_model: state
            .gateway()
            .and_then(|g| g.embedding_models().into_iter().next())
            .map(|m| m.id),
        models_dir: state.config.data_dir.join("models").display().to_string(),
        retention_days: state.store.chat_retention_days().await?,
        max_retention: MAX_RETENTION_DAYS,
        policy_retention: super::retention::policy_limit(state).await?,
        file_backends,
        backends,
        reaches: Reach::ALL
            .into_iter()
            .map(|r| (r.slug(), r.label()))
            .collect(),
        draft: Draft {
            timeout: "60".into(),
            reach: Reach::PrivateCloud.slug().into(),
            ..Draft::default()
        },
        errors: FieldErrors::new(),
        form_error: String::new(),
        saved,
    })
}

#[derive(Deserialize)]
pub struct Saved {
    gespeichert: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    Query(q): Query<Saved>,
) -> Result<Response, PageError> {
    render(&page(&state, &cu, q.gespeichert.is_some()).await?)
}

fn saved() -> Response {
    Redirect::to(&format!("{PATH}?gespeichert=1")).into_response()
}

async fn refused(
    state: &AppState,
    cu: &CurrentUser,
    errors: FieldErrors,
    draft: Option<Draft>,
) -> Result<Response, PageError> {
    let mut p = page(state, cu, false).await?;
    p.errors = errors;
    if let Some(d) = draft {
        p.draft = d;
    }
    p.form_error = "Bitte prüfen Sie die markierten Felder. Nichts wurde gespeichert.".into();
    let mut response = render(&p)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

/// The GGUF files in the data folder's `models/`, by name.
fn model_files(state: &AppState) -> Vec<String> {
    super::model_files::listed(&state.config.data_dir.join("models"))
}

#[derive(Deserialize)]
pub struct ModelForm {
    #[serde(default)]
    model: String,
    /// Absent (an older form): the embedding model stays as it is.
    embedding_model: Option<String>,
}

/// Chooses the local chat and embedding models that `ki-reise serve` loads
/// at its next start (the same file may serve both).
pub async fn save_model(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<ModelForm>,
) -> Result<Response, PageError> {
    let files = model_files(&state);
    let chosen =
        |field: &str| -> Option<String> { Some(field.trim().to_owned()).filter(|f| !f.is_empty()) };
    let model = chosen(&form.model);
    let embedding_model = form.embedding_model.as_deref().map(chosen);
    let mut errors = FieldErrors::new();
    for (name, file) in [
        ("model", model.as_ref()),
        (
            "embedding_model",
            embedding_model.as_ref().and_then(Option::as_ref),
        ),
    ] {
        if file.is_some_and(|f| !files.contains(f)) {
            errors.insert(
                name,
                "Diese Modelldatei gibt es im Datenordner nicht (mehr). Bitte eine aus der Liste wählen.",
            );
        }
    }
    if !errors.is_empty() {
        return refused(&state, &cu, errors, None).await;
    }
    let actor = cu.actor();
    state
        .store
        .set_local_model(&actor, model.as_deref())
        .await?;
    if let Some(file) = embedding_model {
        state
            .store
            .set_local_embedding_model(&actor, file.as_deref())
            .await?;
    }
    Ok(saved())
}

#[derive(Deserialize)]
pub struct RetentionForm {
    /// `on` or `off`.
    #[serde(default)]
    storage: String,
    #[serde(default)]
    days: String,
}

/// Turns server-side storage of chat texts on (with a retention period) or
/// off, which deletes what was stored.
pub async fn save_retention(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<RetentionForm>,
) -> Result<Response, PageError> {
    let wished = match form.storage.as_str() {
        // Unreadable is as wrong as out of range; `check` says why.
        "on" => Some(form.days.trim().parse::<i64>().unwrap_or(0)),
        _ => None,
    };
    let policy = super::retention::policy_limit(&state).await?;
    let days = match super::retention::check(wished, policy) {
        Ok(days) => days,
        Err(message) => {
            let mut errors = FieldErrors::new();
            errors.insert("days", message);
            return refused(&state, &cu, errors, None).await;
        }
    };
    state.store.set_chat_retention(&cu.actor(), days).await?;
    Ok(saved())
}

#[derive(Deserialize)]
pub struct BackendForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    urls: String,
    #[serde(default)]
    api_key: String,
    #[serde(default)]
    remove_key: String,
    #[serde(default)]
    models: String,
    #[serde(default)]
    timeout: String,
    #[serde(default)]
    reach: String,
    #[serde(default)]
    delete: String,
}

/// Saves, adds or deletes a backend and applies the list to the gateway.
pub async fn save_backend(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<BackendForm>,
) -> Result<Response, PageError> {
    let id = form.id.trim().parse::<i64>().ok();
    if let (Some(id), false) = (id, form.delete.is_empty()) {
        state.store.delete_gateway_backend(&cu.actor(), id).await?;
        apply(&state).await?;
        return Ok(saved());
    }
    let key = |f: &str| id.map_or_else(|| f.to_owned(), |id| format!("{f}-{id}"));
    let mut errors = FieldErrors::new();
    let name = form.name.trim();
    let reserved = state
        .gateway()
        .map(|g| g.configured_backend_names())
        .unwrap_or_default();
    if name.is_empty() || name.chars().count() > 100 {
        errors.insert(
            key("name"),
            "Bitte einen Namen mit höchstens 100 Zeichen angeben.",
        );
    } else if reserved.iter().any(|r| r == name) {
        errors.insert(
            key("name"),
            format!("„{name}“ ist schon vergeben (lokales Modell oder Konfigurationsdatei)."),
        );
    }
    let urls = lines(&form.urls);
    if urls.is_empty() {
        errors.insert(
            key("urls"),
            "Bitte mindestens eine Adresse angeben, eine je Zeile, mit http:// oder https:// und bis /v1, z. B. https://vllm.intern/v1.",
        );
    } else if let Some((url, reason)) = urls
        .iter()
        .find_map(|u| gateway::check_backend_url(u).err().map(|r| (u, r)))
    {
        errors.insert(key("urls"), format!("{url}: {reason}"));
    }
    let models = lines(&form.models);
    if models.is_empty() {
        errors.insert(
            key("models"),
            "Bitte mindestens ein Modell angeben, eines je Zeile, so wie das Backend es nennt.",
        );
    }
    let timeout = form.timeout.trim().parse::<i64>().ok();
    if timeout.is_none_or(|t| !(1..=MAX_TIMEOUT_SECS).contains(&t)) {
        errors.insert(
            key("timeout"),
            format!("Bitte eine Wartezeit von 1 bis {MAX_TIMEOUT_SECS} Sekunden angeben."),
        );
    }
    let reach = form.reach.trim().parse::<Reach>().ok();
    if reach.is_none() {
        errors.insert(key("reach"), "Bitte wählen, wo das Backend läuft.");
    }
    let (Some(timeout), Some(reach), true) = (timeout, reach, errors.is_empty()) else {
        let draft = id.is_none().then(|| Draft {
            name: form.name.clone(),
            urls: form.urls.clone(),
            models: form.models.clone(),
            timeout: form.timeout.clone(),
            reach: form.reach.clone(),
        });
        return refused(&state, &cu, errors, draft).await;
    };
    let api_key = if !form.remove_key.is_empty() {
        Some("")
    } else {
        Some(form.api_key.trim()).filter(|k| !k.is_empty())
    };
    let input = BackendInput {
        name,
        urls: &urls,
        api_key,
        models: &models,
        timeout_secs: timeout,
        reach: reach.slug(),
    };
    match state
        .store
        .save_gateway_backend(&cu.actor(), id, &input)
        .await
    {
        Ok(()) => {}
        Err(StoreError::Duplicate(msg)) => {
            let mut errors = FieldErrors::new();
            errors.insert(key("name"), msg);
            return refused(&state, &cu, errors, None).await;
        }
        Err(e) => return Err(AppError::from(e).into()),
    }
    apply(&state).await?;
    Ok(saved())
}

/// Hands the stored backends to the running gateway.
async fn apply(state: &AppState) -> Result<(), AppError> {
    match state.gateway() {
        Some(gw) => gw
            .reload_backends()
            .await
            .map_err(|e| AppError::Internal(e.message)),
        None => Ok(()),
    }
}
