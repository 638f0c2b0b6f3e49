//! Knowledge spaces end to end, on SQLite and on PostgreSQL: the project
//! team creates a space for one department and uploads a PDF and a DOCX
//! through the API; a clerk of that department finds the right page; a
//! clerk of another department neither sees the space nor reaches it (page
//! and API); bad uploads (too large, lying ending, broken DOCX, zip bomb)
//! are refused in German and leave nothing behind; removing a document
//! removes its passages, and the audit log names both steps.

mod common;

use std::io::{Cursor, Write};

use common::{day_one_store, login, spawn, ApiClient, Backend, PASSWORD};
use journey::access::Role;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use store::users::NewUser;

async fn upload(client: &ApiClient, space: i64, name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_owned()));
    let r = client
        .request(Method::POST, &format!("/api/v1/spaces/{space}/documents"))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

async fn story(backend: Backend) {
    let store = day_one_store(backend).await;
    let hash = portal::auth::password::hash_blocking(PASSWORD).unwrap();
    let jana = store
        .create_user(
            &store::Actor::system(),
            &NewUser {
                email: "jana@musterstadt.de".into(),
                name: "Jana Jugendamt".into(),
                role: Role::Staff,
                department: Some("Jugendamt".into()),
                password_hash: Some(hash),
            },
        )
        .await
        .unwrap();
    let server = spawn(store.clone()).await;
    let by_email = |e: &'static str| {
        let store = store.clone();
        async move { store.user_by_email(e).await.unwrap().unwrap() }
    };
    let pia = ApiClient::for_user(&server, &by_email("pia@musterstadt.de").await).await;
    let sam = ApiClient::for_user(&server, &by_email("sam@musterstadt.de").await).await;
    let jana_api = ApiClient::for_user(&server, &jana).await;

    // Only the project team creates spaces, for departments the profile has.
    let body = json!({"name": "Satzungen Bürgerservice", "description": "Ortsrecht",
        "readers": {"kind": "departments", "names": ["Bürgerservice"]}, "data_class": "internal"});
    let (code, _) = sam.send(Method::POST, "/api/v1/spaces", body.clone()).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, err) = pia
        .send(
            Method::POST,
            "/api/v1/spaces",
            json!({"name": "X",
            "readers": {"kind": "departments", "names": ["Zoo"]}, "data_class": "internal"}),
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["field"], "readers");
    let (code, space) = pia.send(Method::POST, "/api/v1/spaces", body.clone()).await;
    assert_eq!(code, StatusCode::CREATED, "{space}");
    assert_eq!(space["data_class"], "internal");
    let id = space["id"].as_i64().unwrap();
    let (code, _) = pia.send(Method::POST, "/api/v1/spaces", body).await;
    assert_eq!(code, StatusCode::CONFLICT, "the name is taken");

    // A PDF of two pages and a DOCX.
    let pdf = knowledge::samples::pdf(&[
        "Hundesteuersatzung der Stadt Musterstadt\n\n§ 1 Steuerpflicht\nSteuerpflichtig ist, wer im Stadtgebiet einen Hund hält.",
        "§ 2 Steuersatz\nDie Hundesteuer beträgt jährlich 120 Euro für den ersten Hund\nund 180 Euro für jeden weiteren Hund.",
    ]);
    let (code, doc) = upload(&pia, id, "Hundesteuersatzung.pdf", pdf).await;
    assert_eq!(code, StatusCode::CREATED, "{doc}");
    assert_eq!(doc["kind"], "pdf");
    assert_eq!(doc["pages"], 2);
    assert_eq!(
        doc["title"], "Hundesteuersatzung",
        "the file name, as no heading names it"
    );
    let pdf_id = doc["id"].as_i64().unwrap();
    let docx = knowledge::samples::docx(&[
        (1, "Geschäftsordnung des Rates"),
        (2, "§ 5 Öffentlichkeit"),
        (0, "Die Sitzungen des Rates sind öffentlich, soweit nicht das Wohl der Allgemeinheit entgegensteht."),
    ]);
    let (code, doc) = upload(&pia, id, "Geschäftsordnung.docx", docx.clone()).await;
    assert_eq!(code, StatusCode::CREATED, "{doc}");
    assert_eq!(doc["title"], "Geschäftsordnung des Rates");
    let docx_passages = doc["passages"].as_i64().unwrap();
    let passages_before = store.space_passage_count(id).await.unwrap();

    // Sam (Bürgerservice) sees the space and finds the right page.
    let (code, list) = sam.get("/api/v1/spaces").await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (code, hits) = sam
        .get(&format!(
            "/api/v1/spaces/{id}/search?q=Wie%20hoch%20ist%20die%20Hundesteuer%3F&k=3"
        ))
        .await;
    assert_eq!(code, StatusCode::OK, "{hits}");
    let top = &hits[0];
    assert_eq!(top["document_id"], pdf_id);
    assert_eq!(top["page"], 2, "{hits}");
    assert!(top["text"].as_str().unwrap().contains("120 Euro"), "{hits}");
    assert_eq!(top["section"], "§ 2 Steuersatz");
    assert!(top["score"].as_f64().unwrap() > 0.0);
    let (_, hits) = sam
        .get(&format!(
            "/api/v1/spaces/{id}/search?q=Sind%20Ratssitzungen%20%C3%B6ffentlich"
        ))
        .await;
    assert_eq!(
        hits[0]["document_title"], "Geschäftsordnung des Rates",
        "{hits}"
    );
    assert_eq!(
        hits[0]["section"],
        "Geschäftsordnung des Rates › § 5 Öffentlichkeit"
    );
    let (_, none) = sam
        .get(&format!("/api/v1/spaces/{id}/search?q=Baugenehmigung"))
        .await;
    assert_eq!(none, json!([]));
    let (code, err) = sam
        .get(&format!("/api/v1/spaces/{id}/search?q=Hund&k=99"))
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "k");
    let (code, _) = sam
        .send(
            Method::DELETE,
            &format!("/api/v1/spaces/{id}/documents/{pdf_id}"),
            json!({}),
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN, "staff do not remove documents");

    // Jana (Jugendamt) neither sees nor reaches it.
    let (_, list) = jana_api.get("/api/v1/spaces").await;
    assert_eq!(list, json!([]));
    for path in [
        format!("/api/v1/spaces/{id}/documents"),
        format!("/api/v1/spaces/{id}/search?q=Hund"),
    ] {
        let (code, _) = jana_api.get(&path).await;
        assert_eq!(code, StatusCode::NOT_FOUND, "{path}");
    }
    let mut browser = login(&server.base, "jana@musterstadt.de").await;
    let page = browser.get("/wissensraeume").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("Satzungen Bürgerservice"));
    assert_eq!(
        browser.get(&format!("/wissensraeume/{id}")).await.status,
        404
    );
    let mut browser = login(&server.base, "sam@musterstadt.de").await;
    let page = browser
        .get(&format!("/wissensraeume/{id}?q=Hundesteuer"))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("S. 2, § 2 Steuersatz"), "{}", page.body);

    // Bad uploads: each refused in German, nothing kept.
    let oversized = vec![b'a'; portal::spaces::upload::MAX_DOCUMENT_BYTES + 1];
    let (code, err) = upload(&pia, id, "gross.txt", oversized).await;
    assert_eq!(code, StatusCode::PAYLOAD_TOO_LARGE, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("höchstens 20 MB"),
        "{err}"
    );
    let (code, err) = upload(&pia, id, "bescheid.pdf", b"Nur ein Text.".to_vec()).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["field"], "file");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Textdatei"),
        "{err}"
    );
    let (code, err) = upload(&pia, id, "satzung.odt", docx).await;
    assert_eq!(
        code,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a DOCX named .odt: {err}"
    );
    let broken = zip_of(&[("word/document.xml", b"<w:document><w:body><w:p>")]);
    let (code, err) = upload(&pia, id, "kaputt.docx", broken).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("kein gültiges DOCX"),
        "{err}"
    );
    let bomb = zip_of(&[("word/document.xml", &vec![b' '; 80 * 1024 * 1024])]);
    assert!(bomb.len() < 1024 * 1024);
    let (code, err) = upload(&pia, id, "bombe.docx", bomb).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("entpackt"),
        "{err}"
    );
    let (code, err) = upload(&pia, id, "programm.exe", b"MZ".to_vec()).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let (_, docs) = pia.get(&format!("/api/v1/spaces/{id}/documents")).await;
    assert_eq!(docs.as_array().unwrap().len(), 2);
    assert_eq!(
        store.space_passage_count(id).await.unwrap(),
        passages_before
    );

    // Removing the PDF removes every passage of it.
    let r = pia
        .request(
            Method::DELETE,
            &format!("/api/v1/spaces/{id}/documents/{pdf_id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(store.space_passage_count(id).await.unwrap(), docx_passages);
    let (_, hits) = sam
        .get(&format!("/api/v1/spaces/{id}/search?q=Hundesteuer"))
        .await;
    assert_eq!(hits, json!([]));
    let r = pia
        .request(
            Method::DELETE,
            &format!("/api/v1/spaces/{id}/documents/{pdf_id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (entries, _) = store.audit_entries("", 1000, 0).await.unwrap();
    assert!(entries
        .iter()
        .any(|e| e.action == "Dokument in Wissensraum aufgenommen"));
    assert!(entries
        .iter()
        .any(|e| e.action == "Dokument aus Wissensraum entfernt"
            && e.detail.contains("Hundesteuersatzung.pdf")));

    let (_, doc) = pia.get("/api/v1/openapi.json").await;
    for p in [
        "/api/v1/spaces",
        "/api/v1/spaces/{id}/documents",
        "/api/v1/spaces/{id}/documents/{doc}",
        "/api/v1/spaces/{id}/search",
    ] {
        assert!(doc["paths"].get(p).is_some(), "OpenAPI lacks {p}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spaces_run_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spaces_run_on_postgres() {
    story(Backend::Postgres).await;
}
