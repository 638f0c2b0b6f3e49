//! SentencePiece-style encoding: pieces merged by score, bytes as fallback.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::symbols::Sym;
use super::tokens::Tokenizer;
use crate::vocab::TokenId;

impl Tokenizer {
    pub(super) fn encode_spm(&self, text: &str, out: &mut Vec<TokenId>) {
        let mut sym: Vec<Sym> = text
            .char_indices()
            .map(|(i, c)| Sym {
                start: i,
                len: c.len_utf8(),
                id: None,
                prev: None,
                next: None,
            })
            .collect();
        let n = sym.len();
        for (i, s) in sym.iter_mut().enumerate() {
            s.prev = i.checked_sub(1);
            s.next = (i + 1 < n).then_some(i + 1);
        }
        // Highest score first, then leftmost.
        let mut heap: BinaryHeap<(OrdF32, Reverse<usize>, usize, usize)> = BinaryHeap::new();
        let push = |heap: &mut BinaryHeap<(OrdF32, Reverse<usize>, usize, usize)>,
                    sym: &[Sym],
                    l: usize,
                    r: usize| {
            let s = &text[sym[l].start..sym[r].start + sym[r].len];
            if let Some(id) = self.vocab.find(s) {
                heap.push((OrdF32(self.scores[id as usize]), Reverse(l), r, s.len()));
            }
        };
        for i in 0..n.saturating_sub(1) {
            push(&mut heap, &sym, i, i + 1);
        }
        while let Some((_, Reverse(l), r, size)) = heap.pop() {
            if sym[l].len == 0
                || sym[r].len == 0
                || sym[l].next != Some(r)
                || sym[l].len + sym[r].len != size
            {
                continue;
            }
            sym[l].len += sym[r].len;
            sym[r].len = 0;
            sym[l].next = sym[r].next;
            if let Some(nx) = sym[r].next {
                sym[nx].prev = Some(l);
            }
            if let Some(p) = sym[l].prev {
                push(&mut heap, &sym, p, l);
            }
            if let Some(nx) = sym[l].next {
                push(&mut heap, &sym, l, nx);
            }
        }
        let mut i = if n > 0 { Some(0) } else { None };
        while let Some(k) = i {
            let s = &text[sym[k].start..sym[k].start + sym[k].len];
            match self.vocab.find(s) {
                Some(id) => out.push(id),
                None => {
                    for b in s.bytes() {
                        if let Some(id) = self.byte_tokens[b as usize] {
                            out.push(id);
                        }
                    }
                }
            }
            i = sym[k].next;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct OrdF32(f32);
impl Eq for OrdF32 {}
impl PartialOrd for OrdF32 {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for OrdF32 {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0)
    }
}
