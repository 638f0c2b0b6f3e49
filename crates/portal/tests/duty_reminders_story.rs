//! The daily reminder of AI Act duties by e-mail, on SQLite and
//! PostgreSQL, against a real SMTP server with implicit TLS started by the
//! test: a high-risk use case with an overdue duty (and one soon due)
//! gives exactly one mail to the owner naming both, from the template the
//! municipality edited over the API; an unowned overdue duty reaches the
//! project team; running the job again the same day, from the same or a
//! second instance on the same database, sends nothing more; on the next
//! day two instances at once queue the day's mails exactly once. The send
//! log's API twins: a sent mail is not queued again (409), an unknown one
//! is not found.

mod common;

use std::time::{Duration, Instant};

use common::smtp::{readable_mails_to, smtp_config, start_sink, Sink, SinkTls};
use common::{day_one_at, spawn_with, ApiClient, Backend};
use journey::date::{add_days, german, today};
use portal::mail::SmtpSecurity;
use portal::usecases::duty_reminders::{run, Outcome};
use portal::{AppState, PortalConfig};
use reqwest::{Method, StatusCode};
use serde_json::json;
use store::mail_outbox::MailStatus;
use store::Store;

fn tls_config(sink: &Sink) -> PortalConfig {
    let mut config = smtp_config(sink.port);
    if let Some(smtp) = config.smtp.as_mut() {
        smtp.security = SmtpSecurity::Tls;
        smtp.ca_file = Some(sink.ca_file.clone());
    }
    config
}

/// Waits until every message of the log is sent, and the sink holds `n`.
async fn all_sent(store: &Store, sink: &Sink, n: usize) {
    let start = Instant::now();
    loop {
        let log = store.mail_log(100).await.unwrap();
        let received = sink.mails.lock().unwrap().len();
        if received == n && log.iter().all(|m| m.status() == MailStatus::Sent) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{received} of {n} mails arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn story(backend: Backend) {
    let sink = start_sink(0, SinkTls::Implicit, None).await;
    let (store, url) = day_one_at(backend).await;
    let server = spawn_with(store.clone(), tls_config(&sink)).await;
    let user = |email: &'static str| {
        let store = store.clone();
        async move { store.user_by_email(email).await.unwrap().unwrap() }
    };
    let (ada, pia, sam) = (
        user("ada@musterstadt.de").await,
        user("pia@musterstadt.de").await,
        user("sam@musterstadt.de").await,
    );
    let team = ApiClient::for_user(&server, &pia).await;
    let admin = ApiClient::for_user(&server, &ada).await;
    let today = today();

    // The municipality words the reminder itself (API twin of the
    // template page): an unknown placeholder is refused naming the field.
    let template = "/api/v1/mail/templates/pflichten_erinnerung";
    let (code, v) = team
        .send(
            Method::PUT,
            template,
            json!({"subject": "Fristen", "body": "Hallo {vorname}: {pflichten}"}),
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "body", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("{vorname}"),
        "{v}"
    );
    let (code, v) = team
        .send(
            Method::PUT,
            template,
            json!({"subject": "Fristen der KI-Verordnung: {anzahl}", "body": "Hallo {name},\r\n\r\n{pflichten}\r\n\r\nÜbersicht: {link}\r\n"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["edited"], true);
    assert!(!v["body"].as_str().unwrap().contains('\r'), "{v}");
    let (code, list) = team.get("/api/v1/mail/templates").await;
    assert_eq!(code, StatusCode::OK, "{list}");
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "pflichten_erinnerung" && t["edited"] == true),
        "{list}"
    );
    let staff = ApiClient::for_user(&server, &sam).await;
    let (code, _) = staff
        .send(
            Method::PUT,
            template,
            json!({"subject": "x", "body": "{pflichten}"}),
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN, "the page's permission");

    // A high-risk use case: the registration is Pia's and overdue, the
    // FRIA hers and due in three days; Art. 4 stays unowned and overdue.
    let (code, created) = team
        .send(
            Method::POST,
            "/api/v1/usecases",
            json!({"title": "Vorprüfung von Wohngeldanträgen", "problem": "Lange Bearbeitungszeiten."}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let (code, v) = team
        .send(
            Method::POST,
            &format!("/api/v1/usecases/{id}/classification"),
            json!({"answers": common::high_risk_answers("leistungen"), "version": 1}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let yesterday = add_days(&today, -1).unwrap();
    let soon = add_days(&today, 3).unwrap();
    let far = add_days(&today, 200).unwrap();
    for (duty, due) in [("art-49-3", &yesterday), ("art-27", &soon)] {
        let (code, v) = team
            .send(
                Method::PUT,
                &format!("/api/v1/usecases/{id}/obligations/{duty}"),
                json!({"owner": pia.id, "due": due, "status": "in_progress"}),
            )
            .await;
        assert_eq!(code, StatusCode::OK, "{v}");
    }
    // Whatever else is due is moved out of the way (Art. 4 stays overdue).
    let (_, list) = team
        .get(&format!("/api/v1/usecases/{id}/obligations"))
        .await;
    for d in list["obligations"].as_array().unwrap() {
        let duty = d["duty"].as_str().unwrap();
        if !["art-49-3", "art-27", "art-4"].contains(&duty) {
            let (code, v) = team
                .send(
                    Method::PUT,
                    &format!("/api/v1/usecases/{id}/obligations/{duty}"),
                    json!({"due": far, "status": "open"}),
                )
                .await;
            assert_eq!(code, StatusCode::OK, "{v}");
        }
    }

    // The day's run: Pia gets one mail naming both of hers and the unowned
    // one; Ada (administration) one for the unowned duty; Sam nothing.
    assert_eq!(
        run(&server.state, &today).await.unwrap(),
        Outcome::Queued(2)
    );
    all_sent(&store, &sink, 2).await;
    let to_pia = readable_mails_to(&sink.mails, "pia@musterstadt.de");
    assert_eq!(to_pia.len(), 1, "{to_pia:?}");
    let mail = &to_pia[0];
    assert!(
        mail.contains("Fristen der KI-Verordnung: 3"),
        "the edited subject: {mail}"
    );
    for expected in [
        "Registrierung in der EU-Datenbank".to_string(),
        format!("überfällig seit {}", german(&yesterday)),
        format!("fällig am {}", german(&soon)),
        "Vorprüfung von Wohngeldanträgen".to_string(),
        "(noch ohne Verantwortliche)".to_string(),
        format!("{}/anwendungsfaelle/{id}/pflichten", server.base),
    ] {
        assert!(mail.contains(&expected), "{expected} missing in {mail}");
    }
    let to_ada = readable_mails_to(&sink.mails, "ada@musterstadt.de");
    assert_eq!(to_ada.len(), 1);
    assert!(to_ada[0].contains("KI-Kompetenz"), "{}", to_ada[0]);
    assert!(!to_ada[0].contains("Registrierung"), "only the unowned one");
    assert!(readable_mails_to(&sink.mails, "sam@musterstadt.de").is_empty());
    assert!(
        sink.over_tls.lock().unwrap().iter().all(|t| *t),
        "sent over TLS"
    );
    let log = store.mail_log(10).await.unwrap();
    assert!(log.iter().all(|m| m.kind == "pflichten_erinnerung"));

    // Again the same day, here and from a second instance on the same
    // database: nothing more.
    assert_eq!(
        run(&server.state, &today).await.unwrap(),
        Outcome::AlreadyDone
    );
    let second = AppState::try_new(
        Store::connect(&url).await.unwrap(),
        PortalConfig {
            public_url: server.base.clone(),
            ..tls_config(&sink)
        },
        journey::plan::Plan::default_plan(),
    )
    .unwrap();
    assert_eq!(run(&second, &today).await.unwrap(), Outcome::AlreadyDone);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.mails.lock().unwrap().len(), 2, "nothing sent twice");
    assert_eq!(store.mail_log(10).await.unwrap().len(), 2);

    // The next day both instances at once: exactly one queues.
    let tomorrow = add_days(&today, 1).unwrap();
    let (a, b) = tokio::join!(run(&server.state, &tomorrow), run(&second, &tomorrow));
    let mut outcomes = [a.unwrap(), b.unwrap()];
    outcomes.sort_by_key(|o| matches!(o, Outcome::AlreadyDone));
    assert_eq!(outcomes, [Outcome::Queued(2), Outcome::AlreadyDone]);
    all_sent(&store, &sink, 4).await;
    assert_eq!(
        readable_mails_to(&sink.mails, "pia@musterstadt.de").len(),
        2
    );

    // Without an SMTP server nothing is queued and the day stays open.
    let no_mail = AppState::try_new(
        store.clone(),
        PortalConfig::default(),
        journey::plan::Plan::default_plan(),
    )
    .unwrap();
    let later = add_days(&today, 2).unwrap();
    assert_eq!(run(&no_mail, &later).await.unwrap(), Outcome::NoMail);
    assert!(!store
        .scheduled_run_done(portal::usecases::duty_reminders::JOB, &later)
        .await
        .unwrap());

    // The send log's twin: a sent mail is not queued again, an unknown
    // one is not found; staff may not.
    let sent = &store.mail_log(1).await.unwrap()[0].id;
    let (code, v) = admin
        .send(
            Method::POST,
            &format!("/api/v1/mail/{sent}/requeue"),
            json!({}),
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "{v}");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("fehlgeschlagene"));
    let (code, _) = admin
        .send(Method::POST, "/api/v1/mail/unbekannt/requeue", json!({}))
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, _) = team
        .send(
            Method::POST,
            &format!("/api/v1/mail/{sent}/requeue"),
            json!({}),
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);

    // Reset over the API: the default again.
    let (code, v) = team.send(Method::DELETE, template, json!({})).await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["edited"], false);
    assert!(v["subject"].as_str().unwrap().starts_with("Erinnerung:"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_duties_remind_their_owners_once_a_day_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_duties_remind_their_owners_once_a_day_on_postgres() {
    story(Backend::Postgres).await;
}
