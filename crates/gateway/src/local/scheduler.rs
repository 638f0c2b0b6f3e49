//! Continuous batching: one thread owns the [`Engine`]; every iteration
//! it admits waiting requests while slots and KV budget allow, builds one
//! batch of a decode token per running sequence plus the next prompt
//! chunk(s), runs one [`Engine::step`], and samples each sequence with its
//! own seeded sampler. A request whose receiver is gone (the client hung
//! up) leaves the batch before the next step.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;

use engine::draft::PromptLookup;
use engine::sampler::{StopReason, TextStream};
use engine::{BatchItem, DraftItem, Engine, Sampler, SamplerOptions, SeqId, TokenId};
use tokio::sync::mpsc::UnboundedSender;

use super::constraint::Matcher;
use super::schema::Grammar;
use super::tool_calls::CallParser;
use crate::backend::Event;
use crate::error::ApiError;
use crate::openai::{FinishReason, TokenLogprob, TopLogprob, Usage};

/// Capacity of the scheduler.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Sequences decoded side by side (KV slots).
    pub max_sequences: usize,
    /// Tokens reserved in the KV cache across all sequences (prompt plus
    /// `max_tokens` of each); one request is always admitted when idle.
    pub max_total_tokens: usize,
    /// Prompt tokens fed per step, so that long prompts do not stall the
    /// decoding of others.
    pub prefill_chunk: usize,
    /// Speculative decoding by prompt lookup: guessed tokens checked in
    /// the same step (the answers stay the same); `None`: off.
    pub draft: Option<PromptLookup>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_sequences: 16,
            max_total_tokens: 32_768,
            prefill_chunk: 256,
            draft: None,
        }
    }
}

/// Counters shared with the HTTP side, for metrics and tests.
#[derive(Debug, Default)]
pub struct Stats {
    pub queued: AtomicUsize,
    pub running: AtomicUsize,
    pub steps: AtomicU64,
    pub tokens_generated: AtomicU64,
    pub prompt_tokens: AtomicU64,
    /// Requests that started from a cached prompt prefix, and those that
    /// found none.
    pub prefix_hits: AtomicU64,
    pub prefix_misses: AtomicU64,
    /// Prompt tokens taken from the prefix cache instead of computed.
    pub prefix_hit_tokens: AtomicU64,
    /// Memory the prefix cache holds now.
    pub prefix_cache_bytes: AtomicU64,
    /// Tokens guessed by prompt lookup, and those the model confirmed.
    pub drafted_tokens: AtomicU64,
    pub accepted_tokens: AtomicU64,
}

impl Stats {
    fn record_prefix_cache(&self, engine: &Engine) {
        let c = engine.stats().prefix_cache;
        self.prefix_hits.store(c.hits, Ordering::Relaxed);
        self.prefix_misses.store(c.misses, Ordering::Relaxed);
        self.prefix_hit_tokens
            .store(c.hit_tokens, Ordering::Relaxed);
        self.prefix_cache_bytes
            .store(c.bytes as u64, Ordering::Relaxed);
    }
}

/// One admitted-to-be request.
pub(crate) struct Job {
    pub prompt: Vec<TokenId>,
    pub max_tokens: usize,
    pub sampler: SamplerOptions,
    pub stop: Vec<String>,
    /// Output limited to this grammar (JSON mode, a schema, tool calls).
    pub constraint: Option<Arc<Grammar>>,
    /// Log probabilities with this many alternatives per token.
    pub logprobs: Option<u8>,
    /// Tool calls are read out of the text; `lazy` binds once the model
    /// opens a call by itself.
    pub tool_calls: bool,
    pub lazy: Option<Arc<Grammar>>,
    pub ignore_eos: bool,
    pub events: UnboundedSender<Event>,
}

struct Running {
    seq: SeqId,
    job: Job,
    /// Prompt tokens already in the KV cache.
    fed: usize,
    /// The token sampled last and not yet fed.
    next: Option<TokenId>,
    /// The prompt and the tokens sampled so far, for prompt lookup.
    history: Vec<TokenId>,
    generated: usize,
    sampler: Sampler,
    text: TextStream,
    constraint: Option<Matcher>,
    calls: Option<CallParser>,
    reserved: usize,
}

/// One sequence's part of a step.
struct Planned {
    /// Index into `running`.
    i: usize,
    /// A prompt chunk, or the token sampled last (and guesses after it).
    tokens: Vec<TokenId>,
    logits: bool,
    /// Guesses to check: logits after every token.
    check: bool,
}

/// What a sampled token means for its sequence.
enum Outcome {
    Continue,
    Finished(FinishReason),
}

pub(crate) struct Scheduler {
    engine: Engine,
    jobs: Receiver<Job>,
    limits: Limits,
    stats: Arc<Stats>,
    vocab: Arc<Vec<Vec<u8>>>,
    running: Vec<Running>,
    waiting: Option<Job>,
    reserved: usize,
}

impl Scheduler {
    pub fn new(engine: Engine, jobs: Receiver<Job>, limits: Limits, stats: Arc<Stats>) -> Self {
        let tok = &engine.model().tokenizer;
        let vocab = (0..tok.vocab_size() as TokenId)
            .map(|t| tok.token_bytes(t, false))
            .collect();
        Self {
            engine,
            jobs,
            limits,
            stats,
            vocab: Arc::new(vocab),
            running: Vec::new(),
            waiting: None,
            reserved: 0,
        }
    }

    /// Runs until every sender of jobs is gone and nothing is left to do.
    pub fn run(mut self) {
        loop {
            self.drop_cancelled();
            if !self.admit() {
                return;
            }
            if self.running.is_empty() {
                continue;
            }
            self.step();
        }
    }

    fn drop_cancelled(&mut self) {
        let engine = &mut self.engine;
        let mut freed = 0;
        self.running.retain(|r| {
            if r.job.events.is_closed() {
                engine.remove_sequence(r.seq);
                freed += r.reserved;
                false
            } else {
                true
            }
        });
        self.reserved -= freed;
        self.stats
            .running
            .store(self.running.len(), Ordering::Relaxed);
    }

    fn next_job(&mut self, block: bool) -> Option<Result<Job, ()>> {
        if let Some(job) = self.waiting.take() {
            return Some(Ok(job));
        }
        let got = if block {
            self.jobs.recv().map_err(|_| ())
        } else {
            match self.jobs.try_recv() {
                Ok(job) => Ok(job),
                Err(TryRecvError::Empty) => return None,
                Err(TryRecvError::Disconnected) => Err(()),
            }
        };
        if got.is_ok() {
            self.stats.queued.fetch_sub(1, Ordering::Relaxed);
        }
        Some(got)
    }

    /// Moves waiting jobs into free slots. Returns `false` when the channel
    /// is closed and nothing runs any more.
    fn admit(&mut self) -> bool {
        while self.running.len() < self.limits.max_sequences {
            let job = match self.next_job(self.running.is_empty()) {
                None => break,
                Some(Err(())) => return !self.running.is_empty(),
                Some(Ok(job)) => job,
            };
            if job.events.is_closed() {
                continue;
            }
            let need = job.prompt.len() + job.max_tokens;
            if !self.running.is_empty() && self.reserved + need > self.limits.max_total_tokens {
                self.waiting = Some(job);
                break;
            }
            self.reserved += need;
            let mut sampler = Sampler::new(job.sampler.clone());
            job.prompt.iter().for_each(|&t| sampler.accept(t));
            let (seq, cached) = self.engine.new_sequence_for(&job.prompt);
            self.stats.record_prefix_cache(&self.engine);
            self.running.push(Running {
                seq,
                history: job.prompt.clone(),
                text: TextStream::new(job.stop.clone()),
                constraint: job.constraint.clone().map(Matcher::new),
                calls: job.tool_calls.then(CallParser::default),
                job,
                fed: cached,
                next: None,
                generated: 0,
                sampler,
                reserved: need,
            });
        }
        self.stats
            .running
            .store(self.running.len(), Ordering::Relaxed);
        true
    }

    fn step(&mut self) {
        let mut budget = self.limits.prefill_chunk.max(1);
        let n_ctx = self.engine.options().n_ctx;
        let mut plan: Vec<Planned> = Vec::new();
        for (i, r) in self.running.iter().enumerate() {
            if let Some(t) = r.next {
                let mut tokens = vec![t];
                if let Some(lookup) = &self.limits.draft {
                    let len = self.engine.sequence_len(r.seq).unwrap_or(n_ctx);
                    let room = n_ctx
                        .saturating_sub(len + 1)
                        .min(r.job.max_tokens.saturating_sub(r.generated));
                    tokens.extend(lookup.draft(&r.history, room));
                }
                plan.push(Planned {
                    i,
                    check: tokens.len() > 1,
                    tokens,
                    logits: true,
                });
            } else if r.fed < r.job.prompt.len() && budget > 0 {
                let left = r.job.prompt.len() - r.fed;
                let mut take = budget.min(left);
                // A one-token chunk would take the engine's decode path for
                // a prompt token, so where it lands would depend on the
                // other requests; chunks of one happen only for one-token
                // prompts, which are alike however they are batched.
                if left - take == 1 || (take == 1 && left > 1) {
                    take += 1;
                }
                budget = budget.saturating_sub(take);
                let end = r.fed + take;
                plan.push(Planned {
                    i,
                    tokens: r.job.prompt[r.fed..end].to_vec(),
                    logits: end == r.job.prompt.len(),
                    check: false,
                });
            }
        }
        if plan.is_empty() {
            return;
        }
        let (checks, plain): (Vec<&Planned>, Vec<&Planned>) = plan.iter().partition(|p| p.check);
        let batch: Vec<BatchItem<'_>> = plain
            .iter()
            .map(|p| BatchItem {
                seq: self.running[p.i].seq,
                tokens: &p.tokens,
                logits: p.logits,
            })
            .collect();
        let drafts: Vec<DraftItem<'_>> = checks
            .iter()
            .map(|p| DraftItem {
                seq: self.running[p.i].seq,
                tokens: &p.tokens,
            })
            .collect();
        let before: Vec<usize> = checks
            .iter()
            .map(|p| {
                self.engine
                    .sequence_len(self.running[p.i].seq)
                    .unwrap_or(n_ctx)
            })
            .collect();
        let result = self.engine.step_drafts(&batch, &drafts);
        self.stats.steps.fetch_add(1, Ordering::Relaxed);
        let (logits, checked) = match result {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(error = %e, "engine step failed");
                let mut failed: Vec<usize> = plan.iter().map(|p| p.i).collect();
                failed.sort_unstable();
                for &i in failed.iter().rev() {
                    let r = &self.running[i];
                    let _ = r.job.events.send(Event::Failed(ApiError::internal(format!(
                        "Das lokale Modell konnte die Anfrage nicht verarbeiten: {e}"
                    ))));
                    self.finish(i);
                }
                return;
            }
        };
        let mut done = Vec::new();
        for (p, logits) in plain.iter().zip(logits) {
            let r = &mut self.running[p.i];
            if r.next.take().is_none() {
                r.fed += p.tokens.len();
                self.stats
                    .prompt_tokens
                    .fetch_add(p.tokens.len() as u64, Ordering::Relaxed);
            }
            let Some(logits) = logits else {
                continue;
            };
            let len = self.engine.sequence_len(r.seq).unwrap_or(n_ctx);
            if let Outcome::Finished(reason) =
                sample(r, logits, &self.engine, &self.vocab, len, n_ctx)
            {
                finished(r, reason);
                done.push(p.i);
            } else {
                self.stats.tokens_generated.fetch_add(1, Ordering::Relaxed);
            }
        }
        for ((p, all), base) in checks.iter().zip(checked).zip(before) {
            let r = &mut self.running[p.i];
            r.next = None;
            let guesses = p.tokens.len() as u64 - 1;
            let mut confirmed = 0;
            // Sampled in order, as if decoded one by one: each guess that
            // matches what is sampled is already in the cache with the
            // logits after it.
            let mut ended = None;
            for (j, logits) in all.into_iter().enumerate() {
                let len = base + j + 1;
                if let Outcome::Finished(reason) =
                    sample(r, logits, &self.engine, &self.vocab, len, n_ctx)
                {
                    ended = Some(reason);
                    break;
                }
                self.stats.tokens_generated.fetch_add(1, Ordering::Relaxed);
                if p.tokens.get(j + 1) == r.next.as_ref() {
                    r.next = None;
                    confirmed += 1;
                    continue;
                }
                // The rest of the guesses are wrong: forget them.
                if let Err(e) = self.engine.truncate_sequence(r.seq, len) {
                    tracing::error!(error = %e, "dropping unconfirmed guesses failed");
                }
                break;
            }
            self.stats
                .drafted_tokens
                .fetch_add(guesses, Ordering::Relaxed);
            self.stats
                .accepted_tokens
                .fetch_add(confirmed, Ordering::Relaxed);
            // Counted before the client hears the answer is done, so that
            // the metrics it reads next include this answer's guesses.
            if let Some(reason) = ended {
                finished(r, reason);
                done.push(p.i);
            }
        }
        done.sort_unstable();
        for &i in done.iter().rev() {
            self.finish(i);
        }
    }

    fn finish(&mut self, i: usize) {
        let r = self.running.remove(i);
        self.engine.remove_sequence(r.seq);
        self.stats.record_prefix_cache(&self.engine);
        self.reserved -= r.reserved;
        self.stats
            .running
            .store(self.running.len(), Ordering::Relaxed);
    }
}

/// Samples the next token of `r`, sends its text and says whether the
/// sequence goes on.
fn sample(
    r: &mut Running,
    mut logits: Vec<f32>,
    engine: &Engine,
    vocab: &[Vec<u8>],
    len: usize,
    n_ctx: usize,
) -> Outcome {
    let tok = &engine.model().tokenizer;
    // Of the model's distribution, before any mask.
    let raw = r.job.logprobs.map(|_| logits.clone());
    let mut next = r.sampler.sample(&logits);
    if let Some(m) = &r.constraint {
        // Checking the one token sampled is cheap; masking the whole
        // vocabulary is needed only when it does not fit (as llama.cpp
        // does it). Greedy choices are the same either way.
        let fits = if tok.is_end_of_generation(next) {
            m.can_end()
        } else {
            m.accepts(&vocab[next as usize])
        };
        if !fits {
            if !m.mask(&mut logits, vocab, |t| tok.is_end_of_generation(t)) {
                // No token continues the value: it stays incomplete, and
                // the answer says so rather than inventing an end.
                return flush(r, StopReason::MaxTokens);
            }
            next = r.sampler.sample(&logits);
        }
    }
    if tok.is_end_of_generation(next) && !r.job.ignore_eos {
        return flush(r, StopReason::Token(next));
    }
    r.generated += 1;
    r.sampler.accept(next);
    r.history.push(next);
    if let (Some(k), Some(raw)) = (r.job.logprobs, raw) {
        let _ = r
            .job
            .events
            .send(Event::Logprob(logprob(&raw, next, k, vocab)));
    }
    let bytes = &vocab[next as usize];
    if let Some(m) = &mut r.constraint {
        m.advance(bytes);
    }
    let (piece, hit) = r.text.push(bytes);
    if !piece.is_empty() {
        emit(r, piece);
    }
    if let Some(stop) = hit {
        return flush(r, StopReason::String(stop));
    }
    if r.constraint.as_ref().is_some_and(Matcher::is_finished) {
        return flush(r, StopReason::Token(next));
    }
    if r.generated >= r.job.max_tokens || len + 1 > n_ctx {
        return flush(r, StopReason::MaxTokens);
    }
    r.next = Some(next);
    Outcome::Continue
}

/// Tells the client that `r` is done.
fn finished(r: &Running, reason: FinishReason) {
    let usage = Usage::new(r.job.prompt.len() as u32, r.generated as u32);
    let _ = r.job.events.send(Event::Done {
        finish: reason,
        usage,
    });
}

/// The log-softmax of `logits` at `next`, with the `k` likeliest tokens.
fn logprob(logits: &[f32], next: TokenId, k: u8, vocab: &[Vec<u8>]) -> TokenLogprob {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f32 = logits.iter().map(|l| (l - max).exp()).sum();
    let norm = max + sum.ln();
    let entry = |t: usize| {
        let bytes = vocab.get(t).cloned().unwrap_or_default();
        (
            String::from_utf8_lossy(&bytes).into_owned(),
            logits[t] - norm,
            bytes,
        )
    };
    let mut order: Vec<usize> = (0..logits.len()).collect();
    let k = usize::from(k).min(order.len());
    if k > 0 {
        order.select_nth_unstable_by(k - 1, |&a, &b| logits[b].total_cmp(&logits[a]));
        order.truncate(k);
        order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]));
    }
    let (token, logprob, bytes) = entry(next as usize);
    TokenLogprob {
        token,
        logprob,
        bytes,
        top_logprobs: order[..k]
            .iter()
            .map(|&t| {
                let (token, logprob, bytes) = entry(t);
                TopLogprob {
                    token,
                    logprob,
                    bytes,
                }
            })
            .collect(),
    }
}

/// Sends a piece of the answer, as text or, where it completes one, as
/// a tool call.
fn emit(r: &mut Running, piece: String) {
    let Some(parser) = &mut r.calls else {
        let _ = r.job.events.send(Event::Text(piece));
        return;
    };
    for e in parser.push(&piece) {
        let _ = r.job.events.send(e);
    }
    // The model opened a call by itself: from here the functions'
    // schemas bind, starting with what it wrote after the tag.
    if r.constraint.is_none() {
        if let (Some(g), Some(after)) = (&r.job.lazy, parser.open_call()) {
            let mut m = Matcher::new(g.clone());
            m.advance(after.as_bytes());
            r.constraint = Some(m);
        }
    }
}

fn flush(r: &mut Running, why: StopReason) -> Outcome {
    if !matches!(why, StopReason::String(_)) {
        let rest = r.text.finish();
        if !rest.is_empty() {
            emit(r, rest);
        }
    }
    let mut called = false;
    if let Some(parser) = &mut r.calls {
        if let Some(e) = parser.finish() {
            let _ = r.job.events.send(e);
        }
        called = parser.calls > 0;
    }
    Outcome::Finished(match why {
        StopReason::MaxTokens | StopReason::ContextFull => FinishReason::Length,
        _ if called => FinishReason::ToolCalls,
        _ => FinishReason::Stop,
    })
}
