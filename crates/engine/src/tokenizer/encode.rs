//! Encoding text: special tokens first, then BPE or SentencePiece on the
//! text between them, with BOS/EOS as the model wants.

use super::special::Fragment;
use super::tokens::{Kind, Tokenizer};
use crate::vocab::TokenId;

impl Tokenizer {
    /// Encodes `text`. `add_special` adds BOS/EOS as the model wants;
    /// `parse_special` lets control tokens such as `<|im_start|>` written in
    /// the text become their token (user-defined tokens always do).
    pub fn encode(&self, text: &str, add_special: bool, parse_special: bool) -> Vec<TokenId> {
        self.encode_parts(text, add_special, parse_special, &[])
    }

    /// As [`Tokenizer::encode`] with `parse_special`, except that inside the
    /// byte ranges `plain` no special token is recognised: they hold text
    /// from outside (a chat message) that must not become markup.
    pub fn encode_marked(
        &self,
        text: &str,
        add_special: bool,
        plain: &[std::ops::Range<usize>],
    ) -> Vec<TokenId> {
        self.encode_parts(text, add_special, true, plain)
    }

    fn encode_parts(
        &self,
        text: &str,
        add_special: bool,
        parse_special: bool,
        plain: &[std::ops::Range<usize>],
    ) -> Vec<TokenId> {
        let mut out = Vec::new();
        if add_special && self.add_bos {
            if let Some(b) = self.bos {
                out.push(b);
            }
        }
        let mut is_prev_special = true;
        for frag in self.partition(text, parse_special, plain) {
            match frag {
                Fragment::Token(t) => {
                    out.push(t);
                    is_prev_special = true;
                }
                Fragment::Text(s) => {
                    match self.kind {
                        Kind::Bpe => self.encode_bpe(s, &mut out),
                        Kind::Spm => {
                            let mut t = String::with_capacity(s.len() + 3);
                            if self.add_space_prefix && is_prev_special {
                                t.push(' ');
                            }
                            t.push_str(s);
                            self.encode_spm(&t.replace(' ', "\u{2581}"), &mut out);
                        }
                    }
                    is_prev_special = false;
                }
            }
        }
        if add_special && self.add_eos {
            if let Some(e) = self.eos {
                out.push(e);
            }
        }
        out
    }
}
