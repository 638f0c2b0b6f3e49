//! Tokenizers built from GGUF metadata: byte-level BPE (`gpt2` model, used
//! by SmolLM2, Llama 3 and Qwen2/3, with the pre-tokenizer chosen by
//! `tokenizer.ggml.pre`) and SentencePiece-style (`llama` model, scores and
//! byte fallback). Splitting follows llama.cpp's hand-written pre-tokenizers
//! so that token ids agree with it exactly.
//!
//! Files: `tokens` holds the tables and decodes, `load` builds them from
//! GGUF metadata, `encode` cuts text at special tokens (`special`) and
//! encodes the pieces with byte-level BPE (`bpe`, after the pre-tokenizer's
//! split in `pretokenize`) or SentencePiece (`spm`); `symbols` is the merge
//! list both use.

mod bpe;
mod encode;
mod load;
mod pretokenize;
mod special;
mod spm;
mod symbols;
mod tokens;

pub use crate::vocab::TokenId;
pub use bpe::byte_char;
pub use pretokenize::PreTokenizer;
pub use tokens::Tokenizer;

#[cfg(test)]
mod tests {
    use super::pretokenize::split_words;
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
    use super::tokens::{TYPE_BYTE, TYPE_CONTROL, TYPE_NORMAL, TYPE_UNKNOWN};
    use super::*;
    use crate::gguf::{write, Header, Value};

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
