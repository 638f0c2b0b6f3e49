//! Okapi BM25 over passages given as their terms (see [`crate::german`]).
//! The ranking is computed from the passages of one space on each search:
//! no index to keep in step with the database, and a space of a few
//! thousand passages is ranked in milliseconds.

use std::collections::HashMap;

/// Term frequency saturation and length normalisation as in most systems
/// (Lucene, Elasticsearch).
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// The best `k` passages for the query terms, as (index, score), best
/// first; passages without any query term are left out.
pub fn rank<S: AsRef<str>>(query: &[String], passages: &[S], k: usize) -> Vec<(usize, f64)> {
    if query.is_empty() || passages.is_empty() || k == 0 {
        return Vec::new();
    }
    let mut unique: Vec<&str> = query.iter().map(String::as_str).collect();
    unique.sort_unstable();
    unique.dedup();
    let mut frequencies: Vec<HashMap<&str, u32>> = Vec::with_capacity(passages.len());
    let mut lengths = Vec::with_capacity(passages.len());
    let mut document_frequency: HashMap<&str, u32> = HashMap::new();
    for passage in passages {
        let mut tf: HashMap<&str, u32> = HashMap::new();
        let mut length = 0u32;
        for term in passage.as_ref().split_whitespace() {
            length += 1;
            if let Ok(i) = unique.binary_search(&term) {
                *tf.entry(unique[i]).or_default() += 1;
            }
        }
        for term in tf.keys() {
            *document_frequency.entry(term).or_default() += 1;
        }
        frequencies.push(tf);
        lengths.push(f64::from(length));
    }
    let n = passages.len() as f64;
    let average = (lengths.iter().sum::<f64>() / n).max(1.0);
    let idf = |term: &str| {
        let df = f64::from(document_frequency.get(term).copied().unwrap_or(0));
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    };
    let mut scored: Vec<(usize, f64)> = frequencies
        .iter()
        .zip(&lengths)
        .enumerate()
        .filter(|(_, (tf, _))| !tf.is_empty())
        .map(|(i, (tf, &length))| {
            let score = query
                .iter()
                .filter_map(|t| tf.get(t.as_str()).map(|&f| (t, f64::from(f))))
                .map(|(t, f)| idf(t) * f * (K1 + 1.0) / (f + K1 * (1.0 - B + B * length / average)))
                .sum::<f64>();
            (i, score)
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(k);
    scored
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::german::terms;

    #[test]
    fn the_passage_about_the_question_comes_first() {
        let passages: Vec<String> = [
            "Die Hundesteuer beträgt für den ersten Hund 120 Euro im Jahr.",
            "Der Rat der Stadt tagt öffentlich. Die Sitzungen werden bekannt gemacht.",
            "Gebühren für Parkausweise: Anwohner zahlen 30 Euro.",
        ]
        .iter()
        .map(|t| terms(t).join(" "))
        .collect();
        let q = terms("Wann tagt der Rat öffentlich?");
        let ranked = rank(&q, &passages, 3);
        assert_eq!(ranked[0].0, 1);
        assert_eq!(ranked.len(), 1);
        let q = terms("Was kostet ein Hund?");
        assert_eq!(rank(&q, &passages, 1)[0].0, 0);
        assert!(rank(&terms("Baugenehmigung"), &passages, 3).is_empty());
    }
}
