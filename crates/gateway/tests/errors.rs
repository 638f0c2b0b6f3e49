//! Bad input gets OpenAI's error shape with a German message that names the
//! field; handlers are called without a socket.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{account, mock, remote, Db};
use gateway::{Gateway, GatewayConfig};
use http_body_util::BodyExt;
use journey::access::Role;
use journey::policy::RuleSet;
use serde_json::{json, Value};
use store::users::NewUser;
use store::{Actor, Store};
use tower::ServiceExt;

async fn call(
    app: &axum::Router,
    key: Option<&str>,
    path: &str,
    body: &str,
) -> (StatusCode, Value) {
    let mut req = Request::post(path).header("content-type", "application/json");
    if let Some(k) = key {
        req = req.header("authorization", format!("Bearer {k}"));
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The gateway's routes in front of a mock backend serving „modell“.
async fn app_with_mock(acc: &common::Account) -> (axum::Router, common::Mock) {
    let m = mock("Antwort").await;
    let config = GatewayConfig {
        backends: vec![remote("m", &m, "modell", "local")],
        ..GatewayConfig::default()
    };
    let gw = Gateway::new(acc.store.clone(), config, RuleSet::default(), None).unwrap();
    (gateway::router(gw), m)
}

fn assert_shape(v: &Value) {
    let e = &v["error"];
    assert!(e["message"].is_string(), "{v}");
    assert!(e["type"].is_string(), "{v}");
    assert!(e.get("param").is_some() && e.get("code").is_some(), "{v}");
}

#[tokio::test]
async fn bad_requests_are_refused_in_openai_shape_naming_the_field() {
    let acc = account(Db::Sqlite).await;
    let (app, m) = app_with_mock(&acc).await;
    let key = Some(acc.key.as_str());
    let chat = "/v1/chat/completions";
    let ok_messages = r#"[{"role":"user","content":"Hallo"}]"#;

    let (s, v) = call(&app, None, chat, "{}").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"]["code"], "invalid_api_key");
    let (s, _) = call(&app, Some("kr_falsch"), chat, "{}").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    let cases: Vec<(String, StatusCode, &str)> = vec![
        ("{\"model\": ".into(), StatusCode::BAD_REQUEST, ""),
        (
            format!(r#"{{"model":"modell","messages":{ok_messages},"max_tokens":"viele"}}"#),
            StatusCode::BAD_REQUEST,
            "max_tokens",
        ),
        (
            r#"{"model":"modell","messages":[]}"#.into(),
            StatusCode::BAD_REQUEST,
            "messages",
        ),
        (
            r#"{"model":"modell","messages":[{"role":"user"}], "n": 9}"#.into(),
            StatusCode::BAD_REQUEST,
            "n",
        ),
        (
            r#"{"model":"modell","messages":[{"role":"koenig","content":"x"}]}"#.into(),
            StatusCode::BAD_REQUEST,
            "messages[0].role",
        ),
        (
            format!(r#"{{"model":"gibtsnicht","messages":{ok_messages}}}"#),
            StatusCode::NOT_FOUND,
            "model",
        ),
        (
            format!(
                r#"{{"model":"modell","messages":{ok_messages},"response_format":{{"type":"json_schema"}}}}"#
            ),
            StatusCode::BAD_REQUEST,
            "response_format.json_schema",
        ),
        (
            format!(
                r#"{{"model":"modell","messages":{ok_messages},"response_format":{{"type":"xml"}}}}"#
            ),
            StatusCode::BAD_REQUEST,
            "response_format",
        ),
        (
            format!(
                r#"{{"model":"modell","messages":{ok_messages},"stop":["a","b","c","d","e"]}}"#
            ),
            StatusCode::BAD_REQUEST,
            "stop",
        ),
    ];
    for (body, status, param) in cases {
        let (s, v) = call(&app, key, chat, &body).await;
        assert_eq!(s, status, "{body}: {v}");
        assert_shape(&v);
        if !param.is_empty() {
            assert_eq!(v["error"]["param"], param, "{body}");
        }
        assert!(!m.received().iter().any(|r| r["model"] == "gibtsnicht"));
    }
    assert!(
        m.received().is_empty(),
        "no bad request reached the backend"
    );

    let big = format!(
        r#"{{"model":"modell","messages":[{{"role":"user","content":"{}"}}]}}"#,
        "x".repeat(1_100_000)
    );
    let (s, v) = call(&app, key, chat, &big).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_shape(&v);

    let (s, v) = call(
        &app,
        key,
        "/v1/completions",
        r#"{"model":"modell","prompt":""}"#,
    )
    .await;
    assert_eq!(
        (s, v["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("prompt"))
    );
    let (s, v) = call(&app, key, "/v1/gibtsnicht", "{}").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_shape(&v);
}

#[tokio::test]
async fn an_exhausted_rate_limit_answers_429_with_retry_after() {
    let acc = account(Db::Sqlite).await;
    acc.store
        .set_api_key_gateway(&store::Actor::system(), acc.key_id, None, None, Some(2))
        .await
        .unwrap();
    let (app, m) = app_with_mock(&acc).await;
    let body =
        json!({"model": "modell", "messages": [{"role": "user", "content": "Hallo"}]}).to_string();
    for _ in 0..2 {
        let (s, _) = call(&app, Some(&acc.key), "/v1/chat/completions", &body).await;
        assert_eq!(s, StatusCode::OK);
    }
    let (s, v) = call(&app, Some(&acc.key), "/v1/chat/completions", &body).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(v["error"]["code"], "rate_limit_exceeded");
    assert_eq!(m.received().len(), 2);
}

fn chat_body() -> String {
    json!({"model": "modell", "messages": [{"role": "user", "content": "Hallo"}]}).to_string()
}

#[tokio::test]
async fn a_viewer_key_may_not_use_the_assistant_through_v1() {
    let acc = account(Db::Sqlite).await;
    let viewer = acc
        .store
        .create_user(
            &Actor::system(),
            &NewUser {
                email: "lesen@stadt.example".into(),
                name: "Nur Lesen".into(),
                role: Role::Viewer,
                department: None,
                password_hash: None,
            },
        )
        .await
        .unwrap();
    let (_, secret) = acc
        .store
        .create_api_key(&Actor::system(), &viewer, "Lesen")
        .await
        .unwrap();
    let (app, m) = app_with_mock(&acc).await;
    for path in ["/v1/chat/completions", "/v1/completions"] {
        let body = if path.ends_with("chat/completions") {
            chat_body()
        } else {
            json!({"model": "modell", "prompt": "Hallo"}).to_string()
        };
        let (status, v) = call(&app, Some(&secret), path, &body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {v}");
        assert_shape(&v);
        assert_eq!(v["error"]["code"], "permission_denied", "{v}");
    }
    assert!(m.received().is_empty(), "nothing reached the backend");
    let (status, v) = call(&app, Some(&acc.key), "/v1/chat/completions", &chat_body()).await;
    assert_eq!(status, StatusCode::OK, "staff may: {v}");
}

#[tokio::test]
async fn revocation_and_deactivation_refuse_the_next_request_on_another_instance() {
    let url = store::test_support::fresh_database_url(Db::Postgres).await;
    let one = Store::connect(&url).await.unwrap();
    let two = Store::connect(&url).await.unwrap();
    let user = one
        .create_user(
            &Actor::system(),
            &NewUser {
                email: "skript@stadt.example".into(),
                name: "Skript".into(),
                role: Role::Staff,
                department: None,
                password_hash: None,
            },
        )
        .await
        .unwrap();
    let (key, secret) = one
        .create_api_key(&Actor::system(), &user, "Skript")
        .await
        .unwrap();
    let (_, second) = one
        .create_api_key(&Actor::system(), &user, "Zweiter")
        .await
        .unwrap();
    let m = mock("Antwort").await;
    let app = |store: &Store| {
        let config = GatewayConfig {
            backends: vec![remote("m", &m, "modell", "local")],
            ..GatewayConfig::default()
        };
        gateway::router(Gateway::new(store.clone(), config, RuleSet::default(), None).unwrap())
    };
    let (app_one, app_two) = (app(&one), app(&two));
    for app in [&app_one, &app_two] {
        let (status, v) = call(app, Some(&secret), "/v1/chat/completions", &chat_body()).await;
        assert_eq!(status, StatusCode::OK, "{v}");
    }
    one.revoke_api_key(&Actor::system(), &user, key.id)
        .await
        .unwrap();
    let (status, v) = call(
        &app_two,
        Some(&secret),
        "/v1/chat/completions",
        &chat_body(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "revoked on one, refused on two: {v}"
    );

    let (status, _) = call(
        &app_two,
        Some(&second),
        "/v1/chat/completions",
        &chat_body(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    one.set_user_active(&Actor::system(), user.id, false)
        .await
        .unwrap();
    let (status, v) = call(
        &app_two,
        Some(&second),
        "/v1/chat/completions",
        &chat_body(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "deactivated on one, refused on two: {v}"
    );
}
