//! The administration downloads a model from the catalogue in the portal:
//! the settings page shows the catalogue with an estimate for this server,
//! „Herunterladen“ fetches the catalogue's file from a local HTTP server
//! (the data folder's own catalogue points there), a dropped connection is
//! resumed with a range request on the next try (through the API twin), and
//! the file is then listed as a local model. A client can only name a
//! catalogue entry, never an address; a wrong checksum discards the file;
//! a clerk may do none of it.

mod common;

use std::path::Path;
use std::time::Duration;

use common::range_server::serve;
use common::{day_one_store, login, spawn_with, ApiClient, Backend, TestServer};
use portal::PortalConfig;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const CATALOGUE: &str = "/api/v1/gateway/model-catalogue";
const DOWNLOADS: &str = "/api/v1/gateway/model-downloads";

fn catalogue(url: &str, size: usize, sha256: &str) -> String {
    let entry = |id: &str, file: &str, sha: &str| {
        format!(
            "- id: {id}
  name: Testmodell {id}
  architecture: llama
  licence: Apache-2.0
  languages: [de]
  context_length: 512
  shape: {{ layers: 2, kv_heads: 2, head_dim: 16 }}
  recommended_use: Nur für Tests.
  quality_note: Zufällige Gewichte, kein Deutsch.
  sampling: {{ temperature: 0.2 }}
  quants:
    - quant: Q8_0
      file: {file}
      size_bytes: {size}
      url: {url}
      sha256: {sha}
"
        )
    };
    entry("winzig", "Winzig-Q8_0.gguf", sha256)
        + &entry("falsch", "Falsch-Q8_0.gguf", &"0".repeat(64))
}

async fn api(server: &TestServer, email: &str) -> ApiClient {
    let user = server.store.user_by_email(email).await.unwrap().unwrap();
    ApiClient::for_user(server, &user).await
}

/// Polls the catalogue until the download of `file` has ended.
async fn ended(ada: &ApiClient, file: &str) -> Value {
    for _ in 0..200 {
        let (status, c) = ada.get(CATALOGUE).await;
        assert_eq!(status, StatusCode::OK, "{c}");
        let d = c["downloads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["file"] == file)
            .cloned()
            .expect("the download is listed");
        if d["status"] != "running" {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the download of {file} did not end");
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kireise_catalogue_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tiny_model(dir: &Path) -> Vec<u8> {
    let path = dir.join("quelle.gguf");
    engine::synthetic::write_model(
        &path,
        engine::synthetic::Shape::TINY,
        engine::gguf::GgmlType::Q8_0,
    )
    .unwrap();
    std::fs::read(path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catalogue_model_is_downloaded_resumed_and_listed() {
    let data = temp("data");
    let bytes = tiny_model(&temp("source"));
    let sha = {
        let path = temp("sum").join("m.gguf");
        std::fs::write(&path, &bytes).unwrap();
        portal::model_fetch::sha256_file(&path).unwrap()
    };
    // The first response breaks off after half the file.
    let (url, served, ranged) = serve(bytes.clone(), 1);
    std::fs::create_dir_all(data.join("content")).unwrap();
    std::fs::write(
        data.join("content/models.yaml"),
        catalogue(&url, bytes.len(), &sha),
    )
    .unwrap();
    let server = spawn_with(
        day_one_store(Backend::Sqlite).await,
        PortalConfig {
            data_dir: data.clone(),
            ..PortalConfig::default()
        },
    )
    .await;

    // The page shows the data folder's catalogue with an estimate.
    let mut ada_browser = login(&server.base, "ada@musterstadt.de").await;
    let page = ada_browser.get("/assistent/einstellungen").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Modellkatalog"), "{}", page.body);
    assert!(page.body.contains("Testmodell winzig"), "{}", page.body);
    assert!(page.body.contains("Tokens/s"), "{}", page.body);

    // „Herunterladen“: the connection drops halfway.
    let started = ada_browser
        .post(
            "/assistent/einstellungen/katalog",
            &[("model", "winzig"), ("quant", "Q8_0")],
        )
        .await;
    assert_eq!(started.status, 303, "{}", started.body);
    let ada = api(&server, "ada@musterstadt.de").await;
    let first = ended(&ada, "Winzig-Q8_0.gguf").await;
    assert_eq!(first["status"], "failed", "{first}");
    assert!(
        first["error"].as_str().unwrap().contains("brach ab"),
        "{first}"
    );
    let models = data.join("models");
    assert!(!models.join("Winzig-Q8_0.gguf").exists());
    assert!(models.join("Winzig-Q8_0.gguf.part").exists());

    // The API twin tries again and continues where it stopped.
    let (status, again) = ada
        .send(
            Method::POST,
            DOWNLOADS,
            json!({"model": "winzig", "quant": "Q8_0"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    assert_eq!(again["status"], "running");
    let second = ended(&ada, "Winzig-Q8_0.gguf").await;
    assert_eq!(second["status"], "finished", "{second}");
    assert_eq!(second["done_bytes"], bytes.len());
    assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(ranged.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(
        std::fs::read(models.join("Winzig-Q8_0.gguf")).unwrap(),
        bytes
    );
    let (_, local) = ada.get("/api/v1/gateway/local-models").await;
    assert_eq!(local["files"], json!(["Winzig-Q8_0.gguf"]), "{local}");
    let page = ada_browser.get("/assistent/einstellungen").await;
    assert!(page.body.contains("im Datenordner"), "{}", page.body);

    // Once there, it is not fetched again.
    let (status, twice) = ada
        .send(
            Method::POST,
            DOWNLOADS,
            json!({"model": "winzig", "quant": "Q8_0"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{twice}");

    // A wrong checksum discards the file.
    let (status, _) = ada
        .send(
            Method::POST,
            DOWNLOADS,
            json!({"model": "falsch", "quant": "Q8_0"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let wrong = ended(&ada, "Falsch-Q8_0.gguf").await;
    assert_eq!(wrong["status"], "failed", "{wrong}");
    assert!(
        wrong["error"].as_str().unwrap().contains("Prüfsumme"),
        "{wrong}"
    );
    assert!(!models.join("Falsch-Q8_0.gguf").exists());
    assert!(!models.join("Falsch-Q8_0.gguf.part").exists());

    // Only catalogue entries: no address, no unknown entry or quant.
    let (status, refused) = ada
        .send(
            Method::POST,
            DOWNLOADS,
            json!({"model": "winzig", "quant": "Q8_0", "url": "http://127.0.0.1:1/x.gguf"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    for body in [
        json!({"model": "../winzig", "quant": "Q8_0"}),
        json!({"model": "winzig", "quant": "Q2_K"}),
    ] {
        let (status, refused) = ada.send(Method::POST, DOWNLOADS, body.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}: {refused}");
    }
    let refused = ada_browser
        .post(
            "/assistent/einstellungen/katalog",
            &[("model", "gibt-es-nicht"), ("quant", "Q8_0")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("Modellkatalog nicht"),
        "{}",
        refused.body
    );

    // A clerk may neither see nor start downloads.
    let sam = api(&server, "sam@musterstadt.de").await;
    assert_eq!(sam.get(CATALOGUE).await.0, StatusCode::FORBIDDEN);
    let (status, _) = sam
        .send(
            Method::POST,
            DOWNLOADS,
            json!({"model": "winzig", "quant": "Q8_0"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut sam_browser = login(&server.base, "sam@musterstadt.de").await;
    let page = sam_browser
        .post(
            "/assistent/einstellungen/katalog",
            &[("model", "winzig"), ("quant", "Q8_0")],
        )
        .await;
    assert_eq!(page.status, 403);
}
