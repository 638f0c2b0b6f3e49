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

/// Stands between the provider and the portal as its back-channel
/// address: records every logout token and, unless told to hold them,
/// passes them on unchanged, so the test can replay and tamper with
/// genuine tokens.
#[derive(Clone)]
struct Relay {
    url: String,
    hold: std::sync::Arc<std::sync::atomic::AtomicBool>,
    tokens: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

async fn relay_to(target: String) -> Relay {
    use axum::extract::State;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = Relay {
        url: format!("http://{}/", listener.local_addr().unwrap()),
        hold: Default::default(),
        tokens: Default::default(),
    };
    async fn pass(
        State((relay, target)): State<(Relay, String)>,
        axum::Form(form): axum::Form<std::collections::HashMap<String, String>>,
    ) -> axum::http::StatusCode {
        let token = form.get("logout_token").cloned().unwrap_or_default();
        relay.tokens.lock().unwrap().push(token.clone());
        if relay.hold.load(std::sync::atomic::Ordering::SeqCst) {
            return axum::http::StatusCode::OK;
        }
        let status = post_logout(&target, &token).await;
        axum::http::StatusCode::from_u16(status).unwrap()
    }
    let app = axum::Router::new()
        .route("/", axum::routing::post(pass))
        .with_state((relay.clone(), target));
    tokio::spawn(async move { axum::serve(listener, app).await });
    relay
}

/// Posts a logout token as the provider does; returns the status.
async fn post_logout(url: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .post(url)
        .form(&[("logout_token", token)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// `token` with its payload replaced by `edit(payload)`, signature kept.
fn with_claims(token: &str, edit: impl Fn(&mut serde_json::Value)) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    edit(&mut claims);
    let payload = b64.encode(serde_json::to_vec(&claims).unwrap());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

async fn status_of_home(agent: &Agent, base: &str) -> u16 {
    agent.get(&format!("{base}/")).await.status
}

/// Signing out at the provider ends the portal session through the
/// back-channel, on both instances on one database; a tampered or replayed
/// logout token is refused with 400 and ends nothing.
async fn backchannel_story(backend: Backend) {
    let (store, url) = common::day_one_at(backend).await;
    let first = common::spawn(store).await;
    let second = common::spawn(store::Store::connect(&url).await.unwrap()).await;
    let endpoint = |s: &TestServer| format!("{}{}", s.base, portal::oidc::backchannel::PATH);
    let relay = relay_to(endpoint(&first)).await;
    let Some(provider) = oidc_provider::start_for(&[&first.base, &second.base], &relay.url) else {
        return;
    };
    use_config(&first, &config(&provider.issuer)).await;

    // Pia signs in on the second instance, Sam on the first. (Cookies do
    // not tell ports apart, so each browser's session reaches both.)
    let pia = Agent::default();
    assert_eq!(pia.sign_in(&second.base, "pia.projekt").await.status, 303);
    let sam = Agent::default();
    assert_eq!(
        sam.sign_in(&first.base, "sam.sachbearbeitung").await.status,
        303
    );
    for base in [&first.base, &second.base] {
        assert_eq!(status_of_home(&pia, base).await, 200);
        assert_eq!(status_of_home(&sam, base).await, 200);
    }

    // Pia signs out at the provider; its logout reaches the first instance
    // and ends the session she began on the second. Sam stays.
    let out = pia.sign_out_at_provider(&provider.issuer).await;
    assert_eq!(
        relay.tokens.lock().unwrap().len(),
        1,
        "one back-channel logout: {out:?}"
    );
    for base in [&first.base, &second.base] {
        assert_eq!(
            status_of_home(&pia, base).await,
            303,
            "Pia signed out at {base}"
        );
        assert_eq!(
            status_of_home(&sam, base).await,
            200,
            "Sam still in at {base}"
        );
    }

    // Sam's logout token is held back, to try it altered first.
    relay.hold.store(true, std::sync::atomic::Ordering::SeqCst);
    sam.sign_out_at_provider(&provider.issuer).await;
    let genuine = relay.tokens.lock().unwrap().last().cloned().unwrap();
    assert_eq!(status_of_home(&sam, &first.base).await, 200);
    let mut bad_signature = genuine.clone();
    let at = bad_signature.len() - 10;
    let swapped = if &bad_signature[at..at + 1] == "A" {
        "B"
    } else {
        "A"
    };
    bad_signature.replace_range(at..at + 1, swapped);
    let none_alg = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let payload = genuine.split('.').nth(1).unwrap();
        format!(
            "{}.{payload}.",
            b64.encode(br#"{"alg":"none","typ":"JWT"}"#)
        )
    };
    let tampered = [
        ("signature", bad_signature),
        (
            "other jti",
            with_claims(&genuine, |c| c["jti"] = "neu".into()),
        ),
        (
            "other sub",
            with_claims(&genuine, |c| c["sub"] = "pia.projekt".into()),
        ),
        ("alg none", none_alg),
        ("empty", String::new()),
        ("no JWT", "kein.token".into()),
    ];
    for (what, token) in &tampered {
        assert_eq!(post_logout(&endpoint(&first), token).await, 400, "{what}");
        assert_eq!(
            status_of_home(&sam, &first.base).await,
            200,
            "{what} ended nothing"
        );
    }
    // The provider's logout token also names the provider; an ID token is
    // no logout token (unit tests in oidc::verify cover the claims).

    // The genuine token, to the second instance this time: Sam is out on both.
    assert_eq!(post_logout(&endpoint(&second), &genuine).await, 200);
    for base in [&first.base, &second.base] {
        assert_eq!(
            status_of_home(&sam, base).await,
            303,
            "Sam signed out at {base}"
        );
    }

    // Replayed, to either instance: refused (the jti is spent in the database).
    for server in [&first, &second] {
        assert_eq!(
            post_logout(&endpoint(server), &genuine).await,
            400,
            "replay"
        );
    }

    // Signed in again, Sam is not touched by the old token.
    assert_eq!(
        sam.sign_in(&first.base, "sam.sachbearbeitung").await.status,
        303
    );
    assert_eq!(post_logout(&endpoint(&first), &genuine).await, 400);
    assert_eq!(status_of_home(&sam, &first.base).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backchannel_logout_on_sqlite() {
    backchannel_story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backchannel_logout_on_two_instances_on_postgres() {
    backchannel_story(Backend::Postgres).await;
}

fn settings_fields<'a>(issuer: &'a str, secret: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("enabled", "on"),
        ("issuer", issuer),
        ("client_id", oidc_provider::CLIENT_ID),
        ("client_secret", secret),
        ("scopes", "email profile dienst"),
        ("email_claim", "email"),
        ("name_claim", "name"),
        ("department_claim", "department"),
        ("groups_claim", "groups"),
        ("allowed_hosts", ""),
        ("timeout_secs", "2"),
        (
            "departments",
            "FB 1 - Buergerservice = Bürgerservice\nKaemmerei = Kämmerei",
        ),
        (
            "roles",
            "Alle-Beschaeftigten = staff\nKI-Projektteam = project-team",
        ),
        ("functions", ""),
        ("default_role", ""),
        ("local_login", "everyone"),
        ("break_glass_email", ""),
    ]
}

/// The administration sets up OpenID Connect on its page: the discovery
/// document is read on save (an unreachable or plain-HTTP issuer is
/// refused in German, nothing stored), the secret is write-only; the API
/// twin does the same for admins only; and local sign-in switched off
/// there leaves only the break-glass account, whose use is audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_administration_sets_up_oidc_on_the_page_and_through_the_api() {
    use reqwest::Method;
    use serde_json::json;
    let server = day_one(Backend::Sqlite).await;
    let Some(provider) = oidc_provider::start(&server.base) else {
        return;
    };
    let secret = oidc_provider::CLIENT_SECRET;
    let mut ada = login(&server.base, "ada@musterstadt.de").await;
    let page = ada.get("/benutzer/dienstkonto").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Noch kein Geheimnis gespeichert"),
        "{}",
        page.body
    );
    assert!(page.body.contains("/anmelden/dienstkonto/abmelden"));

    // Unreachable, and not https: refused beside the field, nothing stored.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let unreachable = format!("http://{}", silent.local_addr().unwrap());
    for (issuer, says) in [
        (unreachable.as_str(), "nicht erreichbar"),
        ("http://login.stadt.test/realms/verwaltung", "https://"),
        ("https://", "Aussteller"),
    ] {
        let p = ada
            .post("/benutzer/dienstkonto", &settings_fields(issuer, secret))
            .await;
        assert_eq!(p.status, 422, "{issuer}: {}", p.body);
        assert!(p.body.contains("id=\"issuer-error\""), "{}", p.body);
        assert!(p.body.contains(says), "{issuer}: {}", p.body);
        assert!(!p.body.contains(secret), "the secret is not sent back");
        assert_eq!(server.store.setting("oidc").await.unwrap(), None);
    }
    // The provider's own address, but not an issuer (another path).
    let wrong = format!("{}/nicht-hier", provider.issuer);
    let p = ada
        .post("/benutzer/dienstkonto", &settings_fields(&wrong, secret))
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        p.body.contains("kein passender OpenID-Anmeldedienst"),
        "{}",
        p.body
    );

    let p = ada
        .post_and_follow(
            "/benutzer/dienstkonto",
            &settings_fields(&provider.issuer, secret),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("gespeichert"));
    assert!(p.body.contains("Ein Geheimnis ist gespeichert"));
    assert!(!p.body.contains(secret), "write-only");
    // Saved again without the secret: it stays.
    ada.post_and_follow(
        "/benutzer/dienstkonto",
        &settings_fields(&provider.issuer, ""),
    )
    .await;
    let stored = portal::oidc::config::load(&server.store, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.client_secret, secret);
    assert!(stored.enabled);
    // And sign-in works with what the page stored.
    let sam = Agent::default();
    assert_eq!(
        sam.sign_in(&server.base, "sam.sachbearbeitung")
            .await
            .status,
        303
    );

    // Not for the project team: neither page nor API, so nobody else can
    // make the server fetch an address.
    let mut pia = login(&server.base, "pia@musterstadt.de").await;
    let p = pia
        .post(
            "/benutzer/dienstkonto",
            &settings_fields(&unreachable, secret),
        )
        .await;
    assert_eq!(p.status, 403);
    let pia_user = server
        .store
        .user_by_email("pia@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let pia_api = common::ApiClient::for_user(&server, &pia_user).await;
    assert_eq!(pia_api.get("/api/v1/sign-in/oidc").await.0, 403);
    let (status, _) = pia_api
        .send(
            Method::PUT,
            "/api/v1/sign-in/oidc",
            json!({"issuer": unreachable}),
        )
        .await;
    assert_eq!(status, 403);

    // The API twin: the secret never comes back.
    let ada_user = server
        .store
        .user_by_email("ada@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let api = common::ApiClient::for_user(&server, &ada_user).await;
    let (status, body) = api.get("/api/v1/sign-in/oidc").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["client_secret_stored"], true);
    assert_eq!(body["issuer"], provider.issuer.as_str());
    assert!(!body.to_string().contains(secret), "{body}");
    let mut settings = json!({
        "enabled": true,
        "issuer": unreachable,
        "client_id": oidc_provider::CLIENT_ID,
        "scopes": ["email", "profile", "dienst"],
        "mapping": {
            "roles": [{"group": "Alle-Beschaeftigten", "role": "staff"}],
            "default_role": null,
        },
        "local_login": "break-glass-only",
        "break_glass_email": "ada@musterstadt.de",
    });
    let (status, body) = api
        .send(Method::PUT, "/api/v1/sign-in/oidc", settings.clone())
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "issuer", "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("nicht erreichbar"));
    settings["issuer"] = json!(provider.issuer);
    let (status, body) = api
        .send(Method::PUT, "/api/v1/sign-in/oidc", settings.clone())
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["client_secret_stored"], true, "kept without a new one");
    assert_eq!(body["local_login"], "break-glass-only");
    assert!(!body.to_string().contains(secret));

    // Local sign-in is now off through the OIDC setting alone (no
    // directory): the project team's local password is refused, the
    // break-glass administration gets in and is in the audit log.
    assert!(server.store.setting("directory").await.unwrap().is_none());
    let mut someone = common::Browser::new(&server.base);
    let page = someone.get("/anmelden").await;
    assert!(
        page.body.contains("Notfallzugang der Administration"),
        "{}",
        page.body
    );
    let p = someone
        .post(
            "/anmelden",
            &[
                ("email", "pia@musterstadt.de"),
                ("password", common::PASSWORD),
            ],
        )
        .await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(
        p.body.contains("lokalem Passwort ist abgeschaltet"),
        "{}",
        p.body
    );
    let mut ada = login(&server.base, "ada@musterstadt.de").await;
    let audit = ada.get("/protokoll").await.body;
    assert!(audit.contains("Notfallzugang benutzt"), "{audit}");
    assert!(audit.contains("Anmeldung mit Dienstkonto (OpenID Connect) eingestellt"));
    // Sign-in through the provider is unaffected.
    let sam = Agent::default();
    assert_eq!(
        sam.sign_in(&server.base, "sam.sachbearbeitung")
            .await
            .status,
        303
    );
}
