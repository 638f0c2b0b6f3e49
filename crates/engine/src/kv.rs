//! The KV cache of a sequence, in blocks of [`BLOCK`] positions. A block
//! holds K and V of its positions for every layer; a sequence holds a list
//! of reference-counted blocks, so that the prefix cache and any number of
//! sequences share a prompt's blocks without copying them. A sequence
//! copies a shared block only when it writes into it (a prefix that ends
//! inside a block, or a retry after truncating).

use std::sync::Arc;

use half::f16;

use crate::kernels::KvRows;
use crate::quant::{self, ActType};
use crate::tokenizer::TokenId;

/// Positions per block: small enough that a prefix ending inside a block
/// copies little, large enough that the block list of a long context stays
/// short. A power of two for [`KvRows`].
pub(crate) const BLOCK: usize = 32;

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

/// The rows of a block: f16 bits, or ggml Q8_0 blocks as bytes.
#[derive(Debug, Clone)]
enum Rows {
    F16 { k: Vec<u16>, v: Vec<u16> },
    Q8_0 { k: Vec<u8>, v: Vec<u8> },
}

/// K and V of [`BLOCK`] positions for every layer, laid out
/// `[layer][position][row]`, a row being the `kv_dim` values of a position
/// in the block's [`KvType`].
#[derive(Debug, Clone)]
pub(crate) struct KvBlock {
    rows: Rows,
    /// Elements (u16 or bytes) of one row.
    row: usize,
}

impl KvBlock {
    pub(crate) fn new(ty: KvType, n_layer: usize, kvd: usize) -> Self {
        let rows = match ty {
            KvType::F16 => {
                let n = n_layer * BLOCK * kvd;
                Rows::F16 {
                    k: vec![0; n],
                    v: vec![0; n],
                }
            }
            KvType::Q8_0 => {
                let n = n_layer * BLOCK * ty.row_bytes(kvd);
                Rows::Q8_0 {
                    k: vec![0; n],
                    v: vec![0; n],
                }
            }
        };
        let row = match ty {
            KvType::F16 => kvd,
            KvType::Q8_0 => ty.row_bytes(kvd),
        };
        Self { rows, row }
    }

    /// Memory the block holds: what the prefix cache counts against its
    /// budget.
    pub(crate) fn bytes(&self) -> usize {
        match &self.rows {
            Rows::F16 { k, v } => (k.len() + v.len()) * 2,
            Rows::Q8_0 { k, v } => k.len() + v.len(),
        }
    }

    /// Elements of one layer.
    fn layer(&self) -> usize {
        BLOCK * self.row
    }
}

/// The cached state of one sequence.
#[derive(Debug, Default)]
pub(crate) struct Sequence {
    /// Positions in the cache.
    pub len: usize,
    pub blocks: Vec<Arc<KvBlock>>,
    /// The token at every cached position (`len` of them).
    pub tokens: Vec<TokenId>,
    /// Leading positions whose K and V were computed as part of a prompt
    /// (a step of several tokens) or taken from the prefix cache. Only
    /// these may be offered to the prefix cache: a decoded token's K and V
    /// come from the single-token attention path and differ in the last
    /// bits from what the same tokens give as a prompt, so reusing them
    /// would change later answers.
    pub exact: usize,
    /// Leading whole blocks already offered to the prefix cache.
    pub published: usize,
}

impl Sequence {
    /// A sequence that starts from shared blocks holding `tokens`.
    pub fn from_prefix(blocks: Vec<Arc<KvBlock>>, tokens: &[TokenId]) -> Self {
        Self {
            len: tokens.len(),
            blocks,
            tokens: tokens.to_vec(),
            exact: tokens.len(),
            published: tokens.len() / BLOCK,
        }
    }

    /// Makes room for `n` more positions.
    pub fn reserve(&mut self, n: usize, ty: KvType, n_layer: usize, kvd: usize) {
        let need = (self.len + n).div_ceil(BLOCK);
        while self.blocks.len() < need {
            self.blocks.push(Arc::new(KvBlock::new(ty, n_layer, kvd)));
        }
    }

    /// Forgets everything after the first `len` positions.
    pub fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.len = len;
            self.tokens.truncate(len);
            self.exact = self.exact.min(len);
            self.published = self.published.min(len / BLOCK);
            self.blocks.truncate(len.div_ceil(BLOCK));
        }
    }

    /// Stores K and V of position `pos` (room reserved) for `layer`; a
    /// block shared with others is copied first.
    pub fn write(&mut self, layer: usize, pos: usize, k: &[f32], v: &[f32]) {
        let block = Arc::make_mut(&mut self.blocks[pos / BLOCK]);
        let at = layer * block.layer() + (pos % BLOCK) * block.row;
        let row = block.row;
        match &mut block.rows {
            Rows::F16 { k: kd, v: vd } => {
                for (dst, &x) in kd[at..at + row].iter_mut().zip(k) {
                    *dst = f16::from_f32(x).to_bits();
                }
                for (dst, &x) in vd[at..at + row].iter_mut().zip(v) {
                    *dst = f16::from_f32(x).to_bits();
                }
            }
            Rows::Q8_0 { k: kd, v: vd } => {
                // The same rounding as the activations of Q8_0 weights,
                // which is ggml's.
                quant::quantize_row(ActType::Q8_0, k, &mut kd[at..at + row]);
                quant::quantize_row(ActType::Q8_0, v, &mut vd[at..at + row]);
            }
        }
    }

    /// Per block, the K and the V rows of `layer`, for [`KvRows`]. All
    /// blocks of an engine have its one [`KvType`].
    pub fn layer_blocks(&self, layer: usize) -> LayerBlocks<'_> {
        let q8 = self
            .blocks
            .first()
            .is_some_and(|b| matches!(b.rows, Rows::Q8_0 { .. }));
        let mut out = if q8 {
            LayerBlocks::Q8_0(Vec::new(), Vec::new())
        } else {
            LayerBlocks::F16(Vec::new(), Vec::new())
        };
        for b in &self.blocks {
            let r = layer * b.layer()..(layer + 1) * b.layer();
            match (&b.rows, &mut out) {
                (Rows::F16 { k, v }, LayerBlocks::F16(ks, vs)) => {
                    ks.push(&k[r.clone()]);
                    vs.push(&v[r]);
                }
                (Rows::Q8_0 { k, v }, LayerBlocks::Q8_0(ks, vs)) => {
                    ks.push(&k[r.clone()]);
                    vs.push(&v[r]);
                }
                _ => unreachable!("blocks of one sequence differ in type"),
            }
        }
        out
    }
}

/// The K and V blocks of one layer of one sequence.
pub(crate) enum LayerBlocks<'a> {
    F16(Vec<&'a [u16]>, Vec<&'a [u16]>),
    Q8_0(Vec<&'a [u8]>, Vec<&'a [u8]>),
}

/// What attention reads: the K and V rows of one layer of one sequence.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KvView<'a> {
    F16(KvRows<'a>, KvRows<'a>),
    Q8_0(KvRows<'a, u8>, KvRows<'a, u8>),
}

/// The K and V views of one layer of one sequence (`kvd` values a row).
pub(crate) fn views<'a>(blocks: &'a LayerBlocks<'a>, kvd: usize) -> Option<KvView<'a>> {
    Some(match blocks {
        LayerBlocks::F16(k, v) => {
            KvView::F16(KvRows::new(k, BLOCK, kvd)?, KvRows::new(v, BLOCK, kvd)?)
        }
        LayerBlocks::Q8_0(k, v) => {
            let row = KvType::Q8_0.row_bytes(kvd);
            KvView::Q8_0(KvRows::new(k, BLOCK, row)?, KvRows::new(v, BLOCK, row)?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k_rows(s: &Sequence, layer: usize) -> Vec<Vec<u8>> {
        match s.layer_blocks(layer) {
            LayerBlocks::Q8_0(k, _) => k.iter().map(|b| b.to_vec()).collect(),
            LayerBlocks::F16(k, _) => k
                .iter()
                .map(|b| b.iter().flat_map(|x| x.to_le_bytes()).collect())
                .collect(),
        }
    }

    #[test]
    fn writing_into_a_shared_block_copies_it_for_both_types() {
        for ty in [KvType::F16, KvType::Q8_0] {
            let (n_layer, kvd) = (2, 64);
            let mut a = Sequence::default();
            a.reserve(3, ty, n_layer, kvd);
            let row: Vec<f32> = (0..kvd).map(|i| i as f32 / 7.0 - 4.0).collect();
            for pos in 0..3 {
                a.write(1, pos, &row, &row);
            }
            a.len = 3;
            assert_eq!(a.blocks[0].bytes(), 2 * n_layer * BLOCK * ty.row_bytes(kvd));
            let before = k_rows(&a, 1);
            let mut b = Sequence::from_prefix(a.blocks.clone(), &[1, 2]);
            b.reserve(1, ty, n_layer, kvd);
            b.write(1, 2, &[0.5; 64], &[0.5; 64]);
            assert!(!Arc::ptr_eq(&a.blocks[0], &b.blocks[0]), "{ty:?}");
            assert_eq!(k_rows(&a, 1), before, "{ty:?}: the shared block changed");
            let after = k_rows(&b, 1);
            let row = ty.row_bytes(kvd);
            assert_eq!(after[0][..2 * row], before[0][..2 * row]);
            assert_ne!(after[0][2 * row..3 * row], before[0][2 * row..3 * row]);
        }
    }
}
