//! The user's own account: API keys and password.

use crate::text_input::Form;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::{password, start_session, CurrentUser};
use crate::error::PageError;
use crate::form::FieldErrors;
use crate::view::render;
use crate::view::{format_time, Layout};
use crate::AppState;

struct KeyView {
    id: i64,
    name: String,
    prefix: String,
    created: String,
    last_used: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "people/account.html")]
struct AccountPage {
    layout: Layout,
    name: String,
    email: String,
    role_label: &'static str,
    keys: Vec<KeyView>,
    new_key: Option<String>,
    key_name: String,
    errors: FieldErrors,
}

async fn page(
    state: &AppState,
    cu: &CurrentUser,
    new_key: Option<String>,
    key_name: String,
    errors: FieldErrors,
) -> Result<Response, PageError> {
    let keys = state
        .store
        .api_keys_of(cu.user.id)
        .await?
        .into_iter()
        .map(|k| KeyView {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            created: format_time(k.created_at),
            last_used: k
                .last_used_at
                .map_or_else(|| "nie".to_string(), format_time),
            revoked: k.revoked,
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut response = render(&AccountPage {
        layout: Layout::for_user(state, cu, "Mein Konto", "").await,
        name: cu.user.name.clone(),
        email: cu.user.email.clone(),
        role_label: cu.user.role.label(),
        keys,
        new_key,
        key_name,
        errors,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

pub async fn show(State(state): State<AppState>, cu: CurrentUser) -> Result<Response, PageError> {
    page(&state, &cu, None, String::new(), FieldErrors::new()).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct KeyForm {
    key_name: String,
}

pub async fn create_key(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<KeyForm>,
) -> Result<Response, PageError> {
    let mut errors = Vec::new();
    journey::profile::check_text("key_name", &form.key_name, true, 100, &mut errors);
    if !errors.is_empty() {
        let errors = crate::form::field_errors(&errors);
        return page(&state, &cu, None, form.key_name, errors).await;
    }
    let (_, secret) = state
        .store
        .create_api_key(&cu.actor(), &cu.user, &form.key_name)
        .await?;
    page(&state, &cu, Some(secret), String::new(), FieldErrors::new()).await
}

pub async fn revoke_key(
    State(state): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    state
        .store
        .revoke_api_key(&cu.actor(), &cu.user, id)
        .await?;
    Ok(Redirect::to("/konto").into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordChange {
    current: String,
    password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<PasswordChange>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let hash = state
        .store
        .user_with_hash(&cu.user.email)
        .await?
        .and_then(|(_, h)| h);
    if !password::verify(form.current.clone(), hash).await {
        errors.insert("current", "Das bisherige Passwort stimmt nicht.");
    }
    if let Err(msg) = password::check_new(&form.password) {
        errors.insert("password", msg);
    }
    if !errors.is_empty() {
        return page(&state, &cu, None, String::new(), errors).await;
    }
    let hash = password::hash(form.password).await?;
    state
        .store
        .set_password(&cu.actor(), cu.user.id, &hash)
        .await?;
    // Changing the password ends every session, this one included; start a
    // fresh one so the user stays logged in here.
    let mut identity = cu.identity.clone();
    identity.session = None;
    let cookie = start_session(&state, &identity, &cu.user).await?;
    let mut response = Redirect::to("/konto").into_response();
    response
        .headers_mut()
        .insert(axum::http::header::SET_COOKIE, cookie);
    Ok(response)
}
