//! The use-case story, run unchanged on SQLite and on PostgreSQL: a staff
//! member submits an idea → the project team fills in the canvas, classifies
//! it under the EU AI Act one question at a time, moves it on (seeing what
//! blocks), adopts one from the library and publishes it in the AI register;
//! the JSON API does the same with optimistic concurrency.

mod common;

use std::collections::BTreeMap;

use common::{extract_between, fresh_database_url, login, spawn, Backend, Browser, PASSWORD};
use journey::access::Role;
use journey::profile::{Department, Profile};
use journey::usecase::ai_act::{DecisionTree, RiskClass};
use journey::usecase::library::Library;
use store::users::NewUser;
use store::{Actor, Store};

fn use_case_id(location: &str) -> String {
    location
        .trim_start_matches("/anwendungsfaelle/")
        .split(['?', '#'])
        .next()
        .unwrap()
        .to_string()
}

/// Answers the wizard with `answers` until the conclusion is shown.
async fn classify(b: &mut Browser, id: &str, answers: &BTreeMap<String, String>) -> String {
    let path = format!("/anwendungsfaelle/{id}/einstufung");
    let mut p = b.get(&path).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let mut given: Vec<(String, String)> = Vec::new();
    for _ in 0..40 {
        if p.body.contains("Einstufung speichern") {
            return p.body;
        }
        let current = extract_between(&p.body, "name=\"current\" value=\"", "\"")
            .expect("a question is shown");
        let answer = answers
            .get(&current)
            .unwrap_or_else(|| panic!("no answer for {current}"));
        given.push((format!("a.{current}"), answer.clone()));
        let mut fields: Vec<(&str, &str)> = given
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        fields.push(("current", &current));
        p = b.post(&path, &fields).await;
        assert_eq!(p.status, 200, "{}", p.body);
    }
    panic!("the wizard did not conclude");
}

async fn story(backend: Backend) {
    let url = fresh_database_url(backend).await;
    let store = Store::connect(&url).await.expect("store");
    let hash = portal::auth::password::hash_blocking(PASSWORD).unwrap();
    let user = |email: &str, name: &str, role| NewUser {
        email: email.into(),
        name: name.into(),
        role,
        department: Some("Bürgerservice".into()),
        password_hash: Some(hash.clone()),
    };
    store
        .complete_setup(
            &user("ada@musterstadt.de", "Ada Admin", Role::Admin),
            &Profile {
                name: "Stadt Musterstadt".into(),
                ags: "15002000".into(),
                staff_count: 500,
                departments: vec![
                    Department {
                        name: "Bürgerservice".into(),
                        staff_count: 100,
                    },
                    Department {
                        name: "Bauamt".into(),
                        staff_count: 50,
                    },
                ],
                ..Profile::default()
            },
        )
        .await
        .unwrap();
    for (email, name, role) in [
        ("pia@musterstadt.de", "Pia Projekt", Role::ProjectTeam),
        ("sam@musterstadt.de", "Sam Sachbearbeitung", Role::Staff),
        ("vera@musterstadt.de", "Vera Lesend", Role::Viewer),
    ] {
        store
            .create_user(&Actor::system(), &user(email, name, role))
            .await
            .unwrap();
    }
    let server = spawn(store).await;
    let base = server.base.clone();
    let tree = DecisionTree::shipped().unwrap();
    let library = Library::shipped().unwrap();

    // A staff member submits an idea; a missing title is named next to its
    // field and the rest of the input is kept.
    let mut sam = login(&base, "sam@musterstadt.de").await;
    let p = sam.get("/").await;
    assert!(p.body.contains("href=\"/anwendungsfaelle\""));
    let p = sam.get("/anwendungsfaelle/neu").await;
    assert_eq!(p.status, 200);
    let idea = [
        ("title", "Antworten auf Bürgeranfragen vorschlagen"),
        (
            "problem",
            "Viele gleichartige Anfragen per E-Mail binden Zeit.",
        ),
        ("volume", "ca. 12.000 Anfragen pro Jahr"),
        ("cases_per_year", "12000"),
        ("department", "Bürgerservice"),
    ];
    let p = sam
        .post("/anwendungsfaelle/neu", &[("title", ""), idea[1], idea[4]])
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("id=\"title-error\""));
    assert!(p.body.contains("Viele gleichartige Anfragen"));
    let p = sam.post("/anwendungsfaelle/neu", &idea).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let location = p.location.unwrap();
    let id = use_case_id(&location);
    let p = sam.get(&location).await;
    assert!(p.body.contains("Vielen Dank"));
    assert!(!p.body.contains("Canvas speichern"), "staff do not assess");
    let p = sam
        .post(&format!("/anwendungsfaelle/{id}/canvas"), &[("goal", "x")])
        .await;
    assert_eq!(p.status, 403);

    // Viewers read but do not submit.
    let mut vera = login(&base, "vera@musterstadt.de").await;
    assert_eq!(vera.get("/anwendungsfaelle").await.status, 200);
    assert_eq!(vera.get("/anwendungsfaelle/neu").await.status, 403);

    // The project team sees what blocks the assessment, in German.
    let mut pia = login(&base, "pia@musterstadt.de").await;
    let detail = format!("/anwendungsfaelle/{id}");
    let p = pia.get(&detail).await;
    assert!(p.body.contains("Noch offen: im Canvas fehlen"));
    let p = pia
        .post(
            &format!("{detail}/status"),
            &[("to", "assessed"), ("version", "1")],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p
        .body
        .contains("die Einstufung nach der KI-Verordnung fehlt"));

    // The canvas: a bad number is named, then a complete canvas is saved.
    let canvas = [
        ("goal", "Antwortentwürfe für Standardanfragen"),
        ("users", "Bürgerservice"),
        ("source_name_0", "Wissensdatenbank Bürgerservice"),
        ("source_class_0", "internal"),
        ("ai_kind", "generative_text"),
        ("human_oversight", "every_result"),
        ("integration_kind", "manual_transfer"),
        ("integration_procedure", "E-Mail"),
        ("hours_saved_per_year", "900"),
        ("quality", "4"),
        ("citizen_service", "5"),
        ("data_availability", "4"),
        ("technical_maturity", "4"),
        ("effort", "2"),
        ("cost", "2"),
        ("risk_description_0", "Falsche Auskunft"),
        ("risk_likelihood_0", "2"),
        ("risk_impact_0", "3"),
        ("risk_mitigation_0", "Jede Antwort wird geprüft"),
    ];
    let mut bad = canvas.to_vec();
    bad.push(("version", "1"));
    bad[8] = ("hours_saved_per_year", "viele");
    let p = pia.post(&format!("{detail}/canvas"), &bad).await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("id=\"hours_saved_per_year-error\""));
    assert!(
        p.body.contains("Wissensdatenbank Bürgerservice"),
        "input kept"
    );
    let mut good = canvas.to_vec();
    good.push(("version", "1"));
    let p = pia.post(&format!("{detail}/canvas"), &good).await;
    assert_eq!(p.status, 303, "{}", p.body);
    // Someone who still holds version 1 gets a conflict, input kept.
    let p = pia.post(&format!("{detail}/canvas"), &good).await;
    assert_eq!(p.status, 409);
    assert!(p.body.contains("Antwortentwürfe für Standardanfragen"));

    // Classification, one question at a time; an empty answer is named.
    let chatbot = library
        .entries
        .iter()
        .find(|e| {
            tree.conclusion(&e.classification.expected)
                .is_some_and(|c| c.risk == RiskClass::Transparency)
        })
        .expect("the library has a use case with transparency duties");
    let p = pia.get(&format!("{detail}/einstufung")).await;
    let first = extract_between(&p.body, "name=\"current\" value=\"", "\"").unwrap();
    let p = pia
        .post(&format!("{detail}/einstufung"), &[("current", &first)])
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("Bitte wählen Sie eine Antwort."));
    let result = classify(&mut pia, &id, &chatbot.classification.answers).await;
    assert!(result.contains("Art. 50"), "obligations with articles");
    let mut save: Vec<(String, String)> = tree
        .classify(&chatbot.classification.answers)
        .unwrap()
        .answers
        .into_iter()
        .map(|(q, a)| (format!("a.{q}"), a))
        .collect();
    save.push(("save".into(), "1".into()));
    save.push(("version".into(), "2".into()));
    let fields: Vec<(&str, &str)> = save.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let p = pia.post(&format!("{detail}/einstufung"), &fields).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = pia.get(&detail).await;
    assert!(p.body.contains("Transparenzpflichten"));
    // The given answers in the order the wizard asked them.
    let walked = tree.walk(&chatbot.classification.answers).unwrap();
    let given = &p.body[p.body.find("Gegebene Antworten").unwrap()..];
    let positions: Vec<usize> = walked
        .path
        .iter()
        .map(|step| {
            // The start of the question, before anything HTML escapes.
            let plain: String = step
                .question
                .text
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == ' ')
                .collect();
            given
                .find(&format!("<li>{plain}"))
                .unwrap_or_else(|| panic!("{} fehlt:\n{given}", step.question.id))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");

    // Now it can move on; the list ranks it in the matrix.
    let p = pia
        .post(
            &format!("{detail}/status"),
            &[("to", "assessed"), ("version", "3")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = pia.get("/anwendungsfaelle").await;
    assert!(p.body.contains("<svg") && p.body.contains("<caption>Rangfolge"));
    assert!(p.body.contains("Antworten auf Bürgeranfragen vorschlagen"));

    // The library: adopt a use case as a starting point.
    let p = pia.get("/anwendungsfaelle/bibliothek").await;
    assert_eq!(p.status, 200);
    let entry = &library.entries[0];
    let p = pia
        .post(&format!("/anwendungsfaelle/bibliothek/{}", entry.id), &[])
        .await;
    assert_eq!(p.status, 303);
    let p = pia.get(&p.location.unwrap()).await;
    assert!(p.body.contains("aus der Bibliothek übernommen"));

    // The register: published with the contact kept internal.
    let p = pia
        .post(
            &format!("{detail}/register"),
            &[
                ("reg_name", "KI-Antwortentwürfe im Bürgerservice"),
                (
                    "reg_description",
                    "Eine KI schlägt Antworten vor; Beschäftigte prüfen jede.",
                ),
                ("reg_contact", "Geheim-Kontakt ki@musterstadt.de"),
                ("reg_internal", "contact"),
                ("reg_published", "1"),
                ("version", "4"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let mut anonymous = Browser::new(&base);
    let p = anonymous.get("/ki-register").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("KI-Antwortentwürfe im Bürgerservice"));
    assert!(!p.body.contains("Geheim-Kontakt"));
    let page = p.body;
    let p = anonymous.get("/anwendungsfaelle/register.json").await;
    let doc: serde_json::Value = serde_json::from_str(&p.body).unwrap();
    assert_eq!(doc["entries"].as_array().unwrap().len(), 1);
    assert!(doc["entries"][0].get("contact").is_none());
    assert_eq!(doc["entries"][0]["status"], "Bewertet");
    let p = anonymous.get("/anwendungsfaelle/register.csv").await;
    assert!(
        p.body.starts_with("\u{feff}id;"),
        "BOM and semicolons for German spreadsheets"
    );
    assert!(p.body.contains("KI-Antwortentwürfe im Bürgerservice"));
    assert!(!p.body.contains("Geheim-Kontakt"));
    // The AI Act duties the public page lists (the chatbot's transparency
    // duty among them) travel in both files, title and status only.
    let duties = doc["entries"][0]["duties"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!duties.is_empty(), "{doc}");
    for d in &duties {
        let title = d["title"].as_str().unwrap();
        assert!(page.contains(title), "the page lists „{title}“ too");
        assert_eq!(d["status"], "offen", "{d}");
        assert_eq!(
            d.as_object().unwrap().len(),
            2,
            "title and status only: {d}"
        );
        assert!(p.body.contains(&format!("{title}: offen")), "{}", p.body);
    }

    // Personal data: approval waits for the threshold analysis.
    let version = |body: &str| extract_between(body, "name=\"version\" value=\"", "\"").unwrap();
    let v = version(&pia.get(&detail).await.body);
    let mut personal = canvas.to_vec();
    personal[3] = ("source_class_0", "personal");
    personal.push(("version", &v));
    let p = pia.post(&format!("{detail}/canvas"), &personal).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let v = version(&pia.get(&detail).await.body);
    let p = pia
        .post(
            &format!("{detail}/status"),
            &[("to", "approved"), ("version", &v)],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(
        p.body.contains("Schwellwertanalyse zum Datenschutz fehlt"),
        "{}",
        p.body
    );
    let p = pia.get(&format!("{detail}/datenschutz")).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Vorschlag aus dem Canvas"));
    assert!(
        p.body.contains("nur lokal"),
        "the policy says where personal data may go"
    );
    let questions: Vec<String> = p
        .body
        .split("name=\"q.")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(questions.len() >= 3, "{questions:?}");
    let v = version(&p.body);
    // Only one answer of many: refused, nothing stored.
    let partial_key = format!("q.{}", questions[1]);
    let p = pia
        .post(
            &format!("{detail}/datenschutz"),
            &[(partial_key.as_str(), "ja"), ("version", &v)],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("unvollständig"));
    let mut answers: Vec<(String, String)> = questions
        .iter()
        .map(|q| (format!("q.{q}"), "ja".to_string()))
        .collect();
    answers.push(("version".into(), v.clone()));
    let fields: Vec<(&str, &str)> = answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let p = pia.post(&format!("{detail}/datenschutz"), &fields).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = pia.get(&format!("{detail}/datenschutz")).await;
    assert!(
        p.body
            .contains("Datenschutz-Folgenabschätzung (Art. 35 DSGVO) ist erforderlich"),
        "{}",
        p.body
    );
    let v = version(&pia.get(&detail).await.body);
    let p = pia
        .post(
            &format!("{detail}/status"),
            &[("to", "approved"), ("version", &v)],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);

    // The pilot: a plan with a goal metric, then the measured value and the
    // decision; each status step checks what it needs.
    let v = version(&pia.get(&detail).await.body);
    let p = pia
        .post(
            &format!("{detail}/status"),
            &[("to", "pilot"), ("version", &v)],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("Pilotplan"));
    let pilot = |measured: &'static str, decision: &'static str, v: String| {
        vec![
            ("goal", "Antwortzeit halbieren".to_string()),
            ("start", "2026-01-05".to_string()),
            ("end", "2026-03-31".to_string()),
            ("participants", "6 Sachbearbeitende".to_string()),
            ("model", "SmolLM2".to_string()),
            ("backend", "lokal".to_string()),
            ("m0.name", "Bearbeitungszeit".to_string()),
            ("m0.unit", "Minuten".to_string()),
            ("m0.baseline", "20".to_string()),
            ("m0.target", "10".to_string()),
            ("m0.measured", measured.to_string()),
            ("feedback", "Spart Zeit\nManchmal zu förmlich".to_string()),
            ("decision", decision.to_string()),
            (
                "decision_reason",
                if decision.is_empty() {
                    String::new()
                } else {
                    "Ziel erreicht".to_string()
                },
            ),
            ("version", v),
        ]
    };
    let v = version(&pia.get(&format!("{detail}/pilot")).await.body);
    let mut bad = pilot("", "", v.clone());
    bad[8].1 = "zwanzig".into();
    let fields: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = pia.post(&format!("{detail}/pilot"), &fields).await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("id=\"m0.baseline-error\""), "{}", p.body);
    assert!(p.body.contains("Antwortzeit halbieren"), "input kept");
    let good = pilot("", "", v);
    let fields: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        pia.post(&format!("{detail}/pilot"), &fields).await.status,
        303
    );
    let v = version(&pia.get(&detail).await.body);
    let p = pia
        .post(
            &format!("{detail}/status"),
            &[("to", "pilot"), ("version", &v)],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let v = version(&pia.get(&format!("{detail}/pilot")).await.body);
    let done = pilot("8", "operate", v);
    let fields: Vec<(&str, &str)> = done.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        pia.post(&format!("{detail}/pilot"), &fields).await.status,
        303
    );
    let p = pia.get(&format!("{detail}/pilot")).await;
    assert!(
        p.body.contains("1 erreicht, 0 nicht erreicht"),
        "{}",
        p.body
    );
    for to in ["evaluated", "operating"] {
        let v = version(&pia.get(&detail).await.body);
        let p = pia
            .post(&format!("{detail}/status"), &[("to", to), ("version", &v)])
            .await;
        assert_eq!(p.status, 303, "{to}: {}", p.body);
    }

    // The board shows it in operation; everyone may look.
    let p = vera.get("/anwendungsfaelle/tafel").await;
    assert_eq!(p.status, 200);
    let operating = &p.body[p.body.find("Im Betrieb").unwrap()..];
    assert!(operating.contains("Antworten auf Bürgeranfragen vorschlagen"));

    // One-pager and exchange file; the exchange file imports elsewhere with
    // its classification, as an idea.
    let odt = pia
        .client
        .get(format!("{base}{detail}/export/odt"))
        .send()
        .await
        .unwrap();
    assert_eq!(odt.status(), 200);
    assert_eq!(&odt.bytes().await.unwrap()[..2], b"PK");
    let md = pia.get(&format!("{detail}/export/md")).await;
    assert!(md
        .body
        .contains("# Antworten auf Bürgeranfragen vorschlagen"));
    assert!(md.body.contains("Art. 50"));
    // German dates and numbers, as a reader writes them.
    assert!(
        md.body.contains("(05.01.2026 bis 31.03.2026)"),
        "{}",
        md.body
    );
    assert!(
        md.body
            .contains("| Bearbeitungszeit | 20 Minuten | 10 Minuten | 8 Minuten | ja |"),
        "{}",
        md.body
    );
    let json = pia.get(&format!("{detail}/export/json")).await.body;
    let p = pia
        .post(
            "/anwendungsfaelle/import",
            &[("json", "{kaputt"), ("from", "Stadt Halle (Saale)")],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("nicht importiert"));
    let p = pia
        .post(
            "/anwendungsfaelle/import",
            &[("json", &json), ("from", "Stadt Halle (Saale)")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let imported = pia.get(&p.location.unwrap()).await;
    assert!(
        imported.body.contains("Stadt Halle (Saale)"),
        "origin shown"
    );
    assert!(
        imported.body.contains("Transparenzpflichten"),
        "classification kept"
    );

    // A free text of the survey becomes an idea with one click.
    let survey = common::default_survey(&server.store).await;
    pia.get("/anwendungsfaelle").await;
    let p = pia
        .post(
            &format!("/umfrage/{}/ideen", survey.id),
            &[(
                "text",
                "Sitzungsprotokolle automatisch zusammenfassen. Das spart Stunden.",
            )],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let idea = pia.get(&p.location.unwrap()).await;
    assert!(idea
        .body
        .contains("Sitzungsprotokolle automatisch zusammenfassen"));
    assert_eq!(
        sam.post(&format!("/umfrage/{}/ideen", survey.id), &[("text", "x")])
            .await
            .status,
        403
    );

    // The criteria: a word instead of a number is named; a valid change
    // applies to the ranking until the shipped criteria are restored.
    let p = pia.get("/anwendungsfaelle/kriterien").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("mitgelieferten Kriterien"));
    let p = pia
        .post(
            "/anwendungsfaelle/kriterien",
            &[
                ("benefit", "viel"),
                ("feasibility", "1"),
                ("hours0", "100"),
                ("hours1", "250"),
                ("hours2", "500"),
                ("hours3", "1000"),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("id=\"benefit-error\""));
    let form = pia.get("/anwendungsfaelle/kriterien").await.body;
    let mut fields: Vec<(String, String)> = Vec::new();
    for chunk in form.split("name=\"").skip(1) {
        let name = &chunk[..chunk.find('"').unwrap()];
        if name.starts_with("w.") || name.starts_with("hours") {
            let value = extract_between(chunk, "value=\"", "\"").unwrap();
            fields.push((name.to_string(), value));
        }
    }
    let mut zero = fields.clone();
    zero.push(("benefit".into(), "0".into()));
    zero.push(("feasibility".into(), "0".into()));
    let refs: Vec<(&str, &str)> = zero.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let p = pia.post("/anwendungsfaelle/kriterien", &refs).await;
    assert_eq!(p.status, 422, "both dimensions without weight cannot rank");
    assert!(p.body.contains("passen nicht zusammen"), "{}", p.body);
    fields.push(("benefit".into(), "3".into()));
    fields.push(("feasibility".into(), "1".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let p = pia.post("/anwendungsfaelle/kriterien", &refs).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert!(pia
        .get("/anwendungsfaelle/kriterien")
        .await
        .body
        .contains("angepassten Kriterien"));
    let p = pia
        .post("/anwendungsfaelle/kriterien", &[("reset", "1")])
        .await;
    assert_eq!(p.status, 303);
    assert!(pia
        .get("/anwendungsfaelle/kriterien")
        .await
        .body
        .contains("mitgelieferten Kriterien"));
    assert_eq!(sam.get("/anwendungsfaelle/kriterien").await.status, 403);

    // The JSON API: list, create, conflict on a stale version, classify.
    let api = |b: &Browser, method: reqwest::Method, path: &str| {
        b.client
            .request(method, format!("{base}{path}"))
            .header("x-csrf-token", &b.csrf)
    };
    let list: serde_json::Value = api(&pia, reqwest::Method::GET, "/api/v1/usecases")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        4,
        "the idea, one from the library, one imported, one from the survey"
    );
    let r = api(&sam, reqwest::Method::POST, "/api/v1/usecases")
        .json(&serde_json::json!({"title": "Bauanträge vorprüfen", "problem": "Unvollständige Anträge", "department": "Bauamt"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: serde_json::Value = r.json().await.unwrap();
    let new_id = created["id"].as_str().unwrap().to_string();
    let r = api(
        &pia,
        reqwest::Method::PUT,
        &format!("/api/v1/usecases/{new_id}/canvas"),
    )
    .json(&serde_json::json!({"canvas": {"goal": "Vollständigkeit prüfen"}, "version": 7}))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 409);
    let r = api(
        &pia,
        reqwest::Method::PUT,
        &format!("/api/v1/usecases/{new_id}/canvas"),
    )
    .json(&serde_json::json!({"canvas": {"goal": "Vollständigkeit prüfen"}, "version": 1}))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let r = api(
        &pia,
        reqwest::Method::POST,
        &format!("/api/v1/usecases/{new_id}/classification"),
    )
    .json(&serde_json::json!({"answers": {}, "version": 2}))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    let err: serde_json::Value = r.json().await.unwrap();
    assert_eq!(err["error"]["field"], "answers");
    let r = api(
        &pia,
        reqwest::Method::POST,
        &format!("/api/v1/usecases/{new_id}/classification"),
    )
    .json(&serde_json::json!({"answers": chatbot.classification.answers, "version": 2}))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let got: serde_json::Value = r.json().await.unwrap();
    assert_eq!(got["use_case"]["classification"]["risk"], "transparency");
    let r = api(
        &sam,
        reqwest::Method::PUT,
        &format!("/api/v1/usecases/{new_id}/canvas"),
    )
    .json(&serde_json::json!({"canvas": {}, "version": 3}))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 403, "staff do not assess via the API either");

    // Every change is in the audit log, with names but no texts.
    let mut ada = login(&base, "ada@musterstadt.de").await;
    let p = ada.get("/protokoll").await;
    for action in [
        "Anwendungsfall angelegt",
        "Anwendungsfall geändert",
        "Eingestuft:",
        "Status: Idee → Bewertet",
        "Registereintrag gespeichert",
    ] {
        assert!(p.body.contains(action), "audit log lacks {action}");
    }
    assert!(!p.body.contains("Viele gleichartige Anfragen"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_use_case_story_runs_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_use_case_story_runs_on_postgres() {
    story(Backend::Postgres).await;
}

/// A fresh portal of Stadt Musterstadt with its administrator logged in.
async fn administrator() -> (common::TestServer, Browser) {
    let url = fresh_database_url(Backend::Sqlite).await;
    let store = Store::connect(&url).await.expect("store");
    let hash = portal::auth::password::hash_blocking(PASSWORD).unwrap();
    store
        .complete_setup(
            &NewUser {
                email: "ada@musterstadt.de".into(),
                name: "Ada Admin".into(),
                role: Role::Admin,
                department: None,
                password_hash: Some(hash),
            },
            &Profile {
                name: "Stadt Musterstadt".into(),
                ags: "15002000".into(),
                staff_count: 50,
                ..Profile::default()
            },
        )
        .await
        .unwrap();
    let server = spawn(store).await;
    let ada = login(&server.base, "ada@musterstadt.de").await;
    (server, ada)
}

/// Submits an idea titled `title`; returns its id.
async fn new_idea(b: &mut Browser, title: &str) -> String {
    b.get("/anwendungsfaelle/neu").await;
    let p = b
        .post(
            "/anwendungsfaelle/neu",
            &[("title", title), ("problem", "Viel Handarbeit")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    use_case_id(&p.location.unwrap())
}

/// 18.4: a prohibited practice leaves the ranking but never the page, even
/// while no other use case is ranked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prohibited_use_case_is_listed_even_when_nothing_is_ranked() {
    let (_server, mut ada) = administrator().await;
    let id = new_idea(&mut ada, "Bürgerinnen nach Verhalten punkten").await;
    let mut answers: BTreeMap<String, String> = [
        ("ki-system", "ja"),
        ("rolle", "betreiber"),
        ("gpai", "nein"),
        ("verboten-vorpruefung", "ja"),
        ("art-5-1-a", "nein"),
        ("art-5-1-b", "nein"),
        ("art-5-1-c", "ja"),
    ]
    .iter()
    .map(|(q, a)| ((*q).to_owned(), (*a).to_owned()))
    .collect();
    let result = DecisionTree::shipped().unwrap().classify(&answers).unwrap();
    assert_eq!(result.risk, RiskClass::Prohibited);
    answers = result.answers;
    let mut fields: Vec<(String, String)> = answers
        .into_iter()
        .map(|(q, a)| (format!("a.{q}"), a))
        .collect();
    fields.push(("save".into(), "1".into()));
    fields.push(("version".into(), "1".into()));
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let p = ada
        .post(&format!("/anwendungsfaelle/{id}/einstufung"), &fields)
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = ada.get("/anwendungsfaelle").await;
    assert!(p
        .body
        .contains("Noch kein Anwendungsfall hat einen vollständig bewerteten Canvas"));
    let listed = extract_between(
        &p.body,
        "Nicht in der Rangfolge: verbotene Praktiken",
        "</ul>",
    )
    .unwrap_or_else(|| panic!("the prohibited case is not listed: {}", p.body));
    assert!(
        listed.contains("Bürgerinnen nach Verhalten punkten"),
        "{listed}"
    );
    assert!(listed.contains("Art. 5 Abs. 1 Buchst. c"), "{listed}");
}

/// 18.13: the public register speaks for the municipality (its name in the
/// header, its Impressum and privacy links, the date of the last change)
/// and carries the fields of the Dutch and Helsinki registers, on the page,
/// in CSV and in JSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_register_shows_the_municipality_its_links_its_date_and_the_new_fields() {
    let (server, mut ada) = administrator().await;
    let id = new_idea(&mut ada, "Chatbot für Bürgerfragen").await;
    ada.get("/profil").await;
    let p = ada
        .post(
            "/profil/oeffentlich",
            &[("imprint_url", "javascript:alert(1)"), ("privacy_url", "")],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("imprint_url-error") && p.body.contains("javascript:alert(1)"));
    let p = ada
        .post(
            "/profil/oeffentlich",
            &[
                ("imprint_url", "https://www.musterstadt.de/impressum"),
                ("privacy_url", "https://www.musterstadt.de/datenschutz"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let detail = format!("/anwendungsfaelle/{id}");
    let p = ada.get(&detail).await;
    for label in [
        "Rechtsgrundlage",
        "Widerspruch und Beschwerde",
        "Weitere Informationen und Quellcode",
    ] {
        assert!(p.body.contains(label), "the form asks for {label}");
    }
    let version = extract_between(&p.body, "name=\"version\" value=\"", "\"").unwrap();
    let mut form = vec![
        ("version", version.as_str()),
        ("reg_name", "Chatbot für Bürgerfragen"),
        ("reg_description", "Beantwortet häufige Fragen."),
        ("reg_published", "1"),
        ("reg_legal_basis", "§ 3 EGovG Musterland"),
        (
            "reg_dpia",
            "durchgeführt, Bericht: https://www.musterstadt.de/dsfa-chatbot.pdf",
        ),
        ("reg_fria", "nicht erforderlich"),
        ("reg_supplier", "Firma Beispiel GmbH"),
        (
            "reg_risks",
            "Falsche Auskünfte; Gegenmaßnahme: Quellenangabe",
        ),
        ("reg_non_discrimination", "Stichprobe je Quartal"),
        ("reg_objection", "Beschwerde an buergeramt@musterstadt.de"),
        ("reg_start_date", "bald"),
        ("reg_end_date", ""),
        ("reg_monitoring", "monatliche Auswertung"),
        ("reg_links", "https://code.musterstadt.de/chatbot"),
        ("reg_internal", "contact"),
    ];
    let p = ada.post(&format!("{detail}/register"), &form).await;
    assert_eq!(
        p.status, 422,
        "a date that is none is refused beside its field"
    );
    assert!(p.body.contains("reg_start_date-error"), "{}", p.body);
    assert!(p.body.contains("§ 3 EGovG Musterland"), "the input is kept");
    form.retain(|(k, _)| *k != "reg_start_date");
    form.push(("reg_start_date", "14.01.2027"));
    let p = ada.post(&format!("{detail}/register"), &form).await;
    assert_eq!(p.status, 303, "{}", p.body);

    let mut public = Browser::new(&server.base);
    let r = public.get("/ki-register").await;
    assert_eq!(r.status, 200);
    let header = extract_between(&r.body, "<header", "</header>").unwrap();
    assert!(header.contains("Stadt Musterstadt"), "{header}");
    assert!(!header.contains(">ki-reise"), "{header}");
    assert!(
        r.body
            .contains("<title>KI-Register – Stadt Musterstadt</title>"),
        "{}",
        r.body
    );
    assert!(r
        .body
        .contains("href=\"https://www.musterstadt.de/impressum\">Impressum</a>"));
    assert!(r
        .body
        .contains("href=\"https://www.musterstadt.de/datenschutz\">Datenschutz</a>"));
    let today = journey::date::german(&journey::date::today());
    assert!(r.body.contains(&format!("Stand: {today}")), "{}", r.body);
    for text in [
        "Rechtsgrundlage",
        "§ 3 EGovG Musterland",
        "Firma Beispiel GmbH",
        "Im Einsatz seit",
        "14.01.2027",
        "href=\"https://code.musterstadt.de/chatbot\"",
        "href=\"https://www.musterstadt.de/dsfa-chatbot.pdf\"",
        "Stichprobe je Quartal",
    ] {
        assert!(r.body.contains(text), "{text}: {}", r.body);
    }
    let csv = public.get("/anwendungsfaelle/register.csv").await.body;
    let header_line = csv.lines().next().unwrap();
    assert!(
        header_line.ends_with("start_date;end_date;monitoring;links;duties"),
        "{header_line}"
    );
    assert!(csv.contains("§ 3 EGovG Musterland;"), "{csv}");
    assert!(
        csv.contains(";2027-01-14;;monatliche Auswertung;https://code.musterstadt.de/chatbot"),
        "{csv}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&public.get("/anwendungsfaelle/register.json").await.body).unwrap();
    let e = &json["entries"][0];
    assert_eq!(e["legal_basis"], "§ 3 EGovG Musterland");
    assert_eq!(e["start_date"], "2027-01-14");
    assert_eq!(e["links"][0], "https://code.musterstadt.de/chatbot");
}
