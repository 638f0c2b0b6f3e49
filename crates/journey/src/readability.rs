//! German readability: Flesch reading ease in Amstad's form and the four
//! Wiener Sachtextformeln (see docs/domain.md), plus the sentences too long to
//! follow. Used by the comparison benchmark (plain-language rewrites) and by
//! the document editor (a hint per section).
//!
//! Syllables are counted by rule, not by dictionary, so single words may be
//! off by one (unstressed "-ie" as in "Linie", vowel pairs across a prefix as
//! in "beinhalten"); over a paragraph the error averages out and both texts
//! of a comparison share it.

use serde::Serialize;

/// Sentences with more words than this get a hint.
pub const LONG_SENTENCE_WORDS: usize = 25;

/// Text statistics and the scores derived from them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readability {
    pub words: usize,
    pub sentences: usize,
    pub syllables: usize,
    /// Flesch-Amstad: 180 − ASL − 58.5 × ASW. Higher is easier; not clamped,
    /// so that a gain stays visible at the ends of the scale.
    pub flesch_amstad: f64,
    /// Wiener Sachtextformel 1–4 (school grade; lower is easier).
    pub wstf: [f64; 4],
    /// The sentences with more than [`LONG_SENTENCE_WORDS`] words, as written.
    pub long_sentences: Vec<String>,
}

/// Pairs of vowels spoken as one syllable.
const DIPHTHONGS: [&str; 10] = ["ai", "au", "ei", "eu", "äu", "ie", "aa", "ee", "oo", "ou"];

/// Abbreviations whose full stop does not end a sentence (lowercase, without
/// the stop). Single letters ("z. B.", "d. h.") are handled apart.
const ABBREVIATIONS: [&str; 27] = [
    "abs", "art", "bspw", "bzw", "ca", "dr", "etc", "evtl", "ff", "gem", "ggf", "i.d.r", "inkl",
    "lt", "max", "min", "nr", "rd", "sog", "str", "tel", "u.a", "usw", "vgl", "zb", "zzgl", "ziff",
];

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'ä' | 'ö' | 'ü' | 'y')
}

/// Syllables of one German word: each vowel or diphthong starts a syllable;
/// "u" after "q" is part of the consonant. Plural "-ien" (Richtlinien,
/// Kategorien) and "-eum"/"-äum" (Museum) are two syllables. A short word in
/// capitals is an abbreviation spoken letter by letter (KI, DSGVO). A word
/// without vowels (a number) counts as one syllable.
pub fn syllables(word: &str) -> usize {
    let letters = word.chars().count();
    if (2..=5).contains(&letters) && word.chars().all(|c| c.is_uppercase()) {
        return letters;
    }
    let chars: Vec<char> = word.chars().flat_map(char::to_lowercase).collect();
    let n = chars.len();
    let mut count = 0;
    let mut i = 0;
    while i < n {
        let c = chars[i];
        if is_vowel(c) && !(c == 'u' && i > 0 && chars[i - 1] == 'q') {
            count += 1;
            if let Some(&next) = chars.get(i + 1) {
                let pair: String = [c, next].iter().collect();
                let ending: String = chars[i..].iter().collect();
                let splits = matches!(ending.as_str(), "ien" | "eum" | "äum");
                if DIPHTHONGS.contains(&pair.as_str()) && !splits {
                    i += 1;
                }
            }
        }
        i += 1;
    }
    count.max(1)
}

/// Whether the full stop at byte `dot` of `text` ends a sentence. It does
/// not after an abbreviation, a single letter or a number (ordinals such as
/// "2. Februar"), nor inside a token ("www.halle.de", "1.5"), nor before a
/// lowercase word.
fn full_stop_ends_sentence(text: &str, dot: usize) -> bool {
    // A closing quote or bracket right after the stop belongs to the sentence.
    let after = text[dot + 1..].trim_start_matches(['"', '“', '”', '»', '«', ')', '\'', '’']);
    let Some(next) = after.chars().next() else {
        return true;
    };
    if !next.is_whitespace() {
        return false;
    }
    let rest = after.trim_start();
    let Some(next_word) = rest.chars().next() else {
        return true;
    };
    let before = &text[..dot];
    let token: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<String>()
        .to_lowercase();
    let newline_follows = after[..after.len() - rest.len()].contains('\n');
    if token.chars().all(|c| c.is_ascii_digit()) && !token.is_empty() {
        return newline_follows;
    }
    if token.chars().count() == 1 || ABBREVIATIONS.contains(&token.as_str()) {
        return false;
    }
    !next_word.is_lowercase()
}

/// Scores a text; `None` for a text without words. A blank line ends a
/// sentence too, so that headings and list items without a full stop do not
/// run into the next sentence.
pub fn readability(text: &str) -> Option<Readability> {
    let mut words = 0usize;
    let mut syll = 0usize;
    let mut many = 0usize; // ≥ 3 syllables
    let mut long = 0usize; // > 6 letters
    let mut single = 0usize; // 1 syllable
    let mut sentences = 0usize;
    let mut long_sentences = Vec::new();
    let mut words_in_sentence = 0usize;
    let mut sentence_start = 0usize;
    let mut word_start: Option<usize> = None;

    let mut count_word = |word: &str| {
        let s = syllables(word);
        words += 1;
        syll += s;
        if s >= 3 {
            many += 1;
        }
        if s == 1 {
            single += 1;
        }
        if word.chars().count() > 6 {
            long += 1;
        }
    };
    let mut end_sentence = |start: &mut usize, end: usize, in_sentence: &mut usize| {
        if *in_sentence > 0 {
            sentences += 1;
            if *in_sentence > LONG_SENTENCE_WORDS {
                let sentence = text[*start..end].split_whitespace();
                long_sentences.push(sentence.collect::<Vec<_>>().join(" "));
            }
        }
        *in_sentence = 0;
        *start = end;
    };
    let mut prev = ' ';
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            if word_start.is_none() {
                word_start = Some(i);
            }
            prev = c;
            continue;
        }
        if let Some(start) = word_start.take() {
            count_word(&text[start..i]);
            words_in_sentence += 1;
        }
        let ends = match c {
            '!' | '?' => true,
            '.' => full_stop_ends_sentence(text, i),
            '\n' => prev == '\n',
            _ => false,
        };
        if ends {
            end_sentence(
                &mut sentence_start,
                i + c.len_utf8(),
                &mut words_in_sentence,
            );
        }
        if !(c == ' ' || c == '\t' || c == '\r') {
            prev = c;
        }
    }
    if let Some(start) = word_start {
        count_word(&text[start..]);
        words_in_sentence += 1;
    }
    end_sentence(&mut sentence_start, text.len(), &mut words_in_sentence);
    if words == 0 {
        return None;
    }
    let w = words as f64;
    let asl = w / sentences as f64;
    let asw = syll as f64 / w;
    let ms = 100.0 * many as f64 / w;
    let iw = 100.0 * long as f64 / w;
    let es = 100.0 * single as f64 / w;
    Some(Readability {
        words,
        sentences,
        syllables: syll,
        flesch_amstad: 180.0 - asl - 58.5 * asw,
        wstf: [
            0.1935 * ms + 0.1672 * asl + 0.1297 * iw - 0.0327 * es - 0.875,
            0.2007 * ms + 0.1682 * asl + 0.1373 * iw - 2.779,
            0.2963 * ms + 0.1905 * asl - 1.1144,
            0.2744 * ms + 0.2656 * asl - 1.693,
        ],
        long_sentences,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-counted by spoken syllables (Sil-ben-tren-nung).
    const WORDS: [(&str, usize); 52] = [
        ("Hund", 1),
        ("Katze", 2),
        ("Bescheid", 2),
        ("beantragen", 4),
        ("Quelle", 2),
        ("neue", 2),
        ("Verwaltungsgebühr", 5),
        ("Information", 5),
        ("Nr", 1),
        ("Richtlinie", 3),
        ("Richtlinien", 4),
        ("Kategorien", 5),
        ("Kriterien", 4),
        ("Datenschutz", 3),
        ("Personalrat", 4),
        ("Dienstvereinbarung", 5),
        ("Beschäftigte", 4),
        ("künstliche", 3),
        ("Intelligenz", 4),
        ("Kommune", 3),
        ("Verwaltung", 3),
        ("Bürgerinnen", 4),
        ("Steuer", 2),
        ("Abenteuer", 4),
        ("Häuser", 2),
        ("Mai", 1),
        ("Feuer", 2),
        ("Bier", 1),
        ("Zoo", 1),
        ("Idee", 2),
        ("Sprache", 2),
        ("Strategie", 3),
        ("Schwellwertanalyse", 6),
        ("Gemeinde", 3),
        ("Auftragsverarbeitung", 6),
        ("Cloud", 1),
        ("Mitarbeiterinnen", 6),
        ("Verordnung", 3),
        ("Einwilligung", 4),
        ("Öffentlichkeit", 4),
        ("Haushalt", 2),
        ("Prompt", 1),
        ("Transparenz", 3),
        ("Kennzeichnung", 3),
        ("Europa", 3),
        ("Qualität", 3),
        ("Chaos", 2),
        ("Museum", 3),
        ("KI", 2),
        ("DSGVO", 5),
        ("2026", 1),
        ("Schulung", 2),
    ];

    #[test]
    fn syllables_match_a_hand_counted_word_list() {
        let wrong: Vec<String> = WORDS
            .iter()
            .filter(|(w, n)| syllables(w) != *n)
            .map(|(w, n)| format!("{w}: {} statt {n}", syllables(w)))
            .collect();
        assert!(wrong.is_empty(), "{wrong:?}");
    }

    #[test]
    fn readability_matches_hand_computed_values() {
        // 6 words, 2 sentences, syllables 1+1+1+1+2+1 = 7.
        // ASL 3, ASW 7/6 → FRE = 180 − 3 − 58.5·7/6 = 108.75
        // MS 0 %, IW 1/6 (schläft) = 16.67 %, ES 5/6 = 83.33 %
        let r = readability("Der Hund bellt. Die Katze schläft.").unwrap();
        assert_eq!((r.words, r.sentences, r.syllables), (6, 2, 7));
        assert!((r.flesch_amstad - 108.75).abs() < 1e-9);
        let iw = 100.0 / 6.0;
        let es = 500.0 / 6.0;
        let wstf1 = 0.1672 * 3.0 + 0.1297 * iw - 0.0327 * es - 0.875;
        assert!((r.wstf[0] - wstf1).abs() < 1e-9);
        assert!((r.wstf[0] - (-0.936_733_333)).abs() < 1e-6);
        assert!((r.wstf[1] - (0.1682 * 3.0 + 0.1373 * iw - 2.779)).abs() < 1e-9);
        assert!((r.wstf[2] - (0.1905 * 3.0 - 1.1144)).abs() < 1e-9);
        assert!((r.wstf[3] - (0.2656 * 3.0 - 1.693)).abs() < 1e-9);
    }

    #[test]
    fn officialese_matches_hand_computed_values() {
        // One sentence of 8 words:
        // Die(1) Verwaltung(3) prüft(1) Anträge(3) nach(1) Art.(1) 4(1) sorgfältig(3)
        // syllables 14; MS = 3/8 = 37.5 %; IW (> 6 letters): Verwaltung,
        // Anträge, sorgfältig = 37.5 %; ES = 5/8 = 62.5 %; SL = 8.
        // FRE  = 180 − 8 − 58.5 · 14/8 = 69.625
        // WSTF1 = 7.25625 + 1.3376 + 4.86375 − 2.04375 − 0.875 = 10.53885
        // WSTF2 = 7.52625 + 1.3456 + 5.14875 − 2.779 = 11.2416
        // WSTF3 = 11.11125 + 1.524 − 1.1144 = 11.52085
        // WSTF4 = 10.29 + 2.1248 − 1.693 = 10.7218
        let r = readability("Die Verwaltung prüft Anträge nach Art. 4 sorgfältig.").unwrap();
        assert_eq!((r.words, r.sentences, r.syllables), (8, 1, 14));
        assert!((r.flesch_amstad - 69.625).abs() < 1e-9);
        let expected = [10.53885, 11.2416, 11.52085, 10.7218];
        for (got, want) in r.wstf.iter().zip(expected) {
            assert!((got - want).abs() < 1e-9, "{got} ≠ {want}");
        }
    }

    #[test]
    fn abbreviations_and_ordinals_do_not_end_sentences() {
        let r = readability(
            "Das gilt z. B. für Anträge nach Art. 4 der Verordnung. Ab dem 2. Februar gilt es. \
             Mehr unter www.halle.de im Netz.",
        )
        .unwrap();
        assert_eq!(r.sentences, 3);
    }

    #[test]
    fn a_quote_closing_after_the_full_stop_ends_the_sentence() {
        let r = readability("Er sagt: „Das ist geprüft.“ Dann geht es weiter.").unwrap();
        assert_eq!(r.sentences, 2);
    }

    #[test]
    fn blank_lines_end_headings_and_list_items() {
        let r =
            readability("Ziele\n\nWir schulen alle Beschäftigten\n\nWir prüfen Anträge").unwrap();
        assert_eq!(r.sentences, 3);
    }

    #[test]
    fn sentences_over_25_words_are_listed_as_written() {
        let long = "Die Beschäftigten der Verwaltung dürfen die freigegebenen KI-Werkzeuge \
                    nur für dienstliche Aufgaben nutzen und müssen jedes Ergebnis vor dem \
                    Versand an Bürgerinnen und Bürger sorgfältig auf Richtigkeit, Vollständigkeit \
                    und Verständlichkeit prüfen.";
        let text = format!("Das ist kurz. {long} Auch das ist kurz.");
        let r = readability(&text).unwrap();
        assert_eq!(r.sentences, 3);
        let expected: String = long.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(r.long_sentences, vec![expected]);
        // 25 words exactly is not long.
        let twenty_five = vec!["Wort"; 25].join(" ") + ".";
        assert!(readability(&twenty_five).unwrap().long_sentences.is_empty());
    }

    #[test]
    fn plain_language_scores_easier_than_officialese() {
        let hard = readability(
            "Die Gewährung der beantragten Leistungen erfolgt vorbehaltlich der \
             fristgerechten Vorlage sämtlicher erforderlichen Nachweisunterlagen.",
        )
        .unwrap();
        let easy = readability("Sie bekommen das Geld. Schicken Sie uns bitte vorher alle Belege.")
            .unwrap();
        assert!(easy.flesch_amstad > hard.flesch_amstad);
        assert!(easy.wstf[0] < hard.wstf[0]);
    }

    #[test]
    fn text_without_words_has_no_score() {
        assert!(readability(" ... !").is_none());
    }
}
