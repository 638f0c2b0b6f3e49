//! The built-in engine as a backend: prompts are rendered and checked
//! against the context here, on the request's task, and then queued for the
//! [`scheduler`] thread, which batches all running requests together.

pub mod constraint;
pub mod embeddings;
pub mod scheduler;
pub mod schema;
pub mod tool_calls;

use std::sync::atomic::Ordering;
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::Arc;

use engine::draft::PromptLookup;
use engine::{ChatTemplate, Engine, EngineOptions, Model, SamplerOptions, TokenId};
use tokio::sync::mpsc::unbounded_channel;

pub use scheduler::{Limits, Stats};
use schema::Grammar;

use crate::backend::Events;
use crate::error::ApiError;
use crate::request::{GenerateRequest, Input};

/// Settings of the local backend.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// The name clients use in `model`.
    pub model_id: String,
    pub engine: EngineOptions,
    pub limits: Limits,
    /// Requests waiting for a slot; beyond this, 429.
    pub queue: usize,
    /// Sampling for what a request leaves open, from the model catalogue's
    /// entry for this file; used where the file itself names none
    /// (`general.sampling.*`).
    pub sampling: Option<SamplerOptions>,
}

/// The local model as configured (`[gateway.local]`); `model` may also
/// come from `ki-reise serve --model FILE`.
#[derive(Debug, Clone, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LocalConfig {
    /// The GGUF file; none: no local model.
    pub model: Option<std::path::PathBuf>,
    /// The name clients use; default: the file name without `.gguf`.
    pub model_id: Option<String>,
    /// Engine threads; default: physical cores.
    pub threads: Option<usize>,
    /// Context length per request, in tokens.
    pub context: usize,
    /// Requests decoded side by side.
    pub max_sequences: usize,
    /// KV cache budget over all running requests, in tokens.
    pub max_kv_tokens: usize,
    /// Prompt tokens per step.
    pub prefill_chunk: usize,
    /// Memory for the KV blocks of recent prompts (assistant instructions,
    /// chat histories), reused by requests with the same beginning, in MiB;
    /// 0 turns the prefix cache off.
    pub prefix_cache_mb: usize,
    /// Speculative decoding by prompt lookup: answers that copy from the
    /// prompt (summaries, extraction) come faster, and stay the same.
    pub speculative: bool,
    /// How the KV cache stores keys and values: `f16` (default, answers
    /// identical to llama.cpp's) or `q8_0` (47 % less memory per user and
    /// faster decoding of long contexts, slightly slower prompts).
    #[serde(deserialize_with = "kv_cache")]
    pub kv_cache: engine::KvType,
    /// Requests waiting for a slot before 429.
    pub queue: usize,
    /// Set by `ki-reise serve` when `model` is the one chosen in the
    /// portal, which the portal may then switch while running; a model
    /// named by `--model` or the config file stays.
    #[serde(skip)]
    pub chosen_in_portal: bool,
}

impl Default for LocalConfig {
    fn default() -> Self {
        let limits = Limits::default();
        Self {
            model: None,
            model_id: None,
            threads: None,
            context: 4096,
            max_sequences: limits.max_sequences,
            max_kv_tokens: limits.max_total_tokens,
            prefill_chunk: limits.prefill_chunk,
            prefix_cache_mb: engine::session::DEFAULT_PREFIX_CACHE_BYTES >> 20,
            speculative: limits.draft.is_some(),
            queue: 64,
            kv_cache: engine::KvType::default(),
            chosen_in_portal: false,
        }
    }
}

impl LocalConfig {
    /// The model id clients use for `path`.
    pub fn model_id_for(&self, path: &std::path::Path) -> String {
        self.model_id
            .clone()
            .unwrap_or_else(|| model_id_from_file(path))
    }

    pub fn options(&self, model_id: String) -> LocalOptions {
        LocalOptions {
            model_id,
            engine: EngineOptions {
                threads: self.threads.unwrap_or_else(engine::session::physical_cores),
                n_ctx: self.context,
                prefix_cache_bytes: self.prefix_cache_mb << 20,
                kv_type: self.kv_cache,
                ..EngineOptions::default()
            },
            limits: Limits {
                max_sequences: self.max_sequences,
                max_total_tokens: self.max_kv_tokens,
                prefill_chunk: self.prefill_chunk,
                draft: self.speculative.then(PromptLookup::default),
            },
            queue: self.queue,
            sampling: None,
        }
    }
}

/// The catalogue's sampling for a model, each value it leaves open taken
/// from [`SamplerOptions::recommended`].
pub fn catalogue_sampling(s: &journey::models::Sampling) -> SamplerOptions {
    let mut o = SamplerOptions::recommended();
    o.temperature = s.temperature;
    if let Some(v) = s.top_p {
        o.top_p = v;
    }
    if let Some(v) = s.top_k {
        o.top_k = v as usize;
    }
    if let Some(v) = s.min_p {
        o.min_p = v;
    }
    if let Some(v) = s.repeat_penalty {
        o.repeat_penalty = v;
    }
    o
}

/// The catalogue's sampling for the model file `path`, matched by file
/// name (the name the portal downloads it under).
pub fn sampling_for_file(
    catalogue: &journey::models::Catalogue,
    path: &std::path::Path,
) -> Option<SamplerOptions> {
    let name = path.file_name()?.to_str()?;
    catalogue
        .models
        .iter()
        .find(|m| m.quants.iter().any(|q| q.file == name))
        .map(|m| catalogue_sampling(&m.sampling))
}

/// Maps the GGUF file at `path` and starts the engine on it as configured,
/// with the catalogue's sampling where the file names none: what the
/// portal does when an administrator switches the local model.
pub fn load(
    path: &std::path::Path,
    config: &LocalConfig,
    catalogue: Option<&journey::models::Catalogue>,
) -> Result<LocalBackend, ApiError> {
    let model = Model::load(path).map_err(|e| {
        ApiError::invalid(
            "model",
            format!("Die Modelldatei lässt sich nicht laden: {e}"),
        )
    })?;
    let mut options = config.options(config.model_id_for(path));
    options.sampling = catalogue.and_then(|c| sampling_for_file(c, path));
    LocalBackend::start(model.shared(), options)
}

/// Whether the GGUF file states any sampling of its own.
fn names_sampling(model: &Model) -> bool {
    ["temp", "top_p", "top_k", "min_p", "penalty_repeat"]
        .iter()
        .any(|k| {
            model
                .header()
                .get(&format!("general.sampling.{k}"))
                .is_some()
        })
}

fn kv_cache<'de, D: serde::Deserializer<'de>>(d: D) -> Result<engine::KvType, D::Error> {
    let name = <String as serde::Deserialize>::deserialize(d)?;
    engine::KvType::parse(&name).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "„{name}“ ist kein Typ des KV-Caches; erlaubt sind „f16“ und „q8_0“"
        ))
    })
}

/// The model id for a GGUF file: its name without `.gguf`, in lower case.
pub(crate) fn model_id_from_file(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".gguf").to_lowercase())
        .unwrap_or_else(|| "lokal".into())
}

/// A model served by the engine on this machine.
pub struct LocalBackend {
    model_id: String,
    model: Arc<Model>,
    template: ChatTemplate,
    /// The model's sampling for what a request leaves open.
    sampling: Box<SamplerOptions>,
    n_ctx: usize,
    queue: SyncSender<scheduler::Job>,
    stats: Arc<Stats>,
}

impl std::fmt::Debug for LocalBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBackend")
            .field("model_id", &self.model_id)
            .field("n_ctx", &self.n_ctx)
            .finish_non_exhaustive()
    }
}

/// A prompt ready to queue.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub tokens: Vec<TokenId>,
    pub max_tokens: usize,
    pub constraint: Option<Arc<Grammar>>,
    pub tool_calls: bool,
    pub lazy: Option<Arc<Grammar>>,
}

impl LocalBackend {
    /// Starts the scheduler thread for `model`.
    pub fn start(model: Arc<Model>, opts: LocalOptions) -> Result<LocalBackend, ApiError> {
        let template = model.template().map_err(|e| {
            ApiError::internal(format!("Die Chat-Vorlage des Modells ist fehlerhaft: {e}"))
        })?;
        let n_ctx = opts.engine.n_ctx;
        let (queue, jobs) = sync_channel(opts.queue.max(1));
        let stats = Arc::new(Stats::default());
        let engine = Engine::new(model.clone(), opts.engine);
        let sched = scheduler::Scheduler::new(engine, jobs, opts.limits, stats.clone());
        std::thread::Builder::new()
            .name("ki-reise-scheduler".into())
            .spawn(move || sched.run())
            .map_err(|e| ApiError::internal(format!("Der Scheduler startet nicht: {e}")))?;
        // The file's own word first, then the catalogue's, then the
        // recommendation.
        let sampling = match opts.sampling {
            Some(catalogue) if !names_sampling(&model) => catalogue,
            _ => model.sampling_defaults(),
        };
        Ok(LocalBackend {
            model_id: opts.model_id,
            sampling: Box::new(sampling),
            model,
            template,
            n_ctx,
            queue,
            stats,
        })
    }

    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// The name to show people: the model's own (GGUF `general.name`),
    /// else its id.
    pub fn display_name(&self) -> &str {
        self.model
            .header()
            .get_str("general.name")
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(&self.model_id)
    }

    pub fn context_length(&self) -> usize {
        self.n_ctx
    }

    /// Sampling for what a request leaves open.
    pub fn sampling_defaults(&self) -> &SamplerOptions {
        &self.sampling
    }

    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// Renders and tokenises the prompt; refuses prompts and `max_tokens`
    /// that do not fit into the context.
    pub fn prepare(&self, req: &GenerateRequest) -> Result<Prepared, ApiError> {
        let tokenizer = &self.model.tokenizer;
        let p = &req.params;
        let tool_plan = tool_calls::plan(&p.tools, &p.tool_choice)?;
        if tool_plan.is_some() && (p.json_object || p.json_schema.is_some()) {
            return Err(ApiError::invalid(
                "response_format",
                "Das lokale Modell kann nicht zugleich Funktionen aufrufen und einem Antwortformat folgen; bitte „tool_choice“: „none“ oder kein „response_format“.",
            ));
        }
        let (tokens, param) = match &req.input {
            Input::Chat(messages) => {
                let described;
                let (messages, tools) = match &tool_plan {
                    None => (messages.as_slice(), None),
                    Some(_) if self.template.reads_tools() => (
                        messages.as_slice(),
                        Some(serde_json::Value::Array(p.tools.clone())),
                    ),
                    Some(_) => {
                        described = tool_calls::describe(messages, &p.tools);
                        (described.as_slice(), None)
                    }
                };
                let rendered = engine::prompt::render(
                    &self.template,
                    tokenizer,
                    messages,
                    tools.as_ref(),
                    true,
                )
                .map_err(|e| {
                    ApiError::invalid(
                        "messages",
                        format!("Die Nachrichten passen nicht zur Chat-Vorlage des Modells: {e}"),
                    )
                })?;
                (rendered.tokens(tokenizer), "messages")
            }
            // A raw prompt is the client's own markup, control tokens included.
            Input::Text(t) => (tokenizer.encode(t, true, true), "prompt"),
        };
        let n_ctx = self.n_ctx;
        if tokens.len() >= n_ctx {
            return Err(ApiError::invalid(
                param,
                format!(
                    "Die Eingabe ist mit {} Token zu lang für das Modell „{}“ (Kontext: {n_ctx} Token, davon mindestens eines für die Antwort).",
                    tokens.len(),
                    self.model_id
                ),
            )
            .with_code("context_length_exceeded"));
        }
        let room = n_ctx - tokens.len();
        let max_tokens = match req.params.max_tokens {
            Some(m) if m as usize > room => {
                return Err(ApiError::invalid(
                    "max_tokens",
                    format!(
                        "max_tokens = {m} passt nicht in den Kontext: {} Token Eingabe plus {m} Token Antwort sind mehr als {n_ctx}. Höchstens {room} sind möglich.",
                        tokens.len()
                    ),
                )
                .with_code("context_length_exceeded"));
            }
            Some(m) => m as usize,
            None => room,
        };
        let (constraint, lazy) = match tool_plan {
            Some(plan) => (plan.forced, plan.lazy),
            None => (constraint(p)?, None),
        };
        Ok(Prepared {
            tokens,
            max_tokens,
            constraint,
            tool_calls: lazy.is_some()
                || !p.tools.is_empty() && p.tool_choice != crate::request::ToolChoice::None,
            lazy,
        })
    }

    /// Queues a prepared request; a full queue is 429.
    pub fn submit(&self, req: &GenerateRequest, prepared: Prepared) -> Result<Events, ApiError> {
        let p = &req.params;
        let sampler = sampler_options(p, &self.sampling);
        let (tx, rx) = unbounded_channel();
        let job = scheduler::Job {
            prompt: prepared.tokens,
            max_tokens: prepared.max_tokens,
            sampler,
            stop: p.stop.clone(),
            ignore_eos: p.ignore_eos && prepared.constraint.is_none() && !prepared.tool_calls,
            constraint: prepared.constraint,
            logprobs: p.logprobs,
            tool_calls: prepared.tool_calls,
            lazy: prepared.lazy,
            events: tx,
        };
        self.stats.queued.fetch_add(1, Ordering::Relaxed);
        match self.queue.try_send(job) {
            Ok(()) => Ok(rx),
            Err(TrySendError::Full(_)) => {
                self.stats.queued.fetch_sub(1, Ordering::Relaxed);
                Err(ApiError::queue_full(1))
            }
            Err(TrySendError::Disconnected(_)) => {
                self.stats.queued.fetch_sub(1, Ordering::Relaxed);
                Err(ApiError::unavailable(
                    "Das lokale Modell läuft nicht mehr. Bitte starten Sie ki-reise neu.",
                ))
            }
        }
    }
}

/// The grammar the answer must follow, if any; a schema the constrained
/// decoder cannot enforce is refused naming the keyword.
fn constraint(p: &crate::request::Params) -> Result<Option<Arc<Grammar>>, ApiError> {
    if let Some(schema) = &p.json_schema {
        let g = Grammar::from_schema(schema).map_err(|e| {
            ApiError::invalid(
                "response_format.json_schema.schema",
                format!("Schema an der Stelle {}: {}", e.path, e.message),
            )
            .with_code("unsupported_schema")
        })?;
        return Ok(Some(Arc::new(g)));
    }
    Ok(p.json_object.then(|| Arc::new(Grammar::any_object())))
}

/// The request's sampling settings; what it leaves open comes from the
/// model's defaults (`defaults`), as llama-server does it.
pub fn sampler_options(p: &crate::request::Params, defaults: &SamplerOptions) -> SamplerOptions {
    SamplerOptions {
        temperature: p.temperature.unwrap_or(defaults.temperature),
        top_k: p.top_k.unwrap_or(defaults.top_k),
        top_p: p.top_p.unwrap_or(defaults.top_p),
        min_p: p.min_p.unwrap_or(defaults.min_p),
        repeat_penalty: p.repeat_penalty.unwrap_or(defaults.repeat_penalty),
        presence_penalty: p.presence_penalty.unwrap_or(defaults.presence_penalty),
        frequency_penalty: p.frequency_penalty.unwrap_or(defaults.frequency_penalty),
        penalty_last_n: defaults.penalty_last_n,
        // Negative seeds are as valid as positive ones in OpenAI's API.
        seed: p.seed.map_or_else(random_seed, |s| s as u64),
    }
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Params;

    #[test]
    fn a_request_without_sampling_settings_gets_the_models_defaults_not_temperature_one() {
        let o = sampler_options(&Params::default(), &SamplerOptions::recommended());
        assert_eq!(
            (o.temperature, o.top_k, o.top_p, o.min_p),
            (0.8, 40, 0.95, 0.05)
        );
    }

    #[test]
    fn what_a_request_sets_wins_and_the_rest_stays_the_models() {
        let p = Params {
            temperature: Some(0.0),
            top_k: Some(5),
            seed: Some(-1),
            ..Params::default()
        };
        let o = sampler_options(&p, &SamplerOptions::recommended());
        assert_eq!((o.temperature, o.top_k, o.top_p), (0.0, 5, 0.95));
        assert_eq!(o.seed, u64::MAX);
    }
}
