//! The engine: a model, its sequences with their KV caches, the prefix
//! cache and the thread pool; starting, truncating and stepping sequences.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::kernels::ThreadPool;
use crate::kv::Sequence;
use crate::model::Model;
use crate::prefix_cache::PrefixCache;
use crate::tokenizer::TokenId;

use super::batch::{Part, Scratch};
use super::options::{BatchItem, DraftItem, EngineOptions, EngineStats, SeqId};

/// A model plus the mutable state of its sequences and its thread pool.
pub struct Engine {
    pub(super) model: Arc<Model>,
    pub(super) pool: ThreadPool,
    pub(super) opts: EngineOptions,
    pub(super) seqs: HashMap<SeqId, Sequence>,
    pub(super) next_id: SeqId,
    pub(super) prefix_cache: PrefixCache,
    pub(super) stats: EngineStats,
    pub(super) s: Scratch,
    /// While set, every forward pass appends each token's hidden state
    /// before the final norm (rows of `n_embd`): the hook [`crate::embed`]
    /// reads; decoding leaves it `None`.
    pub(crate) hidden: Option<Vec<f32>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("opts", &self.opts)
            .field("sequences", &self.seqs.len())
            .finish()
    }
}

impl Engine {
    pub fn new(model: Arc<Model>, mut opts: EngineOptions) -> Self {
        opts.threads = opts.threads.max(1);
        opts.n_ctx = opts.n_ctx.max(1);
        opts.max_batch_tokens = opts.max_batch_tokens.max(1);
        if !opts.kv_type.fits(model.config.head_dim) {
            opts.kv_type = super::KvType::F16;
        }
        Self {
            pool: ThreadPool::new(opts.threads),
            prefix_cache: PrefixCache::new(opts.prefix_cache_bytes),
            model,
            opts,
            seqs: HashMap::new(),
            next_id: 1,
            stats: EngineStats::default(),
            s: Scratch::default(),
            hidden: None,
        }
    }

    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    pub fn options(&self) -> &EngineOptions {
        &self.opts
    }

    /// KV cache bytes one token of context takes (K and V of every layer)
    /// in this engine's [`super::KvType`]: times the context of the
    /// concurrent sequences, the memory they need beside the weights.
    pub fn kv_bytes_per_token(&self) -> usize {
        self.opts.kv_type.bytes_per_token(&self.model.config)
    }

    /// Counters since the engine started.
    pub fn stats(&self) -> EngineStats {
        EngineStats {
            prefix_cache: self.prefix_cache.stats(),
            ..self.stats
        }
    }

    /// Starts an empty sequence.
    pub fn new_sequence(&mut self) -> SeqId {
        let id = self.next_id;
        self.next_id += 1;
        self.seqs.insert(id, Sequence::default());
        id
    }

    /// Starts a sequence for `prompt` from the longest prefix of it in the
    /// prefix cache. Returns the sequence and how many leading tokens of
    /// `prompt` it already holds; the caller feeds the rest. At least two
    /// tokens are always left to feed, so that the last ones go through
    /// the same prompt path as without the cache (a single token would
    /// take the decode path) and the answer stays the same bit for bit.
    pub fn new_sequence_for(&mut self, prompt: &[TokenId]) -> (SeqId, usize) {
        let (blocks, n) = self
            .prefix_cache
            .lookup(prompt, prompt.len().saturating_sub(2));
        let id = self.next_id;
        self.next_id += 1;
        self.seqs
            .insert(id, Sequence::from_prefix(blocks, &prompt[..n]));
        (id, n)
    }

    /// Frees a sequence; the KV blocks of its prompt stay in the prefix
    /// cache (within its budget) for later requests with the same prefix.
    pub fn remove_sequence(&mut self, id: SeqId) {
        if let Some(s) = self.seqs.remove(&id) {
            self.prefix_cache
                .insert(&s.tokens[..s.exact], &s.blocks, true);
        }
    }

    /// Tokens in the sequence's cache.
    pub fn sequence_len(&self, id: SeqId) -> Option<usize> {
        self.seqs.get(&id).map(|s| s.len)
    }

    /// Forgets everything after the first `len` tokens (to reuse a shared
    /// prompt prefix or retry).
    pub fn truncate_sequence(&mut self, id: SeqId, len: usize) -> Result<()> {
        let s = self.seqs.get_mut(&id).ok_or(Error::UnknownSequence(id))?;
        s.truncate(len);
        Ok(())
    }

    /// Advances the sequences in `batch` by their tokens in one forward pass
    /// (split when longer than `max_batch_tokens`). Returns, per item, the
    /// logits after its last token when it asked for them.
    pub fn step(&mut self, batch: &[BatchItem<'_>]) -> Result<Vec<Option<Vec<f32>>>> {
        Ok(self.step_drafts(batch, &[])?.0)
    }

    /// As [`Engine::step`], with, in the same forward pass, sequences that
    /// check guessed tokens ([`crate::draft`]): each token of a
    /// [`DraftItem`] is computed exactly as a decode step of its own would
    /// compute it, and the logits after every one of them come back (the
    /// second list). The caller keeps the guesses those logits confirm and
    /// truncates the sequence after the last token kept.
    #[allow(clippy::type_complexity)]
    pub fn step_drafts(
        &mut self,
        batch: &[BatchItem<'_>],
        drafts: &[DraftItem<'_>],
    ) -> Result<(Vec<Option<Vec<f32>>>, Vec<Vec<Vec<f32>>>)> {
        let parts: Vec<Part<'_>> = batch
            .iter()
            .map(|item| Part {
                seq: item.seq,
                tokens: item.tokens,
                every: false,
                logits: item.logits,
                decode: item.tokens.len() == 1,
            })
            .chain(drafts.iter().map(|d| Part {
                seq: d.seq,
                tokens: d.tokens,
                every: true,
                logits: true,
                decode: true,
            }))
            .collect();
        let mut out = self.step_parts(&parts)?;
        let checked = out.split_off(batch.len());
        Ok((out.into_iter().map(|mut l| l.pop()).collect(), checked))
    }
}
