//! The fundamental-rights impact assessment (Grundrechte-Folgenabschätzung,
//! Art. 27 AI Act) that public bodies complete before deploying a high-risk
//! system: a form of six sections kept as data, and a check of the answers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{invalid_content, parse_yaml, unless_problems, UseCaseError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FriaForm {
    pub version: u32,
    pub title: String,
    pub sections: Vec<FriaSection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FriaSection {
    pub id: String,
    pub article: String,
    pub title: String,
    pub guidance: String,
}

/// Section id → the municipality's text.
pub type FriaAnswers = BTreeMap<String, String>;

impl FriaForm {
    pub fn from_yaml(file: &str, text: &str) -> Result<FriaForm, UseCaseError> {
        let form: FriaForm = parse_yaml(file, text)?;
        let mut problems = Vec::new();
        let mut ids = std::collections::BTreeSet::new();
        for s in &form.sections {
            if !ids.insert(s.id.as_str()) {
                problems.push(format!("Abschnitt „{}“ ist mehrfach vorhanden", s.id));
            }
        }
        if form.sections.is_empty() {
            problems.push("das Formular hat keine Abschnitte".to_owned());
        }
        unless_problems(form, problems, invalid_content(file))
    }

    pub fn shipped() -> Result<FriaForm, UseCaseError> {
        let file = super::FRIA_FORM;
        FriaForm::from_yaml(file.path, file.default_text)
    }

    /// The sections still without text, in form order.
    pub fn missing<'f>(&'f self, answers: &FriaAnswers) -> Vec<&'f FriaSection> {
        self.sections
            .iter()
            .filter(|s| answers.get(&s.id).is_none_or(|t| t.trim().is_empty()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_fria_form_has_the_six_elements_of_article_27() {
        let form = FriaForm::shipped().unwrap();
        assert_eq!(form.sections.len(), 6);
        let letters: Vec<_> = form
            .sections
            .iter()
            .map(|s| {
                s.article
                    .split("Buchst. ")
                    .nth(1)
                    .unwrap_or_default()
                    .chars()
                    .next()
            })
            .collect();
        assert_eq!(letters, ['a', 'b', 'c', 'd', 'e', 'f'].map(Some));
    }

    #[test]
    fn blank_fria_sections_count_as_missing() {
        let form = FriaForm::shipped().unwrap();
        let mut answers: FriaAnswers = form
            .sections
            .iter()
            .map(|s| (s.id.clone(), "beschrieben".to_owned()))
            .collect();
        assert!(form.missing(&answers).is_empty());
        answers.insert("risiken".into(), "  ".into());
        answers.remove("aufsicht");
        let missing: Vec<_> = form
            .missing(&answers)
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(missing, ["risiken", "aufsicht"]);
    }
}
