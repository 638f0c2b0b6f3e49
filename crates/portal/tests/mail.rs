//! Invitations by email, against a local SMTP sink that records what it is
//! sent (no mail leaves the machine).

mod common;

use common::smtp::smtp_sink;
use common::{fresh_store, spawn_with, Backend, Browser};
use journey::access::Role;
use journey::profile::{Department, Profile};
use portal::mail::SmtpConfig;
use portal::PortalConfig;
use store::users::NewUser;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_is_emailed_when_smtp_is_configured_and_its_link_works() {
    let (port, mails) = smtp_sink().await;
    let store = fresh_store(Backend::Sqlite).await;
    let hash = portal::auth::password::hash("admin-passwort-1".into())
        .await
        .unwrap();
    store
        .complete_setup(
            &NewUser {
                email: "admin@musterstadt.de".into(),
                name: "Ada".into(),
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
                    staff_count: 10,
                }],
                ..Profile::default()
            },
        )
        .await
        .unwrap();
    let config = PortalConfig {
        smtp: Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            from: "KI-Reise <ki-reise@musterstadt.de>".into(),
            ..SmtpConfig::default()
        }),
        ..PortalConfig::default()
    };
    let server = spawn_with(store, config).await;
    let mut admin = Browser::new(&server.base);
    admin.get("/anmelden").await;
    let p = admin
        .post(
            "/anmelden",
            &[
                ("email", "admin@musterstadt.de"),
                ("password", "admin-passwort-1"),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    admin.get("/benutzer/neu").await;
    let p = admin
        .post(
            "/benutzer/neu",
            &[
                ("name", "Pia Projekt"),
                ("email", "pia@musterstadt.de"),
                ("role", "project-team"),
                ("department", ""),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = admin.get("/benutzer").await;
    assert!(
        p.body.contains("per E-Mail an pia@musterstadt.de gesendet"),
        "{}",
        p.body
    );

    let raw = mails
        .lock()
        .unwrap()
        .first()
        .cloned()
        .expect("one mail in the sink");
    // The body is quoted-printable (it has umlauts): undo soft line breaks.
    let mail = raw.replace("=\n", "").replace("=3D", "=");
    assert!(mail.contains("pia@musterstadt.de"));
    assert!(mail.contains("Einladung zur KI-Reise Stadt Musterstadt") || mail.contains("Subject:"));
    let link = mail
        .split_whitespace()
        .find(|w| w.starts_with(&server.base) && w.contains("/einladung/"))
        .expect("the mail carries the link")
        .to_string();
    let mut pia = Browser::new(&server.base);
    let path = link.trim_start_matches(&server.base).to_string();
    pia.get(&path).await;
    assert_eq!(
        pia.post(
            &path,
            &[
                ("password", "pia-passwort-42"),
                ("password_confirm", "pia-passwort-42")
            ]
        )
        .await
        .status,
        303
    );
    assert_eq!(pia.get("/").await.status, 200);
}

#[tokio::test]
async fn an_unreachable_smtp_relay_still_shows_the_link_and_says_why() {
    let store = fresh_store(Backend::Sqlite).await;
    let hash = portal::auth::password::hash("admin-passwort-1".into())
        .await
        .unwrap();
    store
        .complete_setup(
            &NewUser {
                email: "a@musterstadt.de".into(),
                name: "A".into(),
                role: Role::Admin,
                department: None,
                password_hash: Some(hash),
            },
            &Profile {
                name: "X".into(),
                ags: "15002000".into(),
                staff_count: 1,
                departments: vec![Department {
                    name: "D".into(),
                    staff_count: 1,
                }],
                ..Profile::default()
            },
        )
        .await
        .unwrap();
    // A port nobody listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = PortalConfig {
        smtp: Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port: closed,
            from: "ki@musterstadt.de".into(),
            ..SmtpConfig::default()
        }),
        ..PortalConfig::default()
    };
    let server = spawn_with(store, config).await;
    let mut admin = Browser::new(&server.base);
    admin.get("/anmelden").await;
    admin
        .post(
            "/anmelden",
            &[
                ("email", "a@musterstadt.de"),
                ("password", "admin-passwort-1"),
                ("next", "/"),
            ],
        )
        .await;
    admin.get("/benutzer/neu").await;
    let p = admin
        .post(
            "/benutzer/neu",
            &[
                ("name", "Ben"),
                ("email", "ben@musterstadt.de"),
                ("role", "staff"),
                ("department", ""),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = admin.get("/benutzer").await;
    assert!(
        p.body.contains("konnte nicht gesendet werden"),
        "{}",
        p.body
    );
    assert!(p.body.contains("id=\"one-time-link\""));
}
