//! What one forward pass works on: the parts of a step, its tokens and the
//! scratch memory reused from pass to pass.

use crate::tokenizer::TokenId;

use super::options::SeqId;

#[derive(Debug, Default)]
pub(super) struct Scratch {
    pub(super) x: Vec<f32>,
    pub(super) xn: Vec<f32>,
    pub(super) q: Vec<f32>,
    pub(super) k: Vec<f32>,
    pub(super) v: Vec<f32>,
    pub(super) att: Vec<f32>,
    pub(super) proj: Vec<f32>,
    pub(super) gate: Vec<f32>,
    pub(super) up: Vec<f32>,
    pub(super) tmp: Vec<f32>,
    pub(super) acts: [Vec<u8>; 4],
}

/// What a step does with one sequence's tokens.
#[derive(Debug, Clone, Copy)]
pub(super) struct Part<'a> {
    pub(super) seq: SeqId,
    pub(super) tokens: &'a [TokenId],
    pub(super) logits: bool,
    /// Logits after every token, not only the last.
    pub(super) every: bool,
    /// Each token as a decode step of its own (attention's single-token
    /// path), not as a prompt.
    pub(super) decode: bool,
}

/// One token of a forward pass.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tok {
    pub(super) token: TokenId,
    pub(super) seq: usize,
    pub(super) pos: usize,
    /// The only token of its sequence in this step (a decode step). Its
    /// attention takes llama.cpp's single-token path whether or not other
    /// sequences share the step, so that a sequence's numbers do not
    /// depend on what it is batched with.
    pub(super) single: bool,
}
