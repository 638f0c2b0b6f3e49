//! Byte-level BPE: bytes mapped to printable characters, words from the
//! pre-tokenizer, merges in rank order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::pretokenize::split_words;
use super::symbols::Sym;
use super::tokens::Tokenizer;
use crate::vocab::TokenId;

/// The printable character that byte-level BPE vocabularies use for `b`.
pub fn byte_char(b: u8) -> char {
    bytes_to_unicode()[b as usize]
}

pub(super) fn bytes_to_unicode() -> [char; 256] {
    let mut out = ['\0'; 256];
    let mut n = 0u32;
    for b in 0..256u32 {
        let printable =
            (33..=126).contains(&b) || (161..=172).contains(&b) || (174..=255).contains(&b);
        out[b as usize] = if printable {
            char::from_u32(b).unwrap_or('\0')
        } else {
            n += 1;
            char::from_u32(255 + n).unwrap_or('\0')
        };
    }
    out
}

impl Tokenizer {
    pub(super) fn encode_bpe(&self, text: &str, out: &mut Vec<TokenId>) {
        let cps: Vec<char> = text.chars().collect();
        let words = split_words(&cps, self.pre);
        let mut mapped = String::new();
        for (s, e) in words {
            mapped.clear();
            let word: String = cps[s..e].iter().collect();
            for &b in word.as_bytes() {
                mapped.push(self.byte_to_char[b as usize]);
            }
            if self.ignore_merges {
                if let Some(id) = self.vocab.find(&mapped) {
                    out.push(id);
                    continue;
                }
            }
            self.bpe_word(&mapped, out);
        }
    }

    fn bpe_word(&self, mapped: &str, out: &mut Vec<TokenId>) {
        // Symbols start as single characters; merges join neighbours in
        // rank order, leftmost first among equal ranks, as llama.cpp does.
        let mut sym: Vec<Sym> = mapped
            .char_indices()
            .map(|(i, c)| Sym {
                start: i,
                len: c.len_utf8(),
                id: self
                    .vocab
                    .find(mapped.get(i..i + c.len_utf8()).unwrap_or_default()),
                prev: None,
                next: None,
            })
            .collect();
        let n = sym.len();
        for (i, s) in sym.iter_mut().enumerate() {
            s.prev = i.checked_sub(1);
            s.next = (i + 1 < n).then_some(i + 1);
        }
        let mut heap = BinaryHeap::new();
        let push = |heap: &mut BinaryHeap<Reverse<(u32, usize, usize, usize)>>,
                    sym: &[Sym],
                    l: usize,
                    r: usize| {
            if let (Some(a), Some(b)) = (sym[l].id, sym[r].id) {
                if let Some(&(rank, _)) = self.merges.get(&(a, b)) {
                    heap.push(Reverse((rank, l, r, sym[l].len + sym[r].len)));
                }
            }
        };
        for i in 0..n.saturating_sub(1) {
            push(&mut heap, &sym, i, i + 1);
        }
        while let Some(Reverse((_, l, r, size))) = heap.pop() {
            if sym[l].len == 0
                || sym[r].len == 0
                || sym[l].next != Some(r)
                || sym[l].len + sym[r].len != size
            {
                continue;
            }
            let (Some(a), Some(b)) = (sym[l].id, sym[r].id) else {
                continue;
            };
            let Some(&(_, merged)) = self.merges.get(&(a, b)) else {
                continue;
            };
            sym[l].len += sym[r].len;
            sym[l].id = Some(merged);
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
            let s = &sym[k];
            match s.id {
                Some(id) => out.push(id),
                None => {
                    // A character missing from the vocabulary: fall back to
                    // its single-byte tokens where they exist.
                    for c in mapped[s.start..s.start + s.len].chars() {
                        if let Some(id) = self.vocab.find(c.encode_utf8(&mut [0; 4])) {
                            out.push(id);
                        }
                    }
                }
            }
            i = s.next;
        }
    }
}
