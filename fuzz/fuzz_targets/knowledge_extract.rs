//! Text extraction of knowledge spaces on arbitrary bytes, under every
//! accepted ending except PDF (which runs poppler, not our code): refused
//! or accepted, never a panic; what is accepted cuts into passages within
//! the size limits and yields search terms.
#![no_main]

use knowledge::chunk::{chunks, MAX_CHARS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for name in ["a.docx", "a.odt", "a.html", "a.md", "a.txt", "a.eml"] {
        if let Ok(extracted) = knowledge::extract(name, data) {
            for chunk in chunks(&extracted.blocks) {
                assert!(chunk.text.len() <= MAX_CHARS);
                let _ = knowledge::german::terms(&chunk.text);
            }
        }
    }
});
