//! Reading questionnaires from outside: our own JSON/YAML format here,
//! LimeSurvey in [`super::lss`]. Both return the questionnaire with an
//! [`ImportReport`] that lists everything that was changed or could not be
//! mapped; nothing is dropped without an entry.

use serde::Serialize;

use super::model::Questionnaire;
use super::validate::validate_questionnaire;
use super::{SurveyError, MAX_IMPORT_BYTES};

#[derive(Debug, Clone, PartialEq)]
pub struct ImportedQuestionnaire {
    pub questionnaire: Questionnaire,
    pub report: ImportReport,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ImportReport {
    /// "ki-reise" or "LimeSurvey (DBVersion …)".
    pub source: String,
    pub entries: Vec<ReportEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportEntry {
    /// Where in the source: "Frage Q3", "Gruppe 2", "Umfrage".
    pub location: String,
    pub severity: Severity,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Left out: this part of the source has no counterpart here.
    NotMapped,
    /// Taken over, but changed (e.g. HTML turned into plain text).
    Changed,
    /// Worth knowing, nothing lost.
    Note,
}

impl ImportReport {
    pub fn push(
        &mut self,
        location: impl Into<String>,
        severity: Severity,
        message: impl Into<String>,
    ) {
        self.entries.push(ReportEntry {
            location: location.into(),
            severity,
            message: message.into(),
        });
    }

    pub fn not_mapped(&self) -> impl Iterator<Item = &ReportEntry> {
        self.entries
            .iter()
            .filter(|e| e.severity == Severity::NotMapped)
    }
}

/// Refuses input over [`MAX_IMPORT_BYTES`] and input that is not UTF-8.
pub(crate) fn checked_text(bytes: &[u8]) -> Result<&str, SurveyError> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(SurveyError::TooLarge {
            size: bytes.len(),
            max: MAX_IMPORT_BYTES,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| SurveyError::Parse {
        format: "UTF-8",
        message: e.to_string(),
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Parses our format (JSON, or YAML which includes JSON) and validates it.
/// A questionnaire with issues is refused with all of them.
pub fn parse_questionnaire(bytes: &[u8]) -> Result<ImportedQuestionnaire, SurveyError> {
    let questionnaire = parse_questionnaire_unchecked(bytes)?;
    let issues = validate_questionnaire(&questionnaire);
    if !issues.is_empty() {
        return Err(SurveyError::Invalid(issues));
    }
    Ok(ImportedQuestionnaire {
        questionnaire,
        report: ImportReport {
            source: "ki-reise".to_string(),
            entries: Vec::new(),
        },
    })
}

/// serde_json's error in German: where, and what kind of problem; the
/// names of missing or unknown fields are kept, the English words are not.
fn json_message(e: &serde_json::Error) -> String {
    let at = format!("Zeile {}, Spalte {}", e.line(), e.column());
    let text = e.to_string();
    let named = text.split('`').nth(1);
    match e.classify() {
        serde_json::error::Category::Eof => format!(
            "Die Datei endet vorzeitig ({at}); sie wurde vermutlich gekürzt. Bitte speichern oder exportieren Sie sie erneut."
        ),
        serde_json::error::Category::Syntax => format!("Fehler im Aufbau in {at}."),
        _ if text.starts_with("missing field") => {
            format!("Es fehlt das Feld „{}“ ({at}).", named.unwrap_or("?"))
        }
        _ if text.starts_with("unknown field") => {
            format!("Das Feld „{}“ ist unbekannt ({at}).", named.unwrap_or("?"))
        }
        _ => format!("Ein Wert passt nicht zum Format ({at})."),
    }
}

/// Parses without validating, for an editor that shows the issues beside
/// the fields (see [`validate_questionnaire`]).
pub fn parse_questionnaire_unchecked(bytes: &[u8]) -> Result<Questionnaire, SurveyError> {
    let text = checked_text(bytes)?;
    let questionnaire: Questionnaire = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| SurveyError::Parse {
            format: "JSON",
            message: json_message(&e),
        })?
    } else {
        serde_yaml::from_str(text).map_err(|e| SurveyError::Parse {
            format: "YAML",
            message: e.to_string(),
        })?
    };
    Ok(questionnaire)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_with_a_field_of_another_kind_is_refused_by_name() {
        let yaml = "id: t\ntitle: T\nsections:\n- id: s\n  title: S\n  questions:\n  - {id: q7, type: text, text: A, options: []}\n";
        let err = parse_questionnaire(yaml.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("q7") && err.contains("options"), "{err}");
    }

    #[test]
    fn unknown_fields_and_unknown_types_are_refused() {
        let yaml = "id: t\ntitle: T\nsections:\n- id: s\n  title: S\n  questions:\n  - {id: q, type: slider, text: A}\n";
        assert!(matches!(
            parse_questionnaire(yaml.as_bytes()),
            Err(SurveyError::Parse { .. })
        ));
        let yaml = "id: t\ntitel: T\nsections: []\n";
        assert!(matches!(
            parse_questionnaire(yaml.as_bytes()),
            Err(SurveyError::Parse { .. })
        ));
    }

    #[test]
    fn oversized_input_is_refused_before_parsing() {
        let big = vec![b' '; MAX_IMPORT_BYTES + 1];
        assert!(matches!(
            parse_questionnaire(&big),
            Err(SurveyError::TooLarge { .. })
        ));
    }

    #[test]
    fn a_yaml_alias_bomb_is_refused_without_exhausting_memory() {
        let mut yaml = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in 'b'..='m' {
            yaml.push_str(&format!(
                "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = name;
        }
        assert!(parse_questionnaire(yaml.as_bytes()).is_err());
    }

    #[test]
    fn invalid_utf8_is_refused() {
        assert!(matches!(
            parse_questionnaire(&[0xff, 0xfe, b'{']),
            Err(SurveyError::Parse {
                format: "UTF-8",
                ..
            })
        ));
    }
}
