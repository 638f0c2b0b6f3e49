//! The LimeSurvey `.lss` importer on arbitrary bytes: it may refuse them,
//! but never panic, loop or blow up memory. Whatever it accepts must be a
//! valid questionnaire that survives a JSON round trip.
#![no_main]

use journey::survey::export::questionnaire_to_json;
use journey::survey::lss::import_lss;
use journey::survey::{parse_questionnaire, validate_questionnaire};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(imported) = import_lss(data) {
        let q = imported.questionnaire;
        assert!(validate_questionnaire(&q).is_empty());
        let json = questionnaire_to_json(&q);
        let back = parse_questionnaire(json.as_bytes()).expect("exported JSON parses");
        assert_eq!(back.questionnaire.sections, q.sections);
    }
});
