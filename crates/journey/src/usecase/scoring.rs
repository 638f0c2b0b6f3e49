//! Weighted scoring of use cases with editable criteria
//! (`content/de/usecases/kriterien.yaml`) and the ranking built from it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::ai_act::{Classification, RiskClass};
use super::canvas::{Canvas, CanvasField, Rating};
use super::model::UseCase;
use super::{invalid_content, parse_yaml, unless_problems, UseCaseError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Benefit,
    Feasibility,
}

impl Dimension {
    pub fn label(self) -> &'static str {
        match self {
            Dimension::Benefit => "Nutzen",
            Dimension::Feasibility => "Machbarkeit",
        }
    }
}

/// What a criterion reads from the canvas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    HoursSavedPerYear,
    Quality,
    CitizenService,
    DataAvailability,
    TechnicalMaturity,
    /// Higher effort scores lower.
    Effort,
    /// Higher cost scores lower.
    Cost,
    /// The largest risk of the canvas (likelihood × impact, mapped onto
    /// 1–5); a larger risk scores lower. Not among the default criteria.
    Risk,
    /// A municipality's own criterion: `canvas.ratings[criterion id]`.
    Rating,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub description: String,
    pub dimension: Dimension,
    pub measure: Measure,
    pub weight: f64,
    /// Only for `measure: rating`; effort and cost are always lower-is-better.
    #[serde(default = "yes")]
    pub higher_is_better: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionWeights {
    pub benefit: f64,
    pub feasibility: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criteria {
    pub version: u32,
    pub dimension_weights: DimensionWeights,
    /// Four ascending bounds turning hours saved per year into a rating 1–5.
    pub hours_scale: [f64; 4],
    pub criteria: Vec<Criterion>,
}

/// The part of the criteria a problem concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CriteriaPart {
    /// The id of the criterion with this (possibly empty) id.
    Id(String),
    /// The weight of the criterion with this id.
    Weight(String),
    /// The weights of all criteria of one dimension together.
    Dimension(Dimension),
    /// The weights of benefit against feasibility.
    DimensionWeights,
    HoursScale,
}

/// The points one criterion gave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionScore {
    pub id: String,
    pub label: String,
    pub dimension: Dimension,
    pub weight: f64,
    /// The rating the points come from (hours are mapped onto 1–5 first).
    pub rating: u8,
    /// 0–100, after turning lower-is-better criteria around.
    pub points: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// 0–100, rounded to one decimal.
    pub benefit: f64,
    pub feasibility: f64,
    pub total: f64,
    pub parts: Vec<CriterionScore>,
}

impl Criteria {
    pub fn from_yaml(file: &str, text: &str) -> Result<Criteria, UseCaseError> {
        let criteria: Criteria = parse_yaml(file, text)?;
        let problems = criteria.problems();
        unless_problems(criteria, problems, invalid_content(file))
    }

    pub fn shipped() -> Result<Criteria, UseCaseError> {
        let file = super::CRITERIA;
        Criteria::from_yaml(file.path, file.default_text)
    }

    /// Checks criteria a user edited: unique ids, finite non-negative
    /// weights, each dimension with some weight, an ascending hours scale.
    pub fn validate(&self) -> Result<(), UseCaseError> {
        unless_problems((), self.problems(), |problems| {
            UseCaseError::InvalidCriteria { problems }
        })
    }

    /// Everything wrong with the criteria; empty when they are sound.
    pub fn problems(&self) -> Vec<String> {
        self.problems_by_part()
            .into_iter()
            .map(|(_, message)| message)
            .collect()
    }

    /// Everything wrong with the criteria, each with the part it concerns,
    /// so that an editor can show the message next to the value to change.
    pub fn problems_by_part(&self) -> Vec<(CriteriaPart, String)> {
        let mut problems = Vec::new();
        let mut ids = BTreeSet::new();
        for c in &self.criteria {
            if c.id.trim().is_empty() {
                problems.push((
                    CriteriaPart::Id(c.id.clone()),
                    format!("das Kriterium „{}“ hat keine Id", c.label),
                ));
            } else if !ids.insert(c.id.as_str()) {
                problems.push((
                    CriteriaPart::Id(c.id.clone()),
                    format!("die Id „{}“ ist mehrfach vergeben", c.id),
                ));
            }
            if !c.weight.is_finite() || c.weight < 0.0 {
                problems.push((
                    CriteriaPart::Weight(c.id.clone()),
                    format!("„{}“: das Gewicht muss eine Zahl ≥ 0 sein", c.id),
                ));
            }
        }
        for d in [Dimension::Benefit, Dimension::Feasibility] {
            let sum: f64 = self
                .criteria
                .iter()
                .filter(|c| c.dimension == d && c.weight.is_finite() && c.weight > 0.0)
                .map(|c| c.weight)
                .sum();
            if sum <= 0.0 {
                problems.push((
                    CriteriaPart::Dimension(d),
                    format!(
                        "{} braucht mindestens ein Kriterium mit Gewicht > 0",
                        d.label()
                    ),
                ));
            }
        }
        let w = &self.dimension_weights;
        let ok = |x: f64| x.is_finite() && x >= 0.0;
        if !ok(w.benefit) || !ok(w.feasibility) || w.benefit + w.feasibility <= 0.0 {
            problems.push((
                CriteriaPart::DimensionWeights,
                "die Gewichte von Nutzen und Machbarkeit müssen Zahlen ≥ 0 sein, nicht beide 0"
                    .to_owned(),
            ));
        }
        let s = &self.hours_scale;
        if !s.iter().all(|x| x.is_finite() && *x > 0.0) || !s.windows(2).all(|p| p[0] < p[1]) {
            problems.push((
                CriteriaPart::HoursScale,
                "die Stundenskala braucht vier aufsteigende positive Grenzen".to_owned(),
            ));
        }
        problems
    }

    fn hours_rating(&self, hours: f64) -> u8 {
        let below = self.hours_scale.iter().filter(|b| hours >= **b).count();
        // 0..=4 bounds passed → rating 1..=5.
        u8::try_from(below).map_or(Rating::MAX, |b| b + 1)
    }

    /// The rating a criterion reads from the canvas, or the field it misses.
    fn rating(&self, c: &Criterion, canvas: &Canvas) -> Result<u8, CanvasField> {
        let from = |r: Option<Rating>, f: CanvasField| r.map(Rating::get).ok_or(f);
        let b = &canvas.benefit;
        let f = &canvas.feasibility;
        match c.measure {
            Measure::HoursSavedPerYear => b
                .hours_saved_per_year
                .filter(|h| h.is_finite() && *h >= 0.0)
                .map(|h| self.hours_rating(h))
                .ok_or(CanvasField::HoursSavedPerYear),
            Measure::Quality => from(b.quality, CanvasField::Quality),
            Measure::CitizenService => from(b.citizen_service, CanvasField::CitizenService),
            Measure::DataAvailability => from(f.data_availability, CanvasField::DataAvailability),
            Measure::TechnicalMaturity => {
                from(f.technical_maturity, CanvasField::TechnicalMaturity)
            }
            Measure::Effort => from(f.effort, CanvasField::Effort),
            Measure::Cost => from(f.cost, CanvasField::Cost),
            Measure::Risk => largest_risk(canvas).ok_or(CanvasField::Risks),
            Measure::Rating => from(
                canvas.ratings.get(&c.id).copied(),
                CanvasField::Rating(c.id.clone()),
            ),
        }
    }

    fn lower_is_better(c: &Criterion) -> bool {
        match c.measure {
            Measure::Effort | Measure::Cost | Measure::Risk => true,
            Measure::Rating => !c.higher_is_better,
            _ => false,
        }
    }

    /// Scores a canvas; an incomplete one yields the fields the criteria need.
    pub fn score(&self, canvas: &Canvas) -> Result<Score, UseCaseError> {
        self.validate()?;
        let mut parts = Vec::new();
        let mut missing = Vec::new();
        for c in self.criteria.iter().filter(|c| c.weight > 0.0) {
            match self.rating(c, canvas) {
                Ok(rating) => {
                    let mut points = f64::from(rating - 1) * 25.0;
                    if Self::lower_is_better(c) {
                        points = 100.0 - points;
                    }
                    parts.push(CriterionScore {
                        id: c.id.clone(),
                        label: c.label.clone(),
                        dimension: c.dimension,
                        weight: c.weight,
                        rating,
                        points,
                    });
                }
                Err(field) => {
                    if !missing.contains(&field) {
                        missing.push(field);
                    }
                }
            }
        }
        if !missing.is_empty() {
            return Err(UseCaseError::IncompleteCanvas { missing });
        }
        let mean = |d: Dimension| {
            let (sum, weights) = parts
                .iter()
                .filter(|p| p.dimension == d)
                .fold((0.0, 0.0), |(s, w), p| {
                    (s + p.points * p.weight, w + p.weight)
                });
            if weights > 0.0 {
                sum / weights
            } else {
                0.0
            }
        };
        let benefit = mean(Dimension::Benefit);
        let feasibility = mean(Dimension::Feasibility);
        let w = &self.dimension_weights;
        let total =
            (benefit * w.benefit + feasibility * w.feasibility) / (w.benefit + w.feasibility);
        Ok(Score {
            benefit: round1(benefit),
            feasibility: round1(feasibility),
            total: round1(total),
            parts,
        })
    }
}

/// The largest risk as a rating: likelihood × impact (1–25) in five bands of
/// five. `None` when there is no risk or one lacks likelihood or impact.
fn largest_risk(canvas: &Canvas) -> Option<u8> {
    if canvas.risks.is_empty() {
        return None;
    }
    canvas
        .risks
        .iter()
        .map(|r| Some(r.likelihood?.get() * r.impact?.get()))
        .collect::<Option<Vec<u8>>>()?
        .into_iter()
        .max()
        .map(|product| product.div_ceil(5))
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// What the ranking needs of a use case.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub canvas: &'a Canvas,
    /// The AI Act classification, where there is one: a prohibited
    /// practice is never ranked, and the risk class is shown beside the rank.
    pub classification: Option<&'a Classification>,
}

impl<'a> From<&'a UseCase> for Candidate<'a> {
    fn from(u: &'a UseCase) -> Self {
        Candidate {
            id: &u.id,
            title: &u.intake.title,
            canvas: &u.canvas,
            classification: u.classification.as_ref(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    /// 1-based; equal totals share a rank (1, 2, 2, 4).
    pub rank: usize,
    pub id: String,
    pub title: String,
    pub score: Score,
    /// `None` while the use case is not classified.
    pub risk: Option<RiskClass>,
}

/// A use case kept out of the ranking because the AI Act prohibits it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prohibited {
    pub id: String,
    pub title: String,
    /// Why, in German, with the article.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unscored {
    pub id: String,
    pub title: String,
    pub missing: Vec<CanvasField>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranking {
    pub ranked: Vec<Ranked>,
    /// Use cases whose canvas lacks what the criteria need.
    pub incomplete: Vec<Unscored>,
    /// Use cases classified as a prohibited practice (Art. 5): however
    /// useful, they are not to be implemented, so they get no rank.
    pub prohibited: Vec<Prohibited>,
}

/// Why a classification is a prohibited practice, naming the letter of
/// Art. 5 (1) from the labels the walk gathered.
pub fn prohibited_reason(c: &Classification) -> String {
    let letters: Vec<String> = c
        .labels
        .iter()
        .filter_map(|l| l.strip_prefix("art-5-1-"))
        .map(|x| format!("Art. 5 Abs. 1 Buchst. {x} KI-VO"))
        .collect();
    if letters.is_empty() {
        format!(
            "{}: verbotene Praktik nach Art. 5 KI-VO",
            c.conclusion_label
        )
    } else {
        format!(
            "{}: verbotene Praktik nach {}",
            c.conclusion_label,
            letters.join(", ")
        )
    }
}

/// Ranks candidates by total score (then benefit, then title).
pub fn rank<'a>(
    candidates: impl IntoIterator<Item = Candidate<'a>>,
    criteria: &Criteria,
) -> Result<Ranking, UseCaseError> {
    criteria.validate()?;
    let mut scored = Vec::new();
    let mut incomplete = Vec::new();
    let mut prohibited = Vec::new();
    for c in candidates {
        if let Some(cl) = c
            .classification
            .filter(|cl| cl.risk == RiskClass::Prohibited)
        {
            prohibited.push(Prohibited {
                id: c.id.to_owned(),
                title: c.title.to_owned(),
                reason: prohibited_reason(cl),
            });
            continue;
        }
        match criteria.score(c.canvas) {
            Ok(score) => scored.push((c, score)),
            Err(UseCaseError::IncompleteCanvas { missing }) => incomplete.push(Unscored {
                id: c.id.to_owned(),
                title: c.title.to_owned(),
                missing,
            }),
            Err(other) => return Err(other),
        }
    }
    scored.sort_by(|(a, sa), (b, sb)| {
        sb.total
            .total_cmp(&sa.total)
            .then(sb.benefit.total_cmp(&sa.benefit))
            .then_with(|| a.title.cmp(b.title))
            .then_with(|| a.id.cmp(b.id))
    });
    let mut ranked: Vec<Ranked> = Vec::with_capacity(scored.len());
    for (i, (c, score)) in scored.into_iter().enumerate() {
        let rank = match ranked.last() {
            Some(prev) if prev.score.total == score.total => prev.rank,
            _ => i + 1,
        };
        ranked.push(Ranked {
            rank,
            id: c.id.to_owned(),
            title: c.title.to_owned(),
            score,
            risk: c.classification.map(|cl| cl.risk),
        });
    }
    Ok(Ranking {
        ranked,
        incomplete,
        prohibited,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecase::canvas::{Benefit, Feasibility};

    fn r(v: u8) -> Option<Rating> {
        Rating::new(v)
    }

    fn canvas(hours: f64, q: u8, cs: u8, da: u8, tm: u8, effort: u8, cost: u8) -> Canvas {
        Canvas {
            benefit: Benefit {
                hours_saved_per_year: Some(hours),
                quality: r(q),
                citizen_service: r(cs),
            },
            feasibility: Feasibility {
                data_availability: r(da),
                technical_maturity: r(tm),
                effort: r(effort),
                cost: r(cost),
            },
            ..Canvas::default()
        }
    }

    #[test]
    fn each_problem_of_edited_criteria_names_the_part_to_change() {
        let mut c = Criteria::shipped().unwrap();
        let first = c.criteria[0].id.clone();
        c.criteria[0].weight = -1.0;
        c.dimension_weights.benefit = -2.0;
        c.hours_scale = [400.0, 100.0, 1000.0, 2500.0];
        for k in c.criteria.iter_mut().skip(1) {
            if k.dimension == Dimension::Feasibility {
                k.weight = 0.0;
            }
        }
        let parts: Vec<CriteriaPart> = c.problems_by_part().into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            parts,
            vec![
                CriteriaPart::Weight(first),
                CriteriaPart::Dimension(Dimension::Feasibility),
                CriteriaPart::DimensionWeights,
                CriteriaPart::HoursScale,
            ]
        );
        assert_eq!(c.problems().len(), 4);
    }

    #[test]
    fn the_shipped_criteria_are_valid() {
        let c = Criteria::shipped().unwrap();
        assert_eq!(c.criteria.len(), 7);
    }

    #[test]
    fn the_best_canvas_scores_one_hundred_and_the_worst_zero() {
        let c = Criteria::shipped().unwrap();
        let best = c.score(&canvas(5000.0, 5, 5, 5, 5, 1, 1)).unwrap();
        assert_eq!(
            (best.benefit, best.feasibility, best.total),
            (100.0, 100.0, 100.0)
        );
        let worst = c.score(&canvas(10.0, 1, 1, 1, 1, 5, 5)).unwrap();
        assert_eq!(worst.total, 0.0);
    }

    #[test]
    fn hours_are_mapped_onto_the_scale_at_its_bounds() {
        let c = Criteria::shipped().unwrap();
        let ratings: Vec<u8> = [0.0, 99.9, 100.0, 400.0, 999.0, 1000.0, 2500.0, 1e9]
            .iter()
            .map(|h| c.hours_rating(*h))
            .collect();
        assert_eq!(ratings, [1, 1, 2, 3, 3, 4, 5, 5]);
    }

    #[test]
    fn weights_shift_the_score() {
        let mut c = Criteria::shipped().unwrap();
        // Benefit 100 (all 5), feasibility 0 (all worst).
        let cv = canvas(5000.0, 5, 5, 1, 1, 5, 5);
        assert_eq!(c.score(&cv).unwrap().total, 50.0);
        c.dimension_weights.benefit = 3.0;
        assert_eq!(c.score(&cv).unwrap().total, 75.0);
    }

    #[test]
    fn an_incomplete_canvas_names_the_missing_fields() {
        let c = Criteria::shipped().unwrap();
        let mut cv = canvas(500.0, 3, 3, 3, 3, 3, 3);
        cv.benefit.quality = None;
        cv.feasibility.cost = None;
        let err = c.score(&cv).unwrap_err();
        assert_eq!(
            err,
            UseCaseError::IncompleteCanvas {
                missing: vec![CanvasField::Quality, CanvasField::Cost]
            }
        );
        assert!(err.to_string().contains("Qualität, Kosten"), "{err}");
    }

    #[test]
    fn a_criterion_of_the_municipality_reads_its_own_rating() {
        let mut c = Criteria::shipped().unwrap();
        c.criteria.push(Criterion {
            id: "akzeptanz".into(),
            label: "Akzeptanz im Personalrat".into(),
            description: String::new(),
            dimension: Dimension::Feasibility,
            measure: Measure::Rating,
            weight: 2.0,
            higher_is_better: true,
        });
        let mut cv = canvas(500.0, 3, 3, 3, 3, 3, 3);
        let err = c.score(&cv).unwrap_err();
        assert_eq!(
            err,
            UseCaseError::IncompleteCanvas {
                missing: vec![CanvasField::Rating("akzeptanz".into())]
            }
        );
        cv.ratings
            .insert("akzeptanz".into(), Rating::new(5).unwrap());
        let s = c.score(&cv).unwrap();
        assert!(s.feasibility > 50.0);
    }

    #[test]
    fn a_risk_criterion_scores_the_largest_risk_lower() {
        use crate::usecase::canvas::Risk;
        let mut c = Criteria::shipped().unwrap();
        c.criteria.push(Criterion {
            id: "risiko".into(),
            label: "Risiko".into(),
            description: String::new(),
            dimension: Dimension::Feasibility,
            measure: Measure::Risk,
            weight: 1.0,
            higher_is_better: true,
        });
        let mut cv = canvas(500.0, 3, 3, 3, 3, 3, 3);
        let risk = |l: u8, i: u8| Risk {
            description: "r".into(),
            likelihood: r(l),
            impact: r(i),
            mitigation: String::new(),
        };
        assert!(c.score(&cv).is_err());
        cv.risks = vec![risk(1, 2), risk(5, 5)];
        let part = |s: &Score| s.parts.iter().find(|p| p.id == "risiko").unwrap().clone();
        let worst = part(&c.score(&cv).unwrap());
        assert_eq!((worst.rating, worst.points), (5, 0.0));
        cv.risks = vec![risk(1, 2)];
        let low = part(&c.score(&cv).unwrap());
        assert_eq!((low.rating, low.points), (1, 100.0));
        cv.risks[0].impact = None;
        assert_eq!(
            c.score(&cv).unwrap_err(),
            UseCaseError::IncompleteCanvas {
                missing: vec![CanvasField::Risks]
            }
        );
    }

    #[test]
    fn criteria_with_bad_weights_or_duplicate_ids_are_rejected() {
        let mut c = Criteria::shipped().unwrap();
        c.criteria[1].id = c.criteria[0].id.clone();
        c.criteria[2].weight = -1.0;
        c.hours_scale = [100.0, 50.0, 1000.0, 2000.0];
        for cr in c
            .criteria
            .iter_mut()
            .filter(|cr| cr.dimension == Dimension::Feasibility)
        {
            cr.weight = 0.0;
        }
        let Err(UseCaseError::InvalidCriteria { problems }) = c.validate() else {
            panic!("expected invalid criteria");
        };
        assert_eq!(problems.len(), 4, "{problems:?}");
    }

    #[test]
    fn equal_totals_share_a_rank_and_incomplete_ones_are_listed_apart() {
        let c = Criteria::shipped().unwrap();
        let a = canvas(5000.0, 5, 5, 5, 5, 1, 1);
        let b = canvas(500.0, 3, 3, 3, 3, 3, 3);
        let d = b.clone();
        let e = Canvas::default();
        let candidates = [
            Candidate {
                id: "b",
                title: "Beta",
                canvas: &b,
                classification: None,
            },
            Candidate {
                id: "e",
                title: "Leer",
                canvas: &e,
                classification: None,
            },
            Candidate {
                id: "d",
                title: "Delta",
                canvas: &d,
                classification: None,
            },
            Candidate {
                id: "a",
                title: "Alpha",
                canvas: &a,
                classification: None,
            },
        ];
        let ranking = rank(candidates, &c).unwrap();
        let order: Vec<(usize, &str)> = ranking
            .ranked
            .iter()
            .map(|r| (r.rank, r.id.as_str()))
            .collect();
        assert_eq!(order, [(1, "a"), (2, "b"), (2, "d")]);
        assert_eq!(ranking.incomplete.len(), 1);
        assert_eq!(ranking.incomplete[0].id, "e");
    }

    proptest::proptest! {
        #[test]
        fn scores_stay_between_zero_and_one_hundred(
            hours in 0.0f64..1e7,
            ratings in proptest::collection::vec(1u8..=5, 6),
            weights in proptest::collection::vec(0.0f64..10.0, 7),
            dimension_weights in (0.0f64..5.0, 0.0f64..5.0),
        ) {
            let mut c = Criteria::shipped().unwrap();
            for (criterion, w) in c.criteria.iter_mut().zip(&weights) {
                criterion.weight = *w;
            }
            c.dimension_weights = DimensionWeights {
                benefit: dimension_weights.0,
                feasibility: dimension_weights.1,
            };
            proptest::prop_assume!(c.validate().is_ok());
            let cv = canvas(hours, ratings[0], ratings[1], ratings[2], ratings[3], ratings[4], ratings[5]);
            let s = c.score(&cv).unwrap();
            for x in [s.benefit, s.feasibility, s.total] {
                proptest::prop_assert!((0.0..=100.0).contains(&x), "{x}");
            }
        }
    }
}
