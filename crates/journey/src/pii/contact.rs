//! Ways to reach a person: e-mail addresses, phone numbers, postal
//! addresses; and dates of birth.

use std::sync::OnceLock;

use regex::Regex;

use super::bounds::{bounded, Bounded};
use super::category::Category;
use super::matching::{floor_boundary, preceded_by, regex, Candidate};
use super::prefilter;

fn push_all(re: &Regex, text: &str, category: Category, out: &mut Vec<Candidate>) {
    for m in re.find_iter(text) {
        out.push(Candidate {
            category,
            span: m.range(),
        });
    }
}

pub(super) fn find_email(text: &str, out: &mut Vec<Candidate>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = regex(
        &RE,
        r"\b[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}\b",
    );
    push_all(re, text, Category::Email, out);
}

/// German numbers: +49 or 0049 or a leading 0 with an area code, in the
/// groupings DIN 5008 and everyday writing use ("0431 901-2345",
/// "(0431) 90 12 34", "+49 (0)151 2345 6789", "0431/9012345").
pub(super) fn find_phones(text: &str, out: &mut Vec<Candidate>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = regex(
        &RE,
        r"(?:\+49|\b0049)[ \-/]?(?:\(0\)[ ]?)?[1-9][0-9]{1,4}(?:[ \-/]?[0-9]{1,8}){1,4}\b|(?:\(0[1-9][0-9]{1,4}\)|\b0[1-9][0-9]{1,4})(?:[ \-/]{1,3}[0-9]{1,8}|[0-9]{1,8}){1,4}\b",
    );
    static CONTEXT: OnceLock<Regex> = OnceLock::new();
    let context = regex(
        &CONTEXT,
        r"(?i)(tel|fon|fax|mobil|handy|erreichbar|durchwahl|rufnummer|nummer|anruf|unter|whatsapp|ruf)",
    );
    for m in re.find_iter(text) {
        let digits = m.as_str().bytes().filter(u8::is_ascii_digit).count();
        // Fewer than eight digits is a Saxon postcode or a list number;
        // eight may be a short phone line or a "0815/2024" reference, so
        // that needs a word like "Tel." before it.
        let short_ok = digits > 8 || preceded_by(text, m.start(), 30, context);
        // A phone number never continues a group of digits before it:
        // "… 0044 0532 0130 01" is the tail of an account number.
        let glued = text[..m.start()]
            .trim_end_matches([' ', '-', '/'])
            .ends_with(|c: char| c.is_ascii_digit());
        if (8..=15).contains(&digits) && short_ok && !glued {
            out.push(Candidate {
                category: Category::Phone,
                span: m.range(),
            });
        }
    }
}

const DATE: &str = r"(?:[0-3]?[0-9]\.[ ]?[01]?[0-9]\.[ ]?(?:19|20)?[0-9]{2}|[0-3]?[0-9]\.[ ]?(?:Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember|Jan\.|Feb\.|Aug\.|Sept?\.|Okt\.|Nov\.|Dez\.)[ ]?(?:19|20)[0-9]{2}|(?:19|20)[0-9]{2}-[01][0-9]-[0-3][0-9])";

/// A date counts as a date of birth only after the words that make it
/// one; the span is the date itself.
pub(super) fn find_birth_dates(text: &str, out: &mut Vec<Candidate>) {
    if !prefilter::may_hold_birth_date(text) {
        return;
    }
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = regex(
        &RE,
        format_args!(
            r"(?i:\b(?:geb\.|geboren|geburtsdatum|geb\.-datum|geburtstag|geburt))(?:[ ](?:des|der|von)[ ]\w+)?[:,]?\s{{0,3}}(?:(?i:am|den|ist der|vom)\s{{0,3}})?({DATE})|\*[ ]?({DATE})|\bam[ ]({DATE})(?:[ ]in[ ][A-ZÄÖÜ][a-zäöüß]+)?[ ]geboren"
        ),
    );
    for c in re.captures_iter(text) {
        if let Some(date) = c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3)) {
            out.push(Candidate {
                category: Category::BirthDate,
                span: date.range(),
            });
        }
    }
}

/// Words after a five-digit number that make it an amount, not a postcode.
#[rustfmt::skip]
const NOT_PLACES: &[&str] = &[
    "Euro", "EUR", "Einwohner", "Einwohnerinnen", "Einwohnende", "Menschen", "Personen", "Stück",
    "Seiten", "Fälle", "Anträge", "Haushalte", "Beschäftigte", "Mitarbeitende", "Stunden", "Tage",
    "Kilometer", "Besucher", "Besucherinnen", "Euro.", "Zeichen", "Wörter", "Token", "Tokens",
    "Datensätze", "Einträge", "Dokumente", "Nutzer", "Nutzende", "Anfragen", "Quadratmeter",
    "Bürgerinnen", "Bürger", "Kunden", "Schüler", "Kinder", "Exemplare", "Liter", "Tonnen",
];

/// Words after "Am", "Im", … that start a phrase about time or a
/// document, not a street.
#[rustfmt::skip]
const NOT_STREETS: &[&str] = &[
    "Jahr", "Jahre", "Jahren", "Monat", "Haushaltsjahr", "Quartal", "Zeitraum", "Rahmen", "Punkt",
    "Abschnitt", "Absatz", "Kapitel", "Anhang", "Anlage", "Sitzung", "Vergleich", "Montag",
    "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag", "Schritt", "Teil", "Tag",
    "Raum", "Zimmer", "Saal", "Gebäude", "Haus", "Artikel", "Paragraf", "Ende", "Durchschnitt",
    "Mittel", "Umfang", "Alter", "Bereich", "Fall", "Folgenden", "Stadtgebiet", "Gemeindegebiet",
    "Landkreis", "Kreis", "Vorjahr", "Ergebnis", "Laufe", "Moment", "Minimum", "Maximum", "Schnitt",
    "Sommer", "Winter", "Frühjahr", "Herbst",
];

/// Words that end like a street but name a place in an office or a
/// course of action.
#[rustfmt::skip]
const NOT_STREET_WORDS: &[&str] = &[
    "Arbeitsplatz", "Parkplatz", "Stellplatz", "Sitzplatz", "Ausbildungsplatz", "Kitaplatz",
    "Betreuungsplatz", "Studienplatz", "Praktikumsplatz", "Lösungsweg", "Rechtsweg", "Dienstweg",
    "Rückweg", "Bildungsweg", "Arbeitsmarkt", "Wohnungsmarkt", "Binnenmarkt",
];

/// Street and house number, and postcode and place.
pub(super) fn find_addresses(text: &str, out: &mut Vec<Candidate>) {
    static STREET: OnceLock<Bounded> = OnceLock::new();
    static PLACE: OnceLock<Bounded> = OnceLock::new();
    let word = r"[A-ZÄÖÜ][a-zäöüß]+";
    // The `\b` after a house number's letter ("12 a") is implied by the
    // trailing one: what may follow the letter is "-", "–", "/" or the end.
    let street = bounded(
        &STREET,
        format_args!(
            r"(?:(?:{word}-)*[A-ZÄÖÜ][a-zäöüß]*(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|pfad|steig|stieg|markt|kamp|twiete|redder|wall|graben|koppel|brücke|promenade)|{word}(?:er|sche|s)?[ ](?:Straße|Str\.|Weg|Allee|Platz|Gasse|Ring|Damm|Ufer|Chaussee|Markt|Brücke)|(?:Am|An[ ]der|An[ ]den|Auf[ ]der|Auf[ ]dem|Im|In[ ]der|In[ ]den|Zum|Zur|Hinter[ ]der|Hinter[ ]dem|Unter[ ]den|Alte|Alter|Altes|Neue|Neuer|Kleine|Kleiner|Große|Großer|Hohe|Hoher|Lange|Langer)[ ]({word})(?:[- ]{word})?)[ ]?([1-9][0-9]{{0,2}}(?:[ ]?[a-h])?(?:[-–/][1-9][0-9]{{0,2}})?)"
        ),
        true,
    );
    for (c, whole) in street.captures_iter(text) {
        let first = text[whole.clone()].split(' ').next().unwrap_or_default();
        if c.get(1).is_some_and(|w| {
            NOT_STREETS.contains(&w.as_str()) || crate::date::MONTHS.contains(&w.as_str())
        }) || NOT_STREET_WORDS.contains(&first)
        {
            continue;
        }
        // "Hauptstraße 12.05." is a date after a street name, and a
        // number with a decimal comma is an amount.
        let after = &text.as_bytes()[whole.end..];
        if matches!(after, [b'.' | b',', d, ..] if d.is_ascii_digit()) {
            continue;
        }
        out.push(Candidate {
            category: Category::Address,
            span: whole,
        });
    }
    let place = bounded(
        &PLACE,
        format_args!(
            r"(?:D-)?[0-9]{{5}}[ ]({word}(?:-{word})*)(?:[ ](?:am|an[ ]der|in[ ]der|im|bei|ob[ ]der|vor[ ]der)[ ]{word}|[ ]\({word}\))?"
        ),
        false,
    );
    for (c, whole) in place.captures_iter(text) {
        let word = &c[1];
        // Plural nouns ("56140 Haushaltsstellen") are counts, not places.
        const PLURALS: &[&str] = &[
            "ungen", "stellen", "heiten", "keiten", "nisse", "sätze", "plätze", "fälle", "träge",
        ];
        if NOT_PLACES.contains(&word) || PLURALS.iter().any(|p| word.ends_with(p)) {
            continue;
        }
        street_before(text, whole.start, out);
        let before = floor_boundary(text, whole.start.saturating_sub(1));
        // A five-digit number inside a longer one (a phone number, an
        // account) is not a postcode.
        if text[before..whole.start]
            .bytes()
            .any(|b| b.is_ascii_digit() || b == b'/' || b == b'-')
        {
            continue;
        }
        out.push(Candidate {
            category: Category::Address,
            span: whole,
        });
    }
}

/// A street line right before a postcode ("Sophienblatt 3, 24103 Kiel",
/// or the line above it in an address field) counts as a street even
/// without a suffix like "-straße".
fn street_before(text: &str, at: usize, out: &mut Vec<Candidate>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = regex(
        &RE,
        r"[A-ZÄÖÜ][A-Za-zÄÖÜäöüß.\-]*(?:[ ][A-ZÄÖÜ][A-Za-zÄÖÜäöüß.\-]*){0,3}[ ][1-9][0-9]{0,2}(?:[ ]?[a-h])?$",
    );
    let before = &text[..at];
    let Some(head) = before
        .strip_suffix(", ")
        .or_else(|| before.strip_suffix('\n'))
        .or_else(|| before.strip_suffix("\r\n"))
    else {
        return;
    };
    let line_start = head.rfind(['\n', ',']).map_or(0, |i| i + 1);
    if let Some(m) = re.find(&head[line_start..]) {
        out.push(Candidate {
            category: Category::Address,
            span: line_start + m.start()..line_start + m.end(),
        });
    }
}
