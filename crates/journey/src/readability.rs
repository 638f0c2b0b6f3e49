//! German readability: Flesch reading ease in Amstad's form and the four
//! Wiener Sachtextformeln (see DOMAIN.md). Syllables are counted by rule, not
//! by dictionary, so single words may be off by one; over a paragraph the
//! error averages out and both texts of a comparison share it.

use serde::Serialize;

/// Text statistics and the scores derived from them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Readability {
    pub words: usize,
    pub sentences: usize,
    pub syllables: usize,
    /// Flesch-Amstad: 180 − ASL − 58.5 × ASW. Higher is easier; not clamped,
    /// so that a gain stays visible at the ends of the scale.
    pub flesch_amstad: f64,
    /// Wiener Sachtextformel 1–4 (school grade; lower is easier).
    pub wstf: [f64; 4],
}

/// Pairs of vowels spoken as one syllable.
const DIPHTHONGS: [&str; 9] = ["ai", "au", "ei", "eu", "äu", "ie", "aa", "ee", "oo"];

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'ä' | 'ö' | 'ü' | 'y')
}

/// Syllables of one German word: each vowel or diphthong starts a syllable;
/// "u" after "q" is part of the consonant. A word without vowels (an
/// abbreviation, a number) counts as one syllable.
pub fn syllables(word: &str) -> usize {
    let chars: Vec<char> = word.chars().flat_map(char::to_lowercase).collect();
    let mut count = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_vowel(c) && !(c == 'u' && i > 0 && chars[i - 1] == 'q') {
            count += 1;
            if let Some(&next) = chars.get(i + 1) {
                let pair: String = [c, next].iter().collect();
                if DIPHTHONGS.contains(&pair.as_str()) {
                    i += 1;
                }
            }
        }
        i += 1;
    }
    count.max(1)
}

/// Scores a text; `None` for a text without words.
pub fn readability(text: &str) -> Option<Readability> {
    let mut words = 0usize;
    let mut syll = 0usize;
    let mut many = 0usize; // ≥ 3 syllables
    let mut long = 0usize; // > 6 letters
    let mut single = 0usize; // 1 syllable
    let mut sentences = 0usize;
    let mut words_in_sentence = 0usize;
    let mut word = String::new();

    let mut flush = |word: &mut String, words_in_sentence: &mut usize| {
        if word.is_empty() {
            return;
        }
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
        *words_in_sentence += 1;
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() {
            word.push(c);
            continue;
        }
        flush(&mut word, &mut words_in_sentence);
        if matches!(c, '.' | '!' | '?') && words_in_sentence > 0 {
            sentences += 1;
            words_in_sentence = 0;
        }
    }
    flush(&mut word, &mut words_in_sentence);
    if words_in_sentence > 0 {
        sentences += 1;
    }
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables_follow_vowels_and_diphthongs() {
        assert_eq!(syllables("Hund"), 1);
        assert_eq!(syllables("Katze"), 2);
        assert_eq!(syllables("Bescheid"), 2);
        assert_eq!(syllables("beantragen"), 4);
        assert_eq!(syllables("Quelle"), 2);
        assert_eq!(syllables("neue"), 2);
        assert_eq!(syllables("Verwaltungsgebühr"), 5);
        assert_eq!(syllables("Information"), 5);
        assert_eq!(syllables("Nr"), 1);
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
