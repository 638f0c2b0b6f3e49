//! Login and logout: with the service account at the identity provider
//! (OpenID Connect, see [`crate::oidc`]) or the directory (LDAP / Active
//! Directory, see [`crate::directory`]) where they are set up, and with
//! e-mail and local password, which the administration may keep for a
//! break-glass account only.

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
    /// Directory sign-in is offered.
    directory: bool,
    login: String,
    directory_error: String,
    /// Local passwords are for the break-glass account only.
    break_glass_only: bool,
    /// Sign-in with OpenID Connect is offered.
    oidc: bool,
    oidc_error: String,
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
    /// `verzeichnis` for the directory form; anything else is local.
    method: String,
    login: String,
}

const DIRECTORY: &str = "verzeichnis";

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
    with_oidc_error(&state, &identity, q.next, String::new(), StatusCode::OK).await
}

/// The login page, with a message from a sign-in at the identity provider
/// that did not work (empty: none).
pub async fn with_oidc_error(
    state: &AppState,
    identity: &Identity,
    next: String,
    oidc_error: String,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (csrf, cookie) = ensure_session(state, identity).await?;
    let directory = crate::directory::config::active(state).await?;
    let local = super::local_login::policy(state).await?;
    let page = LoginPage {
        layout: Layout::anonymous("Anmelden", csrf),
        email: String::new(),
        next,
        form_error: String::new(),
        directory: directory.is_some(),
        login: String::new(),
        directory_error: String::new(),
        break_glass_only: local.break_glass_only(),
        oidc: crate::oidc::config::active(state).await?.is_some(),
        oidc_error,
    };
    let mut response = render(&page)?;
    *response.status_mut() = status;
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
    let directory = crate::directory::config::active(&state).await?;
    let oidc = crate::oidc::config::active(&state).await?.is_some();
    let via_directory = form.method == DIRECTORY && directory.is_some();
    let local = super::local_login::policy(&state).await?;
    let again = |status: StatusCode, message: String| -> Result<Response, PageError> {
        let (form_error, directory_error) = if via_directory {
            (String::new(), message)
        } else {
            (message, String::new())
        };
        let page = LoginPage {
            layout: Layout::anonymous("Anmelden", csrf.clone()),
            email: form.email.clone(),
            next: form.next.clone(),
            form_error,
            directory: directory.is_some(),
            login: form.login.clone(),
            directory_error,
            break_glass_only: local.break_glass_only(),
            oidc,
            oidc_error: String::new(),
        };
        let mut response = render(&page)?;
        *response.status_mut() = status;
        Ok(response)
    };
    // The lockout counts per name typed, whichever form it was typed in.
    let throttle_key = if via_directory {
        format!("verzeichnis:{}", form.login.trim().to_lowercase())
    } else {
        form.email.clone()
    };
    if let Some(lockout) = throttle::lockout(&state, &throttle_key, identity.client_ip).await? {
        let mut response = again(StatusCode::TOO_MANY_REQUESTS, lockout.message)?;
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(lockout.retry_after_secs),
        );
        return Ok(response);
    }
    let user = match (&directory, via_directory) {
        (Some(config), true) => {
            match crate::directory::signin::sign_in(&state, config, &form.login, &form.password)
                .await
            {
                Ok(user) => user,
                Err(refusal) => {
                    let status = match refusal {
                        crate::directory::signin::Refusal::Credentials => {
                            throttle::record_failure(&state, &throttle_key, identity.client_ip)
                                .await?;
                            StatusCode::UNAUTHORIZED
                        }
                        crate::directory::signin::Refusal::Other(_) => {
                            StatusCode::SERVICE_UNAVAILABLE
                        }
                    };
                    return again(status, refusal.message());
                }
            }
        }
        _ => {
            let found = state.store.user_with_hash(&form.email).await?;
            let (user, hash) = match found {
                Some((user, hash)) if user.active => (Some(user), hash),
                _ => (None, None),
            };
            let ok = password::verify(form.password.clone(), hash).await;
            let Some(user) = user.filter(|_| ok) else {
                throttle::record_failure(&state, &throttle_key, identity.client_ip).await?;
                return again(
                    StatusCode::UNAUTHORIZED,
                    "E-Mail-Adresse oder Passwort ist falsch, oder das Konto ist deaktiviert."
                        .into(),
                );
            };
            if !local.allows(&user.email) {
                return again(
                    StatusCode::FORBIDDEN,
                    "Die Anmeldung mit lokalem Passwort ist abgeschaltet. Bitte melden Sie sich mit Ihrem Dienstkonto an."
                        .into(),
                );
            }
            if local.is_break_glass(&user.email) {
                state
                    .store
                    .record_event(
                        &store::Actor::user(user.id, &user.name),
                        "Notfallzugang benutzt",
                        &format!("Benutzer {}", user.email),
                        "Anmeldung mit lokalem Passwort, obwohl die Anmeldung mit dem Dienstkonto eingerichtet ist",
                    )
                    .await?;
            }
            user
        }
    };
    throttle::record_success(&state, &throttle_key).await?;
    let cookie = start_session(&state, &identity, &user).await?;
    record_sign_in(&state, &user, "").await?;
    let mut response = Redirect::to(safe_next(&form.next)).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// The audit entry of every sign-in; `how` names the way where it is not
/// the login form.
pub async fn record_sign_in(
    state: &AppState,
    user: &store::users::User,
    how: &str,
) -> Result<(), store::StoreError> {
    state
        .store
        .record_event(
            &store::Actor::user(user.id, &user.name),
            "Angemeldet",
            &format!("Benutzer {}", user.email),
            how,
        )
        .await
}

pub async fn logout(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Response, PageError> {
    let mut to = "/anmelden".to_string();
    if let Some(session) = &identity.session {
        if let Some(url) = crate::oidc::logout::provider_logout_url(&state, &session.token).await? {
            to = url;
        }
        state.store.delete_session(&session.token).await?;
    }
    let mut response = Redirect::to(&to).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie("", 0, identity.secure));
    Ok(response)
}
