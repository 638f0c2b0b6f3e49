//! One streaming chat request against an OpenAI-compatible endpoint, timed
//! at the arrival of every chunk.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::sse::SseParser;
use crate::tasks::ChatMessage;

/// Why a request failed. Counted per kind in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// No connection (refused, DNS, TLS).
    Connect,
    /// No answer within the request timeout.
    Timeout,
    /// The server answered with a non-2xx status.
    HttpStatus,
    /// The event stream or a chunk in it was not valid.
    MalformedStream,
    /// The usage object was not valid.
    MalformedUsage,
    /// The server sent an error object inside the stream.
    ServerError,
    /// The stream ended before `[DONE]` or a finish reason.
    Truncated,
    /// The stream ended without any text.
    NoOutput,
    /// Any other transport failure.
    Transport,
}

impl ErrorKind {
    pub fn label_de(self) -> &'static str {
        match self {
            ErrorKind::Connect => "keine Verbindung",
            ErrorKind::Timeout => "Zeitüberschreitung",
            ErrorKind::HttpStatus => "HTTP-Fehlerstatus",
            ErrorKind::MalformedStream => "fehlerhafter Ereignisstrom",
            ErrorKind::MalformedUsage => "fehlerhafte Token-Angabe",
            ErrorKind::ServerError => "Fehlermeldung des Servers",
            ErrorKind::Truncated => "Antwort abgebrochen",
            ErrorKind::NoOutput => "leere Antwort",
            ErrorKind::Transport => "Übertragungsfehler",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestError {
    pub kind: ErrorKind,
    pub message: String,
}

/// Token counts as the server reported them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: u64,
}

/// What one request yielded, including partial timing on failure.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub ttft: Option<Duration>,
    /// Gaps between successive chunks that carried text.
    pub itl: Vec<Duration>,
    pub e2e: Duration,
    /// Chunks that carried text: the token count when the server gives no usage.
    pub text_chunks: u64,
    pub usage: Option<Usage>,
    pub text: String,
    pub error: Option<RequestError>,
}

/// What to send.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    pub messages: Vec<ChatMessage>,
    pub max_tokens: u32,
    pub temperature: f64,
    pub ignore_eos: bool,
}

/// A target's chat endpoint with its shared connection pool.
#[derive(Debug, Clone)]
pub struct Endpoint {
    client: reqwest::Client,
    url: String,
    key: Option<String>,
    model: String,
    timeout: Duration,
}

impl Endpoint {
    pub fn new(
        base_url: &str,
        key: Option<String>,
        model: &str,
        timeout: Duration,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .pool_max_idle_per_host(usize::MAX)
            .build()?;
        Ok(Endpoint {
            client,
            url: format!("{}/chat/completions", base_url.trim_end_matches('/')),
            key,
            model: model.to_string(),
            timeout,
        })
    }

    /// Sends one streaming request and times it. Never fails: every problem
    /// becomes `Outcome::error`.
    pub async fn send(&self, req: &ChatRequest) -> Outcome {
        let start = Instant::now();
        let deadline = start + self.timeout;
        let mut out = Outcome::default();
        let result = self.stream(req, start, deadline, &mut out).await;
        out.e2e = start.elapsed();
        if let Err(e) = result {
            out.error = Some(e);
        }
        out
    }

    async fn stream(
        &self,
        req: &ChatRequest,
        start: Instant,
        deadline: Instant,
        out: &mut Outcome,
    ) -> Result<(), RequestError> {
        let mut body = json!({
            "model": self.model,
            "messages": req.messages,
            "stream": true,
            "stream_options": { "include_usage": true },
            "max_tokens": req.max_tokens,
            "temperature": req.temperature,
        });
        if req.ignore_eos {
            body["ignore_eos"] = Value::Bool(true);
        }
        let mut builder = self.client.post(&self.url).json(&body);
        if let Some(key) = &self.key {
            builder = builder.bearer_auth(key);
        }
        let timeout_err = || RequestError {
            kind: ErrorKind::Timeout,
            message: format!(
                "keine vollständige Antwort nach {} s",
                self.timeout.as_secs_f64()
            ),
        };
        let mut resp = tokio::time::timeout_at(deadline, builder.send())
            .await
            .map_err(|_| timeout_err())?
            .map_err(transport_error)?;
        if !resp.status().is_success() {
            let status = resp.status();
            let text = tokio::time::timeout_at(deadline, resp.text())
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default();
            return Err(RequestError {
                kind: ErrorKind::HttpStatus,
                message: format!("HTTP {}: {}", status.as_u16(), clip(&text, 200)),
            });
        }
        // A server that ignores `stream: true` answers with one JSON body;
        // say so instead of reporting a stream that "ended early".
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if content_type.starts_with("application/json") {
            return Err(malformed(format!(
                "der Server streamt nicht (Content-Type {content_type}); stream: true wird nicht unterstützt"
            )));
        }
        let mut parser = SseParser::new();
        let mut last_token: Option<Instant> = None;
        let mut done = false;
        let mut finished = false;
        loop {
            let chunk = tokio::time::timeout_at(deadline, resp.chunk())
                .await
                .map_err(|_| timeout_err())?
                .map_err(transport_error)?;
            // Events that arrive in one read share its timestamp: the gap
            // between them is what a user sees, zero, not what the server
            // intended.
            let now = Instant::now();
            let (events, at_end) = match chunk {
                Some(bytes) => (parser.push(&bytes), false),
                None => (parser.finish(), true),
            };
            let events = events.map_err(|e| RequestError {
                kind: ErrorKind::MalformedStream,
                message: e.to_string(),
            })?;
            for data in events {
                if data.trim() == "[DONE]" {
                    done = true;
                    break;
                }
                let ev = parse_event(&data)?;
                if let Some(u) = ev.usage {
                    out.usage = Some(u);
                }
                finished |= ev.finished;
                if !ev.text.is_empty() {
                    match last_token {
                        None => out.ttft = Some(now - start),
                        Some(prev) => out.itl.push(now - prev),
                    }
                    last_token = Some(now);
                    out.text_chunks += 1;
                    out.text.push_str(&ev.text);
                }
            }
            if done || at_end {
                break;
            }
        }
        if !done && !finished {
            return Err(RequestError {
                kind: ErrorKind::Truncated,
                message: "Ereignisstrom endete ohne [DONE] und ohne finish_reason".into(),
            });
        }
        if out.text_chunks == 0 {
            return Err(RequestError {
                kind: ErrorKind::NoOutput,
                message: "der Server lieferte keinen Text".into(),
            });
        }
        Ok(())
    }
}

struct Event {
    text: String,
    finished: bool,
    usage: Option<Usage>,
}

fn malformed(msg: String) -> RequestError {
    RequestError {
        kind: ErrorKind::MalformedStream,
        message: msg,
    }
}

/// Reads one `data:` payload of a chat-completion chunk.
fn parse_event(data: &str) -> Result<Event, RequestError> {
    let v: Value = serde_json::from_str(data)
        .map_err(|e| malformed(format!("kein gültiges JSON ({e}): {}", clip(data, 80))))?;
    if let Some(err) = v.get("error") {
        let msg = err
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| err.to_string());
        return Err(RequestError {
            kind: ErrorKind::ServerError,
            message: clip(&msg, 200),
        });
    }
    if !v.is_object() {
        return Err(malformed(format!(
            "Ereignis ist kein Objekt: {}",
            clip(data, 80)
        )));
    }
    let mut text = String::new();
    let mut finished = false;
    if let Some(choices) = v.get("choices") {
        let choices = choices
            .as_array()
            .ok_or_else(|| malformed("choices ist keine Liste".into()))?;
        for c in choices {
            let delta = c.get("delta");
            for field in ["content", "reasoning_content"] {
                if let Some(t) = delta.and_then(|d| d.get(field)).and_then(Value::as_str) {
                    text.push_str(t);
                }
            }
            finished |= c.get("finish_reason").is_some_and(|f| !f.is_null());
        }
    }
    let usage = match v.get("usage") {
        None | Some(Value::Null) => None,
        Some(u) => Some(parse_usage(u)?),
    };
    Ok(Event {
        text,
        finished,
        usage,
    })
}

fn parse_usage(u: &Value) -> Result<Usage, RequestError> {
    let bad = |what: &str| RequestError {
        kind: ErrorKind::MalformedUsage,
        message: format!(
            "usage.{what} fehlt oder ist keine ganze Zahl: {}",
            clip(&u.to_string(), 80)
        ),
    };
    let completion_tokens = u
        .get("completion_tokens")
        .and_then(Value::as_u64)
        .ok_or_else(|| bad("completion_tokens"))?;
    let prompt_tokens = match u.get("prompt_tokens") {
        None | Some(Value::Null) => None,
        Some(p) => Some(p.as_u64().ok_or_else(|| bad("prompt_tokens"))?),
    };
    Ok(Usage {
        prompt_tokens,
        completion_tokens,
    })
}

fn transport_error(e: reqwest::Error) -> RequestError {
    let kind = if e.is_connect() {
        ErrorKind::Connect
    } else if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Transport
    };
    // reqwest's top-level message hides the cause ("error sending request");
    // the chain says "Connection refused".
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    RequestError {
        kind,
        message: clip(&msg, 300),
    }
}

pub(crate) fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_content_chunk_yields_its_text() {
        let ev = parse_event(r#"{"choices":[{"delta":{"content":"Hallo"},"finish_reason":null}]}"#)
            .unwrap();
        assert_eq!(ev.text, "Hallo");
        assert!(!ev.finished);
    }

    #[test]
    fn a_usage_chunk_without_choices_yields_usage() {
        let ev = parse_event(r#"{"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3}}"#)
            .unwrap();
        assert_eq!(
            ev.usage,
            Some(Usage {
                prompt_tokens: Some(7),
                completion_tokens: 3
            })
        );
    }

    #[test]
    fn malformed_payloads_become_errors_with_a_reason() {
        let e = parse_event("{nope").err().unwrap();
        assert_eq!(e.kind, ErrorKind::MalformedStream);
        let e = parse_event(r#"{"choices":[],"usage":{"completion_tokens":"viele"}}"#)
            .err()
            .unwrap();
        assert_eq!(e.kind, ErrorKind::MalformedUsage);
        let e = parse_event(r#"{"error":{"message":"model overloaded"}}"#)
            .err()
            .unwrap();
        assert_eq!(e.kind, ErrorKind::ServerError);
        assert!(e.message.contains("overloaded"));
        let e = parse_event(r#"{"choices":"x"}"#).err().unwrap();
        assert_eq!(e.kind, ErrorKind::MalformedStream);
    }
}
