//! Login and logout with email and password.

use crate::text_input::Form;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::{ensure_session, password, session_cookie, start_session, throttle, Identity};
use crate::error::PageError;
use crate::view::Layout;
use crate::view::{render, safe_next};
use crate::AppState;

#[derive(Template)]
#[template(path = "people/login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    form_error: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NextQuery {
    next: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: String,
}

pub async fn show(
    State(state): State<AppState>,
    identity: Identity,
    Query(q): Query<NextQuery>,
) -> Result<Response, PageError> {
    if !state.store.is_set_up().await? {
        return Ok(Redirect::to("/einrichtung").into_response());
    }
    if identity.user.is_some() {
        return Ok(Redirect::to(safe_next(&q.next)).into_response());
    }
    let (csrf, cookie) = ensure_session(&state, &identity).await?;
    let page = LoginPage {
        layout: Layout::anonymous("Anmelden", csrf),
        email: String::new(),
        next: q.next,
        form_error: String::new(),
    };
    let mut response = render(&page)?;
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

pub async fn submit(
    State(state): State<AppState>,
    identity: Identity,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let csrf = identity
        .session
        .as_ref()
        .map(|s| s.csrf.clone())
        .unwrap_or_default();
    let again = |status: StatusCode, message: String| -> Result<Response, PageError> {
        let page = LoginPage {
            layout: Layout::anonymous("Anmelden", csrf.clone()),
            email: form.email.clone(),
            next: form.next.clone(),
            form_error: message,
        };
        let mut response = render(&page)?;
        *response.status_mut() = status;
        Ok(response)
    };
    if let Some(lockout) = throttle::lockout(&state, &form.email, identity.client_ip).await? {
        let mut response = again(StatusCode::TOO_MANY_REQUESTS, lockout.message)?;
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(lockout.retry_after_secs),
        );
        return Ok(response);
    }
    let found = state.store.user_with_hash(&form.email).await?;
    let (user, hash) = match found {
        Some((user, hash)) if user.active => (Some(user), hash),
        _ => (None, None),
    };
    let ok = password::verify(form.password.clone(), hash).await;
    let Some(user) = user.filter(|_| ok) else {
        throttle::record_failure(&state, &form.email, identity.client_ip).await?;
        return again(
            StatusCode::UNAUTHORIZED,
            "E-Mail-Adresse oder Passwort ist falsch, oder das Konto ist deaktiviert.".into(),
        );
    };
    throttle::record_success(&state, &form.email).await?;
    let cookie = start_session(&state, &identity, &user).await?;
    state
        .store
        .record_event(
            &store::Actor::user(user.id, &user.name),
            "Angemeldet",
            &format!("Benutzer {}", user.email),
            "",
        )
        .await?;
    let mut response = Redirect::to(safe_next(&form.next)).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

pub async fn logout(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Response, PageError> {
    if let Some(session) = &identity.session {
        state.store.delete_session(&session.token).await?;
    }
    let mut response = Redirect::to("/anmelden").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie("", 0, identity.secure));
    Ok(response)
}
