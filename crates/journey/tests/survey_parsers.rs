//! Parsers of outside input never panic: random bytes, and small random
//! edits of real files, into the questionnaire parser, the LimeSurvey
//! importer and the response check. They return an error or a value.

use journey::survey::lss::import_lss;
use journey::survey::{
    default_questionnaire, parse_questionnaire, validate_response, Completeness, ResponseInput,
    BESTANDSAUFNAHME,
};
use proptest::prelude::*;

const V6: &str = include_str!("survey_fixtures/limesurvey_v6_kommune.lss");

/// Replaces, inserts or removes a few bytes of `base`.
fn mutated(base: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec((0..base.len(), any::<u8>(), 0u8..3), 1..8).prop_map(move |edits| {
        let mut bytes = base.to_vec();
        for (at, byte, op) in edits {
            let at = at.min(bytes.len().saturating_sub(1));
            match op {
                0 => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ => {
                    bytes.remove(at);
                }
            }
        }
        bytes
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic_the_questionnaire_parser(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_questionnaire(&bytes);
    }

    #[test]
    fn random_bytes_never_panic_the_limesurvey_importer(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = import_lss(&bytes);
    }

    #[test]
    fn edited_questionnaires_never_panic_the_parser(bytes in mutated(BESTANDSAUFNAHME.default_text.as_bytes())) {
        let _ = parse_questionnaire(&bytes);
    }

    #[test]
    fn edited_limesurvey_files_never_panic_the_importer(bytes in mutated(V6.as_bytes())) {
        let _ = import_lss(&bytes);
    }

    #[test]
    fn random_json_answers_never_panic_the_response_check(
        answers in proptest::collection::btree_map(
            prop_oneof![
                Just("fachbereich".to_string()), Just("werkzeuge".to_string()),
                Just("selbsteinschaetzung".to_string()), Just("zeit_pro_monat".to_string()),
                Just("ideen_anwendungsfaelle".to_string()), "[a-z.]{1,12}",
            ],
            prop_oneof![
                Just(serde_json::Value::Null),
                any::<i64>().prop_map(serde_json::Value::from),
                any::<f64>().prop_map(serde_json::Value::from),
                ".{0,20}".prop_map(serde_json::Value::from),
                proptest::collection::vec(".{0,5}", 0..4).prop_map(serde_json::Value::from),
                proptest::collection::btree_map("[a-z_]{1,8}", any::<i8>(), 0..4)
                    .prop_map(|m| serde_json::to_value(m).unwrap()),
            ],
            0..8,
        )
    ) {
        let q = default_questionnaire().unwrap();
        let input: ResponseInput = answers;
        let _ = validate_response(&q, &input, Completeness::Complete);
        let _ = validate_response(&q, &input, Completeness::Draft);
    }
}
