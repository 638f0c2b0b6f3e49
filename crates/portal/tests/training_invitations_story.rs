//! Inviting the target group of a training session by e-mail, on SQLite
//! and PostgreSQL, against a real SMTP server with STARTTLS and login
//! started by the test: the invitation (from the editable template) with
//! the session's calendar file reaches the department's people who are
//! not enrolled, in batches of one, with the progress on the session page
//! and the send log; nobody is invited twice; an unknown department is
//! refused in German naming the field; a mailbox the server refuses shows
//! as failed with the server's answer.

mod common;

use std::time::{Duration, Instant};

use common::smtp::{readable_mails_to, smtp_config, start_sink, Sink, SinkTls};
use common::{day_one_store, login, spawn_with, ApiClient, Backend, PASSWORD};
use journey::access::Role;
use journey::qualification::training::Session;
use portal::mail::SmtpSecurity;
use portal::PortalConfig;
use reqwest::{Method, StatusCode};
use serde_json::json;
use store::mail_outbox::MailStatus;
use store::users::NewUser;
use store::{Actor, Store};

fn config(sink: &Sink) -> PortalConfig {
    let mut config = smtp_config(sink.port);
    if let Some(smtp) = config.smtp.as_mut() {
        smtp.security = SmtpSecurity::Starttls;
        smtp.ca_file = Some(sink.ca_file.clone());
        smtp.username = Some("ki-reise".into());
        smtp.password = Some("smtp-passwort-1".into());
        // One per round: the progress is seen between batches.
        smtp.batch_size = 1;
    }
    config
}

/// Waits until no message waits or is being sent.
async fn settled(store: &Store) {
    let start = Instant::now();
    loop {
        let log = store.mail_log(100).await.unwrap();
        if log
            .iter()
            .all(|m| !matches!(m.status(), MailStatus::Waiting | MailStatus::Sending))
        {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "still sending");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn person(store: &Store, email: &str, name: &str, department: &str) {
    store
        .create_user(
            &Actor::system(),
            &NewUser {
                email: email.into(),
                name: name.into(),
                role: Role::Staff,
                department: Some(department.into()),
                password_hash: Some(portal::auth::password::hash_blocking(PASSWORD).unwrap()),
            },
        )
        .await
        .unwrap();
}

async fn story(backend: Backend) {
    let sink = start_sink(0, SinkTls::StartTls, Some(("ki-reise", "smtp-passwort-1"))).await;
    let store = day_one_store(backend).await;
    person(&store, "jana@musterstadt.de", "Jana Jugendamt", "Jugendamt").await;
    person(&store, "kai@musterstadt.de", "Kai Kämmerei", "Kämmerei").await;
    let server = spawn_with(store.clone(), config(&sink)).await;
    let mut ada = login(&server.base, "ada@musterstadt.de").await;
    let p = ada.post("/qualifizierung/musterkatalog", &[]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let day = journey::german::local_date_time(store::now() + 14 * 86_400);
    let session = Session {
        id: "ki-grundlagen-1".into(),
        offer: "intern_dienstanweisung".into(),
        title: "KI im Dienst: Grundlagen".into(),
        starts_at: format!("{}T09:00", &day[..10]),
        ends_at: format!("{}T12:00", &day[..10]),
        place: "Rathaus, Raum 1".into(),
        online_url: None,
        trainer: "Ada Admin".into(),
        capacity: 12,
    };
    let ada_user = store
        .user_by_email("ada@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let pia = store
        .user_by_email("pia@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let sam = store
        .user_by_email("sam@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    store
        .create_training(&Actor::user(ada_user.id, &ada_user.name), &session)
        .await
        .unwrap();
    store
        .enrol(&Actor::system(), &session.id, sam.id)
        .await
        .unwrap();
    let team = ApiClient::for_user(&server, &pia).await;
    let path = format!("/api/v1/qualification/sessions/{}/invitations", session.id);

    // An unknown department is refused naming the field; staff may not.
    let (code, v) = team
        .send(Method::POST, &path, json!({"department": "Bauamt"}))
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "department");
    assert!(v["error"]["message"].as_str().unwrap().contains("Bauamt"));
    let staff = ApiClient::for_user(&server, &sam).await;
    let (code, _) = staff.send(Method::POST, &path, json!({})).await;
    assert_eq!(code, StatusCode::FORBIDDEN);

    // The Bürgerservice: Ada and Pia (Sam is enrolled).
    let (code, v) = team
        .send(Method::POST, &path, json!({"department": "Bürgerservice"}))
        .await;
    assert_eq!(code, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["queued"], 2, "{v}");
    settled(&store).await;
    for email in ["ada@musterstadt.de", "pia@musterstadt.de"] {
        let got = readable_mails_to(&sink.mails, email);
        assert_eq!(got.len(), 1, "one invitation to {email}");
        let mail = &got[0];
        for expected in [
            "lädt Sie zur Schulung „KI im Dienst: Grundlagen“ ein".to_string(),
            "Ort: Rathaus, Raum 1".to_string(),
            format!("{}/qualifizierung/termine/ki-grundlagen-1", server.base),
            "text/calendar".to_string(),
            "BEGIN:VCALENDAR".to_string(),
            "Rathaus".to_string(),
        ] {
            assert!(mail.contains(&expected), "{expected} missing in {mail}");
        }
    }
    assert!(readable_mails_to(&sink.mails, "sam@musterstadt.de").is_empty());
    assert!(readable_mails_to(&sink.mails, "jana@musterstadt.de").is_empty());

    // Kai's mailbox is refused by the server: the page invites all the
    // rest, Jana gets hers, Kai's shows as failed with the answer.
    sink.refuse("kai@musterstadt.de");
    let p = ada
        .post(
            &format!("/qualifizierung/termine/{}/einladen", session.id),
            &[("department", "")],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        p.body
            .contains("2 Einladungen in die Warteschlange gestellt"),
        "Jana and Kai only: {}",
        p.body
    );
    settled(&store).await;
    assert_eq!(
        readable_mails_to(&sink.mails, "jana@musterstadt.de").len(),
        1
    );
    assert_eq!(
        readable_mails_to(&sink.mails, "ada@musterstadt.de").len(),
        1,
        "never twice"
    );
    let page = ada
        .get(&format!("/qualifizierung/termine/{}", session.id))
        .await;
    assert!(
        page.body
            .contains("4 Einladungen: 3 gesendet, 1 fehlgeschlagen (Gründe im E-Mail-Protokoll)"),
        "{}",
        page.body
    );
    let log = ada.get("/e-mail").await;
    let progress = common::extract_between(&log.body, "id=\"mail-progress\"", "</table>").unwrap();
    assert!(
        progress
            .contains("Einladung zu einer Schulung</th><td>0</td><td>3</td><td><strong>1</strong>"),
        "{progress}"
    );
    let failed = store
        .mail_log(20)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.recipient_email == "kai@musterstadt.de")
        .unwrap();
    assert_eq!(failed.status(), MailStatus::Failed);
    assert!(
        failed.last_error.as_deref().unwrap_or("").contains("550"),
        "{:?}",
        failed.last_error
    );

    // Again: only Kai, whose invitation failed, is invited anew.
    let (code, v) = team.send(Method::POST, &path, json!({})).await;
    assert_eq!(code, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["queued"], 1, "{v}");
    assert!(
        v["progress"].as_str().unwrap().starts_with("5 Einladungen"),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_training_invites_its_target_group_by_mail_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_training_invites_its_target_group_by_mail_on_postgres() {
    story(Backend::Postgres).await;
}
