//! Documents as a municipality works on them in its first days: required
//! interview answers are enforced on the page and in the API, an edit made
//! in the browser (CRLF line breaks) compares as the few words it changed,
//! and an accidental draft can be deleted.

mod common;

use common::{day_one, form_fields, login, ApiClient, Backend};
use serde_json::json;

fn refs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

async fn story(backend: Backend) {
    let server = day_one(backend).await;
    let base = server.base.clone();
    let mut pia = login(&base, "pia@musterstadt.de").await;
    let pia_user = server
        .store
        .user_by_email("pia@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let api = ApiClient::for_user(&server, &pia_user).await;

    // KI-Strategie with no goal ticked: refused beside the field, the other
    // answers kept, nothing stored.
    let interview = pia.get("/dokumente/neu/ki-strategie").await;
    assert_eq!(interview.status, 200, "{}", interview.body);
    let mut fields = form_fields(&interview.body);
    assert!(
        fields.iter().any(|(k, _)| k == "ziele"),
        "goals are pre-ticked"
    );
    fields.retain(|(k, _)| k != "ziele");
    fields.retain(|(k, _)| k != "_title");
    fields.push(("_title".into(), "Unsere KI-Strategie 2028".into()));
    let p = pia
        .post("/dokumente/neu/ki-strategie", &refs(&fields))
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"ziele-error\""), "{}", p.body);
    assert!(p.body.contains("value=\"Unsere KI-Strategie 2028\""));
    assert!(server.store.documents().await.unwrap().is_empty());
    // The API refuses it too, naming the field.
    let (status, body) = api
        .send(
            reqwest::Method::POST,
            "/api/v1/documents",
            json!({"template_id": "ki-strategie", "title": "Strategie", "answers": {"ziele": []}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "answers.ziele", "{body}");
    assert!(server.store.documents().await.unwrap().is_empty());

    // Through the API, CRLF in a text answer is stored as LF.
    let (status, body) = api
        .send(
            reqwest::Method::POST,
            "/api/v1/documents",
            json!({"template_id": "ki-richtlinie", "title": "KI-Richtlinie",
                   "answers": {"werkzeuge_cloud": "Werkzeug A\r\nWerkzeug B\rWerkzeug C"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    let v1 = server.store.document_version(id, 1).await.unwrap();
    assert!(
        !v1.markdown.contains('\r') && !v1.answers.contains("\\r"),
        "{}",
        v1.answers
    );
    assert!(v1.markdown.contains("Werkzeug B\n") || v1.markdown.contains("Werkzeug B"));

    // An edit in the browser sends CRLF; two changed words are one changed line.
    let doc = format!("/dokumente/{id}");
    pia.get(&format!("{doc}/bearbeiten")).await;
    let line = v1
        .markdown
        .lines()
        .find(|l| !l.starts_with('#') && l.split_whitespace().count() >= 6)
        .unwrap()
        .to_string();
    let mut words: Vec<&str> = line.split(' ').collect();
    words[1] = "ZWEITENS";
    words[4] = "FÜNFTENS";
    let edited_line = words.join(" ");
    let edited = v1
        .markdown
        .replacen(&line, &edited_line, 1)
        .replace('\n', "\r\n");
    let p = pia
        .post(
            &format!("{doc}/bearbeiten"),
            &[("base", "1"), ("markdown", &edited)],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let v2 = server.store.document_version(id, 2).await.unwrap();
    assert!(!v2.markdown.contains('\r'));
    let p = pia.get(&format!("{doc}/vergleich?von=1&bis=2")).await;
    assert_eq!(p.status, 200);
    assert!(
        p.body
            .contains("1 Zeile geändert (2 Wörter), 0 Zeilen hinzugefügt, 0 Zeilen entfernt"),
        "{}",
        p.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_on_day_one_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_on_day_one_on_postgres() {
    story(Backend::Postgres).await;
}

/// An accidental draft is deleted after a confirmation; a document in
/// review is not, and the audit log names the deletion.
async fn deleting(backend: Backend) {
    let server = day_one(backend).await;
    let mut pia = login(&server.base, "pia@musterstadt.de").await;
    let interview = pia.get("/dokumente/neu/ki-richtlinie").await;
    let fields = form_fields(&interview.body);
    let mut ids = Vec::new();
    for _ in 0..2 {
        let p = pia
            .post("/dokumente/neu/ki-richtlinie", &refs(&fields))
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
        ids.push(p.location.unwrap());
    }
    let (accident, kept) = (&ids[0], &ids[1]);
    let page = pia.get(accident).await;
    assert!(
        page.body.contains(&format!("href=\"{accident}/loeschen\"")),
        "{}",
        page.body
    );
    // The confirmation page asks; only its POST deletes.
    let confirm = pia.get(&format!("{accident}/loeschen")).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(confirm.body.contains("Entwurf endgültig löschen"));
    assert_eq!(server.store.documents().await.unwrap().len(), 2);
    let p = pia.post(&format!("{accident}/loeschen"), &[]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(pia.get(accident).await.status, 404);
    let (audit, _) = server
        .store
        .audit_entries("Entwurf gelöscht", 10, 0)
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor_name, "Pia Projekt");

    // Once in review it stays.
    pia.get(kept).await;
    let p = pia
        .post(&format!("{kept}/einreichen"), &[("version", "1")])
        .await;
    assert!(p.status == 303 || p.status == 200, "{}", p.body);
    assert!(!pia.get(kept).await.body.contains("/loeschen\""));
    let p = pia.post(&format!("{kept}/loeschen"), &[]).await;
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(p.body.contains("noch nie in Prüfung war"));
    assert_eq!(server.store.documents().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accidental_draft_is_deleted_after_confirmation_on_sqlite() {
    deleting(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accidental_draft_is_deleted_after_confirmation_on_postgres() {
    deleting(Backend::Postgres).await;
}
