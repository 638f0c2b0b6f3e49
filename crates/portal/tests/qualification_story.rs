//! The qualification story, run unchanged on SQLite and on PostgreSQL: the
//! project team takes over the seed catalogue, evaluates three offers,
//! builds a learning path, plans for two departments; staff enrol (one seat,
//! so the second lands on the waiting list), attend and complete; the team
//! issues an Open Badge that verifies offline and fails when tampered with;
//! the Art. 4 report shows each role what it may see.

mod common;

use common::{extract_between, fresh_database_url, spawn, unescape, Backend, Browser};
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

/// Creates a session for `offer` on 1 December 2026 and returns its id.
async fn create_session(team: &mut Browser, offer: &str, title: &str, capacity: &str) -> String {
    create_session_at(team, offer, title, capacity, "2026-12-01").await
}

/// Creates a session for `offer` from 09:00 to 12:00 on `day`.
async fn create_session_at(
    team: &mut Browser,
    offer: &str,
    title: &str,
    capacity: &str,
    day: &str,
) -> String {
    let before = team.get("/qualifizierung/termine").await.body;
    let (starts_at, ends_at) = (format!("{day}T09:00"), format!("{day}T12:00"));
    let p = team
        .post(
            "/qualifizierung/termine",
            &[
                ("offer", offer),
                ("title", title),
                ("starts_at", &starts_at),
                ("ends_at", &ends_at),
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

    offers_are_edited_in_the_browser(&mut ada).await;

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

    the_rubric_is_edited_and_scores_follow(&mut ada).await;

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

    archived_offers_leave_the_catalogue_but_not_a_path(&mut ada).await;
    role_profiles_keep_the_choice_when_refused(&mut ada).await;
    partners_are_kept_up_to_date(&mut ada).await;

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
    assert!(
        p.body.contains("Lernpfad „") && !p.body.contains("Lernpfad grundlagen_alle"),
        "paths by their names: {}",
        p.body
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

    // A training still to come: the list offers nothing to record yet, and
    // completion is refused on the page and in the API, naming the field.
    let later =
        create_session_at(&mut ada, "intern_ki_lotsen", "KI später", "5", "2099-03-01").await;
    anna.post(&format!("/qualifizierung/termine/{later}/anmelden"), &[])
        .await;
    let p = ada.get(&format!("/qualifizierung/termine/{later}")).await;
    assert!(p.body.contains("Teilnehmende"), "{}", p.body);
    assert!(
        !p.body.contains("<option value=\"completed\">"),
        "no completion offered before the end: {}",
        p.body
    );
    assert!(p.body.contains("01.03.2099, 12:00 Uhr"), "{}", p.body);
    let p = ada
        .post(
            &format!("/qualifizierung/termine/{later}/status"),
            &[("user_id", &anna_s), ("status", "completed")],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        p.body.contains(&format!("id=\"status-{anna_s}-error\"")),
        "{}",
        p.body
    );
    assert!(
        p.body.contains("erst nach dem Ende der Schulung"),
        "{}",
        p.body
    );
    // A status the list does not offer is said beside the person's list.
    let p = ada
        .post(
            &format!("/qualifizierung/termine/{later}/status"),
            &[("user_id", &anna_s), ("status", "zauberei")],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("Bitte einen der angebotenen Status wählen"));
    let r = ada
        .client
        .put(format!(
            "{base}/api/v1/qualification/sessions/{later}/enrolments/{anna_s}"
        ))
        .header("x-csrf-token", &ada.csrf)
        .json(&serde_json::json!({"status": "completed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["field"], "status", "{body}");
    // On a past training the list offers exactly the next steps.
    let p = ada.get(&format!("/qualifizierung/termine/{kurs}")).await;
    assert!(
        !p.body.contains("<option value=\"completed\">"),
        "already completed"
    );

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

    // Bernd completes the path without a seat: the online course on his
    // own, the internal session recorded by the team. Both count.
    let p = bernd.get("/qualifizierung/angebote/elements_of_ai").await;
    assert!(p.body.contains("Abschluss eintragen"), "{}", p.body);
    let p = bernd
        .post(
            "/qualifizierung/angebote/elements_of_ai/abschluss",
            &[("completed_on", "2099-01-01")],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("in der Zukunft"), "{}", p.body);
    let p = bernd
        .post(
            "/qualifizierung/angebote/elements_of_ai/abschluss",
            &[("completed_on", "2026-11-20"), ("user_id", &anna_s)],
        )
        .await;
    assert_eq!(p.status, 403, "staff record only their own");
    let p = bernd
        .post(
            "/qualifizierung/angebote/ki_campus_kioev/abschluss",
            &[("completed_on", "2026-11-20")],
        )
        .await;
    assert_eq!(p.status, 422, "offers with sessions are completed there");
    assert!(p.body.contains("Schulungstermine"), "{}", p.body);
    let p = bernd
        .post(
            "/qualifizierung/angebote/elements_of_ai/abschluss",
            &[("completed_on", "2026-11-20")],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("Abschluss von „Elements of AI (deutsche Fassung)“ für Bernd Bürger am 2026-11-20 eingetragen"), "{}", p.body);
    assert!(p
        .body
        .contains("Sie haben dieses Angebot am 2026-11-20 abgeschlossen"));
    let p = bernd.get("/qualifizierung/lernpfade").await;
    let einstieg = extract_between(&p.body, "<section id=\"einstieg\">", "</section>").unwrap();
    assert!(
        einstieg.contains("1 von 2 Schritten abgeschlossen"),
        "{einstieg}"
    );
    let bernd_s = bernd_id.to_string();
    let p = ada
        .post(
            "/qualifizierung/angebote/intern_dienstanweisung/abschluss",
            &[("completed_on", "2026-11-21"), ("user_id", &bernd_s)],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let p = bernd.get("/qualifizierung/lernpfade").await;
    assert!(
        p.body.contains("2 von 2 Schritten abgeschlossen"),
        "{}",
        p.body
    );
    let p = ada
        .post(
            "/qualifizierung/nachweise",
            &[("user_id", &bernd_s), ("path", "einstieg")],
        )
        .await;
    assert_eq!(p.status, 200, "the path is complete: {}", p.body);

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
    let bernd_row = csv.lines().find(|l| l.contains("Bernd Bürger")).unwrap();
    assert!(
        bernd_row.contains("Elements of AI (deutsche Fassung) (2026-11-20)"),
        "self-paced completion counts: {bernd_row}"
    );
    let odt = ada
        .client
        .get(format!("{base}/qualifizierung/art4/odt"))
        .send()
        .await
        .unwrap();
    assert_eq!(odt.status(), 200);
    assert_eq!(
        odt.headers()["content-type"],
        "application/vnd.oasis.opendocument.text"
    );
    let bytes = odt.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK");
    assert_eq!(&bytes[30..38], b"mimetype");
    let html = ada.get("/qualifizierung/art4/html").await.body;
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("Bernd Bürger"));
    let own = bernd.get("/qualifizierung/art4/html").await.body;
    assert!(!own.contains("Anna Amt"), "exports keep the scope");
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

    // The new flows in the API: the rubric with its version, an offer
    // changed under its version, a self-reported completion.
    let current: serde_json::Value =
        api(&ada, reqwest::Method::GET, "/api/v1/qualification/rubric")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let mut uneven = current.clone();
    uneven["rubric"]["criteria"][0]["weight"] = serde_json::json!(5);
    let r = api(&ada, reqwest::Method::PUT, "/api/v1/qualification/rubric")
        .json(&uneven)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let err: serde_json::Value = r.json().await.unwrap();
    assert!(
        err["error"]["message"].as_str().unwrap().contains("80 %"),
        "{err}"
    );
    let r = api(&ada, reqwest::Method::PUT, "/api/v1/qualification/rubric")
        .json(&current)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = api(&ada, reqwest::Method::PUT, "/api/v1/qualification/rubric")
        .json(&current)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "the version moved on");
    let offer: serde_json::Value = api(
        &ada,
        reqwest::Method::GET,
        "/api/v1/qualification/offers/vhs_ki_praxis",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let mut changed = offer.clone();
    changed["offer"]["duration_hours"] = serde_json::json!(8);
    changed
        .as_object_mut()
        .unwrap()
        .insert("archived".into(), serde_json::json!(true));
    let r = api(
        &ada,
        reqwest::Method::PUT,
        "/api/v1/qualification/offers/vhs_ki_praxis",
    )
    .json(&changed)
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let saved: serde_json::Value = r.json().await.unwrap();
    assert_eq!(saved["archived"], true);
    assert_eq!(saved["offer"]["duration_hours"], 8.0);
    let r = api(
        &ada,
        reqwest::Method::PUT,
        "/api/v1/qualification/offers/vhs_ki_praxis",
    )
    .json(&changed)
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 409);
    let r = api(&bernd, reqwest::Method::POST, "/api/v1/qualification/completions")
        .json(&serde_json::json!({"offer": "building_ai", "completed_on": "2026-11-22", "user_id": anna_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = api(
        &bernd,
        reqwest::Method::POST,
        "/api/v1/qualification/completions",
    )
    .json(&serde_json::json!({"offer": "building_ai", "completed_on": "2026-11-22"}))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 201);

    // Roles of people: the team gives Bernd the IT profile, which he does
    // not yet meet; the report measures him against it.
    let p = pia.get("/qualifizierung/personen").await;
    assert!(
        p.body.contains("Anna Amt") && !p.body.contains("Bernd Bürger"),
        "department only"
    );
    let bad = ada
        .post(
            "/qualifizierung/personen",
            &[
                (&*format!("role.{bernd_id}"), "it"),
                (&*format!("l.{bernd_id}.ki_verstehen"), "9"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("Bernd Bürger: „9“ ist keine Stufe"),
        "{}",
        bad.body
    );
    let mut grid = vec![(format!("role.{bernd_id}"), "it".to_string())];
    for area in [
        "ki_verstehen",
        "generative_ki_nutzen",
        "recht_und_ethik",
        "datenkompetenz",
        "risiken_und_sicherheit",
        "ki_gestalten",
    ] {
        let level = if area == "datenkompetenz" { "3" } else { "0" };
        grid.push((format!("l.{bernd_id}.{area}"), level.to_string()));
    }
    let p = ada.post("/qualifizierung/personen", &pairs(&grid)).await;
    assert!(p.body.contains("1 Personen geändert"), "{}", p.body);
    let csv = ada.get("/qualifizierung/art4/csv").await.body;
    let bernd_row = csv.lines().find(|l| l.contains("Bernd Bürger")).unwrap();
    assert!(bernd_row.contains("IT und Digitalisierung"), "{bernd_row}");
    assert!(
        bernd_row.contains(",2,6,"),
        "data literacy (start 3) and, through Building AI, understanding AI are met: {bernd_row}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_qualification_story_runs_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_qualification_story_runs_on_postgres() {
    story(Backend::Postgres).await;
}

/// The form of a new offer with every field, as the page posts it.
fn offer_fields<'a>(id: &'a str, title: &'a str, url: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("id", id),
        ("title", title),
        (
            "description",
            "Praxisnah: KI-Werkzeuge im Verwaltungsalltag.",
        ),
        ("provider", "VHS Musterstadt"),
        ("provider_type", "volkshochschule"),
        ("format", "praesenz"),
        ("duration_hours", "6,5"),
        ("cost_eur", "45"),
        ("language", "de"),
        ("accessibility", "Räume barrierefrei"),
        ("certificate", "Teilnahmebestätigung"),
        ("licence", "proprietär"),
        ("url", url),
        ("partner", ""),
        ("checked_on", "2026-11-01"),
        ("from.generative_ki_nutzen", "1"),
        ("to.generative_ki_nutzen", "2"),
        ("to.ki_verstehen", ""),
    ]
}

/// Create with every field, per-field errors with the input kept, a URL
/// that belongs to another offer, and a concurrent edit.
async fn offers_are_edited_in_the_browser(ada: &mut Browser) {
    let p = ada.get("/qualifizierung/neues-angebot").await;
    assert_eq!(p.status, 200);
    let mut bad = offer_fields("", "", "ftp://vhs.example/ki");
    bad.retain(|(k, _)| !k.starts_with("to.") && *k != "duration_hours" && *k != "cost_eur");
    bad.extend([("duration_hours", "viel"), ("cost_eur", "-5")]);
    let p = ada.post("/qualifizierung/neues-angebot", &bad).await;
    assert_eq!(p.status, 422, "{}", p.body);
    for message in [
        "title-error\">Der Titel fehlt.",
        "duration_hours-error\">„viel“ ist keine Stundenzahl",
        "cost_eur-error\">Die Kosten dürfen nicht negativ sein",
        "url-error\">Die Adresse „ftp://vhs.example/ki“ ist keine http(s)-Adresse.",
        "covers-error\">Es ist kein Kompetenzbereich angegeben",
    ] {
        assert!(unescape(&p.body).contains(message), "{message}: {}", p.body);
    }
    assert!(
        unescape(&p.body).contains("value=\"ftp://vhs.example/ki\""),
        "input kept"
    );
    assert!(p.body.contains("value=\"viel\""), "input kept");

    let taken = offer_fields("doppelt", "Doppelt", "https://www.elementsofai.de/");
    let elements = ada.get("/qualifizierung/angebote/elements_of_ai").await;
    let elements_url =
        unescape(&extract_between(&elements.body, "<dt>Adresse</dt><dd><a href=\"", "\"").unwrap());
    let taken: Vec<(&str, &str)> = taken
        .into_iter()
        .map(|(k, v)| {
            if k == "url" {
                (k, elements_url.as_str())
            } else {
                (k, v)
            }
        })
        .collect();
    let p = ada.post("/qualifizierung/neues-angebot", &taken).await;
    assert_eq!(p.status, 422);
    assert!(
        p.body
            .contains("gehört schon zum Lernangebot „Elements of AI"),
        "{}",
        p.body
    );

    let p = ada
        .post(
            "/qualifizierung/neues-angebot",
            &offer_fields(
                "vhs_ki_praxis",
                "KI-Praxis an der VHS",
                "https://vhs.example/ki",
            ),
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(
        p.location.as_deref(),
        Some("/qualifizierung/angebote/vhs_ki_praxis?gespeichert=1")
    );
    let p = ada
        .get("/qualifizierung/angebote/vhs_ki_praxis?gespeichert=1")
        .await;
    for shown in [
        "Lernangebot gespeichert.",
        "VHS Musterstadt (Volkshochschule)",
        "Präsenz",
        "6,5 Stunden",
        "45 €",
        "Räume barrierefrei",
        "Teilnahmebestätigung",
        "proprietär",
        "2026-11-01",
        "→2",
    ] {
        assert!(p.body.contains(shown), "{shown}: {}", p.body);
    }
    let p = ada.get("/qualifizierung").await;
    assert!(p.body.contains("KI-Praxis an der VHS"));

    // Two editors open the same version; the second save is refused and
    // keeps what was typed.
    let form = ada
        .get("/qualifizierung/angebote/vhs_ki_praxis/bearbeiten")
        .await;
    let version = extract_between(&form.body, "name=\"version\" value=\"", "\"").unwrap();
    let mut first = offer_fields("", "KI-Praxis kompakt", "https://vhs.example/ki");
    first.push(("version", &version));
    let p = ada
        .post("/qualifizierung/angebote/vhs_ki_praxis/bearbeiten", &first)
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let mut second = offer_fields("", "KI-Praxis lang", "https://vhs.example/ki");
    second.push(("version", &version));
    let p = ada
        .post("/qualifizierung/angebote/vhs_ki_praxis/bearbeiten", &second)
        .await;
    assert_eq!(p.status, 409);
    assert!(
        p.body.contains("inzwischen von jemand anderem geändert"),
        "{}",
        p.body
    );
    assert!(p.body.contains("value=\"KI-Praxis lang\""), "input kept");
    let p = ada.get("/qualifizierung/angebote/vhs_ki_praxis").await;
    assert!(p.body.contains("KI-Praxis kompakt"));
    let audit = ada.get("/protokoll").await.body;
    assert!(
        audit.contains("Lernangebot angelegt") && audit.contains("Lernangebot geändert"),
        "{audit}"
    );
}

/// Criteria renamed, removed and added; weights that do not sum to 100 are
/// refused with the sum; points and the comparison follow the rubric; the
/// shipped rubric comes back.
async fn the_rubric_is_edited_and_scores_follow(ada: &mut Browser) {
    let page = ada.get("/qualifizierung/bewertungsraster").await;
    assert_eq!(page.status, 200);
    let version = extract_between(&page.body, "name=\"version\" value=\"", "\"").unwrap();
    let rubric = journey::qualification::rubric::Rubric::shipped().unwrap();
    let form = |weights: &[(usize, &str)], remove: Option<usize>, new: (&str, &str)| {
        let mut f: Vec<(String, String)> = vec![
            ("version".into(), version.clone()),
            ("aufnehmen".into(), "70".into()),
            ("pruefen".into(), "50".into()),
        ];
        for (i, c) in rubric.criteria.iter().enumerate() {
            let weight = weights.iter().find(|(j, _)| *j == i).map_or(
                journey::qualification::rubric::format_number(c.weight),
                |(_, w)| w.to_string(),
            );
            f.push((format!("id.{i}"), c.id.clone()));
            f.push((
                format!("label.{i}"),
                if i == 1 {
                    "Didaktik".into()
                } else {
                    c.label.clone()
                },
            ));
            f.push((format!("description.{i}"), c.description.clone()));
            f.push((format!("weight.{i}"), weight));
            if remove == Some(i) {
                f.push((format!("remove.{i}"), "1".into()));
            }
        }
        f.push(("id.new".into(), String::new()));
        f.push(("label.new".into(), new.0.into()));
        f.push(("description.new".into(), String::new()));
        f.push(("weight.new".into(), new.1.into()));
        f
    };
    let p = ada
        .post(
            "/qualifizierung/bewertungsraster",
            &pairs(&form(&[(0, "40")], None, ("", ""))),
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("ergeben zusammen 115 %"), "{}", p.body);
    assert!(p.body.contains("value=\"40\""), "input kept");
    let p = ada
        .post(
            "/qualifizierung/bewertungsraster",
            &pairs(&form(&[(0, "-5")], None, ("", ""))),
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(
        p.body
            .contains("weight.0-error\">Das Gewicht darf nicht negativ sein."),
        "{}",
        p.body
    );
    let p = ada
        .post(
            "/qualifizierung/bewertungsraster",
            &pairs(&form(&[], None, ("", "5"))),
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(
        p.body
            .contains("label.new-error\">Bitte eine Bezeichnung angeben."),
        "{}",
        p.body
    );

    // "Kosten" (10 %) goes, "Verfügbarkeit vor Ort" (10 %) comes: Elements
    // of AI, rated 5 everywhere, now has 90 points until re-evaluated.
    let kosten = rubric
        .criteria
        .iter()
        .position(|c| c.id == "kosten")
        .unwrap();
    let p = ada
        .post(
            "/qualifizierung/bewertungsraster",
            &pairs(&form(&[], Some(kosten), ("Verfügbarkeit vor Ort", "10"))),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        p.body
            .contains("Bewertungsraster gespeichert (8 Kriterien)"),
        "{}",
        p.body
    );
    let p = ada.get("/qualifizierung/bewertung").await;
    assert!(
        p.body.contains("Didaktik (15 %)") && !p.body.contains("Kosten (10 %)"),
        "{}",
        p.body
    );
    assert!(p.body.contains("Verfügbarkeit vor Ort (10 %)"));
    assert!(
        p.body
            .contains("Elements of AI (deutsche Fassung): Verfügbarkeit vor Ort"),
        "unrated is named: {}",
        p.body
    );
    let overview = ada.get("/qualifizierung").await.body;
    assert!(overview.contains("90 Punkte – aufnehmen"), "{overview}");
    let stale = ada
        .post(
            "/qualifizierung/bewertungsraster",
            &pairs(&form(&[], None, ("", ""))),
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    let current = ada.get("/qualifizierung/bewertungsraster").await;
    let version = extract_between(&current.body, "name=\"version\" value=\"", "\"").unwrap();
    let p = ada
        .post(
            "/qualifizierung/bewertungsraster",
            &[("version", &version), ("reset", "1")],
        )
        .await;
    assert!(
        p.body
            .contains("Das mitgelieferte Bewertungsraster gilt wieder"),
        "{}",
        p.body
    );
    let overview = ada.get("/qualifizierung").await.body;
    assert!(overview.contains("100 Punkte – aufnehmen"), "{overview}");
    assert!(ada
        .get("/protokoll")
        .await
        .body
        .contains("Bewertungsraster geändert"));
}

/// An offer a path names stays; another is archived, leaves the catalogue,
/// its export and the evaluation list, and comes back.
async fn archived_offers_leave_the_catalogue_but_not_a_path(ada: &mut Browser) {
    let version = |body: &str| extract_between(body, "name=\"version\" value=\"", "\"").unwrap();
    let p = ada
        .get("/qualifizierung/angebote/intern_dienstanweisung")
        .await;
    let p = ada
        .post(
            "/qualifizierung/angebote/intern_dienstanweisung/archivieren",
            &[("archived", "1"), ("version", &version(&p.body))],
        )
        .await;
    assert!(p.body.contains("Lernpfade „Einstieg KI“"), "{}", p.body);
    let p = ada.get("/qualifizierung/angebote/vhs_ki_praxis").await;
    let p = ada
        .post(
            "/qualifizierung/angebote/vhs_ki_praxis/archivieren",
            &[("archived", "1"), ("version", &version(&p.body))],
        )
        .await;
    assert!(p.body.contains("ist archiviert"), "{}", p.body);
    let catalogue = ada.get("/qualifizierung/katalog.json").await.body;
    assert!(!catalogue.contains("vhs_ki_praxis"));
    let evaluation = ada.get("/qualifizierung/bewertung").await.body;
    assert!(!evaluation.contains("KI-Praxis kompakt"));
    let overview = ada.get("/qualifizierung").await.body;
    assert!(overview.contains("Archivierte Angebote (1)"));
    let p = ada.get("/qualifizierung/angebote/vhs_ki_praxis").await;
    let p = ada
        .post(
            "/qualifizierung/angebote/vhs_ki_praxis/archivieren",
            &[("archived", "0"), ("version", &version(&p.body))],
        )
        .await;
    assert!(p.body.contains("ist wieder im Katalog"), "{}", p.body);
    assert!(ada
        .get("/qualifizierung/katalog.json")
        .await
        .body
        .contains("vhs_ki_praxis"));
}

/// A role below the baseline is refused as a whole, showing the choice.
async fn role_profiles_keep_the_choice_when_refused(ada: &mut Browser) {
    let p = ada.get("/qualifizierung/rollen").await;
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut rest = p.body.as_str();
    while let Some(i) = rest.find("<select name=\"t.") {
        let name = extract_between(&rest[i..], "name=\"", "\"").unwrap();
        let select = extract_between(&rest[i..], ">", "</select>").unwrap();
        let chosen = extract_between(&select, "<option selected>", "<").unwrap();
        fields.push((name, chosen));
        rest = &rest[i + 10..];
    }
    assert!(fields.len() >= 7 * 6, "{} cells", fields.len());
    let it = fields
        .iter_mut()
        .find(|(k, _)| k == "t.it.ki_verstehen")
        .unwrap();
    it.1 = "4".into();
    let below = fields
        .iter_mut()
        .find(|(k, _)| k == "t.fuehrungskraefte.recht_und_ethik")
        .unwrap();
    below.1 = "0".into();
    let p = ada.post("/qualifizierung/rollen", &pairs(&fields)).await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("Nichts wurde gespeichert"), "{}", p.body);
    let cell = extract_between(&p.body, "name=\"t.it.ki_verstehen\"", "</select>").unwrap();
    assert!(
        cell.contains("<option selected>4</option>"),
        "choice kept: {cell}"
    );
    let p = ada.get("/qualifizierung/rollen").await;
    let cell = extract_between(&p.body, "name=\"t.it.ki_verstehen\"", "</select>").unwrap();
    assert!(
        !cell.contains("<option selected>4</option>"),
        "nothing stored: {cell}"
    );
}

/// A partner is added, refused with a bad address, and its cooperation
/// moves on under the same id.
async fn partners_are_kept_up_to_date(ada: &mut Browser) {
    let partner = |status: &'static str, url: &'static str| {
        vec![
            ("id", "vhs_musterstadt"),
            ("name", "VHS Musterstadt"),
            ("kind", "volkshochschule"),
            ("status", status),
            ("contact", "Fachbereich Beruf und Karriere"),
            ("url", url),
            ("note", ""),
        ]
    };
    let p = ada
        .post(
            "/qualifizierung/partner",
            &partner("angefragt", "vhs.example"),
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("keine http(s)-Adresse"), "{}", p.body);
    assert!(
        p.body.contains("value=\"Fachbereich Beruf und Karriere\""),
        "input kept"
    );
    let p = ada
        .post(
            "/qualifizierung/partner",
            &partner("angefragt", "https://vhs.example/"),
        )
        .await;
    assert!(p.body.contains("(Stand: angefragt)"), "{}", p.body);
    let p = ada
        .get("/qualifizierung/partner?bearbeiten=vhs_musterstadt")
        .await;
    assert!(p.body.contains("value=\"VHS Musterstadt\""), "form filled");
    ada.post(
        "/qualifizierung/partner",
        &partner("vereinbart", "https://vhs.example/"),
    )
    .await;
    let overview = ada.get("/qualifizierung").await.body;
    let row =
        extract_between(&overview, "<th scope=\"row\">VHS Musterstadt</th>", "</tr>").unwrap();
    assert!(row.contains("vereinbart"), "{row}");
}
