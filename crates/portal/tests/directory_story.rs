//! Sign-in from the directory against a real OpenLDAP `slapd` (started by
//! `common::slapd`, tree from `tests/fixtures/directory.ldif`): the admin
//! page with its write-only password and preview, sign-in with a nested
//! group, the mapping's precedence and gaps, LDAP injection, wrong
//! passwords, an unreachable directory with the break-glass account, and
//! leavers and movers in the sync.

mod common;

use std::time::{Duration, Instant};

use common::slapd::{self, Slapd};
use common::{day_one, day_one_at, login, spawn, Backend, Browser, TestServer};
use journey::access::{Function, Role};
use portal::directory::config::{DirectoryConfig, LocalLogin, NestedGroups};
use portal::directory::mapping::{DepartmentRule, GroupFunction, GroupRole, Mapping};

fn directory_config(server: &Slapd) -> DirectoryConfig {
    DirectoryConfig {
        enabled: true,
        url: server.ldaps_url.clone(),
        ca_cert_pem: server.ca_pem.clone(),
        bind_dn: slapd::SERVICE_DN.into(),
        bind_password: slapd::SERVICE_PASSWORD.into(),
        base_dn: format!("ou=Verwaltung,{}", slapd::BASE),
        group_base_dn: format!("ou=Gruppen,{}", slapd::BASE),
        user_filter: "(&(objectClass=inetOrgPerson)(|(uid={login})(mail={login})))".into(),
        login_attribute: "uid".into(),
        nested_groups: NestedGroups::Walk,
        timeout_secs: 5,
        mapping: Mapping {
            email_attribute: "mail".into(),
            name_attribute: "displayName".into(),
            department_attribute: "departmentNumber".into(),
            departments: vec![
                DepartmentRule {
                    directory: "FB 1 - Buergerservice".into(),
                    department: "Bürgerservice".into(),
                },
                DepartmentRule {
                    directory: "Kaemmerei".into(),
                    department: "Kämmerei".into(),
                },
            ],
            roles: vec![
                GroupRole {
                    group: "Alle-Beschaeftigten".into(),
                    role: Role::Staff,
                },
                GroupRole {
                    group: "KI-Projektteam".into(),
                    role: Role::ProjectTeam,
                },
                GroupRole {
                    group: format!("cn=KI-Admins,ou=Gruppen,{}", slapd::BASE),
                    role: Role::Admin,
                },
            ],
            functions: vec![GroupFunction {
                group: "Datenschutz".into(),
                function: Function::DataProtection,
            }],
            default_role: None,
        },
        local_login: LocalLogin::Everyone,
        break_glass_email: String::new(),
        ..DirectoryConfig::default()
    }
}

async fn use_config(server: &TestServer, config: &DirectoryConfig) {
    server
        .store
        .set_setting("directory", &serde_json::to_string(config).unwrap())
        .await
        .unwrap();
}

async fn directory_login(base: &str, login: &str, password: &str) -> (Browser, common::Page) {
    let mut b = Browser::new(base);
    let p = b.get("/anmelden").await;
    assert!(p.body.contains("Mit Dienstkonto anmelden"), "{}", p.body);
    let p = b
        .post(
            "/anmelden",
            &[
                ("method", "verzeichnis"),
                ("login", login),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await;
    (b, p)
}

async fn user(server: &TestServer, email: &str) -> store::users::User {
    server
        .store
        .user_by_email(email)
        .await
        .unwrap()
        .expect(email)
}

/// The administration sets the directory up on its page; the password is
/// never shown again; the preview shows the mapping of a test account.
async fn admin_page(server: &TestServer, ldap: &Slapd) {
    let mut ada = login(&server.base, "ada@musterstadt.de").await;
    let p = ada.get("/benutzer/verzeichnis").await;
    assert_eq!(p.status, 200, "{}", p.body);
    let base_dn = format!("ou=Verwaltung,{}", slapd::BASE);
    let group_base = format!("ou=Gruppen,{}", slapd::BASE);
    let roles = format!(
        "Alle-Beschaeftigten = staff\nKI-Projektteam = project-team\ncn=KI-Admins,ou=Gruppen,{} = admin",
        slapd::BASE
    );
    let mut fields = vec![
        ("enabled", "on"),
        ("url", "ldap://unverschluesselt.example:389"),
        ("ca_cert_pem", ldap.ca_pem.as_str()),
        ("bind_dn", slapd::SERVICE_DN),
        ("bind_password", slapd::SERVICE_PASSWORD),
        ("base_dn", base_dn.as_str()),
        ("group_base_dn", group_base.as_str()),
        (
            "user_filter",
            "(&(objectClass=inetOrgPerson)(|(uid={login})(mail={login})))",
        ),
        ("login_attribute", "uid"),
        ("nested_groups", "walk"),
        ("timeout_secs", "5"),
        ("email_attribute", "mail"),
        ("name_attribute", "displayName"),
        ("department_attribute", "departmentNumber"),
        (
            "departments",
            "FB 1 - Buergerservice = Bürgerservice\nKaemmerei = Kämmerei",
        ),
        ("roles", roles.as_str()),
        ("functions", "Datenschutz = datenschutz"),
        ("default_role", ""),
        ("local_login", "everyone"),
        ("break_glass_email", ""),
    ];
    // Plain LDAP without StartTLS is refused beside the field, nothing stored.
    let p = ada.post("/benutzer/verzeichnis", &fields).await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"url-error\""), "{}", p.body);
    assert!(!p.body.contains(slapd::SERVICE_PASSWORD));
    assert_eq!(server.store.setting("directory").await.unwrap(), None);
    fields[1].1 = ldap.ldaps_url.as_str();
    let p = ada.post_and_follow("/benutzer/verzeichnis", &fields).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("gespeichert"), "{}", p.body);
    assert!(!p.body.contains(slapd::SERVICE_PASSWORD), "write-only");
    assert!(p.body.contains("Ein Passwort ist gespeichert"));
    // Saving again without typing the password keeps it.
    fields[4].1 = "";
    ada.post_and_follow("/benutzer/verzeichnis", &fields).await;
    let stored = portal::directory::config::load(&server.store, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.bind_password, slapd::SERVICE_PASSWORD);
    assert_eq!(stored.mapping.roles.len(), 3);

    let p = ada
        .post("/benutzer/verzeichnis/vorschau", &[("login", "anna.adler")])
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let preview = common::extract_between(&p.body, "<table id=\"preview\">", "</table>").unwrap();
    assert!(preview.contains("Projektteam KI-Reise"), "{preview}");
    assert!(preview.contains("Bürgerservice"), "{preview}");
    assert!(preview.contains("KI-Kernteam"), "{preview}");
    assert!(!p.body.contains(slapd::SERVICE_PASSWORD));
    // The preview creates no account.
    assert!(server
        .store
        .user_by_email("anna.adler@musterstadt.de")
        .await
        .unwrap()
        .is_none());
}

async fn sign_in_story(backend: Backend) {
    let Some(ldap) = slapd::start() else { return };
    let server = day_one(backend).await;
    admin_page(&server, &ldap).await;

    // Anna is in KI-Kernteam, which is in KI-Projektteam (and back: a cycle).
    let (mut anna, p) = directory_login(&server.base, "anna.adler", "anna-passwort-1").await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(anna.get("/").await.status, 200);
    let a = user(&server, "anna.adler@musterstadt.de").await;
    assert_eq!(a.role, Role::ProjectTeam);
    assert_eq!(a.department.as_deref(), Some("Bürgerservice"));
    assert_eq!(a.directory_login.as_deref(), Some("anna.adler"));
    assert!(a.directory_gaps.is_empty(), "{:?}", a.directory_gaps);
    assert!(!a.has_password, "no local password for a directory account");

    // In two mapped groups: the role with the most rights; the function.
    let (_, p) = directory_login(&server.base, "carla.chef", "carla-passwort-1").await;
    assert_eq!(p.status, 303, "{}", p.body);
    let c = user(&server, "carla.chef@musterstadt.de").await;
    assert_eq!(c.role, Role::Admin);
    assert_eq!(c.department.as_deref(), Some("Jugendamt"));
    assert_eq!(
        server.store.functions_of(c.id).await.unwrap(),
        vec![Function::DataProtection]
    );

    // No e-mail and no department: an account with visible gaps.
    let (_, p) = directory_login(&server.base, "dora.ohne", "dora-passwort-1").await;
    assert_eq!(p.status, 303, "{}", p.body);
    let d = user(&server, "dora.ohne@verzeichnis.invalid").await;
    assert_eq!(d.role, Role::Staff);
    assert_eq!(d.department, None);
    assert_eq!(d.directory_gaps.len(), 2, "{:?}", d.directory_gaps);
    let mut ada = login(&server.base, "ada@musterstadt.de").await;
    let users = ada.get("/benutzer").await.body;
    assert!(
        users.contains("Lücke: Keine gültige E-Mail-Adresse"),
        "{users}"
    );

    // A local account is linked by its e-mail and follows the directory.
    let sam_before = user(&server, "sam@musterstadt.de").await;
    let (_, p) = directory_login(&server.base, "sam.sach", "sam-passwort-1").await;
    assert_eq!(p.status, 303, "{}", p.body);
    let sam = user(&server, "sam@musterstadt.de").await;
    assert_eq!(sam.id, sam_before.id);
    assert_eq!(sam.directory_login.as_deref(), Some("sam.sach"));
    assert_eq!(sam.department.as_deref(), Some("Kämmerei"));

    // In no mapped group and no default role: refused, no account.
    let (_, p) = directory_login(&server.base, "emil.extern", "emil-passwort-1").await;
    assert_ne!(p.status, 303);
    assert!(p.body.contains("nicht freigeschaltet"), "{}", p.body);
    assert!(server
        .store
        .user_by_email("emil.extern@musterstadt.de")
        .await
        .unwrap()
        .is_none());

    // Wrong password, empty password, LDAP injection: refused alike.
    let users_before = server.store.users().await.unwrap().len();
    for (name, password) in [
        ("bernd.berg", "falsch"),
        ("bernd.berg", ""),
        ("*)(uid=*", "anna-passwort-1"),
        ("*", "anna-passwort-1"),
        ("anna.adler)(|(uid=*", "anna-passwort-1"),
    ] {
        let (_, p) = directory_login(&server.base, name, password).await;
        assert_eq!(p.status, 401, "{name}: {}", p.body);
        assert!(
            p.body.contains("Anmeldename oder Passwort ist falsch"),
            "{name}: {}",
            p.body
        );
        assert!(p.body.contains("id=\"directory-error\""));
    }
    assert_eq!(server.store.users().await.unwrap().len(), users_before);

    // Sign-in by e-mail address works too (the filter's mail branch).
    let (mut bernd, p) = directory_login(
        &server.base,
        "bernd.berg@musterstadt.de",
        "bernd-passwort-1",
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let b = user(&server, "bernd.berg@musterstadt.de").await;
    assert_eq!(b.role, Role::Staff);

    // The survey stays anonymous: Bernd takes part through the portal like
    // a local account; the store knows he took part, his answer carries
    // nothing of her.
    let survey = common::default_survey(&server.store).await;
    server
        .store
        .open_survey(&store::Actor::system(), survey.id, &survey.questionnaire)
        .await
        .unwrap();
    let p = bernd.get("/").await;
    assert!(p.body.contains("Jetzt teilnehmen"), "{}", p.body);
    let p = bernd
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
    assert!(bernd
        .get("/")
        .await
        .body
        .contains("Sie haben teilgenommen."));
    let answers = server.store.survey_responses(survey.id).await.unwrap();
    assert_eq!(answers, vec!["{}".to_string()]);
    for stored in &answers {
        assert!(!stored.contains("bernd") && !stored.contains(&b.id.to_string()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_sign_in_on_sqlite() {
    sign_in_story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_sign_in_on_postgres() {
    sign_in_story(Backend::Postgres).await;
}

/// A directory that accepts the connection and then says nothing: the
/// sign-in gives up within the timeout with a German message, and the
/// break-glass administration still signs in locally (in the audit log);
/// other local accounts are refused once local sign-in is switched off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_directory_neither_hangs_nor_locks_out_the_administration() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let server = day_one(Backend::Sqlite).await;
    let config = DirectoryConfig {
        enabled: true,
        url: format!("ldaps://127.0.0.1:{port}"),
        base_dn: "dc=stadt,dc=test".into(),
        timeout_secs: 1,
        local_login: LocalLogin::BreakGlassOnly,
        break_glass_email: "ada@musterstadt.de".into(),
        ..DirectoryConfig::default()
    };
    use_config(&server, &config).await;
    let started = Instant::now();
    let (_, p) = directory_login(&server.base, "anna.adler", "anna-passwort-1").await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(p.status, 503, "{}", p.body);
    assert!(p.body.contains("nicht erreichbar"), "{}", p.body);
    assert!(p.body.contains("Notfallzugang der Administration"));

    // A closed port fails at once, with the same message.
    drop(silent);
    let (_, p) = directory_login(&server.base, "anna.adler", "anna-passwort-1").await;
    assert!(p.body.contains("nicht erreichbar"), "{}", p.body);

    let mut pia = Browser::new(&server.base);
    pia.get("/anmelden").await;
    let p = pia
        .post(
            "/anmelden",
            &[
                ("email", "pia@musterstadt.de"),
                ("password", common::PASSWORD),
            ],
        )
        .await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains("lokalem Passwort ist abgeschaltet"));

    let mut ada = login(&server.base, "ada@musterstadt.de").await;
    let audit = ada.get("/protokoll").await.body;
    assert!(audit.contains("Notfallzugang benutzt"), "{audit}");
}

/// Leavers lose account and API key at once on every instance; movers
/// get their new department. Over StartTLS this time.
async fn sync_story(backend: Backend) {
    let Some(ldap) = slapd::start() else { return };
    let (store, url) = day_one_at(backend).await;
    let server = spawn(store).await;
    let second = spawn(store::Store::connect(&url).await.unwrap()).await;
    let mut config = directory_config(&ldap);
    config.url = ldap.ldap_url.clone();
    config.starttls = true;
    use_config(&server, &config).await;

    for (login, password) in [
        ("bernd.berg", "bernd-passwort-1"),
        ("anna.adler", "anna-passwort-1"),
    ] {
        let (_, p) = directory_login(&server.base, login, password).await;
        assert_eq!(p.status, 303, "{login}: {}", p.body);
    }
    let bernd = user(&server, "bernd.berg@musterstadt.de").await;
    let (mut bernd_browser, _) =
        directory_login(&second.base, "bernd.berg", "bernd-passwort-1").await;
    let key = common::ApiClient::for_user(&server, &bernd).await;
    let on_second = common::ApiClient {
        base: second.base.clone(),
        ..common::ApiClient::for_user(&server, &bernd).await
    };
    assert_eq!(key.get("/api/v1/me").await.0, 200);
    assert_eq!(on_second.get("/api/v1/me").await.0, 200);

    // Bernd leaves; Anna moves to the Jugendamt.
    let mut root = ldap.as_root().await;
    root.delete("uid=bernd.berg,ou=Jugendamt,ou=Verwaltung,dc=stadt,dc=test")
        .await
        .unwrap()
        .success()
        .unwrap();
    root.modify(
        "uid=anna.adler,ou=Buergerservice,ou=Verwaltung,dc=stadt,dc=test",
        vec![ldap3::Mod::Replace(
            "departmentNumber",
            ["Jugendamt"].into(),
        )],
    )
    .await
    .unwrap()
    .success()
    .unwrap();

    let report = portal::directory::sync::run(&server.store, &config)
        .await
        .unwrap();
    assert_eq!(report.checked, 2);
    assert_eq!(
        report.deactivated,
        vec!["bernd.berg@musterstadt.de".to_string()]
    );
    let gone = user(&server, "bernd.berg@musterstadt.de").await;
    assert!(!gone.active, "deactivated, not deleted");
    assert_eq!(key.get("/api/v1/me").await.0, 401);
    assert_eq!(on_second.get("/api/v1/me").await.0, 401);
    assert_eq!(bernd_browser.get("/").await.status, 303, "session ended");
    assert_eq!(
        user(&server, "anna.adler@musterstadt.de")
            .await
            .department
            .as_deref(),
        Some("Jugendamt")
    );
    // A second run finds nothing more to do.
    let again = portal::directory::sync::run(&second.store, &config)
        .await
        .unwrap();
    assert!(again.deactivated.is_empty());

    // An unreachable directory deactivates nobody.
    let mut broken = config.clone();
    broken.url = "ldaps://127.0.0.1:1".into();
    broken.starttls = false;
    assert!(portal::directory::sync::run(&server.store, &broken)
        .await
        .is_err());
    assert!(user(&server, "anna.adler@musterstadt.de").await.active);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leavers_and_movers_on_sqlite() {
    sync_story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leavers_and_movers_on_two_instances_on_postgres() {
    sync_story(Backend::Postgres).await;
}

/// The API twins of the directory page: settings with the service
/// password write-only, the mapping preview and the sync, for the
/// administration only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_settings_preview_and_sync_have_api_twins() {
    use reqwest::Method;
    use serde_json::json;
    let Some(ldap) = slapd::start() else { return };
    let server = day_one(Backend::Sqlite).await;
    let ada = user(&server, "ada@musterstadt.de").await;
    let api = common::ApiClient::for_user(&server, &ada).await;
    let pia = user(&server, "pia@musterstadt.de").await;
    let not_admin = common::ApiClient::for_user(&server, &pia).await;

    let (status, body) = api.get("/api/v1/sign-in/directory").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["enabled"], false);
    assert_eq!(body["bind_password_stored"], false);
    assert_eq!(not_admin.get("/api/v1/sign-in/directory").await.0, 403);

    let mut settings = json!({
        "enabled": true,
        "url": ldap.ldap_url,
        "ca_cert_pem": ldap.ca_pem,
        "bind_dn": slapd::SERVICE_DN,
        "bind_password": slapd::SERVICE_PASSWORD,
        "base_dn": format!("ou=Verwaltung,{}", slapd::BASE),
        "group_base_dn": format!("ou=Gruppen,{}", slapd::BASE),
        "user_filter": "(&(objectClass=inetOrgPerson)(|(uid={login})(mail={login})))",
        "login_attribute": "uid",
        "nested_groups": "walk",
        "department_attribute": "departmentNumber",
        "mapping": {
            "departments": [{"directory": "FB 1 - Buergerservice", "department": "Bürgerservice"}],
            "roles": [{"group": "KI-Projektteam", "role": "project-team"}],
        },
    });
    // Plain LDAP without StartTLS: refused naming the field, nothing stored.
    let (status, body) = api
        .send(Method::PUT, "/api/v1/sign-in/directory", settings.clone())
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "url", "{body}");
    assert_eq!(server.store.setting("directory").await.unwrap(), None);
    // A role that does not exist.
    settings["url"] = json!(ldap.ldaps_url);
    settings["mapping"]["roles"][0]["role"] = json!("chef");
    let (status, body) = api
        .send(Method::PUT, "/api/v1/sign-in/directory", settings.clone())
        .await;
    assert_eq!(status, 422, "{body}");
    settings["mapping"]["roles"][0]["role"] = json!("project-team");
    // A non-admin cannot store anything.
    let (status, _) = not_admin
        .send(Method::PUT, "/api/v1/sign-in/directory", settings.clone())
        .await;
    assert_eq!(status, 403);

    let (status, body) = api
        .send(Method::PUT, "/api/v1/sign-in/directory", settings.clone())
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["bind_password_stored"], true);
    assert!(
        !body.to_string().contains(slapd::SERVICE_PASSWORD),
        "write-only"
    );
    // Without the password, the stored one stays.
    settings.as_object_mut().unwrap().remove("bind_password");
    let (status, body) = api
        .send(Method::PUT, "/api/v1/sign-in/directory", settings.clone())
        .await;
    assert_eq!(status, 200, "{body}");
    let stored = portal::directory::config::load(&server.store, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.bind_password, slapd::SERVICE_PASSWORD);
    let (_, body) = api.get("/api/v1/sign-in/directory").await;
    assert!(!body.to_string().contains(slapd::SERVICE_PASSWORD));
    assert_eq!(body["mapping"]["roles"][0]["role"], "project-team");

    let (status, preview) = api
        .send(
            Method::POST,
            "/api/v1/sign-in/directory/preview",
            json!({"login": "anna.adler"}),
        )
        .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["role"], "project-team", "{preview}");
    assert_eq!(preview["department"], "Bürgerservice", "{preview}");
    let (status, body) = api
        .send(
            Method::POST,
            "/api/v1/sign-in/directory/preview",
            json!({"login": "*)(uid=*"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "login");
    assert!(server
        .store
        .user_by_email("anna.adler@musterstadt.de")
        .await
        .unwrap()
        .is_none());

    let (status, report) = api
        .send(Method::POST, "/api/v1/sign-in/directory/sync", json!({}))
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["checked"], 0, "{report}");
    let (status, _) = not_admin
        .send(Method::POST, "/api/v1/sign-in/directory/sync", json!({}))
        .await;
    assert_eq!(status, 403);
}
