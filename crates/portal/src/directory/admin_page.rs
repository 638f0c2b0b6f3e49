//! `/benutzer/verzeichnis`: the administration sets up sign-in from the
//! directory, previews what the mapping makes of a test account before
//! switching it on, and starts a directory sync by hand.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::admin_form::DirectoryForm;
use super::config::{self, DirectoryConfig};
use super::mapping::MappedAccount;
use super::{accounts, client, signin, sync};
use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::FieldErrors;
use crate::text_input::Form;
use crate::view::{render, Layout};
use crate::AppState;

pub const PATH: &str = "/benutzer/verzeichnis";

/// What the preview found for a test account.
pub struct Preview {
    pub login: String,
    pub dn: String,
    pub groups: Vec<String>,
    pub mapped: MappedAccount,
}

#[derive(Template)]
#[template(path = "directory/admin.html")]
struct Page {
    layout: Layout,
    form: DirectoryForm,
    errors: FieldErrors,
    password_stored: bool,
    from_file: bool,
    departments: Vec<String>,
    preview_login: String,
    preview: Option<Preview>,
    /// A German message from the preview or the sync.
    result: String,
    result_ok: bool,
}

async fn page(
    state: &AppState,
    cu: &CurrentUser,
    form: Option<DirectoryForm>,
) -> Result<Page, AppError> {
    let stored = config::effective(state).await?;
    let from_file = state.store.setting(config::SETTING_KEY).await?.is_none() && stored.is_some();
    let current = stored.unwrap_or_default();
    Ok(Page {
        layout: Layout::for_user(state, cu, "Anmeldung über das Verzeichnis", "/benutzer").await,
        form: form.unwrap_or_else(|| DirectoryForm::from_config(&current)),
        errors: FieldErrors::new(),
        password_stored: !current.bind_password.is_empty(),
        from_file,
        departments: accounts::profile_departments(&state.store).await?,
        preview_login: String::new(),
        preview: None,
        result: String::new(),
        result_ok: false,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SavedQuery {
    gespeichert: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    cu: CurrentUser,
    axum::extract::Query(q): axum::extract::Query<SavedQuery>,
) -> Result<Response, PageError> {
    let mut p = page(&state, &cu, None).await?;
    if q.gespeichert.is_some() {
        p.layout = p
            .layout
            .with_flash("ok", "Die Einstellungen sind gespeichert.");
    }
    render(&p)
}

/// Stores a checked setting with its audit entry, for page and API.
pub async fn store_setting(
    state: &AppState,
    cu: &CurrentUser,
    config: &DirectoryConfig,
    password_changed: bool,
) -> Result<(), AppError> {
    let json = serde_json::to_string(config).map_err(|e| AppError::Internal(e.to_string()))?;
    state.store.set_setting(config::SETTING_KEY, &json).await?;
    let detail = format!(
        "{}; Adresse: {}; lokale Anmeldung: {}{}",
        if config.enabled {
            "eingeschaltet"
        } else {
            "ausgeschaltet"
        },
        config.url,
        match config.local_login {
            config::LocalLogin::Everyone => "für alle",
            config::LocalLogin::BreakGlassOnly => "nur Notfallkonto",
        },
        if password_changed {
            "; Passwort des Dienstkontos geändert"
        } else {
            ""
        }
    );
    state
        .store
        .record_event(
            &cu.actor(),
            "Verzeichnis-Anmeldung eingestellt",
            "Einstellungen",
            &detail,
        )
        .await?;
    Ok(())
}

pub async fn save(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<DirectoryForm>,
) -> Result<Response, PageError> {
    let current = config::effective(&state).await?.unwrap_or_default();
    let departments = accounts::profile_departments(&state.store).await?;
    match form.to_config(&current.bind_password, &departments) {
        Ok(config) => {
            store_setting(&state, &cu, &config, !form.bind_password.is_empty()).await?;
            Ok(Redirect::to(&format!("{PATH}?gespeichert=1")).into_response())
        }
        Err(errors) => {
            let mut p = page(
                &state,
                &cu,
                Some(DirectoryForm {
                    bind_password: String::new(),
                    ..form
                }),
            )
            .await?;
            p.errors = errors;
            let mut response = render(&p)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PreviewForm {
    login: String,
}

/// Shows what the mapping makes of one directory account, read with the
/// service account (no password of that person needed), without creating
/// or changing any account.
pub async fn preview(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(input): Form<PreviewForm>,
) -> Result<Response, PageError> {
    let mut p = page(&state, &cu, None).await?;
    p.preview_login = input.login.clone();
    let Some(config) = config::effective(&state).await? else {
        p.result = "Bitte zuerst die Verbindung zum Verzeichnis speichern.".into();
        return render(&p);
    };
    match client::lookup(&config, &input.login).await {
        Ok(Some(entry)) => {
            let mapped = accounts::map_entry(&config.mapping, &entry, &p.departments);
            p.result_ok = true;
            p.preview = Some(Preview {
                login: entry.login.clone(),
                dn: entry.dn.clone(),
                groups: entry.groups.clone(),
                mapped,
            });
        }
        Ok(None) => {
            p.result = format!(
                "Im Verzeichnis gibt es kein eindeutiges Konto „{}“.",
                input.login.trim()
            )
        }
        Err(e) => p.result = signin::directory_message(&e),
    }
    render(&p)
}

pub async fn run_sync(
    State(state): State<AppState>,
    cu: CurrentUser,
) -> Result<Response, PageError> {
    let mut p = page(&state, &cu, None).await?;
    let config: Option<DirectoryConfig> = config::active(&state).await?;
    let Some(config) = config else {
        p.result = "Die Anmeldung über das Verzeichnis ist ausgeschaltet.".into();
        return render(&p);
    };
    match sync::run(&state.store, &config).await {
        Ok(report) => {
            p.result_ok = true;
            p.result = format!(
                "Abgleich fertig: {} Konten geprüft, {} deaktiviert{}.",
                report.checked,
                report.deactivated.len(),
                if report.problems.is_empty() {
                    String::new()
                } else {
                    format!("; zu prüfen: {}", report.problems.join(" "))
                }
            );
        }
        Err(e) => p.result = e.message(),
    }
    render(&p)
}
