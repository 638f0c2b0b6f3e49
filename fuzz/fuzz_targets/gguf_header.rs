//! Any byte string: parsing never panics, and what parses is usable by the
//! tokenizer and model configuration without panicking either.
#![no_main]

use engine::gguf::Header;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = Header::parse(data) {
        let _ = engine::Tokenizer::from_gguf(&h);
        for arch in engine::model::ARCHITECTURES {
            let _ = arch.config(&h);
        }
    }
});
