//! Sign-in with the service account at a real OpenID provider (the npm
//! package `oidc-provider`, started by `common::oidc_provider`): the
//! provider's own login and consent forms, the code flow with PKCE back to
//! the portal, a staff member and a project-team member on their start
//! pages with the mapped role and department, a replayed return, a return
//! in another browser, an unverified e-mail that must not take over a local
//! account, an unreachable provider with local sign-in still working, and
//! logout at the provider.

mod common;

use common::oidc_provider::{self, Agent, OidcProvider};
use common::{day_one, login, Backend, TestServer};
use journey::access::Role;
use portal::directory::mapping::{DepartmentRule, GroupRole, Mapping};
use portal::oidc::config::OidcConfig;

fn config(issuer: &str) -> OidcConfig {
    OidcConfig {
        enabled: true,
        issuer: issuer.into(),
        client_id: oidc_provider::CLIENT_ID.into(),
        client_secret: oidc_provider::CLIENT_SECRET.into(),
        scopes: vec!["email".into(), "profile".into(), "dienst".into()],
        mapping: Mapping {
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
                    group: "KI-Admins".into(),
                    role: Role::Admin,
                },
            ],
            default_role: None,
            ..Mapping::default()
        },
        ..OidcConfig::default()
    }
}

async fn use_config(server: &TestServer, config: &OidcConfig) {
    server
        .store
        .set_setting("oidc", &serde_json::to_string(config).unwrap())
        .await
        .unwrap();
}

async fn setup(backend: Backend) -> Option<(TestServer, OidcProvider)> {
    let server = day_one(backend).await;
    let provider = oidc_provider::start(&server.base)?;
    use_config(&server, &config(&provider.issuer)).await;
    Some((server, provider))
}

async fn sign_in_story(backend: Backend) {
    let Some((server, _provider)) = setup(backend).await else {
        return;
    };
    let base = server.base.as_str();

    // The login page offers the button; local sign-in stays below it.
    let agent = Agent::default();
    let page = agent.get(&format!("{base}/anmelden")).await;
    assert!(
        page.body.contains("Mit Dienstkonto anmelden"),
        "{}",
        page.body
    );
    assert!(page.body.contains("action=\"/anmelden/dienstkonto\""));
    assert!(page.body.contains("Mit lokalem Konto anmelden"));

    // The way to the provider carries PKCE, state and nonce.
    let start = agent.get(&format!("{base}/anmelden/dienstkonto")).await;
    let to = start.location.clone().unwrap();
    for part in [
        "code_challenge_method=S256",
        "code_challenge=",
        "state=",
        "nonce=",
        "response_type=code",
        "scope=openid+email+profile+dienst",
    ] {
        assert!(to.contains(part), "{part} missing in {to}");
    }

    // A project-team member: created on first sign-in, start page of the team.
    let pia = Agent::default();
    let back = pia.sign_in(base, "pia.projekt").await;
    assert_eq!(back.status, 303, "{}", back.body);
    assert_eq!(back.location.as_deref(), Some(format!("{base}/").as_str()));
    let home = pia.get(&format!("{base}/")).await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Als Nächstes"), "{}", home.body);
    assert!(home.body.contains("Phase 1: Grundlagen schaffen"));
    let user = server
        .store
        .user_by_email("pia.projekt@stadt.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.role, Role::ProjectTeam);
    assert_eq!(user.department.as_deref(), Some("Bürgerservice"));
    assert_eq!(user.name, "Pia Projekt");
    assert!(!user.has_password);
    assert!(user.directory_gaps.is_empty(), "{:?}", user.directory_gaps);
    assert_eq!(
        server
            .store
            .user_by_oidc_subject("pia.projekt")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(user.id)
    );

    // A staff member: the staff start page, department from the table.
    let sam = Agent::default();
    let back = sam.sign_in(base, "sam.sachbearbeitung").await;
    assert_eq!(back.status, 303, "{}", back.body);
    let home = sam.get(&format!("{base}/")).await;
    assert!(home.body.contains("Ihre KI-Reise"), "{}", home.body);
    assert!(!home.body.contains("Als Nächstes"));
    let user = server
        .store
        .user_by_email("sam.sachbearbeitung@stadt.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.role, Role::Staff);
    assert_eq!(user.department.as_deref(), Some("Kämmerei"));

    // An existing local account is linked by its verified e-mail and its
    // role follows the provider's groups.
    let ada = Agent::default();
    let back = ada.sign_in(base, "ada.admin").await;
    assert_eq!(back.status, 303, "{}", back.body);
    let ada_user = server
        .store
        .user_by_email("ada@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        server
            .store
            .user_by_oidc_subject("ada.admin")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(ada_user.id),
        "linked, not a second account"
    );
    assert!(ada_user.has_password, "the local password stays");

    // An unverified e-mail never takes over the local account with it.
    let other = Agent::default();
    let back = other.sign_in(base, "ungeprueft").await;
    assert_eq!(back.status, 303, "{}", back.body);
    let local_sam = server
        .store
        .user_by_email("sam@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    assert_ne!(
        server
            .store
            .user_by_oidc_subject("ungeprueft")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(local_sam.id)
    );
    let created = server
        .store
        .user_by_oidc_subject("ungeprueft")
        .await
        .unwrap()
        .unwrap();
    assert!(created.email.ends_with(".invalid"), "{}", created.email);
    assert!(
        created.directory_gaps.iter().any(|g| g.contains("E-Mail")),
        "{:?}",
        created.directory_gaps
    );

    // Someone in no mapped group gets no account.
    let nobody = Agent::default();
    let back = nobody.sign_in(base, "ohne.gruppe").await;
    assert_eq!(back.status, 403, "{}", back.body);
    assert!(back.body.contains("nicht freigeschaltet"), "{}", back.body);
    assert!(server
        .store
        .user_by_oidc_subject("ohne.gruppe")
        .await
        .unwrap()
        .is_none());

    // Logout ends the session here and sends the browser to the provider.
    let home = pia.get(&format!("{base}/")).await;
    let csrf =
        common::extract_between(&home.body, "<meta name=\"csrf-token\" content=\"", "\"").unwrap();
    let out = pia
        .client
        .post(format!("{base}/abmelden"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 303);
    let location = out.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!("{}/session/end?", _provider.issuer)),
        "{location}"
    );
    assert!(location.contains("post_logout_redirect_uri="), "{location}");
    let home = pia.get(&format!("{base}/")).await;
    assert_eq!(home.status, 303, "signed out here");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_sign_in_on_sqlite() {
    sign_in_story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_sign_in_on_postgres() {
    sign_in_story(Backend::Postgres).await;
}

/// The provider's return is good once, in the browser that left: a replay
/// of the same return, or the return opened in another browser (someone
/// handing a victim their sign-in link), signs nobody in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_return_from_the_provider_counts_once_and_only_in_its_browser() {
    let Some((server, _provider)) = setup(Backend::Sqlite).await else {
        return;
    };
    let base = server.base.as_str();
    let callback = format!("{base}/anmelden/dienstkonto/zurueck");

    // Walk to the provider and back, but stop before the return.
    let agent = Agent::default();
    let start = agent.get(&format!("{base}/anmelden/dienstkonto")).await;
    let form = agent.follow(start, None).await;
    let after = agent
        .submit(&form, &[("login", "pia.projekt"), ("password", "x")])
        .await;
    let mut page = agent.follow(after, Some(&callback)).await;
    if page.location.is_none() {
        let after = agent.submit(&page, &[]).await;
        page = agent.follow(after, Some(&callback)).await;
    }
    let back = page.location.unwrap();

    // Another browser opens the return link: refused, and the sign-in is spent.
    let attacker_victim = Agent::default();
    let refused = attacker_victim.get(&back).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused
        .body
        .contains("abgelaufen oder wurde schon verwendet"));
    let mine = agent.get(&back).await;
    assert_eq!(mine.status, 400, "the state was used up: {}", mine.body);

    // A fresh sign-in works once; its replay is refused.
    let ok = agent.sign_in(base, "pia.projekt").await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let replay = agent.get(&ok.url).await;
    assert_eq!(replay.status, 400, "{}", replay.body);
    assert!(replay
        .body
        .contains("abgelaufen oder wurde schon verwendet"));

    // A made-up state, and none at all.
    for url in [
        format!("{callback}?code=abc&state=erfunden"),
        format!("{callback}?code=abc"),
    ] {
        let p = Agent::default().get(&url).await;
        assert_eq!(p.status, 400, "{url}: {}", p.body);
    }
}

/// A provider that does not answer: a German message on the login page
/// within the timeout, and local sign-in still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_provider_leaves_local_sign_in_working() {
    let server = day_one(Backend::Sqlite).await;
    // A port that accepts and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", silent.local_addr().unwrap());
    let mut c = config(&issuer);
    c.timeout_secs = 1;
    use_config(&server, &c).await;

    let agent = Agent::default();
    let began = std::time::Instant::now();
    let page = agent
        .get(&format!("{}/anmelden/dienstkonto", server.base))
        .await;
    assert!(began.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(page
        .body
        .contains("Anmeldedienst Ihrer Verwaltung ist gerade nicht erreichbar"));
    assert!(page.body.contains("Mit lokalem Konto anmelden"));

    // Nothing listens at all.
    drop(silent);
    let page = agent
        .get(&format!("{}/anmelden/dienstkonto", server.base))
        .await;
    assert_eq!(page.status, 503, "{}", page.body);

    let mut ada = login(&server.base, "ada@musterstadt.de").await;
    assert_eq!(ada.get("/").await.status, 200);
}
