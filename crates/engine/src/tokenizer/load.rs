//! Building a tokenizer from GGUF metadata (`tokenizer.ggml.*`).

use std::cmp::Reverse;
use std::collections::HashMap;

use super::bpe::bytes_to_unicode;
use super::pretokenize::PreTokenizer;
use super::tokens::{Kind, Tokenizer, TYPE_CONTROL, TYPE_NORMAL, TYPE_UNKNOWN, TYPE_USER_DEFINED};
use crate::error::{Error, Result};
use crate::gguf::{Header, Value};
use crate::vocab::{TokenId, Vocab};

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
}
