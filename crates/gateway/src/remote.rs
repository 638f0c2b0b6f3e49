//! Remote OpenAI-compatible backends (llama-server, Ollama, vLLM in a
//! rented private cloud, further ki-reise instances): replicas balanced by
//! outstanding requests with a limit and a queue ([`crate::balance`]), a
//! health flag per replica that failures clear and probes with backoff set
//! again, a request that finds a replica dead before its first byte tried
//! on the next one, and a timeout per chunk so that a stalled server ends
//! one request cleanly.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bench::sse::SseParser;
use journey::policy::Reach;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

use crate::backend::{Event, Events, StartError};
use crate::balance::{Busy, Limits, Pool, PoolStats, Replica, Slot};
use crate::error::ApiError;
use crate::openai::{FinishReason, Usage, WireFunction, WireToolCall};
use crate::request::{GenerateRequest, Input};

/// A remote backend as configured.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RemoteConfig {
    pub name: String,
    /// Base URLs including `/v1`, one per replica.
    pub urls: Vec<String>,
    #[serde(default)]
    pub api_key: Option<String>,
    pub models: Vec<String>,
    /// Seconds to wait for the answer to start and between chunks.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    pub reach: Reach,
    /// Per-replica concurrency, queue and probe backoff.
    #[serde(default)]
    pub limits: Limits,
}

fn default_timeout() -> u64 {
    60
}

#[derive(Debug)]
pub struct RemoteBackend {
    config: RemoteConfig,
    pool: Pool,
    client: reqwest::Client,
}

/// Why one replica did not take a request.
enum Attempt {
    /// Down, overloaded or broken before the first byte: try the next.
    Next(ApiError),
    /// The request itself is wrong.
    Refused(ApiError),
}

impl RemoteBackend {
    pub fn new(config: RemoteConfig) -> Result<RemoteBackend, ApiError> {
        if config.urls.is_empty() {
            return Err(ApiError::internal(format!(
                "Das Backend „{}“ hat keine Adresse (urls).",
                config.name
            )));
        }
        for url in &config.urls {
            crate::check_backend_url(url).map_err(|reason| {
                ApiError::internal(format!(
                    "Backend „{}“, Adresse {url:?}: {reason}",
                    config.name
                ))
            })?;
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(config.timeout_secs.clamp(1, 10)))
            .build()
            .map_err(|e| ApiError::internal(format!("HTTP-Client: {e}")))?;
        Ok(RemoteBackend {
            pool: Pool::new(
                config
                    .urls
                    .iter()
                    .map(|u| u.trim_end_matches('/').to_string()),
                config.limits,
            ),
            config,
            client,
        })
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn config(&self) -> &RemoteConfig {
        &self.config
    }

    pub fn reach(&self) -> Reach {
        self.config.reach
    }

    pub fn models(&self) -> &[String] {
        &self.config.models
    }

    pub fn is_healthy(&self) -> bool {
        self.pool.is_healthy()
    }

    /// Queue and replicas for the metrics.
    pub fn stats(&self) -> PoolStats {
        self.pool.stats(&self.config.name)
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.config.timeout_secs.max(1))
    }

    fn request(&self, method: reqwest::Method, url: String) -> reqwest::RequestBuilder {
        let r = self.client.request(method, url);
        match &self.config.api_key {
            Some(k) => r.bearer_auth(k),
            None => r,
        }
    }

    /// `GET /models` on every replica now; sets each one's health flag.
    pub async fn check_health(&self) {
        let all: Vec<&Arc<Replica>> = self.pool.replicas().iter().collect();
        self.probe(&all).await;
    }

    /// Probes the replicas whose check is due: healthy ones every
    /// `interval`, unhealthy ones after their backoff.
    pub async fn probe_due(&self, interval: Duration) {
        let now = Instant::now();
        let due: Vec<&Arc<Replica>> = self
            .pool
            .replicas()
            .iter()
            .filter(|r| r.probe_due(now, interval))
            .collect();
        if !due.is_empty() {
            self.probe(&due).await;
        }
    }

    async fn probe(&self, replicas: &[&Arc<Replica>]) {
        let cap = Duration::from_secs(self.config.limits.probe_max_secs.max(1));
        let checks = replicas.iter().map(|r| async move {
            let ok = self
                .request(reqwest::Method::GET, format!("{}/models", r.base))
                .timeout(self.timeout().min(Duration::from_secs(10)))
                .send()
                .await
                .is_ok_and(|resp| resp.status().is_success());
            if r.probed(ok, cap) {
                tracing::info!(backend = %self.config.name, replica = %r.base, healthy = ok, "backend health changed");
                true
            } else {
                false
            }
        });
        let changed = futures_util::future::join_all(checks).await;
        if changed.contains(&true) {
            self.pool.wake();
        }
    }

    fn body(req: &GenerateRequest) -> (String, Value) {
        let p = &req.params;
        let path = match req.input {
            Input::Chat(_) => "chat/completions",
            Input::Text(_) => "completions",
        };
        // A client's own request goes on as it came, so that tools,
        // response formats and whatever else the backend understands
        // reach it; only the streaming is the gateway's.
        if let Some(Value::Object(sent)) = &p.body {
            let mut body = Value::Object(sent.clone());
            body["model"] = json!(req.model);
            body["stream"] = json!(true);
            body["stream_options"] = json!({"include_usage": true});
            // With n > 1 the gateway asks once per choice, each with its
            // own seed (see `Gateway::generate_choices`).
            if sent.contains_key("n") {
                body["n"] = json!(1);
            }
            if let Some(seed) = p.seed {
                body["seed"] = json!(seed);
            }
            return (path.to_string(), body);
        }
        let mut body = match &req.input {
            Input::Chat(messages) => json!({"messages": messages}),
            Input::Text(prompt) => json!({"prompt": prompt}),
        };
        body["model"] = json!(req.model);
        body["stream"] = json!(true);
        body["stream_options"] = json!({"include_usage": true});
        let optional = [
            ("max_tokens", p.max_tokens.map(Value::from)),
            ("temperature", p.temperature.map(Value::from)),
            ("top_p", p.top_p.map(Value::from)),
            ("seed", p.seed.map(Value::from)),
            ("presence_penalty", p.presence_penalty.map(Value::from)),
            ("frequency_penalty", p.frequency_penalty.map(Value::from)),
            ("stop", (!p.stop.is_empty()).then(|| json!(p.stop))),
            ("ignore_eos", p.ignore_eos.then_some(Value::Bool(true))),
            (
                "response_format",
                p.json_object.then(|| json!({"type": "json_object"})),
            ),
        ];
        for (k, v) in optional {
            if let Some(v) = v {
                body[k] = v;
            }
        }
        (path.to_string(), body)
    }

    /// The 503 for a request that found no free replica in time.
    fn busy(&self, why: Busy) -> ApiError {
        let limits = self.pool.limits();
        let wait = match why {
            Busy::QueueFull => "die Warteschlange ist voll".to_string(),
            _ => format!(
                "die Anfrage hat {} s auf einen freien Server gewartet",
                limits.queue_wait_secs
            ),
        };
        ApiError::overloaded(
            format!(
                "Das Backend „{}“ ist ausgelastet: Alle Server bearbeiten bereits so viele Anfragen, wie sie dürfen, und {wait}. Bitte versuchen Sie es in {} Sekunden noch einmal.",
                self.config.name,
                limits.retry_after()
            ),
            limits.retry_after(),
        )
    }

    /// A place on the least loaded healthy replica not tried yet; waits in
    /// the queue until `deadline` when all are full.
    async fn slot(
        &self,
        tried: &mut Vec<usize>,
        deadline: Instant,
        last: Option<ApiError>,
    ) -> Result<Slot, StartError> {
        match self.pool.acquire(tried, deadline).await {
            Ok((i, slot)) => {
                tried.push(i);
                Ok(slot)
            }
            Err(Busy::NoneHealthy) => Err(StartError::Unavailable(last.unwrap_or_else(|| {
                ApiError::unavailable(format!(
                    "Das Backend „{}“ ist nicht erreichbar.",
                    self.config.name
                ))
            }))),
            Err(why) => Err(StartError::Unavailable(self.busy(why))),
        }
    }

    fn deadline(&self) -> Instant {
        Instant::now() + Duration::from_secs(self.pool.limits().queue_wait_secs)
    }

    /// Sends the request to the least loaded healthy replica; one that
    /// fails before the first byte of its answer is marked down and the
    /// next one tried. The stream is then read on a task of its own, which
    /// holds the replica's place until the answer ends.
    pub async fn start(&self, req: &GenerateRequest) -> Result<Events, StartError> {
        let (path, body) = Self::body(req);
        let deadline = self.deadline();
        let mut tried = Vec::new();
        let mut last = None;
        loop {
            let slot = self.slot(&mut tried, deadline, last.take()).await?;
            let (resp, first) = match self.open(slot.replica(), &path, &body).await {
                Ok(opened) => opened,
                Err(Attempt::Next(e)) => {
                    last = Some(e);
                    continue;
                }
                Err(Attempt::Refused(e)) => return Err(StartError::Refused(e)),
            };
            let (tx, rx) = unbounded_channel();
            let name = self.config.name.clone();
            let timeout = self.timeout();
            tokio::spawn(async move {
                if let Err(message) = relay(resp, first, &tx, timeout).await {
                    slot.replica().failed();
                    tracing::warn!(backend = %name, replica = %slot.replica().base, %message, "backend stream failed; marked unhealthy");
                    let _ = tx.send(Event::Failed(ApiError::backend(format!(
                        "Das Backend „{name}“ hat die Antwort abgebrochen: {message}"
                    ))));
                }
                drop(slot);
            });
            return Ok(rx);
        }
    }

    /// Posts the request to one replica and waits for the first bytes of
    /// its answer, each within the timeout.
    async fn open(
        &self,
        replica: &Replica,
        path: &str,
        body: &Value,
    ) -> Result<(reqwest::Response, bytes::Bytes), Attempt> {
        let sent = self
            .request(reqwest::Method::POST, format!("{}/{path}", replica.base))
            .json(body)
            .send();
        let mut resp = match tokio::time::timeout(self.timeout(), sent).await {
            Ok(Ok(resp)) => resp,
            Ok(Err(e)) => {
                self.mark_down(replica, &e.to_string());
                return Err(Attempt::Next(ApiError::unavailable(format!(
                    "Das Backend „{}“ antwortet nicht: {e}",
                    self.config.name
                ))));
            }
            Err(_) => return Err(self.silent(replica)),
        };
        let status = resp.status();
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            if status.is_server_error() {
                self.mark_down(replica, status.as_str());
            }
            return Err(Attempt::Next(ApiError::unavailable(format!(
                "Das Backend „{}“ meldet Status {status}.",
                self.config.name
            ))));
        }
        if !status.is_success() {
            let text = resp.text().await.unwrap_or_default();
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
                .unwrap_or(text);
            return Err(Attempt::Refused(ApiError::backend(format!(
                "Das Backend „{}“ lehnt die Anfrage ab ({status}): {message}",
                self.config.name
            ))));
        }
        match tokio::time::timeout(self.timeout(), resp.chunk()).await {
            Ok(Ok(Some(first))) => Ok((resp, first)),
            Ok(Ok(None)) => {
                self.mark_down(replica, "empty answer");
                Err(Attempt::Next(ApiError::unavailable(format!(
                    "Das Backend „{}“ hat eine leere Antwort gesendet.",
                    self.config.name
                ))))
            }
            Ok(Err(e)) => {
                self.mark_down(replica, &e.to_string());
                Err(Attempt::Next(ApiError::unavailable(format!(
                    "Das Backend „{}“ hat die Verbindung vor der Antwort beendet: {e}",
                    self.config.name
                ))))
            }
            Err(_) => Err(self.silent(replica)),
        }
    }

    /// A replica that sent nothing within the timeout.
    fn silent(&self, replica: &Replica) -> Attempt {
        self.mark_down(replica, "timeout");
        Attempt::Next(ApiError::unavailable(format!(
            "Das Backend „{}“ hat nicht innerhalb von {} s geantwortet.",
            self.config.name, self.config.timeout_secs
        )))
    }

    fn mark_down(&self, replica: &Replica, why: &str) {
        if replica.failed() {
            tracing::warn!(backend = %self.config.name, replica = %replica.base, %why, "backend marked unhealthy");
            self.pool.wake();
        }
    }

    /// Passes `POST /embeddings` through to the least loaded healthy
    /// replica, the next one where it fails.
    pub async fn embeddings(&self, body: &Value) -> Result<Value, StartError> {
        let deadline = self.deadline();
        let mut tried = Vec::new();
        let mut last = None;
        loop {
            let slot = self.slot(&mut tried, deadline, last.take()).await?;
            let replica = slot.replica();
            let sent = self
                .request(
                    reqwest::Method::POST,
                    format!("{}/embeddings", replica.base),
                )
                .json(body)
                .timeout(self.timeout())
                .send()
                .await;
            let resp = match sent {
                Ok(r) if r.status().is_server_error() => {
                    self.mark_down(replica, r.status().as_str());
                    continue;
                }
                Ok(r) => r,
                Err(e) => {
                    self.mark_down(replica, &e.to_string());
                    last = Some(ApiError::unavailable(format!(
                        "Das Backend „{}“ antwortet nicht: {e}",
                        self.config.name
                    )));
                    continue;
                }
            };
            let status = resp.status();
            let value: Value = resp.json().await.map_err(|e| {
                StartError::Unavailable(ApiError::backend(format!(
                    "Das Backend „{}“ sendet kein gültiges JSON: {e}",
                    self.config.name
                )))
            })?;
            if !status.is_success() {
                return Err(StartError::Refused(ApiError::backend(format!(
                    "Das Backend „{}“ lehnt die Anfrage ab ({status}): {}",
                    self.config.name,
                    value["error"]["message"].as_str().unwrap_or("")
                ))));
            }
            return Ok(value);
        }
    }
}

/// Reads the backend's SSE stream and forwards it as events. An `Err` is a
/// broken stream (timeout, malformed data, cut off before the end).
async fn relay(
    mut resp: reqwest::Response,
    first: bytes::Bytes,
    tx: &UnboundedSender<Event>,
    timeout: Duration,
) -> Result<(), String> {
    let mut first = Some(first);
    let mut parser = SseParser::new();
    let mut finish: Option<FinishReason> = None;
    let mut usage: Option<Usage> = None;
    let mut completion_chars = 0usize;
    // Tool calls arrive in pieces by index; they are passed on whole.
    let mut calls: Vec<WireToolCall> = Vec::new();
    loop {
        if tx.is_closed() {
            // The client hung up: dropping the response closes the
            // connection, which tells the backend to stop.
            return Ok(());
        }
        let chunk = match first.take() {
            Some(c) => Some(c),
            None => match tokio::time::timeout(timeout, resp.chunk()).await {
                Err(_) => return Err(format!("keine Daten seit {} s", timeout.as_secs())),
                Ok(Err(e)) => return Err(e.to_string()),
                Ok(Ok(c)) => c,
            },
        };
        let events = match &chunk {
            Some(bytes) => parser.push(bytes),
            None => parser.finish(),
        }
        .map_err(|e| e.to_string())?;
        for data in events {
            if data.trim() == "[DONE]" {
                for c in calls.drain(..) {
                    let _ = tx.send(Event::ToolCall(c));
                }
                let finish = finish.unwrap_or(FinishReason::Stop);
                let usage = usage.unwrap_or_else(|| Usage::new(0, estimate(completion_chars)));
                let _ = tx.send(Event::Done { finish, usage });
                return Ok(());
            }
            let v: Value =
                serde_json::from_str(&data).map_err(|e| format!("fehlerhaftes Ereignis ({e})"))?;
            if let Some(err) = v.get("error") {
                return Err(err["message"].as_str().unwrap_or("Fehler").to_string());
            }
            let choices = v
                .get("choices")
                .and_then(Value::as_array)
                .ok_or("Ereignis ohne „choices“")?;
            if let Some(c) = choices.first() {
                let text = c["delta"]["content"].as_str().or(c["text"].as_str());
                if let Some(t) = text.filter(|t| !t.is_empty()) {
                    completion_chars += t.chars().count();
                    let _ = tx.send(Event::Text(t.to_string()));
                }
                for d in c["delta"]["tool_calls"].as_array().into_iter().flatten() {
                    let i = d["index"].as_u64().unwrap_or(0) as usize;
                    if i > 128 {
                        return Err("zu viele Funktionsaufrufe".into());
                    }
                    while calls.len() <= i {
                        calls.push(WireToolCall {
                            id: String::new(),
                            kind: "function".into(),
                            function: WireFunction {
                                name: String::new(),
                                arguments: String::new(),
                            },
                        });
                    }
                    let call = &mut calls[i];
                    if let Some(id) = d["id"].as_str() {
                        call.id = id.to_string();
                    }
                    if let Some(n) = d["function"]["name"].as_str() {
                        call.function.name.push_str(n);
                    }
                    if let Some(a) = d["function"]["arguments"].as_str() {
                        call.function.arguments.push_str(a);
                    }
                }
                match c["finish_reason"].as_str() {
                    Some("length") => finish = Some(FinishReason::Length),
                    Some("tool_calls") => finish = Some(FinishReason::ToolCalls),
                    Some(_) => finish = Some(FinishReason::Stop),
                    None => {}
                }
            }
            if let Some(u) = v.get("usage").filter(|u| !u.is_null()) {
                usage = Some(
                    serde_json::from_value(u.clone())
                        .map_err(|e| format!("fehlerhafte Token-Angabe ({e})"))?,
                );
            }
        }
        if chunk.is_none() {
            return Err("Verbindung vor „[DONE]“ beendet".into());
        }
    }
}

/// Tokens of an answer whose backend sent no usage: about four characters
/// each, so that quotas still count something.
fn estimate(chars: usize) -> u32 {
    chars.div_ceil(4) as u32
}
