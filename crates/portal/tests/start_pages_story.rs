//! Start pages by role, run on SQLite and on PostgreSQL: right after the
//! set-up the dashboard's next step is the one after the profile; staff see
//! what they are asked to do (the survey, their trainings, the assistant),
//! not the project team's checklist; no journey step leads anyone to a page
//! that says its module is still to come.

mod common;

use common::{default_survey, fresh_database_url, login, spawn, Backend, Browser, PASSWORD};
use journey::access::Role;
use store::{Actor, Store};

const SETUP: &[(&str, &str)] = &[
    ("admin_name", "Ada Admin"),
    ("admin_email", "ada@musterstadt.de"),
    ("admin_password", "ein-langes-passwort-1"),
    ("name", "Stadt Musterstadt"),
    ("ags", "15002000"),
    ("staff_count", "15"),
    ("departments", "Bürgerservice; 6\nJugendamt; 5\nKämmerei; 4"),
    ("dpo_contact", "Dana Datenschutz"),
    ("it_security_contact", ""),
    ("staff_council_contact", ""),
];

/// The section of the dashboard that says what to do next.
fn next_step_section(html: &str) -> String {
    common::extract_between(html, "id=\"next-heading\"", "</section>").unwrap_or_default()
}

/// Opens `path` and follows redirects inside the portal, as a browser does.
async fn open(browser: &mut Browser, path: &str) -> common::Page {
    let mut path = path.to_string();
    for _ in 0..5 {
        let p = browser.get(&path).await;
        match p.location.clone() {
            Some(next) if p.status / 100 == 3 => path = next,
            _ => return p,
        }
    }
    panic!("too many redirects from {path}");
}

async fn story(backend: Backend) {
    let url = fresh_database_url(backend).await;
    let store = Store::connect(&url).await.expect("store");
    let server = spawn(store).await;
    let code = server.setup_code.clone().expect("setup code");

    // Set-up creates the profile; the next step is the project team.
    let mut ada = Browser::new(&server.base);
    ada.get("/einrichtung").await;
    let mut fields = SETUP.to_vec();
    fields.push(("setup_code", code.as_str()));
    let p = ada.post("/einrichtung", &fields).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = ada.get("/?willkommen=1").await;
    let next = next_step_section(&p.body);
    assert!(
        !next.contains("Profil der Kommune anlegen"),
        "the profile exists after set-up: {next}"
    );
    assert!(
        next.contains("Projektteam KI-Reise und Zugänge einrichten"),
        "{next}"
    );
    assert!(p.body.contains("1 von 6 Schritten erledigt"), "{}", p.body);

    // Staff and project team, a running survey, a booked training.
    let hash = portal::auth::password::hash_blocking(PASSWORD).unwrap();
    let mut ids = Vec::new();
    for (email, name, role) in [
        ("pia@musterstadt.de", "Pia Projekt", Role::ProjectTeam),
        ("sam@musterstadt.de", "Sam Sachbearbeitung", Role::Staff),
    ] {
        let user = server
            .store
            .create_user(
                &Actor::system(),
                &store::users::NewUser {
                    email: email.into(),
                    name: name.into(),
                    role,
                    department: Some("Bürgerservice".into()),
                    password_hash: Some(hash.clone()),
                },
            )
            .await
            .unwrap();
        ids.push(user.id);
    }
    let sam_id = ids[1];
    let survey = default_survey(&server.store).await;
    server
        .store
        .open_survey(&Actor::system(), survey.id, &survey.questionnaire)
        .await
        .unwrap();
    let model = journey::competency::CompetencyModel::default_model().unwrap();
    let seed = journey::qualification::catalogue::Catalogue::shipped(&model).unwrap();
    server
        .store
        .import_catalogue_items(
            &Actor::system(),
            &seed.offers,
            &seed.partners,
            &seed.paths,
            "Test",
        )
        .await
        .unwrap();
    server
        .store
        .create_training(
            &Actor::system(),
            &journey::qualification::training::Session {
                id: "ki-im-dienst".into(),
                offer: "intern_dienstanweisung".into(),
                title: "KI im Dienst".into(),
                starts_at: "2099-01-14T09:00".into(),
                ends_at: "2099-01-14T12:00".into(),
                place: "Ratshof, Raum 2".into(),
                online_url: None,
                trainer: String::new(),
                capacity: 10,
            },
        )
        .await
        .unwrap();
    server
        .store
        .enrol(&Actor::system(), "ki-im-dienst", sam_id)
        .await
        .unwrap();

    // Staff see their own start page: the survey to answer, the training
    // with its date, the assistant; no checklist of the project team.
    let mut sam = login(&server.base, "sam@musterstadt.de").await;
    let p = sam.get("/").await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("Ihre KI-Reise"), "{}", p.body);
    assert!(!p.body.contains("Als Nächstes"));
    assert!(!p.body.contains("Phase 1"));
    assert!(!p.body.contains("/schritte/"));
    assert!(p
        .body
        .contains(&format!("action=\"/umfrage/{}/teilnehmen\"", survey.id)));
    assert!(p.body.contains("Jetzt teilnehmen"));
    assert!(p.body.contains("KI im Dienst"));
    assert!(p.body.contains("14.01.2099, 09:00–12:00 Uhr"), "{}", p.body);
    assert!(p.body.contains("Ratshof, Raum 2"));
    assert!(p.body.contains("href=\"/assistent\""));

    // After answering through the personal link the page says so.
    let p = sam
        .post(&format!("/umfrage/{}/teilnehmen", survey.id), &[])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let token = p
        .location
        .as_deref()
        .and_then(|l| l.strip_prefix("/teilnahme/"))
        .expect("personal link")
        .to_string();
    server
        .store
        .submit_response(survey.id, &token, "{}")
        .await
        .unwrap()
        .unwrap();
    let p = sam.get("/").await;
    assert!(p.body.contains("Sie haben teilgenommen."), "{}", p.body);
    assert!(!p.body.contains("Jetzt teilnehmen"));

    // The project team still sees the journey with its next step.
    let mut pia = login(&server.base, "pia@musterstadt.de").await;
    let p = pia.get("/").await;
    assert!(p.body.contains("Als Nächstes"));
    assert!(p.body.contains("Phase 1: Grundlagen schaffen"));

    // No step leads anyone to a "folgt" page; the administration reaches
    // the real page of every step.
    let dashboard = ada.get("/").await.body;
    assert!(dashboard.contains("href=\"/assistent/einstellungen\""));
    assert!(dashboard.contains("href=\"/nachnutzung\""));
    assert!(!dashboard.contains("href=\"/module/"), "{dashboard}");
    for (who, browser) in [("admin", &mut ada), ("project team", &mut pia)] {
        let body = browser.get("/").await.body;
        let hrefs: Vec<String> = body
            .split("<h3><a href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next().map(str::to_string))
            .collect();
        assert_eq!(hrefs.len(), 15, "{who}: every step links somewhere");
        for href in hrefs {
            let p = open(browser, &href).await;
            assert_eq!(p.status, 200, "{who} {href}: {}", p.body);
            assert!(
                !p.body.contains("Dieses Modul folgt"),
                "{who} {href}: {}",
                p.body
            );
        }
    }
    for slug in ["modelle", "nachnutzung", "benutzer", "vergleichstest"] {
        let p = open(&mut sam, &format!("/module/{slug}")).await;
        assert_eq!(p.status, 200, "{slug}");
        assert!(!p.body.contains("Modul folgt"), "{slug}: {}", p.body);
    }
}

#[tokio::test]
async fn start_pages_follow_the_role_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test]
async fn start_pages_follow_the_role_on_postgres() {
    story(Backend::Postgres).await;
}
