//! The model catalogue against its JSON Schema, and the schema's own rules.

use journey::models::{Catalogue, MODELS};
use serde_json::{json, Value};

const SCHEMA: &str = include_str!("../../../schemas/models.schema.json");

fn errors(instance: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(SCHEMA).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

fn shipped() -> Value {
    serde_yaml::from_str(MODELS.default_text).expect("valid YAML")
}

#[test]
fn the_shipped_catalogue_matches_the_schema_and_parses() {
    assert_eq!(errors(&shipped()), Vec::<String>::new());
    let parsed = Catalogue::shipped().unwrap();
    // What the parser keeps, written back, still matches the schema.
    let back = serde_json::to_value(&parsed.models).unwrap();
    assert_eq!(errors(&back), Vec::<String>::new());
}

#[test]
fn the_schema_allows_a_missing_checksum_and_refuses_a_bad_one() {
    let mut c = shipped();
    let first = &mut c[0]["quants"][0];
    first.as_object_mut().unwrap().remove("sha256");
    assert_eq!(errors(&c), Vec::<String>::new());
    c[0]["quants"][0]["sha256"] = json!("not-hex");
    c[0]["quants"][0]["url"] = json!("ftp://example.org/x.gguf");
    c[0]["architecture"] = json!("gemma9");
    assert_eq!(errors(&c).len(), 3, "{:?}", errors(&c));
}

#[test]
fn every_model_has_sampling_a_german_note_and_a_file_per_quant() {
    for m in Catalogue::shipped().unwrap().models {
        assert!(m.sampling.temperature < 1.0, "{}", m.id);
        assert!(
            !m.quality_note.is_empty() && !m.quants.is_empty(),
            "{}",
            m.id
        );
    }
}
