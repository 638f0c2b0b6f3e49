//! The `/v1` routes. Streaming answers are written as OpenAI writes them:
//! `data: {chat.completion.chunk}` events, the role in the first delta, the
//! finish reason in the last, an optional usage chunk, then `data: [DONE]`.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use futures_util::{stream, StreamExt};

use crate::backend::Event;
use crate::error::ApiError;
use crate::gateway::{Caller, Gateway};
use crate::openai::{
    chat_logprobs, text_logprobs, unix_now, AssistantMessage, ChatChoice, ChatCompletion,
    ChatCompletionChunk, ChunkChoice, Delta, FunctionDelta, ModelList, ModelObject, TextChoice,
    TextCompletion, ToolCallDelta,
};
use crate::reply::Reply;
use crate::request::{self, Delivery};

/// The header that names a request's data class.
pub const DATA_CLASS_HEADER: &str = "x-datenklasse";

/// The response header with the class the request was routed by: the
/// declared one, raised by the personal data found in it.
pub const EFFECTIVE_CLASS_HEADER: &str = "x-datenklasse-wirksam";

/// The response header set on an answer to a request that went out
/// pseudonymised (`ja`); absent otherwise.
pub const PSEUDONYMISED_HEADER: &str = "x-pseudonymisiert";

fn with_effective_class(mut response: Response, class: journey::policy::DataClass) -> Response {
    response.headers_mut().insert(
        EFFECTIVE_CLASS_HEADER,
        axum::http::HeaderValue::from_static(class.slug()),
    );
    response
}

/// The `/v1` API (and `/metrics/gateway`). Routes no other router uses, so
/// the portal's router can be merged with it.
pub fn router(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/completions", post(completions))
        .route("/v1/models", get(models))
        .route("/v1/models/{*id}", get(model))
        .route("/v1/embeddings", post(embeddings))
        .route("/v1", any(unknown_path))
        .route("/v1/{*rest}", any(unknown_path))
        .route("/metrics/gateway", get(metrics))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(gateway)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Chat,
    Text,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

fn class_header(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    headers
        .get(DATA_CLASS_HEADER)
        .map(|v| {
            v.to_str().map_err(|_| {
                ApiError::invalid("X-Datenklasse", "Der Kopf X-Datenklasse ist nicht lesbar.")
            })
        })
        .transpose()
}

async fn read_body(gateway: &Gateway, headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let limit = gateway.config().max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::body_too_large(limit));
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::body_too_large(limit))
}

async fn caller(gateway: &Gateway, headers: &HeaderMap) -> Result<Caller, ApiError> {
    gateway.authenticate(bearer(headers)).await
}

async fn chat_completions(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    generate(gw, headers, body, Kind::Chat)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn completions(State(gw): State<Arc<Gateway>>, headers: HeaderMap, body: Body) -> Response {
    generate(gw, headers, body, Kind::Text)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn generate(
    gw: Arc<Gateway>,
    headers: HeaderMap,
    body: Body,
    kind: Kind,
) -> Result<Response, ApiError> {
    let caller = caller(&gw, &headers).await?;
    let bytes = read_body(&gw, &headers, body).await?;
    let value = request::parse_body(&bytes)?;
    let (req, delivery) = match kind {
        Kind::Chat => request::chat(&value)?,
        Kind::Text => request::completion(&value)?,
    };
    let req_logprobs = req.params.logprobs.is_some();
    let replies = gw
        .generate_choices(&caller, class_header(&headers)?, req)
        .await?;
    let (class, pseudonymised) = replies
        .first()
        .map(|r| (r.class, r.screening.pseudonymised))
        .ok_or_else(|| ApiError::internal("Keine Antwort gestartet."))?;
    let mut ended = gw.streams_ended();
    let response = if delivery.stream {
        stream_response(replies, kind, delivery, req_logprobs, ended)
    } else {
        tokio::select! {
            () = drain_deadline(&mut ended) => return Err(ApiError::shutting_down()),
            whole = whole_response(replies, kind, req_logprobs) => whole?,
        }
    };
    let mut response = with_effective_class(response, class);
    if pseudonymised {
        response.headers_mut().insert(
            PSEUDONYMISED_HEADER,
            axum::http::HeaderValue::from_static("ja"),
        );
    }
    Ok(response)
}

/// One choice, read to its end.
struct Collected {
    text: String,
    tool_calls: Vec<crate::openai::WireToolCall>,
    logprobs: Vec<crate::openai::TokenLogprob>,
    finish: crate::openai::FinishReason,
    usage: crate::openai::Usage,
}

async fn collect(mut reply: Reply) -> Result<Collected, ApiError> {
    let mut text = String::new();
    let mut tool_calls = Vec::new();
    let mut logprobs = Vec::new();
    loop {
        match reply.next().await {
            Some(Event::Text(t)) => text.push_str(&t),
            Some(Event::Logprob(l)) => logprobs.push(l),
            Some(Event::ToolCall(c)) => tool_calls.push(c),
            Some(Event::Done { finish, usage }) => {
                return Ok(Collected {
                    text,
                    tool_calls,
                    logprobs,
                    finish,
                    usage,
                })
            }
            Some(Event::Failed(e)) => return Err(e),
            None => return Err(ApiError::internal("Die Antwort endete unerwartet.")),
        }
    }
}

/// Usage of several choices of one prompt, as OpenAI counts it: the prompt
/// once, the completions together.
fn add_usage(sum: Option<crate::openai::Usage>, one: crate::openai::Usage) -> crate::openai::Usage {
    match sum {
        None => one,
        Some(s) => {
            crate::openai::Usage::new(s.prompt_tokens, s.completion_tokens + one.completion_tokens)
        }
    }
}

async fn whole_response(
    replies: Vec<Reply>,
    kind: Kind,
    wanted: bool,
) -> Result<Response, ApiError> {
    let Some(first) = replies.first() else {
        return Err(ApiError::internal("Keine Antwort gestartet."));
    };
    let (id, created, model) = (first.id.clone(), first.created, first.model.clone());
    // The choices run side by side (one batch in the engine).
    let choices = futures_util::future::join_all(replies.into_iter().map(collect))
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let usage = choices
        .iter()
        .fold(None, |sum, c| Some(add_usage(sum, c.usage)))
        .unwrap_or_default();
    let response = match kind {
        Kind::Chat => Json(ChatCompletion {
            id,
            object: "chat.completion",
            created,
            model,
            choices: choices
                .into_iter()
                .zip(0..)
                .map(|(c, index)| ChatChoice {
                    index,
                    message: AssistantMessage {
                        role: "assistant",
                        content: (c.tool_calls.is_empty() || !c.text.trim().is_empty())
                            .then_some(c.text),
                        tool_calls: c.tool_calls,
                    },
                    logprobs: wanted.then(|| chat_logprobs(&c.logprobs)),
                    finish_reason: c.finish,
                })
                .collect(),
            usage,
        })
        .into_response(),
        Kind::Text => Json(TextCompletion {
            id: id.replacen("chatcmpl", "cmpl", 1),
            object: "text_completion",
            created,
            model,
            choices: choices
                .into_iter()
                .zip(0..)
                .map(|(c, index)| TextChoice {
                    text: c.text,
                    index,
                    logprobs: wanted.then(|| text_logprobs(&c.logprobs, 0)),
                    finish_reason: Some(c.finish),
                })
                .collect(),
            usage: Some(usage),
        })
        .into_response(),
    };
    Ok(response)
}

/// Where a stream is.
enum Phase {
    Start,
    Body,
    Usage(crate::openai::Usage),
    Done,
    End,
}

fn event(json: &str) -> Bytes {
    Bytes::from(format!("data: {json}\n\n"))
}

/// The chunk with the usage, after the last choice's finish.
fn usage_event(
    kind: Kind,
    id: &str,
    created: u64,
    model: &str,
    usage: crate::openai::Usage,
) -> Bytes {
    let json = match kind {
        Kind::Chat => serde_json::to_string(&ChatCompletionChunk {
            id: id.to_string(),
            object: "chat.completion.chunk",
            created,
            model: model.to_string(),
            choices: Vec::new(),
            usage: Some(Some(usage)),
        }),
        Kind::Text => serde_json::to_string(&TextCompletion {
            id: id.replacen("chatcmpl", "cmpl", 1),
            object: "text_completion",
            created,
            model: model.to_string(),
            choices: Vec::new(),
            usage: Some(usage),
        }),
    };
    event(&json.unwrap_or_default())
}

struct Streamer {
    reply: Reply,
    kind: Kind,
    delivery: Delivery,
    phase: Phase,
    /// Tool calls streamed so far (their `index`).
    calls: u32,
    /// Log probabilities of tokens whose text is not sent yet (when asked).
    logprobs: Option<Vec<crate::openai::TokenLogprob>>,
    /// Bytes of text sent, for `text_offset`.
    sent_chars: usize,
    /// Turns true at the shutdown drain deadline.
    ended: tokio::sync::watch::Receiver<bool>,
    /// The choice this stream carries (`n` > 1: several side by side).
    index: u32,
    /// With several choices: the usage of all, summed as each finishes;
    /// then the merged stream, not this one, sends usage and `[DONE]`.
    shared: Option<Arc<std::sync::Mutex<Option<crate::openai::Usage>>>>,
}

/// Resolves when the drain deadline has passed ([`Gateway::end_streams`]);
/// never, if the gateway is gone without that.
async fn drain_deadline(ended: &mut tokio::sync::watch::Receiver<bool>) {
    if ended.wait_for(|ended| *ended).await.is_err() {
        std::future::pending::<()>().await;
    }
}

impl Streamer {
    fn usage_field(&self) -> Option<Option<crate::openai::Usage>> {
        self.delivery.include_usage.then_some(None)
    }

    /// The pending log probabilities, in the shape of `kind`.
    fn take_logprobs(&mut self) -> Option<serde_json::Value> {
        let pending = std::mem::take(self.logprobs.as_mut()?);
        Some(match self.kind {
            Kind::Chat => chat_logprobs(&pending),
            Kind::Text => text_logprobs(&pending, self.sent_chars),
        })
    }

    fn chat_chunk(&mut self, delta: Delta, finish: Option<crate::openai::FinishReason>) -> Bytes {
        let logprobs =
            if delta.content.as_deref().is_some_and(|c| !c.is_empty()) || finish.is_some() {
                self.take_logprobs()
            } else {
                None
            };
        let chunk = ChatCompletionChunk {
            id: self.reply.id.clone(),
            object: "chat.completion.chunk",
            created: self.reply.created,
            model: self.reply.model.clone(),
            choices: vec![ChunkChoice {
                index: self.index,
                delta,
                logprobs,
                finish_reason: finish,
            }],
            usage: self.usage_field(),
        };
        event(&serde_json::to_string(&chunk).unwrap_or_default())
    }

    fn text_chunk(&mut self, text: String, finish: Option<crate::openai::FinishReason>) -> Bytes {
        let logprobs = self.take_logprobs();
        self.sent_chars += text.len();
        let chunk = TextCompletion {
            id: self.reply.id.replacen("chatcmpl", "cmpl", 1),
            object: "text_completion",
            created: self.reply.created,
            model: self.reply.model.clone(),
            choices: vec![TextChoice {
                text,
                index: self.index,
                logprobs,
                finish_reason: finish,
            }],
            usage: None,
        };
        event(&serde_json::to_string(&chunk).unwrap_or_default())
    }

    fn usage_chunk(&self, usage: crate::openai::Usage) -> Bytes {
        let r = &self.reply;
        usage_event(self.kind, &r.id, r.created, &r.model, usage)
    }

    /// The next frame of the stream.
    async fn frame(&mut self) -> Option<Bytes> {
        match std::mem::replace(&mut self.phase, Phase::Body) {
            Phase::Start if self.kind == Kind::Chat => {
                return Some(self.chat_chunk(
                    Delta {
                        role: Some("assistant"),
                        content: Some(String::new()),
                        tool_calls: None,
                    },
                    None,
                ));
            }
            Phase::Start | Phase::Body => {}
            Phase::Usage(usage) => {
                self.phase = Phase::Done;
                return Some(self.usage_chunk(usage));
            }
            Phase::Done => {
                self.phase = Phase::End;
                return Some(Bytes::from_static(b"data: [DONE]\n\n"));
            }
            Phase::End => {
                self.phase = Phase::End;
                return None;
            }
        }
        loop {
            let next = tokio::select! {
                biased;
                () = drain_deadline(&mut self.ended) => {
                    // The server is going down: say so, then end the stream
                    // as every stream ends, so clients do not wait on a cut
                    // connection.
                    self.phase = if self.shared.is_some() { Phase::End } else { Phase::Done };
                    return Some(event(&ApiError::shutting_down().body()));
                }
                next = self.reply.next() => next,
            };
            return match next {
                // Sent with the text of its token, in the next chunk.
                Some(Event::Logprob(l)) => {
                    if let Some(pending) = &mut self.logprobs {
                        pending.push(l);
                    }
                    continue;
                }
                Some(Event::Text(t)) => Some(match self.kind {
                    Kind::Chat => self.chat_chunk(
                        Delta {
                            role: None,
                            content: Some(t),
                            tool_calls: None,
                        },
                        None,
                    ),
                    Kind::Text => self.text_chunk(t, None),
                }),
                Some(Event::ToolCall(c)) => {
                    // One chunk names the call, the next carries its arguments,
                    // as OpenAI streams them in pieces.
                    let index = self.calls;
                    self.calls += 1;
                    let head = self.chat_chunk(
                        Delta {
                            tool_calls: Some(vec![ToolCallDelta {
                                index,
                                id: Some(c.id),
                                kind: Some("function"),
                                function: FunctionDelta {
                                    name: Some(c.function.name),
                                    arguments: String::new(),
                                },
                            }]),
                            ..Delta::default()
                        },
                        None,
                    );
                    let args = self.chat_chunk(
                        Delta {
                            tool_calls: Some(vec![ToolCallDelta {
                                index,
                                id: None,
                                kind: None,
                                function: FunctionDelta {
                                    name: None,
                                    arguments: c.function.arguments,
                                },
                            }]),
                            ..Delta::default()
                        },
                        None,
                    );
                    let mut both = head.to_vec();
                    both.extend_from_slice(&args);
                    Some(Bytes::from(both))
                }
                Some(Event::Done { finish, usage }) => {
                    self.phase = if let Some(shared) = &self.shared {
                        if let Ok(mut sum) = shared.lock() {
                            *sum = Some(add_usage(*sum, usage));
                        }
                        Phase::End
                    } else if self.delivery.include_usage {
                        Phase::Usage(usage)
                    } else {
                        Phase::Done
                    };
                    Some(match self.kind {
                        Kind::Chat => self.chat_chunk(Delta::default(), Some(finish)),
                        Kind::Text => self.text_chunk(String::new(), Some(finish)),
                    })
                }
                Some(Event::Failed(e)) => {
                    // A clean error event, then the end: the client sees what
                    // went wrong instead of a cut connection.
                    self.phase = Phase::End;
                    Some(event(&e.body()))
                }
                None => {
                    self.phase = Phase::End;
                    None
                }
            };
        }
    }
}

type Frames = std::pin::Pin<Box<dyn futures_util::Stream<Item = Bytes> + Send>>;

fn frames(streamer: Streamer) -> Frames {
    Box::pin(stream::unfold(streamer, |mut s| async move {
        let frame = s.frame().await?;
        Some((frame, s))
    }))
}

fn stream_response(
    replies: Vec<Reply>,
    kind: Kind,
    delivery: Delivery,
    logprobs: bool,
    ended: tokio::sync::watch::Receiver<bool>,
) -> Response {
    let several = replies.len() > 1;
    let shared = several.then(|| Arc::new(std::sync::Mutex::new(None)));
    let head = replies
        .first()
        .map(|r| (r.id.clone(), r.created, r.model.clone()))
        .unwrap_or_default();
    let mut streams: Vec<Frames> = replies
        .into_iter()
        .zip(0..)
        .map(|(reply, index)| {
            frames(Streamer {
                ended: ended.clone(),
                reply,
                kind,
                delivery,
                phase: Phase::Start,
                calls: 0,
                logprobs: logprobs.then(Vec::new),
                sent_chars: 0,
                index,
                shared: shared.clone(),
            })
        })
        .collect();
    let body: Frames = match shared {
        None => streams.pop().unwrap_or_else(|| Box::pin(stream::empty())),
        // The choices' chunks as they come, each with its `index`; after
        // the last, one usage chunk (if asked) and `[DONE]`.
        Some(shared) => {
            let tail = stream::once(async move {
                let usage = shared.lock().ok().and_then(|u| *u);
                let mut out = Vec::new();
                if let (true, Some(usage)) = (delivery.include_usage, usage) {
                    let (id, created, model) = &head;
                    out.extend_from_slice(&usage_event(kind, id, *created, model, usage));
                }
                out.extend_from_slice(b"data: [DONE]\n\n");
                Bytes::from(out)
            });
            Box::pin(stream::select_all(streams).chain(tail))
        }
    };
    let body = body.map(Ok::<_, std::convert::Infallible>);
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .header("x-accel-buffering", "no")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| ApiError::internal("Antwort nicht erstellbar").into_response())
}

fn model_list(gw: &Gateway) -> Vec<ModelObject> {
    let mut seen = std::collections::HashSet::new();
    gw.models()
        .into_iter()
        .chain(gw.embedding_models())
        .filter(|m| seen.insert(m.id.clone()))
        .map(|m| ModelObject {
            id: m.id,
            object: "model",
            created: unix_now(),
            owned_by: m.backend,
        })
        .collect()
}

async fn models(State(gw): State<Arc<Gateway>>, headers: HeaderMap) -> Response {
    match caller(&gw, &headers).await {
        Ok(_) => Json(ModelList {
            object: "list",
            data: model_list(&gw),
        })
        .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn model(
    State(gw): State<Arc<Gateway>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(e) = caller(&gw, &headers).await {
        return e.into_response();
    }
    match model_list(&gw).into_iter().find(|m| m.id == id) {
        Some(m) => Json(m).into_response(),
        None => ApiError::unknown_model(&id).into_response(),
    }
}

async fn embeddings(State(gw): State<Arc<Gateway>>, headers: HeaderMap, body: Body) -> Response {
    async fn run(gw: Arc<Gateway>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
        let caller = caller(&gw, &headers).await?;
        let bytes = read_body(&gw, &headers, body).await?;
        let value = request::parse_body(&bytes)?;
        let req: crate::openai::EmbeddingRequest = request::typed(&value)?;
        let (answer, screening) = gw
            .embeddings(&caller, class_header(&headers)?, &req, &value)
            .await?;
        Ok(with_effective_class(
            Json(answer).into_response(),
            screening.effective,
        ))
    }
    run(gw, headers, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn unknown_path(uri: axum::http::Uri) -> Response {
    let mut e = ApiError::invalid(
        "path",
        format!("Den Pfad {} gibt es in der API nicht.", uri.path()),
    );
    e.status = StatusCode::NOT_FOUND;
    e.code = Some("unknown_url");
    e.into_response()
}

async fn metrics(State(gw): State<Arc<Gateway>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        gw.render_metrics(),
    )
        .into_response()
}
