//! Import of LimeSurvey survey exports (`.lss`, XML).
//!
//! An `.lss` file is a dump of LimeSurvey's tables: `<document>` with
//! `<LimeSurveyDocType>Survey</LimeSurveyDocType>`, `<DBVersion>`, and one
//! element per table (`<groups>`, `<questions>`, `<subquestions>`,
//! `<answers>`, `<question_attributes>`, …), each with `<rows><row>` and one
//! child element per column. Since LimeSurvey 4 the texts sit in separate
//! `*_l10ns` tables; older exports keep them inline with a `language`
//! column. Both are read.
//!
//! Mapped: question groups → sections; types L, !, O, Y, G → single choice;
//! M, P → multiple choice; 5 → Likert; A, B, F, H, E, C → Likert matrix;
//! N → number; S, T, U → free text; X (text display) → section description;
//! mandatory; simple relevance equations (`Q1 == "A1"`, `… or …`,
//! `Q2_SQ001 == "Y"`); some attributes. Everything else is listed in the
//! [`ImportReport`]. HTML in texts becomes plain text, scripts are removed.
//!
//! The XML parser (roxmltree) refuses documents with a DTD, so external
//! entities and entity expansion never happen.
//!
//! Reading the file (`file`: XML tables and rows, in the survey's language)
//! is kept apart from mapping its questions to ours (`mapping`, with the
//! question types in `kinds` and relevance equations in `relevance`);
//! `text` turns LimeSurvey's HTML into plain text.

mod file;
mod ids;
mod kinds;
mod mapping;
mod relevance;
mod text;

pub use text::plain_text;

use super::import::{checked_text, ImportedQuestionnaire};
use super::SurveyError;

/// Reads an `.lss` export.
pub fn import_lss(bytes: &[u8]) -> Result<ImportedQuestionnaire, SurveyError> {
    let text = checked_text(bytes)?;
    let doc = file::parse(text)?;
    let survey = file::LssFile::read(doc.root_element())?;
    mapping::Importer::new().run(&survey)
}

#[cfg(test)]
mod tests {
    use super::ids::Ids;
    use super::relevance::parse_relevance;
    use super::*;

    #[test]
    fn plain_text_drops_tags_scripts_and_decodes_entities() {
        let (t, active) =
            plain_text("<p>Wie oft &amp; wof&uuml;r?</p><script>alert('x')</script><b>Bitte</b>");
        assert_eq!(t, "Wie oft & wofür?\nBitte");
        assert!(active);
        let (t, active) = plain_text("weniger als 5 &lt; 6");
        assert_eq!(t, "weniger als 5 < 6");
        assert!(!active);
        let (_, active) = plain_text("<img src=x onerror=alert(1)>");
        assert!(active);
    }

    #[test]
    fn relevance_equations_of_the_common_shapes_are_parsed() {
        assert_eq!(
            parse_relevance("((Q1.NAOK == \"A1\"))"),
            Some(vec![("Q1".into(), "A1".into())])
        );
        assert_eq!(
            parse_relevance("Q1 == 'A1' or Q1 == 'A2'"),
            Some(vec![("Q1".into(), "A1".into()), ("Q1".into(), "A2".into())])
        );
        assert_eq!(
            parse_relevance("Q5 == 3"),
            Some(vec![("Q5".into(), "3".into())])
        );
        assert_eq!(parse_relevance("Q1 > 3"), None);
        assert_eq!(parse_relevance("Q1 == \"A\" and Q2 == \"B\""), None);
        assert_eq!(parse_relevance("is_empty(Q1)"), None);
    }

    #[test]
    fn ids_from_codes_are_made_valid_and_unique() {
        let mut taken = Ids::default();
        assert_eq!(taken.make("Q1", "q"), "Q1");
        assert_eq!(taken.make("Q1", "q"), "Q1_2");
        assert_eq!(taken.make("_x y", "q"), "q_x_y");
    }
}
