//! Names of persons, found by what stands around them: a form of address
//! ("Frau", "Herrn Dr."), a field label ("Name:"), a salutation, a
//! signature, or a common first name before a capitalised word. A bare
//! surname with no such context is not found; the test set measures how
//! often that costs recall.

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use super::bounds::{bounded, Bounded};
use super::category::Category;
use super::matching::Candidate;
use super::prefilter;

/// Capitalised words that follow "Frau" or a label without being a name.
#[rustfmt::skip]
const NOT_NAMES: &[&str] = &[
    "Sie", "Ihr", "Ihre", "Ihnen", "Ihren", "Ihrem", "Ihrer", "Der", "Die", "Das", "Den", "Dem",
    "Des", "Ein", "Eine", "Mit", "Und", "Oder", "Bitte", "Am", "Im", "In", "Zu", "Zur", "Zum",
    "Von", "Vom", "Bei", "Für", "Auf", "Aus", "Nach", "Wir", "Ich", "Es", "Er", "Damen", "Herren",
    "Kolleginnen", "Kollegen", "Kollegin", "Kollege", "Team", "Alle", "Allen", "Gemeinde", "Stadt",
    "Amt", "Verwaltung", "Name", "Vorname", "Nachname", "Datum", "Telefon", "Betreff", "Anlage",
    "Anlagen", "Unterschrift", "Ort", "Straße", "Leitung", "Abteilung", "Fachbereich", "Referat",
    "Sachgebiet", "Bürgermeister", "Bürgermeisterin", "Dank", "Gruß", "Grüße", "Hinweis",
    "Mustermann", "Musterfrau", "Antrag", "Frage", "Fragen", "Wie", "Was", "Wann", "Wo", "Gut",
    "Nein", "Ja", "Vielen", "Herzlichen", "Ihrerseits", "Rückfragen", "Kenntnis", "Verfügung",
    "Hilfe", "Stand", "Information", "Informationen", "Entwurf", "KI", "Regelwerk", "Anfrage",
];

/// Offices and ranks between "Frau"/"Herr" and the name; skipped.
#[rustfmt::skip]
const ROLES: &[&str] = &[
    "Herr", "Herrn", "Frau", "Dr.", "Prof.", "Dipl.-Ing.", "Dipl.-Kfm.", "med.", "jur.", "rer.",
    "nat.", "h.", "c.", "Bürgermeister", "Bürgermeisterin", "Oberbürgermeister",
    "Oberbürgermeisterin", "Landrat", "Landrätin", "Stadtrat", "Stadträtin", "Ratsherr", "Ratsfrau",
    "Amtsleiter", "Amtsleiterin", "Kämmerer", "Kämmerin", "Minister", "Ministerin",
    "Staatssekretär", "Staatssekretärin", "Präsident", "Präsidentin", "Direktor", "Direktorin",
    "Pastor", "Pastorin", "Pfarrer", "Pfarrerin", "Rechtsanwalt", "Rechtsanwältin", "Notar",
    "Notarin", "Kollege", "Kollegin", "Abgeordneter", "Abgeordnete", "Professor", "Professorin",
    "Kreisrat", "Kreisrätin",
];

#[rustfmt::skip]
const PARTICLES: &[&str] = &[
    "von", "van", "de", "zu", "vom", "der", "den", "ter", "al", "el",
];

/// Common first names (German and of the largest immigrant groups); one
/// of them before a capitalised word is a name without further context.
#[rustfmt::skip]
const FIRST_NAMES: &[&str] = &[
    "Anna", "Maria", "Sophie", "Sophia", "Emma", "Mia", "Hannah", "Hanna", "Lea", "Leah", "Laura",
    "Julia", "Sarah", "Sara", "Lisa", "Katharina", "Johanna", "Lena", "Clara", "Klara", "Greta",
    "Ida", "Marie", "Sabine", "Petra", "Andrea", "Claudia", "Susanne", "Monika", "Ursula", "Renate",
    "Karin", "Gabriele", "Birgit", "Heike", "Anja", "Silke", "Nicole", "Stefanie", "Christina",
    "Christine", "Kerstin", "Martina", "Elke", "Ingrid", "Helga", "Brigitte", "Jutta", "Sandra",
    "Tanja", "Melanie", "Daniela", "Katrin", "Kathrin", "Ayşe", "Fatma", "Elif", "Zeynep", "Leyla",
    "Amira", "Fatima", "Agnieszka", "Katarzyna", "Olga", "Natalia", "Irina", "Svetlana", "Jana",
    "Wiebke", "Imke", "Frauke", "Maren", "Merle", "Svenja", "Swantje", "Gesa", "Telse", "Birte",
    "Britta", "Inken", "Antje", "Anke", "Hauke", "Meike", "Silja", "Ronja", "Nele", "Mareike",
    "Kirsten", "Ulrike", "Ulla", "Gerda", "Hildegard", "Erika", "Gisela", "Inge", "Ilse",
    "Waltraud", "Elisabeth", "Margarete", "Christa", "Edith", "Lieselotte", "Marianne", "Doris",
    "Bärbel", "Rosemarie", "Dagmar", "Angelika", "Regina", "Cornelia", "Beate", "Simone", "Manuela",
    "Nadine", "Yvonne", "Jessica", "Jennifer", "Vanessa", "Janina", "Jasmin", "Yasemin", "Derya",
    "Emine", "Hatice", "Merve", "Esra", "Büşra", "Aylin", "Dilara", "Milena", "Oksana", "Tamara",
    "Aleksandra", "Magdalena", "Joanna", "Ewa", "Marta", "Dorota", "Ivana", "Jelena", "Elena",
    "Ekaterina", "Tatjana", "Ludmila", "Alina", "Charlotte", "Leonie", "Emilia", "Mila", "Frieda",
    "Paula", "Lina", "Amelie", "Luisa", "Louisa", "Marlene", "Mathilda", "Helene", "Theresa",
    "Luise", "Carla", "Lotta", "Pia", "Nora", "Thea", "Jule", "Finja", "Maja", "Ella", "Martha",
    "Henrike", "Friederike", "Rieke", "Tabea", "Annika", "Franziska", "Carolin", "Caroline",
    "Miriam", "Rebecca", "Verena", "Judith", "Kristina", "Eva", "Ute", "Uta", "Heidi", "Rita",
    "Anita", "Sonja", "Silvia", "Barbara", "Bettina", "Carmen", "Iris", "Vera", "Hanne", "Paul",
    "Lukas", "Leon", "Felix", "Jonas", "Ben", "Finn", "Fynn", "Elias", "Noah", "Max", "Moritz",
    "Jan", "Tim", "Tom", "Nils", "Ole", "Hannes", "Thomas", "Michael", "Andreas", "Stefan",
    "Stephan", "Christian", "Markus", "Marcus", "Martin", "Peter", "Klaus", "Jürgen", "Uwe",
    "Frank", "Bernd", "Wolfgang", "Dieter", "Hans", "Karl", "Heinz", "Horst", "Günter", "Günther",
    "Werner", "Manfred", "Helmut", "Rainer", "Ralf", "Jörg", "Holger", "Matthias", "Sebastian",
    "Alexander", "Daniel", "Tobias", "Florian", "Philipp", "Simon", "Johannes", "Jens", "Torsten",
    "Thorsten", "Dirk", "Sven", "Kai", "Lars", "Olaf", "Mehmet", "Ahmet", "Mustafa", "Ali", "Hasan",
    "Hüseyin", "Murat", "Emre", "Mohammed", "Mohamed", "Ahmad", "Ahmed", "Omar", "Piotr", "Tomasz",
    "Krzysztof", "Sergej", "Dmitri", "Igor", "Andrei", "Ivan", "Marco", "Luca", "Giorgos", "Malte",
    "Jannik", "Bjarne", "Fiete", "Knut", "Arne", "Sönke", "Torben", "Lasse", "Mattis", "Henning",
    "Joachim", "Detlef", "Volker", "Reinhard", "Friedrich", "Konstantin", "Yusuf", "Can", "Dragan",
    "Gerd", "Gerhard", "Hartmut", "Harald", "Norbert", "Rolf", "Siegfried", "Erwin", "Kurt",
    "Walter", "Herbert", "Ernst", "Otto", "Wilhelm", "Willi", "Fritz", "Hermann", "Heinrich",
    "Ulrich", "Bernhard", "Eckhard", "Jochen", "Achim", "Axel", "Carsten", "Kersten", "Björn",
    "Jörn", "Nico", "Niklas", "Niclas", "Jonathan", "Julian", "Leonard", "Luis", "Louis", "Emil",
    "Anton", "Theo", "Oskar", "Mats", "Matteo", "Henry", "Jakob", "Jacob", "Benjamin", "David",
    "Samuel", "Fabian", "Dennis", "Marcel", "Pascal", "Patrick", "Kevin", "Steffen", "Timo",
    "Benedikt", "Dominik", "Maximilian", "Valentin", "Vincent", "Erik", "Eric", "Hendrik", "Henrik",
    "Jannis", "Jasper", "Keno", "Kjell", "Piet", "Thore", "Tjark", "Enno", "Bent", "Mirko", "Marko",
    "Goran", "Zoran", "Milan", "Pavel", "Jakub", "Kamil", "Mateusz", "Wojciech", "Marek",
    "Oleksandr", "Viktor", "Artur", "Waldemar", "Eduard", "Emin", "Burak", "Serkan", "Kemal",
    "Osman", "Cem", "Deniz", "Yunus", "Khaled", "Karim", "Tarek", "Hamid", "Reza",
];

/// The words of a name starting at `at`: up to `max` capitalised words
/// (with particles like "von" between), after skipping roles and titles.
/// A first name or an initial lets one more word follow, so "Frau Anna
/// Meyer" is whole but "Frau Meyer Rücksprache" stops at the surname.
fn name_words(text: &str, at: usize, mut max: usize) -> Option<Range<usize>> {
    let mut pos = at;
    let mut start = None;
    let mut end = at;
    let mut words = 0;
    let rest = |p: usize| &text[p..];
    loop {
        let s = rest(pos);
        let trimmed = s.trim_start_matches([' ', '\t']);
        let skip = s.len() - trimmed.len();
        let word_len = trimmed
            .find(|c: char| !(c.is_alphabetic() || c == '-' || c == '.' || c == '\''))
            .unwrap_or(trimmed.len());
        let mut word = &trimmed[..word_len];
        if word.is_empty() {
            break;
        }
        if start.is_none() && ROLES.contains(&word) {
            pos += skip + word_len;
            continue;
        }
        if PARTICLES.contains(&word) {
            // A particle belongs to the name only if a capitalised word follows.
            pos += skip + word_len;
            continue;
        }
        // A sentence's full stop is not part of the name; "A." is an initial.
        if word.ends_with('.') && word.chars().count() > 2 {
            word = &word[..word.len() - 1];
        }
        let word = word.trim_end_matches('-');
        let capitalised = word.chars().next().is_some_and(char::is_uppercase)
            && word.chars().skip(1).any(char::is_lowercase);
        let initial = word.chars().count() == 2 && word.ends_with('.');
        let initial = initial && word.chars().next().is_some_and(char::is_uppercase);
        if !(capitalised || initial) || NOT_NAMES.contains(&word) || ROLES.contains(&word) {
            break;
        }
        let word_start = pos + skip;
        start.get_or_insert(word_start);
        end = word_start + word.len();
        pos = end;
        words += 1;
        if words == 1 && (initial || FIRST_NAMES.contains(&word)) {
            max = max.max(2);
        }
        if words >= max {
            break;
        }
    }
    start.map(|s| s..end)
}

/// The contexts that a name follows, in the order of preference of one
/// alternation. Those that start with `\b` (after the index) and those
/// that do not are two patterns, merged by `next_context`, so that the
/// first can run on the lazy DFA (see `bounds`).
const CONTEXTS: [(usize, &str); 7] = [
    (
        0,
        r"(?:Herrn?|Frau|Hr\.|Fr\.|Familie|Eheleute|Dr\.|Prof\.|geb\.|Kollegin|Kollege|Kolleg:in)[ ]",
    ),
    // The first lines of an address field (DIN 5008): "Herrn", then the name.
    (1, r"(?:^|\n)(?:Herrn|Herr|Frau|Familie)[ \t]*\r?\n"),
    (0, r"(?:Liebe|Lieber|Hallo|Hi|Moin)[ ]"),
    (
        0,
        r"(?:[Nn]ame|Vorname|Nachname|Familienname|Geburtsname|Antragsteller(?:in)?|Ansprechpartner(?:in)?|Sachbearbeiter(?:in)?|Sachbearbeitung|Bearbeiter(?:in)?|Verfasser(?:in)?|Absender(?:in)?|Empfänger(?:in)?|Mieter(?:in)?|Vermieter(?:in)?|Eigentümer(?:in)?|Kontoinhaber(?:in)?|Erziehungsberechtigte[r]?|Schüler(?:in)?|Beschäftigte[r]?|Mitarbeiter(?:in)?|Teilnehmer(?:in)?|Bewerber(?:in)?|Zeuge|Zeugin|Halter(?:in)?|Kind|Patient(?:in)?|Betroffene[r]?|Verstorbene[r]?|Unterzeichner(?:in)?|Vertreter(?:in)?|Bevollmächtigte[r]?|gez|Von)[ \t]*:[ \t]*",
    ),
    (
        1,
        r"(?:Grüßen|Grüße|Gruß|MfG|Dank|LG|VG|Liebe Grüße)[ \t]*,?[ \t]*\r?\n(?:[ \t]*\r?\n)?[ \t]*(?:(?:i\.[ ]?A\.|i\.[ ]?V\.|gez\.)[ ])?",
    ),
    (0, r"(?:i\.[ ]?A\.|i\.[ ]?V\.|gez\.|LG|VG)[ ]"),
    (
        0,
        r"(?:von|mit|an|bei|für)[ ](?:der[ ]Kollegin|dem[ ]Kollegen)[ ]",
    ),
];

/// One pattern of the contexts of a kind, each in its own group.
fn contexts(kind: usize) -> String {
    CONTEXTS
        .iter()
        .filter(|(k, _)| *k == kind)
        .map(|(_, p)| format!("({p})"))
        .collect::<Vec<_>>()
        .join("|")
}

/// The index into `CONTEXTS` of the alternative that matched.
fn alternative(kind: usize, c: &regex::Captures) -> usize {
    let group = (1..c.len()).find(|g| c.get(*g).is_some()).expect("a group");
    CONTEXTS
        .iter()
        .enumerate()
        .filter(|(_, (k, _))| *k == kind)
        .nth(group - 1)
        .map(|(i, _)| i)
        .expect("alternative")
}

/// A context match: its start, its index into `CONTEXTS`, its span.
type Hit = (usize, usize, Range<usize>);

/// The searches of both context patterns, each remembered while it is
/// still ahead: a search from a later offset that does not pass the
/// remembered match's start finds the same match (the leftmost one, and
/// at one start the pattern's choice does not depend on where the search
/// began), so the text is scanned once, not once per context found.
#[derive(Default)]
struct Contexts {
    bounded: Option<Option<Hit>>,
    plain: Option<Option<Hit>>,
}

impl Contexts {
    /// The next context at or after `at`: the leftmost of both patterns,
    /// and at the same start the one listed first, as one alternation
    /// would choose. `at` must not decrease between calls.
    fn next(&mut self, text: &str, at: usize) -> Option<Range<usize>> {
        static BOUNDED: OnceLock<Bounded> = OnceLock::new();
        static PLAIN: OnceLock<Regex> = OnceLock::new();
        let bounded = BOUNDED.get_or_init(|| Bounded::new(&contexts(0), false));
        let plain = PLAIN.get_or_init(|| super::matching::compile(&contexts(1)));
        let b = remembered(&mut self.bounded, at, || {
            bounded
                .captures_at(text, at)
                .map(|(c, m)| (m.start, alternative(0, &c), m))
        });
        let p = remembered(&mut self.plain, at, || {
            plain.captures_at(text, at).map(|c| {
                let m = c.get(0).expect("match");
                (m.start(), alternative(1, &c), m.range())
            })
        });
        match (b, p) {
            (Some(b), Some(p)) => Some(if (p.0, p.1) < (b.0, b.1) { p.2 } else { b.2 }),
            (b, p) => b.or(p).map(|x| x.2),
        }
    }
}

/// The remembered search result if it is still valid from `at`, else a
/// new search.
fn remembered(
    slot: &mut Option<Option<Hit>>,
    at: usize,
    search: impl FnOnce() -> Option<Hit>,
) -> Option<Hit> {
    match slot {
        Some(Some(hit)) if hit.0 >= at => {}
        Some(None) => {}
        _ => *slot = Some(search()),
    }
    slot.clone().flatten()
}

pub(super) fn find_names(text: &str, out: &mut Vec<Candidate>) {
    static FIRST: OnceLock<Bounded> = OnceLock::new();
    let mut contexts = Contexts::default();
    let mut at = 0;
    while let Some(m) = contexts.next(text, at) {
        at = m.end;
        let m_str = &text[m.clone()];
        // A form of address names one person by surname; a label or a
        // signature line holds the whole name.
        let max = if m_str.ends_with(' ') && !m_str.contains(':') {
            1
        } else {
            3
        };
        if let Some(span) = name_words(text, m.end, max) {
            // "Schmidt, Anna" in a form field: surname, comma, first name
            // (not "Schmidt, Lindenallee 4", an address after the name).
            let span = match text[span.end..].strip_prefix(", ") {
                Some(after) if m_str.contains(':') && !text[span.clone()].contains(' ') => {
                    let from = text.len() - after.len();
                    name_words(text, from, 2)
                        .filter(|s| s.start == from)
                        .filter(|s| {
                            !text[s.end..]
                                .trim_start()
                                .starts_with(|c: char| c.is_ascii_digit())
                        })
                        .map_or(span.clone(), |s| span.start..s.end)
                }
                _ => span,
            };
            out.push(Candidate {
                category: Category::Name,
                span,
            });
        }
    }
    // "Anna Meyer (geb. …)", "Anna Meyer, geboren am …": the two words
    // before a birth-date phrase.
    if prefilter::may_name_before_birth(text) {
        find_names_before_birth(text, out);
    }
    let first = FIRST.get_or_init(|| {
        Bounded::new(
            &format!(r"(?:{})[ ][A-ZÄÖÜ][a-zäöüß]", FIRST_NAMES.join("|")),
            false,
        )
    });
    for m in first.find_iter(text) {
        if let Some(span) = name_words(text, m.start, 2) {
            if span.start == m.start && text[span.clone()].contains(' ') {
                out.push(Candidate {
                    category: Category::Name,
                    span,
                });
            }
        }
    }
}

fn find_names_before_birth(text: &str, out: &mut Vec<Candidate>) {
    static BEFORE_BIRTH: OnceLock<Bounded> = OnceLock::new();
    let before_birth = bounded(
        &BEFORE_BIRTH,
        r"([A-ZÄÖÜ][a-zäöüßı]+(?:-[A-ZÄÖÜ][a-zäöüßı]+)?[ ][A-ZÄÖÜ][A-Za-zÄÖÜäöüßıİşçğ\-]+)(?:,[ ]|[ ]\()(?:geb\.|geboren|\*)",
        false,
    );
    for (c, _) in before_birth.captures_iter(text) {
        let name = c.get(1).expect("group");
        let first_word = name.as_str().split(' ').next().unwrap_or_default();
        if !NOT_NAMES.contains(&first_word) {
            out.push(Candidate {
                category: Category::Name,
                span: name.range(),
            });
        }
    }
}
