//! Who is asking: a session cookie (browser) or a bearer API key (programs).
//! The [`identify`] middleware resolves either to an [`Identity`] once per
//! request; handlers take [`CurrentUser`] when they need a logged-in user.
//!
//! Password login is one way to obtain a session; the directory (LDAP) and
//! the identity provider (OpenID Connect, [`crate::oidc`]) are others: each
//! calls [`start_session`] for the user it authenticated.

pub mod csrf;
pub mod password;
pub mod throttle;

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use store::users::User;

use crate::error::{ApiError, AppError};
use crate::AppState;

pub const SESSION_COOKIE: &str = "kr_session";

/// The session a request came with.
#[derive(Debug, Clone)]
pub struct SessionRef {
    pub token: String,
    pub csrf: String,
}

#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub user: Option<User>,
    pub session: Option<SessionRef>,
    /// The user authenticated with an API key; no CSRF applies.
    pub via_api_key: bool,
    pub client_ip: Option<IpAddr>,
    /// The request came over TLS (directly or as a trusted proxy says).
    pub secure: bool,
}

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

fn client_ip(state: &AppState, request: &Request) -> Option<IpAddr> {
    if state.config.trust_proxy {
        let header: Vec<&str> = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let forwarded = forwarded_client(&header.join(","), state.config.trusted_proxies);
        if forwarded.is_some() {
            return forwarded;
        }
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The client's address in `X-Forwarded-For` behind `hops` trusted
/// proxies. Each proxy appends the address it got the request from, so the
/// entry `hops` places from the right is what the outermost trusted proxy
/// saw; everything left of it was written by the client and proves nothing.
pub fn forwarded_client(header: &str, hops: usize) -> Option<IpAddr> {
    let entries: Vec<&str> = header.split(',').map(str::trim).collect();
    let index = entries.len().checked_sub(hops.max(1))?;
    entries[index].parse().ok()
}

fn is_secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.config.public_url.starts_with("https://")
        || (state.config.trust_proxy
            && headers
                .get("x-forwarded-proto")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https")))
}

pub async fn identify(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let mut identity = Identity {
        client_ip: client_ip(&state, &request),
        secure: is_secure(&state, request.headers()),
        ..Identity::default()
    };
    if let Some(token) = bearer_token(request.headers()) {
        match state.store.user_for_api_key(&token).await {
            Ok(Some(user)) => {
                identity.user = Some(user);
                identity.via_api_key = true;
            }
            Ok(None) => return ApiError(AppError::InvalidApiKey).into_response(),
            Err(e) => return ApiError(e.into()).into_response(),
        }
    } else if let Some(token) = cookie_value(request.headers(), SESSION_COOKIE) {
        match state.store.session(&token).await {
            Ok(Some(session)) => {
                if let Some(user_id) = session.user_id {
                    match state.store.user(user_id).await {
                        Ok(user) if user.active => identity.user = Some(user),
                        Ok(_) | Err(store::StoreError::NotFound) => {}
                        Err(e) => return crate::error::PageError(e.into()).into_response(),
                    }
                }
                identity.session = Some(SessionRef {
                    token,
                    csrf: session.csrf,
                });
            }
            Ok(None) => {}
            Err(e) => return crate::error::PageError(e.into()).into_response(),
        }
    }
    request.extensions_mut().insert(identity.clone());
    let response = next.run(request).await;
    crate::view::error_page_in_layout(&state, identity, response).await
}

/// A logged-in user; extracting it from a request without one is refused.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub identity: Identity,
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let identity = parts
            .extensions
            .get::<Identity>()
            .cloned()
            .unwrap_or_default();
        match identity.user.clone() {
            Some(user) => Ok(CurrentUser { user, identity }),
            None => Err(AppError::Unauthenticated),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Identity {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Identity>()
            .cloned()
            .unwrap_or_default())
    }
}

impl CurrentUser {
    pub fn actor(&self) -> store::Actor {
        store::Actor::user(self.user.id, &self.user.name)
    }

    pub fn csrf(&self) -> String {
        self.identity
            .session
            .as_ref()
            .map(|s| s.csrf.clone())
            .unwrap_or_default()
    }
}

pub fn session_cookie(token: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let value = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Makes sure an anonymous visitor has a session (for the CSRF token of the
/// login and set-up forms). Returns the CSRF token and, if a session was
/// created, the cookie to set.
pub async fn ensure_session(
    state: &AppState,
    identity: &Identity,
) -> Result<(String, Option<HeaderValue>), AppError> {
    if let Some(session) = &identity.session {
        return Ok((session.csrf.clone(), None));
    }
    let ttl = 2 * 3600;
    let new = state.store.create_session(None, ttl).await?;
    Ok((
        new.csrf,
        Some(session_cookie(&new.token, ttl, identity.secure)),
    ))
}

/// Logs `user` in: the old session (if any) is dropped and a fresh one with a
/// new id is issued, so a session id planted before login is worthless.
pub async fn start_session(
    state: &AppState,
    identity: &Identity,
    user: &User,
) -> Result<HeaderValue, AppError> {
    Ok(start_session_with_token(state, identity, user).await?.0)
}

/// [`start_session`], also returning the new session's token (to note
/// where the session came from, e.g. the identity provider's session).
pub async fn start_session_with_token(
    state: &AppState,
    identity: &Identity,
    user: &User,
) -> Result<(HeaderValue, String), AppError> {
    if let Some(old) = &identity.session {
        state.store.delete_session(&old.token).await?;
    }
    let ttl = state.config.session_ttl_secs;
    let new = state.store.create_session(Some(user.id), ttl).await?;
    Ok((session_cookie(&new.token, ttl, identity.secure), new.token))
}

#[cfg(test)]
mod tests {
    use super::forwarded_client;

    #[test]
    fn only_the_address_a_trusted_proxy_appended_counts() {
        let ip = |s: &str| s.parse().ok();
        // The client sent "5.5.5.1"; the one proxy appended the real address.
        assert_eq!(forwarded_client("5.5.5.1, 10.0.0.7", 1), ip("10.0.0.7"));
        assert_eq!(forwarded_client("10.0.0.7", 1), ip("10.0.0.7"));
        // Two proxies: the outer one appended the client, the inner one the outer.
        assert_eq!(
            forwarded_client("5.5.5.1, 10.0.0.7, 192.168.1.2", 2),
            ip("10.0.0.7")
        );
        assert_eq!(forwarded_client("10.0.0.7", 2), None);
        assert_eq!(forwarded_client("kein-ip", 1), None);
    }
}
