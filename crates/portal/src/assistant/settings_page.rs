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
use store::gateway_backends::lines;

use crate::assistant::backends::{self, BackendDraft};
use crate::assistant::local_models;
use crate::assistant::page::NAV;
use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::FieldErrors;
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

const PATH: &str = "/assistent/einstellungen";

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
    /// Whether a chat model chosen here is loaded at once.
    switchable: bool,
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
    /// The model catalogue, best first for this machine.
    catalogue: super::catalogue_api::CatalogueDto,
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
    let files = local_models::files(state);
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
        switchable: state
            .gateway()
            .is_none_or(|g| super::local_models::switchable(g)),
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
        catalogue: super::catalogue_api::catalogue_dto(state).await?,
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
    let chosen =
        |field: &str| -> Option<String> { Some(field.trim().to_owned()).filter(|f| !f.is_empty()) };
    let model = chosen(&form.model);
    let embedding_model = form.embedding_model.as_deref().map(chosen);
    let embedding = embedding_model.as_ref().map(Option::as_deref);
    match local_models::choose(&state, &cu, model.as_deref(), embedding).await {
        Ok(()) => Ok(saved()),
        Err(AppError::Invalid { field, message }) => {
            let mut errors = FieldErrors::new();
            for field in local_models::unknown(&state, model.as_deref(), embedding.flatten()) {
                errors.insert(field, local_models::UNKNOWN_FILE);
            }
            // A listed file that does not load as a model.
            if errors.is_empty() {
                errors.insert(field.as_deref().unwrap_or("model"), message);
            }
            refused(&state, &cu, errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct DownloadForm {
    #[serde(default)]
    model: String,
    #[serde(default)]
    quant: String,
}

/// Starts downloading a file of the model catalogue; the page shows its
/// progress.
pub async fn download_model(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<DownloadForm>,
) -> Result<Response, PageError> {
    match super::catalogue::start(&state, &cu, &form.model, &form.quant).await {
        Ok(_) => Ok(Redirect::to(&format!("{PATH}#katalog-h")).into_response()),
        Err(e @ (AppError::NotFound | AppError::Conflict(_))) => {
            let mut errors = FieldErrors::new();
            let message = match e {
                AppError::Conflict(m) => m,
                _ => super::catalogue::UNKNOWN_ENTRY.to_owned(),
            };
            errors.insert("catalogue", message);
            refused(&state, &cu, errors, None).await
        }
        Err(e) => Err(e.into()),
    }
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
        backends::delete(&state, &cu, id).await?;
        return Ok(saved());
    }
    let key = |f: &str| id.map_or_else(|| f.to_owned(), |id| format!("{f}-{id}"));
    let (urls, models) = (lines(&form.urls), lines(&form.models));
    let draft = BackendDraft {
        name: &form.name,
        urls: &urls,
        models: &models,
        timeout_secs: form.timeout.trim().parse::<i64>().ok(),
        reach: form.reach.trim().parse::<Reach>().ok(),
        api_key: if !form.remove_key.is_empty() {
            Some("")
        } else {
            Some(form.api_key.trim()).filter(|k| !k.is_empty())
        },
    };
    let problems = backends::problems(&state, &draft);
    if !problems.is_empty() {
        let mut errors = FieldErrors::new();
        for (field, message) in problems {
            errors.insert(key(field), message);
        }
        let draft = id.is_none().then(|| Draft {
            name: form.name.clone(),
            urls: form.urls.clone(),
            models: form.models.clone(),
            timeout: form.timeout.clone(),
            reach: form.reach.clone(),
        });
        return refused(&state, &cu, errors, draft).await;
    }
    match backends::save(&state, &cu, id, &draft).await {
        Ok(()) => Ok(saved()),
        // A name taken meanwhile.
        Err(AppError::Invalid {
            field: Some(field),
            message,
        }) => {
            let mut errors = FieldErrors::new();
            errors.insert(key(&field), message);
            refused(&state, &cu, errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}
