//! The Bestandsaufnahme: the staff survey on AI knowledge, interest and
//! expectations, from questionnaire to anonymous results.
//!
//! - [`model`]: the questionnaire (sections, questions, options, conditions);
//! - [`validate`]: what is wrong with a questionnaire, in German, per question;
//! - [`resolve`]: fills run-time options (departments, roles, competency areas);
//! - [`response`]: checks one person's answers against the questionnaire;
//! - [`mod@aggregate`]: counts, shares, means, by department, with small groups
//!   (and whatever could be derived from them by difference) suppressed;
//! - [`edit`]: the questionnaire as the browser editor holds it (text per
//!   field, add/remove/move), turned back into a checked questionnaire;
//! - [`filter`]: results for one department and/or kind of role, shown only
//!   where no difference with another view reveals a small group;
//! - [`gaps`]: self-assessed competency levels against role targets;
//! - [`import`]: our JSON/YAML format and LimeSurvey `.lss`, with a report of
//!   everything that could not be mapped; [`export`]: JSON and CSV.
//!
//! No I/O: every function takes text or values and returns values. Storing
//! answers, tokens and dates is the `store` crate's business.

pub mod aggregate;
pub mod anonymise;
pub mod chart;
pub mod edit;
pub mod export;
pub mod filter;
pub mod gaps;
pub mod identifiers;
pub mod import;
pub mod lss;
pub mod model;
pub mod report;
pub mod resolve;
pub mod response;
pub mod suppress;
pub mod validate;

pub use aggregate::{aggregate, AggregateOptions, SurveyResults, DEFAULT_MIN_GROUP_SIZE};
pub use gaps::{competency_gaps, CompetencyGaps};
pub use import::{parse_questionnaire, ImportReport, ImportedQuestionnaire};
pub use model::{
    ChoiceOption, Choices, Condition, ConditionTest, OptionSource, Question, QuestionKind,
    QuestionType, Questionnaire, ScalePoint, Section,
};
pub use resolve::SurveyContext;
pub use response::{validate_response, Answer, AnswerError, Completeness, Response, ResponseInput};
pub use validate::{validate_questionnaire, Issue};

use crate::content::ContentFile;

/// The default German questionnaire.
pub const BESTANDSAUFNAHME: ContentFile = ContentFile {
    path: "survey/bestandsaufnahme.yaml",
    default_text: include_str!("../../../../content/de/survey/bestandsaufnahme.yaml"),
};

/// The privacy notice (GDPR Art. 13) shown before the first question, a
/// Markdown template with `{{ kommune }}`, `{{ verantwortlich }}`,
/// `{{ datenschutzbeauftragte }}`, `{{ rechtsgrundlage }}`, `{{ betrieb }}`,
/// `{{ loeschfrist }}`, `{{ aufsichtsbehoerde }}` and `{{ mindestgruppe }}`.
pub const PRIVACY_NOTICE: ContentFile = ContentFile {
    path: "survey/datenschutzhinweis.md",
    default_text: include_str!("../../../../content/de/survey/datenschutzhinweis.md"),
};

/// The placeholders [`PRIVACY_NOTICE`] uses; a filled notice has none left.
pub const PRIVACY_NOTICE_FIELDS: [&str; 8] = [
    "kommune",
    "verantwortlich",
    "datenschutzbeauftragte",
    "rechtsgrundlage",
    "betrieb",
    "loeschfrist",
    "aufsichtsbehoerde",
    "mindestgruppe",
];

/// Inputs larger than this are refused before parsing (a real LimeSurvey
/// export of a large survey is well under 2 MB).
pub const MAX_IMPORT_BYTES: usize = 8 * 1024 * 1024;

/// The one error type of the survey module.
#[derive(Debug, thiserror::Error)]
pub enum SurveyError {
    #[error("Die Datei ist zu groß ({size} Bytes, erlaubt sind höchstens {max} Bytes).")]
    TooLarge { size: usize, max: usize },
    #[error("Die Datei ist kein gültiges {format}: {message}")]
    Parse {
        format: &'static str,
        message: String,
    },
    #[error("Die Datei ist keine LimeSurvey-Umfrage (.lss): {0}")]
    NotLimeSurvey(String),
    #[error("Der Fragebogen ist fehlerhaft: {}", .0.iter().map(|i| i.message.as_str()).collect::<Vec<_>>().join(" "))]
    Invalid(Vec<Issue>),
    #[error("Die Mindestgruppengröße muss mindestens {min} sein (angegeben: {given}).")]
    MinGroupSizeTooSmall { given: u32, min: u32 },
    #[error("Es liegen erst {given} Antworten vor; exportiert wird ab {min}.")]
    TooFewResponses { given: usize, min: usize },
    #[error("Der Fragebogen enthält keine {0}.")]
    MissingQuestion(&'static str),
    #[error("{0}")]
    FilterRefused(String),
}

/// Ids of questionnaires, sections, questions, options and items: ASCII
/// letters, digits, `_` and `-`, starting with a letter or digit, at most 64.
/// They become form field names (`frage` / `frage.item`) and CSV cells.
pub fn is_valid_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 64
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
}

/// A stable id from a German label: `Bürgerservice & Ordnung` →
/// `buergerservice-ordnung`.
pub fn slug(label: &str) -> String {
    let mut out = String::new();
    for c in label.chars().flat_map(char::to_lowercase) {
        let part = match c {
            'ä' => "ae",
            'ö' => "oe",
            'ü' => "ue",
            'ß' => "ss",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "-",
        };
        if part == "-" {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push_str(part);
        }
    }
    let mut out: String = out.trim_end_matches('-').chars().take(56).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        out.push('x');
    }
    out
}

/// The default questionnaire, parsed (not yet resolved against a profile).
pub fn default_questionnaire() -> Result<Questionnaire, SurveyError> {
    let imported = parse_questionnaire(BESTANDSAUFNAHME.default_text.as_bytes())?;
    Ok(imported.questionnaire)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_privacy_notice_uses_exactly_the_documented_placeholders() {
        let text = PRIVACY_NOTICE.default_text;
        let mut found: Vec<&str> = text
            .split("{{")
            .skip(1)
            .filter_map(|rest| rest.split_once("}}").map(|(name, _)| name.trim()))
            .collect();
        found.sort_unstable();
        found.dedup();
        let mut expected = PRIVACY_NOTICE_FIELDS.to_vec();
        expected.sort_unstable();
        assert_eq!(found, expected);
    }

    #[test]
    fn slugs_transliterate_umlauts_and_collapse_punctuation() {
        assert_eq!(slug("Bürgerservice & Ordnung"), "buergerservice-ordnung");
        assert_eq!(slug("  Straßenbau "), "strassenbau");
        assert_eq!(slug("!!!"), "x");
        assert!(is_valid_id(&slug("Amt 61 – Stadtplanung")));
    }

    #[test]
    fn ids_reject_spaces_dots_and_overlong_names() {
        assert!(is_valid_id("q1_a-b"));
        assert!(!is_valid_id("q 1"));
        assert!(!is_valid_id("q.1"));
        assert!(!is_valid_id("_q"));
        assert!(!is_valid_id(&"a".repeat(65)));
    }
}
