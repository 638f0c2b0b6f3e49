//! Scorers for answers to questions about a given context.

use super::text::fold;

/// Share of required facts found in the answer. A fact may list spellings
/// separated by `|` ("14 Uhr|14:00"); any of them counts. Comparison folds
/// case, umlauts and punctuation and matches whole words, so "12" is not
/// found in "120". No facts → 1.
pub fn facts_coverage(answer: &str, facts: &[String]) -> f64 {
    if facts.is_empty() {
        return 1.0;
    }
    let hay = format!(" {} ", fold(answer));
    let found = facts
        .iter()
        .filter(|fact| {
            fact.split('|')
                .map(fold)
                .filter(|f| !f.is_empty())
                .any(|f| hay.contains(&format!(" {f} ")))
        })
        .count();
    found as f64 / facts.len() as f64
}

/// Phrases with which an answer declines because the context does not say.
/// Folded (ä → ae, ß → ss), like the answers they are matched against.
const REFUSALS: [&str; 14] = [
    "nicht im kontext",
    "nicht im text",
    "nicht in den unterlagen",
    "geht aus dem text nicht hervor",
    "geht aus dem kontext nicht hervor",
    "nicht hervor",
    "keine angabe",
    "keine angaben",
    "keine informationen",
    "nicht enthalten",
    "nicht beantworten",
    "nicht bekannt",
    "liegen mir nicht vor",
    "weiss ich nicht",
];

/// Whether an answer declines to answer. Rule-based on purpose: it is
/// reproducible and needs no second model as judge.
pub fn is_refusal(answer: &str) -> bool {
    let a = fold(answer);
    REFUSALS.iter().any(|r| a.contains(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_counts_facts_and_accepts_alternatives() {
        let facts = vec![
            "Zimmer 12".to_string(),
            "14 Uhr|14:00".to_string(),
            "Ausweis".to_string(),
        ];
        let c = facts_coverage("Kommen Sie um 14:00 in Zimmer 12.", &facts);
        assert!((c - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(facts_coverage("egal", &[]), 1.0);
    }

    #[test]
    fn coverage_folds_sharp_s() {
        let facts = vec!["Marktstraße 1".to_string()];
        assert_eq!(facts_coverage("in der Marktstrasse 1", &facts), 1.0);
    }

    #[test]
    fn refusals_are_detected_and_answers_are_not() {
        assert!(is_refusal("Das geht aus dem Text nicht hervor."));
        assert!(is_refusal("Dazu enthält der Kontext keine Informationen."));
        assert!(is_refusal("Das weiß ich nicht."));
        assert!(!is_refusal("Die Gebühr beträgt 12 Euro."));
    }
}
