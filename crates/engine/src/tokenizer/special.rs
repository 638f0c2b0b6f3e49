//! Special tokens in text: control tokens (only markup may produce them)
//! and user-defined tokens, matched verbatim, longest first.

use super::tokens::{Tokenizer, TYPE_CONTROL, TYPE_UNKNOWN};
use crate::vocab::TokenId;

#[derive(Debug)]
pub(super) enum Fragment<'a> {
    Text(&'a str),
    Token(TokenId),
}

impl Tokenizer {
    /// The texts of the control tokens, which only markup may produce.
    pub fn control_texts(&self) -> Vec<&str> {
        self.specials
            .iter()
            .filter(|&&id| matches!(self.types[id as usize], TYPE_CONTROL | TYPE_UNKNOWN))
            .filter_map(|&id| self.vocab.get(id))
            .collect()
    }

    pub(super) fn partition<'a>(
        &self,
        text: &'a str,
        parse_special: bool,
        plain: &[std::ops::Range<usize>],
    ) -> Vec<Fragment<'a>> {
        let base = text.as_ptr() as usize;
        let in_plain = |s: &str, p: usize, len: usize| {
            let start = s.as_ptr() as usize - base + p;
            plain.iter().any(|r| start < r.end && r.start < start + len)
        };
        let mut frags = vec![Fragment::Text(text)];
        for &id in &self.specials {
            let ty = self.types[id as usize];
            if !parse_special && matches!(ty, TYPE_CONTROL | TYPE_UNKNOWN) {
                continue;
            }
            let needle = self.vocab.get(id).unwrap_or_default();
            if !frags
                .iter()
                .any(|f| matches!(f, Fragment::Text(s) if s.contains(needle)))
            {
                continue;
            }
            let mut next = Vec::with_capacity(frags.len() + 2);
            for f in frags {
                match f {
                    Fragment::Text(mut s) => {
                        let mut from = 0;
                        while let Some(q) = s[from..].find(needle) {
                            let p = from + q;
                            if in_plain(s, p, needle.len()) {
                                from = p + needle.len();
                                continue;
                            }
                            if p > 0 {
                                next.push(Fragment::Text(&s[..p]));
                            }
                            next.push(Fragment::Token(id));
                            s = &s[p + needle.len()..];
                            from = 0;
                        }
                        if !s.is_empty() {
                            next.push(Fragment::Text(s));
                        }
                    }
                    tok => next.push(tok),
                }
            }
            frags = next;
        }
        frags
    }
}
