//! The permission matrix: every route, its method and what it requires, in
//! one table. The [`authorize`] middleware looks each request up here and
//! refuses routes that are missing (deny by default).

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use journey::access::Permission;

use crate::auth::{csrf, Identity};
use crate::error::{ApiError, AppError, PageError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, logged in or not (login, set-up, health, static files).
    Public,
    /// A logged-in user whose role has this permission.
    Requires(Permission),
}

#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

const fn public(method: &'static str, path: &'static str) -> Route {
    Route {
        method,
        path,
        access: Access::Public,
    }
}

const fn requires(method: &'static str, path: &'static str, p: Permission) -> Route {
    Route {
        method,
        path,
        access: Access::Requires(p),
    }
}

use Permission::*;

pub const ROUTES: &[Route] = &[
    public("GET", "/healthz"),
    public("GET", "/readyz"),
    public("GET", "/metrics"),
    public("GET", "/static/{file}"),
    public("GET", "/einrichtung"),
    public("POST", "/einrichtung"),
    public("GET", "/anmelden"),
    public("POST", "/anmelden"),
    public("GET", "/einladung/{token}"),
    public("POST", "/einladung/{token}"),
    public("GET", "/api/v1/openapi.json"),
    requires("POST", "/abmelden", ViewJourney),
    requires("GET", "/", ViewJourney),
    requires("POST", "/schritte/{id}", UpdateSteps),
    requires("GET", "/module/{slug}", ViewModules),
    requires("GET", "/assistent", UseAssistant),
    requires("POST", "/assistent", UseAssistant),
    requires("POST", "/assistent/stream", UseAssistant),
    requires("GET", "/assistent/assistenten", ManageAssistants),
    requires("POST", "/assistent/assistenten", ManageAssistants),
    requires("POST", "/assistent/gespraeche/{id}/loeschen", UseAssistant),
    requires("GET", "/assistent/kontingente", ManageQuotas),
    requires("POST", "/assistent/kontingente", ManageQuotas),
    requires("POST", "/assistent/kontingente/schluessel", ManageQuotas),
    requires("GET", "/assistent/einstellungen", ManageGateway),
    requires("POST", "/assistent/einstellungen", ManageGateway),
    requires("POST", "/assistent/einstellungen/modell", ManageGateway),
    requires("POST", "/assistent/einstellungen/backends", ManageGateway),
    requires("GET", "/assistent/nutzung", ViewUsage),
    requires("GET", "/assistent/nutzung.csv", ViewUsage),
    requires("GET", "/vergleichstest", RunBenchmarks),
    requires("POST", "/vergleichstest", RunBenchmarks),
    requires("POST", "/vergleichstest/schluessel", RunBenchmarks),
    requires("POST", "/vergleichstest/schluessel/loeschen", RunBenchmarks),
    requires("GET", "/vergleichstest/{id}", RunBenchmarks),
    requires("POST", "/vergleichstest/{id}/abbrechen", RunBenchmarks),
    requires("GET", "/vergleichstest/{id}/dateien/{file}", RunBenchmarks),
    requires("GET", "/dokumente", ViewDocuments),
    requires("GET", "/dokumente/neu/{template}", EditDocuments),
    requires("POST", "/dokumente/neu/{template}", EditDocuments),
    requires("POST", "/dokumente/vorschau", EditDocuments),
    requires("GET", "/dokumente/regelwerk", ViewDocuments),
    requires("GET", "/dokumente/vorlagen", EditDocuments),
    requires("GET", "/dokumente/vorlagen/export", EditDocuments),
    requires("POST", "/dokumente/vorlagen/import", EditDocuments),
    requires("GET", "/dokumente/{id}", ViewDocuments),
    requires("GET", "/dokumente/{id}/interview", EditDocuments),
    requires("POST", "/dokumente/{id}/interview", EditDocuments),
    requires("GET", "/dokumente/{id}/bearbeiten", EditDocuments),
    requires("POST", "/dokumente/{id}/bearbeiten", EditDocuments),
    requires("GET", "/dokumente/{id}/vergleich", EditDocuments),
    requires("POST", "/dokumente/{id}/kommentare", ReviewDocuments),
    requires("POST", "/dokumente/{id}/einreichen", EditDocuments),
    requires("POST", "/dokumente/{id}/zurueckziehen", EditDocuments),
    requires("POST", "/dokumente/{id}/stellungnahme", ReviewDocuments),
    requires("POST", "/dokumente/{id}/beschliessen", AdoptDocuments),
    requires("GET", "/dokumente/{id}/export/{format}", ViewDocuments),
    requires("GET", "/api/v1/documents", ViewDocuments),
    requires("POST", "/api/v1/documents", EditDocuments),
    requires("GET", "/api/v1/documents/{id}", ViewDocuments),
    requires("GET", "/api/v1/document-templates", ViewDocuments),
    requires("GET", "/api/v1/policy/rules", ViewDocuments),
    requires("GET", "/profil", ViewJourney),
    requires("GET", "/profil/bearbeiten", EditProfile),
    requires("POST", "/profil/bearbeiten", EditProfile),
    requires("GET", "/benutzer", ManageUsers),
    requires("GET", "/benutzer/neu", ManageUsers),
    requires("POST", "/benutzer/neu", ManageUsers),
    requires("GET", "/benutzer/import", ManageUsers),
    requires("POST", "/benutzer/import", ManageUsers),
    requires("GET", "/benutzer/{id}", ManageUsers),
    requires("POST", "/benutzer/{id}", ManageUsers),
    requires("POST", "/benutzer/{id}/aktiv", ManageUsers),
    requires("POST", "/benutzer/{id}/link", ManageUsers),
    requires("GET", "/protokoll", ViewAuditLog),
    requires("GET", "/nachnutzung", ViewAuditLog),
    requires("GET", "/nachnutzung/export", ViewAuditLog),
    requires("POST", "/nachnutzung/import", ViewAuditLog),
    requires("POST", "/nachnutzung/uebernehmen", ViewAuditLog),
    requires("GET", "/konto", ManageOwnApiKeys),
    requires("POST", "/konto/schluessel", ManageOwnApiKeys),
    requires(
        "POST",
        "/konto/schluessel/{id}/widerrufen",
        ManageOwnApiKeys,
    ),
    requires("POST", "/konto/passwort", ChangeOwnPassword),
    requires("GET", "/api/v1/me", ViewJourney),
    requires("GET", "/api/v1/journey", ViewJourney),
    requires("PUT", "/api/v1/journey/steps/{id}", UpdateSteps),
    requires("GET", "/api/v1/profile", ViewJourney),
    requires("PUT", "/api/v1/profile", EditProfile),
    requires("GET", "/api/v1/users", ManageUsers),
    requires("POST", "/api/v1/users", ManageUsers),
    requires("GET", "/api/v1/audit", ViewAuditLog),
    requires("POST", "/api/v1/bench/runs", RunBenchmarks),
    requires("GET", "/api/v1/bench/target-keys", RunBenchmarks),
    requires("POST", "/api/v1/bench/target-keys", RunBenchmarks),
    requires(
        "DELETE",
        "/api/v1/bench/target-keys/{target}",
        RunBenchmarks,
    ),
    // The Bestandsaufnahme (survey). Answering is by token, without login.
    public("GET", "/teilnahme"),
    public("GET", "/teilnahme/{token}"),
    public("POST", "/teilnahme/{token}"),
    requires("GET", "/umfrage", ViewJourney),
    requires("POST", "/umfrage/{id}/teilnehmen", ViewJourney),
    requires("GET", "/umfrage/neu", ManageSurveys),
    requires("POST", "/umfrage/neu", ManageSurveys),
    requires("GET", "/umfrage/{id}", ManageSurveys),
    requires("POST", "/umfrage/{id}/oeffnen", ManageSurveys),
    requires("POST", "/umfrage/{id}/links", ManageSurveys),
    requires("POST", "/umfrage/{id}/codes", ManageSurveys),
    requires("POST", "/umfrage/{id}/schliessen", ManageSurveys),
    requires("GET", "/umfrage/{id}/ergebnisse", ManageSurveys),
    requires("GET", "/umfrage/{id}/export/{format}", ManageSurveys),
    requires("POST", "/umfrage/neu/datei", ManageSurveys),
    requires("GET", "/umfrage/{id}/bearbeiten", ManageSurveys),
    requires("POST", "/umfrage/{id}/bearbeiten", ManageSurveys),
    requires("POST", "/umfrage/{id}/vorschau", ManageSurveys),
    requires("POST", "/umfrage/{id}/kopieren", ManageSurveys),
    requires("GET", "/umfrage/{id}/papier", ManageSurveys),
    requires("GET", "/umfrage/{id}/papier/erfassen", ManageSurveys),
    requires("POST", "/umfrage/{id}/papier/erfassen", ManageSurveys),
    requires("POST", "/umfrage/{id}/zeitraum", ManageSurveys),
    requires("GET", "/api/v1/surveys", ManageSurveys),
    requires("POST", "/api/v1/surveys", ManageSurveys),
    requires("GET", "/api/v1/surveys/{id}", ManageSurveys),
    requires("POST", "/api/v1/surveys/{id}/open", ManageSurveys),
    requires("POST", "/api/v1/surveys/{id}/tokens", ManageSurveys),
    requires("POST", "/api/v1/surveys/{id}/close", ManageSurveys),
    requires("GET", "/api/v1/surveys/{id}/results", ManageSurveys),
    requires("POST", "/api/v1/surveys/{id}/copy", ManageSurveys),
    requires("PUT", "/api/v1/surveys/{id}/questionnaire", ManageSurveys),
    requires("PUT", "/api/v1/surveys/{id}/period", ManageSurveys),
    requires("GET", "/api/v1/surveys/{id}/reminders", ManageSurveys),
    requires("POST", "/api/v1/surveys/{id}/paper-answers", ManageSurveys),
    requires("GET", "/api/v1/surveys/{id}/answers", ExportSurveyAnswers),
    public("GET", "/api/v1/participation/{token}"),
    public("POST", "/api/v1/participation/{token}"),
    public("PUT", "/api/v1/participation/{token}/draft"),
    // Use cases (Anwendungsfälle) and the public AI register.
    public("GET", "/ki-register"),
    public("GET", "/anwendungsfaelle/register.json"),
    public("GET", "/anwendungsfaelle/register.csv"),
    requires("GET", "/anwendungsfaelle", ViewUseCases),
    requires("GET", "/anwendungsfaelle/neu", SubmitUseCases),
    requires("POST", "/anwendungsfaelle/neu", SubmitUseCases),
    requires("GET", "/anwendungsfaelle/bibliothek", AssessUseCases),
    requires("POST", "/anwendungsfaelle/bibliothek/{id}", AssessUseCases),
    requires("GET", "/anwendungsfaelle/tafel", ViewUseCases),
    requires("GET", "/anwendungsfaelle/kriterien", AssessUseCases),
    requires("POST", "/anwendungsfaelle/kriterien", AssessUseCases),
    requires("POST", "/anwendungsfaelle/import", AssessUseCases),
    requires(
        "GET",
        "/anwendungsfaelle/{id}/export/{format}",
        ViewUseCases,
    ),
    requires("GET", "/anwendungsfaelle/{id}/datenschutz", ViewUseCases),
    requires("POST", "/anwendungsfaelle/{id}/datenschutz", AssessUseCases),
    requires("GET", "/anwendungsfaelle/{id}/pilot", ViewUseCases),
    requires("POST", "/anwendungsfaelle/{id}/pilot", AssessUseCases),
    requires("POST", "/umfrage/{id}/ideen", AssessUseCases),
    requires("GET", "/anwendungsfaelle/{id}", ViewUseCases),
    requires("POST", "/anwendungsfaelle/{id}/canvas", AssessUseCases),
    requires("POST", "/anwendungsfaelle/{id}/status", AssessUseCases),
    requires("POST", "/anwendungsfaelle/{id}/register", AssessUseCases),
    requires("GET", "/anwendungsfaelle/{id}/einstufung", AssessUseCases),
    requires("POST", "/anwendungsfaelle/{id}/einstufung", AssessUseCases),
    requires("GET", "/api/v1/usecases", ViewUseCases),
    requires("POST", "/api/v1/usecases", SubmitUseCases),
    requires("GET", "/api/v1/usecases/{id}", ViewUseCases),
    requires("PUT", "/api/v1/usecases/{id}/canvas", AssessUseCases),
    requires("GET", "/api/v1/usecases/board", ViewUseCases),
    requires("GET", "/api/v1/usecases/{id}/data-protection", ViewUseCases),
    requires(
        "PUT",
        "/api/v1/usecases/{id}/data-protection",
        AssessUseCases,
    ),
    requires("GET", "/api/v1/usecases/{id}/pilot", ViewUseCases),
    requires("PUT", "/api/v1/usecases/{id}/pilot", AssessUseCases),
    requires("POST", "/api/v1/usecases/{id}/status", AssessUseCases),
    requires("PUT", "/api/v1/usecases/{id}/register", AssessUseCases),
    requires("GET", "/api/v1/usecases/{id}/export", ViewUseCases),
    requires("POST", "/api/v1/usecases/import", AssessUseCases),
    requires("GET", "/api/v1/usecases/library", AssessUseCases),
    requires(
        "POST",
        "/api/v1/usecases/library/{id}/adopt",
        AssessUseCases,
    ),
    requires("POST", "/api/v1/surveys/{id}/ideas", AssessUseCases),
    requires("GET", "/api/v1/usecases/criteria", AssessUseCases),
    requires("PUT", "/api/v1/usecases/criteria", AssessUseCases),
    requires("DELETE", "/api/v1/usecases/criteria", AssessUseCases),
    requires("GET", "/api/v1/usecases/ranking", ViewUseCases),
    requires("GET", "/api/v1/usecases/matrix.svg", ViewUseCases),
    requires(
        "GET",
        "/api/v1/usecases/{id}/classification/wizard",
        AssessUseCases,
    ),
    requires(
        "POST",
        "/api/v1/usecases/{id}/classification/wizard/answer",
        AssessUseCases,
    ),
    requires(
        "POST",
        "/api/v1/usecases/{id}/classification/wizard/back",
        AssessUseCases,
    ),
    requires(
        "POST",
        "/api/v1/usecases/{id}/classification",
        AssessUseCases,
    ),
    // Qualifizierung: catalogue, evaluation, paths, planner, trainings,
    // credentials and the Art. 4 report (scoped in the handler).
    public("GET", "/qualifizierung/pruefen"),
    public("POST", "/qualifizierung/pruefen"),
    requires("GET", "/qualifizierung", ViewQualification),
    requires("POST", "/qualifizierung/musterkatalog", ManageQualification),
    requires("POST", "/qualifizierung/import", ManageQualification),
    requires("GET", "/qualifizierung/katalog.json", ViewQualification),
    requires("GET", "/qualifizierung/katalog.jsonld", ViewQualification),
    requires("GET", "/qualifizierung/angebote.csv", ViewQualification),
    requires("GET", "/qualifizierung/angebote/{id}", ViewQualification),
    requires("GET", "/qualifizierung/neues-angebot", ManageQualification),
    requires("POST", "/qualifizierung/neues-angebot", ManageQualification),
    requires(
        "GET",
        "/qualifizierung/angebote/{id}/bearbeiten",
        ManageQualification,
    ),
    requires(
        "POST",
        "/qualifizierung/angebote/{id}/bearbeiten",
        ManageQualification,
    ),
    requires(
        "POST",
        "/qualifizierung/angebote/{id}/archivieren",
        ManageQualification,
    ),
    requires(
        "POST",
        "/qualifizierung/angebote/{id}/abschluss",
        EnrolInTrainings,
    ),
    requires(
        "GET",
        "/qualifizierung/bewertungsraster",
        ManageQualification,
    ),
    requires("GET", "/qualifizierung/personen", ManageQualification),
    requires("GET", "/qualifizierung/partner", ManageQualification),
    requires("POST", "/qualifizierung/partner", ManageQualification),
    requires("POST", "/qualifizierung/personen", ManageQualification),
    requires(
        "POST",
        "/qualifizierung/bewertungsraster",
        ManageQualification,
    ),
    requires("GET", "/qualifizierung/bewertung", ManageQualification),
    requires("POST", "/qualifizierung/bewertung", ManageQualification),
    requires("GET", "/qualifizierung/lernpfade", ViewQualification),
    requires("POST", "/qualifizierung/lernpfade", ManageQualification),
    requires("GET", "/qualifizierung/rollen", ManageQualification),
    requires("POST", "/qualifizierung/rollen", ManageQualification),
    requires("GET", "/qualifizierung/planung", ManageQualification),
    requires("POST", "/qualifizierung/planung", ManageQualification),
    requires(
        "POST",
        "/qualifizierung/planung/umfrage",
        ManageQualification,
    ),
    requires("GET", "/qualifizierung/termine", ViewQualification),
    requires("POST", "/qualifizierung/termine", ManageQualification),
    requires("GET", "/qualifizierung/termine/{id}", ViewQualification),
    requires(
        "POST",
        "/qualifizierung/termine/{id}/anmelden",
        EnrolInTrainings,
    ),
    requires(
        "POST",
        "/qualifizierung/termine/{id}/abmelden",
        EnrolInTrainings,
    ),
    requires(
        "POST",
        "/qualifizierung/termine/{id}/status",
        ManageQualification,
    ),
    requires(
        "GET",
        "/qualifizierung/termine/{id}/kalender.ics",
        ViewQualification,
    ),
    requires("GET", "/qualifizierung/kalender.ics", ViewQualification),
    requires("GET", "/qualifizierung/nachweise", ViewQualification),
    requires("POST", "/qualifizierung/nachweise", ManageQualification),
    requires("GET", "/qualifizierung/nachweise/{id}", ViewQualification),
    requires(
        "GET",
        "/qualifizierung/nachweise/{id}/badge.json",
        ViewQualification,
    ),
    requires("GET", "/qualifizierung/art4", ViewQualification),
    requires("GET", "/qualifizierung/art4/{format}", ViewQualification),
    requires("GET", "/api/v1/qualification/offers", ViewQualification),
    requires("POST", "/api/v1/qualification/offers", ManageQualification),
    requires(
        "GET",
        "/api/v1/qualification/offers/{id}",
        ViewQualification,
    ),
    requires(
        "PUT",
        "/api/v1/qualification/offers/{id}",
        ManageQualification,
    ),
    requires("GET", "/api/v1/qualification/rubric", ManageQualification),
    requires("PUT", "/api/v1/qualification/rubric", ManageQualification),
    requires(
        "POST",
        "/api/v1/qualification/completions",
        EnrolInTrainings,
    ),
    requires("GET", "/api/v1/qualification/paths", ViewQualification),
    requires("POST", "/api/v1/qualification/paths", ManageQualification),
    requires(
        "POST",
        "/api/v1/qualification/evaluations",
        ManageQualification,
    ),
    requires("POST", "/api/v1/qualification/plan", ManageQualification),
    requires("GET", "/api/v1/qualification/sessions", ViewQualification),
    requires(
        "POST",
        "/api/v1/qualification/sessions/{id}/enrolments",
        EnrolInTrainings,
    ),
    requires(
        "POST",
        "/api/v1/qualification/credentials/verify",
        ViewQualification,
    ),
    requires("GET", "/api/v1/qualification/report", ViewQualification),
];

pub fn lookup(method: &str, path: &str) -> Option<Access> {
    // HEAD is GET without the body (axum answers it from the GET handler),
    // so it needs exactly what GET needs.
    let method = if method == "HEAD" { "GET" } else { method };
    ROUTES
        .iter()
        .find(|r| r.method == method && r.path == path)
        .map(|r| r.access)
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

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Decides every routed request: permission from [`ROUTES`], then CSRF for
/// state-changing requests made with a session cookie.
pub async fn authorize(request: Request, next: Next) -> Response {
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
            Some(_) => {}
        }
    }
    let request = if csrf::needs_check(request.method(), &identity) {
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
        for r in ROUTES {
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
            Some(Access::Requires(ManageUsers))
        );
        assert_eq!(lookup("HEAD", "/abmelden"), None);
        assert_eq!(allowed_methods("/abmelden"), vec!["POST"]);
        assert_eq!(allowed_methods("/healthz"), vec!["GET", "HEAD"]);
    }

    #[test]
    fn unknown_routes_are_not_in_the_table() {
        assert_eq!(lookup("DELETE", "/benutzer/{id}"), None);
        assert_eq!(
            lookup("GET", "/benutzer"),
            Some(Access::Requires(ManageUsers))
        );
    }
}
