//! The questionnaire parser (our JSON/YAML format) on arbitrary bytes: it
//! may refuse them, but never panic. Whatever it accepts exports to JSON
//! and parses back to the same questionnaire.
#![no_main]

use journey::survey::export::questionnaire_to_json;
use journey::survey::parse_questionnaire;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(imported) = parse_questionnaire(data) {
        let q = imported.questionnaire;
        let json = questionnaire_to_json(&q);
        let back = parse_questionnaire(json.as_bytes()).expect("exported JSON parses");
        assert_eq!(back.questionnaire.sections, q.sections);
    }
});
