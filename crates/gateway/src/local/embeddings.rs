//! The local embedding model: `POST /v1/embeddings` answered by the engine
//! on this machine ([`engine::Engine::embed`]), configured in
//! `[gateway.embeddings]` or chosen in the portal.
//!
//! Why a worker thread of its own rather than the chat scheduler's batch
//! step: the embedding model is a model of its own (often another file than
//! the chat model), while the scheduler's step runs exactly one model, and
//! an embedding request needs no decoding at all — only prompt passes. So
//! one thread owns an [`Engine`] for the embedding model and takes whole
//! requests from a bounded queue (full: 429, as for chat). The chat
//! scheduler never waits for it: both threads share the CPU, and the
//! embedding engine takes half the cores by default, so decoding slows
//! while an embedding runs but does not stop.

use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;

use base64::Engine as _;
use engine::{Engine, EngineOptions, Model, TokenId};
use serde_json::Value;
use tokio::sync::oneshot;

use crate::error::ApiError;
use crate::openai::{
    EmbeddingData, EmbeddingList, EmbeddingRequest, EmbeddingUsage, EmbeddingVector,
};

/// The local embedding model as configured (`[gateway.embeddings]`).
#[derive(Debug, Clone, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EmbeddingConfig {
    /// The GGUF file; none: no local embedding model.
    pub model: Option<PathBuf>,
    /// The name clients use; default: the file name without `.gguf`.
    pub model_id: Option<String>,
    /// Engine threads; default: half the physical cores, so that chat
    /// decoding keeps the rest.
    pub threads: Option<usize>,
    /// Longest input in tokens (at most what the model was trained on).
    pub context: usize,
    /// Most inputs in one request.
    pub max_inputs: usize,
    /// Requests waiting before 429.
    pub queue: usize,
}

impl Default for EmbeddingConfig {
    fn default() -> Self {
        Self {
            model: None,
            model_id: None,
            threads: None,
            context: 4096,
            max_inputs: 256,
            queue: 16,
        }
    }
}

impl EmbeddingConfig {
    /// The model id clients use for `path`.
    pub fn model_id_for(&self, path: &std::path::Path) -> String {
        self.model_id
            .clone()
            .unwrap_or_else(|| super::model_id_from_file(path))
    }
}

/// How the vectors are written in the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Float,
    /// Little-endian f32 bytes in base64, as OpenAI sends them.
    Base64,
}

/// The texts of a request, read and checked.
#[derive(Debug)]
struct Inputs {
    texts: Vec<String>,
    /// `input` was an array: errors name `input[i]`, else `input`.
    array: bool,
    format: Format,
}

impl Inputs {
    fn param(&self, i: usize) -> String {
        if self.array {
            format!("input[{i}]")
        } else {
            "input".to_string()
        }
    }
}

struct Job {
    inputs: Inputs,
    reply: oneshot::Sender<Result<Value, ApiError>>,
}

/// An embedding model served by the engine on this machine.
pub struct LocalEmbeddings {
    model_id: String,
    width: usize,
    max_inputs: usize,
    queue: SyncSender<Job>,
}

impl std::fmt::Debug for LocalEmbeddings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalEmbeddings")
            .field("model_id", &self.model_id)
            .finish_non_exhaustive()
    }
}

/// Why the local embedding model did not answer.
#[derive(Debug)]
pub enum EmbedError {
    /// Busy or stopped: an allowed remote backend may answer instead.
    Unavailable(ApiError),
    /// The request itself is wrong.
    Refused(ApiError),
}

impl LocalEmbeddings {
    /// Starts the worker thread for `model`, served as `model_id`.
    pub fn start(
        model: Arc<Model>,
        model_id: String,
        config: &EmbeddingConfig,
    ) -> Result<LocalEmbeddings, ApiError> {
        engine::embed::Pooling::of(&model).map_err(|e| {
            ApiError::internal(format!(
                "Das Modell „{model_id}“ taugt nicht für Embeddings: {e}"
            ))
        })?;
        let threads = config
            .threads
            .unwrap_or_else(|| (engine::session::physical_cores() / 2).max(1));
        let n_ctx = config.context.clamp(1, model.config.n_ctx_train);
        let width = model.config.n_embd;
        let engine = Engine::new(
            model,
            EngineOptions {
                threads,
                n_ctx,
                // Texts to embed are not prompts to continue.
                prefix_cache_bytes: 0,
                ..EngineOptions::default()
            },
        );
        let (queue, jobs) = sync_channel(config.queue.max(1));
        let id = model_id.clone();
        std::thread::Builder::new()
            .name("ki-reise-embeddings".into())
            .spawn(move || work(engine, &id, &jobs))
            .map_err(|e| ApiError::internal(format!("Das Embedding-Modell startet nicht: {e}")))?;
        Ok(LocalEmbeddings {
            model_id,
            width,
            max_inputs: config.max_inputs.max(1),
            queue,
        })
    }

    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// Answers an embeddings request in OpenAI's shape; `usage` in the
    /// answer holds the tokens that are metered.
    pub async fn embed(&self, req: &EmbeddingRequest) -> Result<Value, EmbedError> {
        let inputs = self.read(req).map_err(EmbedError::Refused)?;
        let (reply, answer) = oneshot::channel();
        match self.queue.try_send(Job { inputs, reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                return Err(EmbedError::Unavailable(ApiError::queue_full(1)))
            }
            Err(TrySendError::Disconnected(_)) => return Err(EmbedError::Unavailable(stopped())),
        }
        match answer.await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(EmbedError::Refused(e)),
            Err(_) => Err(EmbedError::Unavailable(stopped())),
        }
    }

    /// Reads `input`, `encoding_format` and `dimensions`.
    fn read(&self, req: &EmbeddingRequest) -> Result<Inputs, ApiError> {
        let format = match req.rest.get("encoding_format") {
            None | Some(Value::Null) => Format::Float,
            Some(Value::String(s)) if s == "float" => Format::Float,
            Some(Value::String(s)) if s == "base64" => Format::Base64,
            Some(_) => {
                return Err(ApiError::invalid(
                    "encoding_format",
                    "encoding_format muss „float“ oder „base64“ sein.",
                ))
            }
        };
        match req.rest.get("dimensions") {
            None | Some(Value::Null) => {}
            Some(d) if d.as_u64() == Some(self.width as u64) => {}
            Some(d) => {
                return Err(ApiError::invalid(
                    "dimensions",
                    format!(
                        "Das Modell „{}“ liefert Vektoren mit {} Werten; dimensions = {d} ist nicht möglich.",
                        self.model_id, self.width
                    ),
                ))
            }
        }
        let (texts, array) = match &req.input {
            Value::String(s) => (vec![s.clone()], false),
            // One list of token ids is one input, as in OpenAI's API.
            Value::Array(items) if items.first().is_some_and(Value::is_number) => {
                (vec![openai_tokens(items, "input")?], false)
            }
            Value::Array(items) => {
                if items.len() > self.max_inputs {
                    return Err(ApiError::invalid(
                        "input",
                        format!(
                            "Zu viele Eingaben: {} in einer Anfrage, höchstens {} sind möglich. Teilen Sie die Anfrage auf.",
                            items.len(),
                            self.max_inputs
                        ),
                    ));
                }
                let mut texts = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => texts.push(s.clone()),
                        Value::Array(ids) => texts.push(openai_tokens(ids, &format!("input[{i}]"))?),
                        _ => {
                            return Err(ApiError::invalid(
                                &format!("input[{i}]"),
                                format!("Die Eingabe input[{i}] muss ein Text oder eine Liste von Token-Nummern sein."),
                            )
                            .with_code("invalid_type"))
                        }
                    }
                }
                (texts, true)
            }
            _ => {
                return Err(ApiError::invalid(
                    "input",
                    "input muss ein Text, eine Liste von Texten oder Token-Nummern sein.",
                )
                .with_code("invalid_type"))
            }
        };
        if texts.is_empty() {
            return Err(ApiError::invalid(
                "input",
                "input ist leer. Senden Sie mindestens einen Text.",
            ));
        }
        let inputs = Inputs {
            texts,
            array,
            format,
        };
        if let Some(i) = inputs.texts.iter().position(String::is_empty) {
            return Err(ApiError::invalid(
                &inputs.param(i),
                format!("Die Eingabe {} ist leer.", inputs.param(i)),
            ));
        }
        Ok(inputs)
    }
}

fn stopped() -> ApiError {
    ApiError::unavailable(
        "Das lokale Embedding-Modell läuft nicht mehr. Bitte starten Sie ki-reise neu.",
    )
}

/// Token ids as OpenAI's embedding models count them (`cl100k_base`,
/// which LangChain's `OpenAIEmbeddings` also uses for models it does not
/// know), turned back into the text they stand for: the local model has
/// its own tokenizer, so the ids themselves would mean other words here.
fn openai_tokens(ids: &[Value], param: &str) -> Result<String, ApiError> {
    let invalid = |what: String| {
        ApiError::invalid(param, format!("{param}: {what}")).with_code("invalid_type")
    };
    let ranks = ids
        .iter()
        .map(|v| {
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| invalid(format!("„{v}“ ist keine Token-Nummer.")))
        })
        .collect::<Result<Vec<u32>, ApiError>>()?;
    let bytes = tiktoken_rs::cl100k_base_singleton()
        .decode_bytes(&ranks)
        .map_err(|e| invalid(format!("unbekannte Token-Nummer ({e}).")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The worker: one request after another, until the gateway is gone.
fn work(mut engine: Engine, model_id: &str, jobs: &Receiver<Job>) {
    while let Ok(job) = jobs.recv() {
        // The client went away while the request waited.
        if job.reply.is_closed() {
            continue;
        }
        let answer = answer(&mut engine, model_id, &job.inputs);
        let _ = job.reply.send(answer);
    }
}

fn answer(engine: &mut Engine, model_id: &str, inputs: &Inputs) -> Result<Value, ApiError> {
    let model = Arc::clone(engine.model());
    let n_ctx = engine.options().n_ctx;
    let tokens: Vec<Vec<TokenId>> = inputs
        .texts
        .iter()
        .map(|t| engine::embed::tokenize(&model, t))
        .collect();
    for (i, t) in tokens.iter().enumerate() {
        if t.len() > n_ctx {
            let param = inputs.param(i);
            return Err(ApiError::invalid(
                &param,
                format!(
                    "Die Eingabe {param} ist mit {} Token zu lang für das Embedding-Modell „{model_id}“ (höchstens {n_ctx} Token). Teilen Sie den Text auf.",
                    t.len()
                ),
            )
            .with_code("context_length_exceeded"));
        }
    }
    let vectors = engine.embed(&tokens).map_err(|e| {
        tracing::error!(error = %e, "local embedding failed");
        ApiError::internal(format!("Das Embedding-Modell ist gescheitert: {e}"))
    })?;
    let prompt_tokens = tokens.iter().map(Vec::len).sum::<usize>() as u32;
    let data = vectors
        .into_iter()
        .enumerate()
        .map(|(index, v)| EmbeddingData {
            object: "embedding",
            index: index as u32,
            embedding: match inputs.format {
                Format::Float => EmbeddingVector::Float(v),
                Format::Base64 => EmbeddingVector::Base64(base64(&v)),
            },
        })
        .collect();
    serde_json::to_value(EmbeddingList {
        object: "list",
        data,
        model: model_id.to_string(),
        usage: EmbeddingUsage {
            prompt_tokens,
            total_tokens: prompt_tokens,
        },
    })
    .map_err(|e| ApiError::internal(format!("Antwort nicht erstellbar: {e}")))
}

fn base64(v: &[f32]) -> String {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
