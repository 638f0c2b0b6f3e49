//! Any text: encoding never panics, and decoding gives the text back when
//! the vocabulary can represent every character (some vocabularies lack a
//! few single-byte tokens; llama.cpp drops those bytes too), for
//! the SmolLM2 vocabulary (`KI_REISE_TEST_MODEL` or the fetched test
//! model) or, without it, a small byte-level vocabulary.
#![no_main]

use std::sync::OnceLock;

use engine::gguf::{write, Header, Value};
use engine::Tokenizer;
use libfuzzer_sys::fuzz_target;

fn tokenizer() -> &'static Tokenizer {
    static T: OnceLock<Tokenizer> = OnceLock::new();
    T.get_or_init(|| {
        let path = std::env::var("KI_REISE_TEST_MODEL")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf").into());
        if let Ok(bytes) = std::fs::read(&path) {
            if let Ok(h) = Header::parse(&bytes) {
                if let Ok(t) = Tokenizer::from_gguf(&h) {
                    return t;
                }
            }
        }
        let mut tokens: Vec<Value> = (0..=255u8).map(|b| Value::String(engine::tokenizer::byte_char(b).to_string())).collect();
        tokens.push(Value::String("Ġt".into()));
        tokens.push(Value::String("<|im_start|>".into()));
        let mut types = vec![Value::I32(1); 257];
        types.push(Value::I32(3));
        let meta = vec![
            ("tokenizer.ggml.model".to_string(), Value::String("gpt2".into())),
            ("tokenizer.ggml.pre".to_string(), Value::String("llama-bpe".into())),
            ("tokenizer.ggml.tokens".to_string(), Value::Array(tokens)),
            ("tokenizer.ggml.token_type".to_string(), Value::Array(types)),
            ("tokenizer.ggml.merges".to_string(), Value::Array(vec![Value::String("Ġ t".into())])),
        ];
        let mut buf = Vec::new();
        write::header(&mut buf, &meta, &[]).expect("in-memory write");
        Tokenizer::from_gguf(&Header::parse(&buf).expect("valid header")).expect("valid vocabulary")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let t = tokenizer();
    let ids = t.encode(text, false, false);
    if text.chars().all(|c| t.can_represent(c)) {
        assert_eq!(t.decode(&ids, true), text);
    }
    let _ = t.encode(text, true, true);
});
