//! The permission matrix: every route, its method, what it requires and
//! its handler, declared once per module ([`route!`]) and gathered in
//! [`ROUTES`]. The app router is built from the same table, and the
//! [`authorize`] middleware looks each request up in it, refusing what is
//! missing (deny by default).

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::MethodRouter;
use journey::access::{Function, Permission, Role};
use store::documents::ReviewArea;

pub mod ki_pass;

use crate::auth::{csrf, Identity};
use crate::error::{ApiError, AppError, PageError};
use crate::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, logged in or not (login, set-up, health, static files).
    Public,
    /// A logged-in user whose role has this permission.
    Requires(Permission),
    /// Anyone, without a session: a server-to-server request that proves
    /// itself by a signed token in its body (the OpenID provider's
    /// back-channel logout), so there is no CSRF token to check. The
    /// handler verifies the signature; without it the request does nothing.
    Signed,
}

/// One route: method, path, who may use it and its handler. Each module
/// declares its routes once, in its `ROUTES`; the app router and the
/// permission check ([`authorize`]) are both built from [`ROUTES`].
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    /// The method router for this method and path alone.
    pub handler: fn() -> MethodRouter<AppState>,
}

/// Declares a [`Route`]: `route!(GET "/umfrage", ViewJourney, list)` or
/// `route!(GET "/teilnahme", public, enter_code)`; `router:` takes a whole
/// method router where the route needs a layer of its own.
macro_rules! route {
    ($method:ident $path:expr, public, $handler:expr) => {
        $crate::access::Route {
            method: stringify!($method),
            path: $path,
            access: $crate::access::Access::Public,
            handler: || axum::routing::on(axum::routing::MethodFilter::$method, $handler),
        }
    };
    ($method:ident $path:expr, signed, $handler:expr) => {
        $crate::access::Route {
            method: stringify!($method),
            path: $path,
            access: $crate::access::Access::Signed,
            handler: || axum::routing::on(axum::routing::MethodFilter::$method, $handler),
        }
    };
    ($method:ident $path:expr, $permission:ident, router: $router:expr) => {
        $crate::access::Route {
            method: stringify!($method),
            path: $path,
            access: $crate::access::Access::Requires(journey::access::Permission::$permission),
            handler: || $router,
        }
    };
    ($method:ident $path:expr, $permission:ident, $handler:expr) => {
        $crate::access::Route {
            method: stringify!($method),
            path: $path,
            access: $crate::access::Access::Requires(journey::access::Permission::$permission),
            handler: || axum::routing::on(axum::routing::MethodFilter::$method, $handler),
        }
    };
}
pub(crate) use route;

/// Every route of the portal, module by module.
pub static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| {
    [
        crate::router::ROUTES,
        crate::people::ROUTES,
        crate::directory::ROUTES,
        crate::oidc::ROUTES,
        crate::overview::ROUTES,
        crate::assistant::ROUTES,
        crate::comparison::ROUTES,
        crate::documents::ROUTES,
        crate::transfer::ROUTES,
        crate::survey::ROUTES,
        crate::usecases::ROUTES,
        crate::qualification::ROUTES,
        crate::spaces::ROUTES,
        crate::mail::ROUTES,
    ]
    .concat()
});

/// What a method and path require, found in one step per request.
static ACCESS: LazyLock<HashMap<(&'static str, &'static str), Access>> = LazyLock::new(|| {
    ROUTES
        .iter()
        .map(|r| ((r.method, r.path), r.access))
        .collect()
});

pub fn lookup(method: &str, path: &str) -> Option<Access> {
    // HEAD is GET without the body (axum answers it from the GET handler),
    // so it needs exactly what GET needs.
    let method = if method == "HEAD" { "GET" } else { method };
    ACCESS.get(&(method, path)).copied()
}

/// The methods a route takes, for the `Allow` header (HEAD with GET).
pub fn allowed_methods(path: &str) -> Vec<&'static str> {
    let mut methods: Vec<&'static str> = ROUTES
        .iter()
        .filter(|r| r.path == path)
        .map(|r| r.method)
        .collect();
    if methods.contains(&"GET") {
        methods.push("HEAD");
    }
    methods
}

/// Whether an account may give an area's statement on a document: only the
/// holder of the area's function, whatever its role. The project team may
/// not state in someone else's name. Routes: `ActInFunction`.
pub fn may_give_statement(held: &[Function], area: ReviewArea) -> bool {
    held.contains(&area.function())
}

/// Who adopts a reviewed document: the holder of Bürgermeister/in; while
/// nobody holds that function, the administration. Routes: `ActInFunction`.
pub fn may_adopt(role: Role, held: &[Function], mayor_assigned: bool) -> bool {
    if mayor_assigned {
        held.contains(&Function::Mayor)
    } else {
        role.can(Permission::AdoptDocuments)
    }
}

/// The tool a route uses, if the KI-Pass may close it: every route of the
/// staff chat except deleting and exporting one's own conversations, which
/// stay open (a person keeps control of their stored data); and creating an
/// API key, which is the way to `/v1`.
pub fn ki_pass_tool(
    permission: Permission,
    method: &str,
    path: &str,
) -> Option<journey::policy::Tool> {
    use journey::policy::Tool;
    match permission {
        Permission::UseAssistant
            if !path.starts_with("/assistent/gespraeche/")
                && !path.starts_with("/api/v1/assistant/conversations") =>
        {
            Some(Tool::Assistant)
        }
        Permission::ManageOwnApiKeys if method == "POST" && path == "/konto/schluessel" => {
            Some(Tool::Api)
        }
        _ => None,
    }
}

/// The gateway's routes that use a model; listing models stays open.
fn gateway_uses_model(method: &axum::http::Method, path: &str) -> bool {
    method == axum::http::Method::POST
        && matches!(
            path,
            "/v1/chat/completions" | "/v1/completions" | "/v1/embeddings"
        )
}

/// The same KI-Pass decision for `/v1`: the key's person must hold the pass
/// when the policy puts the interface behind it. An unknown key passes on
/// to the gateway, which answers 401 in its own shape.
pub async fn gateway_pass(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !gateway_uses_model(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let secret = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    let Some(secret) = secret.filter(|s| !s.is_empty()) else {
        return next.run(request).await;
    };
    let refusal = match state.store.gateway_key(&secret).await {
        Ok(Some(key)) => ki_pass::check(&state, &key.user, journey::policy::Tool::Api).await,
        Ok(None) => Ok(None),
        Err(e) => Err(AppError::from(e)),
    };
    match refusal {
        Ok(None) => next.run(request).await,
        Ok(Some(refusal)) => {
            let mut message = refusal.message;
            if let Some(link) = &refusal.next_session {
                message.push_str(&format!(
                    " Anmeldung: {}{link}",
                    state.config.public_url.trim_end_matches('/')
                ));
            }
            gateway::ApiError {
                status: axum::http::StatusCode::FORBIDDEN,
                message,
                kind: "permission_error",
                param: None,
                code: Some("ki_pass_required"),
                retry_after: None,
            }
            .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "KI-Pass check on /v1 failed");
            gateway::ApiError::internal(e.to_string()).into_response()
        }
    }
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Decides every routed request: permission from [`ROUTES`], then CSRF for
/// state-changing requests made with a session cookie.
pub async fn authorize(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // No matched path means the fallback (404), which needs no permission.
    let Some(path) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
    else {
        return next.run(request).await;
    };
    let method = request.method().as_str().to_string();
    let api = is_api(&path);
    let fail = |e: AppError| -> Response {
        if api {
            ApiError(e).into_response()
        } else {
            PageError(e).into_response()
        }
    };
    let Some(access) = lookup(&method, &path) else {
        let allowed = allowed_methods(&path);
        if allowed.is_empty() {
            tracing::error!(%method, %path, "route missing from the access table; refused");
            return fail(AppError::Forbidden);
        }
        // A method the route does not take is the client's mistake, not ours:
        // 405 with the methods it does take, and no error in the log.
        let allow = allowed.join(", ");
        let mut response = fail(AppError::MethodNotAllowed(allow.clone()));
        if let Ok(value) = axum::http::HeaderValue::from_str(&allow) {
            response
                .headers_mut()
                .insert(axum::http::header::ALLOW, value);
        }
        return response;
    };
    let identity = request
        .extensions()
        .get::<Identity>()
        .cloned()
        .unwrap_or_default();
    if let Access::Requires(permission) = access {
        match &identity.user {
            None if api => return fail(AppError::Unauthenticated),
            None => {
                let target = request
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let next = percent_encoding::utf8_percent_encode(
                    target,
                    percent_encoding::NON_ALPHANUMERIC,
                );
                return Redirect::to(&format!("/anmelden?next={next}")).into_response();
            }
            Some(user) if !user.role.can(permission) => return fail(AppError::Forbidden),
            Some(user) => {
                if let Some(tool) = ki_pass_tool(permission, &method, &path) {
                    match ki_pass::check(&state, user, tool).await {
                        Ok(None) => {}
                        Ok(Some(refusal)) => {
                            return fail(AppError::KiPassRequired {
                                message: refusal.message,
                                next_session: refusal.next_session,
                            })
                        }
                        Err(e) => return fail(e),
                    }
                }
            }
        }
    }
    let request = if access != Access::Signed && csrf::needs_check(request.method(), &identity) {
        match csrf::verify(request, &identity).await {
            Ok(request) => request,
            Err(e) => return fail(e),
        }
    } else {
        request
    };
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_route_is_listed_once() {
        let mut seen = HashSet::new();
        for r in ROUTES.iter() {
            assert!(
                seen.insert((r.method, r.path)),
                "{} {} twice",
                r.method,
                r.path
            );
        }
    }

    #[test]
    fn head_needs_what_get_needs() {
        assert_eq!(lookup("HEAD", "/healthz"), Some(Access::Public));
        assert_eq!(
            lookup("HEAD", "/benutzer"),
            Some(Access::Requires(Permission::ManageUsers))
        );
        assert_eq!(lookup("HEAD", "/abmelden"), None);
        assert_eq!(allowed_methods("/abmelden"), vec!["POST"]);
        assert_eq!(allowed_methods("/healthz"), vec!["GET", "HEAD"]);
    }

    #[test]
    fn only_the_holder_states_and_the_mayor_adopts_before_the_administration() {
        let dpo = [Function::DataProtection];
        assert!(may_give_statement(&dpo, ReviewArea::DataProtection));
        assert!(!may_give_statement(&dpo, ReviewArea::StaffCouncil));
        assert!(!may_give_statement(&[], ReviewArea::StaffCouncil));
        assert!(may_adopt(Role::Admin, &[], false));
        assert!(!may_adopt(Role::ProjectTeam, &[], false));
        assert!(!may_adopt(Role::Admin, &[], true));
        assert!(may_adopt(Role::Staff, &[Function::Mayor], true));
    }

    #[test]
    fn the_ki_pass_closes_the_chat_and_new_keys_but_not_ones_own_data() {
        use journey::policy::Tool;
        assert_eq!(
            ki_pass_tool(Permission::UseAssistant, "POST", "/assistent/stream"),
            Some(Tool::Assistant)
        );
        assert_eq!(
            ki_pass_tool(
                Permission::UseAssistant,
                "GET",
                "/assistent/gespraeche/{id}/export"
            ),
            None
        );
        assert_eq!(
            ki_pass_tool(
                Permission::UseAssistant,
                "DELETE",
                "/api/v1/assistant/conversations/{id}"
            ),
            None
        );
        assert_eq!(
            ki_pass_tool(Permission::ManageOwnApiKeys, "POST", "/konto/schluessel"),
            Some(Tool::Api)
        );
        assert_eq!(
            ki_pass_tool(Permission::ManageOwnApiKeys, "GET", "/konto"),
            None
        );
        assert_eq!(
            ki_pass_tool(Permission::ManageUsers, "GET", "/benutzer"),
            None
        );
    }

    #[test]
    fn unknown_routes_are_not_in_the_table() {
        assert_eq!(lookup("DELETE", "/benutzer/{id}"), None);
        assert_eq!(
            lookup("GET", "/benutzer"),
            Some(Access::Requires(Permission::ManageUsers))
        );
    }
}
