//! The API twins of page actions, used as a program would: a document
//! edited, compared, commented, withdrawn, exported and deleted; the
//! caller's own keys; an account changed, deactivated and re-invited; the
//! shared assistants. Each refusal is the documented JSON error.

mod common;

use common::{day_one, ApiClient, Backend, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn client(server: &TestServer, email: &str) -> ApiClient {
    let user = server.store.user_by_email(email).await.unwrap().unwrap();
    ApiClient::for_user(server, &user).await
}

fn field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or_default()
}

async fn documents(server: &TestServer) {
    let pia = client(server, "pia@musterstadt.de").await;
    let sam = client(server, "sam@musterstadt.de").await;
    let (status, doc) = pia
        .send(
            Method::POST,
            "/api/v1/documents",
            json!({"template_id": "ki-richtlinie", "title": "KI-Richtlinie"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    let id = doc["id"].as_i64().unwrap();
    let markdown = doc["markdown"].as_str().unwrap().to_owned();

    // An edit becomes version 2; a second edit on the old base is refused
    // with 409 and nothing is stored.
    let edited = markdown.replacen("KI", "Künstliche Intelligenz (KI)", 1);
    let base = format!("/api/v1/documents/{id}");
    let (status, v2) = pia
        .send(
            Method::POST,
            &format!("{base}/versions"),
            json!({"base": 1, "markdown": edited, "note": "Begriff ausgeschrieben"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v2}");
    assert_eq!(v2["number"], 2);
    assert_eq!(v2["note"], "Begriff ausgeschrieben");
    let (status, stale) = pia
        .send(
            Method::POST,
            &format!("{base}/versions"),
            json!({"base": 1, "markdown": "# Anders"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{stale}");
    assert!(stale["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Version 2"));
    let (status, empty) = pia
        .send(
            Method::POST,
            &format!("{base}/versions"),
            json!({"base": 2, "markdown": "  "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{empty}");
    assert_eq!(field(&empty), "markdown");
    let (_, versions) = pia.get(&format!("{base}/versions")).await;
    let numbers: Vec<i64> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [2, 1]);
    let (status, v1) = pia.get(&format!("{base}/versions/1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v1["markdown"].as_str().unwrap(), markdown);

    // The comparison shows the inserted words.
    let (status, diff) = pia.get(&format!("{base}/comparison?from=1&to=2")).await;
    assert_eq!(status, StatusCode::OK, "{diff}");
    let inserted: String = diff["lines"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["parts"].as_array().unwrap())
        .filter(|p| p["emphasized"] == true)
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert!(inserted.contains("Künstliche"), "{diff}");

    // A comment on a section of version 2, then one on a section that does
    // not exist.
    let anchor = documents::sections(&edited)[0].anchor.clone();
    let (status, comment) = pia
        .send(
            Method::POST,
            &format!("{base}/comments"),
            json!({"version": 2, "anchor": anchor, "body": " Bitte kürzen. "}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{comment}");
    assert_eq!(comment["body"], "Bitte kürzen.");
    assert_eq!(comment["author"], "Pia Projekt");
    let (status, bad) = pia
        .send(
            Method::POST,
            &format!("{base}/comments"),
            json!({"version": 2, "anchor": "gibt-es-nicht", "body": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(field(&bad), "anchor");
    let (_, comments) = pia.get(&format!("{base}/comments?version=2")).await;
    assert_eq!(comments.as_array().unwrap().len(), 1, "{comments}");

    // Staff see no draft: not its versions, not its export.
    assert_eq!(
        sam.get(&format!("{base}/versions")).await.0,
        StatusCode::NOT_FOUND
    );
    let export = sam
        .request(Method::GET, &format!("{base}/export/md"))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), StatusCode::NOT_FOUND);
    let export = pia
        .request(Method::GET, &format!("{base}/export/md?version=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), StatusCode::OK);
    assert_eq!(export.text().await.unwrap(), edited);

    // Under review it cannot be deleted; withdrawn, it is a draft again.
    let (status, review) = pia
        .send(
            Method::POST,
            &format!("{base}/submission"),
            json!({"version": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{review}");
    let deleted = pia.request(Method::DELETE, &base).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::CONFLICT);
    let (status, review) = pia
        .send(
            Method::POST,
            &format!("{base}/withdrawal"),
            json!({"version": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{review}");
    assert_eq!(review["status"], "draft");
    let (_, fresh) = pia
        .send(
            Method::POST,
            "/api/v1/documents",
            json!({"template_id": "ki-richtlinie", "title": "Versehen"}),
        )
        .await;
    let fresh = format!("/api/v1/documents/{}", fresh["id"]);
    let deleted = pia.request(Method::DELETE, &fresh).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(pia.get(&fresh).await.0, StatusCode::NOT_FOUND);
}

async fn own_keys(server: &TestServer) {
    let sam = client(server, "sam@musterstadt.de").await;
    let (status, created) = sam
        .send(
            Method::POST,
            "/api/v1/me/keys",
            json!({"name": "Fachverfahren"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    let second = ApiClient {
        client: reqwest::Client::new(),
        base: server.base.clone(),
        key: secret,
    };
    assert_eq!(second.get("/api/v1/me").await.0, StatusCode::OK);
    let (_, keys) = sam.get("/api/v1/me/keys").await;
    assert!(
        keys.as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("secret").is_none()),
        "{keys}"
    );
    let (status, unnamed) = sam
        .send(Method::POST, "/api/v1/me/keys", json!({"name": " "}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{unnamed}");
    assert_eq!(field(&unnamed), "name");
    let revoke = sam
        .request(
            Method::DELETE,
            &format!("/api/v1/me/keys/{}", created["id"]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), StatusCode::NO_CONTENT);
    assert_eq!(second.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    // Someone else's key is not the caller's to revoke.
    let pia = client(server, "pia@musterstadt.de").await;
    let (_, pias) = pia.get("/api/v1/me/keys").await;
    let other = sam
        .request(
            Method::DELETE,
            &format!("/api/v1/me/keys/{}", pias[0]["id"]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
}

async fn accounts(server: &TestServer) {
    let ada = client(server, "ada@musterstadt.de").await;
    let sam = server
        .store
        .user_by_email("sam@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let path = format!("/api/v1/users/{}", sam.id);
    let (status, moved) = ada
        .send(
            Method::PUT,
            &path,
            json!({"name": "Sam Sachbearbeitung", "role": "staff",
                   "department": "Jugendamt", "version": sam.version}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["department"], "Jugendamt");
    let (status, stale) = ada
        .send(
            Method::PUT,
            &path,
            json!({"name": "Sam", "role": "staff", "version": sam.version}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{stale}");
    let (status, unknown) = ada
        .send(
            Method::PUT,
            &path,
            json!({"name": "Sam", "role": "staff", "department": "Zoo",
                   "version": moved["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{unknown}");
    assert_eq!(field(&unknown), "department");

    let sams_key = client(server, "sam@musterstadt.de").await;
    let (status, off) = ada
        .send(
            Method::PUT,
            &format!("{path}/active"),
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{off}");
    assert_eq!(off["active"], false);
    assert_eq!(sams_key.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = ada
        .send(Method::POST, &format!("{path}/link"), json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a deactivated account gets no link"
    );
    ada.send(
        Method::PUT,
        &format!("{path}/active"),
        json!({"active": true}),
    )
    .await;
    let (status, link) = ada
        .send(Method::POST, &format!("{path}/link"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    assert_eq!(link["kind"], "zuruecksetzen");
    assert!(
        link["url"].as_str().unwrap().contains("/einladung/"),
        "{link}"
    );

    let ada_user = server
        .store
        .user_by_email("ada@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let (status, own) = ada
        .send(
            Method::PUT,
            &format!("/api/v1/users/{}/active", ada_user.id),
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{own}");
}

async fn assistants(server: &TestServer) {
    let pia = client(server, "pia@musterstadt.de").await;
    let (status, shipped) = pia.get("/api/v1/assistants").await;
    assert_eq!(status, StatusCode::OK);
    let before = shipped.as_array().unwrap().len();
    assert!(before > 0, "the shipped assistants are listed");
    let (status, created) = pia
        .send(
            Method::POST,
            "/api/v1/assistants",
            json!({"name": "Bürgerbrief", "description": "Antworten an Bürger",
                   "system_prompt": "Antworte freundlich und in einfacher Sprache.",
                   "data_class": "internal"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["data_class"], "internal");
    let path = format!("/api/v1/assistants/{}", created["id"]);
    let (status, bad) = pia
        .send(
            Method::PUT,
            &path,
            json!({"name": "Bürgerbrief", "system_prompt": "x", "data_class": "geheim"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(field(&bad), "data_class");
    let (status, duplicate) = pia
        .send(
            Method::POST,
            "/api/v1/assistants",
            json!({"name": "Bürgerbrief", "system_prompt": "Noch einmal."}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{duplicate}");
    let deleted = pia.request(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let (_, after) = pia.get("/api/v1/assistants").await;
    assert_eq!(after.as_array().unwrap().len(), before);
    // Staff use assistants but do not keep them.
    let sam = client(server, "sam@musterstadt.de").await;
    let (status, _) = sam
        .send(
            Method::POST,
            "/api/v1/assistants",
            json!({"name": "Eigen", "system_prompt": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn story(backend: Backend) {
    let server = day_one(backend).await;
    documents(&server).await;
    own_keys(&server).await;
    accounts(&server).await;
    assistants(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_actions_work_through_the_api_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_actions_work_through_the_api_on_postgres() {
    story(Backend::Postgres).await;
}
