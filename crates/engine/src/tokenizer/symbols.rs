//! The symbol list that BPE and SentencePiece merge: each symbol a byte
//! range of the text, linked to its neighbours.

use crate::vocab::TokenId;

#[derive(Debug, Clone)]
pub(super) struct Sym {
    pub(super) start: usize,
    pub(super) len: usize,
    pub(super) id: Option<TokenId>,
    pub(super) prev: Option<usize>,
    pub(super) next: Option<usize>,
}
