//! A use case from idea to operation through the JSON API only, run
//! unchanged on SQLite and on PostgreSQL: a staff member's program submits
//! an idea; the project team's program fills in the canvas, classifies it
//! (high risk), answers the threshold analysis (a DPIA is needed) and the
//! fundamental-rights assessment, plans the pilot, records the measured
//! values, staff feedback and the decision, and moves the status on, each
//! step refused with the field and the reason while something is missing;
//! the board shows it by status throughout.

mod common;

use common::{fresh_database_url, spawn, ApiClient, Backend};
use journey::access::Role;
use journey::profile::{Department, Profile};
use journey::usecase::ai_act::DecisionTree;
use journey::usecase::canvas::DataClass;
use journey::usecase::library::Library;
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

async fn story(backend: Backend) {
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
    let team = &ApiClient::for_user(&server, &pia).await;
    let staff = &ApiClient::for_user(&server, &sam).await;

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
    let (code, v) = team
        .send(
            Method::POST,
            &status,
            json!({"to": "approved", "version": 5}),
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
            .send(Method::POST, &status, json!({"to": "pilot", "version": 6}))
            .await,
        "to",
    );
    assert!(message.contains("Pilotplan"), "{message}");
    refused(
        &team
            .send(
                Method::PUT,
                &pilot,
                json!({"pilot": {"goal": "x", "start": "1.3.2026"}, "version": 6}),
            )
            .await,
        "pilot.start",
    );
    refused(
        &team
            .send(Method::PUT,
                &pilot,
                json!({"pilot": {"goal": "x", "metrics": [{"name": " ", "baseline": 1, "target": 2}]}, "version": 6}),
            )
            .await,
        "pilot.metrics[0].name",
    );
    refused(
        &team
            .send(Method::PUT, &pilot, json!({"pilot": {"goal": "x", "decision": {"kind": "operate", "reason": ""}}, "version": 6}))
            .await,
        "pilot.decision.reason",
    );
    let (code, _) = team
        .send(
            Method::PUT,
            &pilot,
            json!({"pilot": {"goal": "x", "dauer": 3}, "version": 6}),
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
            json!({"pilot": {"goal": "Vorauswahl beschleunigen"}, "version": 6}),
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
        .send(Method::PUT, &pilot, json!({"pilot": plan, "version": 7}))
        .await;
    assert_eq!(code, StatusCode::OK, "{planned}");
    assert!(
        planned["plan_problems"].as_array().unwrap().is_empty(),
        "{planned}"
    );
    assert_eq!(planned["evaluation"]["unmeasured"], 2);

    // High risk: no pilot without the fundamental-rights assessment.
    let message = refused(
        &team
            .send(Method::POST, &status, json!({"to": "pilot", "version": 8}))
            .await,
        "to",
    );
    assert!(message.contains("Grundrechte"), "{message}");
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
            json!({"threshold_answers": answers, "fria": fria, "version": 8}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{saved}");
    assert!(saved["fria_missing"].as_array().unwrap().is_empty());
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
