//! The Bestandsaufnahme story, run unchanged on SQLite and on PostgreSQL:
//! the project team creates a survey from the default questionnaire, opens
//! it and hands out personal links and a printed code; staff answer (one
//! twice, refused; one with a broken form, kept); the team closes it and
//! reads results by department with a small department suppressed, exports
//! CSV, JSON and Markdown, and the audit log holds no answer.

mod common;

use common::{extract_between, fresh_database_url, spawn, unescape, Backend, Browser};
use journey::access::Role;
use journey::profile::{Department, Profile};
use journey::survey::{QuestionKind, Questionnaire};
use store::users::NewUser;
use store::{Actor, Store};

const PASSWORD: &str = "sehr-geheim-123";
const SECRET_IDEA: &str = "Geheimidee-4711 für Anträge";

/// Form pairs for a complete answer from `department`, with the answer to
/// "how often" chosen so that conditional questions are skipped.
fn answer_pairs(q: &Questionnaire, department: &str, idea: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (_, question) in q.questions() {
        if question.show_if.is_some() {
            continue;
        }
        let id = question.id.clone();
        match &question.kind {
            _ if id == "fachbereich" => out.push((id, department.to_string())),
            _ if id == "nutzung_haeufigkeit" => out.push((id, "nie".into())),
            QuestionKind::SingleChoice { options } => {
                out.push((id, options.list[0].id.clone()));
            }
            QuestionKind::MultipleChoice { options, .. } => {
                out.push((id, options.list[0].id.clone()));
            }
            QuestionKind::Likert { scale } => out.push((id, scale[3].value.to_string())),
            QuestionKind::LikertMatrix { items, scale } => {
                for item in &items.list {
                    out.push((format!("{id}.{}", item.id), scale[1].value.to_string()));
                }
            }
            QuestionKind::Number { .. } => out.push((id, "2".into())),
            QuestionKind::Text { .. } if id == "ideen_anwendungsfaelle" => {
                out.push((id, idea.to_string()));
            }
            QuestionKind::Text { .. } => {}
        }
    }
    out
}

fn refs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

async fn story(backend: Backend) {
    let url = fresh_database_url(backend).await;
    let store = Store::connect(&url).await.expect("store");
    let hash = portal::auth::password::hash(PASSWORD.into()).await.unwrap();
    store
        .complete_setup(
            &NewUser {
                email: "ada@musterstadt.de".into(),
                name: "Ada Admin".into(),
                role: Role::Admin,
                department: None,
                password_hash: Some(hash.clone()),
            },
            &Profile {
                name: "Stadt Musterstadt".into(),
                ags: "15002000".into(),
                staff_count: 400,
                departments: vec![
                    Department {
                        name: "Bürgerservice".into(),
                        staff_count: 40,
                    },
                    Department {
                        name: "Jugendamt".into(),
                        staff_count: 60,
                    },
                    Department {
                        name: "Kämmerei".into(),
                        staff_count: 10,
                    },
                ],
                dpo_contact: "Dana Datenschutz, dsb@musterstadt.de".into(),
                ..Profile::default()
            },
        )
        .await
        .unwrap();
    store
        .create_user(
            &Actor::system(),
            &NewUser {
                email: "pia@musterstadt.de".into(),
                name: "Pia Projekt".into(),
                role: Role::ProjectTeam,
                department: None,
                password_hash: Some(hash),
            },
        )
        .await
        .unwrap();
    for i in 0..12 {
        store
            .create_user(
                &Actor::system(),
                &NewUser {
                    email: format!("person{i}@musterstadt.de"),
                    name: format!("Person {i}"),
                    role: Role::Staff,
                    department: None,
                    password_hash: None,
                },
            )
            .await
            .unwrap();
    }
    let server = spawn(store.clone()).await;

    let mut pia = Browser::new(&server.base);
    pia.get("/anmelden").await;
    let p = pia
        .post(
            "/anmelden",
            &[
                ("email", "pia@musterstadt.de"),
                ("password", PASSWORD),
                ("next", "/umfrage"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);

    // The dashboard leads to the survey, not to a "folgt" page.
    let p = pia.get("/").await;
    assert!(p.body.contains("href=\"/umfrage\""));
    let p = pia.get("/module/umfrage").await;
    assert_eq!(p.location.as_deref(), Some("/umfrage"));

    // A broken import is refused next to its field and kept in the form.
    let p = pia.get("/umfrage").await;
    assert!(p.body.contains("Neue Umfrage anlegen"));
    pia.get("/umfrage/neu").await;
    let p = pia
        .post(
            "/umfrage/neu",
            &[
                ("title", ""),
                ("source", "import"),
                ("content", "{\"id\": \"kaputt\""),
                ("min_group_size", "5"),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("id=\"content-error\""));
    assert!(p.body.contains("{&#34;id&#34;: &#34;kaputt&#34;") || p.body.contains("kaputt"));
    let p = pia
        .post(
            "/umfrage/neu",
            &[
                ("title", "Bestandsaufnahme 2026"),
                ("source", "default"),
                ("content", ""),
                ("min_group_size", "2"),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "k below 3 is refused");
    let p = pia
        .post(
            "/umfrage/neu",
            &[
                ("title", "Bestandsaufnahme 2026"),
                ("source", "default"),
                ("content", ""),
                ("min_group_size", "5"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let survey_path = p.location.clone().expect("redirect to the survey");
    let id: i64 = survey_path.trim_start_matches("/umfrage/").parse().unwrap();

    // No results while in preparation.
    let p = pia.get(&format!("{survey_path}/ergebnisse")).await;
    assert_eq!(p.status, 409);

    // Open: the questionnaire gets the departments from the profile.
    pia.get(&survey_path).await;
    let p = pia.post(&format!("{survey_path}/oeffnen"), &[]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("läuft"));
    let q: Questionnaire =
        serde_json::from_str(&store.survey(id).await.unwrap().questionnaire).unwrap();
    let departments: Vec<String> = q
        .department_question()
        .unwrap()
        .kind
        .options()
        .unwrap()
        .list
        .iter()
        .map(|o| o.id.clone())
        .collect();
    assert_eq!(departments, ["buergerservice", "jugendamt", "kaemmerei"]);

    // Personal links for everyone.
    let p = pia.post(&format!("{survey_path}/links"), &[]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let table = extract_between(&p.body, "id=\"participation-links\"", "</table>").unwrap();
    let links: Vec<String> = table
        .split("<td class=\"key\">")
        .skip(1)
        .map(|s| unescape(s.split('<').next().unwrap()))
        .collect();
    assert_eq!(links.len(), 14, "12 staff, Ada and Pia");
    let paths: Vec<String> = links
        .iter()
        .map(|l| l.trim_start_matches(&server.base).to_string())
        .collect();

    // Twelve people answer: 6 Bürgerservice, 5 Jugendamt, 1 Kämmerei.
    let plan = [
        "buergerservice",
        "buergerservice",
        "buergerservice",
        "buergerservice",
        "buergerservice",
        "buergerservice",
        "jugendamt",
        "jugendamt",
        "jugendamt",
        "jugendamt",
        "jugendamt",
        "kaemmerei",
    ];
    for (i, department) in plan.iter().enumerate() {
        let mut person = Browser::new(&server.base);
        let p = person.get(&paths[i]).await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert!(p.body.contains("Datenschutzhinweis"));
        assert!(p
            .body
            .contains("<legend>In welchem Fachbereich oder Amt arbeiten Sie? *</legend>"));
        if i == 0 {
            // A form with a required answer missing is shown again, the
            // other answers kept, the error tied to its field.
            let mut partial = answer_pairs(&q, department, SECRET_IDEA);
            partial.retain(|(k, _)| k != "lerninteresse");
            let p = person.post(&paths[i], &refs(&partial)).await;
            assert_eq!(p.status, 422);
            assert!(p.body.contains("id=\"q-lerninteresse-error\""));
            assert!(p
                .body
                .contains("aria-describedby=\"q-lerninteresse-error\""));
            assert!(p.body.contains("value=\"buergerservice\" checked"));
            assert!(p.body.contains("Geheimidee-4711"));
        }
        let pairs = answer_pairs(&q, department, SECRET_IDEA);
        let p = person.post(&paths[i], &refs(&pairs)).await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert!(p.body.contains("Vielen Dank"));
        if i == 1 {
            // The same link a second time is refused, and stores nothing.
            let p = person.post(&paths[i], &refs(&pairs)).await;
            assert_eq!(p.status, 409);
            assert!(p.body.contains("nur einmal teilnehmen"));
            assert_eq!(person.get(&paths[i]).await.status, 404);
        }
    }
    assert_eq!(store.survey_responses(id).await.unwrap().len(), 12);

    // A printed code works once, typed in lower case.
    let p = pia
        .post(&format!("{survey_path}/codes"), &[("count", "3")])
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let codes = extract_between(&p.body, "id=\"participation-codes\">", "</ul>").unwrap();
    let code = extract_between(&codes, "<strong class=\"key\">", "<").unwrap();
    let mut paper = Browser::new(&server.base);
    let p = paper
        .get(&format!("/teilnahme?code={}", code.to_lowercase()))
        .await;
    let code_path = p.location.expect("code leads to the form");
    let p = paper.get(&code_path).await;
    assert_eq!(p.status, 200);
    let p = paper
        .post(&code_path, &refs(&answer_pairs(&q, "jugendamt", "")))
        .await;
    assert_eq!(p.status, 200, "{}", p.body);

    // The reminder list names those who have not answered.
    let p = pia.get(&survey_path).await;
    assert!(p.body.contains("Noch nicht geantwortet (2)"));
    assert!(p.body.contains("id=\"response-count\">13<"));

    // Close: unused links stop working, results appear.
    let p = pia.post(&format!("{survey_path}/schliessen"), &[]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("abgeschlossen"));
    let mut late = Browser::new(&server.base);
    assert_eq!(late.get(&paths[13]).await.status, 404);

    let p = pia.get(&format!("{survey_path}/ergebnisse")).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("id=\"total-responses\">13<"));
    let groups = extract_between(&p.body, "id=\"groups\"", "</table>")
        .unwrap()
        .replace("&#60;", "&lt;");
    assert!(
        groups.contains("<th scope=\"row\">Kämmerei</th><td>&lt; 5</td>"),
        "the department with one answer is hidden: {groups}"
    );
    assert!(
        groups.contains("<td>6</td>"),
        "a large department is shown: {groups}"
    );
    assert!(p.body.contains("Kompetenzen"));
    assert!(p.body.contains("Geheimidee-4711"), "free texts overall");

    // Exports.
    let r = pia
        .client
        .get(format!("{}{survey_path}/export/csv", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("frage_id,frage,"));
    assert!(csv.contains("\r\n"));
    let r = pia
        .client
        .get(format!("{}{survey_path}/export/json", server.base))
        .send()
        .await
        .unwrap();
    let json: serde_json::Value = r.json().await.unwrap();
    assert_eq!(json["questionnaire"], "bestandsaufnahme");
    assert_eq!(json["responses"], 13);
    let r = pia
        .client
        .get(format!("{}{survey_path}/export/md", server.base))
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().starts_with("# Ergebnisse"));

    // The API gives the same results.
    let r = pia
        .client
        .get(format!("{}/api/v1/surveys/{id}/results", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let api: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        api["results"],
        json.as_object().map_or(serde_json::Value::Null, |m| {
            let mut m = m.clone();
            m.remove("$schema");
            serde_json::Value::Object(m)
        })
    );

    // Nothing left that links a person to an answer; no answers in the log.
    assert!(store.survey_pending_user_ids(id).await.unwrap().is_empty());
    let (entries, _) = store.audit_entries("", 1000, 0).await.unwrap();
    let log: String = entries
        .iter()
        .map(|e| format!("{} {} {}\n", e.action, e.object, e.detail))
        .collect();
    for expected in [
        "Umfrage angelegt",
        "Umfrage gestartet",
        "Teilnahmelinks erstellt",
        "Teilnahmecodes erstellt",
        "Umfrage abgeschlossen",
        "Umfrageergebnisse exportiert",
    ] {
        assert!(log.contains(expected), "audit log lacks {expected}:\n{log}");
    }
    assert!(!log.contains("Geheimidee"));
    assert!(!log.contains("buergerservice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_survey_story_runs_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_survey_story_runs_on_postgres() {
    story(Backend::Postgres).await;
}
