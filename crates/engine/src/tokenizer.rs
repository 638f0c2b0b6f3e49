//! Tokenizers built from GGUF metadata: byte-level BPE (`gpt2` model, used
//! by SmolLM2, Llama 3 and Qwen2/3, with the pre-tokenizer chosen by
//! `tokenizer.ggml.pre`) and SentencePiece-style (`llama` model, scores and
//! byte fallback). Splitting follows llama.cpp's hand-written pre-tokenizers
//! so that token ids agree with it exactly.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use unicode_general_category::{get_general_category, GeneralCategory as Gc};

use crate::error::{Error, Result};
use crate::gguf::{Header, Value};
use crate::vocab::Vocab;

pub type TokenId = u32;

const TYPE_NORMAL: i64 = 1;
const TYPE_UNKNOWN: i64 = 2;
const TYPE_CONTROL: i64 = 3;
const TYPE_USER_DEFINED: i64 = 4;
const TYPE_BYTE: i64 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bpe,
    Spm,
}

/// How byte-level BPE text is split into words before merging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreTokenizer {
    /// GPT-2's rules.
    Gpt2,
    /// Digits split one by one, then GPT-2's rules (SmolLM, StarCoder).
    SmolLm,
    /// Llama 3's rules: numbers in groups of up to three.
    Llama3,
    /// Qwen2's rules: Llama 3's with single digits.
    Qwen2,
}

impl PreTokenizer {
    fn from_name(name: &str) -> Self {
        match name {
            "smollm" | "starcoder" | "refact" | "command-r" | "codeshell" | "exaone"
            | "minerva-7b" => Self::SmolLm,
            "llama3" | "llama-v3" | "llama-bpe" | "falcon3" | "dbrx" | "smaug-bpe" | "pixtral" => {
                Self::Llama3
            }
            "qwen2" | "deepseek-r1-qwen" | "stablelm2" | "hunyuan" => Self::Qwen2,
            _ => Self::Gpt2,
        }
    }
}

/// A vocabulary with its encoding rules.
#[derive(Debug)]
pub struct Tokenizer {
    kind: Kind,
    pre: PreTokenizer,
    vocab: Vocab,
    types: Vec<i64>,
    scores: Vec<f32>,
    /// (left, right) → (rank, merged) for BPE.
    merges: HashMap<(TokenId, TokenId), (u32, TokenId)>,
    /// Tokens matched verbatim in text, longest first.
    specials: Vec<TokenId>,
    byte_tokens: [Option<TokenId>; 256],
    byte_to_char: [char; 256],
    char_to_byte: HashMap<char, u8>,
    ignore_merges: bool,
    pub bos: Option<TokenId>,
    pub eos: Option<TokenId>,
    pub eot: Option<TokenId>,
    pub add_bos: bool,
    pub add_eos: bool,
    add_space_prefix: bool,
}

/// The printable character that byte-level BPE vocabularies use for `b`.
pub fn byte_char(b: u8) -> char {
    bytes_to_unicode()[b as usize]
}

fn bytes_to_unicode() -> [char; 256] {
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

fn string_array<'a>(h: &'a Header, key: &str) -> Result<Option<&'a [Value]>> {
    match h.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_array()
            .map(Some)
            .ok_or_else(|| Error::Tokenizer(format!("`{key}` is not an array"))),
    }
}

impl Tokenizer {
    pub fn from_gguf(h: &Header) -> Result<Self> {
        let model = h.get_str("tokenizer.ggml.model").unwrap_or("llama");
        let kind = match model {
            "gpt2" => Kind::Bpe,
            "llama" => Kind::Spm,
            other => {
                return Err(Error::Tokenizer(format!(
                    "unsupported tokenizer model `{other}` (supported: gpt2, llama)"
                )))
            }
        };
        let tokens: Vec<&str> = string_array(h, "tokenizer.ggml.tokens")?
            .ok_or_else(|| Error::Tokenizer("no tokenizer.ggml.tokens in the file".into()))?
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| Error::Tokenizer("a token is not a string".into()))
            })
            .collect::<Result<_>>()?;
        if tokens.is_empty() || tokens.len() > u32::MAX as usize / 2 {
            return Err(Error::Tokenizer(format!(
                "vocabulary of {} tokens",
                tokens.len()
            )));
        }
        let n = tokens.len();
        let vocab = Vocab::new(tokens.iter().copied());
        let types: Vec<i64> = match string_array(h, "tokenizer.ggml.token_type")? {
            Some(a) if a.len() == n => a
                .iter()
                .map(|v| v.as_u64().map_or(TYPE_NORMAL, |x| x as i64))
                .collect(),
            Some(a) => {
                return Err(Error::Tokenizer(format!(
                    "{} token types for {n} tokens",
                    a.len()
                )))
            }
            None => vec![TYPE_NORMAL; n],
        };
        let scores: Vec<f32> = match string_array(h, "tokenizer.ggml.scores")? {
            Some(a) if a.len() == n => a.iter().map(|v| v.as_f64().unwrap_or(0.0) as f32).collect(),
            Some(a) => {
                return Err(Error::Tokenizer(format!(
                    "{} token scores for {n} tokens",
                    a.len()
                )))
            }
            None => vec![0.0; n],
        };
        let mut merges = HashMap::new();
        if kind == Kind::Bpe {
            for (rank, m) in string_array(h, "tokenizer.ggml.merges")?
                .unwrap_or(&[])
                .iter()
                .enumerate()
            {
                let m = m
                    .as_str()
                    .ok_or_else(|| Error::Tokenizer("a merge is not a string".into()))?;
                // The separator is the first space after the first character
                // (a merge may start with a literal space in some vocabularies).
                let first = m.chars().next().map_or(0, char::len_utf8);
                let Some(split) = m[first..].find(' ').map(|p| p + first) else {
                    continue;
                };
                let (l, r) = (&m[..split], &m[split + 1..]);
                let merged = format!("{l}{r}");
                if let (Some(a), Some(b), Some(c)) =
                    (vocab.find(l), vocab.find(r), vocab.find(&merged))
                {
                    merges.entry((a, b)).or_insert((rank as u32, c));
                }
            }
        }
        let byte_to_char = bytes_to_unicode();
        let char_to_byte = byte_to_char
            .iter()
            .enumerate()
            .map(|(b, &c)| (c, b as u8))
            .collect();
        let mut byte_tokens = [None; 256];
        for (b, slot) in byte_tokens.iter_mut().enumerate() {
            *slot = match kind {
                Kind::Spm => vocab.find(&format!("<0x{b:02X}>")),
                Kind::Bpe => vocab.find(&byte_to_char[b].to_string()),
            };
        }
        let mut specials: Vec<TokenId> = (0..n as TokenId)
            .filter(|&i| {
                matches!(
                    types[i as usize],
                    TYPE_CONTROL | TYPE_USER_DEFINED | TYPE_UNKNOWN
                ) && !tokens[i as usize].is_empty()
            })
            .collect();
        specials.sort_by_key(|&i| Reverse(tokens[i as usize].len()));
        let id = |key: &str| -> Option<TokenId> {
            h.get_u64(key)
                .filter(|&v| (v as usize) < n)
                .map(|v| v as TokenId)
        };
        let eot = id("tokenizer.ggml.eot_token_id").or_else(|| {
            [
                "<|eot_id|>",
                "<|im_end|>",
                "<|end|>",
                "<end_of_turn>",
                "<|endoftext|>",
            ]
            .iter()
            .find_map(|t| vocab.find(t))
        });
        let pre_name = h.get_str("tokenizer.ggml.pre").unwrap_or("default");
        Ok(Self {
            kind,
            pre: PreTokenizer::from_name(pre_name),
            ignore_merges: matches!(pre_name, "llama3" | "llama-v3" | "llama-bpe" | "falcon3"),
            bos: id("tokenizer.ggml.bos_token_id"),
            eos: id("tokenizer.ggml.eos_token_id"),
            eot,
            add_bos: h
                .get_bool("tokenizer.ggml.add_bos_token")
                .unwrap_or(kind == Kind::Spm),
            add_eos: h.get_bool("tokenizer.ggml.add_eos_token").unwrap_or(false),
            add_space_prefix: h
                .get_bool("tokenizer.ggml.add_space_prefix")
                .unwrap_or(kind == Kind::Spm),
            vocab,
            types,
            scores,
            merges,
            specials,
            byte_tokens,
            byte_to_char,
            char_to_byte,
        })
    }

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

    /// The texts of the control tokens, which only markup may produce.
    pub fn control_texts(&self) -> Vec<&str> {
        self.specials
            .iter()
            .filter(|&&id| matches!(self.types[id as usize], TYPE_CONTROL | TYPE_UNKNOWN))
            .filter_map(|&id| self.vocab.get(id))
            .collect()
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

    fn partition<'a>(
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

    fn encode_bpe(&self, text: &str, out: &mut Vec<TokenId>) {
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

    fn encode_spm(&self, text: &str, out: &mut Vec<TokenId>) {
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

#[derive(Debug, Clone)]
struct Sym {
    start: usize,
    len: usize,
    id: Option<TokenId>,
    prev: Option<usize>,
    next: Option<usize>,
}

#[derive(Debug)]
enum Fragment<'a> {
    Text(&'a str),
    Token(TokenId),
}

#[derive(Clone, Copy, Default)]
struct Flags {
    in_range: bool,
    letter: bool,
    number: bool,
    space: bool,
}

fn flags_of(c: Option<&char>) -> Flags {
    let Some(&c) = c else { return Flags::default() };
    let cat = get_general_category(c);
    Flags {
        in_range: true,
        letter: matches!(
            cat,
            Gc::UppercaseLetter
                | Gc::LowercaseLetter
                | Gc::TitlecaseLetter
                | Gc::ModifierLetter
                | Gc::OtherLetter
        ),
        number: matches!(cat, Gc::DecimalNumber | Gc::LetterNumber | Gc::OtherNumber),
        space: c.is_whitespace(),
    }
}

/// Splits code points into words (start, end) the way llama.cpp's
/// pre-tokenizer for `pre` does.
fn split_words(cps: &[char], pre: PreTokenizer) -> Vec<(usize, usize)> {
    match pre {
        PreTokenizer::Gpt2 => split_gpt2(cps, 0, cps.len()),
        PreTokenizer::SmolLm => {
            // First `\p{N}` alone, then GPT-2's rules on the pieces between.
            let mut out = Vec::new();
            let mut start = 0;
            for (i, c) in cps.iter().enumerate() {
                if flags_of(Some(c)).number {
                    if start < i {
                        out.extend(split_gpt2(cps, start, i));
                    }
                    out.push((i, i + 1));
                    start = i + 1;
                }
            }
            if start < cps.len() {
                out.extend(split_gpt2(cps, start, cps.len()));
            }
            out
        }
        PreTokenizer::Llama3 => split_llama3(cps, 3),
        PreTokenizer::Qwen2 => split_llama3(cps, 1),
    }
}

fn split_gpt2(all: &[char], from: usize, to: usize) -> Vec<(usize, usize)> {
    let cps = &all[from..to];
    let n = cps.len();
    let cp = |i: usize| cps.get(i).copied();
    let fl = |i: usize| flags_of(cps.get(i));
    let mut out = Vec::new();
    let mut prev = 0;
    let mut add = |end: usize, out: &mut Vec<(usize, usize)>| {
        if end > prev {
            out.push((from + prev, from + end));
            prev = end;
        }
    };
    let mut pos = 0;
    while pos < n {
        let c = cps[pos];
        let f = fl(pos);
        if c == '\'' && pos + 1 < n {
            let nx = cps[pos + 1];
            if matches!(nx, 's' | 't' | 'm' | 'd') {
                pos += 2;
                add(pos, &mut out);
                continue;
            }
            if pos + 2 < n {
                let nx2 = cps[pos + 2];
                if matches!((nx, nx2), ('r', 'e') | ('v', 'e') | ('l', 'l')) {
                    pos += 3;
                    add(pos, &mut out);
                    continue;
                }
            }
        }
        let f2 = if c == ' ' { fl(pos + 1) } else { f };
        if f2.letter {
            pos += usize::from(c == ' ');
            while fl(pos).letter {
                pos += 1;
            }
            add(pos, &mut out);
            continue;
        }
        if f2.number {
            pos += usize::from(c == ' ');
            while fl(pos).number {
                pos += 1;
            }
            add(pos, &mut out);
            continue;
        }
        if !(f2.space || f2.letter || f2.number) && f2.in_range {
            pos += usize::from(c == ' ');
            loop {
                let g = fl(pos);
                if g.space || g.letter || g.number || !g.in_range {
                    break;
                }
                pos += 1;
            }
            add(pos, &mut out);
            continue;
        }
        let mut ws = 0;
        while fl(pos + ws).space {
            ws += 1;
        }
        if ws > 1 && cp(pos + ws).is_some() {
            pos += ws - 1;
            add(pos, &mut out);
            continue;
        }
        if ws > 0 {
            pos += ws;
            add(pos, &mut out);
            continue;
        }
        pos += 1;
        add(pos, &mut out);
    }
    out
}

fn split_llama3(cps: &[char], max_digits: usize) -> Vec<(usize, usize)> {
    let n = cps.len();
    let cp = |i: usize| cps.get(i).copied();
    let fl = |i: usize| flags_of(cps.get(i));
    let mut out = Vec::new();
    let mut prev = 0;
    let mut add = |end: usize, out: &mut Vec<(usize, usize)>| {
        if end > prev {
            out.push((prev, end));
            prev = end;
        }
    };
    let mut pos = 0;
    while pos < n {
        let c = cps[pos];
        let f = fl(pos);
        if c == '\'' && pos + 1 < n {
            let nx = cps[pos + 1].to_lowercase().next().unwrap_or(' ');
            if matches!(nx, 's' | 't' | 'm' | 'd') {
                pos += 2;
                add(pos, &mut out);
                continue;
            }
            if pos + 2 < n {
                let nx2 = cps[pos + 2].to_lowercase().next().unwrap_or(' ');
                if matches!((nx, nx2), ('r', 'e') | ('v', 'e') | ('l', 'l')) {
                    pos += 3;
                    add(pos, &mut out);
                    continue;
                }
            }
        }
        if !(c == '\r' || c == '\n' || f.number) && (f.letter || fl(pos + 1).letter) {
            pos += 1;
            while fl(pos).letter {
                pos += 1;
            }
            add(pos, &mut out);
            continue;
        }
        if f.number {
            let mut ini = pos;
            while fl(pos).number {
                pos += 1;
                if pos - ini >= max_digits {
                    add(pos, &mut out);
                    ini = pos;
                }
            }
            add(pos, &mut out);
            continue;
        }
        let f2 = if c == ' ' { fl(pos + 1) } else { f };
        if !(f2.space || f2.letter || f2.number) && f.in_range {
            pos += usize::from(c == ' ');
            loop {
                let g = fl(pos);
                if g.space || g.letter || g.number || !g.in_range {
                    break;
                }
                pos += 1;
            }
            while matches!(cp(pos), Some('\r' | '\n')) {
                pos += 1;
            }
            add(pos, &mut out);
            continue;
        }
        let mut ws = 0;
        let mut last_rn = 0;
        while fl(pos + ws).space {
            if matches!(cp(pos + ws), Some('\r' | '\n')) {
                last_rn = pos + ws + 1;
            }
            ws += 1;
        }
        if last_rn > 0 {
            pos = last_rn;
            add(pos, &mut out);
            continue;
        }
        if ws > 1 && cp(pos + ws).is_some() {
            pos += ws - 1;
            add(pos, &mut out);
            continue;
        }
        if ws > 0 {
            pos += ws;
            add(pos, &mut out);
            continue;
        }
        pos += 1;
        add(pos, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str, pre: PreTokenizer) -> Vec<String> {
        let cps: Vec<char> = s.chars().collect();
        split_words(&cps, pre)
            .into_iter()
            .map(|(a, b)| cps[a..b].iter().collect())
            .collect()
    }

    #[test]
    fn smollm_splits_digits_singly_and_keeps_the_space_before_words() {
        assert_eq!(
            words("Hallo Welt 123!!  x", PreTokenizer::SmolLm),
            ["Hallo", " Welt", " ", "1", "2", "3", "!!", " ", " x"]
        );
    }

    #[test]
    fn llama3_groups_digits_by_three_and_newlines_with_spaces() {
        assert_eq!(
            words("abc 12345\n\n  ok's", PreTokenizer::Llama3),
            ["abc", " ", "123", "45", "\n\n", " ", " ok", "'s"]
        );
    }
}

#[cfg(test)]
mod spm_tests {
    use super::*;
    use crate::gguf::write;

    fn spm() -> Tokenizer {
        let mut toks = vec!["<unk>".to_string(), "<s>".into(), "</s>".into()];
        let mut types = vec![TYPE_UNKNOWN, TYPE_CONTROL, TYPE_CONTROL];
        for b in 0..=255u8 {
            toks.push(format!("<0x{b:02X}>"));
            types.push(TYPE_BYTE);
        }
        let words = [
            "\u{2581}",
            "\u{2581}H",
            "al",
            "lo",
            "\u{2581}Hal",
            "\u{2581}Hallo",
            "W",
            "e",
            "l",
            "t",
            "H",
            "a",
            "o",
        ];
        let mut scores = vec![0.0f32; toks.len()];
        for (i, w) in words.iter().enumerate() {
            toks.push((*w).into());
            types.push(TYPE_NORMAL);
            scores.push(-(i as f32));
        }
        let meta = vec![
            (
                "tokenizer.ggml.model".to_string(),
                Value::String("llama".into()),
            ),
            (
                "tokenizer.ggml.tokens".to_string(),
                Value::Array(toks.into_iter().map(Value::String).collect()),
            ),
            (
                "tokenizer.ggml.token_type".to_string(),
                Value::Array(types.into_iter().map(|t| Value::I32(t as i32)).collect()),
            ),
            (
                "tokenizer.ggml.scores".to_string(),
                Value::Array(scores.into_iter().map(Value::F32).collect()),
            ),
            ("tokenizer.ggml.bos_token_id".to_string(), Value::U32(1)),
        ];
        let mut buf = Vec::new();
        write::header(&mut buf, &meta, &[]).unwrap();
        Tokenizer::from_gguf(&Header::parse(&buf).unwrap()).unwrap()
    }

    #[test]
    fn sentencepiece_merges_by_score_adds_bos_and_a_space_prefix() {
        let t = spm();
        let ids = t.encode("Hallo", true, false);
        assert_eq!(ids[0], 1);
        assert_eq!(t.token_text(ids[1]), Some("\u{2581}Hallo"));
        assert_eq!(ids.len(), 2);
    }

    #[test]
    fn sentencepiece_falls_back_to_bytes_and_round_trips() {
        let t = spm();
        let ids = t.encode("Grüß 🙂", false, false);
        assert!(ids.iter().any(|&i| t.token_text(i) == Some("<0xC3>")));
        assert_eq!(t.decode(&ids, false), " Grüß 🙂");
    }
}
