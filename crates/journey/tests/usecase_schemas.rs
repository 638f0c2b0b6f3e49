//! The use-case content and exports against their JSON Schemas.

use journey::usecase::ai_act::DecisionTree;
use journey::usecase::library::Library;
use journey::usecase::register::{
    register_json, register_json_with_duties, PublicDuties, PublicDuty, RegisterEntry,
};
use journey::usecase::{CRITERIA, DECISION_TREE, FRIA_FORM, LIBRARY, THRESHOLD_ANALYSIS};
use serde_json::Value;

const USECASE_SCHEMA: &str = include_str!("../../../schemas/usecase.schema.json");
const USECASE_SCHEMA_ID: &str = "https://ki-reise.example/schemas/usecase.schema.json";

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("valid JSON")
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).expect("valid YAML")
}

/// A validator that resolves references into the use-case schema.
fn validator(schema: &str) -> jsonschema::Validator {
    let usecase = jsonschema::Resource::from_contents(json(USECASE_SCHEMA)).unwrap();
    jsonschema::options()
        .with_resource(USECASE_SCHEMA_ID, usecase)
        .build(&json(schema))
        .expect("the schema compiles")
}

fn errors(schema: &str, instance: &Value) -> Vec<String> {
    validator(schema)
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

const TREE_SCHEMA: &str = include_str!("../../../schemas/ai-act-tree.schema.json");
const LIBRARY_SCHEMA: &str = include_str!("../../../schemas/usecase-bibliothek.schema.json");
const CRITERIA_SCHEMA: &str = include_str!("../../../schemas/usecase-kriterien.schema.json");
const THRESHOLD_SCHEMA: &str =
    include_str!("../../../schemas/usecase-schwellwertanalyse.schema.json");
const FRIA_SCHEMA: &str = include_str!("../../../schemas/usecase-grundrechte.schema.json");
const REGISTER_SCHEMA: &str = include_str!("../../../schemas/usecase-register.schema.json");

#[test]
fn the_shipped_decision_tree_matches_its_schema() {
    let e = errors(TREE_SCHEMA, &yaml(DECISION_TREE.default_text));
    assert!(e.is_empty(), "{e:#?}");
}

#[test]
fn the_tree_schema_rejects_an_unknown_field_and_a_conclusion_without_obligations() {
    let mut tree = yaml(DECISION_TREE.default_text);
    tree["conclusions"][0]["obligations"] = Value::Array(vec![]);
    tree["questions"][0]["farbe"] = Value::String("rot".into());
    let e = errors(TREE_SCHEMA, &tree);
    assert_eq!(e.len(), 2, "{e:#?}");
}

#[test]
fn the_shipped_library_matches_its_schema() {
    let e = errors(LIBRARY_SCHEMA, &yaml(LIBRARY.default_text));
    assert!(e.is_empty(), "{e:#?}");
}

#[test]
fn the_shipped_criteria_threshold_analysis_and_fria_form_match_their_schemas() {
    for (schema, text) in [
        (CRITERIA_SCHEMA, CRITERIA.default_text),
        (THRESHOLD_SCHEMA, THRESHOLD_ANALYSIS.default_text),
        (FRIA_SCHEMA, FRIA_FORM.default_text),
    ] {
        let e = errors(schema, &yaml(text));
        assert!(e.is_empty(), "{e:#?}");
    }
}

#[test]
fn every_adopted_library_entry_exports_as_valid_json() {
    let tree = DecisionTree::shipped().unwrap();
    for entry in Library::shipped().unwrap().entries {
        let uc = entry.adopt(&format!("uc-{}", entry.id), &tree).unwrap();
        let exported = json(&uc.export_json().unwrap());
        let e = errors(USECASE_SCHEMA, &exported);
        assert!(e.is_empty(), "{}: {e:#?}", entry.id);
    }
}

#[test]
fn the_register_export_matches_its_schema_and_the_schema_enforces_the_name_limit() {
    let tree = DecisionTree::shipped().unwrap();
    let lib = Library::shipped().unwrap();
    let entries: Vec<RegisterEntry> = lib
        .entries
        .iter()
        .map(|e| {
            let mut r = RegisterEntry::draft_from(&e.adopt(&e.id, &tree).unwrap());
            r.published = true;
            r
        })
        .collect();
    let exported = json(&register_json(&entries).unwrap());
    assert_eq!(exported["entries"].as_array().unwrap().len(), entries.len());
    let e = errors(REGISTER_SCHEMA, &exported);
    assert!(e.is_empty(), "{e:#?}");
    // With the duties each published entry carries.
    let duties: PublicDuties = entries
        .iter()
        .map(|e| {
            let list = ["offen", "in Arbeit", "erfüllt", "nicht anwendbar"]
                .iter()
                .map(|status| PublicDuty {
                    title: format!("Pflicht von {}", e.id),
                    status: (*status).to_owned(),
                })
                .collect();
            (e.id.clone(), list)
        })
        .collect();
    let with_duties = json(&register_json_with_duties(&entries, &duties).unwrap());
    assert_eq!(
        with_duties["entries"][0]["duties"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let e = errors(REGISTER_SCHEMA, &with_duties);
    assert!(e.is_empty(), "{e:#?}");
    let mut odd = with_duties.clone();
    odd["entries"][0]["duties"][0]["status"] = "vergessen".into();
    assert!(
        !errors(REGISTER_SCHEMA, &odd).is_empty(),
        "an unknown status is refused"
    );
    let mut too_long = exported.clone();
    too_long["entries"][0]["name"] = Value::String("x".repeat(101));
    assert_eq!(errors(REGISTER_SCHEMA, &too_long).len(), 1);
}

#[test]
fn a_use_case_with_history_assessments_and_a_decided_pilot_exports_as_valid_json() {
    use journey::usecase::fria::FriaForm;
    use journey::usecase::model::Status;
    use journey::usecase::pilot::{DecisionKind, Metric, Pilot, PilotDecision};

    let tree = DecisionTree::shipped().unwrap();
    let lib = Library::shipped().unwrap();
    let mut uc = lib
        .entry("anspruchspruefung-sozialleistungen")
        .unwrap()
        .adopt("uc-1", &tree)
        .unwrap();
    let analysis = journey::usecase::dpia::ThresholdAnalysis::shipped().unwrap();
    uc.threshold_answers = analysis
        .questions
        .iter()
        .map(|q| (q.id.clone(), q.id == "personenbezug"))
        .collect();
    uc.dpia = Some(journey::usecase::model::DpiaRecord {
        completed_on: "2027-01-20".into(),
        reference: "DSB-2027-01".into(),
    });
    for s in FriaForm::shipped().unwrap().sections {
        uc.fria.insert(s.id, "beschrieben".into());
    }
    uc.pilot = Some(Pilot {
        goal: "schneller".into(),
        start: Some("2027-03-01".into()),
        end: Some("2027-06-30".into()),
        participants: "4 Personen".into(),
        model: "lokales Modell".into(),
        backend: "lokal".into(),
        metrics: vec![Metric {
            name: "Tage".into(),
            unit: "d".into(),
            baseline: 40.0,
            target: 25.0,
            measured: Some(30.0),
        }],
        staff_feedback: vec!["hilfreich".into()],
        decision: None,
    });
    for (to, at) in [
        (Status::Assessed, "2027-01-10"),
        (Status::Approved, "2027-02-01"),
        (Status::Pilot, "2027-03-01"),
        (Status::Evaluated, "2027-07-05"),
    ] {
        uc.change_status(to, at, "").unwrap();
    }
    uc.pilot.as_mut().unwrap().decision = Some(PilotDecision {
        kind: DecisionKind::Stop,
        reason: "Ziel verfehlt".into(),
        at: "2027-07-10".into(),
    });
    let err = uc
        .change_status(Status::Operating, "2027-07-10", "")
        .unwrap_err();
    assert!(err.to_string().contains("„beenden“ entschieden"), "{err}");
    uc.change_status(Status::Stopped, "2027-07-10", "Ziel verfehlt")
        .unwrap();
    let exported = json(&uc.export_json().unwrap());
    assert_eq!(exported["use_case"]["history"].as_array().unwrap().len(), 5);
    let e = errors(USECASE_SCHEMA, &exported);
    assert!(e.is_empty(), "{e:#?}");
    let mut broken = exported.clone();
    broken["use_case"]["canvas"]["benefit"]["quality"] = Value::from(7);
    broken["use_case"]["status"] = Value::from("vielleicht");
    assert_eq!(errors(USECASE_SCHEMA, &broken).len(), 2);
}
