//! The KI-Pass and the retention of the adopted KI-Richtlinie, enforced:
//! Sam (staff) has no pass and is refused on the assistant page, when
//! creating an API key and on `/v1`, each time naming the missing step and
//! linking the next session with a free seat (not the full one, not the one
//! that has begun). Tom gets a documented exception through the API; Sam is
//! admitted from the next request once the trainer confirms attendance.
//! The Art. 4 report shows who holds the pass. A chat-storage period above
//! the policy's retention is refused on the page (beside the field) and in
//! the API.

mod common;
#[path = "../../bench/tests/mock/mod.rs"]
mod mock;

use std::collections::HashMap;
use std::sync::Arc;

use common::{login, ApiClient, Backend, TestServer, PASSWORD};
use journey::access::Role;
use journey::policy::{KiPassRule, Reach, RuleSet, Tool};
use journey::qualification::training::Session;
use mock::{MockConfig, MockServer};
use portal::{AppState, PortalConfig};
use reqwest::Method;
use serde_json::json;
use store::users::NewUser;
use store::{Actor, Store};

const QUESTION: &str = "Wann hat das Bürgeramt geöffnet?";

/// The portal with the gateway's `/v1` beside it, as `serve` runs them.
async fn serve(store: Store, gw: Arc<gateway::Gateway>) -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = PortalConfig {
        public_url: base.clone(),
        ..PortalConfig::default()
    };
    let state = AppState::new(store.clone(), config, journey::plan::Plan::default_plan());
    state.attach_gateway(gw.clone());
    let app = portal::app_with_gateway(state.clone(), gateway::router(gw));
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    TestServer {
        base,
        setup_code: None,
        store,
        state,
    }
}

/// Day one's municipality (Ada, Pia, Sam) and Tom, another clerk.
async fn municipality(backend: Backend) -> Store {
    let store = common::day_one_store(backend).await;
    store
        .create_user(
            &Actor::system(),
            &NewUser {
                email: "tom@musterstadt.de".into(),
                name: "Tom Teilzeit".into(),
                role: Role::Staff,
                department: Some("Bürgerservice".into()),
                password_hash: Some(portal::auth::password::hash_blocking(PASSWORD).unwrap()),
            },
        )
        .await
        .unwrap();
    store
}

fn session(id: &str, starts_at: String, ends_at: String, capacity: u32) -> Session {
    Session {
        id: id.into(),
        offer: "intern_dienstanweisung".into(),
        title: format!("KI im Dienst ({id})"),
        starts_at,
        ends_at,
        place: "Rathaus, Raum 1".into(),
        online_url: None,
        trainer: "Ada Admin".into(),
        capacity,
    }
}

/// `YYYY-MM-DDTHH:MM` in German time, `days` from now.
fn local(days: i64, time: &str) -> String {
    let day = journey::german::local_date_time(store::now() + days * 86_400);
    format!("{}T{time}", &day[..10])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_without_the_ki_pass_are_refused_until_trained_on_sqlite() {
    ki_pass_story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_without_the_ki_pass_are_refused_until_trained_on_postgres() {
    ki_pass_story(Backend::Postgres).await;
}

async fn ki_pass_story(backend: Backend) {
    let target = MockServer::start(MockConfig {
        answers: HashMap::from([(QUESTION.to_string(), "Montags 8 bis 16 Uhr.".to_string())]),
        ..MockConfig::default()
    })
    .await;
    let store = municipality(backend).await;
    let config = gateway::GatewayConfig {
        backends: vec![gateway::RemoteConfig {
            name: "Private Cloud".into(),
            urls: vec![target.base_url()],
            api_key: None,
            models: vec!["gross".into()],
            timeout_secs: 10,
            reach: Reach::PrivateCloud,
            limits: Default::default(),
        }],
        ..gateway::GatewayConfig::default()
    };
    let gw = gateway::Gateway::new(store.clone(), config, RuleSet::default(), None).unwrap();
    let server = serve(store.clone(), gw.clone()).await;
    let base = server.base.clone();
    let users = store.users().await.unwrap();
    let by_mail = |m: &str| users.iter().find(|u| u.email == m).unwrap().clone();
    let (ada_user, sam_user, tom_user) = (
        by_mail("ada@musterstadt.de"),
        by_mail("sam@musterstadt.de"),
        by_mail("tom@musterstadt.de"),
    );
    // Sam's key dates from before the policy; it must not outlive it.
    let sam_key = ApiClient::for_user(&server, &sam_user).await;

    // The shipped catalogue, with the trainings of its mandatory step.
    let mut ada = login(&base, "ada@musterstadt.de").await;
    let p = ada.post("/qualifizierung/musterkatalog", &[]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let trainer = Actor::user(ada_user.id, &ada_user.name);
    for s in [
        session("heute", local(0, "00:00"), local(0, "23:59"), 10),
        session("voll", local(10, "09:00"), local(10, "12:00"), 1),
        session("frei", local(20, "09:00"), local(20, "12:00"), 12),
    ] {
        store.create_training(&trainer, &s).await.unwrap();
    }
    store.enrol(&trainer, "voll", tom_user.id).await.unwrap();
    // The online course of the first step Sam did earlier.
    store
        .record_completion(&trainer, sam_user.id, "elements_of_ai", "2026-10-01")
        .await
        .unwrap();

    // Before adoption nothing asks for the pass.
    let mut sam = login(&base, "sam@musterstadt.de").await;
    assert_eq!(sam.get("/assistent").await.status, 200);

    // The council adopts a KI-Richtlinie with the KI-Pass, no grace period
    // and seven days of retention.
    let rules = RuleSet {
        source: Some("KI-Richtlinie, Version 1".into()),
        adopted_on: Some(journey::date::today()),
        prompt_retention_days: 7,
        ki_pass: Some(KiPassRule {
            learning_path: "grundlagen_alle".into(),
            tools: vec![Tool::Assistant, Tool::Api],
            grace_days: 0,
        }),
        ..RuleSet::default()
    };
    store
        .set_setting(store::documents::POLICY_RULES_KEY, &rules.to_json())
        .await
        .unwrap();
    gw.set_rules(rules);

    // The page: 403 in German, naming the open step and the next session
    // with a free seat.
    let p = sam.get("/assistent").await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains("KI-Pass"), "{}", p.body);
    assert!(p.body.contains("„KI im Dienst“"), "{}", p.body);
    assert!(!p.body.contains("„Wie KI funktioniert“"), "done step named");
    assert!(
        p.body.contains(r#"href="/qualifizierung/termine/frei""#),
        "{}",
        p.body
    );
    let p = sam
        .post(
            "/assistent",
            &[
                ("model", "gross"),
                ("class", "internal"),
                ("message", QUESTION),
            ],
        )
        .await;
    assert_eq!(p.status, 403);
    // Own conversations stay within reach; a new key does not.
    assert_eq!(sam.get("/konto").await.status, 200);
    let p = sam.post("/konto/schluessel", &[("name", "Skript")]).await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains("KI-Schnittstelle"), "{}", p.body);

    // /v1: the same decision in the gateway's error shape; the backend
    // never sees the message.
    let chat = json!({"model": "gross", "messages": [{"role": "user", "content": QUESTION}]});
    let (status, body) = sam_key
        .send(Method::POST, "/v1/chat/completions", chat.clone())
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "ki_pass_required");
    assert_eq!(body["error"]["type"], "permission_error");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("KI-Grundlagen für alle Beschäftigten"),
        "{message}"
    );
    assert!(
        message.contains(&format!("{base}/qualifizierung/termine/frei")),
        "{message}"
    );
    assert_eq!(target.requests(), 0);
    // Listing the models uses none.
    assert_eq!(sam_key.get("/v1/models").await.0, 200);

    // An exception for Tom, through the API: checked, then documented.
    let ada_api = ApiClient::for_user(&server, &ada_user).await;
    let (status, body) = ada_api
        .send(
            Method::POST,
            "/api/v1/ki-pass/exceptions",
            json!({"user_id": tom_user.id, "valid_until": "2020-01-01", "reason": "Schulung folgt"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "valid_until");
    let until = journey::date::add_days(&journey::date::today(), 30).unwrap();
    let (status, body) = ada_api
        .send(
            Method::POST,
            "/api/v1/ki-pass/exceptions",
            json!({"user_id": tom_user.id, "valid_until": until, "reason": "Elternzeit bis zur nächsten Schulung"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["granted_by"], "Ada Admin");
    let mut tom = login(&base, "tom@musterstadt.de").await;
    assert_eq!(tom.get("/assistent").await.status, 200);
    // The page refuses a reason-less exception beside the field.
    ada.get("/qualifizierung/ki-pass").await;
    let p = ada
        .post(
            "/qualifizierung/ki-pass/ausnahmen",
            &[
                ("user_id", &sam_user.id.to_string()),
                ("valid_until", &until),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains(r#"id="reason-error""#), "{}", p.body);
    assert_eq!(
        sam.get("/assistent").await.status,
        403,
        "nothing was granted"
    );
    let (audit, _) = store.audit_entries("KI-Pass", 50, 0).await.unwrap();
    assert_eq!(audit.len(), 1, "one grant, documented");
    assert_eq!(audit[0].action, "KI-Pass-Ausnahme gewährt");
    assert!(audit[0].detail.contains("Elternzeit"));

    // The trainer confirms Sam's attendance; the next request is admitted.
    store.enrol(&trainer, "heute", sam_user.id).await.unwrap();
    let (status, body) = ada_api
        .send(
            Method::PUT,
            &format!(
                "/api/v1/qualification/sessions/heute/enrolments/{}",
                sam_user.id
            ),
            json!({"status": "attended"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sam.get("/assistent").await.status, 200);
    let (status, body) = sam_key
        .send(Method::POST, "/v1/chat/completions", chat)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Montags 8 bis 16 Uhr."
    );

    // The Art. 4 report shows who holds the pass.
    let p = ada.get("/qualifizierung/art4").await;
    assert_eq!(p.status, 200);
    let section = p.body.split("<h2>KI-Pass</h2>").nth(1).unwrap();
    assert!(
        section.contains("Sam Sachbearbeitung</th><td>Bürgerservice</td><td>KI-Pass erworben"),
        "{section}"
    );
    assert!(section.contains(&format!(
        "Tom Teilzeit</th><td>Bürgerservice</td><td>Ausnahme bis {}",
        journey::date::german(&until)
    )));
    let md = ada.get("/qualifizierung/art4/md").await.body;
    assert!(
        md.contains("| Sam Sachbearbeitung | Bürgerservice | KI-Pass erworben |"),
        "{md}"
    );
    let (_, overview) = ada_api.get("/api/v1/ki-pass").await;
    let persons = overview["rule"]["persons"].as_array().unwrap();
    let standing =
        |name: &str| persons.iter().find(|p| p["name"] == name).unwrap()["standing"].clone();
    assert_eq!(standing("Sam Sachbearbeitung"), "held");
    assert_eq!(standing("Tom Teilzeit"), "exception");
    assert_eq!(standing("Ada Admin"), "missing");
    assert_eq!(standing("Pia Projekt"), "missing");

    // Retention: at most the policy's seven days, on the page and the API.
    ada.get("/assistent/einstellungen").await;
    let p = ada
        .post(
            "/assistent/einstellungen",
            &[("storage", "on"), ("days", "30")],
        )
        .await;
    assert_eq!(p.status, 422);
    let error = common::extract_between(&p.body, r#"id="days-error">"#, "</p>").unwrap();
    assert!(error.contains("höchstens 7 Tage"), "{error}");
    assert_eq!(
        store.chat_retention_days().await.unwrap(),
        None,
        "nothing stored"
    );
    let (status, body) = ada_api
        .send(
            Method::PUT,
            "/api/v1/gateway/retention",
            json!({"days": 30}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "days");
    let (status, _) = ada_api
        .send(Method::PUT, "/api/v1/gateway/retention", json!({"days": 7}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(store.chat_retention_days().await.unwrap(), Some(7));

    // The Regelwerk page says which rules the software checks.
    let p = ada.get("/dokumente/regelwerk").await;
    assert_eq!(p.status, 200, "{}", p.body);
    let (checked, organisational) = p.body.split_once(r#"id="organisatorisch""#).unwrap();
    assert!(checked.contains("KI-Pass"));
    assert!(organisational.contains("organisatorisch, nicht technisch durchgesetzt"));
    assert!(organisational.contains("menschliche Prüfung"));
}
