//! The data-protection threshold analysis (Schwellwertanalyse): a
//! questionnaire kept as data (`content/de/usecases/schwellwertanalyse.yaml`)
//! that decides whether a data protection impact assessment (DPIA, Art. 35
//! GDPR) is needed, and says why.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::canvas::{Canvas, DataClass};
use super::{invalid_content, parse_yaml, unless_problems, UseCaseError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdAnalysis {
    pub version: u32,
    pub title: String,
    /// From this many `criterion` answers "yes", a DPIA is needed.
    pub criteria_threshold: usize,
    pub questions: Vec<ThresholdQuestion>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// "No" ends the analysis: no DPIA needed.
    Gate,
    /// "Yes" always requires a DPIA.
    Mandatory,
    /// "Yes" counts towards the threshold.
    Criterion,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdQuestion {
    pub id: String,
    pub kind: QuestionKind,
    pub text: String,
    pub legal: String,
    /// Shown as the reason when the question decides: for a gate when
    /// answered "no", otherwise when answered "yes".
    pub reason: String,
    /// Advice shown when the question is answered "yes".
    #[serde(default)]
    pub hint: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DpiaBasis {
    NoPersonalData,
    /// A mandatory case applies.
    Mandatory,
    /// Enough criteria apply.
    Criteria,
    /// Fewer criteria than the threshold apply.
    BelowThreshold,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DpiaDecision {
    pub required: bool,
    pub basis: DpiaBasis,
    /// Why, with legal references, in questionnaire order.
    pub reasons: Vec<String>,
    pub hints: Vec<String>,
    pub criteria_met: usize,
}

impl ThresholdAnalysis {
    pub fn from_yaml(file: &str, text: &str) -> Result<ThresholdAnalysis, UseCaseError> {
        let analysis: ThresholdAnalysis = parse_yaml(file, text)?;
        let mut problems = Vec::new();
        let mut ids = BTreeSet::new();
        for q in &analysis.questions {
            if !ids.insert(q.id.as_str()) {
                problems.push(format!("die Frage „{}“ ist mehrfach vorhanden", q.id));
            }
            if q.reason.trim().is_empty() {
                problems.push(format!(
                    "die Frage „{}“ hat keine Begründung (reason)",
                    q.id
                ));
            }
        }
        let criteria = analysis
            .questions
            .iter()
            .filter(|q| q.kind == QuestionKind::Criterion)
            .count();
        if analysis.criteria_threshold == 0 || analysis.criteria_threshold > criteria {
            problems.push(format!(
                "criteria_threshold {} muss zwischen 1 und der Zahl der Kriterien ({criteria}) liegen",
                analysis.criteria_threshold
            ));
        }
        unless_problems(analysis, problems, invalid_content(file))
    }

    pub fn shipped() -> Result<ThresholdAnalysis, UseCaseError> {
        let file = super::THRESHOLD_ANALYSIS;
        ThresholdAnalysis::from_yaml(file.path, file.default_text)
    }

    /// Suggested answers from the canvas, for the project team to confirm:
    /// whether personal data is processed and special categories are among
    /// it (from the data classes), and that AI counts as a new technology.
    pub fn prefill(&self, canvas: &Canvas) -> BTreeMap<String, bool> {
        let mut answers = BTreeMap::new();
        let mut set = |id: &str, value: bool| {
            if self.questions.iter().any(|q| q.id == id) {
                answers.insert(id.to_owned(), value);
            }
        };
        if let Some(highest) = canvas.highest_data_class() {
            set("personenbezug", highest.is_personal());
            set("sensible-daten", highest == DataClass::SpecialCategories);
        }
        if !canvas.ai_kinds.is_empty() {
            set("neue-technologie", true);
        }
        answers
    }

    /// Decides from the answers (question id → yes/no). A "no" at a gate
    /// decides at once; otherwise every question must be answered.
    pub fn evaluate(&self, answers: &BTreeMap<String, bool>) -> Result<DpiaDecision, UseCaseError> {
        let gates = self
            .questions
            .iter()
            .filter(|q| q.kind == QuestionKind::Gate);
        let mut unanswered = Vec::new();
        for gate in gates {
            match answers.get(&gate.id) {
                Some(false) => {
                    return Ok(DpiaDecision {
                        required: false,
                        basis: DpiaBasis::NoPersonalData,
                        reasons: vec![format!("{} ({})", gate.reason, gate.legal)],
                        hints: Vec::new(),
                        criteria_met: 0,
                    })
                }
                Some(true) => {}
                None => unanswered.push(gate.id.clone()),
            }
        }
        unanswered.extend(
            self.questions
                .iter()
                .filter(|q| q.kind != QuestionKind::Gate && !answers.contains_key(&q.id))
                .map(|q| q.id.clone()),
        );
        if !unanswered.is_empty() {
            return Err(UseCaseError::ThresholdAnalysisIncomplete { unanswered });
        }
        let yes: Vec<&ThresholdQuestion> = self
            .questions
            .iter()
            .filter(|q| q.kind != QuestionKind::Gate && answers.get(&q.id) == Some(&true))
            .collect();
        let with_legal = |q: &&ThresholdQuestion| format!("{} ({})", q.reason, q.legal);
        let mandatory: Vec<String> = yes
            .iter()
            .filter(|q| q.kind == QuestionKind::Mandatory)
            .map(with_legal)
            .collect();
        let criteria: Vec<String> = yes
            .iter()
            .filter(|q| q.kind == QuestionKind::Criterion)
            .map(with_legal)
            .collect();
        let hints = yes
            .iter()
            .filter(|q| !q.hint.trim().is_empty())
            .map(|q| q.hint.clone())
            .collect();
        let criteria_met = criteria.len();
        let (required, basis, mut reasons) = if !mandatory.is_empty() {
            (true, DpiaBasis::Mandatory, mandatory)
        } else if criteria_met >= self.criteria_threshold {
            (true, DpiaBasis::Criteria, Vec::new())
        } else {
            (false, DpiaBasis::BelowThreshold, Vec::new())
        };
        if basis != DpiaBasis::Mandatory {
            reasons.push(format!(
                "{criteria_met} von {} Kriterien erfüllt (Schwelle: {}).",
                self.questions
                    .iter()
                    .filter(|q| q.kind == QuestionKind::Criterion)
                    .count(),
                self.criteria_threshold
            ));
        }
        reasons.extend(criteria);
        if !required {
            reasons.push(
                "Eine DSFA ist nicht zwingend; das Ergebnis der Schwellwertanalyse mit Begründung dokumentieren."
                    .to_owned(),
            );
        }
        Ok(DpiaDecision {
            required,
            basis,
            reasons,
            hints,
            criteria_met,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecase::canvas::{AiKind, DataSource};

    fn all_no(a: &ThresholdAnalysis) -> BTreeMap<String, bool> {
        a.questions
            .iter()
            .map(|q| (q.id.clone(), q.kind == QuestionKind::Gate))
            .collect()
    }

    #[test]
    fn without_personal_data_no_dpia_is_needed_and_nothing_else_is_asked() {
        let a = ThresholdAnalysis::shipped().unwrap();
        let d = a
            .evaluate(&BTreeMap::from([("personenbezug".to_owned(), false)]))
            .unwrap();
        assert!(!d.required);
        assert_eq!(d.basis, DpiaBasis::NoPersonalData);
        assert!(d.reasons[0].contains("keine personenbezogenen Daten"));
    }

    #[test]
    fn one_mandatory_case_requires_a_dpia() {
        let a = ThresholdAnalysis::shipped().unwrap();
        let mut answers = all_no(&a);
        answers.insert("ki-interaktion-bewertung".into(), true);
        let d = a.evaluate(&answers).unwrap();
        assert!(d.required);
        assert_eq!(d.basis, DpiaBasis::Mandatory);
        assert!(d.reasons[0].contains("DSK"), "{:?}", d.reasons);
    }

    #[test]
    fn two_criteria_require_a_dpia_and_one_does_not() {
        let a = ThresholdAnalysis::shipped().unwrap();
        let mut answers = all_no(&a);
        answers.insert("neue-technologie".into(), true);
        let d = a.evaluate(&answers).unwrap();
        assert!(!d.required);
        assert_eq!((d.basis, d.criteria_met), (DpiaBasis::BelowThreshold, 1));
        assert!(d.reasons.last().unwrap().contains("dokumentieren"));
        answers.insert("schutzbeduerftige".into(), true);
        let d = a.evaluate(&answers).unwrap();
        assert!(d.required);
        assert_eq!((d.basis, d.criteria_met), (DpiaBasis::Criteria, 2));
        assert!(d.reasons.iter().any(|r| r.contains("Kriterium 7")));
    }

    #[test]
    fn an_automated_decision_adds_the_article_22_hint() {
        let a = ThresholdAnalysis::shipped().unwrap();
        let mut answers = all_no(&a);
        answers.insert("automatisierte-entscheidung".into(), true);
        let d = a.evaluate(&answers).unwrap();
        assert!(d.hints[0].contains("Art. 22"));
    }

    #[test]
    fn unanswered_questions_are_named() {
        let a = ThresholdAnalysis::shipped().unwrap();
        let mut answers = all_no(&a);
        answers.remove("grosser-umfang");
        answers.remove("personenbezug");
        let err = a.evaluate(&answers).unwrap_err();
        assert_eq!(
            err,
            UseCaseError::ThresholdAnalysisIncomplete {
                unanswered: vec!["personenbezug".into(), "grosser-umfang".into()]
            }
        );
    }

    #[test]
    fn the_canvas_prefills_personal_data_special_categories_and_new_technology() {
        let a = ThresholdAnalysis::shipped().unwrap();
        let canvas = Canvas {
            data_sources: vec![DataSource {
                name: "Akte".into(),
                class: DataClass::SpecialCategories,
            }],
            ai_kinds: vec![AiKind::Extraction],
            ..Canvas::default()
        };
        let p = a.prefill(&canvas);
        assert_eq!(p.get("personenbezug"), Some(&true));
        assert_eq!(p.get("sensible-daten"), Some(&true));
        assert_eq!(p.get("neue-technologie"), Some(&true));
        assert!(a.prefill(&Canvas::default()).is_empty());
    }

    #[test]
    fn a_threshold_above_the_number_of_criteria_is_rejected() {
        let text = super::super::THRESHOLD_ANALYSIS
            .default_text
            .replace("criteria_threshold: 2", "criteria_threshold: 20");
        let err = ThresholdAnalysis::from_yaml("s.yaml", &text).unwrap_err();
        assert!(err.to_string().contains("criteria_threshold 20"), "{err}");
    }
}
