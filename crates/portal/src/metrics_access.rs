//! Who may read `/metrics` and `/metrics/gateway`. They name the models and
//! backends and count traffic per data class, which helps an attacker plan,
//! so they are not public: with a `metrics_token` set, a request must bring
//! it as `Authorization: Bearer …` (else 401); without one, only clients on
//! the same machine may read them (else 403), and a request a reverse proxy
//! forwarded does not count as such even though it comes from loopback.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::csrf::constant_time_eq;
use crate::AppState;

/// Paths this guard protects.
fn is_metrics(path: &str) -> bool {
    path == "/metrics" || path.starts_with("/metrics/")
}

/// The layer, for the portal's routes and the gateway's alike.
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if !is_metrics(request.uri().path()) {
        return next.run(request).await;
    }
    match decide(state.config.metrics_token.as_deref(), &request) {
        Ok(()) => {
            // The metrics token is no API key: the login layers inside must
            // not try it as one (and refuse it).
            request.headers_mut().remove(header::AUTHORIZATION);
            next.run(request).await
        }
        Err((status, text)) => {
            let mut response = (status, text).into_response();
            if status == StatusCode::UNAUTHORIZED {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer realm=\"metrics\""),
                );
            }
            response
        }
    }
}

fn decide(token: Option<&str>, request: &Request) -> Result<(), (StatusCode, &'static str)> {
    match token {
        Some(expected) => {
            let given = request
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim());
            match given {
                Some(t) if constant_time_eq(t.as_bytes(), expected.as_bytes()) => Ok(()),
                _ => Err((
                    StatusCode::UNAUTHORIZED,
                    "Die Metriken brauchen den Metrik-Token (Authorization: Bearer …).\n",
                )),
            }
        }
        None if from_this_machine(request) => Ok(()),
        None => Err((
            StatusCode::FORBIDDEN,
            "Die Metriken sind ohne metrics_token nur vom selben Rechner aus lesbar.\n",
        )),
    }
}

/// A direct connection from loopback, not forwarded by a proxy.
fn from_this_machine(request: &Request) -> bool {
    let forwarded = ["x-forwarded-for", "forwarded", "x-real-ip"]
        .iter()
        .any(|h| request.headers().contains_key(*h));
    let loopback = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|c| c.0.ip().is_loopback());
    loopback && !forwarded
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(peer: &str, headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().uri("/metrics");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let mut r = builder.body(Body::empty()).unwrap();
        r.extensions_mut()
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        r
    }

    #[test]
    fn without_a_token_only_direct_local_clients_read() {
        assert!(decide(None, &request("127.0.0.1:5000", &[])).is_ok());
        assert!(decide(None, &request("[::1]:5000", &[])).is_ok());
        let far = decide(None, &request("10.0.0.7:5000", &[]));
        assert_eq!(far.unwrap_err().0, StatusCode::FORBIDDEN);
        let proxied = request("127.0.0.1:5000", &[("x-forwarded-for", "10.0.0.7")]);
        assert_eq!(decide(None, &proxied).unwrap_err().0, StatusCode::FORBIDDEN);
    }

    #[test]
    fn with_a_token_everyone_needs_it() {
        let token = Some("geheim");
        let local = decide(token, &request("127.0.0.1:5000", &[]));
        assert_eq!(local.unwrap_err().0, StatusCode::UNAUTHORIZED);
        let wrong = request("10.0.0.7:5000", &[("authorization", "Bearer falsch")]);
        assert_eq!(
            decide(token, &wrong).unwrap_err().0,
            StatusCode::UNAUTHORIZED
        );
        let right = request("10.0.0.7:5000", &[("authorization", "Bearer geheim")]);
        assert!(decide(token, &right).is_ok());
    }
}
