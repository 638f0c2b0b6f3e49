//! The AI Act duties of a high-risk use case tracked to evidence, on
//! SQLite and on PostgreSQL: the classification gives the duties (open,
//! nobody's); the project team sets owners and due dates over the API and
//! on the page; one is overdue, and the overview lists it first and by
//! owner; "erfüllt" needs evidence and "nicht anwendbar" a reason (German
//! 422 naming the field); evidence files are checked by content, kept
//! under a server-made name and refused when too large; staff read but do
//! not change; the overdue reminders name the owner's address; a changed
//! classification marks dropped duties and deletes nothing; the one-pager
//! lists the duties with their status.

mod common;

use std::path::Path;

use common::{login, spawn_with, ApiClient, Backend, TestServer};
use journey::date::{add_days, today};
use portal::PortalConfig;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

fn refused(answer: &(StatusCode, Value), field: &str) -> String {
    assert_eq!(answer.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.1);
    assert_eq!(answer.1["error"]["field"], field, "{}", answer.1);
    answer.1["error"]["message"].as_str().unwrap().to_string()
}

fn duty<'v>(list: &'v Value, id: &str) -> &'v Value {
    list["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["duty"] == id)
        .unwrap_or_else(|| panic!("no duty {id} in {list}"))
}

async fn upload(
    api: &ApiClient,
    path: &str,
    name: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let r = api
        .request(Method::POST, path)
        .query(&[("name", name)])
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

async fn server(backend: Backend, data_dir: &Path) -> TestServer {
    let store = common::day_one_store(backend).await;
    let config = PortalConfig {
        data_dir: data_dir.to_path_buf(),
        ..PortalConfig::default()
    };
    spawn_with(store, config).await
}

async fn story(backend: Backend) {
    let data_dir = std::env::temp_dir().join(format!(
        "ki-reise-pflichten-{}-{}",
        std::process::id(),
        store::random_token(8)
    ));
    let server = server(backend, &data_dir).await;
    let store = &server.store;
    let pia = store
        .user_by_email("pia@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let sam = store
        .user_by_email("sam@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let team = ApiClient::for_user(&server, &pia).await;
    let staff = ApiClient::for_user(&server, &sam).await;
    let today = today();
    let yesterday = add_days(&today, -1).unwrap();
    let in_a_month = add_days(&today, 30).unwrap();

    // A high-risk use case: the classification gives its duties.
    let (code, created) = team
        .send(
            Method::POST,
            "/api/v1/usecases",
            json!({"title": "Vorprüfung von Wohngeldanträgen", "problem": "Lange Bearbeitungszeiten."}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let (code, v) = team
        .send(
            Method::POST,
            &format!("/api/v1/usecases/{id}/classification"),
            json!({"answers": common::high_risk_answers("leistungen"), "version": 1}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let list_path = format!("/api/v1/usecases/{id}/obligations");
    let (code, list) = staff.get(&list_path).await;
    assert_eq!(
        code,
        StatusCode::OK,
        "staff read the duties as they read use cases: {list}"
    );
    let ids: Vec<&str> = list["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["duty"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["art-4", "art-26", "art-27", "art-49-3", "art-86"]);
    let fria = duty(&list, "art-27");
    assert_eq!(fria["status"], "open");
    assert_eq!(fria["status_label"], "offen");
    assert!(fria["owner"].is_null());
    assert_eq!(fria["due"], "2027-12-02", "due when Annex III applies");
    assert_eq!(duty(&list, "art-4")["due"], "2025-02-02");

    // Staff read, but only the project team changes a duty.
    let put = |d: &str| format!("/api/v1/usecases/{id}/obligations/{d}");
    let (code, _) = staff
        .send(
            Method::PUT,
            &put("art-27"),
            json!({"status": "in_progress"}),
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);

    // Owner and due date over the API: the registration is overdue.
    let (code, v) = team
        .send(
            Method::PUT,
            &put("art-49-3"),
            json!({"owner": pia.id, "due": yesterday, "status": "in_progress"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["owner"]["name"], "Pia Projekt");
    assert_eq!(v["overdue"], true);
    assert_eq!(v["due_set"], true);

    // "erfüllt" needs evidence; "nicht anwendbar" needs a reason.
    let message = refused(
        &team
            .send(Method::PUT, &put("art-4"), json!({"status": "fulfilled"}))
            .await,
        "evidence_link",
    );
    assert!(message.contains("Nachweis"), "{message}");
    let message = refused(
        &team
            .send(
                Method::PUT,
                &put("art-86"),
                json!({"status": "not_applicable", "reason": "  "}),
            )
            .await,
        "reason",
    );
    assert!(message.contains("begründen"), "{message}");
    refused(
        &team
            .send(
                Method::PUT,
                &put("art-86"),
                json!({"status": "open", "evidence_link": "javascript:alert(1)"}),
            )
            .await,
        "evidence_link",
    );
    refused(
        &team
            .send(
                Method::PUT,
                &put("art-86"),
                json!({"status": "open", "due": "31.12.2026"}),
            )
            .await,
        "due",
    );
    refused(
        &team
            .send(
                Method::PUT,
                &put("art-86"),
                json!({"status": "open", "owner": 999_999}),
            )
            .await,
        "owner",
    );
    let (code, v) = team
        .send(
            Method::PUT,
            &put("art-86"),
            json!({"status": "not_applicable", "reason": "Keine Einzelentscheidung mit Rechtswirkung.", "due": in_a_month}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let (code, _) = team
        .send(Method::PUT, &put("art-0"), json!({"status": "open"}))
        .await;
    assert_eq!(
        code,
        StatusCode::NOT_FOUND,
        "a duty the use case does not have"
    );

    // Evidence: a PDF over the API, kept under a server-made name.
    let evidence = format!("/api/v1/usecases/{id}/obligations/art-4/evidence");
    let (code, v) = upload(
        &team,
        &evidence,
        "Schulungsnachweise 2026.pdf",
        "application/pdf",
        PDF.to_vec(),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["evidence_file"]["name"], "Schulungsnachweise 2026.pdf");
    assert_eq!(v["evidence_file"]["kind"], "pdf");
    let stored: Vec<String> = std::fs::read_dir(data_dir.join("nachweise"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(stored.len(), 1);
    assert!(
        stored[0].len() == 36 && stored[0].ends_with(".pdf"),
        "{stored:?}"
    );
    let r = staff.request(Method::GET, &evidence).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(r.bytes().await.unwrap().as_ref(), PDF);
    let (code, v) = team
        .send(
            Method::PUT,
            &put("art-4"),
            json!({"status": "fulfilled", "owner": sam.id, "review_on": in_a_month}),
        )
        .await;
    assert_eq!(
        code,
        StatusCode::OK,
        "with the file, erfüllt is accepted: {v}"
    );

    // Bad files: a lying type, a hostile name, too large; staff may not upload.
    let message = refused(
        &upload(
            &team,
            &evidence,
            "bericht.pdf",
            "application/pdf",
            b"<html><script>alert(1)</script>".to_vec(),
        )
        .await,
        "file",
    );
    assert!(message.contains("kein PDF-Dokument"), "{message}");
    refused(
        &upload(&team, &evidence, "bericht.pdf", "text/html", PDF.to_vec()).await,
        "file",
    );
    refused(
        &upload(
            &team,
            &evidence,
            "programm.exe",
            "application/octet-stream",
            b"MZ\x90\x00".to_vec(),
        )
        .await,
        "file",
    );
    let hostile = format!("/api/v1/usecases/{id}/obligations/art-27/evidence");
    let (code, v) = upload(
        &team,
        &hostile,
        "../../../etc/<b>passwd</b>.pdf",
        "application/pdf",
        PDF.to_vec(),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["evidence_file"]["name"], "b_.pdf");
    assert!(
        !data_dir.join("etc").exists()
            && !data_dir
                .parent()
                .unwrap()
                .join("etc")
                .join("passwd.pdf")
                .exists()
    );
    assert_eq!(
        std::fs::read_dir(data_dir.join("nachweise"))
            .unwrap()
            .count(),
        2
    );
    let limit = journey::usecase::duties::evidence::MAX_EVIDENCE_BYTES;
    let mut big = PDF.to_vec();
    big.resize(limit + 1, b' ');
    let (code, v) = upload(&team, &evidence, "gross.pdf", "application/pdf", big).await;
    assert_eq!(code, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("größer als 10 MB"),
        "{v}"
    );
    let mut huge = PDF.to_vec();
    huge.resize(limit + 200 * 1024, b' ');
    // Refused on its declared length before the body is read: the answer
    // is 413, or the connection closes while the client still writes.
    let r = team
        .request(Method::POST, &evidence)
        .query(&[("name", "riesig.pdf")])
        .header("content-type", "application/pdf")
        .body(huge)
        .send()
        .await;
    if let Ok(r) = r {
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    let (code, _) = upload(&staff, &evidence, "x.pdf", "application/pdf", PDF.to_vec()).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    assert_eq!(
        std::fs::read_dir(data_dir.join("nachweise"))
            .unwrap()
            .count(),
        2,
        "nothing refused was kept"
    );

    // On the page: Pia gives the FRIA to Sam with a due date.
    let mut b = login(&server.base, "pia@musterstadt.de").await;
    let page = b.get(&format!("/anwendungsfaelle/{id}/pflichten")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Grundrechte-Folgenabschätzung"),
        "{}",
        page.body
    );
    let form = format!("/anwendungsfaelle/{id}/pflichten/art-27");
    let sam_id = sam.id.to_string();
    let p = b
        .post(
            &form,
            &[
                ("owner", &sam_id),
                ("due", &in_a_month),
                ("status", "not_applicable"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(
        p.body
            .contains("Bitte begründen, warum die Pflicht nicht anwendbar ist."),
        "{}",
        p.body
    );
    let p = b
        .post(
            &form,
            &[
                ("owner", &sam_id),
                ("due", &in_a_month),
                ("status", "in_progress"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    // The page's upload form: the hostile name is cleaned, the lie refused.
    let upload_form = |name: &str, bytes: &[u8], mime: &str| {
        reqwest::multipart::Form::new()
            .text("_csrf", b.csrf.clone())
            .part(
                "nachweis",
                reqwest::multipart::Part::bytes(bytes.to_vec())
                    .file_name(name.to_owned())
                    .mime_str(mime)
                    .unwrap(),
            )
    };
    let lie = upload_form("fria.pdf", b"MZ\x90\x00", "application/pdf");
    let r = b
        .client
        .post(format!(
            "{}/anwendungsfaelle/{id}/pflichten/art-26/nachweis",
            server.base
        ))
        .multipart(lie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("kein PDF-Dokument"));
    let ok = upload_form("..\\..\\Anleitung.pdf", PDF, "application/pdf");
    let r = b
        .client
        .post(format!(
            "{}/anwendungsfaelle/{id}/pflichten/art-26/nachweis",
            server.base
        ))
        .multipart(ok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, list) = team.get(&list_path).await;
    assert_eq!(
        duty(&list, "art-26")["evidence_file"]["name"],
        "Anleitung.pdf"
    );
    assert_eq!(
        duty(&list, "art-27")["owner"]["name"],
        "Sam Sachbearbeitung"
    );
    assert_eq!(duty(&list, "art-27")["status"], "in_progress");
    let mut staff_browser = login(&server.base, "sam@musterstadt.de").await;
    let p = staff_browser
        .get(&format!("/anwendungsfaelle/{id}/pflichten"))
        .await;
    assert_eq!(p.status, 200);
    assert!(!p.body.contains("Pflicht speichern"), "staff see no forms");
    let p = staff_browser.post(&form, &[("status", "open")]).await;
    assert_eq!(p.status, 403);

    // The use case page has the section; the overview lists the overdue duty first.
    let p = b.get(&format!("/anwendungsfaelle/{id}")).await;
    assert!(p.body.contains("id=\"pflichten\""), "{}", p.body);
    assert!(p.body.contains("überfällig seit"), "{}", p.body);
    let p = b.get("/anwendungsfaelle/pflichten").await;
    assert_eq!(p.status, 200);
    let rows = common::extract_between(&p.body, "<tbody>", "</tbody>").unwrap();
    let first = rows.split("</tr>").next().unwrap();
    assert!(
        first.contains("Registrierung in der EU-Datenbank") && first.contains("überfällig"),
        "{first}"
    );
    assert!(
        p.body
            .contains("Pia Projekt</a>: 1 offen, <strong>1 überfällig</strong>"),
        "{}",
        p.body
    );
    let p = b
        .get(&format!(
            "/anwendungsfaelle/pflichten?verantwortlich={}",
            sam.id
        ))
        .await;
    let rows = common::extract_between(&p.body, "<tbody>", "</tbody>").unwrap();
    assert!(
        rows.contains("Grundrechte-Folgenabschätzung") && !rows.contains("Registrierung"),
        "{rows}"
    );

    // The reminders: overdue today, and more a month on (the date is injected).
    let due = portal::usecases::duties::overdue_reminders(&server.state, &today)
        .await
        .unwrap();
    assert_eq!(due.len(), 1, "{due:?}");
    assert_eq!(due[0].duty, "art-49-3");
    assert_eq!(due[0].owner_email.as_deref(), Some("pia@musterstadt.de"));
    assert_eq!(due[0].use_case_title, "Vorprüfung von Wohngeldanträgen");
    let later = add_days(&today, 31).unwrap();
    let due = portal::usecases::duties::overdue_reminders(&server.state, &later)
        .await
        .unwrap();
    let owners: Vec<_> = due
        .iter()
        .map(|d| (d.duty.as_str(), d.owner_email.as_deref()))
        .collect();
    assert!(
        owners.contains(&("art-27", Some("sam@musterstadt.de"))),
        "{owners:?}"
    );
    assert!(
        !owners.iter().any(|(d, _)| *d == "art-4" || *d == "art-86"),
        "settled duties are not reminded: {owners:?}"
    );

    // The one-pager lists the duties with their status and owner.
    let md = b.get(&format!("/anwendungsfaelle/{id}/export/md")).await;
    assert!(
        md.body
            .contains("| Pflicht | Status | Fällig | Verantwortlich | Nachweis |"),
        "{}",
        md.body
    );
    assert!(
        md.body
            .contains("KI-Kompetenz sicherstellen (Art. 4 KI-VO) | erfüllt |"),
        "{}",
        md.body
    );

    // Critical infrastructure (Annex III no. 2): the FRIA and registration
    // drop out, and are kept with what was entered, marked.
    let (_, uc) = team.get(&format!("/api/v1/usecases/{id}")).await;
    let (code, v) = team
        .send(
            Method::POST,
            &format!("/api/v1/usecases/{id}/classification"),
            json!({"answers": common::high_risk_answers("infrastruktur"), "version": uc["version"]}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let (_, list) = team.get(&list_path).await;
    let fria = duty(&list, "art-27");
    assert_eq!(fria["current"], false, "{list}");
    assert_eq!(fria["owner"]["name"], "Sam Sachbearbeitung");
    assert!(fria["evidence_file"].is_object(), "evidence is never lost");
    assert_eq!(duty(&list, "art-4")["current"], true);
    let due = portal::usecases::duties::overdue_reminders(&server.state, &today)
        .await
        .unwrap();
    assert!(due.is_empty(), "a dropped duty is not reminded: {due:?}");
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_high_risk_use_case_has_its_duties_tracked_to_evidence_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_high_risk_use_case_has_its_duties_tracked_to_evidence_on_postgres() {
    story(Backend::Postgres).await;
}
