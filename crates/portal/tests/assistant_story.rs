//! The staff chat through the gateway: the notice about talking to an AI
//! system, an answer without JavaScript and as a stream, refusal when the
//! data class may not reach the only backend (which then never sees the
//! message), assistants kept by the project team, and the usage page with
//! metadata only. Around an answer: readable model names, a refusal by
//! data class that names the local model to send to instead ("Lokal
//! senden", with and without JavaScript), and the export of a stored
//! conversation to its owner only.

mod common;
#[path = "../../bench/tests/mock/mod.rs"]
mod mock;

use std::collections::HashMap;

use std::sync::Arc;

use common::{fresh_store, login, spawn_with, Backend, TestServer, PASSWORD};
use journey::access::Role;
use journey::policy::{Reach, RuleSet};
use journey::profile::{Department, Profile};
use mock::{MockConfig, MockServer};
use portal::PortalConfig;
use store::users::NewUser;
use store::Actor;

/// A portal with Ada (admin), Sam (staff) and Vera (viewer), whose gateway
/// has one remote backend per `(name, model, reach)`, all served by one
/// mock that gives `answer` to `question`.
async fn chat_portal(
    backend: Backend,
    (question, answer): (&str, &str),
    backends: &[(&str, &str, Reach)],
) -> (MockServer, Arc<gateway::Gateway>, TestServer) {
    let target = MockServer::start(MockConfig {
        answers: HashMap::from([(question.to_string(), answer.to_string())]),
        ..MockConfig::default()
    })
    .await;
    let store = fresh_store(backend).await;
    let hash = portal::auth::password::hash_blocking(PASSWORD).unwrap();
    let user = |email: &str, role| NewUser {
        email: email.into(),
        name: email.into(),
        role,
        department: Some("Bürgerservice".into()),
        password_hash: Some(hash.clone()),
    };
    store
        .complete_setup(
            &user("ada@musterstadt.de", Role::Admin),
            &Profile {
                name: "Stadt Musterstadt".into(),
                ags: "15002000".into(),
                staff_count: 10,
                departments: vec![Department {
                    name: "Bürgerservice".into(),
                    staff_count: 10,
                }],
                ..Profile::default()
            },
        )
        .await
        .unwrap();
    for (email, role) in [
        ("sam@musterstadt.de", Role::Staff),
        ("vera@musterstadt.de", Role::Viewer),
    ] {
        store
            .create_user(&Actor::system(), &user(email, role))
            .await
            .unwrap();
    }
    let config = gateway::GatewayConfig {
        backends: backends
            .iter()
            .map(|(name, model, reach)| gateway::RemoteConfig {
                name: (*name).into(),
                urls: vec![target.base_url()],
                api_key: None,
                models: vec![(*model).into()],
                timeout_secs: 10,
                reach: *reach,
                limits: Default::default(),
            })
            .collect(),
        ..gateway::GatewayConfig::default()
    };
    let gw = gateway::Gateway::new(store.clone(), config, RuleSet::default(), None).unwrap();
    let server = spawn_with(store, PortalConfig::default()).await;
    server.state.attach_gateway(gw.clone());
    (target, gw, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_chat_within_the_policy_and_usage_is_metered_as_metadata() {
    chat_story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_chat_within_the_policy_runs_on_postgres() {
    chat_story(Backend::Postgres).await;
}

async fn chat_story(backend: Backend) {
    let question = "Wann hat das Bürgeramt geöffnet?";
    let (target, gw, server) = chat_portal(
        backend,
        (question, "Montags **8 bis 16 Uhr**."),
        &[("Private Cloud", "gross", Reach::PrivateCloud)],
    )
    .await;
    let base = server.base.clone();
    let mut sam = login(&base, "sam@musterstadt.de").await;

    let p = sam.get("/assistent").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Sie schreiben mit einem KI-System"));
    assert!(
        p.body.contains("Bescheid in einfache Sprache"),
        "shipped assistants"
    );
    assert!(p.body.contains("gross"));

    // Without JavaScript: the whole answer, Markdown rendered safely.
    let p = sam
        .post(
            "/assistent",
            &[
                ("model", "gross"),
                ("class", "internal"),
                ("message", question),
                ("assistant", ""),
                ("history", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        p.body.contains("<strong>8 bis 16 Uhr</strong>"),
        "{}",
        p.body
    );
    assert!(p.body.contains("Wann hat das Bürgeramt geöffnet?"));

    // Personal data may not go to a private cloud under the default rules:
    // refused, and the backend never sees it.
    assert!(!RuleSet::default().allows(journey::policy::DataClass::Personal, Reach::PrivateCloud));
    let before = target.requests();
    let p = sam
        .post(
            "/assistent",
            &[
                ("model", "gross"),
                ("class", "personal"),
                ("message", "Frau Müller, geb. 1970, beantragt Wohngeld."),
                ("history", ""),
            ],
        )
        .await;
    assert!(p.status >= 400, "{}", p.status);
    assert!(
        p.body.contains("Frau Müller"),
        "the message stays in the form"
    );
    assert_eq!(target.requests(), before, "the backend never saw it");

    // Streaming: text pieces, then the sanitised HTML.
    let r = sam
        .client
        .post(format!("{base}/assistent/stream"))
        .header("X-CSRF-Token", &sam.csrf)
        .form(&[
            ("model", "gross"),
            ("class", "public"),
            ("message", question),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let body = r.text().await.unwrap();
    assert!(body.contains("\"text\""), "{body}");
    assert!(body.contains("\"done\":true"), "{body}");
    assert!(
        body.contains("\\u003cstrong\\u003e") || body.contains("<strong>"),
        "{body}"
    );
    let r = sam
        .client
        .post(format!("{base}/assistent/stream"))
        .header("X-CSRF-Token", &sam.csrf)
        .form(&[
            ("model", "gross"),
            ("class", "geheim"),
            ("message", question),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let error: serde_json::Value = r.json().await.unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Datenklasse"),
        "{error}"
    );

    // Viewers only read; staff do not manage assistants or see usage.
    let mut vera = login(&base, "vera@musterstadt.de").await;
    assert_eq!(vera.get("/assistent").await.status, 403);
    assert_eq!(sam.get("/assistent/assistenten").await.status, 403);
    assert_eq!(sam.get("/assistent/nutzung").await.status, 403);

    // The project team keeps the assistants; a duplicate name is refused.
    let mut ada = login(&base, "ada@musterstadt.de").await;
    ada.get("/assistent/assistenten").await;
    let p = ada
        .post(
            "/assistent/assistenten",
            &[
                ("name", "Protokoll kürzen"),
                ("system_prompt", "Kürze das Protokoll auf das Wesentliche."),
                ("class", "internal"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = ada
        .post(
            "/assistent/assistenten",
            &[
                ("name", "Protokoll kürzen"),
                ("system_prompt", "Noch einmal."),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("bereits einen Assistenten"));
    assert!(sam
        .get("/assistent")
        .await
        .body
        .contains("Protokoll kürzen"));

    // Usage: metadata only, no message text.
    gw.flush_usage().await;
    let p = ada.get("/assistent/nutzung").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("gross"));
    assert!(p.body.contains("Bürgerservice"));
    assert!(!p.body.contains("Bürgeramt geöffnet"));
    let csv = ada.get("/assistent/nutzung.csv").await;
    assert!(csv.body.starts_with("tag,modell,fachbereich"));
    assert!(!csv.body.contains("Müller"));
}

const QUESTION: &str = "Frau Müller, geb. 1970, beantragt Wohngeld. Was fehlt?";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_by_data_class_offers_the_local_model_and_a_stored_chat_exports_to_its_owner() {
    refusal_story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_by_data_class_and_a_stored_chat_run_on_postgres() {
    refusal_story(Backend::Postgres).await;
}

async fn refusal_story(backend: Backend) {
    let (target, gw, server) = chat_portal(
        backend,
        (QUESTION, "Es fehlt der **Mietvertrag**."),
        &[
            ("Private Cloud", "gross", Reach::PrivateCloud),
            ("Eigener Server", "klein", Reach::Local),
        ],
    )
    .await;
    let store = server.store.clone();
    let base = server.base.clone();
    let mut sam = login(&base, "sam@musterstadt.de").await;

    // Models by name and where they run; the id is the tooltip.
    let p = sam.get("/assistent").await;
    assert!(
        p.body.contains(
            r#"<option value="gross" title="Modell-ID: gross">gross · Private Cloud</option>"#
        ),
        "{}",
        p.body
    );
    assert!(p.body.contains(">klein · lokal</option>"));

    // Without JavaScript: refused for the cloud model, with a form that
    // sends the same message to the local one.
    let before = target.requests();
    let p = sam
        .post(
            "/assistent",
            &[
                ("model", "gross"),
                ("class", "personal"),
                ("message", QUESTION),
                ("history", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert_eq!(target.requests(), before, "the cloud backend never saw it");
    let offer = common::extract_between(
        &p.body,
        r#"<form method="post" action="/assistent" class="notice pending" id="lokal-angebot">"#,
        "</form>",
    )
    .expect("the page offers to send the message locally");
    assert!(offer.contains(r#"name="model" value="klein""#), "{offer}");
    assert!(
        offer.contains(r#"name="class" value="personal""#),
        "{offer}"
    );
    assert!(offer.contains("Frau Müller"), "{offer}");
    assert!(offer.contains("Lokal senden"), "{offer}");
    let p = sam
        .post(
            "/assistent",
            &[
                ("model", "klein"),
                ("class", "personal"),
                ("message", QUESTION),
                ("history", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("<strong>Mietvertrag</strong>"));
    assert!(!p.body.contains("lokal-angebot"));

    // With JavaScript: the error carries a code and the local model.
    let stream = |class: &'static str| {
        sam.client
            .post(format!("{base}/assistent/stream"))
            .header("X-CSRF-Token", &sam.csrf)
            .form(&[("model", "gross"), ("class", class), ("message", QUESTION)])
            .send()
    };
    let r = stream("personal").await.unwrap();
    assert_eq!(r.status(), 422);
    let error: serde_json::Value = r.json().await.unwrap();
    assert_eq!(error["error"]["code"], "policy_violation", "{error}");
    assert_eq!(error["error"]["local_model"]["id"], "klein", "{error}");
    assert_eq!(error["error"]["local_model"]["label"], "klein · lokal");
    // A rule set that keeps personal data from every model: nothing to offer.
    let mut strict = RuleSet::default();
    for c in &mut strict.classes {
        if c.class == journey::policy::DataClass::Personal {
            c.allowed.clear();
        }
    }
    gw.set_rules(strict);
    let r = stream("personal").await.unwrap();
    let error: serde_json::Value = r.json().await.unwrap();
    assert_eq!(error["error"]["code"], "policy_violation", "{error}");
    assert!(error["error"]["local_model"].is_null(), "{error}");
    gw.set_rules(RuleSet::default());

    // Stored conversations export as Markdown and JSON, to their owner only.
    store
        .set_chat_retention(&Actor::system(), Some(30))
        .await
        .unwrap();
    sam.get("/assistent").await;
    let p = sam
        .post(
            "/assistent",
            &[
                ("model", "klein"),
                ("class", "personal"),
                ("message", QUESTION),
                ("history", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let sam_id = store
        .user_by_email("sam@musterstadt.de")
        .await
        .unwrap()
        .unwrap()
        .id;
    let id = store.chat_conversations(sam_id).await.unwrap()[0].id;
    assert!(sam
        .get("/assistent")
        .await
        .body
        .contains(&format!("/assistent/gespraeche/{id}/export?format=md")));
    let r = sam
        .client
        .get(format!("{base}/assistent/gespraeche/{id}/export?format=md"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-disposition"],
        format!("attachment; filename=\"gespraech-{id}.md\"")
    );
    let md = r.text().await.unwrap();
    assert!(md.starts_with("# Gespräch mit dem KI-Assistenten"), "{md}");
    assert!(md.contains(QUESTION), "{md}");
    assert!(md.contains("Es fehlt der **Mietvertrag**."), "{md}");
    let json: serde_json::Value = sam
        .client
        .get(format!(
            "{base}/assistent/gespraeche/{id}/export?format=json"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["turns"][0]["question"], QUESTION);
    assert_eq!(json["turns"][0]["model"], "klein");
    let odd = sam
        .client
        .get(format!(
            "{base}/assistent/gespraeche/{id}/export?format=pdf"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(odd.status(), 422);
    let ada = login(&base, "ada@musterstadt.de").await;
    let other = ada
        .client
        .get(format!("{base}/assistent/gespraeche/{id}/export?format=md"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404, "someone else's conversation");
    assert!(!other.text().await.unwrap().contains("Frau Müller"));
}

const WITH_IBAN: &str = "Ist die Erstattung auf DE89 3704 0044 0532 0130 00 schon raus?";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_in_a_public_message_goes_to_the_local_model() {
    personal_data_story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_in_a_public_message_goes_to_the_local_model_on_postgres() {
    personal_data_story(Backend::Postgres).await;
}

/// Sam declares a message with an IBAN `public`. The detector finds the
/// IBAN, the class becomes `personal`, and of the two backends serving the
/// model only the local one may take it; the page says what was found
/// (the category, not the number) and why, and the usage record keeps the
/// effective class.
async fn personal_data_story(backend: Backend) {
    let (target, gw, server) = chat_portal(
        backend,
        (WITH_IBAN, "Die Erstattung ist **angewiesen**."),
        &[
            ("Private Cloud", "assistent", Reach::PrivateCloud),
            ("Eigener Server", "assistent", Reach::Local),
        ],
    )
    .await;
    let store = server.store.clone();
    let base = server.base.clone();
    let mut sam = login(&base, "sam@musterstadt.de").await;
    sam.get("/assistent").await;

    // Without JavaScript.
    let p = sam
        .post(
            "/assistent",
            &[
                ("model", "assistent"),
                ("class", "public"),
                ("message", WITH_IBAN),
                ("history", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("<strong>angewiesen</strong>"));
    let notice = common::extract_between(&p.body, r#"id="pii-hinweis">"#, "</div>")
        .expect("the page says what was found");
    assert!(notice.contains("IBAN"), "{notice}");
    assert!(notice.contains("personenbezogen"), "{notice}");
    assert!(notice.contains("öffentlich"), "{notice}");
    assert!(notice.contains("lokal"), "{notice}");
    assert!(
        !notice.contains("DE89"),
        "the number is not echoed: {notice}"
    );

    // With JavaScript: the notice comes first in the stream.
    let r = sam
        .client
        .post(format!("{base}/assistent/stream"))
        .header("X-CSRF-Token", &sam.csrf)
        .form(&[
            ("model", "assistent"),
            ("class", "public"),
            ("message", WITH_IBAN),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    let first = body.lines().find(|l| l.starts_with("data:")).unwrap();
    assert!(first.contains("notice") && first.contains("IBAN"), "{body}");

    // A public message without personal data may go to the cloud.
    let p = sam
        .post(
            "/assistent",
            &[
                ("model", "assistent"),
                ("class", "public"),
                ("message", "Wann hat das Bürgeramt geöffnet?"),
                ("history", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(!p.body.contains("pii-hinweis"));

    gw.flush_usage().await;
    let records = store.usage_records(0, i64::MAX).await.unwrap();
    assert_eq!(records.len(), 3, "{records:?}");
    for r in &records[..2] {
        assert_eq!(r.backend, "Eigener Server");
        assert_eq!(r.data_class, "personal");
        assert_eq!(r.declared_class.as_deref(), Some("public"));
        assert_eq!(r.detected, "iban");
    }
    assert_eq!(records[2].backend, "Private Cloud");
    assert_eq!(records[2].data_class, "public");
    assert_eq!(target.requests(), 3);
}
