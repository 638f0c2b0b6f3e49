//! The template parser on arbitrary text: it may refuse it, but never panic
//! or loop. Whatever it accepts renders with its defaults or fails with a
//! render error, and survives writing it back as a file.
#![no_main]

use documents::Template;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(template) = Template::parse("fuzz.md", text) {
        let _ = template.render(&serde_json::Map::new(), &serde_json::Value::Null);
        let again = Template::parse("fuzz.md", &template.to_file_text())
            .expect("a parsed template parses again after writing it back");
        assert_eq!(again.questions, template.questions);
    }
});
