//! Personal data in German administrative text, found locally before a
//! request is routed. A data class that the user declares is a weak
//! control; what the detector finds raises it (never lowers it), so that a
//! message with an IBAN declared "öffentlich" still only reaches a backend
//! the KI-Richtlinie allows for personal data.
//!
//! Rules, not a model: identifiers count only when their check digit is
//! right, names and dates of birth only with the context that makes them
//! one ("Frau", "geb. am", a signature), special categories of Art. 9
//! DSGVO by term lists. Every pattern runs on the `regex` crate's
//! automata, so scanning is linear in the text's length; word boundaries
//! are checked outside the patterns (see `bounds`) so that the lazy DFA,
//! not the PikeVM, does the scanning.

mod bounds;
mod category;
mod checksum;
mod contact;
mod identifiers;
mod matching;
mod names;
mod prefilter;
mod terms;

use std::ops::Range;

use serde::Serialize;

use crate::policy::DataClass;

pub use category::Category;
pub use checksum::{iban_valid, icao_check_digit, mod_11_10, steuer_id_valid, sv_nummer_valid};

/// One piece of personal data: what it is and where (byte offsets into
/// the scanned text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub category: Category,
    pub span: Range<usize>,
}

impl Finding {
    pub fn class(&self) -> DataClass {
        self.category.class()
    }
}

/// Everything the detector finds in `text`, in text order, no two
/// overlapping.
pub fn scan(text: &str) -> Vec<Finding> {
    let mut candidates = Vec::new();
    // The order is the rank: a checksummed identifier beats a phone
    // number over the same digits, a date of birth beats an address.
    identifiers::find_checksummed(text, &mut candidates);
    contact::find_email(text, &mut candidates);
    contact::find_birth_dates(text, &mut candidates);
    terms::find_case_numbers(text, &mut candidates);
    contact::find_phones(text, &mut candidates);
    identifiers::find_plates(text, &mut candidates);
    contact::find_addresses(text, &mut candidates);
    names::find_names(text, &mut candidates);
    terms::find_special(text, &mut candidates);

    let mut taken: Vec<Finding> = Vec::new();
    for c in candidates {
        if c.span.is_empty() || taken.iter().any(|t| overlaps(&t.span, &c.span)) {
            continue;
        }
        taken.push(Finding {
            category: c.category,
            span: c.span,
        });
    }
    // A case number counts only where the text is about a person; a
    // Bebauungsplan's Aktenzeichen is not personal data.
    let about_person = taken.iter().any(|f| f.category.identifies());
    taken.retain(|f| {
        f.category != Category::CaseNumber
            || about_person
            || terms::personal_case_context(text, f.span.start)
    });
    taken.sort_by_key(|f| f.span.start);
    taken
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// The highest class the findings imply; none for no findings.
pub fn implied_class(findings: &[Finding]) -> Option<DataClass> {
    findings.iter().map(Finding::class).max()
}

/// The class a request is routed by: the declared one, raised to what the
/// findings imply, never lowered.
pub fn effective_class(declared: DataClass, findings: &[Finding]) -> DataClass {
    implied_class(findings).map_or(declared, |found| declared.max(found))
}

/// The categories found, each once, in the enum's order.
pub fn categories(findings: &[Finding]) -> Vec<Category> {
    let mut out: Vec<Category> = findings.iter().map(|f| f.category).collect();
    out.sort();
    out.dedup();
    out
}

/// The categories as one German phrase for the chat and refusals, e.g.
/// "IBAN, Name einer Person".
pub fn describe(categories: &[Category]) -> String {
    categories
        .iter()
        .map(|c| c.label())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(Category, &str)> {
        scan(text)
            .into_iter()
            .map(|f| (f.category, &text[f.span]))
            .collect()
    }

    #[test]
    fn iban_raises_public_to_personal() {
        let text = "Bitte überweisen Sie den Betrag auf DE89 3704 0044 0532 0130 00.";
        assert_eq!(
            found(text),
            vec![(Category::Iban, "DE89 3704 0044 0532 0130 00")]
        );
        let findings = scan(text);
        assert_eq!(
            effective_class(DataClass::Public, &findings),
            DataClass::Personal
        );
        assert_eq!(
            effective_class(DataClass::SpecialCategories, &findings),
            DataClass::SpecialCategories
        );
    }

    #[test]
    fn wrong_check_digits_are_not_reported() {
        assert!(scan("Konto DE89 3704 0044 0532 0130 01, Bestellnummer 86095742718.").is_empty());
    }

    #[test]
    fn plain_text_stays_clean() {
        let text = "Der Gemeinderat hat am 12.03.2024 den Haushalt 2025 beschlossen. \
            Im Jahr 2024 kamen 12000 Besucher; die DIN EN 1090 gilt weiter.";
        assert_eq!(found(text), vec![]);
        assert_eq!(
            effective_class(DataClass::Public, &scan(text)),
            DataClass::Public
        );
    }

    #[test]
    fn names_need_context() {
        assert_eq!(
            found("Sehr geehrte Frau Dr. Özdemir-Lange,"),
            vec![(Category::Name, "Özdemir-Lange")]
        );
        assert_eq!(found("Sehr geehrte Damen und Herren,"), vec![]);
    }

    #[test]
    fn special_categories_rank_highest() {
        let text = "Herr Becker ist seit März krankgeschrieben.";
        assert_eq!(
            implied_class(&scan(text)),
            Some(DataClass::SpecialCategories)
        );
    }

    proptest::proptest! {
        /// What the fuzz target `pii_scan` checks, on every test run:
        /// any text, findings in order, on char boundaries, never lowering.
        #[test]
        fn any_text_gives_ordered_findings_on_char_boundaries(
            text in "(\\PC|[0-9 .,:/@\n-]|DE89|Frau |geb\\. ){0,80}"
        ) {
            let findings = scan(&text);
            let mut end = 0;
            for f in &findings {
                proptest::prop_assert!(f.span.start >= end && f.span.start < f.span.end);
                proptest::prop_assert!(text.is_char_boundary(f.span.start) && text.is_char_boundary(f.span.end));
                end = f.span.end;
            }
            for declared in DataClass::ALL {
                proptest::prop_assert!(effective_class(declared, &findings) >= declared);
            }
        }
    }
}
