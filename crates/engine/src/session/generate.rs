//! One prompt to completion ([`Engine::generate`]), for the command line,
//! benchmarks and tests; a server batches many with [`Engine::step`]
//! instead. With a [`PromptLookup`], guessed tokens are checked several at
//! a time and the answer stays the same token for token.

use std::collections::VecDeque;
use std::sync::Arc;

use super::{BatchItem, DraftItem, Engine};
use crate::draft::{DraftStats, PromptLookup};
use crate::error::{Error, Result};
use crate::sampler::{Sampler, StopReason, TextStream};
use crate::tokenizer::TokenId;

/// Settings of one [`Engine::generate`] call.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub max_tokens: usize,
    pub sampler: crate::sampler::SamplerOptions,
    /// Strings that end the answer (not included in it).
    pub stop: Vec<String>,
    /// Tokens that end the answer besides the model's EOS/EOT.
    pub stop_tokens: Vec<TokenId>,
    /// Speculative decoding by prompt lookup; `None`: one token per step.
    pub draft: Option<PromptLookup>,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            max_tokens: 256,
            sampler: crate::sampler::SamplerOptions::default(),
            stop: Vec::new(),
            stop_tokens: Vec::new(),
            draft: None,
        }
    }
}

/// The result of [`Engine::generate`].
#[derive(Debug, Clone)]
pub struct Generation {
    pub tokens: Vec<TokenId>,
    pub text: String,
    pub stop: StopReason,
    pub prompt_tokens: usize,
    /// Leading prompt tokens taken from the prefix cache.
    pub cached_tokens: usize,
    pub prompt_seconds: f64,
    pub generate_seconds: f64,
    /// Guessed and confirmed tokens of speculative decoding.
    pub drafts: DraftStats,
}

impl Engine {
    /// Runs one prompt to completion in a fresh sequence, calling `on_text`
    /// with each piece of text as soon as it is safe to show; `on_text`
    /// returning `false` cancels.
    pub fn generate(
        &mut self,
        prompt: &[TokenId],
        opts: &GenerateOptions,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation> {
        if prompt.is_empty() {
            return Err(Error::Invalid("empty prompt".into()));
        }
        let n_ctx = self.options().n_ctx;
        if prompt.len() > n_ctx {
            return Err(Error::ContextFull {
                tokens: prompt.len(),
                context: n_ctx,
            });
        }
        let (seq, cached) = self.new_sequence_for(prompt);
        let result = (|| {
            let mut sampler = Sampler::new(opts.sampler.clone());
            prompt.iter().for_each(|&t| sampler.accept(t));
            let mut stream = TextStream::new(opts.stop.clone());
            let mut text = String::new();
            let mut tokens = Vec::new();
            let mut drafts = DraftStats::default();
            let t0 = std::time::Instant::now();
            // Logits not sampled yet: one after a plain step, one per
            // token after a step that checked guesses.
            let mut pending: VecDeque<Vec<f32>> = self
                .step(&[BatchItem {
                    seq,
                    tokens: &prompt[cached..],
                    logits: true,
                }])?
                .pop()
                .flatten()
                .into_iter()
                .collect();
            // Guessed tokens fed after the last sampled one, unconfirmed.
            let mut guesses: VecDeque<TokenId> = VecDeque::new();
            let prompt_seconds = t0.elapsed().as_secs_f64();
            let t1 = std::time::Instant::now();
            let model = Arc::clone(self.model());
            let tok = &model.tokenizer;
            let mut history = prompt.to_vec();
            let stop = loop {
                if tokens.len() >= opts.max_tokens {
                    break StopReason::MaxTokens;
                }
                let logits = pending.pop_front().unwrap_or_default();
                let next = sampler.sample(&logits);
                if tok.is_end_of_generation(next) || opts.stop_tokens.contains(&next) {
                    break StopReason::Token(next);
                }
                tokens.push(next);
                history.push(next);
                sampler.accept(next);
                let (piece, hit) = stream.push(&tok.token_bytes(next, false));
                text.push_str(&piece);
                if !piece.is_empty() && !on_text(&piece) {
                    break StopReason::Cancelled;
                }
                if let Some(s) = hit {
                    break StopReason::String(s);
                }
                if prompt.len() + tokens.len() > n_ctx {
                    break StopReason::ContextFull;
                }
                if guesses.front() == Some(&next) {
                    // Already fed, and its logits are next in `pending`.
                    guesses.pop_front();
                    drafts.accepted += 1;
                    continue;
                }
                if !guesses.is_empty() {
                    let len = self.sequence_len(seq).unwrap_or(0);
                    self.truncate_sequence(seq, len - guesses.len())?;
                    guesses.clear();
                    pending.clear();
                }
                // Room for guesses: within the context, and no further than
                // the answer may go.
                let room = (n_ctx - prompt.len() - tokens.len())
                    .min(opts.max_tokens - tokens.len())
                    .saturating_sub(1);
                let guess = opts
                    .draft
                    .map(|d| d.draft(&history, room))
                    .unwrap_or_default();
                if guess.is_empty() {
                    let fed = [next];
                    pending.extend(
                        self.step(&[BatchItem {
                            seq,
                            tokens: &fed,
                            logits: true,
                        }])?
                        .pop()
                        .flatten(),
                    );
                } else {
                    drafts.drafted += guess.len() as u64;
                    let mut fed = vec![next];
                    fed.extend_from_slice(&guess);
                    let (_, checked) = self.step_drafts(&[], &[DraftItem { seq, tokens: &fed }])?;
                    pending.extend(checked.into_iter().flatten());
                    guesses.extend(guess);
                }
            };
            if !matches!(stop, StopReason::String(_) | StopReason::Cancelled) {
                let rest = stream.finish();
                if !rest.is_empty() {
                    on_text(&rest);
                    text.push_str(&rest);
                }
            }
            Ok(Generation {
                tokens,
                text,
                stop,
                prompt_tokens: prompt.len(),
                cached_tokens: cached,
                prompt_seconds,
                generate_seconds: t1.elapsed().as_secs_f64(),
                drafts,
            })
        })();
        self.remove_sequence(seq);
        result
    }
}
