//! Running the KI-Gateway from the portal, on SQLite and PostgreSQL: the
//! administration adds a private-cloud backend (which the chat then uses),
//! the project team sets token quotas and a key's rate limit (applied at
//! once), and chat texts are stored on the server only after an
//! administrator turns that on with a retention period — each person sees
//! only their own, and they are purged when the period ends.

mod common;
#[path = "../../bench/tests/mock/mod.rs"]
mod mock;

use std::collections::HashMap;

use common::{fresh_store, login, spawn_with, Backend, PASSWORD};
use journey::access::Role;
use journey::policy::RuleSet;
use journey::profile::{Department, Profile};
use mock::{MockConfig, MockServer};
use portal::PortalConfig;
use store::assistants::AssistantInput;
use store::users::NewUser;
use store::Actor;

const QUESTION: &str = "Wann hat das Bürgeramt geöffnet?";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_administration_on_sqlite() {
    gateway_administration(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_administration_on_postgres() {
    gateway_administration(Backend::Postgres).await;
}

async fn gateway_administration(db: Backend) {
    let cloud = MockServer::start(MockConfig {
        answers: HashMap::from([(QUESTION.to_string(), "Montags 8 bis 16 Uhr.".to_string())]),
        ..MockConfig::default()
    })
    .await;
    let store = fresh_store(db).await;
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
    let pia = store
        .create_user(
            &Actor::system(),
            &user("pia@musterstadt.de", Role::ProjectTeam),
        )
        .await
        .unwrap();
    let sam = store
        .create_user(&Actor::system(), &user("sam@musterstadt.de", Role::Staff))
        .await
        .unwrap();
    let (key, secret) = store
        .create_api_key(&Actor::system(), &sam, "Skripte")
        .await
        .unwrap();
    let gw = gateway::Gateway::new(
        store.clone(),
        gateway::GatewayConfig::default(),
        RuleSet::default(),
        None,
    )
    .unwrap();
    let data_dir = std::env::temp_dir().join(format!(
        "ki-reise-gateway-admin-{}-{:?}",
        std::process::id(),
        db
    ));
    std::fs::create_dir_all(data_dir.join("models")).unwrap();
    // A real (tiny, random) model, which the portal loads when chosen, and
    // a file that only looks like one.
    engine::synthetic::write_model(
        &data_dir.join("models").join("klein.gguf"),
        engine::synthetic::Shape::TINY,
        engine::gguf::GgmlType::Q8_0,
    )
    .unwrap();
    std::fs::write(data_dir.join("models").join("kaputt.gguf"), b"GGUF").unwrap();
    let server = spawn_with(
        store.clone(),
        PortalConfig {
            data_dir: data_dir.clone(),
            ..PortalConfig::default()
        },
    )
    .await;
    server.state.attach_gateway(gw.clone());
    let base = server.base.clone();
    let mut ada = login(&base, "ada@musterstadt.de").await;
    let mut pia_b = login(&base, "pia@musterstadt.de").await;
    let mut sam_b = login(&base, "sam@musterstadt.de").await;
    let chat = [
        ("model", "gross"),
        ("class", "internal"),
        ("message", QUESTION),
        ("history", ""),
    ];

    // No model yet: the chat says where to add one.
    assert!(sam_b
        .get("/assistent")
        .await
        .body
        .contains("Einstellungen des KI-Gateways"));

    // The administration adds the private cloud; a wrong address is named.
    let p = ada.get("/assistent/einstellungen").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Nein, nicht speichern"));
    let p = ada
        .post(
            "/assistent/einstellungen/backends",
            &[
                ("name", "Private Cloud"),
                ("urls", "vllm.intern/v1"),
                ("models", "gross"),
                ("timeout", "10"),
                ("reach", "private-cloud"),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("mit http:// oder https://"), "{}", p.body);
    assert!(p.body.contains("Private Cloud"), "the input is kept");
    assert!(gw.models().is_empty());
    let cloud_url = cloud.base_url();
    let p = ada
        .post(
            "/assistent/einstellungen/backends",
            &[
                ("name", "Private Cloud"),
                ("urls", &cloud_url),
                ("api_key", "geheim-123"),
                ("models", "gross"),
                ("timeout", "10"),
                ("reach", "private-cloud"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let models = gw.models();
    assert_eq!(models.len(), 1);
    assert_eq!(models[0].id, "gross");
    let p = ada.get("/assistent/einstellungen").await;
    assert!(p.body.contains("Ein Schlüssel ist gespeichert"));
    assert!(
        !p.body.contains("geheim-123"),
        "the key is never shown again"
    );
    assert!(sam_b.get("/assistent").await.body.contains("gross"));
    // The local model for the next start comes from the data folder only.
    assert!(p.body.contains("klein.gguf"));
    let p = ada
        .post(
            "/assistent/einstellungen/modell",
            &[("model", "../geheim.gguf")],
        )
        .await;
    assert_eq!(p.status, 422);
    assert_eq!(store.local_model().await.unwrap(), None);
    // A listed file that is no model is refused beside the field, and
    // nothing is stored or loaded.
    let p = ada
        .post(
            "/assistent/einstellungen/modell",
            &[("model", "kaputt.gguf")],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("lässt sich nicht laden"), "{}", p.body);
    assert_eq!(store.local_model().await.unwrap(), None);
    assert_eq!(gw.local_model_id(), None);
    let p = ada
        .post(
            "/assistent/einstellungen/modell",
            &[("model", "klein.gguf")],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(
        store.local_model().await.unwrap().as_deref(),
        Some("klein.gguf")
    );
    // Loaded at once, without a restart.
    assert_eq!(gw.local_model_id().as_deref(), Some("klein"));
    assert!(ada
        .get("/assistent/einstellungen")
        .await
        .body
        .contains("Jetzt läuft das lokale Modell „klein“."));
    // The same folder gives the embedding model for /v1/embeddings.
    let p = ada
        .post(
            "/assistent/einstellungen/modell",
            &[("model", "klein.gguf"), ("embedding_model", "fehlt.gguf")],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(
        p.body.contains("id=\"embedding_model-error\""),
        "{}",
        p.body
    );
    assert_eq!(store.local_embedding_model().await.unwrap(), None);
    let p = ada
        .post(
            "/assistent/einstellungen/modell",
            &[("model", "klein.gguf"), ("embedding_model", "klein.gguf")],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(
        store.local_embedding_model().await.unwrap().as_deref(),
        Some("klein.gguf")
    );
    assert!(ada
        .get("/assistent/einstellungen")
        .await
        .body
        .contains("Ein lokales Embedding-Modell läuft nicht."));
    // Staff and the project team do not configure the gateway.
    assert_eq!(pia_b.get("/assistent/einstellungen").await.status, 403);

    // Storage is off by default: the answer comes, nothing is kept.
    let p = sam_b.post("/assistent", &chat).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("8 bis 16 Uhr"));
    assert!(p.body.contains("nicht auf dem Server gespeichert"));
    assert!(store.chat_conversations(sam.id).await.unwrap().is_empty());

    // An assistant for personal data keeps its class when a lower one is
    // chosen: the private cloud may not see it, and never does.
    store
        .save_assistant(
            &Actor::system(),
            None,
            &AssistantInput {
                name: "Wohngeld prüfen",
                description: "",
                system_prompt: "Prüfe den Antrag.",
                data_class: Some("personal"),
            },
        )
        .await
        .unwrap();
    let wohngeld = store.assistants().await.unwrap()[0].id.to_string();
    let seen = cloud.requests();
    let p = sam_b
        .post(
            "/assistent",
            &[
                ("model", "gross"),
                ("class", "internal"),
                ("assistant", wohngeld.as_str()),
                ("message", QUESTION),
                ("history", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("Daten der Klasse"), "{}", p.body);
    assert_eq!(cloud.requests(), seen);

    // Quotas: the project team blocks the department for today; the chat
    // is refused with a German message, and works again without the quota.
    let p = pia_b.get("/assistent/kontingente").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Skripte"), "keys are listed: {}", p.body);
    let p = pia_b
        .post(
            "/assistent/kontingente",
            &[
                ("scope", "department"),
                ("subject", "Bürgerservice"),
                ("period", "day"),
                ("max_tokens", "viele"),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("ganze Zahl von Tokens"), "{}", p.body);
    assert!(p.body.contains("value=\"viele\""), "kept: {}", p.body);
    assert!(p.body.contains("<option value=\"Bürgerservice\" selected>"));
    let p = pia_b
        .post(
            "/assistent/kontingente",
            &[
                ("scope", "department"),
                ("subject", "Bürgerservice"),
                ("period", "day"),
                ("max_tokens", "0"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = sam_b.post("/assistent", &chat).await;
    assert_eq!(p.status, 429, "{}", p.body);
    assert!(p.body.contains("Kontingent"), "{}", p.body);
    let quota = store.quotas().await.unwrap();
    assert_eq!(quota.len(), 1);
    let id = quota[0].id.to_string();
    pia_b.get("/assistent/kontingente").await;
    let p = pia_b
        .post("/assistent/kontingente", &[("delete", id.as_str())])
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(sam_b.post("/assistent", &chat).await.status, 200);

    // A key's rate limit, team and default class apply at once, although
    // the gateway had the key cached.
    let before = gw.authenticate(Some(&secret)).await.unwrap();
    assert_eq!(before.requests_per_minute, None);
    let key_id = key.id.to_string();
    let p = pia_b
        .post(
            "/assistent/kontingente/schluessel",
            &[
                ("id", key_id.as_str()),
                ("per_minute", "0"),
                ("team", "Digitalisierung"),
                ("class", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("von 1 bis"), "{}", p.body);
    assert!(
        p.body.contains("name=\"per_minute\" value=\"0\""),
        "kept: {}",
        p.body
    );
    assert!(p.body.contains("value=\"Digitalisierung\""));
    let p = pia_b
        .post(
            "/assistent/kontingente/schluessel",
            &[
                ("id", key_id.as_str()),
                ("per_minute", "2"),
                ("team", "Digitalisierung"),
                ("class", "internal"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let after = gw.authenticate(Some(&secret)).await.unwrap();
    assert_eq!(after.requests_per_minute, Some(2));
    assert_eq!(after.team.as_deref(), Some("Digitalisierung"));
    assert_eq!(
        after.default_class,
        Some(journey::policy::DataClass::Internal)
    );
    assert_eq!(sam_b.get("/assistent/kontingente").await.status, 403);

    // The administration turns storage on for 30 days.
    let p = ada
        .post(
            "/assistent/einstellungen",
            &[("storage", "on"), ("days", "0")],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("Aufbewahrungsfrist von 1 bis"));
    let p = ada
        .post(
            "/assistent/einstellungen",
            &[("storage", "on"), ("days", "30")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = sam_b.post("/assistent", &chat).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("30 Tage lang gespeichert"));
    let stored = store.chat_conversations(sam.id).await.unwrap();
    assert_eq!(stored.len(), 1);
    let conversation = stored[0].id.to_string();
    assert!(
        p.body.contains(&format!("value=\"{conversation}\"")),
        "the page continues the stored conversation"
    );
    // A second turn joins the same conversation.
    let p = sam_b
        .post(
            "/assistent",
            &[
                ("model", "gross"),
                ("class", "internal"),
                ("message", "Und samstags?"),
                ("history", ""),
                ("conversation", conversation.as_str()),
            ],
        )
        .await;
    assert_eq!(p.status, 200);
    let stored = store.chat_conversations(sam.id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].turns, 2);
    let p = sam_b
        .get(&format!("/assistent?gespraech={conversation}"))
        .await;
    assert!(p.body.contains("Und samstags?"));
    assert!(p.body.contains("Ihre gespeicherten Gespräche (1)"));
    // Nobody else reads it, not even the project team.
    let p = pia_b
        .get(&format!("/assistent?gespraech={conversation}"))
        .await;
    assert_eq!(p.status, 404);
    assert!(!p.body.contains("Und samstags?"));
    assert!(store.chat_conversations(pia.id).await.unwrap().is_empty());
    // Usage stays metadata only.
    gw.flush_usage().await;
    let csv = ada.get("/assistent/nutzung.csv").await;
    assert!(!csv.body.contains("Bürgeramt geöffnet"));

    // The retention period ends: the purge deletes the texts.
    assert_eq!(store.purge_chat_history(store::now()).await.unwrap(), 0);
    let later = store::now() + 31 * 86_400;
    assert_eq!(store.purge_chat_history(later).await.unwrap(), 2);
    assert!(store.chat_conversations(sam.id).await.unwrap().is_empty());

    // Its owner deletes a conversation; turning storage off deletes all.
    sam_b.post("/assistent", &chat).await;
    let id = store.chat_conversations(sam.id).await.unwrap()[0].id;
    let p = pia_b
        .post(&format!("/assistent/gespraeche/{id}/loeschen"), &[])
        .await;
    assert_eq!(p.status, 404, "not someone else's");
    sam_b.get("/assistent").await;
    let p = sam_b
        .post(&format!("/assistent/gespraeche/{id}/loeschen"), &[])
        .await;
    assert_eq!(p.status, 303);
    assert!(store.chat_conversations(sam.id).await.unwrap().is_empty());
    sam_b.post("/assistent", &chat).await;
    assert_eq!(store.chat_conversations(sam.id).await.unwrap().len(), 1);
    ada.get("/assistent/einstellungen").await;
    let p = ada
        .post("/assistent/einstellungen", &[("storage", "off")])
        .await;
    assert_eq!(p.status, 303);
    assert!(store.chat_conversations(sam.id).await.unwrap().is_empty());
    assert_eq!(store.chat_retention_days().await.unwrap(), None);

    // Deleting the backend takes it out of the gateway at once; the audit
    // log names every change.
    let backend = store.gateway_backends().await.unwrap()[0].id.to_string();
    let p = ada
        .post(
            "/assistent/einstellungen/backends",
            &[("id", backend.as_str()), ("delete", "1")],
        )
        .await;
    assert_eq!(p.status, 303);
    let left: Vec<String> = gw.models().into_iter().map(|m| m.id).collect();
    assert_eq!(left, ["klein"], "only the local model is left");
    let audit = ada.get("/protokoll").await.body;
    for action in [
        "KI-Backend gespeichert",
        "KI-Backend gelöscht",
        "Token-Kontingent gesetzt",
        "API-Schlüssel eingestellt",
        "Speicherung der Chat-Verläufe eingeschaltet",
        "Speicherung der Chat-Verläufe ausgeschaltet",
        "Lokales Modell gewählt",
        "Lokales Embedding-Modell gewählt",
    ] {
        assert!(audit.contains(action), "audit lacks {action}");
    }
    let _ = std::fs::remove_dir_all(&data_dir);
}
