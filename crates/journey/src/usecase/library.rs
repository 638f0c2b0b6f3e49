//! The library of use cases seen in German municipalities
//! (`content/de/usecases/bibliothek.yaml`): each with a pre-filled canvas and
//! pre-answered AI Act classification that the walker confirms. A
//! municipality adopts an entry as the starting point of its own use case.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::ai_act::DecisionTree;
use super::canvas::{Canvas, Intake};
use super::model::{Origin, UseCase};
use super::{invalid_content, parse_yaml, unless_problems, UseCaseError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Library {
    pub version: u32,
    #[serde(default)]
    pub note: String,
    pub entries: Vec<LibraryEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibraryEntry {
    pub id: String,
    /// Where the use case was seen, e.g. "MUCGPT (München)"; empty for an
    /// example kept to show a classification.
    #[serde(default)]
    pub seen_at: Vec<String>,
    pub intake: Intake,
    pub canvas: Canvas,
    pub classification: PresetClassification,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresetClassification {
    /// Question id → answer id of the AI Act decision tree.
    pub answers: BTreeMap<String, String>,
    /// The conclusion id these answers are meant to reach.
    pub expected: String,
    #[serde(default)]
    pub rationale: String,
}

impl Library {
    pub fn from_yaml(file: &str, text: &str) -> Result<Library, UseCaseError> {
        let library: Library = parse_yaml(file, text)?;
        let mut problems = Vec::new();
        let mut ids = BTreeSet::new();
        for e in &library.entries {
            if !ids.insert(e.id.as_str()) {
                problems.push(format!("der Eintrag „{}“ ist mehrfach vorhanden", e.id));
            }
            if let Err(err) = e.intake.validate() {
                problems.push(format!("„{}“: {err}", e.id));
            }
            if let Err(err) = e.canvas.validate() {
                problems.push(format!("„{}“: {err}", e.id));
            }
        }
        unless_problems(library, problems, invalid_content(file))
    }

    pub fn shipped() -> Result<Library, UseCaseError> {
        let file = super::LIBRARY;
        Library::from_yaml(file.path, file.default_text)
    }

    pub fn entry(&self, id: &str) -> Option<&LibraryEntry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// Walks every entry's answers through the tree: each must reach its
    /// expected conclusion and use no answer off its path. Returns the
    /// problems, empty when the library and the tree agree.
    pub fn check_against(&self, tree: &DecisionTree) -> Vec<String> {
        let mut problems = Vec::new();
        for e in &self.entries {
            match tree.walk(&e.classification.answers) {
                Err(err) => problems.push(format!("„{}“: {err}", e.id)),
                Ok(walk) => {
                    match walk.outcome() {
                        None => problems.push(format!(
                            "„{}“: die Antworten führen zu keinem Ergebnis",
                            e.id
                        )),
                        Some(o) if o.conclusion.id != e.classification.expected => {
                            problems.push(format!(
                                "„{}“: erwartet „{}“, die Antworten führen zu „{}“",
                                e.id, e.classification.expected, o.conclusion.id
                            ))
                        }
                        Some(_) => {}
                    }
                    if !walk.unused_answers.is_empty() {
                        problems.push(format!(
                            "„{}“: Antworten abseits des Weges: {}",
                            e.id,
                            walk.unused_answers.join(", ")
                        ));
                    }
                }
            }
        }
        problems
    }
}

impl LibraryEntry {
    /// A new use case from this entry: intake and canvas copied, the
    /// classification walked with the current tree (so it carries the tree's
    /// version), status idea.
    pub fn adopt(&self, id: &str, tree: &DecisionTree) -> Result<UseCase, UseCaseError> {
        let mut uc = UseCase::new(
            id,
            self.intake.clone(),
            Origin::Library {
                entry: self.id.clone(),
            },
        )?;
        uc.canvas = self.canvas.clone();
        uc.classification = Some(tree.classify(&self.classification.answers)?);
        Ok(uc)
    }
}
