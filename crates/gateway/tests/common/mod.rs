//! Test support: a store with a user and an API key, a mock OpenAI-compatible
//! backend that records what it received, the SmolLM2 test model, and a
//! gateway served on a free port.
#![allow(dead_code, unused_imports)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
pub use engine::test_support::test_model;
use gateway::Gateway;
use journey::access::Role;
use serde_json::{json, Value};
pub use store::test_support::Backend as Db;
use store::users::NewUser;
use store::{Actor, Store};

pub struct Account {
    pub store: Store,
    pub user: store::users::User,
    pub key: String,
    pub key_id: i64,
}

/// A fresh store with one staff member of the „Bürgeramt“ and a key.
pub async fn account(db: Db) -> Account {
    let store = store::test_support::fresh_store(db).await;
    let user = store
        .create_user(
            &Actor::system(),
            &NewUser {
                email: "sachbearbeitung@stadt.example".into(),
                name: "Sachbearbeitung".into(),
                role: Role::Staff,
                department: Some("Bürgeramt".into()),
                password_hash: None,
            },
        )
        .await
        .expect("user");
    let (key, secret) = store
        .create_api_key(&Actor::system(), &user, "Test")
        .await
        .expect("key");
    Account {
        store,
        user,
        key: secret,
        key_id: key.id,
    }
}

/// The gateway with the engine on the model at `path` and a fresh store.
pub async fn gateway_on_model(
    path: &std::path::Path,
    options: gateway::LocalOptions,
) -> (Arc<Gateway>, Account, Arc<gateway::local::Stats>) {
    let model = engine::Model::load(path).expect("model").shared();
    let local = gateway::LocalBackend::start(model, options).expect("engine");
    let stats = local.stats().clone();
    let (gw, acc) = gateway_with_local(local).await;
    (gw, acc, stats)
}

/// The gateway with `local` as its engine and a fresh store.
pub async fn gateway_with_local(local: gateway::LocalBackend) -> (Arc<Gateway>, Account) {
    let acc = account(Db::Sqlite).await;
    let gw = Gateway::new(
        acc.store.clone(),
        gateway::GatewayConfig::default(),
        journey::policy::RuleSet::default(),
        Some(local),
    )
    .expect("gateway");
    (gw, acc)
}

/// SmolLM2 as model „smollm2“ on two threads, or `None` without the model.
pub async fn smollm2_gateway(
    limits: gateway::local::Limits,
    queue: usize,
    n_ctx: usize,
) -> Option<(Arc<Gateway>, Account, Arc<gateway::local::Stats>)> {
    let options = gateway::LocalOptions {
        model_id: "smollm2".into(),
        engine: engine::EngineOptions {
            threads: 2,
            n_ctx,
            max_batch_tokens: 256,
            ..Default::default()
        },
        limits,
        queue,
        sampling: None,
    };
    Some(gateway_on_model(&test_model()?, options).await)
}

/// How the mock backend behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Streams the words of its answer, then usage and `[DONE]`.
    Answer,
    /// Every request fails with 500.
    Fail,
    /// Sends one chunk and then nothing.
    Stall,
    /// Sends one chunk and then something that is not JSON.
    Malformed,
    /// Streams its answer in pieces of this many characters (so a word
    /// or a placeholder is split over chunks), then usage and `[DONE]`.
    Pieces(usize),
}

#[derive(Clone)]
pub struct Mock {
    pub base: String,
    pub received: Arc<Mutex<Vec<Value>>>,
    pub mode: Arc<Mutex<Mode>>,
    pub answer: &'static str,
}

impl Mock {
    pub fn received(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }
}

fn chunk(model: &str, content: &str, finish: Option<&str>) -> String {
    let v = json!({"id": "mock", "object": "chat.completion.chunk", "created": 0, "model": model,
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]});
    format!("data: {v}\n\n")
}

async fn mock_chat(State(mock): State<Mock>, Json(body): Json<Value>) -> Response {
    mock.received.lock().unwrap().push(body.clone());
    let mode = *mock.mode.lock().unwrap();
    let model = body["model"].as_str().unwrap_or("").to_string();
    if mode == Mode::Fail {
        return (StatusCode::INTERNAL_SERVER_ERROR, "kaputt").into_response();
    }
    let words: Vec<String> = match mode {
        Mode::Pieces(n) => {
            let chars: Vec<char> = mock.answer.chars().collect();
            chars.chunks(n.max(1)).map(|c| c.iter().collect()).collect()
        }
        _ => mock
            .answer
            .split_inclusive(' ')
            .map(str::to_string)
            .collect(),
    };
    let mut frames: Vec<String> = Vec::new();
    match mode {
        Mode::Answer | Mode::Pieces(_) => {
            for w in &words {
                frames.push(chunk(&model, w, None));
            }
            frames.push(chunk(&model, "", Some("stop")));
            frames.push(format!(
                "data: {}\n\n",
                json!({"id": "mock", "object": "chat.completion.chunk", "created": 0, "model": model,
                    "choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": words.len(), "total_tokens": 7 + words.len()}})
            ));
            frames.push("data: [DONE]\n\n".into());
        }
        Mode::Malformed => {
            frames.push(chunk(&model, &words[0], None));
            frames.push("data: {kein json\n\n".into());
        }
        Mode::Stall | Mode::Fail => frames.push(chunk(&model, &words[0], None)),
    }
    let stall = mode == Mode::Stall;
    let stream =
        futures_util::stream::unfold((frames.into_iter(), stall), |(mut it, stall)| async move {
            match it.next() {
                Some(f) => Some((
                    Ok::<_, std::convert::Infallible>(Bytes::from(f)),
                    (it, stall),
                )),
                None if stall => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    None
                }
                None => None,
            }
        });
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(stream))
        .unwrap()
}

async fn mock_models(State(mock): State<Mock>) -> Response {
    if *mock.mode.lock().unwrap() == Mode::Fail {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    Json(json!({"object": "list", "data": [{"id": "mock", "object": "model", "created": 0, "owned_by": "mock"}]})).into_response()
}

async fn mock_embeddings(State(mock): State<Mock>, Json(body): Json<Value>) -> Response {
    mock.received.lock().unwrap().push(body);
    Json(json!({"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
        "model": "mock", "usage": {"prompt_tokens": 3, "total_tokens": 3}}))
    .into_response()
}

/// Starts a mock backend on a free port; its base URL ends in `/v1`.
pub async fn mock(answer: &'static str) -> Mock {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mock = Mock {
        base: format!("http://{}/v1", listener.local_addr().unwrap()),
        received: Arc::default(),
        mode: Arc::new(Mutex::new(Mode::Answer)),
        answer,
    };
    let app = Router::new()
        .route("/v1/chat/completions", post(mock_chat))
        .route("/v1/completions", post(mock_chat))
        .route("/v1/embeddings", post(mock_embeddings))
        .route("/v1/models", get(mock_models))
        .with_state(mock.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    mock
}

/// A remote backend entry for the gateway's configuration.
pub fn remote(name: &str, mock: &Mock, model: &str, reach: &str) -> gateway::RemoteConfig {
    gateway::RemoteConfig {
        name: name.into(),
        urls: vec![mock.base.clone()],
        api_key: Some("geheim".into()),
        models: vec![model.into()],
        timeout_secs: 2,
        reach: reach.parse().unwrap(),
        limits: Default::default(),
    }
}

/// Serves `gateway` on a free port; returns its base URL (with `/v1`).
/// The API error an OpenAI client reports; any other failure fails the test.
pub fn api_error(e: async_openai::error::OpenAIError) -> async_openai::error::ApiError {
    match e {
        async_openai::error::OpenAIError::ApiError(a) => a,
        other => panic!("expected an API error, got {other:?}"),
    }
}

pub async fn serve(gateway: Arc<Gateway>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    // As `ki-reise serve` does: no Nagle delay on streamed chunks.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move { axum::serve(listener, gateway::router(gateway)).await });
    base
}

/// Reads an SSE body into its data payloads.
pub fn sse_data(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .map(str::to_string)
        .collect()
}

/// A chat completion request to the gateway at `base`, with an optional
/// declared data class.
pub fn chat_request(
    base: &str,
    key: &str,
    class: Option<&str>,
    body: &Value,
) -> reqwest::RequestBuilder {
    let r = reqwest::Client::new()
        .post(format!("{base}/chat/completions"))
        .bearer_auth(key)
        .json(body);
    match class {
        Some(c) => r.header("X-Datenklasse", c),
        None => r,
    }
}

/// The same, sent, with no declared class.
pub async fn post_chat(base: &str, key: &str, body: &Value) -> reqwest::Response {
    chat_request(base, key, None, body).send().await.unwrap()
}
