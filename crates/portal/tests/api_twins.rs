//! Every action a user can take on a portal page (a POST, PUT or DELETE
//! outside `/api/`) has a twin in `/api/v1` with the same permission, or a
//! reason here why it has none. The test walks the route table the router
//! is built from, so a new page action without a twin fails it.

use std::collections::HashMap;

use portal::access::{Access, ROUTES};

enum Twin {
    /// The API operation that does the same: method and path.
    Api(&'static str, &'static str),
    /// No twin, by design: why.
    Without(&'static str),
}
use Twin::*;

const SESSION_ONLY: &str =
    "Anmeldung mit Sitzung im Browser; die API meldet sich mit einem Schlüssel an.";
const EDITOR_PREVIEW: &str =
    "Vorschau des gerade bearbeiteten Textes; ändert nichts und ist Teil des Editors.";
const OPENAI_CHAT: &str =
    "Das Gespräch mit dem Assistenten ist /v1/chat/completions (OpenAI-kompatibel), mit derselben Berechtigung UseAssistant.";

/// Page action (method, path) → its twin.
const TWINS: &[(&str, &str, Twin)] = &[
    // People and accounts.
    ("POST", "/einrichtung", Without("Ersteinrichtung einer leeren Instanz: vor dem ersten Konto gibt es keinen Schlüssel.")),
    ("POST", "/anmelden", Without(SESSION_ONLY)),
    ("POST", "/abmelden", Without(SESSION_ONLY)),
    ("POST", "/anmelden/dienstkonto/abmelden", Without("Back-Channel-Logout: der Anmeldedienst ruft das mit einem signierten Token auf, keine Person und kein API-Schlüssel.")),
    ("POST", "/einladung/{token}", Without("Das eigene Passwort setzt die eingeladene Person selbst, mit dem Link im Browser.")),
    ("POST", "/konto/passwort", Without("Ein Passwort ändert nur, wer das aktuelle kennt, im Browser; ein API-Schlüssel soll kein Passwort ändern können.")),
    ("POST", "/konto/schluessel", Api("POST", "/api/v1/me/keys")),
    ("POST", "/konto/schluessel/{id}/widerrufen", Api("DELETE", "/api/v1/me/keys/{id}")),
    ("POST", "/benutzer/neu", Api("POST", "/api/v1/users")),
    ("POST", "/benutzer/import", Api("POST", "/api/v1/users/import")),
    ("POST", "/benutzer/{id}", Api("PUT", "/api/v1/users/{id}")),
    ("POST", "/benutzer/{id}/aktiv", Api("PUT", "/api/v1/users/{id}/active")),
    ("POST", "/benutzer/{id}/link", Api("POST", "/api/v1/users/{id}/link")),
    ("POST", "/benutzer/{id}/funktionen", Api("PUT", "/api/v1/users/{id}/functions")),
    ("POST", "/benutzer/verzeichnis", Api("PUT", "/api/v1/sign-in/directory")),
    ("POST", "/benutzer/verzeichnis/vorschau", Api("POST", "/api/v1/sign-in/directory/preview")),
    ("POST", "/benutzer/verzeichnis/abgleich", Api("POST", "/api/v1/sign-in/directory/sync")),
    ("POST", "/benutzer/dienstkonto", Api("PUT", "/api/v1/sign-in/oidc")),
    // Journey and profile.
    ("POST", "/schritte/{id}", Api("PUT", "/api/v1/journey/steps/{id}")),
    ("POST", "/profil/bearbeiten", Api("PUT", "/api/v1/profile")),
    ("POST", "/profil/oeffentlich", Api("PUT", "/api/v1/profile/public-links")),
    ("POST", "/nachnutzung/import", Api("POST", "/api/v1/transfer/check")),
    ("POST", "/nachnutzung/uebernehmen", Api("POST", "/api/v1/transfer/apply")),
    // Survey.
    ("POST", "/umfrage/neu", Api("POST", "/api/v1/surveys")),
    ("POST", "/umfrage/neu/datei", Api("POST", "/api/v1/surveys")),
    ("POST", "/umfrage/{id}/bearbeiten", Api("PUT", "/api/v1/surveys/{id}/questionnaire")),
    ("POST", "/umfrage/{id}/vorschau", Without(EDITOR_PREVIEW)),
    ("POST", "/umfrage/{id}/kopieren", Api("POST", "/api/v1/surveys/{id}/copy")),
    ("POST", "/umfrage/{id}/oeffnen", Api("POST", "/api/v1/surveys/{id}/open")),
    ("POST", "/umfrage/{id}/schliessen", Api("POST", "/api/v1/surveys/{id}/close")),
    ("POST", "/umfrage/{id}/zeitraum", Api("PUT", "/api/v1/surveys/{id}/period")),
    ("POST", "/umfrage/{id}/links", Api("POST", "/api/v1/surveys/{id}/tokens")),
    ("POST", "/umfrage/{id}/codes", Api("POST", "/api/v1/surveys/{id}/tokens")),
    ("POST", "/umfrage/{id}/papier/erfassen", Api("POST", "/api/v1/surveys/{id}/paper-answers")),
    ("POST", "/umfrage/{id}/teilnehmen", Api("POST", "/api/v1/surveys/{id}/participation")),
    ("POST", "/umfrage/{id}/ideen", Api("POST", "/api/v1/surveys/{id}/ideas")),
    ("POST", "/umfrage/{id}/e-mail", Api("POST", "/api/v1/surveys/{id}/mail")),
    ("POST", "/teilnahme/{token}", Api("POST", "/api/v1/participation/{token}")),
    // Qualification.
    ("POST", "/qualifizierung/pruefen", Api("POST", "/api/v1/qualification/credentials/verify")),
    ("POST", "/qualifizierung/musterkatalog", Api("POST", "/api/v1/qualification/catalogue/sample")),
    ("POST", "/qualifizierung/import", Api("POST", "/api/v1/qualification/catalogue/import")),
    ("POST", "/qualifizierung/neues-angebot", Api("POST", "/api/v1/qualification/offers")),
    ("POST", "/qualifizierung/angebote/{id}/bearbeiten", Api("PUT", "/api/v1/qualification/offers/{id}")),
    ("POST", "/qualifizierung/angebote/{id}/archivieren", Api("PUT", "/api/v1/qualification/offers/{id}/archived")),
    ("POST", "/qualifizierung/angebote/{id}/abschluss", Api("POST", "/api/v1/qualification/completions")),
    ("POST", "/qualifizierung/partner", Api("PUT", "/api/v1/qualification/partners/{id}")),
    ("POST", "/qualifizierung/personen", Api("PUT", "/api/v1/qualification/people")),
    ("POST", "/qualifizierung/bewertungsraster", Api("PUT", "/api/v1/qualification/rubric")),
    ("POST", "/qualifizierung/bewertung", Api("POST", "/api/v1/qualification/evaluations")),
    ("POST", "/qualifizierung/lernpfade", Api("POST", "/api/v1/qualification/paths")),
    ("POST", "/qualifizierung/rollen", Api("PUT", "/api/v1/qualification/role-profiles")),
    ("POST", "/qualifizierung/planung", Api("POST", "/api/v1/qualification/plan")),
    ("POST", "/qualifizierung/planung/umfrage", Api("POST", "/api/v1/qualification/plan/survey-levels")),
    ("POST", "/qualifizierung/termine", Api("POST", "/api/v1/qualification/sessions")),
    ("POST", "/qualifizierung/termine/{id}/anmelden", Api("POST", "/api/v1/qualification/sessions/{id}/enrolments")),
    ("POST", "/qualifizierung/termine/{id}/abmelden", Api("DELETE", "/api/v1/qualification/sessions/{id}/enrolments/{user_id}")),
    ("POST", "/qualifizierung/termine/{id}/status", Api("PUT", "/api/v1/qualification/sessions/{id}/enrolments/{user_id}")),
    ("POST", "/qualifizierung/termine/{id}/einladen", Api("POST", "/api/v1/qualification/sessions/{id}/invitations")),
    ("POST", "/qualifizierung/nachweise", Api("POST", "/api/v1/qualification/credentials")),
    ("POST", "/qualifizierung/ki-pass/ausnahmen", Api("POST", "/api/v1/ki-pass/exceptions")),
    // Use cases.
    ("POST", "/anwendungsfaelle/neu", Api("POST", "/api/v1/usecases")),
    ("POST", "/anwendungsfaelle/bibliothek/{id}", Api("POST", "/api/v1/usecases/library/{id}/adopt")),
    ("POST", "/anwendungsfaelle/kriterien", Api("PUT", "/api/v1/usecases/criteria")),
    ("POST", "/anwendungsfaelle/import", Api("POST", "/api/v1/usecases/import")),
    ("POST", "/anwendungsfaelle/{id}/canvas", Api("PUT", "/api/v1/usecases/{id}/canvas")),
    ("POST", "/anwendungsfaelle/{id}/datenschutz", Api("PUT", "/api/v1/usecases/{id}/data-protection")),
    ("POST", "/anwendungsfaelle/{id}/einstufung", Api("POST", "/api/v1/usecases/{id}/classification")),
    ("POST", "/anwendungsfaelle/{id}/pilot", Api("PUT", "/api/v1/usecases/{id}/pilot")),
    ("POST", "/anwendungsfaelle/{id}/status", Api("POST", "/api/v1/usecases/{id}/status")),
    ("POST", "/anwendungsfaelle/{id}/register", Api("PUT", "/api/v1/usecases/{id}/register")),
    ("POST", "/anwendungsfaelle/{id}/pflichten/{duty}", Api("PUT", "/api/v1/usecases/{id}/obligations/{duty}")),
    ("POST", "/anwendungsfaelle/{id}/pflichten/{duty}/nachweis", Api("POST", "/api/v1/usecases/{id}/obligations/{duty}/evidence")),
    // Documents.
    ("POST", "/dokumente/neu/{template}", Api("POST", "/api/v1/documents")),
    ("POST", "/dokumente/vorschau", Without(EDITOR_PREVIEW)),
    ("POST", "/dokumente/vorlagen/import", Api("POST", "/api/v1/document-templates/import")),
    ("POST", "/dokumente/{id}/interview", Api("POST", "/api/v1/documents/{id}/interview")),
    ("POST", "/dokumente/{id}/bearbeiten", Api("POST", "/api/v1/documents/{id}/versions")),
    ("POST", "/dokumente/{id}/kommentare", Api("POST", "/api/v1/documents/{id}/comments")),
    ("POST", "/dokumente/{id}/einreichen", Api("POST", "/api/v1/documents/{id}/submission")),
    ("POST", "/dokumente/{id}/zurueckziehen", Api("POST", "/api/v1/documents/{id}/withdrawal")),
    ("POST", "/dokumente/{id}/stellungnahme", Api("POST", "/api/v1/documents/{id}/statements")),
    ("POST", "/dokumente/{id}/beschliessen", Api("POST", "/api/v1/documents/{id}/adoption")),
    ("POST", "/dokumente/{id}/loeschen", Api("DELETE", "/api/v1/documents/{id}")),
    // Assistant.
    ("POST", "/assistent", Without(OPENAI_CHAT)),
    ("POST", "/assistent/stream", Without(OPENAI_CHAT)),
    ("POST", "/assistent/gespraeche/{id}/loeschen", Api("DELETE", "/api/v1/assistant/conversations/{id}")),
    ("POST", "/assistent/assistenten", Api("POST", "/api/v1/assistants")),
    ("POST", "/assistent/kontingente", Api("PUT", "/api/v1/gateway/quotas")),
    ("POST", "/assistent/kontingente/schluessel", Api("PUT", "/api/v1/gateway/keys/{id}")),
    ("POST", "/assistent/einstellungen", Api("PUT", "/api/v1/gateway/retention")),
    ("POST", "/assistent/einstellungen/modell", Api("PUT", "/api/v1/gateway/local-models")),
    ("POST", "/assistent/einstellungen/backends", Api("POST", "/api/v1/gateway/backends")),
    ("POST", "/assistent/einstellungen/katalog", Api("POST", "/api/v1/gateway/model-downloads")),
    // Knowledge spaces.
    ("POST", "/wissensraeume", Api("POST", "/api/v1/spaces")),
    ("POST", "/wissensraeume/{id}/dokumente", Api("POST", "/api/v1/spaces/{id}/documents")),
    ("POST", "/wissensraeume/{id}/dokumente/{doc}/entfernen", Api("DELETE", "/api/v1/spaces/{id}/documents/{doc}")),
    // E-mail.
    ("POST", "/e-mail/{id}/erneut", Api("POST", "/api/v1/mail/{id}/requeue")),
    ("POST", "/e-mail/vorlagen/{kind}", Api("PUT", "/api/v1/mail/templates/{kind}")),
    // Vergleichstest.
    ("POST", "/vergleichstest", Api("POST", "/api/v1/bench/runs")),
    ("POST", "/vergleichstest/{id}/abbrechen", Api("POST", "/api/v1/bench/runs/{id}/cancel")),
    ("POST", "/vergleichstest/schluessel", Api("POST", "/api/v1/bench/target-keys")),
    ("POST", "/vergleichstest/schluessel/loeschen", Api("DELETE", "/api/v1/bench/target-keys/{target}")),
    ("POST", "/vergleichstest/aufgaben", Api("POST", "/api/v1/bench/task-sets")),
    ("POST", "/vergleichstest/aufgaben/loeschen", Api("DELETE", "/api/v1/bench/task-sets/{id}")),
    ("POST", "/vergleichstest/erlaubte-ziele", Api("PUT", "/api/v1/bench/allowed-hosts")),
];

fn is_page_action(method: &str, path: &str) -> bool {
    method != "GET" && !path.starts_with("/api/")
}

#[test]
fn every_page_action_has_an_api_twin_with_the_same_permission_or_a_reason() {
    let routes: HashMap<(&str, &str), Access> = ROUTES
        .iter()
        .map(|r| ((r.method, r.path), r.access))
        .collect();
    let listed: HashMap<(&str, &str), &Twin> =
        TWINS.iter().map(|(m, p, t)| ((*m, *p), t)).collect();
    assert_eq!(listed.len(), TWINS.len(), "a page action is listed twice");

    let mut problems = Vec::new();
    for route in ROUTES.iter().filter(|r| is_page_action(r.method, r.path)) {
        if !listed.contains_key(&(route.method, route.path)) {
            problems.push(format!(
                "{} {}: page action without an API twin; add one (or a reason) to TWINS",
                route.method, route.path
            ));
        }
    }
    for (method, path, twin) in TWINS {
        let Some(page_access) = routes.get(&(*method, *path)) else {
            problems.push(format!("{method} {path}: listed in TWINS but not a route"));
            continue;
        };
        match twin {
            Api(api_method, api_path) => match routes.get(&(*api_method, *api_path)) {
                None => problems.push(format!(
                    "{method} {path}: its twin {api_method} {api_path} is not a route"
                )),
                Some(api_access) if api_access != page_access => problems.push(format!(
                    "{method} {path} needs {page_access:?}, its twin {api_method} {api_path} {api_access:?}"
                )),
                Some(_) => {}
            },
            Without(reason) => assert!(reason.len() > 20, "{method} {path}: give a real reason"),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
