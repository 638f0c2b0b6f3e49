//! Case numbers tied to persons, and the special categories of personal
//! data (Art. 9 DSGVO) by the terms that speak of them.

use std::sync::OnceLock;

use regex::{Regex, RegexSet, RegexSetBuilder};

use super::bounds::{bounded, Bounded};
use super::category::Category;
use super::matching::{preceded_by, regex, Candidate};

/// Labels of a number that belongs to one person's matter by itself.
const PERSONAL_LABELS: &str = r"(?i)(kassenzeichen|kunden-?n(r\.|ummer)|personal-?n(r\.|ummer)|mitglieds-?n(r\.|ummer)|steuernummer|ihr(em)? (zeichen|aktenzeichen)|antrags-?n(r\.|ummer)|fallnummer|versicherten-?n(r\.|ummer)|sozialhilfe|leistungsakte|personalakte|bg-nummer|schüler-?n(r\.|ummer))";

const WORD_LABELS: &str = "aktenzeichen|geschäftszeichen|zeichen|kassenzeichen|fallnummer|steuernummer|bg-nummer|az|gz|(?:kunden|personal|mitglieds|antrags|vorgangs|versicherten|schüler)-?nummer";
const DOT_LABELS: &str =
    r"az\.|gz\.|(?:kunden|personal|mitglieds|antrags|vorgangs|versicherten|schüler)-?nr\.";

pub(super) fn find_case_numbers(text: &str, out: &mut Vec<Candidate>) {
    static RE: OnceLock<Bounded> = OnceLock::new();
    // `\b(?:WORD\b|DOT)[ ]?:?[ ]?X`: after a word label the `\b` needs a
    // separator, since X starts with a word character.
    let re = bounded(
        &RE,
        format_args!(
            r"(?:(?i:{WORD_LABELS})(?:[ ]:?[ ]?|:[ ]?)|(?i:{DOT_LABELS})[ ]?:?[ ]?)([A-Za-zÄÖÜ0-9][A-Za-zÄÖÜ0-9./\-–]*(?:[ ][0-9./\-][A-Za-z0-9./\-–]*){{0,3}})"
        ),
        false,
    );
    for (c, _) in re.captures_iter(text) {
        let number = c.get(1).expect("group");
        let s = number.as_str();
        let trimmed = s.trim_end_matches(['.', '/', '-', '–', ' ']);
        if trimmed.bytes().filter(u8::is_ascii_digit).count() < 2 {
            continue;
        }
        out.push(Candidate {
            category: Category::CaseNumber,
            span: number.start()..number.start() + trimmed.len(),
        });
    }
}

/// Whether the label before the case number at `at` ties it to a person
/// even where the text names nobody.
pub(super) fn personal_case_context(text: &str, at: usize) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    preceded_by(text, at, 40, regex(&RE, PERSONAL_LABELS))
}

/// Term lists per special category. Stems are matched at the start of a
/// word, case-insensitively; terms that also name an institution
/// ("Gesundheitsamt", "Gewerkschaft" alone) are left out on purpose.
const SPECIAL: &[(Category, &str)] = &[
    (
        Category::Health,
        r"diagnos\w*|\w*erkrank\w*|\w*krankheit\w*|krankgeschrieben|krankmeldung\w*|krankschreibung\w*|arbeitsunfähig\w*|au-bescheinigung\w*|schwerbehindert\w*|mit behinderung\w*|eine behinderung|behinderungsbedingt\w*|grad der behinderung|gdb|pflegegrad\w*|pflegebedürftig\w*|psychisch\w*|psychiatri\w*|depressi\w*|diabet\w*|demenz\w*|\w*therapie\w*|rehabilitation|reha-?maßnahme\w*|kur\b|schwanger\w*|mutterschutz|medikament\w*|ärztlich\w* attest|attest|atteste|ärztlich\w* befund\w*|krankenhausaufenthalt\w*|stationär aufgenommen|stationäre behandlung|hiv|aids|spielsucht|alkoholsucht|drogensucht|suchtberatung|\w*abhängig(?:keit)? von alkohol|alkoholabhängig\w*|drogenabhängig\w*|allergi\w*|burn-?out|long covid|covid-19-erkrankung|gesundheitszustand\w*|gesundheitlich\w*|gesundheitsdaten|bandscheibenvorfall|op-termin|chemo\w*|tumor\w*|krebs(?:erkrankung|diagnose|leiden)\w*|herzinfarkt\w*|schlaganfall\w*|epilepsie|asthma|multiple sklerose|impfstatus|suizid\w*",
    ),
    (
        Category::Religion,
        r"konfession\w*|religion\w*|religiös\w*|glaubensgemeinschaft\w*|glaubensrichtung\w*|kirchenaustritt\w*|kirchenmitglied\w*|aus der kirche ausgetreten|kirchensteuerpflichtig\w*|römisch-katholisch\w*|katholisch\w*|evangelisch\w*|muslimisch\w*|muslim\w*|jüdisch\w*|jude|jüdin|buddhist\w*|hindu\w*|atheist\w*|zeugen jehovas|kopftuch\w*|weltanschauung\w*|weltanschaulich\w*|ramadan|freitagsgebet\w*",
    ),
    (
        Category::TradeUnion,
        r"gewerkschaftsmitglied\w*|gewerkschaftlich\w*|gewerkschaftszugehörigkeit|mitglied (?:der|in der|bei der|einer) gewerkschaft|mitglied (?:bei|in|von|der) (?:ver\.di|verdi|der gew|gew|ig metall|der ig metall|gdp|der gdp|komba|dbb|ig bau|ngg|evg)|ver\.di-mitglied\w*|verdi-mitglied\w*|gew-mitglied\w*|ig-metall-mitglied\w*|streikteilnahme|am streik teilgenommen",
    ),
    (
        Category::EthnicOrigin,
        r"ethnisch\w*|migrationshintergrund|migrationsgeschichte|hautfarbe|rassisch\w*|rassistisch\w*|sinti|roma\b|abstammung|volkszugehörigkeit|herkunftsland|kurdischer herkunft|türkischer herkunft|arabischer herkunft|afrikanischer herkunft|\w+stämmig\w*",
    ),
    (
        Category::SexualOrientation,
        r"sexuell\w* orientierung|sexuelle identität|sexualleben|sexualität|homosexuell\w*|heterosexuell\w*|bisexuell\w*|schwul\w*|lesbisch\w*|queer\w*|transgeschlechtlich\w*|transgender|transsexuell\w*|intergeschlechtlich\w*|geschlechtsangleich\w*|coming-out|lgbt\w*",
    ),
    (
        Category::PoliticalOpinion,
        r"politisch\w* (?:meinung|überzeugung|einstellung|gesinnung|betätigung|haltung|ansicht)\w*|parteimitglied\w*|parteizugehörigkeit|parteibuch|parteiaustritt|mitglied (?:der|in der|bei der|bei den|von der) (?:spd|cdu|csu|fdp|afd|grünen|linken|linkspartei|partei die linke|piratenpartei|npd|die partei|bsw|freien wähler)|(?:spd|cdu|csu|fdp|afd)-mitglied\w*|wählt (?:die )?(?:spd|cdu|csu|fdp|afd|grünen|linke)|demonstrationsteilnehm\w*|an der demonstration teilgenommen|gesinnung",
    ),
    (
        Category::Biometric,
        r"biometrisch\w*|genetisch\w*|fingerabdr\w*|gesichtserkennung\w*|gesichtsgeometrie|iris-?scan\w*|dna\w*|gentest\w*|genomanalyse\w*|genomsequenz\w*|erbkrankheit\w*|stimmprofil\w*|venenscan\w*|handvenen\w*",
    ),
];

/// Words after "katholisch"/"evangelisch" etc. that make it the name of an
/// institution, not a person's faith.
#[rustfmt::skip]
const INSTITUTIONS: &[&str] = &[
    "kirche", "kirchengemeinde", "kita", "kindertagesstätte", "kindergarten", "akademie",
    "krankenhaus", "schule", "grundschule", "hochschule", "fachhochschule", "stiftung", "dekanat",
    "kirchenkreis", "landeskirche", "bildungswerk", "friedhof", "pflegeheim", "altenheim",
    "diakonie", "caritas", "jugend", "erwachsenenbildung", "familienbildungsstätte",
    "sozialstation", "seelsorge", "religionsunterricht", "gemeinde",
];

/// The special-category patterns, and one set of them all that tells in
/// one pass which can match at all: most texts name none of the seven,
/// and a pattern's own pass costs as much as the set's.
struct Special {
    patterns: Vec<(Category, Bounded)>,
    any: RegexSet,
}

pub(super) fn find_special(text: &str, out: &mut Vec<Candidate>) {
    static SPECIAL_RES: OnceLock<Special> = OnceLock::new();
    let special = SPECIAL_RES.get_or_init(|| {
        let patterns: Vec<(Category, Bounded)> = SPECIAL
            .iter()
            .map(|(c, terms)| {
                // `\b(?:…kur\b…)\b`: a `\b` at a term's end repeats the outer one.
                let terms = terms.replace(r"\b", "");
                (*c, Bounded::new(&format!(r"(?i:{terms})"), true))
            })
            .collect();
        // A match of a bounded pattern is a match of its regex, so a
        // pattern the set does not report has no match. The set's DFA
        // needs the room its patterns need (with 2 MiB it ran on the
        // PikeVM, at 4 ms a scan).
        let any = RegexSetBuilder::new(patterns.iter().map(|(_, re)| re.as_str()))
            .dfa_size_limit(super::matching::DFA_LIMIT)
            .build()
            .expect("valid patterns");
        Special { patterns, any }
    });
    for k in special.any.matches(text).iter() {
        let (category, re) = &special.patterns[k];
        for span in re.find_iter(text) {
            if *category == Category::Religion && names_institution(text, span.end) {
                continue;
            }
            out.push(Candidate {
                category: *category,
                span,
            });
        }
    }
}

fn names_institution(text: &str, end: usize) -> bool {
    let next = text[end..]
        .trim_start()
        .split(|c: char| !c.is_alphabetic())
        .next()
        .unwrap_or_default()
        .to_lowercase();
    INSTITUTIONS.iter().any(|i| next.starts_with(i))
}
