//! Overlap between an answer and a reference: ROUGE-L on words and chrF on
//! characters.

use std::collections::HashMap;

use super::text::words;

/// ROUGE-L F1 (as in Google's `rouge-score` without stemming): the longest
/// common subsequence of words gives precision against the candidate and
/// recall against the reference. Range 0..=1.
pub fn rouge_l(candidate: &str, reference: &str) -> f64 {
    let c = words(candidate);
    let r = words(reference);
    if c.is_empty() || r.is_empty() {
        return 0.0;
    }
    let lcs = lcs_len(&c, &r) as f64;
    if lcs == 0.0 {
        return 0.0;
    }
    let p = lcs / c.len() as f64;
    let rec = lcs / r.len() as f64;
    2.0 * p * rec / (p + rec)
}

/// Length of the longest common subsequence, in O(len(a)·len(b)) time and
/// O(len(b)) memory: texts here are a few hundred words at most.
fn lcs_len<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    for x in a {
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                cur[j].max(prev[j + 1])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

const CHRF_ORDER: usize = 6;
const CHRF_BETA: f64 = 2.0;

/// chrF with sacreBLEU 2.x defaults (character n-grams up to 6, β = 2,
/// whitespace removed, case kept). Precision and recall are averaged over the
/// orders for which both texts have n-grams, then combined into F-β.
/// Range 0..=100, like sacreBLEU's sentence score.
pub fn chrf(candidate: &str, reference: &str) -> f64 {
    let hyp: Vec<char> = candidate.chars().filter(|c| !c.is_whitespace()).collect();
    let refc: Vec<char> = reference.chars().filter(|c| !c.is_whitespace()).collect();
    let (mut avg_p, mut avg_r, mut effective) = (0.0, 0.0, 0usize);
    for n in 1..=CHRF_ORDER {
        let h = ngrams(&hyp, n);
        let r = ngrams(&refc, n);
        let n_hyp: usize = h.values().sum();
        let n_ref: usize = r.values().sum();
        if n_hyp == 0 || n_ref == 0 {
            continue;
        }
        let matched: usize = h
            .iter()
            .map(|(g, &count)| count.min(r.get(g).copied().unwrap_or(0)))
            .sum();
        avg_p += matched as f64 / n_hyp as f64;
        avg_r += matched as f64 / n_ref as f64;
        effective += 1;
    }
    if effective == 0 {
        return 0.0;
    }
    avg_p /= effective as f64;
    avg_r /= effective as f64;
    if avg_p + avg_r == 0.0 {
        return 0.0;
    }
    let f = CHRF_BETA * CHRF_BETA;
    100.0 * (1.0 + f) * avg_p * avg_r / (f * avg_p + avg_r)
}

fn ngrams(chars: &[char], n: usize) -> HashMap<&[char], usize> {
    let mut map = HashMap::new();
    if chars.len() >= n {
        for w in chars.windows(n) {
            *map.entry(w).or_insert(0) += 1;
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn rouge_l_of_identical_texts_is_one() {
        assert!(close(rouge_l("Der Rat tagt.", "der rat TAGT"), 1.0));
    }

    #[test]
    fn rouge_l_matches_hand_computed_value() {
        // candidate: der rat beschließt den haushalt (5 words)
        // reference: der gemeinderat beschließt heute den haushalt (6 words)
        // LCS = der, beschließt, den, haushalt = 4 → P = 4/5, R = 4/6
        // F = 2·0.8·0.6667 / (0.8 + 0.6667) = 0.727272…
        let f = rouge_l(
            "Der Rat beschließt den Haushalt",
            "Der Gemeinderat beschließt heute den Haushalt",
        );
        assert!(close(f, 8.0 / 11.0), "{f}");
    }

    #[test]
    fn rouge_l_without_common_words_or_with_empty_text_is_zero() {
        assert_eq!(rouge_l("Apfel", "Birne"), 0.0);
        assert_eq!(rouge_l("", "Birne"), 0.0);
    }

    #[test]
    fn chrf_of_identical_texts_is_one_hundred() {
        assert!(close(chrf("Amt für Umwelt", "Amt für Umwelt"), 100.0));
    }

    #[test]
    fn chrf_ignores_whitespace() {
        assert!(close(chrf("ab c", "abc"), 100.0));
    }

    #[test]
    fn chrf_matches_hand_computed_value() {
        // hyp "abcd", ref "abce" (no whitespace).
        // n=1: hyp a,b,c,d ref a,b,c,e → match 3 → P 3/4, R 3/4
        // n=2: ab,bc,cd vs ab,bc,ce → 2 → P 2/3, R 2/3
        // n=3: abc,bcd vs abc,bce → 1 → P 1/2, R 1/2
        // n=4: abcd vs abce → 0 → P 0, R 0
        // n=5,6: no n-grams → not effective.
        // avg P = avg R = (0.75 + 0.6667 + 0.5 + 0) / 4 = 0.479166…
        // F-β with P = R is P itself → 47.9166…
        let expected = 100.0 * (0.75 + 2.0 / 3.0 + 0.5 + 0.0) / 4.0;
        assert!(close(chrf("abcd", "abce"), expected));
    }

    #[test]
    fn chrf_weights_recall_more_than_precision() {
        // hyp "ab", ref "abcd".
        // n=1: match 2 → P 1, R 1/2; n=2: match 1 → P 1, R 1/3; n≥3: hyp empty.
        // avg P = 1, avg R = 5/12; F2 = 5·1·(5/12) / (4·1 + 5/12) = 25/53
        let expected = 100.0 * 25.0 / 53.0;
        assert!(
            close(chrf("ab", "abcd"), expected),
            "{}",
            chrf("ab", "abcd")
        );
    }

    #[test]
    fn chrf_of_empty_candidate_is_zero() {
        assert_eq!(chrf("", "abc"), 0.0);
    }
}
