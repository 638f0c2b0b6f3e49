//! The foundation story, run unchanged on SQLite and on PostgreSQL:
//! set-up → users → roles → dashboard step changes → audit log, plus two
//! app instances sharing one database.

mod common;

use common::{extract_between, fresh_database_url, spawn, unescape, Backend, Browser};
use store::Store;

const SETUP: &[(&str, &str)] = &[
    ("admin_name", "Ada Admin"),
    ("admin_email", "ada@musterstadt.de"),
    ("admin_password", "sehr-geheim-123"),
    ("name", "Stadt Musterstadt"),
    ("ags", "15002000"),
    ("staff_count", "1200"),
    (
        "departments",
        "Bürgerservice; 120\nJugendamt; 300\nKämmerei; 80",
    ),
    ("dpo_contact", "Dana Datenschutz, dsb@musterstadt.de"),
    ("it_security_contact", ""),
    ("staff_council_contact", "Paul Personalrat"),
];

fn with<'a>(
    fields: &[(&'a str, &'a str)],
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<_> = fields
        .iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .copied()
        .collect();
    out.extend_from_slice(extra);
    out
}

async fn story(backend: Backend) {
    let url = fresh_database_url(backend).await;
    let server = spawn(Store::connect(&url).await.expect("store")).await;
    let code = server
        .setup_code
        .clone()
        .expect("a fresh instance asks for set-up");

    // Before set-up, everything leads to the set-up page.
    let mut admin = Browser::new(&server.base);
    let p = admin.get("/anmelden").await;
    assert_eq!(p.location.as_deref(), Some("/einrichtung"));
    let p = admin.get("/einrichtung").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Einrichtungscode"));

    // A wrong code is refused next to its field, the input is kept.
    let p = admin
        .post(
            "/einrichtung",
            &with(SETUP, &[("setup_code", "FALSCH-00000")]),
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("Der Einrichtungscode stimmt nicht"));
    assert!(p.body.contains("value=\"Stadt Musterstadt\""));
    assert!(
        !p.body.contains("sehr-geheim-123"),
        "passwords are never echoed"
    );

    // A bad AGS is named too.
    let p = admin
        .post(
            "/einrichtung",
            &with(SETUP, &[("setup_code", code.as_str()), ("ags", "123")]),
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("genau 8 Ziffern"));

    let p = admin
        .post(
            "/einrichtung",
            &with(SETUP, &[("setup_code", code.as_str())]),
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = admin.get("/?willkommen=1").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Die KI-Reise von Stadt Musterstadt"));
    assert!(p.body.contains("Phase 1: Grundlagen schaffen"));
    assert!(p.body.contains("Als Nächstes"));

    // The set-up code is spent.
    let mut intruder = Browser::new(&server.base);
    let p = intruder.get("/einrichtung").await;
    assert_eq!(p.location.as_deref(), Some("/"));

    // The admin creates a project-team member and gets an invitation link.
    admin.get("/benutzer/neu").await;
    let p = admin
        .post(
            "/benutzer/neu",
            &[
                ("name", "Pia Projekt"),
                ("email", "pia@musterstadt.de"),
                ("role", "project-team"),
                ("department", "Bürgerservice"),
                ("version", "0"),
            ],
        )
        .await;
    // Redirect after POST: the list shows the link once; a reload neither
    // posts again nor shows the link a second time.
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/benutzer"));
    let p = admin.get("/benutzer").await;
    assert_eq!(p.status, 200, "{}", p.body);
    let link = unescape(
        &extract_between(&p.body, "id=\"one-time-link\">", "<").expect("invite link shown"),
    );
    assert!(p.body.contains("Pia Projekt wurde angelegt."), "{}", p.body);
    let reload = admin.get("/benutzer").await;
    assert!(!reload.body.contains("id=\"one-time-link\""));
    assert!(link.starts_with(&server.base));
    let invite_path = link.trim_start_matches(&server.base).to_string();

    // Duplicate emails are refused next to the field.
    admin.get("/benutzer/neu").await;
    let p = admin
        .post(
            "/benutzer/neu",
            &[
                ("name", "<b>Pia</b> Zwei"),
                ("email", "PIA@musterstadt.de"),
                ("role", "staff"),
                ("department", ""),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("bereits vergeben"));
    assert!(!p.body.contains("<b>Pia</b>"), "markup in names is escaped");
    assert!(
        p.body.contains("&#60;b&#62;Pia&#60;/b&#62; Zwei")
            || p.body.contains("&lt;b&gt;Pia&lt;/b&gt; Zwei"),
        "input kept"
    );

    // Pia accepts the invitation and lands on the dashboard, logged in.
    let mut pia = Browser::new(&server.base);
    let p = pia.get(&invite_path).await;
    assert!(p.body.contains("Pia Projekt"));
    let p = pia.post(&invite_path, &[("password", "kurz")]).await;
    assert_eq!(p.status, 422);
    // The password is asked twice; a typo is named beside the second field.
    let p = pia
        .post(
            &invite_path,
            &[
                ("password", "pia-passwort-42"),
                ("password_confirm", "pia-passwort-24"),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        p.body
            .contains("id=\"password_confirm-error\">Die beiden Eingaben stimmen nicht überein."),
        "{}",
        p.body
    );
    let p = pia
        .post(
            &invite_path,
            &[
                ("password", "pia-passwort-42"),
                ("password_confirm", "pia-passwort-42"),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    let p = pia.get("/").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Projektteam KI-Reise"));
    // The link works only once.
    let mut again = Browser::new(&server.base);
    assert_eq!(again.get(&invite_path).await.status, 404);

    // Set-up created the profile, so its step is done already.
    let p = admin.get("/").await;
    assert!(p.body.contains("1 von 6 Schritten erledigt"), "{}", p.body);
    assert!(p.body.contains("Bei der Ersteinrichtung angelegt."));

    // Pia marks a step as done (htmx), the fragment shows who and when.
    let p = pia
        .htmx_post(
            "/schritte/projektteam",
            &[
                ("status", "done"),
                ("note", "Profil vollständig"),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("erledigt") && p.body.contains("Pia Projekt"));
    assert!(
        !p.body.contains("<html"),
        "htmx gets a fragment, not a page"
    );
    // A stale form (old version) changes nothing and says so.
    let p = pia
        .htmx_post(
            "/schritte/projektteam",
            &[("status", "open"), ("note", "alt"), ("version", "0")],
        )
        .await;
    assert!(p.body.contains("inzwischen von jemand anderem geändert"));
    let p = admin.get("/").await;
    assert!(p.body.contains("2 von 6 Schritten erledigt"));
    assert!(p.body.contains("Profil vollständig"));

    // An API key for the admin creates a staff member over the JSON API.
    admin.get("/konto").await;
    let p = admin
        .post("/konto/schluessel", &[("key_name", "Skript")])
        .await;
    let key = extract_between(&p.body, "id=\"api-key\">", "<").expect("key shown once");
    let api = reqwest::Client::new();
    let r = api
        .post(format!("{}/api/v1/users", server.base))
        .bearer_auth(&key)
        .json(&serde_json::json!({"name": "Sam Staff", "email": "sam@musterstadt.de", "role": "staff", "department": "Jugendamt"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: serde_json::Value = r.json().await.unwrap();
    let sam_invite = created["invite_url"]
        .as_str()
        .unwrap()
        .trim_start_matches(&server.base)
        .to_string();
    // Bad input gets the error shape with the field named.
    let r = api
        .post(format!("{}/api/v1/users", server.base))
        .bearer_auth(&key)
        .json(&serde_json::json!({"name": "X", "email": "x@musterstadt.de", "role": "chef"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let err: serde_json::Value = r.json().await.unwrap();
    assert_eq!(err["error"]["field"], "role");
    assert_eq!(err["error"]["code"], "invalid");

    // Sam (staff) may see the journey but not change it or manage users.
    let mut sam = Browser::new(&server.base);
    sam.get(&sam_invite).await;
    assert_eq!(
        sam.post(
            &sam_invite,
            &[
                ("password", "sam-passwort-42"),
                ("password_confirm", "sam-passwort-42")
            ]
        )
        .await
        .status,
        303
    );
    let p = sam.get("/").await;
    assert_eq!(p.status, 200);
    assert!(
        !p.body.contains("/schritte/profil\""),
        "no step form for staff"
    );
    assert_eq!(sam.get("/benutzer").await.status, 403);
    assert_eq!(
        sam.htmx_post("/schritte/profil", &[("status", "open"), ("version", "1")])
            .await
            .status,
        403
    );
    assert_eq!(sam.get("/protokoll").await.status, 403);

    // CSV import: a broken row imports nothing by default, only valid rows on request.
    let csv = "name,email,department,role\nVera Viewer,vera@musterstadt.de,Kämmerei,viewer\nKaputt,keine-mail,Kämmerei,staff\n";
    admin.get("/benutzer/import").await;
    let p = admin
        .post("/benutzer/import", &[("csv", csv), ("mode", "all")])
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("Zeile 3"));
    assert!(server
        .store
        .user_by_email("vera@musterstadt.de")
        .await
        .unwrap()
        .is_none());
    let p = admin
        .post_and_follow("/benutzer/import", &[("csv", csv), ("mode", "valid")])
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("1 Person importiert."));
    assert!(server
        .store
        .user_by_email("vera@musterstadt.de")
        .await
        .unwrap()
        .is_some());

    // Two app instances on one database behave as one: a session from the
    // first works on the second.
    let second = spawn(Store::connect(&url).await.expect("second store")).await;
    let mut pia_elsewhere = Browser {
        base: second.base.clone(),
        client: pia.client.clone(),
        csrf: String::new(),
    };
    let p = pia_elsewhere.get("/").await;
    assert_eq!(p.status, 200, "session is shared across instances");
    let p = pia_elsewhere
        .htmx_post(
            "/schritte/bestandsaufnahme",
            &[("status", "in-progress"), ("version", "0")],
        )
        .await;
    assert!(p.body.contains("in Arbeit"));

    // Login throttling: after five failures even the right password waits.
    let mut guesser = Browser::new(&server.base);
    guesser.get("/anmelden").await;
    for _ in 0..5 {
        let p = guesser
            .post(
                "/anmelden",
                &[
                    ("email", "sam@musterstadt.de"),
                    ("password", "falsch-falsch"),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(p.status, 401);
        assert!(
            p.body.contains("value=\"sam@musterstadt.de\""),
            "email kept"
        );
    }
    let p = guesser
        .post(
            "/anmelden",
            &[
                ("email", "sam@musterstadt.de"),
                ("password", "sam-passwort-42"),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(p.status, 429);
    assert!(p.body.contains("Zu viele fehlgeschlagene Anmeldeversuche"));
    let locked = guesser
        .client
        .post(format!("{}/anmelden", guesser.base))
        .form(&[
            ("email", "sam@musterstadt.de"),
            ("password", "sam-passwort-42"),
            ("next", "/"),
            ("_csrf", guesser.csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(locked.status(), 429);
    let retry_after: i64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=15 * 60).contains(&retry_after),
        "Retry-After in seconds: {retry_after}"
    );

    // Deactivating Sam ends his session at once.
    let sam_id = server
        .store
        .user_by_email("sam@musterstadt.de")
        .await
        .unwrap()
        .unwrap()
        .id;
    admin.get("/benutzer").await;
    let p = admin
        .post(&format!("/benutzer/{sam_id}/aktiv"), &[("active", "0")])
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(sam.get("/").await.status, 303);

    // The admin's audit log shows who did what; never a password.
    let p = admin.get("/protokoll").await;
    assert_eq!(p.status, 200);
    for expected in [
        "Ersteinrichtung abgeschlossen",
        "Benutzer angelegt",
        "Schritt geändert",
        "Pia Projekt",
        "offen → erledigt",
        "Benutzer importiert",
        "Benutzer deaktiviert",
        "API-Schlüssel erstellt",
    ] {
        assert!(p.body.contains(expected), "audit log lacks {expected}");
    }
    assert!(!p.body.contains("pia-passwort-42"));
    let r = api
        .get(format!("{}/api/v1/audit?q=Schritt", server.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let audit: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        audit["total"], 3,
        "the set-up's and two step changes; the stale one wrote nothing"
    );

    // Logging out ends the session.
    let p = pia.post("/abmelden", &[]).await;
    assert_eq!(p.location.as_deref(), Some("/anmelden"));
    assert_eq!(pia.get("/").await.status, 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_foundation_story_runs_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_foundation_story_runs_on_postgres() {
    story(Backend::Postgres).await;
}
