//! The Vergleichstest in the portal: the project team starts a run from a
//! spec against a scripted OpenAI-compatible server, follows its progress
//! and downloads the report files, ODT decision paper included. A faulty
//! spec is refused with the field named; staff cannot start runs.

mod common;
#[path = "../../bench/tests/mock/mod.rs"]
mod mock;

use std::time::Duration;

use common::{extract_between, fresh_store, login, spawn_with, Backend, PASSWORD};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comparison_test_runs_from_the_portal_and_leaves_its_report() {
    let target = MockServer::start(MockConfig::default()).await;
    let store = fresh_store(Backend::Sqlite).await;
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
    let data = std::env::temp_dir().join(format!("kireise_bench_{}", store::random_token(4)));
    let server = spawn_with(
        store,
        PortalConfig {
            data_dir: data.clone(),
            ..PortalConfig::default()
        },
    )
    .await;
    let base = server.base.clone();
    let mut ada = login(&base, "ada@musterstadt.de").await;

    let p = ada.get("/vergleichstest").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Noch keine Berichte"));
    assert!(
        p.body.contains("targets:"),
        "the commented example is offered"
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
