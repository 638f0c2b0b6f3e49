//! Engine settings, counters and the items a step takes.

pub use crate::kv::KvType;
use crate::prefix_cache::PrefixCacheStats;
use crate::tokenizer::TokenId;

pub type SeqId = u64;

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Worker threads including the caller; default: physical cores.
    pub threads: usize,
    /// Longest sequence (prompt + answer) in tokens.
    pub n_ctx: usize,
    /// Most tokens in one forward pass; longer steps are split. The
    /// scratch memory of a pass grows with it (for a 1B model ~110 KB per
    /// token), while the speed of a long prompt hardly does: the weights
    /// stay in cache across a pass's tokens either way.
    pub max_batch_tokens: usize,
    /// Memory for the KV blocks of recent prompts, which a request
    /// starting with the same tokens reuses instead of computing them
    /// ([`Engine::new_sequence_for`]); 0 turns the prefix cache off.
    pub prefix_cache_bytes: usize,
    /// How the KV cache stores keys and values. [`KvType::Q8_0`] needs a
    /// head dimension that is a multiple of 32; for other models the
    /// engine keeps [`KvType::F16`].
    pub kv_type: KvType,
}

/// The default prefix cache: 512 MiB, for SmolLM2 (23 KB per token in f16,
/// 12 KB in Q8_0) some 23,000 tokens of prompts (43,000 in Q8_0), for a
/// 7B model with grouped KV heads (~57 KB in f16) some 9,000: an
/// assistant's long instructions and the histories of a few chats at once.
pub const DEFAULT_PREFIX_CACHE_BYTES: usize = 512 << 20;

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            threads: physical_cores(),
            n_ctx: 4096,
            max_batch_tokens: 128,
            prefix_cache_bytes: DEFAULT_PREFIX_CACHE_BYTES,
            kv_type: KvType::default(),
        }
    }
}

/// Counters of an engine since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Tokens computed in steps of several tokens of a sequence (prompts).
    pub prefill_tokens: u64,
    /// Tokens computed one per sequence and step (decoding).
    pub decode_tokens: u64,
    pub prefix_cache: PrefixCacheStats,
}

/// Physical cores of this machine (logical CPUs when unknown).
pub fn physical_cores() -> usize {
    let logical = std::thread::available_parallelism().map_or(1, |n| n.get());
    let Ok(info) = std::fs::read_to_string("/proc/cpuinfo") else {
        return logical;
    };
    let mut cores = std::collections::HashSet::new();
    let mut phys = "";
    for line in info.lines() {
        if let Some(v) = line.strip_prefix("physical id") {
            phys = v.trim_start_matches([' ', '\t', ':']);
        } else if let Some(v) = line.strip_prefix("core id") {
            cores.insert((
                phys.to_owned(),
                v.trim_start_matches([' ', '\t', ':']).to_owned(),
            ));
        }
    }
    if cores.is_empty() {
        logical
    } else {
        cores.len().min(logical)
    }
}

/// Part of a step: append `tokens` to sequence `seq`; with `logits`, return
/// the logits after its last token.
#[derive(Debug, Clone, Copy)]
pub struct BatchItem<'a> {
    pub seq: SeqId,
    pub tokens: &'a [TokenId],
    pub logits: bool,
}

/// A sequence's turn in [`Engine::step_drafts`]: the token sampled last,
/// then the guessed tokens to check.
#[derive(Debug, Clone, Copy)]
pub struct DraftItem<'a> {
    pub seq: SeqId,
    pub tokens: &'a [TokenId],
}
