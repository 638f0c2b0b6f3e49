//! One-time links: accept an invitation or reset a password.

use crate::text_input::Form;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use store::tokens::TokenKind;

use crate::auth::{ensure_session, password, start_session, Identity};
use crate::error::PageError;
use crate::form::FieldErrors;
use crate::view::render;
use crate::view::Layout;
use crate::AppState;

#[derive(Template)]
#[template(path = "people/invite.html")]
struct InvitePage {
    layout: Layout,
    valid: bool,
    is_invite: bool,
    name: String,
    email: String,
    token: String,
    errors: FieldErrors,
}

pub async fn show(
    State(state): State<AppState>,
    identity: Identity,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let (csrf, cookie) = ensure_session(&state, &identity).await?;
    let found = state.store.user_for_token(&token).await?;
    let page = InvitePage {
        layout: Layout::anonymous("Passwort festlegen", csrf),
        valid: found.is_some(),
        is_invite: matches!(found, Some((_, TokenKind::Invite))),
        name: found
            .as_ref()
            .map(|(u, _)| u.name.clone())
            .unwrap_or_default(),
        email: found
            .as_ref()
            .map(|(u, _)| u.email.clone())
            .unwrap_or_default(),
        token,
        errors: FieldErrors::new(),
    };
    let mut response = render(&page)?;
    if !page.valid {
        *response.status_mut() = StatusCode::NOT_FOUND;
    }
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    password: String,
    /// The password typed a second time; must match.
    password_confirm: String,
}

pub async fn submit(
    State(state): State<AppState>,
    identity: Identity,
    Path(token): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let csrf = identity
        .session
        .as_ref()
        .map(|s| s.csrf.clone())
        .unwrap_or_default();
    let found = state.store.user_for_token(&token).await?;
    let mut errors = FieldErrors::new();
    if let Err(msg) = password::check_new(&form.password) {
        errors.insert("password", msg);
    } else if form.password_confirm != form.password {
        errors.insert(
            "password_confirm",
            "Die beiden Eingaben stimmen nicht überein. Bitte geben Sie dasselbe Passwort zweimal ein.",
        );
    }
    if !errors.is_empty() {
        let mut response = render(&InvitePage {
            layout: Layout::anonymous("Passwort festlegen", csrf),
            valid: found.is_some(),
            is_invite: matches!(found, Some((_, TokenKind::Invite))),
            name: found
                .as_ref()
                .map(|(u, _)| u.name.clone())
                .unwrap_or_default(),
            email: found
                .as_ref()
                .map(|(u, _)| u.email.clone())
                .unwrap_or_default(),
            token,
            errors,
        })?;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    }
    let hash = password::hash(form.password).await?;
    let user = match state.store.redeem_user_token(&token, &hash).await {
        Ok(user) => user,
        Err(store::StoreError::NotFound) => return show(State(state), identity, Path(token)).await,
        Err(e) => return Err(e.into()),
    };
    let cookie = start_session(&state, &identity, &user).await?;
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}
