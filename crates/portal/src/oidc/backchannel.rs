//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0): the
//! provider posts a signed `logout_token` when a person signs out there
//! (or is signed out by the administration); the portal sessions that came
//! from that provider session end. Sessions live in the database, so this
//! one request ends them on every instance.
//!
//! The request comes from the provider, not a browser: no cookie, no CSRF
//! token; the token's signature by the provider's key is what proves it
//! ([`crate::access::Access::Signed`]). Each token counts once (its `jti`
//! is spent in the database), so a captured token replayed later, to this
//! or another instance, ends nothing.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::provider::ProviderError;
use super::verify::{self, Expected, TokenError};
use crate::AppState;

/// Where the provider posts, below `--public-url`.
pub const PATH: &str = "/anmelden/dienstkonto/abmelden";

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LogoutForm {
    logout_token: String,
}

#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("sign-in with OpenID Connect is off")]
    Off,
    #[error("logout_token missing")]
    Missing,
    #[error("logout token: {0}")]
    Token(#[from] TokenError),
    #[error("logout token already used")]
    Replayed,
    #[error("{0}")]
    Provider(#[from] ProviderError),
    #[error("{0}")]
    Store(#[from] store::StoreError),
}

/// §2.8: 200 when the sessions ended (or there were none), 400 with an
/// OAuth error for a token that does not pass; never cached.
fn answer(status: StatusCode, error: Option<(&str, String)>) -> Response {
    let body = match error {
        Some((code, description)) => {
            serde_json::json!({ "error": code, "error_description": description }).to_string()
        }
        None => String::new(),
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status != StatusCode::OK {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    response
}

pub async fn receive(State(state): State<AppState>, Form(form): Form<LogoutForm>) -> Response {
    match end_sessions(&state, &form.logout_token).await {
        Ok(ended) => {
            tracing::info!(ended, "back-channel logout");
            answer(StatusCode::OK, None)
        }
        Err(e @ (Refused::Provider(_) | Refused::Store(_))) => {
            tracing::warn!(error = %e, "back-channel logout failed");
            // The provider may retry; nothing about our state is disclosed.
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                Some(("temporarily_unavailable", "try again later".into())),
            )
        }
        Err(e) => {
            tracing::warn!(error = %e, "back-channel logout refused");
            answer(
                StatusCode::BAD_REQUEST,
                Some(("invalid_request", e.to_string())),
            )
        }
    }
}

/// Verifies the token, spends its `jti` and ends the sessions it names;
/// returns how many ended.
async fn end_sessions(state: &AppState, token: &str) -> Result<u64, Refused> {
    let config = super::config::active(state).await?.ok_or(Refused::Off)?;
    if token.is_empty() {
        return Err(Refused::Missing);
    }
    let provider = state.oidc.get(&config).await?;
    let (alg, kid) = verify::header(token)?;
    let key = provider
        .key(kid.as_deref(), alg)
        .await?
        .ok_or(TokenError::UnknownKey)?;
    let issuer = provider.metadata.issuer.as_str();
    let skew = config.skew_secs();
    let logout = verify::verify_logout(
        token,
        alg,
        &key,
        &Expected {
            issuer,
            client_id: &config.client_id,
            nonce: None,
            skew_secs: skew,
            now: store::now(),
        },
    )?;
    let keep_until = logout.iat + verify::logout_token_lifetime(skew);
    if !state
        .store
        .spend_logout_token(issuer, &logout.jti, keep_until)
        .await?
    {
        return Err(Refused::Replayed);
    }
    Ok(state
        .store
        .end_oidc_sessions(logout.sid.as_deref(), logout.sub.as_deref())
        .await?)
}
