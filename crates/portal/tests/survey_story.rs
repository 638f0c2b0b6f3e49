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
    let p = pia
        .post_and_follow(&format!("{survey_path}/oeffnen"), &[])
        .await;
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
    let p = pia
        .post_and_follow(&format!("{survey_path}/links"), &[])
        .await;
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

    // An answering period in the future keeps the links closed for now;
    // a date that is none is refused.
    pia.get(&survey_path).await;
    let p = pia
        .post(
            &format!("{survey_path}/zeitraum"),
            &[("answer_from", "2999-01-01"), ("answer_until", "")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let mut early = Browser::new(&server.base);
    let p = early.get(&paths[0]).await;
    assert_eq!(p.status, 409);
    assert!(p.body.contains("beginnt am 01.01.2999"));
    let p = pia
        .post(
            &format!("{survey_path}/zeitraum"),
            &[("answer_from", "2026-13-01"), ("answer_until", "")],
        )
        .await;
    assert_eq!(p.status, 422);
    assert_eq!(
        store.survey(id).await.unwrap().answer_from.as_deref(),
        Some("2999-01-01"),
        "a bad date changes nothing"
    );
    let p = pia
        .post(
            &format!("{survey_path}/zeitraum"),
            &[("answer_from", ""), ("answer_until", "")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);

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
        if i == 2 {
            // Save and continue later: the half-filled form comes back on
            // the same link, even in another browser; nothing is submitted.
            let token = paths[i].trim_start_matches("/teilnahme/");
            let mut half = answer_pairs(&q, department, "Halbfertige Idee 99");
            half.retain(|(k, _)| k == "fachbereich" || k == "ideen_anwendungsfaelle");
            half.push(("_aktion".into(), "zwischenspeichern".into()));
            let p = person.post(&paths[i], &refs(&half)).await;
            assert_eq!(p.status, 200, "{}", p.body);
            assert!(p.body.contains("Zwischengespeichert"));
            assert!(store.survey_draft(token).await.unwrap().is_some());
            assert_eq!(store.survey_responses(id).await.unwrap().len(), 2);
            let mut later = Browser::new(&server.base);
            let p = later.get(&paths[i]).await;
            assert!(p.body.contains("wieder da"));
            assert!(p.body.contains("value=\"buergerservice\" checked"));
            assert!(p.body.contains("Halbfertige Idee 99"));
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
    let third = paths[2].trim_start_matches("/teilnahme/");
    assert!(
        store.survey_draft(third).await.unwrap().is_none(),
        "the draft is gone once the answer is in"
    );

    // A printed code works once, typed in lower case.
    let p = pia
        .post_and_follow(&format!("{survey_path}/codes"), &[("count", "3")])
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let code = common::shown_codes(&p.body).remove(0);
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

    // Codes for a mail merge: the ones shown, as CSV (more in paper_codes_story).
    let r = pia
        .client
        .get(format!(
            "{}{survey_path}/codes.csv?code={code}",
            server.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let merge = r.text().await.unwrap();
    assert!(merge.starts_with("umfrage,code,adresse\r\n"), "{merge}");
    assert_eq!(merge.lines().count(), 2);
    assert!(merge.contains(&format!("{}/teilnahme", server.base)));

    // A paper form: printable, and typed in by the project team.
    let p = pia.get(&format!("{survey_path}/papier")).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("class=\"paper-form\""));
    assert!(p.body.contains("Datenschutz"));
    assert!(p
        .body
        .contains("In welchem Fachbereich oder Amt arbeiten Sie? *"));
    let entry = format!("{survey_path}/papier/erfassen");
    pia.get(&entry).await;
    let mut wrong = answer_pairs(&q, "jugendamt", "");
    wrong.push(("fachbereich".into(), "gibt-es-nicht".into()));
    wrong.retain(|(k, v)| k != "fachbereich" || v == "gibt-es-nicht");
    let p = pia.post(&entry, &refs(&wrong)).await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert_eq!(store.survey_responses(id).await.unwrap().len(), 13);
    let p = pia
        .post_and_follow(&entry, &refs(&answer_pairs(&q, "kaemmerei", "")))
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("Papierantwort gespeichert"));
    assert_eq!(store.survey_responses(id).await.unwrap().len(), 14);

    // The reminder list names those who have not answered.
    let p = pia.get(&survey_path).await;
    assert!(p.body.contains("Noch nicht geantwortet (2)"));
    assert!(p.body.contains("id=\"response-count\">14<"));

    // Close: unused links stop working, results appear.
    // Closing cannot be undone: without the ticked box nothing happens.
    let p = pia.post(&format!("{survey_path}/schliessen"), &[]).await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"confirm_close-error\""), "{}", p.body);
    assert_eq!(
        store.survey(id).await.unwrap().status,
        store::survey::SurveyStatus::Open
    );
    let p = pia
        .post_and_follow(&format!("{survey_path}/schliessen"), &[("confirm", "ja")])
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("abgeschlossen"));
    let mut late = Browser::new(&server.base);
    assert_eq!(late.get(&paths[13]).await.status, 404);

    let p = pia.get(&format!("{survey_path}/ergebnisse")).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("id=\"total-responses\">14<"));
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
    // Charts beside the tables: images with title and description; the
    // small Kämmerei stays hidden in the competency chart too.
    assert!(
        p.body.matches("<figure class=\"chart\"").count() >= 5,
        "{}",
        p.body
    );
    assert!(p.body.contains("role=\"img\""));
    let gaps_chart = extract_between(&p.body, "id=\"chart-gaps\"", "</figure>").unwrap();
    assert!(gaps_chart.contains("<title id=\"chart-kompetenzen-title\">"));
    let small = &gaps_chart[gaps_chart.find(">Kämmerei</text>").expect("Kämmerei named")..];
    assert!(
        !small.contains("class=\"bar\""),
        "no bar for a hidden group: {small}"
    );
    assert!(small.contains("&lt; 5"), "{small}");
    assert!(gaps_chart[..gaps_chart.find(">Kämmerei</text>").unwrap()].contains("class=\"bar\""));

    // The planner takes the levels over. The Kämmerei's answers are hidden
    // (fewer than 5), and so are the Bürgerservice's (they would give the
    // Kämmerei away by difference): their levels are unknown, never a silent
    // 0, and nothing is saved until the team decides.
    let take_over = "/qualifizierung/planung/umfrage";
    let survey_id = id.to_string();
    let p = pia.post(take_over, &[("survey", survey_id.as_str())]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("id=\"unknown-levels\""), "{}", p.body);
    assert!(p.body.contains("Kämmerei: Stufe unbekannt"), "{}", p.body);
    assert!(
        p.body.contains("Bürgerservice: Stufe unbekannt"),
        "{}",
        p.body
    );
    assert!(!p.body.contains("Jugendamt: Stufe unbekannt"));
    assert!(
        store.cohorts().await.unwrap().is_empty(),
        "nothing saved yet"
    );
    let p = pia
        .post(
            take_over,
            &[
                ("survey", survey_id.as_str()),
                ("wahl-0", "gesamt"),
                ("wahl-2", "stufe"),
                ("stufe-2", "9"),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"wahl-2-error\""), "{}", p.body);
    assert!(
        p.body.contains("value=\"gesamt\" checked"),
        "the choice is kept"
    );
    let p = pia
        .post(
            take_over,
            &[
                ("survey", survey_id.as_str()),
                ("wahl-0", "stufe"),
                ("stufe-0", "2"),
                ("wahl-2", "weglassen"),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("Nicht eingeplant: Kämmerei."), "{}", p.body);
    let cohorts = store.cohorts().await.unwrap();
    assert_eq!(cohorts.len(), 2);
    let buergerservice = &cohorts[0];
    assert_eq!(buergerservice.department, "Bürgerservice");
    assert!(!buergerservice.levels.is_empty());
    assert!(
        buergerservice.levels.values().all(|&l| l == 2),
        "{buergerservice:?}"
    );
    let p = pia
        .post(
            take_over,
            &[
                ("survey", survey_id.as_str()),
                ("wahl-0", "gesamt"),
                ("wahl-2", "gesamt"),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let cohorts = store.cohorts().await.unwrap();
    let kaemmerei = cohorts.iter().find(|c| c.department == "Kämmerei").unwrap();
    let jugendamt = cohorts
        .iter()
        .find(|c| c.department == "Jugendamt")
        .unwrap();
    assert_eq!(
        kaemmerei.levels.len(),
        jugendamt.levels.len(),
        "every area has the organisation-wide level: {kaemmerei:?}"
    );
    assert!(!kaemmerei.levels.is_empty());

    // The same through the API: the department still to decide on is named;
    // decided, the levels are saved; staff may not.
    let pia_user = store
        .user_by_email("pia@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let pia_api = common::ApiClient::for_user(&server, &pia_user).await;
    let levels = "/api/v1/qualification/plan/survey-levels";
    let post = reqwest::Method::POST;
    let decided = |kaemmerei: serde_json::Value| {
        serde_json::json!({"survey": id, "decisions": {
            "Bürgerservice": {"choice": "organisation"}, "Kämmerei": kaemmerei}})
    };
    let (status, open) = pia_api
        .send(post.clone(), levels, serde_json::json!({"survey": id}))
        .await;
    assert_eq!(status, 422, "{open}");
    assert_eq!(open["error"]["field"], "decisions.Bürgerservice", "{open}");
    let too_high = decided(serde_json::json!({"choice": "level", "level": 9}));
    let (status, bad) = pia_api.send(post.clone(), levels, too_high).await;
    assert_eq!(status, 422, "{bad}");
    assert_eq!(bad["error"]["field"], "decisions.Kämmerei", "{bad}");
    let (status, bad) = pia_api
        .send(post.clone(), levels, serde_json::json!({"survey": 0}))
        .await;
    assert_eq!(status, 422, "{bad}");
    assert_eq!(bad["error"]["field"], "survey", "{bad}");
    let leave_out = decided(serde_json::json!({"choice": "leave_out"}));
    let (status, taken) = pia_api.send(post.clone(), levels, leave_out).await;
    assert_eq!(status, 200, "{taken}");
    assert_eq!(taken["left_out"], serde_json::json!(["Kämmerei"]));
    assert_eq!(taken["cohorts"].as_array().unwrap().len(), 2);
    assert_eq!(store.cohorts().await.unwrap().len(), 2);
    let staff = store
        .user_by_email("person0@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let staff_api = common::ApiClient::for_user(&server, &staff).await;
    let everything = decided(serde_json::json!({"choice": "organisation"}));
    let (status, _) = staff_api
        .send(post.clone(), levels, everything.clone())
        .await;
    assert_eq!(status, 403);
    let (status, taken) = pia_api.send(post, levels, everything).await;
    assert_eq!(status, 200, "{taken}");
    assert_eq!(store.cohorts().await.unwrap().len(), 3);

    // Filters: Jugendamt (6) is shown on its own, without free texts.
    // Bürgerservice (6) is refused: with the total (14) and Jugendamt it
    // would give away the 2 answers of the Kämmerei by difference.
    let p = pia
        .get(&format!(
            "{survey_path}/ergebnisse?fachbereich=jugendamt&rolle="
        ))
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("id=\"filter-active\""));
    assert!(p.body.contains("id=\"total-responses\">6<"));
    assert!(
        !p.body.contains("Geheimidee-4711"),
        "no free texts in a filtered view"
    );
    for department in ["buergerservice", "kaemmerei"] {
        let p = pia
            .get(&format!(
                "{survey_path}/ergebnisse?fachbereich={department}"
            ))
            .await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert!(
            !p.body.contains("id=\"filter-active\""),
            "{department} is refused"
        );
        assert!(p.body.contains("zu wenige Antworten"));
        assert!(p.body.contains("id=\"total-responses\">14<"));
    }

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
    assert_eq!(json["responses"], 14);
    let r = pia
        .client
        .get(format!("{}{survey_path}/export/md", server.base))
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().starts_with("# Ergebnisse"));
    let r = pia
        .client
        .get(format!("{}{survey_path}/export/html", server.base))
        .send()
        .await
        .unwrap();
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert!(html.contains("<h1"));
    assert!(html.contains("<figure class=\"chart\"><svg"), "{html}");
    assert!(!html.contains("<img src=\"diagramm-"), "{html}");
    let r = pia
        .client
        .get(format!("{}{survey_path}/export/antworten", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "answer rows are for administrators only");
    let r = pia
        .client
        .get(format!("{}{survey_path}/export/odt", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.oasis.opendocument.text"
    );
    let odt = r.bytes().await.unwrap();
    assert!(odt.starts_with(b"PK"), "an ODT is a zip");
    assert!(
        odt.windows(b"application/vnd.oasis.opendocument.text".len())
            .any(|w| w == b"application/vnd.oasis.opendocument.text"),
        "with its mimetype entry"
    );
    let has = |needle: &[u8]| odt.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"Pictures/diagramm-1.svg"), "charts are in the package");

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
        "Umfragezeitraum festgelegt",
        "Papierantwort erfasst",
    ] {
        assert!(log.contains(expected), "audit log lacks {expected}:\n{log}");
    }
    assert!(!log.contains("Geheimidee"));
    assert!(!log.contains("buergerservice"));
}

fn field_pairs(pairs: &[(String, String)], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out = pairs.to_vec();
    out.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    out
}

/// The editor story: copy the default, add and fill a question in the
/// browser form, a mistake refused per question and kept, the preview
/// follows, saving stores it; a running survey is no longer editable; a
/// file upload imports a LimeSurvey export with its report.
async fn editor_story(backend: Backend) {
    use journey::survey::edit::QuestionnaireDraft;

    let url = fresh_database_url(backend).await;
    let store = Store::connect(&url).await.expect("store");
    let hash = portal::auth::password::hash(PASSWORD.into()).await.unwrap();
    store
        .complete_setup(
            &NewUser {
                email: "pia@musterstadt.de".into(),
                name: "Pia Projekt".into(),
                role: Role::Admin,
                department: None,
                password_hash: Some(hash),
            },
            &Profile {
                name: "Stadt Musterstadt".into(),
                ags: "15002000".into(),
                staff_count: 100,
                departments: vec![Department {
                    name: "Bürgerservice".into(),
                    staff_count: 40,
                }],
                ..Profile::default()
            },
        )
        .await
        .unwrap();
    let server = spawn(store.clone()).await;
    let mut pia = Browser::new(&server.base);
    pia.get("/anmelden").await;
    let p = pia
        .post(
            "/anmelden",
            &[("email", "pia@musterstadt.de"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    pia.get("/umfrage/neu").await;
    let p = pia
        .post(
            "/umfrage/neu",
            &[("source", "default"), ("min_group_size", "5")],
        )
        .await;
    let original_path = p.location.expect("survey created");

    // Copy it and land in the editor of the copy.
    pia.get(&original_path).await;
    let p = pia.post(&format!("{original_path}/kopieren"), &[]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let edit_path = p.location.expect("editor of the copy");
    assert!(edit_path.ends_with("/bearbeiten") && !edit_path.starts_with(&original_path));
    let path = edit_path.trim_end_matches("/bearbeiten").to_string();
    let id: i64 = path.trim_start_matches("/umfrage/").parse().unwrap();
    assert!(store
        .survey(id)
        .await
        .unwrap()
        .title
        .starts_with("Kopie von"));

    let p = pia.get(&edit_path).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let stored = store.survey(id).await.unwrap();
    let q: Questionnaire = serde_json::from_str(&stored.questionnaire).unwrap();
    let mut draft = QuestionnaireDraft::from_questionnaire(&q);
    let form = draft.form_pairs();
    for (name, _) in &form {
        assert!(
            p.body.contains(&format!("name=\"{name}\"")),
            "editor lacks {name}"
        );
    }
    assert!(p.body.contains("id=\"preview\""));
    assert!(p.body.contains(&q.sections[0].questions[0].text));
    let version = stored.version.to_string();

    // Add a number question to the first section: shown, not stored.
    let p = pia
        .post(
            &edit_path,
            &refs(&field_pairs(
                &form,
                &[
                    ("store_version", &version),
                    ("s0.new_type", "number"),
                    ("action", "add-question:0"),
                ],
            )),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let n = q.sections[0].questions.len();
    assert!(p.body.contains(&format!("name=\"s0.q{n}.min\"")));
    assert_eq!(store.survey(id).await.unwrap().version, stored.version);

    // Fill it with a minimum that is no number: refused, named, kept.
    draft.apply(&journey::survey::edit::EditAction::AddQuestion {
        section: 0,
        kind: "number".into(),
    });
    let new = draft.sections[0].questions.last_mut().unwrap();
    new.text = "Wie viele Stunden pro Monat?".into();
    new.min = "zwei".into();
    new.required = true;
    let new_id = new.id.clone();
    let p = pia
        .post(
            &edit_path,
            &refs(&field_pairs(
                &draft.form_pairs(),
                &[("store_version", &version), ("action", "save")],
            )),
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("„zwei“ ist keine Zahl"));
    assert!(p.body.contains(&format!("id=\"e-s0-q{n}-error\"")));
    assert!(p.body.contains("value=\"zwei\""), "the wrong value is kept");
    assert_eq!(store.survey(id).await.unwrap().version, stored.version);

    // The live preview renders what staff will see, unsaved.
    draft.sections[0].questions.last_mut().unwrap().min = "0".into();
    let preview_pairs = draft.form_pairs();
    let p = pia
        .htmx_post(&format!("{path}/vorschau"), &refs(&preview_pairs))
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("Wie viele Stunden pro Monat? *"));
    assert!(!p.body.contains("<html"), "a fragment, not a page");

    // A condition on an unknown question is refused by the domain rules.
    let mut broken = draft.clone();
    broken.sections[0].questions.last_mut().unwrap().if_question = "gibt_es_nicht".into();
    broken.sections[0].questions.last_mut().unwrap().if_value = "ja".into();
    let p = pia
        .post(
            &edit_path,
            &refs(&field_pairs(
                &broken.form_pairs(),
                &[("store_version", &version), ("action", "save")],
            )),
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("gibt_es_nicht"));

    // Saved.
    let p = pia
        .post(
            &edit_path,
            &refs(&field_pairs(
                &draft.form_pairs(),
                &[("store_version", &version), ("action", "save")],
            )),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("gespeichert"));
    let saved: Questionnaire =
        serde_json::from_str(&store.survey(id).await.unwrap().questionnaire).unwrap();
    let added = saved.question(&new_id).expect("the new question is stored");
    assert_eq!(added.text, "Wie viele Stunden pro Monat?");
    assert!(added.required);

    // Saving again from the old version is a conflict, nothing overwritten.
    let p = pia
        .post(
            &edit_path,
            &refs(&field_pairs(
                &form,
                &[("store_version", &version), ("action", "save")],
            )),
        )
        .await;
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(
        serde_json::from_str::<Questionnaire>(&store.survey(id).await.unwrap().questionnaire)
            .unwrap()
            .question(&new_id)
            .is_some()
    );

    // Once running, the questionnaire is fixed.
    pia.get(&path).await;
    assert_eq!(pia.post(&format!("{path}/oeffnen"), &[]).await.status, 303);
    assert_eq!(pia.get(&edit_path).await.status, 409);

    // Export with its schema.
    let r = pia
        .client
        .get(format!("{}{path}/export/schema", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let schema: serde_json::Value = r.json().await.unwrap();
    assert!(schema["$id"]
        .as_str()
        .unwrap()
        .ends_with("questionnaire.schema.json"));

    // Import by file upload: the LimeSurvey export, with its report.
    let lss = include_str!("../../journey/tests/survey_fixtures/limesurvey_v6_kommune.lss");
    pia.get("/umfrage/neu").await;
    let csrf = pia.csrf.clone();
    let upload = |bytes: Vec<u8>, name: &str| {
        reqwest::multipart::Form::new()
            .text("_csrf", csrf.clone())
            .text("title", "Aus LimeSurvey")
            .text("min_group_size", "5")
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
            )
    };
    let r = pia
        .client
        .post(format!("{}/umfrage/neu/datei", server.base))
        .multipart(upload(lss.as_bytes().to_vec(), "kommune.lss"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let imported = r.headers()["location"].to_str().unwrap().to_string();
    let p = pia.get(&imported).await;
    assert!(p.body.contains("Importbericht"), "{}", p.body);
    assert!(p.body.contains("Aus LimeSurvey"));
    let before = store.surveys().await.unwrap().len();
    let r = pia
        .client
        .post(format!("{}/umfrage/neu/datei", server.base))
        .multipart(upload(
            b"<?xml version=\"1.0\"?><kaputt".to_vec(),
            "kaputt.lss",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(
        store.surveys().await.unwrap().len(),
        before,
        "nothing stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_questionnaire_editor_story_runs_on_sqlite() {
    editor_story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_questionnaire_editor_story_runs_on_postgres() {
    editor_story(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_survey_story_runs_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_survey_story_runs_on_postgres() {
    story(Backend::Postgres).await;
}
