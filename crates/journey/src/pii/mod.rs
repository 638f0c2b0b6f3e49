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
mod checksum;
mod contact;
mod identifiers;
mod names;
mod prefilter;
mod terms;

use std::ops::Range;
use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};

use serde::Serialize;

use crate::policy::DataClass;

pub use checksum::{iban_valid, icao_check_digit, mod_11_10, steuer_id_valid, sv_nummer_valid};

/// What kind of personal data a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Email,
    Phone,
    Iban,
    TaxId,
    SocialSecurity,
    IdDocument,
    LicensePlate,
    BirthDate,
    Address,
    Name,
    CaseNumber,
    Health,
    Religion,
    TradeUnion,
    EthnicOrigin,
    SexualOrientation,
    PoliticalOpinion,
    Biometric,
}

impl Category {
    pub const ALL: [Category; 18] = [
        Category::Email,
        Category::Phone,
        Category::Iban,
        Category::TaxId,
        Category::SocialSecurity,
        Category::IdDocument,
        Category::LicensePlate,
        Category::BirthDate,
        Category::Address,
        Category::Name,
        Category::CaseNumber,
        Category::Health,
        Category::Religion,
        Category::TradeUnion,
        Category::EthnicOrigin,
        Category::SexualOrientation,
        Category::PoliticalOpinion,
        Category::Biometric,
    ];

    /// The slug in JSON, the test set and the usage record.
    pub fn slug(self) -> &'static str {
        match self {
            Category::Email => "email",
            Category::Phone => "telefon",
            Category::Iban => "iban",
            Category::TaxId => "steuer_id",
            Category::SocialSecurity => "sozialversicherungsnummer",
            Category::IdDocument => "ausweisnummer",
            Category::LicensePlate => "kfz_kennzeichen",
            Category::BirthDate => "geburtsdatum",
            Category::Address => "anschrift",
            Category::Name => "name",
            Category::CaseNumber => "aktenzeichen",
            Category::Health => "gesundheit",
            Category::Religion => "religion",
            Category::TradeUnion => "gewerkschaft",
            Category::EthnicOrigin => "ethnische_herkunft",
            Category::SexualOrientation => "sexuelle_orientierung",
            Category::PoliticalOpinion => "politische_meinung",
            Category::Biometric => "biometrie_genetik",
        }
    }

    /// The name staff read in the chat's notice.
    pub fn label(self) -> &'static str {
        match self {
            Category::Email => "E-Mail-Adresse",
            Category::Phone => "Telefonnummer",
            Category::Iban => "IBAN",
            Category::TaxId => "Steuer-ID",
            Category::SocialSecurity => "Sozialversicherungsnummer",
            Category::IdDocument => "Ausweis- oder Passnummer",
            Category::LicensePlate => "Kfz-Kennzeichen",
            Category::BirthDate => "Geburtsdatum",
            Category::Address => "Anschrift",
            Category::Name => "Name einer Person",
            Category::CaseNumber => "personenbezogenes Aktenzeichen",
            Category::Health => "Gesundheitsdaten",
            Category::Religion => "religiöse oder weltanschauliche Überzeugung",
            Category::TradeUnion => "Gewerkschaftszugehörigkeit",
            Category::EthnicOrigin => "ethnische Herkunft",
            Category::SexualOrientation => "sexuelle Orientierung oder Sexualleben",
            Category::PoliticalOpinion => "politische Meinung",
            Category::Biometric => "biometrische oder genetische Daten",
        }
    }

    pub fn parse(slug: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.slug() == slug)
    }

    /// The data class a finding of this category implies.
    pub fn class(self) -> DataClass {
        if self.is_special() {
            DataClass::SpecialCategories
        } else {
            DataClass::Personal
        }
    }

    /// Special categories of personal data, Art. 9 DSGVO.
    pub fn is_special(self) -> bool {
        matches!(
            self,
            Category::Health
                | Category::Religion
                | Category::TradeUnion
                | Category::EthnicOrigin
                | Category::SexualOrientation
                | Category::PoliticalOpinion
                | Category::Biometric
        )
    }

    /// Whether the category is an identifier with a check digit.
    pub fn is_checksummed(self) -> bool {
        matches!(
            self,
            Category::Iban | Category::TaxId | Category::SocialSecurity | Category::IdDocument
        )
    }

    /// Whether the category points at a person by itself, so that a case
    /// number next to it is that person's.
    fn identifies(self) -> bool {
        !self.is_special() && self != Category::CaseNumber
    }
}

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

/// A finding before overlaps are resolved.
pub(crate) struct Candidate {
    pub category: Category,
    pub span: Range<usize>,
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

/// Room for each pattern's lazy DFA. With the `regex` default (2 MiB)
/// the DFA of a large Unicode pattern such as the health terms cannot be
/// built, and every search that does not start at the text's start (as
/// `Bounded` searches do) ran on the PikeVM: 5 ms for one 2,000-character
/// text with a dozen health terms, against 5 µs with the DFA. 4 MiB is not
/// enough either; the cache grows only as far as a text needs.
const DFA_LIMIT: usize = 16 << 20;

/// A pattern with room for its lazy DFA (see `DFA_LIMIT`).
fn compile(pattern: &str) -> Regex {
    RegexBuilder::new(pattern)
        .dfa_size_limit(DFA_LIMIT)
        .build()
        .expect("valid pattern")
}

/// A pattern compiled once, on first use. A pattern put together with
/// `format_args!` is only written out then, not on every scan.
fn regex(cell: &'static OnceLock<Regex>, pattern: impl std::fmt::Display) -> &'static Regex {
    cell.get_or_init(|| compile(&pattern.to_string()))
}

/// The largest char boundary at or below `at`.
fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Whether `context` occurs in the `window` bytes before `at`.
fn preceded_by(text: &str, at: usize, window: usize, context: &Regex) -> bool {
    let from = floor_boundary(text, at.saturating_sub(window));
    context.is_match(&text[from..at])
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
