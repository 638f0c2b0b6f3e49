//! The use case as a whole: intake, canvas, classification, data protection,
//! pilot, its status workflow, and its exchange format (JSON).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ai_act::{Classification, DecisionTree, RiskClass};
use super::canvas::{Canvas, DataClass, Intake};
use super::dpia::ThresholdAnalysis;
use super::fria::{FriaAnswers, FriaForm};
use super::pilot::{DecisionKind, Pilot};
use super::UseCaseError;

pub use super::status::{Status, StatusChange};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Origin {
    /// Submitted by a staff member.
    #[default]
    Own,
    /// Transferred from a free-text answer of the survey.
    Survey,
    /// Adopted from the library of use cases.
    Library { entry: String },
    /// Imported from another municipality's export.
    Imported { from: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UseCase {
    /// Assigned by the caller (store); a slug or number.
    pub id: String,
    pub intake: Intake,
    #[serde(default)]
    pub canvas: Canvas,
    pub status: Status,
    #[serde(default)]
    pub history: Vec<StatusChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<Classification>,
    /// Answers to the threshold analysis (question id → yes/no).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub threshold_answers: BTreeMap<String, bool>,
    /// The fundamental-rights impact assessment, where one is needed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fria: FriaAnswers,
    /// The data protection impact assessment, where one was carried out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpia: Option<DpiaRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pilot: Option<Pilot>,
    #[serde(default)]
    pub origin: Origin,
}

/// A data protection impact assessment (Art. 35 GDPR), carried out with
/// the data protection officer outside ki-reise: when it was completed
/// and where it is filed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DpiaRecord {
    /// ISO date, `YYYY-MM-DD`.
    pub completed_on: String,
    /// File number or document location.
    pub reference: String,
}

/// The envelope of the exchange format, `schemas/usecase.schema.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UseCaseExport {
    pub format: String,
    pub format_version: u32,
    pub use_case: UseCase,
}

pub const EXPORT_FORMAT: &str = "ki-reise/anwendungsfall";
pub const EXPORT_FORMAT_VERSION: u32 = 1;

impl UseCase {
    /// A new idea; the intake must have title and problem.
    pub fn new(id: &str, intake: Intake, origin: Origin) -> Result<UseCase, UseCaseError> {
        intake.validate()?;
        Ok(UseCase {
            id: id.to_owned(),
            intake,
            canvas: Canvas::default(),
            status: Status::Idea,
            history: Vec::new(),
            classification: None,
            threshold_answers: BTreeMap::new(),
            fria: FriaAnswers::new(),
            dpia: None,
            pilot: None,
            origin,
        })
    }

    /// Everything that keeps the use case from moving to `to`, beyond the
    /// workflow table; empty when nothing does.
    ///
    /// - assessed: a complete canvas and a classification;
    /// - approved: a classification that is not a prohibited practice, and
    ///   the threshold analysis answered when personal data is involved;
    ///   for a high-risk system also the complete fundamental-rights impact
    ///   assessment and, where the threshold analysis demands one, the DPIA;
    /// - pilot: a valid pilot plan, and the fundamental-rights impact
    ///   assessment where the classification requires one;
    /// - evaluated: a measured value for every goal metric;
    /// - operating: the decision after the pilot to take it into operation.
    pub fn blockers(&self, to: Status) -> Vec<String> {
        let mut blockers = Vec::new();
        let classification = "die Einstufung nach der KI-Verordnung fehlt";
        match to {
            Status::Assessed => {
                let missing = self.canvas.missing_fields();
                if !missing.is_empty() {
                    let names: Vec<String> = missing.iter().map(ToString::to_string).collect();
                    blockers.push(format!("im Canvas fehlen: {}", names.join(", ")));
                }
                if self.classification.is_none() {
                    blockers.push(classification.to_owned());
                }
            }
            Status::Approved => {
                match &self.classification {
                    None => blockers.push(classification.to_owned()),
                    Some(c) if c.risk == RiskClass::Prohibited => blockers
                        .push("das Vorhaben ist eine verbotene Praktik (Art. 5 KI-VO)".to_owned()),
                    Some(_) => {}
                }
                let personal = self
                    .canvas
                    .highest_data_class()
                    .is_some_and(DataClass::is_personal);
                let high_risk = self
                    .classification
                    .as_ref()
                    .filter(|c| c.risk == RiskClass::HighRisk);
                if (personal || high_risk.is_some()) && self.threshold_answers.is_empty() {
                    blockers.push("die Schwellwertanalyse zum Datenschutz fehlt".to_owned());
                }
                if let Some(c) = high_risk {
                    blockers.extend(self.high_risk_approval_blockers(c));
                }
            }
            Status::Pilot => {
                match &self.pilot {
                    None => blockers.push("es gibt noch keinen Pilotplan".to_owned()),
                    Some(p) => blockers.extend(p.plan_problems()),
                }
                let fria_required = self
                    .classification
                    .as_ref()
                    .is_some_and(|c| c.fria_required);
                if fria_required && self.fria.values().all(|t| t.trim().is_empty()) {
                    blockers
                        .push("die Grundrechte-Folgenabschätzung (Art. 27 KI-VO) fehlt".to_owned());
                }
            }
            Status::Evaluated => match &self.pilot {
                None => blockers.push("es gibt keinen Pilot".to_owned()),
                Some(p) => {
                    let open = p.unmeasured_metrics();
                    if !open.is_empty() {
                        blockers.push(format!("es fehlen Messwerte für: {}", open.join(", ")));
                    }
                }
            },
            Status::Operating => match self.pilot.as_ref().and_then(|p| p.decision.as_ref()) {
                None => blockers.push("die Entscheidung nach dem Pilot fehlt".to_owned()),
                Some(d) if d.kind != DecisionKind::Operate => blockers.push(format!(
                    "nach dem Pilot wurde „{}“ entschieden, nicht die Übernahme in den Betrieb",
                    d.kind.label()
                )),
                Some(_) => {}
            },
            Status::Idea | Status::Stopped => {}
        }
        blockers
    }

    /// What a high-risk system needs before approval: the complete FRIA
    /// (Art. 27) where the classification requires one, and the DPIA
    /// (Art. 35 GDPR) where the threshold analysis demands one.
    fn high_risk_approval_blockers(&self, c: &Classification) -> Vec<String> {
        let mut blockers = Vec::new();
        if c.fria_required {
            let missing: Vec<String> = match FriaForm::shipped() {
                Ok(form) => form
                    .missing(&self.fria)
                    .iter()
                    .map(|s| s.title.clone())
                    .collect(),
                // Without the form, at least one answer must be there.
                Err(_) if self.fria.values().all(|t| t.trim().is_empty()) => {
                    vec!["alle Abschnitte".to_owned()]
                }
                Err(_) => Vec::new(),
            };
            if !missing.is_empty() {
                blockers.push(format!(
                    "die Grundrechte-Folgenabschätzung (Art. 27 KI-VO) ist nicht vollständig; es \
                     fehlen: {}",
                    missing.join(", ")
                ));
            }
        }
        if self.threshold_answers.is_empty() {
            return blockers;
        }
        let decision =
            ThresholdAnalysis::shipped().and_then(|a| a.evaluate(&self.threshold_answers));
        if let Err(UseCaseError::ThresholdAnalysisIncomplete { unanswered }) = &decision {
            blockers.push(format!(
                "die Schwellwertanalyse zum Datenschutz ist unvollständig; es fehlen: {}",
                unanswered.join(", ")
            ));
        }
        if decision.is_ok_and(|d| d.required) && self.dpia.is_none() {
            blockers.push(
                "die Datenschutz-Folgenabschätzung (Art. 35 DSGVO) fehlt; die Schwellwertanalyse \
                 verlangt sie"
                    .to_owned(),
            );
        }
        blockers
    }

    /// Moves the use case to `to`, recording the change. Stopping needs a
    /// reason.
    pub fn change_status(
        &mut self,
        to: Status,
        at: &str,
        reason: &str,
    ) -> Result<(), UseCaseError> {
        if !self.status.can_move_to(to) {
            return Err(UseCaseError::TransitionNotAllowed {
                from: self.status,
                to,
            });
        }
        if to == Status::Stopped && reason.trim().is_empty() {
            return Err(UseCaseError::TransitionBlocked {
                to,
                reason: "zum Stoppen ist eine Begründung nötig".to_owned(),
            });
        }
        let blockers = self.blockers(to);
        if !blockers.is_empty() {
            return Err(UseCaseError::TransitionBlocked {
                to,
                reason: blockers.join("; "),
            });
        }
        self.history.push(StatusChange {
            from: self.status,
            to,
            at: at.to_owned(),
            reason: reason.trim().to_owned(),
        });
        self.status = to;
        Ok(())
    }

    /// The use case in the exchange format (pretty JSON).
    pub fn export_json(&self) -> Result<String, UseCaseError> {
        let export = UseCaseExport {
            format: EXPORT_FORMAT.to_owned(),
            format_version: EXPORT_FORMAT_VERSION,
            use_case: self.clone(),
        };
        serde_json::to_string_pretty(&export).map_err(|e| UseCaseError::Parse {
            file: self.id.clone(),
            message: e.to_string(),
        })
    }

    /// Reads another municipality's export. The classification answers are
    /// kept; status, history and pilot decision start afresh here, and the
    /// use case is marked as imported from `from`.
    pub fn import_json(text: &str, from: &str) -> Result<UseCase, UseCaseError> {
        let export: UseCaseExport =
            serde_json::from_str(text).map_err(|e| UseCaseError::Parse {
                file: from.to_owned(),
                message: e.to_string(),
            })?;
        if export.format != EXPORT_FORMAT || export.format_version != EXPORT_FORMAT_VERSION {
            return Err(UseCaseError::InvalidContent {
                file: from.to_owned(),
                problems: vec![format!(
                    "unbekanntes Format „{}“ Version {} (erwartet „{EXPORT_FORMAT}“ Version {EXPORT_FORMAT_VERSION})",
                    export.format, export.format_version
                )],
            });
        }
        let mut uc = export.use_case;
        uc.intake.validate()?;
        uc.canvas.validate()?;
        uc.status = Status::Idea;
        uc.history.clear();
        if let Some(p) = uc.pilot.as_mut() {
            p.decision = None;
        }
        uc.origin = Origin::Imported {
            from: from.to_owned(),
        };
        Ok(uc)
    }
}

/// What re-walking a stored classification through the current tree found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reclassification {
    /// Same conclusion; the record now carries the current tree version.
    Confirmed,
    /// The same answers lead elsewhere now; the record was updated.
    Changed { from: String, to: String },
    /// The tree asks something new; the record is kept until it is answered.
    NeedsAnswer { question: String },
}

impl UseCase {
    /// Walks the stored answers through `tree` (after the tree changed, or
    /// for an imported use case). A concluded walk replaces the record; an
    /// answer the tree no longer knows, or a new question, leaves it as it
    /// is for the wizard to complete.
    pub fn reclassify(&mut self, tree: &DecisionTree) -> Result<Reclassification, UseCaseError> {
        let Some(old) = &self.classification else {
            return Err(UseCaseError::ClassificationIncomplete {
                next_question: tree.start.clone(),
            });
        };
        let new = match tree.classify(&old.answers) {
            Ok(new) => new,
            Err(UseCaseError::ClassificationIncomplete { next_question }) => {
                return Ok(Reclassification::NeedsAnswer {
                    question: next_question,
                })
            }
            Err(e) => return Err(e),
        };
        let result = if new.conclusion == old.conclusion {
            Reclassification::Confirmed
        } else {
            Reclassification::Changed {
                from: old.conclusion.clone(),
                to: new.conclusion.clone(),
            }
        };
        self.classification = Some(new);
        Ok(result)
    }
}

/// The use cases whose classification was made with another version of the
/// decision tree and needs a review.
pub fn classifications_to_review<'u>(
    use_cases: &'u [UseCase],
    tree: &DecisionTree,
) -> Vec<&'u UseCase> {
    use_cases
        .iter()
        .filter(|u| {
            u.classification
                .as_ref()
                .is_some_and(|c| c.needs_review(tree))
        })
        .collect()
}

/// Use cases grouped by status for the board view, in workflow order.
pub fn board(use_cases: &[UseCase]) -> Vec<(Status, Vec<&UseCase>)> {
    Status::ALL
        .iter()
        .map(|s| (*s, use_cases.iter().filter(|u| u.status == *s).collect()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idea() -> UseCase {
        let intake = Intake {
            title: "Protokolle".into(),
            problem: "dauert".into(),
            ..Intake::default()
        };
        UseCase::new("uc-1", intake, Origin::Own).unwrap()
    }

    #[test]
    fn every_status_but_operating_and_stopped_can_be_stopped() {
        for s in Status::ALL {
            let expected = !matches!(s, Status::Stopped);
            assert_eq!(s.can_move_to(Status::Stopped), expected, "{s}");
        }
    }

    #[test]
    fn an_idea_cannot_jump_to_a_pilot() {
        let mut uc = idea();
        let err = uc
            .change_status(Status::Pilot, "2026-11-26", "")
            .unwrap_err();
        assert_eq!(
            err,
            UseCaseError::TransitionNotAllowed {
                from: Status::Idea,
                to: Status::Pilot
            }
        );
        assert_eq!(uc.status, Status::Idea);
    }

    #[test]
    fn an_idea_with_an_incomplete_canvas_cannot_be_assessed() {
        let mut uc = idea();
        let err = uc
            .change_status(Status::Assessed, "2026-11-26", "")
            .unwrap_err();
        assert!(err.to_string().contains("Ziel"), "{err}");
    }

    #[test]
    fn stopping_needs_a_reason_and_is_recorded() {
        let mut uc = idea();
        assert!(uc.change_status(Status::Stopped, "t1", " ").is_err());
        uc.change_status(Status::Stopped, "t1", "kein Bedarf")
            .unwrap();
        uc.change_status(Status::Idea, "t2", "").unwrap();
        assert_eq!(uc.history.len(), 2);
        assert_eq!(uc.history[0].reason, "kein Bedarf");
        assert_eq!(uc.status, Status::Idea);
    }

    #[test]
    fn the_board_lists_every_status_in_workflow_order() {
        let mut stopped = idea();
        stopped.id = "uc-2".into();
        stopped
            .change_status(Status::Stopped, "t", "doppelt")
            .unwrap();
        let all = [idea(), stopped];
        let board = board(&all);
        assert_eq!(board.len(), 7);
        assert_eq!(board[0].0, Status::Idea);
        assert_eq!(board[0].1.len(), 1);
        assert_eq!(board[6].1[0].id, "uc-2");
    }

    #[test]
    fn an_import_of_an_unknown_format_is_rejected() {
        let err = UseCase::import_json(
            r#"{"format":"x","format_version":1,"use_case":{"id":"a","intake":{"title":"t","problem":"p"},"status":"idea"}}"#,
            "Kiel",
        )
        .unwrap_err();
        assert!(err.to_string().contains("unbekanntes Format"), "{err}");
        assert!(UseCase::import_json("{", "Kiel").is_err());
    }
}
