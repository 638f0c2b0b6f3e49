//! The JSON Schemas a bundle carries under `schemas/`, compiled into the
//! binary from the repository's `schemas/` folder, and the validation of a
//! bundle's JSON files against them.

use serde_json::Value;

/// Every schema by file name.
pub const ALL: &[(&str, &str)] = &[
    (
        "ai-act-tree.schema.json",
        include_str!("../../../schemas/ai-act-tree.schema.json"),
    ),
    (
        "bench-report.schema.json",
        include_str!("../../../schemas/bench-report.schema.json"),
    ),
    (
        "bench-spec.schema.json",
        include_str!("../../../schemas/bench-spec.schema.json"),
    ),
    (
        "bench-tasks.schema.json",
        include_str!("../../../schemas/bench-tasks.schema.json"),
    ),
    (
        "bundle-document.schema.json",
        include_str!("../../../schemas/bundle-document.schema.json"),
    ),
    (
        "bundle-evaluations.schema.json",
        include_str!("../../../schemas/bundle-evaluations.schema.json"),
    ),
    (
        "bundle-journey-status.schema.json",
        include_str!("../../../schemas/bundle-journey-status.schema.json"),
    ),
    (
        "bundle-jsonld-itemlist.schema.json",
        include_str!("../../../schemas/bundle-jsonld-itemlist.schema.json"),
    ),
    (
        "bundle-manifest.schema.json",
        include_str!("../../../schemas/bundle-manifest.schema.json"),
    ),
    (
        "bundle-openapi.schema.json",
        include_str!("../../../schemas/bundle-openapi.schema.json"),
    ),
    (
        "bundle-profile.schema.json",
        include_str!("../../../schemas/bundle-profile.schema.json"),
    ),
    (
        "bundle-role-profiles.schema.json",
        include_str!("../../../schemas/bundle-role-profiles.schema.json"),
    ),
    (
        "bundle-survey.schema.json",
        include_str!("../../../schemas/bundle-survey.schema.json"),
    ),
    (
        "bundle-usecases.schema.json",
        include_str!("../../../schemas/bundle-usecases.schema.json"),
    ),
    (
        "competencies.schema.json",
        include_str!("../../../schemas/competencies.schema.json"),
    ),
    (
        "document-template.schema.json",
        include_str!("../../../schemas/document-template.schema.json"),
    ),
    (
        "open-badge-credential.schema.json",
        include_str!("../../../schemas/open-badge-credential.schema.json"),
    ),
    (
        "policy-rules.schema.json",
        include_str!("../../../schemas/policy-rules.schema.json"),
    ),
    (
        "qualification-catalogue.schema.json",
        include_str!("../../../schemas/qualification-catalogue.schema.json"),
    ),
    (
        "qualification-plan-input.schema.json",
        include_str!("../../../schemas/qualification-plan-input.schema.json"),
    ),
    (
        "qualification-rubric.schema.json",
        include_str!("../../../schemas/qualification-rubric.schema.json"),
    ),
    (
        "questionnaire.schema.json",
        include_str!("../../../schemas/questionnaire.schema.json"),
    ),
    (
        "survey-results.schema.json",
        include_str!("../../../schemas/survey-results.schema.json"),
    ),
    (
        "template-set.schema.json",
        include_str!("../../../schemas/template-set.schema.json"),
    ),
    (
        "usecase-bibliothek.schema.json",
        include_str!("../../../schemas/usecase-bibliothek.schema.json"),
    ),
    (
        "usecase-grundrechte.schema.json",
        include_str!("../../../schemas/usecase-grundrechte.schema.json"),
    ),
    (
        "usecase-kriterien.schema.json",
        include_str!("../../../schemas/usecase-kriterien.schema.json"),
    ),
    (
        "usecase-register.schema.json",
        include_str!("../../../schemas/usecase-register.schema.json"),
    ),
    (
        "usecase-schwellwertanalyse.schema.json",
        include_str!("../../../schemas/usecase-schwellwertanalyse.schema.json"),
    ),
    (
        "usecase.schema.json",
        include_str!("../../../schemas/usecase.schema.json"),
    ),
];

/// Where a bundle keeps its schemas.
pub const FOLDER: &str = "schemas";

/// The text of a schema by file name.
pub fn text(name: &str) -> Option<&'static str> {
    ALL.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The `$id` base under which the schemas refer to each other.
const BASE: &str = "https://ki-reise.example/schemas/";

/// All schemas compiled once into one validator, made on first use.
///
/// One root schema names every schema as a property (`{"<name>": {"$ref":
/// "<name>"}}`) and a file is checked as `{"<name>": <file>}`. Compiling
/// each schema on its own would give each validator its own copy of all
/// schemas it may refer to: about 250 MB for the 31 schemas, against 20 MB
/// this way, and a tenth of the time.
#[derive(Default)]
pub struct Validators {
    compiled: Option<std::result::Result<jsonschema::Validator, String>>,
}

fn compile_all() -> std::result::Result<jsonschema::Validator, String> {
    let mut options = jsonschema::options();
    let mut properties = serde_json::Map::new();
    for (name, text) in ALL {
        let schema = serde_json::from_str::<Value>(text).map_err(|e| format!("{name}: {e}"))?;
        let resource =
            jsonschema::Resource::from_contents(schema).map_err(|e| format!("{name}: {e}"))?;
        options = options.with_resource(format!("{BASE}{name}"), resource);
        properties.insert(
            (*name).to_owned(),
            serde_json::json!({ "$ref": format!("{BASE}{name}") }),
        );
    }
    let root = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
    });
    options.build(&root).map_err(|e| e.to_string())
}

impl Validators {
    /// The problems of `value` against the schema `name` (empty: valid).
    /// The value is lent to the check, not copied: it is wrapped for the
    /// validator and put back.
    pub fn check(&mut self, name: &str, value: &mut Value) -> Vec<String> {
        if text(name).is_none() {
            return vec![format!("unbekanntes Schema „{name}“")];
        }
        let validator = match self.compiled.get_or_insert_with(compile_all) {
            Ok(v) => v,
            Err(e) => return vec![format!("Schema „{name}“ ist ungültig: {e}")],
        };
        let mut wrapped = serde_json::Map::new();
        wrapped.insert(name.to_owned(), std::mem::take(value));
        let wrapped = Value::Object(wrapped);
        let prefix = format!("/{name}");
        let problems = validator
            .iter_errors(&wrapped)
            .take(10)
            .map(|e| {
                let path = e.instance_path.to_string();
                let path = path.strip_prefix(&prefix).unwrap_or(&path).to_owned();
                format!("{e} (bei „{path}“)")
            })
            .collect();
        if let Value::Object(mut map) = wrapped {
            *value = map.remove(name).unwrap_or_default();
        }
        problems
    }
}
