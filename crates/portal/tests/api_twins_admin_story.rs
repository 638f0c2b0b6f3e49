//! API twins of administration pages' actions, used as a program would:
//! a stored conversation deleted, a Vergleichstest run cancelled, the
//! profile's public links set, a survey created from a file and taken part
//! in, accounts imported from a CSV list, quotas and a key's limits set,
//! the local models chosen, a remote backend kept, a document template set
//! imported, a Nachnutzung bundle checked and taken over. Each refusal is
//! the documented JSON error, and a role the page refuses gets 403.

mod common;

use common::{ApiClient, Backend, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn client(server: &TestServer, email: &str) -> ApiClient {
    let user = server.store.user_by_email(email).await.unwrap().unwrap();
    ApiClient::for_user(server, &user).await
}

fn field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or_default()
}

async fn conversations(server: &TestServer) {
    let sam_user = server
        .store
        .user_by_email("sam@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let system = store::Actor::system();
    server
        .store
        .set_chat_retention(&system, Some(30))
        .await
        .unwrap();
    let turn = store::chat_history::NewTurn {
        question: "Wie lang ist die Frist?",
        answer: "Vier Wochen.",
        model: "lokal",
        data_class: "internal",
    };
    let id = server
        .store
        .save_chat_turn(sam_user.id, None, &turn)
        .await
        .unwrap();
    let path = format!("/api/v1/assistant/conversations/{id}");
    // Someone else's conversation is not found; the owner deletes it once.
    let pia = client(server, "pia@musterstadt.de").await;
    let other = pia.request(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    let sam = client(server, "sam@musterstadt.de").await;
    let deleted = sam.request(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let left = server.store.chat_turns(sam_user.id, id).await;
    assert!(left.unwrap_or_default().is_empty());
    let again = sam.request(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let body: Value = again.json().await.unwrap();
    assert!(body["error"]["message"].is_string(), "{body}");
    let bad = sam
        .request(Method::DELETE, "/api/v1/assistant/conversations/abc")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    // A read-only account does not use the assistant.
    server
        .store
        .create_user(
            &system,
            &store::users::NewUser {
                email: "vera@musterstadt.de".into(),
                name: "Vera Viewer".into(),
                role: journey::access::Role::Viewer,
                department: None,
                password_hash: None,
            },
        )
        .await
        .unwrap();
    let vera = client(server, "vera@musterstadt.de").await;
    let refused = vera.request(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

async fn bench_cancel(server: &TestServer) {
    use std::sync::atomic::{AtomicBool, Ordering};
    // A run in progress as `launch` records it; the flag is what the run
    // checks before each request.
    let flag = std::sync::Arc::new(AtomicBool::new(false));
    let id = "20270101-090000-abcdef";
    server.state.bench_runs.lock().unwrap().insert(
        id.to_string(),
        portal::comparison::runs::LiveRun {
            title: "Probe".into(),
            cancel: flag.clone(),
            ..Default::default()
        },
    );
    let path = format!("/api/v1/bench/runs/{id}/cancel");
    let sam = client(server, "sam@musterstadt.de").await;
    let refused = sam.send(Method::POST, &path, json!({})).await;
    assert_eq!(refused.0, StatusCode::FORBIDDEN);
    assert!(!flag.load(Ordering::SeqCst));
    let pia = client(server, "pia@musterstadt.de").await;
    let (status, _) = pia.send(Method::POST, &path, json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(flag.load(Ordering::SeqCst), "the run is asked to stop");
    let (status, unknown) = pia
        .send(
            Method::POST,
            "/api/v1/bench/runs/20270101-090000-000000/cancel",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
    assert!(unknown["error"]["code"].is_string(), "{unknown}");
}

async fn public_links(server: &TestServer) {
    let ada = client(server, "ada@musterstadt.de").await;
    let path = "/api/v1/profile/public-links";
    let links = json!({"imprint_url": "https://www.musterstadt.de/impressum",
                       "privacy_url": ""});
    let (status, saved) = ada.send(Method::PUT, path, links.clone()).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(ada.get(path).await.1, links);
    let (status, bad) = ada
        .send(
            Method::PUT,
            path,
            json!({"imprint_url": "https://a.example", "privacy_url": "ftp://b.example"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(field(&bad), "privacy_url");
    assert_eq!(ada.get(path).await.1, links, "nothing changed");
    let sam = client(server, "sam@musterstadt.de").await;
    assert_eq!(
        sam.send(Method::PUT, path, links).await.0,
        StatusCode::FORBIDDEN
    );
}

async fn survey_file_and_own_link(server: &TestServer) {
    let pia = client(server, "pia@musterstadt.de").await;
    let sam = client(server, "sam@musterstadt.de").await;
    // A questionnaire file, as the upload takes it, becomes a draft survey.
    let questionnaire =
        serde_json::to_value(journey::survey::default_questionnaire().unwrap()).unwrap();
    let file = json!({"title": "Aus der Datei", "questionnaire": questionnaire});
    let (status, created) = pia
        .send(Method::POST, "/api/v1/surveys", file.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["survey"]["id"].as_i64().unwrap();
    let (status, broken) = pia
        .send(
            Method::POST,
            "/api/v1/surveys",
            json!({"questionnaire": {"title": 5}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{broken}");
    assert_eq!(field(&broken), "questionnaire");
    assert_eq!(
        sam.send(Method::POST, "/api/v1/surveys", file).await.0,
        StatusCode::FORBIDDEN
    );

    // Taking part: not while in preparation; once open, a personal link
    // that the participation API answers on.
    let own = format!("/api/v1/surveys/{id}/participation");
    let (status, early) = sam.send(Method::POST, &own, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{early}");
    let (status, _) = pia
        .send(
            Method::POST,
            &format!("/api/v1/surveys/{id}/open"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, link) = sam.send(Method::POST, &own, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let token = link["token"].as_str().unwrap();
    assert!(link["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/teilnahme/{token}")));
    let (status, ballot) = sam.get(&format!("/api/v1/participation/{token}")).await;
    assert_eq!(status, StatusCode::OK, "{ballot}");
    let (status, missing) = sam
        .send(
            Method::POST,
            "/api/v1/surveys/987654/participation",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
}

async fn user_import(server: &TestServer) {
    let ada = client(server, "ada@musterstadt.de").await;
    let path = "/api/v1/users/import";
    let csv = "name,email,department,role\nNina Neu,nina@musterstadt.de,Jugendamt,staff\n";
    let (status, done) = ada.send(Method::POST, path, json!({"csv": csv})).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(done["invited"][0]["email"], "nina@musterstadt.de");
    assert!(done["invited"][0]["invite_url"]
        .as_str()
        .unwrap()
        .contains("/einladung/"));
    // The same list again: the address is taken, nothing is stored.
    let (status, again) = ada.send(Method::POST, path, json!({"csv": csv})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{again}");
    assert_eq!(field(&again), "csv");
    assert!(again["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Zeile 2"));
    let mixed = format!("{csv}Olaf Ok,olaf@musterstadt.de,,viewer\n");
    let (status, partly) = ada
        .send(
            Method::POST,
            path,
            json!({"csv": mixed, "only_valid": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{partly}");
    assert_eq!(partly["invited"].as_array().unwrap().len(), 1);
    assert_eq!(partly["skipped"][0]["line"], 2);
    let (status, empty) = ada.send(Method::POST, path, json!({"csv": " "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{empty}");
    assert_eq!(field(&empty), "csv");
    let pia = client(server, "pia@musterstadt.de").await;
    assert_eq!(
        pia.send(Method::POST, path, json!({"csv": csv})).await.0,
        StatusCode::FORBIDDEN
    );
}

async fn gateway_limits(server: &TestServer) {
    let pia = client(server, "pia@musterstadt.de").await;
    let sam = client(server, "sam@musterstadt.de").await;
    let quotas = "/api/v1/gateway/quotas";
    let quota = json!({"scope": "department", "subject": "Jugendamt", "period": "month",
                       "max_tokens": 100000});
    let (status, all) = pia.send(Method::PUT, quotas, quota.clone()).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let set = all
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["subject"] == "Jugendamt")
        .unwrap()
        .clone();
    assert_eq!(set["max_tokens"], 100000);
    for (body, blamed) in [
        (
            json!({"scope": "planet", "subject": "Erde", "period": "day", "max_tokens": 1}),
            "scope",
        ),
        (
            json!({"scope": "team", "subject": "Bürgerbüro", "period": "day", "max_tokens": -1}),
            "max_tokens",
        ),
        (
            json!({"scope": "team", "subject": " ", "period": "day", "max_tokens": 1}),
            "subject",
        ),
    ] {
        let (status, bad) = pia.send(Method::PUT, quotas, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(field(&bad), blamed, "{bad}");
    }
    assert_eq!(
        sam.send(Method::PUT, quotas, quota).await.0,
        StatusCode::FORBIDDEN
    );
    let one = format!("{quotas}/{}", set["id"]);
    let deleted = pia.request(Method::DELETE, &one).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let again = pia.request(Method::DELETE, &one).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);

    // A key's settings: Sam's key counts for a team at 30 per minute.
    let (_, keys) = sam.get("/api/v1/me/keys").await;
    let key = format!("/api/v1/gateway/keys/{}", keys[0]["id"]);
    let settings = json!({"data_class": "internal", "team": "Bürgerbüro",
                          "requests_per_minute": 30});
    let (status, body) = pia.send(Method::PUT, &key, settings.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let stored = server.store.key_settings().await.unwrap();
    let stored = stored
        .iter()
        .find(|k| k.id == keys[0]["id"].as_i64().unwrap())
        .unwrap();
    assert_eq!(stored.team.as_deref(), Some("Bürgerbüro"));
    for (body, blamed) in [
        (json!({"data_class": "geheim"}), "data_class"),
        (json!({"requests_per_minute": 0}), "requests_per_minute"),
    ] {
        let (status, bad) = pia.send(Method::PUT, &key, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(field(&bad), blamed, "{bad}");
    }
    let (status, _) = pia
        .send(Method::PUT, "/api/v1/gateway/keys/987654", settings.clone())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        sam.send(Method::PUT, &key, settings).await.0,
        StatusCode::FORBIDDEN
    );
}

async fn local_models(server: &TestServer) {
    let ada = client(server, "ada@musterstadt.de").await;
    let path = "/api/v1/gateway/local-models";
    let models = server.state.config.data_dir.join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::write(models.join("klein.gguf"), b"GGUF").unwrap();
    let (status, listed) = ada.get(path).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["files"], json!(["klein.gguf"]));
    let (status, chosen) = ada
        .send(
            Method::PUT,
            path,
            json!({"model": "klein.gguf", "embedding_model": "klein.gguf"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{chosen}");
    assert_eq!(chosen["model"], "klein.gguf");
    assert_eq!(
        server
            .store
            .local_embedding_model()
            .await
            .unwrap()
            .as_deref(),
        Some("klein.gguf")
    );
    let (status, bad) = ada
        .send(
            Method::PUT,
            path,
            json!({"model": "../../etc/shadow", "embedding_model": null}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(field(&bad), "model");
    assert_eq!(
        server.store.local_model().await.unwrap().as_deref(),
        Some("klein.gguf"),
        "nothing changed"
    );
    let pia = client(server, "pia@musterstadt.de").await;
    assert_eq!(
        pia.send(
            Method::PUT,
            path,
            json!({"model": null, "embedding_model": null})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
}

async fn template_set(server: &TestServer) {
    let pia = client(server, "pia@musterstadt.de").await;
    let shipped: Vec<documents::Template> = documents::builtin_templates();
    let zip = documents::template_set::export(&shipped[..1]);
    let import = |who: &ApiClient, query: &str, body: Vec<u8>| {
        who.request(
            Method::POST,
            &format!("/api/v1/document-templates/import{query}"),
        )
        .header("content-type", "application/zip")
        .body(body)
        .send()
    };
    let done = import(&pia, "?name=satz.zip", zip.clone()).await.unwrap();
    assert_eq!(done.status(), StatusCode::CREATED);
    let done: Value = done.json().await.unwrap();
    assert_eq!(done[0]["id"], shipped[0].id.as_str(), "{done}");
    let (_, listed) = pia.get("/api/v1/document-templates").await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == shipped[0].id.as_str()
                && t["origin"].as_str().unwrap().contains("satz.zip")),
        "{listed}"
    );
    let broken = import(&pia, "?name=kaputt.zip", b"kein zip".to_vec())
        .await
        .unwrap();
    assert_eq!(broken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let broken: Value = broken.json().await.unwrap();
    assert_eq!(field(&broken), "set");
    assert!(broken["error"]["message"].as_str().unwrap().contains("ZIP"));
    let sam = client(server, "sam@musterstadt.de").await;
    let refused = import(&sam, "?name=satz.zip", zip).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

async fn gateway_backends(server: &TestServer) {
    let ada = client(server, "ada@musterstadt.de").await;
    let list = "/api/v1/gateway/backends";
    let backend = json!({"name": "vLLM intern", "urls": ["https://vllm.intern/v1"],
        "models": ["qwen"], "timeout_secs": 60, "reach": "private-cloud",
        "api_key": "geheim"});
    let (status, created) = ada.send(Method::POST, list, backend.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["has_key"], true);
    assert!(created.get("api_key").is_none(), "the key is never shown");
    let one = format!("{list}/{}", created["id"]);
    let mut changed = backend.clone();
    for (key, value, blamed) in [
        ("name", json!("vLLM intern"), "name"),
        ("urls", json!(["ftp://vllm.intern/v1"]), "urls"),
        ("timeout_secs", json!(0), "timeout_secs"),
        ("reach", json!("mond"), "reach"),
    ] {
        let mut bad = backend.clone();
        bad[key] = value;
        if key != "name" {
            bad["name"] = json!("Anderes");
        }
        let (status, refused) = ada.send(Method::POST, list, bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{key}: {refused}");
        assert_eq!(field(&refused), blamed, "{refused}");
    }
    // A change without a key keeps the stored one; "" removes it.
    changed["api_key"] = Value::Null;
    changed["models"] = json!(["qwen", "mistral"]);
    let (status, kept) = ada.send(Method::PUT, &one, changed.clone()).await;
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert_eq!(kept["has_key"], true);
    assert_eq!(kept["models"], json!(["qwen", "mistral"]));
    changed["api_key"] = json!("");
    let (_, removed) = ada.send(Method::PUT, &one, changed).await;
    assert_eq!(removed["has_key"], false, "{removed}");
    let (_, all) = ada.get(list).await;
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
    let pia = client(server, "pia@musterstadt.de").await;
    assert_eq!(
        pia.send(Method::POST, list, backend).await.0,
        StatusCode::FORBIDDEN
    );
    let deleted = ada.request(Method::DELETE, &one).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let again = ada.request(Method::DELETE, &one).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

async fn transfer(server: &TestServer, data: &std::path::Path) {
    let ada = client(server, "ada@musterstadt.de").await;
    // A bundle of this very instance, as `ki-reise export` writes it.
    std::fs::create_dir_all(data).unwrap();
    let path = data.join("paket.zip");
    let mut sink = bundle::write::ZipSink::create(&path).unwrap();
    let options = bundle::export::Options {
        public: false,
        licence: "CC-BY-4.0".into(),
        openapi: None,
        data_dir: None,
        created: bundle::export::now_rfc3339(),
    };
    bundle::export::export(&server.store, &options, &mut sink)
        .await
        .unwrap();
    sink.finish().unwrap();
    let zip = std::fs::read(&path).unwrap();
    let upload = |who: &ApiClient, bytes: Vec<u8>| {
        let part = reqwest::multipart::Part::bytes(bytes).file_name("paket.zip");
        who.request(Method::POST, "/api/v1/transfer/check")
            .multipart(reqwest::multipart::Form::new().part("paket", part))
            .send()
    };
    let checked = upload(&ada, zip.clone()).await.unwrap();
    assert_eq!(checked.status(), StatusCode::OK);
    let checked: Value = checked.json().await.unwrap();
    let token = checked["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 32, "{checked}");
    assert!(
        checked["origin"]
            .as_str()
            .unwrap()
            .starts_with("Stadt Musterstadt"),
        "{checked}"
    );
    assert!(
        !checked["keep_own"].as_array().unwrap().is_empty(),
        "our profile stays: {checked}"
    );
    let apply = "/api/v1/transfer/apply";
    let (status, applied) = ada.send(Method::POST, apply, json!({"token": token})).await;
    assert_eq!(status, StatusCode::OK, "{applied}");
    assert!(applied["summary"].is_string(), "{applied}");
    let (status, gone) = ada.send(Method::POST, apply, json!({"token": token})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{gone}");
    assert_eq!(field(&gone), "token");
    let (status, smuggled) = ada
        .send(Method::POST, apply, json!({"token": "../../etc/passwd"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{smuggled}");
    assert_eq!(field(&smuggled), "token");
    let broken = upload(&ada, b"PK kein Paket".to_vec()).await.unwrap();
    assert_eq!(broken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let broken: Value = broken.json().await.unwrap();
    assert_eq!(field(&broken), "paket", "{broken}");
    let pia = client(server, "pia@musterstadt.de").await;
    let refused = upload(&pia, zip).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

async fn story(backend: Backend) {
    // A data folder of its own: local models and bundles are files in it.
    let data = std::env::temp_dir().join(format!("ki-reise-twins-{}", store::random_token(6)));
    let config = portal::PortalConfig {
        data_dir: data.clone(),
        ..Default::default()
    };
    let server = common::spawn_with(common::day_one_store(backend).await, config).await;
    conversations(&server).await;
    bench_cancel(&server).await;
    public_links(&server).await;
    survey_file_and_own_link(&server).await;
    user_import(&server).await;
    gateway_limits(&server).await;
    local_models(&server).await;
    template_set(&server).await;
    gateway_backends(&server).await;
    transfer(&server, &data).await;
    let _ = std::fs::remove_dir_all(data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administration_actions_work_through_the_api_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administration_actions_work_through_the_api_on_postgres() {
    story(Backend::Postgres).await;
}
