//! The KV cache of a sequence, in blocks of [`BLOCK`] positions. A block
//! holds K and V of its positions for every layer; a sequence holds a list
//! of reference-counted blocks, so that the prefix cache and any number of
//! sequences share a prompt's blocks without copying them. A sequence
//! copies a shared block only when it writes into it (a prefix that ends
//! inside a block, or a retry after truncating).

use std::sync::Arc;

use half::f16;

use crate::kernels::KvRows;
use crate::tokenizer::TokenId;

/// Positions per block: small enough that a prefix ending inside a block
/// copies little, large enough that the block list of a long context stays
/// short. A power of two for [`KvRows`].
pub(crate) const BLOCK: usize = 32;

/// K and V of [`BLOCK`] positions for every layer, f16 bits, laid out
/// `[layer][position][kv_dim]`.
#[derive(Debug, Clone)]
pub(crate) struct KvBlock {
    k: Vec<u16>,
    v: Vec<u16>,
    /// Elements of one layer: `BLOCK × kv_dim`.
    layer: usize,
}

impl KvBlock {
    pub(crate) fn new(n_layer: usize, kvd: usize) -> Self {
        let layer = BLOCK * kvd;
        Self {
            k: vec![0; n_layer * layer],
            v: vec![0; n_layer * layer],
            layer,
        }
    }

    /// Memory the block holds.
    pub(crate) fn bytes(&self) -> usize {
        (self.k.len() + self.v.len()) * 2
    }

    fn k(&self, layer: usize) -> &[u16] {
        &self.k[layer * self.layer..(layer + 1) * self.layer]
    }

    fn v(&self, layer: usize) -> &[u16] {
        &self.v[layer * self.layer..(layer + 1) * self.layer]
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
    pub fn reserve(&mut self, n: usize, n_layer: usize, kvd: usize) {
        let need = (self.len + n).div_ceil(BLOCK);
        while self.blocks.len() < need {
            self.blocks.push(Arc::new(KvBlock::new(n_layer, kvd)));
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
        let at = layer * block.layer + (pos % BLOCK) * k.len();
        for (dst, &x) in block.k[at..at + k.len()].iter_mut().zip(k) {
            *dst = f16::from_f32(x).to_bits();
        }
        for (dst, &x) in block.v[at..at + v.len()].iter_mut().zip(v) {
            *dst = f16::from_f32(x).to_bits();
        }
    }

    /// Per block, the K and the V rows of `layer`, for [`KvRows`].
    pub fn layer_blocks(&self, layer: usize) -> (Vec<&[u16]>, Vec<&[u16]>) {
        self.blocks.iter().map(|b| (b.k(layer), b.v(layer))).unzip()
    }
}

/// The K and V views of one layer of one sequence.
pub(crate) fn views<'a>(
    k: &'a [&'a [u16]],
    v: &'a [&'a [u16]],
    kvd: usize,
) -> Option<(KvRows<'a>, KvRows<'a>)> {
    Some((KvRows::new(k, BLOCK, kvd)?, KvRows::new(v, BLOCK, kvd)?))
}
