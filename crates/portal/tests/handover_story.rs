//! Shown-once results behind a load balancer: the POST that makes
//! participation codes or invitation links lands on one instance, the page
//! it redirects to on another. The result is there, for its maker only,
//! and the database holds it only sealed.

mod common;

use common::{day_one_at, login, shown_codes, spawn, Backend, Browser, TestServer};
use store::{Db, Store};

/// The maker's browser, its cookies sent to the other instance.
fn elsewhere(b: &Browser, other: &TestServer) -> Browser {
    Browser {
        base: other.base.clone(),
        client: b.client.clone(),
        csrf: String::new(),
    }
}

/// Every stored handover as its raw columns.
async fn stored(store: &Store) -> Vec<(String, String)> {
    let sql = "SELECT key_hash, payload FROM handovers";
    match &store.db {
        Db::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
    }
}

const GONE: &str = "werden nicht mehr angezeigt";

async fn story(backend: Backend) {
    let (store, url) = day_one_at(backend).await;
    let a = spawn(store).await;
    let b = spawn(Store::connect(&url).await.expect("second store")).await;
    let survey = common::default_survey(&a.store).await;
    let path = format!("/umfrage/{}", survey.id);

    let mut pia = login(&a.base, "pia@musterstadt.de").await;
    pia.get(&path).await;
    assert_eq!(pia.post(&format!("{path}/oeffnen"), &[]).await.status, 303);

    // Codes made on A, the page after the POST opened on B.
    let p = pia.post(&format!("{path}/codes"), &[("count", "3")]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let page = p.location.expect("redirect after POST");
    let mut pia_b = elsewhere(&pia, &b);
    let p = pia_b.get(&page).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let codes = shown_codes(&p.body);
    assert_eq!(codes.len(), 3, "{}", p.body);
    // Reloading on either instance shows the same codes, nothing new made.
    assert_eq!(shown_codes(&pia_b.get(&page).await.body), codes);
    assert_eq!(shown_codes(&pia.get(&page).await.body), codes);
    assert_eq!(a.store.survey(survey.id).await.unwrap().codes_issued, 3);

    // Another account on B finds nothing, only the notice.
    let mut ada = login(&b.base, "ada@musterstadt.de").await;
    let theirs = ada.get(&page).await;
    assert_eq!(theirs.status, 200, "{}", theirs.body);
    assert!(shown_codes(&theirs.body).is_empty(), "{}", theirs.body);
    assert!(theirs.body.contains(GONE), "{}", theirs.body);
    // A signed-out visitor is sent to the login; a new login of the maker
    // has another session key and cannot open what the old one sealed.
    let mut visitor = Browser::new(&b.base);
    assert_eq!(visitor.get(&page).await.status, 303);
    let mut pia_again = login(&b.base, "pia@musterstadt.de").await;
    let p = pia_again.get(&page).await;
    assert!(shown_codes(&p.body).is_empty(), "{}", p.body);
    assert!(p.body.contains(GONE), "{}", p.body);

    // The database holds neither a code nor the address key in plain text.
    let rows = stored(&a.store).await;
    assert_eq!(rows.len(), 1);
    let key = page.split("neu=").nth(1).unwrap();
    for (key_hash, payload) in &rows {
        assert_ne!(key_hash, key);
        assert!(!payload.contains(key));
        for code in &codes {
            let bare = code.replace('-', "");
            for form in [code.clone(), code.to_lowercase(), bare.clone()] {
                assert!(!payload.contains(&form), "{form} in {payload}");
                let hexed: String = form.bytes().map(|b| format!("{b:02x}")).collect();
                assert!(!payload.contains(&hexed), "{form} hex-encoded in {payload}");
            }
        }
    }

    // An import on B, its invitation links shown on A.
    let mut ada_a = elsewhere(&ada, &a);
    ada.get("/benutzer/import").await;
    let p = ada
        .post(
            "/benutzer/import",
            &[
                (
                    "csv",
                    "name,email,department,role\nVera Neu,vera@musterstadt.de,Jugendamt,staff\n",
                ),
                ("mode", "all"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let page = p.location.expect("redirect after import");
    let p = ada_a.get(&page).await;
    assert!(p.body.contains("1 Person importiert."), "{}", p.body);
    assert!(p.body.contains("vera@musterstadt.de"), "{}", p.body);
    // Only an admin may open the import page: another login of Ada's
    // cannot read what this one made.
    let mut ada_again = login(&a.base, "ada@musterstadt.de").await;
    let theirs = ada_again.get(&page).await;
    assert_eq!(theirs.status, 200, "{}", theirs.body);
    assert!(
        !theirs.body.contains("vera@musterstadt.de"),
        "{}",
        theirs.body
    );
    assert!(theirs.body.contains(GONE), "{}", theirs.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handover_crosses_instances_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handover_crosses_instances_on_postgres() {
    story(Backend::Postgres).await;
}
