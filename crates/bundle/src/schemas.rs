//! The JSON Schemas a bundle carries under `schemas/`, compiled into the
//! binary from the repository's `schemas/` folder, and the validation of a
//! bundle's JSON files against them.

use std::collections::BTreeMap;

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

/// Compiled validators, made on first use.
#[derive(Default)]
pub struct Validators {
    compiled: BTreeMap<String, jsonschema::Validator>,
}

impl Validators {
    /// The problems of `value` against the schema `name` (empty: valid).
    pub fn check(&mut self, name: &str, value: &Value) -> Vec<String> {
        if !self.compiled.contains_key(name) {
            let Some(text) = text(name) else {
                return vec![format!("unbekanntes Schema „{name}“")];
            };
            let built = serde_json::from_str::<Value>(text)
                .map_err(|e| e.to_string())
                .and_then(|schema| {
                    let mut options = jsonschema::options();
                    // Schemas refer to each other by file name beside their $id.
                    for (other, other_text) in ALL {
                        if let Ok(v) = serde_json::from_str::<Value>(other_text) {
                            if let Ok(r) = jsonschema::Resource::from_contents(v) {
                                options = options.with_resource(
                                    format!("https://ki-reise.example/schemas/{other}"),
                                    r,
                                );
                            }
                        }
                    }
                    options.build(&schema).map_err(|e| e.to_string())
                });
            match built {
                Ok(v) => {
                    self.compiled.insert(name.to_owned(), v);
                }
                Err(e) => return vec![format!("Schema „{name}“ ist ungültig: {e}")],
            }
        }
        self.compiled
            .get(name)
            .map(|v| {
                v.iter_errors(value)
                    .take(10)
                    .map(|e| format!("{} (bei „{}“)", e, e.instance_path))
                    .collect()
            })
            .unwrap_or_default()
    }
}
