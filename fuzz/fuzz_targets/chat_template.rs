//! Any template source and message: compiling and rendering never panic
//! and stay within the renderer's fuel.
#![no_main]

use engine::{ChatTemplate, Message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (source, content) = text.split_once('\0').unwrap_or((text, "Hallo"));
    if let Ok(t) = ChatTemplate::new(source, "<s>", "</s>") {
        let _ = t.render(&[Message::new("system", "S"), Message::new("user", content)], true);
    }
});
