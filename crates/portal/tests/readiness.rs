//! `/readyz` against `/healthz`: readiness follows the database schema and
//! the configured model, liveness does not.

mod common;

use common::{fresh_database_url, spawn, Backend};
use store::Store;

async fn get(base: &str, path: &str) -> (u16, serde_json::Value) {
    let response = reqwest::get(format!("{base}{path}")).await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn readyz_stays_503_until_every_migration_has_run_and_the_configured_model_is_loaded() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let url = fresh_database_url(backend).await;
        let store = Store::connect_without_migrating(&url).await.unwrap();
        store.migrate_up_to(4).await.unwrap();
        let server = spawn(store.clone()).await;

        let (status, body) = get(&server.base, "/readyz").await;
        assert_eq!(status, 503, "{backend:?}: {body}");
        assert_eq!(body["status"], "not_ready");
        assert_eq!(body["checks"]["database"]["ok"], true);
        assert_eq!(body["checks"]["migrations"]["ok"], false);
        let pending = body["checks"]["migrations"]["pending"].as_array().unwrap();
        assert_eq!(pending.first(), Some(&serde_json::json!(5)), "{body}");
        // Liveness does not depend on the schema.
        assert_eq!(get(&server.base, "/healthz").await.0, 200);

        store.migrate().await.unwrap();
        let (status, body) = get(&server.base, "/readyz").await;
        assert_eq!(status, 200, "{backend:?}: {body}");
        assert_eq!(body["status"], "ready");
        assert_eq!(
            body["checks"]["migrations"]["pending"],
            serde_json::json!([])
        );
        assert_eq!(body["checks"]["model"]["configured"], false);

        // A model in the configuration that no backend serves: not ready.
        let mut config = gateway::GatewayConfig::default();
        config.local.model = Some("models/fehlt.gguf".into());
        let gw = gateway::Gateway::new(
            store.clone(),
            config,
            journey::policy::RuleSet::default(),
            None,
        )
        .unwrap();
        server.state.attach_gateway(gw);
        let (status, body) = get(&server.base, "/readyz").await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["checks"]["model"]["ok"], false);
        assert_eq!(body["checks"]["model"]["id"], "fehlt");
    }
}
