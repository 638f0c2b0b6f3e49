//! Security headers on every response.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// No inline script, no foreign origins, no framing: the pages need nothing
/// but their own files, and their forms lead only to the portal and, with
/// sign-in through OpenID Connect, to the provider (`form_action`).
fn csp(form_targets: &str) -> String {
    let form_action = if form_targets.is_empty() {
        "'self'".to_owned()
    } else {
        format!("'self' {form_targets}")
    };
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )
}

/// The policy as a header value; built once per change of the OIDC
/// setting ([`crate::oidc::form_targets::FormTargets`]), not per response.
pub(crate) fn policy(form_targets: &str) -> HeaderValue {
    HeaderValue::from_str(&csp(form_targets))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'; form-action 'self'"))
}

pub async fn headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    // A handler may set a stricter policy of its own (e.g. for a report
    // with inline styles and no scripts at all).
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            state.oidc_form_targets.policy(),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::csp;

    #[test]
    fn forms_lead_to_the_portal_and_only_with_a_provider_also_there() {
        assert!(csp("").contains("form-action 'self';"));
        assert!(csp("https://id.stadt.de").contains("form-action 'self' https://id.stadt.de;"));
        assert!(csp("https://id.stadt.de").contains("script-src 'self';"));
    }
}
