//! The qualification story, run unchanged on SQLite and on PostgreSQL: the
//! project team takes over the seed catalogue, evaluates three offers,
//! builds a learning path, plans for two departments; staff enrol (one seat,
//! so the second lands on the waiting list), attend and complete; the team
//! issues an Open Badge that verifies offline and fails when tampered with;
//! the Art. 4 report shows each role what it may see.

mod common;

use common::{extract_between, fresh_database_url, spawn, Backend, Browser};
use journey::access::Role;
use journey::profile::{Department, Profile};
use store::users::NewUser;
use store::{Actor, Store};

const PASSWORD: &str = "ein-langes-passwort-1";

async fn login(base: &str, email: &str) -> Browser {
    let mut b = Browser::new(base);
    b.get("/anmelden").await;
    let p = b
        .post(
            "/anmelden",
            &[("email", email), ("password", PASSWORD), ("next", "/")],
        )
        .await;
    assert_eq!(p.status, 303, "login {email}: {}", p.body);
    b.get("/").await;
    b
}

fn evaluation(offer: &str, rating: &str, decision: &str) -> Vec<(String, String)> {
    let rubric = journey::qualification::rubric::Rubric::shipped().unwrap();
    let mut fields = vec![
        ("offer".to_string(), offer.to_string()),
        ("decision".into(), decision.into()),
        ("reason".into(), format!("Bewertung für {offer}")),
    ];
    fields.extend(
        rubric
            .criteria
            .iter()
            .map(|c| (format!("r.{}", c.id), rating.to_string())),
    );
    fields
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Creates a session for `offer` and returns its id.
async fn create_session(team: &mut Browser, offer: &str, title: &str, capacity: &str) -> String {
    let before = team.get("/qualifizierung/termine").await.body;
    let p = team
        .post(
            "/qualifizierung/termine",
            &[
                ("offer", offer),
                ("title", title),
                ("starts_at", "2026-12-01T09:00"),
                ("ends_at", "2026-12-01T12:00"),
                ("place", "Ratshof, Raum 101"),
                ("trainer", "Tara Trainerin"),
                ("capacity", capacity),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    p.body
        .match_indices("href=\"/qualifizierung/termine/")
        .map(|(i, _)| extract_between(&p.body[i..], "termine/", "\"").unwrap())
        .find(|id| !before.contains(id.as_str()))
        .expect("the new session is listed")
}

async fn story(backend: Backend) {
    let url = fresh_database_url(backend).await;
    let store = Store::connect(&url).await.expect("store");
    let hash = portal::auth::password::hash_blocking(PASSWORD).unwrap();
    let user = |email: &str, name: &str, role, department: Option<&str>| NewUser {
        email: email.into(),
        name: name.into(),
        role,
        department: department.map(str::to_string),
        password_hash: Some(hash.clone()),
    };
    store
        .complete_setup(
            &user("ada@musterstadt.de", "Ada Admin", Role::Admin, None),
            &Profile {
                name: "Stadt Musterstadt".into(),
                ags: "15002000".into(),
                staff_count: 500,
                departments: vec![
                    Department {
                        name: "Bauamt".into(),
                        staff_count: 50,
                    },
                    Department {
                        name: "Bürgeramt".into(),
                        staff_count: 80,
                    },
                ],
                ..Profile::default()
            },
        )
        .await
        .unwrap();
    for (email, name, role, dept) in [
        (
            "pia@musterstadt.de",
            "Pia Projekt",
            Role::ProjectTeam,
            Some("Bauamt"),
        ),
        (
            "anna@musterstadt.de",
            "Anna Amt",
            Role::Staff,
            Some("Bauamt"),
        ),
        (
            "bernd@musterstadt.de",
            "Bernd Bürger",
            Role::Staff,
            Some("Bürgeramt"),
        ),
    ] {
        store
            .create_user(&Actor::system(), &user(email, name, role, dept))
            .await
            .unwrap();
    }
    let anna_id = store
        .user_by_email("anna@musterstadt.de")
        .await
        .unwrap()
        .unwrap()
        .id;
    let bernd_id = store
        .user_by_email("bernd@musterstadt.de")
        .await
        .unwrap()
        .unwrap()
        .id;
    let server = spawn(store).await;
    let base = server.base.clone();

    // The module page leads here; the team takes over the seed catalogue.
    let mut ada = login(&base, "ada@musterstadt.de").await;
    let p = ada.get("/module/qualifizierung").await;
    assert_eq!(p.location.as_deref(), Some("/qualifizierung"));
    let p = ada.get("/qualifizierung").await;
    assert!(p.body.contains("Musterkatalog übernehmen"));
    let p = ada.post("/qualifizierung/musterkatalog", &[]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("Elements of AI"), "{}", p.body);
    let again = ada.post("/qualifizierung/musterkatalog", &[]).await;
    assert!(
        again.body.contains("0 neu übernommen"),
        "nothing duplicated: {}",
        again.body
    );

    // Evaluate three offers; a missing rating is named and nothing stored.
    let mut incomplete = evaluation("bakoev_ki", "4", "pruefen");
    incomplete.retain(|(k, _)| k != "r.didaktik");
    let p = ada
        .post("/qualifizierung/bewertung", &pairs(&incomplete))
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("Didaktische Qualität"), "{}", p.body);
    for (offer, rating, decision) in [
        ("elements_of_ai", "5", "aufnehmen"),
        ("ki_campus_kioev", "4", "aufnehmen"),
        ("building_ai", "1", "ablehnen"),
    ] {
        let p = ada
            .post(
                "/qualifizierung/bewertung",
                &pairs(&evaluation(offer, rating, decision)),
            )
            .await;
        assert_eq!(p.status, 200, "{}", p.body);
    }
    let p = ada.get("/qualifizierung/bewertung").await;
    let comparison = extract_between(&p.body, "<caption>Bewertete Angebote", "</table>").unwrap();
    let order: Vec<usize> = [
        "Elements of AI",
        "KI in der öffentlichen Verwaltung",
        "Building AI",
    ]
    .iter()
    .map(|t| comparison.find(t).unwrap_or_else(|| panic!("{t} missing")))
    .collect();
    assert!(
        order[0] < order[1] && order[1] < order[2],
        "ranked by score"
    );
    assert!(
        !comparison.contains("BAköV"),
        "the failed evaluation was not stored"
    );

    // Build a path; a cycle is refused by name.
    let cycle = ada
        .post(
            "/qualifizierung/lernpfade",
            &[
                ("id", "kreis"),
                ("title", "Kreis"),
                ("targets", "ki_verstehen=1"),
                (
                    "steps",
                    "a; A; elements_of_ai; b\nb; B; intern_dienstanweisung; a",
                ),
            ],
        )
        .await;
    assert_eq!(cycle.status, 422);
    assert!(cycle.body.contains("im Kreis"), "{}", cycle.body);
    let p = ada
        .post(
            "/qualifizierung/lernpfade",
            &[
                ("id", "einstieg"),
                ("title", "Einstieg KI"),
                ("role", "alle"),
                ("targets", "ki_verstehen=2, generative_ki_nutzen=1, recht_und_ethik=1, datenkompetenz=1, risiken_und_sicherheit=1"),
                ("steps", "grundlagen; Grundlagen; ki_campus_kioev | elements_of_ai\ndienst; KI im Dienst; intern_dienstanweisung; grundlagen"),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("Lernpfad „Einstieg KI“ gespeichert"));

    // Plan for two departments: heat map, table, uncovered gaps, totals.
    let csv = "Fachbereich;Rolle;Anzahl;ki_verstehen;generative_ki_nutzen;recht_und_ethik;datenkompetenz;risiken_und_sicherheit;ki_gestalten\n\
               Bauamt;alle;40;0;0;0;0;0;0\n\
               Bürgeramt;datenschutz_recht;3;1;1;1;1;1;0\n";
    let p = ada.post("/qualifizierung/planung", &[("csv", csv)]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("<svg") && p.body.contains("role=\"img\""));
    assert!(
        p.body.contains("43 Personen, davon 43 mit Lücken"),
        "{}",
        p.body
    );
    let uncovered =
        extract_between(&p.body, "Lücken ohne passendes Angebot", "</ul>").unwrap_or_default();
    assert!(
        uncovered.contains("von Stufe 2 auf 4: 3 Personen (Bürgeramt)"),
        "legal needs level 4, offers reach 2: {uncovered}"
    );
    assert!(
        !p.body.contains("Building AI"),
        "rejected offers are not planned"
    );
    let bad = ada
        .post(
            "/qualifizierung/planung",
            &[("csv", "Fachbereich;Rolle;Anzahl\nBauamt;zauberer;x\n")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Zeile 2"), "{}", bad.body);

    // Trainings: one seat; Anna gets it, Bernd the waiting list.
    let dienst = create_session(&mut ada, "intern_dienstanweisung", "KI im Dienst", "1").await;
    let kurs = create_session(&mut ada, "ki_campus_kioev", "KIÖV gemeinsam", "20").await;
    let mut anna = login(&base, "anna@musterstadt.de").await;
    let mut bernd = login(&base, "bernd@musterstadt.de").await;
    let p = anna
        .post(&format!("/qualifizierung/termine/{dienst}/anmelden"), &[])
        .await;
    assert!(p.body.contains("Angemeldet."), "{}", p.body);
    let p = bernd
        .post(&format!("/qualifizierung/termine/{dienst}/anmelden"), &[])
        .await;
    assert!(p.body.contains("Warteliste"), "{}", p.body);
    anna.post(&format!("/qualifizierung/termine/{kurs}/anmelden"), &[])
        .await;
    // Staff cannot act for others.
    let p = bernd
        .post(
            &format!("/qualifizierung/termine/{kurs}/anmelden"),
            &[("user_id", &anna_id.to_string())],
        )
        .await;
    assert_eq!(p.status, 403);
    let ics = anna.get("/qualifizierung/kalender.ics").await.body;
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2);
    assert!(ics.contains("\r\nDTSTART;TZID=Europe/Berlin:20261201T090000\r\n"));

    // Attendance and completion by the team.
    let anna_s = anna_id.to_string();
    for session in [&dienst, &kurs] {
        for status in ["attended", "completed"] {
            let p = ada
                .post(
                    &format!("/qualifizierung/termine/{session}/status"),
                    &[("user_id", &anna_s), ("status", status)],
                )
                .await;
            assert!(p.body.contains("erfasst"), "{status}: {}", p.body);
        }
    }

    // Credentials: Anna completed the path, Bernd did not.
    let p = ada
        .post(
            "/qualifizierung/nachweise",
            &[("user_id", &bernd_id.to_string()), ("path", "einstieg")],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(
        p.body.contains("offen: „Grundlagen“, „KI im Dienst“"),
        "{}",
        p.body
    );
    let p = ada
        .post(
            "/qualifizierung/nachweise",
            &[("user_id", &anna_s), ("path", "einstieg")],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let credential = extract_between(&p.body, "ausgestellt (", ")").expect("credential id");
    let badge = anna
        .get(&format!(
            "/qualifizierung/nachweise/{credential}/badge.json"
        ))
        .await;
    assert_eq!(badge.status, 200);
    let doc: serde_json::Value = serde_json::from_str(&badge.body).unwrap();
    assert_eq!(doc["type"][1], "OpenBadgeCredential");
    assert_eq!(
        bernd
            .get(&format!(
                "/qualifizierung/nachweise/{credential}/badge.json"
            ))
            .await
            .status,
        404
    );
    let certificate = anna
        .get(&format!("/qualifizierung/nachweise/{credential}"))
        .await;
    assert!(certificate.body.contains("Anna Amt") && certificate.body.contains("Einstieg KI"));

    // Anyone verifies it, without logging in; a changed name fails.
    let mut outsider = Browser::new(&base);
    let p = outsider.get("/qualifizierung/pruefen").await;
    assert!(p.body.contains("did:key:z6Mk"));
    let p = outsider
        .post("/qualifizierung/pruefen", &[("badge", &badge.body)])
        .await;
    assert!(p.body.contains("Gültig: „Einstieg KI“"), "{}", p.body);
    let tampered = badge.body.replace("Anna Amt", "Bernd Bürger");
    let p = outsider
        .post("/qualifizierung/pruefen", &[("badge", &tampered)])
        .await;
    assert!(p.body.contains("verändert"), "{}", p.body);

    // Art. 4 report: admin sees everyone, the project team its department,
    // staff only themselves.
    let p = ada.get("/qualifizierung/art4").await;
    assert!(p.body.contains("Anna Amt") && p.body.contains("Bernd Bürger"));
    let csv = ada.get("/qualifizierung/art4/csv").await.body;
    let anna_row = csv.lines().find(|l| l.contains("Anna Amt")).unwrap();
    assert!(
        anna_row.contains("KI im Dienst") && anna_row.contains("Einstieg KI"),
        "{anna_row}"
    );
    assert!(
        anna_row.contains(",5,5,"),
        "all five targets met: {anna_row}"
    );
    let md = ada.get("/qualifizierung/art4/md").await.body;
    assert!(md.contains("| Bauamt | Alle Beschäftigten |"), "{md}");
    let mut pia = login(&base, "pia@musterstadt.de").await;
    let p = pia.get("/qualifizierung/art4").await;
    assert!(p.body.contains("Anna Amt") && !p.body.contains("Bernd Bürger"));
    let p = bernd.get("/qualifizierung/art4").await;
    assert!(p.body.contains("Bernd Bürger") && !p.body.contains("Anna Amt"));
    assert_eq!(bernd.get("/qualifizierung/planung").await.status, 403);

    // The JSON API: plan for given cohorts, evaluation errors in the error
    // shape, enrolment, verification and the scoped report.
    let api = |b: &Browser, method: reqwest::Method, path: &str| {
        b.client
            .request(method, format!("{base}{path}"))
            .header("x-csrf-token", &b.csrf)
    };
    let plan: serde_json::Value = api(&ada, reqwest::Method::POST, "/api/v1/qualification/plan")
        .json(&serde_json::json!({"cohorts": [
            {"department": "Bauamt", "role": "alle", "headcount": 10, "levels": {}},
            {"department": "IT", "role": "it", "headcount": 2, "levels": {"ki_verstehen": 3}}
        ]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(plan["persons"], 12);
    assert_eq!(plan["departments"].as_array().unwrap().len(), 2);
    let r = api(&ada, reqwest::Method::POST, "/api/v1/qualification/evaluations")
        .json(&serde_json::json!({"offer": "bakoev_ki", "ratings": {"passung": 9}, "decision": "aufnehmen", "reason": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let err: serde_json::Value = r.json().await.unwrap();
    let message = err["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("bakoev_ki") && message.contains("Begründung"),
        "{message}"
    );
    let r = api(
        &bernd,
        reqwest::Method::POST,
        &format!("/api/v1/qualification/sessions/{kurs}/enrolments"),
    )
    .json(&serde_json::json!({}))
    .send()
    .await
    .unwrap();
    let enrolled: serde_json::Value = r.json().await.unwrap();
    assert_eq!(enrolled["status"], "enrolled");
    let verified: serde_json::Value = api(
        &bernd,
        reqwest::Method::POST,
        "/api/v1/qualification/credentials/verify",
    )
    .header("content-type", "application/json")
    .body(tampered)
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(verified["valid"], false);
    let report: serde_json::Value =
        api(&bernd, reqwest::Method::GET, "/api/v1/qualification/report")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(report["persons"].as_array().unwrap().len(), 1);
    assert_eq!(report["persons"][0]["name"], "Bernd Bürger");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_qualification_story_runs_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_qualification_story_runs_on_postgres() {
    story(Backend::Postgres).await;
}
