//! The Bestandsaufnahme through the JSON API only, run unchanged on SQLite
//! and on PostgreSQL: the project team's program creates a survey, edits
//! its questionnaire with version checks (a stale edit is refused, a broken
//! questionnaire refused with every problem by field), copies it, sets the
//! answering period, opens it and hands out links and codes; staff keep a
//! draft and answer, with every kind of bad answer refused with 400 and the
//! field; the team types in a paper form, reads the reminders list, closes
//! the survey and reads results with a filter; the administration exports
//! the anonymised answers.

mod common;

use common::{fresh_database_url, spawn, ApiClient, Backend, Browser};
use journey::access::Role;
use journey::profile::{Department, Profile};
use journey::survey::{QuestionKind, Questionnaire};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use store::users::NewUser;
use store::{Actor, Store};

const SECRET_IDEA: &str = "Geheimidee-0815 für Bauanträge";

/// Someone answering with a link or code: a session from the answer page,
/// its CSRF token on every change, as the page's own script would send it.
async fn participant(base: &str, token: &str) -> Browser {
    let mut b = Browser::new(base);
    b.get(&format!("/teilnahme/{token}")).await;
    assert!(!b.csrf.is_empty(), "the answer page opens a session");
    b
}

async fn send_answers(b: &Browser, method: Method, path: &str, body: &str) -> (StatusCode, Value) {
    let r = b
        .client
        .request(method, format!("{}{path}", b.base))
        .header("content-type", "application/json")
        .header("x-csrf-token", &b.csrf)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// A complete answer from `department`; conditional questions are skipped
/// by answering "never" to how often AI is used.
fn complete_answer(q: &Questionnaire, department: &str, idea: &str) -> Value {
    let mut out = serde_json::Map::new();
    for (_, question) in q.questions() {
        if question.show_if.is_some() {
            continue;
        }
        let id = question.id.clone();
        let value = match &question.kind {
            _ if id == "fachbereich" => json!(department),
            _ if id == "nutzung_haeufigkeit" => json!("nie"),
            QuestionKind::SingleChoice { options } => json!(options.list[0].id),
            QuestionKind::MultipleChoice { options, .. } => json!([options.list[0].id]),
            QuestionKind::Likert { scale } => json!(scale[3].value),
            QuestionKind::LikertMatrix { items, scale } => Value::Object(
                items
                    .list
                    .iter()
                    .map(|i| (i.id.clone(), json!(scale[1].value)))
                    .collect(),
            ),
            QuestionKind::Number { .. } => json!(2),
            QuestionKind::Text { .. } if id == "ideen_anwendungsfaelle" => json!(idea),
            QuestionKind::Text { .. } => continue,
        };
        out.insert(id, value);
    }
    Value::Object(out)
}

fn with(answer: &Value, key: &str, value: Value) -> String {
    let mut a = answer.clone();
    a[key] = value;
    a.to_string()
}

async fn responses(store: &Store, id: i64) -> usize {
    store.survey_responses(id).await.unwrap().len()
}

async fn story(backend: Backend) {
    let url = fresh_database_url(backend).await;
    let store = Store::connect(&url).await.expect("store");
    let person = |email: &str, name: &str, role: Role| NewUser {
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
                staff_count: 300,
                departments: ["Bürgerservice", "Jugendamt", "Kämmerei"]
                    .iter()
                    .map(|n| Department {
                        name: (*n).into(),
                        staff_count: 100,
                    })
                    .collect(),
                ..Profile::default()
            },
        )
        .await
        .unwrap();
    let system = Actor::system();
    let ada = store
        .user_by_email("ada@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let pia = store
        .create_user(
            &system,
            &person("pia@musterstadt.de", "Pia Projekt", Role::ProjectTeam),
        )
        .await
        .unwrap();
    let sam = store
        .create_user(
            &system,
            &person("sam@musterstadt.de", "Sam Sachbearbeitung", Role::Staff),
        )
        .await
        .unwrap();
    let mut staff = vec![sam.clone()];
    for i in 0..6 {
        staff.push(
            store
                .create_user(
                    &system,
                    &person(
                        &format!("person{i}@musterstadt.de"),
                        &format!("Person {i}"),
                        Role::Staff,
                    ),
                )
                .await
                .unwrap(),
        );
    }
    let server = spawn(store.clone()).await;
    let team = ApiClient::for_user(&server, &pia).await;
    let admin = ApiClient::for_user(&server, &ada).await;
    let staff_program = ApiClient::for_user(&server, &sam).await;

    // Staff do not manage surveys.
    let (status, _) = staff_program.get("/api/v1/surveys").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A broken import is refused by field; the default questionnaire works.
    let (status, err) = team
        .send(Method::POST, "/api/v1/surveys", json!({"lss": "<kein xml"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "lss");
    let (status, created) = team
        .send(
            Method::POST,
            "/api/v1/surveys",
            json!({"title": "Bestandsaufnahme 2026"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["survey"]["id"].as_i64().unwrap();
    let version = created["survey"]["version"].as_i64().unwrap();
    assert_eq!(created["survey"]["status"], "draft");
    let path = format!("/api/v1/surveys/{id}");

    // The editor's operations: a broken questionnaire is refused with every
    // problem by field and nothing changes; a stale version is a conflict.
    let mut q = created["questionnaire"].clone();
    let first_id = q["sections"][0]["questions"][0]["id"].clone();
    let mut broken = q.clone();
    broken["sections"][0]["questions"][1]["id"] = first_id.clone();
    broken["sections"][0]["questions"][0]["text"] = json!("");
    let (status, err) = team
        .send(
            Method::PUT,
            &format!("{path}/questionnaire"),
            json!({"questionnaire": broken, "version": version}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "invalid");
    let fields: Vec<&str> = err["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.len() >= 2, "every problem is listed: {err}");
    assert!(
        fields.contains(&format!("questionnaire.{}", first_id.as_str().unwrap()).as_str()),
        "the question is named: {fields:?}"
    );
    let (status, err) = team
        .send(
            Method::PUT,
            &format!("{path}/questionnaire"),
            json!({"questionnaire": {"id": "x"}, "version": version}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "questionnaire");
    let (status, err) = team
        .send(
            Method::PUT,
            &format!("{path}/questionnaire"),
            json!({"version": version}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        err["error"]["field"], "questionnaire",
        "a missing field is named"
    );
    q["title"] = json!("Bestandsaufnahme KI – Musterstadt");
    let (status, saved) = team
        .send(
            Method::PUT,
            &format!("{path}/questionnaire"),
            json!({"questionnaire": q, "version": version}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        saved["questionnaire"]["title"],
        "Bestandsaufnahme KI – Musterstadt"
    );
    assert!(saved["survey"]["version"].as_i64().unwrap() > version);
    let (status, err) = team
        .send(
            Method::PUT,
            &format!("{path}/questionnaire"),
            json!({"questionnaire": q, "version": version}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a second editor with the old version"
    );
    assert_eq!(err["error"]["code"], "conflict");

    // A copy is a new draft with the same questionnaire.
    let (status, copy) = team
        .send(Method::POST, &format!("{path}/copy"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(copy["survey"]["title"], "Kopie von Bestandsaufnahme 2026");
    assert_eq!(
        copy["questionnaire"]["title"],
        "Bestandsaufnahme KI – Musterstadt"
    );
    assert_ne!(copy["survey"]["id"].as_i64().unwrap(), id);

    // The answering period: dates are checked by field.
    let (status, err) = team
        .send(
            Method::PUT,
            &format!("{path}/period"),
            json!({"answer_from": "31.12.2026"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "answer_from");
    let (status, err) = team
        .send(
            Method::PUT,
            &format!("{path}/period"),
            json!({"answer_from": "2026-12-01", "answer_until": "2026-11-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "answer_until");
    let (status, s) = team
        .send(
            Method::PUT,
            &format!("{path}/period"),
            json!({"answer_from": "2099-01-01", "answer_until": "2099-01-31"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(s["answer_from"], "2099-01-01");

    // Open; from now on the questionnaire stays as it is.
    let (status, _) = team
        .send(Method::POST, &format!("{path}/open"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = team
        .send(
            Method::PUT,
            &format!("{path}/questionnaire"),
            json!({"questionnaire": q, "version": 99}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Links for the staff, codes for the notice board.
    let (status, err) = team
        .send(
            Method::POST,
            &format!("{path}/tokens"),
            json!({"user_ids": [9999]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "user_ids");
    let ids: Vec<i64> = staff.iter().map(|u| u.id).collect();
    let (status, tokens) = team
        .send(
            Method::POST,
            &format!("{path}/tokens"),
            json!({"user_ids": ids, "codes": 3}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let links: Vec<String> = tokens["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["url"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    let codes: Vec<String> = tokens["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!((links.len(), codes.len()), (7, 3));
    let (status, pending) = team.get(&format!("{path}/reminders")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(pending.as_array().unwrap().len(), 7);
    assert!(pending.to_string().contains("sam@musterstadt.de"));

    // Before the first day nobody can answer, with the reason.
    let mut sams = participant(&server.base, &links[0]).await;
    let answer_path = format!("/api/v1/participation/{}", links[0]);
    let (status, err) = send_answers(&sams, Method::POST, &answer_path, "{}").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("beginnt am 01.01.2099"));
    let (status, _) = team
        .send(Method::PUT, &format!("{path}/period"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "an empty period lifts the limits");

    // What the link opens: the privacy notice and the questionnaire.
    sams.get(&format!("/teilnahme/{}", links[0])).await;
    let r = sams
        .client
        .get(format!("{}{answer_path}", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let opened: Value = r.json().await.unwrap();
    assert!(opened["privacy_notice"].as_array().unwrap().len() > 3);
    assert!(opened["draft"].is_null());
    let questionnaire: Questionnaire =
        serde_json::from_value(opened["questionnaire"].clone()).unwrap();
    let full = complete_answer(&questionnaire, "buergerservice", SECRET_IDEA);

    // Every kind of bad answer: 400, the field named, nothing stored.
    let likert = questionnaire
        .questions()
        .find(|(_, q)| matches!(q.kind, QuestionKind::Likert { .. }) && q.show_if.is_none())
        .map(|(_, q)| q.id.clone())
        .unwrap();
    let required = questionnaire
        .questions()
        .find(|(_, q)| q.required && q.show_if.is_none())
        .map(|(_, q)| q.id.clone())
        .unwrap();
    let mut missing = full.clone();
    missing.as_object_mut().unwrap().remove(&required);
    for (body, field) in [
        (
            with(&full, "erfundene_frage", json!("x")),
            "erfundene_frage".to_string(),
        ),
        (with(&full, &likert, json!(9)), likert.clone()),
        (
            with(&full, "fachbereich", json!(42)),
            "fachbereich".to_string(),
        ),
        (
            with(&full, "fachbereich", json!("mondbehoerde")),
            "fachbereich".to_string(),
        ),
        (missing.to_string(), required.clone()),
        (
            with(&full, "ideen_anwendungsfaelle", json!("x".repeat(5001))),
            "ideen_anwendungsfaelle".to_string(),
        ),
        ("[1, 2]".to_string(), "answers".to_string()),
        ("{\"fachbereich\": ".to_string(), "answers".to_string()),
    ] {
        let (status, err) = send_answers(&sams, Method::POST, &answer_path, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {err}");
        assert_eq!(err["error"]["code"], "invalid");
        assert!(
            err["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field.as_str()),
            "{field} is named: {err}"
        );
        assert!(!err["error"]["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(responses(&store, id).await, 0, "nothing was stored");

    // Save and continue later: a draft may be incomplete, not wrong.
    let draft_path = format!("{answer_path}/draft");
    let (status, err) = send_answers(
        &sams,
        Method::PUT,
        &draft_path,
        &json!({"fachbereich": "mondbehoerde"}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["field"], "fachbereich");
    let (status, _) = send_answers(
        &sams,
        Method::PUT,
        &draft_path,
        &json!({"fachbereich": "jugendamt"}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let opened: Value = sams
        .client
        .get(format!("{}{answer_path}", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(opened["draft"]["fachbereich"], "jugendamt");
    assert!(
        sams.get(&format!("/teilnahme/{}", links[0]))
            .await
            .body
            .contains("zwischengespeicherten"),
        "the answer page continues the draft the API kept"
    );

    // The complete answer is taken once.
    let (status, _) = send_answers(&sams, Method::POST, &answer_path, &full.to_string()).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, err) = send_answers(&sams, Method::POST, &answer_path, &full.to_string()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("nur einmal"));
    assert_eq!(responses(&store, id).await, 1);
    let (_, pending) = team.get(&format!("{path}/reminders")).await;
    assert_eq!(pending.as_array().unwrap().len(), 6);
    assert!(!pending.to_string().contains("sam@musterstadt.de"));

    // Everyone else: five from Bürgerservice, the rest spread thin.
    let departments = [
        "buergerservice",
        "buergerservice",
        "buergerservice",
        "buergerservice",
        "jugendamt",
        "jugendamt",
        "kaemmerei",
        "buergerservice",
        "jugendamt",
    ];
    for (token, dept) in links[1..].iter().chain(&codes).zip(departments) {
        let b = participant(&server.base, token).await;
        let (status, err) = send_answers(
            &b,
            Method::POST,
            &format!("/api/v1/participation/{token}"),
            &complete_answer(&questionnaire, dept, "").to_string(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{err}");
    }

    // A paper form: checked like an answer, but blanks are allowed.
    let paper = format!("{path}/paper-answers");
    let (status, err) = team
        .send(Method::POST, &paper, json!({"fachbereich": "mondbehoerde"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"]["field"], "fachbereich");
    let (status, _) = team
        .send(Method::POST, &paper, json!({"fachbereich": "kaemmerei"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(responses(&store, id).await, 11);
    let (_, s) = team.get(&path).await;
    assert_eq!(s["survey"]["responses"], 11);
    assert_eq!(s["survey"]["codes_used"], 3);
    assert_eq!(s["survey"]["invited_answered"], 7);

    // Results only once closed; a filter on a small department is refused.
    let (status, _) = team.get(&format!("{path}/results")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = team
        .send(Method::POST, &format!("{path}/close"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, closed) = team.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(closed["survey"]["status"], "closed");
    let (status, results) = team.get(&format!("{path}/results")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(results["results"]["responses"], 11);
    let (status, err) = team
        .get(&format!("{path}/results?department=kaemmerei"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["field"], "department");
    let (status, filtered) = team
        .get(&format!("{path}/results?department=buergerservice"))
        .await;
    assert_eq!(status, StatusCode::OK, "{filtered}");
    assert_eq!(filtered["results"]["responses"], 6);
    assert!(filtered["competency_gaps"].is_null());

    // The anonymised answers: administrators only, free texts on request.
    let answers = format!("{path}/answers");
    let r = team.request(Method::GET, &answers).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = admin.request(Method::GET, &answers).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    assert_eq!(
        csv.lines().count(),
        12,
        "a header and one row per answer:\n{csv}"
    );
    assert!(
        csv.contains("zusammengefasst"),
        "small groups are coarsened:\n{csv}"
    );
    assert!(
        !csv.contains("Kämmerei"),
        "the one-person department is not named:\n{csv}"
    );
    assert!(!csv.contains(SECRET_IDEA));
    let with_texts = admin
        .request(Method::GET, &format!("{answers}?free_texts=true"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(with_texts.contains(SECRET_IDEA));
    let (status, err) = admin.get(&format!("{answers}?free_texts=vielleicht")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "free_texts");
    let (entries, _) = store.audit_entries("", 1000, 0).await.unwrap();
    let log: String = entries
        .iter()
        .map(|e| format!("{} {}\n", e.action, e.detail))
        .collect();
    assert!(log.contains("Anonymisierte Antworten exportiert"), "{log}");
    assert!(log.contains("Fragebogen bearbeitet"));
    assert!(!log.contains("Geheimidee"));

    // The OpenAPI document describes all of it.
    let (_, doc) = team.get("/api/v1/openapi.json").await;
    for p in [
        "/api/v1/surveys/{id}/questionnaire",
        "/api/v1/surveys/{id}/copy",
        "/api/v1/surveys/{id}/period",
        "/api/v1/surveys/{id}/reminders",
        "/api/v1/surveys/{id}/paper-answers",
        "/api/v1/surveys/{id}/answers",
        "/api/v1/participation/{token}",
        "/api/v1/participation/{token}/draft",
    ] {
        assert!(doc["paths"].get(p).is_some(), "OpenAPI lacks {p}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_survey_api_story_runs_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_survey_api_story_runs_on_postgres() {
    story(Backend::Postgres).await;
}
