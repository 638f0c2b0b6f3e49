//! `/benutzer/dienstkonto`: the administration sets up sign-in with the
//! identity provider. On save the provider's discovery document and keys
//! are read as a sign-in would read them; a setting whose issuer cannot be
//! reached or does not answer as an OpenID provider is not stored. Only
//! administrators reach this (ManageUsers), so no one else can make the
//! server fetch an address.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::admin_form::OidcForm;
use super::config::{self, OidcConfig, CALLBACK_PATH};
use super::provider::{self, ProviderError};
use crate::auth::CurrentUser;
use crate::directory::accounts;
use crate::error::{AppError, PageError};
use crate::form::FieldErrors;
use crate::text_input::Form;
use crate::view::{render, Layout};
use crate::AppState;

pub const PATH: &str = "/benutzer/dienstkonto";

#[derive(Template)]
#[template(path = "oidc/admin.html")]
struct Page {
    layout: Layout,
    form: OidcForm,
    errors: FieldErrors,
    secret_stored: bool,
    from_file: bool,
    departments: Vec<String>,
    redirect_uri: String,
    post_logout_uri: String,
    backchannel_uri: String,
}

/// Where the setting in force comes from.
pub struct Current {
    pub config: OidcConfig,
    /// From the config file (or none at all), not saved on the page.
    pub from_file: bool,
}

pub async fn current(state: &AppState) -> Result<Current, AppError> {
    let stored = config::effective(state).await?;
    let saved = state.store.setting(config::SETTING_KEY).await?.is_some();
    Ok(Current {
        from_file: !saved && stored.is_some(),
        config: stored.unwrap_or_default(),
    })
}

async fn page(
    state: &AppState,
    cu: &CurrentUser,
    form: Option<OidcForm>,
) -> Result<Page, AppError> {
    let current = current(state).await?;
    let public = state.config.public_url.trim_end_matches('/');
    Ok(Page {
        layout: Layout::for_user(
            state,
            cu,
            "Anmeldung mit Dienstkonto (OpenID Connect)",
            "/benutzer",
        )
        .await,
        form: form.unwrap_or_else(|| OidcForm::from_config(&current.config)),
        errors: FieldErrors::new(),
        secret_stored: !current.config.client_secret.is_empty(),
        from_file: current.from_file,
        departments: accounts::profile_departments(&state.store).await?,
        redirect_uri: format!("{public}{CALLBACK_PATH}"),
        post_logout_uri: format!("{public}/anmelden"),
        backchannel_uri: format!("{public}{}", super::backchannel::PATH),
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
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let mut p = page(&state, &cu, None).await?;
    if q.gespeichert.is_some() {
        p.layout = p
            .layout
            .with_flash("ok", "Die Einstellungen sind gespeichert.");
    }
    render(&p)
}

/// Why a checked setting was not stored.
pub enum SaveError {
    /// The issuer's discovery failed: the German sentence for the issuer field.
    Provider(String),
    Other(AppError),
}

impl From<store::StoreError> for SaveError {
    fn from(e: store::StoreError) -> Self {
        SaveError::Other(e.into())
    }
}

fn provider_message(issuer: &str, e: &ProviderError) -> String {
    match e {
        ProviderError::Unreachable(why) => format!(
            "Der Anmeldedienst unter „{issuer}“ ist nicht erreichbar ({why}). Bitte die Adresse \
             prüfen; nichts wurde gespeichert."
        ),
        ProviderError::Invalid(why) => format!(
            "Unter „{issuer}“ antwortet kein passender OpenID-Anmeldedienst ({why}). Bitte die \
             Adresse prüfen (genau wie im Discovery-Dokument); nichts wurde gespeichert."
        ),
    }
}

/// Stores a checked setting for page and API: first reads the issuer's
/// discovery document (where one is given), then writes the setting and
/// the audit entry. `secret_changed`: a new client secret was given.
pub async fn store_setting(
    state: &AppState,
    cu: &CurrentUser,
    config: &OidcConfig,
    secret_changed: bool,
) -> Result<(), SaveError> {
    if !config.issuer.is_empty() {
        if let Err(e) = provider::check(config).await {
            tracing::warn!(error = %e, "OIDC setting refused: discovery failed");
            return Err(SaveError::Provider(provider_message(&config.issuer, &e)));
        }
    }
    let json = serde_json::to_string(config)
        .map_err(|e| SaveError::Other(AppError::internal("encode the OIDC setting", e)))?;
    state.store.set_setting(config::SETTING_KEY, &json).await?;
    let detail = format!(
        "{}; Aussteller: {}; Client-ID: {}; lokale Anmeldung: {}{}",
        if config.enabled {
            "eingeschaltet"
        } else {
            "ausgeschaltet"
        },
        config.issuer,
        config.client_id,
        match config.local_login {
            crate::directory::config::LocalLogin::Everyone => "für alle",
            crate::directory::config::LocalLogin::BreakGlassOnly => "nur Notfallkonto",
        },
        if secret_changed {
            "; Client-Geheimnis geändert"
        } else {
            ""
        }
    );
    state
        .store
        .record_event(
            &cu.actor(),
            "Anmeldung mit Dienstkonto (OpenID Connect) eingestellt",
            "Einstellungen",
            &detail,
        )
        .await?;
    Ok(())
}

pub async fn save(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<OidcForm>,
) -> Result<Response, PageError> {
    let current = current(&state).await?.config;
    let departments = accounts::profile_departments(&state.store).await?;
    let errors = match form.to_config(&current, &departments) {
        Ok(config) => {
            match store_setting(&state, &cu, &config, !form.client_secret.is_empty()).await {
                Ok(()) => return Ok(Redirect::to(&format!("{PATH}?gespeichert=1")).into_response()),
                Err(SaveError::Other(e)) => return Err(e.into()),
                Err(SaveError::Provider(message)) => {
                    let mut errors = FieldErrors::new();
                    errors.insert("issuer", message);
                    errors
                }
            }
        }
        Err(errors) => errors,
    };
    // The secret typed is never sent back; an empty field keeps the stored one.
    let mut p = page(
        &state,
        &cu,
        Some(OidcForm {
            client_secret: String::new(),
            ..form
        }),
    )
    .await?;
    p.errors = errors;
    let mut response = render(&p)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}
