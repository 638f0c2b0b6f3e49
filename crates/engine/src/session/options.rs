//! Engine settings, counters and the items a step takes.

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

/// The number format of the KV cache.
///
/// The default stays [`KvType::F16`]. Measured with `examples/kv_bench.rs`
/// on SmolLM2-135M Q4_1, 2 threads on AVX2 beside another build (load
/// average 3.5 to 6, so single figures scatter; medians of engines used in
/// turn): decoding is as fast with Q8_0 at 512 tokens of context (29–30
/// against 27–31 tok/s) and faster at 4,000 (13.5 against 11.2 tok/s, the
/// cache read being half as large), but prefill is 5–18 % slower (the
/// rows are widened from bytes, and quantised when written), and the
/// answers change: teacher-forced along the f16 answers to the fixture
/// prompts, Q8_0 picks another greedy token at 4 of 170 steps, all
/// near-ties (`tests/kv_q8.rs`). The f16 cache is also what keeps the
/// engine's answers identical to llama.cpp's on the fixture machine. So
/// Q8_0 is the choice where memory per concurrent user binds — 12,240
/// instead of 23,040 bytes per token on SmolLM2 ([`KvType::bytes_per_token`])
/// — and long contexts, not the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum KvType {
    /// IEEE half precision, 2 bytes per value.
    #[default]
    F16,
    /// ggml's Q8_0: per 32 values an f16 scale and 32 signed bytes,
    /// quantised when a position's K and V are written.
    Q8_0,
}

impl KvType {
    /// The name used on command lines and in reports (`f16`, `q8_0`).
    pub fn name(self) -> &'static str {
        match self {
            Self::F16 => "f16",
            Self::Q8_0 => "q8_0",
        }
    }

    /// Parses [`KvType::name`], case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "f16" => Some(Self::F16),
            "q8_0" | "q8" => Some(Self::Q8_0),
            _ => None,
        }
    }

    /// Bytes of one cached row of `kvd` values (a multiple of 32 for
    /// Q8_0).
    pub fn row_bytes(self, kvd: usize) -> usize {
        match self {
            Self::F16 => 2 * kvd,
            Self::Q8_0 => kvd / crate::quant::QK * crate::quant::Q8_0_BYTES,
        }
    }

    /// Whether a model with this head dimension can use the type: Q8_0
    /// blocks must not straddle two heads, which attention reads apart.
    pub fn fits(self, head_dim: usize) -> bool {
        match self {
            Self::F16 => true,
            Self::Q8_0 => head_dim > 0 && head_dim.is_multiple_of(crate::quant::QK),
        }
    }

    /// KV cache bytes per token of context for a model: K and V of every
    /// layer.
    pub fn bytes_per_token(self, c: &crate::model::Config) -> usize {
        c.n_layer * 2 * self.row_bytes(c.kv_dim())
    }
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
