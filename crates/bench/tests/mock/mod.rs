//! A scripted OpenAI-compatible server for the tests: streams answers with
//! known time to first token and known gaps between tokens, limits how many
//! requests it serves at once (so latency grows with load like a real
//! server), and can misbehave on purpose.

#![allow(dead_code)] // each test binary uses a different part of the mock

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::serve::ListenerExt;
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    None,
    /// A chunk that is not JSON.
    MalformedJson,
    /// Closes the stream after two tokens, without `[DONE]` or finish reason.
    Truncated,
    /// Answers with HTTP 500.
    Http500,
    /// Sends an error object inside the stream.
    ErrorEvent,
    /// Leaves out the usage chunk.
    NoUsage,
    /// Sends usage with a string where a number belongs.
    BadUsage,
    /// Ignores `stream: true` and answers with one JSON body.
    NoStream,
}

#[derive(Debug, Clone)]
pub struct MockConfig {
    pub ttft: Duration,
    pub itl: Duration,
    /// Requests served at once; the rest wait (their TTFT grows).
    pub slots: usize,
    /// Tokens of an answer not found in `answers` (capped by max_tokens).
    pub default_tokens: usize,
    /// Answers by the content of the last user message.
    pub answers: HashMap<String, String>,
    pub misbehaviour: Misbehaviour,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            ttft: Duration::from_millis(20),
            itl: Duration::from_millis(5),
            slots: 64,
            default_tokens: 10,
            answers: HashMap::new(),
            misbehaviour: Misbehaviour::None,
        }
    }
}

struct MockState {
    cfg: MockConfig,
    slots: Arc<Semaphore>,
    requests: AtomicU64,
    timelines: Mutex<HashMap<String, Timeline>>,
}

/// When the server got a request and when it handed each token to the
/// socket: the truth the harness's measurements are compared with.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    pub received: Option<Instant>,
    pub tokens: Vec<Instant>,
}

/// A closed-loop plan without warm-up; tests change what they need.
pub fn plan(concurrency: u32, requests: u64) -> bench::load::LevelPlan {
    bench::load::LevelPlan {
        concurrency,
        requests: Some(requests),
        duration: None,
        rate_per_s: None,
        warmup: 0,
        seed: 0,
    }
}

/// Synthetic requests of 20 words asking for `tokens` tokens.
pub fn synthetic(tokens: u32) -> Arc<bench::load::RequestSource> {
    Arc::new(bench::load::RequestSource::Synthetic(
        bench::spec::Synthetic {
            input_tokens: bench::spec::Distribution::Fixed(20),
            output_tokens: bench::spec::Distribution::Fixed(tokens),
            seed: 1,
            ignore_eos: false,
        },
    ))
}

pub struct MockServer {
    pub addr: SocketAddr,
    state: Arc<MockState>,
}

impl MockServer {
    pub async fn start(cfg: MockConfig) -> MockServer {
        let state = Arc::new(MockState {
            slots: Arc::new(Semaphore::new(cfg.slots.max(1))),
            cfg,
            requests: AtomicU64::new(0),
            timelines: Mutex::new(HashMap::new()),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            // Gateways check a backend's health with the models list.
            .route(
                "/v1/models",
                axum::routing::get(|| async {
                    Json(json!({"object": "list", "data": [{"id": "mock", "object": "model"}]}))
                }),
            )
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Without TCP_NODELAY, Nagle's algorithm holds each small token chunk
        // until the client's delayed ACK (up to 40 ms on Linux), and the
        // measured gaps would be the kernel's, not the script's. Real servers
        // (uvicorn, llama-server) set it too.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        MockServer { addr, state }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn endpoint(&self) -> bench::client::Endpoint {
        bench::client::Endpoint::new(&self.base_url(), None, "mock", Duration::from_secs(10))
            .unwrap()
    }

    /// The server's timeline of the request whose last user message was `user`.
    pub fn timeline(&self, user: &str) -> Option<Timeline> {
        self.state.timelines.lock().unwrap().get(user).cloned()
    }

    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::Relaxed)
    }
}

fn chunk(v: Value) -> String {
    format!("data: {v}\n\n")
}

fn token_chunk(t: &str) -> String {
    chunk(
        json!({"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":t},"finish_reason":null}]}),
    )
}

async fn chat(State(state): State<Arc<MockState>>, Json(body): Json<Value>) -> Response {
    let received = Instant::now();
    state.requests.fetch_add(1, Ordering::Relaxed);
    let cfg = &state.cfg;
    if cfg.misbehaviour == Misbehaviour::Http500 {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error":{"message":"kaputt"}})),
        )
            .into_response();
    }
    if cfg.misbehaviour == Misbehaviour::NoStream {
        return Json(json!({"choices":[{"message":{"role":"assistant","content":"Hallo"}}]}))
            .into_response();
    }
    let user = body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_string();
    let max_tokens = body["max_tokens"].as_u64().unwrap_or(16) as usize;
    let tokens: Vec<String> = match cfg.answers.get(&user) {
        // Word by word, keeping the spaces, so the joined text is the answer.
        Some(a) => a.split_inclusive(' ').map(str::to_string).collect(),
        None => (0..cfg.default_tokens.min(max_tokens).max(1))
            .map(|i| format!("wort{i} "))
            .collect(),
    };
    let prompt_tokens = user.split_whitespace().count();
    let mut frames: Vec<String> = tokens.iter().map(|t| token_chunk(t)).collect();
    let n = frames.len();
    match cfg.misbehaviour {
        Misbehaviour::MalformedJson => frames.insert(1, "data: {kaputt\n\n".into()),
        Misbehaviour::ErrorEvent => {
            frames.insert(1, chunk(json!({"error":{"message":"Modell überlastet"}})))
        }
        Misbehaviour::Truncated => frames.truncate(2),
        _ => {}
    }
    if cfg.misbehaviour != Misbehaviour::Truncated {
        frames.push(chunk(
            json!({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}),
        ));
        match cfg.misbehaviour {
            Misbehaviour::NoUsage => {}
            Misbehaviour::BadUsage => frames.push(chunk(
                json!({"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":"viele"}}),
            )),
            _ => frames.push(chunk(
                json!({"choices":[],"usage":{"prompt_tokens":prompt_tokens,"completion_tokens":n}}),
            )),
        }
        frames.push("data: [DONE]\n\n".into());
    }
    // The slot is held for the whole answer, like a server's batch slot.
    let permit = state.slots.clone().acquire_owned().await.ok();
    let start = Instant::now();
    let (ttft, itl) = (cfg.ttft, cfg.itl);
    state.timelines.lock().unwrap().insert(
        user.clone(),
        Timeline {
            received: Some(received),
            tokens: Vec::new(),
        },
    );
    let st = state.clone();
    // Times are absolute from the start, so sleeping never accumulates drift.
    let stream =
        futures_util::stream::unfold((frames, 0usize, permit), move |(frames, i, permit)| {
            let (st, user) = (st.clone(), user.clone());
            async move {
                if i >= frames.len() {
                    drop(permit);
                    return None;
                }
                // Token k is due at ttft + k·itl; trailing frames follow the last token.
                let k = i.min(n.saturating_sub(1)) as u32;
                tokio::time::sleep_until(start + ttft + itl * k).await;
                if i < n {
                    if let Some(t) = st.timelines.lock().unwrap().get_mut(&user) {
                        t.tokens.push(Instant::now());
                    }
                }
                let bytes = frames[i].clone().into_bytes();
                Some((Ok::<_, std::io::Error>(bytes), (frames, i + 1, permit)))
            }
        });
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(stream))
        .unwrap()
}
