//! Survey invitations and reminders by e-mail through the outbox, against
//! a real SMTP server with TLS started by the test (STARTTLS with login,
//! implicit TLS; certificates from a test CA made with openssl), on SQLite
//! and PostgreSQL: a reminder reaches only those who have not taken part,
//! a server that is down first gets every message exactly once when it
//! comes up, and an interrupted send is never repeated by itself.

mod common;

use std::time::{Duration, Instant};

use common::smtp::{start_sink, Sink, SinkTls};
use common::{day_one_store, default_survey, login, spawn_with, ApiClient, Backend, Browser};
use portal::mail::{SmtpConfig, SmtpSecurity};
use portal::PortalConfig;
use store::mail_outbox::{MailStatus, NewMail};
use store::Store;

fn config(port: u16, security: SmtpSecurity, ca_file: &std::path::Path) -> PortalConfig {
    PortalConfig {
        smtp: Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            from: "KI-Reise <ki-reise@musterstadt.de>".into(),
            username: Some("ki-reise".into()),
            password: Some("smtp-passwort-1".into()),
            security,
            ca_file: Some(ca_file.to_path_buf()),
            batch_size: 2,
            batch_interval: Duration::from_millis(100),
            retry_base: Duration::from_secs(1),
            max_attempts: 10,
        }),
        ..PortalConfig::default()
    }
}

/// Waits until `done` holds (at most 20 s).
async fn until<F: Fn() -> bool>(what: &str, done: F) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The mails in the sink, with quoted-printable soft breaks undone.
fn mails(sink: &Sink) -> Vec<String> {
    sink.mails
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.replace("=\n", "").replace("=3D", "="))
        .collect()
}

fn to_of(mail: &str) -> String {
    mail.lines()
        .find(|l| l.starts_with("To:"))
        .unwrap_or_default()
        .to_string()
}

fn link_in(mail: &str, base: &str) -> String {
    mail.split_whitespace()
        .find(|w| w.starts_with(base) && w.contains("/teilnahme/"))
        .expect("the mail carries a personal link")
        .trim_start_matches(base)
        .to_string()
}

/// Waits until `n` messages are marked sent (the sink has them a moment
/// before the portal hears the server's 250).
async fn all_sent(store: &Store, n: usize) {
    let start = Instant::now();
    loop {
        let log = store.mail_log(100).await.unwrap();
        if log.len() == n && log.iter().all(|m| m.status() == MailStatus::Sent) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "not all sent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn open_survey(store: &Store) -> i64 {
    let survey = default_survey(store).await;
    let q = serde_json::to_string(&journey::survey::default_questionnaire().unwrap()).unwrap();
    store
        .open_survey(&store::Actor::system(), survey.id, &q)
        .await
        .unwrap();
    survey.id
}

async fn story(backend: Backend) {
    let sink = start_sink(0, SinkTls::StartTls, Some(("ki-reise", "smtp-passwort-1"))).await;
    let store = day_one_store(backend).await;
    let id = open_survey(&store).await;
    let server = spawn_with(
        store.clone(),
        config(sink.port, SmtpSecurity::Starttls, &sink.ca_file),
    )
    .await;
    let mut pia = login(&server.base, "pia@musterstadt.de").await;

    // The template is the municipality's: a wrong placeholder is refused
    // in German with the text kept, a good one is used from now on.
    let bad = pia
        .post(
            "/e-mail/vorlagen/umfrage_einladung",
            &[
                ("subject", "Bitte mitmachen: {umfrage}"),
                ("body", "Hallo {vorname}, hier: {link}"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Den Platzhalter {vorname} gibt es nicht"));
    assert!(bad.body.contains("Hallo {vorname}, hier: {link}"));
    let good = pia
        .post(
            "/e-mail/vorlagen/umfrage_einladung",
            &[
                ("subject", "Bitte mitmachen: {umfrage}"),
                (
                    "body",
                    "Hallo {name},\r\nIhr Link: {link}\r\nGruss, {kommune}",
                ),
            ],
        )
        .await;
    assert_eq!(good.status, 303, "{}", good.body);

    // Invitations to every active account: three, sent in batches of two
    // over STARTTLS with login, each with its own working link.
    let page = pia
        .post_and_follow(&format!("/umfrage/{id}/e-mail"), &[("art", "einladung")])
        .await;
    assert!(
        page.body
            .contains("3 Einladungen in die Warteschlange gestellt"),
        "{}",
        page.body
    );
    until("three invitations", || {
        sink.mails.lock().unwrap().len() == 3
    })
    .await;
    assert!(sink.over_tls.lock().unwrap().iter().all(|tls| *tls));
    let invitations = mails(&sink);
    let sam_mail = invitations
        .iter()
        .find(|m| to_of(m).contains("sam@musterstadt.de"))
        .expect("Sam is invited");
    assert!(sam_mail.contains("Subject: Bitte mitmachen: Bestandsaufnahme"));
    assert!(sam_mail.contains("Hallo Sam Sachbearbeitung,"));
    assert!(sam_mail.contains("Gruss, Stadt Musterstadt"));
    assert!(sam_mail.contains("Message-ID: <"));
    let sam_link = link_in(sam_mail, &server.base);
    let mut sam = Browser::new(&server.base);
    assert_eq!(sam.get(&sam_link).await.status, 200);
    // Sam takes part; the others do not.
    let token = sam_link.trim_start_matches("/teilnahme/");
    store
        .submit_response(id, token, "{}")
        .await
        .unwrap()
        .unwrap();
    all_sent(&store, 3).await;
    let page = pia.get(&format!("/umfrage/{id}")).await;
    assert!(
        page.body.contains("Einladungen: 3 von 3 gesendet"),
        "{}",
        page.body
    );

    // The reminder reaches only those who have not taken part, with a new
    // link; Sam gets nothing.
    let page = pia
        .post_and_follow(&format!("/umfrage/{id}/e-mail"), &[("art", "erinnerung")])
        .await;
    assert!(
        page.body
            .contains("2 Erinnerungen in die Warteschlange gestellt"),
        "{}",
        page.body
    );
    until("two reminders", || sink.mails.lock().unwrap().len() == 5).await;
    let reminders: Vec<String> = mails(&sink).split_off(3);
    assert!(reminders
        .iter()
        .all(|m| !to_of(m).contains("sam@musterstadt.de")));
    for who in ["ada@musterstadt.de", "pia@musterstadt.de"] {
        let m = reminders
            .iter()
            .find(|m| to_of(m).contains(who))
            .unwrap_or_else(|| panic!("{who} is reminded"));
        assert!(m.contains("Erinnerung"), "{m}");
        let link = link_in(m, &server.base);
        assert_eq!(Browser::new(&server.base).get(&link).await.status, 200);
    }

    all_sent(&store, 5).await;
    // The send log: recipient, kind, status, no content; page and API.
    let mut ada = login(&server.base, "ada@musterstadt.de").await;
    let log = ada.get("/e-mail").await;
    assert_eq!(log.status, 200);
    assert!(log.body.contains("sam@musterstadt.de"));
    assert!(log.body.contains("Erinnerung an die Umfrage"));
    assert!(!log.body.contains("/teilnahme/"), "no content in the log");
    assert_eq!(pia.get("/e-mail").await.status, 403);
    let admin = store
        .user_by_email("ada@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let api = ApiClient::for_user(&server, &admin).await;
    let (status, rows) = api.get("/api/v1/mail").await;
    assert_eq!(status, 200);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|r| r["status"] == "gesendet"));
    assert!(rows.iter().all(|r| r.get("body").is_none()));

    // The API queues too: the reminders are sent, so a second round goes
    // to the same two.
    let (status, body) = api
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/surveys/{id}/mail"),
            serde_json::json!({"kind": "reminder"}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["queued"], 2);
    let (status, body) = api
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/surveys/{id}/mail"),
            serde_json::json!({"kind": "spam"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "kind");
    until("two more reminders", || {
        sink.mails.lock().unwrap().len() == 7
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survey_mail_story_runs_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survey_mail_story_runs_on_postgres() {
    story(Backend::Postgres).await;
}

/// The server is down when the invitations are queued: they wait, are
/// retried with backoff (the error visible in the log), and each arrives
/// exactly once over implicit TLS after the server comes up.
async fn down_then_up(backend: Backend) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The CA file is read when the portal starts, so it is made first;
    // the server that comes up later presents a certificate from it.
    let store = day_one_store(backend).await;
    let id = open_survey(&store).await;
    let certs = tempfile::tempdir().unwrap();
    common::slapd::make_certificates(certs.path());
    let server = spawn_with(
        store.clone(),
        config(port, SmtpSecurity::Tls, &certs.path().join("ca.pem")),
    )
    .await;
    let mut pia = login(&server.base, "pia@musterstadt.de").await;
    pia.post(&format!("/umfrage/{id}/e-mail"), &[("art", "einladung")])
        .await;
    let waiting = || async {
        store
            .mail_log(100)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.status() == MailStatus::Waiting && m.attempts >= 1)
            .count()
    };
    let start = Instant::now();
    while waiting().await < 3 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no failed attempt"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = store.mail_log(100).await.unwrap();
    assert!(log.iter().all(|m| m
        .last_error
        .as_deref()
        .unwrap_or("")
        .contains("konnte nicht gesendet werden")));

    let sink = common::smtp::start_sink_with_ca(
        port,
        SinkTls::Implicit,
        Some(("ki-reise", "smtp-passwort-1")),
        certs.path(),
    )
    .await;
    until("three invitations after the server came up", || {
        sink.mails.lock().unwrap().len() >= 3
    })
    .await;
    // Several more rounds of the job: nothing is sent twice.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let got = mails(&sink);
    assert_eq!(got.len(), 3, "each exactly once");
    for who in ["ada@", "pia@", "sam@"] {
        assert_eq!(got.iter().filter(|m| to_of(m).contains(who)).count(), 1);
    }
    assert!(store
        .mail_log(100)
        .await
        .unwrap()
        .iter()
        .all(|m| m.status() == MailStatus::Sent && m.attempts >= 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_down_gets_each_mail_once_when_it_is_up_on_sqlite() {
    down_then_up(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_down_gets_each_mail_once_when_it_is_up_on_postgres() {
    down_then_up(Backend::Postgres).await;
}

/// A message left in `sendet` by a process that died is not sent again by
/// itself: it is shown as failed with the reason, and sent once more only
/// when the administration asks for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_send_is_shown_as_failed_and_repeated_only_on_request() {
    let sink = start_sink(0, SinkTls::StartTls, Some(("ki-reise", "smtp-passwort-1"))).await;
    let store = day_one_store(Backend::Sqlite).await;
    let mail = NewMail {
        kind: "hinweis".into(),
        template: "hinweis".into(),
        recipient_name: "Sam".into(),
        recipient_email: "sam@musterstadt.de".into(),
        subject: Some("Hinweis".into()),
        body: Some("Ein Hinweis.".into()),
        ..NewMail::default()
    };
    let ids = store
        .enqueue_mails(&store::Actor::system(), &[mail], "Test", "Test")
        .await
        .unwrap();
    // "The process" takes it and dies before the server answered.
    let claimed = store.claim_due_mails(10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].status(), MailStatus::Sending);
    let given_up = store
        .give_up_interrupted_mails(store::now() + 1, "unterbrochen")
        .await
        .unwrap();
    assert_eq!(given_up, 1);
    let server = spawn_with(
        store.clone(),
        config(sink.port, SmtpSecurity::Starttls, &sink.ca_file),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sink.mails.lock().unwrap().is_empty(), "not sent by itself");
    let mut ada = login(&server.base, "ada@musterstadt.de").await;
    let log = ada.get("/e-mail").await;
    assert!(log.body.contains("unterbrochen"));
    assert!(log.body.contains("Erneut senden"));
    let p = ada.post(&format!("/e-mail/{}/erneut", ids[0]), &[]).await;
    assert_eq!(p.status, 303);
    until("sent once on request", || {
        sink.mails.lock().unwrap().len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.mails.lock().unwrap().len(), 1);
    let m = store.mail(&ids[0]).await.unwrap().unwrap();
    assert_eq!(m.status(), MailStatus::Sent);
    // Asking again for a sent message is refused.
    let p = ada.post(&format!("/e-mail/{}/erneut", ids[0]), &[]).await;
    assert_eq!(p.status, 409);
}

/// Only the internal CA named in the configuration is trusted: a server
/// whose certificate another CA signed gets nothing, and the log says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_a_certificate_from_another_ca_gets_nothing() {
    let sink = start_sink(0, SinkTls::Implicit, Some(("ki-reise", "smtp-passwort-1"))).await;
    let other = tempfile::tempdir().unwrap();
    common::slapd::make_certificates(other.path());
    let store = day_one_store(Backend::Sqlite).await;
    let id = open_survey(&store).await;
    let server = spawn_with(
        store.clone(),
        config(sink.port, SmtpSecurity::Tls, &other.path().join("ca.pem")),
    )
    .await;
    let mut pia = login(&server.base, "pia@musterstadt.de").await;
    pia.post(&format!("/umfrage/{id}/e-mail"), &[("art", "einladung")])
        .await;
    let start = Instant::now();
    loop {
        let log = store.mail_log(100).await.unwrap();
        if log.len() == 3 && log.iter().all(|m| m.last_error.is_some()) {
            assert!(log.iter().all(|m| m.status() == MailStatus::Waiting));
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no failed attempt"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(sink.mails.lock().unwrap().is_empty());
}
