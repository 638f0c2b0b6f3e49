//! The shipped questionnaire and competency model validate against their
//! JSON Schemas, and the Rust parsers agree with the schemas: what one
//! accepts the other accepts, for the shipped files and for broken copies.

use journey::competency::{CompetencyModel, COMPETENCIES};
use journey::survey::export::questionnaire_to_json;
use journey::survey::{default_questionnaire, parse_questionnaire, QuestionKind, BESTANDSAUFNAHME};
use serde_json::Value;

fn validator(schema: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(schema).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn questionnaire_schema() -> jsonschema::Validator {
    validator(include_str!("../../../schemas/questionnaire.schema.json"))
}

fn competencies_schema() -> jsonschema::Validator {
    validator(include_str!("../../../schemas/competencies.schema.json"))
}

fn yaml_to_json(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap()
}

fn schema_errors(v: &jsonschema::Validator, value: &Value) -> Vec<String> {
    v.iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

#[test]
fn the_default_questionnaire_matches_its_schema() {
    let value = yaml_to_json(BESTANDSAUFNAHME.default_text);
    let errors = schema_errors(&questionnaire_schema(), &value);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn the_competency_model_matches_its_schema() {
    let value = yaml_to_json(COMPETENCIES.default_text);
    let errors = schema_errors(&competencies_schema(), &value);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn the_exported_questionnaire_matches_the_schema_and_parses_back_unchanged() {
    let q = default_questionnaire().unwrap();
    let json = questionnaire_to_json(&q);
    let value: Value = serde_json::from_str(&json).unwrap();
    let errors = schema_errors(&questionnaire_schema(), &value);
    assert!(errors.is_empty(), "{errors:#?}");
    let back = parse_questionnaire(json.as_bytes()).unwrap().questionnaire;
    assert_eq!(back.sections, q.sections);
}

#[test]
fn the_exported_competency_model_parses_back_unchanged() {
    let model = CompetencyModel::default_model().unwrap();
    let json = serde_json::to_string(&model).unwrap();
    assert!(schema_errors(
        &competencies_schema(),
        &serde_json::from_str(&json).unwrap()
    )
    .is_empty());
    assert_eq!(CompetencyModel::parse(&json).unwrap(), model);
}

#[test]
fn the_self_assessment_scale_matches_the_competency_levels() {
    let q = default_questionnaire().unwrap();
    let model = CompetencyModel::default_model().unwrap();
    let QuestionKind::LikertMatrix { scale, .. } = &q.competency_question().unwrap().kind else {
        panic!("the self-assessment is not a matrix");
    };
    let values: Vec<i64> = scale.iter().map(|p| p.value).collect();
    assert_eq!(
        values,
        (0..=i64::from(model.max_level())).collect::<Vec<_>>()
    );
    for (point, level) in scale[1..].iter().zip(&model.levels) {
        assert_eq!(point.label, level.name);
    }
}

/// Broken copies of the questionnaire: the schema and the Rust parser must
/// both refuse each one.
#[test]
fn schema_and_parser_agree_on_broken_questionnaires() {
    let schema = questionnaire_schema();
    let base = yaml_to_json(BESTANDSAUFNAHME.default_text);
    fn first_question(v: &mut Value) -> &mut Value {
        &mut v["sections"][0]["questions"][0]
    }
    type Mutation = Box<dyn Fn(&mut Value)>;
    let mutations: Vec<(&str, Mutation)> = vec![
        (
            "unknown top-level field",
            Box::new(|v| v["titel"] = "x".into()),
        ),
        (
            "missing sections",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("sections");
            }),
        ),
        (
            "unknown question type",
            Box::new(|v| first_question(v)["type"] = "slider".into()),
        ),
        (
            "field of another kind",
            Box::new(|v| first_question(v)["max_length"] = 10.into()),
        ),
        (
            "id with a space",
            Box::new(|v| first_question(v)["id"] = "a b".into()),
        ),
        (
            "text limit over 5000",
            Box::new(|v| {
                v["sections"][7]["questions"][0]["max_length"] = 5001.into();
            }),
        ),
        (
            "condition with two tests",
            Box::new(|v| {
                v["sections"][1]["questions"][1]["show_if"]["equals"] = "nie".into();
            }),
        ),
        (
            "option without label",
            Box::new(|v| {
                v["sections"][1]["questions"][0]["options"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("label");
            }),
        ),
        (
            "scale with one point",
            Box::new(|v| {
                let scale = v["sections"][2]["questions"][0]["scale"]
                    .as_array_mut()
                    .unwrap();
                scale.truncate(1);
            }),
        ),
    ];
    for (name, mutate) in mutations {
        let mut value = base.clone();
        mutate(&mut value);
        let by_schema = schema.is_valid(&value);
        let by_rust = parse_questionnaire(value.to_string().as_bytes()).is_ok();
        assert!(!by_schema, "schema accepted: {name}");
        assert!(!by_rust, "parser accepted: {name}");
    }
}
