//! Pilots (Pilotierung): a plan with goal metrics (baseline, target, measured
//! value), duration, participants, model and backend; the evaluation against
//! the targets; and the decision that follows.

use serde::{Deserialize, Serialize};

use super::{is_iso_date, unless_problems, UseCaseError};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pilot {
    pub goal: String,
    /// ISO dates, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Who takes part, e.g. "6 Sachbearbeitende im Bürgeramt".
    #[serde(default)]
    pub participants: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub backend: String,
    #[serde(default)]
    pub metrics: Vec<Metric>,
    #[serde(default)]
    pub staff_feedback: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<PilotDecision>,
}

/// A goal metric (KPI). Whether higher or lower is better follows from the
/// target: a target above the baseline means higher is better.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    pub name: String,
    #[serde(default)]
    pub unit: String,
    pub baseline: f64,
    pub target: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<f64>,
}

impl Metric {
    pub fn higher_is_better(&self) -> bool {
        self.target > self.baseline
    }

    /// Whether the measured value reaches the target; `None` before measuring.
    pub fn achieved(&self) -> Option<bool> {
        let m = self.measured?;
        Some(if self.higher_is_better() {
            m >= self.target
        } else {
            m <= self.target
        })
    }

    /// How far the measured value got from baseline to target: 0 at the
    /// baseline, 1 at the target, above 1 beyond it, below 0 if it got worse.
    pub fn progress(&self) -> Option<f64> {
        let span = self.target - self.baseline;
        if span == 0.0 {
            return None;
        }
        Some((self.measured? - self.baseline) / span)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// Take into regular operation.
    Operate,
    /// Continue the pilot, e.g. with changes.
    Extend,
    Stop,
}

impl DecisionKind {
    pub fn label(self) -> &'static str {
        match self {
            DecisionKind::Operate => "in den Betrieb übernehmen",
            DecisionKind::Extend => "Pilot verlängern",
            DecisionKind::Stop => "beenden",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PilotDecision {
    pub kind: DecisionKind,
    pub reason: String,
    #[serde(default)]
    pub at: String,
}

/// One metric against its target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricResult {
    pub name: String,
    pub unit: String,
    pub baseline: f64,
    pub target: f64,
    pub measured: Option<f64>,
    pub achieved: Option<bool>,
    pub progress: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PilotEvaluation {
    pub results: Vec<MetricResult>,
    pub achieved: usize,
    pub missed: usize,
    pub unmeasured: usize,
}

impl PilotEvaluation {
    /// True when every metric is measured and reached its target.
    pub fn all_targets_met(&self) -> bool {
        self.missed == 0 && self.unmeasured == 0 && self.achieved > 0
    }
}

impl Pilot {
    /// What keeps the plan from starting; empty when it can start.
    pub fn plan_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.goal.trim().is_empty() {
            problems.push("das Ziel des Pilots fehlt".to_owned());
        }
        match &self.start {
            None => problems.push("der Beginn fehlt".to_owned()),
            Some(s) if !is_iso_date(s) => {
                problems.push(format!(
                    "der Beginn „{s}“ ist kein Datum der Form JJJJ-MM-TT"
                ));
            }
            Some(_) => {}
        }
        match &self.end {
            Some(e) if !is_iso_date(e) => {
                problems.push(format!("das Ende „{e}“ ist kein Datum der Form JJJJ-MM-TT"));
            }
            Some(e) => {
                if let Some(s) = self.start.as_deref().filter(|s| is_iso_date(s)) {
                    if e.as_str() < s {
                        problems.push(format!("das Ende {e} liegt vor dem Beginn {s}"));
                    }
                }
            }
            None => problems.push("das Ende fehlt".to_owned()),
        }
        if self.metrics.is_empty() {
            problems.push("der Pilot braucht mindestens eine Zielgröße".to_owned());
        }
        for m in &self.metrics {
            if m.name.trim().is_empty() {
                problems.push("eine Zielgröße hat keinen Namen".to_owned());
            }
            let values = [Some(m.baseline), Some(m.target), m.measured];
            if values.iter().flatten().any(|v| !v.is_finite()) {
                problems.push(format!("„{}“: die Werte müssen Zahlen sein", m.name));
            } else if m.baseline == m.target {
                problems.push(format!("„{}“: Ausgangs- und Zielwert sind gleich", m.name));
            }
        }
        problems
    }

    /// Checks the plan; the error lists every problem.
    pub fn validate(&self) -> Result<(), UseCaseError> {
        let problems = self.plan_problems();
        unless_problems((), problems, |problems| UseCaseError::InvalidPilot {
            problems,
        })
    }

    pub fn unmeasured_metrics(&self) -> Vec<String> {
        self.metrics
            .iter()
            .filter(|m| m.measured.is_none())
            .map(|m| m.name.clone())
            .collect()
    }

    pub fn evaluate(&self) -> PilotEvaluation {
        let results: Vec<MetricResult> = self
            .metrics
            .iter()
            .map(|m| MetricResult {
                name: m.name.clone(),
                unit: m.unit.clone(),
                baseline: m.baseline,
                target: m.target,
                measured: m.measured,
                achieved: m.achieved(),
                progress: m.progress(),
            })
            .collect();
        let count = |want: Option<bool>| results.iter().filter(|r| r.achieved == want).count();
        PilotEvaluation {
            achieved: count(Some(true)),
            missed: count(Some(false)),
            unmeasured: count(None),
            results,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(baseline: f64, target: f64, measured: Option<f64>) -> Metric {
        Metric {
            name: "Bearbeitungszeit".into(),
            unit: "min".into(),
            baseline,
            target,
            measured,
        }
    }

    #[test]
    fn a_lower_target_means_lower_is_better() {
        let m = metric(30.0, 20.0, Some(18.0));
        assert!(!m.higher_is_better());
        assert_eq!(m.achieved(), Some(true));
        assert_eq!(metric(30.0, 20.0, Some(25.0)).achieved(), Some(false));
        assert_eq!(metric(30.0, 20.0, Some(25.0)).progress(), Some(0.5));
        assert_eq!(metric(30.0, 20.0, None).achieved(), None);
    }

    #[test]
    fn the_evaluation_counts_met_missed_and_unmeasured_targets() {
        let pilot = Pilot {
            metrics: vec![
                metric(30.0, 20.0, Some(19.0)),
                metric(0.5, 0.8, Some(0.6)),
                metric(10.0, 5.0, None),
            ],
            ..Pilot::default()
        };
        let e = pilot.evaluate();
        assert_eq!((e.achieved, e.missed, e.unmeasured), (1, 1, 1));
        assert!(!e.all_targets_met());
        assert_eq!(pilot.unmeasured_metrics(), ["Bearbeitungszeit"]);
    }

    #[test]
    fn a_plan_names_every_problem() {
        let pilot = Pilot {
            start: Some("2026-12-01".into()),
            end: Some("2026-11-01".into()),
            metrics: vec![metric(5.0, 5.0, None), metric(f64::NAN, 1.0, None)],
            ..Pilot::default()
        };
        let problems = pilot.plan_problems();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].contains("Ziel"));
        assert!(problems[1].contains("vor dem Beginn"));
        assert!(problems[2].contains("gleich"));
        assert!(problems[3].contains("Zahlen"));
        assert!(matches!(
            pilot.validate(),
            Err(UseCaseError::InvalidPilot { .. })
        ));
    }

    #[test]
    fn a_complete_plan_is_valid() {
        let pilot = Pilot {
            goal: "schneller".into(),
            start: Some("2026-12-01".into()),
            end: Some("2027-02-28".into()),
            metrics: vec![metric(30.0, 20.0, None)],
            ..Pilot::default()
        };
        assert!(pilot.validate().is_ok());
    }
}
