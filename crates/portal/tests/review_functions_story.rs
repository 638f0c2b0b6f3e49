//! Review as a town hall does it (issue 19, point 8), on SQLite and
//! PostgreSQL: the administration gives accounts their functions; a
//! document in review asks each holder by e-mail and on the start page;
//! only the holder gives the statement, signed with name and function (the
//! project team gets 403, page and API); the team sees whose statement is
//! missing, and after the last one the Bürgermeisterin is asked and the
//! team sees that the adoption waits for her.

mod common;

use common::smtp::{smtp_config, smtp_sink, Mails};
use common::{day_one_store, extract_between, login, spawn_with, ApiClient, Backend};
use journey::access::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;
use store::documents::NewDocument;
use store::users::NewUser;
use store::Actor;

/// Every mail to `email` so far, quoted-printable soft breaks undone.
fn mails_to(mails: &Mails, email: &str) -> Vec<String> {
    mails
        .lock()
        .unwrap()
        .iter()
        .map(|raw| raw.replace("=\n", "").replace("=3D", "="))
        .filter(|m| m.lines().any(|l| l.starts_with("To:") && l.contains(email)))
        .collect()
}

/// Waits a little for mail sent while the request was answered.
async fn wait_for_mail(mails: &Mails, email: &str, count: usize) -> Vec<String> {
    for _ in 0..50 {
        let got = mails_to(mails, email);
        if got.len() >= count {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    mails_to(mails, email)
}

async fn story(backend: Backend) {
    let (port, mails) = smtp_sink().await;
    let store = day_one_store(backend).await;
    let hash = portal::auth::password::hash_blocking(common::PASSWORD).unwrap();
    let mut ids = std::collections::HashMap::new();
    for (email, name) in [
        ("dana@musterstadt.de", "Dana Datenschutz"),
        ("ingo@musterstadt.de", "Ingo Informationssicherheit"),
        ("paul@musterstadt.de", "Paul Personalrat"),
        ("erika@musterstadt.de", "Erika Muster"),
    ] {
        let user = store
            .create_user(
                &Actor::system(),
                &NewUser {
                    email: email.into(),
                    name: name.into(),
                    role: Role::Staff,
                    department: Some("Bürgerservice".into()),
                    password_hash: Some(hash.clone()),
                },
            )
            .await
            .unwrap();
        ids.insert(email, user);
    }
    let server = spawn_with(store.clone(), smtp_config(port)).await;
    let mut ada = login(&server.base, "ada@musterstadt.de").await;
    let mut pia = login(&server.base, "pia@musterstadt.de").await;
    let ada_user = store
        .user_by_email("ada@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let pia_user = store
        .user_by_email("pia@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let ada_api = ApiClient::for_user(&server, &ada_user).await;
    let pia_api = ApiClient::for_user(&server, &pia_user).await;

    // The administration assigns functions on the user page and by API.
    let dana = &ids["dana@musterstadt.de"];
    let p = ada.get(&format!("/benutzer/{}", dana.id)).await;
    assert!(p.body.contains("Datenschutzbeauftragte/r"), "{}", p.body);
    let p = ada
        .post(
            &format!("/benutzer/{}/funktionen", dana.id),
            &[("function", "datenschutz")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = ada.get("/benutzer").await;
    assert!(
        p.body.contains("Datenschutzbeauftragte/r"),
        "the list shows it"
    );
    let paul = &ids["paul@musterstadt.de"];
    let (status, body) = ada_api
        .send(
            Method::PUT,
            &format!("/api/v1/users/{}/functions", paul.id),
            json!({"functions": ["Personalrat"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["functions"], json!(["personalrat"]));
    let (status, body) = ada_api
        .send(
            Method::PUT,
            &format!("/api/v1/users/{}/functions", paul.id),
            json!({"functions": ["personalrat", "Hausmeister"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "functions");
    let (status, _) = pia_api
        .send(
            Method::PUT,
            &format!("/api/v1/users/{}/functions", pia_user.id),
            json!({"functions": ["personalrat"]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the administration");
    // IT security is not assigned yet.

    let doc = store
        .create_document(
            &Actor::user(pia_user.id, &pia_user.name),
            &NewDocument {
                template_id: "ki-strategie",
                kind: "strategie",
                title: "KI-Strategie 2027",
                markdown: "# KI-Strategie\n\nWir setzen KI mit Bedacht ein.\n",
                answers: "{}",
            },
        )
        .await
        .unwrap();
    let page = format!("/dokumente/{}", doc.id);
    pia.get(&page).await;
    let p = pia
        .post(&format!("{page}/einreichen"), &[("version", "1")])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);

    // Each holder is asked by e-mail, with the link to the review.
    let link = format!("{}/dokumente/{}#pruefung", server.base, doc.id);
    for email in ["dana@musterstadt.de", "paul@musterstadt.de"] {
        let got = wait_for_mail(&mails, email, 1).await;
        assert_eq!(got.len(), 1, "one mail to {email}");
        assert!(got[0].contains(&link), "{}", got[0]);
        assert!(got[0].contains("Stellungnahme erbeten: KI-Strategie 2027"));
    }
    assert!(mails_to(&mails, "pia@musterstadt.de").is_empty());

    // The team sees per area who holds it and what is missing; the vacant
    // function is named with what to do.
    let p = pia.get(&page).await;
    assert!(p.body.contains("Dana Datenschutz"), "{}", p.body);
    assert!(p.body.contains("ausstehend"));
    assert!(p.body.contains(
        "Keine Person mit der Funktion Informationssicherheitsbeauftragte/r – bitte in der Benutzerverwaltung zuweisen"
    ));
    let missing = extract_between(&p.body, "Es fehlen noch die Stellungnahmen von: ", ".</p>")
        .expect("missing statements listed");
    assert!(
        missing.contains("Datenschutz (Dana Datenschutz)"),
        "{missing}"
    );
    assert!(
        missing.contains("Personalrat (Paul Personalrat)"),
        "{missing}"
    );
    assert!(missing.contains("IT-Sicherheit (keine Person mit der Funktion)"));
    assert!(
        !missing.contains("Gleichstellung"),
        "vacant optional area skipped"
    );
    assert!(
        !p.body.contains("Ihre Stellungnahme"),
        "no form for the team"
    );

    // The project team may no longer state in someone else's name.
    let statement = [
        ("version", "1"),
        ("area", "personalrat"),
        ("decision", "zustimmung"),
        ("comment", ""),
    ];
    let p = pia.post(&format!("{page}/stellungnahme"), &statement).await;
    assert_eq!(p.status, 403, "{}", p.body);
    let (status, body) = pia_api
        .send(
            Method::POST,
            &format!("/api/v1/documents/{}/statements", doc.id),
            json!({"version": 1, "area": "personalrat", "decision": "zustimmung"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    assert!(store.reviews(doc.id, 1).await.unwrap().is_empty());

    // The holder sees the task on the start page, with the link.
    let mut paul_b = login(&server.base, "paul@musterstadt.de").await;
    let start = paul_b.get("/").await;
    assert!(
        start
            .body
            .contains("Stellungnahme ausstehend: Personalrat zu „KI-Strategie 2027“"),
        "{}",
        start.body
    );
    assert!(start
        .body
        .contains(&format!("href=\"/dokumente/{}#pruefung\"", doc.id)));
    // The holder (role staff) reads the version under review and states;
    // name and function come from the account.
    let p = paul_b.get(&page).await;
    assert_eq!(p.status, 200);
    assert!(
        p.body.contains(r#"<option value="personalrat">"#),
        "{}",
        p.body
    );
    assert!(
        !p.body.contains(r#"<option value="datenschutz""#),
        "only his area"
    );
    let p = paul_b
        .post(
            &format!("{page}/stellungnahme"),
            &[
                ("version", "1"),
                ("area", "datenschutz"),
                ("decision", "zustimmung"),
            ],
        )
        .await;
    assert_eq!(p.status, 403, "not his function");
    let p = paul_b
        .post(&format!("{page}/stellungnahme"), &statement)
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let reviews = store.reviews(doc.id, 1).await.unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].reviewer_name, "Paul Personalrat");
    assert_eq!(reviews[0].reviewer_function, "Personalrat");
    assert!(!paul_b
        .get("/")
        .await
        .body
        .contains("Stellungnahme ausstehend"));
    let p = pia.get(&page).await;
    assert!(
        p.body
            .contains("Zustimmung (Paul Personalrat, Personalrat, "),
        "{}",
        p.body
    );

    // Dana states through the API; IT security gets a holder, and the
    // Bürgermeisterin a function: she adopts, not the administration.
    let dana_api = ApiClient::for_user(&server, dana).await;
    let (status, body) = dana_api
        .send(
            Method::POST,
            &format!("/api/v1/documents/{}/statements", doc.id),
            json!({"version": 1, "area": "datenschutz", "decision": "einwaende", "comment": " "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "comment");
    let (status, body) = dana_api
        .send(
            Method::POST,
            &format!("/api/v1/documents/{}/statements", doc.id),
            json!({"version": 1, "area": "datenschutz", "decision": "zustimmung", "comment": "Passt."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["areas"][0]["state"], "zustimmung");
    assert_eq!(
        body["missing"],
        json!(["IT-Sicherheit (keine Person mit der Funktion)"])
    );
    let ingo = &ids["ingo@musterstadt.de"];
    let erika = &ids["erika@musterstadt.de"];
    for (user, function) in [(ingo, "informationssicherheit"), (erika, "buergermeister")] {
        let (status, body) = ada_api
            .send(
                Method::PUT,
                &format!("/api/v1/users/{}/functions", user.id),
                json!({"functions": [function]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, body) = pia_api
        .get(&format!("/api/v1/documents/{}/review", doc.id))
        .await;
    assert_eq!(
        body["missing"],
        json!(["IT-Sicherheit (Ingo Informationssicherheit)"])
    );
    assert_eq!(body["waiting_for_adoption"], json!(null));
    assert!(mails_to(&mails, "erika@musterstadt.de").is_empty());

    // After the last statement the Bürgermeisterin is asked.
    let mut ingo_b = login(&server.base, "ingo@musterstadt.de").await;
    ingo_b.get(&page).await;
    let p = ingo_b
        .post(
            &format!("{page}/stellungnahme"),
            &[
                ("version", "1"),
                ("area", "it-sicherheit"),
                ("decision", "zustimmung"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let got = wait_for_mail(&mails, "erika@musterstadt.de", 1).await;
    assert_eq!(got.len(), 1, "the adopter is asked once");
    assert!(got[0].contains("Beschluss erwartet: KI-Strategie 2027"));
    assert!(got[0].contains(&link));
    let p = pia.get(&page).await;
    assert!(
        p.body
            .contains("Wartet auf den Beschluss durch Erika Muster"),
        "{}",
        p.body
    );
    assert!(!p.body.contains("Es fehlen noch"));
    let (_, body) = pia_api
        .get(&format!("/api/v1/documents/{}/review", doc.id))
        .await;
    assert_eq!(
        body["waiting_for_adoption"],
        "Wartet auf den Beschluss durch Erika Muster"
    );
    let mut erika_b = login(&server.base, "erika@musterstadt.de").await;
    let start = erika_b.get("/").await;
    assert!(
        start
            .body
            .contains("Beschluss erwartet: „KI-Strategie 2027“"),
        "{}",
        start.body
    );

    // The administration no longer adopts while a Bürgermeisterin is
    // assigned; she does, signed from her account.
    let adopt = [("version", "1"), ("adopted_on", "2027-01-20")];
    ada.get(&page).await;
    let p = ada.post(&format!("{page}/beschliessen"), &adopt).await;
    assert_eq!(p.status, 403, "{}", p.body);
    let p = erika_b.get(&page).await;
    assert!(
        p.body.contains(r#"value="Erika Muster, Bürgermeister/in""#),
        "the signature comes from the account: {}",
        p.body
    );
    let (status, body) = ApiClient::for_user(&server, erika)
        .await
        .send(
            Method::POST,
            &format!("/api/v1/documents/{}/adoption", doc.id),
            json!({"version": 1, "adopted_on": "2027-01-20"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["adopted_by"], "Erika Muster, Bürgermeister/in");
    let p = pia.get(&page).await;
    assert!(
        p.body
            .contains("beschlossen am 20.01.2027 durch Erika Muster, Bürgermeister/in"),
        "{}",
        p.body
    );
    assert!(!erika_b.get("/").await.body.contains("Beschluss erwartet"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn function_holders_state_and_the_mayor_adopts_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn function_holders_state_and_the_mayor_adopts_on_postgres() {
    story(Backend::Postgres).await;
}
