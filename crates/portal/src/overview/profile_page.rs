//! The municipality profile: shown to everyone, edited by administrators.

use crate::text_input::Form;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use journey::access::Permission;
use journey::profile::Profile;
use serde::Deserialize;
use store::StoreError;

use crate::auth::CurrentUser;
use crate::error::{AppError, PageError};
use crate::form::FieldErrors;
use crate::people::setup_page::ProfileForm;
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

#[derive(Template)]
#[template(path = "overview/profile.html")]
struct ProfilePage {
    layout: Layout,
    profile: Option<Profile>,
    can_edit: bool,
    /// The Impressum and privacy addresses the public register links to.
    imprint_url: String,
    privacy_url: String,
    errors: FieldErrors,
}

async fn profile_page(state: &AppState, cu: &CurrentUser) -> Result<ProfilePage, PageError> {
    let profile = state.store.profile().await?.map(|(p, _)| p);
    let mut layout = Layout::for_user(state, cu, "Profil der Kommune", "/profil").await;
    if profile.is_none() {
        layout = layout.with_flash("pending", "Das Profil ist noch nicht angelegt.");
    }
    let (imprint, privacy) = state.store.public_links().await?;
    Ok(ProfilePage {
        layout,
        profile,
        can_edit: cu.user.role.can(Permission::EditProfile),
        imprint_url: imprint.unwrap_or_default(),
        privacy_url: privacy.unwrap_or_default(),
        errors: FieldErrors::new(),
    })
}

pub async fn show(State(state): State<AppState>, cu: CurrentUser) -> Result<Response, PageError> {
    render(&profile_page(&state, &cu).await?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PublicLinksForm {
    imprint_url: String,
    privacy_url: String,
}

const LINK_MESSAGE: &str =
    "Bitte eine Adresse mit http:// oder https:// angeben, z. B. https://www.musterstadt.de/impressum.";

/// The fields of the two addresses that are neither empty nor http(s).
fn bad_links(imprint: &str, privacy: &str) -> Vec<&'static str> {
    [("imprint_url", imprint), ("privacy_url", privacy)]
        .into_iter()
        .filter(|(_, v)| !v.is_empty() && !journey::usecase::register::is_web_link(v))
        .map(|(f, _)| f)
        .collect()
}

/// Saves the Impressum and privacy addresses the public pages link to;
/// each must be an http(s) address or empty (none). The first bad one is
/// named.
pub async fn set_public_links(
    state: &AppState,
    cu: &CurrentUser,
    imprint: &str,
    privacy: &str,
) -> Result<(), AppError> {
    if let Some(field) = bad_links(imprint, privacy).first() {
        return Err(AppError::invalid(field, LINK_MESSAGE));
    }
    let some = |v: &str| Some(v.to_owned()).filter(|v| !v.is_empty());
    state
        .store
        .set_public_links(
            &cu.actor(),
            some(imprint).as_deref(),
            some(privacy).as_deref(),
        )
        .await?;
    Ok(())
}

pub async fn save_public_links(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<PublicLinksForm>,
) -> Result<Response, PageError> {
    let (imprint, privacy) = (form.imprint_url.trim(), form.privacy_url.trim());
    match set_public_links(&state, &cu, imprint, privacy).await {
        Ok(()) => return Ok(Redirect::to("/profil#oeffentlich").into_response()),
        Err(AppError::Invalid { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let mut errors = FieldErrors::new();
    for field in bad_links(imprint, privacy) {
        errors.insert(field, LINK_MESSAGE);
    }
    let mut page = profile_page(&state, &cu).await?;
    page.imprint_url = form.imprint_url;
    page.privacy_url = form.privacy_url;
    page.errors = errors;
    let mut response = render(&page)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

#[derive(Template)]
#[template(path = "overview/profile_edit.html")]
struct ProfileEditPage {
    layout: Layout,
    form: ProfileForm,
    version: i64,
    errors: FieldErrors,
    form_error: String,
}

pub async fn edit(State(state): State<AppState>, cu: CurrentUser) -> Result<Response, PageError> {
    let (form, version) = match state.store.profile().await? {
        Some((p, v)) => (ProfileForm::from_profile(&p), v),
        None => (ProfileForm::default(), 0),
    };
    render(&ProfileEditPage {
        layout: Layout::for_user(&state, &cu, "Profil bearbeiten", "/profil").await,
        form,
        version,
        errors: FieldErrors::new(),
        form_error: String::new(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProfileEditForm {
    version: i64,
    #[serde(flatten)]
    profile: ProfileForm,
}

pub async fn save(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<ProfileEditForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let profile = form.profile.to_profile(&mut errors);
    let form_error = if errors.is_empty() {
        match state.store.save_profile(&cu.actor(), &profile, form.version).await {
            Ok(_) => return Ok(Redirect::to("/profil").into_response()),
            Err(StoreError::Conflict) => StoreError::Conflict.to_string()
                + " Ihre Eingaben stehen noch im Formular; der gespeicherte Stand ist unter „Profil der Kommune“ zu sehen.",
            Err(e) => return Err(e.into()),
        }
    } else {
        "Bitte prüfen Sie die markierten Felder.".to_string()
    };
    // On a conflict the form keeps the user's input but takes the current
    // version, so a deliberate second save overwrites.
    let version = match state.store.profile().await? {
        Some((_, v)) if errors.is_empty() => v,
        _ => form.version,
    };
    let mut response = render(&ProfileEditPage {
        layout: Layout::for_user(&state, &cu, "Profil bearbeiten", "/profil").await,
        form: form.profile,
        version,
        errors,
        form_error,
    })?;
    *response.status_mut() = if version == form.version {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::CONFLICT
    };
    Ok(response)
}
