//! The Vergleichstest in the portal: the project team starts a run from a
//! spec against a scripted OpenAI-compatible server, follows its progress
//! and downloads the report files, ODT decision paper included. A faulty
//! spec is refused with the field named; staff cannot start runs.

mod common;
#[path = "../../bench/tests/mock/mod.rs"]
mod mock;

use std::time::Duration;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use common::{
    extract_between, fresh_store, login, spawn_with, ApiClient, Backend, TestServer, PASSWORD,
};
use journey::access::Role;
use journey::profile::{Department, Profile};
use mock::{MockConfig, MockServer};
use portal::PortalConfig;
use store::users::NewUser;
use store::Actor;

fn spec(base_url: &str) -> String {
    format!(
        r#"
name: "Portaltest"
targets:
  - name: "Attrappe"
    base_url: "{base_url}"
    model: "klein"
    cost: {{ hourly: {{ eur_per_hour: 1, hours_per_month: 730 }} }}
workloads:
  - name: "Tempo"
    synthetic: {{ input_tokens: {{ fixed: 10 }}, output_tokens: {{ fixed: 5 }}, seed: 1 }}
load_profiles:
  - name: "Staffel"
    concurrency: [1, 2]
    requests: 4
"#
    )
}

/// A portal with an administrator (ada) and a staff member (sam), its data
/// folder in a fresh temporary directory.
async fn portal() -> (TestServer, PathBuf) {
    portal_on(Backend::Sqlite).await
}

async fn portal_on(backend: Backend) -> (TestServer, PathBuf) {
    let store = fresh_store(backend).await;
    let hash = portal::auth::password::hash_blocking(PASSWORD).unwrap();
    let user = |email: &str, role| NewUser {
        email: email.into(),
        name: email.into(),
        role,
        department: None,
        password_hash: Some(hash.clone()),
    };
    store
        .complete_setup(
            &user("ada@musterstadt.de", Role::Admin),
            &Profile {
                name: "Stadt Musterstadt".into(),
                ags: "15002000".into(),
                staff_count: 10,
                departments: vec![Department {
                    name: "Amt".into(),
                    staff_count: 10,
                }],
                ..Profile::default()
            },
        )
        .await
        .unwrap();
    store
        .create_user(&Actor::system(), &user("sam@musterstadt.de", Role::Staff))
        .await
        .unwrap();
    store
        .create_user(
            &Actor::system(),
            &user("pia@musterstadt.de", Role::ProjectTeam),
        )
        .await
        .unwrap();
    // The scripted targets of these tests listen on 127.0.0.1; the default
    // list (the gateway's backends and the portal itself) has none of them.
    store
        .set_bench_allowed_hosts(&Actor::system(), Some(&["127.0.0.1".to_string()]))
        .await
        .unwrap();
    let data = std::env::temp_dir().join(format!("kireise_bench_{}", store::random_token(4)));
    let server = spawn_with(
        store,
        PortalConfig {
            data_dir: data.clone(),
            ..PortalConfig::default()
        },
    )
    .await;
    (server, data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comparison_test_runs_from_the_portal_and_leaves_its_report() {
    comparison_story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comparison_test_runs_from_the_portal_on_postgres() {
    comparison_story(Backend::Postgres).await;
}

async fn comparison_story(backend: Backend) {
    let target = MockServer::start(MockConfig::default()).await;
    let (server, data) = portal_on(backend).await;
    let base = server.base.clone();
    let mut ada = login(&base, "ada@musterstadt.de").await;

    let p = ada.get("/vergleichstest").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Noch keine Berichte"));
    assert!(
        p.body.contains("targets:"),
        "the commented example is offered"
    );
    let offered =
        common::unescape(&extract_between(&p.body, "name=\"spec\"", "</textarea>").unwrap());
    assert!(
        !offered.contains("api_key_env") && !offered.contains("task_file:"),
        "the portal's example uses nothing the portal refuses"
    );

    // A spec error names the field; nothing is started.
    let bad = spec(&target.base_url()).replace("requests: 4", "requests: viele");
    let p = ada.post("/vergleichstest", &[("spec", &bad)]).await;
    assert_eq!(p.status, 422);
    assert!(
        p.body.contains("Fehler in der Testbeschreibung"),
        "{}",
        p.body
    );
    assert!(
        p.body.contains("requests: viele"),
        "the spec stays in the form"
    );

    let p = ada
        .post("/vergleichstest", &[("spec", &spec(&target.base_url()))])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let run = p.location.unwrap();
    let mut page = ada.get(&run).await;
    for _ in 0..120 {
        if page.body.contains("zusammenfassung.odt") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        page = ada.htmx_get(&run).await;
    }
    assert!(page.body.contains("zusammenfassung.odt"), "{}", page.body);
    assert!(page.body.contains("Staffel") || page.body.contains("gleichzeitig"));

    let html = ada
        .client
        .get(format!("{base}{run}/dateien/report.html"))
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), 200);
    assert!(html.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
    assert!(html.text().await.unwrap().contains("<svg"));
    let odt = ada
        .client
        .get(format!("{base}{run}/dateien/zusammenfassung.odt"))
        .send()
        .await
        .unwrap();
    assert_eq!(&odt.bytes().await.unwrap()[..2], b"PK");
    let json = ada
        .client
        .get(format!("{base}{run}/dateien/report.json"))
        .send()
        .await
        .unwrap();
    let report: serde_json::Value = json.json().await.unwrap();
    assert_eq!(report["title"], "Portaltest");
    assert_eq!(
        ada.get(&format!("{run}/dateien/spec.yaml")).await.status,
        404,
        "only report files"
    );
    assert_eq!(
        ada.get("/vergleichstest/..%2F..%2Fetc/dateien/report.json")
            .await
            .status,
        404
    );

    let p = ada.get("/vergleichstest").await;
    assert!(p.body.contains("Portaltest"));
    let id = run.trim_start_matches("/vergleichstest/");
    assert!(extract_between(&p.body, "href=\"/vergleichstest/", "\"").is_some_and(|h| h == id));

    let mut sam = login(&base, "sam@musterstadt.de").await;
    assert_eq!(sam.get("/vergleichstest").await.status, 403);
    assert_eq!(sam.get(&run).await.status, 403);
    let _ = std::fs::remove_dir_all(data);
}

/// A TCP listener on 127.0.0.1 that records every byte sent to it and
/// answers each request with an error, so that a run against it ends fast.
struct Listener {
    url: String,
    received: Arc<Mutex<Vec<u8>>>,
}

impl Listener {
    async fn start() -> Listener {
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", socket.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = received.clone();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut conn, _)) = socket.accept().await {
                let sink = sink.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    while let Ok(Ok(n)) =
                        tokio::time::timeout(Duration::from_millis(300), conn.read(&mut buf)).await
                    {
                        if n == 0 {
                            break;
                        }
                        sink.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                    let _ = conn
                        .write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .await;
                });
            }
        });
        Listener { url, received }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.received.lock().unwrap()).into_owned()
    }
}

/// A spec with one target and one synthetic workload; `extra` goes into the
/// target.
fn one_target(name: &str, base_url: &str, extra: &str) -> String {
    format!(
        r#"
name: "Sicherheit"
targets:
  - name: "{name}"
    base_url: "{base_url}"
    model: "klein"
{extra}
    cost: {{ monthly: {{ eur_per_month: 1 }} }}
workloads:
  - name: "Tempo"
    synthetic: {{ input_tokens: {{ fixed: 5 }}, output_tokens: {{ fixed: 5 }} }}
load_profiles:
  - name: "p"
    concurrency: [1]
    requests: 1
"#
    )
}

/// The server's secret for the environment-variable tests: set once, by
/// every test that needs it, to the same value.
const SECRET_VAR: &str = "KI_REISE_TEST_SMTP_PASSWORD";
const SECRET: &str = "smtp-geheimnis-4711";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_refuses_a_spec_that_names_a_server_environment_variable() {
    std::env::set_var(SECRET_VAR, SECRET);
    let listener = Listener::start().await;
    let (server, data) = portal().await;
    let mut ada = login(&server.base, "ada@musterstadt.de").await;
    ada.get("/vergleichstest").await;
    let spec = one_target(
        "Lauscher",
        &listener.url,
        &format!("    api_key_env: \"{SECRET_VAR}\""),
    );
    let p = ada.post("/vergleichstest", &[("spec", &spec)]).await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        p.body.contains("targets[0].api_key_env") && p.body.contains("im Portal nicht erlaubt"),
        "{}",
        p.body
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    let heard = listener.text();
    assert!(
        !heard.contains(SECRET),
        "the listener got the secret: {heard}"
    );
    assert!(heard.is_empty(), "nothing was sent: {heard}");
    let _ = std::fs::remove_dir_all(data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_refuses_a_spec_that_names_a_server_environment_variable() {
    std::env::set_var(SECRET_VAR, SECRET);
    let listener = Listener::start().await;
    let (server, data) = portal().await;
    let ada = server
        .store
        .user_by_email("ada@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let api = ApiClient::for_user(&server, &ada).await;
    let spec = one_target(
        "Lauscher",
        &listener.url,
        &format!("    api_key_env: \"{SECRET_VAR}\""),
    );
    let (status, body) = api
        .send(
            reqwest::Method::POST,
            "/api/v1/bench/runs",
            serde_json::json!({ "spec": spec }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "targets[0].api_key_env", "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("im Portal nicht erlaubt"));
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(listener.text().is_empty(), "{}", listener.text());
    let _ = std::fs::remove_dir_all(data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_stored_in_the_portal_goes_only_to_its_own_address_and_is_never_shown() {
    stored_key_story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_stored_in_the_portal_on_postgres_goes_only_to_its_own_address() {
    stored_key_story(Backend::Postgres).await;
}

async fn stored_key_story(backend: Backend) {
    let home = Listener::start().await;
    let elsewhere = Listener::start().await;
    let (server, data) = portal_on(backend).await;
    let mut ada = login(&server.base, "ada@musterstadt.de").await;
    ada.get("/vergleichstest").await;
    let p = ada
        .post(
            "/vergleichstest/schluessel",
            &[
                ("target", "Private Cloud"),
                ("base_url", "http://nutzer:pw@127.0.0.1:1/v1"),
                ("api_key", "cloud-schluessel-1"),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "credentials in the URL are refused");
    assert!(p.body.contains("Zugangsdaten"), "{}", p.body);
    let p = ada
        .post(
            "/vergleichstest/schluessel",
            &[
                ("target", "Private Cloud"),
                ("base_url", &home.url),
                ("api_key", "cloud-schluessel-1"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = ada.get("/vergleichstest").await;
    assert!(p.body.contains("hinterlegt"), "{}", p.body);
    assert!(
        !p.body.contains("cloud-schluessel-1"),
        "the key is never shown"
    );

    // The same target name pointed elsewhere does not take the key along.
    let p = ada
        .post(
            "/vergleichstest",
            &[("spec", &one_target("Private Cloud", &elsewhere.url, ""))],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("targets[0].base_url"), "{}", p.body);

    // At its own address the key is sent.
    let p = ada
        .post(
            "/vergleichstest",
            &[("spec", &one_target("Private Cloud", &home.url, ""))],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    for _ in 0..40 {
        if home.text().contains("cloud-schluessel-1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        home.text().contains("Bearer cloud-schluessel-1"),
        "{}",
        home.text()
    );
    assert!(elsewhere.text().is_empty(), "{}", elsewhere.text());

    // The API lists it without the key.
    let ada_user = server
        .store
        .user_by_email("ada@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let api = ApiClient::for_user(&server, &ada_user).await;
    let (status, body) = api.get("/api/v1/bench/target-keys").await;
    assert_eq!(status, 200);
    assert_eq!(body[0]["target"], "Private Cloud");
    assert_eq!(body[0]["stored"], true);
    assert!(!body.to_string().contains("cloud-schluessel-1"));
    let r = api
        .request(
            reqwest::Method::DELETE,
            "/api/v1/bench/target-keys/Private%20Cloud",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (_, body) = api.get("/api/v1/bench/target-keys").await;
    assert_eq!(body, serde_json::json!([]));
    let _ = std::fs::remove_dir_all(data);
}

/// A spec whose only workload reads a server file.
fn reading(path: &str) -> String {
    one_target("Ziel", "http://127.0.0.1:9/v1", "").replace(
        "    synthetic: { input_tokens: { fixed: 5 }, output_tokens: { fixed: 5 } }",
        &format!("    task_file: \"{path}\""),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_refuses_a_spec_that_reads_a_server_file_and_shows_none_of_it() {
    let (server, data) = portal().await;
    let secret_file = data.join("geheim.yaml");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(&secret_file, "root:x:0:0:geheime-zeile\n").unwrap();
    let mut ada = login(&server.base, "ada@musterstadt.de").await;
    ada.get("/vergleichstest").await;
    for path in [
        "/etc/passwd",
        secret_file.to_str().unwrap(),
        "../../geheim.yaml",
    ] {
        let p = ada
            .post("/vergleichstest", &[("spec", &reading(path))])
            .await;
        assert_eq!(p.status, 422, "{path}: {}", p.body);
        assert!(p.body.contains("workloads[0].task_file"), "{}", p.body);
        let mut shown = p.body;
        if let Some(run) = p.location {
            tokio::time::sleep(Duration::from_millis(500)).await;
            shown = ada.get(&run).await.body;
        }
        assert!(
            !shown.contains("root:x:0:0") && !shown.contains("geheime-zeile"),
            "the file's first line is shown: {shown}"
        );
    }
    let _ = std::fs::remove_dir_all(data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_refuses_a_spec_that_reads_a_server_file_and_shows_none_of_it() {
    let (server, data) = portal().await;
    let ada = server
        .store
        .user_by_email("ada@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    let api = ApiClient::for_user(&server, &ada).await;
    let (status, body) = api
        .send(
            reqwest::Method::POST,
            "/api/v1/bench/runs",
            serde_json::json!({ "spec": reading("/etc/passwd") }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "workloads[0].task_file", "{body}");
    assert!(!body.to_string().contains("root:x:0:0"), "{body}");
    let _ = std::fs::remove_dir_all(data);
}

async fn api_for(server: &TestServer, email: &str) -> ApiClient {
    let user = server.store.user_by_email(email).await.unwrap().unwrap();
    ApiClient::for_user(server, &user).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_outside_the_administrators_allowed_hosts_is_refused_on_page_and_api() {
    let listener = Listener::start().await;
    let (server, data) = portal().await;
    // Back to the default: only the gateway's backends and the portal.
    server
        .store
        .set_bench_allowed_hosts(&Actor::system(), None)
        .await
        .unwrap();
    let mut pia = login(&server.base, "pia@musterstadt.de").await;
    let p = pia.get("/vergleichstest").await;
    assert!(p.body.contains("Erlaubte Ziele"), "{}", p.body);
    assert!(
        !p.body.contains("action=\"/vergleichstest/erlaubte-ziele\""),
        "only administrators change the list"
    );
    let spec = one_target("Intranet", &listener.url, "");
    let p = pia.post("/vergleichstest", &[("spec", &spec)]).await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        p.body.contains("targets[0].base_url") && p.body.contains("erlaubten Ziele"),
        "{}",
        p.body
    );
    let api = api_for(&server, "pia@musterstadt.de").await;
    let (status, body) = api
        .send(
            reqwest::Method::POST,
            "/api/v1/bench/runs",
            serde_json::json!({ "spec": spec }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "targets[0].base_url", "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("erlaubten Ziele"));
    // A project-team member cannot widen the list.
    let (status, _) = api
        .send(
            reqwest::Method::PUT,
            "/api/v1/bench/allowed-hosts",
            serde_json::json!({ "hosts": ["127.0.0.1"] }),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        pia.post("/vergleichstest/erlaubte-ziele", &[("hosts", "127.0.0.1")])
            .await
            .status,
        403
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(listener.text().is_empty(), "{}", listener.text());

    // The administrator allows exactly this port; a wrong entry is refused
    // beside the field with the text kept.
    let port = listener
        .url
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches("/v1")
        .to_string();
    let mut ada = login(&server.base, "ada@musterstadt.de").await;
    ada.get("/vergleichstest").await;
    let p = ada
        .post(
            "/vergleichstest/erlaubte-ziele",
            &[("hosts", "http://127.0.0.1/v1")],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(
        p.body.contains("hosts-error") && p.body.contains("http://127.0.0.1/v1"),
        "{}",
        p.body
    );
    let entry = format!("127.0.0.1:{port}");
    let p = ada
        .post("/vergleichstest/erlaubte-ziele", &[("hosts", &entry)])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let (status, body) = api.get("/api/v1/bench/allowed-hosts").await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        serde_json::json!({ "hosts": [entry], "is_default": false })
    );
    let p = pia.post("/vergleichstest", &[("spec", &spec)]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let other_port = one_target("Intranet", "http://127.0.0.1:9/v1", "");
    let p = pia.post("/vergleichstest", &[("spec", &other_port)]).await;
    assert_eq!(p.status, 422, "another port of the same host stays closed");
    let _ = std::fs::remove_dir_all(data);
}

/// A spec whose only workload is the task set `id`.
fn tasks_spec(base_url: &str, id: &str) -> String {
    one_target("Ziel", base_url, "").replace(
        "    synthetic: { input_tokens: { fixed: 5 }, output_tokens: { fixed: 5 } }",
        &format!("    task: \"{id}\""),
    )
}

const OWN_TASKS: &str = "id: eigene-post
kind: routing
title: Posteingang Musterstadt
system: Nenne den zuständigen Fachbereich.
labels: [Bürgeramt, Bauamt]
items:
  - id: a1
    input: Ich brauche einen neuen Personalausweis.
    label: Bürgeramt
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_sets_are_uploaded_into_the_database_checked_and_named_by_id() {
    task_set_story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_sets_are_uploaded_into_the_postgres_database() {
    task_set_story(Backend::Postgres).await;
}

async fn task_set_story(backend: Backend) {
    let target = MockServer::start(MockConfig::default()).await;
    let (server, data) = portal_on(backend).await;
    std::fs::create_dir_all(&data).unwrap();
    let mut pia = login(&server.base, "pia@musterstadt.de").await;
    pia.get("/vergleichstest").await;
    let upload = |bytes: Vec<u8>| {
        reqwest::multipart::Form::new()
            .text("_csrf", pia.csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("../../aufgaben.yaml"),
            )
    };
    // Hostile uploads: a password file, a path as id, a built-in id, a
    // file far over the limit. None is stored and none is quoted.
    let hostile: Vec<(Vec<u8>, &str)> = vec![
        (
            b"root:x:0:0:root:/root:/bin/bash\ngeheim: 1\n".to_vec(),
            "Aufgabendatei",
        ),
        (
            OWN_TASKS
                .replace("id: eigene-post", "id: ../../etc/passwd")
                .into_bytes(),
            "Feld `id`",
        ),
        (
            OWN_TASKS
                .replace("id: eigene-post", "id: weiterleitung")
                .into_bytes(),
            "eingebaute Aufgabe",
        ),
        (
            format!("{OWN_TASKS}# {}\n", "x".repeat(600 * 1024)).into_bytes(),
            "zu groß",
        ),
        (vec![0xff, 0xfe, 0x00], "UTF-8"),
    ];
    for (bytes, reason) in hostile {
        let r = pia
            .client
            .post(format!("{}/vergleichstest/aufgaben", server.base))
            .multipart(upload(bytes))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{reason}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains("tasks_file-error") && body.contains(reason),
            "{reason}: {body}"
        );
        assert!(
            !body.contains("root:x:0:0") && !body.contains("/bin/bash"),
            "{body}"
        );
    }
    assert!(server
        .store
        .bench_task_set_entries()
        .await
        .unwrap()
        .is_empty());
    let r = pia
        .client
        .post(format!("{}/vergleichstest/aufgaben", server.base))
        .multipart(upload(OWN_TASKS.as_bytes().to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let p = pia.get("/vergleichstest").await;
    assert!(p.body.contains("Posteingang Musterstadt"), "{}", p.body);
    assert!(
        !data.join("aufgaben.yaml").exists() && !data.join("../../aufgaben.yaml").exists(),
        "the upload's file name never becomes a path"
    );

    // A spec names it by id and the run uses it.
    let p = pia
        .post(
            "/vergleichstest",
            &[("spec", &tasks_spec(&target.base_url(), "eigene-post"))],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);

    // The API: list, a hostile upload, delete.
    let api = api_for(&server, "pia@musterstadt.de").await;
    let (status, body) = api.get("/api/v1/bench/task-sets").await;
    assert_eq!(status, 200);
    assert_eq!(body[0]["id"], "eigene-post");
    assert_eq!(body[0]["items"], 1);
    let (status, body) = api
        .send(
            reqwest::Method::POST,
            "/api/v1/bench/task-sets",
            serde_json::json!({ "content": "root:x:0:0:root:/root:/bin/bash\n" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "file");
    assert!(!body.to_string().contains("root:x"), "{body}");
    let r = api
        .request(
            reqwest::Method::DELETE,
            "/api/v1/bench/task-sets/eigene-post",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (status, body) = api
        .send(
            reqwest::Method::POST,
            "/api/v1/bench/runs",
            serde_json::json!({ "spec": tasks_spec(&target.base_url(), "eigene-post") }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "workloads[0].task");
    let _ = std::fs::remove_dir_all(data);
}
