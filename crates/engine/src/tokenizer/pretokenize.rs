//! Pre-tokenizers: how byte-level BPE text is split into words before
//! merging, following llama.cpp's hand-written rules.

use unicode_general_category::{get_general_category, GeneralCategory as Gc};

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
    pub(super) fn from_name(name: &str) -> Self {
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
pub(super) fn split_words(cps: &[char], pre: PreTokenizer) -> Vec<(usize, usize)> {
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
