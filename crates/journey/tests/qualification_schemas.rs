//! The qualification content and exchange formats against their JSON Schemas.

use ed25519_dalek::SigningKey;
use journey::competency::CompetencyModel;
use journey::qualification::badge::{credential, sign, BadgeContent};
use journey::qualification::catalogue::Catalogue;
use journey::qualification::exchange::export_json;
use journey::qualification::planner::Cohort;
use journey::qualification::{CATALOGUE, RUBRIC};
use serde_json::{json, Value};

fn errors(schema: &str, instance: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(schema).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).expect("valid YAML")
}

const CATALOGUE_SCHEMA: &str = include_str!("../../../schemas/qualification-catalogue.schema.json");
const RUBRIC_SCHEMA: &str = include_str!("../../../schemas/qualification-rubric.schema.json");
const PLAN_SCHEMA: &str = include_str!("../../../schemas/qualification-plan-input.schema.json");
const BADGE_SCHEMA: &str = include_str!("../../../schemas/open-badge-credential.schema.json");

#[test]
fn the_seed_catalogue_and_its_json_export_match_the_schema() {
    assert_eq!(
        errors(CATALOGUE_SCHEMA, &yaml(CATALOGUE.default_text)),
        Vec::<String>::new()
    );
    let model = CompetencyModel::default_model().unwrap();
    let exported: Value =
        serde_json::from_str(&export_json(&Catalogue::shipped(&model).unwrap())).unwrap();
    assert_eq!(errors(CATALOGUE_SCHEMA, &exported), Vec::<String>::new());
}

#[test]
fn the_catalogue_schema_rejects_a_non_http_url_and_an_empty_step() {
    let mut c = yaml(CATALOGUE.default_text);
    c["offers"][0]["url"] = json!("ftp://example.org/");
    c["paths"][0]["steps"][0]["offers"] = json!([]);
    assert_eq!(errors(CATALOGUE_SCHEMA, &c).len(), 2);
}

#[test]
fn the_shipped_rubric_matches_its_schema() {
    assert_eq!(
        errors(RUBRIC_SCHEMA, &yaml(RUBRIC.default_text)),
        Vec::<String>::new()
    );
    let mut r = yaml(RUBRIC.default_text);
    r["criteria"][0]["weight"] = json!(-1);
    assert_eq!(errors(RUBRIC_SCHEMA, &r).len(), 1);
}

#[test]
fn planner_input_matches_its_schema() {
    let cohorts = vec![Cohort {
        department: "Bauamt".into(),
        role: "alle".into(),
        headcount: 12,
        levels: [("ki_verstehen".to_string(), 1)].into(),
    }];
    assert_eq!(
        errors(PLAN_SCHEMA, &serde_json::to_value(&cohorts).unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(
        errors(
            PLAN_SCHEMA,
            &json!([{"department": "", "role": "alle", "headcount": -1}])
        )
        .len(),
        2
    );
}

#[test]
fn issued_badges_match_the_open_badge_schema() {
    let content = BadgeContent {
        credential_id: "https://ki.example/qualifizierung/nachweise/7".into(),
        issuer_url: "https://ki.example/".into(),
        issuer_name: "Stadt Beispiel".into(),
        achievement_id: "https://ki.example/qualifizierung/lernpfade/grundlagen_alle".into(),
        achievement_name: "KI-Grundlagen".into(),
        achievement_description: "Lernpfad".into(),
        criteria: "Alle Schritte abgeschlossen".into(),
        alignments: vec![(
            "KI verstehen".into(),
            "Stufe 1".into(),
            "https://ki.example/k#ki_verstehen-1".into(),
        )],
        framework: "Kompetenzrahmen".into(),
        recipient_name: "Erika Mustermann".into(),
        valid_from: "2026-11-26T10:00:00Z".into(),
    };
    let signed = sign(
        &credential(&content),
        &SigningKey::from_bytes(&[9; 32]),
        "2026-11-26T10:00:00Z",
    )
    .unwrap();
    assert_eq!(errors(BADGE_SCHEMA, &signed), Vec::<String>::new());
}
