//! The staff chat through the gateway: the notice about talking to an AI
//! system, an answer without JavaScript and as a stream, refusal when the
//! data class may not reach the only backend (which then never sees the
//! message), assistants kept by the project team, and the usage page with
//! metadata only.

mod common;
#[path = "../../bench/tests/mock/mod.rs"]
mod mock;

use std::collections::HashMap;

use common::{fresh_store, login, spawn_with, Backend, PASSWORD};
use journey::access::Role;
use journey::policy::{Reach, RuleSet};
use journey::profile::{Department, Profile};
use mock::{MockConfig, MockServer};
use portal::PortalConfig;
use store::users::NewUser;
use store::Actor;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_chat_within_the_policy_and_usage_is_metered_as_metadata() {
    let question = "Wann hat das Bürgeramt geöffnet?";
    let target = MockServer::start(MockConfig {
        answers: HashMap::from([(
            question.to_string(),
            "Montags **8 bis 16 Uhr**.".to_string(),
        )]),
        ..MockConfig::default()
    })
    .await;
    let store = fresh_store(Backend::Sqlite).await;
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
        backends: vec![gateway::RemoteConfig {
            name: "Private Cloud".into(),
            urls: vec![target.base_url()],
            api_key: None,
            models: vec!["gross".into()],
            timeout_secs: 10,
            reach: Reach::PrivateCloud,
        }],
        ..gateway::GatewayConfig::default()
    };
    let gw = gateway::Gateway::new(store.clone(), config, RuleSet::default(), None).unwrap();
    let server = spawn_with(store.clone(), PortalConfig::default()).await;
    server.state.attach_gateway(gw.clone());
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
