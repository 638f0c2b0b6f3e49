//! `/metrics` and `/metrics/gateway` name models and backends and count
//! traffic per data class: with a metrics token they need it (401 without),
//! without one only direct clients on this machine may read them (a request
//! forwarded by a proxy is refused with 403).

mod common;

use common::{fresh_store, Backend};
use journey::policy::RuleSet;
use portal::{AppState, PortalConfig};
use reqwest::StatusCode;

/// The portal with the gateway's routes, as `ki-reise serve` runs it.
async fn serve(token: Option<&str>) -> String {
    let store = fresh_store(Backend::Sqlite).await;
    let gw = gateway::Gateway::new(
        store.clone(),
        gateway::GatewayConfig::default(),
        RuleSet::default(),
        None,
    )
    .unwrap();
    let state = AppState::new(
        store,
        PortalConfig {
            metrics_token: token.map(str::to_string),
            ..PortalConfig::default()
        },
        journey::plan::Plan::default_plan(),
    );
    state.attach_gateway(gw.clone());
    let app = portal::app_with_gateway(state, gateway::router(gw))
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

async fn get(url: String, headers: &[(&str, &str)]) -> (StatusCode, String) {
    let mut request = reqwest::Client::new().get(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let r = request.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn with_a_token_both_metrics_need_it() {
    let base = serve(Some("s3cr3t-metrik")).await;
    for path in ["/metrics", "/metrics/gateway"] {
        let (status, body) = get(format!("{base}{path}"), &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
        assert!(body.contains("Metrik-Token"), "{path}: {body}");
        let wrong = [("authorization", "Bearer falsch")];
        assert_eq!(
            get(format!("{base}{path}"), &wrong).await.0,
            StatusCode::UNAUTHORIZED
        );
        let right = [("authorization", "Bearer s3cr3t-metrik")];
        let (status, body) = get(format!("{base}{path}"), &right).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert!(body.contains("kireise_"), "{path}: {body}");
    }
    // Everything else is untouched by the guard.
    assert_eq!(get(format!("{base}/healthz"), &[]).await.0, StatusCode::OK);
}

#[tokio::test]
async fn without_a_token_only_this_machine_reads_and_not_through_a_proxy() {
    let base = serve(None).await;
    for path in ["/metrics", "/metrics/gateway"] {
        let (status, body) = get(format!("{base}{path}"), &[]).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        let proxied = [("x-forwarded-for", "203.0.113.9")];
        let (status, body) = get(format!("{base}{path}"), &proxied).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert!(body.contains("metrics_token"), "{path}: {body}");
    }
}
