//! A use case from idea to operation through the JSON API only, run
//! unchanged on SQLite and on PostgreSQL: a staff member's program submits
//! an idea; the project team's program fills in the canvas, classifies it
//! (high risk), answers the threshold analysis (a DPIA is needed) and the
//! fundamental-rights assessment, plans the pilot, records the measured
//! values, staff feedback and the decision, and moves the status on, each
//! step refused with the field and the reason while something is missing;
//! the board shows it by status throughout.

mod common;

use std::collections::BTreeMap;

use common::{fresh_database_url, spawn, ApiClient, Backend, TestServer};
use journey::access::Role;
use journey::profile::{Department, Profile};
use journey::usecase::ai_act::DecisionTree;
use journey::usecase::canvas::DataClass;
use journey::usecase::library::Library;
use journey::usecase::scoring::Criteria;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use store::users::NewUser;
use store::{Actor, Store};

/// Asserts a 422 that names `field`, and returns its message.
fn refused(answer: &(StatusCode, Value), field: &str) -> String {
    assert_eq!(answer.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.1);
    assert_eq!(answer.1["error"]["field"], field, "{}", answer.1);
    answer.1["error"]["message"].as_str().unwrap().to_string()
}

/// The ids in the board column of `status`.
async fn column(p: &ApiClient, status: &str) -> Vec<String> {
    let (code, board) = p.get("/api/v1/usecases/board").await;
    assert_eq!(code, StatusCode::OK);
    let columns = board.as_array().unwrap();
    assert_eq!(columns.len(), 7, "one column per status");
    columns.iter().find(|c| c["status"] == status).unwrap()["use_cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect()
}

/// A municipality with one department, a project team member and a staff
/// member, each with an API key, on a server of its own.
struct Municipality {
    store: Store,
    server: TestServer,
    team: ApiClient,
    staff: ApiClient,
}

async fn municipality(backend: Backend) -> Municipality {
    let url = fresh_database_url(backend).await;
    let store = Store::connect(&url).await.expect("store");
    let person = |email: &str, name: &str, role| NewUser {
        email: email.into(),
        name: name.into(),
        role,
        department: None,
        password_hash: None,
    };
    store
        .complete_setup(
            &person("ada@musterstadt.de", "Ada Admin", Role::Admin),
            &Profile {
                name: "Stadt Musterstadt".into(),
                ags: "15002000".into(),
                staff_count: 500,
                departments: vec![Department {
                    name: "Personalamt".into(),
                    staff_count: 40,
                }],
                ..Profile::default()
            },
        )
        .await
        .unwrap();
    let pia = store
        .create_user(
            &Actor::system(),
            &person("pia@musterstadt.de", "Pia Projekt", Role::ProjectTeam),
        )
        .await
        .unwrap();
    let sam = store
        .create_user(
            &Actor::system(),
            &person("sam@musterstadt.de", "Sam Sachbearbeitung", Role::Staff),
        )
        .await
        .unwrap();
    let server = spawn(store.clone()).await;
    let team = ApiClient::for_user(&server, &pia).await;
    let staff = ApiClient::for_user(&server, &sam).await;
    Municipality {
        store,
        server,
        team,
        staff,
    }
}

async fn story(backend: Backend) {
    let m = municipality(backend).await;
    let (store, server) = (&m.store, &m.server);
    let (team, staff) = (&m.team, &m.staff);

    // A high-risk use case with personal data from the library.
    let tree = DecisionTree::shipped().unwrap();
    let entry = Library::shipped()
        .unwrap()
        .entries
        .into_iter()
        .find(|e| {
            tree.classify(&e.classification.answers)
                .unwrap()
                .fria_required
                && e.canvas
                    .highest_data_class()
                    .is_some_and(DataClass::is_personal)
        })
        .expect("the library has a high-risk use case with personal data");

    let entry_answers = entry.classification.answers.clone();

    // The idea, on the board.
    let (code, created) = staff
        .send(Method::POST,
            "/api/v1/usecases",
            json!({"title": entry.intake.title, "problem": entry.intake.problem, "department": "Personalamt"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/usecases/{id}");
    assert_eq!(column(team, "idea").await, vec![id.clone()]);
    assert!(column(team, "pilot").await.is_empty());

    // Status changes say what is missing, by field.
    let status = format!("{path}/status");
    let message = refused(
        &team
            .send(
                Method::POST,
                &status,
                json!({"to": "approved", "version": 1}),
            )
            .await,
        "to",
    );
    assert!(message.contains("Idee"), "{message}");
    refused(
        &team
            .send(
                Method::POST,
                &status,
                json!({"to": "erledigt", "version": 1}),
            )
            .await,
        "to",
    );
    let message = refused(
        &team
            .send(
                Method::POST,
                &status,
                json!({"to": "assessed", "version": 1}),
            )
            .await,
        "to",
    );
    assert!(
        message.contains("Canvas") && message.contains("Einstufung"),
        "{message}"
    );
    refused(
        &team
            .send(
                Method::POST,
                &status,
                json!({"to": "stopped", "version": 1}),
            )
            .await,
        "reason",
    );
    let (code, _) = team
        .send(Method::POST, &status, json!({"version": 1}))
        .await;
    assert_eq!(
        code,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a missing field is refused"
    );
    let (code, _) = staff
        .send(
            Method::POST,
            &status,
            json!({"to": "assessed", "version": 1}),
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN, "staff do not move use cases");

    // Canvas and classification, then assessed.
    let (code, v) = team
        .send(
            Method::PUT,
            &format!("{path}/canvas"),
            json!({"canvas": entry.canvas, "version": 1}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let (code, v) = team
        .send(
            Method::POST,
            &format!("{path}/classification"),
            json!({"answers": entry.classification.answers, "version": 2}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["use_case"]["classification"]["fria_required"], true);
    let (code, v) = team
        .send(
            Method::POST,
            &status,
            json!({"to": "assessed", "version": 3}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["use_case"]["status"], "assessed");
    assert_eq!(column(team, "assessed").await, vec![id.clone()]);

    // Approval needs the threshold analysis: personal data is processed.
    let message = refused(
        &team
            .send(
                Method::POST,
                &status,
                json!({"to": "approved", "version": 4}),
            )
            .await,
        "to",
    );
    assert!(message.contains("Schwellwertanalyse"), "{message}");

    // Data protection: what the canvas suggests, then the team's answers.
    let dp = format!("{path}/data-protection");
    let (code, shown) = team.get(&dp).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(shown["version"], 4);
    assert!(shown["decision"].is_null());
    assert!(shown["fria_required"].as_bool().unwrap());
    assert_eq!(
        shown["fria"].as_array().unwrap().len(),
        6,
        "Art. 27 has six elements"
    );
    assert_eq!(shown["fria_missing"].as_array().unwrap().len(), 6);
    assert!(matches!(
        shown["data_class"].as_str(),
        Some("personal" | "special_categories")
    ));
    assert!(
        shown["allowed_backends"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b == "local"),
        "personal data may stay on the municipality's own hardware: {shown}"
    );
    let questions = shown["questions"].as_array().unwrap();
    let personal = questions
        .iter()
        .find(|q| q["id"] == "personenbezug")
        .unwrap();
    assert_eq!(personal["kind"], "gate");
    assert_eq!(personal["suggested"], true);
    assert!(personal["answer"].is_null());
    let mut answers = serde_json::Map::new();
    for q in questions {
        let id = q["id"].as_str().unwrap();
        let yes = matches!(
            id,
            "personenbezug" | "neue-technologie" | "bewerten-einstufen"
        );
        answers.insert(id.to_string(), json!(yes));
    }
    let sections: Vec<String> = shown["fria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    refused(
        &team
            .send(
                Method::PUT,
                &dp,
                json!({"threshold_answers": {"erfunden": true}, "version": 4}),
            )
            .await,
        "threshold_answers.erfunden",
    );
    let message = refused(
        &team
            .send(
                Method::PUT,
                &dp,
                json!({"threshold_answers": {"personenbezug": true}, "version": 4}),
            )
            .await,
        "threshold_answers",
    );
    assert!(
        message.contains("neue-technologie"),
        "the open questions are named: {message}"
    );
    refused(
        &team
            .send(
                Method::PUT,
                &dp,
                json!({"fria": {"erfunden": "x"}, "version": 4}),
            )
            .await,
        "fria.erfunden",
    );
    refused(
        &team
            .send(
                Method::PUT,
                &dp,
                json!({"fria": {sections[0].clone(): "x".repeat(10_001)}, "version": 4}),
            )
            .await,
        &format!("fria.{}", sections[0]),
    );
    let (code, _) = team
        .send(
            Method::PUT,
            &dp,
            json!({"threshold_answers": answers, "version": 3}),
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "a stale version");
    let (code, saved) = team
        .send(
            Method::PUT,
            &dp,
            json!({"threshold_answers": answers, "version": 4}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{saved}");
    assert_eq!(saved["decision"]["required"], true, "{saved}");
    assert_eq!(saved["decision"]["basis"], "criteria");
    assert_eq!(saved["decision"]["criteria_met"], 2);
    assert!(saved["unanswered"].as_array().unwrap().is_empty());
    // High risk: no approval without the complete fundamental-rights
    // assessment and the DPIA the analysis demands; the 422 names both.
    let message = refused(
        &team
            .send(
                Method::POST,
                &status,
                json!({"to": "approved", "version": 5}),
            )
            .await,
        "to",
    );
    assert!(
        message.contains("Grundrechte-Folgenabschätzung (Art. 27 KI-VO) ist nicht vollständig")
            && message.contains("Datenschutz-Folgenabschätzung (Art. 35 DSGVO) fehlt"),
        "{message}"
    );
    refused(
        &team
            .send(
                Method::PUT,
                &dp,
                json!({"threshold_answers": answers, "dpia": {"completed_on": "1.2.2026", "reference": "DSB-7"}, "version": 5}),
            )
            .await,
        "dpia.completed_on",
    );
    let fria: serde_json::Map<String, Value> = sections
        .iter()
        .map(|s| {
            (
                s.clone(),
                json!(format!("Abschnitt {s}: beschrieben und abgestimmt.")),
            )
        })
        .collect();
    let (code, saved) = team
        .send(
            Method::PUT,
            &dp,
            json!({"threshold_answers": answers, "fria": fria,
                   "dpia": {"completed_on": "2026-02-01", "reference": "DSB-2026-07"}, "version": 5}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{saved}");
    assert!(saved["fria_missing"].as_array().unwrap().is_empty());
    assert_eq!(saved["dpia"]["reference"], "DSB-2026-07");
    let (code, v) = team
        .send(
            Method::POST,
            &status,
            json!({"to": "approved", "version": 6}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");

    // The pilot: wrong input by field, an incomplete plan is kept.
    let pilot = format!("{path}/pilot");
    let (code, shown) = team.get(&pilot).await;
    assert_eq!(code, StatusCode::OK);
    assert!(shown["pilot"].is_null());
    assert!(!shown["plan_problems"].as_array().unwrap().is_empty());
    let message = refused(
        &team
            .send(Method::POST, &status, json!({"to": "pilot", "version": 7}))
            .await,
        "to",
    );
    assert!(message.contains("Pilotplan"), "{message}");
    refused(
        &team
            .send(
                Method::PUT,
                &pilot,
                json!({"pilot": {"goal": "x", "start": "1.3.2026"}, "version": 7}),
            )
            .await,
        "pilot.start",
    );
    refused(
        &team
            .send(Method::PUT,
                &pilot,
                json!({"pilot": {"goal": "x", "metrics": [{"name": " ", "baseline": 1, "target": 2}]}, "version": 7}),
            )
            .await,
        "pilot.metrics[0].name",
    );
    refused(
        &team
            .send(Method::PUT, &pilot, json!({"pilot": {"goal": "x", "decision": {"kind": "operate", "reason": ""}}, "version": 7}))
            .await,
        "pilot.decision.reason",
    );
    let (code, _) = team
        .send(
            Method::PUT,
            &pilot,
            json!({"pilot": {"goal": "x", "dauer": 3}, "version": 7}),
        )
        .await;
    assert_eq!(
        code,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused"
    );
    let (code, draft) = team
        .send(
            Method::PUT,
            &pilot,
            json!({"pilot": {"goal": "Vorauswahl beschleunigen"}, "version": 7}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "an unfinished plan is kept: {draft}");
    assert!(!draft["plan_problems"].as_array().unwrap().is_empty());
    let plan = json!({
        "goal": "Vorauswahl beschleunigen, ohne Fairness zu verlieren",
        "start": "2026-03-01",
        "end": "2026-05-31",
        "participants": "4 Sachbearbeitende im Personalamt",
        "model": "Llama-3.1-8B-Instruct",
        "backend": "lokal",
        "metrics": [
            {"name": "Bearbeitungszeit je Bewerbung", "unit": "min", "baseline": 20, "target": 12},
            {"name": "Zufriedenheit der Sachbearbeitung", "unit": "1–5", "baseline": 3, "target": 4}
        ]
    });
    let (code, planned) = team
        .send(Method::PUT, &pilot, json!({"pilot": plan, "version": 8}))
        .await;
    assert_eq!(code, StatusCode::OK, "{planned}");
    assert!(
        planned["plan_problems"].as_array().unwrap().is_empty(),
        "{planned}"
    );
    assert_eq!(planned["evaluation"]["unmeasured"], 2);

    let (code, v) = team
        .send(Method::POST, &status, json!({"to": "pilot", "version": 9}))
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(column(team, "pilot").await, vec![id.clone()]);

    // Measured values and staff feedback; the evaluation follows.
    let message = refused(
        &team
            .send(
                Method::POST,
                &status,
                json!({"to": "evaluated", "version": 10}),
            )
            .await,
        "to",
    );
    assert!(message.contains("Messwerte"), "{message}");
    let mut measured = plan.clone();
    measured["metrics"][0]["measured"] = json!(11);
    measured["metrics"][1]["measured"] = json!(3.5);
    measured["staff_feedback"] = json!([
        "Spart Zeit bei Standardfällen.",
        "  ",
        "Begründungen bitte ausführlicher."
    ]);
    let (code, result) = team
        .send(
            Method::PUT,
            &pilot,
            json!({"pilot": measured, "version": 10}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{result}");
    assert_eq!(result["evaluation"]["achieved"], 1);
    assert_eq!(result["evaluation"]["missed"], 1);
    assert_eq!(result["evaluation"]["results"][0]["achieved"], true);
    assert_eq!(
        result["pilot"]["staff_feedback"].as_array().unwrap().len(),
        2,
        "blank feedback is dropped"
    );
    let (code, v) = team
        .send(
            Method::POST,
            &status,
            json!({"to": "evaluated", "version": 11}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");

    // The decision, then operation.
    let message = refused(
        &team
            .send(
                Method::POST,
                &status,
                json!({"to": "operating", "version": 12}),
            )
            .await,
        "to",
    );
    assert!(message.contains("Entscheidung"), "{message}");
    measured["decision"] = json!({"kind": "operate", "reason": "Ziel Bearbeitungszeit erreicht; Zufriedenheit wird nachgesteuert."});
    let (code, decided) = team
        .send(
            Method::PUT,
            &pilot,
            json!({"pilot": measured, "version": 12}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{decided}");
    let at = decided["pilot"]["decision"]["at"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        at.len() >= 10 && at.starts_with("20"),
        "the decision is dated: {at}"
    );
    let (code, v) = team
        .send(
            Method::POST,
            &status,
            json!({"to": "operating", "version": 13}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["use_case"]["status"], "operating");
    assert_eq!(column(staff, "operating").await, vec![id.clone()]);
    assert!(column(staff, "idea").await.is_empty());
    let history = v["use_case"]["history"].as_array().unwrap();
    assert_eq!(
        history.len(),
        5,
        "idea → assessed → approved → pilot → evaluated → operating"
    );

    // Staff read the pilot and data protection, but change nothing.
    let (code, _) = staff.get(&pilot).await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = staff.get(&dp).await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = staff
        .send(Method::PUT, &pilot, json!({"pilot": plan, "version": 14}))
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, _) = staff.send(Method::PUT, &dp, json!({"version": 14})).await;
    assert_eq!(code, StatusCode::FORBIDDEN);

    // The audit log names each step, never the texts.
    let (entries, _) = store.audit_entries("", 1000, 0).await.unwrap();
    let log: String = entries
        .iter()
        .map(|e| format!("{} {}\n", e.action, e.detail))
        .collect();
    for expected in [
        "Datenschutzprüfung gespeichert",
        "Pilot gespeichert",
        "Status: Evaluiert → Im Betrieb",
    ] {
        assert!(log.contains(expected), "audit log lacks {expected}:\n{log}");
    }
    assert!(!log.contains("Spart Zeit"));

    // The register entry: checked by field, internal fields never public.
    let register = format!("{path}/register");
    let entry = |name: String, internal: Value| {
        json!({"name": name, "description": "Hilft bei der Vorauswahl von Bewerbungen.",
               "contact": "ki@musterstadt.de", "published": true, "internal": internal, "version": 14})
    };
    refused(
        &team
            .send(Method::PUT, &register, entry("x".repeat(120), json!([])))
            .await,
        "name",
    );
    refused(
        &team
            .send(
                Method::PUT,
                &register,
                entry("Vorauswahl".into(), json!(["name"])),
            )
            .await,
        "name",
    );
    let (code, v) = team
        .send(
            Method::PUT,
            &register,
            entry("Vorauswahl".into(), json!(["contact"])),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["register"]["published"], true);
    assert_eq!(v["register"]["status"], "Im Betrieb", "{v}");
    let public = reqwest::get(format!("{}/anwendungsfaelle/register.json", server.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(public.contains("Vorauswahl"));
    assert!(
        !public.contains("ki@musterstadt.de"),
        "internal stays internal: {public}"
    );

    // Exchange: export, and the import on another instance keeps the
    // classification answers and says where it came from.
    let r = staff
        .request(Method::GET, &format!("{path}/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let export: Value = r.json().await.unwrap();
    assert_eq!(export["format"], "ki-reise/anwendungsfall");
    let (code, err) = team
        .send(
            Method::POST,
            "/api/v1/usecases/import",
            json!({"export": {"format": "fremd"}}),
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "export");
    let (code, imported) = team
        .send(
            Method::POST,
            "/api/v1/usecases/import",
            json!({"export": export, "from": "Stadt Beispielhausen"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{imported}");
    assert_ne!(imported["id"], json!(id));
    assert_eq!(imported["use_case"]["status"], "idea");
    assert_eq!(
        imported["use_case"]["origin"]["kind"], "imported",
        "{imported}"
    );
    assert_eq!(
        imported["use_case"]["origin"]["from"],
        "Stadt Beispielhausen"
    );
    assert_eq!(
        imported["use_case"]["classification"]["answers"],
        json!(entry_answers),
        "the classification answers travel along"
    );

    // The OpenAPI document describes it.
    let (_, doc) = team.get("/api/v1/openapi.json").await;
    for p in [
        "/api/v1/usecases/board",
        "/api/v1/usecases/{id}/data-protection",
        "/api/v1/usecases/{id}/pilot",
        "/api/v1/usecases/{id}/status",
        "/api/v1/usecases/{id}/register",
        "/api/v1/usecases/{id}/export",
        "/api/v1/usecases/import",
    ] {
        assert!(doc["paths"].get(p).is_some(), "OpenAPI lacks {p}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_use_case_api_story_runs_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_use_case_api_story_runs_on_postgres() {
    story(Backend::Postgres).await;
}

/// How many use cases there are.
async fn use_case_count(p: &ApiClient) -> usize {
    let (code, list) = p.get("/api/v1/usecases").await;
    assert_eq!(code, StatusCode::OK);
    list.as_array().unwrap().len()
}

/// The second story: where use cases come from (library, survey), how they
/// are weighed (criteria, ranking, matrix) and the classification wizard
/// one question at a time, each refusal naming its field and storing
/// nothing.
async fn sources_scoring_and_wizard_story(backend: Backend) {
    let m = municipality(backend).await;
    let (store, team, staff) = (&m.store, &m.team, &m.staff);
    let tree = DecisionTree::shipped().unwrap();
    let library = Library::shipped().unwrap();
    let shipped = Criteria::shipped().unwrap();

    // The library: for the project team only, about twenty entries.
    let (code, _) = staff.get("/api/v1/usecases/library").await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, listed) = team.get("/api/v1/usecases/library").await;
    assert_eq!(code, StatusCode::OK, "{listed}");
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), library.entries.len());
    assert!(listed.len() >= 15, "about twenty use cases ship");
    for (shown, entry) in listed.iter().zip(&library.entries) {
        assert_eq!(shown["key"], entry.id.as_str());
        assert_eq!(shown["title"], entry.intake.title.as_str());
        assert_eq!(
            shown["expected_conclusion_label"],
            tree.conclusion(&entry.classification.expected)
                .unwrap()
                .label
                .as_str()
        );
    }

    // Adopting: an unknown key is 404, staff may not, nothing is created.
    let (code, err) = team
        .send(
            Method::POST,
            "/api/v1/usecases/library/gibt-es-nicht/adopt",
            json!({}),
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND, "{err}");
    assert_eq!(err["error"]["code"], "not_found");
    let scorable: Vec<_> = library
        .entries
        .iter()
        .filter(|e| shipped.score(&e.canvas).is_ok())
        .take(2)
        .collect();
    assert_eq!(scorable.len(), 2, "the library has scorable canvases");
    let adopt = |key: &str| format!("/api/v1/usecases/library/{key}/adopt");
    let (code, _) = staff
        .send(Method::POST, &adopt(&scorable[0].id), json!({}))
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    assert_eq!(use_case_count(team).await, 0, "nothing was created");
    let mut adopted = Vec::new();
    for entry in &scorable {
        let (code, uc) = team.send(Method::POST, &adopt(&entry.id), json!({})).await;
        assert_eq!(code, StatusCode::CREATED, "{uc}");
        assert_eq!(
            uc["use_case"]["origin"],
            json!({"kind": "library", "entry": entry.id})
        );
        assert_eq!(uc["use_case"]["canvas"], json!(entry.canvas));
        assert_eq!(
            uc["use_case"]["classification"]["conclusion"],
            entry.classification.expected.as_str()
        );
        assert_eq!(uc["use_case"]["status"], "idea");
        adopted.push(uc["id"].as_str().unwrap().to_string());
    }

    // A free text of the survey becomes an idea with one call.
    let survey = common::default_survey(store).await;
    let ideas = format!("/api/v1/surveys/{}/ideas", survey.id);
    let text = "Sitzungsprotokolle automatisch zusammenfassen. Das spart Stunden.";
    let (code, _) = staff
        .send(Method::POST, &ideas, json!({"text": text}))
        .await;
    assert_eq!(
        code,
        StatusCode::FORBIDDEN,
        "the project team takes ideas over"
    );
    let (code, _) = team
        .send(
            Method::POST,
            "/api/v1/surveys/999999/ideas",
            json!({"text": text}),
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    refused(
        &team
            .send(Method::POST, &ideas, json!({"text": "   "}))
            .await,
        "text",
    );
    refused(
        &team
            .send(Method::POST, &ideas, json!({"text": "x".repeat(5001)}))
            .await,
        "text",
    );
    refused(
        &team.send(Method::POST, &ideas, json!({"text": 42})).await,
        "text",
    );
    refused(
        &team
            .send(
                Method::POST,
                &ideas,
                json!({"text": text, "department": "Mondamt"}),
            )
            .await,
        "department",
    );
    assert_eq!(use_case_count(team).await, 2, "no idea from refused input");
    let (code, idea) = team
        .send(
            Method::POST,
            &ideas,
            json!({"text": text, "department": "Personalamt"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{idea}");
    assert_eq!(idea["use_case"]["origin"]["kind"], "survey");
    assert_eq!(
        idea["use_case"]["intake"]["title"],
        "Sitzungsprotokolle automatisch zusammenfassen"
    );
    assert_eq!(idea["use_case"]["intake"]["department"], "Personalamt");
    let idea_id = idea["id"].as_str().unwrap().to_string();

    // Ranking and matrix under the shipped criteria: the scores are the
    // domain's, the idea without a canvas is listed with what it lacks.
    let (code, ranking) = staff.get("/api/v1/usecases/ranking").await;
    assert_eq!(code, StatusCode::OK, "{ranking}");
    let ranked = ranking["ranked"].as_array().unwrap();
    assert_eq!(ranked.len(), 2, "{ranking}");
    for (id, entry) in adopted.iter().zip(&scorable) {
        let row = ranked.iter().find(|r| r["id"] == id.as_str()).unwrap();
        let expected = shipped.score(&entry.canvas).unwrap();
        assert_eq!(row["total"], json!(expected.total));
        assert_eq!(row["benefit"], json!(expected.benefit));
        assert_eq!(
            row["components"].as_array().unwrap().len(),
            shipped.criteria.len()
        );
    }
    assert_eq!(ranked[0]["rank"], 1);
    assert!(ranked[0]["total"].as_f64() >= ranked[1]["total"].as_f64());
    let incomplete = ranking["incomplete"].as_array().unwrap();
    assert_eq!(incomplete.len(), 1);
    assert_eq!(incomplete[0]["id"], idea_id.as_str());
    assert!(
        incomplete[0]["missing"]
            .as_array()
            .unwrap()
            .contains(&json!("hours_saved_per_year")),
        "{ranking}"
    );
    // The ranked rows are the points of the matrix.
    for p in ranked {
        let quadrant = match (
            p["benefit"].as_f64().unwrap() >= 50.0,
            p["feasibility"].as_f64().unwrap() >= 50.0,
        ) {
            (true, true) => "quick_win",
            (true, false) => "strategic",
            (false, true) => "easy_extra",
            (false, false) => "postpone",
        };
        assert_eq!(p["quadrant"], quadrant);
    }
    let r = staff
        .request(Method::GET, "/api/v1/usecases/matrix.svg")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("image/svg+xml"));
    let svg = r.text().await.unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("Nutzen und Machbarkeit"));

    // The criteria: read and changed by the project team only; each wrong
    // value is named and leaves the stored criteria as they were.
    let criteria = "/api/v1/usecases/criteria";
    let (code, _) = staff.get(criteria).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, now) = team.get(criteria).await;
    assert_eq!(code, StatusCode::OK, "{now}");
    assert_eq!(now["revision"], "standard");
    assert_eq!(now["edited"], false);
    assert_eq!(
        now["criteria"].as_array().unwrap().len(),
        shipped.criteria.len()
    );
    let weights: serde_json::Map<String, Value> = shipped
        .criteria
        .iter()
        .map(|c| (c.id.clone(), json!(c.weight)))
        .collect();
    let first = shipped.criteria[0].id.clone();
    let change = |edit: &dyn Fn(&mut Value)| {
        let mut body = json!({
            "dimension_weights": {"benefit": 1, "feasibility": 0},
            "hours_scale": shipped.hours_scale,
            "weights": weights,
            "revision": "standard",
        });
        edit(&mut body);
        body
    };
    for (edit, field) in
        [
            (
                change(&|b| b["weights"][&first] = json!("viel")),
                format!("weights.{first}"),
            ),
            (
                change(&|b| b["weights"][&first] = json!(-1)),
                format!("weights.{first}"),
            ),
            (
                change(&|b| {
                    b["weights"].as_object_mut().unwrap().remove(&first);
                }),
                format!("weights.{first}"),
            ),
            (
                change(&|b| b["weights"]["erfunden"] = json!(1)),
                "weights.erfunden".to_string(),
            ),
            (
                change(&|b| {
                    for c in shipped.criteria.iter().filter(|c| {
                        c.dimension == journey::usecase::scoring::Dimension::Feasibility
                    }) {
                        b["weights"][&c.id] = json!(0);
                    }
                }),
                "weights".to_string(),
            ),
            (
                change(&|b| b["dimension_weights"] = json!({"benefit": 0, "feasibility": 0})),
                "dimension_weights".to_string(),
            ),
            (
                change(&|b| b["hours_scale"] = json!([400, 100, 1000, 2500])),
                "hours_scale".to_string(),
            ),
            (
                change(&|b| b["hours_scale"] = json!([100, 400])),
                "hours_scale".to_string(),
            ),
        ]
    {
        refused(&team.send(Method::PUT, criteria, edit).await, &field);
    }
    let (code, _) = staff.send(Method::PUT, criteria, change(&|_| {})).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (_, unchanged) = team.get(criteria).await;
    assert_eq!(unchanged, now, "nothing was stored");
    let (code, _) = team
        .send(
            Method::PUT,
            criteria,
            change(&|b| b["revision"] = json!("veraltet")),
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "a stale revision");
    let (code, edited) = team.send(Method::PUT, criteria, change(&|_| {})).await;
    assert_eq!(code, StatusCode::OK, "{edited}");
    assert_eq!(edited["edited"], true);
    assert_ne!(edited["revision"], "standard");
    assert_eq!(edited["dimension_weights"]["feasibility"], 0.0);
    let (code, _) = team.send(Method::PUT, criteria, change(&|_| {})).await;
    assert_eq!(code, StatusCode::CONFLICT, "the old revision is stale now");
    // Only benefit counts now: the total is the benefit.
    let (_, ranking) = team.get("/api/v1/usecases/ranking").await;
    assert_eq!(ranking["criteria_revision"], edited["revision"]);
    for row in ranking["ranked"].as_array().unwrap() {
        assert_eq!(row["total"], row["benefit"], "{ranking}");
    }
    let (code, _) = staff.send(Method::DELETE, criteria, json!({})).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, reset) = team.send(Method::DELETE, criteria, json!({})).await;
    assert_eq!(code, StatusCode::OK, "{reset}");
    assert_eq!(reset, now, "the shipped criteria are back");

    // The wizard, one question at a time, on the idea from the survey,
    // following the library entry with the longest path.
    let entry = library
        .entries
        .iter()
        .max_by_key(|e| tree.walk(&e.classification.answers).unwrap().path.len())
        .unwrap();
    let expected = tree.classify(&entry.classification.answers).unwrap();
    assert!(
        expected.answers.len() >= 3,
        "a path long enough to step back"
    );
    let wizard = format!("/api/v1/usecases/{idea_id}/classification/wizard");
    let (code, _) = staff.get(&wizard).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, start) = team.get(&wizard).await;
    assert_eq!(code, StatusCode::OK, "{start}");
    let first_q = tree.start.clone();
    assert_eq!(start["question"]["id"], first_q.as_str());
    assert_eq!(start["question"]["number"], 1);
    assert!(start["conclusion"].is_null() && start["stored"].is_null());
    for option in start["question"]["answers"].as_array().unwrap() {
        let answers =
            BTreeMap::from([(first_q.clone(), option["id"].as_str().unwrap().to_string())]);
        let next = tree.walk(&answers).unwrap();
        let leads = match &next.state {
            journey::usecase::ai_act::WalkState::Ask(q) => json!({"kind": "question", "id": q.id}),
            journey::usecase::ai_act::WalkState::Concluded(o) => {
                json!({"kind": "conclusion", "id": o.conclusion.id})
            }
        };
        assert_eq!(option["leads_to"]["kind"], leads["kind"]);
        assert_eq!(option["leads_to"]["id"], leads["id"]);
    }
    let (code, err) = team.get(&format!("{wizard}?{first_q}=vielleicht")).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["field"], first_q.as_str());
    let (code, err) = team.get(&format!("{wizard}?erfunden=ja")).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "erfunden");

    let answer = format!("{wizard}/answer");
    let version = start["version"].as_i64().unwrap();
    let first_a = expected.answers[&first_q].clone();
    for (body, field) in [
        (
            json!({"question": first_q, "answer": "vielleicht", "version": version}),
            "answer",
        ),
        (
            json!({"question": first_q, "answer": 5, "version": version}),
            "answer",
        ),
        (
            json!({"question": "erfunden", "answer": first_a, "version": version}),
            "question",
        ),
        (
            json!({"answers": {"erfunden": "ja"}, "question": first_q, "answer": first_a, "version": version}),
            "answers.erfunden",
        ),
        (
            json!({"question": first_q, "answer": first_a, "version": "eins"}),
            "version",
        ),
    ] {
        refused(&team.send(Method::POST, &answer, body).await, field);
    }
    let (code, _) = team
        .send(
            Method::POST,
            &answer,
            json!({"question": first_q, "answer": first_a, "version": version - 1}),
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "a stale version");
    let (code, _) = staff
        .send(
            Method::POST,
            &answer,
            json!({"question": first_q, "answer": first_a, "version": version}),
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);

    // Answer along the path; after two answers, one step back and on.
    let mut state = start;
    let mut steps = 0;
    while let Some(q) = state["question"]["id"].as_str().map(str::to_string) {
        let given = expected.answers[&q].clone();
        let (code, next) = team
            .send(
                Method::POST,
                &answer,
                json!({"answers": state["answers"], "question": q, "answer": given, "version": version}),
            )
            .await;
        assert_eq!(code, StatusCode::OK, "{next}");
        steps += 1;
        assert_eq!(next["answers"][&q], given.as_str());
        if steps == 2 {
            let (code, back) = team
                .send(
                    Method::POST,
                    &format!("{wizard}/back"),
                    json!({"answers": next["answers"]}),
                )
                .await;
            assert_eq!(code, StatusCode::OK, "{back}");
            assert_eq!(back["path"].as_array().unwrap().len(), 1);
            assert_eq!(back["question"]["id"], q.as_str(), "{back}");
            assert_eq!(back["question"]["preset"], given.as_str());
            assert_eq!(back["saved"], false);
            state = back;
            continue;
        }
        if next["conclusion"].is_null() {
            assert_eq!(next["saved"], false);
            let (_, uc) = team.get(&format!("/api/v1/usecases/{idea_id}")).await;
            assert_eq!(uc["version"], version, "nothing stored before the end");
            assert!(uc["use_case"]["classification"].is_null());
        }
        state = next;
    }
    assert_eq!(state["saved"], true, "{state}");
    assert_eq!(state["version"], version + 1);
    assert_eq!(state["conclusion"]["id"], expected.conclusion.as_str());
    let obligations: Vec<&str> = state["conclusion"]["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(obligations, expected.obligations);
    assert!(state["conclusion"]["obligations"][0]["applies_from"]
        .as_str()
        .unwrap()
        .starts_with("20"));
    assert_eq!(state["stored"]["needs_review"], false);
    let (_, uc) = team.get(&format!("/api/v1/usecases/{idea_id}")).await;
    let stored = &uc["use_case"]["classification"];
    assert_eq!(
        stored["answers"],
        json!(expected.answers),
        "the audit trail"
    );
    assert_eq!(stored["conclusion"], expected.conclusion.as_str());
    assert_eq!(stored["tree_version"], tree.version.as_str());
    let (code, _) = team
        .send(
            Method::POST,
            &answer,
            json!({"answers": expected.answers, "question": first_q, "answer": first_a, "version": version + 1}),
        )
        .await;
    assert_eq!(
        code,
        StatusCode::UNPROCESSABLE_ENTITY,
        "nothing left to answer"
    );

    // A classification made with an older tree is flagged; answering the
    // wizard again clears the flag.
    let record = store.use_case(&idea_id).await.unwrap();
    let mut old = record.use_case.clone();
    old.classification.as_mut().unwrap().tree_version = "0-alt".into();
    store
        .save_use_case(&Actor::system(), &old, None, record.version, "Test")
        .await
        .unwrap();
    let (_, flagged) = team.get(&wizard).await;
    assert_eq!(flagged["stored"]["needs_review"], true, "{flagged}");
    assert_eq!(flagged["question"]["preset"], first_a.as_str());
    let mut answers = expected.answers.clone();
    let (last_q, last_a) = expected
        .answers
        .iter()
        .find(|(q, _)| {
            let mut rest = expected.answers.clone();
            rest.remove(*q);
            tree.walk(&rest).unwrap().path.len() == expected.answers.len() - 1
        })
        .map(|(q, a)| (q.clone(), a.clone()))
        .unwrap();
    answers.remove(&last_q);
    let (code, again) = team
        .send(
            Method::POST,
            &answer,
            json!({"answers": answers, "question": last_q, "answer": last_a, "version": version + 2}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{again}");
    assert_eq!(again["saved"], true);
    assert_eq!(again["stored"]["needs_review"], false);

    // The audit log names the classification.
    let (entries, _) = store.audit_entries("", 1000, 0).await.unwrap();
    assert!(entries.iter().any(|e| e.detail.contains("Eingestuft")));

    // The OpenAPI document describes the new paths.
    let (_, doc) = team.get("/api/v1/openapi.json").await;
    for p in [
        "/api/v1/usecases/library",
        "/api/v1/usecases/library/{id}/adopt",
        "/api/v1/surveys/{id}/ideas",
        "/api/v1/usecases/criteria",
        "/api/v1/usecases/ranking",
        "/api/v1/usecases/matrix.svg",
        "/api/v1/usecases/{id}/classification/wizard",
        "/api/v1/usecases/{id}/classification/wizard/answer",
        "/api/v1/usecases/{id}/classification/wizard/back",
    ] {
        assert!(doc["paths"].get(p).is_some(), "OpenAPI lacks {p}");
    }
    assert!(doc["paths"]["/api/v1/usecases/criteria"]
        .get("delete")
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn library_survey_ideas_scoring_and_wizard_run_on_sqlite() {
    sources_scoring_and_wizard_story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn library_survey_ideas_scoring_and_wizard_run_on_postgres() {
    sources_scoring_and_wizard_story(Backend::Postgres).await;
}
