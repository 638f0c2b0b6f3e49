//! The tokenizer's tables (vocabulary, token types, scores, merges, special
//! and byte tokens) and decoding tokens back to bytes and text.

use std::collections::HashMap;

use super::pretokenize::PreTokenizer;
use crate::vocab::{TokenId, Vocab};

pub(super) const TYPE_NORMAL: i64 = 1;
pub(super) const TYPE_UNKNOWN: i64 = 2;
pub(super) const TYPE_CONTROL: i64 = 3;
pub(super) const TYPE_USER_DEFINED: i64 = 4;
pub(super) const TYPE_BYTE: i64 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Bpe,
    Spm,
}

/// A vocabulary with its encoding rules.
#[derive(Debug)]
pub struct Tokenizer {
    pub(super) kind: Kind,
    pub(super) pre: PreTokenizer,
    pub(super) vocab: Vocab,
    pub(super) types: Vec<i64>,
    pub(super) scores: Vec<f32>,
    /// (left, right) → (rank, merged) for BPE.
    pub(super) merges: HashMap<(TokenId, TokenId), (u32, TokenId)>,
    /// Tokens matched verbatim in text, longest first.
    pub(super) specials: Vec<TokenId>,
    pub(super) byte_tokens: [Option<TokenId>; 256],
    pub(super) byte_to_char: [char; 256],
    pub(super) char_to_byte: HashMap<char, u8>,
    pub(super) ignore_merges: bool,
    pub bos: Option<TokenId>,
    pub eos: Option<TokenId>,
    pub eot: Option<TokenId>,
    pub add_bos: bool,
    pub add_eos: bool,
    pub(super) add_space_prefix: bool,
}

impl Tokenizer {
    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    pub fn token_text(&self, id: TokenId) -> Option<&str> {
        self.vocab.get(id)
    }

    pub fn token_id(&self, text: &str) -> Option<TokenId> {
        self.vocab.find(text)
    }

    /// Whether `c` survives an encode/decode round trip: the vocabulary
    /// has a token for each of its bytes (some vocabularies leave out
    /// single bytes; llama.cpp then drops those bytes, and so do we) or,
    /// for SentencePiece, for the character itself.
    pub fn can_represent(&self, c: char) -> bool {
        let mut buf = [0u8; 4];
        let s: &str = c.encode_utf8(&mut buf);
        s.bytes().all(|b| self.byte_tokens[b as usize].is_some())
            || (self.kind == Kind::Spm && self.vocab.find(s).is_some())
    }

    /// True for tokens that end a turn or the text (EOS, EOT).
    pub fn is_end_of_generation(&self, id: TokenId) -> bool {
        Some(id) == self.eos || Some(id) == self.eot
    }

    /// The bytes a token stands for (control tokens give their text only
    /// with `special`). Bytes, not `str`: one character can span tokens.
    pub fn token_bytes(&self, id: TokenId, special: bool) -> Vec<u8> {
        let Some(text) = self.vocab.get(id) else {
            return Vec::new();
        };
        match self.types[id as usize] {
            TYPE_CONTROL | TYPE_UNKNOWN if !special => Vec::new(),
            TYPE_CONTROL | TYPE_USER_DEFINED | TYPE_UNKNOWN => text.as_bytes().to_vec(),
            TYPE_BYTE if self.kind == Kind::Spm => {
                u8::from_str_radix(text.trim_start_matches("<0x").trim_end_matches('>'), 16)
                    .map(|b| vec![b])
                    .unwrap_or_default()
            }
            _ => match self.kind {
                Kind::Bpe => text
                    .chars()
                    .map(|c| self.char_to_byte.get(&c).copied())
                    .collect::<Option<Vec<u8>>>()
                    .unwrap_or_else(|| text.as_bytes().to_vec()),
                Kind::Spm => text.replace('\u{2581}', " ").into_bytes(),
            },
        }
    }

    /// Decodes tokens to text; invalid UTF-8 (a cut-off character) becomes
    /// U+FFFD.
    pub fn decode(&self, ids: &[TokenId], special: bool) -> String {
        let bytes: Vec<u8> = ids
            .iter()
            .flat_map(|&t| self.token_bytes(t, special))
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}
