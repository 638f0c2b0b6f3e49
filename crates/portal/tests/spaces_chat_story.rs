//! The KI-Assistent answering from a knowledge space: the best passages go
//! to the model as numbered sources and the answer lists them with title
//! and page; a question the space says nothing about is answered by saying
//! so, without asking the model; and the space's data class is a floor for
//! routing (a space of personal data never reaches a private cloud that
//! the rules keep personal data from).

mod common;
#[path = "../../bench/tests/mock/mod.rs"]
mod mock;

use common::{day_one_store, login, spawn_with, ApiClient};
use journey::policy::{Reach, RuleSet};
use mock::{MockConfig, MockServer};
use portal::PortalConfig;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use store::test_support::Backend;

async fn space_with_pdf(pia: &ApiClient, name: &str, class: &str) -> i64 {
    let (code, space) = pia
        .send(
            Method::POST,
            "/api/v1/spaces",
            json!({"name": name, "readers": {"kind": "everyone"}, "data_class": class}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{space}");
    let id = space["id"].as_i64().unwrap();
    let pdf = knowledge::samples::pdf(&[
        "§ 1 Steuerpflicht\nSteuerpflichtig ist, wer im Stadtgebiet einen Hund hält.",
        "§ 2 Steuersatz\nDie Hundesteuer beträgt jährlich 120 Euro für den ersten Hund.",
    ]);
    let form = Form::new().part("file", Part::bytes(pdf).file_name("Hundesteuersatzung.pdf"));
    let r = pia
        .request(Method::POST, &format!("/api/v1/spaces/{id}/documents"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    id
}

/// The chat form without JavaScript, asking from `space`.
fn chat<'a>(space: &'a str, message: &'a str) -> [(&'a str, &'a str); 5] {
    [
        ("model", "gross"),
        ("class", "public"),
        ("space", space),
        ("message", message),
        ("history", ""),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_assistant_answers_from_a_space_with_its_sources() {
    let target = MockServer::start(MockConfig::default()).await;
    let store = day_one_store(Backend::Sqlite).await;
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
    let server = spawn_with(store.clone(), PortalConfig::default()).await;
    server.state.attach_gateway(gw);
    let pia_user = store
        .user_by_email("pia@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let pia = ApiClient::for_user(&server, &pia_user).await;
    let internal = space_with_pdf(&pia, "Ortsrecht", "internal").await;
    let personal = space_with_pdf(&pia, "Personalakten", "personal").await;

    let mut sam = login(&server.base, "sam@musterstadt.de").await;
    let page = sam.get("/assistent").await;
    assert!(
        page.body.contains("Antworten aus Wissensraum"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Ortsrecht (mindestens intern)"));

    // Sources found: the answer lists them with title, page and section.
    let internal = internal.to_string();
    let personal = personal.to_string();
    let p = sam
        .post(
            "/assistent",
            &chat(&internal, "Wie hoch ist die Hundesteuer?"),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("Quellen"), "{}", p.body);
    assert!(
        p.body.contains("Hundesteuersatzung, S. 2, § 2 Steuersatz"),
        "{}",
        p.body
    );
    assert_eq!(target.requests(), 1);

    // Nothing in the space: said so, and the model is not asked.
    let p = sam
        .post(
            "/assistent",
            &chat(&internal, "Wann öffnet das Schwimmbad?"),
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("steht nichts zu Ihrer Frage"), "{}", p.body);
    assert_eq!(target.requests(), 1);

    // A space of personal data raises the class: the private cloud may not
    // see it under the default rules, so nothing is sent.
    let p = sam
        .post(
            "/assistent",
            &chat(&personal, "Wie hoch ist die Hundesteuer?"),
        )
        .await;
    assert!(p.status >= 400, "{}", p.status);
    assert_eq!(target.requests(), 1, "the backend never saw the request");
}
