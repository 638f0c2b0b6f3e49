//! The two stops of the browser: the button on the login page leads to
//! [`start`], which sends it to the provider; the provider sends it back to
//! [`callback`], which signs it in or shows the login page with the reason.

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::signin::{self, Callback, LOGIN_TTL_SECS, STATE_COOKIE};
use crate::auth::{cookie_value, start_session_with_token, Identity};
use crate::error::PageError;
use crate::people::login_page::{record_sign_in, with_oidc_error};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StartQuery {
    next: String,
}

fn state_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{STATE_COOKIE}={value}; Path=/anmelden/dienstkonto; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub async fn start(
    State(state): State<AppState>,
    identity: Identity,
    Query(q): Query<StartQuery>,
) -> Result<Response, PageError> {
    let Some(config) = super::config::active(&state).await? else {
        return Ok(Redirect::to("/anmelden").into_response());
    };
    match signin::start(&state, &config, &q.next).await {
        Ok(started) => {
            let mut response = Redirect::to(&started.location).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                state_cookie(&started.state, LOGIN_TTL_SECS, identity.secure),
            );
            Ok(response)
        }
        Err(e) => {
            tracing::warn!(error = %e, "OIDC sign-in could not start");
            with_oidc_error(&state, &identity, q.next, e.message(), e.status()).await
        }
    }
}

pub async fn callback(
    State(state): State<AppState>,
    identity: Identity,
    headers: axum::http::HeaderMap,
    Query(q): Query<Callback>,
) -> Result<Response, PageError> {
    let Some(config) = super::config::active(&state).await? else {
        return Ok(Redirect::to("/anmelden").into_response());
    };
    let browser_state = cookie_value(&headers, STATE_COOKIE);
    let finished = match signin::finish(&state, &config, &q, browser_state.as_deref()).await {
        Ok(finished) => finished,
        Err(e) => {
            tracing::warn!(error = %e, "OIDC sign-in refused");
            let mut response =
                with_oidc_error(&state, &identity, String::new(), e.message(), e.status()).await?;
            response
                .headers_mut()
                .append(header::SET_COOKIE, state_cookie("", 0, identity.secure));
            return Ok(response);
        }
    };
    let user = &finished.user;
    let (cookie, token) = start_session_with_token(&state, &identity, user).await?;
    // Empty where the provider names no session: still marks the session
    // as one to end at the provider on logout.
    state
        .store
        .set_session_oidc_sid(&token, finished.sid.as_deref().unwrap_or(""))
        .await?;
    record_sign_in(&state, user, "mit Dienstkonto (OpenID Connect)").await?;
    let mut response = Redirect::to(&finished.next).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    // W3C Server-Timing: how long this return waited for the provider, so
    // the time the portal adds can be measured apart (scripts/bench-oidc.sh).
    if let Ok(timing) = HeaderValue::from_str(&format!(
        "idp;dur={:.1};desc=\"Anmeldedienst\"",
        finished.idp.as_secs_f64() * 1000.0
    )) {
        response.headers_mut().insert("server-timing", timing);
    }
    response
        .headers_mut()
        .append(header::SET_COOKIE, state_cookie("", 0, identity.secure));
    Ok(response)
}
