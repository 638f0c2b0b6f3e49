//! Evaluation of learning offers: a weighted rubric with editable criteria
//! (`content/de/qualification/bewertung.yaml`), a score per offer, a
//! side-by-side comparison and a decision with its reason.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{parse_yaml, QualificationError};
use crate::survey::is_valid_id;

/// Ratings run from 1 (weak) to 5 (very good).
pub const RATING_MIN: u8 = 1;
pub const RATING_MAX: u8 = 5;
/// The weights are percentages; a little slack absorbs rounding in forms.
const WEIGHT_SUM: f64 = 100.0;
const WEIGHT_TOLERANCE: f64 = 0.5;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RubricCriterion {
    pub id: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Percent of the total score.
    pub weight: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// From this score on, the rubric suggests taking the offer in.
    pub aufnehmen: f64,
    /// From this score on (and below `aufnehmen`), it suggests a closer look.
    pub pruefen: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rubric {
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub version: u32,
    pub thresholds: Thresholds,
    pub criteria: Vec<RubricCriterion>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Aufnehmen,
    Pruefen,
    Ablehnen,
}

impl Decision {
    pub const ALL: [Decision; 3] = [Decision::Aufnehmen, Decision::Pruefen, Decision::Ablehnen];

    pub fn label(self) -> &'static str {
        match self {
            Decision::Aufnehmen => "aufnehmen",
            Decision::Pruefen => "prüfen",
            Decision::Ablehnen => "ablehnen",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Decision::Aufnehmen => "aufnehmen",
            Decision::Pruefen => "pruefen",
            Decision::Ablehnen => "ablehnen",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        Decision::ALL
            .into_iter()
            .find(|d| d.key() == s || d.label() == s)
    }
}

/// One offer's ratings, the decision taken and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evaluation {
    pub offer: String,
    /// Criterion id → rating 1–5.
    pub ratings: BTreeMap<String, u8>,
    pub decision: Decision,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionPoints {
    pub id: String,
    pub rating: u8,
    /// Weighted points this criterion contributes (0 … its weight).
    pub points: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfferScore {
    pub offer: String,
    /// 0–100, one decimal.
    pub total: f64,
    pub parts: Vec<CriterionPoints>,
    /// What the thresholds suggest.
    pub suggested: Decision,
    pub decision: Decision,
    pub reason: String,
    /// Labels of criteria without a rating: added to the rubric after the
    /// offer was evaluated ([`Rubric::rescore`]); they count 0 points.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unrated: Vec<String>,
}

impl Rubric {
    pub fn parse(file: &str, text: &str) -> Result<Rubric, QualificationError> {
        let rubric: Rubric = parse_yaml(file, text)?;
        rubric.validate()?;
        Ok(rubric)
    }

    pub fn shipped() -> Result<Rubric, QualificationError> {
        Rubric::parse(super::RUBRIC.path, super::RUBRIC.default_text)
    }

    /// Checks a rubric someone edited: unique ids, non-negative weights that
    /// sum to 100 %, thresholds in order.
    pub fn validate(&self) -> Result<(), QualificationError> {
        let mut problems = Vec::new();
        if self.criteria.is_empty() {
            problems.push("Es ist kein Kriterium angegeben.".to_string());
        }
        let mut ids = HashSet::new();
        for c in &self.criteria {
            if !is_valid_id(&c.id) {
                problems.push(format!(
                    "Kriterium „{}“: Die Kennung darf nur Buchstaben, Ziffern, _ und - enthalten.",
                    c.id
                ));
            }
            if !ids.insert(c.id.as_str()) {
                problems.push(format!("Kriterium „{}“ ist doppelt vorhanden.", c.id));
            }
            if c.label.trim().is_empty() {
                problems.push(format!("Kriterium „{}“: Die Bezeichnung fehlt.", c.id));
            }
            if !(c.weight.is_finite() && c.weight >= 0.0) {
                problems.push(format!(
                    "Kriterium „{}“: Das Gewicht {} ist ungültig; erlaubt sind Prozentwerte ab 0.",
                    c.id, c.weight
                ));
            }
        }
        let sum: f64 = self.criteria.iter().map(|c| c.weight).sum();
        if sum.is_finite() && (sum - WEIGHT_SUM).abs() > WEIGHT_TOLERANCE {
            problems.push(format!(
                "Die Gewichte ergeben zusammen {} %, sie müssen 100 % ergeben ({}).",
                format_number(sum),
                self.criteria
                    .iter()
                    .map(|c| format!("{} {} %", c.label, format_number(c.weight)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let t = self.thresholds;
        if !(0.0..=100.0).contains(&t.pruefen)
            || !(0.0..=100.0).contains(&t.aufnehmen)
            || t.pruefen > t.aufnehmen
        {
            problems.push(format!(
                "Die Schwellen müssen zwischen 0 und 100 liegen, „prüfen“ ({}) höchstens so hoch wie „aufnehmen“ ({}).",
                format_number(t.pruefen),
                format_number(t.aufnehmen)
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(QualificationError::InvalidRubric { problems })
        }
    }

    pub fn suggest(&self, total: f64) -> Decision {
        if total >= self.thresholds.aufnehmen {
            Decision::Aufnehmen
        } else if total >= self.thresholds.pruefen {
            Decision::Pruefen
        } else {
            Decision::Ablehnen
        }
    }

    /// Scores an evaluation. Every criterion needs a rating 1–5, unknown
    /// criteria are errors, and a decision needs a reason.
    pub fn score(&self, evaluation: &Evaluation) -> Result<OfferScore, QualificationError> {
        let mut problems = Vec::new();
        let mut parts = Vec::with_capacity(self.criteria.len());
        for c in &self.criteria {
            match evaluation.ratings.get(&c.id) {
                None => problems.push(format!("Für das Kriterium „{}“ fehlt die Bewertung.", c.label)),
                Some(&r) if !(RATING_MIN..=RATING_MAX).contains(&r) => problems.push(format!(
                    "Die Bewertung {r} für „{}“ liegt nicht zwischen {RATING_MIN} und {RATING_MAX}.",
                    c.label
                )),
                Some(&r) => parts.push(criterion_points(c, r)),
            }
        }
        for id in evaluation.ratings.keys() {
            if !self.criteria.iter().any(|c| &c.id == id) {
                problems.push(format!(
                    "Das Kriterium „{id}“ gibt es im Bewertungsraster nicht."
                ));
            }
        }
        if evaluation.reason.trim().is_empty() {
            problems.push(format!(
                "Zur Entscheidung „{}“ fehlt die Begründung.",
                evaluation.decision.label()
            ));
        }
        if !problems.is_empty() {
            return Err(QualificationError::InvalidEvaluation {
                offer: evaluation.offer.clone(),
                problems,
            });
        }
        Ok(self.finish(evaluation, parts, Vec::new()))
    }

    /// Scores a stored evaluation under the rubric as it is now, which may
    /// have been edited since: ratings of removed criteria are ignored,
    /// criteria added since count 0 points and are listed as `unrated`, and
    /// changed weights change the points.
    pub fn rescore(&self, evaluation: &Evaluation) -> OfferScore {
        let mut parts = Vec::with_capacity(self.criteria.len());
        let mut unrated = Vec::new();
        for c in &self.criteria {
            match evaluation.ratings.get(&c.id) {
                Some(&r) => parts.push(criterion_points(c, r.clamp(RATING_MIN, RATING_MAX))),
                None => unrated.push(c.label.clone()),
            }
        }
        self.finish(evaluation, parts, unrated)
    }

    fn finish(
        &self,
        evaluation: &Evaluation,
        parts: Vec<CriterionPoints>,
        unrated: Vec<String>,
    ) -> OfferScore {
        let total = round1(parts.iter().map(|p| p.points).sum());
        OfferScore {
            offer: evaluation.offer.clone(),
            total,
            parts,
            suggested: self.suggest(total),
            decision: evaluation.decision,
            reason: evaluation.reason.clone(),
            unrated,
        }
    }
}

fn criterion_points(c: &RubricCriterion, rating: u8) -> CriterionPoints {
    CriterionPoints {
        id: c.id.clone(),
        rating,
        points: c.weight * f64::from(rating - RATING_MIN) / f64::from(RATING_MAX - RATING_MIN),
    }
}

/// A side-by-side comparison: one row per criterion, one column per offer,
/// offers ordered by score (ties by id).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub offers: Vec<OfferScore>,
    pub rows: Vec<ComparisonRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonRow {
    pub criterion: String,
    pub label: String,
    pub weight: f64,
    /// Ratings in the order of `Comparison::offers`; `None` where the
    /// criterion was added after the offer was evaluated.
    pub ratings: Vec<Option<u8>>,
    /// Index into `offers` of the best rating(s) in this row.
    pub best: Vec<usize>,
}

/// Stored evaluations are rescored under the current rubric
/// ([`Rubric::rescore`]), so an edited rubric changes the ranking at once.
pub fn compare(rubric: &Rubric, evaluations: &[Evaluation]) -> Comparison {
    let mut offers: Vec<OfferScore> = evaluations.iter().map(|e| rubric.rescore(e)).collect();
    offers.sort_by(|a, b| {
        b.total
            .total_cmp(&a.total)
            .then_with(|| a.offer.cmp(&b.offer))
    });
    let rows = rubric
        .criteria
        .iter()
        .map(|c| {
            let ratings: Vec<Option<u8>> = offers
                .iter()
                .map(|o| o.parts.iter().find(|p| p.id == c.id).map(|p| p.rating))
                .collect();
            let top = ratings.iter().flatten().copied().max();
            ComparisonRow {
                criterion: c.id.clone(),
                label: c.label.clone(),
                weight: c.weight,
                best: (0..ratings.len())
                    .filter(|&j| top.is_some() && ratings[j] == top)
                    .collect(),
                ratings,
            }
        })
        .collect();
    Comparison { offers, rows }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A number as Germans write it, without trailing zeros.
pub fn format_number(x: f64) -> String {
    crate::german::decimal(x, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_german_and_an_empty_sum_is_no_minus_zero() {
        assert_eq!(format_number(std::iter::empty::<f64>().sum()), "0");
        assert_eq!(format_number(-0.0), "0");
        assert_eq!(format_number(6.5), "6,5");
        assert_eq!(format_number(1234.0), "1.234");
    }

    fn evaluation(offer: &str, rating: u8) -> Evaluation {
        let rubric = Rubric::shipped().unwrap();
        Evaluation {
            offer: offer.into(),
            ratings: rubric
                .criteria
                .iter()
                .map(|c| (c.id.clone(), rating))
                .collect(),
            decision: Decision::Pruefen,
            reason: "Probe".into(),
        }
    }

    #[test]
    fn the_shipped_rubric_sums_to_one_hundred() {
        let rubric = Rubric::shipped().unwrap();
        let sum: f64 = rubric.criteria.iter().map(|c| c.weight).sum();
        assert!((sum - 100.0).abs() < 1e-9);
    }

    #[test]
    fn weights_that_do_not_sum_to_one_hundred_are_rejected_with_the_sum() {
        let mut rubric = Rubric::shipped().unwrap();
        rubric.criteria[0].weight += 15.0;
        let err = rubric.validate().unwrap_err().to_string();
        assert!(err.contains("115 %"), "{err}");
        assert!(err.contains(&rubric.criteria[0].label), "{err}");
    }

    #[test]
    fn a_negative_weight_is_named() {
        let mut rubric = Rubric::shipped().unwrap();
        rubric.criteria[1].weight = -5.0;
        rubric.criteria[0].weight += 20.0;
        let err = rubric.validate().unwrap_err().to_string();
        assert!(err.contains(&rubric.criteria[1].id), "{err}");
    }

    #[test]
    fn all_fives_score_one_hundred_and_all_ones_zero() {
        let rubric = Rubric::shipped().unwrap();
        assert_eq!(rubric.score(&evaluation("a", 5)).unwrap().total, 100.0);
        assert_eq!(rubric.score(&evaluation("a", 1)).unwrap().total, 0.0);
        let mid = rubric.score(&evaluation("a", 3)).unwrap();
        assert_eq!(mid.total, 50.0);
        assert_eq!(mid.suggested, Decision::Pruefen);
    }

    #[test]
    fn a_score_weighs_each_criterion_by_its_percentage() {
        let rubric = Rubric::shipped().unwrap();
        let mut e = evaluation("a", 1);
        let first = &rubric.criteria[0];
        e.ratings.insert(first.id.clone(), 5);
        assert_eq!(rubric.score(&e).unwrap().total, round1(first.weight));
    }

    #[test]
    fn a_missing_rating_and_a_missing_reason_are_reported() {
        let rubric = Rubric::shipped().unwrap();
        let mut e = evaluation("kurs", 4);
        e.ratings.remove(&rubric.criteria[2].id);
        e.reason = " ".into();
        let err = rubric.score(&e).unwrap_err().to_string();
        assert!(err.contains("kurs"), "{err}");
        assert!(err.contains(&rubric.criteria[2].label), "{err}");
        assert!(err.contains("Begründung"), "{err}");
    }

    #[test]
    fn the_comparison_ranks_offers_and_marks_the_best_rating_per_row() {
        let rubric = Rubric::shipped().unwrap();
        let mut b = evaluation("b", 3);
        b.ratings.insert(rubric.criteria[0].id.clone(), 5);
        let cmp = compare(&rubric, &[evaluation("a", 2), b, evaluation("c", 4)]);
        let order: Vec<&str> = cmp.offers.iter().map(|o| o.offer.as_str()).collect();
        assert_eq!(order, ["c", "b", "a"]);
        assert_eq!(cmp.rows[0].best, vec![1]);
        assert_eq!(cmp.rows[1].best, vec![0]);
    }

    #[test]
    fn an_edited_rubric_rescores_stored_evaluations() {
        let mut rubric = Rubric::shipped().unwrap();
        let stored = evaluation("a", 5);
        let removed = rubric.criteria.remove(0);
        rubric.criteria[0].weight += removed.weight - 10.0;
        rubric.criteria.push(RubricCriterion {
            id: "neu".into(),
            label: "Neues Kriterium".into(),
            description: String::new(),
            weight: 10.0,
        });
        rubric.validate().unwrap();
        let score = rubric.rescore(&stored);
        assert_eq!(score.total, 90.0, "the new criterion counts 0 points");
        assert_eq!(score.unrated, vec!["Neues Kriterium".to_string()]);
        let cmp = compare(&rubric, &[stored]);
        assert_eq!(cmp.rows.last().unwrap().ratings, vec![None]);
        assert!(cmp.rows.last().unwrap().best.is_empty());
        assert!(cmp.rows.iter().all(|r| r.criterion != removed.id));
    }
}
