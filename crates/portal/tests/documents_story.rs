//! The KI-Richtlinie's way from interview to adopted policy, run unchanged
//! on SQLite and on PostgreSQL: the project team answers the interview
//! (pre-filled from the profile), edits the text, meets a colleague's newer
//! version without losing its own, compares versions, comments, submits for
//! review; data protection, IT security and the staff council state their
//! view; the admin adopts, which puts the rule set in force for the gateway.
//! Staff see only the adopted version; exports and template sets round-trip.

mod common;

use common::{
    extract_between, form_fields, fresh_database_url, login, spawn, unescape, Backend, PASSWORD,
};
use journey::access::{Function, Role};
use journey::policy::{DataClass, Reach, RuleSet};
use journey::profile::{Department, Profile};
use store::users::NewUser;
use store::{Actor, Store};

fn refs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

async fn story(backend: Backend) {
    let url = fresh_database_url(backend).await;
    let store = Store::connect(&url).await.expect("store");
    let hash = portal::auth::password::hash_blocking(PASSWORD).unwrap();
    let user = |email: &str, name: &str, role| NewUser {
        email: email.into(),
        name: name.into(),
        role,
        department: Some("Bürgerservice".into()),
        password_hash: Some(hash.clone()),
    };
    store
        .complete_setup(
            &user("ada@musterstadt.de", "Ada Admin", Role::Admin),
            &Profile {
                name: "Stadt Musterstadt".into(),
                ags: "15002000".into(),
                staff_count: 500,
                departments: vec![Department {
                    name: "Bürgerservice".into(),
                    staff_count: 100,
                }],
                dpo_contact: "Dana Datenschutz".into(),
                ..Profile::default()
            },
        )
        .await
        .unwrap();
    for (email, name, role) in [
        ("pia@musterstadt.de", "Pia Projekt", Role::ProjectTeam),
        ("sam@musterstadt.de", "Sam Sachbearbeitung", Role::Staff),
    ] {
        store
            .create_user(&Actor::system(), &user(email, name, role))
            .await
            .unwrap();
    }
    // Each reviewing body is a function an account holds; its holder
    // gives the statement.
    for (email, name, function) in [
        (
            "dana@musterstadt.de",
            "Dana Datenschutz",
            Function::DataProtection,
        ),
        (
            "ingo@musterstadt.de",
            "Ingo IT",
            Function::InformationSecurity,
        ),
        (
            "paul@musterstadt.de",
            "Paul Personalrat",
            Function::StaffCouncil,
        ),
    ] {
        let holder = store
            .create_user(&Actor::system(), &user(email, name, Role::Staff))
            .await
            .unwrap();
        store
            .set_functions(&Actor::system(), holder.id, &[function])
            .await
            .unwrap();
    }
    let server = spawn(store).await;
    let base = server.base.clone();
    let mut pia = login(&base, "pia@musterstadt.de").await;
    let mut sam = login(&base, "sam@musterstadt.de").await;

    // Staff see no drafts and cannot start a document.
    let p = sam.get("/dokumente").await;
    assert_eq!(p.status, 200);
    assert!(
        p.body.contains("noch kein Dokument beschlossen"),
        "{}",
        p.body
    );
    assert_eq!(sam.get("/dokumente/neu/ki-richtlinie").await.status, 403);

    // The interview is pre-filled from the municipality profile.
    let p = pia.get("/dokumente").await;
    assert!(
        p.body.contains("/dokumente/neu/ki-richtlinie"),
        "{}",
        p.body
    );
    let interview = pia.get("/dokumente/neu/ki-richtlinie").await;
    assert_eq!(interview.status, 200, "{}", interview.body);
    assert!(interview.body.contains("Stadt Musterstadt"));
    let mut fields = form_fields(&interview.body);
    assert!(fields.iter().any(|(k, _)| k == "_title"));

    // Without a title nothing is stored and the answers stay in the form.
    let mut no_title = fields.clone();
    no_title.retain(|(k, _)| k != "_title");
    no_title.push(("_title".into(), " ".into()));
    let p = pia
        .post("/dokumente/neu/ki-richtlinie", &refs(&no_title))
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("Nichts wurde gespeichert"));
    assert!(p.body.contains("Stadt Musterstadt"));
    assert!(pia
        .get("/dokumente")
        .await
        .body
        .contains("Noch keine Dokumente"));

    // Public information may go only to the municipality's own and the
    // private cloud in this policy.
    let public = documents::rules::allowed_question(DataClass::Public);
    fields.retain(|(k, _)| *k != public && k != "_title");
    fields.push((
        "_title".into(),
        "KI-Richtlinie der Stadt Musterstadt".into(),
    ));
    fields.push((public.clone(), "local".into()));
    fields.push((public.clone(), "private-cloud".into()));
    let p = pia
        .post("/dokumente/neu/ki-richtlinie", &refs(&fields))
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let doc = p.location.unwrap();
    let page = pia.get(&doc).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Version 1"));
    assert!(page.body.contains("Entwurf"));
    assert!(page.body.contains("Flesch"), "readability per section");

    // Two people edit version 1; the second sees the first one's text and
    // keeps its own.
    let mut ada = login(&base, "ada@musterstadt.de").await;
    let edit = pia.get(&format!("{doc}/bearbeiten")).await;
    let original =
        unescape(&extract_between(&edit.body, "class=\"markdown-input\"", "</textarea>").unwrap());
    let original = original[original.find('>').unwrap() + 1..].to_string();
    let pias_text = format!("{original}\n\n## Ergänzung\n\nDiese Regel gilt ab sofort für alle.\n");
    let p = pia
        .post(
            &format!("{doc}/bearbeiten"),
            &[
                ("base", "1"),
                ("markdown", &pias_text),
                ("note", "Ergänzung"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    ada.get(&format!("{doc}/bearbeiten")).await;
    let adas_text = format!("{original}\n\nAdas eigener Satz.\n");
    let p = ada
        .post(
            &format!("{doc}/bearbeiten"),
            &[("base", "1"), ("markdown", &adas_text)],
        )
        .await;
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(p.body.contains("Pia Projekt"), "names who saved meanwhile");
    assert!(p.body.contains("Adas eigener Satz."), "own text kept");
    assert!(
        p.body.contains("Diese Regel gilt ab sofort"),
        "their text shown"
    );
    assert!(p.body.contains("name=\"base\" value=\"2\""));

    // The comparison shows what changed.
    let p = pia.get(&format!("{doc}/vergleich?von=1&bis=2")).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("class=\"ins\""), "{}", p.body);
    assert!(p.body.contains("Diese Regel gilt ab sofort"));

    // A comment on a section of version 2.
    let page = pia.get(&doc).await;
    let anchor = extract_between(&page.body, "name=\"anchor\" value=\"", "\"").unwrap();
    let p = pia
        .post(
            &format!("{doc}/kommentare"),
            &[
                ("version", "2"),
                ("anchor", &anchor),
                ("body", "Bitte kürzer fassen."),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert!(pia.get(&doc).await.body.contains("Bitte kürzer fassen."));
    let p = pia
        .post(
            &format!("{doc}/kommentare"),
            &[("version", "2"), ("anchor", "gibt-es-nicht"), ("body", "x")],
        )
        .await;
    assert_eq!(p.status, 422);
    // A comment too long for the form: the page again, the section's form
    // open with the text kept and the message beside it.
    let long = "Zu lang. ".repeat(500);
    let p = pia
        .post(
            &format!("{doc}/kommentare"),
            &[("version", "2"), ("anchor", &anchor), ("body", &long)],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        p.body.contains(&format!("id=\"c-{anchor}-error\"")),
        "{}",
        p.body
    );
    assert!(p.body.contains("zwischen 1 und 4000 Zeichen"));
    assert!(
        p.body.contains(long.trim_end()),
        "the typed comment is kept"
    );
    assert!(!p.body.contains("Eingabe nicht möglich"));

    // Review: while it runs, the text is locked.
    let p = pia
        .post(&format!("{doc}/einreichen"), &[("version", "2")])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert!(pia.get(&doc).await.body.contains("in Prüfung"));
    let p = pia
        .post(
            &format!("{doc}/bearbeiten"),
            &[("base", "2"), ("markdown", "# Neu")],
        )
        .await;
    assert_eq!(p.status, 409);
    assert!(p.body.contains("zur Prüfung"), "{}", p.body);

    // Objections need a reason; adoption needs every body's consent. A
    // refused statement shows the document page again: the message beside
    // the field, the choice and the typed reason kept.
    let mut paul = login(&base, "paul@musterstadt.de").await;
    let mut dana = login(&base, "dana@musterstadt.de").await;
    let mut ingo = login(&base, "ingo@musterstadt.de").await;
    paul.get(&doc).await;
    let long = "Zu lang. ".repeat(500);
    for (comment, message) in [
        ("  ", "Bitte begründen Sie die Einwände"),
        (long.as_str(), "Höchstens 4000 Zeichen."),
    ] {
        let p = paul
            .post(
                &format!("{doc}/stellungnahme"),
                &[
                    ("version", "2"),
                    ("area", "personalrat"),
                    ("decision", "einwaende"),
                    ("comment", comment),
                ],
            )
            .await;
        assert_eq!(p.status, 422);
        let error = extract_between(&p.body, r#"id="comment-error">"#, "</p>");
        assert_eq!(error.as_deref().map(|e| e.starts_with(message)), Some(true));
        assert!(p.body.contains(r#"<option value="personalrat" selected>"#));
        assert!(p.body.contains(r#"value="einwaende" checked>"#));
        assert!(
            p.body.contains(comment.trim_end()),
            "the typed reason is kept"
        );
        assert!(p.body.contains("Strategie und Richtlinie"), "navigation");
    }
    // A form that cannot be read is refused in German, not in serde's words.
    let p = pia
        .post(&format!("{doc}/stellungnahme"), &[("area", "personalrat")])
        .await;
    assert_eq!(p.status, 422);
    assert!(
        p.body.contains("Im Formular fehlt das Feld „version“"),
        "{}",
        p.body
    );
    assert!(!p.body.contains("deserialize"));
    assert!(p.body.contains("Strategie und Richtlinie"), "navigation");
    let p = dana
        .post(
            &format!("{doc}/stellungnahme"),
            &[
                ("version", "2"),
                ("area", "datenschutz"),
                ("decision", "zustimmung"),
                ("comment", "Passt."),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let adopt = [
        ("version", "2"),
        ("adopted_on", "2026-11-20"),
        ("adopted_by", "Oberbürgermeister"),
    ];
    ada.get(&doc).await;
    let p = ada
        .post(
            &format!("{doc}/beschliessen"),
            &[
                ("version", "2"),
                ("adopted_on", "20.11."),
                ("adopted_by", "Erika Muster, Oberbürgermeisterin"),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains(r#"id="adopted_on-error""#), "{}", p.body);
    assert!(p
        .body
        .contains(r#"value="Erika Muster, Oberbürgermeisterin""#));
    let p = ada.post(&format!("{doc}/beschliessen"), &adopt).await;
    assert_eq!(p.status, 409);
    assert!(p.body.contains("IT-Sicherheit, Personalrat"), "{}", p.body);
    for (holder, area) in [(&mut ingo, "it-sicherheit"), (&mut paul, "personalrat")] {
        let p = holder
            .post(
                &format!("{doc}/stellungnahme"),
                &[
                    ("version", "2"),
                    ("area", area),
                    ("decision", "zustimmung"),
                    ("comment", ""),
                ],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
    }
    assert_eq!(
        pia.post(&format!("{doc}/beschliessen"), &adopt)
            .await
            .status,
        403
    );
    let p = ada
        .post(
            &format!("{doc}/beschliessen"),
            &[
                ("version", "2"),
                ("adopted_on", "20.11.2026"),
                ("adopted_by", "OB"),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "a German date is refused with a message");
    // Chat texts are kept 30 days; the policy about to be adopted says 0.
    server
        .store
        .set_chat_retention(&store::Actor::system(), Some(30))
        .await
        .unwrap();
    let p = ada.post(&format!("{doc}/beschliessen"), &adopt).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(
        server.store.chat_retention_days().await.unwrap(),
        None,
        "adoption turns storage off where the policy keeps nothing"
    );
    let page = ada.get(&doc).await;
    assert!(
        page.body
            .contains("beschlossen am 20.11.2026 durch Oberbürgermeister"),
        "{}",
        page.body
    );
    // Readability figures are German decimals ("9,7"), never "9.7".
    let wstf: String = page
        .body
        .split("Wiener Sachtextformel ")
        .nth(1)
        .unwrap_or_default()
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '-'))
        .collect();
    assert!(
        !wstf.is_empty() && !wstf.contains('.'),
        "Sachtextformel as a German decimal: {wstf}"
    );

    // The rule set is in force and says what the interview decided.
    let r = ada
        .client
        .get(format!("{base}/api/v1/policy/rules"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let rules: RuleSet = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(
        rules.allowed(DataClass::Public),
        &[Reach::Local, Reach::PrivateCloud]
    );
    assert!(!rules.allows(DataClass::Personal, Reach::PublicCloud));
    assert!(rules.source.unwrap().contains("Version 2"));
    assert_eq!(rules.adopted_on.as_deref(), Some("2026-11-20"));
    // The template's default asks for the KI-Pass, with a grace period.
    let pass = rules.ki_pass.as_ref().unwrap();
    assert_eq!(
        (pass.learning_path.as_str(), pass.grace_days),
        ("grundlagen_alle", 90)
    );
    assert!(ada
        .get("/dokumente/regelwerk")
        .await
        .body
        .contains("beschlossenen KI-Richtlinie"));

    // Staff read the adopted version and download it; no drafts, no history.
    let p = sam.get("/dokumente").await;
    assert!(p.body.contains("KI-Richtlinie der Stadt Musterstadt"));
    let p = sam.get(&doc).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Diese Regel gilt ab sofort"));
    assert!(
        !p.body.contains("Bitte kürzer fassen."),
        "comments are internal"
    );
    assert_eq!(sam.get(&format!("{doc}?version=1")).await.status, 404);
    let odt = sam
        .client
        .get(format!("{base}{doc}/export/odt"))
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
    // The adopted version is ready to sign: the adoption, place and date,
    // the signature block and the seal; the header shows the adoption date.
    let html = sam
        .client
        .get(format!("{base}{doc}/export/html"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [
        "Beschlossen am 20.11.2026 durch Oberbürgermeister.",
        "Musterstadt, den 20.11.2026",
        "<p class=\"signature\">Oberbürgermeister</p>",
        "(Dienstsiegel)",
        "<dd>20.11.2026</dd>",
        "<meta name=\"dcterms.date\" content=\"2026-11-20\">",
    ] {
        assert!(html.contains(expected), "{expected} fehlt:\n{html}");
    }
    let md = sam
        .client
        .get(format!("{base}{doc}/export/md"))
        .send()
        .await
        .unwrap();
    assert!(md
        .text()
        .await
        .unwrap()
        .contains("Diese Regel gilt ab sofort"));

    // Editing after adoption starts a new draft; staff still see version 2.
    let p = ada
        .post(
            &format!("{doc}/bearbeiten"),
            &[
                ("base", "2"),
                ("markdown", &format!("{pias_text}\nNachtrag.\n")),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert!(ada.get(&doc).await.body.contains("Version 3"));
    let p = sam.get(&doc).await;
    assert!(p.body.contains("Version 2"));
    assert!(!p.body.contains("Nachtrag."));

    // The API lists what each may see.
    let r = sam
        .client
        .get(format!("{base}/api/v1/documents"))
        .send()
        .await
        .unwrap();
    let list: serde_json::Value = r.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["adopted_version"], 2);
    let r = pia
        .client
        .post(format!("{base}/api/v1/documents"))
        .header("X-CSRF-Token", &pia.csrf)
        .json(&serde_json::json!({"template_id": "gibt-es-nicht", "title": "X"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Template sets: the export imports again; a broken upload changes nothing.
    let zip = pia
        .client
        .get(format!("{base}/dokumente/vorlagen/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status(), 200);
    let zip = zip.bytes().await.unwrap().to_vec();
    pia.get("/dokumente/vorlagen").await;
    let upload = |bytes: Vec<u8>, csrf: String| {
        reqwest::multipart::Form::new().text("_csrf", csrf).part(
            "set",
            reqwest::multipart::Part::bytes(bytes).file_name("set.zip"),
        )
    };
    let r = pia
        .client
        .post(format!("{base}/dokumente/vorlagen/import"))
        .multipart(upload(b"kein zip".to_vec(), pia.csrf.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("nicht importiert"));
    // A body cut off in the middle of the file: German, on the same page.
    let boundary = "----abgeschnitten";
    let cut = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"set\"; filename=\"set.zip\"\r\n\
         Content-Type: application/zip\r\n\r\nPK\x03\x04abgeschn",
        pia.csrf
    );
    let r = pia
        .client
        .post(format!("{base}/dokumente/vorlagen/import"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(cut)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Die Datei ist nicht vollständig angekommen"),
        "{body}"
    );
    assert!(
        body.contains("Vorlagensatz"),
        "the import form is shown again: {body}"
    );
    for english in ["Error parsing", "unexpected", "stream", "incomplete"] {
        assert!(!body.contains(english), "{english}: {body}");
    }
    let r = pia
        .client
        .post(format!("{base}/dokumente/vorlagen/import"))
        .multipart(upload(zip, pia.csrf.clone()))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Importiert:"), "{body}");
    assert!(body.contains("Import set.zip"));

    // The audit log names each step.
    let p = ada.get("/protokoll").await;
    for action in [
        "Dokument angelegt",
        "Dokument geändert",
        "Dokument zur Prüfung eingereicht",
        "Stellungnahme erfasst",
        "Dokument beschlossen",
        "Vorlagen importiert",
    ] {
        assert!(p.body.contains(action), "audit log lacks {action}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_story_runs_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_story_runs_on_postgres() {
    story(Backend::Postgres).await;
}
