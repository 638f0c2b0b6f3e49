//! Walks every route of the access table with every role (and without a
//! login) and checks that the server enforces the permission matrix.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{fresh_store, Backend};
use journey::access::{Permission, Role};
use journey::profile::{Department, Profile};
use portal::access::{Access, ROUTES};
use portal::{AppState, PortalConfig};
use store::users::NewUser;
use store::Actor;
use tower::ServiceExt;

/// The use case created in the set-up.
const USE_CASE_ID: &str = "af-00000001";
const SESSION_ID: &str = "t-00000001";
const CREDENTIAL_ID: &str = "nw-00000001";

/// A concrete path for a route pattern, with ids that exist.
fn concrete(path: &str, user_id: i64) -> String {
    let id = if path.starts_with("/anwendungsfaelle/bibliothek/") {
        journey::usecase::library::Library::shipped()
            .unwrap()
            .entries[0]
            .id
            .clone()
    } else if path.starts_with("/anwendungsfaelle/") || path.starts_with("/api/v1/usecases/") {
        USE_CASE_ID.to_string()
    } else if path.starts_with("/qualifizierung/angebote/") {
        "elements_of_ai".to_string()
    } else if path.starts_with("/qualifizierung/termine/")
        || path.starts_with("/api/v1/qualification/sessions/")
    {
        SESSION_ID.to_string()
    } else if path.starts_with("/qualifizierung/nachweise/") {
        CREDENTIAL_ID.to_string()
    } else if path.contains("/schritte/") || path.contains("/steps/") {
        "profil".to_string()
    } else if path.starts_with("/dokumente/") || path.starts_with("/api/v1/documents/") {
        // The document created in the set-up.
        "1".to_string()
    } else if path.starts_with("/umfrage/") || path.starts_with("/api/v1/surveys/") {
        // The survey created in the set-up.
        "1".to_string()
    } else {
        user_id.to_string()
    };
    path.replace("{id}", &id)
        .replace("{slug}", "umfrage")
        .replace("{file}", "app.css")
        .replace("{token}", "unbekannt")
        .replace(
            "{format}",
            if path.starts_with("/qualifizierung/") {
                "csv"
            } else {
                "json"
            },
        )
        .replace("{template}", "ki-richtlinie")
        .replace("{duty}", "art-4")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_enforces_the_permission_matrix_for_every_role() {
    let store = fresh_store(Backend::Sqlite).await;
    let profile = Profile {
        name: "Testhausen".into(),
        ags: "01001000".into(),
        staff_count: 10,
        departments: vec![Department {
            name: "Amt 1".into(),
            staff_count: 5,
        }],
        ..Profile::default()
    };
    let admin = NewUser {
        email: "admin@test.de".into(),
        name: "Admin".into(),
        role: Role::Admin,
        department: None,
        password_hash: None,
    };
    store.complete_setup(&admin, &profile).await.unwrap();
    let questionnaire = journey::survey::default_questionnaire().unwrap();
    store
        .create_survey(
            &Actor::system(),
            &store::survey::NewSurvey {
                title: "Bestandsaufnahme".into(),
                questionnaire: serde_json::to_string(&questionnaire).unwrap(),
                import_report: String::new(),
                min_group_size: 5,
            },
        )
        .await
        .unwrap();
    let idea = journey::usecase::canvas::Intake::from_survey_text("Anträge vorsortieren.", None);
    let use_case = journey::usecase::model::UseCase::new(
        USE_CASE_ID,
        idea,
        journey::usecase::model::Origin::Survey,
    )
    .unwrap();
    store
        .create_use_case(&Actor::system(), &use_case)
        .await
        .unwrap();
    store
        .create_document(
            &Actor::system(),
            &store::documents::NewDocument {
                template_id: "ki-richtlinie",
                kind: "richtlinie",
                title: "KI-Richtlinie",
                markdown: "# KI-Richtlinie\n\nText.\n",
                answers: "{}",
            },
        )
        .await
        .unwrap();
    let model = journey::competency::CompetencyModel::default_model().unwrap();
    let seed = journey::qualification::catalogue::Catalogue::shipped(&model).unwrap();
    store
        .import_catalogue_items(
            &Actor::system(),
            &seed.offers,
            &seed.partners,
            &seed.paths,
            "Test",
        )
        .await
        .unwrap();
    store
        .create_training(
            &Actor::system(),
            &journey::qualification::training::Session {
                id: SESSION_ID.into(),
                offer: "intern_dienstanweisung".into(),
                title: "KI im Dienst".into(),
                starts_at: "2026-12-01T09:00".into(),
                ends_at: "2026-12-01T12:00".into(),
                place: "Ratshof".into(),
                online_url: None,
                trainer: String::new(),
                capacity: 10,
            },
        )
        .await
        .unwrap();
    let mut sessions = Vec::new();
    for role in Role::ALL {
        let user = if role == Role::Admin {
            store.user_by_email("admin@test.de").await.unwrap().unwrap()
        } else {
            store
                .create_user(
                    &Actor::system(),
                    &NewUser {
                        email: format!("{}@test.de", role.as_str()),
                        name: role.label().into(),
                        role,
                        department: None,
                        password_hash: None,
                    },
                )
                .await
                .unwrap()
        };
        sessions.push((Some(role), user.id));
    }
    sessions.push((None, 1));
    store
        .save_credential(
            &Actor::system(),
            &store::qualification::CredentialRecord {
                id: CREDENTIAL_ID.into(),
                user_id: sessions[0].1,
                path_id: "grundlagen_alle".into(),
                title: "KI-Grundlagen".into(),
                document: "{}".into(),
                issued_at: 0,
            },
        )
        .await
        .unwrap();
    let state = AppState::new(
        store.clone(),
        PortalConfig::default(),
        journey::plan::Plan::default_plan(),
    );
    let app = portal::app(state);

    let mut checked = 0;
    for route in ROUTES.iter() {
        for (role, user_id) in &sessions {
            // A fresh session each time: an earlier route (logout, password
            // change) may have ended the previous one.
            let session = match role {
                Some(_) => Some(store.create_session(Some(*user_id), 3600).await.unwrap()),
                None => None,
            };
            // Each user acts on their own id, so deactivating oneself is the
            // only thing a handler might refuse, and that is not a 403.
            let path = concrete(route.path, *user_id);
            let mut request = Request::builder().method(route.method).uri(&path);
            if let Some(s) = &session {
                request = request
                    .header(header::COOKIE, format!("kr_session={}", s.token))
                    .header("x-csrf-token", &s.csrf);
            }
            let body = if route.method == "GET" {
                Body::empty()
            } else if path.starts_with("/api/") {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from("{}")
            } else {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from("")
            };
            let mut request = request.body(body).unwrap();
            // From this machine, which may read /metrics without a token.
            request.extensions_mut().insert(axum::extract::ConnectInfo(
                std::net::SocketAddr::from(([127, 0, 0, 1], 4000)),
            ));
            let response = app.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let location = response
                .headers()
                .get(header::LOCATION)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            match (route.access, role) {
                // Without a session there is no CSRF token to send, so a
                // public form cannot be posted blind.
                (Access::Public, None) if route.method != "GET" => assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{} {path} without a session must be refused (CSRF)",
                    route.method
                ),
                // Proven by a signed token, not a session: an empty body
                // is a bad request for everyone, never done.
                (Access::Signed, _) => assert_eq!(
                    status,
                    StatusCode::BAD_REQUEST,
                    "{} {path} without a signed token",
                    route.method
                ),
                // (A failed login answers 401 by design; that is not a refusal.)
                (Access::Public, _) => assert!(
                    status != StatusCode::FORBIDDEN,
                    "{} {path} is public but answered {status} for {role:?}",
                    route.method
                ),
                (Access::Requires(_), None) if path.starts_with("/api/") => assert_eq!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "{} {path} without login",
                    route.method
                ),
                (Access::Requires(_), None) => assert!(
                    status == StatusCode::SEE_OTHER && location.starts_with("/anmelden"),
                    "{} {path} without login answered {status} {location}",
                    route.method
                ),
                (Access::Requires(p), Some(role)) if role.can(p) => assert!(
                    status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
                    "{} {path} should be allowed for {role:?}, got {status}",
                    route.method
                ),
                (Access::Requires(_), Some(role)) => assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{} {path} must be refused for {role:?}",
                    route.method
                ),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, ROUTES.len() * 5);
}

#[tokio::test]
async fn a_state_changing_request_without_the_csrf_token_is_refused() {
    let store = fresh_store(Backend::Sqlite).await;
    store
        .complete_setup(
            &NewUser {
                email: "a@test.de".into(),
                name: "A".into(),
                role: Role::Admin,
                department: None,
                password_hash: None,
            },
            &Profile {
                name: "T".into(),
                ags: "01001000".into(),
                staff_count: 1,
                departments: vec![Department {
                    name: "X".into(),
                    staff_count: 1,
                }],
                ..Profile::default()
            },
        )
        .await
        .unwrap();
    let user = store.user_by_email("a@test.de").await.unwrap().unwrap();
    assert!(user.role.can(Permission::UpdateSteps));
    let session = store.create_session(Some(user.id), 3600).await.unwrap();
    let app = portal::app(AppState::new(
        store.clone(),
        PortalConfig::default(),
        journey::plan::Plan::default_plan(),
    ));
    for (token, expected) in [
        ("", StatusCode::FORBIDDEN),
        ("falsch", StatusCode::FORBIDDEN),
        (session.csrf.as_str(), StatusCode::SEE_OTHER),
    ] {
        let body = format!("status=done&version=0&_csrf={token}");
        let request = Request::builder()
            .method("POST")
            .uri("/schritte/profil")
            .header(header::COOKIE, format!("kr_session={}", session.token))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), expected, "token {token:?}");
    }
    let records = store.step_records().await.unwrap();
    assert_eq!(
        records.len(),
        1,
        "only the request with the right token changed anything"
    );
}

#[tokio::test]
async fn pages_carry_security_headers_and_the_api_describes_itself() {
    let store = fresh_store(Backend::Sqlite).await;
    let app = portal::app(AppState::new(
        store,
        PortalConfig::default(),
        journey::plan::Plan::default_plan(),
    ));
    let response = app
        .clone()
        .oneshot(
            Request::get("/api/v1/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
    assert_eq!(
        response.headers()[header::X_CONTENT_TYPE_OPTIONS],
        "nosniff"
    );
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/me",
        "/api/v1/journey",
        "/api/v1/journey/steps/{id}",
        "/api/v1/users",
        "/api/v1/profile",
        "/api/v1/audit",
    ] {
        assert!(doc["paths"].get(path).is_some(), "OpenAPI lacks {path}");
    }
    let response = app
        .oneshot(
            Request::get("/api/v1/gibtsnicht")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let err: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(err["error"]["code"], "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_is_answered_as_get_and_a_wrong_method_gets_405_with_bounded_metrics() {
    let store = fresh_store(Backend::Sqlite).await;
    let app = portal::app(AppState::new(
        store,
        PortalConfig::default(),
        journey::plan::Plan::default_plan(),
    ));
    let send =
        |method: &str, path: &str| {
            let app = app.clone();
            let mut request = Request::builder()
                .method(method)
                .uri(path)
                .body(Body::empty())
                .unwrap();
            // As from a program on this machine, which may read /metrics.
            request.extensions_mut().insert(axum::extract::ConnectInfo(
                std::net::SocketAddr::from(([127, 0, 0, 1], 4000)),
            ));
            async move {
                let response = app.oneshot(request).await.unwrap();
                let status = response.status();
                let allow = response
                    .headers()
                    .get(header::ALLOW)
                    .map(|v| v.to_str().unwrap().to_string());
                let body = axum::body::to_bytes(response.into_body(), 1 << 22)
                    .await
                    .unwrap();
                (status, allow, String::from_utf8_lossy(&body).into_owned())
            }
        };
    let (status, _, _) = send("HEAD", "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/healthz",
        "/ki-register",
        "/anmelden",
        "/benutzer",
        "/api/v1/me",
    ] {
        let (head, _, body) = send("HEAD", path).await;
        let (get, _, _) = send("GET", path).await;
        assert_eq!(head, get, "HEAD {path} answers as GET");
        assert!(body.is_empty(), "HEAD {path} has no body");
    }

    let (status, allow, _) = send("DELETE", "/anmelden").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(allow.as_deref(), Some("GET, POST, HEAD"));
    let (status, allow, body) = send("PATCH", "/api/v1/me").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(allow.as_deref(), Some("GET, HEAD"));
    let err: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(err["error"]["code"], "method_not_allowed");
    for i in 0..30 {
        let (status, _, _) = send(&format!("ERFUNDEN{i}"), "/healthz").await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    }
    let (_, _, metrics) = send("GET", "/metrics").await;
    assert!(!metrics.contains("ERFUNDEN"), "{metrics}");
    assert!(
        metrics.contains("method=\"OTHER\",route=\"/healthz\",status=\"405\"} 30"),
        "{metrics}"
    );
}
